package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/scimkit/scim"
)

// TestUnavailable: a write the storage refuses (a database turned
// read-only, a full one) fails with scim.ErrUnavailable around the
// database's own error, which the server answers 503; other failures keep
// their own errors. The databases refuse for real: SQLite's writer
// connection switched to query_only, or opened with a max_page_count it
// has reached; PostgreSQL's session switched to
// default_transaction_read_only, refusing as a standby does after a
// failover.
// TestAdversarialSQLiteReadOnly (a read-only file system) and
// TestAdversarialSQLiteFull check the answers over HTTP.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	big := strings.Repeat("x", 60<<10)
	tests := []struct {
		name string
		// open seeds a database, then opens a store on it that refuses
		// writes; want is the database's code (SQLite's primary result
		// code, or PostgreSQL's SQLSTATE).
		open func(t *testing.T) *Store
		want string
	}{
		{"sqlite query_only", func(t *testing.T) *Store {
			s := newSQLite(t)
			seedUser(t, s)
			// The writer's own connection, which every write goes through.
			if _, err := s.w.conn.ExecContext(ctx, "PRAGMA query_only = 1"); err != nil {
				t.Fatal(err)
			}
			return s
		}, "8"},
		{"sqlite full", func(t *testing.T) *Store { return fullSQLite(t) }, "13"},
		{"postgres read-only", func(t *testing.T) *Store {
			db := pgDB(t, pgSchemaDSN(t))
			db.SetMaxOpenConns(1) // the session set read-only is the store's
			s, err := Open(ctx, db, Postgres)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			seedUser(t, s)
			if _, err := db.ExecContext(ctx, "SET default_transaction_read_only = on"); err != nil {
				t.Fatal(err)
			}
			return s
		}, "25006"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.open(t)
			u := &scim.User{UserName: "new", DisplayName: big, Title: big, NickName: big}
			_, err := s.CreateUser(ctx, "t", u)
			if !errors.Is(err, scim.ErrUnavailable) {
				t.Fatalf("CreateUser: %v, want scim.ErrUnavailable", err)
			}
			if got := dbCode(s.d, err); got != tc.want {
				t.Errorf("code %q, want %q (%v)", got, tc.want, err)
			}
			// Reads still work, and saw nothing of the write.
			page, err := s.ListUsers(ctx, "t", scim.Query{Count: 10})
			if err != nil || len(page.Resources) != 1 || page.Resources[0].UserName != "seeded" {
				t.Fatalf("ListUsers: %v, want the one seeded user", err)
			}
		})
	}
	// A write's own fault is not the storage's.
	for name, open := range map[string]func(testing.TB) *Store{"sqlite": newSQLite, "postgres": newPostgres} {
		t.Run("conflict/"+name, func(t *testing.T) {
			s := open(t)
			for i := range 2 {
				_, err := s.CreateUser(ctx, "t", &scim.User{UserName: "same"})
				if i == 1 && (!errors.Is(err, scim.ErrConflict) || errors.Is(err, scim.ErrUnavailable)) {
					t.Errorf("second create: %v, want scim.ErrConflict only", err)
				}
			}
		})
	}
}

// fullSQLite seeds a SQLite database and opens a store on it whose
// max_page_count is the database's page count.
func fullSQLite(t *testing.T) *Store {
	t.Helper()
	path := sqlitePath(t)
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	seedUser(t, s)
	var pages int
	if err := s.db.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", SQLiteDSN(path)+fmt.Sprintf("&_pragma=max_page_count(%d)", pages))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if s, err = Open(context.Background(), db, SQLite); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func seedUser(t *testing.T, s *Store) {
	t.Helper()
	if _, err := s.CreateUser(context.Background(), "t", &scim.User{UserName: "seeded"}); err != nil {
		t.Fatal(err)
	}
}

// dbCode is the primary SQLite result code or the SQLSTATE in err.
func dbCode(d Dialect, err error) string {
	if c, ok := d.sqliteCode(err); ok {
		return fmt.Sprint(c & 0xff)
	}
	return d.sqlState(err)
}
