package scim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Clients is an OAuth 2.0 authorization server for the client credentials
// grant (RFC 6749 section 4.4), the authentication Entra ID asks of
// gallery apps: each tenant's identity provider holds a client id and
// secret, trades them at the token endpoint (Clients is its http.Handler)
// for a short-lived access token, and sends that as its bearer token.
//
// Access tokens are opaque random strings, kept like any token of Tokens:
// as a SHA-256 digest with an Expires, in Tokens' TokenStore. So the
// *Tokens given in Tokens authenticates them beside the database bearer
// tokens, revocation reaches every instance through the database, and
// there are no signing keys to keep secret, rotate and distribute. A
// signed token (a JWT) would save one indexed read per CacheFor per token,
// which the cache of Tokens already makes rare, at the price of tokens
// that cannot be revoked before they expire. Expired access tokens are
// deleted when the store is a TokenPruner.
//
// Client secrets are random 256-bit strings made here, kept as SHA-256
// digests and compared in constant time. A slow password hash such as
// bcrypt protects low-entropy passwords from guessing after a leak of the
// digests; a 256-bit random secret cannot be guessed from its digest, so
// the slow hash would only slow every token request. A client may hold
// several active secrets: rotate one by adding a secret, updating the
// identity provider, then revoking the old one, which also revokes the
// access tokens issued with it.
//
// Configure it with its exported fields before first use; the zero value
// keeps clients and access tokens in this process's memory. It is safe
// for concurrent use and must not be copied after first use. Secrets,
// access tokens and their digests are never logged.
type Clients struct {
	// Store keeps the clients. Nil means a set in this process's memory;
	// store/sqlstore keeps them in the database.
	Store ClientStore
	// Tokens keeps and checks the access tokens. Give the *Tokens that
	// serves as (or in) Config.Auth, so that the server accepts them. Nil
	// means a Tokens of this Clients' own, in memory, which Authenticate
	// uses.
	Tokens *Tokens
	// Lifetime is how long an access token lasts. Zero means one hour;
	// values are clamped to between one minute and one day.
	Lifetime time.Duration
	// Scope is the scope every token grants, reported in each token
	// response. Empty means "scim". A requested scope is checked for
	// syntax only (RFC 6749 section 3.3 lets the server ignore it): a
	// token grants the whole tenant.
	Scope string
	// Now is the clock; nil means the clock of Tokens.
	Now func() time.Time
	// Logger receives failures to read or write the stores and refused
	// token requests (with client ids, never secrets). Nil means
	// slog.Default().
	Logger *slog.Logger

	mem     clientMap // the store when Store is nil
	ownOnce sync.Once
	own     *Tokens

	mu     sync.Mutex
	pruned time.Time // when expired access tokens were last deleted
}

const (
	defaultLifetime = time.Hour
	minLifetime     = time.Minute
	maxLifetime     = 24 * time.Hour
	// maxActiveSecrets bounds the secrets a token request is compared
	// against.
	maxActiveSecrets = 10
	// accessTokenPrefix starts the ID of every access token, so that
	// pruning deletes those alone.
	accessTokenPrefix = "oat_"
	defaultScope      = "scim"
)

func (c *Clients) store() ClientStore {
	if c.Store != nil {
		return c.Store
	}
	return &c.mem
}

func (c *Clients) tokens() *Tokens {
	if c.Tokens != nil {
		return c.Tokens
	}
	c.ownOnce.Do(func() { c.own = &Tokens{Now: c.Now, Logger: c.Logger} })
	return c.own
}

func (c *Clients) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return c.tokens().now()
}

func (c *Clients) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.Default()
}

func (c *Clients) lifetime() time.Duration {
	if c.Lifetime == 0 {
		return defaultLifetime
	}
	return min(max(c.Lifetime, minLifetime), maxLifetime)
}

func (c *Clients) scope() string {
	if c.Scope != "" {
		return c.Scope
	}
	return defaultScope
}

// Register makes a client for tenant with one secret, stores it, and
// returns the secret and the stored Client, whose ID is the client_id.
// Show the secret once: only its digest is stored. It refuses an empty
// tenant and a label longer than 200 bytes or with control characters.
func (c *Clients) Register(ctx context.Context, tenant, label string) (secret string, stored Client, err error) {
	if tenant == "" {
		return "", Client{}, errors.New("scim: Clients.Register needs the tenant the client acts for")
	}
	if err := checkLabel("Client.Label", label); err != nil {
		return "", Client{}, err
	}
	now := c.now().Round(0)
	secret, s := newClientSecret(now, time.Time{})
	cl := Client{ID: randomID("scimclient_", 10), Tenant: tenant, Label: label, Created: now, Secrets: []ClientSecret{s}}
	if err := c.store().AddClient(ctx, cl); err != nil {
		return "", Client{}, err
	}
	return secret, cl, nil
}

// newClientSecret returns a new secret and its ClientSecret.
func newClientSecret(now, expires time.Time) (string, ClientSecret) {
	secret := newSecret("scimcs_")
	return secret, ClientSecret{ID: randomID("cs_", 8), Digest: TokenDigest(secret), Created: now, Expires: expires}
}

// AddSecret makes another secret for the client of tenant with clientID,
// e.g. to rotate secrets, stores its digest and returns it. Expires, when
// not zero, must be in the future. A client holds at most 10 active
// secrets; an unknown client is ErrNotFound.
func (c *Clients) AddSecret(ctx context.Context, tenant, clientID string, expires time.Time) (secret string, stored ClientSecret, err error) {
	now := c.now().Round(0)
	if !expires.IsZero() && !expires.After(now) {
		return "", ClientSecret{}, errors.New("scim: a client secret's expiry must be in the future, or zero for none")
	}
	cl, err := c.store().ClientByID(ctx, clientID)
	if err == nil && cl.Tenant != tenant {
		err = ErrNotFound
	}
	if err != nil {
		return "", ClientSecret{}, err
	}
	active := 0
	for _, s := range cl.Secrets {
		if s.Active(now) {
			active++
		}
	}
	if active >= maxActiveSecrets {
		return "", ClientSecret{}, fmt.Errorf("scim: client %s has %d active secrets; revoke one first", clientID, active)
	}
	secret, s := newClientSecret(now, expires)
	if err := c.store().AddClientSecret(ctx, tenant, clientID, s); err != nil {
		return "", ClientSecret{}, err
	}
	return secret, s, nil
}

// RevokeSecret revokes the secret secretID of the client of tenant with
// clientID, and the access tokens issued with it that are still active. An
// unknown client or secret is ErrNotFound; revoking a revoked secret
// changes nothing.
func (c *Clients) RevokeSecret(ctx context.Context, tenant, clientID, secretID string) error {
	if err := c.store().RevokeClientSecret(ctx, tenant, clientID, secretID, c.now().Round(0)); err != nil {
		return err
	}
	ts := c.tokens()
	list, err := ts.List(ctx, tenant)
	if err != nil {
		return err
	}
	now := c.now()
	for _, t := range list {
		if strings.HasPrefix(t.ID, accessTokenPrefix) && strings.HasSuffix(t.ID, "."+secretID) && t.Active(now) {
			if err := ts.Revoke(ctx, tenant, t.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// RevokeTenant revokes every active secret of every client of tenant and
// the access tokens they got, e.g. when the customer leaves (revoke its
// bearer tokens with Tokens.RevokeTenant). A secret added while it runs
// may stay active.
func (c *Clients) RevokeTenant(ctx context.Context, tenant string) error {
	list, err := c.List(ctx, tenant)
	if err != nil {
		return err
	}
	now := c.now()
	for _, cl := range list {
		for _, s := range cl.Secrets {
			if s.Active(now) {
				if err := c.RevokeSecret(ctx, tenant, cl.ID, s.ID); err != nil && !errors.Is(err, ErrNotFound) {
					return err
				}
			}
		}
	}
	return nil
}

// List returns the clients of tenant with their secrets (digests, never
// secrets), oldest first.
func (c *Clients) List(ctx context.Context, tenant string) ([]Client, error) {
	return c.store().ListClients(ctx, tenant)
}

// Authenticate implements Authenticator: it accepts the access tokens this
// Clients issued, and every other token of its Tokens.
func (c *Clients) Authenticate(r *http.Request) (string, error) {
	return c.tokens().Authenticate(r)
}

// errClientAuth is a failed client authentication (invalid_client).
var errClientAuth = errors.New("scim: client authentication failed")

// grant authenticates clientID with secret and issues an access token for
// its tenant. A failed authentication is errClientAuth; anything else is
// the store's failure.
func (c *Clients) grant(ctx context.Context, clientID, secret string) (token string, t Token, err error) {
	cl, err := c.store().ClientByID(ctx, clientID)
	if errors.Is(err, ErrNotFound) {
		return "", Token{}, errClientAuth
	}
	if err != nil {
		return "", Token{}, err
	}
	now := c.now()
	d := sha256.Sum256([]byte(secret))
	want := []byte(hex.EncodeToString(d[:]))
	// Every secret is compared, so timing tells nothing of which matched.
	match := -1
	for i, s := range cl.Secrets {
		if subtle.ConstantTimeCompare([]byte(s.Digest), want) == 1 {
			match = i
		}
	}
	if match < 0 || !cl.Secrets[match].Active(now) {
		return "", Token{}, errClientAuth
	}
	s := cl.Secrets[match]
	token, t, err = c.tokens().Issue(ctx, Token{
		ID:      randomID(accessTokenPrefix, 8) + "." + s.ID,
		Tenant:  cl.Tenant,
		Label:   clip("OAuth access token of client "+cl.ID+", secret "+s.ID, 200),
		Expires: now.Add(c.lifetime()).Round(0),
	})
	if err != nil {
		return "", Token{}, err
	}
	c.prune(ctx, now)
	return token, t, nil
}

// prune deletes expired access tokens, at most once per Lifetime, when
// the token store can.
func (c *Clients) prune(ctx context.Context, now time.Time) {
	p, ok := c.tokens().store().(TokenPruner)
	if !ok {
		return
	}
	c.mu.Lock()
	due := !fresh(c.pruned, now, c.lifetime())
	if due {
		c.pruned = now
	}
	c.mu.Unlock()
	if !due {
		return
	}
	if _, err := p.PruneTokens(ctx, accessTokenPrefix, now); err != nil {
		c.logger().Warn("scim: deleting expired OAuth access tokens", "err", err)
	}
}

// clip cuts s to at most n bytes (s is ASCII here).
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
