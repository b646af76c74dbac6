package scim

import (
	"context"
	"sync"
)

// writeLocks queues, within one Server, the read-modify-write updates of
// one resource (PUT, and PATCH on a handler that is no MemberPatcher).
// Without it, concurrent PATCHes of one group (Entra sends member adds in
// parallel) fail each other's compare-and-swap until the retry bound
// answers 503, and each retry costs the handler a read and a write.
// Correctness still rests on the handler's compare-and-swap: Servers
// sharing the handler's data race as before, and retry.
type writeLocks struct {
	mu    sync.Mutex
	locks map[string]*writeLock // only keys held or waited for
}

type writeLock struct {
	held chan struct{} // full while held
	refs int           // holders and waiters
}

// lock waits for key's lock, or for ctx to end. The returned func
// releases it.
func (l *writeLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = map[string]*writeLock{}
	}
	w := l.locks[key]
	if w == nil {
		w = &writeLock{held: make(chan struct{}, 1)}
		l.locks[key] = w
	}
	w.refs++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if w.refs--; w.refs == 0 {
			delete(l.locks, key)
		}
		l.mu.Unlock()
	}
	select {
	case w.held <- struct{}{}:
		return func() { <-w.held; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}
