package scim

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// Message schema URNs (RFC 7644 section 3.1 ff.).
const (
	listResponseURN  = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	searchRequestURN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
)

// listParams are the query parameters of a list or search request.
type listParams struct {
	Filter             string `json:"filter"`
	StartIndex         any    `json:"startIndex"`
	Count              any    `json:"count"`
	Attributes         any    `json:"attributes"`
	ExcludedAttributes any    `json:"excludedAttributes"`
	SortBy             any    `json:"sortBy"`
	SortOrder          any    `json:"sortOrder"`
	Cursor             any    `json:"cursor"`
}

// listArgs are the parameters of a list or search request that do not
// depend on the resource type, checked, with count capped.
type listArgs struct {
	listParams
	start, count int
	attrs, excl  string
}

// listArgs reads the query parameters, or the SearchRequest body when
// search is set.
func (q *request) listArgs(search bool) (listArgs, error) {
	var a listArgs
	p := &a.listParams
	if search {
		body, err := q.readBody()
		if err != nil {
			return a, err
		}
		b, _ := json.Marshal(body)
		if err := json.Unmarshal(b, p); err != nil {
			return a, Errorf(InvalidSyntax, "filter must be a string in a SearchRequest.")
		}
	} else {
		v := q.query()
		p.Filter = v.Get("filter")
		if v.Has("startIndex") {
			p.StartIndex = v.Get("startIndex")
		}
		if v.Has("count") {
			p.Count = v.Get("count")
		}
		p.Attributes = v.Get("attributes")
		p.ExcludedAttributes = v.Get("excludedAttributes")
		p.SortBy, p.SortOrder = v.Get("sortBy"), v.Get("sortOrder")
		if v.Has("cursor") {
			p.Cursor = v.Get("cursor")
		}
	}
	var err error
	if a.start, err = intParam("startIndex", p.StartIndex, 1); err != nil {
		return a, err
	}
	a.start = max(a.start, 1)
	if a.count, err = intParam("count", p.Count, q.s.cfg.DefaultCount); err != nil {
		return a, err
	}
	a.count = min(max(a.count, 0), q.s.cfg.MaxResults)
	if a.attrs, err = stringListParam("attributes", p.Attributes); err != nil {
		return a, err
	}
	a.excl, err = stringListParam("excludedAttributes", p.ExcludedAttributes)
	return a, err
}

func (q *request) list(res *Resource, search bool) {
	a, err := q.listArgs(search)
	if err != nil {
		q.fail(err)
		return
	}
	p, start, count, attrs, excl := a.listParams, a.start, a.count, a.attrs, a.excl
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
	if query.SortBy, query.Descending, err = sortParams(res.Type, p.SortBy, p.SortOrder); err != nil {
		q.fail(err)
		return
	}
	var bind [cursorBindLen]byte
	paged := p.Cursor != nil // cursor paging (RFC 9865)
	if paged {
		query.Keyset = true
		bind = cursorBinding(q.tenant, res.Type.Name, strings.TrimSpace(p.Filter), sortKeyName(query.SortBy), query.Descending)
		if query.After, err = q.cursorParam(p, bind); err != nil {
			q.fail(err)
			return
		}
	}
	var docs []any
	var total int
	var last *Position
	if us, ok := res.Handler.(UserSource); ok && proj.isDefault() {
		page, err := us.ListUsers(q.r.Context(), q.tenant, query)
		if err != nil {
			q.fail(err)
			return
		}
		docs = make([]any, len(page.Resources))
		for i, u := range page.Resources {
			docs[i] = q.userOut(res, proj, u)
		}
		total, last = page.TotalResults, page.Last
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
		total, last = out.TotalResults, out.Last
	}
	resp := listResponse{
		Schemas:      []string{listResponseURN},
		TotalResults: total,
		StartIndex:   start,
		ItemsPerPage: len(docs),
		Resources:    docs,
		cursor:       paged,
	}
	// A handler that does not page by keyset gives no Last: a walk
	// would end early, silently. Say so instead.
	if paged && last == nil && len(docs) > 0 && total > len(docs) {
		q.fail(Errorf(InvalidValue, "%s cannot be paged by cursor; page with startIndex instead.", res.Type.Name))
		return
	}
	// A full page may have a next one; the last page of a walk may so be
	// empty, and has no nextCursor.
	if paged && last != nil && count > 0 && len(docs) == count {
		resp.NextCursor = q.s.cursors.encode(bind, *last)
	}
	writeJSON(q.w, http.StatusOK, resp)
}

// cursorParam reads the cursor of a cursor-paged request: nil for the
// first page (an empty cursor), else the position it continues after.
// startIndex with a cursor is 400 invalidValue: the two pagings exclude
// each other.
func (q *request) cursorParam(p listParams, bind [cursorBindLen]byte) (*Position, error) {
	s, ok := p.Cursor.(string)
	if !ok {
		return nil, &Error{Status: http.StatusBadRequest, ScimType: InvalidCursor, Detail: "cursor must be a string."}
	}
	if p.StartIndex != nil {
		return nil, Errorf(InvalidValue, "startIndex and cursor cannot be used together; use one way of paging.")
	}
	if s == "" {
		return nil, nil
	}
	pos, err := q.s.cursors.decode(s, bind)
	if err != nil {
		return nil, err
	}
	return &pos, nil
}

// sortKeyName is the resolved sortBy a cursor is bound to.
func sortKeyName(p filter.AttrPath) string {
	if p.Resolved.Attr == nil {
		return ""
	}
	return strings.ToLower(p.URI + ":" + p.Name + "." + p.Sub)
}

type listResponse struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
	NextCursor   string   `json:"nextCursor,omitempty"`
	cursor       bool     // cursor paging: no startIndex
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
		return versionTags(e), nil
	}
	return nil, filterError(err, search)
}

// versionTags lets a filter on meta.version name a version as the Server
// shows it, a weak entity-tag (W/"3"), where stores keep their own form
// (3): eq compares with either, ne with neither.
func versionTags(e filter.Expr) filter.Expr {
	switch x := e.(type) {
	case *filter.And:
		return &filter.And{Left: versionTags(x.Left), Right: versionTags(x.Right)}
	case *filter.Or:
		return &filter.Or{Left: versionTags(x.Left), Right: versionTags(x.Right)}
	case *filter.Not:
		return &filter.Not{X: versionTags(x.X)}
	case *filter.Compare:
		v, ok := x.Value.(string)
		if !ok || (x.Op != filter.Eq && x.Op != filter.Ne) || !x.Path.IsCore("meta") || !strings.EqualFold(x.Path.Sub, "version") || !isEntityTag(v) || opaque(v) == v {
			return e
		}
		bare := *x
		bare.Value = opaque(v)
		if x.Op == filter.Eq {
			return &filter.Or{Left: x, Right: &bare}
		}
		return &filter.And{Left: x, Right: &bare}
	}
	return e
}

// filterError maps a filter.ParseWith or filter.Resolve error to the SCIM
// error, as parseFilter describes.
func filterError(err error, search bool) error {
	var fe *filter.Error
	if !errors.As(err, &fe) {
		return Errorf(InvalidFilter, "The filter is invalid.")
	}
	if fe.Kind == filter.Sensitive {
		if search {
			return Errorf(InvalidFilter, "Filtering on that attribute is not allowed.")
		}
		return &Error{Status: http.StatusForbidden, ScimType: Sensitive, Detail: "Filtering on that attribute is not allowed."}
	}
	return Errorf(InvalidFilter, "%s", fe.Msg)
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

// maxSortBy bounds a sortBy path: an attribute path with a URN is far
// shorter.
const maxSortBy = 512

// sortParams reads sortBy and sortOrder (RFC 7644 section 3.4.2.3). An
// empty sortBy leaves the store's default order, and sortOrder alone is
// then ignored.
//
// A sortBy that names no attribute of the resource type, or one that
// cannot be sorted on (a whole extension, a complex attribute without a
// sub-attribute of that name, a returned:never attribute such as
// password, whose order would leak its values), is 400 invalidValue,
// never ignored: a client paging through an order it did not get would
// silently skip and repeat resources. So is a sortOrder other than
// "ascending" or "descending" (compared case-insensitively).
func sortParams(rt *schema.ResourceType, by, order any) (filter.AttrPath, bool, error) {
	bs, ok := by.(string)
	if by != nil && !ok {
		return filter.AttrPath{}, false, Errorf(InvalidValue, "sortBy must be a string.")
	}
	ord, ok := order.(string)
	if order != nil && !ok {
		return filter.AttrPath{}, false, Errorf(InvalidValue, "sortOrder must be a string.")
	}
	if strings.TrimSpace(bs) == "" {
		return filter.AttrPath{}, false, nil
	}
	var desc bool
	switch {
	case ord == "" || strings.EqualFold(ord, "ascending"):
	case strings.EqualFold(ord, "descending"):
		desc = true
	default:
		return filter.AttrPath{}, false, Errorf(InvalidValue, "sortOrder must be \"ascending\" or \"descending\".")
	}
	ap, err := ParseSortBy(rt, bs)
	return ap, desc, err
}

// ParseSortBy parses and resolves a sortBy value ("userName",
// "name.familyName", "emails", an extension attribute with or without its
// schema URN) against rt, into the form Query.SortBy takes: a complex
// attribute without a sub-attribute sorts by its "value". Its errors are
// the server's 400 invalidValue answers (see README "Sorting").
func ParseSortBy(rt *schema.ResourceType, s string) (filter.AttrPath, error) {
	if len(s) > maxSortBy {
		return filter.AttrPath{}, Errorf(InvalidValue, "sortBy is longer than %d bytes.", maxSortBy)
	}
	p, err := filter.ParsePath(s)
	if err != nil || p.Filter != nil {
		return filter.AttrPath{}, Errorf(InvalidValue, "sortBy must be an attribute path such as userName, name.familyName or meta.created.")
	}
	p, err = filter.ResolvePath(p, rt)
	if err != nil || p.Attr.Resolved.Attr == nil {
		return filter.AttrPath{}, Errorf(InvalidValue, "sortBy names no attribute of %s (GET /Schemas lists them).", rt.Name)
	}
	ap := p.Attr
	for _, a := range []*schema.Attribute{ap.Resolved.Attr, ap.Resolved.Sub} {
		if a != nil && a.Returned == schema.ReturnedNever {
			return filter.AttrPath{}, Errorf(InvalidValue, "Sorting on that attribute is not allowed.")
		}
	}
	if ap.Resolved.Sub == nil && ap.Resolved.Attr.Type == schema.Complex {
		v := ap.Resolved.Attr.Sub("value")
		if v == nil {
			return filter.AttrPath{}, Errorf(InvalidValue, "sortBy must name a sub-attribute of %q, such as %s.%s.", ap.Name, ap.Name, firstSub(ap.Resolved.Attr))
		}
		ap.Sub, ap.Resolved.Sub = v.Name, v
	}
	return ap, nil
}

func firstSub(a *schema.Attribute) string {
	if len(a.SubAttributes) == 0 {
		return "value"
	}
	return a.SubAttributes[0].Name
}
