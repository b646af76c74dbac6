package memory

import (
	"context"
	"slices"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// CreateUser implements scim.UserStore.
func (s *Store) CreateUser(ctx context.Context, tenant string, u *scim.User) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errNil
	}
	t := s.tenant(tenant, true)
	t.mu.Lock()
	defer t.mu.Unlock()

	key := scim.FoldUserName(u.UserName)
	h := t.hash(key)
	if t.userNameTaken(h, key, nil) || t.userKeysTaken(u.Extensions, nil) {
		return nil, scim.ErrConflict
	}
	ts := now(time.Time{})
	t.seq++
	r := &userRec{seq: t.seq, ver: 1, id: t.newID(), blob: packStored(u, ts, ts)}
	t.users[r.id] = r
	t.userOrder.add(r)
	t.userNames.add(h, r)
	if u.ExternalID != "" {
		t.userExt.add(t.hash(filter.Fold(u.ExternalID)), r)
	}
	t.indexUserKeys(r, u.Extensions, false)
	return t.userOut(r), nil
}

// GetUser implements scim.UserStore.
func (s *Store) GetUser(ctx context.Context, tenant, id string) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.user(id)
	if r == nil {
		return nil, scim.ErrNotFound
	}
	return t.userOut(r), nil
}

// ReplaceUser implements scim.UserStore.
func (s *Store) ReplaceUser(ctx context.Context, tenant string, u *scim.User, ifVersion string) (*scim.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errNil
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.user(u.ID)
	if r == nil {
		return nil, scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return nil, err
	}
	newKey := scim.FoldUserName(u.UserName)
	newHash := t.hash(newKey)
	if t.userNameTaken(newHash, newKey, r) || t.userKeysTaken(u.Extensions, r) {
		return nil, scim.ErrConflict
	}

	// Nothing below can fail.
	oldName, oldExt, created, modified := userHead(r.blob)
	t.unindexUser(r, oldName, oldExt)
	t.unindexUserKeys(r)
	r.ver++
	r.blob = packStored(u, created, now(modified))
	t.userNames.add(newHash, r)
	if u.ExternalID != "" {
		t.userExt.add(t.hash(filter.Fold(u.ExternalID)), r)
	}
	t.indexUserKeys(r, u.Extensions, false)
	return t.userOut(r), nil
}

// DeleteUser implements scim.UserStore. The user's memberships go with it,
// and every group it was in gets a new version.
func (s *Store) DeleteUser(ctx context.Context, tenant, id, ifVersion string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.user(id)
	if r == nil {
		return scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return err
	}
	for _, g := range slices.Clone(r.groups) {
		g.members.remove(g, r)
		g.members.compact()
		g.touch()
	}
	name, ext, _, _ := userHead(r.blob)
	t.unindexUser(r, name, ext)
	t.unindexUserKeys(r)
	delete(t.users, r.id)
	r.dead = true
	r.blob = "" // let the collector have it before compaction drops r
	t.userOrder.removed()
	return nil
}

// ListUsers implements scim.UserStore. Results are in creation order, or
// sorted by q.SortBy (every match is keyed and sorted under the tenant's
// read lock, then paged), and have Groups filled.
func (s *Store) ListUsers(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.User], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start, count := window(q)
	page := &scim.Page[*scim.User]{Resources: []*scim.User{}}
	t := s.tenant(tenant, false)
	if t == nil {
		return page, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()

	needGroups := filter.Touches(q.Filter, "groups")
	// A scan decodes each user into scratch storage for the filter, and
	// again for the page when it matches; index candidates are few, so
	// each is decoded once, for both.
	var sc *unpackScratch
	var hits []hit[*userRec] // every match, when sorted
	var last *userRec        // the last of the page, when unsorted
	visit := func(r *userRec) {
		var u *scim.User
		if q.Filter != nil {
			s.matches.Add(1)
			if sc != nil {
				var err error
				if u, err = unpackReuse(r.blob, sc); err != nil {
					panic(errStored(err))
				}
				u.ID = r.id.String()
				u.Meta.Version = version(r.ver)
			} else {
				u = r.unpack()
			}
			if needGroups {
				u.Groups = groupRefs(r)
			}
			if !scim.MatchUser(q.Filter, u) {
				return
			}
		}
		page.TotalResults++
		if q.Sorted() {
			hits = append(hits, hit[*userRec]{r, userKey(r, u, q)})
			return
		}
		if q.After != nil && int64(r.seq) <= q.After.Seq {
			return
		}
		if (q.After != nil || page.TotalResults >= start) && len(page.Resources) < count {
			last = r
			if u == nil || sc != nil {
				u = r.unpack() // the caller's own, not the scratch
			}
			if u.Groups == nil {
				u.Groups = groupRefs(r)
			}
			page.Resources = append(page.Resources, u)
		}
	}
	if cands, ok := planUsers(t, q.Filter); ok {
		for _, r := range cands {
			visit(r)
		}
	} else {
		if q.Filter != nil {
			sc = new(unpackScratch)
		}
		t.userOrder.each(visit)
	}
	if last != nil {
		page.Last = &scim.Position{Seq: int64(last.seq)}
	}
	for _, h := range sortWindow(hits, q.Descending, q.After, start, count) {
		page.Last = &scim.Position{Key: h.key, Seq: int64(h.r.seq)}
		page.Resources = append(page.Resources, t.userOut(h.r))
	}
	return page, nil
}

// user returns the live user with the given ID, or nil.
func (t *space) user(id string) *userRec {
	if k, ok := parseRID(id); ok {
		return t.users[k]
	}
	return nil
}

// userNameTaken reports whether a user other than except has the folded
// userName key, whose hash is h.
func (t *space) userNameTaken(h uint64, key string, except *userRec) bool {
	_, ok := t.userNames.find(h, func(r *userRec) bool {
		name, _, _, _ := userHead(r.blob)
		return r != except && scim.FoldUserName(name) == key
	})
	return ok
}

// unindexUser removes r, whose userName and externalId are given, from the
// key indexes.
func (t *space) unindexUser(r *userRec, userName, externalID string) {
	t.userNames.remove(t.hash(scim.FoldUserName(userName)), r)
	if externalID != "" {
		t.userExt.remove(t.hash(filter.Fold(externalID)), r)
	}
}

// packStored packs u as the store keeps it: without ID, Groups and
// Meta.Version (the record has them) and with the given times.
func packStored(u *scim.User, created, lastModified time.Time) string {
	c := *u
	c.ID, c.Groups = "", nil
	c.Meta = scim.Meta{Created: created, LastModified: lastModified}
	return packUser(&c)
}

// unpack returns a caller-owned copy of the user, without Groups.
func (r *userRec) unpack() *scim.User {
	u := new(scim.User)
	if err := unpackUser(r.blob, u); err != nil {
		panic(errStored(err))
	}
	u.ID = r.id.String()
	u.Meta.Version = version(r.ver)
	return u
}

// errStored is the panic value when a stored user does not unpack: the
// store packed it itself, so that is a bug, not bad input.
func errStored(err error) string { return "memory: stored user does not unpack: " + err.Error() }

// userOut returns a caller-owned copy of the user with Groups filled.
func (t *space) userOut(r *userRec) *scim.User {
	u := r.unpack()
	u.Groups = groupRefs(r)
	return u
}

// groupRefs lists r's groups in creation order, or nil.
func groupRefs(r *userRec) []scim.GroupRef {
	if len(r.groups) == 0 {
		return nil
	}
	gs := slices.SortedFunc(slices.Values(r.groups), bySeq)
	refs := make([]scim.GroupRef, len(gs))
	for i, g := range gs {
		refs[i] = scim.GroupRef{Value: g.g.ID, Display: g.g.DisplayName, Type: "direct"}
	}
	return refs
}
