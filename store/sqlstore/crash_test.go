package sqlstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scimkit/scim"
)

// TestCrash runs the example server as a subprocess under concurrent
// writes, kills it with SIGKILL at random moments and restarts it on the
// same database. Afterwards every write that was acknowledged with a 2xx
// must be there with its acknowledged content, every multi-member PATCH
// must have landed whole or not at all, and SQLite's integrity check must
// pass.
//
// It kills 20 times per dialect; SCIMKIT_CRASH_KILLS sets another number
// (README, Durability, records a run of 100).
func TestCrash(t *testing.T) {
	kills := envCount(t, crashKillsEnv, 20)
	if testing.Short() {
		t.Skipf("kills and restarts a server %d times per dialect", kills)
	}
	t.Parallel()
	bin := buildServer(t)
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			db := sqlitePath(t)
			if d == Postgres {
				db = pgSchemaDSN(t)
			}
			c := &crash{t: t, bin: bin, db: db, token: "crash-token", log: &lockedBuffer{}, stderr: &lockedBuffer{}}
			c.run(kills)
			c.verify(d)
		})
	}
}

// crashKillsEnv sets how many times TestCrash kills the server per
// dialect.
const crashKillsEnv = "SCIMKIT_CRASH_KILLS"

// buildServer builds examples/server into a temporary directory.
func buildServer(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the server with")
	}
	bin := filepath.Join(t.TempDir(), "scimd")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "github.com/scimkit/scim/examples/server")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the server: %v\n%s", err, out)
	}
	return bin
}

// crash drives one database through kills and restarts and remembers
// what the server acknowledged.
type crash struct {
	t     *testing.T
	bin   string
	db    string
	token string
	log   *lockedBuffer
	// stderr collects the servers' logs, where a -race build reports.
	stderr *lockedBuffer

	mu      sync.Mutex
	users   map[string]string   // acknowledged creates: id -> userName
	titles  map[string][]string // user id -> titles it may hold: the acknowledged one first, then unacknowledged attempts since
	members map[string]bool     // users acknowledged as added to the shared group
	bigs    map[string]bool     // multi-member groups -> whether their PATCH was acknowledged
	shared  string              // the shared group's id
	pool    []string            // users created up front, for the large PATCHes
	ok5xx   int                 // 5xx answers seen (must stay 0)
	kills   int                 // kills done
	acked   atomic.Int64        // writes acknowledged with a 2xx
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the server and returns its base URL and process.
func (c *crash) start() (string, *exec.Cmd) {
	c.t.Helper()
	cmd := exec.Command(c.bin, "-addr", "127.0.0.1:0", "-db", c.db, "-token", c.token)
	cmd.Stderr = c.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "Tenant URL:"); ok {
			go io.Copy(io.Discard, out)
			return strings.TrimSpace(u), cmd
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	c.t.Fatalf("the server printed no Tenant URL: %v", sc.Err())
	return "", nil
}

// call sends one request; status 0 means no answer (the server died).
func (c *crash) call(client *http.Client, method, url string, body any) (int, map[string]any) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil && resp.StatusCode < 300 && resp.StatusCode != http.StatusNoContent {
		return 0, nil // cut off mid-answer: unacknowledged
	}
	if resp.StatusCode/100 == 2 && method != http.MethodGet {
		c.acked.Add(1)
	}
	if resp.StatusCode >= 500 {
		c.mu.Lock()
		c.ok5xx++
		c.mu.Unlock()
		fmt.Fprintf(c.log, "%s %s: %d %v\n", method, url, resp.StatusCode, out)
	}
	return resp.StatusCode, out
}

const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User"
const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group"
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

func addMembersBody(ids ...string) any {
	vs := make([]map[string]string, len(ids))
	for i, id := range ids {
		vs[i] = map[string]string{"value": id}
	}
	return map[string]any{"schemas": []string{patchSchema}, "Operations": []any{
		map[string]any{"op": "add", "path": "members", "value": vs},
	}}
}

// setup creates the shared group and a pool of users, before any kill.
func (c *crash) setup(base string, client *http.Client) {
	st, g := c.call(client, "POST", base+"/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": "shared"})
	if st != http.StatusCreated {
		c.t.Fatalf("creating the shared group: %d %v", st, g)
	}
	c.shared = g["id"].(string)
	var wg sync.WaitGroup
	ids := make([]string, 600)
	for w := range 6 {
		wg.Go(func() {
			for i := w; i < len(ids); i += 6 {
				st, u := c.call(client, "POST", base+"/Users", map[string]any{"schemas": []string{userSchema}, "userName": fmt.Sprint("pool-", i)})
				if st != http.StatusCreated {
					c.t.Errorf("creating pool user %d: %d %v", i, st, u)
					return
				}
				ids[i] = u["id"].(string)
			}
		})
	}
	wg.Wait()
	c.pool = ids
	for i, id := range ids {
		c.users[id] = fmt.Sprint("pool-", i)
		c.titles[id] = []string{""}
	}
	// One large PATCH acknowledged for sure, whatever the kills catch.
	if st := c.bigPatch(base, client, -1, 0); st != http.StatusOK && st != http.StatusNoContent {
		c.t.Fatalf("the first large PATCH: status %d", st)
	}
}

func (c *crash) run(iterations int) {
	c.users, c.titles, c.members, c.bigs = map[string]string{}, map[string][]string{}, map[string]bool{}, map[string]bool{}
	for it := range iterations {
		base, cmd := c.start()
		client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
		if it == 0 {
			c.setup(base, client)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 6 {
			wg.Go(func() { c.worker(base, client, it, w, stop) })
		}
		time.Sleep(time.Duration(100+rand.IntN(700)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		c.kills++
		close(stop)
		wg.Wait()
		client.CloseIdleConnections()
	}
	if c.ok5xx > 0 {
		c.t.Errorf("%d answers were 5xx:\n%s", c.ok5xx, c.log)
	}
	if log := c.stderr.String(); strings.Contains(log, "DATA RACE") {
		c.t.Errorf("the server reported a data race:\n%s", log)
	}
}

// worker writes until the server dies: creates, user PATCHes, member adds
// to the shared group and, in worker 0, large multi-member PATCHes.
func (c *crash) worker(base string, client *http.Client, it, w int, stop chan struct{}) {
	var mine []string // users this worker created (only it patches them)
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		default:
		}
		var st int
		switch {
		case w == 0 && k%4 == 0:
			st = c.bigPatch(base, client, it, k)
		case k%3 == 0 || len(mine) == 0:
			name := fmt.Sprintf("c-%d-%d-%d", it, w, k)
			var u map[string]any
			st, u = c.call(client, "POST", base+"/Users", map[string]any{"schemas": []string{userSchema}, "userName": name, "title": "v0"})
			if st == http.StatusCreated {
				id := u["id"].(string)
				c.mu.Lock()
				c.users[id] = name
				c.titles[id] = []string{"v0"}
				c.mu.Unlock()
				mine = append(mine, id)
			}
		case k%3 == 1:
			id := mine[rand.IntN(len(mine))]
			title := fmt.Sprintf("v%d-%d", it, k)
			c.mu.Lock()
			c.titles[id] = append(c.titles[id], title)
			c.mu.Unlock()
			st, _ = c.call(client, "PATCH", base+"/Users/"+id, map[string]any{"schemas": []string{patchSchema}, "Operations": []any{
				map[string]any{"op": "replace", "path": "title", "value": title},
			}})
			if st == http.StatusOK || st == http.StatusNoContent {
				c.mu.Lock()
				c.titles[id] = []string{title}
				c.mu.Unlock()
			}
		default:
			id := mine[rand.IntN(len(mine))]
			st, _ = c.call(client, "PATCH", base+"/Groups/"+c.shared, addMembersBody(id))
			if st == http.StatusOK || st == http.StatusNoContent {
				c.mu.Lock()
				c.members[id] = true
				c.mu.Unlock()
			}
		}
		if st == 0 {
			return // the server is gone
		}
	}
}

// bigPatch creates a group and adds the whole pool to it in one PATCH.
func (c *crash) bigPatch(base string, client *http.Client, it, k int) int {
	st, g := c.call(client, "POST", base+"/Groups", map[string]any{"schemas": []string{groupSchema}, "displayName": fmt.Sprintf("big-%d-%d", it, k)})
	if st != http.StatusCreated {
		return st
	}
	id := g["id"].(string)
	c.mu.Lock()
	c.bigs[id] = false
	c.mu.Unlock()
	st, _ = c.call(client, "PATCH", base+"/Groups/"+id, addMembersBody(c.pool...))
	if st == http.StatusOK || st == http.StatusNoContent {
		c.mu.Lock()
		c.bigs[id] = true
		c.mu.Unlock()
	}
	return st
}

// verify opens the database directly and checks every acknowledgement.
func (c *crash) verify(d Dialect) {
	t := c.t
	var s *Store
	if d == Postgres {
		var err error
		if s, err = Open(context.Background(), pgDB(t, c.db), Postgres); err != nil {
			t.Fatal(err)
		}
	} else {
		var err error
		if s, err = OpenSQLite(context.Background(), c.db); err != nil {
			t.Fatal(err)
		}
		var res string
		if err := s.db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
			t.Errorf("PRAGMA integrity_check: %q, %v", res, err)
		}
		var fk int
		if err := s.db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&fk); err != nil || fk != 0 {
			t.Errorf("foreign key check: %d violations, %v", fk, err)
		}
	}
	defer s.Close()
	ctx := context.Background()
	const tenant = "default"
	for id, name := range c.users {
		u, err := s.GetUser(ctx, tenant, id)
		if err != nil {
			t.Errorf("acknowledged user %s (%s): %v", name, id, err)
			continue
		}
		if u.UserName != name || !slices.Contains(c.titles[id], u.Title) {
			t.Errorf("user %s: userName %q, title %q; want %q and one of %v", id, u.UserName, u.Title, name, c.titles[id])
		}
	}
	shared, err := s.GetGroup(ctx, tenant, c.shared, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, m := range shared.Members {
		have[m.Value] = true
	}
	for id := range c.members {
		if !have[id] {
			t.Errorf("acknowledged member %s is missing from the shared group", id)
		}
	}
	acked, whole, empty := 0, 0, 0
	for id, ok := range c.bigs {
		g, err := s.GetGroup(ctx, tenant, id, scim.GetOptions{})
		if err != nil {
			if ok {
				t.Errorf("big group %s: %v", id, err)
			}
			continue // its create was never acknowledged
		}
		switch len(g.Members) {
		case len(c.pool):
			whole++
		case 0:
			empty++
			if ok {
				t.Errorf("big group %s: the acknowledged PATCH of %d members is missing", id, len(c.pool))
			}
		default:
			t.Errorf("big group %s holds %d of the %d members of one PATCH", id, len(g.Members), len(c.pool))
		}
		if ok {
			acked++
		}
	}
	t.Logf("%d kills, %d writes acknowledged; verified %d users, %d shared-group members, %d large PATCHes (%d acknowledged, %d whole, %d empty)",
		c.kills, c.acked.Load(), len(c.users), len(c.members), len(c.bigs), acked, whole, empty)
	if len(c.users) == len(c.pool) {
		t.Errorf("no create was acknowledged between the kills: the load did not run")
	}
}
