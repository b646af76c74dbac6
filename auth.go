package scim

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Authenticator resolves a request to the tenant it acts for. Any error
// answers 401 with WWW-Authenticate: Bearer, unless it is an *Error, which
// is sent as it is (for example a 403).
type Authenticator interface {
	Authenticate(r *http.Request) (tenant string, err error)
}

// AuthenticatorFunc adapts a function to Authenticator, e.g. to validate
// OAuth access tokens issued by the host.
type AuthenticatorFunc func(r *http.Request) (tenant string, err error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (string, error) { return f(r) }

// ErrUnauthenticated is returned by the built-in authenticators for a
// missing, malformed, unknown, revoked or expired token.
var ErrUnauthenticated = errors.New("scim: missing or invalid bearer token")

// BearerToken returns the token of an "Authorization: Bearer <token>"
// header (the scheme is matched case-insensitively), or "" when the header
// is absent or malformed.
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return ""
	}
	// RFC 6750 b64token: no spaces or control characters anywhere.
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f {
			return ""
		}
	}
	return tok
}

// TokenDigest returns the SHA-256 digest of token, hex-encoded: the form in
// which tokens are stored and compared.
func TokenDigest(token string) string {
	d := sha256.Sum256([]byte(token))
	return hex.EncodeToString(d[:])
}

// GenerateToken returns a new random secret token with the prefix "scim_",
// which secret scanners can look for.
func GenerateToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("scim: crypto/rand failed: " + err.Error())
	}
	return "scim_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// StaticToken authenticates every request bearing token as tenant. It is
// meant for trials and single-tenant deployments; the token is kept only as
// a digest and compared in constant time.
func StaticToken(tenant, token string) Authenticator {
	want := sha256.Sum256([]byte(token))
	return AuthenticatorFunc(func(r *http.Request) (string, error) {
		tok := BearerToken(r)
		if tok == "" {
			return "", ErrUnauthenticated
		}
		got := sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return "", ErrUnauthenticated
		}
		return tenant, nil
	})
}

// Token is a stored credential: the digest of a secret token, the tenant it
// acts for and an optional expiry.
type Token struct {
	Tenant string
	// Digest is TokenDigest(secret); the secret itself is never stored.
	Digest string
	// Expires, when not zero, is the instant after which the token is
	// refused (RFC 7644 section 7.4 asks for a limited lifetime).
	Expires time.Time
}

// Tokens is an Authenticator over a set of hashed per-tenant tokens. A
// tenant may hold several tokens at once, so a token is rotated by adding
// the new one, updating the identity provider, then revoking the old one.
// It is safe for concurrent use; the zero value is an empty set.
type Tokens struct {
	mu       sync.RWMutex
	byDigest map[[sha256.Size]byte]Token
	now      func() time.Time
}

// Add stores a token, given by its digest (see TokenDigest). Adding a
// digest that is already present replaces its tenant and expiry.
func (ts *Tokens) Add(t Token) error {
	d, err := hex.DecodeString(t.Digest)
	if err != nil || len(d) != sha256.Size {
		return errors.New("scim: Token.Digest must be a hex SHA-256 digest; use scim.TokenDigest(secret)")
	}
	if t.Tenant == "" {
		return errors.New("scim: Token.Tenant is empty")
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.byDigest == nil {
		ts.byDigest = map[[sha256.Size]byte]Token{}
	}
	ts.byDigest[[sha256.Size]byte(d)] = t
	return nil
}

// Issue generates a new secret for tenant, stores its digest with the given
// expiry (zero for none) and returns the secret. Show it to the customer
// once; it cannot be recovered.
func (ts *Tokens) Issue(tenant string, expires time.Time) (secret string, err error) {
	secret = GenerateToken()
	return secret, ts.Add(Token{Tenant: tenant, Digest: TokenDigest(secret), Expires: expires})
}

// Revoke removes the token with the given digest. Revoking an unknown
// digest is a no-op.
func (ts *Tokens) Revoke(digest string) {
	d, err := hex.DecodeString(digest)
	if err != nil || len(d) != sha256.Size {
		return
	}
	ts.mu.Lock()
	delete(ts.byDigest, [sha256.Size]byte(d))
	ts.mu.Unlock()
}

// RevokeTenant removes every token of tenant.
func (ts *Tokens) RevokeTenant(tenant string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for d, t := range ts.byDigest {
		if t.Tenant == tenant {
			delete(ts.byDigest, d)
		}
	}
}

// Authenticate implements Authenticator. Tokens are looked up by their
// SHA-256 digest, so lookup timing reveals nothing about a secret, and the
// digests are then compared in constant time.
func (ts *Tokens) Authenticate(r *http.Request) (string, error) {
	tok := BearerToken(r)
	if tok == "" {
		return "", ErrUnauthenticated
	}
	d := sha256.Sum256([]byte(tok))
	ts.mu.RLock()
	t, ok := ts.byDigest[d]
	now := ts.now
	ts.mu.RUnlock()
	if !ok {
		return "", ErrUnauthenticated
	}
	stored, _ := hex.DecodeString(t.Digest)
	if subtle.ConstantTimeCompare(stored, d[:]) != 1 {
		return "", ErrUnauthenticated
	}
	if now == nil {
		now = time.Now
	}
	if !t.Expires.IsZero() && !now().Before(t.Expires) {
		return "", ErrUnauthenticated
	}
	return t.Tenant, nil
}
