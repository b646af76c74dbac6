package memory

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// BenchmarkSortedPage reads a page of 100 users sorted by userName, by
// meta.created and by name.familyName (which needs each user decoded),
// 90,000 users deep into a tenant of 100,000: the store keys and sorts
// every match under the tenant's read lock.
func BenchmarkSortedPage(b *testing.B) {
	const n = 100_000
	s := New()
	mustCreateUsers(b, s, n, func(i int, u *scim.User) {
		u.Name = &scim.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", (i*7919)%n)}
	})
	ctx := context.Background()
	for _, by := range []string{"userName", "meta.created", "name.familyName"} {
		for _, desc := range []bool{false, true} {
			b.Run(fmt.Sprintf("users=%d/sortBy=%s/descending=%v", n, by, desc), func(b *testing.B) {
				p, err := scim.ParseSortBy(schema.User(), by)
				if err != nil {
					b.Fatal(err)
				}
				q := scim.Query{StartIndex: 90_001, Count: 100, SortBy: p, Descending: desc}
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
