package scim

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// EventHandler receives the Server's events (Config.Events), after the
// change each describes has committed. It is called from background
// goroutines, never from the request that made the change: however long
// it takes and whatever it returns, SCIM responses are neither delayed
// nor failed by it.
//
// The events of one resource reach it one at a time, in the order their
// writes committed; events of different resources may arrive
// concurrently (Config.EventWorkers of them at most). A returned error or
// a panic is a failed delivery, retried with backoff: Config.Events says
// how often, where the event waits meanwhile, and when in-process events
// are dropped. An event may arrive more than once (after a crash, or
// after a handler that did its work but returned an error); Event.ID
// tells repeats apart. ctx is canceled when Server.Shutdown or Close
// stops waiting for the handler.
type EventHandler func(ctx context.Context, e Event) error

// EventStats counts a Server's event deliveries since NewServer.
type EventStats struct {
	// Delivered is the handler calls that returned nil.
	Delivered uint64
	// Failed is the handler calls that returned an error or panicked.
	Failed uint64
	// Dropped is the in-process events given up without a delivery: the
	// queue was full, every attempt failed, or Shutdown came first. Events
	// from an Outbox are never dropped.
	Dropped uint64
	// Queued is the in-process events waiting for delivery now.
	Queued int
}

// Defaults and bounds of event delivery.
const (
	defaultEventWorkers = 4
	defaultEventQueue   = 4096
	defaultEventLease   = time.Minute
	// eventPoll is how often an idle outbox worker looks for events that
	// no write of this process announced: other instances' writes, retries
	// whose backoff ended, leases of a crashed instance that expired.
	eventPoll = time.Second
	// outboxBatch is the most events one claim takes.
	outboxBatch = 32
	// outboxLinger is outboxLoop.linger.
	outboxLinger = 20 * time.Millisecond
	// inprocAttempts is how many times an in-process event is tried.
	inprocAttempts = 4
	// closeWait is how long Close waits for handler calls.
	closeWait = 10 * time.Second
	// cancelGrace is how long Shutdown waits for handler calls to return
	// once it has canceled their context.
	cancelGrace = time.Second
)

// delivery is what both delivery paths share: the handler, its counters
// and the goroutines that Shutdown stops.
type delivery struct {
	handler EventHandler
	log     *slog.Logger
	// ctx is the context of handler calls and outbox calls; Shutdown
	// cancels it when the handler calls outlast its context.
	ctx    context.Context
	cancel context.CancelFunc
	stop   chan struct{} // closed by Shutdown: start nothing new
	wg     sync.WaitGroup

	running                    atomic.Int64 // handler calls in progress
	delivered, failed, dropped atomic.Uint64

	// sleep waits d or until ctx ends, reporting whether d passed; tests
	// replace it to run backoffs without waiting.
	sleep func(ctx context.Context, d time.Duration) bool

	closeOnce sync.Once
	closeErr  error
	onClose   func() // after stop is closed, before waiting
}

func newDelivery(h EventHandler, log *slog.Logger) *delivery {
	d := &delivery{handler: h, log: log, stop: make(chan struct{}), sleep: sleepCtx}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

func sleepCtx(ctx context.Context, d time.Duration) bool { return !waitDone(ctx.Done(), d) }

func (d *delivery) stopped() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

// call delivers e once, turning a panic into an error.
func (d *delivery) call(e Event) (err error) {
	d.running.Add(1)
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("scim: event handler panicked: %v", p)
		}
		if err != nil {
			d.failed.Add(1)
		} else {
			d.delivered.Add(1)
		}
		d.running.Add(-1)
	}()
	return d.handler(d.ctx, e)
}

func eventAttrs(e Event) []any {
	return []any{"event", e.ID, "kind", e.Kind, "tenant", e.Tenant, "resource", e.ResourceType + "/" + e.ResourceID}
}

// shutdown stops delivery: nothing new starts, and the calls in progress
// get until ctx is done to end; then their context is canceled and they
// get cancelGrace more.
func (d *delivery) shutdown(ctx context.Context) error {
	d.closeOnce.Do(func() {
		close(d.stop)
		if d.onClose != nil {
			d.onClose()
		}
		done := make(chan struct{})
		go func() {
			d.wg.Wait()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			d.cancel()
			switch {
			case waitDone(done, cancelGrace):
			case d.running.Load() > 0:
				d.closeErr = fmt.Errorf("scim: %d event handler calls still running after their context was canceled: %w",
					d.running.Load(), ctx.Err())
			case !waitDone(done, outboxCallTimeout): // only outbox bookkeeping was left
				d.closeErr = fmt.Errorf("scim: event delivery still running after its context was canceled: %w", ctx.Err())
			}
		}
		d.cancel()
	})
	return d.closeErr
}

// waitDone waits until done is closed, for at most d; it reports whether
// done was closed.
func waitDone(done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// startEvents starts the delivery paths Config.Events asks for: from the
// store's Outbox for the built-in resource types when it has one, and
// in-process for the other resource types.
func (s *Server) startEvents() {
	d := newDelivery(s.cfg.Events, s.log)
	s.ev = d
	inproc, recorded := false, false
	for _, r := range s.resources {
		inproc = inproc || !r.recorded
		recorded = recorded || r.recorded
	}
	if box, ok := s.cfg.Store.(Outbox); ok && recorded {
		newOutboxLoop(d, box, s.cfg.EventLease).start(s.cfg.EventWorkers)
	}
	if inproc { // resources whose writes record no events of their own
		s.inproc = newInprocQueue(d, s.cfg.EventWorkers, s.cfg.EventQueue)
	}
}

// Shutdown stops event delivery. Nothing new starts; handler calls in
// progress, and in-process events already queued, are delivered until
// ctx is done. Then the handler calls' context is canceled, and Shutdown
// returns an error if any is still running a second later. In-process
// events not delivered by then are dropped (counted in EventStats);
// events from an Outbox stay in it, and the ones this Server had claimed
// but not delivered are handed back at once, for the next Server to
// deliver. Requests served after Shutdown work as before, but their
// in-process events are dropped.
//
// Call it after the HTTP server has stopped and before closing the store.
// Without Config.Events it does nothing. Later calls wait for the first
// and return its result.
func (s *Server) Shutdown(ctx context.Context) error {
	if s.ev == nil {
		return nil
	}
	return s.ev.shutdown(ctx)
}

// Close is Shutdown with 10 seconds for the handler calls in progress.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), closeWait)
	defer cancel()
	return s.Shutdown(ctx)
}

// EventStats returns the Server's event delivery counters; all zero
// without Config.Events.
func (s *Server) EventStats() EventStats {
	d := s.ev
	if d == nil {
		return EventStats{}
	}
	st := EventStats{Delivered: d.delivered.Load(), Failed: d.failed.Load(), Dropped: d.dropped.Load()}
	if s.inproc != nil {
		st.Queued = s.inproc.queued()
	}
	return st
}
