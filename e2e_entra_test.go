package scim_test

import (
	"testing"

	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/scimtest"
)

// TestEntra runs scimtest's Entra ID flows on the memory store.
func TestEntra(t *testing.T) {
	scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
		return scimtest.Target{Handler: newServer(t, &e2e.Log{}), Token: tokenA}
	})
}
