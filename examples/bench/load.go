package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/scimkit/scim/internal/measure"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// newClient returns an HTTP client for c concurrent requests to one host:
// keep-alive connections, one per worker, no compression.
func newClient(c int) *http.Client {
	return &http.Client{
		Timeout: 60 * time.Second,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        c,
			MaxIdleConnsPerHost: c,
			MaxConnsPerHost:     c,
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
}

// userName is the userName of the i-th user the loader creates.
func userName(i int) string { return fmt.Sprintf("bench.user.%07d@contoso.onmicrosoft.com", i) }

// userBody is the POST /Users body of the i-th user: the whole Juno Journey
// mapping Entra ID sends, with realistic sharing (a few departments and
// cities) and unique names, numbers and ids. manager is a user id, or ""
// for none.
func userBody(i int, manager string) []byte {
	cities := [...]string{"London", "Leeds", "Manchester", "Bristol", "Glasgow"}
	depts := [...]string{"Engineering", "Sales", "Finance", "Support", "Marketing", "Legal"}
	city := cities[i%len(cities)]
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],`+
		`"externalId":"0a21f0f2-8d2a-4f8e-bf98-%012d","userName":%q,"active":true,`+
		`"displayName":"Ada Lovelace %d","title":"Senior Analyst","preferredLanguage":"en-GB",`+
		`"emails":[{"primary":true,"type":"work","value":"ada.lovelace%d@contoso.com"}],`+
		`"addresses":[{"type":"work","country":"GB","region":"England","locality":%q,"postalCode":"W1 %dAA","formatted":"1 Main St, %s","streetAddress":"1 Main St"}],`+
		`"name":{"givenName":"Ada","familyName":"Lovelace%d","middleName":"King","formatted":"Ada King Lovelace%d"},`+
		`"phoneNumbers":[{"type":"work","value":"+44 20 7946 %04d"},{"type":"mobile","value":"07700 9%05d"},{"type":"fax","value":"020 7946 0001"}],`+
		`"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":%q,"employeeNumber":"%d","costCenter":"CC-%d","division":"R&D","organization":"Contoso Ltd"`,
		i, userName(i), i, i, city, i%10, city, i, i, i%10000, i%100000, depts[i%len(depts)], 100000+i, i%50)
	if manager != "" {
		fmt.Fprintf(&b, `,"manager":%q`, manager)
	}
	b.WriteString("}}")
	return b.Bytes()
}

// managers is how many of the first users serve as the managers of the
// rest.
const managers = 500

// loader creates users through POST /Users.
type loader struct {
	client *http.Client
	base   string // Tenant URL, no trailing slash
	token  string
	c      int

	mu     sync.Mutex
	mgrIDs []string // ids of users 0..managers-1
	ids    []string // ids of every user created, by index
}

// load creates users [from, to) with c concurrent requests and returns the
// time it took. The first managers users are created first; every later
// user gets one of them as manager.
func (l *loader) load(ctx context.Context, from, to int) (time.Duration, error) {
	start := time.Now()
	l.mu.Lock()
	if len(l.ids) < to {
		l.ids = append(l.ids, make([]string, to-len(l.ids))...)
	}
	l.mu.Unlock()
	if from < managers {
		if err := l.loadRange(ctx, from, min(to, managers)); err != nil {
			return 0, err
		}
		from = min(to, managers)
	}
	if from < to {
		if err := l.loadRange(ctx, from, to); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

func (l *loader) loadRange(ctx context.Context, from, to int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	for range min(l.c, to-from) {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= to {
					return
				}
				if err := l.create(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

func (l *loader) create(ctx context.Context, i int) error {
	mgr := ""
	if i >= managers {
		l.mu.Lock()
		if len(l.mgrIDs) > 0 {
			mgr = l.mgrIDs[i%len(l.mgrIDs)]
		}
		l.mu.Unlock()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.base+"/Users", bytes.NewReader(userBody(i, mgr)))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/scim+json")
	resp, err := l.client.Do(req)
	if err != nil {
		return fmt.Errorf("creating user %d: %w", i, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("creating user %d: %w", i, err)
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("creating user %d: status %d: %.300s", i, resp.StatusCode, body)
	}
	var u struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &u); err != nil || u.ID == "" {
		return fmt.Errorf("creating user %d: no id in the response: %.300s", i, body)
	}
	l.mu.Lock()
	if i < len(l.ids) {
		l.ids[i] = u.ID
	}
	if i < managers {
		l.mgrIDs = append(l.mgrIDs, u.ID)
	}
	l.mu.Unlock()
	return nil
}

// lookupPath is the request path and query of Entra's userName eq lookup
// for user i, relative to the Tenant URL.
func lookupPath(i int) string {
	return "/Users?filter=" + url.QueryEscape(`userName eq "`+userName(i)+`"`)
}

// loadResult is the outcome of a timed load.
type loadResult struct {
	Requests      int64   // answered as expected within the window
	Errors        int64   // failed or unexpected answers within the window
	Seconds       float64 // the measured window
	RPS           float64 // Requests per second
	P50, P95, P99 time.Duration
	FirstError    string

	hist *measure.Histogram // the measured latencies, for merging slices
}

// add merges o, a later slice of the same measurement, into r.
func (r *loadResult) add(o loadResult) {
	if r.hist == nil {
		r.hist = &measure.Histogram{}
	}
	if o.hist != nil {
		r.hist.Merge(o.hist)
	}
	r.Requests += o.Requests
	r.Errors += o.Errors
	r.Seconds += o.Seconds
	if r.FirstError == "" {
		r.FirstError = o.FirstError
	}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	r.P50, r.P95, r.P99 = r.hist.Quantile(0.50), r.hist.Quantile(0.95), r.hist.Quantile(0.99)
}

// target is a server to send lookups to.
type target struct {
	base  string
	users int
}

// interleaved measures lookups on each target in turn, in rounds of
// slices: after a warmup on each, every round gives each target an equal
// slice of d/rounds, so that a change in the machine's load during the
// measurement touches all targets alike. It returns one result per target.
func interleaved(ctx context.Context, client *http.Client, token string, targets []target, c, rounds int, warmup, d time.Duration) []loadResult {
	rounds = max(rounds, 1)
	slice := d / time.Duration(rounds)
	out := make([]loadResult, len(targets))
	for round := range rounds {
		for i, t := range targets {
			w := time.Duration(0)
			if round == 0 {
				w = warmup
			}
			out[i].add(lookups(ctx, client, t.base, token, t.users, c, w, slice))
		}
	}
	return out
}

// lookups sends GET userName eq lookups for random users in [0, users)
// with c workers: warmup first, unmeasured, then for d. An answer counts
// when it is 200 with exactly one result.
func lookups(ctx context.Context, client *http.Client, base, token string, users, c int, warmup, d time.Duration) loadResult {
	paths := make([]string, min(users, 100_000))
	for k := range paths {
		// Spread the sample over the whole tenant.
		paths[k] = base + lookupPath(int(uint64(k)*uint64(users)/uint64(len(paths))))
	}
	auth := "Bearer " + token
	want := []byte(`"totalResults":1,`)

	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	var (
		mu       sync.Mutex
		total    measure.Histogram
		errs     int64
		firstErr string
		wg       sync.WaitGroup
	)
	for w := range c {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 0x5c1))
			var h measure.Histogram
			var nerr int64
			var werr string
			var buf bytes.Buffer
			for {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					break
				}
				err := get(ctx, client, paths[rng.IntN(len(paths))], auth, &buf)
				if err == nil && !bytes.Contains(buf.Bytes(), want) {
					err = fmt.Errorf("not exactly one result: %.200s", buf.Bytes())
				}
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue
				}
				if err != nil {
					nerr++
					if werr == "" {
						werr = err.Error()
					}
					continue
				}
				h.Record(t1.Sub(t0))
			}
			mu.Lock()
			defer mu.Unlock()
			total.Merge(&h)
			errs += nerr
			if firstErr == "" {
				firstErr = werr
			}
		})
	}
	wg.Wait()
	r := loadResult{Requests: int64(total.Count()), Errors: errs, Seconds: d.Seconds(), FirstError: firstErr,
		P50: total.Quantile(0.50), P95: total.Quantile(0.95), P99: total.Quantile(0.99), hist: &total}
	if r.Seconds > 0 {
		r.RPS = float64(r.Requests) / r.Seconds
	}
	return r
}

// get fetches u into buf and fails unless the status is 200.
func get(ctx context.Context, client *http.Client, u, auth string, buf *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", auth)
	return do(client, req, http.StatusOK, nil, buf)
}

// captured is a response recorded from a real server, replayed by the
// bare handler.
type captured struct {
	Status int         `json:"status,omitempty"` // 0 for 200
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// captureReq sends req and records the status, headers (less those
// net/http sets itself) and body of its answer, which must have status
// want.
func captureReq(client *http.Client, req *http.Request, want int) (*captured, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("capturing %s %s: status %d: %.300s", req.Method, req.URL, resp.StatusCode, body)
	}
	h := resp.Header.Clone()
	for _, k := range []string{"Date", "Content-Length", "Connection", "Keep-Alive"} {
		h.Del(k)
	}
	c := &captured{Header: h, Body: body}
	if want != http.StatusOK {
		c.Status = want
	}
	return c, nil
}
