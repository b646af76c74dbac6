package sqlstore

import (
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// TestCursorPlans checks that a cursor page deep into a large tenant,
// unsorted or sorted in SQL, either way, reads one index range from the
// cursor's key on: no scan of the tenant, no sort, no OFFSET.
func TestCursorPlans(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s, n := planTenant(t, d)
			deep := firstIDs(t, s, "bench")[n*9/10]
			u, err := s.GetUser(t.Context(), "bench", deep)
			if err != nil {
				t.Fatal(err)
			}
			var seq int64
			if err := s.single().queryRow(t.Context(), "SELECT seq FROM scim_users WHERE tenant = ? AND id = ?", "bench", deep).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			for _, tt := range []struct {
				by, index string
				group     bool
			}{
				{"", "scim_users_seq", false},
				{"userName", "scim_users_user_name", false},
				{"meta.created", "scim_users_created", false},
				{"displayName", "scim_users_display_name", false},
				{"", "scim_groups_seq", true},
				{"displayName", "scim_groups_display_name", true},
			} {
				for _, desc := range []bool{false, true} {
					rt, at, a, cols, ls := schema.User(), userAttrs, "u", userCols, s.userListSQL("bench", nil)
					if tt.group {
						rt, at, a, cols, ls = schema.Group(), groupAttrs, "g", groupCols, s.groupListSQL("bench", nil)
					}
					q := scim.Query{Keyset: true, Descending: desc && tt.by != ""}
					if tt.by != "" {
						if q.SortBy, err = scim.ParseSortBy(rt, tt.by); err != nil {
							t.Fatal(err)
						}
					}
					// A deep position: the user's key (a group's displayName
					// key is a string too), with a real seq.
					q.After = &scim.Position{Seq: seq}
					if q.Sorted() {
						q.After.Key = scim.UserSortKey(q.SortBy, u)
					}
					segs, ok := keysetRuns(at, a, q)
					if !ok {
						t.Fatalf("sortBy=%s is not sorted in SQL", tt.by)
					}
					segs = afterSegments(segs, q, a)
					if len(segs) == 0 {
						t.Fatalf("sortBy=%s: no run after the position", tt.by)
					}
					sg := segs[0]
					stmt := keysetStatement(cols, ls.from, sg)
					if strings.Contains(stmt, "OFFSET") {
						t.Fatalf("a keyset page uses OFFSET: %s", stmt)
					}
					args := append(append(append([]any{}, ls.args...), sg.args...), 50)
					checkOrderedPlan(t, s, fmt.Sprintf("sortBy=%q descending=%v group=%v", tt.by, desc, tt.group), stmt, args, tt.index)
				}
			}
		})
	}
}
