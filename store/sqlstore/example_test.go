package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/sqlstore"
)

// An embedded SQLite database: one file, created and migrated on first
// use, durable across restarts.
func ExampleOpenSQLite() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "scimkit")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	store, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "scim.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	u, err := store.CreateUser(ctx, "acme", &scim.User{UserName: "alice@example.com"})
	if err != nil {
		log.Fatal(err)
	}
	_, err = store.CreateUser(ctx, "acme", &scim.User{UserName: "ALICE@example.com"})
	fmt.Println(u.UserName, u.Meta.Version, errors.Is(err, scim.ErrConflict))
	// Output: alice@example.com 1 true
}

// Several app servers share one PostgreSQL database: each opens its own
// pool and store, and the database keeps them consistent.
func ExampleOpen_postgres() {
	ctx := context.Background()
	db, err := sql.Open("pgx", os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(16) // per instance, under the server's max_connections
	db.SetMaxIdleConns(16) // keep them: the default of 2 reconnects under load
	store, err := sqlstore.Open(ctx, db, sqlstore.Postgres)
	if err != nil {
		log.Fatal(err)
	}
	srv, err := scim.NewServer(scim.Config{
		Store: store,
		Auth:  scim.StaticToken("acme", os.Getenv("SCIM_TOKEN")),
	})
	if err != nil {
		log.Fatal(err)
	}
	http.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	log.Fatal(http.ListenAndServe(":8080", nil))
}
