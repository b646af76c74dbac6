// Command server runs a SCIM 2.0 endpoint on 127.0.0.1 for local trials:
// point Entra ID, Okta or curl at the printed Tenant URL with the printed
// Secret Token.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-base-url URL] [-token T] [-db PATH | -db postgres://... | -memory] [-schema FILE]... [-events] [-oplog] [-v]
//
// Users and groups are kept in a SQLite file (./scimkit.db unless -db
// names another; created readable by its owner only), so a restart keeps
// them; -db with a postgres:// or postgresql:// URL (any case) or a
// key=value DSN ("host=db user=scim dbname=scim") keeps them in
// PostgreSQL instead, and -memory keeps them in memory only. The token is
// taken from -token, else from SCIM_TOKEN, else generated; it acts for the
// tenant "default". -addr 127.0.0.1:0 picks a free port; the Tenant URL
// line shows which. Behind a proxy or tunnel, -base-url gives the public
// URL of the endpoint, which responses use in meta.location, Location and
// $ref; without it they use the address the server listens on, never a
// client's Host or X-Forwarded-* headers. Requests that fail are logged to
// stderr; -v logs every request.
//
// -events writes each change event (scim.Event) to standard output as
// one JSON line once it is delivered: from the SQL store's outbox at
// least once, also after a crash, or in-process with -memory.
//
// -oplog keeps the provisioning log, one record per SCIM operation
// (scim.Config.OperationLog), for 30 days and 100,000 records per
// tenant: beside a SQLite database in a SQLite file of its own, the
// database's path with -oplog.db appended (scimkit.db-oplog.db; created
// readable by its owner only), so that its writes never take the
// database's one write lock from the store's; in PostgreSQL in the
// database's scim_oplog table; in memory with -memory;
//
//	go run ./examples/server [-db ...] log [-tenant T] [-resource ID] [-op OP] [-outcome failure] [-n 50]
//
// shows its newest records.
//
// -schema FILE registers the extension schemas in FILE, in their RFC 7643
// JSON form (one schema, a list, or a /Schemas ListResponse), e.g.
// examples/server/junojourney.schema.json; repeat it for more files. A
// schema whose id ends in ":Group" extends Group, any other User.
//
// With a database, per-tenant tokens are kept in it too, and the server
// accepts them beside -token, each for its own tenant:
//
//	go run ./examples/server [-db ...] token issue -tenant acme [-label L] [-expires 720h]
//	go run ./examples/server [-db ...] token list -tenant acme
//	go run ./examples/server [-db ...] token revoke -tenant acme -id ID
//
// issue prints the new secret, once (only its digest is stored), and its
// id; list shows ids, labels, and when each token was created, expires,
// was last used and was revoked, never secrets; revoke refuses the token
// from then on (a running server within 10 s). The token commands also
// take -db after the command name.
//
// With a database the server also serves an OAuth 2.0 token endpoint at
// /oauth2/token (the Token URL line shows it) for the client credentials
// grant that Entra ID gallery apps use; access tokens last an hour:
//
//	go run ./examples/server [-db ...] client add -tenant acme [-label L]
//	go run ./examples/server [-db ...] client list -tenant acme
//	go run ./examples/server [-db ...] client secret -tenant acme -id CLIENT_ID [-expires 8760h]
//	go run ./examples/server [-db ...] client revoke -tenant acme -id CLIENT_ID -secret SECRET_ID
//
// add prints a new client id and its secret, once; secret adds another
// secret to rotate to; revoke refuses a secret and the access tokens it
// got; list shows clients and their secrets' ids and times, never secrets.
package main

import (
	"cmp"
	"context"
	"encoding/json"
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
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/scimkit/scim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// errUsage is returned after a flag error, which the flag package has
// already printed with the usage.
var errUsage = errors.New("usage")

// parse parses args with fs, whose output goes to stderr.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

// run runs the command line args until ctx is done (serving) or the token
// command has finished.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address HOST:PORT (port 0 picks a free one)")
	token := fs.String("token", os.Getenv("SCIM_TOKEN"), "secret bearer token for the tenant \"default\" (default $SCIM_TOKEN, else generated)")
	dbFlag := fs.String("db", "scimkit.db", "SQLite database file, or PostgreSQL: a postgres:// URL or a key=value DSN")
	baseURL := fs.String("base-url", "", "public `URL` of the endpoint, e.g. https://scim.example.com/scim/v2, used in meta.location, Location and $ref (default: the address the server listens on)")
	inMemory := fs.Bool("memory", false, "keep users and groups in memory only")
	verbose := fs.Bool("v", false, "log every request, not only failures")
	events := fs.Bool("events", false, "write each delivered change event to standard output as one JSON line")
	oplog := fs.Bool("oplog", false, "keep the provisioning log (one record per SCIM operation; \"log\" shows it): beside a SQLite -db in its path + \"-oplog.db\", in PostgreSQL's database, or in memory with -memory")
	var schemas schemaFiles
	fs.Var(&schemas, "schema", "`FILE` of extension schemas in RFC 7643 JSON; repeatable; an id ending in :Group extends Group, others User")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: server [flags]\n       server [-db ...] token issue|list|revoke [flags]\n       server [-db ...] client add|list|secret|revoke [flags]\nflags:")
		fs.PrintDefaults()
	}
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	switch fs.Arg(0) {
	case "token":
		return tokenCommand(ctx, fs.Args()[1:], *dbFlag, *inMemory, stdout, stderr)
	case "client":
		return clientCommand(ctx, fs.Args()[1:], *dbFlag, *inMemory, stdout, stderr)
	case "log":
		return logCommand(ctx, fs.Args()[1:], *dbFlag, *inMemory, stdout, stderr)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unknown command %q; the commands are token (issue, list, revoke), client (add, list, secret, revoke) and log", fs.Arg(0))
	}
	if *token == "" {
		*token = scim.GenerateToken()
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	userExt, groupExt, err := schemas.extensions()
	if err != nil {
		return err
	}
	base, err := checkBaseURL(*baseURL)
	if err != nil {
		return err
	}
	// Listen before opening the store, so that a bad -addr creates no
	// database file.
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("-addr %s: %w", *addr, err)
	}
	defer ln.Close()

	store, closeStore, where, err := openStore(ctx, *dbFlag, *inMemory)
	if err != nil {
		return err
	}
	defer closeStore.Close()

	// The static token is checked first, so trials never read the
	// database to authenticate.
	auth := scim.Authenticators{scim.StaticToken("default", *token)}
	var clients *scim.Clients
	if ts, ok := store.(scim.TokenStore); ok && !*inMemory {
		tokens := &scim.Tokens{Store: ts, Logger: logger}
		auth = append(auth, tokens)
		if cs, ok := store.(scim.ClientStore); ok {
			clients = &scim.Clients{Store: cs, Tokens: tokens, Logger: logger}
		}
	}
	cfg := scim.Config{
		Store:           store,
		Auth:            auth,
		Logger:          logger,
		BaseURL:         base,
		UserExtensions:  userExt,
		GroupExtensions: groupExt,
	}
	if *events {
		cfg.Events = printEvents(stdout)
	}
	oplogWhere := ""
	if *oplog {
		sink, closeLog, where, err := openOperationLog(ctx, store, *dbFlag)
		if err != nil {
			return err
		}
		defer closeLog.Close() // after the server, before the store
		cfg.OperationLog, oplogWhere = sink, where
	}
	srv, err := scim.NewServer(cfg)
	if err != nil {
		return err
	}
	defer srv.Close() // before the store closes
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
	if clients != nil {
		mux.Handle(tokenPath, clients)
	}

	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	local := fmt.Sprintf("http://%s/scim/v2", ln.Addr())
	fmt.Fprintf(stdout, "Tenant URL:   %s\nSecret Token: %s\nStore:        %s\n", cmp.Or(base, local), *token, where)
	if base != "" {
		fmt.Fprintf(stdout, "Listening:    %s\n", local)
	}
	if oplogWhere != "" {
		fmt.Fprintf(stdout, "Log:          provisioning log %s, kept 30 days and %d records per tenant\n", oplogWhere, oplogMaxRows)
	}
	if len(auth) > 1 {
		fmt.Fprintln(stdout, "Tokens:       the token above (tenant \"default\"), and those of \"token issue\" in this database")
	}
	if clients != nil {
		fmt.Fprintf(stdout, "Token URL:    %s (OAuth client credentials of \"client add\")\n", tokenURL(cmp.Or(base, local)))
	}
	for _, e := range userExt {
		fmt.Fprintf(stdout, "Extension:    %s (User)\n", e.Schema.ID)
	}
	for _, e := range groupExt {
		fmt.Fprintf(stdout, "Extension:    %s (Group)\n", e.Schema.ID)
	}
	fmt.Fprintln(stdout, "(Entra ID needs HTTPS: put a TLS-terminating proxy or tunnel in front for a real tenant.)")

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

// tokenCommand runs "token issue|list|revoke" on the database's tokens.
func tokenCommand(ctx context.Context, args []string, db string, inMemory bool, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("token needs a command: issue, list or revoke")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("token "+cmd, flag.ContinueOnError)
	fs.StringVar(&db, "db", db, "SQLite database file, or PostgreSQL: a postgres:// URL or a key=value DSN")
	tenant := fs.String("tenant", "", "the tenant (required)")
	var label, id *string
	var expires *time.Duration
	switch cmd {
	case "issue":
		label = fs.String("label", "", "a note for people, e.g. \"Entra ID, production\"")
		expires = fs.Duration("expires", 0, "lifetime, e.g. 720h (default: never expires)")
	case "list":
	case "revoke":
		id = fs.String("id", "", "the token's id, from token list (required)")
	default:
		return fmt.Errorf("unknown token command %q; use issue, list or revoke", cmd)
	}
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	switch {
	case inMemory:
		return errors.New("token commands need a database: tokens kept in memory would be gone when this command exits; drop -memory and give -db PATH or -db postgres://URL")
	case *tenant == "":
		return fmt.Errorf("token %s needs -tenant NAME", cmd)
	case fs.NArg() > 0:
		return fmt.Errorf("token %s: unexpected argument %q", cmd, fs.Arg(0))
	case expires != nil && *expires < 0:
		return errors.New("token issue: -expires must be a positive duration such as 720h, or 0 for a token that does not expire")
	case id != nil && *id == "":
		return errors.New("token revoke needs -id ID (token list shows them)")
	}

	store, closeStore, where, err := openStore(ctx, db, false)
	if err != nil {
		return err
	}
	defer closeStore.Close()
	tokens := &scim.Tokens{Store: store.(scim.TokenStore)}

	switch cmd {
	case "issue":
		t := scim.Token{Tenant: *tenant, Label: *label}
		if *expires > 0 {
			t.Expires = time.Now().Add(*expires)
		}
		secret, stored, err := tokens.Issue(ctx, t)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Secret Token: %s\nToken ID:     %s\nTenant:       %s\nExpires:      %s\nStore:        %s\n",
			secret, stored.ID, stored.Tenant, showTime(stored.Expires, "never"), where)
		fmt.Fprintln(stdout, "(This is the only time the secret is shown: only its digest is stored.)")
	case "list":
		list, err := tokens.List(ctx, *tenant)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(stdout, "Tenant %q has no tokens in %s.\n", *tenant, where)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tLABEL\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
		for _, t := range list {
			label := cmp.Or(t.Label, "-")
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, label, showTime(t.Created, "-"),
				showTime(t.Expires, "never"), showTime(t.LastUsed, "never"), showTime(t.Revoked, "-"))
		}
		return tw.Flush()
	case "revoke":
		err := tokens.Revoke(ctx, *tenant, *id)
		if errors.Is(err, scim.ErrNotFound) {
			return fmt.Errorf("tenant %q has no token %q; token list -tenant %s shows its tokens", *tenant, *id, *tenant)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked token %s of tenant %q; servers on %s refuse it within 10 s.\n", *id, *tenant, where)
	}
	return nil
}

// showTime formats t for people, or none when t is zero.
func showTime(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return t.UTC().Format(time.RFC3339)
}

// checkBaseURL checks -base-url: empty, or an absolute http or https URL
// without a query or fragment. It returns it without a trailing slash.
func checkBaseURL(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-base-url %q must be an absolute http or https URL without user, query or fragment, e.g. https://scim.example.com/scim/v2", s)
	}
	return strings.TrimSuffix(s, "/"), nil
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
