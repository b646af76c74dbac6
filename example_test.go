package scim_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// Mount a Server at /scim/v2 inside an existing mux, then provision a user
// the way Entra ID does.
func ExampleNewServer() {
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	app := httptest.NewServer(mux)
	defer app.Close()

	send := func(method, path, body string) {
		req, _ := http.NewRequest(method, app.URL+"/scim/v2"+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", "application/scim+json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println(method, path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	send("GET", "/Users?filter=userName+eq+%22ada%40example.com%22", "")
	send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`)
	send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ADA@example.com"}`)
	// Output:
	// GET /Users?filter=userName+eq+%22ada%40example.com%22 200 application/scim+json
	// POST /Users 201 application/scim+json
	// POST /Users 409 application/scim+json
}

// Issue per-tenant tokens, keeping only their digests, and rotate one.
func ExampleTokens() {
	ctx := context.Background()
	var tokens scim.Tokens // in memory; set Store to keep them in a database
	oldSecret, old, err := tokens.Issue(ctx, scim.Token{Tenant: "acme", Label: "Entra ID"})
	if err != nil {
		log.Fatal(err)
	}
	newSecret, _, err := tokens.Issue(ctx, scim.Token{
		Tenant:  "acme",
		Label:   "Entra ID, rotated",
		Expires: time.Now().Add(365 * 24 * time.Hour),
	})
	if err != nil {
		log.Fatal(err)
	}
	// Both work until the identity provider has the new one...
	if err := tokens.Revoke(ctx, "acme", old.ID); err != nil {
		log.Fatal(err)
	}

	for _, secret := range []string{oldSecret, newSecret} {
		r := httptest.NewRequest("GET", "/Users", nil)
		r.Header.Set("Authorization", "Bearer "+secret)
		tenant, err := tokens.Authenticate(r)
		fmt.Printf("tenant=%q err=%v\n", tenant, err)
	}
	// Output:
	// tenant="" err=scim: missing or invalid bearer token
	// tenant="acme" err=<nil>
}

// Authenticate with the host's own scheme, e.g. a lookup of API keys.
func ExampleAuthenticatorFunc() {
	keys := map[string]string{"key-for-acme": "acme"}
	auth := scim.AuthenticatorFunc(func(r *http.Request) (string, error) {
		if tenant, ok := keys[scim.BearerToken(r)]; ok {
			return tenant, nil
		}
		return "", scim.ErrUnauthenticated
	})
	r := httptest.NewRequest("GET", "/Users", nil)
	r.Header.Set("Authorization", "Bearer key-for-acme")
	fmt.Println(auth.Authenticate(r))
	// Output: acme <nil>
}
