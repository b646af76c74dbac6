package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scimkit/scim"
)

// RunTokens runs the contract suite for a scim.TokenStore as subtests of
// t, checking every rule the TokenStore methods state. newStore must
// return a fresh, empty store on every call; each subtest takes its own.
//
//	func TestTokenStore(t *testing.T) {
//		storetest.RunTokens(t, func(t *testing.T) scim.TokenStore {
//			return mystore.New(openTestDB(t))
//		})
//	}
func RunTokens(t *testing.T, newStore func(t *testing.T) scim.TokenStore) {
	t.Helper()
	runSuite(t, newStore, []storeCheck[scim.TokenStore]{
		{"RoundTrip", testTokenRoundTrip},
		{"Conflict", testTokenConflict},
		{"List", testTokenList},
		{"Revoke", testTokenRevoke},
		{"Touch", testTokenTouch},
		{"Concurrency", testTokenConcurrency},
		{"Prune", testTokenPrune},
	})
}

// storeCheck is a named check of a store of type S.
type storeCheck[S any] struct {
	name string
	run  func(t *testing.T, s S)
}

// runSuite runs each of sts as a subtest of t on a fresh store.
func runSuite[S any](t *testing.T, newStore func(t *testing.T) S, sts []storeCheck[S]) {
	t.Helper()
	for _, st := range sts {
		t.Run(st.name, func(t *testing.T) { st.run(t, newStore(t)) })
	}
}

// tokenTime is a time with nanoseconds, away from UTC, that a store must
// give back equal (time.Time.Equal).
var tokenTime = time.Date(2026, 3, 4, 5, 6, 7, 890123456, time.FixedZone("UTC+2", 2*3600))

// newToken returns a token of tenant with id whose digest is derived from
// both, created at tokenTime plus minutes.
func newToken(tenant, id string, minutes int) scim.Token {
	return scim.Token{
		ID:      id,
		Tenant:  tenant,
		Digest:  scim.TokenDigest(tenant + "/" + id),
		Label:   "label of " + id,
		Created: tokenTime.Add(time.Duration(minutes) * time.Minute),
	}
}

func addToken(t *testing.T, s scim.TokenStore, tok scim.Token) {
	t.Helper()
	if err := s.AddToken(t.Context(), tok); err != nil {
		t.Fatalf("AddToken(%+v): %v", tok, err)
	}
}

func tokenByDigest(t *testing.T, s scim.TokenStore, digest string) scim.Token {
	t.Helper()
	got, err := s.TokenByDigest(t.Context(), digest)
	if err != nil {
		t.Fatalf("TokenByDigest: %v", err)
	}
	return got
}

func listTokens(t *testing.T, s scim.TokenStore, tenant string) []scim.Token {
	t.Helper()
	got, err := s.ListTokens(t.Context(), tenant)
	if err != nil {
		t.Fatalf("ListTokens(%q): %v", tenant, err)
	}
	return got
}

// testTokenRoundTrip stores tokens with every field set, and with every
// optional field zero, and reads them back.
func testTokenRoundTrip(t *testing.T, s scim.TokenStore) {
	full := newToken(tenantA, "tok_full", 0)
	full.Label = "Entra ID, prod — “ünïcödé”"
	full.Expires = tokenTime.Add(365 * 24 * time.Hour)
	full.LastUsed = tokenTime.Add(time.Second)
	full.Revoked = tokenTime.Add(2 * time.Second)
	bare := newToken(tenantA, "tok_bare", 1)
	bare.Label = ""
	for _, tok := range []scim.Token{full, bare} {
		addToken(t, s, tok)
		if d := cmp.Diff(tok, tokenByDigest(t, s, tok.Digest)); d != "" {
			t.Errorf("TokenByDigest after AddToken (-want +got):\n%s", d)
		}
	}
	if d := cmp.Diff([]scim.Token{full, bare}, listTokens(t, s, tenantA)); d != "" {
		t.Errorf("ListTokens (-want +got):\n%s", d)
	}
	for _, digest := range []string{scim.TokenDigest("unknown"), "", full.Digest[:63]} {
		if _, err := s.TokenByDigest(t.Context(), digest); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("TokenByDigest(%q): %v, want ErrNotFound", digest, err)
		}
	}
}

// testTokenConflict checks that digests are unique across tenants and ids
// within one, and that a refused token leaves nothing behind.
func testTokenConflict(t *testing.T, s scim.TokenStore) {
	first := newToken(tenantA, "tok_1", 0)
	addToken(t, s, first)
	sameDigest := newToken(tenantB, "tok_other", 1)
	sameDigest.Digest = first.Digest
	sameID := newToken(tenantA, "tok_1", 2)
	sameID.Digest = scim.TokenDigest("another secret")
	for _, tok := range []scim.Token{sameDigest, sameID} {
		if err := s.AddToken(t.Context(), tok); !errors.Is(err, scim.ErrConflict) {
			t.Errorf("AddToken(%+v): %v, want ErrConflict", tok, err)
		}
	}
	if d := cmp.Diff(first, tokenByDigest(t, s, first.Digest)); d != "" {
		t.Errorf("the first token after the conflicts (-want +got):\n%s", d)
	}
	if _, err := s.TokenByDigest(t.Context(), sameID.Digest); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("a token refused for its ID was stored: %v", err)
	}
	if got := listTokens(t, s, tenantB); len(got) != 0 {
		t.Errorf("a token refused for its digest was stored: %+v", got)
	}
	// An ID is unique within a tenant only.
	addToken(t, s, newToken(tenantB, "tok_1", 3))
}

// testTokenList checks order and tenant isolation.
func testTokenList(t *testing.T, s scim.TokenStore) {
	if got := listTokens(t, s, tenantA); len(got) != 0 {
		t.Errorf("ListTokens on an empty store: %+v", got)
	}
	late := newToken(tenantA, "tok_a", 10)
	early := newToken(tenantA, "tok_z", 0)
	tieB := newToken(tenantA, "tok_b", 5)
	tieA := newToken(tenantA, "tok_0", 5)
	other := newToken(tenantB, "tok_b", 1)
	for _, tok := range []scim.Token{late, early, tieB, other, tieA} {
		addToken(t, s, tok)
	}
	if d := cmp.Diff([]scim.Token{early, tieA, tieB, late}, listTokens(t, s, tenantA)); d != "" {
		t.Errorf("ListTokens(%q), oldest first, then by ID (-want +got):\n%s", tenantA, d)
	}
	if d := cmp.Diff([]scim.Token{other}, listTokens(t, s, tenantB)); d != "" {
		t.Errorf("ListTokens(%q) (-want +got):\n%s", tenantB, d)
	}
	if got := listTokens(t, s, "no-such-tenant"); len(got) != 0 {
		t.Errorf("ListTokens of a tenant without tokens: %+v", got)
	}
}

// testTokenRevoke checks that a revocation keeps its first time, stays
// within its tenant, and leaves the token readable.
func testTokenRevoke(t *testing.T, s scim.TokenStore) {
	ctx := t.Context()
	tok := newToken(tenantA, "tok_1", 0)
	addToken(t, s, tok)
	otherTenant := newToken(tenantB, "tok_2", 0)
	addToken(t, s, otherTenant)

	for _, tc := range []struct{ tenant, id string }{
		{tenantB, tok.ID}, {tenantA, "tok_unknown"}, {tenantA, otherTenant.ID}, {"", tok.ID},
	} {
		if err := s.RevokeToken(ctx, tc.tenant, tc.id, tokenTime); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("RevokeToken(%q, %q): %v, want ErrNotFound", tc.tenant, tc.id, err)
		}
	}
	if got := tokenByDigest(t, s, tok.Digest); !got.Revoked.IsZero() {
		t.Errorf("revoked by another tenant's call: %+v", got)
	}

	at := tokenTime.Add(time.Hour)
	if err := s.RevokeToken(ctx, tenantA, tok.ID, at); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := s.RevokeToken(ctx, tenantA, tok.ID, at.Add(time.Hour)); err != nil {
		t.Errorf("RevokeToken of a revoked token: %v, want nil", err)
	}
	want := tok
	want.Revoked = at
	if d := cmp.Diff(want, tokenByDigest(t, s, tok.Digest)); d != "" {
		t.Errorf("the revoked token, revoked at the first time (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]scim.Token{want}, listTokens(t, s, tenantA)); d != "" {
		t.Errorf("ListTokens after RevokeToken (-want +got):\n%s", d)
	}
	if got := tokenByDigest(t, s, otherTenant.Digest); !got.Revoked.IsZero() {
		t.Errorf("another tenant's token was revoked: %+v", got)
	}
}

// testTokenTouch checks that LastUsed only moves forward and only on the
// named token.
func testTokenTouch(t *testing.T, s scim.TokenStore) {
	ctx := t.Context()
	tok := newToken(tenantA, "tok_1", 0)
	addToken(t, s, tok)
	other := newToken(tenantB, "tok_1", 0)
	addToken(t, s, other)
	later := tokenTime.Add(time.Hour)
	for _, tc := range []struct {
		tenant, id string
		at         time.Time
		want       time.Time // tok's LastUsed afterwards
	}{
		{tenantA, tok.ID, later, later},
		{tenantA, tok.ID, later.Add(-time.Minute), later},
		{tenantA, tok.ID, later, later},
		{tenantA, tok.ID, later.Add(time.Nanosecond), later.Add(time.Nanosecond)},
		{tenantA, "tok_unknown", later.Add(time.Hour), later.Add(time.Nanosecond)},
		{"no-such-tenant", tok.ID, later.Add(time.Hour), later.Add(time.Nanosecond)},
	} {
		if err := s.TouchToken(ctx, tc.tenant, tc.id, tc.at); err != nil {
			t.Errorf("TouchToken(%q, %q, %v): %v, want nil", tc.tenant, tc.id, tc.at, err)
		}
		if got := tokenByDigest(t, s, tok.Digest).LastUsed; !got.Equal(tc.want) {
			t.Errorf("after TouchToken(%q, %q, %v): LastUsed %v, want %v", tc.tenant, tc.id, tc.at, got, tc.want)
		}
	}
	if got := tokenByDigest(t, s, other.Digest); !got.LastUsed.IsZero() {
		t.Errorf("another tenant's token with the same ID was touched: %+v", got)
	}
}

// testTokenConcurrency adds one digest from several goroutines (exactly
// one wins) and touches one token concurrently (the latest time stays).
func testTokenConcurrency(t *testing.T, s scim.TokenStore) {
	ctx := t.Context()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok := newToken(tenantA, fmt.Sprint("tok_", i), 0)
			tok.Digest = scim.TokenDigest("one secret")
			errs[i] = s.AddToken(ctx, tok)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, scim.ErrConflict):
			t.Errorf("AddToken #%d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 || len(listTokens(t, s, tenantA)) != 1 {
		t.Fatalf("%d concurrent AddTokens of one digest succeeded, %d stored; want 1", won, len(listTokens(t, s, tenantA)))
	}
	tok := tokenByDigest(t, s, scim.TokenDigest("one secret"))
	for i := range n {
		wg.Go(func() {
			if err := s.TouchToken(ctx, tenantA, tok.ID, tokenTime.Add(time.Duration(i)*time.Second)); err != nil {
				t.Errorf("TouchToken: %v", err)
			}
		})
	}
	wg.Wait()
	if got, want := tokenByDigest(t, s, tok.Digest).LastUsed, tokenTime.Add((n-1)*time.Second); !got.Equal(want) {
		t.Errorf("LastUsed after concurrent touches %v, want the latest, %v", got, want)
	}
}

// testTokenPrune checks that PruneTokens deletes exactly the tokens with
// the prefix that expired by the time given, in every tenant.
func testTokenPrune(t *testing.T, s scim.TokenStore) {
	p, ok := s.(scim.TokenPruner)
	if !ok {
		t.Skip("the store is not a scim.TokenPruner")
	}
	cut := tokenTime.Add(time.Hour)
	expiring := func(tenant, id string, expires time.Time) scim.Token {
		tok := newToken(tenant, id, 0)
		tok.Expires = expires
		return tok
	}
	gone := []scim.Token{
		expiring(tenantA, "oat_1", cut.Add(-time.Minute)),
		expiring(tenantB, "oat_2", cut), // expired at the instant given
	}
	kept := []scim.Token{
		expiring(tenantA, "oat_3", cut.Add(time.Nanosecond)), // not yet expired
		newToken(tenantA, "oat_4", 0),                        // never expires
		expiring(tenantA, "tok_5", cut.Add(-time.Hour)),      // another prefix
		expiring(tenantB, "xoat_6", cut.Add(-time.Hour)),     // the prefix inside
		expiring(tenantB, "oat", cut.Add(-time.Hour)),        // shorter than the prefix
	}
	for _, tok := range append(slices.Clone(gone), kept...) {
		addToken(t, s, tok)
	}
	n, err := p.PruneTokens(t.Context(), "oat_", cut)
	if err != nil || n != len(gone) {
		t.Fatalf("PruneTokens: %d, %v; want %d, nil", n, err, len(gone))
	}
	for _, tok := range gone {
		if _, err := s.TokenByDigest(t.Context(), tok.Digest); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("token %s after PruneTokens: %v, want ErrNotFound", tok.ID, err)
		}
	}
	for _, tok := range kept {
		if d := cmp.Diff(tok, tokenByDigest(t, s, tok.Digest)); d != "" {
			t.Errorf("token %s after PruneTokens (-want +got):\n%s", tok.ID, d)
		}
	}
	if got := len(listTokens(t, s, tenantA)) + len(listTokens(t, s, tenantB)); got != len(kept) {
		t.Errorf("%d tokens listed after PruneTokens, want %d", got, len(kept))
	}
	if n, err := p.PruneTokens(t.Context(), "oat_", cut); err != nil || n != 0 {
		t.Errorf("PruneTokens again: %d, %v; want 0, nil", n, err)
	}
}
