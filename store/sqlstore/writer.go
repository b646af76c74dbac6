package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// maxBatch is the most writes one SQLite transaction carries. It bounds
// how much work one failed COMMIT takes down and how long a write waits
// behind others.
const maxBatch = 64

// writer owns SQLite's one write connection. SQLite admits one writer at
// a time, so funnelling writes through one goroutine costs no
// concurrency, and lets it commit whatever has queued meanwhile together:
// one COMMIT (and one fsync) for up to maxBatch writes.
type writer struct {
	db    *sql.DB
	conn  *sql.Conn
	stmts *stmtCache // statements prepared on conn
	reqs  chan *writeReq
	quit  chan struct{}
	done  chan struct{}

	closeOnce sync.Once
	started   bool

	// batches counts committed transactions, for tests and benchmarks.
	batches, writes int64
	statsMu         sync.Mutex
}

type writeReq struct {
	ctx context.Context
	fn  func(ctx context.Context, t *tx) error
	res chan error
}

// newWriter takes a connection from db for writing and configures it:
// whatever the pool's DSN says, every commit through it is durable
// (synchronous=FULL in WAL mode) and checks foreign keys.
func newWriter(ctx context.Context, db *sql.DB) (*writer, error) {
	conn, err := writeConn(ctx, db)
	if err != nil {
		return nil, err
	}
	return &writer{
		db:    db,
		conn:  conn,
		stmts: newStmtCache(conn),
		reqs:  make(chan *writeReq, 4*maxBatch),
		quit:  make(chan struct{}),
		done:  make(chan struct{}),
	}, nil
}

// writeConn takes a connection from db and configures it for writing.
func writeConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	conn, err := openConn(ctx, db)
	if err != nil {
		return nil, err
	}
	// A write in a batch runs in a savepoint, whose statement journal
	// would otherwise go to a temporary file past 64 KiB: memory is
	// cheaper, and the batch bounds it.
	for _, p := range []string{
		"PRAGMA busy_timeout = 10000",
		"PRAGMA foreign_keys = ON",
		"PRAGMA synchronous = FULL",
		"PRAGMA temp_store = MEMORY",
	} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlstore: %s: %w", p, err)
		}
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		conn.Close()
		return nil, fmt.Errorf("sqlstore: setting WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		conn.Close()
		return nil, fmt.Errorf("sqlstore: the database cannot use WAL mode (journal_mode is %q); an in-memory database is not supported", mode)
	}
	return conn, nil
}

// openConn takes a connection from db. Opening one runs the DSN's pragmas,
// and switching a new database file to WAL there is refused with
// SQLITE_BUSY, not waited for, while another process opens the same new
// file: such a connection is tried again, for up to about 10 seconds.
func openConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	deadline := time.Now().Add(10 * time.Second)
	wait := 10 * time.Millisecond
	for {
		conn, err := db.Conn(ctx)
		var sc sqliteCoder
		if err == nil || !errors.As(err, &sc) || sc.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 500*time.Millisecond)
	}
}

// reconnect replaces a connection the driver has given up on, so that
// the writer outlives it.
func (w *writer) reconnect(err error) {
	if !errors.Is(err, sql.ErrConnDone) && !errors.Is(err, driver.ErrBadConn) {
		return
	}
	conn, cerr := writeConn(context.Background(), w.db)
	if cerr != nil {
		return // the next batch tries again
	}
	w.stmts.close()
	w.conn.Close()
	w.conn, w.stmts = conn, newStmtCache(conn)
}

func (w *writer) start() {
	w.started = true
	go w.run()
}

// close stops the writer after the writes already queued and releases
// its connection.
func (w *writer) close() error {
	var err error
	w.closeOnce.Do(func() {
		close(w.quit)
		if w.started {
			<-w.done
		}
		w.stmts.close()
		err = w.conn.Close()
	})
	return err
}

// do queues fn and waits until its transaction has committed or failed.
// A write whose ctx is done before it starts does not run; once it has
// started it runs to the end, since interrupting SQLite inside a
// transaction would roll back the whole batch.
func (w *writer) do(ctx context.Context, fn func(ctx context.Context, t *tx) error) error {
	r := &writeReq{ctx: ctx, fn: fn, res: make(chan error, 1)}
	select {
	case w.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	case <-w.quit:
		return errClosed
	}
	select {
	case err := <-r.res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-w.done:
		select {
		case err := <-r.res:
			return err
		default:
			return errClosed
		}
	}
}

func (w *writer) run() {
	defer close(w.done)
	batch := make([]*writeReq, 0, maxBatch)
	for {
		select {
		case r := <-w.reqs:
			batch = append(batch[:0], r)
		case <-w.quit:
			// Finish what was queued before Close.
			for {
				select {
				case r := <-w.reqs:
					w.commit([]*writeReq{r})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case r := <-w.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		batch = w.commit(batch)
		clear(batch)
	}
}

// commit runs a batch in one transaction, each write in its own
// savepoint, and replies to every caller after the COMMIT. Writes queued
// meanwhile join the batch, up to maxBatch; it returns the batch run.
func (w *writer) commit(batch []*writeReq) []*writeReq {
	ctx := context.Background()
	t := &tx{q: cachedQuerier{q: w.conn, cache: w.stmts}, d: SQLite}
	fail := func(err error) {
		for _, r := range batch {
			r.res <- err
		}
	}
	if _, err := w.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		w.reconnect(err)
		fail(fmt.Errorf("sqlstore: begin: %w", err))
		return batch
	}
	results := make([]error, len(batch), maxBatch)
	for i := 0; i < len(batch); i++ {
		r := batch[i]
		if i == len(batch)-1 && len(batch) < maxBatch {
			// Writes queued while this transaction ran join it before
			// its COMMIT: they share its fsync instead of waiting for it
			// and paying for their own.
			select {
			case more := <-w.reqs:
				batch = append(batch, more)
				results = append(results, nil)
			default:
			}
		}
		if err := r.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if _, err := w.conn.ExecContext(ctx, "SAVEPOINT w"); err != nil {
			w.rollback()
			fail(fmt.Errorf("sqlstore: savepoint: %w", err))
			return batch
		}
		err := runWrite(context.WithoutCancel(r.ctx), t, r.fn)
		if err == nil {
			_, err = w.conn.ExecContext(ctx, "RELEASE w")
			if err != nil {
				w.rollback()
				fail(fmt.Errorf("sqlstore: release savepoint: %w", err))
				return batch
			}
			continue
		}
		results[i] = err
		// Some errors (a full disk, an I/O error) make SQLite roll back
		// the whole transaction; then the savepoint is gone too, and the
		// writes before this one are lost with it.
		if _, rerr := w.conn.ExecContext(ctx, "ROLLBACK TO w"); rerr != nil {
			w.rollback()
			for j, o := range batch {
				if j != i {
					o.res <- fmt.Errorf("sqlstore: transaction rolled back by another write's failure: %w", err)
				}
			}
			batch[i].res <- err
			return batch
		}
		if _, rerr := w.conn.ExecContext(ctx, "RELEASE w"); rerr != nil {
			w.rollback()
			fail(fmt.Errorf("sqlstore: release savepoint: %w", rerr))
			return batch
		}
	}
	if _, err := w.conn.ExecContext(ctx, "COMMIT"); err != nil {
		w.rollback()
		fail(fmt.Errorf("sqlstore: commit: %w", err))
		return batch
	}
	w.statsMu.Lock()
	w.batches++
	w.writes += int64(len(batch))
	w.statsMu.Unlock()
	for i, r := range batch {
		r.res <- results[i]
	}
	return batch
}

// rollback ends a failed transaction; it may already have ended.
func (w *writer) rollback() {
	_, _ = w.conn.ExecContext(context.Background(), "ROLLBACK")
}

// runWrite calls fn, turning a panic into an error so that the writer
// goroutine, and every other caller's write, survives it.
func runWrite(ctx context.Context, t *tx, fn func(ctx context.Context, t *tx) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError{v}
		}
	}()
	return fn(ctx, t)
}

// stats returns how many transactions the writer has committed and how
// many writes they carried.
func (w *writer) stats() (batches, writes int64) {
	w.statsMu.Lock()
	defer w.statsMu.Unlock()
	return w.batches, w.writes
}
