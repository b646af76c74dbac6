package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// planCase is a per-cycle lookup and the index it must use on its
// resource table.
type planCase struct {
	filter string
	group  bool
	ext    bool   // resolved against planUserType, with an indexed extension attribute
	index  string // an index the plan must name
}

// planExt is a host extension whose employeeId identity providers match
// users on.
const planExt = "urn:ietf:params:scim:schemas:extension:plan:2.0:User"

func planUserType() *schema.ResourceType {
	rt := schema.User()
	rt.Extensions = append(rt.Extensions, schema.Extension{Schema: &schema.Schema{ID: planExt, Attributes: []*schema.Attribute{
		{Name: "employeeId", Type: schema.String, Indexed: true},
		{Name: "badge", Type: schema.String, Uniqueness: "server", CaseExact: true},
	}}})
	return rt
}

// planCases are the lookups identity providers send on every sync cycle.
func planCases(userID, groupID string) []planCase {
	return []planCase{
		{filter: `userName eq "USER0000042@example.com"`, index: "scim_users_user_name"},
		{filter: `externalId eq "ext-0000042"`, index: "scim_users_external_id"},
		{filter: `displayName eq "user 42"`, index: "scim_users_display_name"},
		{filter: `id eq "` + userID + `"`, index: "scim_users_"},
		{filter: `emails[type eq "work"].value eq "user0000042@example.com"`, index: "scim_user_emails_value"},
		{filter: `emails.value eq "user0000042@example.com"`, index: "scim_user_emails_value"},
		{filter: `id eq "` + userID + `" and manager eq "x"`, index: "scim_users_"},
		{filter: `userName eq "a@example.com" and department eq "x"`, index: "scim_users_user_name"},
		{filter: `displayName eq "group 7"`, group: true, index: "scim_groups_display_name"},
		{filter: `externalId eq "gext-7"`, group: true, index: "scim_groups_external_id"},
		{filter: `id eq "` + groupID + `"`, group: true, index: "scim_groups_"},
		{filter: `members.value eq "` + userID + `"`, group: true, index: "scim_group_members_user"},
		{filter: planExt + `:employeeId eq "E-42"`, ext: true, index: "scim_user_keys_value"},
		{filter: planExt + `:badge eq "B-42"`, ext: true, index: "scim_user_keys_value"},
		{filter: planExt + `:employeeId eq "E-42" and active eq true`, ext: true, index: "scim_user_keys_value"},
	}
}

// TestQueryPlans seeds enough rows for a scan to cost more than an index
// lookup, then asks each database how it runs the statements the store
// issues for the per-cycle lookups: each must search an index, never
// scan the users, groups or emails tables.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			ctx := t.Context()
			// PostgreSQL prefers a scan on small tables; SQLite takes an
			// equality index at any size, and seeding is slow under -race.
			n := 2000
			if d == Postgres {
				n = 20000
			}
			seedUsers(t, s, "bench", n)
			seedUsers(t, s, "other", n/10)
			ids := firstIDs(t, s, "bench")
			seedGroups(t, s, "bench", n)
			var groupID string
			for i := range 50 {
				g, err := s.CreateGroup(ctx, "bench", &scim.Group{DisplayName: fmt.Sprint("Team ", i),
					Members: []scim.Member{{Value: ids[i]}, {Value: ids[i+1]}}})
				if err != nil {
					t.Fatal(err)
				}
				groupID = g.ID
			}
			// Enough memberships that scanning them costs more than the index.
			big, err := s.CreateGroup(ctx, "bench", &scim.Group{DisplayName: "Everyone"})
			if err != nil {
				t.Fatal(err)
			}
			var all []scim.Member
			for _, id := range ids {
				all = append(all, scim.Member{Value: id})
			}
			if _, err := s.PatchGroup(ctx, "bench", big.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.AddMembers, Members: all}}}, ""); err != nil {
				t.Fatal(err)
			}
			// Every user has the extension's two keys.
			if err := s.IndexAttributes([]scim.IndexedAttribute{
				{ResourceType: "User", Schema: planExt, Name: "employeeId"},
				{ResourceType: "User", Schema: planExt, Name: "badge", Unique: true, CaseExact: true},
			}); err != nil {
				t.Fatal(err)
			}
			for _, a := range []string{"employeeId", "badge"} {
				if _, err := s.db.ExecContext(ctx, d.rebind(`INSERT INTO scim_user_keys (tenant, user_id, attr, value, value_fold, uniq)
					SELECT tenant, id, ?, user_name, user_name_fold, CASE WHEN ? THEN user_name END FROM scim_users`), planExt+":"+a, a == "badge"); err != nil {
					t.Fatal(err)
				}
			}
			settle(t, s)
			for _, pc := range planCases(ids[42], groupID) {
				rt, ls := schema.User(), (*Store).userListSQL
				switch {
				case pc.group:
					rt, ls = schema.Group(), (*Store).groupListSQL
				case pc.ext:
					rt = planUserType()
				}
				sql := ls(s, "bench", mustFilter(t, rt, pc.filter))
				stmts := map[string][]any{"scan": sql.args}
				if sql.exact {
					stmts = map[string][]any{"count": sql.args, "page": append(sql.args, 10, 0)}
				}
				for which, args := range stmts {
					q := map[string]string{"scan": sql.scan, "count": sql.count, "page": sql.page}[which]
					var plan string
					if d == Postgres {
						plan = pgPlan(t, s, q, args)
					} else {
						plan = sqlitePlan(t, s, q, args)
					}
					t.Logf("%s (%s):\n%s", pc.filter, which, plan)
					if msg := checkPlan(d, plan, pc.index); msg != "" {
						t.Errorf("%s (%s statement): %s\nplan:\n%s", pc.filter, which, msg, plan)
					}
				}
			}
		})
	}
}

// checkPlan returns what is wrong with plan, or "".
func checkPlan(d Dialect, plan, index string) string {
	if !strings.Contains(plan, index) {
		return "the plan does not use the index " + index
	}
	for _, line := range strings.Split(plan, "\n") {
		// Scans of the store's tables (aliases u, e, g, m) are what must
		// not happen; scans of a subquery's few rows (p, x) are fine.
		if f := strings.Fields(line); d == SQLite && len(f) > 1 && f[0] == "SCAN" && strings.Contains(" u e g m ", " "+f[1]+" ") {
			return "the plan scans: " + line
		}
		if d == Postgres && strings.Contains(line, "Seq Scan") && strings.Contains(line, "scim_") {
			return "the plan scans: " + line
		}
	}
	return ""
}

// sqlitePlan returns EXPLAIN QUERY PLAN's details, one per line.
func sqlitePlan(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	rows, err := s.db.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN: %v", err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// pgPlan returns the plan nodes of EXPLAIN (FORMAT JSON), one per line:
// node type, relation and index.
func pgPlan(t *testing.T, s *Store, q string, args []any) string {
	t.Helper()
	var raw []byte
	if err := s.db.QueryRowContext(context.Background(), "EXPLAIN (FORMAT JSON) "+Postgres.rebind(q), args...).Scan(&raw); err != nil {
		t.Fatalf("EXPLAIN: %v", err)
	}
	var doc []struct{ Plan pgNode }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n pgNode, depth int)
	walk = func(n pgNode, depth int) {
		fmt.Fprintf(&b, "%s%s %s %s\n", strings.Repeat("  ", depth), n.NodeType, n.RelationName, n.IndexName)
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	for _, p := range doc {
		walk(p.Plan, 0)
	}
	return b.String()
}

type pgNode struct {
	NodeType     string   `json:"Node Type"`
	RelationName string   `json:"Relation Name"`
	IndexName    string   `json:"Index Name"`
	Plans        []pgNode `json:"Plans"`
}

// firstIDs lists a tenant's user ids in creation order.
func firstIDs(t testing.TB, s *Store, tenant string) []string {
	t.Helper()
	rows, err := s.single().query(context.Background(), "SELECT id FROM scim_users WHERE tenant = ? ORDER BY seq", tenant)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// TestMembershipPlans checks that "the memberships of one user" (deleting
// a user, and the groups attribute on every user read) searches the
// (tenant, user_id) index on SQLite instead of walking the tenant's whole
// membership table, which the planner does without the hints of migration
// 3.
func TestMembershipPlans(t *testing.T) {
	t.Parallel()
	s := newStore(t, SQLite)
	for _, q := range []string{
		`DELETE FROM scim_group_members WHERE tenant = ? AND user_id = ?`,
		`SELECT 1 FROM scim_users u WHERE u.tenant = ? AND u.id = ? AND ` + SQLite.groupsOf("u") + ` IS NOT NULL`,
	} {
		plan := sqlitePlan(t, s, q, []any{"t", "u"})
		if !strings.Contains(plan, "scim_group_members_user (tenant=? AND user_id=?)") || strings.Contains(plan, "scim_groups_seq") {
			t.Errorf("%s\nplan:\n%s", q, plan)
		}
	}
}

// TestSortPlans checks that a sorted page deep into a large tenant, by
// userName or meta.created, either way, reads one index in order: no scan
// of the tenant, no sort of its rows.
func TestSortPlans(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s, n := planTenant(t, d)
			for _, tt := range []struct {
				by, index string
				group     bool
			}{
				{"userName", "scim_users_user_name", false},
				{"meta.created", "scim_users_created", false},
				{"meta.lastModified", "scim_users_modified", false},
				{"displayName", "scim_users_display_name", false},
				{"externalId", "scim_users_external_id", false},
				{"displayName", "scim_groups_display_name", true},
				{"meta.created", "scim_groups_created", true},
			} {
				for _, desc := range []bool{false, true} {
					rt, at, a, cols, ls := schema.User(), userAttrs, "u", userCols, s.userListSQL("bench", nil)
					if tt.group {
						rt, at, a, cols, ls = schema.Group(), groupAttrs, "g", groupCols, s.groupListSQL("bench", nil)
					}
					by, err := scim.ParseSortBy(rt, tt.by)
					if err != nil {
						t.Fatal(err)
					}
					segs, ok := sortSegments(at, a, scim.Query{SortBy: by, Descending: desc})
					if !ok {
						t.Fatalf("sortBy=%s is not sorted in SQL", tt.by)
					}
					// The run of values, where a deep page is.
					sg := segs[0]
					if desc && len(segs) > 1 {
						sg = segs[1]
					}
					q := "SELECT " + cols + " " + sg.from(ls.from) + " ORDER BY " + sg.order + " LIMIT ? OFFSET ?"
					args := append(append([]any{}, ls.args...), 50, n*9/10)
					checkOrderedPlan(t, s, fmt.Sprintf("sortBy=%s descending=%v group=%v", tt.by, desc, tt.group), q, args, tt.index)
				}
			}
		})
	}
}

// planTenant returns a store with a tenant "bench" of n users and n
// groups, large enough for each database to prefer an index, beside a
// smaller tenant.
func planTenant(t *testing.T, d Dialect) (*Store, int) {
	t.Helper()
	s := newStore(t, d)
	n := 2000
	if d == Postgres {
		n = 20000
	}
	seedUsers(t, s, "bench", n)
	seedUsers(t, s, "other", n/10)
	seedGroups(t, s, "bench", n)
	settle(t, s)
	return s, n
}

// checkOrderedPlan checks that q reads index in order: no scan, no sort.
func checkOrderedPlan(t *testing.T, s *Store, what, q string, args []any, index string) {
	t.Helper()
	var plan string
	if s.d == Postgres {
		plan = pgPlan(t, s, q, args)
	} else {
		plan = sqlitePlan(t, s, q, args)
	}
	t.Logf("%s: %s\n%s", what, q, plan)
	if msg := checkPlan(s.d, plan, index); msg != "" {
		t.Errorf("%s: %s\nplan:\n%s", what, msg, plan)
	}
	if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort ") || strings.Contains(plan, "Incremental Sort") {
		t.Errorf("%s: the plan sorts rows instead of reading the index in order\nplan:\n%s", what, plan)
	}
}
