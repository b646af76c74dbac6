package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/e2e"
)

// TestLogHasNoSecrets serves with -v (every request logged at Debug) and
// sends the right token, wrong tokens, Basic credentials and passwords in
// POST, PUT and PATCH bodies: no line of the server's log may contain any
// of them.
func TestLogHasNoSecrets(t *testing.T) {
	const token = "scim_example_server_secret_token"
	var secrets e2e.Secrets
	secrets.Add(token)
	logs := &e2e.Log{}
	requests := 0
	// Registered first, so it runs after the server has stopped.
	t.Cleanup(func() {
		text := logs.String()
		if strings.Count(text, "scim request") < requests {
			t.Errorf("the log has fewer request lines than the %d requests sent:\n%s", requests, text)
		}
		lines, found := secrets.Leaks(text)
		for i, line := range lines {
			t.Errorf("log line contains the secret %q:\n%s", found[i], line)
		}
	})
	base := serveLog(t, logs, "-memory", "-v", "-token", token)["Tenant URL"]
	c := &http.Client{Transport: secrets.Transport(http.DefaultTransport)}
	send := func(auth, method, path, body string) {
		t.Helper()
		req, err := http.NewRequest(method, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", auth)
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		requests++
	}
	bearer := "Bearer " + token
	send(bearer, "POST", "/Users", `{"userName":"pw@example.com","password":"Okta-placeholder-1"}`)
	send(bearer, "GET", "/Users?filter=userName+eq+%22pw%40example.com%22", "")
	send(bearer, "PUT", "/Users/none", `{"userName":"pw@example.com","password":"put-password-2"}`)
	send(bearer, "PATCH", "/Users/none", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","path":"password","value":"patch-password-3"}]}`)
	send(bearer, "GET", "/Users?filter=password+eq+%22filter-password-4%22", "")
	send("Bearer scim_wrong_token_of_some_length", "GET", "/Users", "")
	send("Bearer "+token+"x", "GET", "/Users", "")
	send("Basic dXNlcjpiYXNpYy1wYXNzd29yZA==", "GET", "/Users", "")
	secrets.Add("filter-password-4")
	if len(secrets.List()) < 8 {
		t.Errorf("too few secrets recorded to prove anything: %q", secrets.List())
	}
}
