package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim/internal/measure"
)

// A phase kind is one request of Entra ID's stream, measured alone: the
// store and the bare handler take turns answering it.
const (
	kindGet    = "get"    // GET /Users/{id}
	kindLookup = "lookup" // GET /Users?filter=userName eq "..."
	kindPatch  = "patch"  // PATCH /Users/{id}, Entra's disable or re-enable
	kindCreate = "create" // POST /Users, fully mapped
)

// phaseKinds is the order in which the phases run and are reported.
var phaseKinds = []string{kindGet, kindLookup, kindPatch, kindCreate}

// patchBody is Entra ID's legacy disable (active "False") or re-enable.
func patchBody(active bool) []byte {
	v := "False"
	if active {
		v = "True"
	}
	return []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"` + v + `"}]}`)
}

// phaseStep is one phase: a request kind at a concurrency, on the store
// and on the bare handler, measured in turns.
type phaseStep struct {
	Kind  string
	C     int
	Users int // in the tenant when the phase began
	Store loadResult
	Bare  *loadResult
}

// tenant is what the phases know of a loaded server: the ids of its
// users, in loader order, and the next index for a create.
type tenant struct {
	ids      []string
	mgrIDs   []string
	patches  []atomic.Uint32 // PATCHes sent per user, to alternate the value
	nextUser atomic.Int64
}

// request is one request of kind k against base, for a worker's rng.
func (tn *tenant) request(ctx context.Context, k, base string, rng *rand.Rand) (*http.Request, int, []byte, error) {
	switch k {
	case kindGet:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/Users/"+tn.ids[rng.IntN(len(tn.ids))], nil)
		return req, http.StatusOK, []byte(`"id":"`), err
	case kindLookup:
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+lookupPath(rng.IntN(len(tn.ids))), nil)
		return req, http.StatusOK, []byte(`"totalResults":1,`), err
	case kindPatch:
		i := rng.IntN(len(tn.ids))
		// Users start active: odd PATCHes disable, even ones re-enable,
		// so that every PATCH changes the user.
		n := tn.patches[i].Add(1)
		req, err := http.NewRequestWithContext(ctx, http.MethodPatch, base+"/Users/"+tn.ids[i], bytes.NewReader(patchBody(n%2 == 0)))
		if req != nil {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		return req, http.StatusOK, []byte(`"active":`), err
	case kindCreate:
		i := int(tn.nextUser.Add(1)) - 1
		mgr := ""
		if len(tn.mgrIDs) > 0 {
			mgr = tn.mgrIDs[i%len(tn.mgrIDs)]
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/Users", bytes.NewReader(userBody(i, mgr)))
		if req != nil {
			req.Header.Set("Content-Type", "application/scim+json")
		}
		return req, http.StatusCreated, []byte(`"id":"`), err
	}
	return nil, 0, nil, fmt.Errorf("unknown phase kind %q", k)
}

// phase measures kind k at concurrency c, the store at base and the bare
// handler (when not "") taking turns.
func (b *bench) phase(ctx context.Context, tn *tenant, base, k string, c int) phaseStep {
	client := newClient(c)
	defer client.CloseIdleConnections()
	bases := []string{base}
	if b.bare != nil {
		bases = append(bases, b.bare.URL)
	}
	auth := "Bearer " + b.token
	rounds := b.o.rounds()
	slice := b.o.duration / time.Duration(rounds)
	out := make([]loadResult, len(bases))
	for round := range rounds {
		for i, u := range bases {
			w := time.Duration(0)
			if round == 0 {
				w = time.Second
			}
			out[i].add(runLoad(ctx, c, w, slice, func(rng *rand.Rand, buf *bytes.Buffer) error {
				req, want, wantBody, err := tn.request(ctx, k, u, rng)
				if err != nil {
					return err
				}
				req.Header.Set("Authorization", auth)
				return do(client, req, want, wantBody, buf)
			}))
		}
	}
	st := phaseStep{Kind: k, C: c, Users: len(tn.ids), Store: out[0]}
	if len(out) > 1 {
		st.Bare = &out[1]
	}
	return st
}

// do sends req and fails unless the answer has status want and holds
// wantBody.
func do(client *http.Client, req *http.Request, want int, wantBody []byte, buf *bytes.Buffer) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, buf.Bytes())
	}
	if !bytes.Contains(buf.Bytes(), wantBody) {
		return fmt.Errorf("answer lacks %s: %.200s", wantBody, buf.Bytes())
	}
	return nil
}

// runLoad runs fn with c workers: warmup first, unmeasured, then for d.
func runLoad(ctx context.Context, c int, warmup, d time.Duration, fn func(rng *rand.Rand, buf *bytes.Buffer) error) loadResult {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(d)
	results := make(chan loadResult, c)
	for w := range c {
		go func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			var h measure.Histogram
			var r loadResult
			var buf bytes.Buffer
			for {
				t0 := time.Now()
				if t0.After(end) || ctx.Err() != nil {
					break
				}
				err := fn(rng, &buf)
				t1 := time.Now()
				if t0.Before(measureFrom) || t1.After(end) {
					continue
				}
				if err != nil {
					r.Errors++
					if r.FirstError == "" {
						r.FirstError = err.Error()
					}
					continue
				}
				h.Record(t1.Sub(t0))
			}
			r.hist = &h
			r.Requests = int64(h.Count())
			results <- r
		}()
	}
	var total loadResult
	for range c {
		total.add(<-results)
	}
	total.Seconds = d.Seconds()
	if total.Seconds > 0 {
		total.RPS = float64(total.Requests) / total.Seconds
	}
	return total
}

// bareCaptures records, from a memory server holding the users of ld, one
// real answer of each phase kind, for the bare handler to replay.
func bareCaptures(ctx context.Context, client *http.Client, base, token string, ld *loader) (map[string]*captured, error) {
	tn := &tenant{ids: ld.ids, mgrIDs: ld.mgrIDs, patches: make([]atomic.Uint32, len(ld.ids))}
	tn.nextUser.Store(int64(len(ld.ids)))
	out := map[string]*captured{}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, k := range phaseKinds {
		req, want, wantBody, err := tn.request(ctx, k, base, rng)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		c, err := captureReq(client, req, want)
		if err != nil {
			return nil, err
		}
		if !bytes.Contains(c.Body, wantBody) {
			return nil, fmt.Errorf("captured %s answer lacks %s: %.300s", k, wantBody, c.Body)
		}
		out[k] = c
	}
	return out, nil
}

// bareKind is the phase kind of a request to the bare handler.
func bareKind(r *http.Request) string {
	switch {
	case r.Method == http.MethodPost:
		return kindCreate
	case r.Method == http.MethodPatch:
		return kindPatch
	case strings.HasSuffix(strings.TrimSuffix(r.URL.Path, "/"), "/Users"):
		return kindLookup
	}
	return kindGet
}

// bareMux answers each request with the captured answer of its kind,
// after reading its body as a real handler would.
func bareMux(cs map[string]*captured) http.Handler {
	hs := map[string]http.Handler{}
	for k, c := range cs {
		hs[k] = bareHandler(c)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		h := hs[bareKind(r)]
		if h == nil {
			h = hs[kindLookup]
		}
		h.ServeHTTP(w, r)
	})
}
