package elimityscim

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

type tenantKey struct{}

// Tenant returns the scimkit tenant of the request an elimity handler
// serves: Tenant(r.Context()). It is "" outside the adapter.
//
// elimity handlers know no tenants, so the adapter puts the tenant where
// a handler already looks for request-scoped data, the request's context,
// beside everything the host's middleware put there. A handler kept
// unchanged serves every tenant the scim.Authenticator admits from one
// data set: give it one tenant only (scim.StaticToken), or make it read
// Tenant, or have it pick a per-tenant handler by Tenant.
func Tenant(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// request builds the *http.Request an elimity handler gets: the method
// and path of the operation on the resource type's endpoint (with id when
// not ""), the query parameters q, If-Match when ifMatch is not "", no
// body, and ctx carrying the tenant.
func (h *handler) request(ctx context.Context, tenant, method, id string, q url.Values, ifMatch string) (*http.Request, error) {
	u := url.URL{Path: "/" + strings.Trim(h.rt.Endpoint, "/"), RawQuery: q.Encode()}
	if id != "" {
		u.Path += "/" + id
	}
	r, err := http.NewRequestWithContext(context.WithValue(ctx, tenantKey{}, tenant), method, u.String(), http.NoBody)
	if err != nil {
		return nil, err
	}
	if ifMatch != "" {
		r.Header.Set("If-Match", ifMatch)
	}
	return r, nil
}

// pageQuery is the query of a GetAll request for a page, asking the
// handler to leave members out when excludeMembers is set.
func pageQuery(start, count int, excludeMembers bool) url.Values {
	q := url.Values{"startIndex": {strconv.Itoa(start)}, "count": {strconv.Itoa(count)}}
	if excludeMembers {
		q.Set("excludedAttributes", "members")
	}
	return q
}
