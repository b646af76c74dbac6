package scim_test

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
)

// meSubjects maps the X-Subject header of a request to a user id, as a
// host maps the subject of its access tokens.
type meSubjects struct {
	mu  sync.Mutex
	ids map[string]string // tenant + "/" + subject -> user id
}

func (m *meSubjects) set(tenant, subject, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ids[tenant+"/"+subject] = id
}

func (m *meSubjects) me(r *http.Request, tenant string) (string, error) {
	switch sub := r.Header.Get("X-Subject"); sub {
	case "forbidden":
		return "", &scim.Error{Status: http.StatusForbidden, Detail: "This token may not use /Me."}
	case "broken":
		return "", errors.New("identity service at 10.0.0.7 is down")
	default:
		m.mu.Lock()
		defer m.mu.Unlock()
		if id, ok := m.ids[tenant+"/"+sub]; ok {
			return id, nil
		}
		return "", scim.ErrNotFound
	}
}

// twoTenants is an Authenticator of tokenA for tenant a and tokenB for b.
func twoTenants(t *testing.T) *scim.Tokens {
	t.Helper()
	var ts scim.Tokens
	for tenant, tok := range map[string]string{"a": tokenA, "b": tokenB} {
		if _, err := ts.Add(t.Context(), scim.Token{Tenant: tenant, Digest: scim.TokenDigest(tok)}); err != nil {
			t.Fatal(err)
		}
	}
	return &ts
}

// TestMe checks /Me on every store: the mapped user is served as
// /Users/<id> is, for every method, within the tenant; unmapped subjects
// get 404, the host's errors their status, and no Config.Me 501.
func TestMe(t *testing.T) {
	for name, open := range extStores(t) {
		t.Run(name, func(t *testing.T) {
			subjects := &meSubjects{ids: map[string]string{}}
			srv, err := scim.NewServer(scim.Config{Store: open(t), Auth: twoTenants(t), Me: subjects.me})
			if err != nil {
				t.Fatal(err)
			}
			h := e2e.Serve(t, srv, tokenA)
			as := func(subject, method, body string, hdr map[string]string) e2e.Resp {
				t.Helper()
				all := map[string]string{"X-Subject": subject}
				for k, v := range hdr {
					all[k] = v
				}
				return h.DoAs(tokenA, method, "/Me", body, all)
			}
			ada := h.CreateUser(userBodyJSON(t, "ada@contoso.com"))
			subjects.set("a", "ada", ada)
			b := *h
			b.Token = tokenB
			other := b.CreateUser(userBodyJSON(t, "bob@fabrikam.com"))
			subjects.set("a", "intruder", other) // tenant b's user

			viaUsers := h.Must(200, "GET", "/Users/"+ada, "")
			me := as("ada", "GET", "", nil)
			if me.Status != 200 || !cmp.Equal(me.Body, viaUsers.Body) || me.Header.Get("ETag") != viaUsers.Header.Get("ETag") {
				t.Fatalf("GET /Me: %d %s\nwant %s", me.Status, me.Raw, viaUsers.Raw)
			}
			if loc := e2e.Path(me.Body, "meta", "location"); loc != h.Base+"/Users/"+ada {
				t.Errorf("meta.location %v", loc)
			}
			if r := as("ada", "GET", "", map[string]string{"If-None-Match": me.Header.Get("ETag")}); r.Status != 304 {
				t.Errorf("GET /Me If-None-Match: %d", r.Status)
			}
			if r := as("ada", "GET", "", nil); r.Status != 200 {
				t.Errorf("GET /Me: %d", r.Status)
			}
			p := as("ada", "PATCH", e2e.PatchBody(`{"op":"replace","path":"title","value":"CEO"}`), map[string]string{"If-Match": me.Header.Get("ETag")})
			if p.Status != 200 || p.Body["title"] != "CEO" {
				t.Errorf("PATCH /Me: %d %s", p.Status, p.Raw)
			}
			if r := as("ada", "PUT", userBodyJSON(t, "ada@contoso.com"), map[string]string{"If-Match": me.Header.Get("ETag")}); r.Status != 412 {
				t.Errorf("PUT /Me with a stale If-Match: %d", r.Status)
			}
			if r := as("ada", "PUT", userBodyJSON(t, "ada.l@contoso.com"), nil); r.Status != 200 || r.Body["userName"] != "ada.l@contoso.com" || r.Body["title"] != nil {
				t.Errorf("PUT /Me: %d %s", r.Status, r.Raw)
			}
			if u := h.Must(200, "GET", "/Users/"+ada, ""); u.Body["userName"] != "ada.l@contoso.com" {
				t.Errorf("PUT /Me did not reach /Users/%s: %s", ada, u.Raw)
			}
			for _, tc := range []struct {
				subject, method, path, body string
				status                      int
				detail                      string
			}{
				{"nobody", "GET", "/Me", "", 404, "no User"},
				{"intruder", "GET", "/Me", "", 404, ""},
				{"intruder", "DELETE", "/Me", "", 404, ""},
				{"forbidden", "GET", "/Me", "", 403, "may not use /Me"},
				{"broken", "GET", "/Me", "", 500, "Internal server error."},
				{"ada", "POST", "/Me", userBodyJSON(t, "x@contoso.com"), 501, "POST to /Users"},
				{"ada", "GET", "/Me/x", "", 404, ""},
			} {
				r := h.DoAs(tokenA, tc.method, tc.path, tc.body, map[string]string{"X-Subject": tc.subject})
				detail, _ := r.Body["detail"].(string)
				if r.Status != tc.status || !strings.Contains(detail, tc.detail) || strings.Contains(detail, "10.0.0.7") {
					t.Errorf("%s %s as %s: %d %s, want %d with %q", tc.method, tc.path, tc.subject, r.Status, r.Raw, tc.status, tc.detail)
				}
			}
			b.Must(200, "GET", "/Users/"+other, "")
			if r := as("ada", "DELETE", "", nil); r.Status != 204 {
				t.Errorf("DELETE /Me: %d %s", r.Status, r.Raw)
			}
			h.Must(404, "GET", "/Users/"+ada, "")
			if r := as("ada", "GET", "", nil); r.Status != 404 {
				t.Errorf("GET /Me after DELETE: %d", r.Status)
			}
		})
	}
}

// TestMeNotConfigured checks that without Config.Me /Me is 501.
func TestMeNotConfigured(t *testing.T) {
	h := newHarness(t)
	for _, m := range []string{"GET", "PUT", "PATCH", "DELETE", "POST"} {
		wantPlainError(t, m+" /Me", h.Do(m, "/Me", ""), http.StatusNotImplemented)
	}
}
