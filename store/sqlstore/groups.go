package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

const groupCols = "g.id, g.display_name, g.external_id, g.created_ns, g.modified_ns, g.version, g.ext, g.seq"

// groupRow is a groups row as read.
type groupRow struct {
	id, displayName, externalID string
	created, modified, version  int64
	ext                         scim.Extensions
	seq                         int64 // creation order, for keyset paging
}

func (r *groupRow) dest() []any {
	return []any{&r.id, &r.displayName, &r.externalID, &r.created, &r.modified, &r.version, extColumn{&r.ext}, &r.seq}
}

func (r *groupRow) group(members []scim.Member) *scim.Group {
	return &scim.Group{
		ID:          r.id,
		DisplayName: r.displayName,
		ExternalID:  r.externalID,
		Members:     members,
		Meta:        meta(r.created, r.modified, r.version),
		Extensions:  r.ext,
	}
}

// dedupe returns ms with one entry per value, at its first position and
// with its last display and type, as adding the list one by one would
// leave it. Ref is dropped: the server derives it.
func dedupe(ms []scim.Member) []scim.Member {
	out := make([]scim.Member, 0, len(ms))
	at := make(map[string]int, len(ms))
	for _, m := range ms {
		m.Ref = ""
		if i, ok := at[m.Value]; ok {
			out[i] = m
			continue
		}
		at[m.Value] = len(out)
		out = append(out, m)
	}
	return out
}

// missingUsers returns the first of ids that names no user of the tenant,
// or "" when all do, with one query for the whole list. On PostgreSQL it
// share-locks the users it finds until the transaction ends, so none can
// be deleted before the memberships naming them commit; the foreign keys
// make that hold in any case, and this keeps the error a clean
// ErrInvalidMember.
func (s *Store) missingUsers(ctx context.Context, t *tx, tenant string, ids []string) (string, bool, error) {
	if len(ids) == 0 {
		return "", false, nil
	}
	for _, id := range ids {
		if !storable(id) {
			return id, true, nil
		}
	}
	rs, err := t.query(ctx, "SELECT id FROM scim_users WHERE tenant = ? AND "+s.d.inList("id")+s.d.lock("KEY SHARE"),
		tenant, jsonList(ids))
	if err != nil {
		return "", false, err
	}
	defer rs.Close()
	found := make(map[string]bool, len(ids))
	for rs.Next() {
		var id string
		if err := rs.Scan(&id); err != nil {
			return "", false, err
		}
		found[id] = true
	}
	if err := rs.Err(); err != nil {
		return "", false, err
	}
	for _, id := range ids {
		if !found[id] {
			return id, true, nil
		}
	}
	return "", false, nil
}

func invalidMember(id string) error { return fmt.Errorf("%w: %q", scim.ErrInvalidMember, id) }

// addMembers upserts members (distinct values) into a group with one
// statement, whatever their number. A foreign key violation means a user
// vanished under a concurrent delete.
func (s *Store) addMembers(ctx context.Context, t *tx, tenant, groupID string, ms []scim.Member) error {
	if len(ms) == 0 {
		return nil
	}
	triples := make([][3]string, len(ms))
	for i, m := range ms {
		triples[i] = [3]string{m.Value, m.Display, m.Type}
	}
	_, err := t.exec(ctx, s.d.upsertMembers(), tenant, groupID, jsonList(triples))
	if s.d.isForeignKey(err) {
		return fmt.Errorf("%w: %v", scim.ErrInvalidMember, err)
	}
	return err
}

func memberValues(ms []scim.Member) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	return ids
}

// CreateGroup implements scim.GroupStore.
func (s *Store) CreateGroup(ctx context.Context, tenant string, g *scim.Group) (*scim.Group, error) {
	if g == nil {
		return nil, errNil
	}
	members := dedupe(g.Members)
	ext, err := encodeExtensions(g.Extensions)
	if err != nil {
		return nil, err
	}
	ev := s.recording()
	var out *scim.Group
	err = s.write(ctx, func(ctx context.Context, t *tx) error {
		if id, missing, err := s.missingUsers(ctx, t, tenant, memberValues(members)); err != nil {
			return err
		} else if missing {
			return invalidMember(id)
		}
		now := time.Now().UnixNano()
		row := groupRow{id: newID(), displayName: g.DisplayName, externalID: g.ExternalID, created: now, modified: now, version: 1, ext: g.Extensions.Clone()}
		if _, err := t.exec(ctx, `INSERT INTO scim_groups
			(tenant, id, display_name, display_name_fold, external_id, created_ns, modified_ns, version, ext)
			VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			tenant, row.id, g.DisplayName, filter.Fold(g.DisplayName), g.ExternalID, now, now, ext); err != nil {
			return err
		}
		if err := putKeys(ctx, t, "scim_group_keys", "group_id", tenant, row.id, s.indexed().group, g.Extensions); err != nil {
			return err
		}
		if err := s.addMembers(ctx, t, tenant, row.id, members); err != nil {
			return err
		}
		out = row.group(cloneMembers(members))
		if !ev {
			return nil
		}
		return s.record(ctx, t, scim.CommittedWrite{Tenant: tenant, ResourceType: "Group", New: scim.GroupDoc(row.group(nil)),
			MembersAdded: memberValues(members), Time: nsTime(now)})
	})
	if err != nil {
		return nil, err
	}
	if ev {
		s.announce()
	}
	return out, nil
}

func cloneMembers(ms []scim.Member) []scim.Member {
	if len(ms) == 0 {
		return nil
	}
	return append([]scim.Member(nil), ms...)
}

// GetGroup implements scim.GroupStore. With members, one statement reads
// the group and its members, so they come from one snapshot.
func (s *Store) GetGroup(ctx context.Context, tenant, id string, opts scim.GetOptions) (*scim.Group, error) {
	if !storable(id) {
		return nil, scim.ErrNotFound
	}
	if opts.ExcludeMembers {
		var r groupRow
		err := s.single().queryRow(ctx, "SELECT "+groupCols+" FROM scim_groups g WHERE g.tenant = ? AND g.id = ?",
			tenant, id).Scan(r.dest()...)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, scim.ErrNotFound
		}
		if err != nil {
			return nil, err
		}
		return r.group(nil), nil
	}
	rs, err := s.single().query(ctx, "SELECT "+groupCols+`, m.user_id, m.display, m.type
		FROM scim_groups g LEFT JOIN scim_group_members m ON m.tenant = g.tenant AND m.group_id = g.id
		WHERE g.tenant = ? AND g.id = ? ORDER BY m.user_id`, tenant, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var r groupRow
	var members []scim.Member
	found := false
	for rs.Next() {
		var uid, display, typ sql.NullString
		if err := rs.Scan(append(r.dest(), &uid, &display, &typ)...); err != nil {
			return nil, err
		}
		found = true
		if uid.Valid {
			members = append(members, scim.Member{Value: uid.String, Display: display.String, Type: typ.String})
		}
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, scim.ErrNotFound
	}
	return r.group(members), nil
}

// lockGroup reads the group as stored, for its events, locking its row
// until the transaction ends; ifVersion as for ReplaceGroup.
func (s *Store) lockGroup(ctx context.Context, t *tx, tenant, id, ifVersion string) (groupRow, error) {
	var r groupRow
	err := t.queryRow(ctx, "SELECT "+groupCols+" FROM scim_groups g WHERE g.tenant = ? AND g.id = ?"+s.d.lock("UPDATE"),
		tenant, id).Scan(r.dest()...)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return r, scim.ErrNotFound
	case err == nil && ifVersion != "" && parseVersion(ifVersion) != r.version:
		return r, scim.ErrVersionMismatch
	}
	return r, err
}

// groupWrite is the CommittedWrite of a group from old to r, with the
// member changes mc.
func groupWrite(tenant string, old, r groupRow, mc *memberChanges) scim.CommittedWrite {
	w := scim.CommittedWrite{Tenant: tenant, ResourceType: "Group", Old: scim.GroupDoc(old.group(nil)), New: scim.GroupDoc(r.group(nil)),
		Time: nsTime(r.modified)}
	w.MembersAdded, w.MembersRemoved = mc.delta()
	return w
}

// bumpGroup gives the group a new version (and, when attrs is not nil,
// new attributes) in one UPDATE that also checks ifVersion and, on
// PostgreSQL, row-locks the group until the transaction ends, so that
// writes to one group's members take turns.
func (s *Store) bumpGroup(ctx context.Context, t *tx, tenant, id string, attrs *scim.Group, ifVersion string) (groupRow, error) {
	r := groupRow{id: id}
	now := time.Now().UnixNano()
	q := "UPDATE scim_groups SET version = version + 1, modified_ns = " + s.d.greatest("modified_ns + 1", "?")
	args := []any{now}
	if attrs != nil {
		ext, err := encodeExtensions(attrs.Extensions)
		if err != nil {
			return r, err
		}
		q += ", display_name = ?, display_name_fold = ?, external_id = ?, ext = ?"
		args = append(args, attrs.DisplayName, filter.Fold(attrs.DisplayName), attrs.ExternalID, ext)
	}
	q += " WHERE tenant = ? AND id = ?"
	args = append(args, tenant, id)
	if ifVersion != "" {
		q += " AND version = ?"
		args = append(args, parseVersion(ifVersion))
	}
	err := t.queryRow(ctx, q+" RETURNING display_name, external_id, created_ns, modified_ns, version, ext", args...).
		Scan(&r.displayName, &r.externalID, &r.created, &r.modified, &r.version, extColumn{&r.ext})
	if errors.Is(err, sql.ErrNoRows) {
		return r, missingOrStale(ctx, t, "scim_groups", tenant, id)
	}
	if err == nil && attrs != nil {
		err = replaceKeys(ctx, t, "scim_group_keys", "group_id", tenant, id, s.indexed().group, attrs.Extensions)
	}
	return r, err
}

// ReplaceGroup implements scim.GroupStore.
func (s *Store) ReplaceGroup(ctx context.Context, tenant string, g *scim.Group, ifVersion string) (*scim.Group, error) {
	if g == nil {
		return nil, errNil
	}
	if !storable(g.ID) {
		return nil, scim.ErrNotFound
	}
	members := dedupe(g.Members)
	ev := s.recording()
	var out *scim.Group
	err := s.write(ctx, func(ctx context.Context, t *tx) error {
		// Users first, then the group: the lock order every write keeps.
		bad, missing, err := s.missingUsers(ctx, t, tenant, memberValues(members))
		if err != nil {
			return err
		}
		var old groupRow
		var mc *memberChanges
		if ev {
			if old, err = s.lockGroup(ctx, t, tenant, g.ID, ifVersion); err != nil {
				return err
			}
			mc = newMemberChanges()
		}
		r, err := s.bumpGroup(ctx, t, tenant, g.ID, g, ifVersion)
		if err != nil {
			return err
		}
		if missing {
			return invalidMember(bad)
		}
		if err := s.replaceMembers(ctx, t, tenant, g.ID, members, mc); err != nil {
			return err
		}
		out = r.group(cloneMembers(members))
		if !ev {
			return nil
		}
		return s.record(ctx, t, groupWrite(tenant, old, r, mc))
	})
	if err != nil {
		return nil, err
	}
	if ev {
		s.announce()
	}
	return out, nil
}

// replaceMembers makes ms (distinct values) the group's members, noting
// the changes in mc when it is not nil.
func (s *Store) replaceMembers(ctx context.Context, t *tx, tenant, id string, ms []scim.Member, mc *memberChanges) error {
	const clear = "DELETE FROM scim_group_members WHERE tenant = ? AND group_id = ?"
	if mc == nil {
		if _, err := t.exec(ctx, clear, tenant, id); err != nil {
			return err
		}
	} else {
		rs, err := t.query(ctx, clear+" RETURNING user_id", tenant, id)
		if err != nil {
			return err
		}
		gone, err := scanIDs(rs)
		if err != nil {
			return err
		}
		mc.cleared(slices.Collect(maps.Keys(gone)))
		for _, m := range ms {
			mc.set(m.Value, false, true)
		}
	}
	return s.addMembers(ctx, t, tenant, id, ms)
}

// PatchGroup implements scim.GroupStore. Member operations are deltas on
// the members table inside one transaction: adding or removing members
// costs the same in a group of ten as in one of a hundred thousand (only
// RemoveMatchingMembers reads the member list, to evaluate its filter).
func (s *Store) PatchGroup(ctx context.Context, tenant, id string, p scim.GroupPatch, ifVersion string) (*scim.Group, error) {
	if !storable(id) {
		return nil, scim.ErrNotFound
	}
	ops := make([]scim.MemberOp, len(p.MemberOps))
	var added []string
	for i, op := range p.MemberOps {
		switch op.Kind {
		case scim.AddMembers, scim.ReplaceMembers:
			op.Members = dedupe(op.Members)
			added = append(added, memberValues(op.Members)...)
		case scim.RemoveMembers:
			op.Members = cloneMembers(op.Members)
		case scim.RemoveMatchingMembers, scim.RemoveAllMembers:
		default:
			return nil, fmt.Errorf("sqlstore: unknown member operation kind %d", op.Kind)
		}
		ops[i] = op
	}
	added = distinct(added)
	var attrs *scim.Group
	if p.Attributes != nil {
		a := *p.Attributes
		attrs = &a
	}
	ev := s.recording()
	var out *scim.Group
	err := s.write(ctx, func(ctx context.Context, t *tx) error {
		bad, missing, err := s.missingUsers(ctx, t, tenant, added)
		if err != nil {
			return err
		}
		var old groupRow
		var mc *memberChanges
		if ev {
			if attrs != nil {
				if old, err = s.lockGroup(ctx, t, tenant, id, ifVersion); err != nil {
					return err
				}
			}
			mc = newMemberChanges()
		}
		r, err := s.bumpGroup(ctx, t, tenant, id, attrs, ifVersion)
		if err != nil {
			return err
		}
		if missing {
			return invalidMember(bad)
		}
		for _, op := range ops {
			if err := s.applyMemberOp(ctx, t, tenant, id, op, mc); err != nil {
				return err
			}
		}
		out = r.group(nil)
		if !ev {
			return nil
		}
		if attrs == nil {
			old = r // the attributes did not change
		}
		return s.record(ctx, t, groupWrite(tenant, old, r, mc))
	})
	if err != nil {
		return nil, err
	}
	if ev {
		s.announce()
	}
	return out, nil
}

func distinct(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// applyMemberOp applies op to the group's members, noting the changes in
// mc when it is not nil.
func (s *Store) applyMemberOp(ctx context.Context, t *tx, tenant, id string, op scim.MemberOp, mc *memberChanges) error {
	switch op.Kind {
	case scim.AddMembers:
		if mc != nil && len(op.Members) > 0 {
			ids := memberValues(op.Members)
			present, err := s.presentMembers(ctx, t, tenant, id, ids)
			if err != nil {
				return err
			}
			for _, v := range ids {
				mc.set(v, present[v], true)
			}
		}
		return s.addMembers(ctx, t, tenant, id, op.Members)
	case scim.RemoveMembers:
		return s.removeMembers(ctx, t, tenant, id, memberValues(op.Members), mc)
	case scim.RemoveMatchingMembers:
		ids, err := s.matchingMembers(ctx, t, tenant, id, op.Filter)
		if err != nil {
			return err
		}
		return s.removeMembers(ctx, t, tenant, id, ids, mc)
	case scim.ReplaceMembers, scim.RemoveAllMembers:
		return s.replaceMembers(ctx, t, tenant, id, op.Members, mc)
	}
	return fmt.Errorf("sqlstore: unknown member operation kind %d", op.Kind)
}

func (s *Store) removeMembers(ctx context.Context, t *tx, tenant, id string, ids []string, mc *memberChanges) error {
	var ok []string
	for _, v := range ids {
		if storable(v) {
			ok = append(ok, v)
		}
	}
	if len(ok) == 0 {
		return nil
	}
	q := "DELETE FROM scim_group_members WHERE tenant = ? AND group_id = ? AND " + s.d.inList("user_id")
	if mc == nil {
		_, err := t.exec(ctx, q, tenant, id, jsonList(ok))
		return err
	}
	rs, err := t.query(ctx, q+" RETURNING user_id", tenant, id, jsonList(ok))
	if err != nil {
		return err
	}
	gone, err := scanIDs(rs)
	if err != nil {
		return err
	}
	for _, v := range ok {
		mc.set(v, gone[v], false)
	}
	return nil
}

// matchingMembers evaluates a member filter on every member of the group.
func (s *Store) matchingMembers(ctx context.Context, t *tx, tenant, id string, f filter.Expr) ([]string, error) {
	rs, err := t.query(ctx, "SELECT user_id, display, type FROM scim_group_members WHERE tenant = ? AND group_id = ?", tenant, id)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var ids []string
	for rs.Next() {
		var m scim.Member
		if err := rs.Scan(&m.Value, &m.Display, &m.Type); err != nil {
			return nil, err
		}
		if scim.MatchMember(f, m) {
			ids = append(ids, m.Value)
		}
	}
	return ids, rs.Err()
}

// DeleteGroup implements scim.GroupStore. Its memberships go with it
// through the foreign key's ON DELETE CASCADE.
func (s *Store) DeleteGroup(ctx context.Context, tenant, id, ifVersion string) error {
	if !storable(id) {
		return scim.ErrNotFound
	}
	ev := s.recording()
	err := s.write(ctx, func(ctx context.Context, t *tx) error {
		q := "DELETE FROM scim_groups WHERE tenant = ? AND id = ?"
		args := []any{tenant, id}
		if ifVersion != "" {
			q += " AND version = ?"
			args = append(args, parseVersion(ifVersion))
		}
		if ev {
			var old groupRow
			err := t.queryRow(ctx, q+" RETURNING id, display_name, external_id, created_ns, modified_ns, version, ext, seq", args...).Scan(old.dest()...)
			if errors.Is(err, sql.ErrNoRows) {
				return missingOrStale(ctx, t, "scim_groups", tenant, id)
			}
			if err != nil {
				return err
			}
			return s.record(ctx, t, scim.CommittedWrite{Tenant: tenant, ResourceType: "Group", Old: scim.GroupDoc(old.group(nil)), Time: time.Now()})
		}
		res, err := t.exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return missingOrStale(ctx, t, "scim_groups", tenant, id)
		}
		return nil
	})
	if err == nil && ev {
		s.announce()
	}
	return err
}

func (s *Store) groupListSQL(tenant string, f filter.Expr) listSQL {
	return s.groupListSQLMembers(tenant, f, filter.Touches(f, "members"))
}

// groupListSQLMembers is groupListSQL whose scan reads each group's
// members when needMembers is set.
func (s *Store) groupListSQLMembers(tenant string, f filter.Expr, needMembers bool) listSQL {
	extra := ""
	if needMembers {
		extra = s.d.membersOf("g")
	}
	return s.listSQL(groupAttrs, "scim_groups", "g", groupCols, "", extra, tenant, f)
}

// ListGroups implements scim.GroupStore. Results are in creation order,
// or in q.SortBy's (as ListUsers sorts). A
// filter on members sees every member even with q.ExcludeMembers, which
// only trims the result.
func (s *Store) ListGroups(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.Group], error) {
	if q.Keyset || q.After != nil {
		return s.keysetGroups(ctx, tenant, q)
	}
	if q.Sorted() {
		return s.sortedGroups(ctx, tenant, q)
	}
	start, count := window(q)
	ls := s.groupListSQL(tenant, q.Filter)
	page := &scim.Page[*scim.Group]{Resources: []*scim.Group{}}
	// Without members, an exact filter needs no transaction (see
	// listExact); members are read with the page in one snapshot.
	if ls.exact && q.ExcludeMembers {
		var rows []groupRow
		total, err := s.listExact(ctx, ls, start, count, func(rs *sql.Rows) error {
			var r groupRow
			if err := rs.Scan(r.dest()...); err != nil {
				return err
			}
			rows = append(rows, r)
			return nil
		}, func() { rows = rows[:0] })
		if err != nil {
			return nil, err
		}
		page.TotalResults = total
		for i := range rows {
			page.Resources = append(page.Resources, rows[i].group(nil))
		}
		return page, nil
	}
	err := s.read(ctx, func(t *tx) error {
		var rows []groupRow
		var err error
		if ls.exact {
			page.TotalResults, rows, err = s.exactGroups(ctx, t, ls, start, count)
		} else {
			page.TotalResults, rows, err = s.scanGroups(ctx, t, ls, q.Filter, start, count)
		}
		if err != nil {
			return err
		}
		page.Resources, _, err = s.groupsOfRows(ctx, t, tenant, rows, !q.ExcludeMembers)
		return err
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func (s *Store) exactGroups(ctx context.Context, t *tx, ls listSQL, start, count int) (int, []groupRow, error) {
	var total int
	if err := t.queryRow(ctx, ls.count, ls.args...).Scan(&total); err != nil {
		return 0, nil, err
	}
	if count == 0 || start > total {
		return total, nil, nil
	}
	var rows []groupRow
	_, err := queryPage(ctx, t, ls, start, count, func(rs *sql.Rows) error {
		var r groupRow
		if err := rs.Scan(r.dest()...); err != nil {
			return err
		}
		rows = append(rows, r)
		return nil
	})
	return total, rows, err
}

// scanGroups is scanUsers for groups: members are read for a candidate
// only when the filter looks at them.
func (s *Store) scanGroups(ctx context.Context, t *tx, ls listSQL, f filter.Expr, start, count int) (int, []groupRow, error) {
	var rows []groupRow
	total := 0
	err := s.eachGroup(ctx, t, ls, f, filter.Touches(f, "members"), func(r groupRow, _ *scim.Group) {
		total++
		if total >= start && len(rows) < count {
			rows = append(rows, r)
		}
	})
	return total, rows, err
}

// eachGroup streams the candidates of ls.scan and calls fn with each that
// matches f, and the group (with members when needMembers is set, which
// says ls.scan reads them).
func (s *Store) eachGroup(ctx context.Context, t *tx, ls listSQL, f filter.Expr, needMembers bool, fn func(groupRow, *scim.Group)) error {
	rs, err := t.query(ctx, ls.scan, ls.args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var r groupRow
		var raw []byte
		dest := r.dest()
		if needMembers {
			dest = append(dest, &raw)
		}
		if err := rs.Scan(dest...); err != nil {
			return err
		}
		var members []scim.Member
		if needMembers {
			if members, err = decodeMembers(raw); err != nil {
				return err
			}
		}
		if g := r.group(members); scim.MatchGroup(f, g) {
			fn(r, g)
		}
	}
	return rs.Err()
}

// membersFor reads the members of the groups of a page in one query.
func (s *Store) membersFor(ctx context.Context, t *tx, tenant string, rows []groupRow) (map[string][]scim.Member, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i := range rows {
		ids[i] = rows[i].id
	}
	rs, err := t.query(ctx, `SELECT group_id, user_id, display, type FROM scim_group_members
		WHERE tenant = ? AND `+s.d.inList("group_id")+` ORDER BY group_id, user_id`, tenant, jsonList(ids))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make(map[string][]scim.Member)
	for rs.Next() {
		var gid string
		var m scim.Member
		if err := rs.Scan(&gid, &m.Value, &m.Display, &m.Type); err != nil {
			return nil, err
		}
		out[gid] = append(out[gid], m)
	}
	return out, rs.Err()
}
