package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a clock that moves only when told to.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *clock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *clock) advance(d time.Duration) { c.ns.Add(int64(d)) }

// tokenResponse is what the token endpoint answered.
type tokenResponse struct {
	status int
	header http.Header
	body   map[string]any
}

// requestToken posts form to the token endpoint, with HTTP Basic
// credentials when id is not "".
func (ta *testApp) requestToken(t *testing.T, id, secret string, form url.Values) tokenResponse {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", ta.srv.URL+tokenPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	tr := tokenResponse{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&tr.body); err != nil {
		t.Fatalf("token endpoint: %d, not JSON: %v", resp.StatusCode, err)
	}
	return tr
}

// accessToken gets an access token with id and secret, failing t if the
// endpoint refuses.
func (ta *testApp) accessToken(t *testing.T, id, secret string) string {
	t.Helper()
	tr := ta.requestToken(t, id, secret, url.Values{"grant_type": {"client_credentials"}})
	tok, _ := tr.body["access_token"].(string)
	if tr.status != 200 || tok == "" {
		t.Fatalf("token request: %d %v", tr.status, tr.body)
	}
	return tok
}

// postAdmin posts form with the page's CSRF token and returns the status
// and the page answered.
func (ta *testApp) postAdmin(t *testing.T, c *http.Client, path string, form url.Values) (int, string) {
	t.Helper()
	_, page := ta.get(t, c, "/admin/customers/demo", nil)
	form.Set("csrf", csrfOf(t, page))
	resp, err := c.PostForm(ta.srv.URL+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// shown returns what the page shows once in the element with id.
func shown(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`id="` + id + `">([^<]+)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page shows no %s", id)
	}
	return m[1]
}

// TestOAuthClientCredentials runs the client credentials flow end to end
// through Juno's admin page, token endpoint and SCIM endpoint: a client
// made on the admin page, its token used on /scim/v2, the token's expiry,
// a wrong secret, wrong grant types, and rotation (a second secret, the
// first revoked with its access tokens).
func TestOAuthClientCredentials(t *testing.T) {
	clk := newClock()
	const lifetime = 2 * time.Minute
	ta := startAppWith(t, appConfig{AccessTokenLifetime: lifetime, Now: clk.now})
	admin, _ := ta.adminClient(t, "correct horse")

	// The admin creates a client: its id and first secret are shown once.
	s, page := ta.postAdmin(t, admin, "/admin/customers/demo/clients", url.Values{"label": {"Entra ID gallery app"}})
	if s != 200 {
		t.Fatalf("creating a client: %d", s)
	}
	clientID, secret1 := shown(t, page, "new-client-id"), shown(t, page, "new-client-secret")
	if got := shown(t, page, "token-url"); got != ta.srv.URL+tokenPath {
		t.Errorf("token URL shown: %q, want %q", got, ta.srv.URL+tokenPath)
	}
	if _, again := ta.get(t, admin, "/admin/customers/demo", nil); strings.Contains(again, secret1) {
		t.Error("the client secret is shown again on reload")
	}

	// A token, used on the SCIM endpoint beside the Secret Token.
	tr := ta.requestToken(t, clientID, secret1, url.Values{"grant_type": {"client_credentials"}})
	if tr.status != 200 || tr.body["token_type"] != "Bearer" || tr.body["expires_in"] != lifetime.Seconds() || tr.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("token response: %d %v %v", tr.status, tr.header, tr.body)
	}
	tok1 := tr.body["access_token"].(string)
	if s := ta.scim(t, tok1, "POST", "/Users", entraUser("olga@contoso.com", "Olga Ortiz", "0a0a0a0a-0000"), nil); s != 201 {
		t.Errorf("creating a user with the access token: %d", s)
	}
	for _, tok := range []string{tok1, ta.token} {
		var list struct{ TotalResults int }
		if s := ta.scim(t, tok, "GET", "/Users", nil, &list); s != 200 || list.TotalResults != 1 {
			t.Errorf("listing users: %d, %d users", s, list.TotalResults)
		}
	}
	// The client's credentials may also come in the form.
	if tr := ta.requestToken(t, "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret1}}); tr.status != 200 {
		t.Errorf("credentials in the form: %d %v", tr.status, tr.body)
	}

	// Refused requests.
	for _, tc := range []struct {
		name, id, secret string
		form             url.Values
		status           int
		code             string
	}{
		{"wrong secret", clientID, secret1 + "x", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"another client's id", "scimclient_nobody", secret1, url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"no credentials", "", "", url.Values{"grant_type": {"client_credentials"}}, 401, "invalid_client"},
		{"password grant", clientID, secret1, url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, 400, "unsupported_grant_type"},
		{"authorization code grant", clientID, secret1, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}}, 400, "unsupported_grant_type"},
		{"no grant type", clientID, secret1, url.Values{}, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := ta.requestToken(t, tc.id, tc.secret, tc.form)
			if tr.status != tc.status || tr.body["error"] != tc.code || tr.body["access_token"] != nil {
				t.Errorf("%d %v, want %d %s", tr.status, tr.body, tc.status, tc.code)
			}
			if tc.status == 401 && !strings.HasPrefix(tr.header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate: %q", tr.header.Get("WWW-Authenticate"))
			}
		})
	}
	if s := ta.scim(t, "scim_"+strings.Repeat("A", 43), "GET", "/Users", nil, nil); s != 401 {
		t.Errorf("a made-up token: %d, want 401", s)
	}

	// Expiry: the access token ends with its lifetime; a new one works.
	clk.advance(lifetime - time.Second)
	if s := ta.scim(t, tok1, "GET", "/Users", nil, nil); s != 200 {
		t.Errorf("the access token before its expiry: %d, want 200", s)
	}
	clk.advance(time.Second)
	if s := ta.scim(t, tok1, "GET", "/Users", nil, nil); s != 401 {
		t.Errorf("the access token at its expiry: %d, want 401", s)
	}
	tokA := ta.accessToken(t, clientID, secret1)

	// Rotation: a second secret on the admin page, then the first
	// revoked. The first's access tokens stop at once; the second's work.
	s, page = ta.postAdmin(t, admin, "/admin/customers/demo/clients/"+clientID+"/secrets", url.Values{"days": {"30"}})
	if s != 200 {
		t.Fatalf("adding a secret: %d", s)
	}
	secret2, secret2ID := shown(t, page, "new-client-secret"), regexp.MustCompile(`<b>(cs_[^<]+)</b>`).FindStringSubmatch(page)
	if secret2 == secret1 || secret2ID == nil {
		t.Fatalf("the second secret: %q, id %v", secret2, secret2ID)
	}
	tokB := ta.accessToken(t, clientID, secret2)
	for _, tok := range []string{tokA, tokB} {
		if s := ta.scim(t, tok, "GET", "/Users", nil, nil); s != 200 {
			t.Errorf("an access token while both secrets are active: %d", s)
		}
	}
	_, page = ta.get(t, admin, "/admin/customers/demo", nil)
	revoke := regexp.MustCompile(`action="(/admin/customers/demo/clients/`+regexp.QuoteMeta(clientID)+`/secrets/(cs_[^/]+)/revoke)"`).FindAllStringSubmatch(page, -1)
	if len(revoke) != 2 || revoke[1][2] != secret2ID[1] {
		t.Fatalf("revoke buttons: %q, want one per secret, the second's last", revoke)
	}
	if s, _ := ta.postAdmin(t, admin, revoke[0][1], url.Values{}); s != 200 { // after the redirect
		t.Fatalf("revoking the first secret: %d", s)
	}
	if tr := ta.requestToken(t, clientID, secret1, url.Values{"grant_type": {"client_credentials"}}); tr.status != 401 || tr.body["error"] != "invalid_client" {
		t.Errorf("a token for the revoked secret: %d %v, want 401 invalid_client", tr.status, tr.body)
	}
	if s := ta.scim(t, tokA, "GET", "/Users", nil, nil); s != 401 {
		t.Errorf("an access token of the revoked secret: %d, want 401", s)
	}
	if s := ta.scim(t, tokB, "GET", "/Users", nil, nil); s != 200 {
		t.Errorf("an access token of the second secret: %d, want 200", s)
	}

	// The admin page: the secrets' states and live access tokens, and no
	// access token among the Secret Tokens.
	_, page = ta.get(t, admin, "/admin/customers/demo", nil)
	rows := regexp.MustCompile(`(?s)<tr class="client-secret"><td>(cs_[^<]+)</td>.*?<td>(active|revoked|expired)[^<]*</td><td>(\d+)</td>`).FindAllStringSubmatch(page, -1)
	var got []string
	for _, r := range rows {
		got = append(got, r[2]+" "+r[3])
	}
	if want := []string{"revoked 0", "active 1"}; strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("the client's secrets on the admin page: %q, want %q", got, want)
	}
	tokens := page[strings.Index(page, `id="tokens"`):strings.Index(page, `id="oauth-clients"`)]
	if n := strings.Count(tokens, `class="token"`); n != 1 || strings.Contains(tokens, "oat_") {
		t.Errorf("the Secret Tokens table lists %d tokens (want the first start's 1) or access tokens", n)
	}
}

// TestTokenRateLimit: a burst of token requests beyond the limit gets
// 429 with Retry-After, before any reaches the database.
func TestTokenRateLimit(t *testing.T) {
	ta := startApp(t)
	for n := 1; ; n++ {
		tr := ta.requestToken(t, "scimclient_nobody", "guess", url.Values{"grant_type": {"client_credentials"}})
		if tr.status == http.StatusTooManyRequests {
			if n <= tokenBurst || tr.header.Get("Retry-After") == "" || tr.body["error"] != "temporarily_unavailable" {
				t.Errorf("request %d: 429 %v %v; want it after the burst of %d, with Retry-After", n, tr.header, tr.body, tokenBurst)
			}
			return
		}
		if tr.status != 401 {
			t.Fatalf("request %d: %d %v", n, tr.status, tr.body)
		}
		if n > 10*tokenBurst {
			t.Fatalf("%d token requests and no 429", n)
		}
	}
}
