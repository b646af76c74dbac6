package sqlstore

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// SQLite rewrites an index entry for every column an UPDATE's SET names,
// whether its value changes or not, and ReplaceUser used to name all of
// the user's indexed columns and rewrite all its email rows. Entra's and
// Okta's updates mostly change one attribute that no index holds (active,
// title, manager), so on the one writer, where every statement is on
// every write's path, sqliteReplaceUser reads first what the indexes
// hold and writes only what differs.

// sqliteReplaceUser is ReplaceUser on SQLite when no events are recorded,
// inside the writer's transaction: one statement reads the row's indexed
// columns, its email rows and its groups; the UPDATE then sets only the
// indexed columns whose values change, and the email rows are rewritten
// only when they differ. doc is encodeUser's encoding of u.
func (s *Store) sqliteReplaceUser(ctx context.Context, t *tx, tenant string, u *scim.User, doc []byte, ifVersion string) (*scim.User, error) {
	var (
		nameFold, externalID, displayFold, emails string
		version                                   int64
		groups                                    []byte
	)
	err := t.queryRow(ctx, `SELECT u.user_name_fold, u.external_id, u.display_name_fold, u.version,
		(SELECT coalesce(group_concat(hex(e.value_fold) || '.' || hex(e.type_fold), ',' ORDER BY e.idx), '')
			FROM scim_user_emails e WHERE e.tenant = u.tenant AND e.user_id = u.id),
		`+s.d.groupsOf("u")+`
		FROM scim_users u WHERE u.tenant = ? AND u.id = ?`, tenant, u.ID).
		Scan(&nameFold, &externalID, &displayFold, &version, &emails, &groups)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, scim.ErrNotFound
	case err != nil:
		return nil, err
	case ifVersion != "" && parseVersion(ifVersion) != version:
		return nil, scim.ErrVersionMismatch
	}
	var active any
	if u.Active != nil {
		active = s.d.boolArg(*u.Active)
	}
	var q strings.Builder
	q.WriteString("UPDATE scim_users SET user_name = ?, active = ?, doc = ?, version = version + 1, modified_ns = " + s.d.greatest("modified_ns + 1", "?"))
	args := []any{u.UserName, active, string(doc), time.Now().UnixNano()}
	for _, c := range [...]struct{ col, old, new string }{
		{"user_name_fold", nameFold, scim.FoldUserName(u.UserName)},
		{"external_id", externalID, u.ExternalID},
		{"display_name_fold", displayFold, filter.Fold(u.DisplayName)},
	} {
		if c.new != c.old {
			q.WriteString(", " + c.col + " = ?")
			args = append(args, c.new)
		}
	}
	q.WriteString(" WHERE tenant = ? AND id = ? RETURNING created_ns, modified_ns, version")
	args = append(args, tenant, u.ID)
	row := userRow{id: u.ID, doc: doc}
	err = t.queryRow(ctx, q.String(), args...).Scan(&row.created, &row.modified, &row.version)
	switch {
	case s.d.isUnique(err):
		return nil, scim.ErrConflict
	case err != nil:
		return nil, err
	}
	if emailKey(u.Emails) != emails {
		if err := replaceEmails(ctx, t, tenant, u.ID, u.Emails); err != nil {
			return nil, err
		}
	}
	if err := replaceKeys(ctx, t, "scim_user_keys", "user_id", tenant, u.ID, s.indexed().user, u.Extensions); err != nil {
		return nil, err
	}
	refs, err := decodeGroupRefs(groups)
	if err != nil {
		return nil, err
	}
	return row.written(u, refs)
}

// emailKey is what sqliteReplaceUser's read gives for a user's email
// rows, as insertEmails writes them: each row's folded value and type in
// upper-case hex, joined by "." within a row and "," between rows in
// order.
func emailKey(emails []scim.MultiValue) string {
	var b strings.Builder
	for i, e := range emails {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte(filter.Fold(e.Value)))))
		b.WriteByte('.')
		b.WriteString(strings.ToUpper(hex.EncodeToString([]byte(filter.Fold(e.Type)))))
	}
	return b.String()
}
