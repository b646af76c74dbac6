package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// groupStore is the scim.GroupStore half of store: SCIM groups are
// Juno's teams.
type groupStore struct{ db *sql.DB }

type team struct {
	seq   int64
	group *scim.Group
}

const teamColumns = `t.seq, t.id, t.name, t.directory_id, t.scim_extra, t.created_at, t.updated_at, t.version`

func (s *groupStore) loadTeams(ctx context.Context, members bool, where string, args ...any) (out []team, err error) {
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		out, err = loadTeamsTx(ctx, tx, members, where, args...)
		return err
	})
	return out, err
}

func loadTeamsTx(ctx context.Context, db *sql.Tx, members bool, where string, args ...any) ([]team, error) {
	rows, err := db.QueryContext(ctx, `SELECT `+teamColumns+` FROM teams t WHERE `+where+` ORDER BY t.seq`, args...)
	if err != nil {
		return nil, err
	}
	var out []team
	byID := map[string]*scim.Group{}
	for rows.Next() {
		var (
			t                         team
			g                         scim.Group
			extra                     string
			created, updated, version int64
		)
		if err := rows.Scan(&t.seq, &g.ID, &g.DisplayName, &g.ExternalID, &extra, &created, &updated, &version); err != nil {
			rows.Close()
			return nil, err
		}
		if extra != "" {
			var x struct {
				Extensions json.RawMessage `json:"extensions"`
			}
			if err := json.Unmarshal([]byte(extra), &x); err != nil {
				rows.Close()
				return nil, fmt.Errorf("juno: team %s: scim_extra: %w", g.ID, err)
			}
			if len(x.Extensions) > 0 {
				// Group.UnmarshalJSON reads extensions under their URN keys,
				// numbers as json.Number.
				var eg scim.Group
				if err := json.Unmarshal(x.Extensions, &eg); err != nil {
					rows.Close()
					return nil, err
				}
				g.Extensions = eg.Extensions
			}
		}
		g.Meta = scim.Meta{Created: fromNanos(created), LastModified: fromNanos(updated), Version: strconv.FormatInt(version, 10)}
		t.group = &g
		out = append(out, t)
		byID[g.ID] = &g
	}
	if err := rows.Close(); err != nil || len(out) == 0 || !members {
		return out, err
	}
	rows, err = db.QueryContext(ctx, `SELECT m.team_id, m.account_id, m.scim_display, m.scim_type FROM team_members m
		JOIN teams t ON t.id = m.team_id WHERE `+where+` ORDER BY m.team_id, m.pos`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var m scim.Member
		if err := rows.Scan(&id, &m.Value, &m.Display, &m.Type); err != nil {
			return nil, err
		}
		byID[id].Members = append(byID[id].Members, m)
	}
	for _, t := range out {
		if t.group.Members == nil {
			t.group.Members = []scim.Member{}
		}
	}
	return out, rows.Err()
}

// extraOf is the scim_extra of a group: its extensions, under their URN
// keys as in the SCIM document.
func extraOf(g *scim.Group) (string, error) {
	if len(g.Extensions) == 0 {
		return "", nil
	}
	b, err := json.Marshal(scim.Group{Extensions: g.Extensions})
	if err != nil {
		return "", err
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", err
	}
	delete(doc, "displayName")
	delete(doc, "meta")
	b, err = json.Marshal(map[string]any{"extensions": doc})
	return string(b), err
}

func (s *groupStore) CreateGroup(ctx context.Context, tenant string, g *scim.Group) (*scim.Group, error) {
	extra, err := extraOf(g)
	if err != nil {
		return nil, err
	}
	id, at := newID(), now()
	err = inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := ensureCustomer(ctx, tx, tenant, at); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO teams (id, customer_id, name, name_key, directory_id, scim_extra, created_at, updated_at, version)
			VALUES (?,?,?,?,?,?,?,?,1)`, id, tenant, g.DisplayName, filter.Fold(g.DisplayName), g.ExternalID, extra, nanos(at), nanos(at)); err != nil {
			return err
		}
		_, _, err := addMembers(ctx, tx, tenant, id, g.Members, at.UnixNano())
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetGroup(ctx, tenant, id, scim.GetOptions{})
}

// addMembers adds (or updates the display and type of) members of team
// id, checking that each is an account of tenant. It returns the account
// ids that were not members before.
func addMembers(ctx context.Context, tx *sql.Tx, tenant, id string, ms []scim.Member, at int64) (added []string, updated bool, err error) {
	var pos int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(pos), 0) FROM team_members WHERE team_id = ?`, id).Scan(&pos); err != nil {
		return nil, false, err
	}
	for _, m := range ms {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE customer_id = ? AND id = ?`, tenant, m.Value).Scan(&n); err != nil {
			return nil, false, err
		}
		if n == 0 {
			return nil, false, scim.ErrInvalidMember
		}
		res, err := tx.ExecContext(ctx, `UPDATE team_members SET scim_display = ?, scim_type = ? WHERE team_id = ? AND account_id = ?`,
			m.Display, m.Type, id, m.Value)
		if err != nil {
			return nil, false, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			updated = true
			continue
		}
		pos++
		if _, err := tx.ExecContext(ctx, `INSERT INTO team_members (team_id, account_id, added_at, scim_display, scim_type, pos)
			VALUES (?,?,?,?,?,?)`, id, m.Value, at, m.Display, m.Type, pos); err != nil {
			return nil, false, err
		}
		added = append(added, m.Value)
	}
	return added, updated, nil
}

// removeMembers removes the accounts ids from team id, returning those
// that were members.
func removeMembers(ctx context.Context, tx *sql.Tx, id string, ids []string) ([]string, error) {
	var removed []string
	for _, a := range ids {
		res, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = ? AND account_id = ?`, id, a)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			removed = append(removed, a)
		}
	}
	return removed, nil
}

// members returns the team's members.
func members(ctx context.Context, tx *sql.Tx, id string) ([]scim.Member, error) {
	rows, err := tx.QueryContext(ctx, `SELECT account_id, scim_display, scim_type FROM team_members WHERE team_id = ? ORDER BY pos`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []scim.Member
	for rows.Next() {
		var m scim.Member
		if err := rows.Scan(&m.Value, &m.Display, &m.Type); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *groupStore) GetGroup(ctx context.Context, tenant, id string, opts scim.GetOptions) (*scim.Group, error) {
	ts, err := s.loadTeams(ctx, !opts.ExcludeMembers, "t.customer_id = ? AND t.id = ?", tenant, id)
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, scim.ErrNotFound
	}
	return ts[0].group, nil
}

func (s *groupStore) ReplaceGroup(ctx context.Context, tenant string, g *scim.Group, ifVersion string) (*scim.Group, error) {
	_, err := s.patch(ctx, tenant, g.ID, scim.GroupPatch{
		Attributes: g,
		MemberOps:  []scim.MemberOp{{Kind: scim.ReplaceMembers, Members: g.Members}},
	}, ifVersion)
	if err != nil {
		return nil, err
	}
	return s.GetGroup(ctx, tenant, g.ID, scim.GetOptions{})
}

func (s *groupStore) PatchGroup(ctx context.Context, tenant, id string, p scim.GroupPatch, ifVersion string) (*scim.Group, error) {
	if _, err := s.patch(ctx, tenant, id, p, ifVersion); err != nil {
		return nil, err
	}
	return s.GetGroup(ctx, tenant, id, scim.GetOptions{ExcludeMembers: true})
}

// patch applies p in one transaction, as member deltas.
func (s *groupStore) patch(ctx context.Context, tenant, id string, p scim.GroupPatch, ifVersion string) (bool, error) {
	at := now().UnixNano()
	err := inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "teams", tenant, id, ifVersion); err != nil {
			return err
		}
		if g := p.Attributes; g != nil {
			extra, err := extraOf(g)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE teams SET name = ?, name_key = ?, directory_id = ?, scim_extra = ? WHERE id = ?`,
				g.DisplayName, filter.Fold(g.DisplayName), g.ExternalID, extra, id); err != nil {
				return err
			}
		}
		for _, op := range p.MemberOps {
			if err := applyMemberOp(ctx, tx, tenant, id, op, at); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE teams SET version = version + 1, updated_at = ? WHERE id = ?`, at, id)
		return err
	})
	return err == nil, err
}

func applyMemberOp(ctx context.Context, tx *sql.Tx, tenant, id string, op scim.MemberOp, at int64) error {
	switch op.Kind {
	case scim.AddMembers:
		_, _, err := addMembers(ctx, tx, tenant, id, op.Members, at)
		return err
	case scim.RemoveMembers:
		ids := make([]string, len(op.Members))
		for i, m := range op.Members {
			ids[i] = m.Value
		}
		_, err := removeMembers(ctx, tx, id, ids)
		return err
	case scim.RemoveMatchingMembers:
		ms, err := members(ctx, tx, id)
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range ms {
			if scim.MatchMember(op.Filter, m) {
				ids = append(ids, m.Value)
			}
		}
		_, err = removeMembers(ctx, tx, id, ids)
		return err
	case scim.ReplaceMembers, scim.RemoveAllMembers:
		keep := map[string]bool{}
		for _, m := range op.Members {
			keep[m.Value] = true
		}
		ms, err := members(ctx, tx, id)
		if err != nil {
			return err
		}
		var gone []string
		for _, m := range ms {
			if !keep[m.Value] {
				gone = append(gone, m.Value)
			}
		}
		if _, err := removeMembers(ctx, tx, id, gone); err != nil {
			return err
		}
		if op.Kind == scim.ReplaceMembers {
			_, _, err = addMembers(ctx, tx, tenant, id, op.Members, at)
		}
		return err
	}
	return fmt.Errorf("juno: unknown member operation %d", op.Kind)
}

func (s *groupStore) DeleteGroup(ctx context.Context, tenant, id, ifVersion string) error {
	return inTx(ctx, s.db, func(tx *sql.Tx) error {
		if err := checkVersion(ctx, tx, "teams", tenant, id, ifVersion); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE customer_id = ? AND id = ?`, tenant, id)
		return err
	})
}

func (s *groupStore) ListGroups(ctx context.Context, tenant string, q scim.Query) (*scim.Page[*scim.Group], error) {
	where, args := "t.customer_id = ?", []any{tenant}
	for _, c := range conjuncts(q.Filter) {
		if v, ok := eqString(c, "displayName"); ok {
			where, args = where+" AND t.name_key = ?", append(args, filter.Fold(v))
			break
		}
		if v, ok := eqString(c, "id"); ok {
			where, args = where+" AND t.id = ?", append(args, strings.ToLower(v))
			break
		}
		if v, ok := eqString(c, "externalId"); ok && caseExact(c) {
			where, args = where+" AND t.directory_id = ?", append(args, v)
			break
		}
	}
	// Members are read when they are returned or filtered on.
	ts, err := s.loadTeams(ctx, !q.ExcludeMembers || touchesMembers(q), where, args...)
	if err != nil {
		return nil, err
	}
	p, err := page(ts, q,
		func(t team) bool { return scim.MatchGroup(q.Filter, t.group) },
		func(t team) scim.SortKey { return scim.GroupSortKey(q.SortBy, t.group) },
		func(t team) (int64, *scim.Group) { return t.seq, t.group })
	if err == nil && q.ExcludeMembers {
		for _, g := range p.Resources {
			g.Members = nil
		}
	}
	return p, err
}

// touchesMembers reports whether q filters or sorts on members.
func touchesMembers(q scim.Query) bool {
	return filter.Touches(q.Filter, "members") || (q.Sorted() && q.SortBy.IsCore("members"))
}
