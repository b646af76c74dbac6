package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/scimkit/scim/scimtest"
)

// chromium returns the path of a Chromium or Chrome, or "" when there is
// none.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the admin page in headless Chromium: log in, issue a
// token, let the simulator's Entra ID cycles run with it (the initial
// cycle and an incremental one, then the same seed with a second
// incremental cycle after every active person has signed in), and read
// the provisioning log: the created users, the deactivation on the
// deactivated person's page, a group's members added and removed; and
// sees that person's /api/me answer 401. Without Chromium it skips,
// unless SCIMKIT_REQUIRE_CHROMIUM is set (as .ci/run sets it). The
// screenshot goes to $JUNO_SCREENSHOT_DIR, else to the test's temporary
// directory.
func TestBrowser(t *testing.T) {
	exe := chromium()
	if exe == "" {
		if os.Getenv("SCIMKIT_REQUIRE_CHROMIUM") != "" {
			t.Fatal("Chromium is not installed (apt-get install chromium), and SCIMKIT_REQUIRE_CHROMIUM is set")
		}
		t.Skip("Chromium is not installed (apt-get install chromium): the browser test does not run")
	}
	ta := startApp(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000))
	actx, cancel := chromedp.NewExecAllocator(t.Context(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	text := func(what string, a chromedp.Action[string]) string {
		t.Helper()
		s, err := chromedp.Run(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return s
	}
	// apiMe opens /api/me and returns its status and text.
	apiMe := func() (int64, string) {
		t.Helper()
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(ta.srv.URL+"/api/me"))
		if err != nil {
			t.Fatalf("/api/me: %v", err)
		}
		return resp.Status, text("/api/me", chromedp.Text(chromedp.CSS("body")))
	}

	do("log in and issue a token",
		chromedp.Navigate(ta.srv.URL+"/admin"),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "correct horse"),
		chromedp.Click(chromedp.ID("submit")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/admin/customers/demo"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/admin/customers/demo"]`)),
		chromedp.WaitVisible(chromedp.ID("token-label")),
		chromedp.SendKeys(chromedp.ID("token-label"), "Entra ID (browser test)"),
		chromedp.Click(chromedp.ID("issue")),
		chromedp.WaitVisible(chromedp.ID("new-secret")),
	)
	secret := strings.TrimSpace(text("the new secret", chromedp.Text(chromedp.ID("new-secret"))))
	if !strings.HasPrefix(secret, "scim_") {
		t.Fatalf("the page shows %q as the new secret", secret)
	}

	// Entra ID provisions with that token: the simulator's initial cycle
	// and one incremental cycle.
	tg := scimtest.Target{URL: ta.srv.URL + "/scim/v2", Token: secret}
	size := scimtest.CycleOptions{Users: 10, Groups: 2, Members: 4, Seed: 5}
	scimtest.RunCycle(t, tg, scimtest.EntraLegacy, size)
	if t.Failed() {
		t.FailNow()
	}

	// Every active person signs in. Then the directory changes again: the
	// same seed, whose initial cycle brings juno back to where its cycles
	// start, with a second incremental cycle that deactivates one of them
	// and changes a group's members.
	sessions := map[string]*http.Cookie{}
	for _, id := range ta.accountIDs(t, "active") {
		c := ta.session(t, id)
		if s, me := ta.get(t, nil, "/api/me", c); s != http.StatusOK || !strings.Contains(me, id) {
			t.Fatalf("/api/me of %s before the cycle: %d %s", id, s, me)
		}
		sessions[id] = c
	}
	size.Cycles = 2
	scimtest.RunCycle(t, tg, scimtest.EntraLegacy, size)
	var gone string // signed in, then deactivated by the cycle
	for _, id := range ta.accountIDs(t, "deactivated") {
		if sessions[id] != nil {
			gone = id
			break
		}
	}
	if gone == "" {
		t.Fatal("the second cycle deactivated nobody who had signed in")
	}

	// The deactivated person's browser session ends.
	c := sessions[gone]
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: ta.srv.URL}); err != nil {
		t.Fatal(err)
	}
	if status, me := apiMe(); status != http.StatusUnauthorized || !strings.Contains(me, "not logged in") {
		t.Errorf("/api/me of %s after the deactivation: %d %s, want 401", gone, status, me)
	}

	// Each of wants must match one record (or the text before the first).
	ta.logFlushed(t)
	page := func(what, path, sel string, wants ...string) string {
		t.Helper()
		do("load "+what, chromedp.Navigate(ta.srv.URL+path))
		html := text(what, chromedp.OuterHTML(chromedp.CSS(sel)))
		rows := strings.Split(html, `<tr class="record">`)
		for _, w := range wants {
			if !slices.ContainsFunc(rows, regexp.MustCompile(w).MatchString) {
				t.Errorf("%s in the browser lacks %q", what, w)
			}
		}
		return html
	}
	created := page("the log of creates", "/admin/customers/demo?op=create&outcome=success", "#provisioning-log")
	// Each names the user it created (by id, linking to the user's page)
	// and the attributes it set.
	userLink := regexp.MustCompile(`<td>User <a href="/admin/customers/demo/users/[0-9a-f-]{36}">[^<]+</a></td>`)
	setUserName := regexp.MustCompile(`<td>[^<]*\buserName\b[^<]*</td>`)
	n := 0
	for _, row := range strings.Split(created, `<tr class="record">`)[1:] {
		if userLink.MatchString(row) && setUserName.MatchString(row) {
			n++
		}
	}
	if n < size.Users {
		t.Errorf("the log shows %d users created, want at least %d", n, size.Users)
	}
	// The deactivated person's page: inactive, and the PATCH that changed
	// active.
	page("the deactivated person's history", "/admin/customers/demo/users/"+gone, "body",
		`id="active">false<`, `(?s)<td>patch .*<td>[^<]*\bactive\b[^<]*</td>`)
	// A group's members changed: the newest group PATCHes name them.
	page("the log of group changes", "/admin/customers/demo?op=patch&outcome=success", "#provisioning-log",
		`(?s)<td>Group .*class="added">\+ <a `, `(?s)<td>Group .*class="removed">− <a `)

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("JUNO_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, "juno-admin.png")
	if err := os.WriteFile(path, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// accountIDs returns the ids of the demo customer's accounts in status.
func (ta *testApp) accountIDs(t *testing.T, status string) []string {
	t.Helper()
	var ids []string
	if err := queryStrings(t.Context(), ta.db, &ids, `SELECT id FROM accounts WHERE customer_id = ? AND status = ? ORDER BY seq`, demoCustomer, status); err != nil {
		t.Fatal(err)
	}
	return ids
}
