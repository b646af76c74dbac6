package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/scimkit/scim/internal/measure"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTenantURL(t *testing.T) {
	for _, tc := range []struct {
		line string
		want string
		ok   bool
	}{
		{"Tenant URL:   http://127.0.0.1:43127/scim/v2", "http://127.0.0.1:43127/scim/v2", true},
		{"Tenant URL: https://example.com/scim/v2  ", "https://example.com/scim/v2", true},
		{"Secret Token: scim_abc", "", false},
		{"Tenant URL: (none)", "", false},
		{"", "", false},
	} {
		got, ok := parseTenantURL(tc.line)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseTenantURL(%q) = %q, %v; want %q, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReplaceSection(t *testing.T) {
	begin, end := markers("s1")
	for _, tc := range []struct{ name, doc, want string }{
		{"empty", "", begin + "\nbody\n" + end + "\n"},
		{"append", "# Benchmarks\n\nintro", "# Benchmarks\n\nintro\n\n" + begin + "\nbody\n" + end + "\n"},
		{"replace", "# B\n\n" + begin + "\nold\nlines\n" + end + "\n\nafter\n", "# B\n\n" + begin + "\nbody\n" + end + "\n\nafter\n"},
		{"other section kept", "x\n<!-- scimkit-bench:s2:begin -->\nkeep\n<!-- scimkit-bench:s2:end -->\n",
			"x\n<!-- scimkit-bench:s2:begin -->\nkeep\n<!-- scimkit-bench:s2:end -->\n\n" + begin + "\nbody\n" + end + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, replaceSection(tc.doc, "s1", "body\n\n")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGroup(t *testing.T) {
	got := []string{group(0), group(999), group(1000), group(1234567), group(-12345)}
	want := []string{"0", "999", "1,000", "1,234,567", "-12,345"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseStores(t *testing.T) {
	got, err := parseStores(" bare, Memory,postgres,memory ")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"memory", "postgres", "bare"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", ",", "mysql"} {
		if _, err := parseStores(bad); err == nil {
			t.Errorf("parseStores(%q) succeeded", bad)
		}
	}
}

func TestParseFlagsQuick(t *testing.T) {
	o, bare, err := parseFlags([]string{"-quick", "-users", "700", "-stores", "memory"}, io.Discard)
	if err != nil || bare != "" {
		t.Fatal(err, bare)
	}
	want := options{users: 700, groups: 10, members: 20, c: 8, duration: 3 * time.Second, stores: []string{"memory"},
		pg: o.pg, out: "BENCHMARKS.md", section: "quick", lookupBase: 1000, lookupUsers: 5000,
		phaseCs: []int{4}, phases: []string{"get", "lookup", "patch", "create"}}
	if diff := cmp.Diff(want, o, cmp.AllowUnexported(options{})); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range [][]string{{"-phase-c", "0"}, {"-phase-c", "4x"}, {"-phases", "get,delete"}} {
		if _, _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, _, err := parseFlags([]string{"-members", "20", "-users", "10"}, io.Discard); err == nil {
		t.Error("more members than users accepted")
	}
	if _, bare, err := parseFlags([]string{"-" + bareFlag, "/x"}, io.Discard); err != nil || bare != "/x" {
		t.Errorf("bare flag: %q, %v", bare, err)
	}
}

func TestCommandLine(t *testing.T) {
	got := commandLine([]string{"-stores", "memory,bare", "-pg", "postgres://u@h/db?sslmode=disable&x=1", "-section", "it's"})
	want := `go run ./examples/bench -stores memory,bare -pg 'postgres://u@h/db?sslmode=disable&x=1' -section 'it'\''s'`
	if got != want {
		t.Errorf("commandLine = %s\nwant %s", got, want)
	}
}

func TestMarkdown(t *testing.T) {
	cycle := &simSummary{OK: true, Seconds: 10, Requests: 20000, RequestsPerSecond: 2000}
	cycle.Latency = append(cycle.Latency, struct {
		Kind              string  `json:"kind"`
		Requests          uint64  `json:"requests"`
		Errors            uint64  `json:"errors"`
		RequestsPerSecond float64 `json:"requestsPerSecond"`
		P50MS             float64 `json:"p50Ms"`
		P95MS             float64 `json:"p95Ms"`
		P99MS             float64 `json:"p99Ms"`
	}{Kind: "lookup", Requests: 5000, RequestsPerSecond: 500, P50MS: 1, P95MS: 2.5, P99MS: 4})
	r := &report{
		Section: "t", Command: "go run ./examples/bench -quick", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Duration: 61 * time.Second, Users: 1000, Groups: 10, Members: 20, C: 8, Window: 3 * time.Second,
		Machine: machine{CPUs: 2, GoVersion: "go1.26.8 linux/amd64", LoadStart: "1.00 2.00 3.00", LoadEnd: "4.00 5.00 6.00"},
		Stores: []storeResult{{
			Name: "memory", Cycle: cycle,
			Lookups: []lookupStep{
				{Users: 1000, Store: loadResult{RPS: 5000, P50: time.Millisecond}, Bare: &loadResult{RPS: 10000}},
				{Users: 1000000, Store: loadResult{RPS: 4000, Errors: 2, FirstError: "status 500 | x"}, Bare: &loadResult{RPS: 16000}},
			},
			Load: &loadStats{Users: 1000000, Seconds: 400, EmptyKiB: 10240, RSSKiB: 10240 + 1000000*2/1024*1000, HWMKiB: 3 << 20},
		}, {Name: "sqlite", CycleErr: "entrasim: exit status 2\nno JSON"}},
		Notes: []string{"PostgreSQL skipped."},
	}
	md := r.markdown()
	for _, want := range []string{
		"### Run `t` (2026-01-02 03:04 UTC, 1m1s)\n",
		"Command: `go run ./examples/bench -quick`\n",
		"Machine: 2 CPUs, go1.26.8 linux/amd64. Load average (1, 5, 15 min) at start 1.00 2.00 3.00, at end 4.00 5.00 6.00.",
		"| memory | 20,000 | 10.0 | **2000** | all passed |  |\n",
		"| sqlite | | | | failed: entrasim: exit status 2 no JSON | |\n",
		"| memory | lookup | 5,000 | 500 | 1.00 | 2.50 | 4.00 |\n",
		"| memory | 1,000 | **5000** | 1.00 | 0.00 | 0.00 | 0 | 10000 | 50% |  |  |\n",
		`| memory | 1,000,000 | **4000** | 0.00 | 0.00 | 0.00 | 2 (status 500 \| x) | 16000 | 25% | 0.80× | 0.50× |` + "\n",
		"| memory | 1,000,000 | 400s | 2500 | 10.0 MiB | 1917.2 MiB | 3072.0 MiB | 1,999 B | 3,221 B |\n",
		"- PostgreSQL skipped.\n",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q; got:\n%s", want, md)
		}
	}
}

func TestWriteReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "B.md")
	r := &report{Section: "a", Machine: machine{CPUs: 1}}
	if err := writeReport(path, r); err != nil {
		t.Fatal(err)
	}
	r.Command = "second"
	if err := writeReport(path, r); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.HasPrefix(doc, "# Benchmarks\n") || strings.Count(doc, "### Run `a`") != 1 || !strings.Contains(doc, "Command: `second`") {
		t.Errorf("after two writes:\n%s", doc)
	}
}

// fakeSCIM answers POST /Users with 201 and an id, and lookups with a
// one-user ListResponse, recording the managers it was sent.
type fakeSCIM struct {
	mu       sync.Mutex
	posts    int
	managers map[string]int
}

func (f *fakeSCIM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer tok" {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/scim+json")
	switch r.Method {
	case http.MethodPost:
		var u struct {
			UserName   string `json:"userName"`
			Enterprise struct {
				Manager string `json:"manager"`
			} `json:"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"`
		}
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil || u.UserName == "" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.posts++
		f.managers[u.Enterprise.Manager]++
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, `{"id":"id-`+u.UserName+`"}`)
	default:
		if !strings.HasPrefix(r.URL.Query().Get("filter"), `userName eq "bench.user.`) {
			http.Error(w, "bad filter", http.StatusBadRequest)
			return
		}
		io.WriteString(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":1,"Resources":[{"id":"x"}]}`)
	}
}

func TestLoaderAndLookups(t *testing.T) {
	f := &fakeSCIM{managers: map[string]int{}}
	srv := httptest.NewServer(f) // listens on 127.0.0.1:0
	defer srv.Close()
	client := newClient(4)
	defer client.CloseIdleConnections()
	ld := &loader{client: client, base: srv.URL, token: "tok", c: 4}
	ctx := context.Background()
	if _, err := ld.load(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := ld.load(ctx, 10, managers+100); err != nil {
		t.Fatal(err)
	}
	if f.posts != managers+100 || f.managers[""] != managers || len(ld.mgrIDs) != managers {
		t.Errorf("%d posts, %d without manager, %d manager ids", f.posts, f.managers[""], len(ld.mgrIDs))
	}
	for m, n := range f.managers {
		if m != "" && (!strings.HasPrefix(m, "id-bench.user.") || n != 1) {
			t.Errorf("manager %q used %d times", m, n)
		}
	}

	r := lookups(ctx, client, srv.URL, "tok", 1000, 4, 50*time.Millisecond, 200*time.Millisecond)
	if r.Requests == 0 || r.Errors != 0 || r.RPS <= 0 || r.P50 <= 0 || r.P99 < r.P50 {
		t.Errorf("lookups = %+v", r)
	}
	r = lookups(ctx, client, srv.URL, "wrong", 1000, 2, 0, 100*time.Millisecond)
	if r.Requests != 0 || r.Errors == 0 || !strings.Contains(r.FirstError, "status 401") {
		t.Errorf("lookups with a wrong token = %+v", r)
	}
}

func TestCaptureAndBareHandler(t *testing.T) {
	srv := httptest.NewServer(&fakeSCIM{managers: map[string]int{}})
	defer srv.Close()
	client := newClient(1)
	defer client.CloseIdleConnections()
	c, err := captureLookup(client, srv.URL+lookupPath(3), "tok")
	if err != nil {
		t.Fatal(err)
	}
	if c.Header.Get("Date") != "" || c.Header.Get("Content-Length") != "" || c.Header.Get("Content-Type") != "application/scim+json" {
		t.Errorf("captured headers %v", c.Header)
	}
	bare := httptest.NewServer(bareHandler(c))
	defer bare.Close()
	resp, err := client.Get(bare.URL + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if diff := cmp.Diff(string(c.Body), string(body)); diff != "" {
		t.Errorf("bare body (-want +got):\n%s", diff)
	}
	if got := resp.Header.Get("Content-Type"); got != "application/scim+json" {
		t.Errorf("bare Content-Type %q", got)
	}
	if _, err := captureLookup(client, srv.URL+lookupPath(3), "wrong"); err == nil {
		t.Error("capture of a 401 succeeded")
	}
}

func captureLookup(client *http.Client, u, token string) (*captured, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	return captureReq(client, req, http.StatusOK)
}

func TestInterleaved(t *testing.T) {
	var mu sync.Mutex
	hits := map[string]int{}
	h := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[name]++
			mu.Unlock()
			io.WriteString(w, `{"totalResults":1,"Resources":[]}`)
		})
	}
	a, b := httptest.NewServer(h("a")), httptest.NewServer(h("b"))
	defer a.Close()
	defer b.Close()
	client := newClient(2)
	defer client.CloseIdleConnections()
	rs := interleaved(context.Background(), client, "tok", []target{{a.URL, 10}, {b.URL, 10}}, 2, 3, 10*time.Millisecond, 600*time.Millisecond)
	if len(rs) != 2 {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.Seconds < 0.599 || r.Seconds > 0.601 || r.Requests == 0 || r.Errors != 0 || r.hist.Count() != uint64(r.Requests) {
			t.Errorf("target %d: %+v", i, r)
		}
		if want := float64(r.Requests) / r.Seconds; r.RPS != want {
			t.Errorf("target %d: RPS %v, want %v", i, r.RPS, want)
		}
	}
	if hits["a"] == 0 || hits["b"] == 0 {
		t.Errorf("hits %v", hits)
	}
}

func TestLoadResultAdd(t *testing.T) {
	mk := func(n int, d time.Duration, errs int64, first string) loadResult {
		var h measure.Histogram
		for range n {
			h.Record(d)
		}
		return loadResult{Requests: int64(n), Errors: errs, Seconds: 1, FirstError: first, hist: &h}
	}
	var r loadResult
	r.add(mk(90, time.Millisecond, 0, ""))
	r.add(mk(10, 10*time.Millisecond, 2, "boom"))
	r.add(mk(0, 0, 1, "later"))
	got := struct {
		Requests, Errors int64
		Seconds, RPS     float64
		First            string
	}{r.Requests, r.Errors, r.Seconds, r.RPS, r.FirstError}
	want := struct {
		Requests, Errors int64
		Seconds, RPS     float64
		First            string
	}{100, 3, 3, 100.0 / 3, "boom"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r.P50 > 1100*time.Microsecond || r.P99 < 9*time.Millisecond {
		t.Errorf("p50 %v p99 %v", r.P50, r.P99)
	}
}

func TestUsageHidesBareFlag(t *testing.T) {
	var out strings.Builder
	if _, _, err := parseFlags([]string{"-h"}, &out); err == nil {
		t.Fatal("-h did not stop")
	}
	if strings.Contains(out.String(), bareFlag) || !strings.Contains(out.String(), "-lookup-users int") ||
		!strings.Contains(out.String(), "(default 8)") {
		t.Errorf("usage:\n%s", out.String())
	}
}

func TestBareMux(t *testing.T) {
	cs := map[string]*captured{}
	for _, k := range phaseKinds {
		cs[k] = &captured{Header: http.Header{"Content-Type": {"application/scim+json"}}, Body: []byte(k)}
	}
	cs[kindCreate].Status = http.StatusCreated
	bare := httptest.NewServer(bareMux(cs))
	defer bare.Close()
	client := newClient(1)
	defer client.CloseIdleConnections()
	for _, tc := range []struct {
		method, path string
		body         []byte
		want         string
		status       int
	}{
		{http.MethodGet, "/Users/abc", nil, kindGet, 200},
		{http.MethodGet, "/Users?filter=x", nil, kindLookup, 200},
		{http.MethodPatch, "/Users/abc", patchBody(false), kindPatch, 200},
		{http.MethodPost, "/Users", userBody(1, ""), kindCreate, 201},
	} {
		req, _ := http.NewRequest(tc.method, bare.URL+tc.path, bytes.NewReader(tc.body))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != tc.want || resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d %q, want %d %q", tc.method, tc.path, resp.StatusCode, body, tc.status, tc.want)
		}
	}
}

func TestPatchBodyAlternates(t *testing.T) {
	var u struct {
		Operations []struct{ Op, Path, Value string }
	}
	for _, active := range []bool{false, true} {
		if err := json.Unmarshal(patchBody(active), &u); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{false: "False", true: "True"}[active]
		if len(u.Operations) != 1 || u.Operations[0].Path != "active" || u.Operations[0].Value != want {
			t.Errorf("patchBody(%v) = %+v", active, u)
		}
	}
}
