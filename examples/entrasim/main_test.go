package main

import (
	"bytes"
	"encoding/json"
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

// scimURL serves scimkit with a memory store at /scim/v2 on loopback.
func scimURL(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("t", "tok"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = http.StripPrefix("/scim/v2", srv)
	if wrap != nil {
		h = wrap(h)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", h)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL + "/scim/v2"
}

func TestRun(t *testing.T) {
	jsonType := func() string {
		return scimURL(t, func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				w.WriteHeader(rec.Code)
				w.Write(rec.Body.Bytes())
			})
		})
	}
	good := func() string { return scimURL(t, nil) }
	small := []string{"-token", "tok", "-users", "12", "-groups", "2", "-members", "4", "-seed", "9"}
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		mode     string // from the JSON summary, when -json
		flag     bool
		inStderr string
	}{
		{"legacy with JSON", append([]string{"-url", good(), "-json"}, small...), 0, "entra-legacy", false, "RESULT: OK"},
		{"flag from the Tenant URL", append([]string{"-url", good() + "?aadOptscim062020", "-json"}, small...), 0, "entra-flag", true, "aadOptscim062020"},
		{"okta, quiet", append([]string{"-url", good(), "-mode", "okta", "-json", "-q"}, small...), 0, "okta", false, "RESULT: OK"},
		{"verbose logs requests", append([]string{"-url", good(), "-v", "-cycles", "0"}, small...), 0, "", false, "GET /Users?filter=userName+eq+%22"},
		{"broken server fails", append([]string{"-url", jsonType(), "-json"}, small...), 1, "entra-legacy", false, "application/json content type: the Microsoft validator aborts"},
		{"no url", []string{"-token", "tok"}, 2, "", false, "-url is required"},
		{"no token", []string{"-url", good(), "-token", ""}, 2, "", false, "a token is required"},
		{"bad mode", []string{"-url", good(), "-token", "tok", "-mode", "azure"}, 2, "", false, "unknown mode"},
		{"bad url", []string{"-url", "scim.example/scim/v2", "-token", "tok"}, 2, "", false, "want http(s)://host/path"},
		{"unknown query", []string{"-url", good() + "?x=1", "-token", "tok"}, 2, "", false, "unexpected query parameter"},
		{"members beyond users", []string{"-url", good(), "-token", "tok", "-users", "3", "-members", "5"}, 2, "", false, "cannot exceed"},
		{"stray argument", []string{"-url", good(), "-token", "tok", "extra"}, 2, "", false, "unexpected arguments"},
		{"bad concurrency", []string{"-url", good(), "-token", "tok", "-c", "0"}, 2, "", false, "-c must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.inStderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.inStderr, stderr.String())
			}
			if tc.mode == "" {
				if stdout.Len() != 0 {
					t.Errorf("unexpected stdout: %s", stdout.String())
				}
				return
			}
			var sum struct {
				Mode      string
				FlagInURL bool `json:"aadOptscim062020"`
				OK        bool
				Seed      uint64
				Users     int
				Outcomes  map[string]int
				Latency   []struct {
					Kind     string
					Requests int
					P99MS    float64 `json:"p99Ms"`
				}
			}
			if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
				t.Fatalf("stdout is not the JSON summary: %v\n%s", err, stdout.String())
			}
			got := []any{sum.Mode, sum.FlagInURL, sum.OK, sum.Seed, sum.Users}
			want := []any{tc.mode, tc.flag, tc.code == 0, uint64(9), 12}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("summary (-want +got):\n%s", diff)
			}
			if len(sum.Latency) == 0 || sum.Latency[0].Kind != "lookup" || sum.Latency[0].Requests == 0 {
				t.Errorf("latency report missing: %+v", sum.Latency)
			}
		})
	}
}

// TestRandomSeed: without -seed a random seed is chosen and reported.
func TestRandomSeed(t *testing.T) {
	url := scimURL(t, nil)
	seeds := map[uint64]bool{}
	for range 2 {
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-url", url, "-token", "tok", "-users", "2", "-groups", "0", "-cycles", "0", "-json"}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
		var sum struct{ Seed uint64 }
		if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
			t.Fatal(err)
		}
		seeds[sum.Seed] = true
	}
	if len(seeds) != 2 {
		t.Errorf("two runs without -seed used the same seed: %v", seeds)
	}
}
