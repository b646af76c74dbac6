package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeOutbox is an Outbox in memory with the claiming rules of the
// interface, for testing the delivery loop alone.
type fakeOutbox struct {
	chains  bool // claim the events after a head too
	mu      sync.Mutex
	rows    []*fakeRow // in seq order
	next    int64
	notify  []func()
	extends map[int64]int
	retries []EventRetry
}

type fakeRow struct {
	seq      int64
	e        Event
	owner    string
	until    time.Time
	attempts int
}

func newFakeOutbox() *fakeOutbox { return &fakeOutbox{extends: map[int64]int{}} }

func (f *fakeOutbox) add(evs ...Event) {
	f.mu.Lock()
	for _, e := range evs {
		f.next++
		f.rows = append(f.rows, &fakeRow{seq: f.next, e: e})
	}
	notify := slices.Clone(f.notify)
	f.mu.Unlock()
	for _, n := range notify {
		n()
	}
}

func (f *fakeOutbox) RecordEvents(notify func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notify = append(f.notify, notify)
}

func (f *fakeOutbox) ClaimEvents(_ context.Context, owner string, max int, lease time.Duration) ([]OutboxEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	var out []OutboxEvent
	seen := map[string]bool{}    // resources met so far
	claimed := map[string]bool{} // resources whose run is being claimed
	for _, r := range f.rows {
		k := r.e.Tenant + "/" + r.e.ResourceType + "/" + r.e.ResourceID
		head := !seen[k]
		seen[k] = true
		if len(out) == max || r.until.After(now) || !head && !(f.chains && claimed[k]) {
			claimed[k] = false
			continue
		}
		claimed[k] = true
		r.owner, r.until = owner, now.Add(lease)
		r.attempts++
		out = append(out, OutboxEvent{Seq: r.seq, Attempts: r.attempts, Event: r.e})
	}
	return out, nil
}

func (f *fakeOutbox) ExtendEvents(_ context.Context, owner string, seqs []int64, lease time.Duration) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.rows {
		if r.owner == owner && slices.Contains(seqs, r.seq) {
			r.until = time.Now().Add(lease)
			f.extends[r.seq]++
		}
	}
	return nil
}

func (f *fakeOutbox) SettleEvents(_ context.Context, owner string, delivered []int64, retry []EventRetry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rows = slices.DeleteFunc(f.rows, func(r *fakeRow) bool { return slices.Contains(delivered, r.seq) })
	for _, rt := range retry {
		for _, r := range f.rows {
			if r.seq == rt.Seq {
				r.owner, r.until = "", time.Now().Add(rt.After)
			}
		}
	}
	f.retries = append(f.retries, retry...)
	return nil
}

func (f *fakeOutbox) left() []*fakeRow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rows)
}

// startLoop runs a delivery loop on box with h, polling every millisecond
// (so a retry is claimed again at once), and closes it when t ends.
func startLoop(t *testing.T, box Outbox, h EventHandler, workers int, lease time.Duration, tune func(*outboxLoop)) *delivery {
	d := newDelivery(h, slog.New(slog.DiscardHandler))
	o := newOutboxLoop(d, box, lease)
	o.poll, o.batch, o.linger = time.Millisecond, 4, 0
	if tune != nil {
		tune(o)
	}
	o.start(workers)
	t.Cleanup(func() { d.shutdown(context.Background()) })
	return d
}

// orderedHandler records deliveries and fails the test when two events
// of one resource are delivered at once.
type orderedHandler struct {
	mu     sync.Mutex
	busy   map[string]bool
	got    map[string][]string // resource -> event ids in delivery order
	n      int
	failed map[string]int // event id -> failures still to return
	done   chan struct{}
	want   int
	t      *testing.T
}

func (h *orderedHandler) handle(_ context.Context, e Event) error {
	h.mu.Lock()
	if h.busy[e.ResourceID] {
		h.t.Errorf("two events of %s delivered at once", e.ResourceID)
	}
	h.busy[e.ResourceID] = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.busy[e.ResourceID] = false
		h.mu.Unlock()
	}()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed[e.ID] > 0 {
		h.failed[e.ID]--
		return errors.New("not now")
	}
	h.got[e.ResourceID] = append(h.got[e.ResourceID], e.ID)
	if h.n++; h.n == h.want {
		close(h.done)
	}
	return nil
}

// outboxEvents returns n events for each of resources, interleaved, and
// each resource's ids in order.
func outboxEvents(resources []string, n int) ([]Event, map[string][]string) {
	var evs []Event
	want := map[string][]string{}
	for i := range n {
		for _, r := range resources {
			id := fmt.Sprintf("%s-%02d", r, i)
			evs = append(evs, Event{ID: id, Tenant: "t", ResourceType: "User", ResourceID: r})
			want[r] = append(want[r], id)
		}
	}
	return evs, want
}

func TestOutboxLoopOrder(t *testing.T) {
	t.Parallel()
	resources := []string{"a", "b", "c", "d", "e"}
	evs, want := outboxEvents(resources, 30)
	box := newFakeOutbox()
	box.chains = true
	h := &orderedHandler{t: t, busy: map[string]bool{}, got: map[string][]string{}, done: make(chan struct{}), want: len(evs)}
	startLoop(t, box, h.handle, 3, time.Minute, nil)
	for i := 0; i < len(evs); i += 7 { // in several writes, while delivering
		box.add(evs[i:min(i+7, len(evs))]...)
	}
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := cmp.Diff(want, h.got); d != "" {
		t.Errorf("deliveries per resource (-want +got):\n%s", d)
	}
	if left := box.left(); len(left) != 0 {
		t.Errorf("%d events left in the outbox after delivery", len(left))
	}
}

// TestOutboxLoopRetry: a failing event is handed back with the backoff
// for its attempts, holds back its own resource's later events, and not
// the other resources'.
func TestOutboxLoopRetry(t *testing.T) {
	t.Parallel()
	for _, chains := range []bool{false, true} {
		t.Run(fmt.Sprint("chains=", chains), func(t *testing.T) {
			t.Parallel()
			testOutboxLoopRetry(t, chains)
		})
	}
}

func testOutboxLoopRetry(t *testing.T, chains bool) {
	evs, want := outboxEvents([]string{"a", "b"}, 5)
	box := newFakeOutbox()
	box.chains = chains
	h := &orderedHandler{t: t, busy: map[string]bool{}, got: map[string][]string{}, done: make(chan struct{}), want: len(evs),
		failed: map[string]int{"a-01": 3}}
	var mu sync.Mutex
	var attempts []int
	startLoop(t, box, h.handle, 2, time.Minute, func(o *outboxLoop) {
		o.retryAfter = func(n int) time.Duration {
			mu.Lock()
			defer mu.Unlock()
			attempts = append(attempts, n)
			return time.Duration(n) // nanoseconds: claimable again at once
		}
	})
	box.add(evs...)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if d := cmp.Diff(want, h.got); d != "" {
		t.Errorf("deliveries per resource (-want +got):\n%s", d)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := cmp.Diff([]int{1, 2, 3}, attempts); d != "" {
		t.Errorf("attempts of the failures (-want +got):\n%s", d)
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	var failures []EventRetry // the retries with a delay: a-01's
	for _, r := range box.retries {
		if r.After > 0 {
			failures = append(failures, r)
		} else if !chains {
			t.Errorf("handed back %d untried without chains", r.Seq)
		}
	}
	if d := cmp.Diff([]EventRetry{{3, 1}, {3, 2}, {3, 3}}, failures); d != "" {
		t.Errorf("failed events handed back (-want +got):\n%s", d)
	}
}

// TestOutboxLoopClose: Close hands back the claimed events it did not
// start, and the one whose handler it canceled, for another instance.
func TestOutboxLoopClose(t *testing.T) {
	t.Parallel()
	evs, _ := outboxEvents([]string{"a", "b", "c", "d"}, 1)
	box := newFakeOutbox()
	started := make(chan struct{})
	d := startLoop(t, box, func(ctx context.Context, e Event) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}, 1, time.Minute, nil)
	box.add(evs...)
	<-started
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := d.shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	left := box.left()
	if len(left) != 4 {
		t.Fatalf("%d events left, want all 4", len(left))
	}
	for _, r := range left {
		if r.owner != "" || r.until.After(time.Now()) {
			t.Errorf("event %s still leased to %q until %v", r.e.ID, r.owner, r.until)
		}
	}
}

// TestOutboxLoopHeartbeat: the leases of events being delivered are
// renewed, so a slow handler keeps its events.
func TestOutboxLoopHeartbeat(t *testing.T) {
	t.Parallel()
	box := newFakeOutbox()
	release := make(chan struct{})
	done := make(chan struct{})
	startLoop(t, box, func(ctx context.Context, e Event) error {
		<-release
		close(done)
		return nil
	}, 1, 30*time.Millisecond, nil)
	box.add(Event{ID: "slow", ResourceID: "a"})
	for {
		box.mu.Lock()
		n := box.extends[1]
		box.mu.Unlock()
		if n >= 3 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	<-done
}
