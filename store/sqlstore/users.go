package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

var errNil = errors.New("sqlstore: nil resource")

const userCols = "u.id, u.created_ns, u.modified_ns, u.version, u.doc, u.seq"

func (r *userRow) dest() []any {
	return []any{&r.id, &r.created, &r.modified, &r.version, &r.doc, &r.seq}
}

// userArgs are the columns derived from the document, in the order of
// the insert and update statements.
func (s *Store) userArgs(u *scim.User, doc []byte) []any {
	var active any
	if u.Active != nil {
		active = s.d.boolArg(*u.Active)
	}
	return []any{
		u.UserName, scim.FoldUserName(u.UserName), u.ExternalID, filter.Fold(u.DisplayName), active, string(doc),
	}
}

// CreateUser implements scim.UserStore. The UNIQUE (tenant,
// user_name_fold) constraint decides races between creates of one
// userName: exactly one commits and the others get scim.ErrConflict.
func (s *Store) CreateUser(ctx context.Context, tenant string, u *scim.User) (*scim.User, error) {
	if u == nil {
		return nil, errNil
	}
	doc, err := encodeUser(u)
	if err != nil {
		return nil, err
	}
	ev := s.recording()
	var row userRow
	var out *scim.User
	var events []eventRow
	if ev {
		// The event is built here, not in the write: on SQLite writes run
		// one at a time, and building it is most of their CPU.
		now := time.Now().UnixNano()
		row = userRow{id: newID(), created: now, modified: now, version: 1, doc: doc}
		if out, err = row.written(u, nil); err != nil {
			return nil, err
		}
		events, err = encodeEvents(ctx, scim.CommittedWrite{Tenant: tenant, ResourceType: "User", New: scim.UserDoc(out), Time: nsTime(now)})
		if err != nil {
			return nil, err
		}
	}
	if !ev && s.oneStatement(u.Extensions) {
		now := time.Now().UnixNano()
		row = userRow{id: newID(), created: now, modified: now, version: 1, doc: doc}
		if err := s.pgCreateUser(ctx, tenant, u, &row); err != nil {
			return nil, err
		}
		return row.written(u, nil)
	}
	err = s.write(ctx, func(ctx context.Context, t *tx) error {
		if !ev {
			now := time.Now().UnixNano()
			row = userRow{id: newID(), created: now, modified: now, version: 1, doc: doc}
		}
		args := append([]any{tenant, row.id}, s.userArgs(u, doc)...)
		args = append(args, row.created, row.modified)
		_, err := t.exec(ctx, `INSERT INTO scim_users
			(tenant, id, user_name, user_name_fold, external_id, display_name_fold, active, doc, created_ns, modified_ns, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`, args...)
		if s.d.isUnique(err) {
			return scim.ErrConflict
		}
		if err != nil {
			return err
		}
		if err := insertEmails(ctx, t, tenant, row.id, u.Emails); err != nil {
			return err
		}
		if err := putKeys(ctx, t, "scim_user_keys", "user_id", tenant, row.id, s.indexed().user, u.Extensions); err != nil {
			return err
		}
		return insertEvents(ctx, t, events)
	})
	if err != nil {
		return nil, err
	}
	if ev {
		s.announce()
		return out, nil
	}
	return row.written(u, nil)
}

// replaceEmails replaces a user's email rows with those of emails.
func replaceEmails(ctx context.Context, t *tx, tenant, id string, emails []scim.MultiValue) error {
	if _, err := t.exec(ctx, "DELETE FROM scim_user_emails WHERE tenant = ? AND user_id = ?", tenant, id); err != nil {
		return err
	}
	return insertEmails(ctx, t, tenant, id, emails)
}

// insertEmails stores one row per element of emails, which the emails
// filters search.
func insertEmails(ctx context.Context, t *tx, tenant, id string, emails []scim.MultiValue) error {
	return insertRows(ctx, t, "scim_user_emails (tenant, user_id, idx, value_fold, type_fold)", len(emails), func(i int) []any {
		return []any{tenant, id, i, filter.Fold(emails[i].Value), filter.Fold(emails[i].Type)}
	})
}

// insertRows inserts n rows into table (with its column list), the
// values of row i from row, in statements of at most 500 rows so that no
// statement exceeds a driver's parameter limit.
func insertRows(ctx context.Context, t *tx, table string, n int, row func(i int) []any) error {
	const perStmt = 500
	for lo := 0; lo < n; lo += perStmt {
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " VALUES ")
		hi := min(lo+perStmt, n)
		var args []any
		for i := lo; i < hi; i++ {
			vals := row(i)
			if i > lo {
				b.WriteString(", ")
			} else {
				args = make([]any, 0, len(vals)*(hi-lo))
			}
			b.WriteString("(?" + strings.Repeat(", ?", len(vals)-1) + ")")
			args = append(args, vals...)
		}
		if _, err := t.exec(ctx, b.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// GetUser implements scim.UserStore: one statement reads the user and its
// groups, so they come from one snapshot.
func (s *Store) GetUser(ctx context.Context, tenant, id string) (*scim.User, error) {
	if !storable(id) {
		return nil, scim.ErrNotFound
	}
	var row userRow
	var groups []byte
	err := s.single().queryRow(ctx, "SELECT "+userCols+", "+s.d.groupsOf("u")+
		" FROM scim_users u WHERE u.tenant = ? AND u.id = ?", tenant, id).
		Scan(append(row.dest(), &groups)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, scim.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	refs, err := decodeGroupRefs(groups)
	if err != nil {
		return nil, err
	}
	return row.user(refs)
}

// ReplaceUser implements scim.UserStore. The version check is part of the
// UPDATE, so of two replaces with one ifVersion exactly one matches.
func (s *Store) ReplaceUser(ctx context.Context, tenant string, u *scim.User, ifVersion string) (*scim.User, error) {
	if u == nil {
		return nil, errNil
	}
	if !storable(u.ID) {
		return nil, scim.ErrNotFound
	}
	doc, err := encodeUser(u)
	if err != nil {
		return nil, err
	}
	ev := s.recording()
	if s.oneStatement(u.Extensions) {
		row := userRow{id: u.ID, doc: doc}
		var groups []byte
		if err := s.pgReplaceUser(ctx, tenant, u, ifVersion, &row, &groups); err != nil {
			return nil, err
		}
		refs, err := decodeGroupRefs(groups)
		if err != nil {
			return nil, err
		}
		return row.written(u, refs)
	}
	var out *scim.User
	// With events, the old row is read locked: on PostgreSQL by the
	// UPDATE itself, from a CTE that locks it first; on SQLite, whose one
	// writer runs a statement in microseconds, by a SELECT before.
	pgOld := ev && s.d == Postgres
	err = s.write(ctx, func(ctx context.Context, t *tx) error {
		if !ev && s.d == SQLite {
			var err error
			out, err = s.sqliteReplaceUser(ctx, t, tenant, u, doc, ifVersion)
			return err
		}
		var old *scim.User
		if ev && !pgOld {
			var err error
			if old, err = s.lockUser(ctx, t, tenant, u.ID, ifVersion); err != nil {
				return err
			}
		}
		now := time.Now().UnixNano()
		row := userRow{id: u.ID, doc: doc}
		oldRow := userRow{id: u.ID}
		args := append(s.userArgs(u, doc), now, tenant, u.ID)
		q := `UPDATE scim_users SET user_name = ?, user_name_fold = ?, external_id = ?, display_name_fold = ?,
			active = ?, doc = ?, version = version + 1, modified_ns = ` + s.d.greatest("modified_ns + 1", "?")
		ret, dest := " RETURNING created_ns, modified_ns, version", []any{&row.created, &row.modified, &row.version}
		if pgOld {
			q = `WITH old AS (SELECT created_ns AS old_created, modified_ns AS old_modified, version AS old_version, doc AS old_doc
				FROM scim_users WHERE tenant = ? AND id = ? FOR UPDATE) ` + q + " FROM old"
			args = append([]any{tenant, u.ID}, args...)
			ret += ", old_created, old_modified, old_version, old_doc"
			dest = append(dest, &oldRow.created, &oldRow.modified, &oldRow.version, &oldRow.doc)
		}
		q += " WHERE tenant = ? AND id = ?"
		if ifVersion != "" {
			q += " AND version = ?"
			args = append(args, parseVersion(ifVersion))
		}
		err := t.queryRow(ctx, q+ret, args...).Scan(dest...)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return missingOrStale(ctx, t, "scim_users", tenant, u.ID)
		case s.d.isUnique(err):
			return scim.ErrConflict
		case err != nil:
			return err
		}
		if err := replaceEmails(ctx, t, tenant, u.ID, u.Emails); err != nil {
			return err
		}
		if err := replaceKeys(ctx, t, "scim_user_keys", "user_id", tenant, u.ID, s.indexed().user, u.Extensions); err != nil {
			return err
		}
		var groups []byte
		if err := t.queryRow(ctx, "SELECT "+s.d.groupsOf("u")+" FROM scim_users u WHERE u.tenant = ? AND u.id = ?",
			tenant, u.ID).Scan(&groups); err != nil {
			return err
		}
		refs, err := decodeGroupRefs(groups)
		if err != nil {
			return err
		}
		if out, err = row.written(u, refs); err != nil || !ev {
			return err
		}
		if pgOld {
			if old, err = oldRow.user(nil); err != nil {
				return err
			}
		}
		return s.record(ctx, t, scim.CommittedWrite{Tenant: tenant, ResourceType: "User",
			Old: scim.UserDoc(old), New: scim.UserDoc(out), Time: nsTime(row.modified)})
	})
	if err != nil {
		return nil, err
	}
	if ev {
		s.announce()
	}
	return out, nil
}

// lockUser reads the user as stored, for its events, locking its row
// until the transaction ends; ifVersion as for ReplaceUser.
func (s *Store) lockUser(ctx context.Context, t *tx, tenant, id, ifVersion string) (*scim.User, error) {
	r := userRow{id: id}
	err := t.queryRow(ctx, "SELECT "+strings.ReplaceAll(userCols, "u.", "")+" FROM scim_users WHERE tenant = ? AND id = ?"+s.d.lock("UPDATE"),
		tenant, id).Scan(r.dest()...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, scim.ErrNotFound
	case err != nil:
		return nil, err
	case ifVersion != "" && parseVersion(ifVersion) != r.version:
		return nil, scim.ErrVersionMismatch
	}
	return r.user(nil)
}

// missingOrStale explains why a conditional write matched no row.
func missingOrStale(ctx context.Context, t *tx, table, tenant, id string) error {
	var n int
	if err := t.queryRow(ctx, "SELECT count(*) FROM "+table+" WHERE tenant = ? AND id = ?", tenant, id).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return scim.ErrNotFound
	}
	return scim.ErrVersionMismatch
}

// DeleteUser implements scim.UserStore. On PostgreSQL the user row is
// locked first: that blocks new memberships for it (their foreign key
// check needs a share lock on the row), so every group it leaves is known
// and gets a new version.
func (s *Store) DeleteUser(ctx context.Context, tenant, id, ifVersion string) error {
	if !storable(id) {
		return scim.ErrNotFound
	}
	ev := s.recording()
	err := s.write(ctx, func(ctx context.Context, t *tx) error {
		var old *scim.User
		if ev {
			var err error
			if old, err = s.lockUser(ctx, t, tenant, id, ifVersion); err != nil {
				return err
			}
		} else {
			var version int64
			err := t.queryRow(ctx, "SELECT version FROM scim_users WHERE tenant = ? AND id = ?"+s.d.lock("UPDATE"),
				tenant, id).Scan(&version)
			if errors.Is(err, sql.ErrNoRows) {
				return scim.ErrNotFound
			}
			if err != nil {
				return err
			}
			if ifVersion != "" && parseVersion(ifVersion) != version {
				return scim.ErrVersionMismatch
			}
		}
		now := time.Now().UnixNano()
		bump := `UPDATE scim_groups SET version = version + 1, modified_ns = ` + s.d.greatest("modified_ns + 1", "?") + `
			WHERE tenant = ? AND id IN (SELECT group_id FROM scim_group_members WHERE tenant = ? AND user_id = ?)`
		var left []scim.CommittedWrite // the groups the user leaves, for their events
		if !ev {
			if _, err := t.exec(ctx, bump, now, tenant, tenant, id); err != nil {
				return err
			}
		} else if err := queryEach(ctx, t, bump+" RETURNING id, version", []any{now, tenant, tenant, id}, func(rs *sql.Rows) error {
			var gid string
			var v int64
			if err := rs.Scan(&gid, &v); err != nil {
				return err
			}
			left = append(left, memberEvent(tenant, gid, v, id, now))
			return nil
		}); err != nil {
			return err
		}
		for _, q := range []string{
			"DELETE FROM scim_group_members WHERE tenant = ? AND user_id = ?",
			"DELETE FROM scim_user_emails WHERE tenant = ? AND user_id = ?",
			"DELETE FROM scim_user_keys WHERE tenant = ? AND user_id = ?",
			"DELETE FROM scim_users WHERE tenant = ? AND id = ?",
		} {
			if _, err := t.exec(ctx, q, tenant, id); err != nil {
				return err
			}
		}
		if !ev {
			return nil
		}
		deleted := scim.CommittedWrite{Tenant: tenant, ResourceType: "User", Old: scim.UserDoc(old), Time: nsTime(now)}
		return s.record(ctx, t, append([]scim.CommittedWrite{deleted}, left...)...)
	})
	if err == nil && ev {
		s.announce()
	}
	return err
}

// queryEach runs a query and calls scan for each row.
func queryEach(ctx context.Context, t *tx, q string, args []any, scan func(*sql.Rows) error) error {
	rs, err := t.query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		if err := scan(rs); err != nil {
			return err
		}
	}
	return rs.Err()
}

// listSQL holds the statements a List runs for one filter: count and
// page when SQL answers the filter exactly, else scan, which streams the
// candidates for evaluation in Go. All take args; page adds LIMIT and
// OFFSET.
type listSQL struct {
	count, page, scan string
	from              string // "FROM table a WHERE ...", which args fill
	args              []any
	exact             bool
}

// listSQL builds the statements for listing table (alias a) in tenant
// under f. The page selects cols, plus pageExtra computed on the page's
// rows only (a LIMIT does not stop a target list from being computed for
// the rows an OFFSET skips); the scan selects cols and scanExtra.
func (s *Store) listSQL(at *attrs, table, a, cols, pageExtra, scanExtra, tenant string, f filter.Expr) listSQL {
	c := compileFilter(s.d, at, s.indexed(), a, tenant, f)
	where := a + ".tenant = ?"
	if c.where != "" {
		where += " AND " + c.where
	}
	from := " FROM " + table + " " + a + " WHERE " + where
	page := "SELECT " + cols + from + " ORDER BY " + a + ".seq LIMIT ? OFFSET ?"
	if pageExtra != "" {
		// cols has a.seq, which the outer ORDER BY reads.
		inner := "SELECT " + a + ".tenant, " + cols + from + " ORDER BY " + a + ".seq LIMIT ? OFFSET ?"
		page = "SELECT " + strings.ReplaceAll(cols, a+".", "p.") + ", " + pageExtra + " FROM (" + inner + ") AS p ORDER BY p.seq"
	}
	scanCols := cols
	if scanExtra != "" {
		scanCols += ", " + scanExtra
	}
	return listSQL{
		from:  from[1:],
		count: "SELECT count(*)" + from,
		page:  page,
		scan:  "SELECT " + scanCols + from + " ORDER BY " + a + ".seq",
		args:  append([]any{tenant}, c.args...),
		exact: c.exact,
	}
}

func (s *Store) userListSQL(tenant string, f filter.Expr) listSQL {
	return s.userListSQLGroups(tenant, f, filter.Touches(f, "groups"))
}

// userListSQLGroups is userListSQL whose scan reads each user's groups
// when needGroups is set.
func (s *Store) userListSQLGroups(tenant string, f filter.Expr, needGroups bool) listSQL {
	extra := ""
	if needGroups {
		extra = s.d.groupsOf("u")
	}
	return s.listSQL(userAttrs, "scim_users", "u", userCols, s.d.groupsOf("p"), extra, tenant, f)
}

// ListUsers implements scim.UserStore. Results are in creation order, or
// in q.SortBy's (see sortedUsers), and have Groups filled.
func (s *Store) ListUsers(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.User], error) {
	if q.Keyset || q.After != nil {
		return s.keysetUsers(ctx, tenant, q)
	}
	if q.Sorted() {
		return s.sortedUsers(ctx, tenant, q)
	}
	start, count := window(q)
	ls := s.userListSQL(tenant, q.Filter)
	page := &scim.Page[*scim.User]{Resources: []*scim.User{}}
	if ls.exact {
		var rows []userRow
		var groups [][]byte
		var err error
		page.TotalResults, err = s.listExact(ctx, ls, start, count, func(rs *sql.Rows) error {
			var r userRow
			var g []byte
			if err := rs.Scan(append(r.dest(), &g)...); err != nil {
				return err
			}
			rows, groups = append(rows, r), append(groups, g)
			return nil
		}, func() { rows, groups = rows[:0], groups[:0] })
		if err != nil {
			return nil, err
		}
		for i := range rows {
			refs, err := decodeGroupRefs(groups[i])
			if err != nil {
				return nil, err
			}
			u, err := rows[i].user(refs)
			if err != nil {
				return nil, err
			}
			page.Resources = append(page.Resources, u)
		}
		return page, nil
	}
	err := s.read(ctx, func(t *tx) error {
		total, rows, err := s.scanUsers(ctx, t, ls, q.Filter, start, count)
		if err != nil {
			return err
		}
		groups, err := s.groupsFor(ctx, t, tenant, rows)
		if err != nil {
			return err
		}
		page.TotalResults = total
		for i := range rows {
			u, err := rows[i].user(groups[rows[i].id])
			if err != nil {
				return err
			}
			page.Resources = append(page.Resources, u)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

// listExact answers a list whose filter SQL answers exactly. The page
// comes first, in one statement outside any transaction: when it is
// neither full nor past the end it tells the total too, which is the
// case of every lookup an identity provider sends. Otherwise the count
// and the page are read again in one read-only transaction, so that they
// agree. scan appends one row of the page; reset forgets the rows.
func (s *Store) listExact(ctx context.Context, ls listSQL, start, count int, scan func(*sql.Rows) error, reset func()) (int, error) {
	if count > 0 {
		n, err := queryPage(ctx, s.single(), ls, start, count, scan)
		if err != nil {
			return 0, err
		}
		if n > 0 && n < count || n == 0 && start == 1 {
			return start - 1 + n, nil
		}
		reset()
	}
	var total int
	err := s.read(ctx, func(t *tx) error {
		reset()
		if err := t.queryRow(ctx, ls.count, ls.args...).Scan(&total); err != nil {
			return err
		}
		if count == 0 || start > total {
			return nil
		}
		_, err := queryPage(ctx, t, ls, start, count, scan)
		return err
	})
	return total, err
}

// queryPage runs the page statement and scans its rows.
func queryPage(ctx context.Context, t *tx, ls listSQL, start, count int, scan func(*sql.Rows) error) (int, error) {
	rs, err := t.query(ctx, ls.page, append(ls.args[:len(ls.args):len(ls.args)], count, start-1)...)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	n := 0
	for rs.Next() {
		if err := scan(rs); err != nil {
			return 0, err
		}
		n++
	}
	return n, rs.Err()
}

// scanUsers streams the candidates SQL narrowed the filter to, in
// creation order, and evaluates the whole filter on each. It keeps only
// the page, but counts every match for an exact total.
func (s *Store) scanUsers(ctx context.Context, t *tx, ls listSQL, f filter.Expr, start, count int) (int, []userRow, error) {
	var rows []userRow
	total := 0
	err := s.eachUser(ctx, t, ls, f, filter.Touches(f, "groups"), func(r userRow, _ map[string]any) {
		total++
		if total >= start && len(rows) < count {
			rows = append(rows, r)
		}
	})
	return total, rows, err
}

// eachUser streams the candidates of ls.scan and calls fn with each that
// matches f, and its JSON form. needGroups says ls.scan reads groups.
func (s *Store) eachUser(ctx context.Context, t *tx, ls listSQL, f filter.Expr, needGroups bool, fn func(userRow, map[string]any)) error {
	rs, err := t.query(ctx, ls.scan, ls.args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var r userRow
		var groups []byte
		dest := r.dest()
		if needGroups {
			dest = append(dest, &groups)
		}
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		var refs []scim.GroupRef
		if needGroups {
			if refs, err = decodeGroupRefs(groups); err != nil {
				return err
			}
		}
		doc, err := r.matchDoc(refs)
		if err != nil {
			return fmt.Errorf("sqlstore: user %s: %w", r.id, err)
		}
		if filter.Match(f, doc) {
			fn(r, doc)
		}
	}
	return rs.Err()
}

// groupsFor reads the groups of the users of a page in one query.
func (s *Store) groupsFor(ctx context.Context, t *tx, tenant string, rows []userRow) (map[string][]scim.GroupRef, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].id
	}
	rs, err := t.query(ctx, `SELECT m.user_id, g.id, g.display_name
		FROM scim_group_members m JOIN scim_groups g ON g.tenant = m.tenant AND g.id = m.group_id
		WHERE m.tenant = ? AND `+s.d.inList("m.user_id")+` ORDER BY g.seq`, tenant, jsonList(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make(map[string][]scim.GroupRef)
	for rs.Next() {
		var uid string
		var ref scim.GroupRef
		if err := rs.Scan(&uid, &ref.Value, &ref.Display); err != nil {
			return nil, err
		}
		ref.Type = "direct"
		out[uid] = append(out[uid], ref)
	}
	return out, rs.Err()
}

// window returns the 1-based index of the first result to return and the
// most results to return.
func window(q scim.Query) (start, count int) {
	return max(q.StartIndex, 1), max(q.Count, 0)
}
