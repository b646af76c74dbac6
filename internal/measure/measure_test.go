package measure

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestHistogramQuantiles compares the histogram's quantiles with exact
// ones over several latency distributions: within 2%.
func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name string
		gen  func() time.Duration
	}{
		{"lognormal around 2ms", func() time.Duration { return time.Duration(2e6 * math.Exp(rng.NormFloat64()*0.8)) }},
		{"uniform 100µs-50ms", func() time.Duration { return time.Duration(1e5 + rng.Float64()*5e7) }},
		{"bimodal fast and slow", func() time.Duration {
			if rng.IntN(20) == 0 {
				return time.Duration(8e8 + rng.Float64()*4e8)
			}
			return time.Duration(3e5 + rng.Float64()*2e5)
		}},
		{"sub-microsecond", func() time.Duration { return time.Duration(200 + rng.IntN(700)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h Histogram
			samples := make([]time.Duration, 100000)
			for i := range samples {
				samples[i] = tc.gen()
				h.Record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0.5, 0.95, 0.99, 1} {
				exact := samples[int(math.Ceil(q*float64(len(samples))))-1]
				got := h.Quantile(q)
				tol := 0.02 * float64(exact)
				if exact < time.Microsecond {
					tol = float64(time.Microsecond) // below the first bucket
				}
				if math.Abs(float64(got-exact)) > tol {
					t.Errorf("q%.2f = %v, exact %v", q, got, exact)
				}
			}
			if h.Count() != uint64(len(samples)) {
				t.Errorf("count %d, want %d", h.Count(), len(samples))
			}
		})
	}
}

// TestHistogramMerge merges two halves: the quantiles are those of the
// whole, and a single sub-microsecond sample reads back as itself.
func TestHistogramMerge(t *testing.T) {
	var a, b Histogram
	for i := 1; i <= 50; i++ {
		a.Record(time.Duration(i) * time.Millisecond)
	}
	for i := 51; i <= 100; i++ {
		b.Record(time.Duration(i) * time.Millisecond)
	}
	a.Merge(&b)
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.95, 95 * time.Millisecond}, {0.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		got := a.Quantile(tc.q)
		if d := float64(got-tc.want) / float64(tc.want); d < -0.015 || d > 0.015 {
			t.Errorf("Quantile(%v) = %v, want %v within 1.5%%", tc.q, got, tc.want)
		}
	}
	if a.Count() != 100 || a.Max() != 100*time.Millisecond || a.Mean() != 50500*time.Microsecond {
		t.Errorf("count %d, max %v, mean %v", a.Count(), a.Max(), a.Mean())
	}
	var one Histogram
	one.Record(300 * time.Nanosecond)
	if got := one.Quantile(0.99); got != 300*time.Nanosecond {
		t.Errorf("quantile of one sub-µs sample = %v, want the sample", got)
	}
}

// TestHistogramConcurrent records from many goroutines.
func TestHistogramConcurrent(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i+1) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if h.Count() != 8000 {
		t.Fatalf("count %d, want 8000", h.Count())
	}
	if got := h.Max(); got != 8000*time.Microsecond {
		t.Errorf("max %v, want 8ms", got)
	}
	if got := h.Quantile(0.5); got < 3900*time.Microsecond || got > 4100*time.Microsecond {
		t.Errorf("median %v, want about 4ms", got)
	}
}

// TestHistogramEmpty reads zero without samples.
func TestHistogramEmpty(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 || h.Mean() != 0 || h.Max() != 0 || h.Count() != 0 {
		t.Errorf("empty histogram: q99 %v, mean %v, max %v", h.Quantile(0.99), h.Mean(), h.Max())
	}
}

func TestParseProcStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want ProcMem
		err  string
	}{
		{"linux", "Name:\tscimd\nVmPeak:\t 1701580 kB\nVmHWM:\t  105472 kB\nVmRSS:\t   98000 kB\nThreads:\t9\n", ProcMem{HWMKiB: 105472, RSSKiB: 98000}, ""},
		{"kernel thread", "Name:\tkthreadd\nState:\tS (sleeping)\n", ProcMem{}, "no VmRSS and VmHWM"},
		{"one of two", "VmRSS:\t 1 kB\n", ProcMem{}, "no VmRSS and VmHWM"},
		{"odd unit", "VmHWM:\t 1 MB\nVmRSS:\t 1 kB\n", ProcMem{}, "unexpected VmHWM line"},
		{"not a number", "VmHWM:\t x kB\nVmRSS:\t 1 kB\n", ProcMem{}, "VmHWM"},
	} {
		got, err := ParseProcStatus(strings.NewReader(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestReadProcMemSelf reads this test process's memory (Linux only).
func TestReadProcMemSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc on this system")
	}
	m, err := ReadProcMem(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.RSSKiB <= 0 || m.HWMKiB < m.RSSKiB {
		t.Errorf("implausible memory: %+v", m)
	}
	if _, err := ReadProcMem(1 << 30); err == nil {
		t.Error("no error for a process that cannot exist")
	}
}
