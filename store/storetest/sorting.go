package storetest

import (
	"fmt"
	"slices"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

var sortingTests = []subtest{
	{"Users", testSortUsers},
	{"Groups", testSortGroups},
	{"Parity", testSortParity},
}

// sortBy resolves a sortBy value as the server does.
func sortBy(t *testing.T, rt *schema.ResourceType, s string) filter.AttrPath {
	t.Helper()
	p, err := scim.ParseSortBy(rt, s)
	if err != nil {
		t.Fatalf("ParseSortBy(%q): %v", s, err)
	}
	return p
}

// sortFixture creates five users in tenant A (and a decoy in tenant B)
// whose keys exercise folding, caseExact bytewise order, missing values,
// ties and primary-or-first values, and returns them in creation order.
func sortFixture(t *testing.T, s scim.Store) []*scim.User {
	t.Helper()
	mk := func(name, display, ext, title string, active *bool, emp string, emails ...scim.MultiValue) *scim.User {
		u := &scim.User{UserName: name, DisplayName: display, ExternalID: ext, Title: title, Active: active, Emails: emails}
		if emp != "" {
			u.Enterprise = &scim.EnterpriseUser{EmployeeNumber: emp}
		}
		return createUser(t, s, tenantA, u)
	}
	us := []*scim.User{
		mk("delta", "Dana", "b-2", "Engineer", ptr(true), "0300", scim.MultiValue{Value: "z@x"}, scim.MultiValue{Value: "d@x", Primary: true}),
		mk("Alpha", "", "", "", ptr(false), "", scim.MultiValue{Value: "a@x"}),
		mk("charlie", "dana", "B-1", "engineer", nil, ""),
		mk("bravo", "Émile", "a-1", "Architect", nil, "0100", scim.MultiValue{Value: "B@x"}, scim.MultiValue{Value: "a@x"}),
		mk("Echo", "bob", "", "", nil, ""),
	}
	createUser(t, s, tenantB, &scim.User{UserName: "aaa", DisplayName: "aaa", ExternalID: "0", Title: "a"})
	return us
}

func testSortUsers(t *testing.T, s scim.Store) {
	us := sortFixture(t, s)
	rt := userType()
	for _, tt := range []struct {
		by, f string
		want  []int // ascending, as indexes of the fixture
	}{
		{"userName", "", []int{1, 3, 2, 0, 4}},                                   // folded: Alpha bravo charlie delta Echo
		{"displayName", "", []int{4, 0, 2, 3, 1}},                                // bob, Dana = dana by creation, Émile, missing last
		{"externalId", "", []int{2, 3, 0, 1, 4}},                                 // caseExact bytewise: B-1 < a-1 < b-2, missing last
		{"title", "", []int{3, 0, 2, 1, 4}},                                      // a JSON-only attribute, ties and missing
		{"emails", "", []int{1, 3, 0, 2, 4}},                                     // primary (d@x) or first (B@x folds to b@x)
		{"emails.value", "", []int{1, 3, 0, 2, 4}},                               //
		{"active", "", []int{1, 0, 2, 3, 4}},                                     // false < true < missing
		{"meta.created", "", []int{0, 1, 2, 3, 4}},                               //
		{"employeeNumber", "", []int{3, 0, 1, 2, 4}},                             // the enterprise extension, without its URN
		{schema.EnterpriseUserURN + ":employeeNumber", "", []int{3, 0, 1, 2, 4}}, //
		{"USERNAME", `externalId pr`, []int{3, 2, 0}},                            // an exact SQL filter
		{"displayName", `title co "ee"`, []int{0, 2}},                            // a filter evaluated in Go
		{"externalId", `title pr or displayName pr`, []int{2, 3, 0, 4}},          //
	} {
		by := sortBy(t, rt, tt.by)
		var f filter.Expr
		if tt.f != "" {
			f = parse(t, rt, tt.f)
		}
		asc := make([]string, len(tt.want))
		for i, n := range tt.want {
			asc[i] = us[n].ID
		}
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, d := range []struct {
			desc bool
			want []string
		}{{false, asc}, {true, desc}} {
			what := fmt.Sprintf("sortBy=%s descending=%v filter=%q", tt.by, d.desc, tt.f)
			list := func(q scim.Query) ([]string, int, *scim.Position) {
				q.Filter, q.SortBy, q.Descending = f, by, d.desc
				p := listUsers(t, s, tenantA, q)
				return ids(p.Resources, userID), p.TotalResults, p.Last
			}
			checkSortedPages(t, what, d.want, list)
		}
	}
}

// checkSortedPages pages through a sorted list in pages of several sizes.
func checkSortedPages(t *testing.T, what string, want []string, list lister) {
	t.Helper()
	for _, size := range []int{1, 2, 3, len(want) + 1} {
		var got []string
		for start := 1; start <= len(want); start += size {
			page, total, _ := list(scim.Query{StartIndex: start, Count: size})
			if total != len(want) {
				t.Errorf("%s: page at %d of %d: TotalResults = %d, want %d", what, start, size, total, len(want))
			}
			got = append(got, page...)
		}
		if d := gocmp.Diff(want, got); d != "" {
			t.Errorf("%s: pages of %d put together (-want +got):\n%s", what, size, d)
		}
	}
	if page, total, _ := list(scim.Query{StartIndex: len(want) + 1, Count: 3}); len(page) != 0 || total != len(want) {
		t.Errorf("%s: page past the end: %d resources, TotalResults %d", what, len(page), total)
	}
	checkKeyset(t, what, want, scim.Query{}, list)
}

func testSortGroups(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("member"))
	mk := func(name, ext string) *scim.Group {
		g, err := s.CreateGroup(t.Context(), tenantA, &scim.Group{DisplayName: name, ExternalID: ext, Members: membersOf(u)})
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		return g
	}
	gs := []*scim.Group{mk("beta", "x"), mk("Alpha", ""), mk("gamma", "X"), mk("ALPHA", "y")}
	createGroup(t, s, tenantB, "aaa")
	rt := groupType()
	for _, tt := range []struct {
		by, f string
		want  []int
	}{
		{"displayName", "", []int{1, 3, 0, 2}},           // Alpha = ALPHA by creation
		{"externalId", "", []int{2, 0, 3, 1}},            // caseExact: X < x < y, missing last
		{"meta.created", "", []int{0, 1, 2, 3}},          //
		{"displayName", `externalId pr`, []int{3, 0, 2}}, //
	} {
		by := sortBy(t, rt, tt.by)
		var f filter.Expr
		if tt.f != "" {
			f = parse(t, rt, tt.f)
		}
		asc := make([]string, len(tt.want))
		for i, n := range tt.want {
			asc[i] = gs[n].ID
		}
		desc := slices.Clone(asc)
		slices.Reverse(desc)
		for _, d := range []struct {
			desc bool
			want []string
		}{{false, asc}, {true, desc}} {
			for _, excl := range []bool{false, true} {
				what := fmt.Sprintf("sortBy=%s descending=%v filter=%q excludeMembers=%v", tt.by, d.desc, tt.f, excl)
				checkSortedPages(t, what, d.want, func(q scim.Query) ([]string, int, *scim.Position) {
					q.Filter, q.SortBy, q.Descending, q.ExcludeMembers = f, by, d.desc, excl
					p := listGroups(t, s, tenantA, q)
					for _, g := range p.Resources {
						if excl != (g.Members == nil) {
							t.Errorf("%s: group %s has %d members", what, g.ID, len(g.Members))
						}
					}
					return ids(p.Resources, groupID), p.TotalResults, p.Last
				})
			}
		}
	}
}

// testSortParity checks the store's order against scim.UserSortKey and
// scim.GroupSortKey on the same resources, for mixed-case and non-ASCII
// values where a database collation would differ from filter.Fold.
func testSortParity(t *testing.T, s scim.Store) {
	names := []string{"ß", "SS", "é", "E\u0301", "Ω", "ω", "K", "\u212a", "z", "Z", "_", "a", "ǅ", "ǆ", "Ǆ", "İ", "i", "ı", "１", "1"}
	var us []*scim.User
	for i, n := range names {
		us = append(us, createUser(t, s, tenantA, &scim.User{
			UserName:    fmt.Sprintf("%s-%d", n, i),
			DisplayName: n,
			ExternalID:  n,
			Title:       n,
		}))
	}
	var gs []*scim.Group
	for i, n := range names {
		g, err := s.CreateGroup(t.Context(), tenantA, &scim.Group{DisplayName: fmt.Sprintf("%s %d", n, i%3), ExternalID: n})
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		gs = append(gs, g)
	}
	for _, by := range []string{"displayName", "externalId", "meta.created"} {
		p := sortBy(t, groupType(), by)
		for _, desc := range []bool{false, true} {
			want := slices.Clone(gs)
			slices.SortStableFunc(want, func(a, b *scim.Group) int {
				return scim.GroupSortKey(p, a).Compare(scim.GroupSortKey(p, b))
			})
			if desc {
				slices.Reverse(want)
			}
			got := listGroups(t, s, tenantA, scim.Query{StartIndex: 1, Count: 100, SortBy: p, Descending: desc, ExcludeMembers: true})
			if d := gocmp.Diff(ids(want, groupID), ids(got.Resources, groupID)); d != "" {
				t.Errorf("groups sortBy=%s descending=%v: store order differs from scim.GroupSortKey (-want +got):\n%s", by, desc, d)
			}
		}
	}
	rt := userType()
	for _, by := range []string{"userName", "displayName", "externalId", "title", "meta.lastModified"} {
		p := sortBy(t, rt, by)
		for _, desc := range []bool{false, true} {
			want := slices.Clone(us)
			slices.SortStableFunc(want, func(a, b *scim.User) int {
				return scim.UserSortKey(p, a).Compare(scim.UserSortKey(p, b))
			})
			if desc {
				slices.Reverse(want)
			}
			got := listUsers(t, s, tenantA, scim.Query{StartIndex: 1, Count: 100, SortBy: p, Descending: desc})
			if d := gocmp.Diff(ids(want, userID), ids(got.Resources, userID)); d != "" {
				t.Errorf("users sortBy=%s descending=%v: store order differs from scim.UserSortKey (-want +got):\n%s", by, desc, d)
			}
		}
	}
}
