// Package memory is an in-memory scim.Store for trials, tests and
// examples. Nothing survives a restart.
//
// Every tenant has its own lock, which makes each operation atomic without
// tenants waiting on each other. Lookups that identity providers send on every
// sync cycle (id, userName, externalId, displayName eq) are answered from
// indexes; other filters scan the tenant in creation order. Group members
// are kept as a set, so adding or removing one member costs the same in a
// group of ten as in a group of a hundred thousand.
package memory

import (
	"cmp"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scimkit/scim"
)

// Store is an in-memory scim.Store. The zero value is an empty store ready
// to use. It is safe for concurrent use and must not be copied after
// first use.
//
// Beyond the scim.Store contract: List results are in creation order;
// ListUsers fills Groups like GetUser; Meta.Version is a decimal counter
// per resource; groups may only have users as members (no nested groups);
// member $ref values are not stored (the server derives them).
type Store struct {
	mu      sync.RWMutex
	tenants map[string]*tenant

	// matches counts filter evaluations, so tests can tell an index
	// lookup from a scan.
	matches atomic.Int64
}

var _ scim.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{tenants: make(map[string]*tenant)}
}

// tenant holds one tenant's resources and indexes under one lock, so a
// change that spans users and groups (deleting a user drops its
// memberships) is atomic.
type tenant struct {
	mu  sync.RWMutex
	seq uint64 // creation sequence, shared by users and groups

	users     map[string]*userRec
	userOrder order[*userRec]
	userNames map[string]*userRec   // FoldUserName(userName): unique
	userExt   map[string][]*userRec // FoldUserName(externalId)

	groups     map[string]*groupRec
	groupOrder order[*groupRec]
	groupNames map[string][]*groupRec // FoldUserName(displayName)
	groupExt   map[string][]*groupRec // FoldUserName(externalId)
}

type userRec struct {
	seq  uint64
	ver  uint64
	u    scim.User // owned copy; Groups is always nil here
	dead bool
	// groups is the reverse membership index, kept in step with every
	// group's member set.
	groups map[*groupRec]struct{}
}

type groupRec struct {
	seq     uint64
	ver     uint64
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
func (s *Store) tenant(name string, create bool) *tenant {
	s.mu.RLock()
	t := s.tenants[name]
	s.mu.RUnlock()
	if t != nil || !create {
		return t
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tenants == nil {
		s.tenants = make(map[string]*tenant)
	}
	if t = s.tenants[name]; t == nil {
		t = &tenant{
			users:      make(map[string]*userRec),
			userNames:  make(map[string]*userRec),
			userExt:    make(map[string][]*userRec),
			groups:     make(map[string]*groupRec),
			groupNames: make(map[string][]*groupRec),
			groupExt:   make(map[string][]*groupRec),
		}
		s.tenants[name] = t
	}
	return t
}

// newID returns a random (version 4) UUID not yet used in the tenant.
func (t *tenant) newID() string {
	for {
		id := uuid()
		if t.users[id] == nil && t.groups[id] == nil {
			return id
		}
	}
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}

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

// addTo and removeFrom maintain the non-unique indexes. A key almost
// always has one record (externalIds are unique in practice), so a slice
// costs far less than a set per key at a million users.
func addTo[R comparable](idx map[string][]R, key string, r R) {
	if !slices.Contains(idx[key], r) {
		idx[key] = append(idx[key], r)
	}
}

func removeFrom[R comparable](idx map[string][]R, key string, r R) {
	list := idx[key]
	if i := slices.Index(list, r); i >= 0 {
		list = slices.Delete(list, i, i+1)
		if len(list) == 0 {
			delete(idx, key)
		} else {
			idx[key] = list
		}
	}
}
