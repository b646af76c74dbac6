package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

// The provisioning log's retention in the example server.
const (
	oplogMaxAge  = 30 * 24 * time.Hour
	oplogMaxRows = 100000
)

// openOperationLog returns the provisioning log -oplog keeps beside
// store: in its database (scim_oplog) for a SQL store, else in memory.
func openOperationLog(ctx context.Context, store scim.Store) (scim.LogSink, io.Closer, string, error) {
	s, ok := store.(*sqlstore.Store)
	if !ok {
		return memory.NewOperationLog(memory.OperationLogOptions{MaxAge: oplogMaxAge, MaxRowsPerTenant: oplogMaxRows}), nopCloser{}, "in memory", nil
	}
	l, err := sqlstore.OpenOperationLog(ctx, s.DB(), s.Dialect(), sqlstore.OperationLogOptions{MaxAge: oplogMaxAge, MaxRowsPerTenant: oplogMaxRows})
	if err != nil {
		return nil, nil, "", err
	}
	return l, l, "table scim_oplog", nil
}

// logCommand runs "log": the newest records of a tenant's provisioning
// log in the database, filtered.
func logCommand(ctx context.Context, args []string, db string, inMemory bool, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log", flag.ContinueOnError)
	fs.StringVar(&db, "db", db, "SQLite database file, or PostgreSQL: a postgres:// URL or a key=value DSN")
	q := scim.LogQuery{}
	fs.StringVar(&q.Tenant, "tenant", "default", "the tenant")
	fs.StringVar(&q.ResourceID, "resource", "", "only this resource's records (a user's: also its group memberships)")
	fs.StringVar(&q.Op, "op", "", "only this operation: create, replace, patch, delete, get, list, search, bulk, discovery, me")
	fs.StringVar(&q.Outcome, "outcome", "", "only success or failure")
	fs.IntVar(&q.Count, "n", 50, "how many records, newest first")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	switch {
	case inMemory:
		return errors.New("log needs a database: a log kept in memory is gone when its server exits")
	case fs.NArg() > 0:
		return fmt.Errorf("log: unexpected argument %q", fs.Arg(0))
	}
	store, closeStore, _, err := openStore(ctx, db, false)
	if err != nil {
		return err
	}
	defer closeStore.Close()
	s := store.(*sqlstore.Store)
	l, err := sqlstore.OpenOperationLog(ctx, s.DB(), s.Dialect(), sqlstore.OperationLogOptions{})
	if err != nil {
		return err
	}
	defer l.Close()
	page, err := l.QueryLog(ctx, q)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tCLIENT\tOP\tRESOURCE\tSTATUS\tCHANGED\tMEMBERS\tDURATION")
	for _, r := range page.Records {
		status := fmt.Sprint(r.Status)
		if r.SCIMType != "" {
			status += " " + r.SCIMType
		}
		var members []string
		for _, id := range r.MembersAdded {
			members = append(members, "+"+id)
		}
		for _, id := range r.MembersRemoved {
			members = append(members, "-"+id)
		}
		fmt.Fprintf(tw, "%s\t%.40s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format(time.RFC3339), r.Client, r.Op,
			strings.TrimSpace(r.ResourceType+" "+r.ResourceID), status, strings.Join(r.Changed, ","),
			strings.Join(members, ","), r.Duration.Round(time.Microsecond))
	}
	return tw.Flush()
}
