package scim

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// tokenMap is the TokenStore of a Tokens without one: a set in this
// process's memory. Lookups by digest are map reads; the rare tenant-wide
// calls (list, revoke, touch) scan the set.
type tokenMap struct {
	mu       sync.RWMutex
	byDigest map[string]Token
}

func (m *tokenMap) AddToken(_ context.Context, t Token) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.byDigest[t.Digest]; dup {
		return ErrConflict
	}
	if _, ok := m.find(t.Tenant, t.ID); ok {
		return ErrConflict
	}
	if m.byDigest == nil {
		m.byDigest = map[string]Token{}
	}
	m.byDigest[t.Digest] = t
	return nil
}

func (m *tokenMap) TokenByDigest(_ context.Context, digest string) (Token, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t, ok := m.byDigest[digest]
	if !ok {
		return Token{}, ErrNotFound
	}
	return t, nil
}

func (m *tokenMap) ListTokens(_ context.Context, tenant string) ([]Token, error) {
	m.mu.RLock()
	out := []Token{}
	for _, t := range m.byDigest {
		if t.Tenant == tenant {
			out = append(out, t)
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Token) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (m *tokenMap) RevokeToken(_ context.Context, tenant, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.find(tenant, id)
	if !ok {
		return ErrNotFound
	}
	if t.Revoked.IsZero() {
		t.Revoked = at
		m.byDigest[t.Digest] = t
	}
	return nil
}

func (m *tokenMap) TouchToken(_ context.Context, tenant, id string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.find(tenant, id); ok && at.After(t.LastUsed) {
		t.LastUsed = at
		m.byDigest[t.Digest] = t
	}
	return nil
}

// find returns the token of tenant with id; m.mu is held.
func (m *tokenMap) find(tenant, id string) (Token, bool) {
	for _, t := range m.byDigest {
		if t.Tenant == tenant && t.ID == id {
			return t, true
		}
	}
	return Token{}, false
}

func (m *tokenMap) PruneTokens(_ context.Context, idPrefix string, before time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for d, t := range m.byDigest {
		if prunable(t, idPrefix, before) {
			delete(m.byDigest, d)
			n++
		}
	}
	return n, nil
}

// prunable reports whether TokenPruner.PruneTokens deletes t.
func prunable(t Token, idPrefix string, before time.Time) bool {
	return strings.HasPrefix(t.ID, idPrefix) && !t.Expires.IsZero() && !t.Expires.After(before)
}
