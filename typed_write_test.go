package scim_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// TestTypedWriteAnswersAsGet holds the answers of POST, PATCH and PUT on a
// user, written straight from the stored user, to GET's of the same
// version, headers and body, and the answer with events on (written
// from the document form) to the same bytes.
func TestTypedWriteAnswersAsGet(t *testing.T) {
	for _, events := range []bool{false, true} {
		cfg := scim.Config{Store: memory.New(), Auth: scim.StaticToken("t", "tok"),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if events {
			cfg.Events = func(context.Context, scim.Event) error { return nil }
		}
		srv, err := scim.NewServer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		serve := func(method, target, body string) *httptest.ResponseRecorder {
			r := httptest.NewRequest(method, target, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer tok")
			r.Header.Set("Content-Type", "application/scim+json")
			w := httptest.NewRecorder()
			srv.ServeHTTP(w, r)
			return w
		}
		w := serve("POST", "/Users", scim.BenchUserJSON)
		loc := w.Header().Get("Location")
		id := loc[strings.LastIndexByte(loc, '/')+1:]
		if get := serve("GET", "/Users/"+id, ""); w.Code != http.StatusCreated || w.Body.String() != get.Body.String() ||
			w.Header().Get("ETag") != get.Header().Get("ETag") || !strings.Contains(w.Body.String(), `"location":"`+loc+`"`) {
			t.Errorf("events %v: POST answered %d %s %q, GET %s", events, w.Code, w.Header(), w.Body, get.Body)
		}
		for _, tc := range []struct{ method, body string }{
			{"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`},
			{"PATCH", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"emails[type eq \"home\"].value","value":"h@example.com"},{"op":"replace","path":"name.givenName","value":"Grace"}]}`},
			{"PUT", strings.Replace(scim.BenchUserJSON, `"title":"Analyst"`, `"title":"Lead"`, 1)},
		} {
			got := serve(tc.method, "/Users/"+id, tc.body)
			want := serve("GET", "/Users/"+id, "")
			if got.Code != http.StatusOK {
				t.Fatalf("events %v: %s: %d %s", events, tc.method, got.Code, got.Body)
			}
			if diff := cmp.Diff(want.Body.String(), got.Body.String()); diff != "" {
				t.Errorf("events %v: %s body (-GET +%[2]s):\n%s", events, tc.method, diff)
			}
			for _, h := range []string{"ETag", "Content-Type", "Location"} {
				if got.Header().Get(h) != want.Header().Get(h) {
					t.Errorf("events %v: %s header %s = %q, GET's %q", events, tc.method, h, got.Header().Get(h), want.Header().Get(h))
				}
			}
		}
	}
}
