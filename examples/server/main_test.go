package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// runCmd runs the command line args to the end and returns its output.
func runCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(t.Context(), args, &out, &errb)
	return out.String(), errb.String(), err
}

var (
	secretLine = regexp.MustCompile(`(?m)^Secret Token: (scim_\S+)$`)
	idLine     = regexp.MustCompile(`(?m)^Token ID:\s+(\S+)$`)
)

// issueToken runs "token issue" and returns the secret and id it printed.
func issueToken(t *testing.T, db string, args ...string) (secret, id string) {
	t.Helper()
	out, errOut, err := runCmd(t, append([]string{"-db", db, "token", "issue"}, args...)...)
	if err != nil {
		t.Fatalf("token issue %v: %v\n%s", args, err, errOut)
	}
	s, i := secretLine.FindStringSubmatch(out), idLine.FindStringSubmatch(out)
	if s == nil || i == nil {
		t.Fatalf("token issue printed no secret or id:\n%s", out)
	}
	return s[1], i[1]
}

// serve runs the server on a free port until the test ends and returns
// its Tenant URL.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	return serveLines(t, args...)["Tenant URL"]
}

// serveLines runs the server on a free port until the test ends and
// returns the "Name: value" lines it printed on starting.
func serveLines(t *testing.T, args ...string) map[string]string {
	t.Helper()
	return serveLog(t, io.Discard, args...)
}

// serveLog is serveLines with the server's log written to stderr.
func serveLog(t *testing.T, stderr io.Writer, args ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, stderr)
		pw.CloseWithError(err)
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	lines := map[string]string{}
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "(Entra ID needs HTTPS") { // the last line
			go io.Copy(io.Discard, pr)
			if lines["Tenant URL"] == "" {
				t.Fatalf("the server printed no Tenant URL: %v", lines)
			}
			return lines
		}
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok {
			lines[k] = strings.TrimSpace(v)
		}
	}
	t.Fatalf("the server stopped before it was ready: %v", sc.Err())
	return nil
}

// users sends GET /Users with secret and returns the status and, on 200,
// totalResults.
func users(t *testing.T, base, secret string) (status, total int) {
	t.Helper()
	req, err := http.NewRequest("GET", base+"/Users", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct{ TotalResults int }
	if res.StatusCode == 200 {
		if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
	}
	return res.StatusCode, body.TotalResults
}

func createUser(t *testing.T, base, secret, userName string) {
	t.Helper()
	req, err := http.NewRequest("POST", base+"/Users", strings.NewReader(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"`+userName+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/scim+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("POST /Users: %d", res.StatusCode)
	}
}

// TestTokenCommands issues, lists and revokes tokens in a SQLite file,
// then serves from it: issued tokens work for their tenants beside
// -token, revoked ones do not, and the list shows each token's use.
func TestTokenCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	acme, acmeID := issueToken(t, db, "-tenant", "acme", "-label", "Entra ID", "-expires", "720h")
	old, oldID := issueToken(t, db, "-tenant", "acme", "-label", "old")
	out, _, err := runCmd(t, "token", "issue", "-db", db, "-tenant", "globex") // -db after the command
	if err != nil || secretLine.FindStringSubmatch(out) == nil {
		t.Fatalf("token issue -db after the command: %v\n%s", err, out)
	}
	globex := secretLine.FindStringSubmatch(out)[1]

	out, errOut, err := runCmd(t, "-db", db, "token", "revoke", "-tenant", "acme", "-id", oldID)
	if err != nil || !strings.Contains(out, "Revoked token "+oldID) {
		t.Fatalf("token revoke: %v\n%s%s", err, out, errOut)
	}

	base := serve(t, "-db", db, "-token", "static-trial-token")
	for _, tc := range []struct {
		name   string
		secret string
		status int
	}{
		{"issued token", acme, 200},
		{"other tenant's issued token", globex, 200},
		{"-token", "static-trial-token", 200},
		{"revoked token", old, 401},
		{"made-up token", "scim_made_up", 401},
	} {
		if got, _ := users(t, base, tc.secret); got != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.status)
		}
	}
	// Each token acts for its own tenant; -token for "default".
	createUser(t, base, acme, "ada@acme.example")
	for _, tc := range []struct {
		secret string
		want   int
	}{{acme, 1}, {globex, 0}, {"static-trial-token", 0}} {
		if _, n := users(t, base, tc.secret); n != tc.want {
			t.Errorf("users seen with %.12s...: %d, want %d", tc.secret, n, tc.want)
		}
	}

	out, errOut, err = runCmd(t, "-db", db, "token", "list", "-tenant", "acme")
	if err != nil {
		t.Fatalf("token list: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") {
		t.Fatalf("token list printed:\n%s", out)
	}
	for _, tc := range []struct {
		line   string
		id     string
		fields []string // label, and what LAST USED and REVOKED show
	}{
		{lines[1], acmeID, []string{"Entra ID", "used", "-"}},
		{lines[2], oldID, []string{"old", "never", "revoked"}},
	} {
		f := strings.Fields(tc.line)
		if len(f) < 6 || f[0] != tc.id {
			t.Errorf("list line %q, want token %s", tc.line, tc.id)
			continue
		}
		if !strings.Contains(tc.line, tc.fields[0]) {
			t.Errorf("list line %q lacks the label %q", tc.line, tc.fields[0])
		}
		lastUsed, revoked := f[len(f)-2], f[len(f)-1]
		if (tc.fields[1] == "never") != (lastUsed == "never") || (tc.fields[2] == "-") != (revoked == "-") {
			t.Errorf("list line %q: last used %q, revoked %q; want %s, %s", tc.line, lastUsed, revoked, tc.fields[1], tc.fields[2])
		}
	}
	for _, secret := range []string{acme, old, globex} {
		if strings.Contains(out, secret) {
			t.Errorf("token list shows a secret:\n%s", out)
		}
	}
}

// TestTokenCommandErrors checks that misuse is explained and changes
// nothing.
func TestTokenCommandErrors(t *testing.T) {
	db := filepath.Join(t.TempDir(), "scim.db")
	_, id := issueToken(t, db, "-tenant", "acme")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-memory", "token", "issue", "-tenant", "acme"}, "need a database"},
		{[]string{"-memory", "token", "list", "-tenant", "acme"}, "need a database"},
		{[]string{"-db", db, "token", "issue"}, "needs -tenant"},
		{[]string{"-db", db, "token", "issue", "-tenant", "acme", "-expires", "-1h"}, "-expires must be a positive"},
		{[]string{"-db", db, "token", "issue", "-tenant", "acme", "-label", "a\tb"}, "control characters"},
		{[]string{"-db", db, "token", "revoke", "-tenant", "acme"}, "needs -id"},
		{[]string{"-db", db, "token", "revoke", "-tenant", "globex", "-id", id}, "has no token"},
		{[]string{"-db", db, "token", "revoke", "-tenant", "acme", "-id", "tok_nope"}, "has no token"},
		{[]string{"-db", db, "token", "rotate", "-tenant", "acme"}, "unknown token command"},
		{[]string{"-db", db, "token"}, "needs a command"},
		{[]string{"-db", db, "tokens"}, "unknown command"},
	} {
		if _, _, err := runCmd(t, tc.args...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error about %q", tc.args, err, tc.want)
		}
	}
	out, _, err := runCmd(t, "-db", db, "token", "list", "-tenant", "acme")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if err != nil || len(lines) != 2 || !strings.HasSuffix(lines[1], " -") {
		t.Errorf("after the refused commands, token list (want one token, not revoked):\n%s (%v)", out, err)
	}
}

// TestBaseURLFlag checks the URLs in a created user's meta.location:
// -base-url when given, else the address the server listens on, whatever
// Host and X-Forwarded-* headers the client sends.
func TestBaseURLFlag(t *testing.T) {
	for _, tc := range []struct {
		name    string
		baseURL string
	}{
		{"no -base-url", ""},
		{"-base-url", "https://scim.example.com/scim/v2"},
		{"-base-url with a slash", "https://scim.example.com/scim/v2/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"-memory", "-token", "tok"}
			if tc.baseURL != "" {
				args = append(args, "-base-url", tc.baseURL)
			}
			lines := serveLines(t, args...)
			printed, addr := lines["Tenant URL"], cmp.Or(lines["Listening"], lines["Tenant URL"])
			want := strings.TrimSuffix(cmp.Or(tc.baseURL, addr), "/")
			if printed != want {
				t.Errorf("Tenant URL %q, want %q", printed, want)
			}
			req, err := http.NewRequest("POST", addr+"/Users", strings.NewReader(`{"userName":"ada@example.com"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "evil.example"
			req.Header.Set("X-Forwarded-Host", "evil.example")
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("Authorization", "Bearer tok")
			req.Header.Set("Content-Type", "application/scim+json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var u struct {
				ID   string
				Meta struct{ Location string }
			}
			if err := json.NewDecoder(res.Body).Decode(&u); err != nil || res.StatusCode != 201 {
				t.Fatalf("POST /Users: %d %v", res.StatusCode, err)
			}
			for name, got := range map[string]string{"Location": res.Header.Get("Location"), "meta.location": u.Meta.Location} {
				if got != want+"/Users/"+u.ID {
					t.Errorf("%s = %q, want %q", name, got, want+"/Users/"+u.ID)
				}
			}
		})
	}
}
