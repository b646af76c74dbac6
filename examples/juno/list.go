package main

import (
	"slices"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// conjuncts returns the terms of e's top-level and, or e alone.
func conjuncts(e filter.Expr) []filter.Expr {
	if a, ok := e.(*filter.And); ok {
		return append(conjuncts(a.Left), conjuncts(a.Right)...)
	}
	if e == nil {
		return nil
	}
	return []filter.Expr{e}
}

// eqString returns the value of a top-level "name eq string" comparison.
func eqString(e filter.Expr, name string) (string, bool) {
	c, ok := e.(*filter.Compare)
	if !ok || c.Op != filter.Eq || c.Path.Sub != "" || !c.Path.IsCore(name) {
		return "", false
	}
	v, ok := c.Value.(string)
	return v, ok
}

// caseExact reports whether the comparison e compares case-exactly.
func caseExact(e filter.Expr) bool {
	c, ok := e.(*filter.Compare)
	return ok && c.Path.Resolved.Attr != nil && c.Path.Resolved.Attr.CaseExact
}

// page filters rows (in creation order), orders them as q asks and cuts
// the page: by startIndex, or by keyset after q.After. The rows a list
// reads are one customer's, so this is done in Go, exactly as
// scim.SortKey orders; the lookups identity providers repeat every cycle
// read only the rows an index finds (accountLookup, teamLookup).
func page[R any, T any](rows []R, q scim.Query, match func(R) bool, key func(R) scim.SortKey, out func(R) (int64, T)) (*scim.Page[T], error) {
	type item struct {
		pos scim.Position
		res T
	}
	var items []item
	for _, r := range rows {
		if q.Filter != nil && !match(r) {
			continue
		}
		seq, res := out(r)
		it := item{pos: scim.Position{Seq: seq}, res: res}
		if q.Sorted() {
			it.pos.Key = key(r)
		}
		items = append(items, it)
	}
	slices.SortStableFunc(items, func(a, b item) int {
		if q.Descending {
			return b.pos.Compare(a.pos)
		}
		return a.pos.Compare(b.pos)
	})
	p := &scim.Page[T]{TotalResults: len(items)}
	start := max(q.StartIndex, 1) - 1
	if q.After != nil {
		start = len(items)
		for i, it := range items {
			c := it.pos.Compare(*q.After)
			if q.Descending {
				c = -c
			}
			if c > 0 {
				start = i
				break
			}
		}
	}
	if start >= len(items) {
		return p, nil
	}
	end := min(len(items), start+max(q.Count, 0))
	for _, it := range items[start:end] {
		p.Resources = append(p.Resources, it.res)
	}
	if q.Keyset && end > start {
		last := items[end-1].pos
		p.Last = &last
	}
	return p, nil
}
