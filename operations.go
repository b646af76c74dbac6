package scim

import (
	"net/http"
)

func (q *request) create(res *Resource) {
	doc, err := q.readResource(res)
	if err != nil {
		q.fail(err)
		return
	}
	out, err := res.Handler.Create(q.r.Context(), q.tenant, doc)
	if err != nil {
		q.fail(err)
		return
	}
	q.decorate(res, out)
	if loc, ok := out["meta"].(map[string]any)["location"].(string); ok {
		q.w.Header().Set("Location", loc)
	}
	q.respond(res, http.StatusCreated, out)
}

func (q *request) get(res *Resource, id string) {
	proj, err := q.projection(res.Type, q.r.URL.Query().Get("attributes"), q.r.URL.Query().Get("excludedAttributes"))
	if err != nil {
		q.fail(err)
		return
	}
	if uh, ok := res.Handler.(*userHandler); ok && proj.isDefault() {
		u, err := uh.store.GetUser(q.r.Context(), q.tenant, id)
		if err != nil {
			q.fail(err)
			return
		}
		if len(u.Extensions) == 0 {
			writeJSON(q.w, http.StatusOK, userOut{u, q.base})
			return
		}
		out := UserDoc(u)
		q.decorate(res, out)
		writeJSON(q.w, http.StatusOK, orderedDoc(proj.apply(res.Type, out)))
		return
	}
	out, err := res.Handler.Get(q.r.Context(), q.tenant, id, GetOptions{ExcludeMembers: !proj.wants("members")})
	if err != nil {
		q.fail(err)
		return
	}
	q.decorate(res, out)
	writeJSON(q.w, http.StatusOK, orderedDoc(proj.apply(res.Type, out)))
}

func (q *request) replace(res *Resource, id string) {
	doc, err := q.readResource(res)
	if err != nil {
		q.fail(err)
		return
	}
	out, err := res.Handler.Replace(q.r.Context(), q.tenant, id, doc, "")
	if err != nil {
		q.fail(err)
		return
	}
	q.decorate(res, out)
	q.respond(res, http.StatusOK, out)
}

func (q *request) patch(res *Resource, id string) {
	b, err := q.readBytes()
	if err != nil {
		q.fail(err)
		return
	}
	// ParsePatch, exported, keeps encoding/json's nesting bound; the
	// server's is checked first, as for every body.
	if jsonDepth(b) > maxJSONDepth {
		q.fail(errTooDeep())
		return
	}
	ops, err := ParsePatch(b)
	if err != nil {
		q.fail(err)
		return
	}
	out, err := res.Handler.Patch(q.r.Context(), q.tenant, id, ops, "")
	if err != nil {
		q.fail(err)
		return
	}
	if out == nil {
		q.w.WriteHeader(http.StatusNoContent)
		return
	}
	q.decorate(res, out)
	q.respond(res, http.StatusOK, out)
}

func (q *request) delete(res *Resource, id string) {
	if err := res.Handler.Delete(q.r.Context(), q.tenant, id, ""); err != nil {
		q.fail(err)
		return
	}
	q.w.WriteHeader(http.StatusNoContent)
}
