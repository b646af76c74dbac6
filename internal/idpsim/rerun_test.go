package idpsim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// cycleOps are the operations of the incremental cycles in a run's
// outcome counts: everything but the initial cycle's provisioning.
func cycleOps(sum *Summary) map[string]map[string]map[Outcome]int {
	out := map[string]map[string]map[Outcome]int{}
	for kind, ops := range sum.Operations {
		for name, c := range ops {
			if name == "provision" || name == "manager" || name == "members" || name == "members batch" {
				continue
			}
			if out[kind] == nil {
				out[kind] = map[string]map[Outcome]int{}
			}
			out[kind][name] = c
		}
	}
	return out
}

// TestRerunSameSeed runs the same seed, incremental cycles included, three
// times against one server: every run passes every check, and the later
// runs' initial cycles bring the server back to where a fresh run starts
// its cycles (renamed users and groups found by externalId and renamed
// back, deleted ones created again, members drawn again), so their
// cycles make the same changes.
func TestRerunSameSeed(t *testing.T) {
	for _, mode := range []Mode{EntraLegacy, EntraFlag, Okta} {
		t.Run(mode.String(), func(t *testing.T) {
			base := newSCIM(t, nil)
			first, log := run(t, base, mode, 40, 5, 8, 2)
			if !first.OK {
				t.Fatalf("first run failed:\n%s", log)
			}
			for k := 2; k <= 3; k++ {
				sum, log := run(t, base, mode, 40, 5, 8, 2)
				if !sum.OK {
					t.Fatalf("run %d failed:\n%s", k, log)
				}
				if diff := cmp.Diff(cycleOps(first), cycleOps(sum)); diff != "" {
					t.Errorf("run %d: incremental cycles differ from the first run's (-first +run):\n%s", k, diff)
				}
				p := sum.Operations["user"]["provision"]
				// Okta deactivates instead of deleting: nothing to recreate.
				if p[Updated] == 0 || (p[Created] == 0) != (mode == Okta) {
					t.Errorf("run %d: want matched-and-updated users (renamed, changed) and, in the Entra modes, recreated ones (deleted), got %v", k, p)
				}
			}
		})
	}
}

// uuidRE matches the server's ids and the GUIDs in requests.
var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// transcript runs one seeded simulation at concurrency 1 against a fresh
// server and returns its requests, with the server's ids replaced by their
// creation order and other GUIDs by their first appearance: what stays is
// what the seed decides.
func transcript(t *testing.T, mode Mode) []string {
	var mu sync.Mutex
	var reqs []string
	ids := map[string]string{}
	record := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
			mu.Lock()
			defer mu.Unlock()
			if r.Method == http.MethodPost && rec.Code == http.StatusCreated {
				var doc struct{ ID string }
				if json.Unmarshal(rec.Body.Bytes(), &doc) == nil {
					ids[doc.ID] = "id#" + strconv.Itoa(len(ids))
				}
			}
			reqs = append(reqs, r.Method+" "+r.RequestURI+" "+string(b))
		})
	}
	base := newSCIM(t, record)
	var log bytes.Buffer
	sum, err := Run(context.Background(), Config{
		BaseURL: base, Token: testToken, Mode: mode, Users: 40, Groups: 5, Members: 8, Cycles: 2,
		Concurrency: 1, Seed: 11, Log: &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK {
		t.Fatalf("run failed:\n%s", log.String())
	}
	guids := map[string]string{}
	out := make([]string, len(reqs))
	for k, r := range reqs {
		// The ids in a request are the server's, from earlier answers, or
		// GUIDs the simulator made.
		out[k] = uuidRE.ReplaceAllStringFunc(r, func(u string) string {
			if id, ok := ids[u]; ok {
				return id
			}
			if _, ok := guids[u]; !ok {
				guids[u] = "guid#" + strconv.Itoa(len(guids))
			}
			return guids[u]
		})
	}
	return out
}

// TestSameSeedSameRequests: on a fresh server a seed decides every
// request, whatever ids the server hands out.
func TestSameSeedSameRequests(t *testing.T) {
	for _, mode := range []Mode{EntraLegacy, Okta} {
		t.Run(mode.String(), func(t *testing.T) {
			a, b := transcript(t, mode), transcript(t, mode)
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("two fresh runs of one seed sent different requests (-first +second):\n%s", diff)
			}
			all := strings.Join(a, "\n")
			for _, w := range []string{"DELETE /scim/v2/Groups/id#", "PATCH /scim/v2/Groups/id#"} {
				if !strings.Contains(all, w) {
					t.Errorf("no request %s...: the transcript misses what it should compare", w)
				}
			}
		})
	}
}

// TestRerunMixedIdPs runs one seed as each identity provider in turn
// against one server, as a host's tests may: Entra's two forms share their
// users, Okta's are a directory of their own, and every run passes.
func TestRerunMixedIdPs(t *testing.T) {
	base := newSCIM(t, nil)
	for k, mode := range []Mode{EntraLegacy, Okta, EntraFlag, Okta} {
		if sum, log := run(t, base, mode, 40, 5, 8, 2); !sum.OK {
			t.Fatalf("run %d (%s) failed:\n%s", k+1, mode, log)
		}
	}
}
