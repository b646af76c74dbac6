package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimkit/scim"
)

// OAuth 2.0 client credentials for gallery apps: a customer's admin
// creates a client on the admin page and enters its id and secret, with
// the token URL, in Entra ID; Entra trades them at tokenPath for an access
// token of an hour and provisions with it. scim.Clients is the token
// endpoint, over Juno's oauth_clients tables (clientStore); its access
// tokens are rows of scim_tokens, so the *scim.Tokens that checks the
// Secret Tokens checks them too.

// tokenPath is where Juno serves the token endpoint.
const tokenPath = "/oauth2/token"

// The token endpoint's rate limit, for all clients together: each
// request reads the database, and an identity provider asks about once an
// hour per client, so bursts beyond this are someone guessing or a
// client gone wrong.
const (
	tokenRate  = rate.Limit(20) // per second
	tokenBurst = 40
)

// limitTokens answers 429 to token requests beyond lim, in the token
// endpoint's JSON.
func limitTokens(lim *rate.Limiter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !lim.Allow() {
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Retry-After", "1")
			writeJSON(w, http.StatusTooManyRequests, map[string]string{
				"error": "temporarily_unavailable", "error_description": "Too many token requests; retry in a second."})
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isAccessToken reports whether t is an OAuth access token: scim.Clients
// gives their IDs the prefix "oat_" and its secret's id as the suffix.
func isAccessToken(t scim.Token) bool { return strings.HasPrefix(t.ID, "oat_") }

// clientView is an OAuth client on the admin page.
type clientView struct {
	scim.Client
	Secrets []secretView
	// Full is set when the client has as many active secrets as
	// scim.Clients allows (10): one must be revoked before another is
	// added.
	Full bool
}

const maxActiveSecrets = 10

// secretView is one of a client's secrets, with how many access tokens
// it got that are still active.
type secretView struct {
	scim.ClientSecret
	State        string // "active", "expired" or "revoked"
	AccessTokens int
}

// clientViews returns the customer's clients; tokens are its tokens.
func (a *app) clientViews(ctx context.Context, customer string, tokens []scim.Token, now time.Time) ([]clientView, error) {
	clients, err := a.clients.List(ctx, customer)
	if err != nil {
		return nil, err
	}
	bySecret := map[string]int{} // active access tokens
	for _, t := range tokens {
		if i := strings.LastIndexByte(t.ID, '.'); isAccessToken(t) && i >= 0 && t.Active(now) {
			bySecret[t.ID[i+1:]]++
		}
	}
	out := make([]clientView, len(clients))
	for i, c := range clients {
		out[i].Client = c
		active := 0
		for _, sec := range c.Secrets {
			v := secretView{ClientSecret: sec, State: "active", AccessTokens: bySecret[sec.ID]}
			switch {
			case !sec.Revoked.IsZero():
				v.State = "revoked"
			case !sec.Active(now):
				v.State = "expired"
			}
			out[i].Secrets = append(out[i].Secrets, v)
			if v.State == "active" {
				active++
			}
		}
		out[i].Full = active >= maxActiveSecrets
	}
	return out, nil
}

// adminAddClient creates a client with a first secret, shown once.
func (a *app) adminAddClient(w http.ResponseWriter, r *http.Request, s adminSession) {
	c, ok := a.pathCustomer(w, r)
	if !ok {
		return
	}
	secret, cl, err := a.clients.Register(r.Context(), c.ID, formLabel(r))
	if err != nil {
		a.serverError(w, err)
		return
	}
	a.customerPage(w, r, s, customerPage{NewClientID: cl.ID, NewClientSecret: secret, NewSecretID: cl.Secrets[0].ID})
}

// adminAddClientSecret adds a secret to a client (to rotate), shown once;
// days, when positive, is its lifetime.
func (a *app) adminAddClientSecret(w http.ResponseWriter, r *http.Request, s adminSession) {
	c, ok := a.pathCustomer(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	secret, sec, err := a.clients.AddSecret(r.Context(), c.ID, id, formExpiry(r, a.now()))
	if errors.Is(err, scim.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil { // or the page was stale: the client has 10 active secrets
		a.serverError(w, err)
		return
	}
	a.customerPage(w, r, s, customerPage{NewClientID: id, NewClientSecret: secret, NewSecretID: sec.ID})
}

// adminRevokeClientSecret revokes a secret and the access tokens it got.
func (a *app) adminRevokeClientSecret(w http.ResponseWriter, r *http.Request, _ adminSession) {
	customer := r.PathValue("customer")
	err := a.clients.RevokeSecret(r.Context(), customer, r.PathValue("id"), r.PathValue("secret"))
	if err != nil && !errors.Is(err, scim.ErrNotFound) {
		a.serverError(w, err)
		return
	}
	http.Redirect(w, r, "/admin/customers/"+url.PathEscape(customer), http.StatusSeeOther)
}
