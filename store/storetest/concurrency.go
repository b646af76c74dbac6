package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

var concurrencyTests = []subtest{
	{"CreateSameUserName", testConcurrentCreateSameUserName},
	{"ReplaceSameVersion", testConcurrentReplaceSameVersion},
	{"PatchSameVersion", testConcurrentPatchSameVersion},
	{"AddMembers", testConcurrentAddMembers},
	{"AddAndRemoveMembers", testConcurrentAddAndRemove},
	{"DeleteUserWhileAdding", testConcurrentDeleteWhileAdding},
	{"ReadersAndWriters", testConcurrentReadersAndWriters},
}

// testConcurrentCreateSameUserName is the retried POST race: exactly one
// create wins and every other gets ErrConflict, never another error.
func testConcurrentCreateSameUserName(t *testing.T, s scim.Store) {
	const n = 50
	errs := parallel(n, func(ctx context.Context, i int) error {
		name := "race@example.com"
		if i%2 == 1 {
			name = strings.ToUpper(name)
		}
		_, err := s.CreateUser(ctx, tenantA, user(name))
		return err
	})
	ok, conflicts, other := countErrs(errs, scim.ErrConflict)
	if ok != 1 || conflicts != n-1 || other != nil {
		t.Errorf("%d concurrent creates: %d succeeded, %d conflicted, other errors %v; want 1 and %d", n, ok, conflicts, other, n-1)
	}
	if p := listUsers(t, s, tenantA, all()); p.TotalResults != 1 {
		t.Errorf("ListUsers: TotalResults = %d, want 1", p.TotalResults)
	}
}

func testConcurrentReplaceSameVersion(t *testing.T, s scim.Store) {
	u := createUser(t, s, tenantA, user("alice"))
	const n = 10
	errs := parallel(n, func(ctx context.Context, i int) error {
		in := user("alice")
		in.ID, in.Title = u.ID, fmt.Sprint("writer ", i)
		_, err := s.ReplaceUser(ctx, tenantA, in, u.Meta.Version)
		return err
	})
	ok, mismatches, other := countErrs(errs, scim.ErrVersionMismatch)
	if ok != 1 || mismatches != n-1 || other != nil {
		t.Fatalf("%d concurrent replaces of one version: %d succeeded, %d mismatched, other errors %v; want 1 and %d", n, ok, mismatches, other, n-1)
	}
	for i, err := range errs {
		if got := getUser(t, s, tenantA, u.ID).Title; err == nil && got != fmt.Sprint("writer ", i) {
			t.Errorf("writer %d won, but the title is %q", i, got)
		}
	}
}

func testConcurrentPatchSameVersion(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 10)
	g := createGroup(t, s, tenantA, "G")
	errs := parallel(len(us), func(ctx context.Context, i int) error {
		_, err := s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(us[i])}}, g.Meta.Version)
		return err
	})
	ok, mismatches, other := countErrs(errs, scim.ErrVersionMismatch)
	if ok != 1 || mismatches != len(us)-1 || other != nil {
		t.Fatalf("%d concurrent patches of one version: %d succeeded, %d mismatched, other errors %v; want 1 and %d", len(us), ok, mismatches, other, len(us)-1)
	}
	for i, err := range errs {
		if err == nil {
			checkMembership(t, s, tenantA, &scim.Group{ID: g.ID, Members: membersOf(us[i])}, us)
		}
	}
}

// testConcurrentAddMembers is Entra's parallel membership PATCHes: no
// add may be lost.
func testConcurrentAddMembers(t *testing.T, s scim.Store) {
	us := createUsers(t, s, tenantA, "u", 100)
	g := createGroup(t, s, tenantA, "G")
	errs := parallel(len(us), func(ctx context.Context, i int) error {
		_, err := s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(us[i])}}, "")
		return err
	})
	if ok, _, other := countErrs(errs, nil); ok != len(us) {
		t.Fatalf("concurrent adds failed: %v", other)
	}
	got := getGroup(t, s, tenantA, g.ID)
	if d := cmp.Diff(userIDs(us...), memberIDs(got)); d != "" {
		t.Errorf("members after %d concurrent adds (-want +got):\n%s", len(us), d)
	}
	checkMembership(t, s, tenantA, got, us)
}

func testConcurrentAddAndRemove(t *testing.T, s scim.Store) {
	const n = 20
	xs := createUsers(t, s, tenantA, "x", n)
	ys := createUsers(t, s, tenantA, "y", n)
	g := createGroup(t, s, tenantA, "G", ys...)
	errs := parallel(2*n, func(ctx context.Context, i int) error {
		op := add(xs[i/2])
		if i%2 == 1 {
			op = remove(ys[i/2])
		}
		_, err := s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{op}}, "")
		return err
	})
	if ok, _, other := countErrs(errs, nil); ok != 2*n {
		t.Fatalf("concurrent patches failed: %v", other)
	}
	got := getGroup(t, s, tenantA, g.ID)
	if d := cmp.Diff(userIDs(xs...), memberIDs(got)); d != "" {
		t.Errorf("members after concurrent adds and removes (-want +got):\n%s", d)
	}
	checkMembership(t, s, tenantA, got, append(xs, ys...))
}

// testConcurrentDeleteWhileAdding races adding users to a group against
// deleting them: whatever the interleaving, no deleted user stays a member.
func testConcurrentDeleteWhileAdding(t *testing.T, s scim.Store) {
	const n = 20
	us := createUsers(t, s, tenantA, "u", n)
	keep := createUser(t, s, tenantA, user("keep"))
	g := createGroup(t, s, tenantA, "G", keep)
	errs := parallel(2*n, func(ctx context.Context, i int) error {
		u := us[i/2]
		if i%2 == 0 {
			return s.DeleteUser(ctx, tenantA, u.ID, "")
		}
		_, err := s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(u)}}, "")
		return err
	})
	for i, err := range errs {
		switch {
		case err == nil:
		case i%2 == 0:
			t.Errorf("DeleteUser: %v", err)
		case !errors.Is(err, scim.ErrInvalidMember):
			t.Errorf("PatchGroup adding a user being deleted: %v, want nil or ErrInvalidMember", err)
		}
	}
	got := getGroup(t, s, tenantA, g.ID)
	if d := cmp.Diff([]string{keep.ID}, memberIDs(got)); d != "" {
		t.Errorf("members after racing adds against deletes (-want +got):\n%s", d)
	}
}

// testConcurrentReadersAndWriters mixes every kind of call, mostly for the
// race detector; the end state must still add up.
func testConcurrentReadersAndWriters(t *testing.T, s scim.Store) {
	const n = 16
	seed := createUsers(t, s, tenantA, "seed", 4)
	g := createGroup(t, s, tenantA, "G", seed[0])
	f := parse(t, userType(), `userName sw "w" or userName eq "seed1"`)
	gf := parse(t, groupType(), `members.value eq "`+seed[0].ID+`"`)
	errs := parallel(4*n, func(ctx context.Context, i int) error {
		switch i % 4 {
		case 0:
			u, err := s.CreateUser(ctx, tenantA, user(fmt.Sprint("w", i)))
			if err != nil {
				return err
			}
			in := user(u.UserName)
			in.ID, in.Title = u.ID, "updated"
			if _, err := s.ReplaceUser(ctx, tenantA, in, u.Meta.Version); err != nil {
				return err
			}
			_, err = s.PatchGroup(ctx, tenantA, g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{add(u)}}, "")
			return err
		case 1:
			_, err := s.ListUsers(ctx, tenantA, scim.Query{Filter: f, StartIndex: 1, Count: 5})
			return err
		case 2:
			_, err := s.ListGroups(ctx, tenantA, scim.Query{Filter: gf, StartIndex: 1, Count: 5})
			return err
		default:
			if _, err := s.GetGroup(ctx, tenantA, g.ID, scim.GetOptions{}); err != nil {
				return err
			}
			_, err := s.GetUser(ctx, tenantA, seed[0].ID)
			return err
		}
	})
	if _, _, other := countErrs(errs, nil); other != nil {
		t.Fatalf("concurrent calls failed: %v", other)
	}
	p := listUsers(t, s, tenantA, scim.Query{Filter: parse(t, userType(), `title eq "updated"`), StartIndex: 1, Count: 100})
	if p.TotalResults != n {
		t.Errorf("updated users: %d, want %d", p.TotalResults, n)
	}
	if got := getGroup(t, s, tenantA, g.ID); len(got.Members) != n+1 {
		t.Errorf("group members: %d, want %d", len(got.Members), n+1)
	}
}
