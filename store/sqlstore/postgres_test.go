package sqlstore

import (
	"context"
	"errors"
	"net/url"
	"testing"
)

// sqlStateError is an error with a SQLSTATE, as PostgreSQL drivers
// report them.
type sqlStateError string

func (e sqlStateError) Error() string    { return "SQLSTATE " + string(e) }
func (e sqlStateError) SQLState() string { return string(e) }

// TestPostgresRetries checks that a write hit by a serialization failure
// or a deadlock runs again, and that other errors are not retried.
func TestPostgresRetries(t *testing.T) {
	t.Parallel()
	s := newPostgres(t)
	for _, tt := range []struct {
		fail     error
		attempts int
		ok       bool
	}{
		{sqlStateError("40001"), 3, true},
		{sqlStateError("40P01"), 3, true},
		{sqlStateError("23505"), 1, false},
		{errors.New("plain"), 1, false},
	} {
		n := 0
		err := s.write(t.Context(), func(ctx context.Context, tx *tx) error {
			n++
			if _, err := tx.exec(ctx, "INSERT INTO scim_meta (key, value) VALUES (?, ?)", "attempt", "x"); err != nil {
				return err
			}
			if n < 3 {
				return tt.fail
			}
			return nil
		})
		if (err == nil) != tt.ok || n != tt.attempts {
			t.Errorf("failing with %v: %d attempts, error %v; want %d attempts, success %v", tt.fail, n, err, tt.attempts, tt.ok)
		}
		// Each failed attempt rolled back its insert.
		var rows int
		if err := s.db.QueryRow("SELECT count(*) FROM scim_meta WHERE key = 'attempt'").Scan(&rows); err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{true: 1, false: 0}[tt.ok]; rows != want {
			t.Errorf("failing with %v: %d rows, want %d", tt.fail, rows, want)
		}
		if _, err := s.db.Exec("DELETE FROM scim_meta WHERE key = 'attempt'"); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPostgresSynchronousCommit opens a store on sessions that default to
// synchronous_commit=off: its writes turn it back on, so that a write is
// durable when acknowledged.
func TestPostgresSynchronousCommit(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(pgSchemaDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	s, err := Open(t.Context(), pgDB(t, u.String()), Postgres)
	if err != nil {
		t.Fatal(err)
	}
	var inWrite string
	if err := s.write(t.Context(), func(ctx context.Context, tx *tx) error {
		return tx.queryRow(ctx, "SHOW synchronous_commit").Scan(&inWrite)
	}); err != nil {
		t.Fatal(err)
	}
	if inWrite != "on" {
		t.Errorf("synchronous_commit inside a write: %q, want on", inWrite)
	}
}

func TestRebind(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		d        Dialect
		in, want string
	}{
		{Postgres, "SELECT 1", "SELECT 1"},
		{Postgres, "a = ? AND b IN (SELECT jsonb_array_elements_text(CAST(? AS jsonb))) LIMIT ? OFFSET ?",
			"a = $1 AND b IN (SELECT jsonb_array_elements_text(CAST($2 AS jsonb))) LIMIT $3 OFFSET $4"},
		{SQLite, "a = ? AND b = ?", "a = ? AND b = ?"},
	} {
		for range 2 { // once computed, once from the cache
			if got := tt.d.rebind(tt.in); got != tt.want {
				t.Errorf("%v.rebind(%q) = %q, want %q", tt.d, tt.in, got, tt.want)
			}
		}
	}
}
