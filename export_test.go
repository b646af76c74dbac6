package scim

import (
	"context"
	"sync/atomic"
	"time"
)

// Names the external tests (package scim_test) share with the internal ones.

// BenchUserJSON is a POST /Users body with the whole Juno Journey mapping.
const BenchUserJSON = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
 "externalId":"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef","userName":"Test_User_ab6490ee@contoso.com","active":true,
 "displayName":"Ada Lovelace","title":"Analyst","preferredLanguage":"en-GB",
 "emails":[{"primary":true,"type":"work","value":"ada@contoso.com"}],
 "addresses":[{"type":"work","country":"GB","region":"London","locality":"London","postalCode":"W1 1AA","formatted":"1 Main St","streetAddress":"1 Main St"}],
 "name":{"givenName":"Ada","familyName":"Lovelace","middleName":"King","formatted":"Ada King Lovelace"},
 "phoneNumbers":[{"type":"work","value":"+44 20 7946 0000"},{"type":"mobile","value":"07700 900000"},{"type":"fax","value":"020 7946 0001"}],
 "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering","employeeNumber":"E-1815","costCenter":"CC-42",
  "division":"R&D","organization":"Contoso","manager":"9b1c7a4e-4f5e-4d2b-8c1a-2b3c4d5e6f70"}}`

// FakeClock is a clock for Tokens.Now that tests move by hand. It is safe
// for concurrent use, as a server's goroutines read it.
type FakeClock struct{ ns atomic.Int64 }

// NewFakeClock returns a clock showing t.
func NewFakeClock(t time.Time) *FakeClock {
	c := &FakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

// Now returns the time the clock shows.
func (c *FakeClock) Now() time.Time { return time.Unix(0, c.ns.Load()).UTC() }

// Add moves the clock by d.
func (c *FakeClock) Add(d time.Duration) { c.ns.Add(int64(d)) }

// NewTokenMap returns the TokenStore a Tokens uses when its Store is nil.
func NewTokenMap() TokenStore { return &tokenMap{} }

// SetEventSleep replaces how s's in-process delivery waits between
// attempts. Call it before the first event is published.
func SetEventSleep(s *Server, sleep func(ctx context.Context, d time.Duration) bool) {
	s.ev.sleep = sleep
}

// Publish is s.publish, the call the built-in handlers make after a write.
func Publish(ctx context.Context, s *Server, w CommittedWrite) { s.publish(ctx, w) }

// SetRateClock replaces the clock of s's rate limits (Config.RateLimit).
func SetRateClock(s *Server, now func() time.Time) { s.limits.now = now }

// SetCursorClock sets the clock cursors are issued and checked by; call
// it before serving.
func SetCursorClock(s *Server, now func() time.Time) { s.cursors.now = now }

// NewClientMap returns the in-memory ClientStore of a Clients without one,
// for the storetest contract.
func NewClientMap() ClientStore { return &clientMap{} }
