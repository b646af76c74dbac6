package sqlstore

import (
	"container/heap"
	"context"
	"database/sql"
	"math"
	"slices"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// segment is one run of a sorted list: the rows where holds, in order.
// A sort by a string column is two runs, values then missing values (""
// in the column) ascending, the reverse descending, because an index
// keeps "" first and section 3.4.2.3 wants missing values last; each
// run is an index range read in index order.
type segment struct {
	where, order string
	col          string // the column of a run ordered by it, then by seq
	args         []any  // of where
}

// from narrows from, "FROM table a WHERE ...", to the run.
func (sg segment) from(from string) string {
	if sg.where == "" {
		return from
	}
	return from + " AND " + sg.where
}

// sortSegments returns the runs of q's order over the rows of alias a,
// or false when SQL cannot order by q.SortBy exactly as scim.SortKey
// does: strings are ordered only through columns holding the same form
// SortKey compares (the folded column of a case-insensitive attribute,
// the value itself of a caseExact one, both compared bytewise). Other
// attributes, such as title or emails, are sorted in Go (sortInGo).
func sortSegments(at *attrs, a string, q scim.Query) ([]segment, bool) {
	p := q.SortBy
	name := core(p)
	t := p.Resolved.Target()
	if name == "" || t == nil {
		return nil, false
	}
	dir := " ASC"
	if q.Descending {
		dir = " DESC"
	}
	seq := a + ".seq" + dir
	runs := func(col, present, missing string, unique bool) []segment {
		order := col + dir
		if !unique {
			order += ", " + seq
		}
		out := []segment{{where: col + " " + present, order: order, col: col}, {where: col + " " + missing, order: seq}}
		if q.Descending {
			out[0], out[1] = out[1], out[0]
		}
		return out
	}
	switch {
	case name == "meta" && p.Sub == "created":
		return []segment{{order: a + ".created_ns" + dir + ", " + seq, col: a + ".created_ns"}}, true
	case name == "meta" && p.Sub == "lastModified":
		return []segment{{order: a + ".modified_ns" + dir + ", " + seq, col: a + ".modified_ns"}}, true
	case p.Sub != "":
		return nil, false
	case at.kind == "user" && name == "active":
		return runs(a+".active", "IS NOT NULL", "IS NULL", false), true
	}
	col, ok := at.strings[name]
	if !ok {
		return nil, false
	}
	unique := name == "id" || at.kind == "user" && name == "userName"
	switch {
	case t.CaseExact && col.exact != "" && col.bytewise:
		return runs(col.exact, "<> ''", "= ''", unique), true
	case !t.CaseExact && col.fold != "":
		return runs(col.fold, "<> ''", "= ''", unique), true
	}
	return nil, false
}

// sortedPage reads the window [start, start+count) of a sorted list whose
// filter SQL answers exactly, run after run, in t. from is "FROM table a
// WHERE ..." with args; cols are the columns scan reads.
func sortedPage(ctx context.Context, t *tx, cols, from string, args []any, segs []segment, start, count int, scan func(*sql.Rows) error) error {
	skip, want := start-1, count
	for i, sg := range segs {
		if want == 0 {
			return nil
		}
		where := sg.from(from)
		q := "SELECT " + cols + " " + where + " ORDER BY " + sg.order + " LIMIT ? OFFSET ?"
		n := 0
		if err := queryEach(ctx, t, q, append(args[:len(args):len(args)], want, skip), func(rs *sql.Rows) error {
			n++
			return scan(rs)
		}); err != nil {
			return err
		}
		want -= n
		if n > 0 || skip == 0 || i == len(segs)-1 {
			skip = 0
			continue
		}
		// The window starts past this run: skip its rows in the next.
		var size int
		if err := t.queryRow(ctx, "SELECT count(*) "+where, args...).Scan(&size); err != nil {
			return err
		}
		skip = max(skip-size, 0)
	}
	return nil
}

// sortedScans are the scan statements of a sorted list, run after run.
func sortedScans(scan string, a string, segs []segment) []string {
	base := strings.TrimSuffix(scan, " ORDER BY "+a+".seq")
	out := make([]string, len(segs))
	for i, sg := range segs {
		q := base
		if sg.where != "" {
			q += " AND " + sg.where
		}
		out[i] = q + " ORDER BY " + sg.order
	}
	return out
}

// topK keeps the first k of a stream of keyed rows in sort order, so that
// a sort in Go holds the rows up to the end of the page, never the whole
// tenant. n, the position in the stream (creation order), breaks ties.
type topK[R any] struct {
	k     int
	desc  bool
	items []keyed[R]
}

type keyed[R any] struct {
	key scim.SortKey
	n   int
	row R
}

// less reports whether a sorts before b.
func (h *topK[R]) less(a, b keyed[R]) bool {
	c := a.key.Compare(b.key)
	if c == 0 {
		c = a.n - b.n
	}
	if h.desc {
		return c > 0
	}
	return c < 0
}

// The heap has the last-sorting item on top, the one to drop.
func (h *topK[R]) Len() int           { return len(h.items) }
func (h *topK[R]) Less(i, j int) bool { return h.less(h.items[j], h.items[i]) }
func (h *topK[R]) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *topK[R]) Push(x any)         { h.items = append(h.items, x.(keyed[R])) }
func (h *topK[R]) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

func (h *topK[R]) add(x keyed[R]) {
	if h.k == 0 {
		return
	}
	if len(h.items) < h.k {
		heap.Push(h, x)
		return
	}
	if h.less(x, h.items[0]) {
		h.items[0] = x
		heap.Fix(h, 0)
	}
}

// window returns the kept rows from the 1-based start, in order.
func (h *topK[R]) window(start int) []R {
	items := h.items
	slices.SortFunc(items, func(a, b keyed[R]) int {
		switch {
		case h.less(a, b):
			return -1
		case h.less(b, a):
			return 1
		}
		return 0
	})
	var out []R
	for i := start - 1; i < len(items); i++ {
		out = append(out, items[i].row)
	}
	return out
}

// sortedUsers answers a sorted ListUsers in one read transaction. When
// SQL orders by the attribute (sortSegments) and answers the filter
// exactly, the page is read through the order's index; when the filter
// must be evaluated in Go, the candidates stream in sort order and the
// scan stops keeping rows at the end of the page. Other attributes are
// keyed in Go with scim.SortKeyOf over candidates streamed in creation
// order, keeping only the keys and ids up to the end of the page (topK);
// the page's users are then read by id in the same snapshot.
func (s *Store) sortedUsers(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.User], error) {
	start, count := window(q)
	needGroups := filter.Touches(q.Filter, "groups") || q.SortBy.IsCore("groups")
	ls := s.userListSQLGroups(tenant, q.Filter, needGroups)
	segs, inSQL := sortSegments(userAttrs, "u", q)
	page := &scim.Page[*scim.User]{Resources: []*scim.User{}}
	err := s.read(ctx, func(t *tx) error {
		var rows []userRow
		switch {
		case inSQL && ls.exact:
			var err error
			if page.TotalResults, rows, err = exactSorted(ctx, t, userCols, ls, segs, start, count, (*userRow).dest); err != nil {
				return err
			}
		case inSQL:
			for _, scan := range sortedScans(ls.scan, "u", segs) {
				run := ls
				run.scan = scan
				n, rs, err := s.scanUsers(ctx, t, run, q.Filter, start-page.TotalResults, count-len(rows))
				if err != nil {
					return err
				}
				page.TotalResults += n
				rows = append(rows, rs...)
			}
		default:
			// Only keys and ids are kept: the documents of the page are
			// read again at the end, so a deep page holds no documents.
			top := &topK[string]{k: keep(start, count), desc: q.Descending}
			if err := s.eachUser(ctx, t, ls, q.Filter, needGroups, func(r userRow, doc map[string]any) {
				top.add(keyed[string]{scim.SortKeyOf(q.SortBy, doc), page.TotalResults, r.id})
				page.TotalResults++
			}); err != nil {
				return err
			}
			var err error
			if rows, err = s.usersByID(ctx, t, tenant, top.window(start)); err != nil {
				return err
			}
		}
		var err error
		page.Resources, err = s.usersOfRows(ctx, t, tenant, rows)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// exactSorted reads a sorted page whose filter SQL answers exactly: the
// total, then (when the window is not past it) the page's rows of cols,
// scanned into R through dest.
func exactSorted[R any](ctx context.Context, t *tx, cols string, ls listSQL, segs []segment, start, count int, dest func(*R) []any) (int, []R, error) {
	var total int
	if err := t.queryRow(ctx, ls.count, ls.args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	if count == 0 || start > total {
		return total, nil, nil
	}
	var rows []R
	err := sortedPage(ctx, t, cols, ls.from, ls.args, segs, start, count, func(rs *sql.Rows) error {
		var r R
		if err := rs.Scan(dest(&r)...); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	})
	return total, rows, err
}

// keep is how many rows a sort in Go keeps for the window at start.
func keep(start, count int) int {
	if start-1 > math.MaxInt-count {
		return math.MaxInt
	}
	return start - 1 + count
}

// sortedGroups is sortedUsers for groups; members are read for the page
// only, unless the filter or the sort looks at them.
func (s *Store) sortedGroups(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.Group], error) {
	start, count := window(q)
	needMembers := filter.Touches(q.Filter, "members") || q.SortBy.IsCore("members")
	ls := s.groupListSQLMembers(tenant, q.Filter, needMembers)
	segs, inSQL := sortSegments(groupAttrs, "g", q)
	page := &scim.Page[*scim.Group]{Resources: []*scim.Group{}}
	err := s.read(ctx, func(t *tx) error {
		var rows []groupRow
		switch {
		case inSQL && ls.exact:
			var err error
			if page.TotalResults, rows, err = exactSorted(ctx, t, groupCols, ls, segs, start, count, (*groupRow).dest); err != nil {
				return err
			}
		case inSQL:
			for _, scan := range sortedScans(ls.scan, "g", segs) {
				run := ls
				run.scan = scan
				n, rs, err := s.scanGroups(ctx, t, run, q.Filter, start-page.TotalResults, count-len(rows))
				if err != nil {
					return err
				}
				page.TotalResults += n
				rows = append(rows, rs...)
			}
		default:
			top := &topK[groupRow]{k: keep(start, count), desc: q.Descending}
			if err := s.eachGroup(ctx, t, ls, q.Filter, needMembers, func(r groupRow, g *scim.Group) {
				top.add(keyed[groupRow]{scim.GroupSortKey(q.SortBy, g), page.TotalResults, r})
				page.TotalResults++
			}); err != nil {
				return err
			}
			rows = top.window(start)
		}
		var err error
		page.Resources, _, err = s.groupsOfRows(ctx, t, tenant, rows, !q.ExcludeMembers)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// usersByID reads the users with the given ids, in that order.
func (s *Store) usersByID(ctx context.Context, t *tx, tenant string, ids []string) ([]userRow, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	byID := make(map[string]userRow, len(ids))
	err := queryEach(ctx, t, "SELECT "+userCols+" FROM scim_users u WHERE u.tenant = ? AND "+s.d.inList("u.id"), []any{tenant, jsonList(ids)}, func(rs *sql.Rows) error {
		var r userRow
		if err := rs.Scan(r.dest()...); err != nil {
			return err
		}
		byID[r.id] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	rows := make([]userRow, 0, len(ids))
	for _, id := range ids {
		// Each was read in this transaction's snapshot a moment ago.
		if r, ok := byID[id]; ok {
			rows = append(rows, r)
		}
	}
	return rows, nil
}
