package scim_test

import (
	"fmt"

	"github.com/scimkit/scim"
)

// Forms of one userName that identity systems treat as the same share a
// key: case, fullwidth letters and Unicode normalization do not matter.
func ExampleFoldUserName() {
	for _, name := range []string{"José@Example.com", "jose\u0301@example.com", "ｊｏｓé@example.com"} {
		fmt.Println(scim.FoldUserName(name) == scim.FoldUserName("josé@example.com"))
	}
	// Output:
	// true
	// true
	// true
}
