package main

import (
	"database/sql"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scimkit/scim/store/sqlstore"
)

// TestOperationLogFlag serves with -oplog from a SQLite file and reads
// the provisioning log back with the log command, filtered, from the
// file of its own beside the database.
func TestOperationLogFlag(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	if _, _, err := runCmd(t, "-db", db, "log"); err == nil || !strings.Contains(err.Error(), "serve with -oplog") {
		t.Errorf("log without a log file: %v, want an error saying how to keep one", err)
	}
	if _, err := os.Stat(db + "-oplog.db"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("log created the log file (stat: %v)", err)
	}
	lines := serveLines(t, "-db", db, "-token", "oplog-test-token", "-oplog")
	if !strings.Contains(lines["Log"], db+"-oplog.db") {
		t.Errorf("the server did not say where the log is: %q", lines["Log"])
	}
	if fi, err := os.Stat(db + "-oplog.db"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the log file: %v, %v; want mode 0600", fi, err)
	}
	base := lines["Tenant URL"]
	createUser(t, base, "oplog-test-token", "ada@contoso.com")
	if st, _ := users(t, base, "oplog-test-token"); st != 200 {
		t.Fatalf("GET /Users: %d", st)
	}
	req, _ := http.NewRequest("GET", base+"/Users/no-such-user", nil)
	req.Header.Set("Authorization", "Bearer oplog-test-token")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()

	// The log is written in the background: wait for it.
	var out string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _, err = runCmd(t, "-db", db, "log"); err != nil {
			t.Fatalf("log: %v", err)
		}
		if strings.Count(out, "\n") == 4 {
			break
		}
	}
	for _, want := range []string{"create  User ", "201", "active,userName", "list", "User no-such-user"} {
		if !strings.Contains(out, want) {
			t.Errorf("log output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "oplog-test-token") {
		t.Errorf("log output shows the token:\n%s", out)
	}
	out, _, err = runCmd(t, "-db", db, "log", "-outcome", "failure")
	if err != nil || strings.Count(out, "\n") != 2 || !strings.Contains(out, "no-such-user") {
		t.Errorf("log -outcome failure (err %v):\n%s", err, out)
	}
	if _, _, err := runCmd(t, "-memory", "log"); err == nil {
		t.Error("log with -memory ran")
	}

	// The store's database keeps none of it.
	sdb, err := sql.Open("sqlite", sqlstore.SQLiteDSN(db))
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var n int
	if err := sdb.QueryRow("SELECT count(*) FROM scim_oplog").Scan(&n); err != nil || n != 0 {
		t.Errorf("the store's scim_oplog holds %d records (%v), want none", n, err)
	}
}
