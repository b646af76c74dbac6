package memory

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/oplog"
)

// OperationLog is an in-memory provisioning log: a scim.LogSink for
// scim.Config.OperationLog and a scim.LogReader over what it kept. Each
// tenant keeps its newest records in a ring of MaxRowsPerTenant; records
// older than MaxAge are left out of queries and replaced as new ones
// come. It is safe for concurrent use; LogOperation takes a lock for as
// long as a copy of the record takes, never waiting on I/O. Nothing
// survives a restart.
type OperationLog struct {
	opts    OperationLogOptions
	mu      sync.Mutex
	seq     int64
	tenants map[string]*logRing
}

// OperationLogOptions configures an OperationLog; the zero value is
// usable.
type OperationLogOptions struct {
	// MaxRowsPerTenant is how many records each tenant keeps, its newest.
	// Default 10,000.
	MaxRowsPerTenant int
	// MaxAge, when positive, leaves out records older than it.
	MaxAge time.Duration
	// Now is the clock MaxAge is measured on; nil means time.Now.
	Now func() time.Time
}

var (
	_ scim.LogSink   = (*OperationLog)(nil)
	_ scim.LogReader = (*OperationLog)(nil)
)

// logRing is a tenant's records in insertion order, oldest overwritten.
type logRing struct {
	recs []logEntry
	next int // where the next record goes once recs is full
}

type logEntry struct {
	seq int64
	rec scim.LogRecord
}

// NewOperationLog returns an empty log.
func NewOperationLog(opts OperationLogOptions) *OperationLog {
	if opts.MaxRowsPerTenant <= 0 {
		opts.MaxRowsPerTenant = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &OperationLog{opts: opts, tenants: map[string]*logRing{}}
}

// LogOperation implements scim.LogSink.
func (l *OperationLog) LogOperation(_ context.Context, rec scim.LogRecord) {
	rec.Time = rec.Time.UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.tenants[rec.Tenant]
	if r == nil {
		r = &logRing{}
		l.tenants[rec.Tenant] = r
	}
	l.seq++
	e := logEntry{seq: l.seq, rec: rec}
	if len(r.recs) < l.opts.MaxRowsPerTenant {
		r.recs = append(r.recs, e)
		return
	}
	r.recs[r.next] = e
	r.next = (r.next + 1) % len(r.recs)
}

// QueryLog implements scim.LogReader.
func (l *OperationLog) QueryLog(_ context.Context, q scim.LogQuery) (scim.LogPage, error) {
	after, n, err := oplog.Check(q)
	if err != nil {
		return scim.LogPage{}, err
	}
	var oldest time.Time
	if l.opts.MaxAge > 0 {
		oldest = l.opts.Now().Add(-l.opts.MaxAge)
	}
	l.mu.Lock()
	var hits []logEntry
	if r := l.tenants[q.Tenant]; r != nil {
		for i := range r.recs {
			e := &r.recs[i]
			ns := e.rec.Time.UnixNano()
			if (after == nil || after.Before(ns, e.seq)) && !e.rec.Time.Before(oldest) && oplog.Match(q, &e.rec) {
				hits = append(hits, *e)
			}
		}
	}
	l.mu.Unlock()
	slices.SortFunc(hits, func(a, b logEntry) int {
		if c := b.rec.Time.Compare(a.rec.Time); c != 0 {
			return c
		}
		return cmp.Compare(b.seq, a.seq)
	})
	var page scim.LogPage
	if len(hits) > n {
		hits = hits[:n]
		last := hits[n-1]
		page.Next = oplog.Encode(oplog.Position{TimeNS: last.rec.Time.UnixNano(), Seq: last.seq})
	}
	page.Records = make([]scim.LogRecord, len(hits))
	for i, e := range hits {
		r := e.rec
		r.Changed = slices.Clone(r.Changed)
		r.MembersAdded = slices.Clone(r.MembersAdded)
		r.MembersRemoved = slices.Clone(r.MembersRemoved)
		page.Records[i] = r
	}
	return page, nil
}
