package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
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
// token, let an identity provider's cycle run with it, reload, and read
// the provisioning log; and sees the deactivated person's /api/me answer
// 401. Without Chromium it skips, unless SCIMKIT_REQUIRE_CHROMIUM is set
// (as .ci/run sets it). The screenshot goes to $JUNO_SCREENSHOT_DIR, else
// to the test's temporary directory.
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

	// Bob signs in before his deactivation; his session cookie goes to the
	// browser.
	ids := ta.entraCycleThen(t, secret, func(ids cycleIDs) {
		c := ta.session(t, ids.bob)
		if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: c.Name, Value: c.Value, URL: ta.srv.URL}); err != nil {
			t.Fatal(err)
		}
		if status, me := apiMe(); status != http.StatusOK || !strings.Contains(me, "bob@contoso.com") {
			t.Fatalf("bob's /api/me before his deactivation: %d %s", status, me)
		}
	})
	if status, me := apiMe(); status != http.StatusUnauthorized || !strings.Contains(me, "not logged in") {
		t.Errorf("bob's /api/me after his deactivation: %d %s, want 401", status, me)
	}

	// The log gets a group change's members from its events, delivered
	// after the responses; reload until they are in.
	wants := []string{"alice@contoso.com", "bob@contoso.com", "carol@contoso.com", "Sales", `class="removed"`, `class="added"`, "active"}
	var log string
	var missing []string
	for end := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		do("reload the admin page", chromedp.Navigate(ta.srv.URL+"/admin/customers/demo"))
		log = text("the provisioning log", chromedp.OuterHTML(chromedp.ID("provisioning-log")))
		missing = slices.DeleteFunc(slices.Clone(wants), func(w string) bool { return strings.Contains(log, w) })
		if len(missing) == 0 || time.Now().After(end) {
			break
		}
	}
	if len(missing) > 0 {
		t.Errorf("the provisioning log in the browser lacks %q", missing)
	}
	var creates, deactivation int
	for _, row := range strings.Split(log, `<tr class="record">`)[1:] {
		if strings.Contains(row, "create") && strings.Contains(row, "User") {
			creates++
		}
		if strings.Contains(row, "patch") && strings.Contains(row, ids.bob) && strings.Contains(row, "active") {
			deactivation++
		}
	}
	if creates != 3 || deactivation != 1 {
		t.Errorf("the log shows %d user creates and %d deactivations of bob, want 3 and 1", creates, deactivation)
	}

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
