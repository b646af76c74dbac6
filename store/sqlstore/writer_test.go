package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/scimkit/scim"
)

// holdWriter occupies the writer with a write that waits for release, so
// that a test can queue further writes deterministically. It returns once
// the writer is inside that write.
func holdWriter(t *testing.T, s *Store) (release func(), wait func() error) {
	t.Helper()
	entered, block := make(chan struct{}), make(chan struct{})
	var err error
	var wg sync.WaitGroup
	wg.Go(func() {
		err = s.write(context.Background(), func(context.Context, *tx) error {
			close(entered)
			<-block
			return nil
		})
	})
	<-entered
	return func() { close(block) }, func() error { wg.Wait(); return err }
}

// waitQueued waits until n writes are queued behind the one in progress.
func waitQueued(s *Store, n int) {
	for len(s.w.reqs) < n {
		runtime.Gosched()
	}
}

// TestWriterGroupCommit queues writes behind a busy writer and checks
// that they commit as one transaction in which each write succeeds or
// fails alone: a uniqueness conflict, a panic and a cancelled context
// take nothing else down.
func TestWriterGroupCommit(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, "t", &scim.User{UserName: "taken"}); err != nil {
		t.Fatal(err)
	}
	batches0, writes0 := s.w.stats()
	release, wait := holdWriter(t, s)

	const n = 10
	const conflict, panics, cancelled = 3, 5, 7
	errs := make([]error, n)
	cctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			switch i {
			case conflict:
				_, errs[i] = s.CreateUser(ctx, "t", &scim.User{UserName: "TAKEN"})
			case panics:
				errs[i] = s.write(ctx, func(context.Context, *tx) error { panic("boom") })
			case cancelled:
				_, errs[i] = s.CreateUser(cctx, "t", &scim.User{UserName: "cancelled"})
			default:
				_, errs[i] = s.CreateUser(ctx, "t", &scim.User{UserName: fmt.Sprint("u", i)})
			}
		})
		waitQueued(s, i+1) // keep the queue in launch order
	}
	cancel()
	release()
	wg.Wait()
	if err := wait(); err != nil {
		t.Fatalf("holding write: %v", err)
	}

	for i, err := range errs {
		var want func(error) bool
		switch i {
		case conflict:
			want = func(err error) bool { return errors.Is(err, scim.ErrConflict) }
		case panics:
			want = func(err error) bool { var p panicError; return errors.As(err, &p) }
		case cancelled:
			want = func(err error) bool { return errors.Is(err, context.Canceled) }
		default:
			want = func(err error) bool { return err == nil }
		}
		if !want(err) {
			t.Errorf("write %d: error %v", i, err)
		}
	}
	batches, writes := s.w.stats()
	if batches-batches0 != 2 || writes-writes0 != n+1 {
		t.Errorf("committed %d transactions carrying %d writes, want 2 carrying %d", batches-batches0, writes-writes0, n+1)
	}
	p, err := s.ListUsers(ctx, "t", scim.Query{StartIndex: 1, Count: 100})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range p.Resources {
		names = append(names, u.UserName)
	}
	if len(names) != n-2 { // taken, and the 7 plain creates
		t.Errorf("users after the batch: %v, want taken and u0..u9 less 3, 5 and 7", names)
	}
}

// TestWriterLostTransaction fails a write in a way that ends the whole
// transaction, as SQLite does on a full disk or an I/O error: every write
// of the batch fails, none of it persists, and the writer carries on.
func TestWriterLostTransaction(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	ctx := t.Context()
	release, wait := holdWriter(t, s)
	lost := errors.New("disk full")
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			if i == 1 {
				errs[i] = s.write(ctx, func(ctx context.Context, t *tx) error {
					if _, err := t.exec(ctx, "ROLLBACK"); err != nil {
						return err
					}
					return lost
				})
				return
			}
			_, errs[i] = s.CreateUser(ctx, "t", &scim.User{UserName: fmt.Sprint("u", i)})
		})
		waitQueued(s, i+1)
	}
	release()
	wg.Wait()
	if err := wait(); err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		if !errors.Is(err, lost) {
			t.Errorf("write %d: error %v, want one wrapping %v", i, err, lost)
		}
	}
	if p, err := s.ListUsers(ctx, "t", scim.Query{StartIndex: 1, Count: 10}); err != nil || p.TotalResults != 0 {
		t.Errorf("after the lost transaction: %v, %d users, want none", err, p.TotalResults)
	}
	if _, err := s.CreateUser(ctx, "t", &scim.User{UserName: "after"}); err != nil {
		t.Errorf("CreateUser after the lost transaction: %v", err)
	}
}

// TestClose checks that writes fail cleanly after Close and that a
// store's database stays usable by its owner.
func TestClose(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	if _, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "a"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "b"}); !errors.Is(err, errClosed) {
		t.Errorf("CreateUser after Close: %v, want %v", err, errClosed)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestWriterReconnects takes the writer's connection away, as a driver
// does when it declares it bad: the write that finds out fails, and the
// writer carries on with a new connection.
func TestWriterReconnects(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	ctx := t.Context()
	if err := s.w.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "t", &scim.User{UserName: "lost"}); err == nil {
		t.Fatal("CreateUser on a closed connection succeeded")
	}
	u, err := s.CreateUser(ctx, "t", &scim.User{UserName: "after"})
	if err != nil {
		t.Fatalf("CreateUser after the connection was replaced: %v", err)
	}
	if _, err := s.GetUser(ctx, "t", u.ID); err != nil {
		t.Error(err)
	}
}
