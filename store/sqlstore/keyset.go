package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// afterSegments narrows the runs of a keyset page to the rows after
// q.After: the runs before the one holding it are dropped, and that one
// starts after it with a row-value comparison on its order's columns,
// which reads an index range (no OFFSET). a is the table alias.
func afterSegments(segs []segment, q scim.Query, a string) []segment {
	if q.After == nil {
		return segs
	}
	op := " > "
	if q.Descending {
		op = " < "
	}
	seq := a + ".seq"
	key := q.After.Key.Value()
	for i, sg := range segs {
		if sg.col == "" && key != nil || sg.col != "" && key == nil {
			continue // After is in another run
		}
		out := append([]segment(nil), segs[i:]...)
		at := &out[0]
		if sg.where != "" {
			at.where += " AND "
		}
		if sg.col == "" {
			at.where += seq + op + "?"
			at.args = []any{q.After.Seq}
		} else {
			at.where += "(" + sg.col + ", " + seq + ")" + op + "(?, ?)"
			at.args = []any{sqlKey(key), q.After.Seq}
		}
		return out
	}
	return nil
}

// sqlKey is a sort key's value as its column holds it.
func sqlKey(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.UnixNano()
	}
	return v
}

// keysetRuns are the runs of a keyset page: q's order when SQL sorts by
// it (sortSegments), creation order when q is unsorted; false when the
// page must be sorted in Go.
func keysetRuns(at *attrs, a string, q scim.Query) ([]segment, bool) {
	if !q.Sorted() {
		return []segment{{order: a + ".seq"}}, true
	}
	return sortSegments(at, a, q)
}

// after reports whether p is past q.After in q's order.
func after(q scim.Query, p scim.Position) bool {
	if q.After == nil {
		return true
	}
	c := p.Compare(*q.After)
	if q.Descending {
		c = -c
	}
	return c > 0
}

// keysetRows reads the rows of a keyset page in t and the total. With an
// exact filter and an order SQL knows, the page is read run by run with
// LIMIT from the key on (afterSegments); otherwise each candidate is
// streamed (each calls its argument with the matches and their keys) and
// the first q.Count past q.After are kept.
func keysetRows[R any](ctx context.Context, t *tx, q scim.Query, ls listSQL, segs []segment, inSQL bool, a, cols string,
	scan func(*sql.Rows) (R, error), each func(fn func(R, scim.SortKey)) error, seq func(R) int64) ([]R, int, error) {
	count := max(q.Count, 0)
	var rows []R
	total := 0
	if inSQL && ls.exact {
		if err := t.queryRow(ctx, ls.count, ls.args...).Scan(&total); err != nil {
			return nil, 0, err
		}
		for _, sg := range afterSegments(segs, q, a) {
			want := count - len(rows)
			if want <= 0 {
				break
			}
			args := append(append(ls.args[:len(ls.args):len(ls.args)], sg.args...), want)
			err := queryEach(ctx, t, keysetStatement(cols, ls.from, sg), args, func(rs *sql.Rows) error {
				r, err := scan(rs)
				rows = append(rows, r)
				return err
			})
			if err != nil {
				return nil, 0, err
			}
		}
		return rows, total, nil
	}
	top := &topK[R]{k: count, desc: q.Descending}
	err := each(func(r R, key scim.SortKey) {
		total++
		if after(q, scim.Position{Key: key, Seq: seq(r)}) {
			top.add(keyed[R]{key, int(seq(r)), r})
		}
	})
	return top.window(1), total, err
}

// keysetStatement reads the next rows of run sg; it takes the list's
// args, sg.args and a LIMIT.
func keysetStatement(cols, from string, sg segment) string {
	return "SELECT " + cols + " " + sg.from(from) + " ORDER BY " + sg.order + " LIMIT ?"
}

// keysetUsers answers a keyset page of users (scim.Query.Keyset) in one
// read transaction, and sets Page.Last.
func (s *Store) keysetUsers(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.User], error) {
	needGroups := filter.Touches(q.Filter, "groups") || q.SortBy.IsCore("groups")
	ls := s.userListSQLGroups(tenant, q.Filter, needGroups)
	segs, inSQL := keysetRuns(userAttrs, "u", q)
	page := &scim.Page[*scim.User]{Resources: []*scim.User{}}
	err := s.read(ctx, func(t *tx) error {
		scan := func(rs *sql.Rows) (userRow, error) {
			var r userRow
			return r, rs.Scan(r.dest()...)
		}
		each := func(fn func(userRow, scim.SortKey)) error {
			return s.eachUser(ctx, t, ls, q.Filter, needGroups, func(r userRow, doc map[string]any) {
				var key scim.SortKey
				if q.Sorted() {
					key = scim.SortKeyOf(q.SortBy, doc)
				}
				fn(r, key)
			})
		}
		rows, total, err := keysetRows(ctx, t, q, ls, segs, inSQL, "u", userCols, scan, each, func(r userRow) int64 { return r.seq })
		if err != nil {
			return err
		}
		page.TotalResults = total
		if page.Resources, err = s.usersOfRows(ctx, t, tenant, rows); err != nil {
			return err
		}
		if n := len(rows); n > 0 {
			page.Last = &scim.Position{Seq: rows[n-1].seq}
			if q.Sorted() {
				page.Last.Key = scim.UserSortKey(q.SortBy, page.Resources[n-1])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// keysetGroups is keysetUsers for groups.
func (s *Store) keysetGroups(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.Group], error) {
	needMembers := filter.Touches(q.Filter, "members") || q.SortBy.IsCore("members")
	ls := s.groupListSQLMembers(tenant, q.Filter, needMembers)
	segs, inSQL := keysetRuns(groupAttrs, "g", q)
	page := &scim.Page[*scim.Group]{Resources: []*scim.Group{}}
	err := s.read(ctx, func(t *tx) error {
		scan := func(rs *sql.Rows) (groupRow, error) {
			var r groupRow
			return r, rs.Scan(r.dest()...)
		}
		each := func(fn func(groupRow, scim.SortKey)) error {
			return s.eachGroup(ctx, t, ls, q.Filter, needMembers, func(r groupRow, g *scim.Group) {
				var key scim.SortKey
				if q.Sorted() {
					key = scim.GroupSortKey(q.SortBy, g)
				}
				fn(r, key)
			})
		}
		rows, total, err := keysetRows(ctx, t, q, ls, segs, inSQL, "g", groupCols, scan, each, func(r groupRow) int64 { return r.seq })
		if err != nil {
			return err
		}
		page.TotalResults = total
		var members map[string][]scim.Member
		if page.Resources, members, err = s.groupsOfRows(ctx, t, tenant, rows, !q.ExcludeMembers); err != nil {
			return err
		}
		if n := len(rows); n > 0 {
			page.Last = &scim.Position{Seq: rows[n-1].seq}
			if q.Sorted() {
				// The key of the group as stored: members as read for
				// the sort, whatever the page shows.
				g := rows[n-1].group(members[rows[n-1].id])
				if q.SortBy.IsCore("members") && q.ExcludeMembers {
					ms, err := s.membersFor(ctx, t, tenant, rows[n-1:])
					if err != nil {
						return err
					}
					g = rows[n-1].group(ms[rows[n-1].id])
				}
				page.Last.Key = scim.GroupSortKey(q.SortBy, g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// usersOfRows returns the users of rows, read in t, with their groups.
func (s *Store) usersOfRows(ctx context.Context, t *tx, tenant string, rows []userRow) ([]*scim.User, error) {
	groups, err := s.groupsFor(ctx, t, tenant, rows)
	if err != nil {
		return nil, err
	}
	out := make([]*scim.User, 0, len(rows))
	for i := range rows {
		u, err := rows[i].user(groups[rows[i].id])
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// groupsOfRows returns the groups of rows, read in t, with their members
// (also returned by group id) when withMembers is set.
func (s *Store) groupsOfRows(ctx context.Context, t *tx, tenant string, rows []groupRow, withMembers bool) ([]*scim.Group, map[string][]scim.Member, error) {
	var members map[string][]scim.Member
	if withMembers {
		var err error
		if members, err = s.membersFor(ctx, t, tenant, rows); err != nil {
			return nil, nil, err
		}
	}
	out := make([]*scim.Group, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].group(members[rows[i].id]))
	}
	return out, members, nil
}
