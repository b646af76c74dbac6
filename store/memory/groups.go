package memory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// CreateGroup implements scim.GroupStore.
func (s *Store) CreateGroup(ctx context.Context, tenant string, g *scim.Group) (*scim.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errNil
	}
	t := s.tenant(tenant, true)
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.validMembers(g.Members); err != nil {
		return nil, err
	}
	if t.groupKeysTaken(g.Extensions, nil) {
		return nil, scim.ErrConflict
	}
	ts := now(time.Time{})
	t.seq++
	r := &groupRec{seq: t.seq, ver: 1, id: t.newID()}
	r.g = scim.Group{
		ID:   r.id.String(),
		Meta: scim.Meta{Created: ts, LastModified: ts, Version: version(r.ver)},
	}
	t.setGroupAttrs(r, g)
	for _, m := range g.Members {
		r.members.add(r, t.user(m.Value), m)
	}
	t.groups[r.id] = r
	t.groupOrder.add(r)
	return groupOut(r, false), nil
}

// GetGroup implements scim.GroupStore.
func (s *Store) GetGroup(ctx context.Context, tenant, id string, opts scim.GetOptions) (*scim.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.group(id)
	if r == nil {
		return nil, scim.ErrNotFound
	}
	return groupOut(r, opts.ExcludeMembers), nil
}

// ReplaceGroup implements scim.GroupStore.
func (s *Store) ReplaceGroup(ctx context.Context, tenant string, g *scim.Group, ifVersion string) (*scim.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if g == nil {
		return nil, errNil
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.group(g.ID)
	if r == nil {
		return nil, scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return nil, err
	}
	if err := t.validMembers(g.Members); err != nil {
		return nil, err
	}
	if t.groupKeysTaken(g.Extensions, r) {
		return nil, scim.ErrConflict
	}
	t.setGroupAttrs(r, g)
	r.members.clear(r)
	for _, m := range g.Members {
		r.members.add(r, t.user(m.Value), m)
	}
	r.touch()
	return groupOut(r, false), nil
}

// PatchGroup implements scim.GroupStore. Every member value the patch adds
// is checked before anything changes, so a failed patch leaves no trace.
// The work is proportional to the members named, not to the group's size
// (RemoveMatchingMembers, ReplaceMembers and RemoveAllMembers excepted).
func (s *Store) PatchGroup(ctx context.Context, tenant, id string, p scim.GroupPatch, ifVersion string) (*scim.Group, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return nil, scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.group(id)
	if r == nil {
		return nil, scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return nil, err
	}
	for _, op := range p.MemberOps {
		switch op.Kind {
		case scim.AddMembers, scim.ReplaceMembers:
			if err := t.validMembers(op.Members); err != nil {
				return nil, err
			}
		case scim.RemoveMembers, scim.RemoveMatchingMembers, scim.RemoveAllMembers:
		default:
			return nil, fmt.Errorf("memory: unknown member operation kind %d", op.Kind)
		}
	}

	if p.Attributes != nil && t.groupKeysTaken(p.Attributes.Extensions, r) {
		return nil, scim.ErrConflict
	}

	// Nothing below can fail.
	if p.Attributes != nil {
		t.setGroupAttrs(r, p.Attributes)
	}
	for _, op := range p.MemberOps {
		switch op.Kind {
		case scim.AddMembers:
			for _, m := range op.Members {
				r.members.add(r, t.user(m.Value), m)
			}
		case scim.RemoveMembers:
			for _, m := range op.Members {
				if u := t.user(m.Value); u != nil {
					r.members.remove(r, u)
				}
			}
		case scim.RemoveMatchingMembers:
			r.members.order.each(func(e *member) {
				s.matches.Add(1)
				if scim.MatchMember(op.Filter, e.out(e.user.id.String())) {
					r.members.remove(r, e.user)
				}
			})
		case scim.ReplaceMembers:
			r.members.clear(r)
			for _, m := range op.Members {
				r.members.add(r, t.user(m.Value), m)
			}
		case scim.RemoveAllMembers:
			r.members.clear(r)
		}
		r.members.compact()
	}
	r.touch()
	return groupOut(r, true), nil
}

// DeleteGroup implements scim.GroupStore.
func (s *Store) DeleteGroup(ctx context.Context, tenant, id, ifVersion string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t := s.tenant(tenant, false)
	if t == nil {
		return scim.ErrNotFound
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.group(id)
	if r == nil {
		return scim.ErrNotFound
	}
	if err := checkVersion(r.ver, ifVersion); err != nil {
		return err
	}
	r.members.clear(r)
	t.unindexGroup(r)
	delete(t.groups, r.id)
	r.dead = true
	t.groupOrder.removed()
	return nil
}

// ListGroups implements scim.GroupStore. Results are in creation order, or
// sorted by q.SortBy as ListUsers sorts.
// A filter on members sees every member even with q.ExcludeMembers, which
// only trims the result.
func (s *Store) ListGroups(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.Group], error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start, count := window(q)
	page := &scim.Page[*scim.Group]{Resources: []*scim.Group{}}
	t := s.tenant(tenant, false)
	if t == nil {
		return page, nil
	}
	t.mu.RLock()
	defer t.mu.RUnlock()

	needMembers := filter.Touches(q.Filter, "members")
	match := func(r *groupRec) bool {
		if q.Filter == nil {
			return true
		}
		s.matches.Add(1)
		g := &r.g
		if needMembers {
			c := r.g // shallow: only read, under the lock
			c.Members = r.members.list()
			g = &c
		}
		return scim.MatchGroup(q.Filter, g)
	}
	var hits []hit[*groupRec] // every match, when sorted
	var last *groupRec        // the last of the page, when unsorted
	visit := func(r *groupRec) {
		if !match(r) {
			return
		}
		page.TotalResults++
		if q.Sorted() {
			hits = append(hits, hit[*groupRec]{r, groupKey(r, q)})
			return
		}
		if q.After != nil && int64(r.seq) <= q.After.Seq {
			return
		}
		if (q.After != nil || page.TotalResults >= start) && len(page.Resources) < count {
			last = r
			page.Resources = append(page.Resources, groupOut(r, q.ExcludeMembers))
		}
	}
	if cands, ok := planGroups(t, q.Filter); ok {
		for _, r := range cands {
			visit(r)
		}
	} else {
		t.groupOrder.each(visit)
	}
	if last != nil {
		page.Last = &scim.Position{Seq: int64(last.seq)}
	}
	for _, h := range sortWindow(hits, q.Descending, q.After, start, count) {
		page.Last = &scim.Position{Key: h.key, Seq: int64(h.r.seq)}
		page.Resources = append(page.Resources, groupOut(h.r, q.ExcludeMembers))
	}
	return page, nil
}

// validMembers checks that every member names a user of the tenant.
func (t *space) validMembers(ms []scim.Member) error {
	for _, m := range ms {
		if t.user(m.Value) == nil {
			return fmt.Errorf("%w: %q", scim.ErrInvalidMember, m.Value)
		}
	}
	return nil
}

// group returns the live group with the given ID, or nil.
func (t *space) group(id string) *groupRec {
	if k, ok := parseRID(id); ok {
		return t.groups[k]
	}
	return nil
}

// setGroupAttrs replaces the group's writable attributes, with copies that
// share no memory with the caller's, and reindexes it.
func (t *space) setGroupAttrs(r *groupRec, g *scim.Group) {
	t.unindexGroup(r)
	r.g.DisplayName = strings.Clone(g.DisplayName)
	r.g.ExternalID = strings.Clone(g.ExternalID)
	r.g.Extensions = g.Extensions.Clone()
	t.indexGroup(r)
}

func (t *space) indexGroup(r *groupRec) {
	t.groupNames.add(t.hash(filter.Fold(r.g.DisplayName)), r)
	if r.g.ExternalID != "" {
		t.groupExt.add(t.hash(filter.Fold(r.g.ExternalID)), r)
	}
	t.indexGroupKeys(r, false)
}

// unindexGroup removes r from the key indexes; a group not yet indexed
// is no matter.
func (t *space) unindexGroup(r *groupRec) {
	t.groupNames.remove(t.hash(filter.Fold(r.g.DisplayName)), r)
	if r.g.ExternalID != "" {
		t.groupExt.remove(t.hash(filter.Fold(r.g.ExternalID)), r)
	}
	t.indexGroupKeys(r, true)
}

// groupOut returns a caller-owned copy of r, with or without members.
func groupOut(r *groupRec, excludeMembers bool) *scim.Group {
	g := r.g // Members is nil in the record
	g.Extensions = r.g.Extensions.Clone()
	if !excludeMembers {
		g.Members = r.members.list()
	}
	return &g
}
