package scim

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Per-tenant rate limits (Config.RateLimit): one token bucket per tenant,
// taken after authentication, so that one customer's identity provider
// cannot use up the service for the others.

// minEntraRate is the request rate Microsoft Entra ID needs per tenant;
// repeated 429s put the customer's provisioning job into quarantine.
const minEntraRate = 25

// limiterSweepMin is the number of tenants below which the limiter map is
// not swept.
const limiterSweepMin = 1024

// tenantLimits holds a token bucket per tenant that sent a request
// recently. A bucket left alone long enough to fill up is the same as a
// new one, so such buckets are evicted: the map holds only tenants active
// within the last refill time (RateBurst / RateLimit).
type tenantLimits struct {
	limit  rate.Limit
	burst  int
	refill time.Duration
	now    func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	nextSweep int
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// newTenantLimits returns the limits of cfg, or nil when there are none.
func newTenantLimits(limit rate.Limit, burst int) (*tenantLimits, error) {
	switch {
	case limit == 0 || limit == rate.Inf:
		return nil, nil
	case limit < 0 || math.IsNaN(float64(limit)):
		return nil, errors.New("scim: Config.RateLimit is negative; use 0 for no limit")
	case burst < 0:
		return nil, errors.New("scim: Config.RateBurst is negative; use 0 for the default, twice RateLimit")
	case burst == 0:
		burst = int(min(math.Ceil(2*float64(limit)), math.MaxInt32))
	}
	// A bucket refills in burst/limit seconds (capped at a century).
	refill := time.Duration(min(float64(burst)/float64(limit), 100*365*24*3600) * float64(time.Second))
	return &tenantLimits{limit: limit, burst: burst, refill: refill, now: time.Now,
		buckets: map[string]*bucket{}, nextSweep: limiterSweepMin}, nil
}

// take takes one request from tenant's bucket; when it is empty it
// returns how long until the next request is allowed.
func (l *tenantLimits) take(tenant string) (ok bool, retry time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[tenant]
	if b == nil {
		if len(l.buckets) >= l.nextSweep {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[tenant] = b
	}
	b.last = now
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// sweep evicts the buckets that have had time to fill up again.
func (l *tenantLimits) sweep(now time.Time) {
	for t, b := range l.buckets {
		if now.Sub(b.last) >= l.refill {
			delete(l.buckets, t)
		}
	}
	l.nextSweep = max(limiterSweepMin, 2*len(l.buckets))
}

// size returns how many tenants have a bucket.
func (l *tenantLimits) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// throttled answers 429 with Retry-After (RFC 6585, RFC 7644 section
// 3.12) when tenant is over its rate, reporting whether it did.
func (s *Server) throttled(w http.ResponseWriter, tenant string) bool {
	if s.limits == nil {
		return false
	}
	ok, retry := s.limits.take(tenant)
	if ok {
		return false
	}
	secs := max(1, int64(math.Ceil(retry.Seconds())))
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	writeError(w, &Error{Status: http.StatusTooManyRequests,
		Detail: "Too many requests for this tenant; retry after " + strconv.FormatInt(secs, 10) + " seconds."})
	return true
}
