package scim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"net/http"
	"time"
)

// Error types of cursor paging (RFC 9865 section 3.3).
const (
	// InvalidCursor: the cursor is malformed, altered, or made for another
	// tenant, resource type, filter or order.
	InvalidCursor = "invalidCursor"
	// ExpiredCursor: the cursor is older than Config.CursorTimeout.
	ExpiredCursor = "expiredCursor"
)

const (
	defaultCursorTimeout = time.Hour
	cursorVersion        = 1
	cursorMACLen         = 16 // truncated HMAC-SHA256: 128 bits
	cursorBindLen        = 16
	maxCursorLen         = 2048 // far above any cursor this server makes
)

// cursorCodec makes and checks cursors. A cursor is base64url of
// version, issue time, binding (a hash of what it pages), position and a
// MAC over all of them: opaque to clients, and tamper-evident.
type cursorCodec struct {
	key     []byte
	timeout time.Duration
	now     func() time.Time
}

func newCursorCodec(key []byte, timeout time.Duration) (*cursorCodec, error) {
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	} else if len(key) < 16 {
		return nil, errors.New("scim: Config.CursorKey is shorter than 16 bytes; use 32 random bytes")
	}
	if timeout <= 0 {
		timeout = defaultCursorTimeout
	}
	return &cursorCodec{key: key, timeout: timeout, now: time.Now}, nil
}

// cursorBinding is what a cursor pages: a cursor made for one binding is
// invalid for any other.
func cursorBinding(tenant, resourceType, filter, sortBy string, descending bool) [cursorBindLen]byte {
	h := sha256.New()
	for _, s := range []string{tenant, resourceType, filter, sortBy} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	if descending {
		h.Write([]byte{1})
	} else {
		h.Write([]byte{0})
	}
	var b [cursorBindLen]byte
	copy(b[:], h.Sum(nil))
	return b
}

func (c *cursorCodec) mac(b []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(b)
	return m.Sum(nil)[:cursorMACLen]
}

// encode returns the cursor for the page after p.
func (c *cursorCodec) encode(bind [cursorBindLen]byte, p Position) string {
	b := make([]byte, 0, 64)
	b = append(b, cursorVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.now().Unix()))
	b = append(b, bind[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(p.Seq))
	b = p.Key.appendBinary(b)
	b = append(b, c.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decode checks s against bind and returns its position, or the SCIM
// error to answer: 400 invalidCursor, or 400 expiredCursor for a genuine
// cursor past its timeout.
func (c *cursorCodec) decode(s string, bind [cursorBindLen]byte) (Position, error) {
	invalid := &Error{Status: http.StatusBadRequest, ScimType: InvalidCursor,
		Detail: "The cursor is not one this server issued for this query; start again without it (cursor=)."}
	if len(s) > maxCursorLen {
		return Position{}, invalid
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	const head = 1 + 8 + cursorBindLen + 8
	if err != nil || len(b) < head+cursorMACLen || b[0] != cursorVersion {
		return Position{}, invalid
	}
	body, sum := b[:len(b)-cursorMACLen], b[len(b)-cursorMACLen:]
	if !hmac.Equal(sum, c.mac(body)) || !hmac.Equal(body[9:9+cursorBindLen], bind[:]) {
		return Position{}, invalid
	}
	issued := int64(binary.BigEndian.Uint64(body[1:9]))
	var p Position
	p.Seq = int64(binary.BigEndian.Uint64(body[9+cursorBindLen : head]))
	if err := p.Key.unmarshalBinary(body[head:]); err != nil {
		return Position{}, invalid
	}
	if age := c.now().Unix() - issued; age < 0 || age > int64(c.timeout/time.Second) {
		return Position{}, &Error{Status: http.StatusBadRequest, ScimType: ExpiredCursor,
			Detail: "The cursor has expired; start again without it (cursor=)."}
	}
	return p, nil
}

// Value returns the key as a Go value, for a store that compares keys in
// its own engine: nil for a missing value, else a string (the form that
// compares), int64, float64, time.Time or bool.
func (k SortKey) Value() any {
	switch k.kind {
	case sortString:
		return k.s
	case sortInt:
		return k.i
	case sortFloat:
		return k.f
	case sortTime:
		return k.t
	case sortBool:
		return k.b
	}
	return nil
}

// appendBinary appends k in the form unmarshalBinary reads.
func (k SortKey) appendBinary(b []byte) []byte {
	b = append(b, byte(k.kind))
	switch k.kind {
	case sortString:
		b = append(b, k.s...)
	case sortInt:
		b = binary.BigEndian.AppendUint64(b, uint64(k.i))
	case sortFloat:
		b = binary.BigEndian.AppendUint64(b, math.Float64bits(k.f))
	case sortTime:
		b = binary.BigEndian.AppendUint64(b, uint64(k.t.Unix()))
		b = binary.BigEndian.AppendUint32(b, uint32(k.t.Nanosecond()))
	case sortBool:
		b = append(b, byte(b2i(k.b)))
	}
	return b
}

var errSortKey = errors.New("scim: malformed sort key")

// unmarshalBinary reads what appendBinary wrote, and nothing else.
func (k *SortKey) unmarshalBinary(b []byte) error {
	if len(b) == 0 {
		return errSortKey
	}
	*k = SortKey{kind: sortKind(b[0])}
	b = b[1:]
	want := map[sortKind]int{sortMissing: 0, sortInt: 8, sortFloat: 8, sortTime: 12, sortBool: 1}
	if n, ok := want[k.kind]; ok && len(b) != n || !ok && k.kind != sortString {
		return errSortKey
	}
	switch k.kind {
	case sortString:
		if len(b) == 0 {
			return errSortKey // "" is a missing value
		}
		k.s = string(b)
	case sortInt:
		k.i = int64(binary.BigEndian.Uint64(b))
	case sortFloat:
		k.f = math.Float64frombits(binary.BigEndian.Uint64(b))
	case sortTime:
		ns := binary.BigEndian.Uint32(b[8:])
		if ns >= 1e9 {
			return errSortKey
		}
		k.t = time.Unix(int64(binary.BigEndian.Uint64(b)), int64(ns)).UTC()
	case sortBool:
		if b[0] > 1 {
			return errSortKey
		}
		k.b = b[0] == 1
	}
	return nil
}
