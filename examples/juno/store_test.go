package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/storetest"
)

func testDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := openDB(t.Context(), filepath.Join(t.TempDir(), "juno.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// Tests need no durability across power loss: the one connection
	// skips fsync.
	if _, err := db.ExecContext(t.Context(), "PRAGMA synchronous = OFF"); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMain(m *testing.M) {
	passwordIter = 1000 // fast tests; production hashes use the default
	os.Exit(m.Run())
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) scim.Store { return newStore(testDB(t)) })
}

func TestTokenStore(t *testing.T) {
	storetest.RunTokens(t, func(t *testing.T) scim.TokenStore { return &tokenStore{testDB(t)} })
}
