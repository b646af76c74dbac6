// Command bench measures the example server end to end on each store and
// writes the results into BENCHMARKS.md.
//
//	go run ./examples/bench [-quick] [-stores memory,sqlite,postgres,bare] [-users N] ...
//
// It builds examples/server and examples/entrasim into a temporary
// directory and, for each store named by -stores, starts the example server
// as a subprocess on 127.0.0.1:0 (memory: -memory; sqlite: a fresh file in
// the temporary directory, WAL with synchronous=FULL; postgres: a schema of
// its own in the -pg database, dropped afterwards) and measures two things,
// each on a fresh server:
//
//  1. The initial cycle: entrasim -users -groups -members -c -cycles 0
//     -json -pid, which replays Entra ID's initial provisioning and
//     checks every answer. Recorded: requests/s, p50/p95/p99 per request
//     kind, the server's peak RSS.
//  2. userName eq lookups: -lookup-base users are created through POST
//     /Users (fully mapped, -c concurrent), lookups run for -duration at
//     concurrency -c; then the tenant is grown to -lookup-users and the
//     lookups run again. Recorded: lookups/s and p50/p95/p99 at each size,
//     the load time, and the server's RSS empty, loaded and at peak.
//  3. At the largest tenant, each request kind alone (-phases: GET
//     /Users/{id}, the lookup, Entra's PATCH disable or re-enable, a fully
//     mapped POST /Users) at each concurrency of -phase-c (default 4 and
//     8), taking turns with the bare handler answering that kind.
//
// "bare" in -stores adds the machine's HTTP limit: this program re-executed
// as a plain net/http handler that reads the request body and answers with
// the bytes of a real response of the same kind (captured from a memory
// server first), doing no other work. In every lookup step it takes turns with the store
// in slices of about 3s, so each ratio to it compares numbers taken under
// the same load.
//
// The section written to -out lies between markers named by -section and
// is replaced on a re-run; the rest of the file is left alone. -quick is a
// small run (about a minute) for trying the program.
//
// The headline tables of BENCHMARKS.md, and earlier full-size runs:
//
//	go run ./examples/bench -section headline -duration 6s
//	go run ./examples/bench -section memory-1m -stores memory,bare -users 100000 -groups 1000 -members 100 -lookup-users 1000000
//	go run ./examples/bench -section sql -stores sqlite,postgres,bare -users 100000 -groups 1000 -members 100 -lookup-users 100000
package main

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/scimkit/scim/internal/measure"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// defaultPG is the DSN used when -pg and SCIMKIT_TEST_POSTGRES are unset.
const defaultPG = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// options are the command-line settings.
type options struct {
	users, groups, members int
	c                      int
	duration               time.Duration
	stores                 []string
	pg                     string
	out                    string
	section                string
	lookupBase             int
	lookupUsers            int
	skipCycle              bool
	keep                   bool
	phaseCs                []int    // concurrencies of the phases
	phases                 []string // phase kinds to measure
}

var knownStores = []string{"memory", "sqlite", "postgres", "bare"}

// rounds is the number of slices a lookup measurement is cut into, so
// that the store and the bare handler take turns: one per 3s, at least 1.
func (o options) rounds() int { return max(1, int(o.duration/(3*time.Second))) }

// parseFlags parses args into options; bare is non-empty when the process
// is to serve as the bare handler.
func parseFlags(args []string, stderr io.Writer) (o options, bare string, err error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.users, "users", 10_000, "users in the simulator's initial cycle")
	fs.IntVar(&o.groups, "groups", 100, "groups in the initial cycle")
	fs.IntVar(&o.members, "members", 100, "members per group in the initial cycle")
	fs.IntVar(&o.c, "c", 8, "concurrent requests (simulator, loader and lookups)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "length of each lookup measurement")
	stores := fs.String("stores", strings.Join(knownStores, ","), "comma-separated stores to measure: memory, sqlite, postgres, bare")
	fs.StringVar(&o.pg, "pg", "", "PostgreSQL DSN (default $SCIMKIT_TEST_POSTGRES, else "+defaultPG+"); skipped when unreachable")
	fs.StringVar(&o.out, "out", "BENCHMARKS.md", "file to write the results section into, relative to the module root (empty: stdout only)")
	fs.StringVar(&o.section, "section", "", "name of the section in -out (default \"quick\" with -quick, else \"latest\")")
	fs.IntVar(&o.lookupBase, "lookup-base", 1000, "users in the tenant for the first lookup measurement")
	fs.IntVar(&o.lookupUsers, "lookup-users", 100_000, "users in the tenant for the second lookup measurement (full size: 1000000)")
	fs.BoolVar(&o.skipCycle, "skip-cycle", false, "measure lookups only, no simulator run")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (binaries, databases, server logs)")
	phaseCs := fs.String("phase-c", "4,8", "comma-separated concurrencies of the get, lookup, patch and create phases")
	phases := fs.String("phases", strings.Join(phaseKinds, ","), "comma-separated phases measured at the largest lookup tenant: get, lookup, patch, create (empty: none)")
	quick := fs.Bool("quick", false, "a small run that finishes in about a minute and a half")
	fs.StringVar(&bare, bareFlag, "", "internal: serve the captured response in `file` as the bare handler")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./examples/bench [flags]")
		fs.VisitAll(func(f *flag.Flag) {
			if f.Name == bareFlag {
				return
			}
			name, usage := flag.UnquoteUsage(f)
			if f.DefValue != "" && f.DefValue != "false" {
				usage += fmt.Sprintf(" (default %s)", f.DefValue)
			}
			fmt.Fprintf(fs.Output(), "  -%s %s\n    \t%s\n", f.Name, name, usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return o, "", err
	}
	if bare != "" {
		return o, bare, nil
	}
	if o.pg == "" {
		o.pg = cmp.Or(os.Getenv("SCIMKIT_TEST_POSTGRES"), defaultPG)
	}
	if fs.NArg() > 0 {
		return o, "", fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]*int{"users": &o.users, "groups": &o.groups, "members": &o.members,
			"lookup-base": &o.lookupBase, "lookup-users": &o.lookupUsers} {
			if !set[name] {
				*v = map[string]int{"users": 500, "groups": 10, "members": 20, "lookup-base": 1000, "lookup-users": 5000}[name]
			}
		}
		if !set["duration"] {
			o.duration = 3 * time.Second
		}
		if !set["phase-c"] {
			*phaseCs = "4"
		}
	}
	if o.section == "" {
		o.section = "latest"
		if *quick {
			o.section = "quick"
		}
	}
	o.stores, err = parseStores(*stores)
	if err != nil {
		return o, "", err
	}
	if o.phaseCs, o.phases, err = parsePhases(*phaseCs, *phases); err != nil {
		return o, "", err
	}
	switch {
	case o.c < 1:
		return o, "", errors.New("-c must be at least 1")
	case o.users < 1 || o.groups < 0 || o.members < 0 || (o.groups > 0 && o.members > o.users):
		return o, "", errors.New("need -users >= 1 and 0 <= -members <= -users")
	case o.lookupBase < 1 || o.lookupUsers < 1:
		return o, "", errors.New("-lookup-base and -lookup-users must be at least 1")
	case o.duration <= 0:
		return o, "", errors.New("-duration must be positive")
	case strings.ContainsAny(o.section, "<>\n"):
		return o, "", errors.New("-section must not contain <, > or newlines")
	}
	return o, "", nil
}

// parsePhases parses -phase-c and -phases.
func parsePhases(cs, kinds string) ([]int, []string, error) {
	var outC []int
	for f := range strings.SplitSeq(cs, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		var c int
		if _, err := fmt.Sscan(f, &c); err != nil || c < 1 || fmt.Sprint(c) != f {
			return nil, nil, fmt.Errorf("-phase-c: %q is not a positive integer", f)
		}
		outC = append(outC, c)
	}
	var outK []string
	for k := range strings.SplitSeq(kinds, ",") {
		if k = strings.TrimSpace(k); k == "" {
			continue
		}
		if !slices.Contains(phaseKinds, k) {
			return nil, nil, fmt.Errorf("unknown phase %q (want %s)", k, strings.Join(phaseKinds, ", "))
		}
		if !slices.Contains(outK, k) {
			outK = append(outK, k)
		}
	}
	return outC, outK, nil
}

// parseStores parses a -stores list: known names, no repeats, in the
// canonical order.
func parseStores(s string) ([]string, error) {
	var out []string
	for name := range strings.SplitSeq(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		if !slices.Contains(knownStores, name) {
			return nil, fmt.Errorf("unknown store %q (want %s)", name, strings.Join(knownStores, ", "))
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-stores names no store")
	}
	slices.SortFunc(out, func(a, b string) int {
		return cmp.Compare(slices.Index(knownStores, a), slices.Index(knownStores, b))
	})
	return out, nil
}

func main() {
	o, bare, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if bare != "" {
		if err := serveBare(bare); err != nil {
			fmt.Fprintln(os.Stderr, "bench: bare handler:", err)
			os.Exit(1)
		}
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// bench holds what a run shares across stores.
type bench struct {
	o               options
	dir             string
	serverBin, sim  string
	self            string
	bare            *proc
	token           string
	log             io.Writer
	pgBase          string // reachable PostgreSQL DSN, or ""
	serverLogNumber int
}

func run(ctx context.Context, o options, args []string) error {
	r := &report{Section: o.section, Command: commandLine(args), Started: time.Now(),
		Users: o.users, Groups: o.groups, Members: o.members, C: o.c, Window: o.duration, Rounds: o.rounds()}
	r.Machine = describeMachine()
	b := &bench{o: o, token: "bench-token", log: os.Stderr}
	b.logf("machine: %d CPUs, %s, load average %s", r.Machine.CPUs, r.Machine.GoVersion, r.Machine.LoadStart)

	var err error
	if b.self, err = os.Executable(); err != nil {
		return err
	}
	modDir, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if o.out != "" && !filepath.IsAbs(o.out) {
		o.out = filepath.Join(modDir, o.out)
	}
	if b.dir, err = os.MkdirTemp("", "scimkit-bench-"); err != nil {
		return err
	}
	if o.keep {
		b.logf("keeping %s", b.dir)
	} else {
		defer os.RemoveAll(b.dir)
	}
	b.logf("building the example server and the simulator")
	if b.serverBin, b.sim, err = build(ctx, modDir, b.dir); err != nil {
		return err
	}
	if slices.Contains(o.stores, "postgres") {
		if err := pgReachable(ctx, o.pg); err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("PostgreSQL skipped: %s is unreachable (%v).", redactDSN(o.pg), err))
			b.logf("PostgreSQL unreachable, skipped: %v", err)
		} else {
			b.pgBase = o.pg
		}
	}
	if slices.Contains(o.stores, "bare") {
		if err := b.startBare(ctx); err != nil {
			return fmt.Errorf("bare handler: %w", err)
		}
		defer b.bare.stop()
	}
	for _, name := range o.stores {
		if ctx.Err() != nil {
			break
		}
		if name == "bare" || (name == "postgres" && b.pgBase == "") {
			continue
		}
		res := storeResult{Name: name}
		if !o.skipCycle {
			res.Cycle, err = b.cycle(ctx, name)
			if err != nil {
				res.CycleErr = err.Error()
				b.logf("%s: initial cycle: %v", name, err)
			}
		}
		if err := b.lookupLadder(ctx, name, &res); err != nil {
			res.Err = "lookups: " + err.Error()
			b.logf("%s: %v", name, err)
		}
		r.Stores = append(r.Stores, res)
	}
	if b.bare != nil && !slices.ContainsFunc(r.Stores, func(s storeResult) bool { return len(s.Lookups) > 0 }) {
		// Only the bare handler was asked for: measure it alone.
		res := storeResult{Name: "bare"}
		lr := lookups(ctx, newClient(o.c), b.bare.URL, b.token, 1, o.c, time.Second, o.duration)
		res.Lookups = []lookupStep{{Users: 1, Store: lr}}
		r.Stores = append(r.Stores, res)
	}
	if ctx.Err() != nil {
		r.Notes = append(r.Notes, "The run was interrupted: results are partial.")
	}
	r.Duration = time.Since(r.Started)
	r.Machine.LoadEnd = loadAverage()
	md := r.markdown()
	fmt.Print(md)
	if o.out != "" {
		if err := writeReport(o.out, r); err != nil {
			return err
		}
		b.logf("wrote section %q of %s", o.section, o.out)
	}
	return nil
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s bench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// startServer starts the example server on store name, fresh: a new
// SQLite file or a new PostgreSQL schema. cleanup removes what it made.
func (b *bench) startServer(ctx context.Context, name string) (p *proc, cleanup func(), err error) {
	b.serverLogNumber++
	tag := fmt.Sprintf("%s-%d", name, b.serverLogNumber)
	args := []string{"-addr", "127.0.0.1:0", "-token", b.token}
	cleanup = func() {}
	switch name {
	case "memory":
		args = append(args, "-memory")
	case "sqlite":
		args = append(args, "-db", filepath.Join(b.dir, tag+".db"))
		cleanup = func() {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(filepath.Join(b.dir, tag+".db"+suffix))
			}
		}
	case "postgres":
		dsn, drop, err := pgSchema(ctx, b.pgBase, "scimkit_bench_"+strings.ReplaceAll(tag, "-", "_"))
		if err != nil {
			return nil, nil, err
		}
		args = append(args, "-db", dsn)
		cleanup = drop
	default:
		return nil, nil, fmt.Errorf("unknown store %q", name)
	}
	p, err = startProc(b.serverBin, args, filepath.Join(b.dir, tag+".log"), nil)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return p, cleanup, nil
}

// cycle runs the simulator's initial cycle against a fresh server on
// store name.
func (b *bench) cycle(ctx context.Context, name string) (*simSummary, error) {
	p, cleanup, err := b.startServer(ctx, name)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	defer p.stop()
	b.logf("%s: initial cycle, %d users, %d groups x %d members, c=%d", name, b.o.users, b.o.groups, b.o.members, b.o.c)
	simLog := filepath.Join(b.dir, name+"-entrasim.log")
	logf, err := os.Create(simLog)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.CommandContext(ctx, b.sim, "-url", p.URL, "-token", b.token, "-users", fmt.Sprint(b.o.users),
		"-groups", fmt.Sprint(b.o.groups), "-members", fmt.Sprint(b.o.members), "-cycles", "0",
		"-c", fmt.Sprint(b.o.c), "-seed", "1", "-q", "-json", "-pid", fmt.Sprint(p.PID()))
	cmd.Stderr = logf
	out, runErr := cmd.Output()
	var sum simSummary
	if err := json.Unmarshal(out, &sum); err != nil {
		return nil, fmt.Errorf("entrasim: %v; no JSON summary (%v); its log ends: %s", runErr, err, tail(simLog, 1500))
	}
	b.logf("%s: initial cycle: %d requests in %.1fs, %.0f req/s, ok=%v", name, sum.Requests, sum.Seconds, sum.RequestsPerSecond, sum.OK)
	return &sum, nil
}

// lookupLadder loads a fresh server on store name to lookupBase users,
// measures lookups, grows it to lookupUsers and measures again, recording
// the load and the server's memory in res.
func (b *bench) lookupLadder(ctx context.Context, name string, res *storeResult) error {
	p, cleanup, err := b.startServer(ctx, name)
	if err != nil {
		return err
	}
	defer cleanup()
	defer p.stop()
	empty, err := measure.ReadProcMem(p.PID())
	if err != nil {
		return err
	}
	client := newClient(b.o.c)
	defer client.CloseIdleConnections()
	ld := &loader{client: client, base: p.URL, token: b.token, c: b.o.c}
	res.Load = &loadStats{EmptyKiB: empty.RSSKiB}
	sizes := []int{b.o.lookupBase}
	if b.o.lookupUsers > b.o.lookupBase {
		sizes = append(sizes, b.o.lookupUsers)
	}
	loaded := 0
	for _, n := range sizes {
		b.logf("%s: creating users %d..%d", name, loaded, n-1)
		d, err := ld.load(ctx, loaded, n)
		if err != nil {
			return err
		}
		res.Load.Seconds += d.Seconds()
		b.logf("%s: %d users created in %s (%.0f/s)", name, n-loaded, d.Round(time.Millisecond), float64(n-loaded)/d.Seconds())
		loaded = n
		res.Load.Users = n
		step := lookupStep{Users: n}
		targets := []target{{p.URL, n}}
		if b.bare != nil {
			targets = append(targets, target{b.bare.URL, n})
		}
		rs := interleaved(ctx, client, b.token, targets, b.o.c, b.o.rounds(), time.Second, b.o.duration)
		step.Store = rs[0]
		if b.bare != nil {
			step.Bare = &rs[1]
			b.logf("bare: %.0f req/s", rs[1].RPS)
		}
		b.logf("%s: lookups at %d users: %.0f req/s, p50 %s p99 %s, %d errors", name, n, step.Store.RPS,
			step.Store.P50, step.Store.P99, step.Store.Errors)
		res.Lookups = append(res.Lookups, step)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	m, err := measure.ReadProcMem(p.PID())
	if err != nil {
		return err
	}
	res.Load.RSSKiB, res.Load.HWMKiB = m.RSSKiB, m.HWMKiB
	if len(b.o.phases) > 0 && len(b.o.phaseCs) > 0 {
		tn := &tenant{ids: ld.ids, mgrIDs: ld.mgrIDs, patches: make([]atomic.Uint32, len(ld.ids))}
		tn.nextUser.Store(int64(loaded))
		for _, c := range b.o.phaseCs {
			for _, k := range b.o.phases {
				st := b.phase(ctx, tn, p.URL, k, c)
				bare := ""
				if st.Bare != nil {
					bare = fmt.Sprintf(", bare %.0f req/s", st.Bare.RPS)
				}
				b.logf("%s: %s at c=%d: %.0f req/s, p50 %s p99 %s, %d errors%s", name, k, c, st.Store.RPS,
					st.Store.P50, st.Store.P99, st.Store.Errors, bare)
				res.Phases = append(res.Phases, st)
				if ctx.Err() != nil {
					return ctx.Err()
				}
			}
		}
	}
	return nil
}

// startBare captures one answer of each phase kind from a memory server
// and starts the bare handler serving them.
func (b *bench) startBare(ctx context.Context) error {
	p, cleanup, err := b.startServer(ctx, "memory")
	if err != nil {
		return err
	}
	defer cleanup()
	defer p.stop()
	client := newClient(1)
	defer client.CloseIdleConnections()
	ld := &loader{client: client, base: p.URL, token: b.token, c: 1}
	if _, err := ld.load(ctx, 0, managers+1); err != nil {
		return err
	}
	cs, err := bareCaptures(ctx, client, p.URL, b.token, ld)
	if err != nil {
		return err
	}
	j, err := json.Marshal(cs)
	if err != nil {
		return err
	}
	path := filepath.Join(b.dir, "bare-response.json")
	if err := os.WriteFile(path, j, 0o600); err != nil {
		return err
	}
	b.bare, err = startProc(b.self, []string{"-" + bareFlag, path}, filepath.Join(b.dir, "bare.log"), nil)
	if err != nil {
		return err
	}
	b.logf("bare handler at %s answers %d bytes to a lookup", b.bare.URL, len(cs[kindLookup].Body))
	return nil
}

// pgReachable pings the database at dsn.
func pgReachable(ctx context.Context, dsn string) error {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// pgSchema creates the schema name in the database at base and returns a
// DSN whose search_path is that schema, and a function that drops it.
func pgSchema(ctx context.Context, base, name string) (string, func(), error) {
	db, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`); err != nil {
		return "", nil, err
	}
	if _, err := db.ExecContext(ctx, `CREATE SCHEMA "`+name+`"`); err != nil {
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	drop := func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE`)
	}
	return u.String(), drop, nil
}

// redactDSN hides a DSN's password.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the -pg DSN"
	}
	return u.Redacted()
}

// commandLine is the command that reproduces this run.
func commandLine(args []string) string {
	parts := []string{"go run ./examples/bench"}
	for _, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"$`\\|&;<>()*?[]#~") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// describeMachine reads the CPU count, model, memory and load average.
func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
		LoadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				var kib int64
				if _, err := fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kib); err == nil {
					m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
				}
			}
		}
	}
	return m
}

// loadAverage returns the 1, 5 and 15 minute load averages, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
