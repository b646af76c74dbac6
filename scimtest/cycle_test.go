package scimtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	_ "modernc.org/sqlite" // the "sqlite" driver

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/scimtest"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

const token = "scimtest-token"

// newServer returns a scim.Server on store, quiet unless the test fails.
func newServer(t *testing.T, store scim.Store) http.Handler {
	t.Helper()
	srv, err := scim.NewServer(scim.Config{
		Store:  store,
		Auth:   scim.StaticToken("acme", token),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// stores opens each bundled store for t: memory, SQLite in a temporary
// file and, with SCIMKIT_TEST_POSTGRES, PostgreSQL in a schema of its own.
var stores = []struct {
	name string
	open func(t *testing.T) scim.Store
}{
	{"memory", func(*testing.T) scim.Store { return memory.New() }},
	{"sqlite", func(t *testing.T) scim.Store {
		s, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "scim.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t *testing.T) scim.Store {
		s, err := sqlstore.Open(context.Background(), pgtest.DB(t, pgtest.SchemaDSN(t)), sqlstore.Postgres)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// TestCycles runs the Entra ID cycles (both forms) and the Okta cycle
// against scimkit on every bundled store; none may report a failure.
func TestCycles(t *testing.T) {
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Run("entra", func(t *testing.T) {
				scimtest.RunEntraCycle(t, scimtest.Target{Handler: newServer(t, st.open(t)), Token: token}, scimtest.CycleOptions{})
			})
			t.Run("okta", func(t *testing.T) {
				scimtest.RunOktaCycle(t, scimtest.Target{Handler: newServer(t, st.open(t)), Token: token}, scimtest.CycleOptions{})
			})
		})
	}
}

// TestCycleAtURL runs a cycle against an endpoint the host already serves,
// under a prefix of its own, and then again with the same seed: the second
// run reconciles with the first.
func TestCycleAtURL(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/tenants/acme/scim/v2/", http.StripPrefix("/tenants/acme/scim/v2", newServer(t, memory.New())))
	hs := httptest.NewServer(mux)
	defer hs.Close()
	tg := scimtest.Target{URL: hs.URL + "/tenants/acme/scim/v2", Token: token}
	for range 2 {
		scimtest.RunCycle(t, tg, scimtest.EntraFlag, scimtest.CycleOptions{Users: 15, Cycles: 2, Seed: 7})
	}
}

// failures is a testing.TB that keeps what would fail the test.
type failures struct {
	testing.TB // the real test: Helper, Cleanup, Context, Log
	mu         sync.Mutex
	errs       []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *failures) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }

// rewrite passes every JSON response of next through fix before it is
// written.
func rewrite(next http.Handler, fix func(r *http.Request, status *int, doc map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		status, body := rec.Code, rec.Body.Bytes()
		var doc map[string]any
		if len(body) > 0 && json.Unmarshal(body, &doc) == nil {
			fix(r, &status, doc)
			body, _ = json.Marshal(doc)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(status)
		w.Write(body)
	})
}

// TestCycleReportsFailures wraps scimkit in defects identity providers
// trip on: each must fail the cycle with the simulator's reason, and
// scimkit alone must not.
func TestCycleReportsFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		idp    scimtest.IdP
		broken func(http.Handler) http.Handler // nil: none
		want   string
	}{
		{"sound", scimtest.EntraLegacy, nil, ""},
		{"404 on a filter miss", scimtest.EntraLegacy, func(h http.Handler) http.Handler {
			return rewrite(h, func(r *http.Request, status *int, doc map[string]any) {
				if r.URL.Query().Has("filter") && doc["totalResults"] == 0.0 {
					*status = http.StatusNotFound
					clear(doc)
					doc["schemas"] = []string{"urn:ietf:params:scim:api:messages:2.0:Error"}
					doc["status"] = "404"
				}
			})
		}, "404 on a filter miss: Entra quarantines the job"},
		{"manager as a string", scimtest.EntraFlag, func(h http.Handler) http.Handler {
			return rewrite(h, func(_ *http.Request, _ *int, doc map[string]any) {
				ent, _ := doc["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].(map[string]any)
				if m, ok := ent["manager"].(map[string]any); ok {
					ent["manager"] = m["value"]
				}
			})
		}, "manager returned as a string: Entra cannot read it back"},
		{"case-sensitive userName", scimtest.Okta, func(h http.Handler) http.Handler {
			return rewrite(h, func(r *http.Request, _ *int, doc map[string]any) {
				f := r.URL.Query().Get("filter")
				if strings.HasPrefix(f, "userName eq") && f != strings.ToLower(f) {
					doc["totalResults"], doc["itemsPerPage"], doc["Resources"] = 0, 0, []any{}
				}
			})
		}, "filter userName eq is case-sensitive: Okta expects an upper-cased lookup to find the user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newServer(t, memory.New())
			if tc.broken != nil {
				h = tc.broken(h)
			}
			f := &failures{TB: t}
			scimtest.RunCycle(f, scimtest.Target{Handler: h, Token: token}, tc.idp, scimtest.CycleOptions{Users: 10, Groups: 2, Members: 3})
			if tc.want == "" {
				if len(f.errs) > 0 {
					t.Fatalf("a sound server failed:\n%s", strings.Join(f.errs, "\n"))
				}
				return
			}
			var found bool
			for _, e := range f.errs {
				found = found || strings.HasPrefix(e, tc.idp.String()+": "+tc.want+" (")
			}
			if !found {
				t.Errorf("no failure %q among:\n%s", tc.want, strings.Join(f.errs, "\n"))
			}
		})
	}
}

// TestCycleNeedsAnEndpoint: a Target with neither Handler nor URL is the
// caller's mistake, reported as such.
func TestCycleNeedsAnEndpoint(t *testing.T) {
	var out bytes.Buffer
	f := &fatal{TB: t, out: &out}
	func() {
		defer func() { _ = recover() }()
		scimtest.RunCycle(f, scimtest.Target{Token: token}, scimtest.Okta, scimtest.CycleOptions{})
	}()
	if !strings.Contains(out.String(), "Target needs a Handler or a URL") {
		t.Errorf("Fatal not called with the reason; got %q", out.String())
	}
}

// fatal is a testing.TB whose Fatal records and stops the caller.
type fatal struct {
	testing.TB
	out *bytes.Buffer
}

func (f *fatal) Fatal(args ...any) { fmt.Fprint(f.out, args...); panic("fatal") }
func (f *fatal) Fatalf(format string, args ...any) {
	fmt.Fprintf(f.out, format, args...)
	panic("fatal")
}
