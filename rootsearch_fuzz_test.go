package scim

import (
	"testing"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// FuzzNarrow checks that a filter narrowed to one resource type for a
// search across types (constants folded, meta.resourceType decided)
// selects exactly what the whole filter selects when every attribute the
// type lacks has no value.
func FuzzNarrow(f *testing.F) {
	for _, s := range []string{
		`userName eq "ann@x"`, `displayName eq "ops"`, `members[value eq "u1"]`, `not (userName pr)`,
		`userName ne "x" and displayName pr`, `meta.resourceType eq "Group" or userName sw "a"`,
		`not (meta.resourceType ne "User" and members pr) or emails[type eq "work"]`,
		`shoeSize eq null or not (active eq true)`, `meta.created gt "2026-01-02T12:00:00Z" and not (members.value eq "u1")`,
		`urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "Ops"`,
	} {
		f.Add(s)
	}
	types := []*schema.ResourceType{schema.User(), schema.Group()}
	docs := []map[string]any{
		{"id": "u1", "userName": "ann@x", "displayName": "Ops", "active": true,
			"emails": []any{map[string]any{"value": "a@x", "type": "work"}},
			"meta":   map[string]any{"resourceType": "User", "created": "2026-01-02T00:00:00Z"}},
		{"id": "g1", "displayName": "Ops", "members": []any{map[string]any{"value": "u1"}},
			"meta": map[string]any{"resourceType": "Group", "created": "2026-01-03T00:00:00Z"}},
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := filter.Parse(s)
		if err != nil {
			return
		}
		for i, rt := range types {
			var n int
			known := make([]bool, leaves(e))
			narrowed, v, err := narrow(e, rt, known, &n)
			if err != nil {
				continue
			}
			if n != len(known) {
				t.Fatalf("%q on %s: %d leaves visited, want %d", s, rt.Name, n, len(known))
			}
			got := v == matchAll || v == matchSome && filter.Match(narrowed, docs[i])
			if want := filter.Match(absentOracle(e, rt), docs[i]); got != want {
				t.Errorf("%q on %s: narrowed %v (verdict %d), want %v", s, rt.Name, got, v, want)
			}
		}
	})
}

// absentOracle resolves e against rt, leaf by leaf, with each leaf rt
// cannot resolve rewritten to name an attribute no document has.
func absentOracle(e filter.Expr, rt *schema.ResourceType) filter.Expr {
	switch n := e.(type) {
	case *filter.And:
		return &filter.And{Left: absentOracle(n.Left, rt), Right: absentOracle(n.Right, rt)}
	case *filter.Or:
		return &filter.Or{Left: absentOracle(n.Left, rt), Right: absentOracle(n.Right, rt)}
	case *filter.Not:
		return &filter.Not{X: absentOracle(n.X, rt)}
	}
	if r, err := filter.Resolve(e, rt); err == nil {
		return r
	}
	absent := filter.AttrPath{Name: "absentFromEveryDocument"}
	if c, ok := e.(*filter.Compare); ok {
		return &filter.Compare{Path: absent, Op: c.Op, Value: c.Value}
	}
	return &filter.ValuePath{Path: absent, Filter: e.(*filter.ValuePath).Filter}
}
