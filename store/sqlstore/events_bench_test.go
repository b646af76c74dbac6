package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scimkit/scim"
)

// seedEvents puts n events in the outbox as an initial cycle makes them:
// four in five create a user of their own, one in five adds a member to
// one of ten groups.
func seedEvents(tb testing.TB, s *Store, n int) {
	tb.Helper()
	ctx := scim.WithRequestInfo(context.Background(), scim.RequestInfo{ID: "0123456789abcdef0123456789abcdef", UserAgent: "Azure AD"})
	const perTx = 2000
	for lo := 0; lo < n; lo += perTx {
		err := s.write(ctx, func(ctx context.Context, t *tx) error {
			var ws []scim.CommittedWrite
			for i := lo; i < min(lo+perTx, n); i++ {
				if i%5 == 4 {
					doc := map[string]any{"id": fmt.Sprint("group-", i%10), "displayName": "g", "meta": map[string]any{"version": fmt.Sprint(i)}}
					ws = append(ws, scim.CommittedWrite{Tenant: "bench", ResourceType: "Group", Old: doc, New: doc, MembersAdded: []string{newID()}})
					continue
				}
				u := benchUser(i)
				u.ID, u.Meta.Version = newID(), "1"
				ws = append(ws, scim.CommittedWrite{Tenant: "bench", ResourceType: "User", New: scim.UserDoc(u)})
			}
			return s.record(ctx, t, ws...)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkOutboxDelivery measures how fast a Server empties an outbox of
// b.N events with a handler that only counts, at the default 4 workers:
// each round claims a batch, delivers it and deletes it.
func BenchmarkOutboxDelivery(b *testing.B) {
	for _, d := range dialects {
		b.Run(d.String(), func(b *testing.B) {
			s := newStore(b, d)
			seedEvents(b, s, b.N)
			var got atomic.Int64
			done := make(chan struct{})
			b.ResetTimer()
			srv, err := scim.NewServer(scim.Config{Store: s, Auth: scim.StaticToken("bench", "tok"), Logger: slog.New(slog.DiscardHandler),
				Events: func(ctx context.Context, e scim.Event) error {
					if got.Add(1) == int64(b.N) {
						close(done)
					}
					return nil
				}})
			if err != nil {
				b.Fatal(err)
			}
			<-done
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			if err := srv.Close(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// BenchmarkWriteEvents measures creates, and replaces of one of 1,000
// users, at concurrency 8 with events off and on, in one run. With events
// "on" a Server consumes them as they come, as in production, so the
// numbers include its claims and deletes competing with the writes;
// "recorded" writes them with nobody delivering, the write path's own
// cost.
func BenchmarkWriteEvents(b *testing.B) {
	for _, d := range dialects {
		for _, write := range []string{"create", "replace"} {
			for _, mode := range []string{"off", "recorded", "on"} {
				b.Run(fmt.Sprintf("%v/%s/events=%s", d, write, mode), func(b *testing.B) {
					s := newStore(b, d)
					var ids []string
					if write == "replace" {
						seedUsers(b, s, "bench", 1000)
						ids = firstIDs(b, s, "bench")
					}
					var delivered atomic.Int64
					if mode == "recorded" {
						s.RecordEvents(func() {})
					}
					if mode == "on" {
						srv, err := scim.NewServer(scim.Config{Store: s, Auth: scim.StaticToken("bench", "tok"), Logger: slog.New(slog.DiscardHandler),
							Events: func(context.Context, scim.Event) error { delivered.Add(1); return nil }})
						if err != nil {
							b.Fatal(err)
						}
						defer srv.Close()
					}
					const concurrency = 8
					var next atomic.Int64
					ctx := scim.WithRequestInfo(context.Background(), scim.RequestInfo{ID: "0123456789abcdef0123456789abcdef", UserAgent: "Azure AD"})
					b.SetParallelism((concurrency + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
					b.ResetTimer()
					start := time.Now()
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							i := int(next.Add(1))
							var err error
							if write == "create" {
								_, err = s.CreateUser(ctx, "bench", benchUser(1_000_000+i))
							} else {
								u := benchUser(i % len(ids))
								u.ID, u.Title = ids[i%len(ids)], fmt.Sprint("Title ", i)
								_, err = s.ReplaceUser(ctx, "bench", u, "")
							}
							if err != nil {
								b.Error(err)
								return
							}
						}
					})
					b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
					if mode == "on" {
						b.ReportMetric(float64(delivered.Load())/time.Since(start).Seconds(), "delivered/s")
					}
				})
			}
		}
	}
}

// TestSeedEventsShape keeps the benchmark's events what they claim to be:
// user creates with the whole Entra mapping and member adds.
func TestSeedEventsShape(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	seedEvents(t, s, 10)
	evs := outboxEvents(t, s)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, string(e.Kind))
	}
	if want := strings.Repeat("user.created,", 4) + "group.members.added,"; strings.Join(kinds, ",")+"," != want+want {
		t.Errorf("kinds %v", kinds)
	}
	b, _ := json.Marshal(evs[0])
	if len(evs[0].Changes) < 8 || len(b) < 500 {
		t.Errorf("a create event of %d changes, %d bytes: %s", len(evs[0].Changes), len(b), b)
	}
}
