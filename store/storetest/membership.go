package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

var membershipTests = []subtest{
	{"MemberOps", testMemberOps},
	{"InvalidMember", testInvalidMember},
	{"UserGroups", testUserGroups},
	{"DeleteUserLeavesGroups", testDeleteUserLeavesGroups},
	{"DeleteGroupLeavesUsers", testDeleteGroupLeavesUsers},
	{"DuplicateMembers", testDuplicateMembers},
}

func testMemberOps(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 5)
	a, b, c, d, e := us[0], us[1], us[2], us[3], us[4]
	disp := func(u *scim.User, display string) scim.Member {
		return scim.Member{Value: u.ID, Display: display, Type: "User"}
	}
	tests := []struct {
		name string
		ops  func(t *testing.T) []scim.MemberOp
		want []scim.Member // starting from a, b, c
	}{
		{"add", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{add(d, e)} },
			membersOf(a, b, c, d, e)},
		{"add present is a no-op but updates display", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.AddMembers, Members: []scim.Member{disp(a, "Alice A.")}}}
		}, []scim.Member{disp(a, "Alice A."), membersOf(b)[0], membersOf(c)[0]}},
		{"add the same member twice in one op", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{add(d, d)} },
			membersOf(a, b, c, d)},
		{"remove", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{remove(b)} },
			membersOf(a, c)},
		{"remove absent is a no-op", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{remove(e)} },
			membersOf(a, b, c)},
		{"remove by value only", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveMembers, Members: []scim.Member{{Value: c.ID}}}}
		}, membersOf(a, b)},
		{"remove an ID that is no user", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveMembers, Members: []scim.Member{{Value: "no-such-user"}}}}
		}, membersOf(a, b, c)},
		{"remove matching value", func(t *testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveMatchingMembers, Filter: memberFilter(t, `value eq "`+b.ID+`"`)}}
		}, membersOf(a, c)},
		{"remove matching display, case-insensitively", func(t *testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveMatchingMembers, Filter: memberFilter(t, `display eq "U2" or display eq "u0"`)}}
		}, membersOf(b)},
		{"remove matching nothing", func(t *testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveMatchingMembers, Filter: memberFilter(t, `value eq "nobody"`)}}
		}, membersOf(a, b, c)},
		{"replace", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.ReplaceMembers, Members: membersOf(c, d, e)}}
		}, membersOf(c, d, e)},
		{"replace with none", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{{Kind: scim.ReplaceMembers}} },
			nil},
		{"remove all", func(*testing.T) []scim.MemberOp { return []scim.MemberOp{{Kind: scim.RemoveAllMembers}} },
			nil},
		{"applied in order: remove then add", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{remove(a), add(a, d)}
		}, membersOf(a, b, c, d)},
		{"applied in order: add then remove", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{add(d, e), remove(d, a)}
		}, membersOf(b, c, e)},
		{"applied in order: remove all then add", func(*testing.T) []scim.MemberOp {
			return []scim.MemberOp{{Kind: scim.RemoveAllMembers}, add(e)}
		}, membersOf(e)},
		{"applied in order: replace then remove matching", func(t *testing.T) []scim.MemberOp {
			return []scim.MemberOp{
				{Kind: scim.ReplaceMembers, Members: membersOf(a, d, e)},
				{Kind: scim.RemoveMatchingMembers, Filter: memberFilter(t, `display eq "u3"`)},
			}
		}, membersOf(a, e)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := createGroup(t, s, tenantA, tt.name, a, b, c)
			got := patchGroup(t, s, tenantA, g.ID, scim.GroupPatch{MemberOps: tt.ops(t)})
			if got.Members != nil {
				t.Errorf("PatchGroup returned members %v, want none", got.Members)
			}
			if got.Meta.Version == g.Meta.Version {
				t.Errorf("PatchGroup kept the version %q", g.Meta.Version)
			}
			after := getGroup(t, s, tenantA, g.ID)
			if d := cmp.Diff(tt.want, after.Members, opts); d != "" {
				t.Errorf("members (-want +got):\n%s", d)
			}
			if after.Meta.Version != got.Meta.Version {
				t.Errorf("GetGroup: version %q, PatchGroup returned %q", after.Meta.Version, got.Meta.Version)
			}
			checkMembership(t, s, tenantA, after, us)
		})
	}
}

// testInvalidMember checks that a member value must name a user of the
// tenant, and that a write naming any other fails whole.
func testInvalidMember(t *testing.T, s scim.Store) {
	ctx := t.Context()
	us := createUsers(t, s, tenantA, "u", 3)
	other := createUser(t, s, tenantB, user("other-tenant"))
	g := createGroup(t, s, tenantA, "G", us[0], us[1])
	nested := createGroup(t, s, tenantA, "Nested")
	invalid := map[string]scim.Member{
		"unknown ID":         {Value: "no-such-user"},
		"empty ID":           {Value: ""},
		"group ID":           {Value: nested.ID, Type: "Group"},
		"other tenant's ID":  {Value: other.ID},
		"the group's own ID": {Value: g.ID},
	}
	before := getGroup(t, s, tenantA, g.ID)
	for name, bad := range invalid {
		mixed := append(membersOf(us[2]), bad)
		_, err := s.CreateGroup(ctx, tenantA, &scim.Group{DisplayName: "New", Members: mixed})
		wantErr(t, "CreateGroup with "+name, err, scim.ErrInvalidMember)

		_, err = s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: g.ID, DisplayName: "Replaced", Members: mixed}, "")
		wantErr(t, "ReplaceGroup with "+name, err, scim.ErrInvalidMember)

		for _, ops := range [][]scim.MemberOp{
			{{Kind: scim.AddMembers, Members: mixed}},
			{remove(us[0]), add(us[2]), {Kind: scim.AddMembers, Members: []scim.Member{bad}}},
			{{Kind: scim.RemoveAllMembers}, {Kind: scim.ReplaceMembers, Members: mixed}},
		} {
			_, err = s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "Patched"}, MemberOps: ops}, "")
			wantErr(t, "PatchGroup with "+name, err, scim.ErrInvalidMember)
		}
	}
	if d := cmp.Diff(before, getGroup(t, s, tenantA, g.ID), opts); d != "" {
		t.Errorf("failed writes changed the group (-before +after):\n%s", d)
	}
	checkMembership(t, s, tenantA, before, us)
	if p := listGroups(t, s, tenantA, all()); p.TotalResults != 2 {
		t.Errorf("failed CreateGroup calls left groups behind: TotalResults = %d, want 2", p.TotalResults)
	}
	if got := getUser(t, s, tenantB, other.ID); len(got.Groups) != 0 {
		t.Errorf("the other tenant's user gained groups: %v", got.Groups)
	}
}

func testUserGroups(t *testing.T, s scim.Store) {
	ctx := t.Context()
	us := createUsers(t, s, tenantA, "u", 2)
	alice, bob := us[0], us[1]
	g1 := createGroup(t, s, tenantA, "G1", alice)
	g2 := createGroup(t, s, tenantA, "G2", alice, bob)
	ref := func(g *scim.Group, display string) scim.GroupRef {
		return scim.GroupRef{Value: g.ID, Display: display, Type: "direct"}
	}
	// Type may be "direct" or left out; compare it as "direct".
	check := func(what string, u *scim.User, want ...scim.GroupRef) {
		t.Helper()
		got := getUser(t, s, tenantA, u.ID).Groups
		for i := range got {
			if got[i].Type == "" {
				got[i].Type = "direct"
			}
		}
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("%s: %s's Groups (-want +got):\n%s", what, u.UserName, d)
		}
		// ListUsers fills Groups like GetUser: the server writes listed
		// users as they are, and identity providers read groups there.
		listed := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), `id eq "`+u.ID+`"`), StartIndex: 1, Count: 1})
		if len(listed.Resources) != 1 {
			t.Fatalf("%s: ListUsers by id found %d users", what, len(listed.Resources))
		}
		got = listed.Resources[0].Groups
		for i := range got {
			if got[i].Type == "" {
				got[i].Type = "direct"
			}
		}
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("%s: %s's Groups from ListUsers (-want +got):\n%s", what, u.UserName, d)
		}
		// A groups filter sees the same groups.
		for _, g := range want {
			f := parse(t, userType(), `groups.value eq "`+g.Value+`" and id eq "`+u.ID+`"`)
			if p := listUsers(t, s, tenantA, scim.Query{Filter: f, StartIndex: 1, Count: 1}); p.TotalResults != 1 {
				t.Errorf("%s: filter groups.value eq %q does not find %s", what, g.Value, u.UserName)
			}
		}
	}
	check("after CreateGroup", alice, ref(g1, "G1"), ref(g2, "G2"))
	check("after CreateGroup", bob, ref(g2, "G2"))

	patchGroup(t, s, tenantA, g1.ID, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "G1 renamed"}, MemberOps: []scim.MemberOp{add(bob)}})
	check("after a rename and an add", alice, ref(g1, "G1 renamed"), ref(g2, "G2"))
	check("after a rename and an add", bob, ref(g1, "G1 renamed"), ref(g2, "G2"))

	patchGroup(t, s, tenantA, g2.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{remove(alice)}})
	check("after a remove", alice, ref(g1, "G1 renamed"))

	// Groups is read-only: what a write says about it is ignored.
	in := user(alice.UserName)
	in.ID, in.Groups = alice.ID, []scim.GroupRef{{Value: g2.ID, Display: "forged"}}
	got, err := s.ReplaceUser(ctx, tenantA, in, "")
	if err != nil {
		t.Fatalf("ReplaceUser: %v", err)
	}
	if len(got.Groups) > 0 && (len(got.Groups) != 1 || got.Groups[0].Value != g1.ID) {
		t.Errorf("ReplaceUser returned Groups %v, want only %q", got.Groups, g1.ID)
	}
	check("after ReplaceUser with forged groups", alice, ref(g1, "G1 renamed"))
	if g := getGroup(t, s, tenantA, g2.ID); cmp.Diff([]string{bob.ID}, memberIDs(g)) != "" {
		t.Errorf("ReplaceUser with forged groups changed %q's members to %v", g.DisplayName, memberIDs(g))
	}
	created := createUser(t, s, tenantA, &scim.User{UserName: "carol", Groups: []scim.GroupRef{{Value: g1.ID}}})
	check("after CreateUser with forged groups", created)

	_, err = s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: g1.ID, DisplayName: "G1 replaced", Members: membersOf(bob)}, "")
	if err != nil {
		t.Fatalf("ReplaceGroup: %v", err)
	}
	check("after ReplaceGroup", alice)
	check("after ReplaceGroup", bob, ref(g1, "G1 replaced"), ref(g2, "G2"))
}

func testDeleteUserLeavesGroups(t *testing.T, s scim.Store) {
	ctx := t.Context()
	us := createUsers(t, s, tenantA, "u", 3)
	g1 := createGroup(t, s, tenantA, "G1", us...)
	g2 := createGroup(t, s, tenantA, "G2", us[0])
	g3 := createGroup(t, s, tenantA, "G3", us[1])
	if err := s.DeleteUser(ctx, tenantA, us[0].ID, ""); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	for _, tt := range []struct {
		g       *scim.Group
		want    []string
		changed bool
	}{
		{g1, userIDs(us[1], us[2]), true},
		{g2, nil, true},
		{g3, userIDs(us[1]), false},
	} {
		got := getGroup(t, s, tenantA, tt.g.ID)
		if d := cmp.Diff(tt.want, memberIDs(got), opts); d != "" {
			t.Errorf("group %q members after DeleteUser (-want +got):\n%s", got.DisplayName, d)
		}
		if tt.changed && got.Meta.Version == tt.g.Meta.Version {
			t.Errorf("group %q lost a member but kept its version %q", got.DisplayName, got.Meta.Version)
		}
	}
	// A new user with the same userName is a different user, in no group.
	again := createUser(t, s, tenantA, user(us[0].UserName))
	if got := getUser(t, s, tenantA, again.ID); len(got.Groups) != 0 {
		t.Errorf("a re-created user inherited groups: %v", got.Groups)
	}
	p := listGroups(t, s, tenantA, scim.Query{StartIndex: 1, Count: 10, Filter: parse(t, groupType(), `members.value eq "`+us[0].ID+`"`)})
	if p.TotalResults != 0 {
		t.Errorf("groups still list the deleted user: %v", ids(p.Resources, groupID))
	}
}

func testDeleteGroupLeavesUsers(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 2)
	g1 := createGroup(t, s, tenantA, "G1", us...)
	g2 := createGroup(t, s, tenantA, "G2", us[0])
	if err := s.DeleteGroup(t.Context(), tenantA, g1.ID, ""); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	for _, tt := range []struct {
		u    *scim.User
		want []string
	}{
		{us[0], []string{g2.ID}},
		{us[1], nil},
	} {
		got := getUser(t, s, tenantA, tt.u.ID)
		if d := cmp.Diff(tt.want, sortedIDs(ptrs(got.Groups), func(r *scim.GroupRef) string { return r.Value }), opts); d != "" {
			t.Errorf("user %q's Groups after DeleteGroup (-want +got):\n%s", tt.u.UserName, d)
		}
	}
}

func ptrs[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// testDuplicateMembers: a member listed twice in one write is one member
// (identity providers resend lists with repeats), with its last display.
func testDuplicateMembers(t *testing.T, s scim.Store) {
	ctx := t.Context()
	us := createUsers(t, s, tenantA, "u", 2)
	twice := []scim.Member{{Value: us[0].ID, Display: "first"}, {Value: us[1].ID}, {Value: us[0].ID, Display: "again"}}
	g, err := s.CreateGroup(ctx, tenantA, &scim.Group{DisplayName: "Dups", Members: twice})
	if err != nil {
		t.Fatalf("CreateGroup with a member listed twice: %v", err)
	}
	if d := cmp.Diff(userIDs(us...), memberIDs(getGroup(t, s, tenantA, g.ID)), opts); d != "" {
		t.Errorf("members after CreateGroup with repeats (-want +got):\n%s", d)
	}
	if _, err := s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: g.ID, DisplayName: "Dups", Members: twice}, ""); err != nil {
		t.Fatalf("ReplaceGroup with a member listed twice: %v", err)
	}
	patchGroup(t, s, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.AddMembers, Members: twice}}})
	if d := cmp.Diff(userIDs(us...), memberIDs(getGroup(t, s, tenantA, g.ID)), opts); d != "" {
		t.Errorf("members after repeats in ReplaceGroup and AddMembers (-want +got):\n%s", d)
	}
}
