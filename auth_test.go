package scim

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
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

// TestStaticTokenRefusesEmpty checks that an empty token or tenant can
// neither start a server nor authenticate a request.
func TestStaticTokenRefusesEmpty(t *testing.T) {
	for _, tc := range []struct {
		tenant, token, header, wantErr string
	}{
		{"acme", "", "Bearer ", "empty token"},
		{"", "s3cret", "Bearer s3cret", "empty tenant"},
	} {
		a := StaticToken(tc.tenant, tc.token)
		if _, err := NewServer(Config{Store: nopStore{}, Auth: a}); err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("NewServer with StaticToken(%q, %q): %v, want an error about the %s", tc.tenant, tc.token, err, tc.wantErr)
		}
		r := httptest.NewRequest("GET", "/Users", nil)
		r.Header.Set("Authorization", tc.header)
		if tenant, err := a.Authenticate(r); tenant != "" || !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("StaticToken(%q, %q).Authenticate: %q, %v", tc.tenant, tc.token, tenant, err)
		}
	}
	if _, err := NewServer(Config{Store: nopStore{}, Auth: StaticToken("acme", "s3cret")}); err != nil {
		t.Errorf("NewServer with a usable StaticToken: %v", err)
	}
}

// nopStore is a Store for tests that never reach it.
type nopStore struct{ Store }
