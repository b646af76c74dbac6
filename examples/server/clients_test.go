package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/e2e"
)

var (
	clientIDLine     = regexp.MustCompile(`(?m)^Client ID:\s+(\S+)$`)
	clientSecretLine = regexp.MustCompile(`(?m)^Client Secret:\s+(scimcs_\S+)$`)
	secretIDLine     = regexp.MustCompile(`(?m)^Secret ID:\s+(\S+)$`)
)

// clientCmd runs a client command that must succeed and returns what the
// lines matching res captured.
func clientCmd(t *testing.T, args []string, res ...*regexp.Regexp) []string {
	t.Helper()
	out, errOut, err := runCmd(t, args...)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut)
	}
	var got []string
	for _, re := range res {
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("%v printed no %v:\n%s", args, re, out)
		}
		got = append(got, m[1])
	}
	return got
}

// TestClientCommands adds an OAuth client, serves from the database, gets
// an access token at the printed Token URL with HTTP Basic and uses it,
// rotates the secret and revokes the old one: the old secret and its
// access token are refused, the new ones work, and no secret reaches the
// server's log.
func TestClientCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	var secrets e2e.Secrets
	got := clientCmd(t, []string{"-db", db, "client", "add", "-tenant", "acme", "-label", "Entra ID"}, clientIDLine, clientSecretLine, secretIDLine)
	clientID, secret1, secretID1 := got[0], got[1], got[2]
	secrets.Add(secret1)

	logs := &e2e.Log{}
	t.Cleanup(func() {
		lines, found := secrets.Leaks(logs.String())
		for i, line := range lines {
			t.Errorf("log line contains the secret %q:\n%s", found[i], line)
		}
	})
	lines := serveLog(t, logs, "-db", db, "-v")
	base, tokenURL := lines["Tenant URL"], lines["Token URL"]
	tokenURL, _, _ = strings.Cut(tokenURL, " ")
	if want := strings.TrimSuffix(base, "/scim/v2") + "/oauth2/token"; tokenURL != want {
		t.Fatalf("Token URL %q, want %q", tokenURL, want)
	}
	token := func(secret string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("POST", tokenURL, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(clientID, secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body struct{ AccessToken, Error string }
		var raw map[string]any
		if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
			t.Fatal(err)
		}
		body.AccessToken, _ = raw["access_token"].(string)
		body.Error, _ = raw["error"].(string)
		secrets.Add(body.AccessToken)
		return res.StatusCode, body.AccessToken + body.Error
	}
	status, tok1 := token(secret1)
	if status != http.StatusOK {
		t.Fatalf("token: %d %s", status, tok1)
	}
	createUser(t, base, tok1, "ada@acme.example")

	got = clientCmd(t, []string{"-db", db, "client", "secret", "-tenant", "acme", "-id", clientID}, clientSecretLine)
	secret2 := got[0]
	secrets.Add(secret2)
	status, tok2 := token(secret2)
	if status != http.StatusOK {
		t.Fatalf("token with the new secret: %d %s", status, tok2)
	}
	clientCmd(t, []string{"-db", db, "client", "revoke", "-tenant", "acme", "-id", clientID, "-secret", secretID1})
	if status, code := token(secret1); status != http.StatusUnauthorized || code != "invalid_client" {
		t.Errorf("token with the revoked secret: %d %s, want 401 invalid_client", status, code)
	}
	if status, total := users(t, base, tok2); status != http.StatusOK || total != 1 {
		t.Errorf("GET /Users with the new access token: %d, %d users; want 200, 1", status, total)
	}
	// The running server trusts its cache of the old token for up to 10 s;
	// a fresh one reads the revocation.
	fresh := serve(t, "-db", db)
	if status, _ := users(t, fresh, tok1); status != http.StatusUnauthorized {
		t.Errorf("GET /Users with the revoked secret's access token: %d, want 401", status)
	}

	out, _, err := runCmd(t, "-db", db, "client", "list", "-tenant", "acme")
	if err != nil || strings.Count(out, clientID) != 2 || !strings.Contains(out, secretID1) || strings.Contains(out, "scimcs_") {
		t.Errorf("client list: %v\n%s", err, out)
	}
}

func TestClientCommandErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	clientID := clientCmd(t, []string{"-db", db, "client", "add", "-tenant", "acme"}, clientIDLine)[0]
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-memory", "client", "add", "-tenant", "acme"}, "need a database"},
		{[]string{"-db", db, "client", "add"}, "needs -tenant"},
		{[]string{"-db", db, "client", "secret", "-tenant", "acme"}, "needs -id"},
		{[]string{"-db", db, "client", "secret", "-tenant", "globex", "-id", clientID}, "has no client"},
		{[]string{"-db", db, "client", "secret", "-tenant", "acme", "-id", clientID, "-expires", "-1h"}, "-expires must be a positive"},
		{[]string{"-db", db, "client", "revoke", "-tenant", "acme", "-id", clientID}, "needs -secret"},
		{[]string{"-db", db, "client", "revoke", "-tenant", "acme", "-id", clientID, "-secret", "cs_nope"}, "has no client"},
		{[]string{"-db", db, "client", "rotate", "-tenant", "acme"}, "unknown client command"},
		{[]string{"-db", db, "client"}, "needs a command"},
	} {
		if _, _, err := runCmd(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error with %q", tc.args, err, tc.want)
		}
	}
	if out, _, err := runCmd(t, "-db", db, "client", "list", "-tenant", "globex"); err != nil || !strings.Contains(out, "no OAuth clients") {
		t.Errorf("client list of a tenant without clients: %v\n%s", err, out)
	}
}
