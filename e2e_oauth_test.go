package scim_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// oauthInstance is one instance of a service: a SCIM server accepting a
// static token, database bearer tokens and OAuth access tokens, and its
// token endpoint, sharing its stores with the other instance.
type oauthInstance struct {
	url     string
	tokens  *scim.Tokens
	clients *scim.Clients
}

func newOAuthInstance(t *testing.T, st scim.Store, cs scim.ClientStore, clock *scim.FakeClock) *oauthInstance {
	t.Helper()
	tokens := &scim.Tokens{Store: st.(scim.TokenStore), Now: clock.Now}
	clients := &scim.Clients{Store: cs, Tokens: tokens, Lifetime: 30 * time.Minute}
	srv, err := scim.NewServer(scim.Config{
		Store:  st,
		Auth:   scim.Authenticators{scim.StaticToken("trial", oauthStaticToken), tokens},
		Logger: slog.Default(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	mux.Handle("/oauth2/token", clients)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &oauthInstance{url: hs.URL, tokens: tokens, clients: clients}
}

const oauthStaticToken = "static-trial-token-0123456789"

// tokenCall is a token request: a form body, and HTTP Basic credentials
// when basic is set.
type tokenCall struct {
	form          url.Values
	basic         bool
	id, secret    string
	method, ctype string
	query         string
}

// tokenAnswer is what the token endpoint answered.
type tokenAnswer struct {
	status int
	header http.Header
	body   map[string]any
}

func (in *oauthInstance) token(t *testing.T, c tokenCall) tokenAnswer {
	t.Helper()
	body := c.form.Encode()
	req, err := http.NewRequest(cmpOr(c.method, "POST"), in.url+"/oauth2/token"+c.query, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", cmpOr(c.ctype, "application/x-www-form-urlencoded"))
	if c.basic {
		cred := url.QueryEscape(c.id) + ":" + url.QueryEscape(c.secret)
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	a := tokenAnswer{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("token endpoint answered %d with non-JSON %q", res.StatusCode, raw)
	}
	if tok, ok := a.body["access_token"].(string); ok {
		logSecrets.Add(tok)
	}
	return a
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// accessToken gets a token with clientID and secret and fails t unless
// the answer is a well-formed RFC 6749 section 5.1 success.
func (in *oauthInstance) accessToken(t *testing.T, clientID, secret string, lifetime time.Duration) string {
	t.Helper()
	a := in.token(t, tokenCall{form: url.Values{"grant_type": {"client_credentials"}}, basic: true, id: clientID, secret: secret})
	tok, _ := a.body["access_token"].(string)
	if a.status != http.StatusOK || tok == "" {
		t.Fatalf("token request: %d %v", a.status, a.body)
	}
	want := map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": lifetime.Seconds(), "scope": "scim"}
	if d := cmp.Diff(want, a.body); d != "" {
		t.Errorf("token response (-want +got):\n%s", d)
	}
	for k, v := range map[string]string{"Cache-Control": "no-store", "Pragma": "no-cache", "Content-Type": "application/json;charset=UTF-8"} {
		if got := a.header.Get(k); got != v {
			t.Errorf("token response %s: %q, want %q", k, got, v)
		}
	}
	return tok
}

// users returns the status of GET /Users with bearer and, on 200, the
// userNames listed.
func (in *oauthInstance) users(t *testing.T, bearer string) (int, []string) {
	t.Helper()
	req, _ := http.NewRequest("GET", in.url+"/scim/v2/Users", nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct{ Resources []struct{ UserName string } }
	if res.StatusCode == http.StatusOK {
		if err := json.NewDecoder(res.Body).Decode(&list); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	for _, u := range list.Resources {
		names = append(names, u.UserName)
	}
	return res.StatusCode, names
}

func (in *oauthInstance) createUser(t *testing.T, bearer, userName string) {
	t.Helper()
	req, _ := http.NewRequest("POST", in.url+"/scim/v2/Users", strings.NewReader(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+`"}`))
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST /Users with an access token: %d", res.StatusCode)
	}
}

// TestOAuthClientCredentials runs the client credentials flow end to end
// on every store, over two instances sharing it: a token from one
// instance's endpoint works on the other, it acts for its client's tenant
// beside static and database bearer tokens, it expires, secrets rotate
// (revoking one revokes its access tokens), and wrong secrets and grant
// types get RFC 6749 errors. Expired access tokens are pruned, database
// bearer tokens are not.
func TestOAuthClientCredentials(t *testing.T) {
	for name, open := range sharedStores(t) {
		t.Run(name, func(t *testing.T) {
			st1, st2 := open(t)
			cs1, ok1 := st1.(scim.ClientStore)
			cs2, ok2 := st2.(scim.ClientStore)
			if !ok1 || !ok2 {
				cs1 = scim.NewClientMap() // one process: the instances share it
				cs2 = cs1
			}
			clock := scim.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
			one := newOAuthInstance(t, st1, cs1, clock)
			other := newOAuthInstance(t, st2, cs2, clock)
			ctx := t.Context()

			dbToken, _, err := one.tokens.Issue(ctx, scim.Token{Tenant: "acme", Label: "Secret Token"})
			if err != nil {
				t.Fatal(err)
			}
			secret1, client, err := one.clients.Register(ctx, "acme", "Entra ID gallery")
			if err != nil {
				t.Fatal(err)
			}
			logSecrets.Add(dbToken, secret1)

			// Token, and use on both instances, for the client's tenant.
			tok1 := one.accessToken(t, client.ID, secret1, 30*time.Minute)
			other.createUser(t, tok1, "ada@acme.example")
			for _, tc := range []struct {
				bearer string
				want   []string
			}{
				{tok1, []string{"ada@acme.example"}},
				{dbToken, []string{"ada@acme.example"}},
				{oauthStaticToken, nil}, // another tenant
			} {
				for _, in := range []*oauthInstance{one, other} {
					status, names := in.users(t, tc.bearer)
					if status != http.StatusOK || !cmp.Equal(names, tc.want) {
						t.Errorf("GET /Users: %d %v, want 200 %v", status, names, tc.want)
					}
				}
			}

			// Credentials in the body work too.
			a := other.token(t, tokenCall{form: url.Values{"grant_type": {"client_credentials"},
				"client_id": {client.ID}, "client_secret": {secret1}, "scope": {"scim users.write"}}})
			tokBody, _ := a.body["access_token"].(string)
			if a.status != http.StatusOK || tokBody == "" || tokBody == tok1 {
				t.Fatalf("token request with credentials in the body: %d %v", a.status, a.body)
			}

			// Expiry: 30 minutes later the access tokens are refused, the
			// database bearer token is not.
			clock.Add(30 * time.Minute)
			for _, in := range []*oauthInstance{one, other} {
				if status, _ := in.users(t, tok1); status != http.StatusUnauthorized {
					t.Errorf("an expired access token: %d, want 401", status)
				}
				if status, _ := in.users(t, dbToken); status != http.StatusOK {
					t.Errorf("the database bearer token after the access tokens expired: %d, want 200", status)
				}
			}

			// Rotation: a second secret, both work, the first is revoked
			// and so are the access tokens it got.
			secret2, _, err := other.clients.AddSecret(ctx, "acme", client.ID, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			logSecrets.Add(secret2)
			tokOld := one.accessToken(t, client.ID, secret1, 30*time.Minute)
			tokNew := other.accessToken(t, client.ID, secret2, 30*time.Minute)
			if err := one.clients.RevokeSecret(ctx, "acme", client.ID, client.Secrets[0].ID); err != nil {
				t.Fatal(err)
			}
			if status, _ := one.users(t, tokOld); status != http.StatusUnauthorized {
				t.Errorf("an access token of a revoked secret: %d, want 401", status)
			}
			if status, _ := other.users(t, tokNew); status != http.StatusOK {
				t.Errorf("an access token of the new secret: %d, want 200", status)
			}
			one.accessToken(t, client.ID, secret2, 30*time.Minute)

			// Refusals.
			grant := url.Values{"grant_type": {"client_credentials"}}
			for _, tc := range []struct {
				name   string
				call   tokenCall
				status int
				code   string
			}{
				{"revoked secret", tokenCall{form: grant, basic: true, id: client.ID, secret: secret1}, 401, "invalid_client"},
				{"wrong secret", tokenCall{form: grant, basic: true, id: client.ID, secret: secret2 + "x"}, 401, "invalid_client"},
				{"another client's id", tokenCall{form: grant, basic: true, id: "scimclient_unknown", secret: secret2}, 401, "invalid_client"},
				{"wrong secret in the body", tokenCall{form: url.Values{"grant_type": {"client_credentials"},
					"client_id": {client.ID}, "client_secret": {"nope-nope"}}}, 401, "invalid_client"},
				{"no credentials", tokenCall{form: grant}, 401, "invalid_client"},
				{"password grant", tokenCall{form: url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}},
					basic: true, id: client.ID, secret: secret2}, 400, "unsupported_grant_type"},
				{"authorization code grant", tokenCall{form: url.Values{"grant_type": {"authorization_code"}, "code": {"c"}},
					basic: true, id: client.ID, secret: secret2}, 400, "unsupported_grant_type"},
				{"no grant type", tokenCall{form: url.Values{}, basic: true, id: client.ID, secret: secret2}, 400, "invalid_request"},
				{"two methods", tokenCall{form: url.Values{"grant_type": {"client_credentials"}, "client_secret": {secret2}},
					basic: true, id: client.ID, secret: secret2}, 400, "invalid_request"},
				{"repeated parameter", tokenCall{form: url.Values{"grant_type": {"client_credentials", "client_credentials"}},
					basic: true, id: client.ID, secret: secret2}, 400, "invalid_request"},
				{"JSON body", tokenCall{form: grant, ctype: "application/json", basic: true, id: client.ID, secret: secret2}, 400, "invalid_request"},
				{"secret in the query", tokenCall{form: grant, query: "?client_secret=x", basic: true, id: client.ID, secret: secret2}, 400, "invalid_request"},
				{"GET", tokenCall{form: grant, method: "GET", basic: true, id: client.ID, secret: secret2}, 405, "invalid_request"},
				{"bad scope", tokenCall{form: url.Values{"grant_type": {"client_credentials"}, "scope": {`a"b`}},
					basic: true, id: client.ID, secret: secret2}, 400, "invalid_scope"},
			} {
				a := one.token(t, tc.call)
				if a.status != tc.status || a.body["error"] != tc.code {
					t.Errorf("%s: %d %v, want %d %s", tc.name, a.status, a.body, tc.status, tc.code)
				}
				if _, ok := a.body["access_token"]; ok {
					t.Errorf("%s: an access token was issued", tc.name)
				}
				if got := a.header.Get("Cache-Control"); got != "no-store" {
					t.Errorf("%s: Cache-Control %q, want no-store", tc.name, got)
				}
				wantChallenge := ""
				if tc.status == 401 {
					wantChallenge = `Basic realm="oauth", charset="UTF-8"`
				}
				if got := a.header.Get("WWW-Authenticate"); got != wantChallenge {
					t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, wantChallenge)
				}
			}

			// Pruning: once a lifetime has passed, the next grant deletes
			// the expired access tokens; the database bearer token stays.
			clock.Add(31 * time.Minute)
			other.accessToken(t, client.ID, secret2, 30*time.Minute)
			one.accessToken(t, client.ID, secret2, 30*time.Minute)
			list, err := one.tokens.List(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			var expired, active, bearer int
			for _, tok := range list {
				switch {
				case !strings.HasPrefix(tok.ID, "oat_"):
					bearer++
				case tok.Active(clock.Now()):
					active++
				default:
					expired++
				}
			}
			if bearer != 1 || active != 2 || expired != 0 {
				t.Errorf("after pruning: %d bearer, %d active and %d expired access tokens; want 1, 2, 0", bearer, active, expired)
			}
		})
	}
}
