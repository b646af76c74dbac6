package scim_test

import (
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/internal/eventtest"
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
		var published atomic.Int64
		defer func() {
			if published.Load() == 0 {
				t.Error("no events from the maps handlers")
			}
		}()
		scimtest.RunEntra(t, func(t *testing.T) scimtest.Target {
			logs := &e2e.Log{}
			// The Server publishes the maps handlers' events itself.
			rec := eventtest.NewRecorder()
			srv, err := scim.NewServer(scim.Config{
				Resources: newMapDirectory().resources(),
				Auth:      scim.StaticToken("a", tokenA),
				Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				Events:    rec.Handle,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				checkEvents(t, srv, rec)
				published.Add(int64(len(rec.Events())))
			})
			return scimtest.Target{Handler: srv, Token: tokenA}
		})
	})
}
