package main

import (
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

func TestLogOptions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxAge   time.Duration
		maxRows  int
		wantAge  time.Duration
		wantRows int
	}{
		{"defaults", 0, 0, defaultLogMaxAge, defaultLogMaxRows},
		{"set", time.Hour, 10, time.Hour, 10},
		{"no limit", -1, -1, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logger := slog.New(slog.DiscardHandler)
			got := logOptions(appConfig{LogMaxAge: tc.maxAge, LogMaxRows: tc.maxRows}, logger)
			if got.Logger != logger {
				t.Errorf("Logger is not Juno's")
			}
			want := sqlstore.OperationLogOptions{MaxAge: tc.wantAge, MaxRowsPerTenant: tc.wantRows}
			if d := cmp.Diff(want, got, cmpopts.IgnoreFields(want, "Logger")); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

// TestLogKept: the provisioning log is in Juno's database file, so a
// restarted Juno shows what came before; and its retention keeps each
// customer's newest LogMaxRows.
func TestLogKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "juno.db")
	// start runs Juno on the file and sends n SCIM requests.
	start := func(n int) *testApp {
		t.Helper()
		db, err := openDB(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		a, err := newApp(t.Context(), appConfig{DB: db, Logger: slog.New(slog.DiscardHandler), LogMaxRows: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		ta := &testApp{app: a, srv: httptest.NewServer(a.routes())}
		t.Cleanup(ta.srv.Close)
		if ta.token, _, err = a.tokens.Issue(t.Context(), scim.Token{Tenant: demoCustomer}); err != nil {
			t.Fatal(err)
		}
		for range n {
			if s := ta.scim(t, ta.token, "GET", "/Users", nil, nil); s != 200 {
				t.Fatalf("GET /Users: %d", s)
			}
		}
		ta.logFlushed(t)
		return ta
	}
	records := func(ta *testApp) int {
		t.Helper()
		p, err := ta.log.QueryLog(t.Context(), scim.LogQuery{Tenant: demoCustomer, Count: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(p.Records)
	}

	first := start(2)
	if n := records(first); n != 2 {
		t.Fatalf("%d records before the restart, want 2", n)
	}
	first.Close()
	first.db.Close()

	second := start(3)
	if n := records(second); n != 5 {
		t.Errorf("%d records after the restart, want 2 from before and 3 since", n)
	}
	if n, err := second.oplog.Prune(t.Context()); err != nil || n != 2 {
		t.Errorf("Prune: %d, %v; want the 2 oldest, nil", n, err)
	}
	if n := records(second); n != 3 {
		t.Errorf("%d records after retention, want LogMaxRows, 3", n)
	}
}
