package filter_test

import (
	"fmt"

	"github.com/scimkit/scim/filter"
)

// FoldIdentity is the key a store keeps for a userName: NFD, fullwidth
// and upper-case forms of one name share it.
func ExampleFoldIdentity() {
	fmt.Println(filter.FoldIdentity("JOSE\u0301@Example.com"))
	fmt.Println(filter.FoldIdentity("ｆｕｌｌ@example.com"))
	// Output:
	// josé@example.com
	// full@example.com
}
