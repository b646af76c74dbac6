package scim_test

import (
	"log/slog"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/eventtest"
	"github.com/scimkit/scim/store/memory"
)

const (
	tokenA = "scim_test_token_tenant_a"
	tokenB = "scim_test_token_tenant_b"
)

// harness is a client of a Server with a memory store mounted at
// /scim/v2 on an httptest server, with two tenants (Do acts as a) and a
// captured log.
type harness struct {
	*e2e.Client
	logs *e2e.Log
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	logs := &e2e.Log{}
	return &harness{Client: e2e.Serve(t, newServer(t, logs), tokenA), logs: logs}
}

// newServer is a Server on a new memory store with the tenants a and b,
// logging everything to logs.
func newServer(t *testing.T, logs *e2e.Log) *scim.Server {
	t.Helper()
	var ts scim.Tokens
	for tenant, tok := range map[string]string{"a": tokenA, "b": tokenB} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	// Every scenario also checks the events it makes: each one continues
	// its resource's stream (see eventtest.Replay).
	rec := eventtest.NewRecorder()
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   &ts,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Events: rec.Handle,
		// The provisioning log goes where TestMain looks for secrets.
		OperationLog: jsonSink{&e2e.Log{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { checkEvents(t, srv, rec) })
	return srv
}

// checkEvents shuts srv's event delivery down and checks that nothing was
// dropped and that every resource's event stream is consistent.
func checkEvents(t *testing.T, srv *scim.Server, rec *eventtest.Recorder) {
	if err := srv.Close(); err != nil {
		t.Error(err)
	}
	if st := srv.EventStats(); st.Dropped > 0 {
		t.Errorf("events dropped: %+v", st)
	}
	_, problems := eventtest.Replay(rec.Events())
	for _, p := range problems {
		t.Errorf("event stream: %s", p)
	}
}
