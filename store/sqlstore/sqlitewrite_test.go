package sqlstore

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// TestSQLiteReplaceUserIndexes ties sqliteReplaceUser, which writes only
// the indexed columns and email rows that change, to what a full
// rewrite leaves: after each replace the row's indexed columns and email
// rows are exactly those the user's values give, the filters find the
// user by its new values and not by its old ones, and a replace that
// leaves the email rows alone did not rewrite them.
func TestSQLiteReplaceUserIndexes(t *testing.T) {
	t.Parallel()
	s := newSQLite(t)
	ctx := context.Background()
	base := func() *scim.User {
		return &scim.User{UserName: "Ada@Contoso.com", ExternalID: "ext-1", DisplayName: "Ada Lovelace", Active: ptr(true),
			Emails: []scim.MultiValue{{Value: "Ada@Contoso.com", Type: "work", Primary: true}, {Value: "ada@home.example", Type: "home"}}}
	}
	created, err := s.CreateUser(ctx, "t", base())
	if err != nil {
		t.Fatal(err)
	}
	id := created.ID
	countEmailDeletes(t, s)
	steps := []struct {
		name          string
		edit          func(u *scim.User)
		emailsWritten bool
	}{
		{"active only", func(u *scim.User) { u.Active = ptr(false) }, false},
		{"title only", func(u *scim.User) { u.Title = "Countess" }, false},
		{"userName case only", func(u *scim.User) { u.UserName = "ADA@contoso.com" }, false},
		{"userName", func(u *scim.User) { u.UserName = "augusta@contoso.com" }, false},
		{"externalId", func(u *scim.User) { u.ExternalID = "ext-2" }, false},
		{"displayName", func(u *scim.User) { u.DisplayName = "Augusta King" }, false},
		{"email primary flag only", func(u *scim.User) { u.Emails[0].Primary = false }, false},
		{"email value", func(u *scim.User) { u.Emails[1].Value = "augusta@home.example" }, true},
		{"email type", func(u *scim.User) { u.Emails[1].Type = "other" }, true},
		{"email order", func(u *scim.User) { u.Emails[0], u.Emails[1] = u.Emails[1], u.Emails[0] }, true},
		{"one email fewer", func(u *scim.User) { u.Emails = u.Emails[:1] }, true},
		{"no emails", func(u *scim.User) { u.Emails = nil }, true},
		{"an empty email", func(u *scim.User) { u.Emails = []scim.MultiValue{{}} }, true},
		{"unicode and separators", func(u *scim.User) {
			u.Emails = []scim.MultiValue{{Value: "Zoë.Ünal@例え.jp", Type: "a.b,c"}, {Value: ",.", Type: ""}}
		}, true},
		{"all at once", func(u *scim.User) {
			u.UserName, u.ExternalID, u.DisplayName, u.Active = "countess@contoso.com", "", "", nil
			u.Emails = []scim.MultiValue{{Value: "countess@contoso.com", Type: "work"}}
		}, true},
		{"nothing", func(u *scim.User) {}, false},
	}
	cur := base()
	version := created.Meta.Version
	for _, st := range steps {
		old := *cur
		old.Emails = append([]scim.MultiValue(nil), cur.Emails...)
		st.edit(cur)
		u := *cur
		u.ID = id
		u.Emails = append([]scim.MultiValue(nil), cur.Emails...)
		before := emailDeletes(t, s)
		out, err := s.ReplaceUser(ctx, "t", &u, version)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if out.Meta.Version == version {
			t.Fatalf("%s: version %s unchanged", st.name, version)
		}
		version = out.Meta.Version
		// The row's indexed columns and email rows are those of the user.
		var name, nameFold, ext, display string
		if err := s.db.QueryRowContext(ctx, "SELECT user_name, user_name_fold, external_id, display_name_fold FROM scim_users WHERE tenant = 't' AND id = ?", id).
			Scan(&name, &nameFold, &ext, &display); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{cur.UserName, scim.FoldUserName(cur.UserName), cur.ExternalID, filter.Fold(cur.DisplayName)},
			[]string{name, nameFold, ext, display}); diff != "" {
			t.Errorf("%s: indexed columns (-want +got):\n%s", st.name, diff)
		}
		var want [][2]string
		for _, e := range cur.Emails {
			want = append(want, [2]string{filter.Fold(e.Value), filter.Fold(e.Type)})
		}
		if diff := cmp.Diff(want, storedEmailRows(t, s, id)); diff != "" {
			t.Errorf("%s: email rows (-want +got):\n%s", st.name, diff)
		}
		if written := emailDeletes(t, s) != before; written != st.emailsWritten && len(old.Emails) > 0 {
			t.Errorf("%s: email rows rewritten = %v, want %v", st.name, written, st.emailsWritten)
		}
		// The filters find the user by its new values only.
		find := func(f string) int {
			p, err := s.ListUsers(ctx, "t", scim.Query{Filter: mustFilter(t, schema.User(), f), StartIndex: 1, Count: 10})
			if err != nil {
				t.Fatalf("%s: %s: %v", st.name, f, err)
			}
			return p.TotalResults
		}
		checks := []struct {
			attr, old, new string
		}{
			{"userName", old.UserName, cur.UserName},
			{"externalId", old.ExternalID, cur.ExternalID},
			{"displayName", old.DisplayName, cur.DisplayName},
		}
		for _, e := range old.Emails {
			checks = append(checks, struct{ attr, old, new string }{"emails.value", e.Value, ""})
		}
		for _, e := range cur.Emails {
			checks = append(checks, struct{ attr, old, new string }{"emails.value", "", e.Value})
		}
		for _, c := range checks {
			if c.new != "" {
				if n := find(fmt.Sprintf("%s eq %q", c.attr, c.new)); n != 1 {
					t.Errorf("%s: %s eq %q found %d users, want 1", st.name, c.attr, c.new, n)
				}
			}
			if c.old != "" && filter.Fold(c.old) != filter.Fold(c.new) && !hasEmail(cur.Emails, c.attr, c.old) {
				if n := find(fmt.Sprintf("%s eq %q", c.attr, c.old)); n != 0 {
					t.Errorf("%s: %s eq %q (the old value) found %d users, want 0", st.name, c.attr, c.old, n)
				}
			}
		}
	}
	// A stale version and a missing user are refused, and change nothing.
	u := *cur
	u.ID, u.Title = id, "stale"
	if _, err := s.ReplaceUser(ctx, "t", &u, "1"); err != scim.ErrVersionMismatch {
		t.Errorf("stale version: %v, want ErrVersionMismatch", err)
	}
	u.ID = "no-such-id"
	if _, err := s.ReplaceUser(ctx, "t", &u, ""); err != scim.ErrNotFound {
		t.Errorf("missing user: %v, want ErrNotFound", err)
	}
	got, err := s.GetUser(ctx, "t", id)
	if err != nil || got.Meta.Version != version || got.Title == "stale" {
		t.Errorf("after refused replaces: %+v, %v; want version %s unchanged", got, err, version)
	}
}

func hasEmail(emails []scim.MultiValue, attr, v string) bool {
	if attr != "emails.value" {
		return false
	}
	for _, e := range emails {
		if filter.Fold(e.Value) == filter.Fold(v) {
			return true
		}
	}
	return false
}

// storedEmailRows returns a user's email rows, folded value and type, in order.
func storedEmailRows(t *testing.T, s *Store, id string) [][2]string {
	t.Helper()
	rows, err := s.db.Query("SELECT value_fold, type_fold FROM scim_user_emails WHERE tenant = 't' AND user_id = ? ORDER BY idx", id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var r [2]string
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// emailDeletes returns how many email rows have been deleted since
// countEmailDeletes, which a rewrite of a user's rows does.
func emailDeletes(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow("SELECT n FROM test_email_deletes").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// countEmailDeletes makes the database count deleted email rows.
func countEmailDeletes(t *testing.T, s *Store) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE test_email_deletes (n INTEGER NOT NULL)",
		"INSERT INTO test_email_deletes VALUES (0)",
		"CREATE TRIGGER test_email_deletes AFTER DELETE ON scim_user_emails BEGIN UPDATE test_email_deletes SET n = n + 1; END",
	} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}
