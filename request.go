package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/internal/jsonx"
	"github.com/scimkit/scim/schema"
)

// Message schema URNs (RFC 7644 section 3.1 ff.).
const (
	listResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// maxJSONDepth bounds request body nesting; the deepest SCIM resource needs 4.
const maxJSONDepth = 32

// request is one authenticated request being served.
type request struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	tenant string
	base   string
}

func (q *request) route() {
	path := strings.Trim(q.r.URL.Path, "/")
	var segs []string
	if path != "" {
		segs = strings.Split(path, "/")
	}
	m := q.r.Method
	switch {
	case len(segs) == 0:
		q.fail(&Error{Status: http.StatusNotFound, Detail: "No endpoint here; try /Users, /Groups or /ServiceProviderConfig."})
		return
	case strings.EqualFold(segs[0], "ServiceProviderConfig") && len(segs) == 1:
		if q.allow(m, http.MethodGet) {
			q.serviceProviderConfig()
		}
		return
	case strings.EqualFold(segs[0], "ResourceTypes") && len(segs) <= 2:
		if q.allow(m, http.MethodGet) {
			q.resourceTypes(segs[1:])
		}
		return
	case strings.EqualFold(segs[0], "Schemas") && len(segs) <= 2:
		if q.allow(m, http.MethodGet) {
			q.schemas(segs[1:])
		}
		return
	case strings.EqualFold(segs[0], "Bulk") && len(segs) == 1:
		q.fail(&Error{Status: http.StatusNotImplemented, Detail: "Bulk is not supported by this server (see /ServiceProviderConfig)."})
		return
	case strings.EqualFold(segs[0], "Me"):
		q.fail(&Error{Status: http.StatusNotImplemented, Detail: "/Me is not supported by this server."})
		return
	case strings.EqualFold(segs[0], ".search") && len(segs) == 1:
		q.fail(&Error{Status: http.StatusNotImplemented, Detail: "Search across resource types is not supported; POST to /Users/.search or /Groups/.search."})
		return
	}
	res := q.s.byPath[strings.ToLower(segs[0])]
	if res == nil || len(segs) > 2 {
		q.fail(&Error{Status: http.StatusNotFound, Detail: "No such endpoint."})
		return
	}
	if len(segs) == 1 {
		switch m {
		case http.MethodGet:
			q.list(res, false)
		case http.MethodPost:
			q.create(res)
		default:
			q.methodNotAllowed("GET, POST")
		}
		return
	}
	if segs[1] == ".search" {
		if q.allow(m, http.MethodPost) {
			q.list(res, true)
		}
		return
	}
	id := segs[1]
	switch m {
	case http.MethodGet:
		q.get(res, id)
	case http.MethodPut:
		q.replace(res, id)
	case http.MethodPatch:
		q.patch(res, id)
	case http.MethodDelete:
		q.delete(res, id)
	default:
		q.methodNotAllowed("GET, PUT, PATCH, DELETE")
	}
}

func (q *request) allow(method, want string) bool {
	if method == want || (want == http.MethodGet && method == http.MethodHead) {
		return true
	}
	q.methodNotAllowed(want)
	return false
}

func (q *request) methodNotAllowed(allow string) {
	q.w.Header().Set("Allow", allow)
	q.fail(&Error{Status: http.StatusMethodNotAllowed, Detail: "Method not allowed here; allowed: " + allow + "."})
}

// fail writes err as a SCIM error; causes of 5xx go to the log only.
func (q *request) fail(err error) {
	se := asError(err)
	if se.Status >= 500 && !errors.As(err, new(*Error)) {
		q.s.log.Error("scim: request failed", "method", q.r.Method, "path", q.r.URL.Path, "tenant", q.tenant, "err", err)
	}
	writeError(q.w, se)
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	var b []byte
	var err error
	switch x := v.(type) {
	case listResponse:
		b, err = x.MarshalJSON()
	case orderedDoc:
		b, err = appendJSON(nil, x)
	case userOut:
		b = appendUser(make([]byte, 0, 1024), x.u, x.base)
	default:
		b, err = json.Marshal(v)
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

// readBytes reads a request body within the configured size, after
// checking its media type.
func (q *request) readBytes() ([]byte, error) {
	if ct := q.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || mt == "application/scim+json" || strings.HasSuffix(mt, "+json")) {
			return nil, &Error{Status: http.StatusUnsupportedMediaType, Detail: "Send the body as application/scim+json or application/json."}
		}
	}
	b, err := io.ReadAll(http.MaxBytesReader(q.w, q.r.Body, q.s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Detail: "The request body exceeds " + strconv.FormatInt(q.s.cfg.MaxBodyBytes, 10) + " bytes."}
		}
		return nil, Errorf(InvalidSyntax, "The request body could not be read.")
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return nil, Errorf(InvalidSyntax, "The request body is empty; a JSON object is required.")
	}
	return b, nil
}

// readBody reads and decodes a JSON object body.
func (q *request) readBody() (map[string]any, error) {
	b, err := q.readBytes()
	if err != nil {
		return nil, err
	}
	return decodeObject(b)
}

// bodyJSON is how request bodies are parsed: nesting is bounded, and a key
// given twice in one object is refused, since encoding/json would keep the
// last one silently and which one wins must never be a guess.
var bodyJSON = jsonx.Options{MaxDepth: maxJSONDepth, RejectDuplicateKeys: true}

func errTooDeep() *Error { return Errorf(InvalidSyntax, "The request body is nested too deeply.") }

func errDuplicateKey() *Error {
	return Errorf(InvalidSyntax, "The request body has a duplicate key in one object.")
}

func errInvalidJSON() *Error { return Errorf(InvalidSyntax, "The request body is not valid JSON.") }

// decodeObject decodes b as one JSON object, numbers as json.Number, in
// one pass. Only a body that fails takes a second look, so that each
// failure gets the message it always had (see bodyError).
func decodeObject(b []byte) (map[string]any, error) {
	v, err := jsonx.Parse(b, bodyJSON)
	if err != nil {
		return nil, bodyError(b, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(InvalidSyntax, "The request body must be a JSON object.")
	}
	return m, nil
}

// bodyError maps a parse error of the body b to its 400. Too deep is
// judged on the whole body first, whatever else is wrong with it; then
// the first fault in b. Data after the value is named as such only when it
// is JSON itself, else what is wrong with it is.
func bodyError(b []byte, err error) error {
	switch {
	case errors.Is(err, jsonx.ErrTooDeep) || jsonDepth(b) > maxJSONDepth:
		return errTooDeep()
	case errors.Is(err, jsonx.ErrTrailingData):
		if err := rejectDuplicateKeys(b); err != nil {
			return err
		}
		return Errorf(InvalidSyntax, "The request body has data after the JSON object.")
	case errors.Is(err, jsonx.ErrDuplicateKey):
		return errDuplicateKey()
	}
	return errInvalidJSON()
}

// jsonDepth returns the maximum nesting of objects and arrays in b, without
// recursion; strings are skipped.
func jsonDepth(b []byte) int {
	depth, max, inStr := 0, 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case '{', '[':
			depth++
			if depth > max {
				max = depth
			}
		case '}', ']':
			depth--
		}
	}
	return max
}

// readResource reads a POST or PUT body and normalises it against the
// resource type's schema.
func (q *request) readResource(res *Resource) (map[string]any, error) {
	body, err := q.readBody()
	if err != nil {
		return nil, err
	}
	return normalize(res.Type, body)
}

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

// respond writes a resource after a write, honouring attributes and
// excludedAttributes query parameters (RFC 7644 section 3.9).
func (q *request) respond(res *Resource, status int, doc map[string]any) {
	v := q.r.URL.Query()
	proj, err := q.projection(res.Type, v.Get("attributes"), v.Get("excludedAttributes"))
	if err != nil {
		proj = projection{}
	}
	writeJSON(q.w, status, orderedDoc(proj.apply(res.Type, doc)))
}

// listParams are the query parameters of a list or search request.
type listParams struct {
	Filter             string `json:"filter"`
	StartIndex         any    `json:"startIndex"`
	Count              any    `json:"count"`
	Attributes         any    `json:"attributes"`
	ExcludedAttributes any    `json:"excludedAttributes"`
}

func (q *request) list(res *Resource, search bool) {
	var p listParams
	if search {
		body, err := q.readBody()
		if err != nil {
			q.fail(err)
			return
		}
		b, _ := json.Marshal(body)
		if err := json.Unmarshal(b, &p); err != nil {
			q.fail(Errorf(InvalidSyntax, "filter must be a string in a SearchRequest."))
			return
		}
	} else {
		v := q.r.URL.Query()
		p.Filter = v.Get("filter")
		if v.Has("startIndex") {
			p.StartIndex = v.Get("startIndex")
		}
		if v.Has("count") {
			p.Count = v.Get("count")
		}
		p.Attributes = v.Get("attributes")
		p.ExcludedAttributes = v.Get("excludedAttributes")
	}
	start, err := intParam("startIndex", p.StartIndex, 1)
	if err != nil {
		q.fail(err)
		return
	}
	start = max(start, 1)
	count, err := intParam("count", p.Count, q.s.cfg.DefaultCount)
	if err != nil {
		q.fail(err)
		return
	}
	count = min(max(count, 0), q.s.cfg.MaxResults)
	attrs, err := stringListParam("attributes", p.Attributes)
	if err != nil {
		q.fail(err)
		return
	}
	excl, err := stringListParam("excludedAttributes", p.ExcludedAttributes)
	if err != nil {
		q.fail(err)
		return
	}
	proj, err := q.projection(res.Type, attrs, excl)
	if err != nil {
		q.fail(err)
		return
	}
	query := Query{StartIndex: start, Count: count, ExcludeMembers: !proj.wants("members")}
	if strings.TrimSpace(p.Filter) != "" {
		f, err := q.parseFilter(res.Type, p.Filter, search)
		if err != nil {
			q.fail(err)
			return
		}
		query.Filter = f
	}
	var docs []any
	var total int
	if uh, ok := res.Handler.(*userHandler); ok && proj.isDefault() {
		page, err := uh.store.ListUsers(q.r.Context(), q.tenant, query)
		if err != nil {
			q.fail(err)
			return
		}
		docs = make([]any, len(page.Resources))
		for i, u := range page.Resources {
			if len(u.Extensions) > 0 {
				d := UserDoc(u)
				q.decorate(res, d)
				docs[i] = orderedDoc(proj.apply(res.Type, d))
				continue
			}
			docs[i] = userOut{u, q.base}
		}
		total = page.TotalResults
	} else {
		out, err := res.Handler.List(q.r.Context(), q.tenant, query)
		if err != nil {
			q.fail(err)
			return
		}
		docs = make([]any, len(out.Resources))
		for i, d := range out.Resources {
			q.decorate(res, d)
			docs[i] = orderedDoc(proj.apply(res.Type, d))
		}
		total = out.TotalResults
	}
	writeJSON(q.w, http.StatusOK, listResponse{
		Schemas:      []string{listResponseURN},
		TotalResults: total,
		StartIndex:   start,
		ItemsPerPage: len(docs),
		Resources:    docs,
	})
}

type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

// parseFilter parses and resolves a filter, mapping errors to SCIM errors.
// A filter on a returned:never attribute is 403 sensitive in a URL (RFC
// 7644 section 7.5.2) and 400 invalidFilter in a search body.
func (q *request) parseFilter(rt *schema.ResourceType, s string, search bool) (filter.Expr, error) {
	e, err := filter.ParseWith(s, q.s.cfg.FilterLimits)
	if err == nil {
		e, err = filter.Resolve(e, rt)
	}
	if err == nil {
		return e, nil
	}
	var fe *filter.Error
	if !errors.As(err, &fe) {
		return nil, Errorf(InvalidFilter, "The filter is invalid.")
	}
	if fe.Kind == filter.Sensitive {
		if search {
			return nil, Errorf(InvalidFilter, "Filtering on that attribute is not allowed.")
		}
		return nil, &Error{Status: http.StatusForbidden, ScimType: Sensitive, Detail: "Filtering on that attribute is not allowed."}
	}
	return nil, Errorf(InvalidFilter, "%s", fe.Msg)
}

// intParam reads an integer parameter given as a query string or a JSON
// number; absent means def.
func intParam(name string, v any, def int) (int, error) {
	switch x := v.(type) {
	case nil:
		return def, nil
	case string:
		if strings.TrimSpace(x) == "" {
			return def, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(x))
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				if strings.HasPrefix(strings.TrimSpace(x), "-") {
					return -1, nil
				}
				return int(^uint(0) >> 1), nil
			}
			return 0, Errorf(InvalidValue, "%s must be an integer.", name)
		}
		return n, nil
	case float64:
		return int(max(min(x, 1<<31), -1)), nil
	}
	return 0, Errorf(InvalidValue, "%s must be an integer.", name)
}

func stringListParam(name string, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return "", Errorf(InvalidValue, "%s must be a list of attribute names.", name)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	}
	return "", Errorf(InvalidValue, "%s must be a list of attribute names.", name)
}

// decorate fills the attributes the server owns: schemas, meta.resourceType,
// meta.location, and the $ref of member and group references.
func (q *request) decorate(res *Resource, doc map[string]any) {
	rt := res.Type
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
