package scim_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/scimkit/scim/internal/e2e"
)

// logSecrets holds the secrets no log may contain. Tests add those they
// make, such as OAuth client secrets and the access tokens answered.
var logSecrets = &e2e.Secrets{}

// TestMain runs the package's tests with slog.Default (and so the log
// package and every Server without a Logger) writing to a captured sink
// at Debug level, and every request sent through http.DefaultTransport
// recorded for its secrets (bearer tokens, HTTP Basic credentials,
// passwords, OAuth client secrets in form bodies). After the tests, no
// line of the sink or of any e2e.Log (among them every provisioning log
// record of the harness's servers, written by jsonSink) may contain a
// bearer token, an Authorization header value or a password that a test
// sent (item 10 of the adversarial checklist).
func TestMain(m *testing.M) {
	sink := &e2e.Log{}
	slog.SetDefault(slog.New(slog.NewTextHandler(sink, &slog.HandlerOptions{Level: slog.LevelDebug})))
	secrets := logSecrets
	// The secrets the tests use; requests sent over HTTP add their own.
	secrets.Add(tokenA, tokenB, advRevokedToken, advExpiringToken, advPassword,
		"1mz050nq", "t1meMa$heen") // Okta's placeholder password, a PATCHed one
	http.DefaultTransport = secrets.Transport(http.DefaultTransport)
	code := m.Run()
	if code == 0 {
		lines, found := secrets.Leaks(e2e.AllLogs())
		for i, line := range lines {
			fmt.Fprintf(os.Stderr, "log line contains the secret %q:\n%.300s\n", found[i], line)
		}
		if len(lines) > 0 {
			code = 1
		}
	}
	os.Exit(code)
}
