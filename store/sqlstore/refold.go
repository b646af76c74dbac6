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
	"golang.org/x/text/unicode/norm"
)

// foldKey names the scim_meta row holding the version of the folded
// columns (see foldVersion).
const foldKey = "unicode_version"

// foldVersion is what the folded columns depend on: the Unicode tables
// of this build (those of Go and of golang.org/x/text, which normalises)
// and the userName profile of scim.FoldUserName.
var foldVersion = unicode.Version + "; " + norm.Version + "; " + scim.UserNameProfile

// refold recomputes the folded columns when foldVersion differs from the
// one they were computed with, and records it. It runs inside a migration
// step, so instances starting at once take turns and a crash leaves the
// old keys and version, to be redone on the next start. Folding ASCII
// never changes, so only rows with other characters are read again.
//
// Two users of one tenant whose userNames newly name one person stop the
// store from opening with a *UserNameCollisionError naming both.
func refold(ctx context.Context, t *tx) error {
	var have string
	err := t.queryRow(ctx, "SELECT value FROM scim_meta WHERE key = ?", foldKey).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if have == foldVersion {
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
	_, err = t.exec(ctx, "INSERT INTO scim_meta (key, value) VALUES (?, ?)", foldKey, foldVersion)
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
			if err := setUserNameKey(ctx, t, r.tenant, r.id, scim.FoldUserName(u.UserName), 0); err != nil {
				return err
			}
			if _, err := t.exec(ctx, "UPDATE scim_users SET display_name_fold = ? WHERE tenant = ? AND id = ?",
				filter.Fold(u.DisplayName), r.tenant, r.id); err != nil {
				return err
			}
			if err := replaceEmails(ctx, t, r.tenant, r.id, u.Emails); err != nil {
				return err
			}
		}
	}
}

// UserNameCollisionError is the error Open returns when recomputing the
// userName keys (after an upgrade of the Unicode tables or of the
// userName profile, see scim.UserNameProfile) finds two users of one
// tenant whose userNames now name one person. Nothing is changed: rename
// or delete one of the two users (with the release that wrote them, or
// in the scim_users table) and open the store again.
type UserNameCollisionError struct {
	Tenant string
	IDs    [2]string // the two users' ids
}

// Error names the tenant, both users and what to do.
func (e *UserNameCollisionError) Error() string {
	return fmt.Sprintf("sqlstore: users %s and %s of tenant %q have userNames that name one person under %s; "+
		"rename or delete one of them and open the store again", e.IDs[0], e.IDs[1], e.Tenant, scim.UserNameProfile)
}

// setUserNameKey sets the userName key of user id to key. A user that
// holds key as a stale key is first given its own new key; one whose new
// key is key too collides.
func setUserNameKey(ctx context.Context, t *tx, tenant, id, key string, depth int) error {
	var other, otherName string
	err := t.queryRow(ctx, "SELECT id, user_name FROM scim_users WHERE tenant = ? AND user_name_fold = ? AND id <> ?",
		tenant, key, id).Scan(&other, &otherName)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	default:
		otherKey := scim.FoldUserName(otherName)
		if otherKey == key || depth >= 16 {
			return &UserNameCollisionError{Tenant: tenant, IDs: [2]string{other, id}}
		}
		if err := setUserNameKey(ctx, t, tenant, other, otherKey, depth+1); err != nil {
			return err
		}
	}
	_, err = t.exec(ctx, "UPDATE scim_users SET user_name_fold = ? WHERE tenant = ? AND id = ?", key, tenant, id)
	return err
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
