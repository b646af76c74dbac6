package scim_test

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// TestRequestIDHeader: a client's X-Request-Id made of the safe charset
// is echoed in the response and the request's log line; anything else is
// replaced by a new random id, which is what the log shows instead.
func TestRequestIDHeader(t *testing.T) {
	logs := &e2e.Log{}
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("a", tokenA),
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := e2e.Serve(t, srv, tokenA)
	generated := regexp.MustCompile(`^[0-9a-f]{32}$`)
	tests := []struct {
		name, id string
		keep     bool
	}{
		{"uuid", "0f8fad5b-d9cb-469f-a165-70867728950e", true},
		{"every allowed character", "azAZ09-_.:", true},
		{"longest", strings.Repeat("r", 128), true},
		{"too long", strings.Repeat("r", 129), false},
		{"space", "a b", false},
		{"quote forging a log field", `x" status=200 y="`, false},
		{"equals sign", "a=b", false},
		{"markup", "<script>", false},
		{"percent", "a%0Ab", false},
		{"slash", "a/b", false},
		{"not ASCII", "idé", false},
		{"control character", "a\tb", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.DoAs(tokenA, "GET", "/Users?count=0", "", map[string]string{"X-Request-Id": tc.id})
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			got := r.Header.Get("X-Request-Id")
			switch {
			case tc.keep && got != tc.id:
				t.Errorf("X-Request-Id %q, want the client's %q", got, tc.id)
			case !tc.keep && !generated.MatchString(got):
				t.Errorf("X-Request-Id %q, want a new 32-digit hex id", got)
			}
			if !strings.Contains(logs.String(), "request_id="+got+"\n") {
				t.Errorf("no log line with request_id=%s in\n%s", got, logs.String())
			}
			if !tc.keep && strings.Contains(logs.String(), tc.id) {
				t.Errorf("log repeats the refused id %q", tc.id)
			}
		})
	}
	// Requests without an id get one each, never the same.
	seen := map[string]bool{}
	for range 200 {
		id := c.DoAs(tokenA, "GET", "/Users?count=0", "", nil).Header.Get("X-Request-Id")
		if !generated.MatchString(id) || seen[id] {
			t.Fatalf("generated X-Request-Id %q: malformed or seen before", id)
		}
		seen[id] = true
	}
}
