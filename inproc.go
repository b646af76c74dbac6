package scim

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// In-process delivery serves stores without an Outbox (store/memory, a
// host's own) and host ResourceHandlers: the request pipeline publishes a
// write's events after the handler has committed it, into a bounded queue
// that workers deliver from.
// Nothing is written down, so events still queued when the process ends
// are lost, and a full queue drops new events rather than hold the
// response or grow.

// resourceLocks is how many locks the resources share.
const resourceLocks = 256

// inprocQueue is the in-process delivery path. Each worker has its own
// queue, and a resource's events always go to the same one, so they are
// delivered in the order they were published; writes to one resource
// through this Server hold its lock from before the write until its
// events are published, so that order is the commit order.
type inprocQueue struct {
	d      *delivery
	seed   maphash.Seed
	mu     sync.RWMutex // publish reads closed; Close sets it and closes the queues
	closed bool
	queues []chan Event
	locks  [resourceLocks]sync.Mutex

	lastDropLog atomic.Int64 // Unix nanoseconds
}

func newInprocQueue(d *delivery, workers, capacity int) *inprocQueue {
	q := &inprocQueue{d: d, seed: maphash.MakeSeed(), queues: make([]chan Event, workers)}
	per := max(1, (capacity+workers-1)/workers)
	for i := range q.queues {
		q.queues[i] = make(chan Event, per)
		d.wg.Add(1)
		go q.work(q.queues[i])
	}
	d.onClose = func() {
		q.mu.Lock()
		q.closed = true
		for _, ch := range q.queues {
			close(ch)
		}
		q.mu.Unlock()
	}
	return q
}

func (q *inprocQueue) hash(tenant, resourceType, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(q.seed)
	h.WriteString(tenant)
	h.WriteByte(0)
	h.WriteString(resourceType)
	h.WriteByte(0)
	h.WriteString(id)
	return h.Sum64()
}

// publish queues e without waiting: a full queue drops it.
func (q *inprocQueue) publish(e Event) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		q.drop(e, "the server is closed")
		return
	}
	select {
	case q.queues[q.hash(e.Tenant, e.ResourceType, e.ResourceID)%uint64(len(q.queues))] <- e:
	default:
		q.drop(e, "the event queue is full (Config.EventQueue)")
	}
}

// drop counts an event given up, and logs at most one record a second.
func (q *inprocQueue) drop(e Event, why string) {
	n := q.d.dropped.Add(1)
	now, last := time.Now().UnixNano(), q.lastDropLog.Load()
	if (last == 0 || now-last >= int64(time.Second)) && q.lastDropLog.CompareAndSwap(last, now) {
		q.d.log.Error("scim: event dropped", append(eventAttrs(e), "reason", why, "dropped_total", n)...)
	}
}

func (q *inprocQueue) work(ch chan Event) {
	defer q.d.wg.Done()
	for e := range ch {
		if q.d.ctx.Err() != nil {
			q.drop(e, "Close stopped delivery")
			continue
		}
		q.deliver(e)
	}
}

// deliver tries e up to inprocAttempts times, backing off between tries.
// Meanwhile the worker's later events wait.
func (q *inprocQueue) deliver(e Event) {
	for attempt := 1; ; attempt++ {
		err := q.d.call(e)
		if err == nil {
			return
		}
		if attempt == inprocAttempts || !q.d.sleep(q.d.ctx, inprocBackoff(attempt)) {
			q.d.dropped.Add(1)
			q.d.log.Error("scim: event handler failed; the event is dropped", append(eventAttrs(e), "attempts", attempt, "err", err)...)
			return
		}
		q.d.log.Error("scim: event handler failed; retrying", append(eventAttrs(e), "attempt", attempt, "err", err)...)
	}
}

// inprocBackoff is the wait after the attempt-th failure: 250 ms, 500 ms, 1 s.
func inprocBackoff(attempt int) time.Duration {
	return 250 * time.Millisecond << (attempt - 1)
}

func (q *inprocQueue) queued() int {
	n := 0
	for _, ch := range q.queues {
		n += len(ch)
	}
	return n
}

// lockResource holds the resource's lock until the returned function is
// called. The request pipeline holds it from before a write until its
// events are published, so that one resource's events are queued in
// commit order. It does nothing without in-process events.
func (s *Server) lockResource(tenant, resourceType, id string) (unlock func()) {
	if s.inproc == nil {
		return func() {}
	}
	m := &s.inproc.locks[s.inproc.hash(tenant, resourceType, id)%resourceLocks]
	m.Lock()
	return m.Unlock
}

// publish queues the events of a committed write for in-process delivery;
// it does nothing without in-process events. The request info comes from
// ctx when w has none. It never blocks.
func (s *Server) publish(ctx context.Context, w CommittedWrite) {
	if s.inproc == nil {
		return
	}
	if w.Request == (RequestInfo{}) {
		w.Request = RequestInfoFrom(ctx)
	}
	for _, e := range w.Events() {
		s.inproc.publish(e)
	}
}

// memberDelta returns the member values in after but not before, and in
// before but not after.
func memberDelta(before, after []Member) (added, removed []string) {
	was := make(map[string]bool, len(before))
	for _, m := range before {
		was[m.Value] = true
	}
	is := make(map[string]bool, len(after))
	for _, m := range after {
		if !was[m.Value] && !is[m.Value] {
			added = append(added, m.Value)
		}
		is[m.Value] = true
	}
	for v := range was {
		if !is[v] {
			removed = append(removed, v)
		}
	}
	return added, removed
}
