package schema

import (
	"encoding/json"
	"strings"
	"testing"

	escim "github.com/elimity-com/scim/schema"
	"github.com/google/go-cmp/cmp"
)

func decodeMap(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
	return m
}

// TestMarshalMatchesElimity: /Schemas shows identity providers everything
// elimity-com/scim's rendering of the core schemas did. Two differences are
// deliberate, and written into the expectation here:
//   - meta {"resourceType": "Schema"}, which RFC 7643 section 7 gives every
//     Schema resource (the server adds meta.location);
//   - caseExact and uniqueness on boolean and complex attributes, which
//     elimity leaves out: RFC 7643 section 8.7.1 lists uniqueness on the
//     complex ones, and both are spelt out everywhere so that a reader
//     never has to know the defaults.
func TestMarshalMatchesElimity(t *testing.T) {
	for _, tc := range []struct {
		ours   *Schema
		theirs escim.Schema
	}{
		{CoreUser(), escim.CoreUserSchema()},
		{CoreGroup(), escim.CoreGroupSchema()},
		{EnterpriseUser(), escim.ExtensionEnterpriseUser()},
	} {
		t.Run(tc.ours.ID, func(t *testing.T) {
			theirs, err := json.Marshal(tc.theirs)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeMap(t, theirs)
			want["meta"] = map[string]any{"resourceType": "Schema"}
			var spellOut func(attrs []any)
			spellOut = func(attrs []any) {
				for _, a := range attrs {
					am := a.(map[string]any)
					if typ := am["type"]; typ == "boolean" || typ == "complex" {
						if _, ok := am["caseExact"]; ok {
							t.Errorf("elimity now renders caseExact of %s: drop this adjustment", am["name"])
						}
						am["caseExact"], am["uniqueness"] = false, "none"
					}
					if subs, ok := am["subAttributes"].([]any); ok {
						spellOut(subs)
					}
				}
			}
			spellOut(want["attributes"].([]any))
			ours, err := json.Marshal(tc.ours)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, decodeMap(t, ours)); diff != "" {
				t.Errorf("(-elimity +ours):\n%s", diff)
			}
		})
	}
}

// TestMarshalLiteral: zero values render as the RFC defaults they stand
// for; Indexed is never rendered; referenceTypes only for references;
// canonicalValues, name and description only when set.
func TestMarshalLiteral(t *testing.T) {
	s := &Schema{
		ID: "urn:example:scim:acme:1.0:User",
		Attributes: []*Attribute{
			{Name: "badge", Indexed: true},
			{Name: "level", CanonicalValues: []string{"a", "b"}, Description: "The level."},
			{Name: "card", Type: Reference, ReferenceTypes: []string{"external"}, CaseExact: true},
			{Name: "owner", Type: Complex, MultiValued: true, Required: true, Mutability: Immutable, Returned: ReturnedRequest, SubAttributes: []*Attribute{
				{Name: "value", Uniqueness: UniquenessServer},
			}},
		},
	}
	const want = `{
	  "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
	  "id": "urn:example:scim:acme:1.0:User",
	  "attributes": [
	    {"name": "badge", "type": "string", "multiValued": false, "required": false, "caseExact": false,
	     "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
	    {"name": "level", "type": "string", "multiValued": false, "description": "The level.", "required": false,
	     "canonicalValues": ["a", "b"], "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none"},
	    {"name": "card", "type": "reference", "multiValued": false, "required": false, "caseExact": true,
	     "mutability": "readWrite", "returned": "default", "uniqueness": "none", "referenceTypes": ["external"]},
	    {"name": "owner", "type": "complex", "multiValued": true, "required": true, "caseExact": false,
	     "mutability": "immutable", "returned": "request", "uniqueness": "none", "subAttributes": [
	       {"name": "value", "type": "string", "multiValued": false, "required": false, "caseExact": false,
	        "mutability": "readWrite", "returned": "default", "uniqueness": "server"}]}
	  ],
	  "meta": {"resourceType": "Schema"}
	}`
	got, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(decodeMap(t, []byte(want)), decodeMap(t, got)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The empty schema still has an attributes array.
	got, err = json.Marshal(&Schema{ID: "urn:example:empty"})
	if err != nil || !strings.Contains(string(got), `"attributes":[]`) {
		t.Errorf("empty schema: %s, %v", got, err)
	}
}

// TestMarshalMalformed: what RFC 7643 cannot express is an error, not a
// deep or endless recursion.
func TestMarshalMalformed(t *testing.T) {
	loop := &Attribute{Name: "loop", Type: Complex}
	loop.SubAttributes = []*Attribute{loop}
	tests := []struct {
		name string
		s    *Schema
		want string
	}{
		{"nil attribute", &Schema{ID: "urn:x:y", Attributes: []*Attribute{nil}}, `schema "urn:x:y": a nil attribute`},
		{"nil sub-attribute", &Schema{ID: "urn:x:y", Attributes: []*Attribute{{Name: "a", Type: Complex, SubAttributes: []*Attribute{nil}}}},
			`schema "urn:x:y": attribute "a": a nil sub-attribute`},
		{"cycle", &Schema{ID: "urn:x:y", Attributes: []*Attribute{loop}}, `schema "urn:x:y": attribute "loop.loop": ` + errNested.Error()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.MarshalJSON()
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %s", err, tc.want)
			}
		})
	}
}
