package scim_test

import (
	"fmt"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// A host's ResourceHandler that keeps documents in memory sorts a List
// with SortDocs, in the order the bundled stores use.
func ExampleSortDocs() {
	by, err := scim.ParseSortBy(schema.User(), "emails")
	if err != nil {
		panic(err)
	}
	docs := []map[string]any{
		{"id": "1", "userName": "no-email"},
		{"id": "2", "userName": "bob", "emails": []any{
			map[string]any{"value": "z@example.com"},
			map[string]any{"value": "Bob@example.com", "primary": true},
		}},
		{"id": "3", "userName": "ada", "emails": []any{map[string]any{"value": "ada@example.com"}}},
	}
	scim.SortDocs(docs, by, false)
	for _, d := range docs {
		fmt.Println(d["userName"])
	}
	// Output:
	// ada
	// bob
	// no-email
}

// ParseSortBy resolves a sortBy value as the server does; a store
// compares resources by their SortKey.
func ExampleParseSortBy() {
	by, err := scim.ParseSortBy(schema.User(), "NAME.familyName")
	if err != nil {
		panic(err)
	}
	a := scim.UserSortKey(by, &scim.User{Name: &scim.Name{FamilyName: "lovelace"}})
	b := scim.UserSortKey(by, &scim.User{Name: &scim.Name{FamilyName: "Turing"}})
	missing := scim.UserSortKey(by, &scim.User{})
	fmt.Println(by, a.Compare(b), b.Compare(missing), missing.Missing())
	// Output:
	// name.familyName -1 -1 true
}
