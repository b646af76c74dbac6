package sqlstore

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/storetest"
)

// largeEnv enables the benchmarks that build a million-row dataset.
const largeEnv = "SCIMKIT_BENCH_LARGE"

// benchUser is a user as Entra ID provisions one.
func benchUser(i int) *scim.User {
	return &scim.User{
		UserName:    fmt.Sprintf("user%07d@example.com", i),
		ExternalID:  fmt.Sprintf("ext-%07d", i),
		DisplayName: fmt.Sprintf("User %d", i),
		Active:      ptr(true),
		Name:        &scim.Name{GivenName: "Given", FamilyName: fmt.Sprint("Family", i)},
		Emails:      []scim.MultiValue{{Value: fmt.Sprintf("user%07d@example.com", i), Type: "work", Primary: true}},
		Title:       "Engineer",
		Enterprise:  &scim.EnterpriseUser{Department: "R&D", EmployeeNumber: fmt.Sprint(i)},
	}
}

// BenchmarkCreateUsersSQLite measures create throughput at concurrency 8
// on a file database with synchronous=FULL: the group-committing writer's
// case.
func BenchmarkCreateUsersSQLite(b *testing.B) {
	s := newSQLite(b)
	benchCreate(b, s)
	batches, writes := s.w.stats()
	if batches > 0 {
		b.ReportMetric(float64(writes)/float64(batches), "writes/commit")
	}
}

// BenchmarkCreateUsersPostgres is the same on PostgreSQL.
func BenchmarkCreateUsersPostgres(b *testing.B) {
	benchCreate(b, newPostgres(b))
}

func benchCreate(b *testing.B, s *Store) {
	const concurrency = 8
	var next atomic.Int64
	ctx := context.Background()
	b.SetParallelism((concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.CreateUser(ctx, "bench", benchUser(int(next.Add(1)))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creates/s")
}

// seedUsers bulk-loads n users into tenant with multi-row inserts in
// large transactions, for the benchmarks and plan tests that need a big
// table (one create per row would take hours).
func seedUsers(tb testing.TB, s *Store, tenant string, n int) {
	tb.Helper()
	ctx := context.Background()
	const perStmt, perTx = 500, 20000
	for lo := 0; lo < n; lo += perTx {
		hi := min(lo+perTx, n)
		err := s.write(ctx, func(ctx context.Context, t *tx) error {
			for a := lo; a < hi; a += perStmt {
				var users, emails strings.Builder
				users.WriteString(`INSERT INTO scim_users
					(tenant, id, user_name, user_name_fold, external_id, display_name_fold, active, doc, created_ns, modified_ns, version) VALUES `)
				emails.WriteString("INSERT INTO scim_user_emails (tenant, user_id, idx, value_fold, type_fold) VALUES ")
				var uargs, eargs []any
				for i := a; i < min(a+perStmt, hi); i++ {
					u := benchUser(i)
					doc, err := encodeUser(u)
					if err != nil {
						return err
					}
					id := newID()
					now := time.Now().UnixNano()
					if i > a {
						users.WriteString(", ")
						emails.WriteString(", ")
					}
					users.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)")
					uargs = append(append(append(uargs, tenant, id), s.userArgs(u, doc)...), now, now)
					emails.WriteString("(?, ?, 0, ?, ?)")
					eargs = append(eargs, tenant, id, filter.Fold(u.Emails[0].Value), filter.Fold(u.Emails[0].Type))
				}
				if _, err := t.exec(ctx, users.String(), uargs...); err != nil {
					return err
				}
				if _, err := t.exec(ctx, emails.String(), eargs...); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	settle(tb, s)
}

// seedGroups bulk-loads n member-less groups named "Group i" with
// externalId "gext-i" into tenant.
func seedGroups(tb testing.TB, s *Store, tenant string, n int) {
	tb.Helper()
	const perStmt = 500
	err := s.write(context.Background(), func(ctx context.Context, t *tx) error {
		for a := 0; a < n; a += perStmt {
			var b strings.Builder
			b.WriteString(`INSERT INTO scim_groups
				(tenant, id, display_name, display_name_fold, external_id, created_ns, modified_ns, version) VALUES `)
			var args []any
			for i := a; i < min(a+perStmt, n); i++ {
				if i > a {
					b.WriteString(", ")
				}
				b.WriteString("(?, ?, ?, ?, ?, ?, ?, 1)")
				name := fmt.Sprint("Group ", i)
				now := time.Now().UnixNano()
				args = append(args, tenant, newID(), name, filter.Fold(name), fmt.Sprint("gext-", i), now, now)
			}
			if _, err := t.exec(ctx, b.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

// settle refreshes planner statistics and flushes the bulk load's
// leftovers (WAL, dead tuples), so that background work does not land
// inside the timed loop.
func settle(tb testing.TB, s *Store) {
	tb.Helper()
	stmts := []string{"ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"}
	if s.d == Postgres {
		stmts = []string{"VACUUM ANALYZE", "CHECKPOINT"}
	}
	for _, q := range stmts {
		if _, err := s.db.Exec(q); err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
	}
}

// BenchmarkUserNameLookup measures the lookup Entra sends before every
// create, in a tenant of 1,000 users and (with SCIMKIT_BENCH_LARGE=1) of
// 1,000,000: with the index the two cost about the same.
func BenchmarkUserNameLookup(b *testing.B) {
	sizes := []int{1000}
	if os.Getenv(largeEnv) != "" {
		sizes = append(sizes, 1000000)
	}
	for _, d := range dialects {
		for _, n := range sizes {
			b.Run(fmt.Sprintf("%v/users=%d", d, n), func(b *testing.B) {
				s := newStore(b, d)
				seedUsers(b, s, "bench", n)
				ctx := context.Background()
				fs := make([]filter.Expr, 1000)
				for j := range fs {
					fs[j] = mustFilter(b, schema.User(), fmt.Sprintf(`userName eq "USER%07d@example.com"`, (j*7919)%n))
				}
				var i int
				b.ResetTimer()
				for b.Loop() {
					i++
					p, err := s.ListUsers(ctx, "bench", scim.Query{Filter: fs[i%len(fs)], StartIndex: 1, Count: 10})
					if err != nil || p.TotalResults != 1 {
						b.Fatalf("lookup %d: %v, %d results", i, err, p.TotalResults)
					}
				}
			})
		}
	}
}

// BenchmarkAddMember measures adding one member to a group of 10 and of
// 100,000 members: memberships are rows, so the two cost about the same.
func BenchmarkAddMember(b *testing.B) {
	for _, d := range dialects {
		for _, size := range []int{10, 100000} {
			b.Run(fmt.Sprintf("%v/members=%d", d, size), func(b *testing.B) {
				s := newStore(b, d)
				ctx := context.Background()
				seedUsers(b, s, "bench", size+1000)
				ids := firstIDs(b, s, "bench")
				g, err := s.CreateGroup(ctx, "bench", &scim.Group{DisplayName: "big"})
				if err != nil {
					b.Fatal(err)
				}
				// Fill the group in large patches.
				for lo := 0; lo < size; lo += 10000 {
					var ms []scim.Member
					for _, id := range ids[lo:min(lo+10000, size)] {
						ms = append(ms, scim.Member{Value: id})
					}
					if _, err := s.PatchGroup(ctx, "bench", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{{Kind: scim.AddMembers, Members: ms}}}, ""); err != nil {
						b.Fatal(err)
					}
				}
				settle(b, s)
				spare := ids[size:]
				var i int
				b.ResetTimer()
				for b.Loop() {
					id := spare[i%len(spare)]
					i++
					op := scim.MemberOp{Kind: scim.AddMembers, Members: []scim.Member{{Value: id}}}
					if i > len(spare) {
						op.Kind = scim.RemoveMembers // keep the size steady once every spare was added
					}
					if _, err := s.PatchGroup(ctx, "bench", g.ID, scim.GroupPatch{MemberOps: []scim.MemberOp{op}}, ""); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFilterScan measures a filter that SQL cannot answer (it names
// an extension attribute), evaluated in Go over a streamed tenant.
func BenchmarkFilterScan(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) {
			s := newStore(b, d)
			seedUsers(b, s, "bench", 10000)
			f := mustFilter(b, schema.User(), `department eq "nobody"`)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.ListUsers(ctx, "bench", scim.Query{Filter: f, StartIndex: 1, Count: 100}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

// BenchmarkSortedPage reads a page of 100 users sorted by userName and by
// meta.created, 90,000 users deep into a tenant of 100,000: one index
// read in order (TestSortPlans shows the plans), no sort of the tenant.
// name.familyName, which no column holds, is keyed in Go over a scan.
func BenchmarkSortedPage(b *testing.B) {
	const n = 100_000
	onSeeded(b, n, func(b *testing.B, s *Store) {
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
						page, err := s.ListUsers(ctx, "bench", q)
						if err != nil || len(page.Resources) != 100 || page.TotalResults != n {
							b.Fatal(err, len(page.Resources), page.TotalResults)
						}
					}
				})
			}
		}
	})
}

// BenchmarkCursorPage reads a cursor page (scim.Query.After) of 100
// users 90,000 users deep into a tenant of 100,000, unsorted and sorted
// by userName and meta.created: one index range read from the cursor's
// key (TestCursorPlans shows the plans), plus the count(*).
func BenchmarkCursorPage(b *testing.B) {
	const n = 100_000
	onSeeded(b, n, func(b *testing.B, s *Store) {
		storetest.BenchCursorPage(b, s, "bench", n)
	})
}

// onSeeded runs fn as a sub-benchmark per dialect, on a store whose
// tenant "bench" holds n users.
func onSeeded(b *testing.B, n int, fn func(b *testing.B, s *Store)) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) {
			s := newStore(b, d)
			seedUsers(b, s, "bench", n)
			settle(b, s)
			fn(b, s)
		})
	}
}
