// Package pgtest gives tests a PostgreSQL schema of their own on the
// server named by SCIMKIT_TEST_POSTGRES, so that tests run in parallel,
// beside other users of the server, and leave nothing behind.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Env names the environment variable with the server's URL.
const Env = "SCIMKIT_TEST_POSTGRES"

// SchemaDSN creates a schema of its own for t and returns a DSN whose
// search_path is that schema; the schema is dropped when t ends. It skips
// t when Env is not set.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		t.Skip(Env + " is not set")
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

// DB opens a pool on dsn, closed when t ends, bounded well below the
// server's max_connections.
func DB(t testing.TB, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(8)
	t.Cleanup(func() { db.Close() })
	return db
}
