package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimkit/scim"
	"github.com/scimkit/scim/schema"
	"github.com/scimkit/scim/store/sqlstore"
)

// learnerSchema is Juno's User extension. Its attributes live in accounts
// columns (learnerColumns).
var learnerSchema = &schema.Schema{
	ID:          junoURN,
	Name:        "JunoJourneyLearner",
	Description: "What Juno Journey keeps about a learner.",
	Attributes: []*schema.Attribute{
		{Name: "learnerLevel", Description: "Where the learner starts.", CanonicalValues: []string{"beginner", "intermediate", "advanced"}},
		{Name: "mentor", Type: schema.Reference, ReferenceTypes: []string{"User"}, Description: "The id of the learner's mentor, another user."},
		{Name: "employeeId", Description: "The HR system's id."},
	},
}

// sessionTTL is how long a learner's login lasts.
const sessionTTL = 12 * time.Hour

// Cookie names. The __Host- prefix (Secure, Path=/, no Domain) is used
// when cookies are Secure.
const (
	sessionCookie = "juno_session"
	adminCookie   = "juno_admin"
	csrfCookie    = "juno_login_csrf"
)

// app is Juno Journey: its own API, login and admin page, with scimkit at
// /scim/v2.
type app struct {
	db     *sql.DB
	store  *store
	tokens *scim.Tokens
	// clients serves the OAuth token endpoint; its access tokens are
	// kept and checked by tokens, and last tokenLifetime.
	clients       *scim.Clients
	tokenLifetime time.Duration
	scim          *scim.Server
	// oplog keeps the provisioning log in Juno's database; log is how the
	// admin page reads it.
	oplog *sqlstore.OperationLog
	log   scim.LogReader
	sso   map[string]*ssoProvider // by customer
	// base is the public URL of the app, without a trailing slash.
	base string
	// secure sets the Secure flag (and the __Host- prefix) on cookies;
	// on whenever base is https.
	secure bool
	logger *slog.Logger
	// now is the clock, for tests.
	now func() time.Time
}

// appConfig is what newApp needs.
type appConfig struct {
	DB      *sql.DB
	BaseURL string
	Logger  *slog.Logger
	// LogMaxAge and LogMaxRows are the provisioning log's retention: how
	// long records are kept, and how many of each customer's newest.
	// Zero means defaultLogMaxAge and defaultLogMaxRows; negative, no
	// limit.
	LogMaxAge  time.Duration
	LogMaxRows int
	// AccessTokenLifetime is how long an OAuth access token lasts: zero
	// means an hour, and scim.Clients keeps it between a minute and a
	// day.
	AccessTokenLifetime time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

func newApp(ctx context.Context, c appConfig) (*app, error) {
	a := &app{
		db:     c.DB,
		store:  newStore(c.DB),
		base:   strings.TrimSuffix(c.BaseURL, "/"),
		secure: strings.HasPrefix(c.BaseURL, "https://"),
		logger: c.Logger,
		sso:    map[string]*ssoProvider{},
		now:    c.Now,
	}
	if a.logger == nil {
		a.logger = slog.Default()
	}
	if a.now == nil {
		a.now = time.Now
	}
	ol, err := sqlstore.OpenOperationLog(ctx, c.DB, sqlstore.SQLite, logOptions(c, a.logger))
	if err != nil {
		return nil, err
	}
	a.oplog, a.log = ol, ol
	a.tokens = &scim.Tokens{Store: &tokenStore{c.DB}, Logger: a.logger, Now: a.now}
	a.tokenLifetime = min(max(cmp.Or(c.AccessTokenLifetime, time.Hour), time.Minute), 24*time.Hour)
	a.clients = &scim.Clients{Store: &clientStore{c.DB}, Tokens: a.tokens, Lifetime: a.tokenLifetime, Logger: a.logger}
	srv, err := scim.NewServer(a.scimConfig())
	if err != nil {
		ol.Close()
		return nil, err
	}
	a.scim = srv
	return a, nil
}

func (a *app) scimConfig() scim.Config {
	return scim.Config{
		Store:          a.store,
		Auth:           a.tokens,
		BaseURL:        a.base + "/scim/v2",
		Logger:         a.logger,
		UserExtensions: []schema.Extension{{Schema: learnerSchema}},
		Events:         a.onEvent,
		OperationLog:   a.oplog,
	}
}

// Close stops event delivery, then writes the provisioning log's
// buffered records.
func (a *app) Close() error {
	return errors.Join(a.scim.Close(), a.oplog.Close())
}

// onEvent ends the sessions of an account that was deactivated or
// deleted. Session lookups also refuse such accounts (lookupSession), so
// that the time between the commit and this delivery, or an event lost
// in a crash, leaves no session usable.
func (a *app) onEvent(ctx context.Context, e scim.Event) error {
	if e.ResourceType != "User" || (e.Kind != scim.UserDeactivated && e.Kind != scim.UserDeleted) {
		return nil
	}
	res, err := a.db.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ?`, e.ResourceID)
	if err != nil {
		return err
	}
	n, _ := res.RowsAffected()
	a.logger.Info("juno: sessions ended", "account", e.ResourceID, "tenant", e.Tenant, "event", e.Kind, "sessions", n)
	return nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", a.scim))
	mux.Handle(tokenPath, limitTokens(rate.NewLimiter(tokenRate, tokenBurst), a.clients))
	mux.HandleFunc("GET /api/me", a.apiMe)
	mux.HandleFunc("GET /api/courses", a.apiCourses)
	mux.HandleFunc("POST /logout", a.logout)
	mux.HandleFunc("GET /sso/{customer}/login", a.ssoLogin)
	mux.HandleFunc("GET /sso/callback", a.ssoCallback)
	a.adminRoutes(mux)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/admin", http.StatusSeeOther) })
	return securityHeaders(mux)
}

// securityHeaders sets the headers every page of Juno carries.
func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/scim/") {
			hd.Set("X-Frame-Options", "DENY")
			hd.Set("Content-Security-Policy", "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
			hd.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}

// hashSecret is how session ids are kept: a stolen database holds no
// usable session.
func hashSecret(s string) string {
	d := sha256.Sum256([]byte(s))
	return hex.EncodeToString(d[:])
}

func (a *app) cookieName(base string) string {
	if a.secure {
		return "__Host-" + base
	}
	return base
}

func (a *app) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: a.cookieName(name), Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: a.secure, SameSite: sameSite,
	})
}

func (a *app) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(a.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// startSession logs the account in: a new session row, its id in a
// cookie.
func (a *app) startSession(ctx context.Context, w http.ResponseWriter, accountID string) error {
	id := randomToken(32)
	at := a.now()
	if _, err := a.db.ExecContext(ctx, `INSERT INTO sessions (id_hash, account_id, created_at, expires_at) VALUES (?,?,?,?)`,
		hashSecret(id), accountID, at.UnixNano(), at.Add(sessionTTL).UnixNano()); err != nil {
		return err
	}
	a.setCookie(w, sessionCookie, id, sessionTTL, http.SameSiteLaxMode)
	return nil
}

// errNoSession is a request without a live session.
var errNoSession = errors.New("juno: not logged in")

// lookupSession returns the account the request's session belongs to. A
// session of a deactivated account is refused even before onEvent has
// deleted it.
func (a *app) lookupSession(r *http.Request) (accountID, customer string, err error) {
	id := a.cookie(r, sessionCookie)
	if id == "" {
		return "", "", errNoSession
	}
	err = a.db.QueryRowContext(r.Context(), `SELECT a.id, a.customer_id FROM sessions s JOIN accounts a ON a.id = s.account_id
		WHERE s.id_hash = ? AND s.expires_at > ? AND a.status <> 'deactivated'`, hashSecret(id), a.now().UnixNano()).Scan(&accountID, &customer)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", errNoSession
	}
	return accountID, customer, err
}

func (a *app) logout(w http.ResponseWriter, r *http.Request) {
	if id := a.cookie(r, sessionCookie); id != "" {
		a.db.ExecContext(r.Context(), `DELETE FROM sessions WHERE id_hash = ?`, hashSecret(id))
	}
	a.setCookie(w, sessionCookie, "", -1, http.SameSiteLaxMode)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// me is what /api/me answers.
type me struct {
	ID           string   `json:"id"`
	Customer     string   `json:"customer"`
	Login        string   `json:"login"`
	Name         string   `json:"name"`
	Email        string   `json:"email,omitempty"`
	JobTitle     string   `json:"jobTitle,omitempty"`
	LearnerLevel string   `json:"learnerLevel,omitempty"`
	Teams        []string `json:"teams"`
}

func (a *app) apiMe(w http.ResponseWriter, r *http.Request) {
	id, customer, err := a.lookupSession(r)
	if err != nil {
		a.unauthorized(w, err)
		return
	}
	m := me{ID: id, Customer: customer, Teams: []string{}}
	ctx := r.Context()
	err = a.db.QueryRowContext(ctx, `SELECT login, full_name, job_title, learner_level,
		coalesce((SELECT value FROM account_contacts WHERE account_id = a.id AND kind = 'email' ORDER BY type <> 'work', NOT is_primary, pos LIMIT 1), '')
		FROM accounts a WHERE id = ?`, id).Scan(&m.Login, &m.Name, &m.JobTitle, &m.LearnerLevel, &m.Email)
	if err == nil {
		err = queryStrings(ctx, a.db, &m.Teams, `SELECT t.name FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.account_id = ? ORDER BY t.name`, id)
	}
	if err != nil {
		a.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m)
}

// course is one element of /api/courses.
type course struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	Level    string `json:"level"`
	Enrolled bool   `json:"enrolled"`
}

func (a *app) apiCourses(w http.ResponseWriter, r *http.Request) {
	id, customer, err := a.lookupSession(r)
	if err != nil {
		a.unauthorized(w, err)
		return
	}
	rows, err := a.db.QueryContext(r.Context(), `SELECT c.id, c.title, c.level,
		EXISTS (SELECT 1 FROM enrolments e WHERE e.course_id = c.id AND e.account_id = ?)
		FROM courses c WHERE c.customer_id = ? ORDER BY c.title`, id, customer)
	if err != nil {
		a.serverError(w, err)
		return
	}
	defer rows.Close()
	out := []course{}
	for rows.Next() {
		var c course
		if err := rows.Scan(&c.ID, &c.Title, &c.Level, &c.Enrolled); err != nil {
			a.serverError(w, err)
			return
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *app) unauthorized(w http.ResponseWriter, err error) {
	if !errors.Is(err, errNoSession) {
		a.serverError(w, err)
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "not logged in"})
}

func (a *app) serverError(w http.ResponseWriter, err error) {
	a.logger.Error("juno: request failed", "err", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}

func queryStrings(ctx context.Context, db *sql.DB, out *[]string, q string, args ...any) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err
		}
		*out = append(*out, s)
	}
	return rows.Err()
}
