package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scimkit/scim"
)

// testApp is Juno on a test server.
type testApp struct {
	*app
	srv   *httptest.Server
	token string // a Secret Token for the demo customer
}

func startApp(t *testing.T) *testApp { return startAppWith(t, appConfig{}) }

// startAppWith is startApp with the options cfg sets, on a test
// database and server of its own.
func startAppWith(t *testing.T, cfg appConfig) *testApp {
	t.Helper()
	db := testDB(t)
	srv := httptest.NewUnstartedServer(nil)
	cfg.DB, cfg.BaseURL, cfg.Logger = db, "http://"+srv.Listener.Addr().String(), slog.New(slog.DiscardHandler)
	a, err := newApp(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv.Config.Handler = a.routes()
	srv.Start()
	t.Cleanup(srv.Close)
	var out bytes.Buffer
	if err := a.welcome(t.Context(), &out); err != nil {
		t.Fatal(err)
	}
	ta := &testApp{app: a, srv: srv}
	ta.token = regexp.MustCompile(`Secret Token: (scim_\S+)`).FindStringSubmatch(out.String())[1]
	if err := setAdminPassword(t.Context(), db, "admin", "correct horse"); err != nil {
		t.Fatal(err)
	}
	return ta
}

// scim sends a SCIM request with token and decodes the answer into out
// (when not nil); it returns the status.
func (ta *testApp) scim(t *testing.T, token, method, path string, body any, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, ta.srv.URL+"/scim/v2"+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("User-Agent", "Azure-AD-SCIM-Provisioning (juno test)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// entraUser is a user as Entra ID creates it with the Juno Journey mapping.
func entraUser(userName, displayName, oid string) map[string]any {
	given, _, _ := strings.Cut(displayName, " ")
	return map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:User",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", junoURN},
		"externalId": oid, "userName": userName, "active": true, "displayName": displayName,
		"title": "Learner", "preferredLanguage": "en-GB",
		"emails": []any{map[string]any{"primary": true, "type": "work", "value": userName}},
		"name":   map[string]any{"givenName": given, "familyName": "Tester", "formatted": displayName},
		"addresses": []any{map[string]any{"type": "work", "country": "GB", "locality": "London", "postalCode": "N1 9GU",
			"streetAddress": "1 Way", "region": "England", "formatted": "1 Way, London"}},
		"phoneNumbers": []any{map[string]any{"type": "mobile", "value": "+44 7700 900000"}},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": map[string]any{
			"department": "Sales", "employeeNumber": "E-" + oid[:4], "costCenter": "CC1", "division": "EMEA", "organization": "Contoso"},
		junoURN: map[string]any{"learnerLevel": "beginner", "employeeId": "HR-" + oid[:4]},
	}
}

// cycleIDs are what entraCycle created.
type cycleIDs struct{ alice, bob, carol, sales string }

// entraCycle drives the requests Entra ID sends in a provisioning cycle:
// lookups, creates, a group with members, a member removal and addition,
// and bob's deactivation.
func (ta *testApp) entraCycle(t *testing.T, token string) cycleIDs {
	return ta.entraCycleThen(t, token, nil)
}

// entraCycleThen is entraCycle, calling beforeDeactivation (when not nil)
// before bob's deactivation.
func (ta *testApp) entraCycleThen(t *testing.T, token string, beforeDeactivation func(cycleIDs)) cycleIDs {
	t.Helper()
	var ids cycleIDs
	for _, u := range []struct {
		id                 *string
		name, display, oid string
	}{{&ids.alice, "alice@contoso.com", "Alice Archer", "a1a1a1a1-0000"}, {&ids.bob, "bob@contoso.com", "Bob Baker", "b2b2b2b2-0000"},
		{&ids.carol, "carol@contoso.com", "Carol Cook", "c3c3c3c3-0000"}} {
		var list struct{ TotalResults int }
		if s := ta.scim(t, token, "GET", "/Users?filter="+url.QueryEscape(`userName eq "`+u.name+`"`), nil, &list); s != 200 || list.TotalResults != 0 {
			t.Fatalf("lookup %s: %d, %d results", u.name, s, list.TotalResults)
		}
		var created struct{ ID string }
		if s := ta.scim(t, token, "POST", "/Users", entraUser(u.name, u.display, u.oid), &created); s != 201 {
			t.Fatalf("create %s: %d", u.name, s)
		}
		*u.id = created.ID
	}
	var g struct{ ID string }
	if s := ta.scim(t, token, "POST", "/Groups", map[string]any{
		"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Sales", "externalId": "g-sales",
		"members": []any{map[string]any{"value": ids.alice}, map[string]any{"value": ids.bob}},
	}, &g); s != 201 {
		t.Fatalf("create group: %d", s)
	}
	ids.sales = g.ID
	patch := func(path string, ops ...map[string]any) {
		t.Helper()
		if s := ta.scim(t, token, "PATCH", path, map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops}, nil); s != 200 && s != 204 {
			t.Fatalf("PATCH %s: %d", path, s)
		}
	}
	patch("/Groups/"+ids.sales, map[string]any{"op": "Remove", "path": "members", "value": []any{map[string]any{"value": ids.bob}}})
	patch("/Groups/"+ids.sales, map[string]any{"op": "Add", "path": "members", "value": []any{map[string]any{"value": ids.carol}}})
	if beforeDeactivation != nil {
		beforeDeactivation(ids)
	}
	patch("/Users/"+ids.bob, map[string]any{"op": "Replace", "path": "active", "value": "False"})
	return ids
}

// session logs the account in as SSO would and returns its cookie.
func (ta *testApp) session(t *testing.T, accountID string) *http.Cookie {
	t.Helper()
	w := httptest.NewRecorder()
	if err := ta.startSession(t.Context(), w, accountID); err != nil {
		t.Fatal(err)
	}
	return w.Result().Cookies()[0]
}

// get fetches path with cookie and returns the status and body.
func (ta *testApp) get(t *testing.T, c *http.Client, path string, cookie *http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ta.srv.URL+path, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sessionsOf counts the account's session rows.
func (ta *testApp) sessionsOf(t *testing.T, id string) int {
	var n int
	if err := ta.db.QueryRowContext(t.Context(), `SELECT count(*) FROM sessions WHERE account_id = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// logFlushed waits until the provisioning log has written every record
// of the requests answered so far: it writes in the background.
func (ta *testApp) logFlushed(t *testing.T) {
	t.Helper()
	if err := ta.oplog.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := ta.oplog.Stats(); st.Dropped+st.Failed > 0 {
		t.Fatalf("the provisioning log lost records: %+v", st)
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}

func TestDeactivationEndsSessions(t *testing.T) {
	ta := startApp(t)
	// A first lookup creates nothing, so create the people first, log
	// them in, then run the rest of the cycle.
	ids := ta.entraCycle(t, ta.token)
	var bob map[string]any
	ta.scim(t, ta.token, "PATCH", "/Users/"+ids.bob, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": true}}}, &bob)
	aliceC, bobC, carolC := ta.session(t, ids.alice), ta.session(t, ids.bob), ta.session(t, ids.carol)
	if s, body := ta.get(t, nil, "/api/me", bobC); s != 200 || !strings.Contains(body, "bob@contoso.com") {
		t.Fatalf("/api/me for bob before: %d %s", s, body)
	}

	ta.scim(t, ta.token, "PATCH", "/Users/"+ids.bob, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Replace", "path": "active", "value": "False"}}}, nil)
	if s, _ := ta.get(t, nil, "/api/me", bobC); s != 401 {
		t.Errorf("/api/me for deactivated bob: %d, want 401", s)
	}
	eventually(t, "the deactivation event ends bob's sessions", func() bool { return ta.sessionsOf(t, ids.bob) == 0 })

	if s := ta.scim(t, ta.token, "DELETE", "/Users/"+ids.carol, nil, nil); s != 204 {
		t.Fatalf("delete carol: %d", s)
	}
	if s, _ := ta.get(t, nil, "/api/me", carolC); s != 401 {
		t.Errorf("/api/me for deleted carol: %d, want 401", s)
	}

	s, body := ta.get(t, nil, "/api/me", aliceC)
	var m me
	json.Unmarshal([]byte(body), &m)
	want := me{ID: ids.alice, Customer: demoCustomer, Login: "alice@contoso.com", Name: "Alice Archer", Email: "alice@contoso.com",
		JobTitle: "Learner", LearnerLevel: "beginner", Teams: []string{"Sales"}}
	if s != 200 || !cmp.Equal(want, m) {
		t.Errorf("/api/me for alice: %d %s", s, cmp.Diff(want, m))
	}
	if s, body := ta.get(t, nil, "/api/courses", aliceC); s != 200 || !strings.Contains(body, "Welcome to Juno") {
		t.Errorf("/api/courses: %d %s", s, body)
	}
	if s, _ := ta.get(t, nil, "/api/me", nil); s != 401 {
		t.Errorf("/api/me without a session: %d", s)
	}
}

// TestMapping checks that the Juno Journey mapping lands in Juno's own
// columns, and the learner extension in its own.
func TestMapping(t *testing.T) {
	ta := startApp(t)
	var u struct{ ID string }
	ta.scim(t, ta.token, "POST", "/Users", entraUser("dora@contoso.com", "Dora Diaz", "d4d4d4d4-0000"), &u)
	var got [9]string
	err := ta.db.QueryRowContext(t.Context(), `SELECT login, full_name, job_title, directory_id, department, status, learner_level, hr_employee_id,
		(SELECT value FROM account_contacts WHERE account_id = a.id AND kind = 'email') FROM accounts a WHERE id = ?`, u.ID).
		Scan(&got[0], &got[1], &got[2], &got[3], &got[4], &got[5], &got[6], &got[7], &got[8])
	if err != nil {
		t.Fatal(err)
	}
	want := [9]string{"dora@contoso.com", "Dora Diaz", "Learner", "d4d4d4d4-0000", "Sales", "active", "beginner", "HR-d4d4", "dora@contoso.com"}
	if got != want {
		t.Errorf("columns = %q, want %q", got, want)
	}
	// Read back through SCIM exactly as written.
	var doc map[string]any
	ta.scim(t, ta.token, "GET", "/Users/"+u.ID, nil, &doc)
	in := entraUser("dora@contoso.com", "Dora Diaz", "d4d4d4d4-0000")
	for _, k := range []string{"userName", "externalId", "displayName", "title", "preferredLanguage", "emails", "name", "addresses", "phoneNumbers",
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", junoURN} {
		w, _ := json.Marshal(in[k])
		g, _ := json.Marshal(doc[k])
		var wv, gv any
		json.Unmarshal(w, &wv)
		json.Unmarshal(g, &gv)
		if d := cmp.Diff(wv, gv); d != "" {
			t.Errorf("%s (-sent +read):\n%s", k, d)
		}
	}
}

// tenants: one customer's token sees none of another's accounts.
func TestTenantIsolation(t *testing.T) {
	ta := startApp(t)
	other, _, err := ta.tokens.Issue(t.Context(), scim.Token{Tenant: "fabrikam"})
	if err != nil {
		t.Fatal(err)
	}
	var u struct{ ID string }
	ta.scim(t, ta.token, "POST", "/Users", entraUser("erin@contoso.com", "Erin Ek", "e5e5e5e5-0000"), &u)
	if s := ta.scim(t, other, "GET", "/Users/"+u.ID, nil, nil); s != 404 {
		t.Errorf("another customer's user: %d, want 404", s)
	}
	if s := ta.scim(t, other, "POST", "/Users", entraUser("erin@contoso.com", "Erin Ek", "e5e5e5e5-0000"), nil); s != 201 {
		t.Errorf("the same userName in another customer: %d, want 201", s)
	}
}

// adminClient logs in to the admin page and returns a client with its
// cookies.
func (ta *testApp) adminClient(t *testing.T, password string) (*http.Client, int) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	_, body := ta.get(t, c, "/admin/login", nil)
	csrf := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)[1]
	resp, err := c.PostForm(ta.srv.URL+"/admin/login", url.Values{"csrf": {csrf}, "login": {"admin"}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return c, resp.StatusCode
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in the page")
	}
	return m[1]
}

func TestAdminLogin(t *testing.T) {
	ta := startApp(t)
	if _, s := ta.adminClient(t, "wrong"); s != 401 {
		t.Errorf("wrong password: %d, want 401", s)
	}
	// A login without the form's CSRF cookie is refused.
	resp, err := http.PostForm(ta.srv.URL+"/admin/login", url.Values{"csrf": {"00"}, "login": {"admin"}, "password": {"correct horse"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("login without CSRF cookie: %d, want 403", resp.StatusCode)
	}
	// Pages redirect to the login form without a session.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if s, _ := ta.get(t, noRedirect, "/admin/customers/demo", nil); s != http.StatusSeeOther {
		t.Errorf("admin page without login: %d, want 303", s)
	}
	c, s := ta.adminClient(t, "correct horse")
	if s != 200 {
		t.Fatalf("login: %d", s)
	}
	// A POST without the session's CSRF token is refused.
	resp, err = c.PostForm(ta.srv.URL+"/admin/customers/demo/tokens", url.Values{"label": {"x"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("issuing a token without CSRF: %d, want 403", resp.StatusCode)
	}
	u, _ := url.Parse(ta.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == adminCookie && ck.Value == "" {
			t.Errorf("no admin cookie")
		}
	}
}

func TestAdminTokensAndLog(t *testing.T) {
	ta := startApp(t)
	c, _ := ta.adminClient(t, "correct horse")
	_, page := ta.get(t, c, "/admin/customers/demo", nil)
	resp, err := c.PostForm(ta.srv.URL+"/admin/customers/demo/tokens", url.Values{"csrf": {csrfOf(t, page)}, "label": {"Entra ID"}, "days": {"30"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	secret := regexp.MustCompile(`id="new-secret">(scim_[^<]+)<`).FindStringSubmatch(string(b))
	if resp.StatusCode != 200 || secret == nil {
		t.Fatalf("issue: %d, no secret shown", resp.StatusCode)
	}
	if _, again := ta.get(t, c, "/admin/customers/demo", nil); strings.Contains(again, secret[1]) {
		t.Errorf("the secret is shown again on reload")
	}

	// The identity provider uses it; one display name is hostile.
	ids := ta.entraCycle(t, secret[1])
	ta.scim(t, secret[1], "POST", "/Users", entraUser("mallory@contoso.com", `<script>alert("x")</script>`, "f6f6f6f6-0000"), nil)
	ta.scim(t, secret[1], "POST", "/Users", entraUser("alice@contoso.com", "Alice again", "a1a1a1a1-0000"), nil) // 409
	ta.scim(t, secret[1], "PATCH", "/Groups/"+ids.sales, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"},
		"Operations": []any{map[string]any{"op": "Replace", "path": "displayName", "value": `<img src=x onerror=alert(1)>`}}}, nil)
	ta.logFlushed(t)

	_, page = ta.get(t, c, "/admin/customers/demo", nil)
	for _, want := range []string{"bob@contoso.com", "uniqueness", "failure", "Azure-AD-SCIM-Provisioning", "active", "&lt;img"} {
		if !strings.Contains(page, want) {
			t.Errorf("the log page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script>alert", "<img src=x"} {
		if strings.Contains(page, bad) {
			t.Errorf("the log page holds %q unescaped", bad)
		}
	}
	if !regexp.MustCompile(`(?s)class="token">.*Entra ID.*active.*Revoke`).MatchString(page) {
		t.Errorf("the token list does not show the active token")
	}

	// Filters: operation, outcome, user.
	cl := c
	for _, c := range []struct {
		query string
		want  int
	}{
		{"op=create&outcome=failure", 1},
		{"op=create", 6},                     // alice, bob, carol, Sales, mallory, alice again
		{"user=bob@contoso.com", 4},          // create, Sales created with him, removed from it, deactivation
		{"user=" + ids.bob + "&op=patch", 2}, // removed from Sales, deactivation
		{"op=nonsense&outcome=success", 12},  // an unknown op is no filter: all but the 409
	} {
		_, f := ta.get(t, cl, "/admin/customers/demo?"+c.query, nil)
		logPart := f[strings.Index(f, `id="provisioning-log"`):]
		if n := strings.Count(logPart, `class="record"`); n != c.want {
			t.Errorf("%s: %d records, want %d", c.query, n, c.want)
		}
	}
	_, mp := ta.get(t, c, "/admin/customers/demo?user=mallory@contoso.com", nil)
	mallory := regexp.MustCompile(`/admin/customers/demo/users/([0-9a-f-]+)`).FindStringSubmatch(mp[strings.Index(mp, `id="provisioning-log"`):])
	if mallory == nil {
		t.Fatalf("no link to mallory's page")
	}
	_, mp = ta.get(t, c, mallory[0], nil)
	if !strings.Contains(mp, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") || strings.Contains(mp, "<script>") {
		t.Errorf("mallory's display name is not escaped on her page")
	}

	// Bob's page: why was he removed from Sales?
	_, up := ta.get(t, c, "/admin/customers/demo/users/"+ids.bob, nil)
	if !regexp.MustCompile(`(?s)patch.*Group &lt;img src=x onerror=alert\(1\)&gt;.*class="removed">− <a [^>]*>bob@contoso.com`).MatchString(up) {
		t.Errorf("bob's history does not show his removal from the group:\n%s", up)
	}
	if !strings.Contains(up, `id="active">false`) {
		t.Errorf("bob's page does not show him deactivated")
	}

	// Revoke: the token stops working.
	tok := regexp.MustCompile(`action="/admin/customers/demo/tokens/([^/]+)/revoke"`).FindAllStringSubmatch(page, -1)
	for _, m := range tok {
		resp, err := c.PostForm(ta.srv.URL+"/admin/customers/demo/tokens/"+m[1]+"/revoke", url.Values{"csrf": {csrfOf(t, page)}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if s := ta.scim(t, secret[1], "GET", "/Users", nil, nil); s != 401 {
		t.Errorf("a revoked token: %d, want 401", s)
	}
}
