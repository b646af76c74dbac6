package scim

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"strings"
	"unicode/utf8"
)

// RequestInfo identifies the request behind a change. The Server puts it
// in every request's context, where stores and handlers read it with
// RequestInfoFrom, and events carry it.
type RequestInfo struct {
	// ID is the request's X-Request-Id header when the client sent a
	// usable one (1 to 128 ASCII letters, digits, '-', '_', '.' or ':'),
	// else a new random one. The response echoes it in X-Request-Id and
	// the request's log line carries it.
	ID string
	// UserAgent is the client's User-Agent header, which names the
	// identity provider, cut to 256 bytes of valid UTF-8.
	UserAgent string
}

// Bounds on what a client may put in the request info.
const (
	maxRequestIDLen = 128
	maxUserAgentLen = 256
)

type requestInfoKey struct{}

// WithRequestInfo returns ctx carrying ri, for calls made outside a
// Server's requests (a backfill, a test) that should be told apart.
func WithRequestInfo(ctx context.Context, ri RequestInfo) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, ri)
}

// RequestInfoFrom returns the request info in ctx, or a zero one.
func RequestInfoFrom(ctx context.Context) RequestInfo {
	ri, _ := ctx.Value(requestInfoKey{}).(RequestInfo)
	return ri
}

// requestInfo derives the request info of r from its headers.
func requestInfo(r *http.Request) RequestInfo {
	id := r.Header.Get("X-Request-Id")
	if !saneRequestID(id) {
		id = newRequestID()
	}
	return RequestInfo{ID: id, UserAgent: boundedUTF8(r.Header.Get("User-Agent"), maxUserAgentLen)}
}

// newRequestID returns a new random request id, 32 hex digits. They come
// from math/rand/v2, the runtime's ChaCha8 generator seeded by the
// system, with no system call per request: an id must be unique, and
// guards nothing.
func newRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// saneRequestID reports whether a client's request id can be logged and
// echoed as it is. The charset covers UUIDs, Okta's and Entra's ids and
// trace ids, and leaves out quotes, '=', '<', '%' and the like, so an id
// can neither forge a log field nor carry markup into a log viewer.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}

// boundedUTF8 returns s as valid UTF-8 cut to at most n bytes on a
// character boundary.
func boundedUTF8(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
