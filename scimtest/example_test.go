package scimtest_test

import (
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/scimtest"
	"github.com/scimkit/scim/store/memory"
)

// A host's test replays Entra ID against its endpoint, here a Server over
// a new memory store for each flow.
func ExampleRunEntra() {
	testEntra := func(t *testing.T) { // func TestEntra(t *testing.T) in a _test.go file
		scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
			srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("acme", "test-token")})
			if err != nil {
				t.Fatal(err)
			}
			return scimtest.Target{Handler: srv, Token: "test-token"}
		})
	}
	_ = testEntra
}

// A host's test runs Entra ID's provisioning cycles, in both PATCH forms,
// and Okta's against its endpoint: every failed check fails the test in
// the words an integrator needs, e.g. "manager returned as a string:
// Entra cannot read it back".
func ExampleRunEntraCycle() {
	testProvisioning := func(t *testing.T) { // func TestProvisioning(t *testing.T) in a _test.go file
		srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: scim.StaticToken("acme", "test-token")})
		if err != nil {
			t.Fatal(err)
		}
		target := scimtest.Target{Handler: srv, Token: "test-token"}
		scimtest.RunEntraCycle(t, target, scimtest.CycleOptions{})
		scimtest.RunOktaCycle(t, target, scimtest.CycleOptions{Users: 50, Cycles: 2})
	}
	_ = testProvisioning
}
