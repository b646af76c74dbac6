package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// tailRecords returns n records of tenant a (every third a group's with
// members, every fifth a failure) a millisecond apart from base, and
// three of tenant b between them.
func tailRecords(base time.Time, n int) []scim.LogRecord {
	var out []scim.LogRecord
	for i := range n {
		r := scim.LogRecord{Time: base.Add(time.Duration(i) * time.Millisecond), Tenant: "a", RequestID: fmt.Sprint("req-", i),
			Client: "Microsoft.Azure.AD.Provisioning", Method: "PATCH", Op: "patch", ResourceType: "User",
			ResourceID: fmt.Sprint("user-", i%7), Outcome: scim.OutcomeSuccess, Status: 200, Changed: []string{"active"},
			Duration: time.Duration(i) * time.Microsecond}
		if i%3 == 0 {
			r.ResourceType, r.ResourceID, r.Changed = "Group", "g", []string{"members"}
			r.MembersAdded, r.MembersRemoved, r.MembersOmitted = []string{fmt.Sprint("user-", i%7)}, []string{"user-0"}, i%2
		}
		if i%5 == 0 {
			r.Outcome, r.Status, r.SCIMType, r.Changed = scim.OutcomeFailure, 400, scim.InvalidValue, nil
		}
		out = append(out, r)
		if i%40 == 0 {
			b := r
			b.Tenant, b.RequestID = "b", fmt.Sprint("b-", i)
			out = append(out, b)
		}
	}
	return out
}

func TestLogBlobRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		recs []scim.LogRecord
	}{
		{"one empty record", []scim.LogRecord{{Time: time.Unix(0, 0).UTC()}}},
		{"before 1970 and negative numbers", []scim.LogRecord{{Time: time.Unix(-5, 7).UTC(), Status: -1, MembersOmitted: -3, Duration: -time.Second}}},
		{"unicode and long strings", []scim.LogRecord{{Time: time.Unix(1, 0).UTC(), Tenant: "tëst", Client: strings.Repeat("x", 300),
			Changed: []string{"", "name.givenName", "ü"}}}},
		{"a batch", tailRecords(time.Unix(1_800_000_000, 123).UTC(), 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := appendLogBlob(nil, tc.recs)
			got, err := decodeLogBlob(string(b))
			if err != nil {
				t.Fatalf("decodeLogBlob: %v", err)
			}
			if d := cmp.Diff(tc.recs, got); d != "" {
				t.Errorf("round trip (-want +got):\n%s", d)
			}
			// Every cut of the blob short of its end is refused or reads
			// fewer records: never a panic.
			for i := range len(b) {
				if recs, err := decodeLogBlob(string(b[:i])); err == nil && len(recs) >= len(tc.recs) {
					t.Fatalf("blob cut at %d of %d read %d records", i, len(b), len(recs))
				}
			}
		})
	}
	for _, bad := range []string{"", "\x02", "\x01\x80", "\x01\x00\x05ab"} {
		if _, err := decodeLogBlob(bad); err == nil {
			t.Errorf("decodeLogBlob(%q) = nil error", bad)
		}
	}
}

// FuzzLogBlob checks that decodeLogBlob never panics or allocates past
// its input, and that what it reads appendLogBlob writes back the same.
func FuzzLogBlob(f *testing.F) {
	f.Add(string(appendLogBlob(nil, tailRecords(time.Unix(1_800_000_000, 0).UTC(), 5))))
	f.Add("\x01")
	f.Fuzz(func(t *testing.T, s string) {
		recs, err := decodeLogBlob(s)
		if err != nil {
			return
		}
		again, err := decodeLogBlob(string(appendLogBlob(nil, recs)))
		if err != nil {
			t.Fatalf("re-encoded blob refused: %v", err)
		}
		if d := cmp.Diff(recs, again); d != "" {
			t.Fatalf("re-encoded blob reads differently (-first +second):\n%s", d)
		}
	})
}

// logQueries are the queries whose answers must not depend on where the
// records are kept.
func logQueries(base time.Time) []scim.LogQuery {
	return []scim.LogQuery{
		{Tenant: "a", Count: 7},
		{Tenant: "b", Count: 2},
		{Tenant: "a", Outcome: scim.OutcomeFailure, Count: 5},
		{Tenant: "a", ResourceType: "Group", ResourceID: "g", Count: 9},
		{Tenant: "a", ResourceID: "user-3", Count: 4},
		{Tenant: "a", ResourceType: "User", ResourceID: "user-0", Op: "patch", Count: 6},
		{Tenant: "a", Since: base.Add(50 * time.Millisecond), Until: base.Add(120 * time.Millisecond), Count: 11},
	}
}

// readPages follows q's pages to the end.
func readPages(t *testing.T, l *OperationLog, q scim.LogQuery) []scim.LogRecord {
	t.Helper()
	var out []scim.LogRecord
	for {
		p, err := l.QueryLog(context.Background(), q)
		if err != nil {
			t.Fatalf("QueryLog(%+v): %v", q, err)
		}
		out = append(out, p.Records...)
		if p.Next == "" {
			return out
		}
		q.Cursor = p.Next
	}
}

func countRows(t *testing.T, db *sql.DB, table string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestOperationLogTail checks SQLite's unindexed tail: a batch is
// written there, queries read it, an idle writer moves it into the
// indexed tables, and every query answers the same, page by page,
// before, during (part indexed) and after; seqs are those of one log.
func TestOperationLogTail(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := time.Now().Add(-time.Minute).UTC()
	recs := tailRecords(base, 200)
	db := openLogDB(t, SQLite)
	l := openLog(t, db, SQLite, OperationLogOptions{IndexAfterIdle: time.Hour, BatchSize: 32, FlushEvery: time.Millisecond})
	for _, r := range recs {
		l.LogOperation(ctx, r)
	}
	flushLog(t, l)()
	if st := l.Stats(); st.Unindexed != int64(len(recs)) {
		t.Fatalf("Stats().Unindexed %d, want %d", st.Unindexed, len(recs))
	}
	if n := countRows(t, db, "scim_oplog"); n != 0 {
		t.Fatalf("scim_oplog holds %d rows before any indexing", n)
	}
	answers := func() [][]scim.LogRecord {
		var out [][]scim.LogRecord
		for _, q := range logQueries(base) {
			out = append(out, readPages(t, l, q))
		}
		return out
	}
	want := answers()
	if len(want[0]) != len(recs)-5 || len(want[1]) != 5 {
		t.Fatalf("tenant a reads %d records and b %d, want %d and 5", len(want[0]), len(want[1]), len(recs)-5)
	}

	// Part indexed: the oldest chunk.
	if left, err := l.indexTail(ctx); err != nil || left == 0 || left >= int64(len(recs)) {
		t.Fatalf("indexTail: %d left, %v; want some indexed and some left", left, err)
	}
	if d := cmp.Diff(want, answers()); d != "" {
		t.Errorf("answers with the tail part indexed (-tail +split):\n%s", d)
	}
	for {
		left, err := l.indexTail(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			break
		}
	}
	if d := cmp.Diff(want, answers()); d != "" {
		t.Errorf("answers with every record indexed (-tail +indexed):\n%s", d)
	}
	if n := countRows(t, db, "scim_oplog_tail"); n != 0 {
		t.Errorf("scim_oplog_tail holds %d rows after indexing", n)
	}
	var lo, hi, n int64
	if err := db.QueryRow("SELECT min(seq), max(seq), count(*) FROM scim_oplog").Scan(&lo, &hi, &n); err != nil {
		t.Fatal(err)
	}
	if lo != 1 || hi != int64(len(recs)) || n != int64(len(recs)) {
		t.Errorf("seqs %d to %d over %d rows, want 1 to %d", lo, hi, n, len(recs))
	}

	// Records after the indexed ones take the next seqs, in the tail.
	more := tailRecords(base.Add(time.Second), 10)
	for _, r := range more {
		l.LogOperation(ctx, r)
	}
	flushLog(t, l)()
	if err := db.QueryRow("SELECT min(first_seq) FROM scim_oplog_tail").Scan(&lo); err != nil || lo != hi+1 {
		t.Errorf("the tail's first seq %d (%v), want %d", lo, err, hi+1)
	}
	if got := readPages(t, l, scim.LogQuery{Tenant: "a", Count: 1000}); len(got) != len(recs)+len(more)-6 || got[0].RequestID != "req-9" {
		t.Errorf("after more records: %d for tenant a, newest %q", len(got), got[0].RequestID)
	}
}

// TestOperationLogTailOrder checks the order of records spread over
// several tail rows, newest first by time then seq, page by page, in the
// tail and once indexed: records of one time, and times that go back and
// forth between rows, as requests that finish out of order give.
func TestOperationLogTailOrder(t *testing.T) {
	t.Parallel()
	at := time.Now().Add(-time.Minute).UTC()
	for _, tc := range []struct {
		name string
		time func(i int) time.Time
	}{
		{"one time", func(int) time.Time { return at }},
		{"times across rows", func(i int) time.Time {
			if i%2 == 0 {
				return at.Add(time.Duration(i) * time.Millisecond)
			}
			return at.Add(time.Duration(100-i) * time.Millisecond)
		}},
		{"a few late", func(i int) time.Time {
			if i%9 == 0 {
				return at.Add(time.Duration(i-20) * time.Millisecond)
			}
			return at.Add(time.Duration(i) * time.Millisecond)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			l := openLog(t, openLogDB(t, SQLite), SQLite, OperationLogOptions{IndexAfterIdle: time.Hour, BatchSize: 8, FlushEvery: time.Millisecond})
			type logged struct {
				t   time.Time
				seq int
			}
			var recs []logged
			for i := range 60 {
				l.LogOperation(ctx, scim.LogRecord{Time: tc.time(i), Tenant: "a", RequestID: fmt.Sprint(i), Outcome: scim.OutcomeSuccess})
				recs = append(recs, logged{tc.time(i), i})
			}
			flushLog(t, l)()
			slices.SortFunc(recs, func(a, b logged) int {
				if c := b.t.Compare(a.t); c != 0 {
					return c
				}
				return b.seq - a.seq
			})
			var want []string
			for _, r := range recs {
				want = append(want, fmt.Sprint(r.seq))
			}
			ids := func() []string {
				var out []string
				for _, r := range readPages(t, l, scim.LogQuery{Tenant: "a", Count: 5}) {
					out = append(out, r.RequestID)
				}
				return out
			}
			if d := cmp.Diff(want, ids()); d != "" {
				t.Errorf("from the tail (-want +got):\n%s", d)
			}
			if _, err := l.Prune(ctx); err != nil { // indexes the tail
				t.Fatal(err)
			}
			if d := cmp.Diff(want, ids()); d != "" {
				t.Errorf("indexed (-want +got):\n%s", d)
			}
		})
	}
}

// TestOperationLogTailIdle checks the writer's own indexing: when no
// record comes for IndexAfterIdle, and, after a restart, of a tail an
// earlier process left.
func TestOperationLogTailIdle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := sqlitePath(t)
	recs := tailRecords(time.Now().Add(-time.Minute).UTC(), 100)
	l, err := OpenSQLiteOperationLog(ctx, path, OperationLogOptions{IndexAfterIdle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		l.LogOperation(ctx, r)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = OpenSQLiteOperationLog(ctx, path, OperationLogOptions{IndexAfterIdle: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if st := l.Stats(); st.Unindexed != int64(len(recs)) {
		t.Errorf("reopened: Stats().Unindexed %d, want the %d the last process left", st.Unindexed, len(recs))
	}
	waitFor(t, "the tail left by the last process is indexed", func() bool { return l.Stats().Unindexed == 0 })
	if n := countRows(t, l.db, "scim_oplog"); n != len(recs) {
		t.Errorf("scim_oplog holds %d rows, want %d", n, len(recs))
	}
	for _, r := range recs[:10] {
		l.LogOperation(ctx, r)
	}
	// Stats follow the indexing transaction's commit: wait for both.
	waitFor(t, "new records are indexed once idle", func() bool {
		return countRows(t, l.db, "scim_oplog") == len(recs)+10 && l.Stats().Unindexed == 0
	})
	if st := l.Stats(); st.Unindexed != 0 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestOperationLogTailBound checks that while records keep coming the
// tail stays near MaxUnindexed: a chunk is indexed after each batch past
// it.
func TestOperationLogTailBound(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openLogDB(t, SQLite)
	l := openLog(t, db, SQLite, OperationLogOptions{IndexAfterIdle: time.Hour, MaxUnindexed: 50, BatchSize: 16, FlushEvery: time.Millisecond})
	recs := tailRecords(time.Now().UTC(), 500)
	for i, r := range recs {
		l.LogOperation(ctx, r)
		if i%16 == 0 {
			flushLog(t, l)()
			if st := l.Stats(); st.Unindexed >= 50+2*16 {
				t.Fatalf("after %d records the tail holds %d, past the bound of 50 and two batches", i+1, st.Unindexed)
			}
		}
	}
	flushLog(t, l)()
	st := l.Stats()
	if st.Unindexed >= 50+2*16 || int64(countRows(t, db, "scim_oplog"))+st.Unindexed != int64(len(recs)) {
		t.Errorf("stats %+v with %d indexed rows; want %d in all, under 82 unindexed", st, countRows(t, db, "scim_oplog"), len(recs))
	}
}

// TestOperationLogTailPrune checks SQLite's background retention: while
// records keep coming it waits one PruneEvery more, then prunes anyway;
// once records stop, it prunes at the first idle moment.
func TestOperationLogTailPrune(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Now()
	l := openLog(t, openLogDB(t, SQLite), SQLite, OperationLogOptions{MaxAge: time.Hour, IndexAfterIdle: 200 * time.Millisecond,
		PruneEvery: 50 * time.Millisecond, FlushEvery: time.Millisecond, Now: func() time.Time { return now }})
	old := tailRecords(now.Add(-3*time.Hour), 20)
	for _, r := range old {
		l.LogOperation(ctx, r)
	}
	// A record every 5 ms: never idle.
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				l.LogOperation(ctx, tailRecords(now.Add(-time.Minute), 1)[0])
			}
		}
	}()
	waitFor(t, "old records pruned while records keep coming", func() bool { return l.Stats().Pruned >= int64(len(old)) })
	close(stop)
	<-done
	more := tailRecords(now.Add(-2*time.Hour), 10)
	for _, r := range more {
		l.LogOperation(ctx, r)
	}
	waitFor(t, "old records pruned once idle", func() bool { return l.Stats().Pruned >= int64(len(old)+len(more)) })
	if st := l.Stats(); st.Pruned != int64(len(old)+len(more)) || st.Failed != 0 {
		t.Errorf("stats %+v, want %d pruned", st, len(old)+len(more))
	}
}

// TestOperationLogTailDamaged checks that a damaged tail row fails a
// query with an error and leaves the writer running, the row in place.
func TestOperationLogTailDamaged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := openLogDB(t, SQLite)
	l := openLog(t, db, SQLite, OperationLogOptions{IndexAfterIdle: time.Hour, Logger: slog.New(slog.DiscardHandler)})
	for _, r := range tailRecords(time.Now().UTC(), 10) {
		l.LogOperation(ctx, r)
	}
	flushLog(t, l)()
	if _, err := db.Exec("UPDATE scim_oplog_tail SET recs = substr(recs, 1, length(recs) - 3)"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.QueryLog(ctx, scim.LogQuery{Tenant: "a"}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("QueryLog over a damaged row: %v, want an error", err)
	}
	if _, err := l.indexTail(ctx); err == nil {
		t.Error("indexTail over a damaged row: nil error")
	}
	if n := countRows(t, db, "scim_oplog_tail"); n != 1 {
		t.Errorf("%d tail rows, want the damaged one kept", n)
	}
	l.LogOperation(ctx, tailRecords(time.Now().UTC(), 1)[0])
	flushLog(t, l)()
}

// BenchmarkOperationLogQuery measures a first page of SQLite's log with
// 65,536 records of 1,000 users all indexed, and all in the unindexed
// tail (the most MaxUnindexed lets wait by default): a tenant's newest,
// and a user's history.
func BenchmarkOperationLogQuery(b *testing.B) {
	ctx := context.Background()
	const n = 65536
	base := time.Now().Add(-time.Hour).UTC()
	for _, v := range []struct {
		name string
		opts OperationLogOptions
	}{
		{"indexed", OperationLogOptions{MaxUnindexed: 1}},
		{"tail", OperationLogOptions{IndexAfterIdle: time.Hour, MaxUnindexed: 1 << 30}},
	} {
		v.opts.Buffer = n
		db, err := sql.Open("sqlite", SQLiteDSN(sqlitePath(b)))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		l, err := OpenOperationLog(ctx, db, SQLite, v.opts)
		if err != nil {
			b.Fatal(err)
		}
		defer l.Close()
		for i := range n {
			l.LogOperation(ctx, scim.LogRecord{Time: base.Add(time.Duration(i) * time.Millisecond), Tenant: "acme",
				RequestID: fmt.Sprint(i), Client: "Microsoft.Azure.AD.Provisioning", Method: "PATCH", Op: "patch",
				ResourceType: "User", ResourceID: fmt.Sprint("user-", i%1000), Outcome: scim.OutcomeSuccess, Status: 200,
				Changed: []string{"active"}, Duration: time.Millisecond})
		}
		if err := l.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		for _, q := range []struct {
			name string
			q    scim.LogQuery
		}{
			{"newest", scim.LogQuery{Tenant: "acme"}},
			{"user", scim.LogQuery{Tenant: "acme", ResourceID: "user-7"}},
		} {
			b.Run(v.name+"/"+q.name, func(b *testing.B) {
				for b.Loop() {
					p, err := l.QueryLog(ctx, q.q)
					if err != nil || len(p.Records) != scim.DefaultLogCount {
						b.Fatalf("%d records, %v", len(p.Records), err)
					}
				}
			})
		}
	}
}
