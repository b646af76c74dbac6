// Command server runs a SCIM 2.0 endpoint on 127.0.0.1 for local trials:
// point Entra ID, Okta or curl at the printed Tenant URL with the printed
// Secret Token.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-token T] [-db PATH | -db postgres://... | -memory] [-events] [-v]
//
// Users and groups are kept in a SQLite file (./scimkit.db unless -db
// names another), so a restart keeps them; -db with a postgres:// or
// postgresql:// URL keeps them in PostgreSQL instead, and -memory keeps
// them in memory only. The token is taken from -token, else from
// SCIM_TOKEN, else generated. -addr 127.0.0.1:0 picks a free port; the
// Tenant URL line shows which. Requests that fail are logged to stderr;
// -v logs every request. -events writes each change event (scim.Event)
// to standard output as one JSON line once it is delivered: from the SQL
// store's outbox at least once, also after a crash, or in-process with
// -memory.
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address HOST:PORT (port 0 picks a free one)")
	token := flag.String("token", os.Getenv("SCIM_TOKEN"), "secret bearer token (default $SCIM_TOKEN, else generated)")
	dbFlag := flag.String("db", "scimkit.db", "SQLite database file, or a postgres:// URL")
	inMemory := flag.Bool("memory", false, "keep users and groups in memory only")
	verbose := flag.Bool("v", false, "log every request, not only failures")
	events := flag.Bool("events", false, "write each delivered change event to standard output as one JSON line")
	flag.Parse()
	if *token == "" {
		*token = scim.GenerateToken()
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	store, closeStore, where, err := openStore(ctx, *dbFlag, *inMemory)
	if err != nil {
		return err
	}
	defer closeStore.Close()

	cfg := scim.Config{
		Store:  store,
		Auth:   scim.StaticToken("default", *token),
		Logger: logger,
	}
	if *events {
		cfg.Events = printEvents(os.Stdout)
	}
	srv, err := scim.NewServer(cfg)
	if err != nil {
		return err
	}
	defer srv.Close() // before the store closes
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Printf("Tenant URL:   http://%s/scim/v2\nSecret Token: %s\nStore:        %s\n", ln.Addr(), *token, where)
	fmt.Println("(Entra ID needs HTTPS: put a TLS-terminating proxy or tunnel in front for a real tenant.)")

	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		hs.Shutdown(shut)
	}()
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// openStore opens the store the flags name and says which it is.
func openStore(ctx context.Context, db string, inMemory bool) (scim.Store, io.Closer, string, error) {
	switch {
	case inMemory:
		return memory.New(), nopCloser{}, "memory (nothing survives a restart)", nil
	case strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://"):
		pool, err := sql.Open("pgx", db)
		if err != nil {
			return nil, nil, "", err
		}
		// Leave room under the server's max_connections for other
		// instances sharing the database, and keep the connections open:
		// database/sql keeps only two idle by default, so under load each
		// further request would open (and PostgreSQL fork) a new one.
		pool.SetMaxOpenConns(16)
		pool.SetMaxIdleConns(16)
		s, err := sqlstore.Open(ctx, pool, sqlstore.Postgres)
		if err != nil {
			pool.Close()
			return nil, nil, "", err
		}
		return s, closers{s, pool}, "PostgreSQL", nil
	default:
		s, err := sqlstore.OpenSQLite(ctx, db)
		if err != nil {
			return nil, nil, "", err
		}
		return s, s, "SQLite file " + db, nil
	}
}

// printEvents is an event handler that writes each event to w as one
// JSON line.
func printEvents(w io.Writer) scim.EventHandler {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return func(_ context.Context, e scim.Event) error {
		mu.Lock()
		defer mu.Unlock()
		return enc.Encode(e)
	}
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

// closers closes each in order.
type closers []io.Closer

func (cs closers) Close() error {
	var err error
	for _, c := range cs {
		err = errors.Join(err, c.Close())
	}
	return err
}
