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
	"net/url"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

// Serve an OAuth 2.0 token endpoint beside the SCIM endpoint, as Entra ID
// gallery apps need: the customer's admin enters the client id, secret and
// token URL; Entra trades them for an access token and provisions with it.
// With store/sqlstore, give its Store as both Tokens.Store and
// Clients.Store.
func ExampleClients() {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := memory.New()
	tokens := &scim.Tokens{Store: store, Logger: quiet} // also database bearer tokens
	clients := &scim.Clients{Tokens: tokens, Logger: quiet}
	srv, err := scim.NewServer(scim.Config{Store: store, Auth: tokens, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	mux.Handle("/oauth2/token", clients)
	app := httptest.NewServer(mux)
	defer app.Close()

	// The host's admin page registers a client for the customer and shows
	// the secret once.
	secret, client, err := clients.Register(context.Background(), "acme", "Entra ID")
	if err != nil {
		log.Fatal(err)
	}

	// What the identity provider does.
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ID}, "client_secret": {secret}}
	res, err := http.Post(app.URL+"/oauth2/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		log.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	fmt.Println("token:", res.StatusCode, tok.TokenType, tok.ExpiresIn)

	req, _ := http.NewRequest("GET", app.URL+"/scim/v2/Users?filter="+url.QueryEscape(`userName eq "x"`), nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("GET /Users:", res.StatusCode)
	// Output:
	// token: 200 Bearer 3600
	// GET /Users: 200
}
