package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// lister lists one page of the list under test: its ids, TotalResults
// and Page.Last.
type lister func(scim.Query) ([]string, int, *scim.Position)

// checkKeyset walks want by keyset (scim.Query.After, from each page's
// Page.Last) in pages of several sizes, as cursor paging does. A store
// that leaves Page.Last nil does not page by keyset, and is not checked.
func checkKeyset(t *testing.T, what string, want []string, q scim.Query, list lister) {
	t.Helper()
	for _, size := range []int{1, 2, 3, len(want) + 1} {
		q := q
		q.StartIndex, q.Count, q.After, q.Keyset = 1, size, nil, true
		var got []string
		for range len(want) + 2 {
			page, total, last := list(q)
			if total != len(want) {
				t.Errorf("%s: keyset page of %d: TotalResults = %d, want %d", what, size, total, len(want))
			}
			if len(page) > 0 && last == nil {
				if q.After != nil {
					t.Fatalf("%s: a page after a keyset page has no Page.Last", what)
				}
				return // no keyset paging
			}
			got = append(got, page...)
			if len(page) < size {
				break
			}
			q.After = last
			q.StartIndex = 7 // ignored under After
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: keyset pages of %d put together (-want +got):\n%s", what, size, d)
		}
	}
}

// testKeysetChurn walks users by keyset while users are created and
// deleted between pages, the anchor of the next page included: every user
// that existed throughout is listed exactly once.
func testKeysetChurn(t *testing.T, s scim.Store) {
	for _, by := range []string{"", "userName", "title"} {
		t.Run("sortBy="+by, func(t *testing.T) {
			tenant := tenantA + "-" + by
			var q scim.Query
			if by != "" {
				q.SortBy = sortBy(t, userType(), by)
			}
			us := createUsers(t, s, tenant, "churn", 12)
			alive := map[string]bool{}
			for _, u := range us {
				alive[u.ID] = true
			}
			q.StartIndex, q.Count, q.Keyset = 1, 3, true
			seen := map[string]int{}
			deleted := map[string]bool{}
			for i := 0; ; i++ {
				p := listUsers(t, s, tenant, q)
				for _, u := range p.Resources {
					seen[u.ID]++
				}
				if len(p.Resources) < q.Count {
					break
				}
				if p.Last == nil {
					t.Skip("the store does not page by keyset")
				}
				q.After = p.Last
				// Delete the anchor and a user further on; create two.
				last := p.Resources[len(p.Resources)-1].ID
				for _, id := range []string{last, us[(i*5+7)%len(us)].ID} {
					if !deleted[id] {
						if err := s.DeleteUser(t.Context(), tenant, id, ""); err != nil {
							t.Fatalf("DeleteUser: %v", err)
						}
						deleted[id] = true
					}
				}
				createUsers(t, s, tenant, "new"+string(rune('a'+i)), 2)
				if i > 20 {
					t.Fatal("the walk does not end")
				}
			}
			for id := range alive {
				if deleted[id] {
					continue
				}
				if seen[id] != 1 {
					t.Errorf("user %s, alive throughout, listed %d times", id, seen[id])
				}
			}
			for id, n := range seen {
				if n > 1 {
					t.Errorf("user %s listed %d times", id, n)
				}
			}
		})
	}
}
