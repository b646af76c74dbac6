package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/oplog"
)

// On SQLite the log's writer keeps a batch as one row of scim_oplog_tail:
// the batch's records packed in a blob (appendLogBlob), unindexed.
// Inserting each record into scim_oplog, its two indexes and the member
// table takes about 22 µs a record (BenchmarkOperationLogWrite), CPU a
// busy server's requests lose on a small machine; the tail about a
// tenth of it. The writer moves the tail into the indexed tables when
// no record has come for IndexAfterIdle, or a chunk at a time while more
// than MaxUnindexed records wait. A query reads the indexed tables and
// the tail in one read transaction and merges them, so a record is found
// once, in either.

// logBlobVersion leads every blob, so a later layout can be told apart.
const logBlobVersion = 1

// appendLogBlob appends recs to b in the tail's layout: the version
// byte, then per record its time and fields, each string as its length
// and bytes and each list as its length and strings.
func appendLogBlob(b []byte, recs []scim.LogRecord) []byte {
	b = append(b, logBlobVersion)
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	list := func(l []string) {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, s := range l {
			str(s)
		}
	}
	for i := range recs {
		r := &recs[i]
		b = binary.AppendVarint(b, r.Time.UnixNano())
		for _, s := range []string{r.Tenant, r.RequestID, r.Client, r.Method, r.Op, r.ResourceType, r.ResourceID, r.Outcome} {
			str(s)
		}
		b = binary.AppendVarint(b, int64(r.Status))
		str(r.SCIMType)
		list(r.Changed)
		list(r.MembersAdded)
		list(r.MembersRemoved)
		b = binary.AppendVarint(b, int64(r.MembersOmitted))
		b = binary.AppendVarint(b, int64(r.Duration))
	}
	return b
}

// errLogBlob is what decodeLogBlob returns for bytes appendLogBlob did
// not write.
var errLogBlob = errors.New("sqlstore: a provisioning log tail row holds a damaged record")

// decodeLogBlob reads the records appendLogBlob wrote. Strings are cut
// from s, not copied: a caller keeping a few of many records clones them
// (cloneLogRecord).
func decodeLogBlob(s string) ([]scim.LogRecord, error) {
	var recs []scim.LogRecord
	err := eachLogRecord(s, func(r *scim.LogRecord) {
		recs = append(recs, keepLists(*r))
	})
	if err != nil {
		return nil, err
	}
	return recs, nil
}

// eachLogRecord calls fn with each record of the blob s, in order. The
// record and its lists are reused by the next call: fn keeps a copy
// with keepLists. Every length is checked against what is left, so
// damaged bytes give errLogBlob, never a panic or an allocation larger
// than s; fn may have seen records before the damage.
func eachLogRecord(s string, fn func(r *scim.LogRecord)) error {
	if len(s) == 0 || s[0] != logBlobVersion {
		return errLogBlob
	}
	d := logBlobDecoder{s: s[1:]}
	var r scim.LogRecord
	var lists [3][]string
	for len(d.s) > 0 {
		r.Time = nsTime(d.varint())
		for _, f := range []*string{&r.Tenant, &r.RequestID, &r.Client, &r.Method, &r.Op, &r.ResourceType, &r.ResourceID, &r.Outcome} {
			*f = d.str()
		}
		r.Status = d.int()
		r.SCIMType = d.str()
		r.Changed = d.list(&lists[0])
		r.MembersAdded = d.list(&lists[1])
		r.MembersRemoved = d.list(&lists[2])
		r.MembersOmitted = d.int()
		r.Duration = time.Duration(d.varint())
		if d.err != nil {
			return d.err
		}
		fn(&r)
	}
	return nil
}

// keepLists returns r with lists of its own.
func keepLists(r scim.LogRecord) scim.LogRecord {
	r.Changed, r.MembersAdded, r.MembersRemoved = slices.Clone(r.Changed), slices.Clone(r.MembersAdded), slices.Clone(r.MembersRemoved)
	return r
}

// logBlobDecoder reads a blob's fields; the first error sticks, and every
// read after it returns a zero value.
type logBlobDecoder struct {
	s   string
	err error
}

// readVarint reads a number with binary.Uvarint or binary.Varint, which
// take bytes: a copy of the at most 10 a varint has.
func readVarint[T int64 | uint64](d *logBlobDecoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	var buf [binary.MaxVarintLen64]byte
	v, k := read(buf[:copy(buf[:], d.s)])
	if k <= 0 {
		d.err = errLogBlob
		return 0
	}
	d.s = d.s[k:]
	return v
}

func (d *logBlobDecoder) uvarint() uint64 { return readVarint(d, binary.Uvarint) }
func (d *logBlobDecoder) varint() int64   { return readVarint(d, binary.Varint) }

func (d *logBlobDecoder) int() int {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.err = errLogBlob
		return 0
	}
	return int(v)
}

func (d *logBlobDecoder) str() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.s)) {
		d.err = errLogBlob
		return ""
	}
	v := d.s[:n]
	d.s = d.s[n:]
	return v
}

// list reads a list into *buf, reusing its array; an empty one is nil,
// as a NULL column reads.
func (d *logBlobDecoder) list(buf *[]string) []string {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	// Each string takes at least its length byte.
	if n > uint64(len(d.s)) {
		d.err = errLogBlob
		return nil
	}
	l := (*buf)[:0]
	for range n {
		l = append(l, d.str())
	}
	*buf = l
	if d.err != nil {
		return nil
	}
	return l
}

// cloneLogRecord copies r's strings out of the blob they were cut from.
func cloneLogRecord(r *scim.LogRecord) {
	for _, f := range []*string{&r.Tenant, &r.RequestID, &r.Client, &r.Method, &r.Op, &r.ResourceType, &r.ResourceID, &r.Outcome, &r.SCIMType} {
		*f = strings.Clone(*f)
	}
	for _, l := range [][]string{r.Changed, r.MembersAdded, r.MembersRemoved} {
		for i := range l {
			l[i] = strings.Clone(l[i])
		}
	}
}

// The tail's statements. The next seq follows both the indexed records
// (sqlite_sequence, which AUTOINCREMENT keeps at the highest seq ever
// given) and the tail's last row.
const (
	sqliteTailSeq = `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'scim_oplog'), 0),
		coalesce((SELECT first_seq + n - 1 FROM scim_oplog_tail ORDER BY first_seq DESC LIMIT 1), 0))`
	sqliteTailInsert = `INSERT INTO scim_oplog_tail (first_seq, n, min_ns, max_ns, recs) VALUES (?, ?, ?, ?, ?)`
	sqliteTailCount  = `SELECT coalesce(sum(n), 0) FROM scim_oplog_tail`
)

// appendTail writes batch, packed in blob, as one row of the tail.
func appendTail(ctx context.Context, t *tx, st *logStmts, batch []scim.LogRecord, blob []byte) error {
	var last int64
	if err := st.seq.QueryRowContext(ctx).Scan(&last); err != nil {
		return err
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for i := range batch {
		ns := batch[i].Time.UnixNano()
		lo, hi = min(lo, ns), max(hi, ns)
	}
	_, err := st.tail.ExecContext(ctx, last+1, len(batch), lo, hi, blob)
	return err
}

// indexTail moves the oldest rows of the tail, at least BatchSize
// records unless fewer wait, into the indexed tables in one transaction,
// and returns how many records wait after it.
func (l *OperationLog) indexTail(ctx context.Context) (int64, error) {
	var left int64
	err := l.inTx(ctx, func(t *tx) error {
		rows, err := t.query(ctx, `SELECT first_seq, n, recs FROM scim_oplog_tail ORDER BY first_seq`)
		if err != nil {
			return err
		}
		var batch []scim.LogRecord
		var seqs []int64
		var lastRow int64
		for len(batch) < l.opts.BatchSize && rows.Next() {
			first, recs, err := scanTailRow(rows)
			if err != nil {
				rows.Close()
				return err
			}
			for i := range recs {
				seqs = append(seqs, first+int64(i))
			}
			batch = append(batch, recs...)
			lastRow = first
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := insertLogRecords(ctx, t, l.stmts, batch, seqs); err != nil {
				return err
			}
			if _, err := t.exec(ctx, `DELETE FROM scim_oplog_tail WHERE first_seq <= ?`, lastRow); err != nil {
				return err
			}
		}
		return t.queryRow(ctx, sqliteTailCount).Scan(&left)
	})
	if err != nil {
		return 0, err
	}
	l.unindexed.Store(left)
	return left, nil
}

// countTail reads how many records the tail holds.
func (l *OperationLog) countTail(ctx context.Context) error {
	var n int64
	if err := l.db.QueryRowContext(ctx, sqliteTailCount).Scan(&n); err != nil {
		return err
	}
	l.unindexed.Store(n)
	return nil
}

// tailMatches returns the newest n+1 records of q's tenant in the tail
// that q selects, after the position after (nil: from the newest), each
// with its seq. It lists the tail's rows newest first without their
// records, and reads a row's records only when its newest could be
// among those n+1: a first page reads about one batch.
func tailMatches(ctx context.Context, t *tx, q scim.LogQuery, after *oplog.Position, n int) ([]seqRecord, error) {
	query := `SELECT first_seq, n, max_ns FROM scim_oplog_tail WHERE 1 = 1`
	var args []any
	if !q.Since.IsZero() {
		query += ` AND max_ns >= ?`
		args = append(args, q.Since.UnixNano())
	}
	if !q.Until.IsZero() {
		query += ` AND min_ns < ?`
		args = append(args, q.Until.UnixNano())
	}
	if after != nil {
		query += ` AND min_ns <= ?`
		args = append(args, after.TimeNS)
	}
	type tailRow struct{ first, n, maxNS int64 }
	var list []tailRow
	rows, err := t.query(ctx, query+` ORDER BY first_seq DESC`, args...)
	err = eachRow(rows, err, func() error {
		var r tailRow
		err := rows.Scan(&r.first, &r.n, &r.maxNS)
		list = append(list, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	var top []seqRecord // sorted newest first, at most n+1, after each row
	for _, row := range list {
		// Every record of a row whose newest is older than the n+1th kept
		// comes after it.
		if len(top) > n && row.maxNS < top[n].rec.Time.UnixNano() {
			continue
		}
		var blob []byte
		if err := t.queryRow(ctx, `SELECT recs FROM scim_oplog_tail WHERE first_seq = ?`, row.first).Scan(&blob); err != nil {
			return nil, err
		}
		s := string(blob)
		var i int64
		err := eachLogRecord(s, func(r *scim.LogRecord) {
			seq := row.first + i
			i++
			if r.Tenant == q.Tenant && oplog.Match(q, r) && (after == nil || after.Before(r.Time.UnixNano(), seq)) {
				top = append(top, seqRecord{rec: keepLists(*r), seq: seq, cut: true})
			}
		})
		if err == nil && i != row.n {
			err = errLogBlob
		}
		if err != nil {
			return nil, fmt.Errorf("%w (tail row %d)", err, row.first)
		}
		slices.SortFunc(top, newestFirst)
		top = top[:min(len(top), n+1)]
	}
	return top, nil
}

// scanTailRow reads a row of first_seq, n and recs: the batch's first
// seq and its records.
func scanTailRow(rows *sql.Rows) (int64, []scim.LogRecord, error) {
	var first, n int64
	var blob []byte
	if err := rows.Scan(&first, &n, &blob); err != nil {
		return 0, nil, err
	}
	recs, err := decodeLogBlob(string(blob))
	if err == nil && int64(len(recs)) != n {
		err = errLogBlob
	}
	if err != nil {
		return 0, nil, fmt.Errorf("%w (tail row %d)", err, first)
	}
	return first, recs, nil
}

// seqRecord is a record and its seq, the second key of the log's order.
type seqRecord struct {
	rec scim.LogRecord
	seq int64
	cut bool // rec's strings are cut from a tail blob
}

// newestFirst orders records as the log does: time descending, then seq
// descending.
func newestFirst(a, b seqRecord) int {
	if c := b.rec.Time.Compare(a.rec.Time); c != 0 {
		return c
	}
	return int(min(max(b.seq-a.seq, -1), 1))
}

// mergePage returns the page of n records from the indexed records and
// the tail's, each newest first and at most n+1 of the indexed.
func mergePage(indexed, tail []seqRecord, n int) scim.LogPage {
	all := append(indexed, tail...)
	slices.SortFunc(all, newestFirst)
	var page scim.LogPage
	if len(all) > n {
		last := all[n-1]
		page.Next = oplog.Encode(oplog.Position{TimeNS: last.rec.Time.UnixNano(), Seq: last.seq})
		all = all[:n]
	}
	page.Records = make([]scim.LogRecord, len(all))
	for i := range all {
		page.Records[i] = all[i].rec
		if all[i].cut {
			cloneLogRecord(&page.Records[i])
		}
	}
	return page
}

// queryTx runs fn in one read transaction, so that the indexed tables
// and the tail are read at one moment: a record the writer moves between
// the two reads is found once.
func (l *OperationLog) queryTx(ctx context.Context, fn func(t *tx) error) error {
	stx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer stx.Rollback()
	return fn(&tx{q: stx, d: l.d})
}
