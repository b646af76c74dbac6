package elimityscim_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/elimity-com/scim/errors"
	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// TestErrors: elimity's errors answer with scimkit's statuses, and no
// internal text reaches the client.
func TestErrors(t *testing.T) {
	uniqueness := errors.ScimErrorUniqueness
	tests := []struct {
		name   string
		err    error
		status int
		want   map[string]any // scimType and detail
	}{
		{"not found", errors.ScimErrorResourceNotFound("u1"), 404, map[string]any{"detail": "Resource not found."}},
		{"not found wrapped", fmt.Errorf("lookup: %w", errors.ScimErrorResourceNotFound("u1")), 404, map[string]any{"detail": "Resource not found."}},
		{"uniqueness", errors.ScimErrorUniqueness, 409, map[string]any{"scimType": "uniqueness", "detail": errors.ScimErrorUniqueness.Detail}},
		{"uniqueness pointer", &uniqueness, 409, map[string]any{"scimType": "uniqueness", "detail": errors.ScimErrorUniqueness.Detail}},
		{"invalid value", errors.ScimErrorInvalidValue, 400, map[string]any{"scimType": "invalidValue", "detail": errors.ScimErrorInvalidValue.Detail}},
		{"bad request", errors.ScimErrorBadRequest("Badge numbers start with B."), 400, map[string]any{"detail": "Badge numbers start with B."}},
		{"forbidden", errors.ScimError{Status: 403, Detail: "Read only."}, 403, map[string]any{"detail": "Read only."}},
		{"precondition", errors.ScimError{Status: 412}, 412, map[string]any{"detail": "The resource changed since the version given in If-Match."}},
		{"not implemented", errors.ScimError{Status: 501, Detail: "pq: relation scim_secret does not exist"}, 501, map[string]any{"detail": "Not Implemented."}},
		{"internal", errors.ScimError{Status: 500, Detail: "pq: relation scim_secret does not exist"}, 500, map[string]any{"detail": "Internal server error."}},
		{"no status", errors.ScimError{Detail: "pq: relation scim_secret does not exist"}, 500, map[string]any{"detail": "Internal server error."}},
		{"plain error", fmt.Errorf("dial tcp 10.0.0.7:5432: pq: relation scim_secret"), 500, map[string]any{"detail": "Internal server error."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var logs e2e.Log
			s := &stub{err: tc.err}
			h := e2e.Serve(t, server(t, scim.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, userType(s)), token)
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/Users/u1", ""},
				{"POST", "/Users", e2e.UserBody("ada@example.com")},
				{"DELETE", "/Users/u1", ""},
			} {
				r := h.Do(req.method, req.path, req.body)
				if r.Status != tc.status {
					t.Errorf("%s: status %d, want %d: %s", req.method, r.Status, tc.status, r.Raw)
				}
				got := map[string]any{"detail": r.Body["detail"]}
				if st, ok := r.Body["scimType"]; ok {
					got["scimType"] = st
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", req.method, diff)
				}
				if strings.Contains(r.Raw, "scim_secret") || strings.Contains(r.Raw, "10.0.0.7") {
					t.Errorf("%s: internal text in %s", req.method, r.Raw)
				}
			}
			if tc.status == http.StatusInternalServerError && !strings.Contains(logs.String(), "scim_secret") {
				t.Errorf("the cause is not logged: %s", logs.String())
			}
		})
	}
}
