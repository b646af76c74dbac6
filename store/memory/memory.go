// Package memory is an in-memory scim.Store for trials, tests and
// examples. Nothing survives a restart.
//
// Every tenant has its own lock, which makes each operation atomic without
// tenants waiting on each other. Lookups that identity providers send on every
// sync cycle (id, userName, externalId, displayName eq) are answered from
// indexes; other filters scan the tenant in creation order. Group members
// are kept as a set, so adding or removing one member costs the same in a
// group of ten as in a group of a hundred thousand.
//
// Each user is kept packed into a single string of the bytes it really has
// (about 450 for a user with the whole Entra ID attribute mapping) and is
// decoded on every read, so a read returns a copy that shares nothing with
// the store. A tenant of a million such users holds about 700 MB of live
// heap.
package memory

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"hash/maphash"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// Store is an in-memory scim.Store and scim.TokenStore. The zero value is an empty store ready
// to use. It is safe for concurrent use and must not be copied after
// first use.
//
// Beyond the scim.Store contract: List results are in creation order
// unless Query.SortBy orders them (ties then keep creation order);
// ListUsers fills Groups like GetUser; Meta.Version is a decimal counter
// per resource; IDs are lower-case version 4 UUIDs, and a string in any
// other form names no resource; groups may only have users as members (no
// nested groups); member $ref values are not stored (the server derives
// them); times are returned in UTC.
type Store struct {
	mu      sync.RWMutex
	tenants map[string]*space
	tokens  tokens

	// indexed are the extension attributes to index (IndexAttributes).
	indexed []scim.IndexedAttribute

	// matches counts filter evaluations, so tests can tell an index
	// lookup from a scan.
	matches atomic.Int64
}

var _ scim.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{tenants: make(map[string]*space)}
}

// space holds one tenant's resources and indexes under one lock, so a
// change that spans users and groups (deleting a user drops its
// memberships) is atomic.
type space struct {
	mu   sync.RWMutex
	seq  uint64       // creation sequence, shared by users and groups
	seed maphash.Seed // of the key indexes' hashes

	users     map[rid]*userRec
	userOrder order[*userRec]
	userNames keyIndex[*userRec] // FoldUserName(userName): unique
	userExt   keyIndex[*userRec] // filter.Fold(externalId)

	groups     map[rid]*groupRec
	groupOrder order[*groupRec]
	groupNames keyIndex[*groupRec] // filter.Fold(displayName)
	groupExt   keyIndex[*groupRec] // filter.Fold(externalId)

	// userKeys and groupKeys index registered extension attributes.
	userKeys  []*extKey[*userRec]
	groupKeys []*extKey[*groupRec]
}

// userRec is a stored user. The user itself is packed into one string
// (see pack.go); the record keeps beside it only what the indexes and
// the creation order need.
type userRec struct {
	seq  uint64
	ver  uint64
	id   rid
	blob string // packed, without ID, Groups and Meta.Version
	// groups is the reverse membership index, kept in step with every
	// group's member set: the groups the user is a direct member of, in
	// no particular order. A user is in few groups, and a slice costs far
	// less than a set.
	groups []*groupRec
	dead   bool
}

type groupRec struct {
	seq     uint64
	ver     uint64
	id      rid
	g       scim.Group // owned copy; Members is always nil here
	dead    bool
	members memberSet
}

func (r *userRec) isDead() bool   { return r.dead }
func (r *groupRec) isDead() bool  { return r.dead }
func (r *userRec) seqNo() uint64  { return r.seq }
func (r *groupRec) seqNo() uint64 { return r.seq }

// bySeq orders records by creation.
func bySeq[R interface{ seqNo() uint64 }](a, b R) int {
	return cmp.Compare(a.seqNo(), b.seqNo())
}

// tenant returns the named tenant, creating it only when create is set so
// that reads of unknown tenants allocate nothing.
func (s *Store) tenant(name string, create bool) *space {
	s.mu.RLock()
	t := s.tenants[name]
	s.mu.RUnlock()
	if t != nil || !create {
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = make(map[string]*space)
	}
	if t = s.tenants[name]; t == nil {
		t = &space{
			seed:   maphash.MakeSeed(),
			users:  make(map[rid]*userRec),
			groups: make(map[rid]*groupRec),
		}
		t.setKeys(s.indexed)
		s.tenants[name] = t
	}
	return t
}

// rid is a resource id: a random (version 4) UUID, kept as its 16 bytes.
// Its text form, the resource's ID, is made on the way out.
type rid [16]byte

// newID returns an id not yet used in the tenant.
func (t *space) newID() rid {
	for {
		id := newRID()
		if t.users[id] == nil && t.groups[id] == nil {
			return id
		}
	}
}

func newRID() rid {
	var id rid
	_, _ = rand.Read(id[:]) // never fails (crypto/rand documents it)
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id
}

// idLen is the length of an id's text form.
const idLen = 36

// String returns the id in its canonical text form: lower-case hex digits
// in groups of 8, 4, 4, 4 and 12, separated by hyphens.
func (id rid) String() string {
	var s [idLen]byte
	return string(id.appendText(s[:0]))
}

// appendText appends the text form of id to b.
func (id rid) appendText(b []byte) []byte {
	var s [idLen]byte
	hex.Encode(s[0:8], id[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], id[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], id[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], id[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], id[10:])
	return append(b, s[:]...)
}

// parseRID parses the text form String returns, and nothing else: an
// upper-case digit, like any other text, names no resource.
func parseRID(s string) (rid, bool) {
	var id rid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, false
	}
	j := 0
	for i := 0; i < 36; i += 2 {
		if s[i] == '-' {
			i++
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return id, false
		}
		id[j] = hi<<4 | lo
		j++
	}
	return id, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// hash returns the key index hash of the folded key k.
func (t *space) hash(k string) uint64 { return maphash.String(t.seed, k) }

// now returns the time to stamp a write with, never earlier than prev so
// that lastModified does not go backwards if the wall clock does.
func now(prev time.Time) time.Time {
	n := time.Now().UTC()
	if n.Before(prev) {
		return prev
	}
	return n
}

// touch records a change to the group: a new version and lastModified.
func (g *groupRec) touch() {
	g.ver++
	g.g.Meta.Version = version(g.ver)
	g.g.Meta.LastModified = now(g.g.Meta.LastModified)
}

func version(v uint64) string { return strconv.FormatUint(v, 10) }

// checkVersion implements the ifVersion rule shared by every write.
func checkVersion(cur uint64, ifVersion string) error {
	if ifVersion != "" && ifVersion != version(cur) {
		return scim.ErrVersionMismatch
	}
	return nil
}

var errNil = errors.New("memory: nil resource")
