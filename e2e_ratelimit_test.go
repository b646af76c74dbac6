package scim_test

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/memory"
)

// TestRateLimit checks per-tenant limits over HTTP with a clock the test
// moves: requests past the burst get 429 with Retry-After and change
// nothing, another tenant is not affected, time gives requests back, and
// no limit (the default) or one fit for Entra never throttles a burst.
func TestRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name       string
		limit      rate.Limit
		burst      int
		allowed    int    // requests allowed at one instant
		retryAfter string // on the next one
		after      time.Duration
		thenAllow  int // allowed once the clock moved by after
		warn       bool
	}{
		{"none", 0, 0, 200, "", 0, 0, false},
		{"entra", 25, 0, 50, "1", time.Second, 25, false},
		{"one per second", 1, 3, 3, "1", time.Second, 1, true},
		{"one per four seconds", 0.25, 1, 1, "4", 2 * time.Second, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &e2e.Log{}
			srv, err := scim.NewServer(scim.Config{Store: memory.New(), Auth: twoTenants(t), RateLimit: tc.limit, RateBurst: tc.burst,
				Logger: slog.New(slog.NewTextHandler(logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(logs.String(), "throttles Microsoft Entra"); got != tc.warn {
				t.Errorf("warning logged for %v per second: %v, want %v", tc.limit, got, tc.warn)
			}
			clock := scim.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			if tc.limit != 0 {
				scim.SetRateClock(srv, clock.Now)
			}
			h := e2e.Serve(t, srv, tokenA)
			for range tc.allowed {
				h.Must(200, "GET", "/Users?count=1", "")
			}
			if tc.retryAfter == "" {
				return
			}
			r := h.Do("POST", "/Users", userBodyJSON(t, "ada@contoso.com"))
			if _, has := r.Body["scimType"]; r.Status != http.StatusTooManyRequests || has || r.Header.Get("Retry-After") != tc.retryAfter {
				t.Errorf("over the limit: %d, Retry-After %q, want 429 and %s\n%s", r.Status, r.Header.Get("Retry-After"), tc.retryAfter, r.Raw)
			}
			b := *h
			b.Token = tokenB
			b.Must(200, "GET", "/Users?count=1", "")
			clock.Add(tc.after)
			for range tc.thenAllow {
				h.Must(200, "GET", "/Users?count=1", "")
			}
			if r := h.Do("GET", "/Users?count=1", ""); r.Status != http.StatusTooManyRequests {
				t.Errorf("after %v and %d requests: %d, want 429", tc.after, tc.thenAllow, r.Status)
			}
			clock.Add(time.Hour)
			if l := h.Must(200, "GET", "/Users?filter=userName+eq+%22ada@contoso.com%22", ""); l.Body["totalResults"] != 0.0 {
				t.Errorf("the throttled POST created a user: %s", l.Raw)
			}
		})
	}
}

func TestRateLimitConfigErrors(t *testing.T) {
	for _, cfg := range []scim.Config{{RateLimit: -1}, {RateLimit: 10, RateBurst: -1}} {
		cfg.Store, cfg.Auth = memory.New(), scim.StaticToken("a", tokenA)
		if _, err := scim.NewServer(cfg); err == nil {
			t.Errorf("NewServer(RateLimit %v, RateBurst %d): no error", cfg.RateLimit, cfg.RateBurst)
		}
	}
}
