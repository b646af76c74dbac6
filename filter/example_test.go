package filter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// Parse a filter as Entra sends it, resolve it against the User resource
// type, and evaluate it against a user in its JSON form.
func Example() {
	e, err := filter.Parse(`emails[type eq "work"].value eq "ALICE@example.com" and manager eq "m-1"`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := filter.Resolve(e, schema.User())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filter.String(r))

	d := json.NewDecoder(strings.NewReader(`{
	  "userName": "alice@example.com",
	  "emails": [{"value": "alice@example.com", "type": "work"}],
	  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m-1"}}
	}`))
	d.UseNumber()
	var doc map[string]any
	if err := d.Decode(&doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(filter.Match(r, doc))
	// Output:
	// emails[type eq "work" and value eq "ALICE@example.com"] and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1"
	// true
}

// Errors carry a Kind the server maps to a SCIM error.
func ExampleResolve_errors() {
	for _, f := range []string{`password eq "x"`, `nicknames eq "x"`, `name.nick pr`, `active gt true`, `userName eq`, `userName eq "<b>" junk`} {
		e, err := filter.Parse(f)
		if err == nil {
			_, err = filter.Resolve(e, schema.User())
		}
		var fe *filter.Error
		if errors.As(err, &fe) {
			fmt.Println(fe.Kind, err)
		}
	}
	// Output:
	// Sensitive filter: attribute "password" cannot be used in a filter
	// Unknown filter: attribute path 1 (from the left) names no attribute of User (GET /Schemas lists them)
	// Unknown filter: attribute path 1 (from the left) names no sub-attribute of "name"
	// Unsupported filter: "active" is boolean: only eq, ne and pr apply
	// Syntax filter: expected a value at end of input
	// Syntax filter: expected "and", "or" or the end of the filter at offset 18
}

func ExampleParsePath() {
	p, err := filter.ParsePath(`addresses[type eq "work"].streetAddress`)
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := filter.ResolvePath(p, schema.User())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Attr.Name, filter.String(r.Filter), r.ResolvedSub.Name)
	// Output:
	// addresses type eq "work" streetAddress
}
