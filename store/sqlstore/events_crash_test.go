package sqlstore

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventtest"
)

// The crash test runs this test binary as a child process (the test
// TestEventsCrashChild, told what to do by these variables) and kills it
// with SIGKILL.
const (
	childModeEnv    = "SCIMKIT_EVENTS_CHILD"   // "write" or "deliver"
	childDBEnv      = "SCIMKIT_EVENTS_DB"      // SQLite path or PostgreSQL DSN
	childDialectEnv = "SCIMKIT_EVENTS_DIALECT" // "sqlite" or "postgres"
)

// expectation is a write a child acknowledged, and the event it must
// cause: of this kind on this resource, at this version and naming this
// member when they are set.
type expectation struct {
	Kind     scim.EventKind `json:"kind"`
	Resource string         `json:"resource"`
	Version  string         `json:"version,omitempty"`
	Member   string         `json:"member,omitempty"`
}

func (x expectation) matches(e scim.Event) bool {
	return e.Kind == x.Kind && e.ResourceID == x.Resource && (x.Version == "" || e.Version == x.Version) &&
		(x.Member == "" || slices.Contains(e.Members, x.Member))
}

// TestEventsCrash kills a server with SIGKILL while the events of the
// writes it acknowledged are committed but undelivered: its handler
// delivers a few, then never returns again, and it dies in the middle of
// concurrent writes. A new server on the same database must then deliver
// every acknowledged write's event, the ones the dead server held leases
// on included, none of them twice, in order per resource.
func TestEventsCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs and kills child processes")
	}
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			db := sqlitePath(t)
			if d == Postgres {
				db = pgSchemaDSN(t)
			}
			var expect []expectation
			var events []scim.Event
			// Phase 1: write, deliver 20 events, get stuck, get killed.
			child := startChild(t, "write", d, db)
			stopAfter := 40 + rand.IntN(80)
			for line := range child.lines {
				switch {
				case strings.HasPrefix(line, "ACK "):
					var x expectation
					if err := json.Unmarshal([]byte(line[4:]), &x); err != nil {
						t.Fatal(err)
					}
					expect = append(expect, x)
				case strings.HasPrefix(line, "EVENT "):
					events = append(events, decodeEvent(t, line[6:]))
				}
				if len(expect) == stopAfter || line == "DONE" {
					child.kill()
				}
			}
			phase1 := len(events)
			t.Logf("killed the writer after %d acknowledged writes, %d events delivered", len(expect), phase1)
			// Phase 2: a new server delivers the rest.
			child = startChild(t, "deliver", d, db)
			timeout := time.AfterFunc(time.Minute, child.kill)
			defer timeout.Stop()
			for line := range child.lines {
				if strings.HasPrefix(line, "EVENT ") {
					events = append(events, decodeEvent(t, line[6:]))
				}
				if missing(expect, events) == 0 {
					child.kill()
				}
			}
			if n := missing(expect, events); n > 0 {
				t.Fatalf("%d of %d acknowledged writes have no event after a minute", n, len(expect))
			}
			again := map[string]bool{}
			var once []scim.Event // each event at its first delivery
			for i, e := range events {
				if again[e.ID] {
					if i >= phase1 && slices.ContainsFunc(events[phase1:i], func(p scim.Event) bool { return p.ID == e.ID }) {
						t.Errorf("event %s (%s %s) delivered twice after the restart", e.ID, e.Kind, e.ResourceID)
					}
					continue
				}
				again[e.ID] = true
				once = append(once, e)
			}
			_, problems := eventtest.Replay(once)
			for _, p := range problems {
				t.Error(p)
			}
			t.Logf("%d events delivered (%d before the kill), %d distinct", len(events), phase1, len(once))
		})
	}
}

// missing counts the expectations no event meets.
func missing(expect []expectation, events []scim.Event) int {
	n := 0
	for _, x := range expect {
		if !slices.ContainsFunc(events, x.matches) {
			n++
		}
	}
	return n
}

func decodeEvent(t *testing.T, s string) scim.Event {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var e scim.Event
	if err := d.Decode(&e); err != nil {
		t.Fatalf("child printed %q: %v", s, err)
	}
	return e
}

// child is a running child process and the lines it prints, until it
// ends.
type child struct {
	cmd   *exec.Cmd
	lines chan string
	once  sync.Once
}

func startChild(t *testing.T, mode string, d Dialect, db string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestEventsCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childModeEnv+"="+mode, childDBEnv+"="+db, childDialectEnv+"="+d.String())
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 1024)}
	go func() {
		defer close(c.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		cmd.Wait()
		if log := stderr.String(); strings.Contains(log, "DATA RACE") || strings.Contains(log, "panic:") {
			t.Errorf("the %s child failed:\n%s", mode, log)
		}
	}()
	t.Cleanup(c.kill)
	return c
}

func (c *child) kill() {
	c.once.Do(func() { c.cmd.Process.Signal(syscall.SIGKILL) })
}

// TestEventsCrashChild is the child process of TestEventsCrash; it does
// nothing in a normal test run.
func TestEventsCrashChild(t *testing.T) {
	mode := os.Getenv(childModeEnv)
	if mode == "" {
		t.Skip("the child process of TestEventsCrash")
	}
	s := openChildStore(t)
	var mu sync.Mutex
	delivered := 0
	stuck := make(chan struct{})
	emit := func(prefix string, v any) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		mu.Lock()
		defer mu.Unlock()
		fmt.Println(prefix + " " + string(b))
	}
	srv, err := scim.NewServer(scim.Config{
		Store: s, Auth: scim.StaticToken("acme", "tok"), Logger: slog.New(slog.DiscardHandler),
		EventLease: 2 * time.Second, // a killed child's claims are free again 2 s after its death
		Events: func(ctx context.Context, e scim.Event) error {
			mu.Lock()
			delivered++
			n := delivered
			mu.Unlock()
			if mode == "write" && n > 20 {
				<-stuck // never: the writer dies with its leases
			}
			emit("EVENT", e)
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if mode == "deliver" {
		<-stuck // deliver until killed
	}
	hs := httptest.NewServer(srv)
	c := &eventtest.Client{Bases: []string{hs.URL}, Token: "tok"}
	writeForCrash(t, c, func(x expectation) { emit("ACK", x) })
	fmt.Println("DONE")
	<-stuck // until killed
}

func openChildStore(t *testing.T) *Store {
	db := os.Getenv(childDBEnv)
	if os.Getenv(childDialectEnv) == Postgres.String() {
		pool, err := sql.Open("pgx", db)
		if err != nil {
			t.Fatal(err)
		}
		pool.SetMaxOpenConns(8)
		pool.SetMaxIdleConns(8)
		s, err := Open(t.Context(), pool, Postgres)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := OpenSQLite(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeForCrash writes from 4 clients at once, reporting each write
// acknowledged with the event it must cause: user creates, title changes,
// member adds to one group, deletes of users that were in no group.
func writeForCrash(t *testing.T, c *eventtest.Client, ack func(expectation)) {
	st, g := c.Do(t, "POST", "", "/Groups", map[string]any{"displayName": "everyone"})
	if st != http.StatusCreated {
		t.Fatalf("creating the group: %d %v", st, g)
	}
	gid := g["id"].(string)
	ack(expectation{Kind: scim.GroupCreated, Resource: gid, Version: "1"})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range 25 {
				st, u := c.Do(t, "POST", "", "/Users", map[string]any{"userName": fmt.Sprintf("u-%d-%d", w, k)})
				if st != http.StatusCreated {
					t.Errorf("POST: %d %v", st, u)
					return
				}
				id := u["id"].(string)
				ack(expectation{Kind: scim.UserCreated, Resource: id, Version: "1"})
				switch k % 3 {
				case 0:
					st, u = c.Do(t, "PATCH", "", "/Users/"+id, eventtest.Patch("replace", "title", fmt.Sprint("t", k)))
					if st == http.StatusOK {
						// meta.version is the entity-tag W/"<version>".
						tag := u["meta"].(map[string]any)["version"].(string)
						ack(expectation{Kind: scim.UserUpdated, Resource: id, Version: strings.TrimSuffix(strings.TrimPrefix(tag, `W/"`), `"`)})
					}
				case 1:
					st, _ = c.Do(t, "PATCH", "", "/Groups/"+gid, eventtest.Patch("add", "members", []any{map[string]any{"value": id}}))
					if st == http.StatusNoContent {
						ack(expectation{Kind: scim.MembersAdded, Resource: gid, Member: id})
					}
				case 2:
					if st, _ = c.Do(t, "DELETE", "", "/Users/"+id, nil); st == http.StatusNoContent {
						ack(expectation{Kind: scim.UserDeleted, Resource: id})
					}
				}
			}
		})
	}
	wg.Wait()
}
