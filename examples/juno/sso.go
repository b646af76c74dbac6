package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/scimkit/scim"
)

// ssoProvider is one customer's OpenID Connect identity provider.
type ssoProvider struct {
	customer string
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
}

// ssoFlags configure a provider from the command line.
type ssoFlags struct{ issuer, clientID, clientSecret, customer string }

// ssoCookie holds a login's state, nonce and customer between the
// redirect to the provider and its answer.
const (
	ssoCookie  = "juno_sso"
	ssoTimeout = 10 * time.Minute
)

// addSSO discovers the issuer and lets f.customer's people sign in with it.
func (a *app) addSSO(ctx context.Context, f ssoFlags) error {
	p, err := oidc.NewProvider(ctx, f.issuer)
	if err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	a.sso[f.customer] = &ssoProvider{
		customer: f.customer,
		verifier: p.Verifier(&oidc.Config{ClientID: f.clientID}),
		oauth: oauth2.Config{
			ClientID: f.clientID, ClientSecret: f.clientSecret, Endpoint: p.Endpoint(),
			RedirectURL: a.base + "/sso/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"},
		},
	}
	return nil
}

func (a *app) ssoLogin(w http.ResponseWriter, r *http.Request) {
	p := a.sso[r.PathValue("customer")]
	if p == nil {
		http.NotFound(w, r)
		return
	}
	state, nonce := randomToken(16), randomToken(16)
	// Lax, so that the provider's redirect back brings it.
	a.setCookie(w, ssoCookie, state+"."+nonce+"."+p.customer, ssoTimeout, http.SameSiteLaxMode)
	http.Redirect(w, r, p.oauth.AuthCodeURL(state, oidc.Nonce(nonce)), http.StatusFound)
}

// idClaims are the ID token claims an account is found by.
type idClaims struct {
	OID               string `json:"oid"` // Entra ID's object id
	PreferredUsername string `json:"preferred_username"`
	UPN               string `json:"upn"`
	Email             string `json:"email"`
	EmailVerified     *bool  `json:"email_verified"`
	Nonce             string `json:"nonce"`
}

// Why a sign-in is refused, as the person is told.
var (
	errNotProvisioned = errors.New("your organisation has not given you access to Juno Journey: ask its administrator to assign you the app")
	errDeactivated    = errors.New("your Juno Journey account has been deactivated by your organisation's administrator")
)

// findAccount finds the provisioned account the claims name, in the
// customer: Entra ID's object id (oid) is the externalId it provisions;
// otherwise the UPN, preferred_username or a verified email is the
// userName. A deactivated account is errDeactivated; none (never
// provisioned, or deleted) errNotProvisioned.
func (a *app) findAccount(ctx context.Context, customer string, c idClaims) (string, error) {
	var id, status string
	err := sql.ErrNoRows
	if c.OID != "" {
		err = a.db.QueryRowContext(ctx, `SELECT id, status FROM accounts WHERE customer_id = ? AND directory_id = ?`, customer, c.OID).Scan(&id, &status)
	}
	names := []string{c.UPN, c.PreferredUsername}
	if c.EmailVerified == nil || *c.EmailVerified {
		names = append(names, c.Email)
	}
	for _, n := range names {
		if !errors.Is(err, sql.ErrNoRows) {
			break
		}
		if n != "" {
			err = a.db.QueryRowContext(ctx, `SELECT id, status FROM accounts WHERE customer_id = ? AND login_key = ?`,
				customer, scim.FoldUserName(n)).Scan(&id, &status)
		}
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", errNotProvisioned
	case err != nil:
		return "", err
	case status == "deactivated":
		return "", errDeactivated
	}
	return id, nil
}

func (a *app) ssoCallback(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(a.cookie(r, ssoCookie), ".", 3)
	a.setCookie(w, ssoCookie, "", -1, http.SameSiteLaxMode)
	if len(parts) != 3 || !sameToken(r.URL.Query().Get("state"), parts[0]) || a.sso[parts[2]] == nil {
		a.ssoRefused(w, http.StatusBadRequest, "This sign-in link has expired. Please sign in again.")
		return
	}
	nonce, p := parts[1], a.sso[parts[2]]
	if e := r.URL.Query().Get("error"); e != "" {
		a.ssoRefused(w, http.StatusUnauthorized, "Your identity provider did not sign you in.")
		return
	}
	ctx := r.Context()
	tok, err := p.oauth.Exchange(ctx, r.URL.Query().Get("code"))
	if err != nil {
		a.logger.Warn("juno: sign-in: code exchange failed", "customer", p.customer, "err", err)
		a.ssoRefused(w, http.StatusUnauthorized, "Your identity provider did not sign you in.")
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.verifier.Verify(ctx, raw)
	var c idClaims
	if err == nil {
		err = idt.Claims(&c)
	}
	if err == nil && !sameToken(c.Nonce, nonce) {
		err = errors.New("nonce mismatch")
	}
	if err != nil {
		a.logger.Warn("juno: sign-in: ID token refused", "customer", p.customer, "err", err)
		a.ssoRefused(w, http.StatusUnauthorized, "Your identity provider did not sign you in.")
		return
	}
	id, err := a.findAccount(ctx, p.customer, c)
	switch {
	case errors.Is(err, errNotProvisioned), errors.Is(err, errDeactivated):
		a.ssoRefused(w, http.StatusForbidden, "You cannot sign in: "+err.Error()+".")
		return
	case err != nil:
		a.serverError(w, err)
		return
	}
	if err := a.startSession(ctx, w, id); err != nil {
		a.serverError(w, err)
		return
	}
	http.Redirect(w, r, "/api/me", http.StatusSeeOther)
}

var refusedPage = template.Must(template.New("refused").Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in refused · Juno Journey</title></head>
<body><h1>Juno Journey</h1><p id="reason">{{.}}</p></body></html>`))

func (a *app) ssoRefused(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	refusedPage.Execute(w, reason)
}
