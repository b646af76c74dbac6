package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scimkit/scim"
)

// RunClients runs the contract suite for a scim.ClientStore as subtests of
// t, checking every rule the ClientStore methods state. newStore must
// return a fresh, empty store on every call; each subtest takes its own.
//
//	func TestClientStore(t *testing.T) {
//		storetest.RunClients(t, func(t *testing.T) scim.ClientStore {
//			return mystore.New(openTestDB(t))
//		})
//	}
func RunClients(t *testing.T, newStore func(t *testing.T) scim.ClientStore) {
	t.Helper()
	runSuite(t, newStore, []storeCheck[scim.ClientStore]{
		{"RoundTrip", testClientRoundTrip},
		{"Conflict", testClientConflict},
		{"List", testClientList},
		{"AddSecret", testClientAddSecret},
		{"RevokeSecret", testClientRevokeSecret},
		{"Concurrency", testClientConcurrency},
	})
}

// equateEmpty lets a client without secrets have a nil or an empty list.
var equateEmpty = cmpopts.EquateEmpty()

// newSecret returns a secret with id created at tokenTime plus minutes.
func newSecret(id string, minutes int) scim.ClientSecret {
	return scim.ClientSecret{
		ID:      id,
		Digest:  scim.TokenDigest("secret " + id),
		Created: tokenTime.Add(time.Duration(minutes) * time.Minute),
	}
}

// newClient returns a client of tenant with id, created at tokenTime plus
// minutes, with secrets.
func newClient(tenant, id string, minutes int, secrets ...scim.ClientSecret) scim.Client {
	return scim.Client{
		ID:      id,
		Tenant:  tenant,
		Label:   "label of " + id,
		Created: tokenTime.Add(time.Duration(minutes) * time.Minute),
		Secrets: secrets,
	}
}

func addClient(t *testing.T, s scim.ClientStore, c scim.Client) {
	t.Helper()
	if err := s.AddClient(t.Context(), c); err != nil {
		t.Fatalf("AddClient(%s): %v", c.ID, err)
	}
}

func clientByID(t *testing.T, s scim.ClientStore, id string) scim.Client {
	t.Helper()
	got, err := s.ClientByID(t.Context(), id)
	if err != nil {
		t.Fatalf("ClientByID(%s): %v", id, err)
	}
	return got
}

func listClients(t *testing.T, s scim.ClientStore, tenant string) []scim.Client {
	t.Helper()
	got, err := s.ListClients(t.Context(), tenant)
	if err != nil {
		t.Fatalf("ListClients(%q): %v", tenant, err)
	}
	return got
}

// testClientRoundTrip stores clients with and without secrets and every
// time field set, and reads them back equal, secrets in order.
func testClientRoundTrip(t *testing.T, s scim.ClientStore) {
	full := newSecret("cs_b", 1)
	full.Expires = tokenTime.Add(365 * 24 * time.Hour)
	full.Revoked = tokenTime.Add(2 * time.Hour)
	// Given out of order: read back oldest first, then by ID.
	c := newClient(tenantA, "client_1", 0, full, newSecret("cs_c", 0), newSecret("cs_a", 1))
	addClient(t, s, c)
	bare := newClient(tenantA, "client_2", 0)
	bare.Label = ""
	addClient(t, s, bare)

	want := c
	want.Secrets = []scim.ClientSecret{c.Secrets[1], c.Secrets[2], c.Secrets[0]}
	if d := cmp.Diff(want, clientByID(t, s, c.ID), equateEmpty); d != "" {
		t.Errorf("ClientByID (-want +got):\n%s", d)
	}
	if got := clientByID(t, s, bare.ID); len(got.Secrets) != 0 || got.Label != "" || got.Tenant != tenantA {
		t.Errorf("ClientByID of a client without secrets: %+v", got)
	}
	for _, id := range []string{"client_unknown", "", "CLIENT_1"} {
		if _, err := s.ClientByID(t.Context(), id); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("ClientByID(%q): %v, want ErrNotFound", id, err)
		}
	}
}

// testClientConflict checks that client ids are unique across tenants,
// secret ids within a client, and that a refused client leaves nothing.
func testClientConflict(t *testing.T, s scim.ClientStore) {
	first := newClient(tenantA, "client_1", 0, newSecret("cs_1", 0))
	addClient(t, s, first)
	for _, c := range []scim.Client{
		newClient(tenantB, "client_1", 1),
		newClient(tenantA, "client_1", 1, newSecret("cs_2", 0)),
		newClient(tenantB, "client_2", 1, newSecret("cs_1", 0), newSecret("cs_1", 1)),
	} {
		if err := s.AddClient(t.Context(), c); !errors.Is(err, scim.ErrConflict) {
			t.Errorf("AddClient(%+v): %v, want ErrConflict", c, err)
		}
	}
	if d := cmp.Diff(first, clientByID(t, s, first.ID), equateEmpty); d != "" {
		t.Errorf("the first client after the conflicts (-want +got):\n%s", d)
	}
	if _, err := s.ClientByID(t.Context(), "client_2"); !errors.Is(err, scim.ErrNotFound) {
		t.Errorf("a client refused for its secrets was stored: %v", err)
	}
	if got := listClients(t, s, tenantB); len(got) != 0 {
		t.Errorf("refused clients were stored: %+v", got)
	}
	// A secret ID is unique within its client only.
	addClient(t, s, newClient(tenantB, "client_3", 2, newSecret("cs_1", 0)))
}

// testClientList checks order, secrets and tenant isolation.
func testClientList(t *testing.T, s scim.ClientStore) {
	if got := listClients(t, s, tenantA); got == nil || len(got) != 0 {
		t.Errorf("ListClients on an empty store: %#v, want an empty list", got)
	}
	late := newClient(tenantA, "client_a", 10, newSecret("cs_1", 10))
	early := newClient(tenantA, "client_z", 0, newSecret("cs_2", 0), newSecret("cs_3", 1))
	tieB := newClient(tenantA, "client_b", 5)
	tieA := newClient(tenantA, "client_0", 5, newSecret("cs_4", 5))
	other := newClient(tenantB, "client_c", 1, newSecret("cs_5", 1))
	for _, c := range []scim.Client{late, early, tieB, other, tieA} {
		addClient(t, s, c)
	}
	if d := cmp.Diff([]scim.Client{early, tieA, tieB, late}, listClients(t, s, tenantA), equateEmpty); d != "" {
		t.Errorf("ListClients(%q), oldest first, then by ID (-want +got):\n%s", tenantA, d)
	}
	if d := cmp.Diff([]scim.Client{other}, listClients(t, s, tenantB), equateEmpty); d != "" {
		t.Errorf("ListClients(%q) (-want +got):\n%s", tenantB, d)
	}
	if got := listClients(t, s, "no-such-tenant"); len(got) != 0 {
		t.Errorf("ListClients of a tenant without clients: %+v", got)
	}
}

// testClientAddSecret checks that a secret joins its client only, in
// order, and that another tenant cannot add one.
func testClientAddSecret(t *testing.T, s scim.ClientStore) {
	ctx := t.Context()
	c := newClient(tenantA, "client_1", 0, newSecret("cs_1", 5))
	addClient(t, s, c)
	addClient(t, s, newClient(tenantB, "client_2", 0))

	for _, tc := range []struct{ tenant, client string }{
		{tenantB, c.ID}, {tenantA, "client_unknown"}, {tenantA, "client_2"}, {"", c.ID},
	} {
		if err := s.AddClientSecret(ctx, tc.tenant, tc.client, newSecret("cs_x", 0)); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("AddClientSecret(%q, %q): %v, want ErrNotFound", tc.tenant, tc.client, err)
		}
	}
	added := newSecret("cs_0", 1)
	added.Expires = tokenTime.Add(time.Hour)
	if err := s.AddClientSecret(ctx, tenantA, c.ID, added); err != nil {
		t.Fatalf("AddClientSecret: %v", err)
	}
	if err := s.AddClientSecret(ctx, tenantA, c.ID, newSecret("cs_1", 9)); !errors.Is(err, scim.ErrConflict) {
		t.Errorf("AddClientSecret with a taken secret ID: %v, want ErrConflict", err)
	}
	want := c
	want.Secrets = []scim.ClientSecret{added, c.Secrets[0]}
	if d := cmp.Diff(want, clientByID(t, s, c.ID), equateEmpty); d != "" {
		t.Errorf("the client after AddClientSecret (-want +got):\n%s", d)
	}
	if got := clientByID(t, s, "client_2"); len(got.Secrets) != 0 {
		t.Errorf("a refused secret was stored on another client: %+v", got)
	}
}

// testClientRevokeSecret checks that a revocation keeps its first time and
// stays within its tenant and client.
func testClientRevokeSecret(t *testing.T, s scim.ClientStore) {
	ctx := t.Context()
	c := newClient(tenantA, "client_1", 0, newSecret("cs_1", 0), newSecret("cs_2", 1))
	addClient(t, s, c)
	other := newClient(tenantB, "client_2", 0, newSecret("cs_1", 0))
	addClient(t, s, other)

	for _, tc := range []struct{ tenant, client, secret string }{
		{tenantB, c.ID, "cs_1"}, {tenantA, c.ID, "cs_unknown"}, {tenantA, other.ID, "cs_1"}, {tenantA, "client_unknown", "cs_1"},
	} {
		if err := s.RevokeClientSecret(ctx, tc.tenant, tc.client, tc.secret, tokenTime); !errors.Is(err, scim.ErrNotFound) {
			t.Errorf("RevokeClientSecret(%q, %q, %q): %v, want ErrNotFound", tc.tenant, tc.client, tc.secret, err)
		}
	}
	if d := cmp.Diff(c, clientByID(t, s, c.ID), equateEmpty); d != "" {
		t.Errorf("revoked by a refused call (-want +got):\n%s", d)
	}
	at := tokenTime.Add(time.Hour)
	if err := s.RevokeClientSecret(ctx, tenantA, c.ID, "cs_1", at); err != nil {
		t.Fatalf("RevokeClientSecret: %v", err)
	}
	if err := s.RevokeClientSecret(ctx, tenantA, c.ID, "cs_1", at.Add(time.Hour)); err != nil {
		t.Errorf("RevokeClientSecret of a revoked secret: %v, want nil", err)
	}
	want := c
	want.Secrets = []scim.ClientSecret{c.Secrets[0], c.Secrets[1]}
	want.Secrets[0].Revoked = at
	if d := cmp.Diff(want, clientByID(t, s, c.ID), equateEmpty); d != "" {
		t.Errorf("the client after RevokeClientSecret, revoked at the first time (-want +got):\n%s", d)
	}
	if d := cmp.Diff(other, clientByID(t, s, other.ID), equateEmpty); d != "" {
		t.Errorf("another tenant's secret with the same ID (-want +got):\n%s", d)
	}
}

// testClientConcurrency adds one client id from several goroutines
// (exactly one wins) and secrets to one client at once (all are kept).
func testClientConcurrency(t *testing.T, s scim.ClientStore) {
	ctx := t.Context()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.AddClient(ctx, newClient(fmt.Sprint("tenant-", i), "client_1", 0, newSecret(fmt.Sprint("cs_", i), 0)))
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, scim.ErrConflict):
			t.Errorf("AddClient #%d: %v, want nil or ErrConflict", i, err)
		}
	}
	c := clientByID(t, s, "client_1")
	if won != 1 || len(c.Secrets) != 1 {
		t.Fatalf("%d concurrent AddClients of one id succeeded, the client has %d secrets; want 1 and 1", won, len(c.Secrets))
	}
	for i := range n {
		wg.Go(func() {
			if err := s.AddClientSecret(ctx, c.Tenant, c.ID, newSecret(fmt.Sprint("cs_new_", i), i)); err != nil {
				t.Errorf("AddClientSecret #%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := clientByID(t, s, c.ID); len(got.Secrets) != n+1 {
		t.Errorf("the client has %d secrets after %d concurrent adds, want %d", len(got.Secrets), n, n+1)
	}
}
