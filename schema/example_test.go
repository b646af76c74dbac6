package schema_test

import (
	"fmt"
	"log"

	"github.com/scimkit/scim/schema"
)

const junoURN = "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User"

// An extension schema built in Go: a literal is enough, characteristics
// left out take RFC 7643's defaults (a single-valued, optional,
// case-insensitive, readWrite string). Attached to the User resource type,
// its attributes resolve like the core ones.
func Example_extension() {
	juno := &schema.Schema{
		ID:          junoURN,
		Name:        "Juno Journey User",
		Description: "What Juno Journey keeps about a learner.",
		Attributes: []*schema.Attribute{
			{Name: "badgeNumber", CaseExact: true, Uniqueness: schema.UniquenessServer, Description: "Printed on the learner's badge."},
			{Name: "employeeId", Indexed: true, Description: "The HR system's id, which the identity provider matches users on."},
			{Name: "mentorOptIn", Type: schema.Boolean},
			{Name: "credits", Type: schema.Integer},
			{Name: "averageScore", Type: schema.Decimal, Mutability: schema.ReadOnly},
			{Name: "enrolledAt", Type: schema.DateTime, Mutability: schema.Immutable},
			{Name: "portfolio", Type: schema.Reference, ReferenceTypes: []string{"external"}},
			{Name: "signature", Type: schema.Binary, Returned: schema.ReturnedRequest},
			{Name: "mentor", Type: schema.Complex, SubAttributes: []*schema.Attribute{
				{Name: "value", Required: true},
				{Name: "display", Mutability: schema.ReadOnly},
			}},
			{Name: "languages", MultiValued: true},
			{Name: "learnerLevel", CanonicalValues: []string{"beginner", "intermediate", "advanced"}},
		},
	}
	user := schema.User()
	user.Extensions = append(user.Extensions, schema.Extension{Schema: juno})
	if err := user.Validate(); err != nil {
		log.Fatal(err)
	}

	p, ok := user.Resolve(junoURN, "MENTOR", "display")
	fmt.Println(p, ok, p.Target().Mutability)
	fmt.Println(juno.Attr("badgenumber").IsIndexed(), juno.Attr("employeeId").IsIndexed(), juno.Attr("credits").IsIndexed())
	// Output:
	// urn:ietf:params:scim:schemas:extension:junojourney:2.0:User:mentor.display true readOnly
	// true true false
}

// An extension schema loaded from its RFC 7643 JSON form, such as a file a
// host ships or another server's GET /Schemas answer. "indexed" is
// scimkit's own characteristic.
func ExampleParse() {
	schemas, err := schema.Parse([]byte(`{
	  "id": "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User",
	  "name": "Juno Journey User",
	  "attributes": [
	    {"name": "badgeNumber", "type": "string", "caseExact": true, "uniqueness": "server"},
	    {"name": "employeeId", "indexed": true},
	    {"name": "learnerLevel", "canonicalValues": ["beginner", "intermediate", "advanced"]},
	    {"name": "mentor", "type": "complex", "subAttributes": [
	      {"name": "value", "required": true},
	      {"name": "display", "mutability": "readOnly"}
	    ]}
	  ]
	}`))
	if err != nil {
		log.Fatal(err)
	}
	juno := schemas[0]
	a := juno.Attr("employeeid")
	fmt.Println(a.Name, a.Type, a.Mutability, a.Returned, a.Uniqueness, a.Indexed)
	fmt.Println(juno.Attr("mentor").Sub("DISPLAY").Mutability)

	_, err = schema.Parse([]byte(`{"id": "urn:example:acme:1.0:User", "attributes": [{"name": "badge", "multivalued": "yes"}]}`))
	fmt.Println(err)
	// Output:
	// employeeId string readWrite default none true
	// readOnly
	// schema "urn:example:acme:1.0:User": attribute "badge": "multiValued" must be true or false
}

// Validate names the schema and the attribute at fault.
func ExampleSchema_Validate() {
	s := &schema.Schema{
		ID: junoURN,
		Attributes: []*schema.Attribute{
			{Name: "badge", Type: schema.Complex, SubAttributes: []*schema.Attribute{
				{Name: "number", Type: schema.Integer, SubAttributes: []*schema.Attribute{{Name: "digits"}}},
			}},
		},
	}
	fmt.Println(s.Validate())
	// Output:
	// schema "urn:ietf:params:scim:schemas:extension:junojourney:2.0:User": attribute "badge.number": sub-attributes are allowed only on complex attributes
}
