package memory

import (
	"maps"
	"slices"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// window returns the 1-based index of the first result to return and the
// most results to return.
func window(q scim.Query) (start, count int) {
	return max(q.StartIndex, 1), max(q.Count, 0)
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

// plan narrows a filter to candidates through the indexes. lookup answers
// one comparison, or reports that no index serves it. Any conjunct of an
// and serves the whole and (the smaller set wins); an or is served when
// both sides are. The candidates are a superset of the matches: the caller
// still evaluates the whole filter on each, so lookups may be loose (e.g.
// case-folded for a case-exact attribute) but must never miss.
func plan[R interface {
	comparable
	seqNo() uint64
}](e filter.Expr, lookup func(filter.Expr) ([]R, bool)) ([]R, bool) {
	switch x := e.(type) {
	case *filter.And:
		l, lok := plan(x.Left, lookup)
		r, rok := plan(x.Right, lookup)
		switch {
		case lok && rok:
			if len(r) < len(l) {
				return r, true
			}
			return l, true
		case lok:
			return l, true
		case rok:
			return r, true
		}
		return nil, false
	case *filter.Or:
		l, ok := plan(x.Left, lookup)
		if !ok {
			return nil, false
		}
		r, ok := plan(x.Right, lookup)
		if !ok {
			return nil, false
		}
		set := make(map[R]struct{}, len(l)+len(r))
		for _, c := range l {
			set[c] = struct{}{}
		}
		for _, c := range r {
			set[c] = struct{}{}
		}
		return slices.SortedFunc(maps.Keys(set), bySeq[R]), true
	}
	return lookup(e)
}

// planUsers returns the candidate users for f in creation order, or false
// when f must be answered by a scan.
func planUsers(t *space, f filter.Expr) ([]*userRec, bool) {
	if f == nil {
		return nil, false
	}
	return plan(f, func(e filter.Expr) ([]*userRec, bool) {
		if v, ok := eqString(e, "id"); ok {
			return lookupID(t.users, v), true
		}
		if v, ok := eqString(e, "userName"); ok {
			return sorted(t.userNames.get(t.hash(scim.FoldUserName(v)))), true
		}
		if v, ok := eqString(e, "externalId"); ok {
			return sorted(t.userExt.get(t.hash(filter.Fold(v)))), true
		}
		if rs, ok := extLookup(t, t.userKeys, e); ok {
			return sorted(rs), true
		}
		return nil, false
	})
}

// planGroups is planUsers for groups.
func planGroups(t *space, f filter.Expr) ([]*groupRec, bool) {
	if f == nil {
		return nil, false
	}
	return plan(f, func(e filter.Expr) ([]*groupRec, bool) {
		if v, ok := eqString(e, "id"); ok {
			return lookupID(t.groups, v), true
		}
		if v, ok := eqString(e, "displayName"); ok {
			return sorted(t.groupNames.get(t.hash(filter.Fold(v)))), true
		}
		if v, ok := eqString(e, "externalId"); ok {
			return sorted(t.groupExt.get(t.hash(filter.Fold(v)))), true
		}
		if rs, ok := extLookup(t, t.groupKeys, e); ok {
			return sorted(rs), true
		}
		return nil, false
	})
}

// lookupID finds an id in folded form: ids are lower-case UUIDs, so this
// serves case-exact and case-insensitive comparison alike.
func lookupID[R any](m map[rid]R, v string) []R {
	if k, ok := parseRID(filter.Fold(v)); ok {
		if r, ok := m[k]; ok {
			return []R{r}
		}
	}
	return nil
}

// sorted sorts list, which is the caller's, into creation order.
func sorted[R interface{ seqNo() uint64 }](list []R) []R {
	slices.SortFunc(list, bySeq[R])
	return list
}
