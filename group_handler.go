package scim

import (
	"context"
	"errors"
	"reflect"

	"github.com/scimkit/scim/schema"
)

// groupHandler serves /Groups over a GroupStore. Member changes reach the
// store as deltas; only displayName and externalId are read-modify-write.
type groupHandler struct {
	store GroupStore
	rt    *schema.ResourceType
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
	cur, err := h.store.GetGroup(ctx, tenant, id, GetOptions{ExcludeMembers: true})
	if err != nil {
		return nil, err
	}
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
	return groupDoc(out, true), nil
}

func (h *groupHandler) Patch(ctx context.Context, tenant, id string, ops []PatchOp, ifVersion string) (map[string]any, error) {
	attrOps, memberOps, err := splitGroupPatch(ops)
	if err != nil {
		return nil, err
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
			if g.DisplayName != cur.DisplayName || g.ExternalID != cur.ExternalID || !reflect.DeepEqual(g.Extensions, cur.Extensions) {
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
		return nil, nil
	}
	return nil, errBusy
}

func (h *groupHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	return h.store.DeleteGroup(ctx, tenant, id, ifVersion)
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
