package scim

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header string
		want   string
	}{
		{"", ""},
		{"Bearer abc", "abc"},
		{"bearer abc", "abc"},
		{"BEARER abc", "abc"},
		{"Basic YWxhZGRpbjpvcGVuc2VzYW1l", ""},
		{"Bearer ", ""},
		{"Bearer", ""},
		{"Bearer abc ", ""},
		{"Bearer  abc", ""},
		{"Bearer a\tb", ""},
		{"Bearer ab\x7f", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/Users", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		if got := BearerToken(r); got != tc.want {
			t.Errorf("BearerToken(%q) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestStaticToken(t *testing.T) {
	a := StaticToken("acme", "s3cret-token")
	tests := []struct {
		header     string
		wantTenant string
	}{
		{"Bearer s3cret-token", "acme"},
		{"bearer s3cret-token", "acme"},
		{"Bearer s3cret-tokeN", ""},
		{"Bearer s3cret", ""},
		{"Bearer s3cret-token-longer", ""},
		{"Bearer s3cret-token ", ""},
		{"", ""},
		{"Basic s3cret-token", ""},
	}
	for _, tc := range tests {
		r := httptest.NewRequest("GET", "/Users", nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		got, err := a.Authenticate(r)
		if got != tc.wantTenant {
			t.Errorf("%q: tenant %q, want %q", tc.header, got, tc.wantTenant)
		}
		if (tc.wantTenant == "") != errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%q: err = %v", tc.header, err)
		}
	}
}

func TestTokensRotationExpiryRevocation(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ts Tokens
	ts.now = func() time.Time { return now }

	oldSecret, err := ts.Issue("acme", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	newSecret, err := ts.Issue("acme", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, err := ts.Issue("globex", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(oldSecret, "scim_") || oldSecret == newSecret {
		t.Fatalf("secrets %q, %q: want distinct scim_ tokens", oldSecret, newSecret)
	}
	auth := func(secret string) string {
		r := httptest.NewRequest("GET", "/Users", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		tenant, _ := ts.Authenticate(r)
		return tenant
	}
	steps := []struct {
		name   string
		do     func()
		secret string
		want   string
	}{
		{"old token works", nil, oldSecret, "acme"},
		{"new token works beside it", nil, newSecret, "acme"},
		{"other tenant's token", nil, otherSecret, "globex"},
		{"unknown token", nil, "scim_nope", ""},
		{"old token revoked", func() { ts.Revoke(TokenDigest(oldSecret)) }, oldSecret, ""},
		{"new token still works", nil, newSecret, "acme"},
		{"new token expired", func() { now = now.Add(time.Hour) }, newSecret, ""},
		{"tenant revoked", func() { ts.RevokeTenant("globex") }, otherSecret, ""},
	}
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		if got := auth(s.secret); got != s.want {
			t.Errorf("%s: tenant %q, want %q", s.name, got, s.want)
		}
	}
}

func TestTokensAddRejectsBadInput(t *testing.T) {
	var ts Tokens
	for _, tok := range []Token{
		{Tenant: "a", Digest: "not-hex"},
		{Tenant: "a", Digest: "abcd"},
		{Tenant: "", Digest: TokenDigest("x")},
	} {
		if err := ts.Add(tok); err == nil {
			t.Errorf("Add(%+v) succeeded", tok)
		}
	}
}
