package scim_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// recordLevels keeps the level and status of each "scim request" record.
type recordLevels struct {
	mu   sync.Mutex
	min  slog.Level
	seen []string
}

func (h *recordLevels) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }
func (h *recordLevels) WithAttrs([]slog.Attr) slog.Handler           { return h }
func (h *recordLevels) WithGroup(string) slog.Handler                { return h }
func (h *recordLevels) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "scim request" {
		return nil
	}
	var status int64
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "status" {
			status = a.Value.Int64()
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = append(h.seen, r.Level.String()+" "+http.StatusText(int(status)))
	return nil
}

func TestRequestLogLevels(t *testing.T) {
	requests := []struct {
		method, path, token string
	}{
		{"GET", "/Users", "tok"},
		{"GET", "/Users/2819c223-7f76-453a-919d-413861904646", "tok"},
		{"GET", "/Users", "wrong"},
		{"DELETE", "/ServiceProviderConfig", "tok"},
		{"GET", "/Me", "tok"}, // 501: unsupported, not a failure
	}
	tests := []struct {
		name string
		min  slog.Level
		want []string
	}{
		{"debug logs every request", slog.LevelDebug, []string{"DEBUG OK", "INFO Not Found", "INFO Unauthorized", "INFO Method Not Allowed", "INFO Not Implemented"}},
		{"info logs failures only", slog.LevelInfo, []string{"INFO Not Found", "INFO Unauthorized", "INFO Method Not Allowed", "INFO Not Implemented"}},
		{"error logs nothing here", slog.LevelError, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &recordLevels{min: tc.min}
			srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("t", "tok"), Logger: slog.New(h)})
			if err != nil {
				t.Fatal(err)
			}
			for _, rq := range requests {
				r := httptest.NewRequest(rq.method, rq.path, nil)
				r.Header.Set("Authorization", "Bearer "+rq.token)
				srv.ServeHTTP(httptest.NewRecorder(), r)
			}
			if diff := cmp.Diff(tc.want, h.seen); diff != "" {
				t.Errorf("records (-want +got):\n%s", diff)
			}
		})
	}
}
