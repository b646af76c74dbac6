package sqlstore

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// testClock is a clock for scim.Tokens that the test moves; servers read
// it from their own goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock(t time.Time) *testClock {
	c := &testClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *testClock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *testClock) add(d time.Duration) { c.ns.Add(int64(d)) }

// bearer returns a request to /Users bearing secret.
func bearer(secret string) *http.Request {
	return withBearer(httptest.NewRequest("GET", "/Users", nil), secret)
}

func withBearer(r *http.Request, secret string) *http.Request {
	r.Header.Set("Authorization", "Bearer "+secret)
	return r
}

// TestTokensSurviveRestart issues a token, closes the store and its
// database handle, opens the database again and authenticates with the
// token: it works, and List shows it with its last use.
func TestTokensSurviveRestart(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, d)
			ctx := context.Background()
			// openOwn opens the store on a pool that Close shuts, as a
			// process that exits does.
			openOwn := func() *Store {
				if d == SQLite {
					s, err := OpenSQLite(ctx, tg.path)
					if err != nil {
						t.Fatal(err)
					}
					return s
				}
				s, err := Open(ctx, pgDB(t, tg.dsn), d)
				if err != nil {
					t.Fatal(err)
				}
				s.ownDB = true
				return s
			}
			clock := newTestClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			first := openOwn()
			before := &scim.Tokens{Store: first, Now: clock.now}
			secret, issued, err := before.Issue(ctx, scim.Token{Tenant: "acme", Label: "Entra ID", Expires: clock.now().Add(720 * time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			if tenant, err := before.Authenticate(bearer(secret)); tenant != "acme" {
				t.Fatalf("before the restart: %q, %v", tenant, err)
			}
			if err := first.Close(); err != nil {
				t.Fatal(err)
			}

			second := openOwn()
			t.Cleanup(func() { second.Close() })
			clock.add(time.Hour)
			after := &scim.Tokens{Store: second, Now: clock.now}
			if tenant, err := after.Authenticate(bearer(secret)); tenant != "acme" {
				t.Errorf("after the restart: %q, %v", tenant, err)
			}
			list, err := after.List(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			want := issued
			want.LastUsed = clock.now()
			if d := cmp.Diff([]scim.Token{want}, list); d != "" {
				t.Errorf("List after the restart (-want +got):\n%s", d)
			}
		})
	}
}

// TestTokensRevokeAcrossInstances runs two servers, each with its own
// store handle and Tokens, on one database. A token issued on one works on
// the other; revoked on one, it is refused there at once and on the other
// from CacheFor after that instance last read it, never later.
func TestTokensRevokeAcrossInstances(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, d)
			clock := newTestClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
			const cacheFor = 10 * time.Second
			var tokens [2]*scim.Tokens
			var urls [2]string
			for i := range 2 {
				s, err := tg.open(t, nil)
				if err != nil {
					t.Fatal(err)
				}
				tokens[i] = &scim.Tokens{Store: s, Now: clock.now, CacheFor: cacheFor}
				srv, err := scim.NewServer(scim.Config{Store: s, Auth: tokens[i], Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				hs := httptest.NewServer(srv)
				t.Cleanup(hs.Close)
				urls[i] = hs.URL
			}
			status := func(i int, secret string) int {
				req, err := http.NewRequest("GET", urls[i]+"/Users", nil)
				if err != nil {
					t.Fatal(err)
				}
				res, err := http.DefaultClient.Do(withBearer(req, secret))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			ctx := t.Context()
			secret, tok, err := tokens[0].Issue(ctx, scim.Token{Tenant: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			step := func(advance time.Duration, i int) {
				clock.add(advance)
				got = append(got, status(i, secret))
			}
			step(0, 1) // instance 1 reads the token and caches it
			step(4*time.Second, 0)
			if err := tokens[0].Revoke(ctx, "acme", tok.ID); err != nil {
				t.Fatal(err)
			}
			step(0, 0)                                      // refused where it was revoked
			step(0, 1)                                      // still cached on instance 1
			step(cacheFor-4*time.Second-time.Nanosecond, 1) // the last instant of the bound
			step(time.Nanosecond, 1)                        // CacheFor after instance 1 read it
			if d := cmp.Diff([]int{200, 200, 401, 200, 200, 401}, got); d != "" {
				t.Errorf("statuses (-want +got):\n%s", d)
			}
			// Both instances list the one token, revoked.
			for i, ts := range tokens {
				list, err := ts.List(ctx, "acme")
				if err != nil || len(list) != 1 || list[0].Revoked.IsZero() {
					t.Errorf("instance %d lists %+v, %v", i, list, err)
				}
			}
		})
	}
}

// TestTokenTimeRange refuses times the store cannot keep.
func TestTokenTimeRange(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	tok := scim.Token{ID: "tok_1", Tenant: "acme", Digest: scim.TokenDigest("x"), Created: time.Now(),
		Expires: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.AddToken(t.Context(), tok); err == nil || !strings.Contains(err.Error(), "outside") {
		t.Errorf("AddToken expiring in 3000: %v", err)
	}
	tokens := &scim.Tokens{Store: s}
	if _, _, err := tokens.Issue(t.Context(), scim.Token{Tenant: "acme", Expires: time.Now().AddDate(1000, 0, 0)}); err == nil {
		t.Error("Issue expiring in a thousand years succeeded")
	}
	if list, _ := s.ListTokens(t.Context(), "acme"); len(list) != 0 {
		t.Errorf("refused tokens were stored: %+v", list)
	}
}

// TestTokensMigration upgrades a database made before scim_tokens: its
// data stays and tokens work.
func TestTokensMigration(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		t.Run(d.String(), func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, d)
			all := defaultMigrations(d)
			i := slices.IndexFunc(all, func(m migration) bool { return m.version == 4 })
			old, err := tg.open(t, all[:i])
			if err != nil {
				t.Fatal(err)
			}
			u, err := old.CreateUser(t.Context(), "acme", &scim.User{UserName: "kept"})
			if err != nil {
				t.Fatal(err)
			}
			old.Close()
			s, err := tg.open(t, nil)
			if err != nil {
				t.Fatalf("Open on a database without scim_tokens: %v", err)
			}
			if _, err := s.GetUser(t.Context(), "acme", u.ID); err != nil {
				t.Errorf("user lost in the upgrade: %v", err)
			}
			tokens := &scim.Tokens{Store: s}
			secret, _, err := tokens.Issue(t.Context(), scim.Token{Tenant: "acme"})
			if err != nil {
				t.Fatal(err)
			}
			if tenant, err := tokens.Authenticate(bearer(secret)); tenant != "acme" {
				t.Errorf("Authenticate: %q, %v", tenant, err)
			}
		})
	}
}
