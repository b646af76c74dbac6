package scim_test

import (
	"log/slog"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/scimtest"
)

// TestEntra runs scimtest's Entra ID flows on the memory store and on a
// host's own ResourceHandlers over plain maps, serving /Users and /Groups
// with no Store.
func TestEntra(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
			return scimtest.Target{Handler: newServer(t, &e2e.Log{}), Token: tokenA}
		})
	})
	t.Run("maps", func(t *testing.T) {
		scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
			logs := &e2e.Log{}
			srv, err := scim.NewServer(scim.Config{
				Resources: newMapDirectory().resources(),
				Auth:      scim.StaticToken("a", tokenA),
				Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			})
			if err != nil {
				t.Fatal(err)
			}
			return scimtest.Target{Handler: srv, Token: tokenA}
		})
	})
}
