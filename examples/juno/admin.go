package main

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/scimkit/scim"
)

//go:embed admin.html
var adminHTML string

var adminTemplates = template.Must(template.New("admin").Funcs(template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05")
	},
	"ms": func(d time.Duration) string {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
	},
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).Parse(adminHTML))

// Admin sessions last a working day; the password is hashed with
// PBKDF2-SHA256.
const (
	adminSessionTTL = 8 * time.Hour
	// logPageSize is the provisioning log's page on the admin page, and
	// historyPageSize on a user's page.
	logPageSize     = 50
	historyPageSize = 200
)

// passwordIter is PBKDF2's iteration count for new hashes (OWASP's
// advice for PBKDF2-HMAC-SHA256).
var passwordIter = 210_000

// hashPassword returns the stored form of password.
func hashPassword(password string) (string, error) {
	salt := make([]byte, 16)
	rand.Read(salt)
	k, err := pbkdf2.Key(sha256.New, password, salt, passwordIter, 32)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("pbkdf2-sha256$%d$%x$%x", passwordIter, salt, k), nil
}

// checkPassword reports whether password matches the stored hash.
func checkPassword(stored, password string) bool {
	parts := strings.Split(stored, "$")
	if len(parts) != 4 || parts[0] != "pbkdf2-sha256" {
		return false
	}
	iter, err1 := strconv.Atoi(parts[1])
	salt, err2 := hex.DecodeString(parts[2])
	want, err3 := hex.DecodeString(parts[3])
	if err1 != nil || err2 != nil || err3 != nil || iter < 1 || iter > 10_000_000 {
		return false
	}
	k, err := pbkdf2.Key(sha256.New, password, salt, iter, len(want))
	return err == nil && subtle.ConstantTimeCompare(k, want) == 1
}

// setAdminPassword creates or updates an admin login.
func setAdminPassword(ctx context.Context, db *sql.DB, login, password string) error {
	h, err := hashPassword(password)
	if err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `INSERT INTO admins (login, password_hash) VALUES (?, ?)
		ON CONFLICT (login) DO UPDATE SET password_hash = excluded.password_hash`, login, h)
	return err
}

func (a *app) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/login", a.adminLoginForm)
	mux.HandleFunc("POST /admin/login", a.adminLogin)
	mux.HandleFunc("POST /admin/logout", a.admin(a.adminLogout))
	mux.HandleFunc("GET /admin", a.admin(a.adminHome))
	mux.HandleFunc("GET /admin/customers/{customer}", a.admin(a.adminCustomer))
	mux.HandleFunc("POST /admin/customers/{customer}/tokens", a.admin(a.adminIssueToken))
	mux.HandleFunc("POST /admin/customers/{customer}/tokens/{id}/revoke", a.admin(a.adminRevokeToken))
	mux.HandleFunc("POST /admin/customers/{customer}/clients", a.admin(a.adminAddClient))
	mux.HandleFunc("POST /admin/customers/{customer}/clients/{id}/secrets", a.admin(a.adminAddClientSecret))
	mux.HandleFunc("POST /admin/customers/{customer}/clients/{id}/secrets/{secret}/revoke", a.admin(a.adminRevokeClientSecret))
	mux.HandleFunc("GET /admin/customers/{customer}/users/{id}", a.admin(a.adminUser))
}

// adminSession is a logged-in admin.
type adminSession struct {
	Login string
	CSRF  string
}

type adminHandler func(w http.ResponseWriter, r *http.Request, s adminSession)

// admin requires an admin session, and a matching CSRF token on every
// POST. Without a session, pages redirect to the login form.
func (a *app) admin(h adminHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var s adminSession
		id := a.cookie(r, adminCookie)
		err := a.db.QueryRowContext(r.Context(), `SELECT login, csrf FROM admin_sessions WHERE id_hash = ? AND expires_at > ?`,
			hashSecret(id), a.now().UnixNano()).Scan(&s.Login, &s.CSRF)
		if id == "" || errors.Is(err, sql.ErrNoRows) {
			if r.Method == http.MethodPost {
				http.Error(w, "not logged in", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			a.serverError(w, err)
			return
		}
		if r.Method == http.MethodPost && !sameToken(r.PostFormValue("csrf"), s.CSRF) {
			http.Error(w, "the form has expired: reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r, s)
	}
}

func sameToken(got, want string) bool {
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (a *app) render(w http.ResponseWriter, name string, status int, data any) {
	var b strings.Builder
	if err := adminTemplates.ExecuteTemplate(&b, name, data); err != nil {
		a.serverError(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(b.String()))
}

func (a *app) adminLoginForm(w http.ResponseWriter, r *http.Request) {
	a.loginPage(w, http.StatusOK, "")
}

// loginPage renders the login form with a fresh CSRF token, also set in a
// cookie: the POST must carry both (a login form cannot be forged from
// another site to log the victim in as the attacker).
func (a *app) loginPage(w http.ResponseWriter, status int, problem string) {
	tok := randomToken(16)
	a.setCookie(w, csrfCookie, tok, 30*time.Minute, http.SameSiteStrictMode)
	a.render(w, "login", status, map[string]string{"CSRF": tok, "Problem": problem})
}

func (a *app) adminLogin(w http.ResponseWriter, r *http.Request) {
	if !sameToken(r.PostFormValue("csrf"), a.cookie(r, csrfCookie)) {
		a.loginPage(w, http.StatusForbidden, "The form has expired. Please try again.")
		return
	}
	login, password := r.PostFormValue("login"), r.PostFormValue("password")
	var stored string
	err := a.db.QueryRowContext(r.Context(), `SELECT password_hash FROM admins WHERE login = ?`, login).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		a.serverError(w, err)
		return
	}
	if !checkPassword(stored, password) {
		a.loginPage(w, http.StatusUnauthorized, "Wrong login or password.")
		return
	}
	id := randomToken(32)
	if _, err := a.db.ExecContext(r.Context(), `INSERT INTO admin_sessions (id_hash, login, csrf, expires_at) VALUES (?,?,?,?)`,
		hashSecret(id), login, randomToken(16), a.now().Add(adminSessionTTL).UnixNano()); err != nil {
		a.serverError(w, err)
		return
	}
	a.setCookie(w, csrfCookie, "", -1, http.SameSiteStrictMode)
	a.setCookie(w, adminCookie, id, adminSessionTTL, http.SameSiteStrictMode)
	http.Redirect(w, r, "/admin", http.StatusSeeOther)
}

func (a *app) adminLogout(w http.ResponseWriter, r *http.Request, _ adminSession) {
	a.db.ExecContext(r.Context(), `DELETE FROM admin_sessions WHERE id_hash = ?`, hashSecret(a.cookie(r, adminCookie)))
	a.setCookie(w, adminCookie, "", -1, http.SameSiteStrictMode)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// customerRow is one customer on the admin home page.
type customerRow struct {
	ID, Name string
	Accounts int
}

func (a *app) adminHome(w http.ResponseWriter, r *http.Request, s adminSession) {
	rows, err := a.db.QueryContext(r.Context(), `SELECT c.id, c.name, (SELECT count(*) FROM accounts WHERE customer_id = c.id)
		FROM customers c ORDER BY c.name`)
	if err != nil {
		a.serverError(w, err)
		return
	}
	defer rows.Close()
	var cs []customerRow
	for rows.Next() {
		var c customerRow
		if err := rows.Scan(&c.ID, &c.Name, &c.Accounts); err != nil {
			a.serverError(w, err)
			return
		}
		cs = append(cs, c)
	}
	a.render(w, "home", http.StatusOK, map[string]any{"Session": s, "Customers": cs})
}

// logRow is a provisioning log record as the admin page shows it: the
// names of the resource and of the members it names, looked up now.
type logRow struct {
	scim.LogRecord
	ResourceName   string
	Added, Removed []named
}

type named struct{ ID, Name, Customer string }

// customerPage is the data of the customer template.
type customerPage struct {
	Session   adminSession
	Customer  customerRow
	TenantURL string
	Tokens    []scim.Token
	NewSecret string
	NewToken  scim.Token
	// The OAuth clients, the token endpoint's URL, and a client's new
	// secret (shown once).
	Clients         []clientView
	TokenURL        string
	TokenLifetime   time.Duration
	NewClientSecret string
	NewClientID     string
	NewSecretID     string
	Recent          []logRow
	Log             []logRow
	Filter          logFilter
	Next            string
	Ops             []string
	Now             time.Time
	HasFilters      bool
}

// logFilter is the log view's query string.
type logFilter struct {
	User, Op, Outcome, Cursor string
}

func (f logFilter) Query(cursor string) string {
	v := url.Values{}
	for k, s := range map[string]string{"user": f.User, "op": f.Op, "outcome": f.Outcome, "cursor": cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v.Encode()
}

var logOps = []string{"create", "replace", "patch", "delete", "get", "list", "search", "bulk", "discovery", "me"}

func (a *app) customer(ctx context.Context, id string) (customerRow, error) {
	c := customerRow{ID: id}
	err := a.db.QueryRowContext(ctx, `SELECT name, (SELECT count(*) FROM accounts WHERE customer_id = c.id) FROM customers c WHERE id = ?`, id).
		Scan(&c.Name, &c.Accounts)
	return c, err
}

// pathCustomer reads the customer the path names, answering 404 (and
// false) when there is none.
func (a *app) pathCustomer(w http.ResponseWriter, r *http.Request) (customerRow, bool) {
	c, err := a.customer(r.Context(), r.PathValue("customer"))
	if errors.Is(err, sql.ErrNoRows) {
		http.NotFound(w, r)
		return c, false
	}
	if err != nil {
		a.serverError(w, err)
		return c, false
	}
	return c, true
}

func (a *app) adminCustomer(w http.ResponseWriter, r *http.Request, s adminSession) {
	a.customerPage(w, r, s, customerPage{})
}

// customerPage renders a customer's page; p holds what is shown once (a
// new secret), the rest is read here.
func (a *app) customerPage(w http.ResponseWriter, r *http.Request, s adminSession, p customerPage) {
	ctx := r.Context()
	c, ok := a.pathCustomer(w, r)
	if !ok {
		return
	}
	p.Session, p.Customer, p.TenantURL, p.Ops, p.Now = s, c, a.base+"/scim/v2", logOps, a.now()
	p.TokenURL, p.TokenLifetime = a.base+tokenPath, a.tokenLifetime
	tokens, err := a.tokens.List(ctx, c.ID)
	if err == nil {
		p.Clients, err = a.clientViews(ctx, c.ID, tokens, p.Now)
	}
	if err != nil {
		a.serverError(w, err)
		return
	}
	// OAuth access tokens are shown with their client's secrets.
	p.Tokens = slices.DeleteFunc(tokens, isAccessToken)
	q := r.URL.Query()
	p.Filter = logFilter{User: q.Get("user"), Op: q.Get("op"), Outcome: q.Get("outcome"), Cursor: q.Get("cursor")}
	p.HasFilters = p.Filter != logFilter{}
	recent, err := a.log.QueryLog(ctx, scim.LogQuery{Tenant: c.ID, Count: 10})
	if err != nil {
		a.serverError(w, err)
		return
	}
	lq := scim.LogQuery{Tenant: c.ID, Count: logPageSize, Op: p.Filter.Op, Outcome: p.Filter.Outcome, Cursor: p.Filter.Cursor}
	if !slices.Contains(logOps, lq.Op) {
		lq.Op = ""
	}
	if lq.Outcome != "success" && lq.Outcome != "failure" {
		lq.Outcome = ""
	}
	var page scim.LogPage
	if p.Filter.User != "" {
		// A user is named by id or by userName. The user's records come
		// with the group records that added or removed them.
		lq.ResourceType, lq.ResourceID = "User", p.Filter.User
		var id string
		if err := a.db.QueryRowContext(ctx, `SELECT id FROM accounts WHERE customer_id = ? AND (id = ? OR login_key = ?)`,
			c.ID, p.Filter.User, scim.FoldUserName(p.Filter.User)).Scan(&id); err == nil {
			lq.ResourceID = id
		}
	}
	if page, err = a.log.QueryLog(ctx, lq); err != nil {
		a.logError(w, err)
		return
	}
	p.Next = page.Next
	if p.Recent, err = a.logRows(ctx, c.ID, recent.Records); err == nil {
		p.Log, err = a.logRows(ctx, c.ID, page.Records)
	}
	if err != nil {
		a.serverError(w, err)
		return
	}
	a.render(w, "customer", http.StatusOK, p)
}

// logRows names the resources and members of recs.
func (a *app) logRows(ctx context.Context, customer string, recs []scim.LogRecord) ([]logRow, error) {
	names := map[string]string{}
	lookup := func(id string) error {
		if id == "" {
			return nil
		}
		if _, ok := names[id]; ok {
			return nil
		}
		var n string
		err := a.db.QueryRowContext(ctx, `SELECT login FROM accounts WHERE customer_id = ?1 AND id = ?2
			UNION ALL SELECT name FROM teams WHERE customer_id = ?1 AND id = ?2`, customer, id).Scan(&n)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		names[id] = n
		return nil
	}
	out := make([]logRow, len(recs))
	for i, rec := range recs {
		row := logRow{LogRecord: rec}
		if err := lookup(rec.ResourceID); err != nil {
			return nil, err
		}
		row.ResourceName = names[rec.ResourceID]
		for _, m := range []struct {
			ids []string
			to  *[]named
		}{{rec.MembersAdded, &row.Added}, {rec.MembersRemoved, &row.Removed}} {
			for _, id := range m.ids {
				if err := lookup(id); err != nil {
					return nil, err
				}
				*m.to = append(*m.to, named{id, names[id], customer})
			}
		}
		out[i] = row
	}
	return out, nil
}

// formLabel is the form's label: a note for people, without control
// characters and cut to the 200 bytes scimkit allows.
func formLabel(r *http.Request) string {
	l := strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return -1
		}
		return c
	}, strings.ToValidUTF8(strings.TrimSpace(r.PostFormValue("label")), ""))
	for len(l) > 200 {
		_, n := utf8.DecodeLastRuneInString(l)
		l = l[:len(l)-n]
	}
	return l
}

// formExpiry is the form's expiry: days from now (1 to 3650), or zero
// for none.
func formExpiry(r *http.Request, now time.Time) time.Time {
	if days, err := strconv.Atoi(r.PostFormValue("days")); err == nil && days > 0 && days <= 3650 {
		return now.Add(time.Duration(days) * 24 * time.Hour)
	}
	return time.Time{}
}

// logError answers a failed log query: a cursor no page gave (a link
// edited by hand) is the request's fault.
func (a *app) logError(w http.ResponseWriter, err error) {
	if errors.Is(err, scim.ErrLogCursor) {
		http.Error(w, "this page link is not valid: go back to the newest records", http.StatusBadRequest)
		return
	}
	a.serverError(w, err)
}

func (a *app) adminIssueToken(w http.ResponseWriter, r *http.Request, s adminSession) {
	c, ok := a.pathCustomer(w, r)
	if !ok {
		return
	}
	t := scim.Token{Tenant: c.ID, Label: formLabel(r), Expires: formExpiry(r, a.now())}
	secret, tok, err := a.tokens.Issue(r.Context(), t)
	if err != nil {
		a.serverError(w, err)
		return
	}
	// Rendered, not redirected: the secret is shown once and never
	// travels in a URL.
	a.customerPage(w, r, s, customerPage{NewSecret: secret, NewToken: tok})
}

func (a *app) adminRevokeToken(w http.ResponseWriter, r *http.Request, _ adminSession) {
	customer := r.PathValue("customer")
	if err := a.tokens.Revoke(r.Context(), customer, r.PathValue("id")); err != nil && !errors.Is(err, scim.ErrNotFound) {
		a.serverError(w, err)
		return
	}
	http.Redirect(w, r, "/admin/customers/"+url.PathEscape(customer), http.StatusSeeOther)
}

// userPage is the data of the user template.
type userPage struct {
	Session  adminSession
	Customer customerRow
	User     *scim.User
	History  []logRow
	ID       string // the user's, also after a delete
	Next     string // the cursor of older history
}

func (a *app) adminUser(w http.ResponseWriter, r *http.Request, s adminSession) {
	ctx := r.Context()
	c, ok := a.pathCustomer(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	p := userPage{Session: s, Customer: c, ID: id}
	var err error
	p.User, err = a.store.GetUser(ctx, c.ID, id)
	if err != nil && !errors.Is(err, scim.ErrNotFound) {
		a.serverError(w, err)
		return
	}
	// The user's own records and the group records that added or removed
	// them, newest first: a query by ResourceID finds both. A group
	// record shows only this user among its members.
	pg, err := a.log.QueryLog(ctx, scim.LogQuery{Tenant: c.ID, ResourceID: id, Count: historyPageSize, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		a.logError(w, err)
		return
	}
	recs := pg.Records
	for i, rec := range recs {
		if rec.ResourceID != id {
			recs[i].MembersAdded = slices.DeleteFunc(slices.Clone(rec.MembersAdded), func(m string) bool { return m != id })
			recs[i].MembersRemoved = slices.DeleteFunc(slices.Clone(rec.MembersRemoved), func(m string) bool { return m != id })
			recs[i].MembersOmitted = 0
		}
	}
	p.Next = pg.Next
	if p.History, err = a.logRows(ctx, c.ID, recs); err != nil {
		a.serverError(w, err)
		return
	}
	if p.User == nil && len(p.History) == 0 {
		http.NotFound(w, r)
		return
	}
	a.render(w, "user", http.StatusOK, p)
}
