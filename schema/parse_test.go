package schema

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreIndex = cmpopts.IgnoreUnexported(Schema{}, Attribute{})

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestParseForms: one Schema, an array of them, and a ListResponse (what
// GET /Schemas answers) are all read.
func TestParseForms(t *testing.T) {
	user, ent := mustJSON(t, CoreUser()), mustJSON(t, EnterpriseUser())
	list := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":2,"itemsPerPage":2,"startIndex":1,"Resources":[` + user + `,` + ent + `]}`
	tests := []struct {
		name, in string
		want     []string
	}{
		{"one", user, []string{UserURN}},
		{"one with whitespace", "\n  " + ent + "\n", []string{EnterpriseUserURN}},
		{"array", "[" + user + "," + ent + "]", []string{UserURN, EnterpriseUserURN}},
		{"empty array", "[]", []string{}},
		{"ListResponse", list, []string{UserURN, EnterpriseUserURN}},
		{"ListResponse in other cases", strings.Replace(list, `"Resources"`, `"resources"`, 1), []string{UserURN, EnterpriseUserURN}},
		{"empty ListResponse", `{"totalResults":0,"Resources":[]}`, []string{}},
		{"schema with meta", `{"id":"urn:ex:b","attributes":[],"meta":{"resourceType":"Schema","location":"https://x/Schemas/urn:ex:b"}}`, []string{"urn:ex:b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			ids := []string{}
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if diff := cmp.Diff(tc.want, ids); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseDefaults: left-out characteristics take RFC 7643's defaults;
// names and values match case-insensitively; null is left out; indexed is
// read.
func TestParseDefaults(t *testing.T) {
	got, err := Parse([]byte(`{
	  "id": "urn:example:acme:1.0:User", "name": "Acme", "description": null,
	  "attributes": [
	    {"name": "badge"},
	    {"NAME": "level", "Type": "INTEGER", "MULTIVALUED": true, "Mutability": "READONLY", "returned": "Always",
	     "uniqueness": "Server", "required": true, "caseExact": null, "description": "The level."},
	    {"name": "employeeId", "indexed": true, "canonicalValues": [], "referenceTypes": null},
	    {"name": "home", "type": "reference", "referenceTypes": ["external", "uri"], "caseExact": true},
	    {"name": "kind", "canonicalValues": ["a", "b"]},
	    {"name": "owner", "type": "complex", "subAttributes": [{"name": "value"}, {"name": "$ref", "type": "reference"}]}
	  ]}`))
	if err != nil {
		t.Fatal(err)
	}
	simple := func(a Attribute) *Attribute {
		a.Type, a.Mutability, a.Returned, a.Uniqueness = typeOf(&a), orDefault(a.Mutability, ReadWrite), orDefault(a.Returned, ReturnedDefault), orDefault(a.Uniqueness, UniquenessNone)
		return &a
	}
	want := []*Schema{{
		ID: "urn:example:acme:1.0:User", Name: "Acme",
		Attributes: []*Attribute{
			simple(Attribute{Name: "badge"}),
			{Name: "level", Type: Integer, MultiValued: true, Mutability: ReadOnly, Returned: ReturnedAlways, Uniqueness: UniquenessServer, Required: true, Description: "The level."},
			simple(Attribute{Name: "employeeId", Indexed: true}),
			simple(Attribute{Name: "home", Type: Reference, ReferenceTypes: []string{"external", "uri"}, CaseExact: true}),
			simple(Attribute{Name: "kind", CanonicalValues: []string{"a", "b"}}),
			simple(Attribute{Name: "owner", Type: Complex, SubAttributes: []*Attribute{
				simple(Attribute{Name: "value"}),
				simple(Attribute{Name: "$ref", Type: Reference}),
			}}),
		},
	}}
	if diff := cmp.Diff(want, got, ignoreIndex); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got[0].Attr("EMPLOYEEID") == nil || got[0].Attr("owner").Sub("$REF") == nil {
		t.Error("the parsed schema does not look its attributes up")
	}
}

func TestParseErrors(t *testing.T) {
	const id = `"id":"urn:example:acme:1.0:User"`
	const at = `schema "urn:example:acme:1.0:User": `
	withAttrs := func(attrs string) string { return `{` + id + `,"attributes":[` + attrs + `]}` }
	deep := strings.Repeat("[", 13) + strings.Repeat("]", 13)
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "schema JSON: offset 0: unexpected end of JSON"},
		{"not JSON", `{"id":`, "schema JSON: offset 6: unexpected end of JSON"},
		{"data after", `[] []`, "schema JSON: offset 3: data after the JSON value"},
		{"duplicate key", `{"id":"urn:ex:b","id":"urn:ex:c","attributes":[]}`, `schema JSON: offset 17: duplicate key "id"`},
		{"too deep", deep, "schema JSON: nested deeper than any schema definition (12 levels)"},
		{"too big", `"` + strings.Repeat("x", MaxParseBytes) + `"`, "schema JSON: 1048578 bytes, over the limit of 1048576"},
		{"string", `"urn:ex:b"`, "schema JSON: want a Schema object, an array of them or a ListResponse"},
		{"Resources not an array", `{"Resources":{}}`, `schema JSON: "Resources" of a ListResponse must be an array of Schema objects`},
		{"Resources null", `{"Resources":null}`, `schema JSON: "Resources" of a ListResponse must be an array of Schema objects`},
		{"Resources twice", `{"Resources":[],"resources":[]}`, `schema JSON: ListResponse: member "Resources" is given twice, in different cases`},
		{"ListResponse unknown member", `{"Resources":[],"total":1}`,
			`schema JSON: ListResponse: unknown member "total"; known are schemas, totalResults, itemsPerPage, startIndex, Resources`},
		{"schema not an object", `[{"id":"urn:ex:b","attributes":[]}, 3]`, "schema #2: want a Schema object"},
		{"unknown schema member", `{` + id + `,"attributes":[],"attribute":[]}`,
			at + `unknown member "attribute"; known are id, name, description, attributes, schemas, meta`},
		{"id twice in different cases", `{"id":"urn:ex:b","ID":"urn:ex:c","attributes":[]}`, `schema "urn:ex:b": member "id" is given twice, in different cases`},
		{"id a number", `{"id":7,"attributes":[]}`, `schema #1: "id" must be a string`},
		{"name an object", `{` + id + `,"name":{},"attributes":[]}`, at + `"name" must be a string`},
		{"no attributes", `{` + id + `}`, at + `"attributes" is missing`},
		{"attributes an object", `{` + id + `,"attributes":{}}`, at + `"attributes" must be an array of attribute objects`},
		{"attribute not an object", withAttrs(`{"name":"a"},"b"`), at + `attribute "#2": want an attribute object`},
		{"misspelt characteristic", withAttrs(`{"name":"badge","requred":true}`),
			at + `attribute "badge": unknown member "requred"; known are name, type, multiValued, description, required, canonicalValues, caseExact, mutability, returned, uniqueness, referenceTypes, subAttributes, indexed`},
		{"characteristic twice", withAttrs(`{"name":"badge","multiValued":true,"multivalued":false}`),
			at + `attribute "badge": member "multiValued" is given twice, in different cases`},
		{"string boolean", withAttrs(`{"name":"badge","required":"true"}`), at + `attribute "badge": "required" must be true or false`},
		{"indexed a string", withAttrs(`{"name":"badge","indexed":"yes"}`), at + `attribute "badge": "indexed" must be true or false`},
		{"name a number", withAttrs(`{"name":5}`), at + `attribute "#1": "name" must be a string`},
		{"type a number", withAttrs(`{"name":"a","type":1}`), at + `attribute "a": "type" must be a string`},
		{"canonicalValues with a number", withAttrs(`{"name":"a","canonicalValues":["x",1]}`), at + `attribute "a": "canonicalValues" must be an array of strings`},
		{"referenceTypes a string", withAttrs(`{"name":"a","type":"reference","referenceTypes":"User"}`), at + `attribute "a": "referenceTypes" must be an array of strings`},
		{"subAttributes an object", withAttrs(`{"name":"a","type":"complex","subAttributes":{}}`), at + `attribute "a": "subAttributes" must be an array of attribute objects`},
		{"sub-attribute misspelt", withAttrs(`{"name":"a","type":"complex","subAttributes":[{"name":"b","mutabilty":"readOnly"}]}`),
			at + `attribute "a.b": unknown member "mutabilty"; known are name, type, multiValued, description, required, canonicalValues, caseExact, mutability, returned, uniqueness, referenceTypes, subAttributes, indexed`},
		{"sub-attribute without a name", withAttrs(`{"name":"a","type":"complex","subAttributes":[{"name":"b"},{"type":"string"}]}`),
			at + `attribute "a.#2": the name is empty`},
		{"unknown type", withAttrs(`{"name":"a","type":"text"}`),
			at + `attribute "a": unknown type "text"; use string, boolean, decimal, integer, dateTime, binary, reference or complex`},
		{"unknown mutability", withAttrs(`{"name":"a","mutability":"sometimes"}`),
			at + `attribute "a": unknown mutability "sometimes"; use readOnly, readWrite, immutable or writeOnly`},
		{"sub-attributes on a string", withAttrs(`{"name":"a","subAttributes":[{"name":"b"}]}`),
			at + `attribute "a": sub-attributes are allowed only on complex attributes`},
		{"complex inside complex", withAttrs(`{"name":"a","type":"complex","subAttributes":[{"name":"b","type":"complex","subAttributes":[{"name":"c","canonicalValues":["x"]}]}]}`),
			at + `attribute "a.b": ` + errNested.Error()},
		{"reserved name", withAttrs(`{"name":"meta"}`), at + `attribute "meta": the name "meta" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
		{"id not a URN", `{"id":"Acme","attributes":[]}`, `schema "Acme": ` + notURN},
		{"id twice", `[{"id":"urn:ex:b","attributes":[]},{"id":"URN:ex:b","attributes":[]}]`, `schema "URN:ex:b": the id is defined twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse([]byte(tc.in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("Parse: %v, %v\nwant error %s", got, err, tc.want)
			}
		})
	}
}

// explicit returns a deep copy of s as Parse reads it back from
// MarshalJSON: zero characteristics spelt out, Indexed (not rendered)
// dropped.
func explicit(s *Schema) *Schema {
	var conv func(a *Attribute) *Attribute
	conv = func(a *Attribute) *Attribute {
		c := &Attribute{
			Name: a.Name, Type: typeOf(a), Description: a.Description, MultiValued: a.MultiValued,
			Required: a.Required, CaseExact: a.CaseExact, Mutability: orDefault(a.Mutability, ReadWrite),
			Returned: orDefault(a.Returned, ReturnedDefault), Uniqueness: orDefault(a.Uniqueness, UniquenessNone),
			CanonicalValues: a.CanonicalValues, ReferenceTypes: a.ReferenceTypes,
		}
		for _, sa := range a.SubAttributes {
			c.SubAttributes = append(c.SubAttributes, conv(sa))
		}
		return c
	}
	out := &Schema{ID: s.ID, Name: s.Name, Description: s.Description}
	for _, a := range s.Attributes {
		out.Attributes = append(out.Attributes, conv(a))
	}
	return out
}

// TestRoundTrip: MarshalJSON then Parse gives back the definition, and
// rendering that again gives the same JSON.
func TestRoundTrip(t *testing.T) {
	for _, s := range []*Schema{CoreUser(), CoreGroup(), EnterpriseUser(), juno(), {ID: "urn:example:empty"}} {
		t.Run(s.ID, func(t *testing.T) {
			b := mustJSON(t, s)
			got, err := Parse([]byte(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 {
				t.Fatalf("%d schemas", len(got))
			}
			if diff := cmp.Diff(explicit(s), got[0], ignoreIndex, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if again := mustJSON(t, got[0]); again != b {
				t.Errorf("rendered again:\n%s\nwant\n%s", again, b)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []*Schema{CoreUser(), CoreGroup(), juno()} {
		f.Add([]byte(mustJSON(f, s)))
	}
	f.Add([]byte(`[{"id":"urn:ex:b","attributes":[{"name":"x","type":"complex","subAttributes":[{"name":"$ref","type":"reference","referenceTypes":["User"]}]}]}]`))
	f.Add([]byte(`{"Resources":[{"id":"urn:ex:b","attributes":[{"NAME":"x","indexed":true,"Mutability":"readonly"}]}]}`))
	f.Add([]byte(`{"id":"urn:ex:b","attributes":[{"name":"a","type":"complex","subAttributes":[{"name":"b","type":"complex","subAttributes":[{"name":"c"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range got {
			if err := s.Validate(); err != nil {
				t.Fatalf("Parse returned an invalid schema: %v", err)
			}
			b, err := json.Marshal(s)
			if err != nil {
				t.Fatalf("MarshalJSON: %v", err)
			}
			back, err := Parse(b)
			if err != nil {
				t.Fatalf("Parse(MarshalJSON(x)): %v\n%s", err, b)
			}
			if diff := cmp.Diff(explicit(s), back[0], ignoreIndex, cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("round trip (-want +got):\n%s", diff)
			}
		}
	})
}
