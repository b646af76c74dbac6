package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// On PostgreSQL a user's create or replace is one statement, its own
// transaction: data-modifying CTEs write the row, its emails and read its
// groups. That is one round trip where BEGIN, four or five statements and
// COMMIT were seven, each of which waited for the server; the commit is
// as durable (synchronous_commit is on, or the transaction path is taken).
// Writes that record events, store extension keys or run where
// synchronous_commit is off take the transaction path.

// oneStatement reports whether a user write with extensions e can be one
// statement.
func (s *Store) oneStatement(e scim.Extensions) bool {
	if s.d != Postgres || s.syncSet || s.recording() {
		return false
	}
	for _, a := range s.indexed().user {
		if _, ok := a.Value(e); ok {
			return false
		}
	}
	return true
}

// pgOne runs fn, one autocommitted statement, retried and classified
// as writeTx retries and classifies a transaction.
func (s *Store) pgOne(ctx context.Context, fn func(t *tx) error) error {
	return s.d.unavailable(s.retry(ctx, func() error { return fn(&tx{q: s.db, d: s.d}) }))
}

// emailRows is the FROM item giving the email rows of the user in the CTE
// u from two JSON arrays of folded values and types: (v, ty, i), i from 1.
const emailRows = `ROWS FROM (jsonb_array_elements_text(?::jsonb), jsonb_array_elements_text(?::jsonb)) WITH ORDINALITY AS x(v, ty, i)`

// emailArgs are emailRows' arguments for emails.
func emailArgs(emails []scim.MultiValue) []any {
	vs, ts := make([]string, len(emails)), make([]string, len(emails))
	for i, e := range emails {
		vs[i], ts[i] = filter.Fold(e.Value), filter.Fold(e.Type)
	}
	return []any{jsonList(vs), jsonList(ts)}
}

// pgCreateUser inserts the user row in one statement with its emails.
func (s *Store) pgCreateUser(ctx context.Context, tenant string, u *scim.User, row *userRow) error {
	args := append([]any{tenant, row.id}, s.userArgs(u, row.doc)...)
	args = append(args, row.created, row.modified)
	args = append(args, emailArgs(u.Emails)...)
	return s.pgOne(ctx, func(t *tx) error {
		_, err := t.exec(ctx, `WITH u AS (INSERT INTO scim_users
			(tenant, id, user_name, user_name_fold, external_id, display_name_fold, active, doc, created_ns, modified_ns, version)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING tenant, id)
			INSERT INTO scim_user_emails (tenant, user_id, idx, value_fold, type_fold)
			SELECT u.tenant, u.id, x.i - 1, x.v, x.ty FROM u, `+emailRows, args...)
		if s.d.isUnique(err) {
			return scim.ErrConflict
		}
		return err
	})
}

// pgReplaceUser updates the user row in one statement, with its emails
// (rows 0..n-1 upserted, the rest deleted: never the same row twice) and
// its key rows, and reads its groups. row gets the columns the store
// owns; groups the aggregate.
func (s *Store) pgReplaceUser(ctx context.Context, tenant string, u *scim.User, ifVersion string, row *userRow, groups *[]byte) error {
	args := append(s.userArgs(u, row.doc), time.Now().UnixNano(), tenant, u.ID)
	where := " WHERE tenant = ? AND id = ?"
	if ifVersion != "" {
		where += " AND version = ?"
		args = append(args, parseVersion(ifVersion))
	}
	args = append(args, emailArgs(u.Emails)...)
	args = append(args, len(u.Emails))
	keys := ""
	if len(s.indexed().user) > 0 {
		// The user has no key values (oneStatement), so its rows go.
		keys = `, k AS (DELETE FROM scim_user_keys uk USING u WHERE uk.tenant = u.tenant AND uk.user_id = u.id)`
	}
	return s.pgOne(ctx, func(t *tx) error {
		err := t.queryRow(ctx, `WITH u AS (UPDATE scim_users SET user_name = ?, user_name_fold = ?, external_id = ?, display_name_fold = ?,
			active = ?, doc = ?, version = version + 1, modified_ns = `+s.d.greatest("modified_ns + 1", "?")+where+`
			RETURNING tenant, id, created_ns, modified_ns, version),
			e AS (INSERT INTO scim_user_emails (tenant, user_id, idx, value_fold, type_fold)
				SELECT u.tenant, u.id, x.i - 1, x.v, x.ty FROM u, `+emailRows+`
				ON CONFLICT (tenant, user_id, idx) DO UPDATE SET value_fold = excluded.value_fold, type_fold = excluded.type_fold),
			d AS (DELETE FROM scim_user_emails m USING u WHERE m.tenant = u.tenant AND m.user_id = u.id AND m.idx >= ?)`+keys+`
			SELECT u.created_ns, u.modified_ns, u.version, `+s.d.groupsOf("u")+` FROM u`, args...).
			Scan(&row.created, &row.modified, &row.version, groups)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return missingOrStale(ctx, s.single(), "scim_users", tenant, u.ID)
		case s.d.isUnique(err):
			return scim.ErrConflict
		}
		return err
	})
}
