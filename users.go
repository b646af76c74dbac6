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
	srv   *Server // events: publish, lockResource (inproc.go)
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
	d := UserDoc(out)
	h.srv.publish(ctx, CommittedWrite{Tenant: tenant, ResourceType: "User", New: d, Time: out.Meta.LastModified}) // events
	return d, nil
}

func (h *userHandler) Get(ctx context.Context, tenant, id string, _ GetOptions) (map[string]any, error) {
	u, err := h.store.GetUser(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return UserDoc(u), nil
}

func (h *userHandler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	return h.update(ctx, tenant, id, ifVersion, func(old map[string]any) (map[string]any, error) {
		return doc, validate(h.rt, old, doc)
	})
}

func (h *userHandler) Patch(ctx context.Context, tenant, id string, ops []PatchOp, ifVersion string) (map[string]any, error) {
	return h.update(ctx, tenant, id, ifVersion, func(old map[string]any) (map[string]any, error) {
		doc, err := ApplyPatch(h.rt, old, ops)
		if err != nil || reflect.DeepEqual(writable(old), writable(doc)) {
			return nil, err // an error, or nothing changed: keep the version
		}
		return doc, nil
	})
}

// update is the optimistic read-modify-write behind PUT and PATCH: change
// computes the new document from the current one (nil: nothing to write),
// and the write is a compare-and-swap on the version read, retried when a
// concurrent write won and the client named no version of its own.
func (h *userHandler) update(ctx context.Context, tenant, id, ifVersion string, change func(old map[string]any) (map[string]any, error)) (map[string]any, error) {
	defer h.srv.lockResource(tenant, "User", id)() // events: in commit order
	for range maxWriteRetries {
		cur, err := h.store.GetUser(ctx, tenant, id)
		if err != nil {
			return nil, err
		}
		if ifVersion != "" && ifVersion != cur.Meta.Version {
			return nil, ErrVersionMismatch
		}
		old := UserDoc(cur)
		doc, err := change(old)
		if err != nil {
			return nil, err
		}
		if doc == nil {
			return old, nil
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
		d := UserDoc(out)
		h.srv.publish(ctx, CommittedWrite{Tenant: tenant, ResourceType: "User", Old: old, New: d, Time: out.Meta.LastModified}) // events
		return d, nil
	}
	return nil, errBusy
}

func (h *userHandler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	if !h.srv.inprocEvents() {
		return h.store.DeleteUser(ctx, tenant, id, ifVersion)
	}
	// events: read what is deleted, for the event.
	defer h.srv.lockResource(tenant, "User", id)()
	old, err := h.store.GetUser(ctx, tenant, id)
	if err != nil {
		return err
	}
	if err := h.store.DeleteUser(ctx, tenant, id, ifVersion); err != nil {
		return err
	}
	h.srv.publishUserDelete(ctx, tenant, old)
	return nil
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

// errBusy answers a write that lost the optimistic race too many times.
var errBusy = &Error{Status: 503, Detail: "The resource is being modified concurrently; retry the request."}
