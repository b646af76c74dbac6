package sqlstore

import (
	"encoding/json"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

func ch(attr string, old, new any) scim.Change {
	return scim.Change{Attribute: attr, Old: old, New: new}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// outboxEvents returns the events in the outbox in seq order.
func outboxEvents(t *testing.T, s *Store) []scim.Event {
	t.Helper()
	rows, err := s.db.Query("SELECT event FROM scim_events ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []scim.Event
	for rows.Next() {
		var raw string
		if err := rows.Scan(&raw); err != nil {
			t.Fatal(err)
		}
		d := json.NewDecoder(strings.NewReader(raw))
		d.UseNumber()
		var e scim.Event
		if err := d.Decode(&e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func clearOutbox(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.db.Exec("DELETE FROM scim_events"); err != nil {
		t.Fatal(err)
	}
}

// brief is what TestOutboxWrites compares of an event.
type brief struct {
	Kind     scim.EventKind
	Resource string
	Version  string
	Changes  []scim.Change
	Members  []string
	Request  string
}

func briefs(evs []scim.Event, names map[string]string) []brief {
	out := make([]brief, len(evs))
	for i, e := range evs {
		out[i] = brief{e.Kind, names[e.ResourceID], e.Version, e.Changes, e.Members, e.RequestID}
		for j, m := range e.Members {
			out[i].Members[j] = names[m]
		}
		slices.Sort(out[i].Members) // by name; events sort them by id
	}
	return out
}

// TestOutboxWrites checks the events every write records, with their old
// and new values and the members that really changed, and that nothing
// is recorded before RecordEvents.
func TestOutboxWrites(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			ctx := scim.WithRequestInfo(t.Context(), scim.RequestInfo{ID: "req", UserAgent: "test"})
			names := map[string]string{}
			user := func(name string) *scim.User {
				u, err := s.CreateUser(ctx, "acme", &scim.User{UserName: name, Active: ptr(true)})
				if err != nil {
					t.Fatal(err)
				}
				names[u.ID] = name
				return u
			}
			ada, bob, cy := user("ada"), user("bob"), user("cy")
			if n := len(outboxEvents(t, s)); n != 0 {
				t.Fatalf("%d events recorded before RecordEvents", n)
			}
			var notified atomic.Int64
			s.RecordEvents(func() { notified.Add(1) })
			check := func(step string, want ...brief) {
				t.Helper()
				if d := cmp.Diff(want, briefs(outboxEvents(t, s), names), cmpopts.EquateEmpty()); d != "" {
					t.Errorf("%s: events (-want +got):\n%s", step, d)
				}
				clearOutbox(t, s)
			}
			// Users.
			dee := user("dee")
			check("create", brief{scim.UserCreated, "dee", "1", []scim.Change{ch("active", nil, true), ch("userName", nil, "dee")}, nil, "req"})
			in := &scim.User{ID: ada.ID, UserName: "ada", Active: ptr(false), Name: &scim.Name{GivenName: "Ada"}}
			if _, err := s.ReplaceUser(ctx, "acme", in, "1"); err != nil {
				t.Fatal(err)
			}
			check("replace", brief{scim.UserDeactivated, "ada", "2", []scim.Change{ch("active", true, false), ch("name.givenName", nil, "Ada")}, nil, "req"})
			if _, err := s.ReplaceUser(ctx, "acme", in, ""); err != nil {
				t.Fatal(err)
			}
			check("replace with nothing changed")
			if _, err := s.ReplaceUser(ctx, "acme", in, "2"); err != scim.ErrVersionMismatch {
				t.Fatalf("replace with a stale version: %v", err)
			}
			check("failed replace")
			// Groups.
			g, err := s.CreateGroup(ctx, "acme", &scim.Group{DisplayName: "Eng", Members: []scim.Member{{Value: ada.ID}, {Value: bob.ID}, {Value: ada.ID}}})
			if err != nil {
				t.Fatal(err)
			}
			names[g.ID] = "Eng"
			check("create group",
				brief{scim.GroupCreated, "Eng", "1", []scim.Change{ch("displayName", nil, "Eng")}, nil, "req"},
				brief{scim.MembersAdded, "Eng", "1", nil, []string{"ada", "bob"}, "req"})
			member := func(id string) []scim.Member { return []scim.Member{{Value: id}} }
			// add cy (new) and bob (there), remove dee (absent) and ada
			// (there), add ada back, remove cy again: net, bob stays, ada
			// stays, cy never lands: nothing changed but the name.
			_, err = s.PatchGroup(ctx, "acme", g.ID, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "Engineering"}, MemberOps: []scim.MemberOp{
				{Kind: scim.AddMembers, Members: []scim.Member{{Value: cy.ID}, {Value: bob.ID}}},
				{Kind: scim.RemoveMembers, Members: []scim.Member{{Value: dee.ID}, {Value: ada.ID}}},
				{Kind: scim.AddMembers, Members: member(ada.ID)},
				{Kind: scim.RemoveMembers, Members: member(cy.ID)},
			}}, "")
			if err != nil {
				t.Fatal(err)
			}
			check("patch group", brief{scim.GroupUpdated, "Eng", "2", []scim.Change{ch("displayName", "Eng", "Engineering")}, nil, "req"})
			f, err := filter.ResolveWithin(must(filter.Parse(`value eq "`+bob.ID+`"`)), schema.CoreGroup().Attr("members"))
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.PatchGroup(ctx, "acme", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.AddMembers, Members: member(cy.ID)},
				{Kind: scim.RemoveMatchingMembers, Filter: f},
			}}, "")
			if err != nil {
				t.Fatal(err)
			}
			check("patch members",
				brief{scim.MembersAdded, "Eng", "3", nil, []string{"cy"}, "req"},
				brief{scim.MembersRemoved, "Eng", "3", nil, []string{"bob"}, "req"})
			_, err = s.PatchGroup(ctx, "acme", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{
				{Kind: scim.ReplaceMembers, Members: []scim.Member{{Value: cy.ID}, {Value: dee.ID}}},
			}}, "")
			if err != nil {
				t.Fatal(err)
			}
			check("patch replacing members",
				brief{scim.MembersAdded, "Eng", "4", nil, []string{"dee"}, "req"},
				brief{scim.MembersRemoved, "Eng", "4", nil, []string{"ada"}, "req"})
			if _, err := s.ReplaceGroup(ctx, "acme", &scim.Group{ID: g.ID, DisplayName: "Eng", ExternalID: "x", Members: member(dee.ID)}, "4"); err != nil {
				t.Fatal(err)
			}
			check("replace group",
				brief{scim.GroupUpdated, "Eng", "5", []scim.Change{ch("displayName", "Engineering", "Eng"), ch("externalId", nil, "x")}, nil, "req"},
				brief{scim.MembersRemoved, "Eng", "5", nil, []string{"cy"}, "req"})
			g2, err := s.CreateGroup(ctx, "acme", &scim.Group{DisplayName: "Ops", Members: member(dee.ID)})
			if err != nil {
				t.Fatal(err)
			}
			names[g2.ID] = "Ops"
			clearOutbox(t, s)
			if err := s.DeleteUser(ctx, "acme", dee.ID, ""); err != nil {
				t.Fatal(err)
			}
			evs := briefs(outboxEvents(t, s), names)
			slices.SortFunc(evs[1:], func(a, b brief) int { return strings.Compare(a.Resource, b.Resource) })
			clearOutbox(t, s)
			if d := cmp.Diff([]brief{
				{scim.UserDeleted, "dee", "", []scim.Change{ch("active", true, nil), ch("userName", "dee", nil)}, nil, "req"},
				{scim.MembersRemoved, "Eng", "6", nil, []string{"dee"}, "req"},
				{scim.MembersRemoved, "Ops", "2", nil, []string{"dee"}, "req"},
			}, evs); d != "" {
				t.Errorf("delete user: events (-want +got):\n%s", d)
			}
			if err := s.DeleteGroup(ctx, "acme", g.ID, ""); err != nil {
				t.Fatal(err)
			}
			check("delete group", brief{scim.GroupDeleted, "Eng", "", []scim.Change{ch("displayName", "Eng", nil), ch("externalId", "x", nil)}, nil, "req"})
			if n := notified.Load(); n != 11 {
				t.Errorf("notified %d times, want once per write that recorded events (11)", n)
			}
		})
	}
}

// TestOutboxClaims checks the leases: a claim hands out the first
// undelivered event of each resource nobody holds, with the events right
// after it, in commit order and at most max; a lease keeps others away
// until it ends; settling deletes or hands back only the owner's events;
// an event handed back with a delay holds back its resource's later ones.
func TestOutboxClaims(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			ctx := t.Context()
			s.RecordEvents(func() {})
			var users []*scim.User
			for _, name := range []string{"a", "b"} {
				u, err := s.CreateUser(ctx, "acme", &scim.User{UserName: name})
				if err != nil {
					t.Fatal(err)
				}
				users = append(users, u)
			}
			for i := range 3 { // three more events of a: seq 1 a, 2 b, 3 4 5 a
				if _, err := s.ReplaceUser(ctx, "acme", &scim.User{ID: users[0].ID, UserName: "a", Title: strings.Repeat("x", i+1)}, ""); err != nil {
					t.Fatal(err)
				}
			}
			type claimed struct {
				Seq      int64
				Attempts int
				Version  string
			}
			claim := func(owner string, max int, lease time.Duration) []claimed {
				t.Helper()
				evs, err := s.ClaimEvents(ctx, owner, max, lease)
				if err != nil {
					t.Fatal(err)
				}
				var out []claimed
				for _, e := range evs {
					out = append(out, claimed{e.Seq, e.Attempts, e.Event.Version})
				}
				return out
			}
			steps := []struct {
				name  string
				do    func() error
				owner string
				max   int
				want  []claimed
			}{
				{"at most max, in commit order", nil, "one", 3, []claimed{{1, 1, "1"}, {2, 1, "1"}, {3, 1, "2"}}},
				{"the heads are leased, the rest follows them", nil, "two", 10, nil},
				{"another owner settles nothing", func() error { return s.SettleEvents(ctx, "two", []int64{1, 2, 3}, nil) }, "two", 10, nil},
				{"a's first two delivered, b's handed back for an hour",
					func() error {
						return s.SettleEvents(ctx, "one", []int64{1, 3}, []scim.EventRetry{{Seq: 2, After: time.Hour}})
					}, "two", 10, []claimed{{4, 1, "3"}, {5, 1, "4"}}},
				{"a lease that ended goes to the next owner",
					func() error { return s.ExtendEvents(ctx, "two", []int64{4, 5}, 0) }, "three", 10, []claimed{{4, 2, "3"}, {5, 2, "4"}}},
				{"handed back at once",
					func() error {
						return s.SettleEvents(ctx, "three", nil, []scim.EventRetry{{Seq: 4}, {Seq: 5}})
					}, "four", 10, []claimed{{4, 3, "3"}, {5, 3, "4"}}},
				{"a head waiting for its retry holds back what follows",
					func() error {
						return s.SettleEvents(ctx, "four", nil, []scim.EventRetry{{Seq: 4, After: time.Hour}, {Seq: 5}})
					}, "five", 10, nil},
			}
			for _, st := range steps {
				if st.do != nil {
					if err := st.do(); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				if d := cmp.Diff(st.want, claim(st.owner, st.max, time.Hour)); d != "" {
					t.Errorf("%s: claimed (-want +got):\n%s", st.name, d)
				}
			}
			if n := len(outboxEvents(t, s)); n != 3 {
				t.Errorf("%d events left, want 3 (b's create, a's last two)", n)
			}
		})
	}
}
