package idpsim

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
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
			var h histogram
			samples := make([]time.Duration, 100000)
			for i := range samples {
				samples[i] = tc.gen()
				h.record(samples[i])
			}
			slices.Sort(samples)
			for _, q := range []float64{0.5, 0.95, 0.99, 1} {
				exact := samples[int(math.Ceil(q*float64(len(samples))))-1]
				got := h.quantile(q)
				tol := 0.02 * float64(exact)
				if exact < time.Microsecond {
					tol = float64(time.Microsecond) // below the first bucket
				}
				if math.Abs(float64(got-exact)) > tol {
					t.Errorf("q%.2f = %v, exact %v", q, got, exact)
				}
			}
			if h.count() != uint64(len(samples)) {
				t.Errorf("count %d, want %d", h.count(), len(samples))
			}
		})
	}
}

// TestHistogramConcurrent records from many goroutines.
func TestHistogramConcurrent(t *testing.T) {
	var h histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				h.record(time.Duration(g*1000+i+1) * time.Microsecond)
			}
		})
	}
	wg.Wait()
	if h.count() != 8000 {
		t.Fatalf("count %d, want 8000", h.count())
	}
	if got := time.Duration(h.maxNS.Load()); got != 8000*time.Microsecond {
		t.Errorf("max %v, want 8ms", got)
	}
	if got := h.quantile(0.5); got < 3900*time.Microsecond || got > 4100*time.Microsecond {
		t.Errorf("median %v, want about 4ms", got)
	}
}

// TestHistogramEmpty reads zero without samples.
func TestHistogramEmpty(t *testing.T) {
	var h histogram
	if h.quantile(0.99) != 0 || h.mean() != 0 {
		t.Errorf("empty histogram: q99 %v, mean %v", h.quantile(0.99), h.mean())
	}
}
