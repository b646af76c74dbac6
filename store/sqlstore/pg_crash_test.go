package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
)

// pgCrashRoundsEnv sets how many stop-and-restart rounds
// TestPostgresImmediateStop runs; BENCHMARKS.md records a run of 100.
const pgCrashRoundsEnv = "SCIMKIT_CRASH_ROUNDS"

// TestPostgresImmediateStop runs a PostgreSQL cluster of its own, writes
// to it concurrently through a Store and stops it with
// `pg_ctl stop -m immediate` (every server process quits at once, with no
// checkpoint) in the middle of the writes, then restarts it. Every write
// the store acknowledged must be there as acknowledged, and the writes cut
// off must have left nothing half done. Rounds alternate the cluster's
// synchronous_commit between on and off: with off the server acknowledges
// commits before they are flushed, and only the store's own
// SET LOCAL synchronous_commit keeps its writes durable.
//
// The server processes die, not the machine: the operating system's page
// cache survives, as it does when PostgreSQL crashes on its own.
func TestPostgresImmediateStop(t *testing.T) {
	if testing.Short() {
		t.Skip("initdb and repeated PostgreSQL restarts")
	}
	rounds := envCount(t, pgCrashRoundsEnv, 3)
	t.Parallel()
	pg := newPrivateCluster(t)
	pg.start(t, "on")
	ctx := context.Background()
	c := &pgCrash{users: map[string]*ackedUser{}, tried: map[string]bool{}, members: map[string]bool{}}
	s := c.open(t, pg)
	g, err := s.CreateGroup(ctx, pgCrashTenant, &scim.Group{DisplayName: "shared"})
	if err != nil {
		t.Fatal(err)
	}
	c.group, c.groupV0 = g.ID, metaVersion(t, g.Meta.Version)
	for r := range rounds {
		acked := c.load(t, s, pg, r)
		s.Close()
		mode := "on"
		if r%2 == 0 {
			mode = "off" // the next round's writes
		}
		pg.start(t, mode)
		s = c.open(t, pg)
		c.verify(t, s)
		t.Logf("round %d: %d writes acknowledged before the stop; %d users, %d members verified (synchronous_commit now %s)",
			r, acked, len(c.users), len(c.members), mode)
	}
	s.Close()
}

const pgCrashTenant = "t"

// privateCluster is a PostgreSQL cluster in a temporary directory, run as
// the postgres user when the test runs as root (PostgreSQL refuses root).
type privateCluster struct {
	bin, dir, data string
	asUser         []string // command prefix running as the cluster's owner
	port           int
}

func newPrivateCluster(t *testing.T) *privateCluster {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		if p, err := exec.LookPath("pg_ctl"); err == nil {
			bins = []string{p}
		}
	}
	if len(bins) == 0 {
		t.Skip("no PostgreSQL binaries (pg_ctl) in /usr/lib/postgresql/*/bin or on PATH")
	}
	sort.Strings(bins)
	pg := &privateCluster{bin: filepath.Dir(bins[len(bins)-1])}
	if _, err := os.Stat(filepath.Join(pg.bin, "initdb")); err != nil {
		t.Skipf("no initdb beside %s", bins[len(bins)-1])
	}
	dir, err := os.MkdirTemp("", "scimkit-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser: PostgreSQL refuses to run as root")
		}
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skip("running as root and there is no postgres user to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
		pg.asUser = []string{runuser, "-u", "postgres", "--"}
	}
	pg.dir, pg.data = dir, filepath.Join(dir, "data")
	// The socket directory is made by the owner, so that it owns it.
	if out, err := pg.runCmd("mkdir", "-m", "0700", filepath.Join(dir, "sock")); err != nil {
		t.Skipf("the PostgreSQL user cannot write %s: %v\n%s", dir, err, out)
	}
	// --no-sync: the cluster need not survive the machine, only its
	// own processes.
	if out, err := pg.run("initdb", "-D", pg.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Skipf("initdb cannot run here: %v\n%s", err, out)
	}
	t.Cleanup(func() { pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop") })
	return pg
}

// run runs one of the cluster's binaries as its owner.
func (pg *privateCluster) run(name string, args ...string) ([]byte, error) {
	return pg.runCmd(filepath.Join(pg.bin, name), args...)
}

// runCmd runs a command as the cluster's owner.
func (pg *privateCluster) runCmd(name string, args ...string) ([]byte, error) {
	argv := append(slices.Clone(pg.asUser), name)
	cmd := exec.Command(argv[0], append(argv[1:], args...)...)
	cmd.Dir = pg.dir
	return cmd.CombinedOutput()
}

// start starts the cluster on a free port of 127.0.0.1, with
// synchronous_commit set to mode.
func (pg *privateCluster) start(t *testing.T, mode string) {
	t.Helper()
	var out []byte
	var err error
	for range 5 {
		if pg.port == 0 {
			pg.port = freePort(t)
		}
		opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c synchronous_commit=%s -c max_connections=40",
			pg.port, filepath.Join(pg.dir, "sock"), mode)
		out, err = pg.run("pg_ctl", "-D", pg.data, "-l", filepath.Join(pg.dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			return
		}
		pg.port = 0 // perhaps another process took the port: try another
	}
	log, _ := os.ReadFile(filepath.Join(pg.dir, "log"))
	t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, log)
}

// crash stops every server process at once, with no checkpoint.
func (pg *privateCluster) crash(t *testing.T) {
	t.Helper()
	if out, err := pg.run("pg_ctl", "-D", pg.data, "-m", "immediate", "-w", "stop"); err != nil {
		t.Fatalf("pg_ctl stop -m immediate: %v\n%s", err, out)
	}
}

func (pg *privateCluster) dsn() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.port)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ackedUser is a user as the store last acknowledged it, and the titles
// of the replaces tried since without an acknowledgement.
type ackedUser struct {
	user    *scim.User
	pending map[string]*scim.User // title -> the replacement tried
}

// pgCrash remembers what the store acknowledged across rounds.
type pgCrash struct {
	mu      sync.Mutex
	users   map[string]*ackedUser // id -> acknowledged state
	tried   map[string]bool       // every userName a create was tried with
	members map[string]bool       // user ids acknowledged as added to the group
	group   string
	groupV0 int64 // the group's version before any member add
	groupV  int64 // the highest group version acknowledged
	acked   int
}

func (c *pgCrash) open(t *testing.T, pg *privateCluster) *Store {
	t.Helper()
	db, err := sql.Open("pgx", pg.dsn())
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(12)
	s, err := Open(context.Background(), db, Postgres)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return s
}

// load writes from six goroutines, stops the cluster after a random
// moment and returns how many writes were acknowledged before the stop.
func (c *pgCrash) load(t *testing.T, s *Store, pg *privateCluster, round int) int {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() { c.worker(s, round, w, stop) })
	}
	time.Sleep(time.Duration(200+rand.IntN(500)) * time.Millisecond)
	pg.crash(t)
	close(stop)
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	// Whatever returned without error was acknowledged before the stop:
	// no server was left to acknowledge it after.
	acked := c.acked
	if acked == 0 {
		t.Errorf("round %d: no write was acknowledged before the stop: the load did not run", round)
	}
	c.acked = 0
	return acked
}

// worker creates users (with two emails each), replaces them (new title
// and emails) and adds each to the group once, one write at a time.
func (c *pgCrash) worker(s *Store, round, w int, stop chan struct{}) {
	var mine, unadded []string
	for k := 0; ; k++ {
		select {
		case <-stop:
			return
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		switch {
		case k%3 == 0 || len(mine) == 0:
			name := fmt.Sprintf("u-%d-%d-%d", round, w, k)
			c.mu.Lock()
			c.tried[name] = true
			c.mu.Unlock()
			u, err := s.CreateUser(ctx, pgCrashTenant, crashUser(name, "v0"))
			if err == nil {
				c.mu.Lock()
				c.users[u.ID] = &ackedUser{user: u, pending: map[string]*scim.User{}}
				c.acked++
				c.mu.Unlock()
				mine = append(mine, u.ID)
				unadded = append(unadded, u.ID)
			}
		case k%3 == 1 || len(unadded) == 0:
			id := mine[rand.IntN(len(mine))]
			c.mu.Lock()
			a := c.users[id]
			next := crashUser(a.user.UserName, fmt.Sprintf("v%d-%d", round, k))
			next.ID = id
			a.pending[next.Title] = next
			c.mu.Unlock()
			u, err := s.ReplaceUser(ctx, pgCrashTenant, next, "")
			if err == nil {
				c.mu.Lock()
				a.user, a.pending = u, map[string]*scim.User{}
				c.acked++
				c.mu.Unlock()
			}
		default:
			id := unadded[0]
			unadded = unadded[1:] // tried once only: each try is at most one version bump
			g, err := s.PatchGroup(ctx, pgCrashTenant, c.group, scim.GroupPatch{MemberOps: []scim.MemberOp{{
				Kind: scim.AddMembers, Members: []scim.Member{{Value: id}},
			}}}, "")
			if err == nil {
				v, _ := strconv.ParseInt(g.Meta.Version, 10, 64)
				c.mu.Lock()
				c.members[id] = true
				c.groupV = max(c.groupV, v)
				c.acked++
				c.mu.Unlock()
			}
		}
		cancel()
	}
}

func crashUser(name, title string) *scim.User {
	return &scim.User{UserName: name, Title: title, Emails: []scim.MultiValue{
		{Value: title + "." + name + "@work.example", Type: "work", Primary: true},
		{Value: title + "." + name + "@home.example", Type: "home"},
	}}
}

func metaVersion(t *testing.T, v string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("version %q: %v", v, err)
	}
	return n
}

// verify checks the restarted database against every acknowledgement.
func (c *pgCrash) verify(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	ignoreGroups := func(u *scim.User) *scim.User { v := *u; v.Groups = nil; return &v }
	for id, a := range c.users {
		got, err := s.GetUser(ctx, pgCrashTenant, id)
		if err != nil {
			t.Errorf("acknowledged user %s (%s): %v", a.user.UserName, id, err)
			continue
		}
		got = ignoreGroups(got)
		if p, ok := a.pending[got.Title]; ok {
			// A replace whose commit was cut off from its answer may
			// have landed: then whole and with a later version.
			if metaVersion(t, got.Meta.Version) <= metaVersion(t, a.user.Meta.Version) {
				t.Errorf("user %s holds an unacknowledged replace at version %s, acknowledged %s", id, got.Meta.Version, a.user.Meta.Version)
			}
			if diff := cmp.Diff(p.Emails, got.Emails); diff != "" {
				t.Errorf("user %s: a replace landed in part (-tried +stored emails):\n%s", id, diff)
			}
			a.user, a.pending = got, map[string]*scim.User{}
			continue
		}
		if diff := cmp.Diff(ignoreGroups(a.user), got); diff != "" {
			t.Errorf("user %s differs from what was acknowledged (-acknowledged +stored):\n%s", id, diff)
		}
		a.pending = map[string]*scim.User{}
	}
	// Users nobody acknowledged must come from a tried create, whole.
	rows, err := s.db.QueryContext(ctx, `SELECT u.id, u.user_name, jsonb_array_length(u.doc->'emails'),
		(SELECT count(*) FROM scim_user_emails e WHERE e.tenant = u.tenant AND e.user_id = u.id)
		FROM scim_users u WHERE u.tenant = $1`, pgCrashTenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, name string
		var inDoc, emailRows int
		if err := rows.Scan(&id, &name, &inDoc, &emailRows); err != nil {
			t.Fatal(err)
		}
		n++
		if !c.tried[name] {
			t.Errorf("user %s (%q) was never written", id, name)
		}
		if inDoc != 2 || emailRows != 2 {
			t.Errorf("user %s (%q): %d emails in its document and %d email rows, want 2 and 2", id, name, inDoc, emailRows)
		}
		if _, ok := c.users[id]; !ok {
			// Its create committed but its answer was lost: it counts
			// from now on, so that later rounds check it too.
			u, err := s.GetUser(ctx, pgCrashTenant, id)
			if err != nil {
				t.Fatal(err)
			}
			c.users[id] = &ackedUser{user: ignoreGroups(u), pending: map[string]*scim.User{}}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	g, err := s.GetGroup(ctx, pgCrashTenant, c.group, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, m := range g.Members {
		have[m.Value] = true
	}
	for id := range c.members {
		if !have[id] {
			t.Errorf("acknowledged member %s is missing from the group", id)
		}
	}
	// Each add tried a new member and bumps the version once, in one
	// transaction: members and bumps that committed must match.
	v := metaVersion(t, g.Meta.Version)
	if v < c.groupV {
		t.Errorf("group version %d is below the acknowledged %d", v, c.groupV)
	}
	if int64(len(g.Members)) != v-c.groupV0 {
		t.Errorf("group holds %d members after %d version bumps: a member add landed in part", len(g.Members), v-c.groupV0)
	}
	for id := range have {
		c.members[id] = true
	}
	if n != len(c.users) {
		t.Errorf("%d users stored, %d known", n, len(c.users))
	}
	if t.Failed() {
		t.FailNow()
	}
}
