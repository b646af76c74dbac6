package scim_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// End a user's sessions in the host app when the identity provider
// deactivates the user. The handler runs in the background after the
// change has committed; the PATCH is answered without waiting for it.
func ExampleEventHandler() {
	var mu sync.Mutex
	sessions := map[string][]string{} // the host's sessions by user id
	ended := make(chan string)
	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("acme", "s3cret"),
		Logger: slog.New(slog.DiscardHandler),
		Events: func(ctx context.Context, e scim.Event) error {
			if e.Kind != scim.UserDeactivated {
				return nil
			}
			mu.Lock()
			n := len(sessions[e.ResourceID])
			delete(sessions, e.ResourceID)
			mu.Unlock()
			fmt.Printf("%s by %q: ended %d sessions\n", e.Kind, e.UserAgent, n)
			for _, c := range e.Changes {
				fmt.Printf("  %s: %v -> %v\n", c.Attribute, c.Old, c.New)
			}
			ended <- e.ResourceID
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	app := httptest.NewServer(srv)
	defer app.Close()

	send := func(method, path, body string) map[string]any {
		req, _ := http.NewRequest(method, app.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer s3cret")
		req.Header.Set("Content-Type", "application/scim+json")
		req.Header.Set("User-Agent", "Okta SCIM Client 1.0.0")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		json.NewDecoder(res.Body).Decode(&out)
		return out
	}
	user := send("POST", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"ada@example.com","active":true}`)
	id := user["id"].(string)
	mu.Lock()
	sessions[id] = []string{"web", "mobile"}
	mu.Unlock()
	// Okta deactivates with a path-less replace.
	send("PATCH", "/Users/"+id, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[{"op":"replace","value":{"active":false}}]}`)
	fmt.Println("the deactivated user:", <-ended == id)
	// Output:
	// user.deactivated by "Okta SCIM Client 1.0.0": ended 2 sessions
	//   active: true -> false
	// the deactivated user: true
}

// A host store that is a scim.Outbox builds the events of a write from
// the resource's JSON form before and after it, inside the write's
// transaction, and keeps them with the change.
func ExampleCommittedWrite_Events() {
	before := scim.UserDoc(&scim.User{ID: "2819c223", UserName: "ada@example.com", Title: "Analyst",
		Name: &scim.Name{GivenName: "Ada"}, Meta: scim.Meta{Version: "3"}})
	after := scim.UserDoc(&scim.User{ID: "2819c223", UserName: "ada@example.com", Title: "Engineer", Active: new(bool),
		Name: &scim.Name{GivenName: "Augusta"}, Meta: scim.Meta{Version: "4"}})
	ctx := scim.WithRequestInfo(context.Background(), scim.RequestInfo{ID: "req-42", UserAgent: "Azure AD"})
	evs := scim.CommittedWrite{Tenant: "acme", ResourceType: "User", Old: before, New: after,
		Request: scim.RequestInfoFrom(ctx)}.Events()
	for _, e := range evs {
		fmt.Println(e.Kind, e.ResourceID, "version", e.Version, "request", e.RequestID)
		for _, c := range e.Changes {
			fmt.Printf("  %s: %v -> %v\n", c.Attribute, c.Old, c.New)
		}
	}
	// Output:
	// user.deactivated 2819c223 version 4 request req-42
	//   active: <nil> -> false
	//   name.givenName: Ada -> Augusta
	//   title: Analyst -> Engineer
}
