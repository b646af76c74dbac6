package scim

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// TestWriteLocks: holders of one key take turns, other keys do not wait,
// a waiter gives up when its context ends, and released keys are
// forgotten.
func TestWriteLocks(t *testing.T) {
	var l writeLocks
	ctx := context.Background()
	unlockA, err := l.lock(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	unlockB, err := l.lock(ctx, "b") // another key: no wait
	if err != nil {
		t.Fatal(err)
	}
	unlockB()

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.lock(canceled, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("lock of a held key with an ended context: %v, want context.Canceled", err)
	}

	// Goroutines queue on "a"; each increments a counter while holding it.
	var wg sync.WaitGroup
	n, inside := 0, 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock, err := l.lock(ctx, "a")
			if err != nil {
				t.Error(err)
				return
			}
			inside++ // a data race, caught by -race, if two held it
			n++
			inside--
			unlock()
		}()
	}
	unlockA()
	wg.Wait()
	if n != 50 || inside != 0 {
		t.Errorf("n = %d, inside = %d; want 50, 0", n, inside)
	}
	if len(l.locks) != 0 {
		t.Errorf("%d keys kept after every lock was released", len(l.locks))
	}
}
