package scim

import "context"

// GroupHandler returns the ResourceHandler that serves Groups from s: the
// one NewServer makes for Config.Store. It implements MemberPatcher, so
// member changes reach s as deltas (GroupStore.PatchGroup).
func GroupHandler(s GroupStore) ResourceHandler { return groupHandler{s} }

type groupHandler struct{ store GroupStore }

func (h groupHandler) Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error) {
	var g Group
	if err := fromDoc(doc, &g); err != nil {
		return nil, err
	}
	asUsers(g.Members)
	out, err := h.store.CreateGroup(ctx, tenant, &g)
	if err != nil {
		return nil, err
	}
	return groupDoc(out, true), nil
}

func (h groupHandler) Get(ctx context.Context, tenant, id string, opts GetOptions) (map[string]any, error) {
	g, err := h.store.GetGroup(ctx, tenant, id, opts)
	if err != nil {
		return nil, err
	}
	return groupDoc(g, !opts.ExcludeMembers), nil
}

func (h groupHandler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	var g Group
	if err := fromDoc(doc, &g); err != nil {
		return nil, err
	}
	g.ID = id
	asUsers(g.Members)
	out, err := h.store.ReplaceGroup(ctx, tenant, &g, ifVersion)
	if err != nil {
		return nil, err
	}
	return groupDoc(out, true), nil
}

// PatchMembers implements MemberPatcher; it answers 204, as identity
// providers expect of a group PATCH.
func (h groupHandler) PatchMembers(ctx context.Context, tenant, id string, doc map[string]any, ops []MemberOp, ifVersion string) (map[string]any, error) {
	for _, op := range ops {
		asUsers(op.Members)
	}
	p := GroupPatch{MemberOps: ops}
	if doc != nil {
		p.Attributes = new(Group)
		if err := fromDoc(doc, p.Attributes); err != nil {
			return nil, err
		}
	}
	_, err := h.store.PatchGroup(ctx, tenant, id, p, ifVersion)
	return nil, err
}

func (h groupHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	return h.store.DeleteGroup(ctx, tenant, id, ifVersion)
}

func (h groupHandler) List(ctx context.Context, tenant string, q Query) (*Page[map[string]any], error) {
	p, err := h.store.ListGroups(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	res := &Page[map[string]any]{TotalResults: p.TotalResults, Last: p.Last, Resources: make([]map[string]any, len(p.Resources))}
	for i, g := range p.Resources {
		res.Resources[i] = groupDoc(g, !q.ExcludeMembers)
	}
	return res, nil
}

// asUsers sets the type of members to "User": a GroupStore's members are
// users (ErrInvalidMember otherwise), whatever type the client said, so
// that the type shown and the $ref derived from it (/Users/<id>) are
// right.
func asUsers(ms []Member) {
	for i := range ms {
		ms[i].Type = "User"
	}
}

// groupDoc is GroupDoc, but a group read with its members always shows a
// members list, even an empty one (Entra expects "members": [] after
// create), and every member as a user (see asUsers), also one stored with
// another type before the server set it.
func groupDoc(g *Group, withMembers bool) map[string]any {
	asUsers(g.Members)
	d := GroupDoc(g)
	if withMembers {
		if _, ok := d["members"]; !ok {
			d["members"] = []any{}
		}
	}
	return d
}
