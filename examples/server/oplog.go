package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
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
// store, whose -db is db: in the PostgreSQL database's scim_oplog; for a
// SQLite file in a file of its own beside it (oplogFile), so that the
// log's writes never wait for the store's one write lock nor hold it;
// else in memory.
func openOperationLog(ctx context.Context, store scim.Store, db string) (scim.LogSink, io.Closer, string, error) {
	s, ok := store.(*sqlstore.Store)
	if !ok {
		return memory.NewOperationLog(memory.OperationLogOptions{MaxAge: oplogMaxAge, MaxRowsPerTenant: oplogMaxRows}), nopCloser{}, "in memory", nil
	}
	opts := sqlstore.OperationLogOptions{MaxAge: oplogMaxAge, MaxRowsPerTenant: oplogMaxRows}
	if s.Dialect() == sqlstore.SQLite {
		l, err := sqlstore.OpenSQLiteOperationLog(ctx, oplogFile(db), opts)
		if err != nil {
			return nil, nil, "", fmt.Errorf("provisioning log %s: %w", oplogFile(db), err)
		}
		return l, l, "in SQLite file " + oplogFile(db), nil
	}
	l, err := sqlstore.OpenOperationLog(ctx, s.DB(), s.Dialect(), opts)
	if err != nil {
		return nil, nil, "", err
	}
	return l, l, "in table scim_oplog", nil
}

// oplogFile is where -oplog keeps the provisioning log of the SQLite
// database db: "-oplog.db" appended to its path, beside its -wal and
// -shm.
func oplogFile(db string) string { return db + "-oplog.db" }

// openLogReader opens the provisioning log of -db db for the log
// command, refusing to create one: a SQLite database's log file must
// exist.
func openLogReader(ctx context.Context, db string) (*sqlstore.OperationLog, io.Closer, error) {
	if !isPostgres(db) {
		f := oplogFile(db)
		if _, err := os.Stat(f); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("no provisioning log %s beside database %s: serve with -oplog to keep one", f, db)
			}
			return nil, nil, fmt.Errorf("provisioning log %s: %w", f, cause(err))
		}
		l, err := sqlstore.OpenSQLiteOperationLog(ctx, f, sqlstore.OperationLogOptions{})
		if err != nil {
			return nil, nil, fmt.Errorf("provisioning log %s: %w", f, err)
		}
		return l, l, nil
	}
	store, closeStore, _, err := openStore(ctx, db, false)
	if err != nil {
		return nil, nil, err
	}
	s := store.(*sqlstore.Store)
	l, err := sqlstore.OpenOperationLog(ctx, s.DB(), s.Dialect(), sqlstore.OperationLogOptions{})
	if err != nil {
		closeStore.Close()
		return nil, nil, err
	}
	return l, closers{l, closeStore}, nil
}

// logCommand runs "log": the newest records of a tenant's provisioning
// log, filtered.
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
	l, closeLog, err := openLogReader(ctx, db)
	if err != nil {
		return err
	}
	defer closeLog.Close()
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
