package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// pgEnv names the variable holding the PostgreSQL DSN for tests; they
// skip when it is unset.
const pgEnv = "SCIMKIT_TEST_POSTGRES"

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

// pgSchemaDSN creates a schema of its own for t and returns a DSN whose
// search_path is that schema. The schema is dropped when t ends, so tests
// run in parallel and leave nothing behind.
func pgSchemaDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(pgEnv)
	if base == "" {
		t.Skip(pgEnv + " is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schemaName := "scimkit_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`CREATE SCHEMA "` + schemaName + `"`); err != nil {
		t.Fatalf("creating schema: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Error(err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA "` + schemaName + `" CASCADE`); err != nil {
			t.Errorf("dropping schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schemaName)
	u.RawQuery = q.Encode()
	return u.String()
}

// pgDB opens a pool on dsn, closed when t ends.
func pgDB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Tests run in parallel, and with other users of the server: stay
	// well below its max_connections.
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { db.Close() })
	return db
}

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
