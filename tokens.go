package scim

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/time/rate"
)

// Tokens is an Authenticator over hashed per-tenant bearer tokens kept in
// a TokenStore. Only digests are stored; a secret is shown once, by Issue.
// A tenant may hold several active tokens, so a token is rotated by
// issuing a new one, updating the identity provider, then revoking the old
// one.
//
// Lookups are cached in this process for CacheFor (10 s unless set), so
// the store is not read on every request. A revocation through this
// Tokens takes effect here at once, and on every other instance reading
// the same store within its CacheFor; expiry is checked on every request.
// Tokens the store does not know are remembered too (as a bounded set), and
// reading the store for tokens not in the cache is limited to
// LookupsPerSecond: past it such requests answer 503, so a flood of
// made-up tokens costs the database little and memory a bounded amount. A
// token's LastUsed is written at most once a minute, by the request that
// finds it older.
//
// Configure it with its exported fields before first use, e.g.
// &scim.Tokens{Store: st}; the zero value keeps tokens in this process's
// memory. It is safe for concurrent use and must not be copied after first
// use. Secrets and digests are never logged.
type Tokens struct {
	// Store keeps the tokens. Nil means a set in this process's memory,
	// lost on restart; store/sqlstore keeps them in the database, where
	// they survive restarts and every instance sharing it sees them.
	Store TokenStore
	// CacheFor is how long a token read from Store is trusted before it
	// is read again: the bound within which a revocation made elsewhere
	// takes effect here. Zero or less means 10 s.
	CacheFor time.Duration
	// LookupsPerSecond caps the reads of Store for bearer tokens not in
	// the cache (a burst of as many is allowed). Zero or less means 100.
	LookupsPerSecond int
	// Now is the clock; nil means time.Now. Tests set it to move time
	// without sleeping.
	Now func() time.Time
	// Logger receives failures to read or write Store (with token IDs,
	// never secrets or digests). Nil means slog.Default().
	Logger *slog.Logger

	mem tokenMap // the store when Store is nil

	mu      sync.Mutex
	gen     uint64 // counts changes made here; a read that spans one is not cached
	known   map[digest]*cachedToken
	unknown map[digest]time.Time // digests Store did not have, and when it was asked
	flights map[digest]*flight   // reads of Store in progress
	limit   *rate.Limiter        // reads of Store for unknown tokens
	swept   time.Time
}

type digest = [sha256.Size]byte

const (
	defaultCacheFor = 10 * time.Second
	defaultLookups  = 100
	// touchEvery is how stale LastUsed may get before a request writes it.
	touchEvery = time.Minute
	// maxUnknown bounds the remembered unknown digests.
	maxUnknown = 10000
	// lookupTimeout bounds one read of Store, which several requests may
	// be waiting for.
	lookupTimeout = 10 * time.Second
)

var (
	errTokensBusy        = &Error{Status: http.StatusServiceUnavailable, Detail: "Too many requests with unknown bearer tokens; try again shortly."}
	errTokensUnavailable = &Error{Status: http.StatusServiceUnavailable, Detail: "The bearer token could not be checked; try again shortly."}
)

type cachedToken struct {
	tok Token
	at  time.Time // when Store was asked
}

type flight struct {
	done chan struct{}
	tok  Token
	err  error
}

func (ts *Tokens) store() TokenStore {
	if ts.Store != nil {
		return ts.Store
	}
	return &ts.mem
}

func (ts *Tokens) now() time.Time {
	if ts.Now != nil {
		return ts.Now()
	}
	return time.Now()
}

func (ts *Tokens) cacheFor() time.Duration {
	if ts.CacheFor > 0 {
		return ts.CacheFor
	}
	return defaultCacheFor
}

func (ts *Tokens) logger() *slog.Logger {
	if ts.Logger != nil {
		return ts.Logger
	}
	return slog.Default()
}

// Issue makes a new secret for t.Tenant, stores its digest with t.Label,
// t.Expires and t.ID (a new random one when empty), and returns the
// secret and the stored Token. Show the secret to the customer once: it
// cannot be recovered. Issue refuses an Expires that is not in the future,
// and otherwise checks t as Add does.
func (ts *Tokens) Issue(ctx context.Context, t Token) (secret string, stored Token, err error) {
	if t.Digest != "" {
		return "", Token{}, errors.New("scim: Tokens.Issue makes the secret and its digest: leave Token.Digest empty, or store a digest you have with Tokens.Add")
	}
	secret = GenerateToken()
	t.Digest = TokenDigest(secret)
	if stored, err = ts.Add(ctx, t); err != nil {
		return "", Token{}, err
	}
	return secret, stored, nil
}

// Add stores a token given by its digest (see TokenDigest), e.g. one the
// host issued before, and returns it as stored: ID (when empty) and
// Created (when zero) are filled in. It refuses a digest that is not a
// hex SHA-256, an empty Tenant, an ID other than 1 to 64 letters, digits,
// '.', '_' or '-', a Label longer than 200 bytes or with control
// characters, and an Expires that is not in the future. A digest or ID
// stored already is an error wrapping ErrConflict.
func (ts *Tokens) Add(ctx context.Context, t Token) (Token, error) {
	now := ts.now()
	d, ok := parseDigest(t.Digest)
	if !ok {
		return Token{}, errors.New("scim: Token.Digest must be a hex SHA-256 digest; use scim.TokenDigest(secret)")
	}
	t.Digest = hex.EncodeToString(d[:])
	if t.ID == "" {
		t.ID = newTokenID()
	}
	if t.Created.IsZero() {
		t.Created = now.Round(0)
	}
	if err := checkToken(t, now); err != nil {
		return Token{}, err
	}
	if err := ts.store().AddToken(ctx, t); err != nil {
		if errors.Is(err, ErrConflict) {
			return Token{}, fmt.Errorf("scim: tenant %q has a token with ID %q, or that digest is stored already: %w", t.Tenant, t.ID, err)
		}
		return Token{}, err
	}
	ts.mu.Lock()
	ts.gen++
	delete(ts.unknown, d)
	ts.mu.Unlock()
	return t, nil
}

// checkToken refuses what Add does not store.
func checkToken(t Token, now time.Time) error {
	switch {
	case t.Tenant == "":
		return errors.New("scim: Token.Tenant is empty; name the tenant the token acts for")
	case !validTokenID(t.ID):
		return fmt.Errorf("scim: Token.ID %q must be 1 to 64 letters, digits, '.', '_' or '-'", t.ID)
	case !t.Expires.IsZero() && !t.Expires.After(now):
		return fmt.Errorf("scim: Token.Expires (%s) is not in the future; give a later time, or zero for a token that does not expire",
			t.Expires.UTC().Format(time.RFC3339))
	}
	return checkLabel("Token.Label", t.Label)
}

// checkLabel refuses a label for people that is not short UTF-8 text.
func checkLabel(field, label string) error {
	if len(label) > 200 || !utf8.ValidString(label) {
		return fmt.Errorf("scim: %s must be UTF-8 text of at most 200 bytes", field)
	}
	for _, r := range label {
		if unicode.IsControl(r) {
			return fmt.Errorf("scim: %s must not hold control characters", field)
		}
	}
	return nil
}

func validTokenID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// newTokenID returns a random ID: "tok_" and 20 hex digits.
func newTokenID() string { return randomID("tok_", 10) }

// randomID returns prefix and n random bytes in hex.
func randomID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand documents it)
	return prefix + hex.EncodeToString(b)
}

func parseDigest(s string) (digest, bool) {
	var d digest
	if len(s) != 2*len(d) {
		return d, false
	}
	_, err := hex.Decode(d[:], []byte(s))
	return d, err == nil
}

// List returns every token of tenant, revoked and expired ones included,
// oldest first. Secrets are never stored, so never listed.
func (ts *Tokens) List(ctx context.Context, tenant string) ([]Token, error) {
	return ts.store().ListTokens(ctx, tenant)
}

// Revoke revokes the token of tenant with id. This Tokens refuses it once
// Revoke returns; other instances sharing the store within their
// CacheFor. An id the tenant does not have is ErrNotFound; revoking a
// revoked token changes nothing and returns nil.
func (ts *Tokens) Revoke(ctx context.Context, tenant, id string) error {
	if err := ts.store().RevokeToken(ctx, tenant, id, ts.now().Round(0)); err != nil {
		return err
	}
	ts.mu.Lock()
	ts.gen++
	for d, e := range ts.known {
		if e.tok.Tenant == tenant && e.tok.ID == id {
			delete(ts.known, d)
		}
	}
	ts.mu.Unlock()
	return nil
}

// RevokeTenant revokes every active token of tenant, e.g. when the
// customer leaves. A token issued while it runs may stay active.
func (ts *Tokens) RevokeTenant(ctx context.Context, tenant string) error {
	list, err := ts.List(ctx, tenant)
	if err != nil {
		return err
	}
	now := ts.now()
	for _, t := range list {
		if t.Active(now) {
			if err := ts.Revoke(ctx, tenant, t.ID); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// Authenticate implements Authenticator. A token is looked up by the
// SHA-256 digest of the bearer token, so lookup timing reveals nothing
// about a secret, and the digests are then compared in constant time.
// Missing, unknown, revoked and expired tokens get ErrUnauthenticated; an
// unreadable Store, or too many unknown tokens, a 503 *Error.
func (ts *Tokens) Authenticate(r *http.Request) (string, error) {
	tok := BearerToken(r)
	if tok == "" {
		return "", ErrUnauthenticated
	}
	d := sha256.Sum256([]byte(tok))
	t, err := ts.lookup(r.Context(), d)
	if err != nil {
		return "", err
	}
	want := hex.EncodeToString(d[:])
	if subtle.ConstantTimeCompare([]byte(t.Digest), []byte(want)) != 1 {
		return "", ErrUnauthenticated
	}
	now := ts.now()
	if !t.Active(now) {
		return "", ErrUnauthenticated
	}
	ts.touch(r.Context(), d, t, now)
	return t.Tenant, nil
}

// lookup returns the token with digest d from the cache or from Store,
// reading Store once for concurrent requests with the same token.
func (ts *Tokens) lookup(ctx context.Context, d digest) (Token, error) {
	now := ts.now()
	ttl := ts.cacheFor()
	ts.mu.Lock()
	e, known := ts.known[d]
	if known && fresh(e.at, now, ttl) {
		t := e.tok
		ts.mu.Unlock()
		return t, nil
	}
	if at, ok := ts.unknown[d]; ok && fresh(at, now, ttl) {
		ts.mu.Unlock()
		return Token{}, ErrUnauthenticated
	}
	f := ts.flights[d]
	if f == nil {
		// Refreshing a token the store had is not limited: only the
		// store's own tokens get there.
		if ts.limit == nil {
			ts.limit = rate.NewLimiter(rate.Limit(ts.rate()), int(ts.rate()))
		}
		if !known && !ts.limit.AllowN(now, 1) {
			ts.mu.Unlock()
			return Token{}, errTokensBusy
		}
		if ts.flights == nil {
			ts.flights = map[digest]*flight{}
			ts.known = map[digest]*cachedToken{}
			ts.unknown = map[digest]time.Time{}
		}
		f = &flight{done: make(chan struct{}), err: errTokensUnavailable}
		ts.flights[d] = f
		gen := ts.gen
		ts.mu.Unlock()
		ts.fetch(ctx, d, f, gen, now)
	} else {
		ts.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return Token{}, ctx.Err()
		}
	}
	switch {
	case f.err == nil:
		return f.tok, nil
	case errors.Is(f.err, ErrNotFound):
		return Token{}, ErrUnauthenticated
	}
	return Token{}, errTokensUnavailable
}

func (ts *Tokens) rate() float64 {
	if ts.LookupsPerSecond > 0 {
		return float64(ts.LookupsPerSecond)
	}
	return defaultLookups
}

// fresh reports whether something learnt at at may still be trusted at now.
func fresh(at, now time.Time, ttl time.Duration) bool {
	age := now.Sub(at)
	return age >= 0 && age < ttl
}

// fetch reads d from Store into f and caches the answer, unless a change
// made here (gen) overlapped the read. asked is the time before the read,
// so that a cached answer is never trusted longer than CacheFor after it.
func (ts *Tokens) fetch(ctx context.Context, d digest, f *flight, gen uint64, asked time.Time) {
	defer func() {
		ts.mu.Lock()
		delete(ts.flights, d)
		if ts.gen == gen {
			ts.remember(d, f, asked)
		}
		ts.mu.Unlock()
		close(f.done)
	}()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
	defer cancel()
	f.tok, f.err = ts.store().TokenByDigest(ctx, hex.EncodeToString(d[:]))
	if f.err != nil && !errors.Is(f.err, ErrNotFound) {
		ts.logger().Error("scim: reading a bearer token from Tokens.Store", "err", f.err)
	}
}

// remember caches the answer of f; ts.mu is held.
func (ts *Tokens) remember(d digest, f *flight, asked time.Time) {
	ttl := ts.cacheFor()
	if !fresh(ts.swept, asked, ttl) {
		ts.swept = asked
		for k, e := range ts.known {
			if !fresh(e.at, asked, ttl) && !e.tok.Active(asked) {
				delete(ts.known, k)
			}
		}
		for k, at := range ts.unknown {
			if !fresh(at, asked, ttl) {
				delete(ts.unknown, k)
			}
		}
	}
	switch {
	case f.err == nil:
		ts.known[d] = &cachedToken{tok: f.tok, at: asked}
		delete(ts.unknown, d)
	case errors.Is(f.err, ErrNotFound):
		delete(ts.known, d)
		if len(ts.unknown) >= maxUnknown {
			for k := range ts.unknown { // any one: map order is random
				delete(ts.unknown, k)
				break
			}
		}
		ts.unknown[d] = asked
	}
}

// touch records that t authenticated a request at now, when its LastUsed
// is a minute old. Concurrent requests with the token see the new time in
// the cache and do not write it again.
func (ts *Tokens) touch(ctx context.Context, d digest, t Token, now time.Time) {
	if now.Sub(t.LastUsed) < touchEvery {
		return
	}
	ts.mu.Lock()
	if e := ts.known[d]; e != nil {
		if now.Sub(e.tok.LastUsed) < touchEvery {
			ts.mu.Unlock()
			return
		}
		e.tok.LastUsed = now
	}
	ts.mu.Unlock()
	if err := ts.store().TouchToken(ctx, t.Tenant, t.ID, now.Round(0)); err != nil {
		ts.logger().Warn("scim: recording a bearer token's last use", "tenant", t.Tenant, "token", t.ID, "err", err)
	}
}
