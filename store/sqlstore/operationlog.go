package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/oplog"
)

// OperationLog is the provisioning log in a SQL database: a scim.LogSink
// for scim.Config.OperationLog and a scim.LogReader over the
// scim_oplog table it keeps.
//
// LogOperation never waits on the database: it puts the record in a
// bounded buffer and returns. A background goroutine writes what the
// buffer holds in batches of up to BatchSize gathered for up to
// FlushEvery, each in one transaction. When the buffer is
// full (the database is slower than the requests, or unreachable) the
// record is dropped and counted (OperationLogStats.Dropped), so that the
// log can never slow provisioning down; a batch the database refuses is
// logged and counted (Failed). Records still buffered when the process
// ends without Close are lost, and the log's transactions do not wait
// for their commit to be durable (synchronous_commit off on PostgreSQL,
// synchronous=NORMAL on SQLite), so a crash may lose the last moments
// of the log but never the resources.
//
// On SQLite a batch is first kept unindexed, packed in one row of the
// scim_oplog_tail table: writing it costs little CPU, so a busy server's
// requests lose next to none to the log. The records move into the
// indexed scim_oplog tables when no record has come for IndexAfterIdle,
// or a chunk at a time while more than MaxUnindexed wait; a query reads
// both in one read transaction, so a record is found in either, once.
// PostgreSQL's writes run in its own processes, and records go straight
// into the indexed tables.
//
// Retention: in the background, every PruneEvery, records older than
// MaxAge and each tenant's records beyond its newest MaxRowsPerTenant
// are deleted, at most PruneBatch rows per statement and 10 statements
// per kind per prune, so that a prune holds no lock for long. On SQLite
// a prune first indexes the tail, and the background one waits for a
// moment without records (IndexAfterIdle), or one more PruneEvery.
//
// It is safe for concurrent use.
type OperationLog struct {
	db    *sql.DB
	ownDB bool // from OpenSQLiteOperationLog: Close closes db
	d     Dialect
	opts  OperationLogOptions
	log   *slog.Logger

	// The buffer: records wait in pending, under mu, for the writer.
	// A request only wakes the writer when it gives a batch its first
	// record (wake) or fills it (full): a wakeup per record costs more
	// CPU than the record on a machine with a CPU to spare.
	mu      sync.Mutex
	closed  bool
	pending []scim.LogRecord
	wake    chan struct{} // 1 slot: pending had none and has one
	full    chan struct{} // 1 slot: pending holds BatchSize
	closing chan struct{} // closed by Close
	done    chan struct{}

	// writeMu makes the background writer and a direct Prune take
	// turns; it guards conn, the SQLite connection writes use (nil until
	// needed).
	writeMu sync.Mutex
	conn    *sql.Conn
	stmts   *logStmts // on conn
	blob    []byte    // the last batch's tail row, reused

	queued, written, dropped, failed, pruned atomic.Int64
	unindexed                                atomic.Int64 // records in SQLite's tail

	tenantsMu sync.Mutex
	tenants   map[string]bool // written to since the last prune
}

// OperationLogOptions configures an OperationLog; the zero value is
// usable.
type OperationLogOptions struct {
	// MaxAge, when positive, is how long records are kept.
	MaxAge time.Duration
	// MaxRowsPerTenant, when positive, is how many records each tenant
	// keeps, its newest.
	MaxRowsPerTenant int
	// Buffer is how many records may wait to be written. Default 8192.
	Buffer int
	// BatchSize is the most records one transaction writes. Default 2048.
	BatchSize int
	// FlushEvery is how long the first record of a batch waits for
	// others: fewer, larger transactions, which on SQLite take the write
	// lock from the store's writes less often, and touch each index page
	// once for many records. Default 500 ms.
	FlushEvery time.Duration
	// IndexAfterIdle is how long SQLite's log waits with no record coming
	// before it moves its unindexed tail into the indexed tables.
	// Default 2 s. PostgreSQL's indexes every record as it is written.
	IndexAfterIdle time.Duration
	// MaxUnindexed is how many records SQLite's tail may hold while
	// records keep coming: beyond it, the writer moves a chunk of
	// BatchSize records into the indexed tables after each batch. It
	// bounds what a query reads unindexed. Default 65,536; 1 indexes
	// every batch as soon as it is written.
	MaxUnindexed int
	// PruneEvery is how often retention runs. Default 1 minute.
	PruneEvery time.Duration
	// PruneBatch is the most rows one retention statement deletes.
	// Default 1000.
	PruneBatch int
	// Logger receives write and prune failures. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Now is the clock MaxAge is measured on; nil means time.Now.
	Now func() time.Time
}

// OperationLogStats counts what an OperationLog did with the records it
// was given.
type OperationLogStats struct {
	Written int64 // records committed
	Dropped int64 // records dropped because the buffer was full, or after Close
	Failed  int64 // records in batches the database refused
	Pruned  int64 // records deleted by retention
	// Unindexed is how many records SQLite's tail holds now, written
	// and not yet in the indexed tables (always 0 on PostgreSQL).
	Unindexed int64
}

var (
	_ scim.LogSink   = (*OperationLog)(nil)
	_ scim.LogReader = (*OperationLog)(nil)
)

// maxPruneSteps bounds the statements of each kind one prune runs.
const maxPruneSteps = 10

// OpenOperationLog creates the scim_oplog tables in db if needed (the
// store's migration 8, and 10 on SQLite, applied alone, so db needs no
// other scim_ table) and starts the background writer. db may be a
// Store's (Store.DB) or any other; on SQLite the writer keeps one
// connection of its pool until
// Close (with synchronous=NORMAL, its statement journal in memory and a
// page cache of up to 32 MiB, set on that connection only), so the
// pool must allow one more than its other users need (OpenSQLite's
// does). SQLite has one writer per database: sharing the store's file,
// the log's batches take turns with the store's writes for its lock and
// slow them down, so on SQLite use OpenSQLiteOperationLog, a file of the
// log's own, instead. Call Close to write what is buffered and stop.
func OpenOperationLog(ctx context.Context, db *sql.DB, d Dialect, opts OperationLogOptions) (*OperationLog, error) {
	if db == nil {
		return nil, errors.New("sqlstore: nil *sql.DB")
	}
	if opts.Buffer <= 0 {
		opts.Buffer = 8192
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 2048
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 500 * time.Millisecond
	}
	if opts.IndexAfterIdle <= 0 {
		opts.IndexAfterIdle = 2 * time.Second
	}
	if opts.MaxUnindexed <= 0 {
		opts.MaxUnindexed = 65536
	}
	if opts.PruneEvery <= 0 {
		opts.PruneEvery = time.Minute
	}
	if opts.PruneBatch <= 0 {
		opts.PruneBatch = 1000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := &OperationLog{db: db, d: d, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), full: make(chan struct{}, 1),
		closing: make(chan struct{}), done: make(chan struct{}), tenants: map[string]bool{}}
	if l.log == nil {
		l.log = slog.Default()
	}
	switch d {
	case SQLite:
		conn, err := openConn(ctx, db)
		if err != nil {
			return nil, err
		}
		if _, err = conn.ExecContext(ctx, "PRAGMA busy_timeout = 10000"); err == nil {
			err = migrateSQLite(ctx, conn, []migration{sqliteOperationLog, sqliteOperationLogTail}, latest(sqliteMigrations))
		}
		conn.Close()
		if err != nil {
			return nil, err
		}
		if _, err := l.writeConn(ctx); err != nil {
			return nil, err
		}
		if err := l.countTail(ctx); err != nil {
			l.closeConn()
			return nil, err
		}
	case Postgres:
		if err := migratePostgres(ctx, db, []migration{postgresOperationLog}, latest(postgresMigrations)); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("sqlstore: unknown dialect %v", d)
	}
	go l.run()
	return l, nil
}

// OpenSQLiteOperationLog opens (creating it if needed, readable and
// writable by its owner only) the SQLite file at path as a database of
// the provisioning log's own and an OperationLog in it, as
// OpenOperationLog does. It is how a SQLite store keeps a log: a file
// beside the store's, such as "scim.db-oplog.db", whose write lock the
// log's batches take without ever holding up the store's writes. The
// file is opened as OpenSQLite opens a store's (WAL, a 10 s
// busy_timeout; the log's writes with synchronous=NORMAL); Close closes
// it too.
func OpenSQLiteOperationLog(ctx context.Context, path string, opts OperationLogOptions) (*OperationLog, error) {
	// The writer's connection and two for queries and retention's reads.
	db, err := openSQLiteDB(path, 3)
	if err != nil {
		return nil, err
	}
	l, err := OpenOperationLog(ctx, db, SQLite, opts)
	if err != nil {
		db.Close()
		return nil, err
	}
	l.ownDB = true
	return l, nil
}

// LogOperation implements scim.LogSink: it buffers rec and returns at
// once; a full buffer drops it.
func (l *OperationLog) LogOperation(_ context.Context, rec scim.LogRecord) {
	l.mu.Lock()
	if l.closed || len(l.pending) >= l.opts.Buffer {
		l.mu.Unlock()
		l.dropped.Add(1)
		return
	}
	l.pending = append(l.pending, rec)
	n := len(l.pending)
	l.queued.Add(1)
	l.mu.Unlock()
	switch n {
	case 1:
		signal(l.wake)
	case l.opts.BatchSize:
		signal(l.full)
	}
}

// signal fills c's one slot unless it is full.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// take returns the pending records, leaving spare, emptied, to take the
// next ones: the two slices take turns.
func (l *OperationLog) take(spare []scim.LogRecord) []scim.LogRecord {
	clear(spare)
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.pending
	l.pending = spare[:0]
	select { // a batch the timer ended before it filled
	case <-l.full:
	default:
	}
	return out
}

// writeAll writes recs in batches of up to BatchSize.
func (l *OperationLog) writeAll(recs []scim.LogRecord) {
	for len(recs) > 0 {
		n := min(len(recs), l.opts.BatchSize)
		l.write(recs[:n])
		recs = recs[n:]
	}
}

// waiting reports whether records wait for the writer.
func (l *OperationLog) waiting() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending) > 0
}

// Stats returns the counters of what the log did so far.
func (l *OperationLog) Stats() OperationLogStats {
	return OperationLogStats{Written: l.written.Load(), Dropped: l.dropped.Load(), Failed: l.failed.Load(), Pruned: l.pruned.Load(),
		Unindexed: l.unindexed.Load()}
}

// Flush writes every record buffered before the call without waiting
// for its batch to fill, and returns once they are written (or
// refused), or ctx ends.
func (l *OperationLog) Flush(ctx context.Context) error {
	target := l.queued.Load()
	signal(l.full)
	for l.written.Load()+l.failed.Load() < target {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-l.done:
			return nil
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}

// Close writes the buffered records and stops the background writer.
// Records given after Close are dropped. The database stays open,
// unless it is OpenSQLiteOperationLog's.
func (l *OperationLog) Close() error {
	l.mu.Lock()
	first := !l.closed
	if first {
		l.closed = true
		close(l.closing)
	}
	l.mu.Unlock()
	<-l.done
	if first && l.ownDB {
		return l.db.Close()
	}
	return nil
}

// run writes batches as records come, each gathered for up to
// FlushEvery, indexes SQLite's tail when idle or too long, and prunes
// every PruneEvery.
func (l *OperationLog) run() {
	defer close(l.done)
	defer func() {
		l.writeMu.Lock()
		l.closeConn()
		l.writeMu.Unlock()
	}()
	tick := time.NewTicker(l.opts.PruneEvery)
	defer tick.Stop()
	var batch []scim.LogRecord
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	// On SQLite, indexing the tail and retention (which indexes it
	// first) wait for a moment without records; a prune waits at most
	// one more PruneEvery.
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	pruneDue := false
	var lastRecord time.Time
	armIdle := func() {
		if l.unindexed.Load() > 0 || pruneDue {
			idle.Reset(l.opts.IndexAfterIdle)
		}
	}
	prune := func() {
		pruneDue = false
		if _, err := l.Prune(context.Background()); err != nil {
			l.log.Error("sqlstore: pruning the provisioning log failed", "err", err)
		}
	}
	armIdle()
	for {
		select {
		case <-l.wake:
			idle.Stop()
			lastRecord = time.Now()
			linger.Reset(l.opts.FlushEvery)
			select {
			case <-linger.C:
			case <-l.full:
			case <-l.closing:
			}
			linger.Stop()
			batch = l.take(batch)
			l.writeAll(batch)
			// Past the bound, a chunk after each batch, and more while
			// no record waits.
			for l.unindexed.Load() >= int64(l.opts.MaxUnindexed) {
				if !l.index() || l.waiting() {
					break
				}
			}
			armIdle()
		case <-l.closing:
			l.writeAll(l.take(batch))
			return
		case <-idle.C:
			for l.unindexed.Load() > 0 && !l.waiting() {
				if !l.index() {
					break
				}
			}
			if pruneDue && !l.waiting() {
				prune()
			}
			armIdle()
		case <-tick.C:
			if l.d == Postgres || pruneDue || time.Since(lastRecord) >= l.opts.IndexAfterIdle {
				prune()
			} else {
				pruneDue = true
				armIdle()
			}
		}
	}
}

// write commits one batch, on SQLite to the tail; a refused batch is
// logged and counted.
func (l *OperationLog) write(batch []scim.LogRecord) {
	ctx := context.Background()
	err := l.inTx(ctx, func(t *tx) error {
		if l.d == SQLite {
			l.blob = appendLogBlob(l.blob[:0], batch)
			return appendTail(ctx, t, l.stmts, batch, l.blob)
		}
		seqs, err := postgresLogSeqs(ctx, t, len(batch))
		if err != nil {
			return err
		}
		return insertLogRecords(ctx, t, nil, batch, seqs)
	})
	if err != nil {
		l.failed.Add(int64(len(batch)))
		l.log.Error("sqlstore: writing the provisioning log failed; records lost", "records", len(batch), "err", err)
		return
	}
	l.tenantsMu.Lock()
	for i := range batch {
		l.tenants[batch[i].Tenant] = true
	}
	l.tenantsMu.Unlock()
	if l.d == SQLite {
		l.unindexed.Add(int64(len(batch)))
	}
	l.written.Add(int64(len(batch)))
}

// index moves a chunk of SQLite's tail into the indexed tables and
// reports whether it could; a failure is logged, and the writer tries
// again when next idle.
func (l *OperationLog) index() bool {
	if _, err := l.indexTail(context.Background()); err != nil {
		l.log.Error("sqlstore: indexing the provisioning log failed; its records stay in the unindexed tail", "err", err)
		return false
	}
	return true
}

// A batch is written with few statements whatever its size. On
// PostgreSQL: the batch's seqs from the identity's sequence, then every
// record and every member row with one INSERT each, from JSON. On
// SQLite the writer holds the database's write lock, so the next seqs
// after the last given are a batch's (sqliteTailSeq), and the tail's
// records move into the indexed tables with multi-row INSERTs of bound
// values, prepared once, since SQLite's JSON functions cost the log's
// writer most of its CPU (each value taken out of json_each is printed
// and parsed again).
var postgresLogSQL = struct{ seqs, records, members string }{
	seqs: `SELECT nextval(pg_get_serial_sequence('scim_oplog', 'seq')) FROM jsonb_array_elements(CAST(? AS jsonb))`,
	records: `INSERT INTO scim_oplog (seq, tenant, time_ns, request_id, client, method, op, resource_type,
			resource_id, outcome, status, scim_type, changed, members_added, members_removed, members_omitted, duration_ns)
		OVERRIDING SYSTEM VALUE
		SELECT CAST(e->>0 AS bigint), e->>1, CAST(e->>2 AS bigint), e->>3, e->>4, e->>5, e->>6, e->>7,
			e->>8, e->>9, CAST(e->>10 AS integer), e->>11, e->>12, e->>13, e->>14, CAST(e->>15 AS integer), CAST(e->>16 AS bigint)
		FROM jsonb_array_elements(CAST(? AS jsonb)) AS e`,
	members: `INSERT INTO scim_oplog_members (tenant, user_id, time_ns, seq)
		SELECT e->>0, e->>1, CAST(e->>2 AS bigint), CAST(e->>3 AS bigint) FROM jsonb_array_elements(CAST(? AS jsonb)) AS e`,
}

const (
	sqliteLogRecords = `INSERT INTO scim_oplog (seq, tenant, time_ns, request_id, client, method, op, resource_type,
		resource_id, outcome, status, scim_type, changed, members_added, members_removed, members_omitted, duration_ns) VALUES `
	sqliteLogMembers = `INSERT INTO scim_oplog_members (tenant, user_id, time_ns, seq) VALUES `
)

// rowsInsertSizes are the row counts of the multi-row INSERTs prepared
// on SQLite: a batch is written with the largest that fit (at most 64
// rows of 17 values, far under SQLite's 32,766 variables).
var rowsInsertSizes = []int{64, 8, 1}

// rowsInsert inserts rows with statements prepared for rowsInsertSizes.
type rowsInsert []*sql.Stmt

// prepareRowsInsert prepares prefix followed by n tuples of cols
// placeholders for each n of rowsInsertSizes.
func prepareRowsInsert(ctx context.Context, conn *sql.Conn, prefix string, cols int) (rowsInsert, error) {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	ri := make(rowsInsert, 0, len(rowsInsertSizes))
	for _, n := range rowsInsertSizes {
		st, err := conn.PrepareContext(ctx, prefix+strings.TrimSuffix(strings.Repeat(tuple+",", n), ","))
		if err != nil {
			ri.close()
			return nil, err
		}
		ri = append(ri, st)
	}
	return ri, nil
}

// exec inserts rows, the largest statements first.
func (ri rowsInsert) exec(ctx context.Context, rows [][]any) error {
	var args []any
	for i, n := range rowsInsertSizes {
		for len(rows) >= n {
			args = args[:0]
			for _, r := range rows[:n] {
				args = append(args, r...)
			}
			if _, err := ri[i].ExecContext(ctx, args...); err != nil {
				return err
			}
			rows = rows[n:]
		}
	}
	return nil
}

func (ri rowsInsert) close() {
	for _, st := range ri {
		st.Close()
	}
}

// logStmts are the SQLite writer's statements, prepared once on its
// connection (the driver parses a statement on every call otherwise);
// nil on PostgreSQL, whose driver keeps its own statement cache.
type logStmts struct {
	seq, tail        *sql.Stmt
	records, members rowsInsert
}

func (s *logStmts) close() {
	if s == nil {
		return
	}
	for _, st := range []*sql.Stmt{s.seq, s.tail} {
		if st != nil {
			st.Close()
		}
	}
	s.records.close()
	s.members.close()
}

// prepareLogStmts prepares the SQLite writer's statements on conn.
func prepareLogStmts(ctx context.Context, conn *sql.Conn) (*logStmts, error) {
	st := &logStmts{}
	var err error
	if st.seq, err = conn.PrepareContext(ctx, sqliteTailSeq); err == nil {
		st.tail, err = conn.PrepareContext(ctx, sqliteTailInsert)
	}
	if err == nil {
		if st.records, err = prepareRowsInsert(ctx, conn, sqliteLogRecords, 17); err == nil {
			st.members, err = prepareRowsInsert(ctx, conn, sqliteLogMembers, 4)
		}
	}
	if err != nil {
		st.close()
		return nil, fmt.Errorf("sqlstore: preparing the provisioning log's statements: %w", err)
	}
	return st, nil
}

// postgresLogSeqs takes n seqs from the log's identity sequence.
func postgresLogSeqs(ctx context.Context, t *tx, n int) ([]int64, error) {
	ord := make([]int, n)
	for i := range ord {
		ord[i] = i + 1
	}
	seqs, err := int64s(t.query(ctx, postgresLogSQL.seqs, jsonList(ord)))
	if err == nil && len(seqs) != n {
		err = fmt.Errorf("sqlstore: %d provisioning log seqs for %d records", len(seqs), n)
	}
	return seqs, err
}

// insertLogRecords writes batch into the indexed tables, record i with
// seqs[i], with st on SQLite.
func insertLogRecords(ctx context.Context, t *tx, st *logStmts, batch []scim.LogRecord, seqs []int64) error {
	recs := make([][]any, len(batch))
	var members [][]any
	for i := range batch {
		r := &batch[i]
		ns := r.Time.UnixNano()
		recs[i] = []any{seqs[i], r.Tenant, ns, r.RequestID, r.Client, r.Method, r.Op, r.ResourceType, r.ResourceID,
			r.Outcome, r.Status, r.SCIMType, nullList(r.Changed), nullList(r.MembersAdded),
			nullList(r.MembersRemoved), r.MembersOmitted, int64(r.Duration)}
		if len(r.MembersAdded)+len(r.MembersRemoved) == 0 {
			continue
		}
		seen := map[string]bool{}
		for _, id := range append(r.MembersAdded[:len(r.MembersAdded):len(r.MembersAdded)], r.MembersRemoved...) {
			if !seen[id] {
				seen[id] = true
				members = append(members, []any{r.Tenant, id, ns, seqs[i]})
			}
		}
	}
	if st != nil {
		if err := st.records.exec(ctx, recs); err != nil {
			return err
		}
		return st.members.exec(ctx, members)
	}
	if _, err := t.exec(ctx, postgresLogSQL.records, jsonList(recs)); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	_, err := t.exec(ctx, postgresLogSQL.members, jsonList(members))
	return err
}

// int64s reads the one integer column of rows, and closes them.
func int64s(rows *sql.Rows, err error) ([]int64, error) {
	var out []int64
	err = eachRow(rows, err, func() error {
		var v int64
		err := rows.Scan(&v)
		out = append(out, v)
		return err
	})
	return out, err
}

// eachRow calls fn for each row of rows (a query's answer and error),
// stopping at fn's first error, and closes them.
func eachRow(rows *sql.Rows, err error, fn func() error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return rows.Err()
}

// nullList is a list as stored: a JSON array, or NULL when empty.
func nullList(l []string) any {
	if len(l) == 0 {
		return nil
	}
	return jsonList(l)
}

// inTx runs fn in one transaction: on SQLite on the writer connection,
// taking the write lock at once; on PostgreSQL without waiting for the
// commit to be durable.
func (l *OperationLog) inTx(ctx context.Context, fn func(t *tx) error) error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	if l.d == Postgres {
		stx, err := l.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer stx.Rollback()
		t := &tx{q: stx, d: Postgres}
		if _, err := t.exec(ctx, "SET LOCAL synchronous_commit TO off"); err != nil {
			return err
		}
		if err := fn(t); err != nil {
			return err
		}
		return stx.Commit()
	}
	conn, err := l.writeConn(ctx)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		l.closeConn()
		return err
	}
	if err := fn(&tx{q: conn, d: SQLite}); err != nil {
		if _, rerr := conn.ExecContext(context.Background(), "ROLLBACK"); rerr != nil {
			l.closeConn()
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		if _, rerr := conn.ExecContext(context.Background(), "ROLLBACK"); rerr != nil {
			l.closeConn()
		}
		return err
	}
	return nil
}

// writeConn returns the SQLite connection the log writes on, opening it
// when there is none.
func (l *OperationLog) writeConn(ctx context.Context) (*sql.Conn, error) {
	if l.conn != nil {
		return l.conn, nil
	}
	conn, err := openConn(ctx, l.db)
	if err != nil {
		return nil, err
	}
	// The resource index takes records at random places, so a batch
	// dirties about a page per record: the multi-row INSERTs' statement
	// journal stays in memory instead of a temporary file, a 32 MiB cache
	// keeps the index's pages from being read back, and checkpoints come
	// every 32 MiB of WAL instead of 4, copying a page rewritten by
	// several batches once (BenchmarkOperationLogWrite: 80 to 55 µs a
	// record with random ids).
	for _, p := range []string{
		"PRAGMA busy_timeout = 10000",
		"PRAGMA synchronous = NORMAL",
		"PRAGMA temp_store = MEMORY",
		"PRAGMA cache_size = -32768",
		"PRAGMA wal_autocheckpoint = 8192",
	} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			return nil, fmt.Errorf("sqlstore: %s: %w", p, err)
		}
	}
	st, err := prepareLogStmts(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	l.conn, l.stmts = conn, st
	return conn, nil
}

func (l *OperationLog) closeConn() {
	l.stmts.close()
	l.stmts = nil
	if l.conn != nil {
		l.conn.Close()
		l.conn = nil
	}
}

// Prune deletes what retention no longer keeps: records older than
// MaxAge and each recently written tenant's records beyond its newest
// MaxRowsPerTenant, in bounded steps. It returns how many it deleted.
// On SQLite it first moves the unindexed tail into the indexed tables,
// so that it counts every record. The background writer calls it every
// PruneEvery (on SQLite at the next moment without records, or one
// PruneEvery later); calling it directly is safe (e.g. from a test, or
// a job of the host's).
func (l *OperationLog) Prune(ctx context.Context) (int, error) {
	for l.d == SQLite {
		left, err := l.indexTail(ctx)
		if err != nil {
			return 0, err
		}
		if left == 0 {
			break
		}
	}
	total := 0
	if l.opts.MaxAge > 0 {
		cutoff := l.opts.Now().Add(-l.opts.MaxAge).UnixNano()
		// The oldest rows by seq, which follows time within the few
		// seconds a request and its batch take: bounded work per step.
		n, err := l.pruneSteps(ctx, `SELECT seq FROM (SELECT seq, time_ns FROM scim_oplog ORDER BY seq LIMIT ?) AS h WHERE time_ns < ?`,
			l.opts.PruneBatch, cutoff)
		total += n
		if err != nil {
			return total, err
		}
	}
	if l.opts.MaxRowsPerTenant > 0 {
		l.tenantsMu.Lock()
		tenants := l.tenants
		l.tenants = map[string]bool{}
		l.tenantsMu.Unlock()
		for tenant := range tenants {
			n, err := l.pruneTenant(ctx, tenant)
			total += n
			if err != nil {
				l.tenantsMu.Lock()
				l.tenants[tenant] = true // try again next time
				l.tenantsMu.Unlock()
				return total, err
			}
		}
	}
	return total, nil
}

// pruneTenant deletes tenant's records beyond its newest
// MaxRowsPerTenant.
func (l *OperationLog) pruneTenant(ctx context.Context, tenant string) (int, error) {
	var ns, seq int64
	err := l.db.QueryRowContext(ctx, l.d.rebind(`SELECT time_ns, seq FROM scim_oplog WHERE tenant = ?
		ORDER BY time_ns DESC, seq DESC LIMIT 1 OFFSET ?`), tenant, l.opts.MaxRowsPerTenant-1).Scan(&ns, &seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return l.pruneSteps(ctx, `SELECT seq FROM scim_oplog WHERE tenant = ? AND time_ns <= ? AND (time_ns < ? OR seq < ?)
		ORDER BY time_ns, seq LIMIT ?`, tenant, ns, ns, seq, l.opts.PruneBatch)
}

// pruneSteps deletes the records whose seqs sel returns (at most
// PruneBatch), and their member rows, one transaction per step, until a
// step finds fewer than PruneBatch or maxPruneSteps ran.
func (l *OperationLog) pruneSteps(ctx context.Context, sel string, args ...any) (int, error) {
	total := 0
	for range maxPruneSteps {
		n := 0
		err := l.inTx(ctx, func(t *tx) error {
			seqs, err := int64s(t.query(ctx, sel, args...))
			if err != nil || len(seqs) == 0 {
				return err
			}
			b := jsonList(seqs)
			if _, err := t.exec(ctx, "DELETE FROM scim_oplog_members WHERE "+t.d.inInts("seq"), b); err != nil {
				return err
			}
			if _, err := t.exec(ctx, "DELETE FROM scim_oplog WHERE "+t.d.inInts("seq"), b); err != nil {
				return err
			}
			n = len(seqs)
			return nil
		})
		total += n
		l.pruned.Add(int64(n))
		if err != nil || n < l.opts.PruneBatch {
			return total, err
		}
	}
	return total, nil
}

// logColumns are the columns a query reads, in logRow's order.
const logColumns = `seq, tenant, time_ns, request_id, client, method, op, resource_type, resource_id, outcome,
	status, scim_type, changed, members_added, members_removed, members_omitted, duration_ns`

// QueryLog implements scim.LogReader: the newest records first, by
// keyset over (time_ns, seq) on an index, so that every page costs the
// same. A query with a ResourceID reads the resource's own records and,
// for a user, the member rows of its group changes, each from its index.
// On SQLite it also reads the unindexed tail (about MaxUnindexed records
// at most, those of batches in q's time range), in the same read
// transaction.
func (l *OperationLog) QueryLog(ctx context.Context, q scim.LogQuery) (scim.LogPage, error) {
	after, n, err := oplog.Check(q)
	if err != nil {
		return scim.LogPage{}, err
	}
	var indexed, tail []seqRecord
	read := func(t *tx) error {
		if indexed, err = indexedMatches(ctx, t, q, after, n); err == nil && l.d == SQLite {
			tail, err = tailMatches(ctx, t, q, after, n)
		}
		return err
	}
	if l.d == SQLite {
		err = l.queryTx(ctx, read)
	} else {
		err = read(&tx{q: l.db, d: l.d})
	}
	if err != nil {
		return scim.LogPage{}, err
	}
	return mergePage(indexed, tail, n), nil
}

// indexedMatches returns the first n+1 records of the indexed tables
// that q selects after the position after, newest first.
func indexedMatches(ctx context.Context, t *tx, q scim.LogQuery, after *oplog.Position, n int) ([]seqRecord, error) {
	query, args := logSelect(q, after, n)
	var out []seqRecord
	rows, err := t.query(ctx, query, args...)
	err = eachRow(rows, err, func() error {
		rec, seq, err := scanLogRecord(rows)
		out = append(out, seqRecord{rec: rec, seq: seq})
		return err
	})
	return out, err
}

// logSelect returns the statement reading q's page of n+1 records after
// the position after (nil: from the newest), and its arguments.
func logSelect(q scim.LogQuery, after *oplog.Position, n int) (query string, args []any) {
	// The conditions on a scim_oplog alias, and their arguments.
	conds := func(alias string, member bool) (string, []any) {
		var b strings.Builder
		var args []any
		add := func(cond string, a ...any) {
			b.WriteString(" AND " + strings.ReplaceAll(cond, "$.", alias+"."))
			args = append(args, a...)
		}
		if !member {
			add("$.tenant = ?", q.Tenant)
			if q.ResourceID != "" {
				add("$.resource_id = ?", q.ResourceID)
			}
			if q.ResourceType != "" {
				add("$.resource_type = ?", q.ResourceType)
			}
		}
		for _, c := range []struct{ col, v string }{{"op", q.Op}, {"outcome", q.Outcome}} {
			if c.v != "" {
				add("$."+c.col+" = ?", c.v)
			}
		}
		if !q.Since.IsZero() {
			add("$.time_ns >= ?", q.Since.UnixNano())
		}
		if !q.Until.IsZero() {
			add("$.time_ns < ?", q.Until.UnixNano())
		}
		if after != nil {
			add("$.time_ns <= ? AND ($.time_ns < ? OR $.seq < ?)", after.TimeNS, after.TimeNS, after.Seq)
		}
		return strings.TrimPrefix(b.String(), " AND "), args
	}
	where, wargs := conds("l", false)
	if !oplog.MemberBranch(q) {
		query = `SELECT ` + logColumns + ` FROM scim_oplog AS l WHERE ` + where + ` ORDER BY l.time_ns DESC, l.seq DESC LIMIT ?`
		args = append(wargs, n+1)
	} else {
		mwhere, margs := conds("l", true)
		mkey := "m.tenant = ? AND m.user_id = ?"
		if after != nil {
			mkey += " AND m.time_ns <= ? AND (m.time_ns < ? OR m.seq < ?)"
			margs = append([]any{q.Tenant, q.ResourceID, after.TimeNS, after.TimeNS, after.Seq}, margs...)
		} else {
			margs = append([]any{q.Tenant, q.ResourceID}, margs...)
		}
		if mwhere != "" {
			mkey += " AND " + mwhere
		}
		query = `SELECT ` + logColumns + ` FROM scim_oplog WHERE seq IN (
				SELECT seq FROM (SELECT l.seq FROM scim_oplog AS l WHERE ` + where + `
					ORDER BY l.time_ns DESC, l.seq DESC LIMIT ?) AS a
				UNION
				SELECT seq FROM (SELECT l.seq FROM scim_oplog_members AS m JOIN scim_oplog AS l ON l.seq = m.seq
					WHERE ` + mkey + ` ORDER BY m.time_ns DESC, m.seq DESC LIMIT ?) AS b)
			ORDER BY time_ns DESC, seq DESC LIMIT ?`
		args = append(append(append(wargs, n+1), margs...), n+1, n+1)
	}
	return query, args
}

// scanLogRecord reads a row of logColumns.
func scanLogRecord(rows *sql.Rows) (scim.LogRecord, int64, error) {
	var rec scim.LogRecord
	var seq, ns, dur int64
	var changed, added, removed sql.NullString
	err := rows.Scan(&seq, &rec.Tenant, &ns, &rec.RequestID, &rec.Client, &rec.Method, &rec.Op, &rec.ResourceType,
		&rec.ResourceID, &rec.Outcome, &rec.Status, &rec.SCIMType, &changed, &added, &removed, &rec.MembersOmitted, &dur)
	if err != nil {
		return rec, 0, err
	}
	rec.Time, rec.Duration = nsTime(ns), time.Duration(dur)
	for _, c := range []struct {
		s  sql.NullString
		to *[]string
	}{{changed, &rec.Changed}, {added, &rec.MembersAdded}, {removed, &rec.MembersRemoved}} {
		if c.s.Valid {
			if err := json.Unmarshal([]byte(c.s.String), c.to); err != nil {
				return rec, 0, fmt.Errorf("sqlstore: a provisioning log row holds a bad list: %w", err)
			}
		}
	}
	return rec, seq, nil
}
