// Package sqlstore is a durable scim.Store on database/sql, for SQLite (the
// embedded default) and PostgreSQL (for several app servers sharing one
// database). The host brings its own *sql.DB and driver; OpenSQLite is a
// shortcut that opens modernc.org/sqlite with the right settings.
//
// The store creates and upgrades its own tables (all named scim_*, all
// keyed by tenant) when it is opened. Correctness comes from the database:
// userName uniqueness is a UNIQUE constraint on the case-folded name,
// memberships are rows changed as deltas inside one transaction, versions
// are compare-and-swap updates, and member references are foreign keys. A
// write returns only after its transaction has committed.
//
// On SQLite all writes go through one connection owned by a writer
// goroutine that group-commits: it runs the writes queued at the moment
// (up to 64) in one transaction, each inside its own savepoint, so a
// failing write is undone alone and the others share one COMMIT and one
// fsync. Reads use the rest of the pool concurrently (WAL mode). On
// PostgreSQL every write is its own READ COMMITTED transaction, retried on
// serialization failures and deadlocks, and the store runs ANALYZE on its
// own tables when they have changed enough since the last one, so that
// prepared statements planned on a nearly empty table are planned again;
// this needs the store's role to own its tables, as it does when the store
// created them.
//
// The store is a scim.Outbox. Once a scim.Server with Config.Events has
// opened it, every write records its events in the table scim_events in
// its own transaction, reading the one row it replaces or deletes for the
// old values; before that, writes do no event work at all. Servers claim
// events with leases (FOR UPDATE SKIP LOCKED on PostgreSQL), the first
// undelivered event of each resource at a time, and delete them once
// delivered (see outbox.go).
//
// Filters are compiled to SQL with bound parameters. The lookups identity
// providers send on every sync cycle (userName, externalId, displayName,
// id, emails values, members values, and conjunctions holding one of them)
// are answered through indexes on case-folded columns, folded with
// filter.Fold as filter.Match folds. A filter, or part of one, that has no
// provably equivalent SQL narrows candidates with what does compile and is
// evaluated with filter.Match on each streamed candidate, so every result
// is exactly what filter.Match accepts.
//
// A Store is also a scim.TokenStore: with &scim.Tokens{Store: store} the
// customers' bearer tokens (their digests) live in scim_tokens, survive
// restarts, and are seen by every instance sharing the database.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/scimkit/scim"
)

// Dialect names the SQL database a Store talks to.
type Dialect int

// Supported dialects.
const (
	// SQLite is SQLite 3.35 or later in WAL mode (modernc.org/sqlite or any
	// driver whose errors have a Code() int method with extended result
	// codes).
	SQLite Dialect = iota + 1
	// Postgres is PostgreSQL 12 or later (or a compatible database) through
	// a driver whose errors have a SQLState() string method, such as
	// github.com/jackc/pgx/v5/stdlib.
	Postgres
)

// String returns the dialect's name.
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case Postgres:
		return "postgres"
	}
	return fmt.Sprintf("Dialect(%d)", int(d))
}

// Store is a scim.Store and a scim.TokenStore on a SQL database. It is
// safe for concurrent use.
//
// It is also a scim.Outbox: with a Server whose Config.Events is set,
// each write records its events in its own transaction (see outbox.go).
//
// Beyond the scim.Store contract: List results are in creation order
// unless Query.SortBy orders them (ties then keep creation order);
// ListUsers fills Groups like GetUser; Meta.Version is a decimal counter
// per resource; ids are random lower-case UUIDs; groups may only have
// users as members; member $ref values are not stored.
type Store struct {
	db      *sql.DB
	d       Dialect
	ownDB   bool         // Close closes db (OpenSQLite)
	w       *writer      // SQLite only
	stmts   *stmtCache   // SQLite only: statements run outside transactions
	syncSet bool         // PostgreSQL: SET LOCAL synchronous_commit in writes
	stats   *statsKeeper // PostgreSQL only
	keys    atomic.Pointer[keySet]
	outbox  outboxState // events (outbox.go)
}

var (
	_ scim.Store   = (*Store)(nil)
	_ scim.Indexer = (*Store)(nil)
)

// Open migrates the database to the current schema and returns a store on
// it. db stays the caller's: Close does not close it.
//
// For SQLite, db must allow at least two open connections: the store keeps
// one for its writer (with synchronous=FULL, foreign_keys=ON and a busy
// timeout, set by the store) and reads through the others. Set
// busy_timeout on the pool's connections too (OpenSQLite does). For
// PostgreSQL, db may be shared with the host's own tables; the store's
// tables live in the connection's current schema. Bound the pool
// (SetMaxOpenConns) so that every instance sharing the database fits
// under the server's max_connections: a burst of concurrent writes
// otherwise opens a connection each. Set SetMaxIdleConns to the same
// number: database/sql keeps only two idle connections by default, so
// with more requests in flight each one opens a new connection (a new
// PostgreSQL backend) and closes it again: in the benchmark that halved
// the lookup rate and multiplied p99 latency by 8 to 11.
func Open(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	return open(ctx, db, d, nil)
}

// open is Open with the migrations to apply; nil means the dialect's.
func open(ctx context.Context, db *sql.DB, d Dialect, ms []migration) (*Store, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	s := &Store{db: db, d: d}
	switch d {
	case SQLite:
		w, err := newWriter(ctx, db)
		if err != nil {
			return nil, err
		}
		s.w = w
		if ms == nil {
			ms = sqliteMigrations
		}
		if err := migrateSQLite(ctx, w.conn, ms, latest(ms)); err != nil {
			w.close()
			return nil, err
		}
		w.start()
		s.stmts = newStmtCache(db)
	case Postgres:
		if ms == nil {
			ms = postgresMigrations
		}
		if err := migratePostgres(ctx, db, ms, latest(ms)); err != nil {
			return nil, err
		}
		var mode string
		if err := db.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&mode); err != nil {
			return nil, fmt.Errorf("sqlstore: reading synchronous_commit: %w", err)
		}
		// Only "off" acknowledges a commit before it is durable; the
		// store then turns it back on inside each of its own writes.
		s.syncSet = mode == "off"
		s.stats = newStatsKeeper()
	default:
		return nil, fmt.Errorf("sqlstore: unknown dialect %v", d)
	}
	return s, nil
}

// OpenSQLite opens (creating it if needed) the SQLite database file at path
// through the database/sql driver registered as "sqlite" and returns a
// store on it. The host chooses the driver by importing it, usually
// modernc.org/sqlite (pure Go):
//
//	import _ "modernc.org/sqlite"
//
// so that a host on PostgreSQL links no SQLite at all. Every pooled
// connection gets journal_mode=WAL, synchronous=FULL, foreign_keys=ON and
// a 10 s busy_timeout. A file it creates is readable and writable by its
// owner only (0600). Close closes the database too.
func OpenSQLite(ctx context.Context, path string) (*Store, error) {
	// One writer connection plus readers.
	db, err := openSQLiteDB(path, max(4, 2*runtime.GOMAXPROCS(0))+1)
	if err != nil {
		return nil, err
	}
	s, err := Open(ctx, db, SQLite)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.ownDB = true
	return s, nil
}

// openSQLiteDB opens a pool of at most conns connections (kept idle, so
// that reads do not reopen the file) on the SQLite file at path,
// creating the file readable by its owner only.
func openSQLiteDB(path string, conns int) (*sql.DB, error) {
	if !slices.Contains(sql.Drivers(), "sqlite") {
		return nil, errors.New(`sqlstore: no database/sql driver named "sqlite" is registered; import _ "modernc.org/sqlite" in the program`)
	}
	// A new database file is readable by its owner only: it holds every
	// user's personal data. SQLite gives its -wal and -shm files the same
	// mode.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	db, err := sql.Open("sqlite", SQLiteDSN(path))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	return db, nil
}

// SQLiteDSN returns the modernc.org/sqlite data source name OpenSQLite uses
// for path: a file: URI whose _pragma parameters give every pooled
// connection WAL mode, synchronous=FULL, foreign keys and a busy timeout.
func SQLiteDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{"_pragma": {
		"busy_timeout(10000)",
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"foreign_keys(1)",
	}}
	return "file:" + esc + "?" + q.Encode()
}

// Close stops the SQLite writer (waiting for writes in flight) or a
// PostgreSQL statistics refresh in progress and, for a store from
// OpenSQLite, closes the database. Calls after Close fail.
func (s *Store) Close() error {
	var err error
	if s.w != nil {
		err = s.w.close()
	}
	if s.stmts != nil {
		s.stmts.close()
	}
	if s.stats != nil {
		s.stats.close()
	}
	if s.ownDB {
		err = errors.Join(err, s.db.Close())
	}
	return err
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }
