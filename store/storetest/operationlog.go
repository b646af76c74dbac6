package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
)

// OperationLog is what RunOperationLog checks: a provisioning log that
// keeps what its LogSink is given and answers queries on it.
type OperationLog interface {
	scim.LogSink
	scim.LogReader
}

// RunOperationLog runs the contract suite of a provisioning log as
// subtests of t. open must return a fresh, empty log on every call, and a
// flush func that returns once every record given so far is readable
// (nil when LogOperation keeps a record at once). The log must keep at
// least 100 records per tenant and none may be older than an hour.
func RunOperationLog(t *testing.T, open func(t *testing.T) (OperationLog, func())) {
	t.Helper()
	for _, st := range []struct {
		name string
		run  func(t *testing.T, l OperationLog, flush func())
	}{
		{"RoundTrip", logRoundTrip},
		{"Paging", logPaging},
		{"Filters", logFilters},
		{"UserHistory", logUserHistory},
		{"BadQueries", logBadQueries},
	} {
		t.Run(st.name, func(t *testing.T) {
			l, flush := open(t)
			if flush == nil {
				flush = func() {}
			}
			st.run(t, l, flush)
		})
	}
}

// logBase is when the suite's records happen: whole microseconds, a
// minute ago.
var logBase = time.Now().Add(-time.Minute).Truncate(time.Millisecond).UTC()

func logRec(tenant string, i int, op, rt, id, outcome string) scim.LogRecord {
	r := scim.LogRecord{Time: logBase.Add(time.Duration(i) * time.Millisecond), Tenant: tenant,
		RequestID: fmt.Sprintf("req-%d", i), Client: "Microsoft.Azure.AD.Provisioning", Method: "GET", Op: op,
		ResourceType: rt, ResourceID: id, Outcome: outcome, Status: 200, Duration: time.Duration(i) * time.Microsecond}
	if outcome == scim.OutcomeFailure {
		r.Status, r.SCIMType = 400, scim.InvalidValue
	}
	return r
}

// readAll follows a query's pages to the end, failing on a page longer
// than asked.
func readAll(t *testing.T, l OperationLog, q scim.LogQuery) []scim.LogRecord {
	t.Helper()
	var out []scim.LogRecord
	for range 1000 {
		p, err := l.QueryLog(context.Background(), q)
		if err != nil {
			t.Fatalf("QueryLog(%+v): %v", q, err)
		}
		if len(p.Records) > q.PageSize() {
			t.Fatalf("page of %d records, asked for %d", len(p.Records), q.PageSize())
		}
		out = append(out, p.Records...)
		if p.Next == "" {
			return out
		}
		if len(p.Records) == 0 {
			t.Fatal("an empty page with a Next cursor")
		}
		q.Cursor = p.Next
	}
	t.Fatal("QueryLog pages never end")
	return nil
}

var logOpts = cmp.Options{cmpopts.EquateEmpty(), cmpopts.EquateApproxTime(time.Microsecond)}

func requestIDs(recs []scim.LogRecord) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.RequestID
	}
	return out
}

// logQueryCase is a query and the request ids it reads, in order.
type logQueryCase struct {
	name string
	q    scim.LogQuery
	want []string
}

// checkLogQueries runs each case as a subtest.
func checkLogQueries(t *testing.T, l OperationLog, cases []logQueryCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := requestIDs(readAll(t, l, tc.q))
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func logRoundTrip(t *testing.T, l OperationLog, flush func()) {
	in := scim.LogRecord{Time: logBase, Tenant: tenantA, RequestID: "r1", Client: "Okta SCIM Client 1.0.0",
		Method: "PATCH", Op: "patch", ResourceType: "Group", ResourceID: "g1", Outcome: scim.OutcomeFailure,
		Status: 409, SCIMType: scim.Uniqueness, Changed: []string{"displayName", "members"},
		MembersAdded: []string{"u1", "u2"}, MembersRemoved: []string{"u3"}, MembersOmitted: 2,
		Duration: 1234567 * time.Nanosecond}
	l.LogOperation(context.Background(), in)
	flush()
	got := readAll(t, l, scim.LogQuery{Tenant: tenantA})
	if diff := cmp.Diff([]scim.LogRecord{in}, got, logOpts); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func logPaging(t *testing.T, l OperationLog, flush func()) {
	var want []string
	for i := range 23 {
		r := logRec(tenantA, i, "get", "User", "u", scim.OutcomeSuccess)
		if i >= 20 {
			r.Time = logBase.Add(5 * time.Millisecond) // ties: later given, later read
			r.RequestID = fmt.Sprintf("tie-%d", i)
		}
		l.LogOperation(context.Background(), r)
		l.LogOperation(context.Background(), logRec(tenantB, i, "get", "User", "u", scim.OutcomeSuccess))
	}
	flush()
	for i := 19; i >= 0; i-- {
		want = append(want, fmt.Sprintf("req-%d", i))
		if i == 5 {
			want = append(want[:len(want)-1], "tie-22", "tie-21", "tie-20", "req-5")
		}
	}
	for _, count := range []int{1, 3, 7, 23, 50, 0} {
		t.Run(fmt.Sprint("count ", count), func(t *testing.T) {
			got := requestIDs(readAll(t, l, scim.LogQuery{Tenant: tenantA, Count: count}))
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("newest first (-want +got):\n%s", diff)
			}
		})
	}
	p, err := l.QueryLog(context.Background(), scim.LogQuery{Tenant: tenantA, Count: 23})
	if err != nil || p.Next != "" || len(p.Records) != 23 {
		t.Errorf("one page of all: %d records, Next %q, err %v; want 23, no Next", len(p.Records), p.Next, err)
	}
	// A record logged after the first page was read, newer than all, is
	// not on the later pages: the cursor keeps its place.
	p, err = l.QueryLog(context.Background(), scim.LogQuery{Tenant: tenantA, Count: 10})
	if err != nil {
		t.Fatal(err)
	}
	l.LogOperation(context.Background(), logRec(tenantA, 100, "get", "User", "u", scim.OutcomeSuccess))
	flush()
	rest := requestIDs(readAll(t, l, scim.LogQuery{Tenant: tenantA, Count: 10, Cursor: p.Next}))
	if diff := cmp.Diff(want[10:], rest); diff != "" {
		t.Errorf("pages after a new record (-want +got):\n%s", diff)
	}
}

func logFilters(t *testing.T, l OperationLog, flush func()) {
	recs := []scim.LogRecord{
		logRec(tenantA, 0, "create", "User", "u1", scim.OutcomeSuccess),
		logRec(tenantA, 1, "patch", "User", "u1", scim.OutcomeFailure),
		logRec(tenantA, 2, "create", "Group", "g1", scim.OutcomeSuccess),
		logRec(tenantA, 3, "delete", "User", "u2", scim.OutcomeSuccess),
		logRec(tenantA, 4, "list", "User", "", scim.OutcomeSuccess),
		logRec(tenantA, 5, "discovery", "", "", scim.OutcomeFailure),
		logRec(tenantB, 6, "create", "User", "u1", scim.OutcomeSuccess),
	}
	for _, r := range recs {
		l.LogOperation(context.Background(), r)
	}
	flush()
	at := func(i int) time.Time { return logBase.Add(time.Duration(i) * time.Millisecond) }
	checkLogQueries(t, l, []logQueryCase{
		{"tenant", scim.LogQuery{Tenant: tenantA}, []string{"req-5", "req-4", "req-3", "req-2", "req-1", "req-0"}},
		{"other tenant", scim.LogQuery{Tenant: tenantB}, []string{"req-6"}},
		{"unknown tenant", scim.LogQuery{Tenant: "nobody"}, nil},
		{"resource type", scim.LogQuery{Tenant: tenantA, ResourceType: "User"}, []string{"req-4", "req-3", "req-1", "req-0"}},
		{"resource", scim.LogQuery{Tenant: tenantA, ResourceType: "User", ResourceID: "u1"}, []string{"req-1", "req-0"}},
		{"resource of any type", scim.LogQuery{Tenant: tenantA, ResourceID: "g1"}, []string{"req-2"}},
		{"resource of another type", scim.LogQuery{Tenant: tenantA, ResourceType: "Group", ResourceID: "u1"}, nil},
		{"op", scim.LogQuery{Tenant: tenantA, Op: "create"}, []string{"req-2", "req-0"}},
		{"outcome", scim.LogQuery{Tenant: tenantA, Outcome: scim.OutcomeFailure}, []string{"req-5", "req-1"}},
		{"op and outcome", scim.LogQuery{Tenant: tenantA, Op: "patch", Outcome: scim.OutcomeSuccess}, nil},
		{"since", scim.LogQuery{Tenant: tenantA, Since: at(3)}, []string{"req-5", "req-4", "req-3"}},
		{"until", scim.LogQuery{Tenant: tenantA, Until: at(2)}, []string{"req-1", "req-0"}},
		{"range", scim.LogQuery{Tenant: tenantA, Since: at(1), Until: at(4), ResourceType: "User"}, []string{"req-3", "req-1"}},
		{"range and paging", scim.LogQuery{Tenant: tenantA, Since: at(1), Count: 2}, []string{"req-5", "req-4", "req-3", "req-2", "req-1"}},
	})
}

// logUserHistory checks that a user's history holds the group changes
// that added or removed the user: why Bob left Sales.
func logUserHistory(t *testing.T, l OperationLog, flush func()) {
	recs := []scim.LogRecord{
		logRec(tenantA, 0, "create", "User", "bob", scim.OutcomeSuccess),
		logRec(tenantA, 1, "patch", "Group", "sales", scim.OutcomeSuccess),
		logRec(tenantA, 2, "patch", "Group", "ops", scim.OutcomeSuccess),
		logRec(tenantA, 3, "patch", "Group", "sales", scim.OutcomeSuccess),
		logRec(tenantA, 4, "replace", "User", "bob", scim.OutcomeSuccess),
		logRec(tenantB, 5, "patch", "Group", "sales", scim.OutcomeSuccess),
	}
	recs[1].MembersAdded = []string{"ann", "bob"}
	recs[2].MembersAdded = []string{"ann"}
	recs[3].MembersRemoved = []string{"bob"}
	recs[5].MembersRemoved = []string{"bob"}
	for _, r := range recs {
		l.LogOperation(context.Background(), r)
	}
	flush()
	checkLogQueries(t, l, []logQueryCase{
		{"any type", scim.LogQuery{Tenant: tenantA, ResourceID: "bob"}, []string{"req-4", "req-3", "req-1", "req-0"}},
		{"users", scim.LogQuery{Tenant: tenantA, ResourceType: "User", ResourceID: "bob"}, []string{"req-4", "req-3", "req-1", "req-0"}},
		{"paged", scim.LogQuery{Tenant: tenantA, ResourceType: "User", ResourceID: "bob", Count: 1}, []string{"req-4", "req-3", "req-1", "req-0"}},
		{"removals", scim.LogQuery{Tenant: tenantA, ResourceID: "bob", Op: "patch"}, []string{"req-3", "req-1"}},
		{"groups only", scim.LogQuery{Tenant: tenantA, ResourceType: "Group", ResourceID: "bob"}, nil},
		{"a group's own", scim.LogQuery{Tenant: tenantA, ResourceType: "Group", ResourceID: "sales"}, []string{"req-3", "req-1"}},
		{"other member", scim.LogQuery{Tenant: tenantA, ResourceID: "ann", Count: 1}, []string{"req-2", "req-1"}},
		{"before the removal", scim.LogQuery{Tenant: tenantA, ResourceID: "bob", Until: logBase.Add(3 * time.Millisecond)}, []string{"req-1", "req-0"}},
	})
	got := readAll(t, l, scim.LogQuery{Tenant: tenantA, ResourceID: "bob", Op: "patch", Count: 1})
	if len(got) != 2 || !cmp.Equal(got[0].MembersRemoved, []string{"bob"}) || got[0].ResourceID != "sales" {
		t.Errorf("the removal reads back as %+v", got)
	}
}

func logBadQueries(t *testing.T, l OperationLog, flush func()) {
	for i := range 3 {
		l.LogOperation(context.Background(), logRec(tenantA, i, "get", "User", "u", scim.OutcomeSuccess))
	}
	flush()
	p, err := l.QueryLog(context.Background(), scim.LogQuery{Tenant: tenantA, Count: 1})
	if err != nil || p.Next == "" {
		t.Fatalf("first page: Next %q, err %v", p.Next, err)
	}
	for _, tc := range []struct {
		name string
		q    scim.LogQuery
		want error
	}{
		{"no tenant", scim.LogQuery{}, scim.ErrLogTenant},
		{"made-up cursor", scim.LogQuery{Tenant: tenantA, Cursor: "bm9wZQ"}, scim.ErrLogCursor},
		{"not base64", scim.LogQuery{Tenant: tenantA, Cursor: "'; DROP TABLE scim_oplog; --"}, scim.ErrLogCursor},
		{"cut cursor", scim.LogQuery{Tenant: tenantA, Cursor: p.Next[:len(p.Next)-2]}, scim.ErrLogCursor},
		{"long cursor", scim.LogQuery{Tenant: tenantA, Cursor: p.Next + p.Next + p.Next + p.Next + p.Next + p.Next + p.Next}, scim.ErrLogCursor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := l.QueryLog(context.Background(), tc.q); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}
	// A cursor from another tenant's query reads that tenant's own page.
	p2, err := l.QueryLog(context.Background(), scim.LogQuery{Tenant: tenantB, Cursor: p.Next})
	if err != nil || len(p2.Records) != 0 {
		t.Errorf("tenant B with A's cursor: %d records, err %v; want none", len(p2.Records), err)
	}
}
