package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/scimkit/scim/schema"
)

// fail writes err as a SCIM error; causes of 5xx go to the log only.
func (q *request) fail(err error) {
	se := asError(err)
	if se.Status >= 500 && !errors.As(err, new(*Error)) {
		q.s.log.Error("scim: request failed", "method", q.r.Method, "path", q.r.URL.Path, "tenant", q.tenant, "err", err)
	}
	if q.log != nil {
		q.log.SCIMType = se.ScimType
	}
	writeError(q.w, se)
}

func writeError(w http.ResponseWriter, e *Error) {
	if e == errUnavailable {
		w.Header().Set("Retry-After", unavailableRetryAfter)
	}
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	buf := responseBuffers.Get().(*[]byte)
	defer putResponseBuffer(buf)
	var b []byte
	var err error
	switch x := v.(type) {
	case listResponse:
		b, err = x.appendJSON((*buf)[:0])
	case orderedDoc:
		b, err = appendJSON((*buf)[:0], x)
	case userOut:
		b = appendUser((*buf)[:0], x.u, x.base, x.exts)
	default:
		b, err = json.Marshal(v)
	}
	if err == nil && cap(b) > cap(*buf) {
		*buf = b // grown: the larger buffer goes back
	}
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"Internal server error."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/scim+json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// responseBuffers holds the buffers answers are encoded into: the
// ResponseWriter copies what it is given, so a buffer is free again once
// written.
var responseBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxPooledResponse bounds the buffers kept: a large list's does not stay.
const maxPooledResponse = 64 << 10

func putResponseBuffer(b *[]byte) {
	if cap(*b) <= maxPooledResponse {
		responseBuffers.Put(b)
	}
}

// respond writes a resource after a write, honouring attributes and
// excludedAttributes query parameters (RFC 7644 section 3.9).
func (q *request) respond(res *Resource, status int, doc map[string]any) {
	v := q.query()
	proj, err := q.projection(res.Type, v.Get("attributes"), v.Get("excludedAttributes"))
	if err != nil {
		proj = projection{}
	}
	q.setETag(doc)
	writeJSON(q.w, status, orderedDoc(proj.apply(res.Type, doc)))
}

// decorate fills the attributes the server owns: schemas, meta.resourceType,
// meta.location, and the $ref of member and group references.
func (q *request) decorate(res *Resource, doc map[string]any) {
	rt := res.Type
	for k := range doc {
		// Values kept for an extension no longer registered stay stored
		// but are not shown.
		if isExtensionKey(k) && rt.Extension(k) == nil {
			delete(doc, k)
		}
	}
	schemas := []any{rt.Schema.ID}
	for _, e := range rt.Extensions {
		if _, ok := doc[e.Schema.ID]; ok {
			schemas = append(schemas, e.Schema.ID)
		}
	}
	doc["schemas"] = schemas
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["meta"] = meta
	}
	meta["resourceType"] = rt.Name
	if v, ok := meta["version"].(string); ok && v != "" {
		meta["version"] = entityTag(v)
	}
	if id, ok := doc["id"].(string); ok {
		meta["location"] = q.base + "/" + strings.Trim(rt.Endpoint, "/") + "/" + id
	}
	refs := func(key, endpoint, defType string) {
		list, _ := doc[key].([]any)
		for _, e := range list {
			m, ok := e.(map[string]any)
			if !ok {
				continue
			}
			v, _ := m["value"].(string)
			typ, _ := m["type"].(string)
			if typ == "" && defType != "" {
				m["type"] = defType
				typ = defType
			}
			if v != "" {
				ep := endpoint
				if strings.EqualFold(typ, "Group") {
					ep = "Groups"
				}
				m["$ref"] = q.base + "/" + ep + "/" + v
			}
		}
	}
	switch rt.Schema.ID {
	case schema.GroupURN:
		refs("members", "Users", "User")
	case schema.UserURN:
		refs("groups", "Groups", "")
	}
}
