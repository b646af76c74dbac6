// Package scim is an embeddable SCIM 2.0 service provider (RFC 7643, RFC
// 7644) for user and group provisioning from Microsoft Entra ID, Okta,
// OneLogin and JumpCloud.
//
// A host creates a Server with NewServer, mounts it (it is an http.Handler)
// under any prefix, and keeps users and groups in a Store (its own, or
// store/memory or store/sqlstore) or serves them from its own
// ResourceHandlers. Every request is authenticated to a tenant by an
// Authenticator, and every store and handler call is scoped to that
// tenant. Clients adds an OAuth 2.0 token endpoint (client credentials)
// whose access tokens a Tokens accepts.
//
//	srv, err := scim.NewServer(scim.Config{
//		Store: memory.New(),
//		Auth:  scim.StaticToken("acme", os.Getenv("SCIM_TOKEN")),
//	})
//	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", srv))
//
// The server accepts the request shapes identity providers really send
// (capitalised PATCH ops, booleans as strings, path-less PATCH values with
// dotted keys, the enterprise manager as a bare id, legacy member removal)
// and answers in the shapes they read back.
package scim

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/scimkit/scim/filter"
	"github.com/scimkit/scim/schema"
)

// Config configures a Server. Auth is required, and Store unless
// Resources serves what the host needs; every other zero value means a
// sensible default.
type Config struct {
	// Store keeps users and groups, served at /Users and /Groups. When it
	// is nil, only the Resources entries are served.
	Store Store
	// Auth resolves each request to a tenant. Use StaticToken for a trial,
	// a *Tokens for hashed per-tenant tokens (and the access tokens of a
	// Clients), Authenticators to accept several kinds, or
	// AuthenticatorFunc for the host's own scheme.
	Auth Authenticator
	// Logger receives one record per request (method, path without the
	// query, status, tenant, duration): at Error for a 5xx, Info for a 4xx
	// and for 501 (the client asked for something not supported, such as
	// Bulk: nothing failed) and Debug otherwise, so a logger at the default Info level shows the
	// failures an identity provider saw and Debug shows every request. The
	// cause of every 5xx is logged too. Tokens, Authorization headers and
	// request bodies are never logged. Each record also carries the
	// operation's LogRecord fields (op, outcome, resource_type,
	// resource_id, scim_type, and changed: the names of the attributes a
	// write changed); each operation of a Bulk request gets a record
	// "scim bulk operation" of its own. Nil means slog.Default().
	Logger *slog.Logger
	// OperationLog, when set, receives one LogRecord per SCIM operation
	// of an authenticated request (and one per operation of a Bulk
	// request) once its answer is written: the provisioning log an
	// administrator reads to see what an identity provider did and why
	// (store/memory and store/sqlstore keep and query it). Requests that
	// fail authentication have no tenant and are in Logger's log only.
	// Nil, the default, records nothing; writes then compute no changed
	// attribute names unless Logger logs at Debug.
	OperationLog LogSink
	// BaseURL is the absolute URL the server is mounted at, e.g.
	// "https://app.example.com/scim/v2", used in meta.location, Location
	// and $ref. Set it in production. Empty means: the scheme of the
	// connection, the local address it arrived on (e.g.
	// http://10.0.0.5:8080), and the mount prefix; the Host and
	// X-Forwarded-* headers count only from TrustedProxies, so a client
	// cannot choose the URLs in responses, logs and events.
	BaseURL string
	// DocumentationURI is the address of the host's help for the
	// administrators who connect an identity provider (how to get a token,
	// which attributes are kept), shown as documentationUri in
	// /ServiceProviderConfig. Empty means none is shown.
	DocumentationURI string
	// TrustedProxies lists the addresses of the reverse proxies in front
	// of the server. When BaseURL is empty and a request comes from one of
	// them, its X-Forwarded-Proto (http or https) gives the scheme and its
	// X-Forwarded-Host, else its Host, the host; the last value of each
	// header counts, the one the nearest proxy set. The peer is the
	// request's RemoteAddr: a middleware that rewrites it from
	// X-Forwarded-For hands the choice to clients. Listing 0.0.0.0/0 and
	// ::/0 trusts every client's headers. Nil trusts none.
	TrustedProxies []netip.Prefix
	// MaxBodyBytes caps request bodies; larger ones get 413. Default 1 MiB.
	MaxBodyBytes int64
	// BulkMaxOperations caps the operations of one /Bulk request
	// (bulk.maxOperations in ServiceProviderConfig); more get 413 and none
	// runs. Default 1000.
	BulkMaxOperations int
	// BulkMaxPayloadBytes caps a /Bulk request body (bulk.maxPayloadSize),
	// in place of MaxBodyBytes; each operation's data is still held to
	// MaxBodyBytes. Default 1 MiB.
	BulkMaxPayloadBytes int64
	// MaxResults caps count on list requests (filter.maxResults in
	// ServiceProviderConfig). Default 1000.
	MaxResults int
	// DefaultCount is the page size when a list request gives no count.
	// Default 100.
	DefaultCount int
	// FilterLimits bound filter and PATCH path parsing.
	FilterLimits filter.Limits
	// Resources adds resource types served by the host's own handlers. An
	// entry whose endpoint is /Users or /Groups (schema.User(),
	// schema.Group(), with the host's extensions in its Extensions)
	// replaces the built-in one over Store.
	Resources []Resource
	// UserExtensions registers schema extensions (RFC 7643 section 3.3) on
	// the built-in User resource type, beside the enterprise extension;
	// GroupExtensions on Group. Each is listed in /Schemas and
	// /ResourceTypes, and its values are validated, normalised, stored (in
	// User.Extensions and Group.Extensions), filtered on, patched and
	// projected like core attributes. Attributes marked Indexed or with
	// uniqueness "server" or "global" need a Store that implements Indexer.
	// They extend the types Store serves; a Resources entry takes its
	// extensions in its own Type.
	UserExtensions  []schema.Extension
	GroupExtensions []schema.Extension
	// BeforeWrite, when set, is called before every create, replace, patch
	// and delete the Server makes, after the request is validated and with
	// the resource's stored and new documents: returning an error refuses
	// the write and nothing is stored. Return an *Error to answer with its
	// status, scimType and detail (e.g. a 400 invalidValue for a userName
	// outside the customer's verified domains); any other error is a 500.
	// A write retried after losing a race with another calls it again with
	// the new stored document. It runs on the request's goroutine: keep it
	// fast.
	BeforeWrite func(ctx context.Context, w Write) error
	// WritablePrivileges names the privilege attributes of Users (see
	// PrivilegeAttributes: "roles", "entitlements", "userType") that
	// identity providers may write. The others are ignored on input: a
	// POST stores none, and a PUT or any PATCH keeps the stored values,
	// so one IdP token cannot grant itself a role while the rest of the
	// request is provisioned as usual (Entra sends "roles": [] on every
	// create). Nil, the default, means none: set it when the host maps
	// these attributes from its identity provider on purpose.
	WritablePrivileges []string

	// Me, when set, serves /Me (RFC 7644 section 3.11): it returns the id
	// of the User the request's authenticated subject is (e.g. from the
	// claims the host's Authenticator put in the request's context), and
	// GET, PUT, PATCH and DELETE on /Me act on that user exactly as on
	// /Users/<id>, meta.location included. Return ErrNotFound (or "") when
	// the subject is no user (a provisioning client's own token): 404.
	// Return an *Error to answer with it; any other error is a 500. Nil,
	// the default, answers /Me with 501, as does a POST to /Me.
	Me func(r *http.Request, tenant string) (userID string, err error)

	// ChangePassword, when set, receives the new password of a User sent
	// in a POST, PUT or PATCH (the core password attribute, by path or in
	// a path-less value), once per request, after the write committed
	// and with the user's id, for the host to hash in its own system
	// (/ServiceProviderConfig then advertises changePassword). The Server
	// still never stores, returns, logs or publishes a password; without
	// the hook it accepts and drops them. A password that is not a string
	// is 400 invalidValue. An error it returns is the answer (an *Error
	// as it is, any other a 500) although the rest of the write stands:
	// a client retries a PUT or PATCH; keep it reliable, since a retried
	// POST finds the user taken.
	ChangePassword func(ctx context.Context, tenant, userID, password string) error

	// RateLimit, when positive, caps the requests each tenant may make, in
	// requests per second, with bursts of up to RateBurst (0 means twice
	// RateLimit, rounded up); a request over it gets 429 with a
	// Retry-After header and nothing is done. Zero, the default, means no
	// limit. Identity providers send in bursts: Microsoft Entra ID needs at
	// least 25 requests per second per tenant and puts a job that keeps
	// getting 429 into quarantine, so never set it below 25 (NewServer
	// logs a warning) and prefer 50 or more with a burst of 100 or more.
	// Counted per Server: instances behind a load balancer each allow it.
	RateLimit rate.Limit
	RateBurst int

	// Events, when set, receives an Event after every committed change to
	// a resource, in the background (see EventHandler). With a Store
	// that is an Outbox (store/sqlstore) events are written in the same
	// transaction as the change and none is lost: delivery is at least
	// once, in commit order per resource, also after a crash or restart
	// (a crashed instance's claimed events wait for their EventLease to
	// end); a failing event is retried with backoff from 1 s to 5 min,
	// for as long as it fails, and holds back only its own resource's
	// later events. With any other store, and for resource types served
	// by a host's ResourceHandler, events are delivered in-process after
	// commit, built from the resource the Server read before the write and
	// the one the handler returned: a failing event is tried 4 times in about 2 s, its
	// worker's other events waiting meanwhile, then dropped; a full queue
	// drops new events; both are counted (EventStats) and logged at
	// Error, and events still queued when the process ends are lost.
	// Call Server.Shutdown or Close to stop delivery.
	Events EventHandler
	// EventWorkers is how many events are delivered at once. Default 4.
	EventWorkers int
	// EventQueue bounds the events waiting for in-process delivery.
	// Default 4096.
	EventQueue int
	// EventLease is how long an instance keeps the Outbox events it
	// claimed while delivering them; it renews the lease every third of
	// it, so the lease only ends when the instance is gone. Default 1
	// minute.
	EventLease time.Duration

	// CursorKey signs the cursors of cursor paging (RFC 9865) with
	// HMAC-SHA256, so a client cannot forge or alter one. Give every
	// instance behind a load balancer the same key (32 random bytes or
	// more) so that a cursor from one works on the others. Nil, the
	// default, means a random key per Server: cursors then work only on
	// the instance that made them and end with it.
	CursorKey []byte
	// CursorTimeout is how long a cursor stays valid after it is issued;
	// an older one gets 400 expiredCursor. Default 1 hour.
	CursorTimeout time.Duration
}

// Server is an http.Handler serving the SCIM protocol. It works under any
// mount prefix (use http.StripPrefix) and is safe for concurrent use.
//
// A PUT replaces the resource, with two exceptions that keep a request
// from granting access by what it leaves out: a User's active, when left
// out or null, keeps its stored value (RFC 7644 section 3.5.1 lets a
// server default what a PUT omits; a user created without active is
// stored active), and the privilege attributes identity providers may not
// write (Config.WritablePrivileges) keep theirs.
type Server struct {
	cfg       Config
	log       *slog.Logger
	resources []*Resource // in /ResourceTypes order
	byPath    map[string]*Resource
	writes    writeLocks
	ev        *delivery     // nil without Config.Events
	inproc    *inprocQueue  // in-process delivery, when the store has no Outbox
	limits    *tenantLimits // nil without Config.RateLimit
	cursors   *cursorCodec

	lockedPrivileges []string // PrivilegeAttributes not in cfg.WritablePrivileges
}

// NewServer checks cfg and returns a Server.
func NewServer(cfg Config) (*Server, error) {
	if cfg.Auth == nil {
		return nil, errors.New("scim: Config.Auth is nil; use scim.StaticToken(tenant, token) for a single tenant")
	}
	if c, ok := cfg.Auth.(authChecker); ok {
		if err := c.checkAuth(); err != nil {
			return nil, err
		}
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.BulkMaxOperations <= 0 {
		cfg.BulkMaxOperations = 1000
	}
	if cfg.BulkMaxPayloadBytes <= 0 {
		cfg.BulkMaxPayloadBytes = 1 << 20
	}
	if cfg.MaxResults <= 0 {
		cfg.MaxResults = 1000
	}
	if cfg.DefaultCount <= 0 {
		cfg.DefaultCount = 100
	}
	if cfg.DefaultCount > cfg.MaxResults {
		cfg.DefaultCount = cfg.MaxResults
	}
	if cfg.EventWorkers <= 0 {
		cfg.EventWorkers = defaultEventWorkers
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = defaultEventQueue
	}
	if cfg.EventLease <= 0 {
		cfg.EventLease = defaultEventLease
	}
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Server{cfg: cfg, log: cfg.Logger, byPath: map[string]*Resource{}}
	locked, err := checkPrivileges(cfg.WritablePrivileges)
	if err != nil {
		return nil, err
	}
	s.lockedPrivileges = locked
	if s.cursors, err = newCursorCodec(cfg.CursorKey, cfg.CursorTimeout); err != nil {
		return nil, err
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.limits, err = newTenantLimits(cfg.RateLimit, cfg.RateBurst); err != nil {
		return nil, err
	}
	if cfg.RateLimit > 0 && cfg.RateLimit < minEntraRate {
		s.log.Warn("scim: Config.RateLimit is below 25 requests per second per tenant, which throttles Microsoft Entra ID provisioning", "rate_limit", float64(cfg.RateLimit))
	}
	all, err := resources(cfg)
	if err != nil {
		return nil, err
	}
	for i := range all {
		r := &all[i]
		key := strings.ToLower(strings.Trim(r.Type.Endpoint, "/"))
		if _, dup := s.byPath[key]; dup {
			return nil, errors.New("scim: two resource types use endpoint " + r.Type.Endpoint)
		}
		r.plainExts, r.fastExts = plainExtensions(r.Type)
		s.byPath[key] = r
		s.resources = append(s.resources, r)
	}
	if cfg.Events != nil {
		s.startEvents()
	}
	return s, nil
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	info := requestInfo(r)
	w.Header().Set("X-Request-Id", info.ID)
	r = r.WithContext(WithRequestInfo(r.Context(), info))
	sw := &statusWriter{ResponseWriter: w}
	rec := &LogRecord{Time: start, RequestID: info.ID, Client: info.UserAgent, Method: r.Method}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("scim: panic serving request", "method", r.Method, "path", r.URL.Path, "request_id", info.ID, "panic", p)
			if sw.status == 0 {
				writeError(sw, &Error{Status: http.StatusInternalServerError, Detail: "Internal server error."})
			}
		}
		rec.Status, rec.Duration = sw.status, time.Since(start)
		s.logOperation(r.Context(), "scim request", rec, slog.String("path", r.URL.Path))
	}()
	s.serve(sw, r, rec)
}

// serve authenticates and routes one request, filling rec.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rec *LogRecord) {
	tenant, err := s.cfg.Auth.Authenticate(r)
	if err != nil || tenant == "" {
		var se *Error
		if errors.As(err, &se) {
			rec.SCIMType = se.ScimType
			writeError(w, se)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="SCIM"`)
		writeError(w, &Error{Status: http.StatusUnauthorized, Detail: "A valid bearer token is required (Authorization: Bearer <token>)."})
		return
	}
	rec.Tenant = tenant
	req := &request{s: s, w: w, r: r, tenant: tenant, log: rec, changes: s.wantsChanges(r.Context())}
	req.classify()
	if s.throttled(w, tenant) {
		return
	}
	req.base = s.baseURL(r)
	req.route()
}
