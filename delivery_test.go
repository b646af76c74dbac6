package scim_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/eventtest"
	"github.com/scimkit/scim/store/memory"
)

// newEventServer returns a Server on store with h as its event handler,
// changed by tune, and its URL; both are closed when the test ends.
func newEventServer(t *testing.T, store scim.Store, h scim.EventHandler, tune func(*scim.Config)) (*scim.Server, string) {
	t.Helper()
	cfg := scim.Config{Store: store, Auth: scim.StaticToken("acme", "tok"), Events: h}
	if tune != nil {
		tune(&cfg)
	}
	return eventtest.Serve(t, cfg)
}

// TestEventsInProcessOrder: under concurrent requests the events of each
// resource arrive in commit order with the right old and new values.
func TestEventsInProcessOrder(t *testing.T) {
	t.Parallel()
	rec := eventtest.NewRecorder()
	_, base := newEventServer(t, memory.New(), rec.Handle, nil)
	eventtest.Check(t, &eventtest.Client{Bases: []string{base}, Token: "tok"}, rec)
}

func TestRequestInfo(t *testing.T) {
	t.Parallel()
	rec := eventtest.NewRecorder()
	_, base := newEventServer(t, memory.New(), rec.Handle, nil)
	long := strings.Repeat("é", 200)
	tests := []struct {
		name, id, ua string
		wantID       string // "" means a new 32-digit one
		wantUA       string
	}{
		{"client id kept", "abc-123_XYZ:1", "Okta SCIM Client 1.0", "abc-123_XYZ:1", "Okta SCIM Client 1.0"},
		{"no id", "", "", "", ""},
		{"id with a space", "a b", "x", "", "x"},
		{"id too long", strings.Repeat("a", 129), "x", "", "x"},
		{"longest id", strings.Repeat("a", 128), "x", strings.Repeat("a", 128), "x"},
		{"id not ASCII", "idé", "x", "", "x"},
		{"user agent cut on a character", "r1", long, "r1", strings.Repeat("é", 128)},
		{"user agent not UTF-8", "r2", "a\xffb", "r2", "a\uFFFDb"},
	}
	for i, tt := range tests {
		req, _ := http.NewRequest("POST", base+"/Users", strings.NewReader(fmt.Sprintf(`{"userName":"u%d"}`, i)))
		req.Header.Set("Authorization", "Bearer tok")
		req.Header.Set("X-Request-Id", tt.id)
		req.Header.Set("User-Agent", tt.ua)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		got := res.Header.Get("X-Request-Id")
		if tt.wantID != "" && got != tt.wantID || tt.wantID == "" && (len(got) != 32 || got == tt.id) {
			t.Errorf("%s: X-Request-Id %q, want %q", tt.name, got, tt.wantID)
		}
		rec.WaitUntil(t, func(evs []scim.Event) bool { return len(evs) == i+1 })
		e := rec.Events()[i]
		if e.RequestID != got || e.UserAgent != tt.wantUA {
			t.Errorf("%s: event request id %q, user agent %q; want %q, %q", tt.name, e.RequestID, e.UserAgent, got, tt.wantUA)
		}
	}
}

// blockingHandler blocks every call until its context ends, or until
// release is closed when ignoreCtx is set.
type blockingHandler struct {
	ignoreCtx bool
	release   chan struct{}
	mu        sync.Mutex
	calls     int
	started   chan struct{} // one send per call, never blocking
}

func newBlockingHandler(ignoreCtx bool) *blockingHandler {
	return &blockingHandler{ignoreCtx: ignoreCtx, release: make(chan struct{}), started: make(chan struct{}, 1<<16)}
}

func (b *blockingHandler) handle(ctx context.Context, e scim.Event) error {
	b.mu.Lock()
	b.calls++
	b.mu.Unlock()
	select {
	case b.started <- struct{}{}:
	default:
	}
	if b.ignoreCtx {
		<-b.release
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

// TestEventHandlerNeverBlocksResponses: with a handler that never returns,
// every request is answered, and Close returns. (store/sqlstore tests the
// same on the Outbox path.)
func TestEventHandlerNeverBlocksResponses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		store     func() scim.Store
		ignoreCtx bool
	}{
		{"in-process", func() scim.Store { return memory.New() }, false},
		{"in-process, handler ignores its context", func() scim.Store { return memory.New() }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newBlockingHandler(tt.ignoreCtx)
			srv, err := scim.NewServer(scim.Config{Store: tt.store(), Auth: scim.StaticToken("acme", "tok"), Events: h.handle,
				Logger: slog.New(slog.DiscardHandler), EventQueue: 8, EventWorkers: 2})
			if err != nil {
				t.Fatal(err)
			}
			hs := httptest.NewServer(srv)
			defer hs.Close()
			eventtest.Deactivations(t, &eventtest.Client{Bases: []string{hs.URL}, Token: "tok"}, 40)
			<-h.started // the handler is really stuck in a call
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			err = srv.Shutdown(ctx)
			if tt.ignoreCtx != (err != nil) {
				t.Errorf("Close: %v", err)
			}
			close(h.release)
		})
	}
}

// TestEventHandlerFailuresInProcess: a failing in-process event is tried
// four times with growing backoff, then dropped and counted, while the
// responses are unaffected.
func TestEventHandlerFailuresInProcess(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var waits []time.Duration
	var logs bytes.Buffer
	var logMu sync.Mutex
	srv, base := newEventServer(t, memory.New(), func(ctx context.Context, e scim.Event) error {
		if e.Kind == scim.UserCreated {
			return errors.New("downstream is down")
		}
		panic("handler bug")
	}, func(c *scim.Config) {
		c.EventWorkers = 1
		c.Logger = slog.New(slog.NewTextHandler(&lockedWriter{mu: &logMu, w: &logs}, nil))
	})
	scim.SetEventSleep(srv, func(_ context.Context, d time.Duration) bool {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
		return true
	})
	c := &eventtest.Client{Bases: []string{base}, Token: "tok"}
	st, out := c.Do(t, "POST", "", "/Users", map[string]any{"userName": "ada"})
	if st != http.StatusCreated {
		t.Fatalf("POST: %d %v", st, out)
	}
	if st, out := c.Do(t, "DELETE", "", "/Users/"+out["id"].(string), nil); st != http.StatusNoContent {
		t.Fatalf("DELETE: %d %v", st, out)
	}
	for srv.EventStats().Dropped < 2 {
		runtime.Gosched()
	}
	if d := cmp.Diff(scim.EventStats{Failed: 8, Dropped: 2}, srv.EventStats()); d != "" {
		t.Errorf("stats (-want +got):\n%s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second}
	if d := cmp.Diff(append(slices.Clone(want), want...), waits); d != "" {
		t.Errorf("backoffs (-want +got):\n%s", d)
	}
	logMu.Lock()
	defer logMu.Unlock()
	for _, s := range []string{"downstream is down", "handler bug", "the event is dropped", "level=ERROR"} {
		if !strings.Contains(logs.String(), s) {
			t.Errorf("the log does not mention %q:\n%s", s, logs.String())
		}
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestEventQueueBounded: with the handler stuck, the in-process queue
// holds at most Config.EventQueue events; the rest are dropped, counted
// and logged, and the memory they would take is not kept.
func TestEventQueueBounded(t *testing.T) {
	h := newBlockingHandler(false)
	var logs bytes.Buffer
	var logMu sync.Mutex
	srv, _ := newEventServer(t, memory.New(), h.handle, func(c *scim.Config) {
		c.EventQueue, c.EventWorkers = 64, 2
		c.Logger = slog.New(slog.NewTextHandler(&lockedWriter{mu: &logMu, w: &logs}, nil))
	})
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const n = 100_000
	ctx := context.Background()
	for i := range n {
		// 1 KiB of its own per event: 100 MB if they were all kept.
		doc := map[string]any{"id": fmt.Sprint("u", i), "userName": strings.Repeat(string(rune('a'+i%26)), 1024) + fmt.Sprint(i)}
		scim.Publish(ctx, srv, scim.CommittedWrite{Tenant: "acme", ResourceType: "User", New: doc})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	st := srv.EventStats()
	h.mu.Lock()
	inflight := uint64(h.calls)
	h.mu.Unlock()
	if st.Queued > 64 || st.Queued+int(inflight) == 0 || uint64(st.Queued)+inflight+st.Dropped != n {
		t.Errorf("stats %+v with %d in the handler: want at most 64 queued and every other event dropped", st, inflight)
	}
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 16<<20 {
		t.Errorf("the heap grew by %d bytes for a queue of 64", grown)
	}
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Error(err)
	}
	logMu.Lock()
	if n := strings.Count(logs.String(), "event dropped"); n < 1 || n > 10 {
		t.Errorf("%d log records of dropped events, want one a second:\n%.2000s", n, logs.String())
	}
	logMu.Unlock()
}
