// Package eventtest checks the event streams of a scim.Server over the
// bundled stores: a handler that records what it receives, a concurrent
// workload over HTTP, and a replay of the recorded events that each must
// continue its resource's stream. The tests of package scim (memory) and
// store/sqlstore (SQLite, PostgreSQL) share it.
package eventtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scimkit/scim"
)

// Recorder is an event handler that keeps every event it receives, in
// the order received.
type Recorder struct {
	mu      sync.Mutex
	events  []scim.Event
	changed chan struct{}
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{changed: make(chan struct{}, 1)} }

// Handle is the scim.EventHandler.
func (r *Recorder) Handle(_ context.Context, e scim.Event) error {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.changed <- struct{}{}:
	default:
	}
	return nil
}

// Events returns a copy of the events received so far.
func (r *Recorder) Events() []scim.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// WaitUntil waits until done holds for the events received, failing t
// when a minute passes first: delivery is asynchronous, and a minute is
// far beyond what any run needs.
func (r *Recorder) WaitUntil(t testing.TB, done func([]scim.Event) bool) {
	t.Helper()
	deadline := time.NewTimer(time.Minute)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond) // an event may land between the check and the wait
	defer poll.Stop()
	for !done(r.Events()) {
		select {
		case <-r.changed:
		case <-poll.C:
		case <-deadline.C:
			t.Fatalf("events still incomplete after a minute; %d received", len(r.Events()))
		}
	}
}

// Serve runs a Server with cfg (a discarding logger when it has none) on
// an httptest server, and closes both, the Server first waiting for its
// deliveries, when t ends.
func Serve(t testing.TB, cfg scim.Config) (*scim.Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := scim.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		if err := srv.Close(); err != nil {
			t.Error(err)
		}
	})
	return srv, hs.URL
}

// Resource is a resource as its events or the server describe it: its
// attributes by Change path, its members (groups), and whether it is
// deleted.
type Resource struct {
	Attrs   map[string]any
	Members map[string]bool
	Deleted bool
}

// State is resources by "Type/id".
type State map[string]*Resource

// Key returns the State key of an event's resource.
func Key(e scim.Event) string { return e.ResourceType + "/" + e.ResourceID }

// Replay applies the events in the order given and returns the state
// they describe, with a problem for each event that does not continue its
// resource's stream: its versions must not go back (bundled stores count
// versions in decimal), only one write's several events may share one,
// every Old must be the value before it, added members must be new and
// removed ones present, nothing but a create may come first and nothing
// may follow a delete.
func Replay(events []scim.Event) (State, []string) {
	st := State{}
	last := map[string]scim.Event{}
	var problems []string
	bad := func(e scim.Event, format string, args ...any) {
		problems = append(problems, fmt.Sprintf("%s %s v%s (request %s): %s", e.Kind, Key(e), e.Version, e.RequestID, fmt.Sprintf(format, args...)))
	}
	for _, e := range events {
		k := Key(e)
		r, seen := st[k]
		created := strings.HasSuffix(string(e.Kind), ".created") // a host's types too

		switch {
		case created && seen:
			bad(e, "created again")
			continue
		case !created && !seen:
			bad(e, "before the resource's created event")
			continue
		case seen && r.Deleted:
			bad(e, "after the resource's deleted event")
			continue
		case created:
			r = &Resource{Attrs: map[string]any{}, Members: map[string]bool{}}
			st[k] = r
		}
		if p, ok := last[k]; ok && e.Version != "" {
			// Versions the bundled stores make are decimal counters, and
			// so ordered; others (a host handler's ETags) are opaque and
			// only compared for equality.
			pv, perr := strconv.ParseInt(p.Version, 10, 64)
			v, err := strconv.ParseInt(e.Version, 10, 64)
			if perr != nil || err != nil {
				pv, v, err = 0, 1, nil
				if p.Version == e.Version {
					v = 0
				}
			}
			switch {
			case err != nil || v < pv:
				bad(e, "version after version %s", p.Version)
			case v == pv && (p.RequestID != e.RequestID || e.Kind != scim.MembersAdded && e.Kind != scim.MembersRemoved):
				bad(e, "shares version %s with %s", p.Version, p.Kind)
			}
		}
		last[k] = e
		for _, c := range e.Changes {
			if cur := r.Attrs[c.Attribute]; !reflect.DeepEqual(cur, c.Old) {
				bad(e, "%s: old value %v, but it was %v", c.Attribute, c.Old, cur)
			}
			if c.New == nil {
				delete(r.Attrs, c.Attribute)
			} else {
				r.Attrs[c.Attribute] = c.New
			}
		}
		switch e.Kind {
		case scim.MembersAdded:
			for _, m := range e.Members {
				if r.Members[m] {
					bad(e, "adds %s, a member already", m)
				}
				r.Members[m] = true
			}
		case scim.MembersRemoved:
			for _, m := range e.Members {
				if !r.Members[m] {
					bad(e, "removes %s, not a member", m)
				}
				delete(r.Members, m)
			}
		case scim.UserDeleted, scim.GroupDeleted:
			r.Deleted = true
		default:
			r.Deleted = r.Deleted || strings.HasSuffix(string(e.Kind), ".deleted")
		}
	}
	return st, problems
}

// Client sends SCIM requests with a bearer token, taking the servers in
// turn.
type Client struct {
	Bases []string // each server's base URL
	Token string
	mu    sync.Mutex
	next  int
}

// Do sends one request and returns the status and the decoded body. When
// base is "", the servers take turns.
func (c *Client) Do(t testing.TB, method, base, path string, body any) (int, map[string]any) {
	if base == "" {
		c.mu.Lock()
		base = c.Bases[c.next%len(c.Bases)]
		c.next++
		c.mu.Unlock()
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("User-Agent", "eventtest")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

const (
	userURN  = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN = "urn:ietf:params:scim:schemas:core:2.0:Group"
	patchURN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
)

// Patch returns a PATCH body with one operation; a nil value is left out.
func Patch(op, path string, value any) map[string]any {
	o := map[string]any{"op": op, "path": path}
	if value != nil {
		o["value"] = value
	}
	return map[string]any{"schemas": []string{patchURN}, "Operations": []any{o}}
}

// Deactivations creates n users and deactivates each, n clients at once:
// 2n writes, each of which must succeed.
func Deactivations(t testing.TB, c *Client, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			st, out := c.Do(t, "POST", "", "/Users", map[string]any{"userName": fmt.Sprint("user", i)})
			if st != http.StatusCreated {
				t.Errorf("POST: %d %v", st, out)
				return
			}
			if st, out := c.Do(t, "PATCH", "", "/Users/"+out["id"].(string), Patch("replace", "active", false)); st != http.StatusOK {
				t.Errorf("PATCH: %d %v", st, out)
			}
		})
	}
	wg.Wait()
}

// Workload writes to a few users and groups from 8 clients at once,
// through the servers in turn: titles, active flags, whole users, group
// names, member adds and removes. Then, one at a time, it deletes a user
// that is a member of both groups and one group. It returns the state it
// reads back at the end, deleted resources included.
func Workload(t testing.TB, c *Client) State {
	t.Helper()
	create := func(path string, body map[string]any) string {
		st, out := c.Do(t, "POST", "", path, body)
		id, _ := out["id"].(string)
		if st != http.StatusCreated || id == "" {
			t.Fatalf("POST %s: %d %v", path, st, out)
		}
		return id
	}
	var users, members, groups []string
	for i := range 4 {
		users = append(users, create("/Users", map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprint("writer-", i), "title": "t0", "active": true}))
	}
	for i := range 6 {
		members = append(members, create("/Users", map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprint("member-", i)}))
	}
	for i := range 2 {
		groups = append(groups, create("/Groups", map[string]any{"schemas": []string{groupURN}, "displayName": fmt.Sprint("group-", i),
			"members": []any{map[string]any{"value": members[5]}}}))
	}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for k := range 24 {
				ui := (w + k) % len(users)
				u, g, m := users[ui], groups[(w+k)%len(groups)], members[(w*7+k)%5]
				var method, path string
				var body any
				switch k % 6 {
				case 0:
					method, path, body = "PATCH", "/Users/"+u, Patch("replace", "title", fmt.Sprintf("w%d-%d", w, k))
				case 1:
					method, path, body = "PATCH", "/Users/"+u, Patch("replace", "active", k%4 == 1)
				case 2:
					method, path, body = "PUT", "/Users/"+u, map[string]any{"schemas": []string{userURN}, "userName": fmt.Sprint("writer-", ui),
						"title": fmt.Sprintf("put-%d-%d", w, k), "active": true, "name": map[string]any{"givenName": fmt.Sprint("G", w)}}
				case 3:
					method, path, body = "PATCH", "/Groups/"+g, Patch("add", "members", []any{map[string]any{"value": m}})
				case 4:
					method, path, body = "PATCH", "/Groups/"+g, Patch("remove", `members[value eq "`+m+`"]`, nil)
				case 5:
					method, path, body = "PATCH", "/Groups/"+g, Patch("replace", "displayName", fmt.Sprintf("g-%d-%d", w, k))
				}
				if st, out := c.Do(t, method, "", path, body); st != http.StatusOK && st != http.StatusNoContent {
					t.Errorf("%s %s: %d %v", method, path, st, out)
				}
			}
		})
	}
	wg.Wait()
	for _, rq := range []struct{ path string }{{"/Users/" + members[5]}, {"/Groups/" + groups[1]}} {
		if st, out := c.Do(t, "DELETE", "", rq.path, nil); st != http.StatusNoContent {
			t.Fatalf("DELETE %s: %d %v", rq.path, st, out)
		}
	}
	final := State{}
	read := func(typ, id string) {
		st, out := c.Do(t, "GET", "", "/"+typ+"s/"+id, nil)
		k := typ + "/" + id
		switch st {
		case http.StatusNotFound:
			final[k] = &Resource{Deleted: true}
		case http.StatusOK:
			r := &Resource{Attrs: map[string]any{}, Members: map[string]bool{}}
			for _, a := range []string{"userName", "title", "active", "displayName"} {
				if v, ok := out[a]; ok {
					r.Attrs[a] = v
				}
			}
			list, _ := out["members"].([]any)
			for _, m := range list {
				r.Members[m.(map[string]any)["value"].(string)] = true
			}
			final[k] = r
		default:
			t.Fatalf("GET %s: %d %v", k, st, out)
		}
	}
	for _, id := range append(slices.Clone(users), members...) {
		read("User", id)
	}
	for _, id := range groups {
		read("Group", id)
	}
	return final
}

// Matches reports whether the replayed state agrees with the state read
// back, on the attributes the workload writes and on members; deleted
// resources must be deleted in both.
func Matches(replayed, final State) bool {
	for k, want := range final {
		got, ok := replayed[k]
		if !ok || got.Deleted != want.Deleted {
			return false
		}
		if want.Deleted {
			continue
		}
		for a, v := range want.Attrs {
			if gv := got.Attrs[a]; !reflect.DeepEqual(gv, v) && !(a == "active" && gv == nil && v == true) {
				return false
			}
		}
		if !maps(got.Members, want.Members) {
			return false
		}
	}
	return true
}

func maps(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

// Check runs Workload through c with rec as every server's event handler
// and checks that the events, once all have arrived, replay to the state
// read back with no problem, and that no event arrived twice.
func Check(t *testing.T, c *Client, rec *Recorder) {
	t.Helper()
	final := Workload(t, c)
	rec.WaitUntil(t, func(evs []scim.Event) bool {
		st, _ := Replay(evs)
		return Matches(st, final)
	})
	evs := rec.Events()
	_, problems := Replay(evs)
	for _, p := range problems {
		t.Error(p)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.ID] {
			t.Errorf("event %s (%s %s) delivered twice", e.ID, e.Kind, Key(e))
		}
		seen[e.ID] = true
		if e.RequestID == "" || e.UserAgent != "eventtest" {
			t.Errorf("event %s: request id %q, user agent %q", e.ID, e.RequestID, e.UserAgent)
		}
	}
	t.Logf("%d events replayed", len(evs))
}
