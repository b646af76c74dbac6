package main

import (
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/pgtest"
)

func TestIsPostgres(t *testing.T) {
	for _, tc := range []struct {
		db   string
		want bool
	}{
		{"postgres://u@h/db", true},
		{"postgresql://u@h/db", true},
		{"POSTGRES://u@h/db", true},
		{"PostgreSQL://u@h/db", true},
		{"host=db user=scim dbname=scim", true},
		{"  host=db", true},
		{"dbname=scim sslmode=disable", true},
		{"USER=scim host=db", true},
		{"scimkit.db", false},
		{"./host=x", false},
		{"data/scim.db", false},
		{"my db.db", false},
		{"file=x.db", false},
		{"postgres.db", false},
		{"", false},
	} {
		if got := isPostgres(tc.db); got != tc.want {
			t.Errorf("isPostgres(%q) = %v, want %v", tc.db, got, tc.want)
		}
	}
}

// TestDatabaseErrors runs the server with databases it cannot use: each
// error names the path (or PostgreSQL) and the cause, and no file is left
// behind.
func TestDatabaseErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // the default -db is ./scimkit.db
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	// PostgreSQL DSNs point at a listener of this test's own that hangs
	// up on every connection, so they fail fast and reach nothing else.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	notSQLite := filepath.Join(dir, "text.db")
	if err := os.WriteFile(notSQLite, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string // substrings of the error
	}{
		{"bad -addr", []string{"-addr", "nonsense"}, []string{"-addr nonsense"}},
		{"bad -addr with -db", []string{"-addr", "nonsense", "-db", filepath.Join(dir, "new.db")}, []string{"-addr nonsense"}},
		{"bad -base-url", []string{"-base-url", "scim.example.com/scim/v2"}, []string{"-base-url", "absolute"}},
		{"base URL with a query", []string{"-base-url", "https://scim.example.com/scim/v2?x=1"}, []string{"-base-url"}},
		{"missing directory", []string{"-db", filepath.Join(dir, "missing", "x.db")}, []string{filepath.Join(dir, "missing", "x.db"), "does not exist"}},
		{"directory as the file", []string{"-db", dir}, []string{dir, "is a directory"}},
		{"file as the directory", []string{"-db", filepath.Join(notDir, "x.db")}, []string{notDir + " is not a directory"}},
		{"not a SQLite file", []string{"-db", notSQLite}, []string{notSQLite, "not a database"}},
		{"empty -db", []string{"-db", ""}, []string{"-db is empty"}},
		{"key=value DSN", []string{"-db", "host=127.0.0.1 port=" + port + " user=x dbname=x sslmode=disable connect_timeout=5"}, []string{"PostgreSQL"}},
		{"upper-case URL", []string{"-db", "POSTGRES://x@127.0.0.1:" + port + "/x?sslmode=disable&connect_timeout=5"}, []string{"PostgreSQL"}},
		{"token issue with a bad -expires", []string{"token", "issue", "-tenant", "a", "-expires", "-1h"}, []string{"-expires"}},
		{"token revoke without -id", []string{"token", "revoke", "-tenant", "a"}, []string{"needs -id"}},
		{"token command with a DSN", []string{"-db", "host=127.0.0.1 port=" + port + " sslmode=disable connect_timeout=5", "token", "list", "-tenant", "a"}, []string{"PostgreSQL"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCmd(t, append([]string{"-addr", "127.0.0.1:0"}, tc.args...)...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "(14)") {
				t.Errorf("error %q gives SQLite's code instead of the cause", err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if n := e.Name(); n != "plain" && n != "text.db" {
					t.Errorf("left behind: %s", n)
				}
			}
		})
	}
}

// TestReadOnlyDirectory checks the error for a directory SQLite cannot
// write to, with and without the database file in it.
func TestReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "old.db")
	issueToken(t, existing, "-tenant", "a")
	for _, f := range []string{existing + "-wal", existing + "-shm"} {
		os.Remove(f)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o700) })
	for _, db := range []string{filepath.Join(dir, "new.db"), existing} {
		_, _, err := runCmd(t, "-addr", "127.0.0.1:0", "-db", db)
		if err == nil || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "not writable") {
			t.Errorf("-db %s: %v, want an error naming it and saying the directory is not writable", db, err)
		}
	}
}

// TestSQLiteFileMode checks that a new database and its -wal and -shm
// files are readable by their owner only.
func TestSQLiteFileMode(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	base := serve(t, "-db", db, "-token", "tok")
	createUser(t, base, "tok", "ada@example.com")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Error(err)
			continue
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(f), m)
		}
	}
}

// TestPostgresDSNForms keeps tokens in PostgreSQL through a key=value DSN
// and an upper-case URL, and checks that no SQLite file is created.
func TestPostgresDSNForms(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	t.Chdir(t.TempDir())
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	kv := "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() +
		" dbname=" + strings.TrimPrefix(u.Path, "/") + " sslmode=" + q.Get("sslmode") + " search_path=" + q.Get("search_path")
	upper := "POSTGRES" + strings.TrimPrefix(dsn, u.Scheme)
	_, id := issueToken(t, kv, "-tenant", "acme")
	out, errOut, err := runCmd(t, "-db", upper, "token", "list", "-tenant", "acme")
	if err != nil || !strings.Contains(out, id) {
		t.Fatalf("token list through %q: %v\n%s%s", upper, err, out, errOut)
	}
	entries, _ := os.ReadDir(".")
	if len(entries) > 0 {
		t.Errorf("files created: %v", entries)
	}
}
