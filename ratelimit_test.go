package scim

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// TestTenantLimitsEviction checks that the buckets of tenants idle long
// enough to refill are evicted once the map grows, and that a tenant
// still being throttled keeps its bucket.
func TestTenantLimitsEviction(t *testing.T) {
	l, err := newTenantLimits(1, 2) // refills in 2 s
	if err != nil {
		t.Fatal(err)
	}
	clock := NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l.now = clock.Now
	for i := range limiterSweepMin {
		l.take(fmt.Sprint("idle-", i))
	}
	clock.Add(2 * time.Second)
	for range 2 {
		l.take("busy")
	}
	if ok, retry := l.take("busy"); ok || retry != time.Second {
		t.Fatalf("busy tenant: ok %v, retry %v; want throttled for 1s", ok, retry)
	}
	// Enough new tenants to make the map sweep.
	for i := range limiterSweepMin {
		l.take(fmt.Sprint("new-", i))
	}
	if got, want := l.size(), limiterSweepMin+1; got != want {
		t.Errorf("%d tenants kept, want %d (busy and the new ones)", got, want)
	}
	if ok, _ := l.take("busy"); ok {
		t.Errorf("busy tenant's bucket was reset by the sweep")
	}
}

func TestNewTenantLimits(t *testing.T) {
	for _, tc := range []struct {
		limit     rate.Limit
		burst     int
		wantBurst int // 0: no limits
		wantErr   bool
	}{
		{0, 0, 0, false},
		{rate.Inf, 5, 0, false},
		{25, 0, 50, false},
		{0.4, 0, 1, false},
		{10, 3, 3, false},
		{-1, 0, 0, true},
		{10, -1, 0, true},
	} {
		l, err := newTenantLimits(tc.limit, tc.burst)
		switch {
		case (err != nil) != tc.wantErr:
			t.Errorf("newTenantLimits(%v, %d): error %v", tc.limit, tc.burst, err)
		case tc.wantBurst == 0 && l != nil:
			t.Errorf("newTenantLimits(%v, %d): limits %+v, want none", tc.limit, tc.burst, l)
		case tc.wantBurst != 0 && (l == nil || l.burst != tc.wantBurst):
			t.Errorf("newTenantLimits(%v, %d): %+v, want burst %d", tc.limit, tc.burst, l, tc.wantBurst)
		}
	}
}
