package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/store/memory"
	"github.com/scimkit/scim/store/sqlstore"
)

// openStore opens the store the flags name and says which it is.
func openStore(ctx context.Context, db string, inMemory bool) (scim.Store, io.Closer, string, error) {
	switch {
	case inMemory:
		return memory.New(), nopCloser{}, "memory (nothing survives a restart)", nil
	case isPostgres(db):
		pool, err := sql.Open("pgx", lowerScheme(db))
		if err != nil {
			return nil, nil, "", fmt.Errorf("PostgreSQL database: %w", err)
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
			return nil, nil, "", fmt.Errorf("PostgreSQL database: %w", err)
		}
		return s, closers{s, pool}, "PostgreSQL", nil
	default:
		s, err := openSQLite(ctx, db)
		if err != nil {
			return nil, nil, "", err
		}
		return s, s, "SQLite file " + db, nil
	}
}

// isPostgres reports whether -db names a PostgreSQL database: a
// postgres:// or postgresql:// URL (scheme in any case) or a libpq
// key=value string whose first word sets a connection keyword
// ("host=db user=scim dbname=scim"). Anything else is a SQLite file; a
// file whose name looks like such a string can be given as ./host=x.
func isPostgres(db string) bool {
	lower := strings.ToLower(db)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		return true
	}
	f := strings.Fields(db)
	if len(f) == 0 {
		return false
	}
	key, _, ok := strings.Cut(f[0], "=")
	return ok && libpqKeywords[strings.ToLower(key)]
}

// lowerScheme returns db with its URL scheme, if any, in lower case,
// since pgx takes only "postgres://" and "postgresql://".
func lowerScheme(db string) string {
	scheme, rest, ok := strings.Cut(db, "://")
	if !ok || strings.ContainsAny(scheme, " =") {
		return db
	}
	return strings.ToLower(scheme) + "://" + rest
}

// libpqKeywords are the connection parameters a key=value DSN starts
// with in practice (PostgreSQL documentation, section 32.1.2).
var libpqKeywords = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "sslmode": true, "application_name": true, "connect_timeout": true,
	"service": true, "target_session_attrs": true, "options": true,
}

// openSQLite opens the SQLite file path, creating it readable by its
// owner only (SQLite gives the -wal and -shm files the database file's
// mode). Errors name the path and say what is wrong with it; a file
// created here is removed again when opening fails.
func openSQLite(ctx context.Context, path string) (*sqlstore.Store, error) {
	if path == "" {
		return nil, errors.New("-db is empty: give a SQLite file path or a postgres:// URL")
	}
	created := false
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return nil, fmt.Errorf("database %s is a directory: give the path of a file, e.g. -db %s", path, filepath.Join(path, "scimkit.db"))
	case errors.Is(err, fs.ErrNotExist):
		if err := dirProblem(path); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("database %s cannot be created: %w", path, cause(err))
		}
		f.Close()
		created = true
	case err != nil:
		if derr := dirProblem(path); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("database %s: %w", path, cause(err))
	}
	s, err := sqlstore.OpenSQLite(ctx, path)
	if err == nil {
		return s, nil
	}
	if created {
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			os.Remove(f)
		}
	}
	if derr := dirProblem(path); derr != nil {
		return nil, derr
	}
	if f, ferr := os.OpenFile(path, os.O_RDWR, 0); ferr == nil {
		f.Close()
	} else if !created {
		return nil, fmt.Errorf("database %s cannot be opened for writing: %w", path, cause(ferr))
	}
	return nil, fmt.Errorf("database %s: %w", path, err)
}

// dirProblem says what keeps SQLite from creating files beside path (the
// database, its -wal and -shm): a directory that is missing, not a
// directory, or not writable. It creates and removes a probe file.
func dirProblem(path string) error {
	dir := filepath.Dir(path)
	di, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("database %s: directory %s does not exist; create it or give another -db", path, dir)
	case err != nil:
		return fmt.Errorf("database %s: directory %s: %w", path, dir, cause(err))
	case !di.IsDir():
		return fmt.Errorf("database %s: %s is not a directory", path, dir)
	}
	f, err := os.CreateTemp(dir, ".scimkit-probe-*")
	if err != nil {
		return fmt.Errorf("database %s: directory %s is not writable (SQLite creates the database and its -wal and -shm files there): %w", path, dir, cause(err))
	}
	f.Close()
	os.Remove(f.Name())
	return nil
}

// cause returns the reason of a file system error without the path and
// operation, which the callers name themselves.
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
