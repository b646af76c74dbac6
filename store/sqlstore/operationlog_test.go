package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/oplog"
	"github.com/scimkit/scim/store/storetest"
)

// openLogDB returns a database of dialect d with nothing in it: on
// SQLite a file opened without a Store, on PostgreSQL a schema of its
// own.
func openLogDB(t *testing.T, d Dialect) *sql.DB {
	t.Helper()
	if d == Postgres {
		return pgDB(t, pgSchemaDSN(t))
	}
	db, err := sql.Open("sqlite", SQLiteDSN(sqlitePath(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openLog(t *testing.T, db *sql.DB, d Dialect, opts OperationLogOptions) *OperationLog {
	t.Helper()
	l, err := OpenOperationLog(context.Background(), db, d, opts)
	if err != nil {
		t.Fatalf("OpenOperationLog: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func flushLog(t *testing.T, l *OperationLog) func() {
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := l.Flush(ctx); err != nil {
			t.Fatalf("Flush: %v", err)
		}
		if st := l.Stats(); st.Failed > 0 || st.Dropped > 0 {
			t.Fatalf("stats %+v", st)
		}
	}
}

func TestOperationLogContract(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
				l := openLog(t, openLogDB(t, d), d, OperationLogOptions{})
				return l, flushLog(t, l)
			})
		})
	}
	// SQLite's records in the unindexed tail only, indexed as soon as
	// written, and split between the two (a chunk indexed after each
	// batch past a bound of 3, batches of 2).
	for _, tc := range []struct {
		name string
		opts OperationLogOptions
	}{
		{"sqlite tail", OperationLogOptions{IndexAfterIdle: time.Hour}},
		{"sqlite indexed", OperationLogOptions{MaxUnindexed: 1}},
		{"sqlite split", OperationLogOptions{IndexAfterIdle: time.Hour, MaxUnindexed: 3, BatchSize: 2, FlushEvery: time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
				l := openLog(t, openLogDB(t, SQLite), SQLite, tc.opts)
				return l, flushLog(t, l)
			})
		})
	}
	t.Run("sqlite own file", func(t *testing.T) {
		t.Parallel()
		storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
			l, err := OpenSQLiteOperationLog(context.Background(), sqlitePath(t), OperationLogOptions{})
			if err != nil {
				t.Fatalf("OpenSQLiteOperationLog: %v", err)
			}
			t.Cleanup(func() { l.Close() })
			return l, flushLog(t, l)
		})
	})
	t.Run("sqlite store's db", func(t *testing.T) {
		t.Parallel()
		storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
			s := newSQLite(t)
			l := openLog(t, s.DB(), SQLite, OperationLogOptions{})
			return l, flushLog(t, l)
		})
	})
}

// TestOperationLogMigrations checks that the log's table and the store's
// share one migration history, in either order, and that a database a
// newer release migrated is refused.
func TestOperationLogMigrations(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			ms := sqliteMigrations
			if d == Postgres {
				ms = postgresMigrations
			}
			known := latest(ms)
			versions := func(db *sql.DB) []int {
				rows, err := db.QueryContext(ctx, "SELECT version FROM scim_schema_migrations ORDER BY version")
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []int
				for rows.Next() {
					var v int
					if err := rows.Scan(&v); err != nil {
						t.Fatal(err)
					}
					out = append(out, v)
				}
				return out
			}
			var all []int
			for _, m := range ms {
				all = append(all, m.version)
			}

			// The log first, alone: only its own steps.
			db := openLogDB(t, d)
			l := openLog(t, db, d, OperationLogOptions{})
			own := []int{sqliteOperationLog.version}
			if d == SQLite {
				own = append(own, sqliteOperationLogTail.version)
			}
			if got := versions(db); !cmp.Equal(got, own) {
				t.Errorf("after the log alone: versions %v", got)
			}
			s, err := Open(ctx, db, d)
			if err != nil {
				t.Fatalf("Open after the log: %v", err)
			}
			defer s.Close()
			if got := versions(db); !cmp.Equal(got, all) {
				t.Errorf("after the store: versions %v, want %v", got, all)
			}
			l.Close()
			// Reopened on a migrated database: nothing to do.
			openLog(t, db, d, OperationLogOptions{})

			// A release newer than this one migrated past it.
			db2 := openLogDB(t, d)
			openLog(t, db2, d, OperationLogOptions{})
			if _, err := db2.ExecContext(ctx, d.rebind("INSERT INTO scim_schema_migrations (version, name, applied_at) VALUES (?, 'future', 'x')"), known+1); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenOperationLog(ctx, db2, d, OperationLogOptions{}); err == nil || !strings.Contains(err.Error(), "newer") {
				t.Errorf("OpenOperationLog on a newer schema: %v, want refused", err)
			}
		})
	}
}

// TestOperationLogRetention checks pruning by age and by rows per
// tenant, in bounded steps, member rows included.
func TestOperationLogRetention(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			now := time.Now()
			clock := func() time.Time { return now }
			db := openLogDB(t, d)
			// On SQLite the records are in the unindexed tail until Prune
			// indexes them.
			l := openLog(t, db, d, OperationLogOptions{MaxAge: time.Hour, MaxRowsPerTenant: 5, PruneBatch: 3, PruneEvery: time.Hour, Now: clock,
				IndexAfterIdle: time.Hour})
			rec := func(tenant string, i int, age time.Duration) scim.LogRecord {
				return scim.LogRecord{Time: now.Add(-age), Tenant: tenant, RequestID: fmt.Sprint(i), Op: "patch",
					ResourceType: "Group", ResourceID: "g", Outcome: scim.OutcomeSuccess, Status: 204,
					MembersAdded: []string{"bob"}}
			}
			// Tenant a: 4 records older than an hour, then 8 new ones.
			for i := range 4 {
				l.LogOperation(ctx, rec("a", i, 2*time.Hour-time.Duration(i)*time.Minute))
			}
			for i := 4; i < 12; i++ {
				l.LogOperation(ctx, rec("a", i, time.Duration(12-i)*time.Minute))
			}
			// Tenant b: 3 new ones, under its bound.
			for i := range 3 {
				l.LogOperation(ctx, rec("b", 100+i, time.Minute))
			}
			flushLog(t, l)()
			n, err := l.Prune(ctx)
			if err != nil {
				t.Fatalf("Prune: %v", err)
			}
			if n != 7 {
				t.Errorf("Prune deleted %d, want 4 old and 3 beyond the bound", n)
			}
			ids := func(tenant string) []string {
				return requestIDsOf(t, l, scim.LogQuery{Tenant: tenant, Count: 100})
			}
			if got, want := ids("a"), []string{"11", "10", "9", "8", "7"}; !cmp.Equal(got, want) {
				t.Errorf("tenant a keeps %v, want %v", got, want)
			}
			if got, want := ids("b"), []string{"102", "101", "100"}; !cmp.Equal(got, want) {
				t.Errorf("tenant b keeps %v, want %v", got, want)
			}
			if got := requestIDsOf(t, l, scim.LogQuery{Tenant: "a", ResourceType: "User", ResourceID: "bob", Count: 100}); len(got) != 5 {
				t.Errorf("bob's history in a: %v, want the 5 kept", got)
			}
			var members int
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM scim_oplog_members").Scan(&members); err != nil {
				t.Fatal(err)
			}
			if members != 8 {
				t.Errorf("%d member rows, want 8 (those of the kept records)", members)
			}
			if st := l.Stats(); st.Pruned != 7 || st.Unindexed != 0 {
				t.Errorf("stats %+v, want 7 pruned and none unindexed", st)
			}

			// One prune deletes at most maxPruneSteps*PruneBatch old
			// records; the next one goes on.
			l2 := openLog(t, openLogDB(t, d), d, OperationLogOptions{MaxAge: time.Hour, PruneBatch: 3, PruneEvery: time.Hour, Now: clock, IndexAfterIdle: time.Hour})
			for i := range 40 {
				l2.LogOperation(ctx, rec("c", 200+i, 2*time.Hour))
			}
			flushLog(t, l2)()
			if n, err := l2.Prune(ctx); err != nil || n != maxPruneSteps*3 {
				t.Errorf("Prune: %d, %v; want %d, the bound of one prune", n, err, maxPruneSteps*3)
			}
			if n, err := l2.Prune(ctx); err != nil || n != 40-maxPruneSteps*3 {
				t.Errorf("second Prune: %d, %v; want the rest", n, err)
			}
		})
	}
}

func requestIDsOf(t *testing.T, l *OperationLog, q scim.LogQuery) []string {
	t.Helper()
	p, err := l.QueryLog(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(p.Records))
	for i, r := range p.Records {
		out[i] = r.RequestID
	}
	return out
}

// TestOperationLogOverflow checks that LogOperation never waits: with the
// writer held up and the buffer full, records are dropped and counted,
// and Close writes what the buffer holds.
func TestOperationLogOverflow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := openLog(t, openLogDB(t, SQLite), SQLite, OperationLogOptions{Buffer: 4, BatchSize: 2})
	l.writeMu.Lock() // the writer's next transaction waits
	start := time.Now()
	for i := range 100 {
		l.LogOperation(ctx, scim.LogRecord{Time: time.Now(), Tenant: "a", RequestID: fmt.Sprint(i), Outcome: scim.OutcomeSuccess})
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("100 LogOperation calls took %v with the writer stuck", d)
	}
	l.writeMu.Unlock()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.LogOperation(ctx, scim.LogRecord{Time: time.Now(), Tenant: "a"})
	st := l.Stats()
	if st.Dropped < 90 || st.Written+st.Dropped != 101 || st.Failed != 0 {
		t.Errorf("stats %+v; want about 95 dropped, the rest written, 101 in all", st)
	}
	p, err := l.QueryLog(ctx, scim.LogQuery{Tenant: "a", Count: 1000})
	if err != nil || int64(len(p.Records)) != st.Written {
		t.Errorf("read %d records (err %v), written %d", len(p.Records), err, st.Written)
	}
}

// TestOperationLogPlans checks that SQLite answers the log's queries from
// its indexes: no statement reads the whole table, and a prune reads at
// most PruneBatch rows.
func TestOperationLogPlans(t *testing.T) {
	t.Parallel()
	db := openLogDB(t, SQLite)
	openLog(t, db, SQLite, OperationLogOptions{})
	after := &oplog.Position{TimeNS: 5, Seq: 7}
	since := time.Unix(0, 1)
	for _, tc := range []struct {
		name string
		q    scim.LogQuery
		pos  *oplog.Position
	}{
		{"newest", scim.LogQuery{Tenant: "a"}, nil},
		{"next page", scim.LogQuery{Tenant: "a"}, after},
		{"failures in a range", scim.LogQuery{Tenant: "a", Outcome: scim.OutcomeFailure, Since: since, Until: time.Now()}, after},
		{"a group's records", scim.LogQuery{Tenant: "a", ResourceType: "Group", ResourceID: "g"}, after},
		{"a user's history", scim.LogQuery{Tenant: "a", ResourceType: "User", ResourceID: "bob", Op: "patch"}, after},
		{"any resource's history", scim.LogQuery{Tenant: "a", ResourceID: "bob"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query, args := logSelect(tc.q, tc.pos, 50)
			plan := explain(t, db, query, args...)
			if strings.Contains(plan, "SCAN scim_oplog") || strings.Contains(plan, "SCAN l") || strings.Contains(plan, "SCAN m") {
				t.Errorf("a table scan:\n%s", plan)
			}
			// A resource's records come from the resource index, not a
			// walk of the tenant's whole time index (migration 10's hints).
			if tc.q.ResourceID != "" && strings.Contains(plan, "scim_oplog_time") {
				t.Errorf("a resource's records from the time index:\n%s", plan)
			}
		})
	}
}

// explain returns SQLite's query plan for query, one step a line.
func explain(t *testing.T, db *sql.DB, query string, args ...any) string {
	t.Helper()
	rows, err := db.Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		b.WriteString(detail + "\n")
	}
	return b.String()
}

// BenchmarkOperationLogWrite measures the background writer: the cost of
// keeping one record (a user PATCH's, and every tenth a group's with a
// member), which the request path does not wait for but the database
// and the CPU do. On SQLite, "tail" keeps every record in the unindexed
// tail, as while a busy server's records keep coming, and "indexed"
// indexes each batch as soon as it is written, as the tail's records
// are when the server is idle.
func BenchmarkOperationLogWrite(b *testing.B) {
	type variant struct {
		name string
		d    Dialect
		opts OperationLogOptions
	}
	var vs []variant
	for _, d := range dialects {
		if d == SQLite {
			vs = append(vs, variant{"sqlite/tail", d, OperationLogOptions{IndexAfterIdle: time.Hour, MaxUnindexed: 1 << 30}},
				variant{"sqlite/indexed", d, OperationLogOptions{MaxUnindexed: 1}})
		} else {
			vs = append(vs, variant{d.String(), d, OperationLogOptions{}})
		}
	}
	for _, v := range vs {
		d := v.d
		b.Run(v.name, func(b *testing.B) {
			var db *sql.DB
			if d == Postgres {
				db = pgDB(b, pgSchemaDSN(b))
			} else {
				var err error
				if db, err = sql.Open("sqlite", SQLiteDSN(sqlitePath(b))); err != nil {
					b.Fatal(err)
				}
				defer db.Close()
			}
			opts := v.opts
			opts.Buffer = 1 << 16
			l, err := OpenOperationLog(context.Background(), db, d, opts)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			i := 0
			for b.Loop() {
				rec := scim.LogRecord{Time: time.Now(), Tenant: "acme", RequestID: "0123456789abcdef0123456789abcdef",
					Client: "Microsoft.Azure.AD.Provisioning", Method: "PATCH", Op: "patch", ResourceType: "User",
					ResourceID: fmt.Sprintf("%08x-7f76-453a-919d-%012x", uint32(i*2654435761), i), Outcome: scim.OutcomeSuccess, Status: 200,
					Changed: []string{"name.givenName", "title"}, Duration: time.Millisecond}
				if i%10 == 0 {
					rec.ResourceType, rec.Changed, rec.MembersAdded = "Group", []string{"members"}, []string{fmt.Sprint("user-", i)}
				}
				l.LogOperation(ctx, rec)
				if i++; i%32768 == 0 {
					if err := l.Flush(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := l.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if st := l.Stats(); st.Dropped > 0 || st.Failed > 0 {
				b.Fatalf("stats %+v", st)
			}
		})
	}
}

// TestOpenSQLiteOperationLog checks the log in a file of its own: created
// readable by its owner only, closed by Close with every buffered record
// written, and found again by the next open, while the store's own
// scim_oplog (its migration 8) stays empty.
func TestOpenSQLiteOperationLog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbPath := sqlitePath(t)
	store, err := OpenSQLite(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	path := dbPath + "-oplog.db"
	l, err := OpenSQLiteOperationLog(ctx, path, OperationLogOptions{})
	if err != nil {
		t.Fatalf("OpenSQLiteOperationLog: %v", err)
	}
	for i := range 300 { // more than one batch
		l.LogOperation(ctx, scim.LogRecord{Time: time.Now(), Tenant: "a", RequestID: fmt.Sprint(i), Op: "get",
			Outcome: scim.OutcomeSuccess, Status: 200})
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.db.PingContext(ctx); err == nil {
		t.Error("the log's database is still open after Close")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if m := fi.Mode().Perm(); m != 0o600 {
		t.Errorf("log file mode %v, want 0600", m)
	}

	l, err = OpenSQLiteOperationLog(ctx, path, OperationLogOptions{})
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer l.Close()
	// The writer's connection does not wait for its commits to be durable.
	l.writeMu.Lock()
	var sync int
	err = l.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	l.writeMu.Unlock()
	if err != nil || sync != 1 {
		t.Errorf("writer connection: synchronous %d (%v); want 1 (NORMAL)", sync, err)
	}
	if got := requestIDsOf(t, l, scim.LogQuery{Tenant: "a", Count: 1000}); len(got) != 300 || got[0] != "299" {
		t.Errorf("reopened log holds %d records, newest %v; want 300, newest 299", len(got), got[:min(1, len(got))])
	}
	var n int
	if err := store.DB().QueryRowContext(ctx, "SELECT count(*) FROM scim_oplog").Scan(&n); err != nil || n != 0 {
		t.Errorf("the store's scim_oplog holds %d records (%v), want none", n, err)
	}
}
