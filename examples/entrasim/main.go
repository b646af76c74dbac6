// Command entrasim is a provisioning simulator: given a SCIM base URL and a
// bearer token, it behaves like Microsoft Entra ID (legacy or
// aadOptscim062020 form) or Okta against the endpoint, checks every answer
// the way those identity providers and a careful integrator do, and reports
// like a provisioning log with a latency summary. Point it at any SCIM 2.0
// service provider, not only scimkit.
//
//	go run ./examples/server -addr 127.0.0.1:8080 -token T &
//	go run ./examples/entrasim -url http://127.0.0.1:8080/scim/v2 -token T
//
// # What it does
//
// Test Connection: GET /Users?filter=userName+eq+"<random guid>" (and, with
// groups, GET /Groups?excludedAttributes=members&filter=displayName eq
// "<guid>"); both must be 200 with an empty ListResponse. In the Entra
// modes, schema discovery follows: /ServiceProviderConfig must support
// PATCH and filtering, and /Schemas must advertise every mapped attribute
// and the Group schema.
//
// Initial cycle: each user is matched by filter userName eq, then (as
// Entra's second matching attribute) externalId eq, then created with POST
// carrying the whole Juno Journey mapping (userName, externalId,
// displayName, title, active, preferredLanguage, the work email, the work
// address, name, fax/mobile/work phones, the enterprise department,
// employeeNumber, costCenter, division, organization); a user found by the
// lookups is updated where it differs (its userName too), or skipped. Once
// every user exists, managers are set with a PATCH of their own (Entra
// sends the manager's id as a bare string), followed by Entra's reference
// check GET /Users?filter=id eq "x" and manager eq "y"&attributes=id. Then
// groups are matched by displayName (Entra: then externalId), created
// (with Entra's Microsoft schema URI) and read back with
// excludedAttributes=members; their members are added by PATCHes of up to
// 10 members, the PATCHes of one group in parallel as Entra sends them, and
// each group's members are read back once all are done. In Okta mode an
// import follows: every page of GET /Users?startIndex=N&count=100 must be
// stable and together list every user.
//
// Incremental cycles (-cycles): from -seed, about 10% of the users change
// attributes (sometimes their manager), 2% are renamed, 3% disabled, half
// of the disabled re-enabled and 1% deleted; 30% of the groups change
// members, 5% are renamed and 2% deleted. Deletes are followed by a GET
// that must answer 404 with the SCIM Error schema, and by a check that
// the deleted users left their groups.
//
// Modes (-mode):
//
//   - entra-legacy: capitalised ops with explicit paths, one op per
//     attribute, "True"/"False" strings, member removal as Remove members
//     with a value list. No User-Agent header.
//   - entra-flag: Entra with ?aadOptscim062020: lowercase ops, booleans,
//     one path-less replace with dotted and URN-qualified keys (typed value
//     paths such as emails[type eq "work"].value keep their own op), member
//     removal by members[value eq "id"]. The default when -url carries
//     ?aadOptscim062020.
//   - okta: lookups with startIndex=1&count=100 and %20 encoding,
//     Content-Type application/json and Accept application/scim+json;
//     charset=utf-8, POST with password, groups and locale, profile updates
//     by GET then PUT, (de)activation by a path-less PATCH, never a user
//     DELETE, Group Push with the name re-sent in every group PATCH and
//     removals by members[value eq "id"] beside the additions.
//
// Every write is verified: the response status (201 create, 200 GET, 200
// or 204 user PATCH, 204 group PATCH (Okta also 200), 200 PUT, 204
// DELETE), Content-Type application/scim+json, the ListResponse shape
// (integer totalResults, startIndex and itemsPerPage, Resources present
// even when empty, an id on each resource), and a GET that must read back
// every attribute sent so far exactly, the manager as {"value": id} and the
// group members as sent (the response to a write is checked for what it
// contains; it need not be the whole resource). Lookups must find what was
// written (in Okta mode also upper-cased), a disabled user must stay
// visible, a renamed user must not be found by its old name, and a filter
// miss must be 200 with totalResults 0. Requests are issued by a pool of
// -c workers in phases: users are created before their PATCHes, and group
// memberships only after the users exist.
//
// The data and the changes depend only on -seed: on a fresh server a seed
// makes the same requests every time. Like Entra, a run reconciles with
// what it finds, so it can be repeated against the same server with the
// same seed: it matches the users and groups an earlier run left, renames
// back those its cycles renamed, updates what differs, recreates what they
// deleted, and restores the drawn group members, so that its cycles make
// the same changes again. (In Okta mode groups are matched by name alone,
// as Group Push links them: a group an earlier run renamed stays, and a new
// one is created.) Okta's users are a directory of their own (userNames
// @okta.contoso.example), so Entra and Okta runs can share a tenant.
// Without -seed a random seed is used, and printed.
//
// # Output
//
// The provisioning log goes to stderr, one line per object and operation
// with its outcome (created, updated, skipped, failed) and, for a failure,
// every failed check with a reason in integrator's words, e.g. "manager
// returned as a string: Entra cannot read it back" or "404 on a filter
// miss: Entra quarantines the job", and the request at fault. A summary
// follows: outcome counts per object and operation, failed checks by
// reason, requests per second and p50/p95/p99 latency per request kind
// (lookup, create, get, patch-user, patch-group, put, delete, list), time
// per phase and, with -pid, the server's peak (VmHWM) and final (VmRSS)
// resident memory. With -json the summary is also written to stdout as
// JSON. A progress bar is drawn on stderr when it is a terminal. The exit
// status is 1 when any check failed, 2 on bad usage.
//
// # Flags
//
//	-url URL        SCIM base URL (Tenant URL); ?aadOptscim062020 is noted and stripped
//	-token T        bearer token (default $SCIM_TOKEN)
//	-mode M         entra-legacy (default), entra-flag or okta
//	-users N        users (default 100)
//	-groups G       groups (default 10)
//	-members M      members per group, drawn from the users (default 10)
//	-cycles K       incremental cycles after the initial one (default 1)
//	-seed S         seed for the data and the changes (default random; printed)
//	-c C            concurrent requests (default 4)
//	-timeout D      per-request timeout (default 30s)
//	-pid P          report this server process's memory (Linux /proc)
//	-json           write the summary as JSON to stdout
//	-q              log only failed operations
//	-v              log every request with status and latency
//	-cpuprofile F   write the simulator's own CPU profile to F
//
// A load run, the server's memory included:
//
//	go build -o /tmp/scimd ./examples/server
//	/tmp/scimd -token T -db /tmp/load.db & SERVER=$!
//	go run ./examples/entrasim -url http://127.0.0.1:8080/scim/v2 -token T \
//	    -users 100000 -groups 1000 -members 100 -c 8 -q -pid $SERVER -json > run.json
//
// The simulator costs about half the server's CPU time per request (it
// encodes every request and decodes every response): on a small machine
// the two compete for cores, and the latencies measure the machine as much
// as the server.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"syscall"
	"time"

	sim "github.com/scimkit/scim/internal/idpsim"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the simulation and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("entrasim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	rawURL := fs.String("url", "", "SCIM base URL (Tenant URL), e.g. http://127.0.0.1:8080/scim/v2; ?aadOptscim062020 is noted and stripped")
	token := fs.String("token", os.Getenv("SCIM_TOKEN"), "bearer token (default $SCIM_TOKEN)")
	modeName := fs.String("mode", "", "entra-legacy, entra-flag or okta (default entra-legacy, or entra-flag when -url carries ?aadOptscim062020)")
	users := fs.Int("users", 100, "number of users")
	groups := fs.Int("groups", 10, "number of groups")
	members := fs.Int("members", 10, "members per group, drawn from the users")
	cycles := fs.Int("cycles", 1, "incremental cycles after the initial one")
	seed := fs.Uint64("seed", 0, "seed for the generated data and changes (default random, printed)")
	conc := fs.Int("c", 4, "concurrent requests")
	timeout := fs.Duration("timeout", 30*time.Second, "per-request timeout")
	pid := fs.Int("pid", 0, "server process id whose memory to report (Linux)")
	jsonOut := fs.Bool("json", false, "write the summary as JSON to stdout")
	quiet := fs.Bool("q", false, "log only failed operations")
	verbose := fs.Bool("v", false, "log every request")
	cpuProfile := fs.String("cpuprofile", "", "write the simulator's own CPU profile to `file`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "entrasim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if *rawURL == "" {
		fmt.Fprintln(stderr, "entrasim: -url is required, e.g. -url http://127.0.0.1:8080/scim/v2")
		return 2
	}
	base, flagged, err := sim.ParseTenantURL(*rawURL)
	if err != nil {
		fmt.Fprintln(stderr, "entrasim:", err)
		return 2
	}
	mode := sim.EntraLegacy
	if flagged {
		mode = sim.EntraFlag
	}
	if *modeName != "" {
		if mode, err = sim.ParseMode(*modeName); err != nil {
			fmt.Fprintln(stderr, "entrasim:", err)
			return 2
		}
	}
	if *token == "" {
		fmt.Fprintln(stderr, "entrasim: a token is required (-token or $SCIM_TOKEN)")
		return 2
	}
	seeded := false
	fs.Visit(func(f *flag.Flag) { seeded = seeded || f.Name == "seed" })
	if !seeded {
		*seed = rand.Uint64N(1 << 31)
	}
	if *conc < 1 {
		fmt.Fprintln(stderr, "entrasim: -c must be at least 1")
		return 2
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "entrasim:", err)
			return 2
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "entrasim:", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	if os.Getenv("GOGC") == "" {
		// The simulator's live heap is small and its garbage plentiful
		// (one decoded response per request): trading memory for fewer
		// collections keeps it from competing with the server for CPU.
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	sum, err := sim.Run(ctx, sim.Config{
		BaseURL: base, FlagInURL: flagged, Token: *token, Mode: mode,
		Users: *users, Groups: *groups, Members: *members, Cycles: *cycles,
		Concurrency: *conc, Seed: *seed, Timeout: *timeout, PID: *pid,
		Log: stderr, Quiet: *quiet, Verbose: *verbose, Progress: isTerminal(stderr),
	})
	if err != nil {
		fmt.Fprintln(stderr, "entrasim:", err)
		return 2
	}
	if *jsonOut {
		if err := sum.WriteJSON(stdout); err != nil {
			fmt.Fprintln(stderr, "entrasim:", err)
			return 2
		}
	}
	if !sum.OK {
		return 1
	}
	return 0
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
