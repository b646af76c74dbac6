package sqlstore

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/internal/pgtest"
	"github.com/scimkit/scim/schema"
)

// dialects lists the dialects a test runs on, as subtest names.
var dialects = []Dialect{SQLite, Postgres}

// sqlitePath returns a fresh database file path for t.
func sqlitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "scim.db")
}

func newSQLite(t testing.TB) *Store {
	t.Helper()
	s, err := OpenSQLite(context.Background(), sqlitePath(t))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pgSchemaDSN creates a schema of its own for t (see pgtest.SchemaDSN).
func pgSchemaDSN(t testing.TB) string { return pgtest.SchemaDSN(t) }

// pgDB opens a pool on dsn, closed when t ends.
func pgDB(t testing.TB, dsn string) *sql.DB { return pgtest.DB(t, dsn) }

func newPostgres(t testing.TB) *Store {
	t.Helper()
	db := pgDB(t, pgSchemaDSN(t))
	s, err := Open(context.Background(), db, Postgres)
	if err != nil {
		t.Fatalf("Open(Postgres): %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore returns an empty store of dialect d for t.
func newStore(t testing.TB, d Dialect) *Store {
	t.Helper()
	if d == Postgres {
		return newPostgres(t)
	}
	return newSQLite(t)
}

func ptr[T any](v T) *T { return &v }

// mustFilter parses and resolves f against rt.
func mustFilter(t testing.TB, rt *schema.ResourceType, f string) filter.Expr {
	t.Helper()
	e, err := filter.Parse(f)
	if err != nil {
		t.Fatalf("filter.Parse(%q): %v", f, err)
	}
	if e, err = filter.Resolve(e, rt); err != nil {
		t.Fatalf("filter.Resolve(%q): %v", f, err)
	}
	return e
}

// envCount reads a positive count from the environment variable name, or
// returns def when it is not set.
func envCount(t testing.TB, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
