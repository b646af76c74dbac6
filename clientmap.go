package scim

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"time"
)

// clientMap is the ClientStore of a Clients without one: clients in this
// process's memory, each kept as its own copy so that callers never share
// a Secrets slice with it.
type clientMap struct {
	mu   sync.RWMutex
	byID map[string]*Client
}

func (m *clientMap) AddClient(_ context.Context, c Client) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byID[c.ID] != nil {
		return ErrConflict
	}
	for i, s := range c.Secrets {
		if slices.ContainsFunc(c.Secrets[:i], func(o ClientSecret) bool { return o.ID == s.ID }) {
			return ErrConflict
		}
	}
	if m.byID == nil {
		m.byID = map[string]*Client{}
	}
	c.Secrets = slices.Clone(c.Secrets)
	sortSecrets(c.Secrets)
	m.byID[c.ID] = &c
	return nil
}

func (m *clientMap) ClientByID(_ context.Context, id string) (Client, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c := m.byID[id]
	if c == nil {
		return Client{}, ErrNotFound
	}
	return cloneClient(c), nil
}

func (m *clientMap) ListClients(_ context.Context, tenant string) ([]Client, error) {
	m.mu.RLock()
	out := []Client{}
	for _, c := range m.byID {
		if c.Tenant == tenant {
			out = append(out, cloneClient(c))
		}
	}
	m.mu.RUnlock()
	slices.SortFunc(out, func(a, b Client) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

func (m *clientMap) AddClientSecret(_ context.Context, tenant, clientID string, s ClientSecret) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.byID[clientID]
	if c == nil || c.Tenant != tenant {
		return ErrNotFound
	}
	if slices.ContainsFunc(c.Secrets, func(o ClientSecret) bool { return o.ID == s.ID }) {
		return ErrConflict
	}
	c.Secrets = append(c.Secrets, s)
	sortSecrets(c.Secrets)
	return nil
}

func (m *clientMap) RevokeClientSecret(_ context.Context, tenant, clientID, secretID string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.byID[clientID]
	if c == nil || c.Tenant != tenant {
		return ErrNotFound
	}
	i := slices.IndexFunc(c.Secrets, func(s ClientSecret) bool { return s.ID == secretID })
	if i < 0 {
		return ErrNotFound
	}
	if c.Secrets[i].Revoked.IsZero() {
		c.Secrets[i].Revoked = at
	}
	return nil
}

func cloneClient(c *Client) Client {
	out := *c
	out.Secrets = slices.Clone(c.Secrets)
	return out
}

// sortSecrets puts secrets in the order ClientStore promises.
func sortSecrets(ss []ClientSecret) {
	slices.SortFunc(ss, func(a, b ClientSecret) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
}
