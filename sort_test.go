package scim_test

import (
	"encoding/json"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// TestSortKeyCompare checks the order SortKey defines, value by value.
func TestSortKeyCompare(t *testing.T) {
	ext := &schema.Schema{ID: "urn:example:sort", Attributes: []*schema.Attribute{
		{Name: "n", Type: schema.Decimal},
		{Name: "i", Type: schema.Integer},
		{Name: "b", Type: schema.Boolean},
		{Name: "d", Type: schema.DateTime},
		{Name: "s", Type: schema.String},
		{Name: "x", Type: schema.String, CaseExact: true},
		{Name: "tags", Type: schema.String, MultiValued: true},
	}}
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: ext})
	doc := func(k string, v any) map[string]any { return map[string]any{ext.ID: map[string]any{k: v}} }
	for _, tt := range []struct {
		by   string
		a, b any
		want int
	}{
		{"n", 1.5, json.Number("2"), -1},
		{"n", json.Number("10"), 9, 1},
		{"i", int64(-3), json.Number("-3"), 0},
		{"i", json.Number("9223372036854775807"), json.Number("9223372036854775806"), 1},
		{"b", false, true, -1},
		{"d", "2026-01-02T00:00:00+01:00", "2026-01-01T23:30:00Z", -1},
		{"s", "Émile", "zoe", 1}, // code point order of the folds: é > z
		{"s", "ALPHA", "alpha", 0},
		{"s", "ß", "SS", 1}, // simple folding keeps ß
		{"x", "B", "a", -1}, // caseExact: bytewise
		{"tags", []any{"b", "a"}, []any{"a"}, 1},
		{"s", "", "a", 1},  // "" is missing, after every value
		{"s", nil, nil, 0}, // missing ties
		{"i", "7", 8, 1},   // the wrong JSON type is missing
		{"d", "yesterday", "2026-01-01T00:00:00Z", 1},
	} {
		by, err := scim.ParseSortBy(rt, ext.ID+":"+tt.by)
		if err != nil {
			t.Fatal(err)
		}
		a, b := scim.SortKeyOf(by, doc(tt.by, tt.a)), scim.SortKeyOf(by, doc(tt.by, tt.b))
		if got := a.Compare(b); got != tt.want {
			t.Errorf("%s: Compare(%v, %v) = %d, want %d", tt.by, tt.a, tt.b, got, tt.want)
		}
		if got := b.Compare(a); got != -tt.want {
			t.Errorf("%s: Compare(%v, %v) = %d, want %d", tt.by, tt.b, tt.a, got, -tt.want)
		}
	}
}
