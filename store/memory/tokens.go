package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scimkit/scim"
)

var _ scim.TokenStore = (*Store)(nil)

// tokens holds a Store's bearer tokens under a lock of their own, apart
// from the tenants' resources: a lookup by digest must not wait behind a
// tenant's writes.
type tokens struct {
	mu       sync.RWMutex
	byDigest map[string]*scim.Token
	byTenant map[string]map[string]*scim.Token // tenant -> id -> token
}

// AddToken implements scim.TokenStore.
func (s *Store) AddToken(_ context.Context, t scim.Token) error {
	ts := &s.tokens
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.byDigest[t.Digest] != nil || ts.byTenant[t.Tenant][t.ID] != nil {
		return scim.ErrConflict
	}
	if ts.byDigest == nil {
		ts.byDigest = make(map[string]*scim.Token)
		ts.byTenant = make(map[string]map[string]*scim.Token)
	}
	ids := ts.byTenant[t.Tenant]
	if ids == nil {
		ids = make(map[string]*scim.Token)
		ts.byTenant[t.Tenant] = ids
	}
	ids[t.ID] = &t
	ts.byDigest[t.Digest] = &t
	return nil
}

// TokenByDigest implements scim.TokenStore.
func (s *Store) TokenByDigest(_ context.Context, digest string) (scim.Token, error) {
	s.tokens.mu.RLock()
	defer s.tokens.mu.RUnlock()
	if t := s.tokens.byDigest[digest]; t != nil {
		return *t, nil
	}
	return scim.Token{}, scim.ErrNotFound
}

// ListTokens implements scim.TokenStore.
func (s *Store) ListTokens(_ context.Context, tenant string) ([]scim.Token, error) {
	s.tokens.mu.RLock()
	ids := s.tokens.byTenant[tenant]
	out := make([]scim.Token, 0, len(ids))
	for _, t := range ids {
		out = append(out, *t)
	}
	s.tokens.mu.RUnlock()
	slices.SortFunc(out, func(a, b scim.Token) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeToken implements scim.TokenStore.
func (s *Store) RevokeToken(_ context.Context, tenant, id string, at time.Time) error {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	t := s.tokens.byTenant[tenant][id]
	if t == nil {
		return scim.ErrNotFound
	}
	if t.Revoked.IsZero() {
		t.Revoked = at
	}
	return nil
}

// TouchToken implements scim.TokenStore.
func (s *Store) TouchToken(_ context.Context, tenant, id string, at time.Time) error {
	s.tokens.mu.Lock()
	defer s.tokens.mu.Unlock()
	if t := s.tokens.byTenant[tenant][id]; t != nil && at.After(t.LastUsed) {
		t.LastUsed = at
	}
	return nil
}

var _ scim.TokenPruner = (*Store)(nil)

// PruneTokens implements scim.TokenPruner.
func (s *Store) PruneTokens(_ context.Context, idPrefix string, before time.Time) (int, error) {
	ts := &s.tokens
	ts.mu.Lock()
	defer ts.mu.Unlock()
	n := 0
	for d, t := range ts.byDigest {
		if strings.HasPrefix(t.ID, idPrefix) && !t.Expires.IsZero() && !t.Expires.After(before) {
			delete(ts.byDigest, d)
			delete(ts.byTenant[t.Tenant], t.ID)
			if len(ts.byTenant[t.Tenant]) == 0 {
				delete(ts.byTenant, t.Tenant)
			}
			n++
		}
	}
	return n, nil
}
