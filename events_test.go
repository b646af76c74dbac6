package scim

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

func TestCommittedWriteEvents(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	req := RequestInfo{ID: "req-1", UserAgent: "Azure AD"}
	meta := func(v string) map[string]any { return map[string]any{"version": v, "created": "x"} }
	base := func(kind EventKind, typ, id, version string) Event {
		return Event{Kind: kind, Tenant: "acme", ResourceType: typ, ResourceID: id, Version: version, Time: at,
			RequestID: "req-1", UserAgent: "Azure AD"}
	}
	with := func(e Event, changes ...Change) Event { e.Changes = changes; return e }
	members := func(e Event, ids ...string) Event { e.Members = ids; return e }
	ada := map[string]any{
		"id": "u1", "userName": "ada", "active": true, "name": map[string]any{"givenName": "Ada"},
		"emails": []any{map[string]any{"value": "ada@example.com", "type": "work"}},
		"groups": []any{map[string]any{"value": "g1"}}, "meta": meta("1"),
		"schemas": []any{"urn:ietf:params:scim:schemas:core:2.0:User"},
	}
	patched := func(changes map[string]any, drop ...string) map[string]any {
		out := deepCopyMap(ada)
		out["meta"] = meta("2")
		for k, v := range changes {
			out[k] = v
		}
		for _, k := range drop {
			delete(out, k)
		}
		return out
	}
	tests := []struct {
		name string
		w    CommittedWrite
		want []Event
	}{{
		name: "user created lists every attribute",
		w:    CommittedWrite{New: ada},
		want: []Event{with(base(UserCreated, "User", "u1", "1"),
			Change{"active", nil, true},
			Change{"emails", nil, []any{map[string]any{"value": "ada@example.com", "type": "work"}}},
			Change{"name.givenName", nil, "Ada"},
			Change{"userName", nil, "ada"})},
	}, {
		name: "deactivated with another change",
		w:    CommittedWrite{Old: ada, New: patched(map[string]any{"active": false, "title": "CEO"})},
		want: []Event{with(base(UserDeactivated, "User", "u1", "2"), Change{"active", true, false}, Change{"title", nil, "CEO"})},
	}, {
		name: "absent active counts as true",
		w:    CommittedWrite{Old: patched(nil, "active"), New: patched(map[string]any{"active": false})},
		want: []Event{with(base(UserDeactivated, "User", "u1", "2"), Change{"active", nil, false})},
	}, {
		name: "reactivated",
		w:    CommittedWrite{Old: patched(map[string]any{"active": false}), New: patched(map[string]any{"active": true})},
		want: []Event{with(base(UserReactivated, "User", "u1", "2"), Change{"active", false, true})},
	}, {
		name: "reactivated by removing active",
		w:    CommittedWrite{Old: patched(map[string]any{"active": false}), New: patched(nil, "active")},
		want: []Event{with(base(UserReactivated, "User", "u1", "2"), Change{"active", false, nil})},
	}, {
		name: "only meta, schemas and groups differ: no event",
		w: CommittedWrite{Old: ada, New: patched(map[string]any{"groups": []any{}, "schemas": []any{"x"}}),
			MembersAdded: []string{"ignored for users"}},
	}, {
		name: "sub-attributes and whole multi-valued attributes",
		w: CommittedWrite{Old: ada, New: patched(map[string]any{
			"name":   map[string]any{"givenName": "Augusta", "familyName": "King"},
			"emails": []any{map[string]any{"value": "ada@example.org", "type": "work"}},
		})},
		want: []Event{with(base(UserUpdated, "User", "u1", "2"),
			Change{"emails", []any{map[string]any{"value": "ada@example.com", "type": "work"}}, []any{map[string]any{"value": "ada@example.org", "type": "work"}}},
			Change{"name.familyName", nil, "King"},
			Change{"name.givenName", "Ada", "Augusta"})},
	}, {
		name: "an empty list or object is absent",
		w:    CommittedWrite{Old: patched(map[string]any{"phoneNumbers": []any{}}), New: patched(map[string]any{"addresses": nil, "name": map[string]any{"givenName": "Ada"}, "x509Certificates": map[string]any{}})},
	}, {
		name: "extension attributes by URN, complex ones by sub-attribute, numbers as json.Number",
		w: CommittedWrite{
			Old: patched(map[string]any{enterpriseURN: map[string]any{"department": "R&D", "manager": map[string]any{"value": "m1"}},
				"urn:example:2.0:User": map[string]any{"badge": json.Number("7")}}),
			New: patched(map[string]any{enterpriseURN: map[string]any{"department": "Sales", "manager": map[string]any{"value": "m2", "displayName": "Bo"}},
				"urn:example:2.0:User": map[string]any{"badge": json.Number("8"), "password": "x"}}),
		},
		want: []Event{with(base(UserUpdated, "User", "u1", "2"),
			Change{"urn:example:2.0:User:badge", json.Number("7"), json.Number("8")},
			Change{enterpriseURN + ":department", "R&D", "Sales"},
			Change{enterpriseURN + ":manager.displayName", nil, "Bo"},
			Change{enterpriseURN + ":manager.value", "m1", "m2"})},
	}, {
		name: "an extension removed",
		w:    CommittedWrite{Old: patched(map[string]any{enterpriseURN: map[string]any{"department": "R&D"}}), New: patched(nil)},
		want: []Event{with(base(UserUpdated, "User", "u1", "2"), Change{enterpriseURN + ":department", "R&D", nil})},
	}, {
		name: "a password never appears",
		w:    CommittedWrite{Old: ada, New: patched(map[string]any{"password": "hunter2", "Password": "x", "name": map[string]any{"givenName": "Ada", "password": "y"}})},
	}, {
		name: "user deleted lists the old values",
		w:    CommittedWrite{Old: map[string]any{"id": "u1", "userName": "ada", "meta": meta("3")}},
		want: []Event{with(base(UserDeleted, "User", "u1", ""), Change{"userName", "ada", nil})},
	}, {
		name: "group write: attributes, then members added and removed, sorted",
		w: CommittedWrite{ResourceType: "Group",
			Old:          map[string]any{"id": "g1", "displayName": "Eng", "members": []any{map[string]any{"value": "a"}}, "meta": meta("4")},
			New:          map[string]any{"id": "g1", "displayName": "Engineering", "members": []any{}, "meta": meta("5")},
			MembersAdded: []string{"c", "b"}, MembersRemoved: []string{"a"}},
		want: []Event{
			with(base(GroupUpdated, "Group", "g1", "5"), Change{"displayName", "Eng", "Engineering"}),
			members(base(MembersAdded, "Group", "g1", "5"), "b", "c"),
			members(base(MembersRemoved, "Group", "g1", "5"), "a"),
		},
	}, {
		name: "group members only",
		w: CommittedWrite{ResourceType: "Group", Old: map[string]any{"id": "g1", "displayName": "Eng"},
			New: map[string]any{"id": "g1", "displayName": "Eng", "meta": meta("6")}, MembersRemoved: []string{"u1"}},
		want: []Event{members(base(MembersRemoved, "Group", "g1", "6"), "u1")},
	}, {
		name: "group created with members",
		w:    CommittedWrite{ResourceType: "Group", New: map[string]any{"id": "g2", "displayName": "Ops", "meta": meta("1")}, MembersAdded: []string{"u1"}},
		want: []Event{with(base(GroupCreated, "Group", "g2", "1"), Change{"displayName", nil, "Ops"}), members(base(MembersAdded, "Group", "g2", "1"), "u1")},
	}, {
		name: "group deleted: no member events",
		w:    CommittedWrite{ResourceType: "Group", Old: map[string]any{"id": "g2", "displayName": "Ops"}, MembersRemoved: []string{"u1"}},
		want: []Event{with(base(GroupDeleted, "Group", "g2", ""), Change{"displayName", "Ops", nil})},
	}, {
		name: "a host's resource type",
		w:    CommittedWrite{ResourceType: "Device", Old: map[string]any{"id": "d1", "serial": "1"}, New: map[string]any{"id": "d1", "serial": "2"}},
		want: []Event{with(base("device.updated", "Device", "d1", ""), Change{"serial", "1", "2"})},
	}, {
		name: "neither old nor new",
		w:    CommittedWrite{ResourceType: "Group"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := tt.w
			w.Tenant, w.Time, w.Request = "acme", at, req
			if w.ResourceType == "" {
				w.ResourceType = "User"
			}
			got := w.Events()
			ids := map[string]bool{}
			for _, e := range got {
				if len(e.ID) != 32 || ids[e.ID] {
					t.Errorf("event id %q: want 32 hex digits, unique", e.ID)
				}
				ids[e.ID] = true
			}
			if d := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Event{}, "ID"), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("events (-want +got):\n%s", d)
			}
		})
	}
}

// TestEventChangesAreCopies: the documents an event was built from go on
// to be decorated and encoded while the event is delivered.
func TestEventChangesAreCopies(t *testing.T) {
	emails := []any{map[string]any{"value": "a@example.com"}}
	doc := map[string]any{"id": "u1", "userName": "a", "emails": emails}
	evs := CommittedWrite{Tenant: "t", ResourceType: "User", New: doc}.Events()
	emails[0].(map[string]any)["value"] = "changed"
	want := []any{map[string]any{"value": "a@example.com"}}
	if d := cmp.Diff(want, evs[0].Changes[0].New); d != "" {
		t.Errorf("the change shares the document's values (-want +got):\n%s", d)
	}
}

// TestEventJSON pins the JSON form the example server prints and the SQL
// outbox stores.
func TestEventJSON(t *testing.T) {
	e := Event{ID: "e1", Kind: UserDeactivated, Tenant: "acme", ResourceType: "User", ResourceID: "u1", Version: "2",
		Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC), Changes: []Change{{"active", true, false}, {"title", nil, "CEO"}},
		RequestID: "r1", UserAgent: "Okta"}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"e1","kind":"user.deactivated","tenant":"acme","resourceType":"User","resourceId":"u1","version":"2",` +
		`"time":"2026-03-01T12:00:00.000000005Z","changes":[{"attribute":"active","old":true,"new":false},{"attribute":"title","new":"CEO"}],` +
		`"requestId":"r1","userAgent":"Okta"}`
	if string(b) != want {
		t.Errorf("JSON:\n got %s\nwant %s", b, want)
	}
}
