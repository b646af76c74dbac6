package sqlstore

import (
	"errors"
	"testing"

	"github.com/scimkit/scim"
)

// TestIndexAttributesRebuilds: indexing an attribute of a store that
// already holds users fills its keys from them, so that lookups find the
// users stored before; duplicates of a newly unique attribute refuse the
// list and change nothing.
func TestIndexAttributesRebuilds(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			ctx := t.Context()
			for i, id := range []string{"E-1", "E-2", "e-2"} {
				u := &scim.User{UserName: "u" + string(rune('a'+i)), Extensions: scim.Extensions{planExt: {"employeeId": id, "badge": id}}}
				if _, err := s.CreateUser(ctx, "t", u); err != nil {
					t.Fatal(err)
				}
			}
			lookup := func(f string) int {
				t.Helper()
				p, err := s.ListUsers(ctx, "t", scim.Query{Filter: mustFilter(t, planUserType(), f), StartIndex: 1, Count: 10})
				if err != nil {
					t.Fatal(err)
				}
				return p.TotalResults
			}
			employeeID := scim.IndexedAttribute{ResourceType: "User", Schema: planExt, Name: "employeeId"}
			if err := s.IndexAttributes([]scim.IndexedAttribute{employeeID}); err != nil {
				t.Fatal(err)
			}
			if n := lookup(planExt + `:employeeId eq "e-1"`); n != 1 {
				t.Errorf("lookup after indexing found %d users, want 1", n)
			}
			// employeeId unique case-insensitively: E-2 and e-2 collide.
			unique := employeeID
			unique.Unique = true
			err := s.IndexAttributes([]scim.IndexedAttribute{unique})
			if !errors.Is(err, scim.ErrConflict) {
				t.Fatalf("IndexAttributes over duplicates: %v, want a conflict", err)
			}
			if n := lookup(planExt + `:employeeId eq "E-2"`); n != 2 {
				t.Errorf("after the refused list, lookup found %d users, want 2", n)
			}
			// badge unique case-exactly: no collision.
			badge := scim.IndexedAttribute{ResourceType: "User", Schema: planExt, Name: "badge", Unique: true, CaseExact: true}
			if err := s.IndexAttributes([]scim.IndexedAttribute{employeeID, badge}); err != nil {
				t.Fatalf("IndexAttributes: %v", err)
			}
			_, err = s.CreateUser(ctx, "t", &scim.User{UserName: "ud", Extensions: scim.Extensions{planExt: {"badge": "E-1"}}})
			if !errors.Is(err, scim.ErrConflict) {
				t.Errorf("CreateUser with a taken badge: %v, want ErrConflict", err)
			}
			if _, err := s.CreateUser(ctx, "t", &scim.User{UserName: "ue", Extensions: scim.Extensions{planExt: {"badge": "e-1"}}}); err != nil {
				t.Errorf("CreateUser with a badge differing in case: %v", err)
			}
		})
	}
}
