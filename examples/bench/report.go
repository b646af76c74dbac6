package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// simSummary is the part of the simulator's -json summary the report uses.
type simSummary struct {
	Mode              string  `json:"mode"`
	Users             int     `json:"users"`
	Groups            int     `json:"groups"`
	Members           int     `json:"membersPerGroup"`
	Concurrency       int     `json:"concurrency"`
	OK                bool    `json:"ok"`
	Aborted           string  `json:"aborted"`
	Seconds           float64 `json:"seconds"`
	Requests          uint64  `json:"requests"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	FailedChecks      int     `json:"failedChecks"`
	Reasons           []struct {
		Reason string `json:"reason"`
		Count  int    `json:"count"`
	} `json:"reasons"`
	Latency []struct {
		Kind              string  `json:"kind"`
		Requests          uint64  `json:"requests"`
		Errors            uint64  `json:"errors"`
		RequestsPerSecond float64 `json:"requestsPerSecond"`
		P50MS             float64 `json:"p50Ms"`
		P95MS             float64 `json:"p95Ms"`
		P99MS             float64 `json:"p99Ms"`
	} `json:"latency"`
	Phases []struct {
		Name     string  `json:"name"`
		Objects  int     `json:"objects"`
		Requests uint64  `json:"requests"`
		Seconds  float64 `json:"seconds"`
	} `json:"phases"`
	ServerMemory *struct {
		PeakRSSKiB int64 `json:"peakRssKiB"`
		EndRSSKiB  int64 `json:"endRssKiB"`
	} `json:"serverMemory"`
}

// machine describes where a run was measured.
type machine struct {
	CPUs      int
	CPUModel  string
	MemTotal  string
	GoVersion string // e.g. go1.26.8 linux/amd64
	LoadStart string // /proc/loadavg's first three fields
	LoadEnd   string
}

// lookupStep is one lookup measurement: the store at a tenant size, and
// the bare handler measured just before it.
type lookupStep struct {
	Users int
	Store loadResult
	Bare  *loadResult // nil without the bare handler
}

// loadStats is the bulk load of the lookup tenant and the server's memory.
type loadStats struct {
	Users    int
	Seconds  float64 // creating the users through POST /Users
	EmptyKiB int64   // VmRSS before the first user
	RSSKiB   int64   // VmRSS after the last user (and the lookups)
	HWMKiB   int64   // VmHWM at that point
}

// storeResult is everything measured on one store.
type storeResult struct {
	Name     string
	Cycle    *simSummary
	CycleErr string
	Lookups  []lookupStep
	Phases   []phaseStep
	Load     *loadStats
	Err      string
}

// report is one run of the benchmark.
type report struct {
	Section  string
	Command  string
	Started  time.Time
	Duration time.Duration
	Machine  machine
	Users    int
	Groups   int
	Members  int
	C        int
	Window   time.Duration // each lookup measurement
	Rounds   int           // slices a lookup measurement is cut into
	Stores   []storeResult
	Notes    []string
}

func markers(section string) (begin, end string) {
	return "<!-- scimkit-bench:" + section + ":begin -->", "<!-- scimkit-bench:" + section + ":end -->"
}

// replaceSection returns doc with the text between section's markers
// replaced by body (markers kept), or with the marked body appended when
// the markers are absent.
func replaceSection(doc, section, body string) string {
	begin, end := markers(section)
	marked := begin + "\n" + strings.TrimRight(body, "\n") + "\n" + end
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i >= 0 && j > i {
		return doc[:i] + marked + doc[j+len(end):]
	}
	if doc != "" && !strings.HasSuffix(doc, "\n") {
		doc += "\n"
	}
	if doc != "" {
		doc += "\n"
	}
	return doc + marked + "\n"
}

// writeReport writes r's section into the file at path, creating it with a
// title when it does not exist.
func writeReport(path string, r *report) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	doc := string(b)
	if doc == "" {
		doc = "# Benchmarks\n"
	}
	return os.WriteFile(path, []byte(replaceSection(doc, r.Section, r.markdown())), 0o644)
}

func msStr(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + group(-n)
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// markdown renders r as the section body.
func (r *report) markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("### Run `%s` (%s, %s)\n\n", r.Section, r.Started.UTC().Format("2006-01-02 15:04 MST"), r.Duration.Round(time.Second))
	p("Command: `%s`\n\n", r.Command)
	m := r.Machine
	p("Machine: %d CPUs", m.CPUs)
	if m.CPUModel != "" {
		p(" (%s)", m.CPUModel)
	}
	if m.MemTotal != "" {
		p(", %s RAM", m.MemTotal)
	}
	p(", %s. Load average (1, 5, 15 min) at start %s, at end %s. ", m.GoVersion, m.LoadStart, m.LoadEnd)
	p("The server, the load generator (or simulator) and anything else running share these CPUs: compare ratios measured in this run, not absolute numbers across runs.\n\n")

	var cycles []storeResult
	for _, s := range r.Stores {
		if s.Cycle != nil || s.CycleErr != "" {
			cycles = append(cycles, s)
		}
	}
	if len(cycles) > 0 {
		p("#### Initial cycle\n\n")
		p("entrasim (entra-legacy), %s users, %s groups × %s members, concurrency %d, no incremental cycle, on a fresh store.\n\n",
			group(int64(r.Users)), group(int64(r.Groups)), group(int64(r.Members)), r.C)
		p("| store | requests | seconds | req/s | checks | server peak RSS |\n|---|---:|---:|---:|---|---:|\n")
		for _, s := range cycles {
			if s.Cycle == nil {
				p("| %s | | | | failed: %s | |\n", s.Name, oneLine(s.CycleErr))
				continue
			}
			c := s.Cycle
			checks := "all passed"
			if !c.OK {
				checks = fmt.Sprintf("**%d failed**", c.FailedChecks)
				if c.Aborted != "" {
					checks += " (" + oneLine(c.Aborted) + ")"
				} else if len(c.Reasons) > 0 {
					checks += ": " + oneLine(c.Reasons[0].Reason)
				}
			}
			peak := ""
			if c.ServerMemory != nil {
				peak = mib(c.ServerMemory.PeakRSSKiB)
			}
			p("| %s | %s | %.1f | **%.0f** | %s | %s |\n", s.Name, group(int64(c.Requests)), c.Seconds, c.RequestsPerSecond, checks, peak)
		}
		p("\nLatency per request kind in the initial cycle (ms; req/s over the whole cycle):\n\n")
		p("| store | kind | requests | req/s | p50 | p95 | p99 |\n|---|---|---:|---:|---:|---:|---:|\n")
		for _, s := range cycles {
			if s.Cycle == nil {
				continue
			}
			for _, k := range s.Cycle.Latency {
				p("| %s | %s | %s | %.0f | %.2f | %.2f | %.2f |\n", s.Name, k.Kind, group(int64(k.Requests)), k.RequestsPerSecond, k.P50MS, k.P95MS, k.P99MS)
			}
		}
		p("\n")
	}

	var looks []storeResult
	for _, s := range r.Stores {
		if len(s.Lookups) > 0 {
			looks = append(looks, s)
		}
	}
	if len(looks) > 0 {
		p("#### userName eq lookups\n\n")
		p("GET /Users?filter=userName eq \"...\" for existing users drawn at random, %d concurrent keep-alive connections, %s measured per server after a 1s warmup. ", r.C, r.Window)
		p("The bare handler (net/http answering a captured one-user ListResponse of the memory store with no other work: the machine's HTTP limit) takes turns with the store in slices of %s, so a change in the machine's load touches both alike. ", r.Window/time.Duration(max(r.Rounds, 1)))
		p("\"vs smallest tenant\" divides by the store's own rate at the first size; the bare-normalised column divides the two ratios to bare instead, which cancels load drift between the steps.\n\n")
		p("| store | users | req/s | p50 ms | p95 ms | p99 ms | errors | bare req/s | vs bare | vs smallest tenant | same, bare-normalised |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range looks {
			first := s.Lookups[0]
			for _, l := range s.Lookups {
				bare, vsBare, vsBase, vsBaseNorm := "", "", "", ""
				if l.Bare != nil {
					bare = fmt.Sprintf("%.0f", l.Bare.RPS)
					if l.Bare.RPS > 0 {
						vsBare = fmt.Sprintf("%.0f%%", 100*l.Store.RPS/l.Bare.RPS)
					}
				}
				if l.Users != first.Users && first.Store.RPS > 0 {
					vsBase = fmt.Sprintf("%.2f×", l.Store.RPS/first.Store.RPS)
					if l.Bare != nil && first.Bare != nil && l.Bare.RPS > 0 && first.Bare.RPS > 0 {
						vsBaseNorm = fmt.Sprintf("%.2f×", (l.Store.RPS/l.Bare.RPS)/(first.Store.RPS/first.Bare.RPS))
					}
				}
				errs := group(l.Store.Errors)
				if l.Store.FirstError != "" {
					errs += " (" + oneLine(l.Store.FirstError) + ")"
				}
				p("| %s | %s | **%.0f** | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.Name, group(int64(l.Users)), l.Store.RPS,
					msStr(l.Store.P50), msStr(l.Store.P95), msStr(l.Store.P99), errs, bare, vsBare, vsBase, vsBaseNorm)
			}
		}
		p("\n")

		var phased []storeResult
		for _, s := range looks {
			if len(s.Phases) > 0 {
				phased = append(phased, s)
			}
		}
		if len(phased) > 0 {
			p("#### Request kinds against the bare handler\n\n")
			p("At the largest tenant, after the lookups above: each request kind alone, at each concurrency, %s per server after a 1s warmup, the store and the bare handler (answering the same kind's captured bytes, having read the request body) taking turns in slices of %s. ", r.Window, r.Window/time.Duration(max(r.Rounds, 1)))
			p("get: GET /Users/{id} of a random user; lookup: as above; patch: Entra's legacy disable or re-enable (`Replace` `active` `\"False\"`/`\"True\"`), every one a change, durable before its answer; create: POST /Users, fully mapped, with a manager.\n\n")
			p("| store | request | c | users | req/s | p50 ms | p99 ms | errors | bare req/s | vs bare |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
			for _, s := range phased {
				for _, ph := range s.Phases {
					bare, vsBare := "", ""
					if ph.Bare != nil {
						bare = fmt.Sprintf("%.0f", ph.Bare.RPS)
						if ph.Bare.RPS > 0 {
							vsBare = fmt.Sprintf("**%.0f%%**", 100*ph.Store.RPS/ph.Bare.RPS)
						}
					}
					errs := group(ph.Store.Errors)
					if ph.Store.FirstError != "" {
						errs += " (" + oneLine(ph.Store.FirstError) + ")"
					}
					p("| %s | %s | %d | %s | %.0f | %s | %s | %s | %s | %s |\n", s.Name, ph.Kind, ph.C, group(int64(ph.Users)), ph.Store.RPS,
						msStr(ph.Store.P50), msStr(ph.Store.P99), errs, bare, vsBare)
				}
			}
			p("\n")
		}

		p("#### Loading the lookup tenant, and memory\n\n")
		p("Users created through POST /Users with the whole Juno Journey mapping (all but the first %d with a manager), %d concurrent requests. RSS is the server process's (VmRSS; peak is VmHWM), read after the lookups.\n\n", managers, r.C)
		p("| store | users | load time | creates/s | RSS empty | RSS loaded | peak RSS | RSS growth per user | peak RSS per user |\n")
		p("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range looks {
			l := s.Load
			if l == nil || l.Users == 0 {
				continue
			}
			rate := ""
			if l.Seconds > 0 {
				rate = fmt.Sprintf("%.0f", float64(l.Users)/l.Seconds)
			}
			p("| %s | %s | %.0fs | %s | %s | %s | %s | %s B | %s B |\n", s.Name, group(int64(l.Users)), l.Seconds, rate,
				mib(l.EmptyKiB), mib(l.RSSKiB), mib(l.HWMKiB),
				group((l.RSSKiB-l.EmptyKiB)*1024/int64(l.Users)), group(l.HWMKiB*1024/int64(l.Users)))
		}
		p("\n")
	}
	for _, s := range r.Stores {
		if s.Err != "" {
			p("- %s: **%s**\n", s.Name, oneLine(s.Err))
		}
	}
	for _, n := range r.Notes {
		p("- %s\n", n)
	}
	return b.String()
}

// oneLine flattens s for a table cell: no newlines or pipes, at most 160
// characters.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.ReplaceAll(s, "|", `\|`)
	if r := []rune(s); len(r) > 160 {
		s = string(r[:157]) + "..."
	}
	return s
}
