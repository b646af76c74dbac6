package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/scimkit/scim"
)

// tokenPath is where the server serves the OAuth 2.0 token endpoint.
const tokenPath = "/oauth2/token"

// tokenURL returns the token endpoint's URL on the host of the Tenant URL
// tenantURL.
func tokenURL(tenantURL string) string {
	u, err := url.Parse(tenantURL)
	if err != nil {
		return tokenPath
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: tokenPath}).String()
}

// clientCommand runs "client add|list|secret|revoke" on the database's
// OAuth clients.
func clientCommand(ctx context.Context, args []string, db string, inMemory bool, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("client needs a command: add, list, secret or revoke")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("client "+cmd, flag.ContinueOnError)
	fs.StringVar(&db, "db", db, "SQLite database file, or PostgreSQL: a postgres:// URL or a key=value DSN")
	tenant := fs.String("tenant", "", "the tenant (required)")
	var label, id, secretID *string
	var expires *time.Duration
	switch cmd {
	case "add":
		label = fs.String("label", "", "a note for people, e.g. \"Entra ID, production\"")
	case "list":
	case "secret":
		id = fs.String("id", "", "the client id, from client list (required)")
		expires = fs.Duration("expires", 0, "the secret's lifetime, e.g. 8760h (default: never expires)")
	case "revoke":
		id = fs.String("id", "", "the client id, from client list (required)")
		secretID = fs.String("secret", "", "the secret's id, from client list (required)")
	default:
		return fmt.Errorf("unknown client command %q; use add, list, secret or revoke", cmd)
	}
	if err := parse(fs, args[1:], stderr); err != nil {
		return err
	}
	switch {
	case inMemory:
		return errors.New("client commands need a database: clients kept in memory would be gone when this command exits; drop -memory and give -db PATH or -db postgres://URL")
	case *tenant == "":
		return fmt.Errorf("client %s needs -tenant NAME", cmd)
	case fs.NArg() > 0:
		return fmt.Errorf("client %s: unexpected argument %q", cmd, fs.Arg(0))
	case id != nil && *id == "":
		return fmt.Errorf("client %s needs -id CLIENT_ID (client list shows them)", cmd)
	case secretID != nil && *secretID == "":
		return errors.New("client revoke needs -secret SECRET_ID (client list shows them)")
	case expires != nil && *expires < 0:
		return errors.New("client secret: -expires must be a positive duration such as 8760h, or 0 for a secret that does not expire")
	}

	store, closeStore, where, err := openStore(ctx, db, false)
	if err != nil {
		return err
	}
	defer closeStore.Close()
	clients := &scim.Clients{Store: store.(scim.ClientStore), Tokens: &scim.Tokens{Store: store.(scim.TokenStore)}}

	switch cmd {
	case "add":
		secret, c, err := clients.Register(ctx, *tenant, *label)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Client ID:     %s\nClient Secret: %s\nSecret ID:     %s\nTenant:        %s\nToken path:    %s\nStore:         %s\n",
			c.ID, secret, c.Secrets[0].ID, c.Tenant, tokenPath, where)
		fmt.Fprintln(stdout, "(This is the only time the secret is shown: only its digest is stored.)")
	case "secret":
		var exp time.Time
		if *expires > 0 {
			exp = time.Now().Add(*expires)
		}
		secret, s, err := clients.AddSecret(ctx, *tenant, *id, exp)
		if errors.Is(err, scim.ErrNotFound) {
			return fmt.Errorf("tenant %q has no client %q; client list -tenant %s shows its clients", *tenant, *id, *tenant)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Client ID:     %s\nClient Secret: %s\nSecret ID:     %s\nExpires:       %s\n", *id, secret, s.ID, showTime(s.Expires, "never"))
		fmt.Fprintln(stdout, "(The other secrets keep working until revoked: update the identity provider, then revoke the old one.)")
	case "list":
		list, err := clients.List(ctx, *tenant)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			fmt.Fprintf(stdout, "Tenant %q has no OAuth clients in %s.\n", *tenant, where)
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tLABEL\tSECRET ID\tCREATED\tEXPIRES\tREVOKED")
		for _, c := range list {
			for _, s := range c.Secrets {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, cmp.Or(c.Label, "-"), s.ID,
					showTime(s.Created, "-"), showTime(s.Expires, "never"), showTime(s.Revoked, "-"))
			}
		}
		return tw.Flush()
	case "revoke":
		err := clients.RevokeSecret(ctx, *tenant, *id, *secretID)
		if errors.Is(err, scim.ErrNotFound) {
			return fmt.Errorf("tenant %q has no client %q with secret %q; client list -tenant %s shows them", *tenant, *id, *secretID, *tenant)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Revoked secret %s of client %s and its access tokens; servers on %s refuse them within 10 s.\n", *secretID, *id, where)
	}
	return nil
}
