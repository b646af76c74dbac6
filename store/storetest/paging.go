package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

var pagingTests = []subtest{
	{"Users", testPagingUsers},
	{"Groups", testPagingGroups},
	{"KeysetChurn", testKeysetChurn},
}

func testPagingUsers(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "page", 23)
	createUsers(t, s, tenantB, "page", 4)

	full := listUsers(t, s, tenantA, all())
	order := ids(full.Resources, userID)
	if d := cmp.Diff(userIDs(us...), sortedIDs(full.Resources, userID)); d != "" || full.TotalResults != 23 {
		t.Fatalf("ListUsers: TotalResults %d, ids (-want +got):\n%s", full.TotalResults, d)
	}
	if again := ids(listUsers(t, s, tenantA, all()).Resources, userID); !slices.Equal(order, again) {
		t.Errorf("two identical ListUsers calls returned different orders")
	}

	list := func(q scim.Query) ([]string, int, *scim.Position) {
		p := listUsers(t, s, tenantA, q)
		return ids(p.Resources, userID), p.TotalResults, p.Last
	}
	checkPages(t, "users", order, nil, list)
	checkWindows(t, "users", order, nil, list)

	// Paging through a filtered list: page1, page10 ... page19.
	f := parse(t, userType(), `userName sw "PAGE1"`)
	var want []string
	for _, id := range order {
		if u := getUser(t, s, tenantA, id); strings.HasPrefix(u.UserName, "page1") {
			want = append(want, id)
		}
	}
	if len(want) != 11 {
		t.Fatalf("fixture: %d users named page1*, want 11", len(want))
	}
	checkPages(t, "filtered users", want, f, list)

	// Deleting from the middle keeps the order of the rest.
	for _, i := range []int{0, 7, 8, 22} {
		if err := s.DeleteUser(t.Context(), tenantA, order[i], ""); err != nil {
			t.Fatalf("DeleteUser: %v", err)
		}
	}
	rest := slices.Clone(order)
	rest = slices.Delete(rest, 22, 23)
	rest = slices.Delete(rest, 7, 9)
	rest = slices.Delete(rest, 0, 1)
	checkPages(t, "users after deletes", rest, nil, list)
}

func testPagingGroups(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("member"))
	for i := range 7 {
		createGroup(t, s, tenantA, fmt.Sprintf("group%d", i), u)
	}
	createGroup(t, s, tenantB, "other")
	full := listGroups(t, s, tenantA, all())
	if full.TotalResults != 7 || len(full.Resources) != 7 {
		t.Fatalf("ListGroups: TotalResults %d, %d resources, want 7", full.TotalResults, len(full.Resources))
	}
	order := ids(full.Resources, groupID)
	list := func(q scim.Query) ([]string, int, *scim.Position) {
		p := listGroups(t, s, tenantA, q)
		for _, g := range p.Resources {
			if len(g.Members) != 1 {
				t.Errorf("ListGroups page: group %q has %d members, want 1", g.DisplayName, len(g.Members))
			}
		}
		return ids(p.Resources, groupID), p.TotalResults, p.Last
	}
	checkPages(t, "groups", order, nil, list)
	checkWindows(t, "groups", order, nil, list)
}

// checkPages walks want in pages of several sizes and checks that the pages
// are complete, do not overlap, keep the order and report the total.
func checkPages(t *testing.T, what string, want []string, f filter.Expr, list lister) {
	t.Helper()
	for _, size := range []int{1, 4, 5, len(want), len(want) + 3} {
		var got []string
		for start := 1; start <= len(want); start += size {
			page, total, _ := list(scim.Query{Filter: f, StartIndex: start, Count: size})
			if total != len(want) {
				t.Errorf("%s: page at %d of %d: TotalResults = %d, want %d", what, start, size, total, len(want))
			}
			if wantLen := min(size, len(want)-start+1); len(page) != wantLen {
				t.Errorf("%s: page at %d of %d: %d resources, want %d", what, start, size, len(page), wantLen)
			}
			got = append(got, page...)
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: pages of %d put together (-want +got):\n%s", what, size, d)
		}
	}
	checkKeyset(t, what, want, scim.Query{Filter: f}, list)
}

// checkWindows checks startIndex and count at and beyond their edges.
func checkWindows(t *testing.T, what string, order []string, f filter.Expr, list lister) {
	t.Helper()
	n := len(order)
	for _, tt := range []struct {
		start, count int
		want         []string
	}{
		{1, 0, nil},         // count 0: no resources, exact total
		{5, 0, nil},         //
		{0, 3, order[:3]},   // startIndex below 1 means 1
		{-7, 3, order[:3]},  //
		{n, 5, order[n-1:]}, // the last one
		{n + 1, 5, nil},     // beyond the end
		{n + 100, 5, nil},   //
		{2, n, order[1:]},   // a count past the end
	} {
		got, total, _ := list(scim.Query{Filter: f, StartIndex: tt.start, Count: tt.count})
		if total != n {
			t.Errorf("%s: startIndex %d, count %d: TotalResults = %d, want %d", what, tt.start, tt.count, total, n)
		}
		if d := cmp.Diff(tt.want, got, opts); d != "" {
			t.Errorf("%s: startIndex %d, count %d (-want +got):\n%s", what, tt.start, tt.count, d)
		}
	}
}
