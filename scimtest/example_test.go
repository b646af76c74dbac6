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
