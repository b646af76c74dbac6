package scimtest

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/scimkit/scim/internal/idpsim"
)

// IdP is the identity provider, and PATCH form, a cycle replays.
type IdP int

const (
	// EntraLegacy is Microsoft Entra ID's default form: capitalised ops,
	// one op per attribute with an explicit path, "True"/"False" strings,
	// member removal by a value list.
	EntraLegacy IdP = iota
	// EntraFlag is Entra ID with ?aadOptscim062020 in the Tenant URL:
	// lowercase ops, booleans, path-less replaces with dotted and URN keys,
	// member removal by members[value eq "id"].
	EntraFlag
	// Okta is Okta's SCIM 2.0 client: paged lookups, GET then PUT for
	// profile changes, path-less PATCH for (de)activation, no user
	// deletes, Group Push.
	Okta
)

// String returns the name the simulator gives p: entra-legacy, entra-flag
// or okta.
func (p IdP) String() string { return p.mode().String() }

func (p IdP) mode() idpsim.Mode {
	switch p {
	case EntraFlag:
		return idpsim.EntraFlag
	case Okta:
		return idpsim.Okta
	}
	return idpsim.EntraLegacy
}

// CycleOptions sizes a provisioning run. Every field's zero value means
// its default; the defaults make a run of about a second.
type CycleOptions struct {
	// Users provisioned (default 20), Groups (default 4) and Members per
	// group, drawn from the users (default 5).
	Users, Groups, Members int
	// Cycles is the number of incremental cycles after the initial one
	// (default 1): changed, renamed, disabled, re-enabled and deleted
	// users, groups with changed members, renamed and deleted.
	Cycles int
	// Seed decides the generated data and the changes (default 1). The
	// same seed makes the same requests on an empty endpoint, and a run
	// reconciles with what an earlier run of the seed left.
	Seed uint64
	// Concurrency is the number of requests in flight at most (default 4).
	Concurrency int
}

func (o CycleOptions) withDefaults() CycleOptions {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Users, 20)
	def(&o.Groups, 4)
	def(&o.Members, 5)
	def(&o.Cycles, 1)
	def(&o.Concurrency, 4)
	if o.Seed == 0 {
		o.Seed = 1
	}
	o.Members = min(o.Members, o.Users)
	return o
}

// RunCycle provisions generated users and groups into tg exactly as idp
// does, with the entrasim command's engine: Test Connection, (Entra)
// schema discovery, an initial cycle with the whole Juno Journey attribute
// mapping, managers and group members, then opts.Cycles incremental
// cycles. Every answer is checked as the identity provider and a careful
// integrator check it, and every failed check is reported with t.Errorf in
// the words the simulator uses, such as "manager returned as a string:
// Entra cannot read it back" or "404 on a filter miss: Entra quarantines
// the job", once per reason with how often it failed and the first
// object and request at fault; the provisioning log of the failed
// operations follows with t.Log.
//
// tg is served on a test server bound to 127.0.0.1 unless tg.URL names a
// running endpoint. It should start without the run's users, or hold
// what an earlier run of the same seed left: the run matches those.
func RunCycle(t testing.TB, tg Target, idp IdP, opts CycleOptions) {
	t.Helper()
	opts = opts.withDefaults()
	base := tg.URL
	if base == "" {
		if tg.Handler == nil {
			t.Fatal("scimtest: Target needs a Handler or a URL")
		}
		base = serve(t, tg.Handler)
	}
	base, flagged, err := idpsim.ParseTenantURL(base)
	if err != nil {
		t.Fatalf("scimtest: %v", err)
	}
	var log bytes.Buffer
	sum, err := idpsim.Run(t.Context(), idpsim.Config{
		BaseURL: base, FlagInURL: flagged, Token: tg.Token, Mode: idp.mode(),
		Users: opts.Users, Groups: opts.Groups, Members: opts.Members, Cycles: opts.Cycles,
		Seed: opts.Seed, Concurrency: opts.Concurrency, Log: &log, Quiet: true,
	})
	if err != nil {
		t.Fatalf("scimtest: %v", err)
	}
	if sum.OK {
		return
	}
	if sum.Aborted != "" {
		t.Errorf("%s: %s", idp, sum.Aborted)
	}
	for _, rc := range sum.Reasons {
		t.Errorf("%s: %s (%d failed %s; first: %s)", idp, rc.Reason, rc.Count, plural(rc.Count, "check", "checks"), firstFailure(sum, rc.Reason))
	}
	t.Logf("%s provisioning log (failed operations):\n%s", idp, strings.TrimSpace(log.String()))
}

// RunEntraCycle runs RunCycle for both of Entra ID's PATCH forms, as
// subtests of t against the same tg: the legacy form, then the
// aadOptscim062020 form against what the first left, as when an
// administrator adds ?aadOptscim062020 to a working Tenant URL.
func RunEntraCycle(t *testing.T, tg Target, opts CycleOptions) {
	for _, idp := range []IdP{EntraLegacy, EntraFlag} {
		t.Run(idp.String(), func(t *testing.T) { RunCycle(t, tg, idp, opts) })
	}
}

// RunOktaCycle runs RunCycle as Okta.
func RunOktaCycle(t testing.TB, tg Target, opts CycleOptions) {
	t.Helper()
	RunCycle(t, tg, Okta, opts)
}

// serve mounts h under /scim/v2 on a test server bound to 127.0.0.1 and
// returns the Tenant URL.
func serve(t testing.TB, h http.Handler) string {
	mux := http.NewServeMux()
	mux.Handle("/scim/v2/", http.StripPrefix("/scim/v2", h))
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs.URL + "/scim/v2"
}

// firstFailure describes the first failed operation with reason: the
// object, the operation and the request at fault.
func firstFailure(sum *idpsim.Summary, reason string) string {
	for _, f := range sum.Failures {
		for _, p := range f.Problems {
			if p.Reason == reason {
				return fmt.Sprintf("%s, %s: %s", f.Object, f.Operation, p.Detail)
			}
		}
	}
	return "not kept, see the log"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
