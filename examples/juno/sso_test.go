package main

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/coreos/go-oidc/v3/oidc/oidctest"
)

// testIdP is go-oidc's oidctest provider with a token endpoint that
// answers a code with the ID token the test chose for it.
type testIdP struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	mu   sync.Mutex
	next map[string]any // the claims of the next ID token
}

func startIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key}
	o := &oidctest.Server{PublicKeys: []oidctest.PublicKey{{PublicKey: key.Public(), KeyID: "k1", Algorithm: oidc.RS256}}}
	mux := http.NewServeMux()
	mux.Handle("/", o)
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		idp.mu.Lock()
		claims := idp.next
		idp.mu.Unlock()
		if r.PostFormValue("code") != "good-code" || claims == nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":"invalid_grant"}`)
			return
		}
		b, _ := json.Marshal(claims)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 3600,
			"id_token": oidctest.SignIDToken(key, "k1", oidc.RS256, string(b))})
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	o.SetIssuer(idp.srv.URL)
	return idp
}

func TestSSO(t *testing.T) {
	ta := startApp(t)
	idp := startIdP(t)
	if err := ta.addSSO(t.Context(), ssoFlags{issuer: idp.srv.URL, clientID: "juno", clientSecret: "s", customer: demoCustomer}); err != nil {
		t.Fatal(err)
	}
	ids := ta.entraCycle(t, ta.token) // bob is deactivated
	var gone struct{ ID string }
	ta.scim(t, ta.token, "POST", "/Users", entraUser("gone@contoso.com", "Gone Away", "99999999-0000"), &gone)
	ta.scim(t, ta.token, "DELETE", "/Users/"+gone.ID, nil, nil)
	// Okta provisions without externalId = oid: its userName is the login.
	ta.scim(t, ta.token, "POST", "/Users", map[string]any{"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": "olga@okta.example", "active": true}, nil)

	no := false
	cases := []struct {
		name       string
		claims     map[string]any
		nonce      string // "" : the one sent
		state      string // "" : the one sent
		wantStatus int
		wantBody   string // in the refusal, or the /api/me answer
	}{
		{"Entra oid", map[string]any{"oid": "a1a1a1a1-0000", "preferred_username": "someone.else@contoso.com"}, "", "", 200, ids.alice},
		{"Entra oid wins over upn", map[string]any{"oid": "c3c3c3c3-0000", "upn": "alice@contoso.com"}, "", "", 200, ids.carol},
		{"upn without oid", map[string]any{"upn": "ALICE@contoso.com"}, "", "", 200, ids.alice},
		{"Okta preferred_username", map[string]any{"preferred_username": "olga@okta.example"}, "", "", 200, "olga@okta.example"},
		{"verified email", map[string]any{"email": "olga@okta.example", "email_verified": true}, "", "", 200, "olga@okta.example"},
		{"unverified email", map[string]any{"email": "olga@okta.example", "email_verified": no}, "", "", 403, "not given you access"},
		{"deactivated", map[string]any{"oid": "b2b2b2b2-0000"}, "", "", 403, "deactivated"},
		{"deleted", map[string]any{"oid": "99999999-0000", "upn": "gone@contoso.com"}, "", "", 403, "not given you access"},
		{"never provisioned", map[string]any{"oid": "nobody", "upn": "nobody@contoso.com"}, "", "", 403, "not given you access"},
		{"other customer's person", map[string]any{"upn": "alice@contoso.com", "aud": "another-client"}, "", "", 401, "did not sign you in"},
		{"replayed nonce", map[string]any{"oid": "a1a1a1a1-0000"}, "stale", "", 401, "did not sign you in"},
		{"forged state", map[string]any{"oid": "a1a1a1a1-0000"}, "", "forged", 400, "expired"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			cl := &http.Client{Jar: jar, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
				if strings.HasPrefix(r.URL.String(), idp.srv.URL) {
					return http.ErrUseLastResponse
				}
				return nil
			}}
			resp, err := cl.Get(ta.srv.URL + "/sso/demo/login")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != http.StatusFound || loc.Path != "/auth" {
				t.Fatalf("login: %d to %s", resp.StatusCode, loc)
			}
			q := loc.Query()
			claims := map[string]any{"iss": idp.srv.URL, "aud": "juno", "sub": "s-" + c.name,
				"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(), "nonce": q.Get("nonce")}
			for k, v := range c.claims {
				claims[k] = v
			}
			if c.nonce != "" {
				claims["nonce"] = c.nonce
			}
			idp.mu.Lock()
			idp.next = claims
			idp.mu.Unlock()
			state := q.Get("state")
			if c.state != "" {
				state = c.state
			}
			resp, err = cl.Get(ta.srv.URL + "/sso/callback?code=good-code&state=" + url.QueryEscape(state))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != c.wantStatus || !strings.Contains(string(b), c.wantBody) {
				t.Errorf("callback: %d %s; want %d with %q", resp.StatusCode, b, c.wantStatus, c.wantBody)
			}
		})
	}
}
