package sqlstore

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// The store is a scim.Outbox. Once a Server with Config.Events has told it
// to record, every write inserts its events (scim.CommittedWrite.Events)
// into scim_events in the write's own transaction, after the statement
// that locks or changes the resource's row: one resource's writes take
// turns on that row, so its events get increasing seq numbers in commit
// order. A write reads the one row it replaces or deletes, inside the
// transaction after locking it, for the old values; without recording,
// writes do none of this.
//
// Member events name exactly the members whose membership changed, as
// the SQL reports it: the rows a delete returns, and for adds the
// members found present beforehand by one indexed query; over several
// operations in one PATCH only the net change counts.
//
// A claim leases the first undelivered event of each resource (the head
// of its queue) that nobody holds, with the events right after it: a
// resource's events are only ever out together, to one owner, who
// delivers them in order. On PostgreSQL heads are locked with FOR UPDATE
// SKIP LOCKED, so instances claim side by side and each event goes to
// one. Delivered events are deleted.

// outboxState is the store's recording switch and who to tell.
type outboxState struct {
	on        atomic.Bool
	mu        sync.Mutex
	notifiers atomic.Pointer[[]func()]
}

var _ scim.Outbox = (*Store)(nil)

// RecordEvents implements scim.Outbox: from now on every write records
// its events, and notify is called after each one commits.
func (s *Store) RecordEvents(notify func()) {
	s.outbox.mu.Lock()
	var ns []func()
	if p := s.outbox.notifiers.Load(); p != nil {
		ns = slices.Clone(*p)
	}
	ns = append(ns, notify)
	s.outbox.notifiers.Store(&ns)
	s.outbox.mu.Unlock()
	s.outbox.on.Store(true)
}

// recording reports whether writes record events. A write asks once, so
// that all its attempts agree.
func (s *Store) recording() bool { return s.outbox.on.Load() }

// announce tells the Servers that a write recorded events.
func (s *Store) announce() {
	if p := s.outbox.notifiers.Load(); p != nil {
		for _, n := range *p {
			n()
		}
	}
}

// eventRow is an event as the outbox stores it.
type eventRow struct {
	tenant, resourceType, resourceID string
	event                            string // JSON
}

// encodeEvents returns the events of the writes ws as outbox rows, with
// the request info of ctx.
func encodeEvents(ctx context.Context, ws ...scim.CommittedWrite) ([]eventRow, error) {
	var rows []eventRow
	for _, w := range ws {
		w.Request = scim.RequestInfoFrom(ctx)
		for _, e := range w.Events() {
			raw, err := json.Marshal(e)
			if err != nil {
				return nil, err
			}
			rows = append(rows, eventRow{e.Tenant, e.ResourceType, e.ResourceID, string(raw)})
		}
	}
	return rows, nil
}

// insertEvents inserts rows into the outbox.
func insertEvents(ctx context.Context, t *tx, rows []eventRow) error {
	now := time.Now().UnixNano()
	return insertRows(ctx, t, "scim_events (tenant, resource_type, resource_id, event, created_ns)", len(rows), func(i int) []any {
		r := rows[i]
		return []any{r.tenant, r.resourceType, r.resourceID, r.event, now}
	})
}

// record inserts the events of the writes ws into the outbox, with the
// request info of ctx.
func (s *Store) record(ctx context.Context, t *tx, ws ...scim.CommittedWrite) error {
	rows, err := encodeEvents(ctx, ws...)
	if err != nil {
		return err
	}
	return insertEvents(ctx, t, rows)
}

// memberEvent is the write that only removed user from the group gid,
// now at version.
func memberEvent(tenant, gid string, version int64, user string, at int64) scim.CommittedWrite {
	doc := map[string]any{"id": gid, "meta": map[string]any{"version": strconv.FormatInt(version, 10)}}
	return scim.CommittedWrite{Tenant: tenant, ResourceType: "Group", Old: doc, New: doc, MembersRemoved: []string{user}, Time: nsTime(at)}
}

// memberChanges follows the net change of one write to a group's
// members: whether each member it touched was there before the write,
// and is after it.
type memberChanges struct {
	before, after map[string]bool
}

func newMemberChanges() *memberChanges {
	return &memberChanges{before: map[string]bool{}, after: map[string]bool{}}
}

// set records that id was present (or not) before an operation, and is
// present (or not) after it.
func (m *memberChanges) set(id string, was, is bool) {
	if _, ok := m.before[id]; !ok {
		m.before[id] = was
	}
	m.after[id] = is
}

// cleared records that every member was removed; ids were the members.
func (m *memberChanges) cleared(ids []string) {
	for id := range m.after {
		m.after[id] = false
	}
	for _, id := range ids {
		m.set(id, true, false)
	}
}

// delta returns the members added and removed, net.
func (m *memberChanges) delta() (added, removed []string) {
	for id, was := range m.before {
		switch is := m.after[id]; {
		case is && !was:
			added = append(added, id)
		case was && !is:
			removed = append(removed, id)
		}
	}
	return added, removed
}

// presentMembers returns which of ids are members of the group.
func (s *Store) presentMembers(ctx context.Context, t *tx, tenant, groupID string, ids []string) (map[string]bool, error) {
	rs, err := t.query(ctx, "SELECT user_id FROM scim_group_members WHERE tenant = ? AND group_id = ? AND "+s.d.inList("user_id"),
		tenant, groupID, jsonList(ids))
	if err != nil {
		return nil, err
	}
	return scanIDs(rs)
}

// scanIDs reads a one-column result of ids into a set.
func scanIDs(rs *sql.Rows) (map[string]bool, error) {
	defer rs.Close()
	out := map[string]bool{}
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rs.Err()
}

// ClaimEvents implements scim.Outbox.
func (s *Store) ClaimEvents(ctx context.Context, owner string, max int, lease time.Duration) ([]scim.OutboxEvent, error) {
	if max <= 0 {
		return nil, nil
	}
	var out []scim.OutboxEvent
	err := s.writeLax(ctx, func(ctx context.Context, t *tx) error {
		out = out[:0]
		var rs *sql.Rows
		var err error
		// A head is the first event of its resource still in the outbox
		// (the index scim_events_resource answers that) whose lease, if
		// any, has ended. With each head come the events right after it,
		// up to the first one leased (which never happens: a run of a
		// resource's events is leased, renewed and handed back together),
		// and of all these the first max in commit order.
		const sameResource = `.tenant = h.tenant AND %[1]s.resource_type = h.resource_type AND %[1]s.resource_id = h.resource_id AND %[1]s.seq > h.seq`
		same := func(alias string) string { return alias + fmt.Sprintf(sameResource, alias) }
		const head = `NOT EXISTS (SELECT 1 FROM scim_events p WHERE p.tenant = e.tenant
			AND p.resource_type = e.resource_type AND p.resource_id = e.resource_id AND p.seq < e.seq)`
		if s.d == Postgres {
			rs, err = t.query(ctx, `WITH h AS (
					SELECT e.seq, e.tenant, e.resource_type, e.resource_id FROM scim_events e
					WHERE e.lease_until <= now() AND `+head+`
					ORDER BY e.seq LIMIT ? FOR UPDATE SKIP LOCKED),
				c AS (
					SELECT seq FROM h
					UNION ALL
					SELECT f.seq FROM h CROSS JOIN LATERAL (
						SELECT y.seq FROM scim_events y WHERE `+same("y")+` ORDER BY y.seq LIMIT ?) f
					WHERE NOT EXISTS (SELECT 1 FROM scim_events z WHERE `+same("z")+` AND z.seq <= f.seq AND z.lease_until > now())
					ORDER BY seq LIMIT ?)
				UPDATE scim_events e SET lease_owner = ?, lease_until = now() + CAST(? AS bigint) * interval '1 microsecond',
					attempts = e.attempts + 1
				FROM c WHERE e.seq = c.seq
				RETURNING e.seq, e.attempts, e.event`, max, max-1, max, owner, lease.Microseconds())
		} else {
			now := time.Now().UnixNano()
			rs, err = t.query(ctx, `WITH h AS (
					SELECT e.seq, e.tenant, e.resource_type, e.resource_id FROM scim_events e
					WHERE e.lease_until <= ? AND `+head+`
					ORDER BY e.seq LIMIT ?),
				c AS (
					SELECT seq FROM h
					UNION ALL
					SELECT y.seq FROM h JOIN scim_events y ON `+same("y")+`
					WHERE y.seq IN (SELECT w.seq FROM scim_events w WHERE `+same("w")+` ORDER BY w.seq LIMIT ?)
					AND NOT EXISTS (SELECT 1 FROM scim_events z WHERE `+same("z")+` AND z.seq <= y.seq AND z.lease_until > ?)
					ORDER BY seq LIMIT ?)
				UPDATE scim_events SET lease_owner = ?, lease_until = ?, attempts = attempts + 1
				WHERE seq IN (SELECT seq FROM c)
				RETURNING seq, attempts, event`, now, max, max-1, now, max, owner, now+int64(lease))
		}
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var oe scim.OutboxEvent
			var raw []byte
			if err := rs.Scan(&oe.Seq, &oe.Attempts, &raw); err != nil {
				return err
			}
			d := json.NewDecoder(bytes.NewReader(raw))
			d.UseNumber()
			if err := d.Decode(&oe.Event); err != nil {
				return err
			}
			out = append(out, oe)
		}
		return rs.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b scim.OutboxEvent) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

// leaseEnd is the SQL for the end of a lease of d from now, and its
// argument.
func (s *Store) leaseEnd(d time.Duration) (string, any) {
	if s.d == Postgres {
		return "now() + CAST(? AS bigint) * interval '1 microsecond'", d.Microseconds()
	}
	return "?", time.Now().UnixNano() + int64(d)
}

// ExtendEvents implements scim.Outbox.
func (s *Store) ExtendEvents(ctx context.Context, owner string, seqs []int64, lease time.Duration) error {
	if len(seqs) == 0 {
		return nil
	}
	return s.writeLax(ctx, func(ctx context.Context, t *tx) error {
		end, arg := s.leaseEnd(lease)
		_, err := t.exec(ctx, "UPDATE scim_events SET lease_until = "+end+" WHERE lease_owner = ? AND "+s.d.inInts("seq"),
			arg, owner, jsonList(seqs))
		return err
	})
}

// SettleEvents implements scim.Outbox. Only events still leased to owner
// are touched: one whose lease ended and went to another instance is that
// instance's to settle.
func (s *Store) SettleEvents(ctx context.Context, owner string, delivered []int64, retry []scim.EventRetry) error {
	if len(delivered) == 0 && len(retry) == 0 {
		return nil
	}
	return s.writeLax(ctx, func(ctx context.Context, t *tx) error {
		if len(delivered) > 0 {
			if _, err := t.exec(ctx, "DELETE FROM scim_events WHERE lease_owner = ? AND "+s.d.inInts("seq"),
				owner, jsonList(delivered)); err != nil {
				return err
			}
		}
		for _, r := range retry {
			end, arg := s.leaseEnd(r.After)
			if _, err := t.exec(ctx, "UPDATE scim_events SET lease_owner = NULL, lease_until = "+end+" WHERE seq = ? AND lease_owner = ?",
				arg, r.Seq, owner); err != nil {
				return err
			}
		}
		return nil
	})
}
