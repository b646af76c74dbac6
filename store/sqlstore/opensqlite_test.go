package sqlstore

import (
	"os"
	"testing"

	"github.com/scimkit/scim"
)

// TestOpenSQLiteFileMode: a database file OpenSQLite creates, and its WAL
// files, are its owner's only; an existing file keeps its mode.
func TestOpenSQLiteFileMode(t *testing.T) {
	t.Parallel()
	path := sqlitePath(t)
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(t.Context(), "t", &scim.User{UserName: "a"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m != 0o600 {
			t.Errorf("%s: mode %o, want 600", f, m)
		}
	}
	s.Close()
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	s, err = OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Errorf("an existing file's mode changed to %o", fi.Mode().Perm())
	}
}
