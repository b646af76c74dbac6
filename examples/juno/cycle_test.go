package main

import (
	"testing"

	"github.com/scimkit/scim/scimtest"
)

// TestCycles runs the simulator's Entra ID cycles (both PATCH forms) and
// Okta cycle against Juno's whole application, served on 127.0.0.1
// with its admin login, API and event handler, with a token Juno issued.
// Any check an identity provider or a careful integrator makes that fails
// fails the test in the simulator's words.
func TestCycles(t *testing.T) {
	t.Run("entra", func(t *testing.T) {
		ta := startApp(t)
		scimtest.RunEntraCycle(t, scimtest.Target{URL: ta.srv.URL + "/scim/v2", Token: ta.token}, scimtest.CycleOptions{})
	})
	t.Run("okta", func(t *testing.T) {
		ta := startApp(t)
		scimtest.RunOktaCycle(t, scimtest.Target{URL: ta.srv.URL + "/scim/v2", Token: ta.token}, scimtest.CycleOptions{})
	})
}
