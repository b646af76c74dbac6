package sqlstore

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventtest"
)

// eventServer runs a scim.Server with Config.Events = h on s, closed
// (before s) when t ends, and returns its URL.
func eventServer(t *testing.T, s *Store, h scim.EventHandler) (*scim.Server, string) {
	t.Helper()
	return eventtest.Serve(t, scim.Config{Store: s, Auth: scim.StaticToken("acme", "tok"), Events: h})
}

// TestEventsOrder: under concurrent requests the events of each resource
// arrive from the outbox in commit order with the right old and new
// values, each once.
func TestEventsOrder(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			rec := eventtest.NewRecorder()
			_, base := eventServer(t, newStore(t, d), rec.Handle)
			eventtest.Check(t, &eventtest.Client{Bases: []string{base}, Token: "tok"}, rec)
		})
	}
}

// TestEventsTwoInstances runs two Servers, each on its own Store and pool,
// on one database, and splits the requests between them: every event is
// delivered, by one of them, once, in order per resource.
func TestEventsTwoInstances(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, d)
			rec := eventtest.NewRecorder()
			var mu sync.Mutex
			by := map[string]int{} // event id -> instance that delivered it
			var bases []string
			for i := range 2 {
				s, err := tg.open(t, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, base := eventServer(t, s, func(ctx context.Context, e scim.Event) error {
					mu.Lock()
					by[e.ID] = i
					mu.Unlock()
					return rec.Handle(ctx, e)
				})
				bases = append(bases, base)
			}
			eventtest.Check(t, &eventtest.Client{Bases: bases, Token: "tok"}, rec)
			mu.Lock()
			defer mu.Unlock()
			var counts [2]int
			for _, i := range by {
				counts[i]++
			}
			t.Logf("delivered by each instance: %v", counts)
		})
	}
}

// TestEventsNeverBlockResponses: with a handler that never returns, every
// request on an Outbox store is answered, and the events stay in the
// outbox for the next Server.
func TestEventsNeverBlockResponses(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			s := newStore(t, d)
			stuck := make(chan struct{}, 1)
			srv, err := scim.NewServer(scim.Config{Store: s, Auth: scim.StaticToken("acme", "tok"), Logger: slog.New(slog.DiscardHandler),
				Events: func(ctx context.Context, e scim.Event) error {
					select {
					case stuck <- struct{}{}:
					default:
					}
					<-ctx.Done()
					return ctx.Err()
				}})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			eventtest.Deactivations(t, &eventtest.Client{Bases: []string{hs.URL}, Token: "tok"}, 30)
			<-stuck
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			if err := srv.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			if n := len(outboxEvents(t, s)); n != 60 {
				t.Errorf("%d events in the outbox after Close, want all 60", n)
			}
			var leased int
			if err := s.db.QueryRow("SELECT count(*) FROM scim_events WHERE lease_owner IS NOT NULL").Scan(&leased); err != nil || leased != 0 {
				t.Errorf("%d events still leased after Close (%v); Close hands them back", leased, err)
			}
		})
	}
}
