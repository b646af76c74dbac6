package schema

import (
	"strings"
	"testing"
)

const junoURN = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"

// juno returns a valid extension with every attribute type.
func juno() *Schema {
	return &Schema{
		ID:          junoURN,
		Name:        "Juno Journey User",
		Description: "What Juno Journey keeps about a learner.",
		Attributes: []*Attribute{
			{Name: "badgeNumber", Description: "The learner's badge.", CaseExact: true, Uniqueness: UniquenessServer},
			{Name: "employeeId", Indexed: true},
			{Name: "mentorOptIn", Type: Boolean},
			{Name: "credits", Type: Integer},
			{Name: "score", Type: Decimal},
			{Name: "enrolled", Type: DateTime, Mutability: Immutable},
			{Name: "profile", Type: Reference, ReferenceTypes: []string{"external"}},
			{Name: "photo", Type: Binary, Returned: ReturnedRequest},
			{Name: "mentor", Type: Complex, SubAttributes: []*Attribute{
				{Name: "value", Required: true},
				{Name: "display", Mutability: ReadOnly},
				{Name: "$ref", Type: Reference, ReferenceTypes: []string{"User"}},
			}},
			{Name: "skills", MultiValued: true},
			{Name: "learnerLevel", CanonicalValues: []string{"beginner", "intermediate", "advanced"}},
		},
	}
}

func TestSchemaValidate(t *testing.T) {
	const at = `schema "` + junoURN + `": `
	tests := []struct {
		name   string
		change func(s *Schema)
		want   string // "" means valid
	}{
		{"valid", func(s *Schema) {}, ""},
		{"upper-case URN scheme", func(s *Schema) { s.ID = "URN:example:acme:1.0/User" }, ""},
		{"percent-encoded URN", func(s *Schema) { s.ID = "urn:example:a%2Fb" }, ""},
		{"sub-attribute named like a reserved one", func(s *Schema) { s.Attr("mentor").SubAttributes[1].Name = "id" }, ""},
		{"id empty", func(s *Schema) { s.ID = "" },
			`schema "": the id is empty; use a URN such as "urn:ietf:params:scim:schemas:extension:acme:2.0:User"`},
		{"id not a URN", func(s *Schema) { s.ID = "acme:User" }, `schema "acme:User": ` + notURN},
		{"URN without NSS", func(s *Schema) { s.ID = "urn:acme" }, `schema "urn:acme": ` + notURN},
		{"URN with empty NSS", func(s *Schema) { s.ID = "urn:acme:" }, `schema "urn:acme:": ` + notURN},
		{"URN NID one letter", func(s *Schema) { s.ID = "urn:a:b" }, `schema "urn:a:b": ` + notURN},
		{"URN NID 33 letters", func(s *Schema) { s.ID = "urn:" + strings.Repeat("a", 33) + ":b" }, `schema "urn:` + strings.Repeat("a", 33) + `:b": ` + notURN},
		{"URN NID leading hyphen", func(s *Schema) { s.ID = "urn:-ab:x" }, `schema "urn:-ab:x": ` + notURN},
		{"URN NID dot", func(s *Schema) { s.ID = "urn:a.b:x" }, `schema "urn:a.b:x": ` + notURN},
		{"URN NSS space", func(s *Schema) { s.ID = "urn:ietf:params:scim:schemas:extension:juno journey:2.0:User" },
			`schema "urn:ietf:params:scim:schemas:extension:juno journey:2.0:User": ` + notURN},
		{"URN NSS starts with slash", func(s *Schema) { s.ID = "urn:acme:/User" }, `schema "urn:acme:/User": ` + notURN},
		{"URN with q-component", func(s *Schema) { s.ID = "urn:acme:User?=x" }, `schema "urn:acme:User?=x": ` + notURN},
		{"URN with fragment", func(s *Schema) { s.ID = "urn:acme:User#x" }, `schema "urn:acme:User#x": ` + notURN},
		{"URN bad percent escape", func(s *Schema) { s.ID = "urn:acme:User%2" }, `schema "urn:acme:User%2": ` + notURN},
		{"nil attribute", func(s *Schema) { s.Attributes[2] = nil }, at + `attribute "#3": the attribute is nil`},
		{"empty name", func(s *Schema) { s.Attributes[1].Name = "" }, at + `attribute "#2": the name is empty`},
		{"empty sub-attribute name", func(s *Schema) { s.Attr("mentor").SubAttributes[1].Name = "" }, at + `attribute "mentor.#2": the name is empty`},
		{"name starts with a digit", func(s *Schema) { s.Attributes[0].Name = "1badge" }, at + `attribute "1badge": ` + badName},
		{"name with a space", func(s *Schema) { s.Attributes[0].Name = "badge number" }, at + `attribute "badge number": ` + badName},
		{"name with a dot", func(s *Schema) { s.Attributes[0].Name = "badge.number" }, at + `attribute "badge.number": ` + badName},
		{"name with a colon", func(s *Schema) { s.Attributes[0].Name = "x:badge" }, at + `attribute "x:badge": ` + badName},
		{"name not ASCII", func(s *Schema) { s.Attributes[0].Name = "n\u00famero" }, at + "attribute \"n\u00famero\": " + badName},
		{"$ref at the top", func(s *Schema) { s.Attributes[0].Name = "$ref" }, at + `attribute "$ref": ` + badName},
		{"sub-attribute name", func(s *Schema) { s.Attr("mentor").SubAttributes[0].Name = "_value" }, at + `attribute "mentor._value": ` + badName},
		{"duplicate name", func(s *Schema) { s.Attributes[1].Name = "BadgeNumber" }, at + `attribute "BadgeNumber": the name is used twice (names are case-insensitive)`},
		{"duplicate sub-attribute", func(s *Schema) { s.Attr("mentor").SubAttributes[1].Name = "VALUE" },
			at + `attribute "mentor.VALUE": the name is used twice (names are case-insensitive)`},
		{"reserved id", func(s *Schema) { s.Attributes[0].Name = "id" }, at + `attribute "id": the name "id" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
		{"reserved externalId", func(s *Schema) { s.Attributes[0].Name = "EXTERNALID" },
			at + `attribute "EXTERNALID": the name "externalId" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
		{"reserved meta", func(s *Schema) { s.Attributes[0].Name = "meta" }, at + `attribute "meta": the name "meta" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
		{"reserved schemas", func(s *Schema) { s.Attributes[0].Name = "schemas" },
			at + `attribute "schemas": the name "schemas" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
		{"sub-attributes on a string", func(s *Schema) { s.Attributes[0].SubAttributes = []*Attribute{{Name: "number"}} },
			at + `attribute "badgeNumber": sub-attributes are allowed only on complex attributes`},
		{"sub-attributes on a sub-attribute", func(s *Schema) {
			s.Attributes = append(s.Attributes, &Attribute{Name: "badge", Type: Complex, SubAttributes: []*Attribute{
				{Name: "number", Type: Integer, SubAttributes: []*Attribute{{Name: "digits"}}}}})
		}, at + `attribute "badge.number": sub-attributes are allowed only on complex attributes`},
		{"complex without sub-attributes", func(s *Schema) { s.Attr("mentor").SubAttributes = nil },
			at + `attribute "mentor": a complex attribute needs sub-attributes`},
		{"complex inside complex", func(s *Schema) {
			s.Attr("mentor").SubAttributes[0] = &Attribute{Name: "value", Type: Complex, SubAttributes: []*Attribute{{Name: "id"}}}
		}, at + `attribute "mentor.value": ` + errNested.Error()},
		{"empty complex inside complex", func(s *Schema) { s.Attr("mentor").SubAttributes[0].Type = Complex },
			at + `attribute "mentor.value": a complex attribute needs sub-attributes`},
		{"unknown type", func(s *Schema) { s.Attributes[0].Type = "text" },
			at + `attribute "badgeNumber": unknown type "text"; use string, boolean, decimal, integer, dateTime, binary, reference or complex`},
		{"type in the wrong case", func(s *Schema) { s.Attributes[0].Type = "DateTime" },
			at + `attribute "badgeNumber": unknown type "DateTime"; use string, boolean, decimal, integer, dateTime, binary, reference or complex`},
		{"unknown mutability", func(s *Schema) { s.Attr("mentor").SubAttributes[1].Mutability = "readonly" },
			at + `attribute "mentor.display": unknown mutability "readonly"; use readOnly, readWrite, immutable or writeOnly`},
		{"unknown returned", func(s *Schema) { s.Attributes[0].Returned = "sometimes" },
			at + `attribute "badgeNumber": unknown returned "sometimes"; use always, never, default or request`},
		{"unknown uniqueness", func(s *Schema) { s.Attributes[0].Uniqueness = "unique" },
			at + `attribute "badgeNumber": unknown uniqueness "unique"; use none, server or global`},
		{"canonicalValues on an integer", func(s *Schema) { s.Attr("credits").CanonicalValues = []string{"1", "2"} },
			at + `attribute "credits": canonicalValues are allowed only on string attributes`},
		{"canonicalValues on a complex", func(s *Schema) { s.Attr("mentor").CanonicalValues = []string{"x"} },
			at + `attribute "mentor": canonicalValues are allowed only on string attributes`},
		{"referenceTypes on a string", func(s *Schema) { s.Attributes[0].ReferenceTypes = []string{"User"} },
			at + `attribute "badgeNumber": referenceTypes are allowed only on reference attributes`},
		{"referenceTypes on a sub-attribute string", func(s *Schema) { s.Attr("mentor").SubAttributes[0].ReferenceTypes = []string{"User"} },
			at + `attribute "mentor.value": referenceTypes are allowed only on reference attributes`},
		{"indexed complex", func(s *Schema) { s.Attr("mentor").Indexed = true },
			at + `attribute "mentor": indexed applies to simple attributes; mark the sub-attributes instead`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := juno()
			tc.change(s)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate: %v\nwant %s", err, tc.want)
			}
		})
	}
	if err := (*Schema)(nil).Validate(); err == nil {
		t.Error("nil schema: no error")
	}
}

const (
	notURN  = `the id is not a URN: want "urn:" NID ":" NSS (RFC 8141), such as "urn:ietf:params:scim:schemas:extension:acme:2.0:User"`
	badName = `the name must be a letter followed by letters, digits, "-" or "_" (RFC 7643 section 2.1)`
)

// TestBuiltinsValid: the definitions this package ships pass their own
// checks.
func TestBuiltinsValid(t *testing.T) {
	for _, rt := range []*ResourceType{User(), Group()} {
		if err := rt.Validate(); err != nil {
			t.Errorf("%s: %v", rt.Name, err)
		}
	}
	if err := EnterpriseUser().Validate(); err != nil {
		t.Error(err)
	}
}

func TestResourceTypeValidate(t *testing.T) {
	device := func() *ResourceType {
		return &ResourceType{
			Name: "Device", Endpoint: "/Devices",
			Schema: &Schema{ID: "urn:example:scim:schemas:core:1.0:Device", Attributes: []*Attribute{{Name: "serial", Required: true}}},
		}
	}
	ext := func(id string) Extension {
		return Extension{Schema: &Schema{ID: id, Attributes: []*Attribute{{Name: "color"}}}}
	}
	tests := []struct {
		name   string
		change func(rt *ResourceType)
		want   string
	}{
		{"valid", func(rt *ResourceType) {}, ""},
		{"valid with extensions", func(rt *ResourceType) {
			rt.Extensions = []Extension{ext("urn:example:a"), {Schema: juno(), Required: true}}
		}, ""},
		{"endpoint with a dot", func(rt *ResourceType) { rt.Endpoint = "/Devices.v1" }, ""},
		{"no name", func(rt *ResourceType) { rt.Name = "" },
			`resource type with endpoint "/Devices": the name is empty; name it, e.g. "Device"`},
		{"no endpoint", func(rt *ResourceType) { rt.Endpoint = "" },
			`resource type "Device": endpoint "" is not "/" and one path segment, like "/Devices"`},
		{"endpoint without slash", func(rt *ResourceType) { rt.Endpoint = "Devices" },
			`resource type "Device": endpoint "Devices" is not "/" and one path segment, like "/Devices"`},
		{"endpoint slash only", func(rt *ResourceType) { rt.Endpoint = "/" },
			`resource type "Device": endpoint "/" is not "/" and one path segment, like "/Devices"`},
		{"endpoint two segments", func(rt *ResourceType) { rt.Endpoint = "/v1/Devices" },
			`resource type "Device": endpoint "/v1/Devices" is not "/" and one path segment, like "/Devices"`},
		{"endpoint trailing slash", func(rt *ResourceType) { rt.Endpoint = "/Devices/" },
			`resource type "Device": endpoint "/Devices/" is not "/" and one path segment, like "/Devices"`},
		{"endpoint with a space", func(rt *ResourceType) { rt.Endpoint = "/My Devices" },
			`resource type "Device": endpoint "/My Devices" is not "/" and one path segment, like "/Devices"`},
		{"endpoint /Schemas", func(rt *ResourceType) { rt.Endpoint = "/Schemas" },
			`resource type "Device": endpoint "/Schemas" is the protocol's own (RFC 7644 section 3.2)`},
		{"endpoint /bulk", func(rt *ResourceType) { rt.Endpoint = "/bulk" },
			`resource type "Device": endpoint "/bulk" is the protocol's own (RFC 7644 section 3.2)`},
		{"endpoint /.search", func(rt *ResourceType) { rt.Endpoint = "/.search" },
			`resource type "Device": endpoint "/.search" is the protocol's own (RFC 7644 section 3.2)`},
		{"no core schema", func(rt *ResourceType) { rt.Schema = nil }, `resource type "Device": the core schema is nil`},
		{"core schema invalid", func(rt *ResourceType) { rt.Schema.Attributes[0].Type = "text" },
			`resource type "Device": schema "urn:example:scim:schemas:core:1.0:Device": attribute "serial": unknown type "text"; use string, boolean, decimal, integer, dateTime, binary, reference or complex`},
		{"core schema id not a URN", func(rt *ResourceType) { rt.Schema.ID = "Device" },
			`resource type "Device": schema "Device": ` + notURN},
		{"extension without schema", func(rt *ResourceType) { rt.Extensions = []Extension{ext("urn:example:a"), {Required: true}} },
			`resource type "Device": extension 2 has no schema`},
		{"extension is the core schema", func(rt *ResourceType) { rt.Extensions = []Extension{ext("URN:example:scim:schemas:core:1.0:device")} },
			`resource type "Device": extension "URN:example:scim:schemas:core:1.0:device" is the core schema`},
		{"extension twice", func(rt *ResourceType) {
			rt.Extensions = []Extension{ext("urn:example:a"), ext("urn:example:b"), ext("urn:EXAMPLE:a")}
		},
			`resource type "Device": extension "urn:EXAMPLE:a" is listed twice`},
		{"extension id not a URN", func(rt *ResourceType) { rt.Extensions = []Extension{ext("acme")} },
			`resource type "Device": schema "acme": ` + notURN},
		{"extension invalid", func(rt *ResourceType) {
			j := juno()
			j.Attributes[0].Name = "id"
			rt.Extensions = []Extension{{Schema: j}}
		}, `resource type "Device": schema "` + junoURN + `": attribute "id": the name "id" is reserved for the attribute every resource has (RFC 7643 section 3.1)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rt := device()
			tc.change(rt)
			err := rt.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate: %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("Validate: %v\nwant %s", err, tc.want)
			}
		})
	}
	if err := (*ResourceType)(nil).Validate(); err == nil {
		t.Error("nil resource type: no error")
	}
}
