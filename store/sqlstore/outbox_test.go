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

// TestOutboxClaims checks the leases: only the first undelivered event of
// a resource is handed out, a lease keeps others away until it ends,
// settling deletes or hands back only the owner's events.
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
			for i := range 3 { // three more events of a
				if _, err := s.ReplaceUser(ctx, "acme", &scim.User{ID: users[0].ID, UserName: "a", Title: strings.Repeat("x", i+1)}, ""); err != nil {
					t.Fatal(err)
				}
			}
			claim := func(owner string, lease time.Duration) []scim.OutboxEvent {
				t.Helper()
				evs, err := s.ClaimEvents(ctx, owner, 10, lease)
				if err != nil {
					t.Fatal(err)
				}
				return evs
			}
			seqs := func(evs []scim.OutboxEvent) (out []int64) {
				for _, e := range evs {
					out = append(out, e.Seq)
				}
				return out
			}
			first := claim("one", time.Hour)
			if len(first) != 2 || first[0].Event.Kind != scim.UserCreated || first[1].Event.Kind != scim.UserCreated || first[0].Attempts != 1 {
				t.Fatalf("first claim: %+v; want the two creates, first attempt", first)
			}
			if got := claim("two", time.Hour); len(got) != 0 {
				t.Errorf("a second owner claimed %v while both heads are leased", seqs(got))
			}
			if err := s.SettleEvents(ctx, "two", seqs(first), nil); err != nil {
				t.Fatal(err)
			}
			if n := len(outboxEvents(t, s)); n != 5 {
				t.Errorf("another owner's settle deleted events: %d left, want 5", n)
			}
			// a's create delivered, b's handed back for an hour.
			if err := s.SettleEvents(ctx, "one", seqs(first[:1]), []scim.EventRetry{{Seq: first[1].Seq, After: time.Hour}}); err != nil {
				t.Fatal(err)
			}
			next := claim("two", time.Hour)
			if len(next) != 1 || next[0].Event.Kind != scim.UserUpdated || next[0].Event.ResourceID != users[0].ID {
				t.Fatalf("after settling: claimed %+v; want a's first update only", next)
			}
			// A lease that has ended goes to the next owner, attempts counted.
			if err := s.ExtendEvents(ctx, "two", seqs(next), 0); err != nil {
				t.Fatal(err)
			}
			again := claim("three", time.Hour)
			if d := cmp.Diff(seqs(next), seqs(again)); d != "" || again[0].Attempts != 2 {
				t.Errorf("after the lease ended: claimed %v (attempt %d); want %v, attempt 2", seqs(again), again[0].Attempts, seqs(next))
			}
			if err := s.SettleEvents(ctx, "three", nil, []scim.EventRetry{{Seq: again[0].Seq}}); err != nil {
				t.Fatal(err)
			}
			if got := claim("four", time.Hour); len(got) != 1 || got[0].Seq != again[0].Seq {
				t.Errorf("an event handed back with no delay: claimed %v, want [%d]", seqs(got), again[0].Seq)
			}
		})
	}
}
