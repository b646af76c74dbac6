package sqlstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// TestFleet runs two scim.Servers, each with its own store and pool, on
// one database (a PostgreSQL schema, or one SQLite file as two processes
// would share it), and splits concurrent requests between them: the
// database alone keeps them correct.
func TestFleet(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, d)
			var stores [2]*Store
			var bases [2]string
			for i := range stores {
				s, err := tg.open(t, nil)
				if err != nil {
					t.Fatal(err)
				}
				srv, err := scim.NewServer(scim.Config{Store: s, Auth: scim.StaticToken("acme", "tok"), Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				hs := httptest.NewServer(srv)
				t.Cleanup(hs.Close)
				stores[i], bases[i] = s, hs.URL
			}
			t.Run("MemberAdds", func(t *testing.T) { testFleetMemberAdds(t, stores, bases) })
			t.Run("DuplicateCreates", func(t *testing.T) { testFleetDuplicateCreates(t, stores, bases) })
			t.Run("ReplaceSameVersion", func(t *testing.T) { testFleetReplaceSameVersion(t, stores) })
		})
	}
}

// send makes one SCIM request and returns the status and decoded body.
func send(t *testing.T, method, url string, body any) (int, map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer tok")
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, url, err)
		return 0, nil
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// testFleetMemberAdds sends 100 single-member PATCHes to one group, half
// to each server, all at once: every add lands.
func testFleetMemberAdds(t *testing.T, stores [2]*Store, bases [2]string) {
	ctx := t.Context()
	const n = 100
	var want []string
	for i := range n {
		u, err := stores[i%2].CreateUser(ctx, "acme", &scim.User{UserName: fmt.Sprint("member", i)})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID)
	}
	g, err := stores[0].CreateGroup(ctx, "acme", &scim.Group{DisplayName: "Everyone"})
	if err != nil {
		t.Fatal(err)
	}
	statuses := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			statuses[i], _ = send(t, "PATCH", bases[i%2]+"/Groups/"+g.ID, addMembersBody(want[i]))
		})
	}
	close(start)
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusOK && st != http.StatusNoContent {
			t.Errorf("PATCH %d: status %d", i, st)
		}
	}
	for i, s := range stores {
		got, err := s.GetGroup(ctx, "acme", g.ID, scim.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(sortedCopy(want), memberValues(got.Members)); d != "" {
			t.Errorf("members seen by instance %d (-want +got):\n%s", i, d)
		}
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	slices.Sort(out)
	return out
}

// testFleetDuplicateCreates is the retried POST race across instances:
// one 201, and a 409 uniqueness for every other, never a 5xx.
func testFleetDuplicateCreates(t *testing.T, stores [2]*Store, bases [2]string) {
	const n = 50
	statuses := make([]int, n)
	scimTypes := make([]string, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			name := "race@example.com"
			if i%3 == 0 {
				name = strings.ToUpper(name)
			}
			var body map[string]any
			statuses[i], body = send(t, "POST", bases[i%2]+"/Users", map[string]any{"schemas": []string{userSchema}, "userName": name})
			scimTypes[i], _ = body["scimType"].(string)
		})
	}
	close(start)
	wg.Wait()
	created, conflicts := 0, 0
	for i, st := range statuses {
		switch {
		case st == http.StatusCreated:
			created++
		case st == http.StatusConflict && scimTypes[i] == "uniqueness":
			conflicts++
		default:
			t.Errorf("create %d: status %d, scimType %q", i, st, scimTypes[i])
		}
	}
	if created != 1 || conflicts != n-1 {
		t.Errorf("%d concurrent creates: %d created, %d conflicts; want 1 and %d", n, created, conflicts, n-1)
	}
	f := mustFilter(t, schema.User(), `userName eq "race@example.com"`)
	if p, err := stores[1].ListUsers(t.Context(), "acme", scim.Query{Filter: f, StartIndex: 1, Count: 10}); err != nil || p.TotalResults != 1 {
		t.Errorf("users named race@example.com: %v, %v", err, p)
	}
}

// testFleetReplaceSameVersion races two instances' ReplaceUser with one
// ifVersion, many times: exactly one wins each race.
func testFleetReplaceSameVersion(t *testing.T, stores [2]*Store) {
	ctx := t.Context()
	u, err := stores[0].CreateUser(ctx, "acme", &scim.User{UserName: "contested"})
	if err != nil {
		t.Fatal(err)
	}
	version := u.Meta.Version
	for round := range 20 {
		var errs [2]error
		var outs [2]*scim.User
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range stores {
			wg.Go(func() {
				<-start
				in := &scim.User{ID: u.ID, UserName: "contested", Title: fmt.Sprint("round ", round, " instance ", i)}
				outs[i], errs[i] = s.ReplaceUser(context.Background(), "acme", in, version)
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil:
				if won >= 0 {
					t.Fatalf("round %d: both instances won with version %s", round, version)
				}
				won = i
			case !errors.Is(err, scim.ErrVersionMismatch):
				t.Fatalf("round %d: instance %d: %v", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: neither instance won", round)
		}
		got, err := stores[1-won].GetUser(ctx, "acme", u.ID)
		if err != nil || got.Title != outs[won].Title {
			t.Fatalf("round %d: the loser's instance reads %v, %v; want the winner's title %q", round, got, err, outs[won].Title)
		}
		version = outs[won].Meta.Version
	}
}
