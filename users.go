package scim

import (
	"context"
	"errors"
	"maps"
	"reflect"

	"github.com/scimkit/scim/schema"
)

// maxWriteRetries bounds the optimistic retry loop of read-modify-write
// updates when no If-Match was given.
const maxWriteRetries = 16

// userHandler serves /Users over a UserStore.
type userHandler struct {
	store UserStore
	rt    *schema.ResourceType
}

func (h *userHandler) Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error) {
	if err := validate(h.rt, nil, doc); err != nil {
		return nil, err
	}
	var u User
	if err := fromDoc(doc, &u); err != nil {
		return nil, err
	}
	out, err := h.store.CreateUser(ctx, tenant, &u)
	if err != nil {
		return nil, err
	}
	return UserDoc(out), nil
}

func (h *userHandler) Get(ctx context.Context, tenant, id string, _ GetOptions) (map[string]any, error) {
	u, err := h.store.GetUser(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return UserDoc(u), nil
}

func (h *userHandler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	for range maxWriteRetries {
		cur, err := h.store.GetUser(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		if err := validate(h.rt, UserDoc(cur), doc); err != nil {
			return nil, err
		}
		var u User
		if err := fromDoc(doc, &u); err != nil {
			return nil, err
		}
		u.ID = id
		out, err := h.store.ReplaceUser(ctx, tenant, &u, versionOr(ifVersion, cur.Meta.Version))
		if errors.Is(err, ErrVersionMismatch) && ifVersion == "" {
			continue
		}
		if err != nil {
			return nil, err
		}
		return UserDoc(out), nil
	}
	return nil, errBusy
}

func (h *userHandler) Patch(ctx context.Context, tenant, id string, ops []PatchOp, ifVersion string) (map[string]any, error) {
	for range maxWriteRetries {
		cur, err := h.store.GetUser(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		if ifVersion != "" && ifVersion != cur.Meta.Version {
			return nil, ErrVersionMismatch
		}
		old := UserDoc(cur)
		doc, err := ApplyPatch(h.rt, old, ops)
		if err != nil {
			return nil, err
		}
		if reflect.DeepEqual(writable(old), writable(doc)) {
			return old, nil // nothing changed: keep the version
		}
		var u User
		if err := fromDoc(doc, &u); err != nil {
			return nil, err
		}
		u.ID = id
		out, err := h.store.ReplaceUser(ctx, tenant, &u, cur.Meta.Version)
		if errors.Is(err, ErrVersionMismatch) && ifVersion == "" {
			continue
		}
		if err != nil {
			return nil, err
		}
		return UserDoc(out), nil
	}
	return nil, errBusy
}

func (h *userHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	return h.store.DeleteUser(ctx, tenant, id, ifVersion)
}

func (h *userHandler) List(ctx context.Context, tenant string, q Query) (*ListResult, error) {
	p, err := h.store.ListUsers(ctx, tenant, q)
	if err != nil {
		return nil, err
	}
	res := &ListResult{TotalResults: p.TotalResults, Resources: make([]map[string]any, len(p.Resources))}
	for i, u := range p.Resources {
		res.Resources[i] = UserDoc(u)
	}
	return res, nil
}

// writable returns doc without the attributes the server maintains, for
// change detection.
func writable(doc map[string]any) map[string]any {
	m := maps.Clone(doc)
	delete(m, "id")
	delete(m, "meta")
	delete(m, "groups")
	return m
}

func versionOr(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

// errBusy answers a write that lost the optimistic race too many times.
var errBusy = &Error{Status: 503, Detail: "The resource is being modified concurrently; retry the request."}
