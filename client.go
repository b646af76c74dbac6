package scim

import (
	"context"
	"time"
)

// Client is an OAuth 2.0 client of a tenant (RFC 6749 section 2): an
// identity provider that gets access tokens from Clients' token endpoint
// with the client credentials grant.
type Client struct {
	// ID is the client_id: public, safe to show and log, and unique
	// across tenants, since a token request names no tenant.
	ID     string
	Tenant string
	// Label is a note for people, such as "Entra ID, production".
	Label   string
	Created time.Time
	// Secrets are the client's secrets, revoked and expired ones
	// included, oldest Created first and by ID among equal times. Several
	// may be active at once, so that a secret is rotated without downtime.
	Secrets []ClientSecret
}

// ClientSecret is one secret of a Client, kept as a digest only.
type ClientSecret struct {
	// ID names the secret in public, unique within its client; it is what
	// Clients.RevokeSecret takes.
	ID string
	// Digest is TokenDigest(secret), lower-case hex.
	Digest  string
	Created time.Time
	// Expires, when not zero, is the instant from which the secret is
	// refused.
	Expires time.Time
	// Revoked, when not zero, is when the secret was revoked.
	Revoked time.Time
}

// Active reports whether s authenticates its client at now.
func (s ClientSecret) Active(now time.Time) bool { return activeAt(s.Revoked, s.Expires, now) }

// ClientStore keeps the OAuth clients of a Clients. store/sqlstore
// implements it, a Clients without one keeps them in memory, and
// storetest.RunClients checks an implementation. Clients validates every
// argument before it calls a store. Methods must be safe for concurrent
// use, and a client read back must equal (times compared with
// time.Time.Equal) the one stored, with the changes AddClientSecret and
// RevokeClientSecret made.
type ClientStore interface {
	// AddClient stores c with its Secrets, every field as given, all or
	// nothing. It returns ErrConflict and stores nothing when a client
	// with c.ID exists (in any tenant) or two of c.Secrets share an ID.
	AddClient(ctx context.Context, c Client) error
	// ClientByID returns the client with id and all its secrets, or
	// ErrNotFound when there is none.
	ClientByID(ctx context.Context, id string) (Client, error)
	// ListClients returns every client of tenant with its secrets, oldest
	// Created first and by ID among equal times. A tenant without clients
	// gets an empty list, not an error.
	ListClients(ctx context.Context, tenant string) ([]Client, error)
	// AddClientSecret adds s to the client of tenant with clientID. It
	// returns ErrNotFound when tenant has no such client (another
	// tenant's is not found either) and ErrConflict, storing nothing,
	// when the client has a secret with s.ID.
	AddClientSecret(ctx context.Context, tenant, clientID string, s ClientSecret) error
	// RevokeClientSecret sets Revoked to at on the secret secretID of the
	// client of tenant with clientID. It returns ErrNotFound when there
	// is no such client or secret. Revoking a revoked secret is a no-op
	// that keeps the first time and returns nil.
	RevokeClientSecret(ctx context.Context, tenant, clientID, secretID string, at time.Time) error
}
