package scim_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/storetest"
)

func TestTokenMapContract(t *testing.T) {
	storetest.RunTokens(t, func(*testing.T) scim.TokenStore { return scim.NewTokenMap() })
}

// TestTokensOverHTTP serves a Server whose tokens expire and are revoked,
// and checks the statuses identity providers get.
func TestTokensOverHTTP(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := scim.NewFakeClock(start)
	tokens := &scim.Tokens{Store: memory.New(), Now: clock.Now}
	srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: tokens, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	ctx := t.Context()
	issue := func(tenant string, expires time.Time) (string, scim.Token) {
		secret, tok, err := tokens.Issue(ctx, scim.Token{Tenant: tenant, Expires: expires})
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	lasting, _ := issue("acme", time.Time{})
	expiring, _ := issue("acme", start.Add(time.Hour))
	revoked, revokedTok := issue("globex", time.Time{})

	get := func(secret string) int {
		req, _ := http.NewRequest("GET", hs.URL+"/Users", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusUnauthorized && res.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		return res.StatusCode
	}
	for _, step := range []struct {
		name   string
		do     func()
		secret string
		want   int
	}{
		{"lasting token", nil, lasting, 200},
		{"expiring token before it expires", nil, expiring, 200},
		{"token to be revoked", nil, revoked, 200},
		{"revoked token", func() {
			if err := tokens.Revoke(ctx, "globex", revokedTok.ID); err != nil {
				t.Fatal(err)
			}
		}, revoked, 401},
		{"expiring token a nanosecond before", func() { clock.Add(time.Hour - time.Nanosecond) }, expiring, 200},
		{"expired token", func() { clock.Add(time.Nanosecond) }, expiring, 401},
		{"lasting token still", nil, lasting, 200},
		{"made-up token", nil, "scim_made_up", 401},
	} {
		if step.do != nil {
			step.do()
		}
		if got := get(step.secret); got != step.want {
			t.Errorf("%s: status %d, want %d", step.name, got, step.want)
		}
	}
}
