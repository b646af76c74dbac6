package memory

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

func TestKeyIndex(t *testing.T) {
	var x keyIndex[int]
	get := func(h uint64) []int {
		got := x.get(h)
		slices.Sort(got)
		return got
	}
	check := func(step string, h uint64, want []int) {
		t.Helper()
		if d := cmp.Diff(want, get(h)); d != "" {
			t.Errorf("%s: get(%d) (-want +got):\n%s", step, h, d)
		}
	}
	check("empty", 1, nil)
	x.remove(1, 10) // absent: no-op
	x.add(1, 10)
	x.add(1, 10) // twice: no-op
	x.add(1, 11)
	x.add(1, 12)
	x.add(1, 11)
	x.add(2, 20)
	check("added", 1, []int{10, 11, 12})
	check("added", 2, []int{20})
	if r, ok := x.find(1, func(r int) bool { return r > 10 }); !ok || r < 11 {
		t.Errorf("find(1, >10) = %d, %v", r, ok)
	}
	if r, ok := x.find(1, func(r int) bool { return r > 12 }); ok {
		t.Errorf("find(1, >12) = %d, want none", r)
	}

	x.remove(1, 10) // the first: another takes its place
	check("first removed", 1, []int{11, 12})
	x.remove(1, 12)
	check("other removed", 1, []int{11})
	x.remove(1, 99)
	check("absent removed", 1, []int{11})
	x.remove(1, 11)
	check("all removed", 1, nil)
	if len(x.one) != 1 || len(x.more) != 0 {
		t.Errorf("after removals: %d hashes, %d with more, want 1 and 0", len(x.one), len(x.more))
	}
}

// TestKeyIndexModel adds and removes records under a few hashes, many
// records to a hash, and compares every hash with a plain set after each
// step.
func TestKeyIndexModel(t *testing.T) {
	var x keyIndex[int]
	model := map[uint64]map[int]bool{}
	rng := rand.New(rand.NewPCG(3, 4))
	for step := range 20000 {
		h, r := uint64(rng.IntN(4)), rng.IntN(500)
		if rng.IntN(3) == 0 {
			x.remove(h, r)
			delete(model[h], r)
		} else {
			x.add(h, r)
			if model[h] == nil {
				model[h] = map[int]bool{}
			}
			model[h][r] = true
		}
		want := slices.Sorted(maps.Keys(model[h]))
		got := x.get(h)
		slices.Sort(got)
		if !slices.Equal(want, got) {
			t.Fatalf("step %d: get(%d) has %d records, want %d", step, h, len(got), len(want))
		}
		if _, ok := x.find(h, func(v int) bool { return v == r }); ok != model[h][r] {
			t.Fatalf("step %d: find(%d, %d) = %v", step, h, r, ok)
		}
	}
}

// BenchmarkKeyIndexShared adds and removes one record under a hash that
// n others share: the cost does not grow with n.
func BenchmarkKeyIndexShared(b *testing.B) {
	for _, n := range []int{10, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var x keyIndex[int]
			for i := range n {
				x.add(1, i)
			}
			for b.Loop() {
				x.add(1, -1)
				x.remove(1, -1)
			}
		})
	}
}

// TestHashCollision indexes a user under the hash of another userName, as
// a collision of the 64-bit hashes would, and checks that uniqueness and
// lookups still compare the names themselves.
func TestHashCollision(t *testing.T) {
	s := New()
	ctx := t.Context()
	alice := mustCreateUsers(t, s, 1, func(_ int, u *scim.User) { u.UserName = "alice" })[0]
	tn := s.tenant(tenant, false)
	rec := tn.user(alice.ID)
	tn.userNames.add(tn.hash("bob"), rec)

	bob, err := s.CreateUser(ctx, tenant, &scim.User{UserName: "Bob"})
	if err != nil {
		t.Fatalf("CreateUser(Bob) beside a colliding alice: %v", err)
	}
	if _, err := s.CreateUser(ctx, tenant, &scim.User{UserName: "BOB"}); !errors.Is(err, scim.ErrConflict) {
		t.Errorf("CreateUser(BOB): %v, want ErrConflict", err)
	}
	p, err := s.ListUsers(ctx, tenant, scim.Query{Filter: mustParse(t, schema.User(), `userName eq "bob"`), StartIndex: 1, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{bob.UserName}, userNames(p.Resources)); d != "" || p.TotalResults != 1 {
		t.Errorf(`userName eq "bob": TotalResults %d (-want +got):\n%s`, p.TotalResults, d)
	}
	if _, err := s.ReplaceUser(ctx, tenant, &scim.User{ID: bob.ID, UserName: "bob"}, ""); err != nil {
		t.Errorf("ReplaceUser(bob) beside a colliding alice: %v", err)
	}
}
