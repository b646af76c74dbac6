package memory

import (
	"context"
	"slices"
	"time"

	"github.com/scimkit/scim"
)

// CreateUser implements scim.UserStore.
func (s *Store) CreateUser(ctx context.Context, tenantID string, u *scim.User) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errNil
	}
	t := s.tenant(tenantID, true)
	t.mu.Lock()
	defer t.mu.Unlock()

	key := scim.FoldUserName(u.UserName)
	if t.userNames[key] != nil {
		return nil, scim.ErrConflict
	}
	ts := now(time.Time{})
	t.seq++
	r := &userRec{seq: t.seq, ver: 1}
	cloneUserInto(&r.u, u)
	internUser(&r.u)
	r.u.ID = t.newID()
	r.u.Groups = nil
	r.u.Meta = scim.Meta{Created: ts, LastModified: ts, Version: version(r.ver)}

	t.users[r.u.ID] = r
	t.userOrder.add(r)
	t.userNames[key] = r
	if r.u.ExternalID != "" {
		addTo(t.userExt, scim.FoldUserName(r.u.ExternalID), r)
	}
	return t.userOut(r), nil
}

// GetUser implements scim.UserStore.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.tenant(tenantID, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.users[id]
	if r == nil {
		return nil, scim.ErrNotFound
	}
	return t.userOut(r), nil
}

// ReplaceUser implements scim.UserStore.
func (s *Store) ReplaceUser(ctx context.Context, tenantID string, u *scim.User, ifVersion string) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errNil
	}
	t := s.tenant(tenantID, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.users[u.ID]
	if r == nil {
		return nil, scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return nil, err
	}
	oldKey, newKey := scim.FoldUserName(r.u.UserName), scim.FoldUserName(u.UserName)
	if other := t.userNames[newKey]; other != nil && other != r {
		return nil, scim.ErrConflict
	}

	// Nothing below can fail.
	delete(t.userNames, oldKey)
	t.userNames[newKey] = r
	if r.u.ExternalID != "" {
		removeFrom(t.userExt, scim.FoldUserName(r.u.ExternalID), r)
	}
	id, meta := r.u.ID, r.u.Meta
	cloneUserInto(&r.u, u)
	internUser(&r.u)
	r.u.ID = id
	r.u.Groups = nil
	r.ver++
	r.u.Meta = scim.Meta{Created: meta.Created, LastModified: now(meta.LastModified), Version: version(r.ver)}
	if r.u.ExternalID != "" {
		addTo(t.userExt, scim.FoldUserName(r.u.ExternalID), r)
	}
	return t.userOut(r), nil
}

// DeleteUser implements scim.UserStore. The user's memberships go with it,
// and every group it was in gets a new version.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id, ifVersion string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := s.tenant(tenantID, false)
	if t == nil {
		return scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.users[id]
	if r == nil {
		return scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return err
	}
	for g := range r.groups {
		g.members.remove(g, id)
		g.members.compact()
		g.touch()
	}
	r.groups = nil
	delete(t.users, id)
	delete(t.userNames, scim.FoldUserName(r.u.UserName))
	if r.u.ExternalID != "" {
		removeFrom(t.userExt, scim.FoldUserName(r.u.ExternalID), r)
	}
	r.dead = true
	t.userOrder.removed()
	return nil
}

// ListUsers implements scim.UserStore. Results are in creation order and
// have Groups filled.
func (s *Store) ListUsers(ctx context.Context, tenantID string, q scim.Query) (*scim.Page[scim.User], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start, count := window(q)
	page := &scim.Page[scim.User]{Resources: []*scim.User{}}
	t := s.tenant(tenantID, false)
	if t == nil {
		return page, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()

	needGroups := touches(q.Filter, "groups")
	match := func(r *userRec) bool {
		if q.Filter == nil {
			return true
		}
		s.matches.Add(1)
		u := &r.u
		if needGroups {
			c := r.u // shallow: only read, under the lock
			c.Groups = groupRefs(r)
			u = &c
		}
		return scim.MatchUser(q.Filter, u)
	}
	visit := func(r *userRec) {
		if !match(r) {
			return
		}
		page.TotalResults++
		if page.TotalResults >= start && len(page.Resources) < count {
			page.Resources = append(page.Resources, t.userOut(r))
		}
	}
	if cands, ok := planUsers(t, q.Filter); ok {
		for _, r := range cands {
			visit(r)
		}
	} else {
		t.userOrder.each(visit)
	}
	return page, nil
}

// userOut returns a caller-owned copy of r with Groups filled.
func (t *tenant) userOut(r *userRec) *scim.User {
	u := new(scim.User)
	cloneUserInto(u, &r.u)
	u.Groups = groupRefs(r)
	return u
}

// groupRefs lists r's groups in creation order, or nil.
func groupRefs(r *userRec) []scim.GroupRef {
	if len(r.groups) == 0 {
		return nil
	}
	gs := make([]*groupRec, 0, len(r.groups))
	for g := range r.groups {
		gs = append(gs, g)
	}
	slices.SortFunc(gs, bySeq)
	refs := make([]scim.GroupRef, len(gs))
	for i, g := range gs {
		refs[i] = scim.GroupRef{Value: g.g.ID, Display: g.g.DisplayName, Type: "direct"}
	}
	return refs
}
