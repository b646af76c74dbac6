package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

var groupTests = []subtest{
	{"CreateGet", testGroupCreateGet},
	{"CopiesAreIndependent", testGroupCopies},
	{"Replace", testGroupReplace},
	{"PatchAttributes", testGroupPatchAttributes},
	{"Delete", testGroupDelete},
	{"NotFound", testGroupNotFound},
	{"Versions", testGroupVersions},
	{"ExcludeMembers", testGroupExcludeMembers},
}

func testGroupCreateGet(t *testing.T, s scim.Store) {
	alice := createUser(t, s, tenantA, user("alice"))
	bob := createUser(t, s, tenantA, user("bob"))
	in := &scim.Group{
		ID:          "client-chosen-id",
		ExternalID:  "ext-engineering",
		DisplayName: "Engineering",
		Members:     membersOf(alice, bob),
		Meta:        scim.Meta{Version: "client-version", Location: "https://attacker.example/Groups/x"},
	}
	before := time.Now()
	got, err := s.CreateGroup(t.Context(), tenantA, in)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	if got.ID == "" || got.ID == "client-chosen-id" || got.ID == alice.ID || got.ID == bob.ID {
		t.Errorf("CreateGroup: ID = %q, want a new one assigned by the store", got.ID)
	}
	checkFreshMeta(t, "CreateGroup", got.Meta, before, time.Now())
	want := &scim.Group{ID: got.ID, ExternalID: "ext-engineering", DisplayName: "Engineering", Members: membersOf(alice, bob), Meta: got.Meta}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("CreateGroup returned (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, getGroup(t, s, tenantA, got.ID), opts); d != "" {
		t.Errorf("GetGroup after CreateGroup (-want +got):\n%s", d)
	}
	empty := createGroup(t, s, tenantA, "Empty")
	if empty.ID == got.ID {
		t.Errorf("two groups share the ID %q", got.ID)
	}
	if g := getGroup(t, s, tenantA, empty.ID); len(g.Members) != 0 {
		t.Errorf("GetGroup(empty group): Members = %v", g.Members)
	}
}

func testGroupCopies(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 3)
	in := &scim.Group{DisplayName: "G", Members: membersOf(us[0], us[1])}
	got, err := s.CreateGroup(t.Context(), tenantA, in)
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	want := getGroup(t, s, tenantA, got.ID)
	scribble := func(g *scim.Group) {
		g.DisplayName = "scribbled"
		if len(g.Members) > 0 {
			g.Members[0].Value = us[2].ID
			g.Members[0].Display = "scribbled"
			g.Members = append(g.Members[:1], scim.Member{Value: us[2].ID})
		}
	}
	scribble(in)
	scribble(got)
	scribble(getGroup(t, s, tenantA, want.ID))
	for _, g := range listGroups(t, s, tenantA, all()).Resources {
		scribble(g)
	}
	if d := cmp.Diff(want, getGroup(t, s, tenantA, want.ID), opts); d != "" {
		t.Errorf("stored group changed through a caller's copy (-want +got):\n%s", d)
	}
	// Changing a member list passed to PatchGroup after the call changes nothing.
	op := add(us[2])
	patchGroup(t, s, tenantA, want.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{op}})
	op.Members[0].Display = "scribbled"
	if g := getGroup(t, s, tenantA, want.ID); slices.ContainsFunc(g.Members, func(m scim.Member) bool { return m.Display == "scribbled" }) {
		t.Errorf("stored member changed through PatchGroup's input: %v", g.Members)
	}
}

func testGroupReplace(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 4)
	orig := createGroup(t, s, tenantA, "Engineering", us[0], us[1], us[2])
	time.Sleep(5 * time.Millisecond)
	in := &scim.Group{
		ID:          orig.ID,
		ExternalID:  "new-ext",
		DisplayName: "Platform Engineering",
		Members:     membersOf(us[2], us[3]),
		Meta:        scim.Meta{Version: "client-version"},
	}
	got, err := s.ReplaceGroup(t.Context(), tenantA, in, "")
	if err != nil {
		t.Fatalf("ReplaceGroup: %v", err)
	}
	if !got.Meta.Created.Equal(orig.Meta.Created) {
		t.Errorf("ReplaceGroup changed Meta.Created from %v to %v", orig.Meta.Created, got.Meta.Created)
	}
	if got.Meta.Version == orig.Meta.Version || got.Meta.Version == "client-version" {
		t.Errorf("ReplaceGroup: Meta.Version = %q, want a new one (was %q)", got.Meta.Version, orig.Meta.Version)
	}
	if got.Meta.LastModified.Before(orig.Meta.LastModified) {
		t.Errorf("ReplaceGroup: Meta.LastModified went back from %v to %v", orig.Meta.LastModified, got.Meta.LastModified)
	}
	want := &scim.Group{ID: orig.ID, ExternalID: "new-ext", DisplayName: "Platform Engineering", Members: membersOf(us[2], us[3]), Meta: got.Meta}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("ReplaceGroup returned (-want +got):\n%s", d)
	}
	if d := cmp.Diff(want, getGroup(t, s, tenantA, orig.ID), opts); d != "" {
		t.Errorf("GetGroup after ReplaceGroup (-want +got):\n%s", d)
	}
	checkMembership(t, s, tenantA, want, us)
}

func testGroupPatchAttributes(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 2)
	orig := createGroup(t, s, tenantA, "Engineering", us...)
	got := patchGroup(t, s, tenantA, orig.ID, scim.GroupPatch{
		Attributes: &scim.Group{
			ID: "ignored", DisplayName: "Renamed", ExternalID: "ext-1",
			Members: membersOf(us[0]), Meta: scim.Meta{Version: "client-version"},
		},
	})
	if got.Members != nil {
		t.Errorf("PatchGroup returned members %v, want none", got.Members)
	}
	if got.Meta.Version == orig.Meta.Version || got.Meta.Version == "client-version" {
		t.Errorf("PatchGroup: Meta.Version = %q, want a new one (was %q)", got.Meta.Version, orig.Meta.Version)
	}
	want := &scim.Group{ID: orig.ID, DisplayName: "Renamed", ExternalID: "ext-1", Meta: got.Meta}
	if d := cmp.Diff(want, got, opts); d != "" {
		t.Errorf("PatchGroup returned (-want +got):\n%s", d)
	}
	// Attributes.Members is ignored: members change only through MemberOps.
	want.Members = orig.Members
	if d := cmp.Diff(want, getGroup(t, s, tenantA, orig.ID), opts); d != "" {
		t.Errorf("GetGroup after PatchGroup (-want +got):\n%s", d)
	}

	// A patch without Attributes leaves them alone, and still is a write.
	got2 := patchGroup(t, s, tenantA, orig.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{remove(us[1])}})
	if got2.DisplayName != "Renamed" || got2.ExternalID != "ext-1" {
		t.Errorf("PatchGroup without Attributes: displayName %q, externalId %q", got2.DisplayName, got2.ExternalID)
	}
	if got2.Meta.Version == got.Meta.Version {
		t.Errorf("PatchGroup did not change the version %q", got.Meta.Version)
	}
}

func testGroupDelete(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("alice"))
	keep := createGroup(t, s, tenantA, "Keep", u)
	gone := createGroup(t, s, tenantA, "Gone", u)
	ctx := t.Context()
	if err := s.DeleteGroup(ctx, tenantA, gone.ID, ""); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	_, err := s.GetGroup(ctx, tenantA, gone.ID, scim.GetOptions{})
	wantErr(t, "GetGroup after DeleteGroup", err, scim.ErrNotFound)
	wantErr(t, "DeleteGroup again", s.DeleteGroup(ctx, tenantA, gone.ID, ""), scim.ErrNotFound)
	_, err = s.PatchGroup(ctx, tenantA, gone.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(u)}}, "")
	wantErr(t, "PatchGroup after DeleteGroup", err, scim.ErrNotFound)
	_, err = s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: gone.ID, DisplayName: "Gone"}, "")
	wantErr(t, "ReplaceGroup after DeleteGroup", err, scim.ErrNotFound)
	p := listGroups(t, s, tenantA, all())
	if d := cmp.Diff([]string{keep.ID}, ids(p.Resources, groupID)); d != "" || p.TotalResults != 1 {
		t.Errorf("ListGroups after DeleteGroup: TotalResults %d, ids (-want +got):\n%s", p.TotalResults, d)
	}
	if _, err := s.GetUser(ctx, tenantA, u.ID); err != nil {
		t.Errorf("DeleteGroup harmed a member: %v", err)
	}
}

func testGroupNotFound(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("alice"))
	g := createGroup(t, s, tenantA, "Group", u)
	ctx := t.Context()
	// A user's ID does not name a group.
	for _, id := range []string{"", "no-such-id", "00000000-0000-4000-8000-000000000000", u.ID} {
		_, err := s.GetGroup(ctx, tenantA, id, scim.GetOptions{})
		wantErr(t, "GetGroup("+id+")", err, scim.ErrNotFound)
		_, err = s.GetGroup(ctx, tenantA, id, scim.GetOptions{ExcludeMembers: true})
		wantErr(t, "GetGroup("+id+", ExcludeMembers)", err, scim.ErrNotFound)
		_, err = s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: id, DisplayName: "x"}, "")
		wantErr(t, "ReplaceGroup("+id+")", err, scim.ErrNotFound)
		_, err = s.PatchGroup(ctx, tenantA, id, scim.GroupPatch{Attributes: &scim.Group{DisplayName: "x"}}, "")
		wantErr(t, "PatchGroup("+id+")", err, scim.ErrNotFound)
		wantErr(t, "DeleteGroup("+id+")", s.DeleteGroup(ctx, tenantA, id, ""), scim.ErrNotFound)
	}
	_, err := s.GetGroup(ctx, "no-such-tenant", g.ID, scim.GetOptions{})
	wantErr(t, "GetGroup in an unknown tenant", err, scim.ErrNotFound)
	if _, err := s.GetUser(ctx, tenantA, u.ID); err != nil {
		t.Errorf("the user was harmed by group calls with its ID: %v", err)
	}
}

func testGroupVersions(t *testing.T, s scim.Store) {
	ctx := t.Context()
	us := createUsers(t, s, tenantA, "u", 3)
	g := createGroup(t, s, tenantA, "G", us[0])
	v1 := g.Meta.Version

	p, err := s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(us[1])}}, v1)
	if err != nil {
		t.Fatalf("PatchGroup with the current version: %v", err)
	}
	v2 := p.Meta.Version
	if v2 == v1 {
		t.Fatalf("PatchGroup kept the version %q", v1)
	}
	before := getGroup(t, s, tenantA, g.ID)

	// Stale versions change nothing.
	_, err = s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{
		Attributes: &scim.Group{DisplayName: "stale"},
		MemberOps:  []scim.MemberOp{add(us[2]), remove(us[0])},
	}, v1)
	wantErr(t, "PatchGroup with a stale version", err, scim.ErrVersionMismatch)
	_, err = s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: g.ID, DisplayName: "stale", Members: membersOf(us[2])}, v1)
	wantErr(t, "ReplaceGroup with a stale version", err, scim.ErrVersionMismatch)
	wantErr(t, "DeleteGroup with a stale version", s.DeleteGroup(ctx, tenantA, g.ID, v1), scim.ErrVersionMismatch)
	if d := cmp.Diff(before, getGroup(t, s, tenantA, g.ID), opts); d != "" {
		t.Fatalf("writes with a stale version changed the group (-want +got):\n%s", d)
	}
	checkMembership(t, s, tenantA, before, us)

	r, err := s.ReplaceGroup(ctx, tenantA, &scim.Group{ID: g.ID, DisplayName: "G2"}, v2)
	if err != nil {
		t.Fatalf("ReplaceGroup with the current version: %v", err)
	}
	if r.Meta.Version == v2 || r.Meta.Version == v1 {
		t.Errorf("ReplaceGroup: version %q, want a new one", r.Meta.Version)
	}
	// Even a patch that changes nothing is a write with a new version.
	p, err = s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{remove(us[2])}}, r.Meta.Version)
	if err != nil {
		t.Fatalf("PatchGroup: %v", err)
	}
	if p.Meta.Version == r.Meta.Version {
		t.Errorf("PatchGroup kept the version %q", r.Meta.Version)
	}
	wantErr(t, "DeleteGroup with an old version", s.DeleteGroup(ctx, tenantA, g.ID, r.Meta.Version), scim.ErrVersionMismatch)
	if err := s.DeleteGroup(ctx, tenantA, g.ID, p.Meta.Version); err != nil {
		t.Errorf("DeleteGroup with the current version: %v", err)
	}
}

func testGroupExcludeMembers(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 2)
	g1 := createGroup(t, s, tenantA, "G1", us...)
	g2 := createGroup(t, s, tenantA, "G2", us[0])
	ctx := t.Context()

	got, err := s.GetGroup(ctx, tenantA, g1.ID, scim.GetOptions{ExcludeMembers: true})
	if err != nil {
		t.Fatalf("GetGroup(ExcludeMembers): %v", err)
	}
	if got.Members != nil {
		t.Errorf("GetGroup(ExcludeMembers): Members = %v, want nil", got.Members)
	}
	want := *g1
	want.Members = nil
	if d := cmp.Diff(&want, got, opts); d != "" {
		t.Errorf("GetGroup(ExcludeMembers) (-want +got):\n%s", d)
	}

	p := listGroups(t, s, tenantA, scim.Query{StartIndex: 1, Count: 10, ExcludeMembers: true})
	if p.TotalResults != 2 || len(p.Resources) != 2 {
		t.Fatalf("ListGroups(ExcludeMembers): TotalResults %d, %d resources, want 2", p.TotalResults, len(p.Resources))
	}
	for _, g := range p.Resources {
		if g.Members != nil {
			t.Errorf("ListGroups(ExcludeMembers): group %q has Members %v, want nil", g.DisplayName, g.Members)
		}
	}
	p = listGroups(t, s, tenantA, all())
	byID := map[string]*scim.Group{}
	for _, g := range p.Resources {
		byID[g.ID] = g
	}
	if d := cmp.Diff([]*scim.Group{g1, g2}, []*scim.Group{byID[g1.ID], byID[g2.ID]}, opts); d != "" {
		t.Errorf("ListGroups with members (-want +got):\n%s", d)
	}
}

// checkMembership checks g's members against a fresh read, and that every
// user in universe lists g in its Groups exactly when it is a member, with
// the group's current displayName.
func checkMembership(t *testing.T, s scim.Store, tenant string, g *scim.Group, universe []*scim.User) {
	t.Helper()
	got := getGroup(t, s, tenant, g.ID)
	if d := cmp.Diff(memberIDs(g), memberIDs(got)); d != "" {
		t.Errorf("group %q members (-want +got):\n%s", g.DisplayName, d)
	}
	for _, u := range universe {
		member := slices.Contains(memberIDs(g), u.ID)
		var ref *scim.GroupRef
		for _, r := range getUser(t, s, tenant, u.ID).Groups {
			if r.Value == g.ID {
				ref = &r
			}
		}
		switch {
		case member && ref == nil:
			t.Errorf("user %q is a member of %q but its Groups do not say so", u.UserName, got.DisplayName)
		case !member && ref != nil:
			t.Errorf("user %q is not a member of %q but its Groups say it is", u.UserName, got.DisplayName)
		case ref != nil && ref.Display != got.DisplayName:
			t.Errorf("user %q: Groups display %q, want the group's displayName %q", u.UserName, ref.Display, got.DisplayName)
		case ref != nil && ref.Type != "" && ref.Type != "direct":
			t.Errorf("user %q: Groups type %q, want \"direct\" (or none)", u.UserName, ref.Type)
		}
	}
}
