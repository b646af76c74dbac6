// Package oplog holds what the provisioning log stores of store/memory
// and store/sqlstore share: the page cursor and the matching of a
// scim.LogQuery.
package oplog

import (
	"encoding/base64"
	"encoding/binary"
	"slices"

	"github.com/scimkit/scim"
)

// Position is where a page ended: the last record's time and its
// sequence number, the order records are kept in (newest first: time
// descending, then seq descending).
type Position struct {
	TimeNS int64
	Seq    int64
}

// cursorVersion leads every cursor, so a later format can be told apart.
const cursorVersion = 1

// maxCursorLen bounds what Decode reads: a cursor is 1 + 2*10 bytes at
// most, in base64.
const maxCursorLen = 64

// Encode returns the opaque cursor of p.
func Encode(p Position) string {
	b := make([]byte, 1, 1+2*binary.MaxVarintLen64)
	b[0] = cursorVersion
	b = binary.AppendVarint(b, p.TimeNS)
	b = binary.AppendVarint(b, p.Seq)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Decode reads a cursor Encode made; any other string is
// scim.ErrLogCursor.
func Decode(s string) (Position, error) {
	if len(s) > maxCursorLen {
		return Position{}, scim.ErrLogCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 3 || b[0] != cursorVersion {
		return Position{}, scim.ErrLogCursor
	}
	b = b[1:]
	t, n := binary.Varint(b)
	if n <= 0 {
		return Position{}, scim.ErrLogCursor
	}
	b = b[n:]
	seq, n := binary.Varint(b)
	p := Position{TimeNS: t, Seq: seq}
	// Only the one encoding of a position: no padding bits, no
	// overlong varints.
	if n <= 0 || n != len(b) || seq < 0 || Encode(p) != s {
		return Position{}, scim.ErrLogCursor
	}
	return p, nil
}

// Before reports whether a record at (timeNS, seq) comes after p in
// newest-first order.
func (p Position) Before(timeNS, seq int64) bool {
	return timeNS < p.TimeNS || timeNS == p.TimeNS && seq < p.Seq
}

// Check validates q and returns its cursor's position (nil for none)
// and page size.
func Check(q scim.LogQuery) (*Position, int, error) {
	if q.Tenant == "" {
		return nil, 0, scim.ErrLogTenant
	}
	n := q.PageSize()
	if q.Cursor == "" {
		return nil, n, nil
	}
	p, err := Decode(q.Cursor)
	if err != nil {
		return nil, 0, err
	}
	return &p, n, nil
}

// MemberBranch reports whether q's ResourceID also matches the records
// whose MembersAdded or MembersRemoved hold it.
func MemberBranch(q scim.LogQuery) bool {
	return q.ResourceID != "" && (q.ResourceType == "" || q.ResourceType == "User")
}

// Match reports whether rec meets q's conditions other than its tenant
// and cursor.
func Match(q scim.LogQuery, rec *scim.LogRecord) bool {
	switch {
	case q.Op != "" && rec.Op != q.Op,
		q.Outcome != "" && rec.Outcome != q.Outcome,
		!q.Since.IsZero() && rec.Time.Before(q.Since),
		!q.Until.IsZero() && !rec.Time.Before(q.Until):
		return false
	case q.ResourceID == "":
		return q.ResourceType == "" || rec.ResourceType == q.ResourceType
	case rec.ResourceID == q.ResourceID && (q.ResourceType == "" || rec.ResourceType == q.ResourceType):
		return true
	}
	return MemberBranch(q) && (slices.Contains(rec.MembersAdded, q.ResourceID) || slices.Contains(rec.MembersRemoved, q.ResourceID))
}
