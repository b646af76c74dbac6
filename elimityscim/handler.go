package elimityscim

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"sync"

	escim "github.com/elimity-com/scim"
	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
)

// Handler returns the scim.ResourceHandler that serves resources of type
// rt from the elimity handler h, as the package documentation describes.
// rt must be the type the Server serves the handler under: it shapes the
// attributes h receives. For the core Group type the result also
// implements scim.MemberPatcher, with h's Patch. Neither rt nor h may be nil.
func Handler(rt *schema.ResourceType, h escim.ResourceHandler) scim.ResourceHandler {
	hd := &handler{rt: rt, h: h, seed: maphash.MakeSeed()}
	if rt.Schema.ID == schema.GroupURN {
		return groupHandler{hd}
	}
	return hd
}

type handler struct {
	rt *schema.ResourceType
	h  escim.ResourceHandler

	// locks serialise the version check and the write of Replace, Patch
	// and Delete per resource; a resource's lock is picked by a hash of
	// tenant and id.
	locks [64]sync.Mutex
	seed  maphash.Seed
}

// errNoID is a Create whose Resource has no ID.
var errNoID = errors.New("elimityscim: handler created a resource without an ID")

func (h *handler) Create(ctx context.Context, tenant string, doc map[string]any) (map[string]any, error) {
	req, err := h.request(ctx, tenant, http.MethodPost, "", nil, "")
	if err != nil {
		return nil, err
	}
	r, err := h.h.Create(req, attributes(h.rt, doc))
	if err != nil {
		return nil, scimError(err)
	}
	if r.ID == "" {
		return nil, errNoID
	}
	return h.document(r, r.ID, false)
}

func (h *handler) Get(ctx context.Context, tenant, id string, opts scim.GetOptions) (map[string]any, error) {
	var q url.Values
	if opts.ExcludeMembers {
		q = url.Values{"excludedAttributes": {"members"}}
	}
	req, err := h.request(ctx, tenant, http.MethodGet, id, q, "")
	if err != nil {
		return nil, err
	}
	r, err := h.h.Get(req, id)
	if err != nil {
		return nil, scimError(err)
	}
	return h.document(r, id, opts.ExcludeMembers)
}

func (h *handler) Replace(ctx context.Context, tenant, id string, doc map[string]any, ifVersion string) (map[string]any, error) {
	defer h.lock(tenant, id)()
	if err := h.checkVersion(ctx, tenant, id, ifVersion); err != nil {
		return nil, err
	}
	req, err := h.request(ctx, tenant, http.MethodPut, id, nil, ifVersion)
	if err != nil {
		return nil, err
	}
	r, err := h.h.Replace(req, id, attributes(h.rt, doc))
	if err != nil {
		return nil, scimError(err)
	}
	return h.document(r, id, false)
}

func (h *handler) Delete(ctx context.Context, tenant, id, ifVersion string) error {
	defer h.lock(tenant, id)()
	if err := h.checkVersion(ctx, tenant, id, ifVersion); err != nil {
		return err
	}
	req, err := h.request(ctx, tenant, http.MethodDelete, id, nil, ifVersion)
	if err != nil {
		return err
	}
	return scimError(h.h.Delete(req, id))
}

// checkVersion reads the resource and fails with scim.ErrVersionMismatch
// unless its version is ifVersion; nothing when ifVersion is "".
func (h *handler) checkVersion(ctx context.Context, tenant, id, ifVersion string) error {
	if ifVersion == "" {
		return nil
	}
	cur, err := h.Get(ctx, tenant, id, scim.GetOptions{ExcludeMembers: true})
	if err != nil {
		return err
	}
	if v, _ := cur["meta"].(map[string]any)["version"].(string); v != ifVersion {
		return scim.ErrVersionMismatch
	}
	return nil
}

// lock takes the lock of a resource and returns its unlock.
func (h *handler) lock(tenant, id string) func() {
	var mh maphash.Hash
	mh.SetSeed(h.seed)
	mh.WriteString(tenant)
	mh.WriteByte(0)
	mh.WriteString(id)
	m := &h.locks[mh.Sum64()%uint64(len(h.locks))]
	m.Lock()
	return m.Unlock
}

// document is the scimkit form of r. A core Group read with its members
// always lists them, even none, as GroupHandler's do (Entra expects
// "members": [] after a create).
func (h *handler) document(r escim.Resource, id string, excludeMembers bool) (map[string]any, error) {
	doc, err := document(h.rt, r, id)
	if err != nil {
		return nil, fmt.Errorf("elimityscim: %s %s from the handler: %w", h.rt.Name, id, err)
	}
	if excludeMembers {
		delete(doc, "members")
	} else if _, ok := doc["members"]; !ok && h.rt.Schema.ID == schema.GroupURN {
		doc["members"] = []any{}
	}
	return doc, nil
}
