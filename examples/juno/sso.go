package main

import (
	"context"
	"net/http"
)

type ssoProvider struct{}
type ssoFlags struct{ issuer, clientID, clientSecret, customer string }

func (a *app) addSSO(ctx context.Context, f ssoFlags) error { return nil }

func (a *app) ssoLogin(w http.ResponseWriter, r *http.Request)    {}
func (a *app) ssoCallback(w http.ResponseWriter, r *http.Request) {}
