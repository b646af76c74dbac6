package scim

import (
	"context"
	"time"
)

// Token is a stored bearer token: the digest of a secret (never the secret
// itself), the tenant it acts for, and its life cycle.
type Token struct {
	// ID names the token in public: it is safe to show and log, and it is
	// what Tokens.Revoke takes. It is unique within the tenant.
	ID     string
	Tenant string
	// Digest is TokenDigest(secret), lower-case hex; the secret itself is
	// never stored. A digest cannot be turned back into its secret, but it
	// is only for lookups: show ID.
	Digest string
	// Label is a note for people, such as "Entra ID, production".
	Label   string
	Created time.Time
	// Expires, when not zero, is the instant from which the token is
	// refused (RFC 7644 section 7.4 asks for a limited lifetime).
	Expires time.Time
	// LastUsed is when the token last authenticated a request, as recorded
	// at most about once a minute (see Tokens); zero means never.
	LastUsed time.Time
	// Revoked, when not zero, is when the token was revoked; it is refused
	// from then on.
	Revoked time.Time
}

// Active reports whether t authenticates requests at now: it is neither
// revoked nor expired.
func (t Token) Active(now time.Time) bool { return activeAt(t.Revoked, t.Expires, now) }

// activeAt reports whether something revoked and expiring at these times
// (zero for never) is in force at now.
func activeAt(revoked, expires, now time.Time) bool {
	return revoked.IsZero() && (expires.IsZero() || now.Before(expires))
}

// TokenStore keeps the tokens of a Tokens. store/memory and store/sqlstore
// implement it, and storetest.RunTokens checks an implementation. Tokens
// validates every argument before it calls a store, so a store need not
// check digests, tenants or times again. Methods must be safe for
// concurrent use, and a token read back must equal (times compared with
// time.Time.Equal) the one stored, with the changes RevokeToken and
// TouchToken made.
type TokenStore interface {
	// AddToken stores t with every field as given. It returns ErrConflict
	// and stores nothing when a token with t.Digest exists (in any
	// tenant) or when t.Tenant has a token with t.ID.
	AddToken(ctx context.Context, t Token) error
	// TokenByDigest returns the token whose Digest is digest, revoked and
	// expired ones included, or ErrNotFound when there is none.
	TokenByDigest(ctx context.Context, digest string) (Token, error)
	// ListTokens returns every token of tenant, revoked and expired ones
	// included, oldest Created first and by ID among equal times. A
	// tenant without tokens gets an empty list, not an error.
	ListTokens(ctx context.Context, tenant string) ([]Token, error)
	// RevokeToken sets Revoked to at on the token of tenant with id. It
	// returns ErrNotFound when tenant has no token with id (another
	// tenant's token is not found either). Revoking a revoked token is a
	// no-op that keeps the first time and returns nil.
	RevokeToken(ctx context.Context, tenant, id string, at time.Time) error
	// TouchToken sets LastUsed to at on the token of tenant with id when
	// at is after its LastUsed. Otherwise, and when there is no such
	// token, it is a no-op that returns nil.
	TouchToken(ctx context.Context, tenant, id string, at time.Time) error
}

// TokenPruner is a TokenStore that can delete tokens that no longer
// authenticate, an optional ability found by type assertion. Clients uses
// it to delete the short-lived access tokens it issued once they expire,
// so that they do not pile up; without it they are kept (and refused).
type TokenPruner interface {
	// PruneTokens deletes every token whose ID begins with idPrefix and
	// whose Expires is not zero and not after before, in every tenant,
	// and returns how many it deleted. Other tokens are left as they are.
	PruneTokens(ctx context.Context, idPrefix string, before time.Time) (int, error)
}
