package scim_test

import (
	"context"
	"crypto/rand"
	"maps"
	"slices"
	"sync"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// mapDirectory serves Users and Groups from plain maps through
// ResourceHandlers, as a host with its own tables would: the fuller
// version of ExampleResourceHandler's mapUsers. Groups keep members as a
// plain list and the handler is no MemberPatcher, so the Server runs
// every group PATCH as a read, an edit and a compare-and-swap Replace.
// One mutex makes each call atomic across both types: deleting a user
// also removes it from every group.
type mapDirectory struct {
	mu     sync.Mutex
	users  map[string]map[string]doc // tenant -> id -> user, without groups
	groups map[string]map[string]doc // tenant -> id -> group
}

func newMapDirectory() *mapDirectory {
	return &mapDirectory{users: map[string]map[string]doc{}, groups: map[string]map[string]doc{}}
}

// resources returns the Config.Resources entries that serve /Users and
// /Groups from d.
func (d *mapDirectory) resources() []scim.Resource {
	return []scim.Resource{
		{Type: schema.User(), Handler: mapTable{d, false}},
		{Type: schema.Group(), Handler: mapTable{d, true}},
	}
}

// mapTable is the ResourceHandler of one of a mapDirectory's types.
type mapTable struct {
	d      *mapDirectory
	groups bool
}

// rows returns the tenant's resources of t's type, made when create is set.
func (t mapTable) rows(tenant string, create bool) map[string]doc {
	all := t.d.users
	if t.groups {
		all = t.d.groups
	}
	if all[tenant] == nil && create {
		all[tenant] = map[string]doc{}
	}
	return all[tenant]
}

// admit enforces what the handler keeps before a write of in under id:
// userName unique per tenant; members users of the tenant, each listed
// once. It returns what to store.
func (t mapTable) admit(tenant, id string, in doc) (doc, error) {
	out := clone(in)
	delete(out, "groups") // readOnly: derived from the groups on every read
	if !t.groups {
		if userNameTaken(t.d.users[tenant], id, out["userName"].(string)) {
			return nil, scim.ErrConflict
		}
		return out, nil
	}
	list, _ := out["members"].([]any)
	var members []any
	seen := map[string]bool{}
	for _, e := range list {
		m, _ := e.(doc)
		v, _ := m["value"].(string)
		if _, ok := t.d.users[tenant][v]; !ok {
			return nil, scim.ErrInvalidMember
		}
		if !seen[v] {
			seen[v] = true
			members = append(members, doc{"value": v, "type": "User"})
		}
	}
	delete(out, "members")
	if len(members) > 0 {
		out["members"] = members
	}
	return out, nil
}

// read returns a copy of a stored resource as clients see it: a user
// with the groups it belongs to, a group with its members (an empty list
// when it has none, as Entra expects after a create) unless excluded.
func (t mapTable) read(tenant, id string, row doc, excludeMembers bool) doc {
	out := clone(row)
	if !t.groups {
		var groups []any
		for _, gid := range slices.Sorted(maps.Keys(t.d.groups[tenant])) {
			g := t.d.groups[tenant][gid]
			if hasMember(g, id) {
				groups = append(groups, doc{"value": gid, "display": g["displayName"], "type": "direct"})
			}
		}
		if groups != nil {
			out["groups"] = groups
		}
		return out
	}
	if excludeMembers {
		delete(out, "members")
	} else if out["members"] == nil {
		out["members"] = []any{}
	}
	return out
}

func hasMember(g doc, id string) bool {
	list, _ := g["members"].([]any)
	return slices.ContainsFunc(list, func(m any) bool { return m.(doc)["value"] == id })
}

func (t mapTable) Create(_ context.Context, tenant string, in doc) (doc, error) {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	row, err := t.admit(tenant, "", in)
	if err != nil {
		return nil, err
	}
	id := rand.Text()
	row["id"] = id
	stamp(row, "")
	t.rows(tenant, true)[id] = row
	return t.read(tenant, id, row, false), nil
}

func (t mapTable) Get(_ context.Context, tenant, id string, opts scim.GetOptions) (doc, error) {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	row, ok := t.rows(tenant, false)[id]
	if !ok {
		return nil, scim.ErrNotFound
	}
	return t.read(tenant, id, row, opts.ExcludeMembers), nil
}

func (t mapTable) Replace(_ context.Context, tenant, id string, in doc, ifVersion string) (doc, error) {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	old, ok := t.rows(tenant, false)[id]
	if !ok {
		return nil, scim.ErrNotFound
	}
	meta := old["meta"].(doc)
	if ifVersion != "" && ifVersion != meta["version"] {
		return nil, scim.ErrVersionMismatch
	}
	row, err := t.admit(tenant, id, in)
	if err != nil {
		return nil, err
	}
	row["id"] = id
	stamp(row, meta["created"].(string))
	t.rows(tenant, false)[id] = row
	return t.read(tenant, id, row, false), nil
}

func (t mapTable) Delete(_ context.Context, tenant, id, ifVersion string) error {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	row, ok := t.rows(tenant, false)[id]
	if !ok {
		return scim.ErrNotFound
	}
	if ifVersion != "" && ifVersion != row["meta"].(doc)["version"] {
		return scim.ErrVersionMismatch
	}
	delete(t.rows(tenant, false), id)
	if t.groups {
		return nil
	}
	// The user leaves every group, each of which gets a new version.
	for _, g := range t.d.groups[tenant] {
		if !hasMember(g, id) {
			continue
		}
		g["members"] = slices.DeleteFunc(g["members"].([]any), func(m any) bool { return m.(doc)["value"] == id })
		if len(g["members"].([]any)) == 0 {
			delete(g, "members")
		}
		stamp(g, g["meta"].(doc)["created"].(string))
	}
	return nil
}

func (t mapTable) List(_ context.Context, tenant string, q scim.Query) (*scim.Page[doc], error) {
	t.d.mu.Lock()
	defer t.d.mu.Unlock()
	rows := t.rows(tenant, false)
	var matched []doc
	for _, id := range slices.Sorted(maps.Keys(rows)) {
		// Filters may name members and groups, so match what clients see.
		if d := t.read(tenant, id, rows[id], false); filter.Match(q.Filter, d) {
			if q.ExcludeMembers {
				delete(d, "members")
			}
			matched = append(matched, d)
		}
	}
	return page(matched, q), nil
}
