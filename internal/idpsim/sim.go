package idpsim

import (
	"context"
	"fmt"
	"github.com/scimkit/scim/internal/measure"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// simulation is the state of one run: the model of what the IdP sent,
// the statistics and the log. Run creates and drives it.
type simulation struct {
	cfg    Config
	client *http.Client
	log    *logger
	res    *results

	kinds    [numKinds]kindStats
	requests atomic.Uint64

	users  []userModel
	groups []groupModel
	pool   int // users 0..pool-1 may manage others

	idxMu sync.Mutex
	byID  map[string]int32

	phases  []PhaseStat
	notes   []string
	aborted string
}

// Run provisions cfg.Users users and cfg.Groups groups into the endpoint as
// the chosen identity provider would, runs cfg.Cycles incremental cycles,
// writes the provisioning log and a summary to cfg.Log, and returns the
// summary. An error means the run could not start; failed checks are in
// the summary (Summary.OK is false).
func Run(ctx context.Context, cfg Config) (*Summary, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &simulation{cfg: cfg, client: cfg.Client, res: newResults(), byID: map[string]int32{}}
	if s.client == nil {
		s.client = newClient(cfg.Concurrency, cfg.Timeout)
		defer s.client.CloseIdleConnections()
	}
	s.log = newLogger(cfg.Log, cfg.Progress, s.requests.Load)
	s.initUsers()

	var memStart *measure.ProcMem
	if cfg.PID > 0 {
		if m, err := measure.ReadProcMem(cfg.PID); err != nil {
			s.note("server memory unavailable: %v", err)
		} else {
			memStart = &m
		}
	}
	s.log.printf("entrasim: %s against %s: %d users, %d groups x %d members, %d incremental cycle(s), concurrency %d, seed %d",
		cfg.Mode, cfg.BaseURL, cfg.Users, cfg.Groups, cfg.Members, cfg.Cycles, cfg.Concurrency, cfg.Seed)
	if cfg.FlagInURL {
		s.note("the Tenant URL carries ?%s: Entra uses its compliant PATCH form; the parameter is not sent on requests", FlagParam)
		if cfg.Mode != EntraFlag {
			s.note("mode %s was chosen although the Tenant URL carries ?%s (Entra would send the entra-flag form)", cfg.Mode, FlagParam)
		}
	}

	start := time.Now()
	if s.testConnection(ctx) {
		s.initialCycle(ctx)
		for c := 1; c <= cfg.Cycles && ctx.Err() == nil; c++ {
			s.incrementalCycle(ctx, c)
		}
	}
	elapsed := time.Since(start)
	if ctx.Err() != nil && s.aborted == "" {
		s.aborted = "interrupted: " + ctx.Err().Error()
	}
	sum := s.summary(elapsed)
	if cfg.PID > 0 {
		m, err := measure.ReadProcMem(cfg.PID)
		if err != nil {
			sum.Notes = append(sum.Notes, fmt.Sprintf("server memory unavailable at the end: %v", err))
		} else {
			sum.ServerMemory = &ServerMemory{PID: cfg.PID, PeakRSSKiB: m.HWMKiB, EndRSSKiB: m.RSSKiB}
			if memStart != nil {
				sum.ServerMemory.StartRSSKiB = memStart.RSSKiB
			}
		}
	}
	s.log.close()
	sum.WriteText(cfg.Log)
	return sum, nil
}

// note records a remark for the report.
func (s *simulation) note(format string, args ...any) {
	n := fmt.Sprintf(format, args...)
	s.notes = append(s.notes, n)
	s.log.printf("note: %s", n)
}

// phase runs fn(k) for k in [0, n) on the worker pool. Each call is one
// object's sequence of requests, so at most Concurrency requests are in
// flight, and a phase ends only when all its objects are done: that is how
// creates precede PATCHes and users precede group memberships.
func (s *simulation) phase(ctx context.Context, name string, n int, fn func(ctx context.Context, k int)) {
	if n == 0 || ctx.Err() != nil {
		return
	}
	s.log.setPhase(name, n)
	start, req0 := time.Now(), s.requests.Load()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(s.cfg.Concurrency, n) {
		wg.Go(func() {
			for ctx.Err() == nil {
				k := int(next.Add(1)) - 1
				if k >= n {
					return
				}
				fn(ctx, k)
				s.log.step()
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	reqs := s.requests.Load() - req0
	s.phases = append(s.phases, PhaseStat{Name: name, Objects: n, Requests: reqs, Seconds: d.Seconds()})
	s.log.printf("-- %s: %d objects, %d requests in %s", name, n, reqs, d.Round(time.Millisecond))
}

// testConnection replays Test Connection: a random-GUID user lookup, and
// with groups a random-GUID group lookup. Both must be 200 with an empty
// ListResponse. It returns false when the run cannot go on (no response or
// rejected credentials).
func (s *simulation) testConnection(ctx context.Context) bool {
	o := s.begin("tenant", s.cfg.BaseURL, "test connection")
	miss := func(path, what string) {
		if res := s.checkList(ctx, o, path, what); res != nil && res.total != 0 {
			o.fail("Test Connection found a resource for a random GUID", "GET %s: totalResults %d", path, res.total)
		}
	}
	miss(s.userLookupPath(randomGUID()), "the Test Connection user query")
	if s.cfg.Groups > 0 {
		miss(s.groupLookupPath(randomGUID()), "the Test Connection group query")
	}
	fatal := false
	for _, p := range o.probs {
		if p.Reason == ReasonCredentials || p.Reason == ReasonNoResponse {
			fatal = true
		}
	}
	if o.failed() {
		o.end(Failed, "")
	} else {
		s.log.printf("Test Connection succeeded")
	}
	if fatal {
		s.aborted = "Test Connection failed: provisioning would not start"
		s.log.printf("%s", s.aborted)
		return false
	}
	if s.cfg.Mode.entra() {
		s.discover(ctx)
	}
	return ctx.Err() == nil
}

// initialCycle provisions every user, then the manager references, then
// the groups, then their members.
func (s *simulation) initialCycle(ctx context.Context) {
	s.phase(ctx, "initial: users", len(s.users), s.provisionUser)
	s.phase(ctx, "initial: managers", len(s.users), s.provisionManager)
	s.phase(ctx, "initial: groups", len(s.groups), s.provisionGroup)
	if ctx.Err() != nil {
		return
	}
	tasks := s.planInitialMembers()
	s.phase(ctx, "initial: memberships", len(tasks), func(ctx context.Context, k int) { s.sendMemberBatch(ctx, tasks[k]) })
	s.phase(ctx, "initial: member check", len(s.groups), s.checkInitialMembers)
	if s.cfg.Mode == Okta && ctx.Err() == nil {
		s.phase(ctx, "initial: import", 1, func(ctx context.Context, _ int) { s.oktaImport(ctx) })
	}
}
