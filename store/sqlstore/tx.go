package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// querier is what *sql.Tx, *sql.Conn and *sql.DB have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx runs statements written with ? placeholders in the store's dialect.
type tx struct {
	q querier
	d Dialect
}

func (t *tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.q.ExecContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.q.QueryContext(ctx, t.d.rebind(query), args...)
}

func (t *tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.q.QueryRowContext(ctx, t.d.rebind(query), args...)
}

// rebound caches PostgreSQL forms of statements. Filters make statements
// of many shapes, so the cache stops growing at maxRebound entries.
var (
	rebound      sync.Map // string -> string
	reboundCount atomic.Int64
)

const maxRebound = 1024

// rebind turns ? placeholders into $1, $2, ... for PostgreSQL. The store's
// SQL never has a ? anywhere else: every value is a bound parameter.
func (d Dialect) rebind(query string) string {
	if d != Postgres || !strings.Contains(query, "?") {
		return query
	}
	if q, ok := rebound.Load(query); ok {
		return q.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	out := b.String()
	if reboundCount.Load() < maxRebound {
		if _, loaded := rebound.LoadOrStore(query, out); !loaded {
			reboundCount.Add(1)
		}
	}
	return out
}

// Error classification. Codes are checked, not message text: PostgreSQL
// drivers (pgx, lib/pq) expose SQLSTATE through SQLState(), and
// modernc.org/sqlite exposes extended result codes through Code().
const (
	sqliteConstraintForeignKey = 787  // SQLITE_CONSTRAINT_FOREIGNKEY
	sqliteConstraintPrimaryKey = 1555 // SQLITE_CONSTRAINT_PRIMARYKEY
	sqliteBusy                 = 5    // SQLITE_BUSY, the primary code
	sqliteConstraintUnique     = 2067 // SQLITE_CONSTRAINT_UNIQUE
	sqliteIOErr                = 10   // SQLITE_IOERR, the primary code
	sqliteReadOnly             = 8    // SQLITE_READONLY, the primary code
	sqliteFull                 = 13   // SQLITE_FULL
)

type sqlStater interface{ SQLState() string }
type sqliteCoder interface{ Code() int }

func (d Dialect) sqlState(err error) string {
	var e sqlStater
	if d == Postgres && errors.As(err, &e) {
		return e.SQLState()
	}
	return ""
}

func (d Dialect) sqliteCode(err error) (int, bool) {
	var e sqliteCoder
	if d == SQLite && errors.As(err, &e) {
		return e.Code(), true
	}
	return 0, false
}

// isUnique reports a unique-constraint violation.
func (d Dialect) isUnique(err error) bool {
	if err == nil {
		return false
	}
	if d == Postgres {
		return d.sqlState(err) == "23505"
	}
	if c, ok := d.sqliteCode(err); ok {
		return c == sqliteConstraintUnique || c == sqliteConstraintPrimaryKey
	}
	// A driver without codes: its message is all there is.
	return strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// isForeignKey reports a foreign-key violation.
func (d Dialect) isForeignKey(err error) bool {
	if err == nil {
		return false
	}
	if d == Postgres {
		return d.sqlState(err) == "23503"
	}
	if c, ok := d.sqliteCode(err); ok {
		return c == sqliteConstraintForeignKey
	}
	return strings.Contains(err.Error(), "FOREIGN KEY constraint failed")
}

// unavailable marks as scim.ErrUnavailable a write's error that is one of
// the storage rather than of the write: a full disk, a read-only database or file system, an
// I/O error (SQLite's FULL, READONLY and IOERR with any extended code;
// PostgreSQL's class 53, insufficient resources such as disk_full,
// read_only_sql_transaction on a standby, and io_error). Either way the
// transaction has not committed. Other errors are returned as they are.
func (d Dialect) unavailable(err error) error {
	if err == nil || errors.Is(err, scim.ErrUnavailable) {
		return err
	}
	bad := false
	if d == Postgres {
		s := d.sqlState(err)
		bad = strings.HasPrefix(s, "53") || s == "25006" || s == "58030"
	} else if c, ok := d.sqliteCode(err); ok {
		switch c & 0xff {
		case sqliteFull, sqliteReadOnly, sqliteIOErr:
			bad = true
		}
	}
	if bad {
		return fmt.Errorf("%w: %w", scim.ErrUnavailable, err)
	}
	return err
}

// retryable reports a PostgreSQL serialization failure or deadlock, after
// which the whole transaction may simply run again.
func (d Dialect) retryable(err error) bool {
	s := d.sqlState(err)
	return s == "40001" || s == "40P01"
}

// errClosed is returned by calls on a closed store.
var errClosed = errors.New("sqlstore: store is closed")

// write runs fn as one transaction that has committed when write returns
// nil. fn may run more than once (PostgreSQL retries), so it must set its
// results afresh on each run.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, t *tx) error) error {
	return s.writeTx(ctx, true, fn)
}

// writeLax is write for bookkeeping that a database crash may lose:
// on PostgreSQL it does not wait for its commit to be flushed to disk
// (synchronous_commit off). SQLite's writer commits every write alike.
func (s *Store) writeLax(ctx context.Context, fn func(ctx context.Context, t *tx) error) error {
	return s.writeTx(ctx, false, fn)
}

func (s *Store) writeTx(ctx context.Context, durable bool, fn func(ctx context.Context, t *tx) error) error {
	return s.d.unavailable(s.tryWrite(ctx, durable, fn))
}

func (s *Store) tryWrite(ctx context.Context, durable bool, fn func(ctx context.Context, t *tx) error) error {
	if s.w != nil {
		return s.w.do(ctx, fn)
	}
	return s.retry(ctx, func() error { return s.pgWrite(ctx, durable, fn) })
}

// retry runs attempt, a PostgreSQL transaction, again while it fails with
// a serialization failure or deadlock, up to 8 times in all.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	const attempts = 8
	for i := 1; ; i++ {
		err := attempt()
		if err == nil {
			s.wrote()
			return nil
		}
		if i == attempts || !s.d.retryable(err) {
			return err
		}
		// Back off a little, with jitter, so that the transactions that
		// collided do not collide again.
		d := time.Duration(1<<min(i, 6))*time.Millisecond + rand.N(2*time.Millisecond)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (s *Store) pgWrite(ctx context.Context, durable bool, fn func(ctx context.Context, t *tx) error) error {
	stx, err := s.db.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return err
	}
	defer stx.Rollback()
	switch {
	case durable && s.syncSet:
		if _, err := stx.ExecContext(ctx, "SET LOCAL synchronous_commit = on"); err != nil {
			return err
		}
	case !durable:
		if _, err := stx.ExecContext(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
	}
	if err := fn(ctx, &tx{q: stx, d: s.d}); err != nil {
		return err
	}
	return stx.Commit()
}

// read runs fn in a read-only transaction, so that its statements see one
// snapshot of the database.
func (s *Store) read(ctx context.Context, fn func(t *tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	stx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer stx.Rollback()
	if err := fn(&tx{q: stx, d: s.d}); err != nil {
		return err
	}
	return stx.Commit()
}

// single returns a tx for one statement outside any transaction.
func (s *Store) single() *tx {
	if s.stmts != nil {
		return &tx{q: cachedQuerier{q: s.db, cache: s.stmts}, d: s.d}
	}
	return &tx{q: s.db, d: s.d}
}

// panicError carries a panic out of a write so that the writer survives it.
type panicError struct{ v any }

func (p panicError) Error() string { return fmt.Sprintf("sqlstore: panic in write: %v", p.v) }
