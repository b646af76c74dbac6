package scim

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"time"
)

// Outbox is an optional ability of a Store that keeps events durably
// (store/sqlstore has it). Once told to record, it writes each write's
// events (CommittedWrite.Events) in the same transaction as the write,
// so an event exists exactly when its change committed, and the Server
// delivers them from there: at least once, in commit order per resource,
// also after a crash or restart, and, when several instances share the
// store's database, each event to one instance at a time.
//
// Events of one resource must be recorded in the order their writes
// commit: a store that serializes writes to a resource (a row lock)
// records the event after taking that lock.
type Outbox interface {
	// RecordEvents turns recording on for the life of the store: from now
	// on every write records its events. NewServer calls it when
	// Config.Events is set; before that the store records nothing, so a
	// deployment without an event handler does not pile events up. After
	// each write that recorded events has committed the store calls
	// notify, which does not block. It may be called more than once (one
	// store, several Servers); every notify is called.
	RecordEvents(notify func())
	// ClaimEvents leases to owner, for lease, up to max recorded events
	// in commit order. For each resource it takes its first undelivered
	// event, when nobody holds a lease on it (a lease that ended counts as
	// none) and it is not waiting for a retry, and may take the events
	// right after it too: a resource's undelivered events are only ever
	// out as one run, to one owner, who delivers them in order. A lease
	// of zero or less has ended already. Attempts counts this claim.
	ClaimEvents(ctx context.Context, owner string, max int, lease time.Duration) ([]OutboxEvent, error)
	// ExtendEvents renews, for lease from now, the leases that owner
	// still holds on the events seqs.
	ExtendEvents(ctx context.Context, owner string, seqs []int64, lease time.Duration) error
	// SettleEvents ends owner's leases: it deletes the delivered events
	// and makes each of retry claimable again after its delay.
	SettleEvents(ctx context.Context, owner string, delivered []int64, retry []EventRetry) error
}

// OutboxEvent is an event as an Outbox hands it out.
type OutboxEvent struct {
	// Seq is the event's place in the outbox: the commit order of one
	// resource's events.
	Seq int64
	// Attempts counts the claims of the event, this one included.
	Attempts int
	Event    Event
}

// EventRetry hands a claimed event back to an Outbox, to be claimed again
// After from now.
type EventRetry struct {
	Seq   int64
	After time.Duration
}

// Retry delays of a failed outbox event: the first retry after
// outboxRetryBase, then doubling, at most outboxRetryMax.
const (
	outboxRetryBase = time.Second
	outboxRetryMax  = 5 * time.Minute
	// outboxCallTimeout bounds the calls that end leases, which run after
	// Close too.
	outboxCallTimeout = 10 * time.Second
)

// outboxLoop delivers from an Outbox: each worker claims a batch,
// delivers it in order and settles it; a heartbeat renews the leases of
// the batches being delivered, so that only a crashed instance's events
// go to another.
type outboxLoop struct {
	d     *delivery
	box   Outbox
	owner string
	lease time.Duration
	poll  time.Duration
	// linger is how long a worker lets events gather before a claim that
	// follows a wake-up or a batch that was not full: claims and
	// settlements are round trips to the database, and under a stream of
	// writes each then carries many events instead of one or two.
	linger time.Duration
	batch  int
	// wake holds a token when there may be events to claim: a write's
	// notification leaves one, and it wakes one idle worker, which claims
	// what has come meanwhile; a worker whose claim came back full passes
	// a token on, to bring in another.
	wake chan struct{}
	// retryAfter is the delay after the attempts-th failed delivery.
	retryAfter func(attempts int) time.Duration

	mu   sync.Mutex
	held map[int64]int // claimed, not yet settled: seq -> batches holding it
}

func newOutboxLoop(d *delivery, box Outbox, lease time.Duration) *outboxLoop {
	host, _ := os.Hostname()
	return &outboxLoop{
		d:          d,
		box:        box,
		owner:      fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomHex(4)),
		lease:      lease,
		poll:       eventPoll,
		linger:     outboxLinger,
		batch:      outboxBatch,
		retryAfter: retryBackoff,
		held:       map[int64]int{},
		wake:       make(chan struct{}, 1),
	}
}

// retryBackoff doubles from outboxRetryBase up to outboxRetryMax, with up
// to 20% jitter so that failures do not come back in step.
func retryBackoff(attempts int) time.Duration {
	d := outboxRetryMax
	if n := max(attempts-1, 0); n < 16 {
		d = min(outboxRetryBase<<n, outboxRetryMax)
	}
	return d + rand.N(d/5+1)
}

func (o *outboxLoop) start(workers int) {
	o.box.RecordEvents(o.notify)
	var ws sync.WaitGroup
	for range workers {
		ws.Go(o.work)
	}
	// Leases are renewed until the last delivery has ended, Close or not.
	done := make(chan struct{})
	o.d.wg.Go(func() {
		ws.Wait()
		close(done)
	})
	o.d.wg.Go(func() { o.heartbeat(done) })
}

// notify leaves a wake token, unless one is waiting already.
func (o *outboxLoop) notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *outboxLoop) work() {
	for !o.d.stopped() {
		evs, err := o.box.ClaimEvents(o.d.ctx, o.owner, o.batch, o.lease)
		if err != nil {
			if o.d.stopped() {
				return
			}
			o.d.log.Error("scim: claiming events from the outbox failed; trying again", "err", err)
			o.idle(nil) // an error is not cured by the next write: wait the poll interval
			continue
		}
		if len(evs) == 0 {
			o.idle(o.wake)
			o.pause(o.linger)
			continue
		}
		if len(evs) == o.batch {
			o.notify()
		}
		o.deliver(evs)
		if len(evs) < o.batch {
			o.pause(o.linger)
		}
	}
}

// pause waits d, or until Shutdown.
func (o *outboxLoop) pause(d time.Duration) {
	if d > 0 {
		waitDone(o.d.stop, d)
	}
}

// idle waits for a wake token, the poll interval or Shutdown.
func (o *outboxLoop) idle(wake <-chan struct{}) {
	t := time.NewTimer(o.poll)
	defer t.Stop()
	select {
	case <-wake:
	case <-t.C:
	case <-o.d.stop:
	}
}

// deliver delivers a claimed batch in commit order and settles it. After
// an event fails, the batch's later events of its resource are handed
// back untried; on Shutdown, all those not yet started are.
func (o *outboxLoop) deliver(evs []OutboxEvent) {
	o.hold(evs, 1)
	defer o.hold(evs, -1)
	var done []int64
	var retry []EventRetry
	held := map[string]bool{} // resources whose next event must wait
	for _, oe := range evs {
		e := oe.Event
		key := e.Tenant + "\x00" + e.ResourceType + "\x00" + e.ResourceID
		if o.d.stopped() || held[key] {
			retry = append(retry, EventRetry{Seq: oe.Seq})
			continue
		}
		if err := o.d.call(e); err != nil {
			held[key] = true
			if o.d.ctx.Err() != nil { // Shutdown canceled the call: not the event's fault
				retry = append(retry, EventRetry{Seq: oe.Seq})
				continue
			}
			after := o.retryAfter(oe.Attempts)
			retry = append(retry, EventRetry{Seq: oe.Seq, After: after})
			o.d.log.Error("scim: event handler failed; the event stays in the outbox",
				append(eventAttrs(oe.Event), "attempts", oe.Attempts, "retry_in", after.Round(time.Millisecond), "err", err)...)
			continue
		}
		done = append(done, oe.Seq)
	}
	ctx, cancel := context.WithTimeout(context.Background(), outboxCallTimeout)
	defer cancel()
	if err := o.box.SettleEvents(ctx, o.owner, done, retry); err != nil {
		o.d.log.Error("scim: recording event deliveries in the outbox failed; the events are delivered again when their lease ends",
			"delivered", len(done), "retries", len(retry), "err", err)
	}
}

func (o *outboxLoop) hold(evs []OutboxEvent, delta int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, e := range evs {
		if o.held[e.Seq] += delta; o.held[e.Seq] <= 0 {
			delete(o.held, e.Seq)
		}
	}
}

// heartbeat renews the leases of the batches being delivered every third
// of a lease, until done.
func (o *outboxLoop) heartbeat(done <-chan struct{}) {
	t := time.NewTicker(max(o.lease/3, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		o.mu.Lock()
		seqs := make([]int64, 0, len(o.held))
		for s := range o.held {
			seqs = append(seqs, s)
		}
		o.mu.Unlock()
		if len(seqs) == 0 {
			continue
		}
		slices.Sort(seqs)
		ctx, cancel := context.WithTimeout(o.d.ctx, outboxCallTimeout)
		if err := o.box.ExtendEvents(ctx, o.owner, seqs, o.lease); err != nil {
			o.d.log.Error("scim: renewing event leases failed; another instance may deliver them too", "events", len(seqs), "err", err)
		}
		cancel()
	}
}
