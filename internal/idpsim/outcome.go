package idpsim

import (
	"fmt"
	"strings"
	"sync"
)

// Outcome is the result of one operation on one object, as a provisioning
// log states it.
type Outcome string

// The outcomes.
const (
	Created Outcome = "created"
	Updated Outcome = "updated"
	Skipped Outcome = "skipped"
	Failed  Outcome = "failed"
)

// Problem is one failed check: Reason is stable and shared by every object
// it affects (it is what the summary counts); Detail is specific.
type Problem struct {
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Failure is a failed operation on one object.
type Failure struct {
	Object    string    `json:"object"`
	Operation string    `json:"operation"`
	Problems  []Problem `json:"problems"`
}

// maxFailures bounds the failures kept for the JSON summary.
const maxFailures = 200

// results aggregates outcomes; safe for concurrent use.
type results struct {
	mu       sync.Mutex
	outcomes map[Outcome]int
	ops      map[string]map[string]map[Outcome]int // object kind → operation → outcome
	reasons  map[string]int
	failures []Failure
	dropped  int
	checks   int // failed checks (problems), across all operations
}

func newResults() *results {
	return &results{outcomes: map[Outcome]int{}, ops: map[string]map[string]map[Outcome]int{}, reasons: map[string]int{}}
}

// op is one operation on one object in progress: the checks made during it
// add problems, and end records its outcome.
type op struct {
	s     *simulation
	kind  string // "user", "group", "tenant"
	label string // object as logged
	name  string // operation
	probs []Problem
	ended bool
}

func (s *simulation) begin(kind, label, name string) *op {
	return &op{s: s, kind: kind, label: label, name: name}
}

// userOp starts an operation on user i.
func (s *simulation) userOp(i int, name string) *op {
	u := &s.users[i]
	return s.begin("user", fmt.Sprintf("u%06d %s", i, s.userName(i, u.nameGen)), name)
}

// groupOp starts an operation on group g.
func (s *simulation) groupOp(g int, name string) *op {
	return s.begin("group", fmt.Sprintf("g%04d %q", g, s.groupName(g, s.groups[g].nameGen)), name)
}

// fail records a failed check; a repeat of the same problem within the
// operation is recorded once.
func (o *op) fail(reason, format string, args ...any) {
	p := Problem{Reason: reason, Detail: fmt.Sprintf(format, args...)}
	for _, q := range o.probs {
		if q == p {
			return
		}
	}
	o.probs = append(o.probs, p)
}

func (o *op) failed() bool { return len(o.probs) > 0 }

// end records the outcome; any problem makes it Failed. note qualifies a
// success ("id 42", "3 attributes").
func (o *op) end(out Outcome, note string) {
	if o.ended {
		return
	}
	o.ended = true
	if out == Failed && len(o.probs) == 0 {
		// Only an interrupted request ends an operation this way: the run
		// reports the interruption, not the object.
		return
	}
	if len(o.probs) > 0 {
		out = Failed
	}
	r := o.s.res
	r.mu.Lock()
	r.outcomes[out]++
	byOp := r.ops[o.kind]
	if byOp == nil {
		byOp = map[string]map[Outcome]int{}
		r.ops[o.kind] = byOp
	}
	if byOp[o.name] == nil {
		byOp[o.name] = map[Outcome]int{}
	}
	byOp[o.name][out]++
	for _, p := range o.probs {
		r.reasons[p.Reason]++
	}
	r.checks += len(o.probs)
	if out == Failed {
		if len(r.failures) < maxFailures {
			r.failures = append(r.failures, Failure{Object: o.kind + " " + o.label, Operation: o.name, Problems: o.probs})
		} else {
			r.dropped++
		}
	}
	r.mu.Unlock()

	if out != Failed && o.s.cfg.Quiet {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %s %s: %s", out, o.kind, o.label, o.name)
	if out == Failed {
		b.WriteByte('\n')
		for _, p := range o.probs {
			fmt.Fprintf(&b, "        - %s", p.Reason)
			if p.Detail != "" {
				fmt.Fprintf(&b, " [%s]", p.Detail)
			}
			b.WriteByte('\n')
		}
	} else {
		if note != "" {
			b.WriteString(" (" + note + ")")
		}
		b.WriteByte('\n')
	}
	o.s.log.lines(b.String())
}

// check is a verification that is not itself an IdP operation: it is logged
// and counted only when it fails.
func (o *op) endCheck() {
	if len(o.probs) > 0 {
		o.end(Failed, "")
	}
	o.ended = true
}
