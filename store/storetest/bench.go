package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// BenchCursorPage runs, as sub-benchmarks of b, the read of a cursor
// page (scim.Query.After) of 100 users 90% deep into tenant, which must
// hold exactly n users: unsorted, and sorted by userName and
// meta.created both ways. Each store's benchmarks call it, so that the
// numbers compare.
func BenchCursorPage(b *testing.B, s scim.UserStore, tenant string, n int) {
	ctx := context.Background()
	for _, by := range []string{"", "userName", "meta.created"} {
		for _, desc := range []bool{false, true} {
			if by == "" && desc {
				continue
			}
			b.Run(fmt.Sprintf("users=%d/sortBy=%s/descending=%v", n, by, desc), func(b *testing.B) {
				q := scim.Query{Keyset: true, Count: n * 9 / 10, Descending: desc}
				if by != "" {
					p, err := scim.ParseSortBy(schema.User(), by)
					if err != nil {
						b.Fatal(err)
					}
					q.SortBy = p
				}
				deep, err := s.ListUsers(ctx, tenant, q)
				if err != nil || deep.Last == nil {
					b.Fatalf("the deep position: %v (the store must set Page.Last)", err)
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
