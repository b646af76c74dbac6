package scim

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/scimkit/scim/schema"
)

// TestSameWritable ties sameWritable to what it replaces: DeepEqual of
// copies of both documents without id, meta and the readOnly attributes.
func TestSameWritable(t *testing.T) {
	rt := schema.User()
	reference := func(a, b map[string]any) bool {
		strip := func(doc map[string]any) map[string]any {
			m := maps.Clone(doc)
			delete(m, "id")
			delete(m, "meta")
			for _, attr := range rt.Schema.Attributes {
				if attr.Mutability == schema.ReadOnly {
					delete(m, attr.Name)
				}
			}
			return m
		}
		return reflect.DeepEqual(strip(a), strip(b))
	}
	base := map[string]any{"id": "1", "userName": "ada", "active": true, "name": map[string]any{"givenName": "Ada"},
		"meta": map[string]any{"version": "1"}, "groups": []any{map[string]any{"value": "g"}}}
	with := func(edit func(m map[string]any)) map[string]any {
		m := deepCopyMap(base)
		edit(m)
		return m
	}
	cases := []struct {
		name string
		a, b map[string]any
	}{
		{"same", base, with(func(map[string]any) {})},
		{"nil and nil", nil, nil},
		{"nil and empty", nil, map[string]any{}},
		{"empty and only maintained", map[string]any{}, map[string]any{"id": "x", "meta": map[string]any{}, "groups": []any{}}},
		{"nil and only maintained", nil, map[string]any{"id": "x"}},
		{"id differs", base, with(func(m map[string]any) { m["id"] = "2" })},
		{"meta differs", base, with(func(m map[string]any) { m["meta"] = map[string]any{"version": "2"} })},
		{"groups differ", base, with(func(m map[string]any) { delete(m, "groups") })},
		{"value differs", base, with(func(m map[string]any) { m["active"] = false })},
		{"nested value differs", base, with(func(m map[string]any) { m["name"].(map[string]any)["givenName"] = "Augusta" })},
		{"attribute added", base, with(func(m map[string]any) { m["title"] = "Countess" })},
		{"attribute removed", base, with(func(m map[string]any) { delete(m, "active") })},
		{"nil value vs absent", base, with(func(m map[string]any) { m["title"] = nil })},
		{"key case differs", base, with(func(m map[string]any) { m["Active"] = m["active"]; delete(m, "active") })},
	}
	for _, c := range cases {
		for _, pair := range [][2]map[string]any{{c.a, c.b}, {c.b, c.a}} {
			if got, want := sameWritable(rt, pair[0], pair[1]), reference(pair[0], pair[1]); got != want {
				t.Errorf("%s: sameWritable = %v, reference = %v", c.name, got, want)
			}
		}
	}
	// Random documents over a few keys, maintained and not.
	keys := []string{"id", "meta", "groups", "userName", "active", "title"}
	vals := []any{nil, "a", "b", true, map[string]any{"x": "1"}, []any{"1"}}
	r := rand.New(rand.NewPCG(1, 2))
	random := func() map[string]any {
		if r.IntN(10) == 0 {
			return nil
		}
		m := map[string]any{}
		for _, k := range keys {
			if r.IntN(2) == 0 {
				m[k] = vals[r.IntN(len(vals))]
			}
		}
		return m
	}
	for i := range 5000 {
		a, b := random(), random()
		if r.IntN(3) == 0 {
			b = deepCopyMap(a)
		}
		if got, want := sameWritable(rt, a, b), reference(a, b); got != want {
			t.Fatalf("case %d: sameWritable(%s, %s) = %v, reference %v", i, fmt.Sprint(a), fmt.Sprint(b), got, want)
		}
	}
}
