package main

import (
	"context"
	"database/sql"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
	"github.com/scimkit/scim/store/storetest"
)

// testDB opens a database of its own for t, migrated: a copy of one
// migrated once per run (migrating takes most of a second under -race,
// and storetest opens a store per subtest).
func testDB(t *testing.T) *sql.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "juno.db")
	if err := os.WriteFile(path, migrated(t), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := openDB(t.Context(), path)
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

// migratedDB is a migrated, empty database file.
var migratedDB struct {
	once  sync.Once
	bytes []byte
	err   error
}

// migrated returns the bytes of an empty database with every migration.
func migrated(t *testing.T) []byte {
	migratedDB.once.Do(func() {
		dir, err := os.MkdirTemp("", "juno-template")
		if err != nil {
			migratedDB.err = err
			return
		}
		defer os.RemoveAll(dir)
		path := filepath.Join(dir, "juno.db")
		db, err := openDB(context.Background(), path)
		if err != nil {
			migratedDB.err = err
			return
		}
		// Closing the last connection checkpoints the WAL into the file.
		if migratedDB.err = db.Close(); migratedDB.err == nil {
			migratedDB.bytes, migratedDB.err = os.ReadFile(path)
		}
	})
	if migratedDB.err != nil {
		t.Fatal(migratedDB.err)
	}
	return migratedDB.bytes
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

func TestClientStore(t *testing.T) {
	storetest.RunClients(t, func(t *testing.T) scim.ClientStore { return &clientStore{testDB(t)} })
}

// TestOperationLog runs the provisioning log's contract suite on the log
// as Juno opens it: in its database, beside its own connection.
func TestOperationLog(t *testing.T) {
	storetest.RunOperationLog(t, func(t *testing.T) (storetest.OperationLog, func()) {
		db := testDB(t)
		l, err := sqlstore.OpenOperationLog(t.Context(), db, sqlstore.SQLite, logOptions(appConfig{}, slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return l, func() {
			if err := l.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
		}
	})
}
