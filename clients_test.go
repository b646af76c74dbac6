package scim_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/storetest"
)

func TestClientMapContract(t *testing.T) {
	storetest.RunClients(t, func(*testing.T) scim.ClientStore { return scim.NewClientMap() })
}

// grantOn asks c's endpoint for a token with credentials in the body and
// returns the status and the access token or error code.
func grantOn(t *testing.T, c *scim.Clients, id, secret string) (int, string) {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	c.ServeHTTP(w, r)
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		Error       string `json:"error"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	logSecrets.Add(body.AccessToken)
	if body.Error != "" {
		return w.Code, body.Error
	}
	return w.Code, body.AccessToken
}

// TestClientsZeroValue uses a Clients with nothing set but a clock: it
// keeps clients and tokens in memory and authenticates its own tokens; a
// secret expires; lifetimes are clamped; registration and rotation refuse
// what they should.
func TestClientsZeroValue(t *testing.T) {
	ctx := t.Context()
	clock := scim.NewFakeClock(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC))
	c := &scim.Clients{Now: clock.Now}
	secret, client, err := c.Register(ctx, "acme", "Entra ID")
	if err != nil {
		t.Fatal(err)
	}
	logSecrets.Add(secret)
	if !strings.HasPrefix(client.ID, "scimclient_") || !strings.HasPrefix(secret, "scimcs_") || len(client.Secrets) != 1 ||
		client.Secrets[0].Digest != scim.TokenDigest(secret) {
		t.Errorf("Register: %+v", client)
	}
	status, tok := grantOn(t, c, client.ID, secret)
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, tok)
	}
	r := httptest.NewRequest("GET", "/Users", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	if tenant, err := c.Authenticate(r); err != nil || tenant != "acme" {
		t.Errorf("Authenticate: %q, %v; want acme", tenant, err)
	}
	clock.Add(time.Hour)
	if _, err := c.Authenticate(r); !errors.Is(err, scim.ErrUnauthenticated) {
		t.Errorf("Authenticate after an hour: %v, want ErrUnauthenticated", err)
	}

	// A secret with an expiry stops working then.
	expiring, _, err := c.AddSecret(ctx, "acme", client.ID, clock.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	logSecrets.Add(expiring)
	if status, _ := grantOn(t, c, client.ID, expiring); status != http.StatusOK {
		t.Errorf("token with the new secret: %d", status)
	}
	clock.Add(time.Minute)
	if status, code := grantOn(t, c, client.ID, expiring); status != http.StatusUnauthorized || code != "invalid_client" {
		t.Errorf("token with an expired secret: %d %s", status, code)
	}

	// Refusals.
	if _, _, err := c.Register(ctx, "", "x"); err == nil {
		t.Error("Register with no tenant succeeded")
	}
	if _, _, err := c.Register(ctx, "acme", "bad\nlabel"); err == nil {
		t.Error("Register with a control character in the label succeeded")
	}
	if _, _, err := c.AddSecret(ctx, "other", client.ID, time.Time{}); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("AddSecret for another tenant's client: %v, want ErrNotFound", err)
	}
	if _, _, err := c.AddSecret(ctx, "acme", client.ID, clock.Now()); err == nil {
		t.Error("AddSecret expiring now succeeded")
	}
	if err := c.RevokeSecret(ctx, "acme", client.ID, "cs_unknown"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("RevokeSecret of an unknown secret: %v, want ErrNotFound", err)
	}
	// Offboarding: every secret of every client of the tenant, and their
	// access tokens, stop working; another tenant's client is untouched.
	otherSecret, otherClient, err := c.Register(ctx, "globex", "")
	if err != nil {
		t.Fatal(err)
	}
	logSecrets.Add(otherSecret)
	secondSecret, second, err := c.Register(ctx, "acme", "second")
	if err != nil {
		t.Fatal(err)
	}
	logSecrets.Add(secondSecret)
	_, live := grantOn(t, c, second.ID, secondSecret)
	if err := c.RevokeTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", "Bearer "+live)
	if _, err := c.Authenticate(r); !errors.Is(err, scim.ErrUnauthenticated) {
		t.Errorf("an access token after RevokeTenant: %v, want ErrUnauthenticated", err)
	}
	for _, cred := range [][2]string{{client.ID, secret}, {second.ID, secondSecret}} {
		if status, _ := grantOn(t, c, cred[0], cred[1]); status != http.StatusUnauthorized {
			t.Errorf("token for %s after RevokeTenant: %d, want 401", cred[0], status)
		}
	}
	if status, _ := grantOn(t, c, otherClient.ID, otherSecret); status != http.StatusOK {
		t.Errorf("another tenant's client after RevokeTenant: %d, want 200", status)
	}

	for i := 0; ; i++ {
		s, _, err := c.AddSecret(ctx, "acme", client.ID, time.Time{})
		if err != nil {
			if i != 10 { // RevokeTenant left none active
				t.Errorf("AddSecret refused after %d secrets, want 10: %v", i, err)
			}
			break
		}
		logSecrets.Add(s)
		if i > 10 {
			t.Fatal("AddSecret never refuses")
		}
	}
}

// TestClientsLifetime checks expires_in for lifetimes in and out of the
// bounds.
func TestClientsLifetime(t *testing.T) {
	for _, tc := range []struct{ lifetime, want time.Duration }{
		{0, time.Hour},
		{2 * time.Hour, 2 * time.Hour},
		{time.Second, time.Minute},
		{-time.Hour, time.Minute},
		{48 * time.Hour, 24 * time.Hour},
	} {
		c := &scim.Clients{Lifetime: tc.lifetime}
		secret, client, err := c.Register(t.Context(), "acme", "")
		if err != nil {
			t.Fatal(err)
		}
		logSecrets.Add(secret)
		form := url.Values{"grant_type": {"client_credentials"}}
		r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.SetBasicAuth(client.ID, secret)
		w := httptest.NewRecorder()
		c.ServeHTTP(w, r)
		var body struct {
			AccessToken string  `json:"access_token"`
			ExpiresIn   float64 `json:"expires_in"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		logSecrets.Add(body.AccessToken)
		if w.Code != 200 || body.ExpiresIn != tc.want.Seconds() {
			t.Errorf("Lifetime %v: %d expires_in %v, want %v", tc.lifetime, w.Code, body.ExpiresIn, tc.want.Seconds())
		}
	}
}

// TestAuthenticators checks that the first accepting member wins, that a
// member's failure other than ErrUnauthenticated is passed on, and that
// NewServer refuses an empty list or an unusable member.
func TestAuthenticators(t *testing.T) {
	unavailable := &scim.Error{Status: http.StatusServiceUnavailable, Detail: "try later"}
	down := scim.AuthenticatorFunc(func(*http.Request) (string, error) { return "", unavailable })
	as := scim.Authenticators{scim.StaticToken("a", "token-of-a"), down, scim.StaticToken("b", "token-of-b")}
	for _, tc := range []struct {
		bearer, tenant string
		err            error
	}{
		{"token-of-a", "a", nil},
		{"token-of-b", "b", nil},
		{"unknown", "", unavailable},
	} {
		r := httptest.NewRequest("GET", "/Users", nil)
		r.Header.Set("Authorization", "Bearer "+tc.bearer)
		tenant, err := as.Authenticate(r)
		if tenant != tc.tenant || !errors.Is(err, tc.err) {
			t.Errorf("Authenticate(%s): %q, %v; want %q, %v", tc.bearer, tenant, err, tc.tenant, tc.err)
		}
	}
	r := httptest.NewRequest("GET", "/Users", nil)
	if _, err := (scim.Authenticators{scim.StaticToken("a", "token-of-a")}).Authenticate(r); !errors.Is(err, scim.ErrUnauthenticated) {
		t.Errorf("no token: %v, want ErrUnauthenticated", err)
	}
	for _, bad := range []scim.Authenticators{{}, {scim.StaticToken("a", "x"), nil}, {scim.StaticToken("a", "")}} {
		if _, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: bad}); err == nil {
			t.Errorf("NewServer with %d authenticators, one unusable: no error", len(bad))
		}
	}
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: as})
	if err != nil {
		t.Fatalf("NewServer with usable authenticators: %v", err)
	}
	srv.Close()
}
