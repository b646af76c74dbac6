package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

var tenancyTests = []subtest{
	{"Isolation", testTenantIsolation},
}

// testTenantIsolation checks that a tenant can neither see nor change
// another's resources, and that what it gets back for them is exactly what
// it gets for ids that do not exist.
func testTenantIsolation(t *testing.T, s scim.Store) {
	ctx := t.Context()
	aliceA := createUser(t, s, tenantA, user("alice@example.com"))
	bobA := createUser(t, s, tenantA, user("bob@example.com"))
	groupA := createGroup(t, s, tenantA, "Engineering", aliceA, bobA)
	aliceB := createUser(t, s, tenantB, user("alice@example.com"))
	groupB := createGroup(t, s, tenantB, "Engineering", aliceB)

	snapshot := func() (us []*scim.User, g *scim.Group) {
		return []*scim.User{getUser(t, s, tenantA, aliceA.ID), getUser(t, s, tenantA, bobA.ID)}, getGroup(t, s, tenantA, groupA.ID)
	}
	usersBefore, groupBefore := snapshot()

	// Every method, from tenant B, on tenant A's ids, even with the right version.
	_, err := s.GetUser(ctx, tenantB, aliceA.ID)
	wantErr(t, "GetUser across tenants", err, scim.ErrNotFound)
	in := user("alice@example.com")
	in.ID = aliceA.ID
	_, err = s.ReplaceUser(ctx, tenantB, in, aliceA.Meta.Version)
	wantErr(t, "ReplaceUser across tenants", err, scim.ErrNotFound)
	_, err = s.ReplaceUser(ctx, tenantB, in, "")
	wantErr(t, "ReplaceUser across tenants", err, scim.ErrNotFound)
	wantErr(t, "DeleteUser across tenants", s.DeleteUser(ctx, tenantB, bobA.ID, ""), scim.ErrNotFound)
	wantErr(t, "DeleteUser across tenants", s.DeleteUser(ctx, tenantB, bobA.ID, bobA.Meta.Version), scim.ErrNotFound)
	_, err = s.GetGroup(ctx, tenantB, groupA.ID, scim.GetOptions{})
	wantErr(t, "GetGroup across tenants", err, scim.ErrNotFound)
	_, err = s.ReplaceGroup(ctx, tenantB, &scim.Group{ID: groupA.ID, DisplayName: "x"}, "")
	wantErr(t, "ReplaceGroup across tenants", err, scim.ErrNotFound)
	_, err = s.PatchGroup(ctx, tenantB, groupA.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.RemoveAllMembers}}}, "")
	wantErr(t, "PatchGroup across tenants", err, scim.ErrNotFound)
	wantErr(t, "DeleteGroup across tenants", s.DeleteGroup(ctx, tenantB, groupA.ID, ""), scim.ErrNotFound)

	// Tenant B's group cannot take tenant A's users as members.
	_, err = s.PatchGroup(ctx, tenantB, groupB.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(bobA)}}, "")
	wantErr(t, "PatchGroup adding another tenant's user", err, scim.ErrInvalidMember)
	_, err = s.CreateGroup(ctx, tenantB, &scim.Group{DisplayName: "x", Members: membersOf(aliceA)})
	wantErr(t, "CreateGroup with another tenant's user", err, scim.ErrInvalidMember)

	// Lists and filters see only their own tenant.
	p := listUsers(t, s, tenantB, all())
	if d := cmp.Diff(userIDs(aliceB), sortedIDs(p.Resources, userID)); d != "" || p.TotalResults != 1 {
		t.Errorf("ListUsers(B): TotalResults %d, ids (-want +got):\n%s", p.TotalResults, d)
	}
	for _, f := range []string{
		`userName eq "bob@example.com"`,
		`id eq "` + aliceA.ID + `"`,
		`userName eq "alice@example.com" and id eq "` + aliceA.ID + `"`,
	} {
		if p := listUsers(t, s, tenantB, scim.Query{Filter: parse(t, userType(), f), StartIndex: 1, Count: 10}); p.TotalResults != 0 || len(p.Resources) != 0 {
			t.Errorf("ListUsers(B, %s) found %v", f, ids(p.Resources, userID))
		}
	}
	if p := listGroups(t, s, tenantB, scim.Query{Filter: parse(t, groupType(), `members.value eq "`+aliceA.ID+`"`), StartIndex: 1, Count: 10}); p.TotalResults != 0 {
		t.Errorf("ListGroups(B) found groups with tenant A's member: %v", ids(p.Resources, groupID))
	}
	pg := listGroups(t, s, tenantB, all())
	if d := cmp.Diff([]string{groupB.ID}, ids(pg.Resources, groupID)); d != "" || pg.TotalResults != 1 {
		t.Errorf("ListGroups(B): TotalResults %d, ids (-want +got):\n%s", pg.TotalResults, d)
	}
	if p := listUsers(t, s, "tenant-c", all()); p.TotalResults != 0 || len(p.Resources) != 0 {
		t.Errorf("ListUsers on an unused tenant found %d users", p.TotalResults)
	}

	// Deleting tenant B's alice leaves tenant A's alone.
	if err := s.DeleteUser(ctx, tenantB, aliceB.ID, ""); err != nil {
		t.Fatalf("DeleteUser(B): %v", err)
	}
	usersAfter, groupAfter := snapshot()
	if d := cmp.Diff(usersBefore, usersAfter, opts); d != "" {
		t.Errorf("tenant A's users changed (-before +after):\n%s", d)
	}
	if d := cmp.Diff(groupBefore, groupAfter, opts); d != "" {
		t.Errorf("tenant A's group changed (-before +after):\n%s", d)
	}
}
