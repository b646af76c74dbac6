package scim

import (
	"context"
	"errors"

	"github.com/scimkit/scim/schema"
)

// groupHandler serves /Groups over a GroupStore. Member changes reach the
// store as deltas; only displayName and externalId are read-modify-write.
type groupHandler struct {
	store GroupStore
	rt    *schema.ResourceType
	srv   *Server // events: publish, lockResource (inproc.go)
}

func (h *groupHandler) Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error) {
	if err := validate(h.rt, nil, doc); err != nil {
		return nil, err
	}
	var g Group
	if err := fromDoc(doc, &g); err != nil {
		return nil, err
	}
	out, err := h.store.CreateGroup(ctx, tenant, &g)
	if err != nil {
		return nil, err
	}
	h.srv.publishGroup(ctx, tenant, nil, out) // events
	return groupDoc(out, true), nil
}

func (h *groupHandler) Get(ctx context.Context, tenant, id string, opts GetOptions) (map[string]any, error) {
	g, err := h.store.GetGroup(ctx, tenant, id, opts)
	if err != nil {
		return nil, err
	}
	return groupDoc(g, !opts.ExcludeMembers), nil
}

func (h *groupHandler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	defer h.srv.lockResource(tenant, "Group", id)()                                                  // events: in commit order
	cur, err := h.store.GetGroup(ctx, tenant, id, GetOptions{ExcludeMembers: !h.srv.inprocEvents()}) // events: old members
	if err != nil {
		return nil, err
	}
	before := *cur // events
	cur.Members = nil
	if err := validate(h.rt, groupDoc(cur, false), doc); err != nil {
		return nil, err
	}
	var g Group
	if err := fromDoc(doc, &g); err != nil {
		return nil, err
	}
	g.ID = id
	out, err := h.store.ReplaceGroup(ctx, tenant, &g, ifVersion)
	if err != nil {
		return nil, err
	}
	h.srv.publishGroup(ctx, tenant, &before, out) // events
	return groupDoc(out, true), nil
}

func (h *groupHandler) Patch(ctx context.Context, tenant, id string, ops []PatchOp, ifVersion string) (map[string]any, error) {
	attrOps, memberOps, err := splitGroupPatch(ops)
	if err != nil {
		return nil, err
	}
	// events: in commit order, from the group with its members before and after.
	defer h.srv.lockResource(tenant, "Group", id)()
	var before *Group
	if h.srv.inprocEvents() {
		if before, err = h.store.GetGroup(ctx, tenant, id, GetOptions{}); err != nil {
			return nil, err
		}
	}
	for range maxWriteRetries {
		var p GroupPatch
		p.MemberOps = memberOps
		version := ifVersion
		if len(attrOps) > 0 {
			cur, err := h.store.GetGroup(ctx, tenant, id, GetOptions{ExcludeMembers: true})
			if err != nil {
				return nil, err
			}
			if ifVersion != "" && ifVersion != cur.Meta.Version {
				return nil, ErrVersionMismatch
			}
			old := groupDoc(cur, false)
			doc, err := ApplyPatch(h.rt, old, attrOps)
			if err != nil {
				return nil, err
			}
			var g Group
			if err := fromDoc(doc, &g); err != nil {
				return nil, err
			}
			// Okta re-sends displayName with every membership change; only
			// a real change takes the compare-and-swap path.
			if g.DisplayName != cur.DisplayName || g.ExternalID != cur.ExternalID {
				p.Attributes = &g
				version = cur.Meta.Version
			}
		}
		if p.Attributes == nil && len(p.MemberOps) == 0 {
			if _, err := h.store.GetGroup(ctx, tenant, id, GetOptions{ExcludeMembers: true}); err != nil {
				return nil, err
			}
			return nil, nil
		}
		_, err := h.store.PatchGroup(ctx, tenant, id, p, version)
		if errors.Is(err, ErrVersionMismatch) && ifVersion == "" && p.Attributes != nil {
			continue
		}
		if err != nil {
			return nil, err
		}
		if before != nil { // events
			if after, err := h.store.GetGroup(ctx, tenant, id, GetOptions{}); err == nil {
				h.srv.publishGroup(ctx, tenant, before, after)
			}
		}
		return nil, nil
	}
	return nil, errBusy
}

func (h *groupHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	if !h.srv.inprocEvents() {
		return h.store.DeleteGroup(ctx, tenant, id, ifVersion)
	}
	// events: read what is deleted, for the event.
	defer h.srv.lockResource(tenant, "Group", id)()
	old, err := h.store.GetGroup(ctx, tenant, id, GetOptions{ExcludeMembers: true})
	if err != nil {
		return err
	}
	if err := h.store.DeleteGroup(ctx, tenant, id, ifVersion); err != nil {
		return err
	}
	h.srv.publishGroup(ctx, tenant, old, nil)
	return nil
}

func (h *groupHandler) List(ctx context.Context, tenant string, q Query) (*ListResult, error) {
	p, err := h.store.ListGroups(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	res := &ListResult{TotalResults: p.TotalResults, Resources: make([]map[string]any, len(p.Resources))}
	for i, g := range p.Resources {
		res.Resources[i] = groupDoc(g, !q.ExcludeMembers)
	}
	return res, nil
}

// groupDoc is GroupDoc, but a group read with its members always shows a
// members list, even an empty one (Entra expects "members": [] after create).
func groupDoc(g *Group, withMembers bool) map[string]any {
	d := GroupDoc(g)
	if withMembers {
		if _, ok := d["members"]; !ok {
			d["members"] = []any{}
		}
	}
	return d
}
