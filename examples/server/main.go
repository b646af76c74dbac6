// Command server runs a SCIM 2.0 endpoint on 127.0.0.1 for local trials:
// point Entra ID, Okta or curl at the printed Tenant URL with the printed
// Secret Token.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-token T]
//
// The token is taken from -token, else from SCIM_TOKEN, else generated.
// Users and groups are kept in memory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address HOST:PORT")
	token := flag.String("token", os.Getenv("SCIM_TOKEN"), "secret bearer token (default $SCIM_TOKEN, else generated)")
	flag.Parse()
	if *token == "" {
		*token = scim.GenerateToken()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	srv, err := scim.NewServer(scim.Config{
		Store:  memory.New(),
		Auth:   scim.StaticToken("default", *token),
		Logger: logger,
	})
	if err != nil {
		return err
	}
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
	fmt.Printf("Tenant URL:   http://%s/scim/v2\nSecret Token: %s\n", ln.Addr(), *token)
	fmt.Println("(Entra ID needs HTTPS: put a TLS-terminating proxy or tunnel in front for a real tenant.)")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
