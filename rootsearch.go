package scim

import (
	"errors"
	"net/http"
	"strings"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// A search across resource types (GET / and POST /.search, RFC 7644
// sections 3.4.2 and 3.4.3) asks every resource type the Server serves, in
// /ResourceTypes order, and merges their answers. See README "Searching
// across types" for the rules below in a user's words.

// rootSortWindow bounds a sorted search across types: startIndex+count-1
// may be at most rootSortWindow times Config.MaxResults, since the merge
// reads that many resources of each type (in batches of
// Config.MaxResults) to find the page.
const rootSortWindow = 10

// rootPart is one resource type's share of a search across types.
type rootPart struct {
	res   *Resource
	query Query // Filter resolved for res.Type; SortBy when res.Type has it
	proj  projection
	// byType: sortBy is meta.resourceType, which the Server fills and the
	// stores do not keep: every resource's key is the type's name.
	byType bool
}

func (q *request) rootSearch(search bool) {
	a, err := q.listArgs(search)
	if err == nil && a.Cursor != nil {
		// A cursor walks one resource type's order; across types, page
		// with startIndex.
		err = Errorf(InvalidValue, "Searching across resource types pages with startIndex, not cursor.")
	}
	if err != nil {
		q.fail(err)
		return
	}
	parts, sorted, desc, err := q.rootParts(a, search)
	if err != nil {
		q.fail(err)
		return
	}
	var docs []rootDoc
	var total int
	if sorted {
		docs, total, err = q.rootMerge(parts, a, desc)
	} else {
		docs, total, err = q.rootConcat(parts, a)
	}
	if err != nil {
		q.fail(err)
		return
	}
	out := make([]any, len(docs))
	for i, d := range docs {
		q.decorate(d.part.res, d.doc)
		out[i] = orderedDoc(d.part.proj.apply(d.part.res.Type, d.doc))
	}
	writeJSON(q.w, http.StatusOK, listResponse{
		Schemas:      []string{listResponseURN},
		TotalResults: total,
		StartIndex:   a.start,
		ItemsPerPage: len(out),
		Resources:    out,
	})
}

// rootParts resolves the request for each resource type and returns the
// types that may contribute, in /ResourceTypes order, and whether and
// which way they are sorted.
func (q *request) rootParts(la listArgs, search bool) (parts []rootPart, sorted, desc bool, err error) {
	parts = make([]rootPart, len(q.s.resources))
	for i, r := range q.s.resources {
		proj, err := q.projection(r.Type, la.attrs, la.excl)
		if err != nil {
			return nil, false, false, err
		}
		parts[i] = rootPart{res: r, proj: proj, query: Query{ExcludeMembers: !proj.wants("members")}}
	}
	if sorted, desc, err = rootSort(parts, la.SortBy, la.SortOrder); err != nil {
		return nil, false, false, err
	}
	if strings.TrimSpace(la.Filter) == "" {
		return parts, sorted, desc, nil
	}
	e, err := filter.ParseWith(la.Filter, q.s.cfg.FilterLimits)
	if err != nil {
		return nil, false, false, filterError(err, search)
	}
	n := leaves(e)
	known := make([]bool, n)
	var keep []rootPart
	for _, p := range parts {
		var i int
		f, v, err := narrow(e, p.res.Type, known, &i)
		if err != nil {
			return nil, false, false, filterError(err, search)
		}
		switch v {
		case matchNone:
			continue
		case matchSome:
			p.query.Filter = f
		}
		keep = append(keep, p)
	}
	for i, k := range known {
		if !k {
			return nil, false, false, Errorf(InvalidFilter, "Comparison %d (from the left) of the filter names no attribute of any resource type (GET /Schemas lists them).", i+1)
		}
	}
	return keep, sorted, desc, nil
}

// verdict is what a filter, narrowed to one resource type, still asks.
type verdict int8

const (
	matchSome verdict = iota // the narrowed filter decides
	matchAll
	matchNone
)

func constant(b bool) verdict {
	if b {
		return matchAll
	}
	return matchNone
}

// leaves counts the comparisons and value paths of e.
func leaves(e filter.Expr) int {
	switch n := e.(type) {
	case *filter.And:
		return leaves(n.Left) + leaves(n.Right)
	case *filter.Or:
		return leaves(n.Left) + leaves(n.Right)
	case *filter.Not:
		return leaves(n.X)
	}
	return 1
}

// narrow resolves the parsed filter e against rt for a search across
// types. A comparison on an attribute rt does not have is decided as if
// the resource had no value there (RFC 7644 section 3.4.2.1: "eq null"
// and "ne" with a value are true, every other comparison and every value
// path false), and one on meta.resourceType is decided by rt's name; the
// constants are folded away, so that the store never sees them. known[i]
// is set when rt resolves leaf i (counted from the left through *i). An
// error other than an unknown attribute (a sensitive attribute, a
// literal of the wrong type) is returned.
func narrow(e filter.Expr, rt *schema.ResourceType, known []bool, i *int) (filter.Expr, verdict, error) {
	switch n := e.(type) {
	case *filter.And, *filter.Or:
		var l, r filter.Expr
		if a, ok := n.(*filter.And); ok {
			l, r = a.Left, a.Right
		} else {
			o := n.(*filter.Or)
			l, r = o.Left, o.Right
		}
		lf, lv, err := narrow(l, rt, known, i)
		if err != nil {
			return nil, 0, err
		}
		rf, rv, err := narrow(r, rt, known, i)
		if err != nil {
			return nil, 0, err
		}
		_, and := n.(*filter.And)
		absorb, unit := matchAll, matchNone // or: true absorbs, false is neutral
		if and {
			absorb, unit = matchNone, matchAll
		}
		switch {
		case lv == absorb || rv == absorb:
			return nil, absorb, nil
		case lv == unit:
			return rf, rv, nil
		case rv == unit:
			return lf, lv, nil
		case and:
			return &filter.And{Left: lf, Right: rf}, matchSome, nil
		}
		return &filter.Or{Left: lf, Right: rf}, matchSome, nil
	case *filter.Not:
		x, v, err := narrow(n.X, rt, known, i)
		switch {
		case err != nil:
			return nil, 0, err
		case v == matchSome:
			return &filter.Not{X: x}, matchSome, nil
		}
		return nil, constant(v == matchNone), nil
	}
	leaf := *i
	*i++
	f, err := filter.Resolve(e, rt)
	var fe *filter.Error
	if errors.As(err, &fe) && fe.Kind == filter.Unknown {
		c, ok := e.(*filter.Compare)
		return nil, constant(ok && (c.Op == filter.Ne && c.Value != nil || c.Op == filter.Eq && c.Value == nil)), nil
	}
	if err != nil {
		return nil, 0, err
	}
	known[leaf] = true
	f = versionTags(f) // meta.version as an ETag or a store's version, as on one type
	if c, ok := f.(*filter.Compare); ok && c.Path.IsCore("meta") && strings.EqualFold(c.Path.Sub, "resourceType") {
		return nil, constant(filter.Match(c, map[string]any{"meta": map[string]any{"resourceType": rt.Name}})), nil
	}
	return f, matchSome, nil
}

// rootSort resolves sortBy against each type into parts[i].query and
// reports whether there is a sort and whether it is descending. A type
// without the attribute is read in its own order, every resource of it
// having a missing value; a sortBy no type has is 400 invalidValue.
func rootSort(parts []rootPart, by, order any) (sorted, desc bool, err error) {
	// Not given: no sort. Not a string, too long or malformed: sortParams
	// answers as it does for one type.
	bs, _ := by.(string)
	p, perr := filter.ParsePath(bs)
	if strings.TrimSpace(bs) == "" || len(bs) > maxSortBy || perr != nil || len(parts) == 0 {
		rt := schema.User()
		if len(parts) > 0 {
			rt = parts[0].res.Type
		}
		ap, desc, err := sortParams(rt, by, order)
		return ap.Resolved.Attr != nil, desc, err
	}
	for i := range parts {
		rt := parts[i].res.Type
		var fe *filter.Error
		if _, err := filter.ResolvePath(p, rt); errors.As(err, &fe) && fe.Kind == filter.Unknown {
			continue
		}
		ap, d, err := sortParams(rt, by, order)
		if err != nil {
			return false, false, err
		}
		if ap.IsCore("meta") && ap.Sub == "resourceType" {
			parts[i].byType = true
		} else {
			parts[i].query.SortBy, parts[i].query.Descending = ap, d
		}
		sorted, desc = true, d
	}
	if !sorted {
		return false, false, Errorf(InvalidValue, "sortBy names no attribute of any resource type (GET /Schemas lists them).")
	}
	return true, desc, nil
}

// rootDoc is one resource of a search across types, with its type.
type rootDoc struct {
	part *rootPart
	doc  map[string]any
}

// rootConcat answers an unsorted search: the matches of each type in
// /ResourceTypes order, each type's in its handler's order. Each handler
// is asked once, for its share of the page only (or for Count 0, to learn
// its total), so paging costs what it costs on one type.
func (q *request) rootConcat(parts []rootPart, a listArgs) ([]rootDoc, int, error) {
	var out []rootDoc
	skip, left, total := a.start-1, a.count, 0
	for i := range parts {
		query := parts[i].query
		query.StartIndex, query.Count = skip+1, left
		if left == 0 {
			query.StartIndex = 1
		}
		page, err := parts[i].res.Handler.List(q.r.Context(), q.tenant, query)
		if err != nil {
			return nil, 0, err
		}
		total += page.TotalResults
		for _, d := range page.Resources[:min(len(page.Resources), left)] {
			out = append(out, rootDoc{&parts[i], d})
		}
		left -= min(len(page.Resources), left)
		skip = max(0, skip-page.TotalResults)
	}
	return out, total, nil
}

// rootStream reads one type's matches in sort order, a batch at a time.
type rootStream struct {
	part  *rootPart
	docs  []map[string]any
	keys  []SortKey
	next  int // StartIndex of the next batch
	total int
	done  bool
}

func (q *request) fill(s *rootStream, batch int) error {
	query := s.part.query
	query.StartIndex, query.Count = s.next, batch
	page, err := s.part.res.Handler.List(q.r.Context(), q.tenant, query)
	if err != nil {
		return err
	}
	if s.next == 1 {
		s.total = page.TotalResults
	}
	s.docs = page.Resources
	s.keys = make([]SortKey, len(s.docs))
	for i, d := range s.docs {
		switch {
		case s.part.byType:
			s.keys[i] = SortKey{kind: sortString, s: filter.Fold(s.part.res.Type.Name)}
		case query.Sorted():
			s.keys[i] = SortKeyOf(query.SortBy, d)
		}
	}
	s.next += len(s.docs)
	// A short page is not the end: a handler may return fewer than asked.
	s.done = len(s.docs) == 0 || s.next > s.total
	return nil
}

// rootMerge answers a sorted search: the matches of every type merged by
// their sort keys (SortKey.Compare; missing values last ascending, first
// descending), ties in /ResourceTypes order and then each handler's
// order, which breaks ties by creation. It reads the first
// startIndex+count-1 matches of each type, in batches of
// Config.MaxResults, holding one batch per type: so a page deep into a
// large tenant costs that many reads, and startIndex+count-1 is bounded
// by rootSortWindow times Config.MaxResults (400 tooMany beyond).
func (q *request) rootMerge(parts []rootPart, a listArgs, desc bool) ([]rootDoc, int, error) {
	window := a.start - 1 + a.count
	if limit := rootSortWindow * q.s.cfg.MaxResults; window > limit {
		return nil, 0, Errorf(TooMany, "A sorted search across resource types reaches at most result %d; narrow the filter, or search one resource type (GET /Users?sortBy=...).", limit)
	}
	batch := min(window, q.s.cfg.MaxResults)
	streams := make([]rootStream, len(parts))
	total := 0
	for i := range parts {
		s := &streams[i]
		s.part, s.next = &parts[i], 1
		if err := q.fill(s, batch); err != nil {
			return nil, 0, err
		}
		total += s.total
	}
	var out []rootDoc
	for pos := 1; pos <= window; pos++ {
		best := -1
		for i := range streams {
			s := &streams[i]
			if len(s.docs) == 0 && !s.done {
				if err := q.fill(s, batch); err != nil {
					return nil, 0, err
				}
			}
			if len(s.docs) == 0 {
				continue
			}
			if best < 0 {
				best = i
				continue
			}
			c := s.keys[0].Compare(streams[best].keys[0])
			if desc {
				c = -c
			}
			if c < 0 {
				best = i
			}
		}
		if best < 0 {
			break
		}
		s := &streams[best]
		if pos >= a.start {
			out = append(out, rootDoc{s.part, s.docs[0]})
		}
		s.docs, s.keys = s.docs[1:], s.keys[1:]
	}
	return out, total, nil
}
