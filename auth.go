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
func GenerateToken() string { return newSecret("scim_") }

// newSecret returns prefix and 256 random bits, base64url-encoded.
func newSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("scim: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// StaticToken authenticates every request bearing token as tenant. It is
// meant for trials and single-tenant deployments; the token is kept only as
// a digest and compared in constant time. An empty token or tenant is
// refused: NewServer fails with such an Authenticator, and it
// authenticates no request.
func StaticToken(tenant, token string) Authenticator {
	st := &staticToken{tenant: tenant, digest: sha256.Sum256([]byte(token))}
	switch {
	case token == "":
		st.err = errors.New("scim: StaticToken has an empty token; give a secret, e.g. one from scim.GenerateToken()")
	case tenant == "":
		st.err = errors.New("scim: StaticToken has an empty tenant; name the tenant the token acts for")
	}
	return st
}

type staticToken struct {
	tenant string
	digest [sha256.Size]byte
	err    error // why the token is unusable
}

func (st *staticToken) Authenticate(r *http.Request) (string, error) {
	tok := BearerToken(r)
	if tok == "" || st.err != nil {
		return "", ErrUnauthenticated
	}
	got := sha256.Sum256([]byte(tok))
	if subtle.ConstantTimeCompare(got[:], st.digest[:]) != 1 {
		return "", ErrUnauthenticated
	}
	return st.tenant, nil
}

// authChecker is an Authenticator that can tell NewServer it cannot work.
type authChecker interface{ checkAuth() error }

// checkAuth lets NewServer refuse an unusable token before serving.
func (st *staticToken) checkAuth() error { return st.err }

// Authenticators authenticates a request with the first of its members
// that accepts it, e.g. a StaticToken for a trial tenant beside a *Tokens.
// When none does, the error is the first that is not ErrUnauthenticated
// (such as a 503 from an unreadable store, which a client should retry),
// else ErrUnauthenticated. NewServer refuses it when a member is unusable.
type Authenticators []Authenticator

// Authenticate implements Authenticator.
func (as Authenticators) Authenticate(r *http.Request) (string, error) {
	var first error
	for _, a := range as {
		tenant, err := a.Authenticate(r)
		if err == nil {
			return tenant, nil
		}
		if first == nil && !errors.Is(err, ErrUnauthenticated) {
			first = err
		}
	}
	if first != nil {
		return "", first
	}
	return "", ErrUnauthenticated
}

// checkAuth refuses an empty list and passes on a member's refusal.
func (as Authenticators) checkAuth() error {
	if len(as) == 0 {
		return errors.New("scim: Authenticators is empty; it would authenticate no request")
	}
	for _, a := range as {
		if a == nil {
			return errors.New("scim: Authenticators has a nil member")
		}
		if c, ok := a.(authChecker); ok {
			if err := c.checkAuth(); err != nil {
				return err
			}
		}
	}
	return nil
}
