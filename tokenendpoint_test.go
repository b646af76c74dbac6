package scim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func basicHeader(cred string) []string {
	return []string{"Basic " + base64.StdEncoding.EncodeToString([]byte(cred))}
}

// TestParseTokenRequest covers the parser's cases one by one; the end to
// end flow is TestOAuthClientCredentials.
func TestParseTokenRequest(t *testing.T) {
	const form = "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name        string
		ctype       string
		auth        []string
		query, body string
		want        tokenRequest
		code        string // the error, when not ""
	}{
		{"basic", form, basicHeader("c1:s1"), "", "grant_type=client_credentials", tokenRequest{clientID: "c1", secret: "s1"}, ""},
		{"basic form-encoded, colon in the secret", form, basicHeader("c%3A1:s+1%25:x"), "", "grant_type=client_credentials",
			tokenRequest{clientID: "c:1", secret: "s 1%:x"}, ""},
		{"scheme in any case, charset given", form + "; charset=UTF-8", []string{"bAsIc " + base64.StdEncoding.EncodeToString([]byte("c1:s1"))}, "",
			"grant_type=client_credentials&scope=scim+users.read", tokenRequest{clientID: "c1", secret: "s1", scope: "scim users.read"}, ""},
		{"body credentials", form, nil, "", "grant_type=client_credentials&client_id=c1&client_secret=s1", tokenRequest{clientID: "c1", secret: "s1"}, ""},
		{"basic with the same client_id in the body", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&client_id=c1",
			tokenRequest{clientID: "c1", secret: "s1"}, ""},
		{"basic with another client_id in the body", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&client_id=c2", tokenRequest{}, "invalid_request"},
		{"two methods", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&client_secret=s1", tokenRequest{}, "invalid_request"},
		{"two Authorization headers", form, append(basicHeader("c1:s1"), basicHeader("c1:s1")...), "", "grant_type=client_credentials", tokenRequest{}, "invalid_request"},
		{"bearer instead of basic", form, []string{"Bearer abc"}, "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"basic without colon", form, basicHeader("c1"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"basic not base64", form, []string{"Basic %%%"}, "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"basic bad escape", form, basicHeader("c%zz:s"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"basic with a control character", form, basicHeader("c%0A1:s1"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"empty secret", form, basicHeader("c1:"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"no credentials", form, nil, "", "grant_type=client_credentials", tokenRequest{}, "invalid_client"},
		{"only client_id", form, nil, "", "grant_type=client_credentials&client_id=c1", tokenRequest{}, "invalid_client"},
		{"client id too long", form, nil, "", "grant_type=client_credentials&client_secret=s&client_id=" + strings.Repeat("c", maxClientID+1), tokenRequest{}, "invalid_client"},
		{"empty grant_type is omitted", form, basicHeader("c1:s1"), "", "grant_type=", tokenRequest{}, "invalid_request"},
		{"refresh_token grant", form, basicHeader("c1:s1"), "", "grant_type=refresh_token&refresh_token=x", tokenRequest{}, "unsupported_grant_type"},
		{"repeated scope", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&scope=a&scope=b", tokenRequest{}, "invalid_request"},
		{"control character", form, nil, "", "grant_type=client_credentials&client_id=c1&client_secret=s%0A1", tokenRequest{}, "invalid_request"},
		{"bad form", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&x=%zz", tokenRequest{}, "invalid_request"},
		{"multipart body", "multipart/form-data; boundary=x", basicHeader("c1:s1"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_request"},
		{"no content type", "", basicHeader("c1:s1"), "", "grant_type=client_credentials", tokenRequest{}, "invalid_request"},
		{"secret in the query", form, nil, "client_secret=s1", "grant_type=client_credentials&client_id=c1", tokenRequest{}, "invalid_request"},
		{"other query parameters are ignored", form, basicHeader("c1:s1"), "tenant=x", "grant_type=client_credentials", tokenRequest{clientID: "c1", secret: "s1"}, ""},
		{"scope with two spaces", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&scope=a++b", tokenRequest{}, "invalid_scope"},
		{"scope with a backslash", form, basicHeader("c1:s1"), "", `grant_type=client_credentials&scope=a%5Cb`, tokenRequest{}, "invalid_scope"},
		{"scope not ASCII", form, basicHeader("c1:s1"), "", "grant_type=client_credentials&scope=%C3%A9", tokenRequest{}, "invalid_scope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTokenRequest(tc.ctype, tc.auth, tc.query, []byte(tc.body))
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("error %v, want %+v", err, tc.want)
			case tc.code != "" && (err == nil || err.code != tc.code):
				t.Fatalf("got %+v, %v; want %s", got, err, tc.code)
			case tc.code == "":
				if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(tokenRequest{})); d != "" {
					t.Errorf("(-want +got):\n%s", d)
				}
			}
		})
	}
}

// FuzzParseTokenRequest parses any token request: it never panics, a
// request it accepts names a client and a secret within the bounds and
// free of control characters, and a valid scope, and a refusal is one of RFC 6749's codes with a fixed
// description that RFC 6749 section 5.2 allows and that holds no input.
func FuzzParseTokenRequest(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", "Basic YzE6czE=", "", "grant_type=client_credentials")
	f.Add("application/x-www-form-urlencoded; charset=utf-8", "", "", "grant_type=client_credentials&client_id=c&client_secret=s&scope=a+b")
	f.Add("application/x-www-form-urlencoded", "Basic YyUzQTE6cysxJTI1Ong=", "a=b", "grant_type=client_credentials&client_id=c%3A1")
	f.Add("application/json", "Bearer x", "client_secret=1", `{"grant_type":"client_credentials"}`)
	f.Add("application/x-www-form-urlencoded", "", "", "grant_type=password&username=u&password=p")
	descs := []string{errInvalidClient.desc, errUnsupportedGrant.desc, errInvalidScope.desc}
	f.Fuzz(func(t *testing.T, ctype, auth, query, body string) {
		var authz []string
		if auth != "" {
			authz = []string{auth}
		}
		got, err := parseTokenRequest(ctype, authz, query, []byte(body))
		if err == nil {
			if got.clientID == "" || got.secret == "" || len(got.clientID) > maxClientID || len(got.secret) > maxClientSecret || !validScope(got.scope) ||
				hasControl(got.clientID) || hasControl(got.secret) {
				t.Fatalf("accepted %+v", got)
			}
			return
		}
		if !slices.Contains([]string{"invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope"}, err.code) ||
			(err.status != 400 && err.status != 401) {
			t.Fatalf("refusal %+v", err)
		}
		for i := 0; i < len(err.desc); i++ {
			if c := err.desc[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
				t.Fatalf("description %q has a character RFC 6749 section 5.2 does not allow", err.desc)
			}
		}
		if err.code != "invalid_request" && !slices.Contains(descs, err.desc) {
			t.Fatalf("description %q is not a fixed one", err.desc)
		}
	})
}

// failingClients is a ClientStore whose reads fail.
type failingClients struct{ clientMap }

func (*failingClients) ClientByID(context.Context, string) (Client, error) {
	return Client{}, errors.New("database is down")
}

// TestTokenEndpointLimits checks the answers that need no client: a body
// over the bound, and a store that cannot be read (503, logged without
// the secret).
func TestTokenEndpointLimits(t *testing.T) {
	var logs strings.Builder
	c := &Clients{Store: &failingClients{}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	for _, tc := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"body over 8 KiB", "grant_type=client_credentials&client_id=c&client_secret=s&scope=" + strings.Repeat("a", maxTokenRequest), 400, "invalid_request"},
		{"store down", "grant_type=client_credentials&client_id=c&client_secret=the-secret-value", 503, "temporarily_unavailable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/oauth2/token", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			w := httptest.NewRecorder()
			c.ServeHTTP(w, r)
			var got struct{ Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != tc.status || got.Error != tc.code {
				t.Errorf("%d %s, want %d %s", w.Code, w.Body, tc.status, tc.code)
			}
		})
	}
	if strings.Contains(logs.String(), "the-secret-value") || !strings.Contains(logs.String(), "database is down") {
		t.Errorf("logs: %s", logs.String())
	}
}
