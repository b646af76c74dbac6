package idpsim

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Failure reasons that tests and integrators look for. Each names the
// defect and what it does to the identity provider.
const (
	ReasonManagerString  = "manager returned as a string: Entra cannot read it back"
	ReasonFilterMiss404  = "404 on a filter miss: Entra quarantines the job"
	ReasonJSONType       = "application/json content type: the Microsoft validator aborts"
	ReasonGroupCleared   = "PATCH member removal cleared the whole group"
	ReasonNoResponse     = "no response (connection error or timeout): the IdP retries, then escrows the object"
	ReasonCredentials    = "credentials rejected: the IdP reports invalid credentials and quarantines the job"
	ReasonNoID           = "no id in the create response: the IdP cannot address the object later"
	ReasonNotFoundSchema = "404 without the SCIM Error schema"
	ReasonStillReadable  = "deleted resource still readable: GET after DELETE did not answer 404"
	ReasonLookupMissed   = "filter userName eq did not find the user: Entra would create it again"
	ReasonDisabledHidden = "filter did not find a disabled user: inactive users must stay visible"
	ReasonOldNameFound   = "filter still finds the old userName after a rename"
	ReasonDeletedFound   = "filter still finds a deleted user"
	ReasonGroupMissed    = "filter displayName eq did not find the group: Entra would create it again"
	ReasonReference      = "reference check filter id eq and manager eq did not find the manager just set: Entra re-sends the manager PATCH every cycle"
	ReasonMembersExcl    = "excludedAttributes=members ignored: members returned"
	ReasonActiveString   = "active returned as a string: IdPs read a JSON boolean"
	ReasonGroup200       = "group PATCH answered 200 with a body, Entra expects 204 No Content"
	ReasonDeletedMember  = "a deleted user is still a group member"
	ReasonMembersDiffer  = "group members differ from what was sent"
	ReasonCaseSensitive  = "filter userName eq is case-sensitive: Okta expects an upper-cased lookup to find the user"
)

// call sends a request and checks what every response must satisfy: a
// response at all, the SCIM content type, and a status in want. what names
// the request without ids ("POST /Users") for the failure reason. It
// returns nil when the request got no response; ok reports whether the
// status was wanted.
func (s *simulation) call(ctx context.Context, o *op, kind reqKind, method, path string, body []byte, what string, want ...int) (r *response, ok bool) {
	r, err := s.send(ctx, kind, method, path, body)
	if err != nil {
		if ctx.Err() == nil {
			o.fail(ReasonNoResponse, "%s %s: %v", method, path, err)
		}
		return nil, false
	}
	o.checkContentType(r)
	if slices.Contains(want, r.status) {
		return r, true
	}
	o.badStatus(r, what, want...)
	return r, false
}

// checkContentType requires application/scim+json on every response with
// a body.
func (o *op) checkContentType(r *response) {
	if len(strings.TrimSpace(string(r.body))) == 0 {
		return
	}
	mt, _, err := mime.ParseMediaType(r.ctype)
	switch {
	case err == nil && mt == "application/scim+json":
	case err == nil && mt == "application/json":
		o.fail(ReasonJSONType, "%s answered %d with Content-Type %q", r, r.status, r.ctype)
	default:
		o.fail(fmt.Sprintf("content type %q: SCIM responses must be application/scim+json", r.ctype), "%s answered %d", r, r.status)
	}
}

// badStatus records an unexpected status in the words an integrator needs.
func (o *op) badStatus(r *response, what string, want ...int) {
	ws := make([]string, len(want))
	for i, w := range want {
		ws[i] = strconv.Itoa(w)
	}
	exp := strings.Join(ws, " or ")
	idp := o.s.cfg.Mode.idp()
	detail := r.String()
	if d := r.errorDetail(); d != "" && r.status >= 400 {
		detail += ": " + d
	}
	var reason string
	switch {
	case r.status == http.StatusUnauthorized || r.status == http.StatusForbidden:
		reason = ReasonCredentials
	case r.status >= 500:
		reason = fmt.Sprintf("server error %d on %s: %s escrows the object and retries for 28 days", r.status, what, idp)
	case r.status == http.StatusConflict && r.method == http.MethodPost:
		reason = fmt.Sprintf("409 conflict on %s although the filter lookup found nothing: the lookup and uniqueness disagree", what)
	case r.status == http.StatusConflict:
		reason = fmt.Sprintf("409 conflict on %s: another resource holds the value", what)
	case r.status == http.StatusBadRequest:
		reason = fmt.Sprintf("%s answered 400 (expected %s): the server rejects a request %s sends", what, exp, idp)
	case r.status == http.StatusOK && slices.Contains(want, http.StatusNoContent) && strings.HasPrefix(what, "PATCH /Groups"):
		reason = ReasonGroup200
	default:
		reason = fmt.Sprintf("%s answered %d (expected %s)", what, r.status, exp)
	}
	o.fail(reason, "%s", detail)
}

// object decodes a response body that must be a JSON object.
func (o *op) object(r *response, what string) map[string]any {
	doc, err := r.json()
	if err != nil {
		o.fail(fmt.Sprintf("%s: response body is not a JSON object", what), "%s: %v", r, err)
		return nil
	}
	return doc
}

// listResult is a checked ListResponse.
type listResult struct {
	total     int
	resources []map[string]any
}

// checkList makes a filter query and checks the ListResponse: schema,
// integer totalResults, startIndex and itemsPerPage, a Resources array
// (also when empty), and an id on each resource. what names the query for
// failure reasons. A 404 is the quarantining filter-miss defect, and is
// read as a miss so the run can go on, as Okta does. The result is nil
// when the response cannot be used.
func (s *simulation) checkList(ctx context.Context, o *op, path, what string) *listResult {
	return s.checkPage(ctx, o, kLookup, path, what, 1)
}

// checkPage is checkList for the page starting at start.
func (s *simulation) checkPage(ctx context.Context, o *op, kind reqKind, path, what string, start int) *listResult {
	r, ok := s.call(ctx, o, kind, http.MethodGet, path, nil, what, http.StatusOK)
	if r == nil {
		return nil
	}
	if !ok {
		if r.status == http.StatusNotFound {
			// Replace the generic status reason with the specific one.
			o.probs[len(o.probs)-1].Reason = ReasonFilterMiss404
			return &listResult{}
		}
		return nil
	}
	doc := o.object(r, what)
	if doc == nil {
		return nil
	}
	if !hasString(doc["schemas"], listURN) {
		o.fail("ListResponse without the ListResponse schema URN", "%s: schemas = %s", r, show(doc["schemas"]))
	}
	total, okT := o.integer(r, doc, "totalResults")
	if _, ok := doc["startIndex"]; ok {
		if v, ok := o.integer(r, doc, "startIndex"); ok && v != start {
			if start == 1 {
				o.fail("startIndex of the first page is not 1", "%s: startIndex = %d", r, v)
			} else {
				o.fail("startIndex differs from the one requested", "%s: startIndex = %d", r, v)
			}
		}
	} else {
		o.fail("startIndex missing from ListResponse", "%s", r)
	}
	ipp, okI := o.integer(r, doc, "itemsPerPage")
	res := &listResult{total: total}
	switch v := doc["Resources"].(type) {
	case []any:
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				o.fail("ListResponse Resources holds a non-object", "%s", r)
				continue
			}
			if id, _ := m["id"].(string); id == "" {
				o.fail("resource without id in ListResponse", "%s", r)
				continue
			}
			res.resources = append(res.resources, m)
		}
	case nil:
		if okT && total == 0 {
			o.fail(`Resources missing from an empty ListResponse: Entra expects "Resources": []`, "%s", r)
		} else {
			o.fail("Resources missing from ListResponse", "%s", r)
		}
	default:
		o.fail("ListResponse Resources is not an array", "%s: Resources = %s", r, show(v))
	}
	if okT && total < len(res.resources) {
		o.fail("totalResults smaller than the resources returned", "%s: totalResults %d, %d resources", r, total, len(res.resources))
	}
	if okI && ipp != len(res.resources) {
		o.fail("itemsPerPage differs from the number of resources returned", "%s: itemsPerPage %d, %d resources", r, ipp, len(res.resources))
	}
	if !okT {
		res.total = len(res.resources)
	}
	return res
}

// integer reads an integer member of a ListResponse; strings and fractions
// are defects.
func (o *op) integer(r *response, doc map[string]any, key string) (int, bool) {
	switch v := doc[key].(type) {
	case json.Number:
		n, err := strconv.Atoi(v.String())
		if err != nil {
			o.fail(key+" is not an integer", "%s: %s = %s", r, key, v)
			return 0, false
		}
		return n, true
	case string:
		o.fail(key+" is a string: IdPs read paging numbers as integers", "%s: %s = %q", r, key, v)
	case nil:
		o.fail(key+" missing from ListResponse", "%s", r)
	default:
		o.fail(key+" is not a number", "%s: %s = %s", r, key, show(v))
	}
	return 0, false
}

// checkNotFound checks the answer to a GET of a deleted resource: 404 with
// the SCIM Error schema.
func (s *simulation) checkNotFound(ctx context.Context, o *op, path, what string) {
	r, err := s.send(ctx, kGet, http.MethodGet, path, nil)
	if err != nil {
		if ctx.Err() == nil {
			o.fail(ReasonNoResponse, "GET %s: %v", path, err)
		}
		return
	}
	o.checkContentType(r)
	switch {
	case r.status == http.StatusOK:
		o.fail(ReasonStillReadable, "%s answered 200", r)
		return
	case r.status != http.StatusNotFound:
		o.badStatus(r, what, http.StatusNotFound)
		return
	}
	doc, err := r.json()
	if err != nil || !hasString(doc["schemas"], errorURN) {
		o.fail(ReasonNotFoundSchema, "%s: %s", r, strings.TrimSpace(string(r.body)))
		return
	}
	switch st := doc["status"].(type) {
	case string:
		if st != "404" {
			o.fail("Error status differs from the HTTP status", "%s: status %q", r, st)
		}
	case json.Number:
		o.fail(`Error status is a number: RFC 7644 wants the string "404"`, "%s: status %s", r, st)
	default:
		o.fail("Error status missing", "%s", r)
	}
}

// has reports whether the result holds the resource with id.
func (l *listResult) has(id string) bool {
	for _, m := range l.resources {
		if m["id"] == id {
			return true
		}
	}
	return false
}

// hasString reports whether v is a JSON array containing s.
func hasString(v any, s string) bool {
	list, _ := v.([]any)
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// show renders a JSON value briefly for a failure detail.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 120 {
		return string(b[:117]) + "..."
	}
	return string(b)
}
