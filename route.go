package scim

import (
	"net/http"
	"strings"
)

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
