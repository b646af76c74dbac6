// Command juno is Juno Journey, a small learning platform that existed
// before SCIM (its own accounts, teams, courses, logins and JSON API), with
// scimkit added so that its customers' Entra ID or Okta keep its accounts
// in sync, and OpenID Connect sign-in beside it.
//
//	go run ./examples/juno [-addr 127.0.0.1:8080] [-db juno.db] [-base-url URL] [-oauth-token-lifetime 1h]
//		[-log-max-age 2160h] [-log-max-rows 100000]
//		[-oidc-issuer URL -oidc-client-id ID -oidc-client-secret S [-oidc-customer demo]]
//
// It keeps everything in one SQLite file (-db, default juno.db, created
// readable by its owner only), the provisioning log too: records older
// than -log-max-age and each customer's beyond its newest -log-max-rows
// are deleted (0: no limit). On a first start it creates a demo
// customer, a first Secret Token for it and an admin login, and prints
// them with the Tenant URL and the admin page's URL. The SCIM endpoint is
// /scim/v2; the OAuth 2.0 token endpoint (client credentials, for
// clients made on the admin page) /oauth2/token; the admin page /admin;
// Juno's own API /api/me and /api/courses.
package main

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	_ "modernc.org/sqlite"

	"github.com/scimkit/scim"
)

// demoCustomer is the customer a first start creates.
const demoCustomer = "demo"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "juno:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("juno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "`HOST:PORT` to listen on")
	dbPath := fs.String("db", "juno.db", "the SQLite `file`")
	baseURL := fs.String("base-url", "", "the public `URL` of the app (default: http://ADDR); https turns on Secure cookies")
	tokenLifetime := fs.Duration("oauth-token-lifetime", time.Hour, "how long an OAuth access token lasts (1m to 24h)")
	logMaxAge := fs.Duration("log-max-age", defaultLogMaxAge, "how long the provisioning log keeps records (0: no limit)")
	logMaxRows := fs.Int("log-max-rows", defaultLogMaxRows, "how many records the provisioning log keeps per customer, its newest (0: no limit)")
	var sso ssoFlags
	fs.StringVar(&sso.issuer, "oidc-issuer", "", "OpenID Connect issuer `URL` for sign-in (e.g. https://login.microsoftonline.com/TENANT/v2.0)")
	fs.StringVar(&sso.clientID, "oidc-client-id", "", "OpenID Connect client `id`")
	fs.StringVar(&sso.clientSecret, "oidc-client-secret", cmp.Or(os.Getenv("JUNO_OIDC_CLIENT_SECRET"), ""), "OpenID Connect client `secret` (default $JUNO_OIDC_CLIENT_SECRET)")
	fs.StringVar(&sso.customer, "oidc-customer", demoCustomer, "the `customer` whose people sign in with that provider")
	verbose := fs.Bool("v", false, "log every request")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *tokenLifetime < time.Minute || *tokenLifetime > 24*time.Hour {
		return fmt.Errorf("-oauth-token-lifetime %s: give a duration from 1m to 24h", *tokenLifetime)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	base := *baseURL
	if base == "" {
		base = "http://" + ln.Addr().String()
	} else if u, err := url.Parse(base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-base-url %q is not an http or https URL", base)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	db, err := openDB(ctx, *dbPath)
	if err != nil {
		return err
	}
	defer db.Close()
	a, err := newApp(ctx, appConfig{DB: db, BaseURL: base, Logger: logger, AccessTokenLifetime: *tokenLifetime,
		LogMaxAge: noLimit(*logMaxAge), LogMaxRows: noLimit(*logMaxRows)})
	if err != nil {
		return err
	}
	defer a.Close()
	if sso.issuer != "" {
		if err := a.addSSO(ctx, sso); err != nil {
			return err
		}
	}
	if err := a.welcome(ctx, stdout); err != nil {
		return err
	}
	hs := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return hs.Shutdown(sctx)
}

// noLimit turns a flag's 0 (no limit) into appConfig's -1.
func noLimit[T int | time.Duration](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// welcome prepares a first start (demo customer, its courses, a token, an
// admin login) and prints how to use Juno.
func (a *app) welcome(ctx context.Context, w io.Writer) error {
	secret, password, err := a.seed(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Tenant URL:   %s/scim/v2\n", a.base)
	if secret != "" {
		fmt.Fprintf(w, "Secret Token: %s   (customer %q; shown once)\n", secret, demoCustomer)
	} else {
		fmt.Fprintf(w, "Secret Token: issued at the first start; issue another on the admin page\n")
	}
	fmt.Fprintf(w, "Token URL:    %s%s   (OAuth client credentials: make a client on the admin page)\n", a.base, tokenPath)
	fmt.Fprintf(w, "Admin page:   %s/admin\n", a.base)
	if password != "" {
		fmt.Fprintf(w, "Admin login:  admin / %s   (shown once)\n", password)
	} else {
		fmt.Fprintf(w, "Admin login:  admin, with the password printed at the first start\n")
	}
	for c := range a.sso {
		fmt.Fprintf(w, "Sign-in:      %s/sso/%s/login\n", a.base, c)
	}
	return nil
}

// seed creates the demo customer with its courses and a token, and the
// admin login, when they do not exist. It returns the new secret and
// password, or "" for those that existed.
func (a *app) seed(ctx context.Context) (secret, password string, err error) {
	var n int
	if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM customers WHERE id = ?`, demoCustomer).Scan(&n); err != nil {
		return "", "", err
	}
	if n == 0 {
		err := inTx(ctx, a.db, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, created_at) VALUES (?, 'Contoso (demo)', ?)`,
				demoCustomer, a.now().UnixNano()); err != nil {
				return err
			}
			for _, c := range [][2]string{{"Welcome to Juno", "beginner"}, {"Data literacy", "intermediate"}, {"Leading teams", "advanced"}} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO courses (id, customer_id, title, level) VALUES (?,?,?,?)`,
					newID(), demoCustomer, c[0], c[1]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return "", "", err
		}
		if secret, _, err = a.tokens.Issue(ctx, scim.Token{Tenant: demoCustomer, Label: "printed at first start"}); err != nil {
			return "", "", err
		}
	}
	if err := a.db.QueryRowContext(ctx, `SELECT count(*) FROM admins`).Scan(&n); err != nil {
		return "", "", err
	}
	if n == 0 {
		password = randomToken(9)
		if err := setAdminPassword(ctx, a.db, "admin", password); err != nil {
			return "", "", err
		}
	}
	return secret, password, nil
}
