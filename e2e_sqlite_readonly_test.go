//go:build linux

package scim_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/internal/e2e"
	"github.com/scimkit/scim/store/sqlstore"
)

// TestAdversarialSQLiteReadOnly (item 95, with TestAdversarialSQLiteFull):
// the file system under a running server's SQLite database turns
// read-only, as ext4 mounted errors=remount-ro does after an error. Every
// write is 503 with Retry-After and a generic detail, nothing stored
// changes, reads still work, the log names the cause; after the operator's
// recovery (unmount, e2fsck, mount, restart) the data is as before, writes
// succeed and the file passes integrity_check.
//
// The tests run as root, so a chmod stops no write, and SQLite keeps its
// files open, so a mode change after opening would not reach it anyway; a
// remount read-only is refused while the files are open for writing
// (EBUSY). An ext4 error is what makes a file system read-only under open
// files in production: ext4's trigger_fs_error (sysfs) raises one on a
// loop-mounted image, and SQLite's next write gets EROFS from the kernel,
// as it would. Skipped where a loop device cannot be mounted.
func TestAdversarialSQLiteReadOnly(t *testing.T) {
	fs := newLoopExt4(t)
	ctx := context.Background()
	path := filepath.Join(fs.dir, "scim.db")
	var logs e2e.Log
	open := func(t *testing.T) (*e2e.Client, *sqlstore.Store) {
		s, err := sqlstore.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return serveConfig(t, scim.Config{Store: s, Logger: slog.New(slog.NewTextHandler(&logs, nil))}), s
	}
	c, s := open(t)
	uid := c.CreateUser(e2e.UserBody("ada@a.example"))
	gone := c.CreateUser(e2e.UserBody("grace@a.example"))
	gid := c.CreateGroup(`{"displayName":"G","members":[{"value":"` + uid + `"}]}`)
	state := func(c *e2e.Client) string {
		return c.Must(200, "GET", "/Users", "").Raw + c.Must(200, "GET", "/Groups", "").Raw
	}
	before := state(c)

	fs.fail(t)
	writes := []struct{ name, method, path, body string }{
		{"POST", "POST", "/Users", e2e.UserBody("new@a.example")},
		{"PUT", "PUT", "/Users/" + uid, `{"userName":"ada@a.example","displayName":"Ada"}`},
		{"PATCH user", "PATCH", "/Users/" + uid, e2e.PatchBody(`{"op":"replace","path":"active","value":false}`)},
		{"PATCH group members", "PATCH", "/Groups/" + gid, e2e.PatchBody(`{"op":"add","path":"members","value":[{"value":"` + gone + `"}]},{"op":"remove","path":"members[value eq \"` + uid + `\"]"}`)},
		{"DELETE", "DELETE", "/Users/" + gone, ""},
		{"Bulk", "POST", "/Bulk", bulkBody(0, bulkPost("n", "/Users", bulkUser("bulk@a.example")), `{"method":"DELETE","path":"/Groups/`+gid+`"}`)},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			r := c.Do(w.method, w.path, w.body)
			if w.name == "Bulk" {
				got, raw := entries(t, r)
				if len(got) != 2 {
					t.Fatalf("entries: %s", r.Raw)
				}
				for i, e := range got {
					if e.Status != "503" {
						t.Errorf("operation %d: %s, want 503", i, e.Status)
					}
					resp, _ := raw[i]["response"].(map[string]any)
					if d, _ := resp["detail"].(string); d != "The service's storage is unavailable right now; nothing was changed. Retry later." {
						t.Errorf("operation %d detail %q", i, d)
					}
				}
				return
			}
			if r.Status != 503 || r.Header.Get("Retry-After") != "30" {
				t.Errorf("%d, Retry-After %q: want 503 and 30\n%.300s", r.Status, r.Header.Get("Retry-After"), r.Raw)
			}
			checkError(t, r, 503, "", "read-only", "readonly", "Read-only", "I/O", "disk", "SQLITE", "file system")
		})
	}
	if after := state(c); after != before {
		t.Errorf("failed writes changed what is served:\nbefore %.500s\nafter  %.500s", before, after)
	}
	if l := logs.String(); !strings.Contains(l, "read-only file system") && !strings.Contains(l, "disk I/O error") && !strings.Contains(l, "readonly") {
		t.Errorf("the log does not name the cause:\n%.2000s", l)
	}

	// Recovery as an operator would: stop, unmount, check, mount, start.
	if err := s.Close(); err != nil {
		t.Logf("closing on a read-only file system: %v", err)
	}
	fs.recover(t)
	old := c.Base
	c, _ = open(t)
	if after := state(c); after != strings.ReplaceAll(before, old, c.Base) {
		t.Errorf("after recovery the data differs:\nbefore %.500s\nafter  %.500s", before, after)
	}
	for _, w := range writes {
		r := c.Do(w.method, w.path, w.body)
		if r.Status/100 != 2 {
			t.Errorf("%s after recovery: %d %.300s", w.name, r.Status, r.Raw)
		}
		if w.name == "Bulk" {
			if got, _ := entries(t, r); !slices.Equal([]bulkEntry{{"POST", "n", "201", ""}, {"DELETE", "", "204", ""}}, got) {
				t.Errorf("Bulk after recovery: %v", got)
			}
		}
	}
	c.Must(404, "GET", "/Users/"+gone, "")
	checkIntegrity(t, path)
}

// loopExt4 is an ext4 file system on a loop-mounted image, mounted with
// errors=remount-ro.
type loopExt4 struct {
	img, dir string
}

// newLoopExt4 makes and mounts one, unmounted when t ends; it skips t
// where that is not possible (not root, no loop devices, no tools).
func newLoopExt4(t *testing.T) *loopExt4 {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a loop device needs root")
	}
	for _, cmd := range []string{"mkfs.ext4", "e2fsck", "mount", "umount", "findmnt"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Skipf("%s is not installed", cmd)
		}
	}
	base := t.TempDir()
	fs := &loopExt4{img: filepath.Join(base, "fs.img"), dir: filepath.Join(base, "mnt")}
	if err := os.Mkdir(fs.dir, 0o700); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(fs.img)
	if err == nil {
		err = f.Truncate(64 << 20)
		f.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	run(t, "mkfs.ext4", "-q", "-F", fs.img)
	if out, err := exec.Command("mount", "-o", "loop,errors=remount-ro", fs.img, fs.dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a loop device here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", fs.dir).Run() })
	return fs
}

// fail raises an ext4 error, after which the kernel has made the file
// system read-only, and checks that it has.
func (fs *loopExt4) fail(t *testing.T) {
	t.Helper()
	dev := strings.TrimSpace(run(t, "findmnt", "-no", "SOURCE", fs.dir))
	knob := filepath.Join("/sys/fs/ext4", filepath.Base(dev), "trigger_fs_error")
	if err := os.WriteFile(knob, []byte("scimkit read-only test\n"), 0); err != nil {
		t.Fatalf("raising an ext4 error: %v", err)
	}
	if opts := strings.Split(strings.TrimSpace(run(t, "findmnt", "-no", "OPTIONS", fs.dir)), ","); !slices.Contains(opts, "ro") && !slices.Contains(opts, "emergency_ro") {
		t.Fatalf("the file system is still writable: %v", opts)
	}
}

// recover unmounts, repairs and mounts the file system again.
func (fs *loopExt4) recover(t *testing.T) {
	t.Helper()
	run(t, "umount", fs.dir)
	// 1 is "errors corrected", expected after the error raised.
	if out, err := exec.Command("e2fsck", "-fy", fs.img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck: %v %s", err, out)
		}
	}
	run(t, "mount", "-o", "loop,errors=remount-ro", fs.img, fs.dir)
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v %s", name, args, err, out)
	}
	return string(out)
}
