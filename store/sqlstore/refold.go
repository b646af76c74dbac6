package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
)

// foldKey names the scim_meta row holding the Unicode version of the
// folded columns.
const foldKey = "unicode_version"

// refold recomputes the folded columns when the Unicode tables of this
// build differ from those they were computed with (scim.FoldUserName
// depends on them), and records the version. It runs inside a migration
// step, so instances starting at once take turns and a crash leaves the
// old keys and version, to be redone on the next start. Folding ASCII
// never changes, so only rows with other characters are read again.
//
// Two userNames that newly fold alike violate the uniqueness constraint:
// then the store does not open, and the error names the tenant.
func refold(ctx context.Context, t *tx) error {
	var have string
	err := t.queryRow(ctx, "SELECT value FROM scim_meta WHERE key = ?", foldKey).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if have == unicode.Version {
		return nil
	}
	if err := refoldUsers(ctx, t); err != nil {
		return err
	}
	if err := refoldGroups(ctx, t); err != nil {
		return err
	}
	if _, err := t.exec(ctx, "DELETE FROM scim_meta WHERE key = ?", foldKey); err != nil {
		return err
	}
	_, err = t.exec(ctx, "INSERT INTO scim_meta (key, value) VALUES (?, ?)", foldKey, unicode.Version)
	return err
}

func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

const refoldChunk = 1000

// refoldUsers walks the users in chunks (keyset on the (tenant, seq)
// index, so no statement stays open while others run) and rewrites the keys of those whose
// folding may have changed.
func refoldUsers(ctx context.Context, t *tx) error {
	type row struct {
		seq              int64
		tenant, id, name string
		nameFold, dnFold string
		doc              []byte
	}
	afterTenant, after := "", int64(-1)
	for {
		rs, err := t.query(ctx, `SELECT seq, tenant, id, user_name, user_name_fold, display_name_fold, doc
			FROM scim_users WHERE (tenant, seq) > (?, ?) ORDER BY tenant, seq LIMIT ?`, afterTenant, after, refoldChunk)
		if err != nil {
			return err
		}
		var rows []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.seq, &r.tenant, &r.id, &r.name, &r.nameFold, &r.dnFold, &r.doc); err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		afterTenant, after = rows[len(rows)-1].tenant, rows[len(rows)-1].seq
		for _, r := range rows {
			if ascii(r.doc) && ascii([]byte(r.name)) {
				continue
			}
			ur := userRow{id: r.id, doc: r.doc}
			u, err := ur.user(nil)
			if err != nil {
				return fmt.Errorf("user %s of tenant %q: %w", r.id, r.tenant, err)
			}
			if _, err := t.exec(ctx, "UPDATE scim_users SET user_name_fold = ?, display_name_fold = ? WHERE tenant = ? AND id = ?",
				scim.FoldUserName(u.UserName), filter.Fold(u.DisplayName), r.tenant, r.id); err != nil {
				if t.d.isUnique(err) {
					return fmt.Errorf("userName %q of tenant %q now equals another's under case folding: %w", u.UserName, r.tenant, err)
				}
				return err
			}
			if _, err := t.exec(ctx, "DELETE FROM scim_user_emails WHERE tenant = ? AND user_id = ?", r.tenant, r.id); err != nil {
				return err
			}
			if err := insertEmails(ctx, t, r.tenant, r.id, u.Emails); err != nil {
				return err
			}
		}
	}
}

func refoldGroups(ctx context.Context, t *tx) error {
	type row struct {
		seq        int64
		tenant, id string
		name, fold string
	}
	afterTenant, after := "", int64(-1)
	for {
		rs, err := t.query(ctx, `SELECT seq, tenant, id, display_name, display_name_fold
			FROM scim_groups WHERE (tenant, seq) > (?, ?) ORDER BY tenant, seq LIMIT ?`, afterTenant, after, refoldChunk)
		if err != nil {
			return err
		}
		var rows []row
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.seq, &r.tenant, &r.id, &r.name, &r.fold); err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, r)
		}
		rs.Close()
		if err := rs.Err(); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		afterTenant, after = rows[len(rows)-1].tenant, rows[len(rows)-1].seq
		for _, r := range rows {
			if f := filter.Fold(r.name); f != r.fold {
				if _, err := t.exec(ctx, "UPDATE scim_groups SET display_name_fold = ? WHERE tenant = ? AND id = ?", f, r.tenant, r.id); err != nil {
					return err
				}
			}
		}
	}
}
