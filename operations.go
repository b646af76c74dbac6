package scim

import (
	"errors"
	"maps"
	"net/http"
	"strings"

	"github.com/scimkit/scim/schema"
)

// The write operations of RFC 7644 section 3 (create, replace, modify,
// delete) and the read of one resource, the same for every resource type:
// the Server validates and runs the PATCH engine, the handler stores.

// maxWriteRetries bounds the optimistic retry loop of read-modify-write
// updates when no If-Match was given.
const maxWriteRetries = 16

// errBusy answers a write that lost the optimistic race too many times.
var errBusy = &Error{Status: http.StatusServiceUnavailable, Detail: "The resource is being modified concurrently; retry the request."}

func (q *request) create(res *Resource) {
	doc, err := q.readResource(res)
	if err == nil {
		body := doc
		doc = q.s.guardAccess(res.Type, nil, doc)
		err = validateNormalized(res.Type, nil, doc, body)
	}
	if err == nil {
		err = q.beforeWrite(q.r.Context(), Write{Op: OpCreate, ResourceType: res.Type.Name, New: doc})
	}
	if err != nil {
		q.fail(err)
		return
	}
	proj, projErr := q.projection(res.Type, q.query().Get("attributes"), q.query().Get("excludedAttributes"))
	if uc, ok := res.Handler.(userCreator); ok && projErr == nil && proj.isDefault() && !q.publishes(res) {
		// Straight to the response: no document form of the result.
		u, err := uc.createUser(q.r.Context(), q.tenant, doc)
		if err == nil && u.ID != "" {
			err = q.changePassword(u.ID)
		}
		if err != nil {
			q.fail(err)
			return
		}
		q.noteUserWrite(res, nil, u)
		if u.ID != "" {
			q.w.Header().Set("Location", q.base+"/"+strings.Trim(res.Type.Endpoint, "/")+"/"+u.ID)
		}
		q.writeUser(res, proj, u, http.StatusCreated)
		return
	}
	out, err := res.Handler.Create(q.r.Context(), q.tenant, doc)
	if err != nil {
		q.fail(err)
		return
	}
	q.noteWrite(res, nil, out, true)
	if q.publishes(res) {
		q.published(q.r.Context(), res, nil, deepCopyMap(out))
	}
	if id, _ := out["id"].(string); id != "" {
		if err := q.changePassword(id); err != nil {
			q.fail(err)
			return
		}
	}
	q.decorate(res, out)
	meta, _ := out["meta"].(map[string]any)
	if loc, ok := meta["location"].(string); ok {
		q.w.Header().Set("Location", loc)
	}
	q.respond(res, http.StatusCreated, out)
}

func (q *request) get(res *Resource, id string) {
	proj, err := q.projection(res.Type, q.query().Get("attributes"), q.query().Get("excludedAttributes"))
	if err != nil {
		q.fail(err)
		return
	}
	if us, ok := res.Handler.(UserSource); ok && proj.isDefault() {
		u, err := us.GetUser(q.r.Context(), q.tenant, id)
		if err != nil {
			q.fail(err)
			return
		}
		if q.notModified(u.Meta.Version) {
			return
		}
		q.writeUser(res, proj, u, http.StatusOK)
		return
	}
	out, err := res.Handler.Get(q.r.Context(), q.tenant, id, GetOptions{ExcludeMembers: !proj.wants("members")})
	if err != nil {
		q.fail(err)
		return
	}
	if q.notModified(versionOf(out)) {
		return
	}
	q.decorate(res, out)
	q.setETag(out)
	writeJSON(q.w, http.StatusOK, orderedDoc(proj.apply(res.Type, out)))
}

// writeUser answers status with the typed user u, as the default
// projection proj shows it, and its ETag.
func (q *request) writeUser(res *Resource, proj projection, u *User, status int) {
	if u.Meta.Version != "" {
		q.w.Header().Set("ETag", entityTag(u.Meta.Version))
	}
	writeJSON(q.w, status, q.userOut(res, proj, u))
}

// userOut is what a typed user is written as: straight from the struct
// when it has no host extensions, whose schemas' returned
// characteristics only the document path applies.
func (q *request) userOut(res *Resource, proj projection, u *User) any {
	if len(u.Extensions) == 0 {
		return userOut{u: u, base: q.base}
	}
	if res.fastExts {
		return userOut{u: u, base: q.base, exts: res.plainExts}
	}
	d := UserDoc(u)
	q.decorate(res, d)
	return orderedDoc(proj.apply(res.Type, d))
}

func (q *request) replace(res *Resource, id string) {
	ifMatch, err := conditional(q.r, "If-Match")
	if err != nil {
		q.fail(err)
		return
	}
	doc, err := q.readResource(res)
	if err != nil {
		q.fail(err)
		return
	}
	// A group's members are replaced whole and not read for the check.
	_, members := res.Handler.(MemberPatcher)
	proj, projErr := q.projection(res.Type, q.query().Get("attributes"), q.query().Get("excludedAttributes"))
	typed := projErr == nil && proj.isDefault()
	out, u, err := q.update(res, id, ifMatch, members, typed, func(old map[string]any) (map[string]any, error) {
		body := doc
		doc := q.s.guardAccess(res.Type, old, doc)
		if err := validateNormalized(res.Type, old, doc, body); err != nil {
			return nil, err
		}
		return doc, q.beforeWrite(q.r.Context(), Write{Op: OpReplace, ResourceType: res.Type.Name, ID: id, Old: old, New: doc})
	})
	if err == nil {
		err = q.changePassword(id)
	}
	if err != nil {
		q.fail(err)
		return
	}
	if u != nil {
		q.writeUser(res, proj, u, http.StatusOK)
		return
	}
	q.decorate(res, out)
	q.respond(res, http.StatusOK, out)
}

func (q *request) patch(res *Resource, id string) {
	v := q.query()
	proj, err := q.projection(res.Type, v.Get("attributes"), v.Get("excludedAttributes"))
	if err != nil {
		q.fail(err)
		return
	}
	ifMatch, err := conditional(q.r, "If-Match")
	if err != nil {
		q.fail(err)
		return
	}
	b, err := q.readBytes()
	if err != nil {
		q.fail(err)
		return
	}
	ops, vals, err := parsePatchBody(b)
	if err == nil && q.s.takesPasswords(res.Type) {
		q.password, q.hasPassword, err = patchPassword(res.Type, ops)
	}
	if err != nil {
		q.fail(err)
		return
	}
	if us, ok := q.typedPatchStore(res, proj.isDefault()); ok {
		if sets, ok := q.s.planTypedPatch(res.Type, ops, vals); ok {
			u, err := q.patchTyped(res, us, id, sets, ifMatch)
			if err == nil {
				err = q.changePassword(id)
			}
			if err != nil {
				q.fail(err)
				return
			}
			q.writeUser(res, proj, u, http.StatusOK)
			return
		}
	}
	var out map[string]any
	var typedOut *User
	if mp, ok := res.Handler.(MemberPatcher); ok {
		out, err = q.patchMembers(res, mp, id, ops, ifMatch)
	} else {
		// A user written typed is consumed by fromDoc at once: the
		// PATCH's result may share what it leaves alone with the read.
		mode := patchStored
		if _, ok := q.typedReplacer(res, proj.isDefault()); ok {
			mode = patchShared
		}
		out, typedOut, err = q.update(res, id, ifMatch, false, proj.isDefault(), func(old map[string]any) (map[string]any, error) {
			doc, err := q.s.patched(res.Type, old, ops, vals, mode)
			if err != nil || doc == nil {
				return nil, err
			}
			return doc, q.beforeWrite(q.r.Context(), Write{Op: OpPatch, ResourceType: res.Type.Name, ID: id, Old: old, New: doc})
		})
	}
	if err == nil {
		err = q.changePassword(id)
	}
	if err != nil {
		q.fail(err)
		return
	}
	if typedOut != nil {
		q.writeUser(res, proj, typedOut, http.StatusOK)
		return
	}
	if out == nil && (v.Get("attributes") != "" || v.Get("excludedAttributes") != "") {
		// The client asked for the resource (RFC 7644 section 3.5.2): the
		// one read after the write.
		out, err = res.Handler.Get(q.r.Context(), q.tenant, id, GetOptions{ExcludeMembers: !proj.wants("members")})
		if err != nil {
			q.fail(err)
			return
		}
	}
	if out == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	q.decorate(res, out)
	q.respond(res, http.StatusOK, out)
}

// patched applies ops to old and guards the result (guardAccess); nil
// when nothing changes, so that a PATCH that changes nothing keeps the
// version. vals, when not nil, are the ops' decoded values.
func (s *Server) patched(rt *schema.ResourceType, old map[string]any, ops []PatchOp, vals []any, mode patchMode) (map[string]any, error) {
	doc, err := applyPatch(rt, old, ops, vals, mode)
	if err != nil {
		return nil, err
	}
	doc = s.guardAccess(rt, old, doc)
	if sameWritable(rt, old, doc) {
		return nil, nil
	}
	return doc, nil
}

// update is the optimistic read-modify-write behind PUT and PATCH: change
// computes the new document from the current one (nil: nothing to
// write), and the write is a compare-and-swap on the version read,
// retried when a concurrent write won, as long as the version read still
// meets ifMatch (the request's If-Match; nil for none): of two writes
// naming one version, exactly one wins and the other gets
// ErrVersionMismatch. A handler that keeps no meta.version gets no
// compare-and-swap. Updates of one resource through this Server queue for
// their turn. With typed set, a written user may come back as a *User
// (userReplacer, when no events are published), and the map is then nil.
func (q *request) update(res *Resource, id string, ifMatch *etagSet, excludeMembers, typed bool, change func(old map[string]any) (map[string]any, error)) (map[string]any, *User, error) {
	ctx := q.r.Context()
	unlock, err := q.s.writes.lock(ctx, q.tenant+"\x00"+endpointKey(res.Type)+"\x00"+id)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	defer q.lockFor(res, id)()
	// Events and the provisioning log compare the members before and
	// after.
	excludeMembers = excludeMembers && !q.publishes(res) && !q.changes
	for range maxWriteRetries {
		old, err := res.Handler.Get(ctx, q.tenant, id, GetOptions{ExcludeMembers: excludeMembers})
		if err != nil {
			return nil, nil, err
		}
		cur := versionOf(old)
		if !ifMatch.matches(cur) {
			return nil, nil, ErrVersionMismatch
		}
		doc, err := change(old)
		if err != nil {
			return nil, nil, err
		}
		if doc == nil {
			return old, nil, nil
		}
		if ur, ok := q.typedReplacer(res, typed); ok {
			// Straight to the response: no document form of the result.
			u, err := ur.replaceUser(ctx, q.tenant, id, doc, cur)
			if errors.Is(err, ErrVersionMismatch) && cur != "" {
				continue
			}
			if err == nil {
				q.noteUserWrite(res, old, u)
			}
			return nil, u, err
		}
		out, err := res.Handler.Replace(ctx, q.tenant, id, doc, cur)
		if errors.Is(err, ErrVersionMismatch) && cur != "" {
			continue
		}
		if err == nil {
			q.noteWrite(res, old, out, !excludeMembers)
			if q.publishes(res) {
				q.published(ctx, res, old, deepCopyMap(out))
			}
		}
		return out, nil, err
	}
	return nil, nil, errBusy
}

// typedReplacer returns res's handler as a userReplacer when update,
// with typed set, writes through it: the result comes back as a *User
// and no document form of it is built.
func (q *request) typedReplacer(res *Resource, typed bool) (userReplacer, bool) {
	ur, ok := res.Handler.(userReplacer)
	return ur, ok && typed && !q.publishes(res)
}

// patchMembers runs a PATCH on a MemberPatcher: the operations on members
// become deltas, the others go through the PATCH engine on the resource
// read without its members, and only a real change of those takes the
// compare-and-swap path (Okta re-sends displayName with every membership
// change). With ifMatch (If-Match) the group is read first and the write
// is a compare-and-swap on the version read, whatever changes.
func (q *request) patchMembers(res *Resource, mp MemberPatcher, id string, ops []PatchOp, ifMatch *etagSet) (map[string]any, error) {
	ctx := q.r.Context()
	attrOps, memberOps, err := splitGroupPatch(ops)
	if err != nil {
		return nil, err
	}
	// Events compare the group, with its members, before and after; so
	// does the provisioning log when the operations alone do not say
	// which members they add and remove.
	added, removed, byValue := opMembers(memberOps)
	var before map[string]any
	if q.publishes(res) || q.changes && !byValue {
		defer q.lockFor(res, id)()
		if before, err = res.Handler.Get(ctx, q.tenant, id, GetOptions{}); err != nil {
			return nil, err
		}
	}
	for attempt := range maxWriteRetries {
		var doc, old map[string]any
		version := ""
		if len(attrOps) > 0 || ifMatch != nil || q.s.cfg.BeforeWrite != nil && len(memberOps) > 0 {
			if attempt == 0 && before != nil {
				// The group just read for the events, without its members.
				old = maps.Clone(before)
				delete(old, "members")
			} else if old, err = res.Handler.Get(ctx, q.tenant, id, GetOptions{ExcludeMembers: true}); err != nil {
				return nil, err
			}
		}
		if ifMatch != nil {
			if version = versionOf(old); !ifMatch.matches(version) {
				return nil, ErrVersionMismatch
			}
		}
		if len(attrOps) > 0 {
			if doc, err = q.s.patched(res.Type, old, attrOps, nil, patchStored); err != nil {
				return nil, err
			}
			if doc != nil {
				version = versionOf(old)
			}
		}
		if doc == nil && len(memberOps) == 0 {
			// Nothing to write; the resource must exist all the same.
			if old == nil {
				if _, err := res.Handler.Get(ctx, q.tenant, id, GetOptions{ExcludeMembers: true}); err != nil {
					return nil, err
				}
			}
			return nil, nil
		}
		w := Write{Op: OpPatch, ResourceType: res.Type.Name, ID: id, Old: old, New: doc, Members: memberOps}
		if err := q.beforeWrite(ctx, w); err != nil {
			return nil, err
		}
		out, err := mp.PatchMembers(ctx, q.tenant, id, doc, memberOps, version)
		if errors.Is(err, ErrVersionMismatch) && version != "" {
			continue
		}
		if err != nil {
			return out, err
		}
		if before != nil {
			if after, err := res.Handler.Get(ctx, q.tenant, id, GetOptions{}); err == nil {
				q.published(ctx, res, before, after)
				added, removed = memberDelta(docMembers(before), docMembers(after))
				byValue = true
			}
		}
		if q.changes {
			if doc != nil {
				q.log.Changed = changedNames(res.Type.Name, old, doc)
			}
			if byValue {
				q.noteMembers(added, removed)
			}
		}
		return out, nil
	}
	return nil, errBusy
}

func (q *request) delete(res *Resource, id string) {
	ifMatch, err := conditional(q.r, "If-Match")
	if err == nil {
		err = q.deleteResource(res, id, ifMatch)
	}
	if err != nil {
		q.fail(err)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}

// deleteResource deletes; with a BeforeWrite hook, events to publish or
// ifMatch (If-Match) it reads the resource first and deletes only the
// version read.
func (q *request) deleteResource(res *Resource, id string, ifMatch *etagSet) error {
	ctx := q.r.Context()
	if q.s.cfg.BeforeWrite == nil && !q.publishes(res) && ifMatch == nil {
		return res.Handler.Delete(ctx, q.tenant, id, "")
	}
	defer q.lockFor(res, id)()
	for range maxWriteRetries {
		old, err := res.Handler.Get(ctx, q.tenant, id, GetOptions{ExcludeMembers: !q.publishes(res)})
		if err != nil {
			return err
		}
		cur := versionOf(old)
		if !ifMatch.matches(cur) {
			return ErrVersionMismatch
		}
		if err := q.beforeWrite(ctx, Write{Op: OpDelete, ResourceType: res.Type.Name, ID: id, Old: old}); err != nil {
			return err
		}
		err = res.Handler.Delete(ctx, q.tenant, id, cur)
		if errors.Is(err, ErrVersionMismatch) && cur != "" {
			continue
		}
		if err == nil {
			q.published(ctx, res, old, nil)
		}
		return err
	}
	return errBusy
}

// versionOf returns a document's meta.version, or "".
func versionOf(doc map[string]any) string {
	meta, _ := doc["meta"].(map[string]any)
	v, _ := meta["version"].(string)
	return v
}

// sameWritable reports whether a and b hold the same values but for the
// attributes the server or the handler maintains (id, meta, readOnly ones
// such as a user's groups), for change detection: DeepEqual of the two
// without those, with no copy of either.
func sameWritable(rt *schema.ResourceType, a, b map[string]any) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	maintained := func(k string) bool {
		if k == "id" || k == "meta" {
			return true
		}
		for _, attr := range rt.Schema.Attributes {
			if attr.Mutability == schema.ReadOnly && attr.Name == k {
				return true
			}
		}
		return false
	}
	n := 0
	for k, v := range a {
		if maintained(k) {
			continue
		}
		w, ok := b[k]
		if !ok || !sameValue(v, w) {
			return false
		}
		n++
	}
	for k := range b {
		if !maintained(k) {
			n--
		}
	}
	return n == 0
}
