package idpsim

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Summary is the result of a run, printed for people by WriteText and
// encoded for machines by WriteJSON.
type Summary struct {
	Mode        string `json:"mode"`
	URL         string `json:"url"`
	FlagInURL   bool   `json:"aadOptscim062020"`
	Seed        uint64 `json:"seed"`
	Users       int    `json:"users"`
	Groups      int    `json:"groups"`
	Members     int    `json:"membersPerGroup"`
	Cycles      int    `json:"cycles"`
	Concurrency int    `json:"concurrency"`

	// OK is true when every operation succeeded and every check passed.
	OK bool `json:"ok"`
	// Aborted says why the run stopped early, if it did.
	Aborted string `json:"aborted,omitempty"`

	Seconds           float64 `json:"seconds"`
	Requests          uint64  `json:"requests"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`

	// Outcomes counts operations by outcome (created, updated, skipped,
	// failed).
	Outcomes map[Outcome]int `json:"outcomes"`
	// Operations counts outcomes by object kind and operation.
	Operations map[string]map[string]map[Outcome]int `json:"operations"`
	// FailedChecks counts failed checks (an operation may fail several).
	FailedChecks int `json:"failedChecks"`
	// Reasons counts failed checks by reason, most frequent first.
	Reasons []ReasonCount `json:"reasons"`
	// Failures lists the first failed operations in full.
	Failures        []Failure `json:"failures"`
	FailuresDropped int       `json:"failuresDropped,omitempty"`

	// Latency is per request kind: lookup, create, get, patch-user,
	// patch-group, put, delete.
	Latency []KindLatency `json:"latency"`
	Phases  []PhaseStat   `json:"phases"`

	ServerMemory *ServerMemory `json:"serverMemory,omitempty"`
	Notes        []string      `json:"notes,omitempty"`
}

// ReasonCount is how many checks failed for one reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// KindLatency is the request count, rate and latency of one request kind.
type KindLatency struct {
	Kind              string  `json:"kind"`
	Requests          uint64  `json:"requests"`
	Errors            uint64  `json:"errors"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	MeanMS            float64 `json:"meanMs"`
	P50MS             float64 `json:"p50Ms"`
	P95MS             float64 `json:"p95Ms"`
	P99MS             float64 `json:"p99Ms"`
	MaxMS             float64 `json:"maxMs"`
}

// PhaseStat is one phase of a cycle.
type PhaseStat struct {
	Name     string  `json:"name"`
	Objects  int     `json:"objects"`
	Requests uint64  `json:"requests"`
	Seconds  float64 `json:"seconds"`
}

// ServerMemory is the server process's resident memory (-pid).
type ServerMemory struct {
	PID         int   `json:"pid"`
	StartRSSKiB int64 `json:"startRssKiB,omitempty"`
	PeakRSSKiB  int64 `json:"peakRssKiB"` // VmHWM
	EndRSSKiB   int64 `json:"endRssKiB"`  // VmRSS at the end
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (s *simulation) summary(elapsed time.Duration) *Summary {
	r := s.res
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := &Summary{
		Mode: s.cfg.Mode.String(), URL: s.cfg.BaseURL, FlagInURL: s.cfg.FlagInURL, Seed: s.cfg.Seed,
		Users: s.cfg.Users, Groups: s.cfg.Groups, Members: s.cfg.Members, Cycles: s.cfg.Cycles,
		Concurrency: s.cfg.Concurrency, Aborted: s.aborted,
		Seconds: elapsed.Seconds(), Requests: s.requests.Load(),
		Outcomes: map[Outcome]int{}, Operations: r.ops, FailedChecks: r.checks,
		Failures: slices.Clone(r.failures), FailuresDropped: r.dropped,
		Phases: s.phases, Notes: s.notes,
	}
	for _, o := range []Outcome{Created, Updated, Skipped, Failed} {
		sum.Outcomes[o] = r.outcomes[o]
	}
	sum.OK = r.outcomes[Failed] == 0 && r.checks == 0 && s.aborted == ""
	if sum.Seconds > 0 {
		sum.RequestsPerSecond = float64(sum.Requests) / sum.Seconds
	}
	for reason, n := range r.reasons {
		sum.Reasons = append(sum.Reasons, ReasonCount{reason, n})
	}
	slices.SortFunc(sum.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	for k := range numKinds {
		st := &s.kinds[k]
		n := st.hist.Count()
		if n == 0 {
			continue
		}
		kl := KindLatency{
			Kind: kindNames[k], Requests: n, Errors: st.errors.Load(),
			MeanMS: ms(st.hist.Mean()), P50MS: ms(st.hist.Quantile(0.50)),
			P95MS: ms(st.hist.Quantile(0.95)), P99MS: ms(st.hist.Quantile(0.99)),
			MaxMS: ms(st.hist.Max()),
		}
		if sum.Seconds > 0 {
			kl.RequestsPerSecond = float64(n) / sum.Seconds
		}
		sum.Latency = append(sum.Latency, kl)
	}
	return sum
}

// WriteJSON writes the summary as indented JSON.
func (sum *Summary) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(sum)
}

// WriteText writes the summary for people.
func (sum *Summary) WriteText(w io.Writer) {
	var b strings.Builder
	b.WriteString("\n== summary ==\n")
	fmt.Fprintf(&b, "%s against %s", sum.Mode, sum.URL)
	if sum.FlagInURL {
		b.WriteString(" (Tenant URL with ?" + FlagParam + ")")
	}
	fmt.Fprintf(&b, "\n%d users, %d groups x %d members, %d incremental cycle(s), concurrency %d, seed %d\n",
		sum.Users, sum.Groups, sum.Members, sum.Cycles, sum.Concurrency, sum.Seed)
	fmt.Fprintf(&b, "outcomes: %d created, %d updated, %d skipped, %d failed\n",
		sum.Outcomes[Created], sum.Outcomes[Updated], sum.Outcomes[Skipped], sum.Outcomes[Failed])

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nobject\toperation\tcreated\tupdated\tskipped\tfailed")
	for _, kind := range sortedKeys(sum.Operations) {
		for _, name := range sortedKeys(sum.Operations[kind]) {
			c := sum.Operations[kind][name]
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\n", kind, name, c[Created], c[Updated], c[Skipped], c[Failed])
		}
	}
	tw.Flush()

	if len(sum.Reasons) > 0 {
		fmt.Fprintf(&b, "\nfailed checks by reason (%d in all):\n", sum.FailedChecks)
		for _, rc := range sum.Reasons {
			fmt.Fprintf(&b, "%8d  %s\n", rc.Count, rc.Reason)
		}
	}

	fmt.Fprintf(&b, "\n%d requests in %.2fs: %.0f req/s\n", sum.Requests, sum.Seconds, sum.RequestsPerSecond)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\trequests\terrors\treq/s\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, k := range sum.Latency {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.0f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", k.Kind, k.Requests, k.Errors,
			k.RequestsPerSecond, k.P50MS, k.P95MS, k.P99MS, k.MaxMS)
	}
	tw.Flush()
	if len(sum.Phases) > 0 {
		b.WriteString("\nphases:\n")
		for _, p := range sum.Phases {
			fmt.Fprintf(&b, "  %-24s %7d objects %9d requests %8.2fs\n", p.Name, p.Objects, p.Requests, p.Seconds)
		}
	}
	if m := sum.ServerMemory; m != nil {
		fmt.Fprintf(&b, "\nserver pid %d: peak RSS (VmHWM) %.1f MiB, RSS at end (VmRSS) %.1f MiB", m.PID,
			float64(m.PeakRSSKiB)/1024, float64(m.EndRSSKiB)/1024)
		if m.StartRSSKiB > 0 {
			fmt.Fprintf(&b, ", at start %.1f MiB", float64(m.StartRSSKiB)/1024)
		}
		b.WriteByte('\n')
	}
	for _, n := range sum.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	switch {
	case sum.Aborted != "":
		fmt.Fprintf(&b, "\nRESULT: FAILED (%s)\n", sum.Aborted)
	case sum.OK:
		b.WriteString("\nRESULT: OK, every operation succeeded and every check passed\n")
	default:
		fmt.Fprintf(&b, "\nRESULT: FAILED, %d operations failed (%d failed checks)\n", sum.Outcomes[Failed], sum.FailedChecks)
	}
	io.WriteString(w, b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
