package sqlstore_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

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

// Customers' bearer tokens kept in the database beside their users: issue
// one (the secret is shown once), authenticate a request with it through
// the server, list, and revoke. Every instance on the database sees them,
// and they survive restarts.
func ExampleStore_tokens() {
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

	tokens := &scim.Tokens{Store: store}
	secret, tok, err := tokens.Issue(ctx, scim.Token{Tenant: "acme", Label: "Entra ID", Expires: time.Now().Add(365 * 24 * time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	srv, err := scim.NewServer(scim.Config{Store: store, Auth: tokens, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	app := httptest.NewServer(http.StripPrefix("/scim/v2", srv))
	defer app.Close()
	get := func() {
		req, _ := http.NewRequest("GET", app.URL+"/scim/v2/Users", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		res.Body.Close()
		fmt.Println("GET /Users:", res.StatusCode)
	}

	get()
	list, err := tokens.List(ctx, "acme")
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range list {
		fmt.Println(t.ID == tok.ID, t.Label, t.Active(time.Now()), !t.LastUsed.IsZero())
	}
	if err := tokens.Revoke(ctx, "acme", tok.ID); err != nil {
		log.Fatal(err)
	}
	get()
	// Output:
	// GET /Users: 200
	// true Entra ID true true
	// GET /Users: 401
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

// A SQLite store and its provisioning log, each in a file of its own, so
// that the log's writes never wait for the store's one write lock nor
// hold it. The log writes in the background; Flush waits for it.
func ExampleOpenSQLiteOperationLog() {
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
	oplog, err := sqlstore.OpenSQLiteOperationLog(ctx, filepath.Join(dir, "scim.db-oplog.db"), sqlstore.OperationLogOptions{
		MaxAge:           90 * 24 * time.Hour,
		MaxRowsPerTenant: 100_000,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer oplog.Close() // after srv.Close: writes what is buffered
	srv, err := scim.NewServer(scim.Config{
		Store:        store,
		Auth:         scim.StaticToken("acme", "example-token"),
		OperationLog: oplog,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	r := httptest.NewRequest("POST", "/Users", strings.NewReader(`{"userName":"bob@example.com"}`))
	r.Header.Set("Authorization", "Bearer example-token")
	r.Header.Set("Content-Type", "application/scim+json")
	srv.ServeHTTP(httptest.NewRecorder(), r)

	if err := oplog.Flush(ctx); err != nil {
		log.Fatal(err)
	}
	page, err := oplog.QueryLog(ctx, scim.LogQuery{Tenant: "acme"})
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range page.Records {
		fmt.Println(rec.Op, rec.ResourceType, rec.Status, rec.Changed, rec.ResourceID != "")
	}
	// Output: create User 201 [active userName] true
}
