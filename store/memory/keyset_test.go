package memory

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

// BenchmarkCursorPage reads a cursor page (scim.Query.After) of 100
// users 90,000 users deep into a tenant of 100,000, unsorted and sorted:
// unsorted, the scan skips to the cursor's sequence; sorted, the store
// keys and sorts every match as for an index page, then finds the
// cursor's place by binary search.
func BenchmarkCursorPage(b *testing.B) {
	const n = 100_000
	s := New()
	mustCreateUsers(b, s, n, func(int, *scim.User) {})
	storetest.BenchCursorPage(b, s, tenant, n)
}
