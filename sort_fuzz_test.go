package scim_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// FuzzParseSortBy checks that any sortBy either fails with a SCIM 400
// invalidValue or resolves to a sortable path: an attribute, with a
// sub-attribute when it is complex, never one that is not returned.
func FuzzParseSortBy(f *testing.F) {
	for _, s := range []string{"userName", "name.familyName", "emails", "meta.created", "password", "name",
		schema.EnterpriseUserURN + ":manager", `emails[type eq "work"].value`, "urn:x:y", "", " ", "a.b.c"} {
		f.Add(s)
	}
	rt := schema.User() // with the enterprise extension
	f.Fuzz(func(t *testing.T, s string) {
		p, err := scim.ParseSortBy(rt, s)
		if err != nil {
			e, ok := err.(*scim.Error)
			if !ok || e.Status != 400 || e.ScimType != scim.InvalidValue {
				t.Fatalf("ParseSortBy(%q): %#v, want a 400 invalidValue *scim.Error", s, err)
			}
			return
		}
		a := p.Resolved.Attr
		if a == nil || a.Type == schema.Complex && p.Resolved.Sub == nil {
			t.Fatalf("ParseSortBy(%q) = %+v: not a sortable path", s, p)
		}
		for _, x := range []*schema.Attribute{a, p.Resolved.Sub} {
			if x != nil && x.Returned == schema.ReturnedNever {
				t.Fatalf("ParseSortBy(%q) accepted %s, which is never returned", s, x.Name)
			}
		}
		// Keys never panic on an empty or odd document.
		_ = scim.SortKeyOf(p, map[string]any{a.Name: []any{nil, "x", map[string]any{}}})
	})
}
