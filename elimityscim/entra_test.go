package elimityscim_test

import (
	"testing"

	"github.com/scimkit/scim"

	"github.com/scimkit/scim/scimtest"
)

// TestEntra runs Entra ID's provisioning against elimity handlers behind
// scimkit. User PATCHes run through Get and Replace, so the users' Patch
// is never called.
func TestEntra(t *testing.T) {
	scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
		m := newMemory()
		t.Cleanup(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.userPatches != 0 {
				t.Errorf("the users' Patch was called %d times", m.userPatches)
			}
		})
		return scimtest.Target{Handler: server(t, scim.Config{}, m.types()...), Token: token}
	})
}
