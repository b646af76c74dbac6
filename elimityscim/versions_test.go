package elimityscim_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/elimityscim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestConcurrentPatches: concurrent PATCHes of one user all land, through
// one adapter over a handler that ignores If-Match (the adapter's lock
// keeps the version check and the write together) and through two
// adapters, as on two servers, over a handler that honours it.
func TestConcurrentPatches(t *testing.T) {
	for _, tc := range []struct {
		name          string
		servers       int
		ignoreIfMatch bool
	}{
		{"one server, If-Match ignored", 1, true},
		{"two servers, If-Match honoured", 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMemory()
			m.ignoreIfMatch = tc.ignoreIfMatch
			var hs []*e2e.Client
			for range tc.servers {
				hs = append(hs, e2e.Serve(t, server(t, scim.Config{}, m.types()...), token))
			}
			id := hs[0].CreateUser(e2e.UserBody("ada@example.com"))
			var want []string
			var wg sync.WaitGroup
			for i := range 30 {
				phone := fmt.Sprintf("+1 555 01%02d", i)
				want = append(want, phone)
				wg.Go(func() {
					r := hs[i%len(hs)].Do("PATCH", "/Users/"+id, e2e.PatchBody(`{"op":"add","path":"phoneNumbers","value":[{"value":"`+phone+`"}]}`))
					if r.Status != 200 {
						t.Errorf("PATCH: %d %s", r.Status, r.Raw)
					}
				})
			}
			wg.Wait()
			var got []string
			for _, p := range hs[0].Must(200, "GET", "/Users/"+id, "").Body["phoneNumbers"].([]any) {
				got = append(got, e2e.Path(p, "value").(string))
			}
			if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
				t.Errorf("phone numbers (-want +got):\n%s", diff)
			}
		})
	}
}

// TestStaleVersion: a write that names a version other than the stored
// one fails with scim.ErrVersionMismatch and changes nothing, even when
// the handler ignores If-Match.
func TestStaleVersion(t *testing.T) {
	m := newMemory()
	m.ignoreIfMatch = true
	var users, groups scim.ResourceHandler
	for _, rt := range m.types() {
		r, err := elimityscim.Resource(rt)
		if err != nil {
			t.Fatal(err)
		}
		if rt.Name == "User" {
			users = r.Handler
		} else {
			groups = r.Handler
		}
	}
	ctx := t.Context()
	u, err := users.Create(ctx, "acme", map[string]any{"userName": "ada"})
	if err != nil {
		t.Fatal(err)
	}
	uid := u["id"].(string)
	g, err := groups.Create(ctx, "acme", map[string]any{"displayName": "Readers"})
	if err != nil {
		t.Fatal(err)
	}
	gid := g["id"].(string)
	stale := `W/"0"`
	for name, write := range map[string]func() error{
		"replace": func() error {
			_, err := users.Replace(ctx, "acme", uid, map[string]any{"userName": "grace"}, stale)
			return err
		},
		"delete": func() error { return users.Delete(ctx, "acme", uid, stale) },
		"patch members": func() error {
			_, err := groups.(scim.MemberPatcher).PatchMembers(ctx, "acme", gid, nil,
				[]scim.MemberOp{{Kind: scim.AddMembers, Members: []scim.Member{{Value: uid}}}}, stale)
			return err
		},
	} {
		if err := write(); !errors.Is(err, scim.ErrVersionMismatch) {
			t.Errorf("%s: %v, want ErrVersionMismatch", name, err)
		}
	}
	u2, err := users.Get(ctx, "acme", uid, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g2, err := groups.Get(ctx, "acme", gid, scim.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]any{u, g}, []map[string]any{u2, g2}); diff != "" {
		t.Errorf("changed (-before +after):\n%s", diff)
	}
}
