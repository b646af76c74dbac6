package scim

import (
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// request is one authenticated request being served.
type request struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	tenant string
	base   string
	// vals is the parsed query (query), nil until asked for or when empty.
	vals url.Values
	// password is a new password the request carries for
	// Config.ChangePassword; hasPassword says there is one.
	password    string
	hasPassword bool
	// log is the request's provisioning log record (operationlog.go);
	// changes says whether writes compute its changed attribute names.
	log     *LogRecord
	changes bool
	// segs is the path, split on "/" (classify).
	segs []string
}

func (q *request) route() {
	if err := textError(q.r); err != nil {
		q.fail(err)
		return
	}
	segs := q.segs
	m := q.r.Method
	switch {
	case len(segs) == 0:
		if q.allow(m, http.MethodGet) {
			q.rootSearch(false)
		}
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
		if q.allow(m, http.MethodPost) {
			q.bulk()
		}
		return
	case strings.EqualFold(segs[0], "Me"):
		q.me(segs[1:])
		return
	case strings.EqualFold(segs[0], ".search") && len(segs) == 1:
		if q.allow(m, http.MethodPost) {
			q.rootSearch(true)
		}
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
	q.one(res, segs[1])
}

// query returns the request's query parameters, parsed once; nil (whose
// Get is "") when there are none.
func (q *request) query() url.Values {
	if q.vals == nil && q.r.URL.RawQuery != "" {
		q.vals = q.r.URL.Query()
	}
	return q.vals
}

// one serves the methods on one resource.
func (q *request) one(res *Resource, id string) {
	switch q.r.Method {
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

// textError refuses a path or query parameter that is not UTF-8 once
// percent-decoded, as bodies are refused (see readBytes): such text is
// never repaired with U+FFFD. A filter gets its own scimType; the
// messages never quote the bytes.
func textError(r *http.Request) error {
	if !utf8.ValidString(r.URL.Path) {
		return Errorf(InvalidSyntax, "The request path is not valid UTF-8.")
	}
	if r.URL.RawQuery == "" || utf8.ValidString(r.URL.RawQuery) && !strings.Contains(r.URL.RawQuery, "%") {
		return nil // nothing percent-encoded: valid as it is
	}
	v := r.URL.Query()
	for _, f := range v["filter"] {
		if !utf8.ValidString(f) {
			return Errorf(InvalidFilter, "The filter is not valid UTF-8.")
		}
	}
	for k, vs := range v {
		if !utf8.ValidString(k) {
			return Errorf(InvalidSyntax, "A query parameter name is not valid UTF-8.")
		}
		for _, s := range vs {
			if !utf8.ValidString(s) {
				return Errorf(InvalidSyntax, "The query parameter %q is not valid UTF-8.", k)
			}
		}
	}
	return nil
}
