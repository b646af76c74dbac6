package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// BenchmarkCursorPage reads a cursor page (scim.Query.After) of 100
// users 90,000 users deep into a tenant of 100,000, unsorted and sorted:
// unsorted, the scan skips to the cursor's sequence; sorted, the store
// keys and sorts every match as for an index page, then finds the
// cursor's place by binary search.
func BenchmarkCursorPage(b *testing.B) {
	const n = 100_000
	s := New()
	mustCreateUsers(b, s, n, func(i int, u *scim.User) {})
	ctx := context.Background()
	for _, by := range []string{"", "userName", "meta.created"} {
		for _, desc := range []bool{false, true} {
			if by == "" && desc {
				continue
			}
			b.Run(fmt.Sprintf("users=%d/sortBy=%s/descending=%v", n, by, desc), func(b *testing.B) {
				q := scim.Query{Keyset: true, Count: 90_000, Descending: desc}
				if by != "" {
					p, err := scim.ParseSortBy(schema.User(), by)
					if err != nil {
						b.Fatal(err)
					}
					q.SortBy = p
				}
				deep, err := s.ListUsers(ctx, tenant, q)
				if err != nil || deep.Last == nil {
					b.Fatal(err)
				}
				q.After, q.Count = deep.Last, 100
				for b.Loop() {
					page, err := s.ListUsers(ctx, tenant, q)
					if err != nil || len(page.Resources) != 100 || page.TotalResults != n {
						b.Fatal(err, len(page.Resources), page.TotalResults)
					}
				}
			})
		}
	}
}
