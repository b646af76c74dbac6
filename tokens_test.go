package scim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// countingStore counts the calls Tokens makes to a TokenStore. When gate
// is set, TokenByDigest reads, then waits for it before answering.
type countingStore struct {
	TokenStore
	reads, touches atomic.Int64
	fail           error
	gate           chan struct{}
	entered        chan struct{}
}

func (s *countingStore) TokenByDigest(ctx context.Context, digest string) (Token, error) {
	s.reads.Add(1)
	if s.fail != nil {
		return Token{}, s.fail
	}
	t, err := s.TokenStore.TokenByDigest(ctx, digest)
	if s.gate != nil {
		s.entered <- struct{}{}
		<-s.gate
	}
	return t, err
}

func (s *countingStore) TouchToken(ctx context.Context, tenant, id string, at time.Time) error {
	s.touches.Add(1)
	return s.TokenStore.TouchToken(ctx, tenant, id, at)
}

func newCounting() *countingStore { return &countingStore{TokenStore: &tokenMap{}} }

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// authAs returns the tenant ts authenticates secret as, or "" and the
// error.
func authAs(ts *Tokens, secret string) (string, error) {
	r := httptest.NewRequest("GET", "/Users", nil)
	r.Header.Set("Authorization", "Bearer "+secret)
	return ts.Authenticate(r)
}

func issue(t *testing.T, ts *Tokens, tok Token) (string, Token) {
	t.Helper()
	secret, stored, err := ts.Issue(t.Context(), tok)
	if err != nil {
		t.Fatalf("Issue(%+v): %v", tok, err)
	}
	return secret, stored
}

func TestTokensRotationExpiryRevocation(t *testing.T) {
	clock := NewFakeClock(t0)
	ts := &Tokens{Now: clock.Now}
	ctx := t.Context()

	oldSecret, old := issue(t, ts, Token{Tenant: "acme", Label: "first"})
	clock.Add(time.Minute)
	newSecret, _ := issue(t, ts, Token{Tenant: "acme", Expires: t0.Add(time.Hour)})
	otherSecret, _ := issue(t, ts, Token{Tenant: "globex"})
	if !strings.HasPrefix(oldSecret, "scim_") || oldSecret == newSecret {
		t.Fatalf("secrets %q, %q: want distinct scim_ tokens", oldSecret, newSecret)
	}
	steps := []struct {
		name   string
		do     func() error
		secret string
		want   string
	}{
		{"old token works", nil, oldSecret, "acme"},
		{"new token works beside it", nil, newSecret, "acme"},
		{"other tenant's token", nil, otherSecret, "globex"},
		{"unknown token", nil, "scim_nope", ""},
		{"old token revoked", func() error { return ts.Revoke(ctx, "acme", old.ID) }, oldSecret, ""},
		{"revoked again", func() error { return ts.Revoke(ctx, "acme", old.ID) }, oldSecret, ""},
		{"new token still works", nil, newSecret, "acme"},
		{"new token expired", func() error { clock.Add(time.Hour); return nil }, newSecret, ""},
		{"tenant revoked", func() error { return ts.RevokeTenant(ctx, "globex") }, otherSecret, ""},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
		}
		got, err := authAs(ts, s.secret)
		if got != s.want || (s.want == "") != errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: tenant %q, %v; want %q", s.name, got, err, s.want)
		}
	}
	if err := ts.Revoke(ctx, "globex", old.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoking another tenant's token: %v, want ErrNotFound", err)
	}
	list, err := ts.List(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tok := range list {
		got = append(got, fmt.Sprintf("%s revoked=%v active=%v", tok.Label, !tok.Revoked.IsZero(), tok.Active(clock.Now())))
	}
	if d := cmp.Diff([]string{"first revoked=true active=false", " revoked=false active=false"}, got); d != "" {
		t.Errorf("List (-want +got):\n%s", d)
	}
}

func TestTokensAddRejectsBadInput(t *testing.T) {
	clock := NewFakeClock(t0)
	ts := &Tokens{Now: clock.Now}
	good := TokenDigest("x")
	for _, tc := range []struct {
		tok  Token
		want string
	}{
		{Token{Tenant: "a", Digest: "not-hex"}, "hex SHA-256"},
		{Token{Tenant: "a", Digest: "abcd"}, "hex SHA-256"},
		{Token{Tenant: "a", Digest: good[:63] + "g"}, "hex SHA-256"},
		{Token{Tenant: "", Digest: good}, "Tenant is empty"},
		{Token{Tenant: "a", Digest: good, ID: "has space"}, "Token.ID"},
		{Token{Tenant: "a", Digest: good, ID: strings.Repeat("x", 65)}, "Token.ID"},
		{Token{Tenant: "a", Digest: good, Label: strings.Repeat("x", 201)}, "Label"},
		{Token{Tenant: "a", Digest: good, Label: "line\nbreak"}, "control"},
		{Token{Tenant: "a", Digest: good, Label: "\xff"}, "UTF-8"},
		{Token{Tenant: "a", Digest: good, Expires: t0}, "not in the future"},
		{Token{Tenant: "a", Digest: good, Expires: t0.Add(-time.Hour)}, "not in the future"},
	} {
		if _, err := ts.Add(t.Context(), tc.tok); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v): %v, want an error about %q", tc.tok, err, tc.want)
		}
	}
	if list, _ := ts.List(t.Context(), "a"); len(list) != 0 {
		t.Errorf("refused tokens were stored: %+v", list)
	}

	// Issue refuses a past expiry, and a digest it did not make.
	for _, tc := range []struct {
		tok  Token
		want string
	}{
		{Token{Tenant: "a", Expires: t0.Add(-time.Second)}, "not in the future"},
		{Token{Tenant: "a", Digest: good}, "leave Token.Digest empty"},
	} {
		if secret, _, err := ts.Issue(t.Context(), tc.tok); err == nil || secret != "" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Issue(%+v): %q, %v; want an error about %q", tc.tok, secret, err, tc.want)
		}
	}

	// Upper-case hex is the same digest; a second one conflicts.
	added, err := ts.Add(t.Context(), Token{Tenant: "a", Digest: strings.ToUpper(good), ID: "mine"})
	if err != nil || added.Digest != good || added.ID != "mine" || !added.Created.Equal(t0) {
		t.Fatalf("Add: %+v, %v", added, err)
	}
	if tenant, _ := authAs(ts, "x"); tenant != "a" {
		t.Errorf("the added token authenticates as %q", tenant)
	}
	for _, tok := range []Token{{Tenant: "b", Digest: good}, {Tenant: "a", Digest: TokenDigest("y"), ID: "mine"}} {
		if _, err := ts.Add(t.Context(), tok); !errors.Is(err, ErrConflict) {
			t.Errorf("Add(%+v) again: %v, want ErrConflict", tok, err)
		}
	}
}

// TestTokensCache checks that the store is read once per CacheFor, and
// that a revocation the store learns of elsewhere is effective exactly at
// that bound.
func TestTokensCache(t *testing.T) {
	clock := NewFakeClock(t0)
	st := newCounting()
	ts := &Tokens{Store: st, Now: clock.Now, CacheFor: 10 * time.Second}
	secret, tok := issue(t, ts, Token{Tenant: "acme"})

	for range 5 {
		if tenant, err := authAs(ts, secret); tenant != "acme" {
			t.Fatalf("Authenticate: %q, %v", tenant, err)
		}
	}
	if n := st.reads.Load(); n != 1 {
		t.Errorf("%d store reads for 5 requests within CacheFor, want 1", n)
	}
	// Another instance revokes it in the store.
	clock.Add(3 * time.Second)
	if err := st.RevokeToken(t.Context(), "acme", tok.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	clock.Add(7*time.Second - time.Nanosecond)
	if tenant, _ := authAs(ts, secret); tenant != "acme" {
		t.Errorf("just inside CacheFor: %q, want the cached answer", tenant)
	}
	clock.Add(time.Nanosecond)
	if tenant, err := authAs(ts, secret); tenant != "" || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("at CacheFor after the read: %q, %v; want ErrUnauthenticated", tenant, err)
	}
	if n := st.reads.Load(); n != 2 {
		t.Errorf("%d store reads, want 2", n)
	}
}

// TestTokensUnknownFlood checks that made-up tokens cost a bounded number
// of store reads and a bounded amount of memory, and do not lock out a
// token in the cache.
func TestTokensUnknownFlood(t *testing.T) {
	clock := NewFakeClock(t0)
	st := newCounting()
	ts := &Tokens{Store: st, Now: clock.Now, LookupsPerSecond: 5, CacheFor: 100 * time.Millisecond}
	secret, _ := issue(t, ts, Token{Tenant: "acme"})
	if tenant, _ := authAs(ts, secret); tenant != "acme" {
		t.Fatalf("valid token: %q", tenant)
	}
	clock.Add(150 * time.Millisecond) // its cache entry is stale; 0.75 reads refilled
	var statuses []string
	for i := range 8 {
		_, err := authAs(ts, fmt.Sprintf("scim_made_up_%d", i))
		var se *Error
		switch {
		case errors.As(err, &se):
			statuses = append(statuses, fmt.Sprint(se.Status))
		case errors.Is(err, ErrUnauthenticated):
			statuses = append(statuses, "401")
		default:
			statuses = append(statuses, err.Error())
		}
	}
	// The valid token took one of the five.
	want := []string{"401", "401", "401", "401", "503", "503", "503", "503"}
	if d := cmp.Diff(want, statuses); d != "" {
		t.Errorf("made-up tokens (-want +got):\n%s", d)
	}
	if n := st.reads.Load(); n != 5 {
		t.Errorf("%d store reads, want 5", n)
	}
	// A token the store had is read again past the limit.
	if tenant, err := authAs(ts, secret); tenant != "acme" {
		t.Errorf("a known token during the flood: %q, %v", tenant, err)
	}
	// A token already found unknown is answered from memory.
	if _, err := authAs(ts, "scim_made_up_0"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a remembered unknown token: %v", err)
	}
	clock.Add(time.Second)
	if _, err := authAs(ts, "scim_made_up_7"); !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("a second later: %v, want a store read and 401", err)
	}
	if n := st.reads.Load(); n != 7 {
		t.Errorf("%d store reads, want 7", n)
	}

	// Memory stays bounded however many unknown tokens arrive.
	big := &Tokens{Now: clock.Now, LookupsPerSecond: 1 << 30}
	for i := range maxUnknown + 100 {
		authAs(big, fmt.Sprint("scim_", i))
	}
	big.mu.Lock()
	n := len(big.unknown)
	big.mu.Unlock()
	if n > maxUnknown {
		t.Errorf("%d unknown digests remembered, want at most %d", n, maxUnknown)
	}
}

// TestTokensLastUsed checks that LastUsed is written once a minute per
// token, not on every request.
func TestTokensLastUsed(t *testing.T) {
	clock := NewFakeClock(t0)
	st := newCounting()
	ts := &Tokens{Store: st, Now: clock.Now}
	secret, _ := issue(t, ts, Token{Tenant: "acme"})
	lastUsed := func() time.Time {
		list, err := ts.List(t.Context(), "acme")
		if err != nil || len(list) != 1 {
			t.Fatalf("List: %v, %v", list, err)
		}
		return list[0].LastUsed
	}
	if !lastUsed().IsZero() {
		t.Fatal("LastUsed set before any use")
	}
	for i := range 121 { // one request a second for two minutes
		if tenant, _ := authAs(ts, secret); tenant != "acme" {
			t.Fatalf("request %d: %q", i, tenant)
		}
		if i < 120 {
			clock.Add(time.Second)
		}
	}
	if n := st.touches.Load(); n != 3 {
		t.Errorf("%d LastUsed writes in two minutes of requests, want 3", n)
	}
	if got, want := lastUsed(), t0.Add(2*time.Minute); !got.Equal(want) {
		t.Errorf("LastUsed %v, want %v", got, want)
	}
}

// TestTokensStoreFailure checks that an unreadable store answers 503, is
// logged without the token, and is not cached.
func TestTokensStoreFailure(t *testing.T) {
	clock := NewFakeClock(t0)
	st := newCounting()
	var logs strings.Builder
	ts := &Tokens{Store: st, Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	secret, _ := issue(t, ts, Token{Tenant: "acme"})
	st.fail = errors.New("connection refused")
	_, err := authAs(ts, secret)
	var se *Error
	if !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("Authenticate with the store down: %v, want a 503 *Error", err)
	}
	if !strings.Contains(logs.String(), "connection refused") || strings.Contains(logs.String(), secret) ||
		strings.Contains(logs.String(), TokenDigest(secret)) {
		t.Errorf("log: %s", logs.String())
	}
	st.fail = nil
	if tenant, _ := authAs(ts, secret); tenant != "acme" {
		t.Errorf("once the store is back: %q", tenant)
	}
}

// TestTokensRevokeDuringRead checks that a read which started before a
// revocation on this instance is not cached: the next request reads the
// store again and is refused.
func TestTokensRevokeDuringRead(t *testing.T) {
	clock := NewFakeClock(t0)
	st := newCounting()
	ts := &Tokens{Store: st, Now: clock.Now}
	secret, tok := issue(t, ts, Token{Tenant: "acme"})
	st.gate, st.entered = make(chan struct{}), make(chan struct{})
	done := make(chan string)
	go func() {
		tenant, _ := authAs(ts, secret)
		done <- tenant
	}()
	<-st.entered // the read has the token as it was
	if err := ts.Revoke(t.Context(), "acme", tok.ID); err != nil {
		t.Fatal(err)
	}
	close(st.gate)
	<-done // a request concurrent with the revocation may pass either way
	st.gate = nil
	if tenant, err := authAs(ts, secret); tenant != "" || !errors.Is(err, ErrUnauthenticated) {
		t.Errorf("after Revoke returned: %q, %v", tenant, err)
	}
}

// TestTokensConcurrent authenticates from many goroutines while tokens are
// issued and revoked (run with -race).
func TestTokensConcurrent(t *testing.T) {
	ts := &Tokens{}
	secret, _ := issue(t, ts, Token{Tenant: "acme"})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if tenant, err := authAs(ts, secret); tenant != "acme" {
					t.Errorf("Authenticate: %q, %v", tenant, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 50 {
			s, tok, err := ts.Issue(t.Context(), Token{Tenant: "acme"})
			if err != nil {
				t.Error(err)
				return
			}
			authAs(ts, s)
			if err := ts.Revoke(t.Context(), "acme", tok.ID); err != nil {
				t.Error(err)
				return
			}
		}
	})
	wg.Wait()
}
