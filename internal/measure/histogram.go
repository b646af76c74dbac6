// Package measure holds what the load tools (the provisioning simulator
// and examples/bench) measure with: latency histograms and a process's
// resident memory.
package measure

import (
	"math"
	"sync/atomic"
	"time"
)

// Latency histogram: fixed logarithmic buckets, 2% wide, from 1µs to about
// 45 minutes. Memory is constant however many requests a run makes, and a
// quantile read at a bucket's geometric midpoint is within 1% of the true
// value.
const (
	histBase    = 1.02
	histMinNS   = 1000.0
	histBuckets = 1100
)

var histLogBase = math.Log(histBase)

// Histogram counts durations in logarithmic buckets. The zero value is
// empty and ready; it is safe for concurrent use (the counters are atomic,
// so a histogram per worker, merged at the end, costs no contention).
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sumNS  atomic.Uint64
	maxNS  atomic.Uint64
}

func bucketOf(ns uint64) int {
	if float64(ns) <= histMinNS {
		return 0
	}
	b := int(math.Log(float64(ns)/histMinNS)/histLogBase) + 1
	return min(b, histBuckets-1)
}

// bucketValue is the representative duration of bucket b: the geometric
// midpoint of its bounds.
func bucketValue(b int) float64 {
	if b == 0 {
		return histMinNS
	}
	return histMinNS * math.Pow(histBase, float64(b-1)+0.5)
}

// Record adds one duration (negative ones count as 0).
func (h *Histogram) Record(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[bucketOf(ns)].Add(1)
	h.n.Add(1)
	h.sumNS.Add(ns)
	h.raiseMax(ns)
}

func (h *Histogram) raiseMax(ns uint64) {
	for {
		m := h.maxNS.Load()
		if ns <= m || h.maxNS.CompareAndSwap(m, ns) {
			return
		}
	}
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if c := o.counts[i].Load(); c > 0 {
			h.counts[i].Add(c)
		}
	}
	h.n.Add(o.n.Load())
	h.sumNS.Add(o.sumNS.Load())
	h.raiseMax(o.maxNS.Load())
}

// Quantile returns the q-quantile (0 < q <= 1) by the nearest-rank method,
// never more than the largest sample; 0 without samples.
func (h *Histogram) Quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(n))), 1)
	var seen uint64
	for b := range h.counts {
		seen += h.counts[b].Load()
		if seen >= rank {
			return min(time.Duration(bucketValue(b)), h.Max())
		}
	}
	return h.Max()
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.n.Load() }

// Mean returns the mean duration, 0 without samples.
func (h *Histogram) Mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumNS.Load() / n)
}

// Max returns the largest sample, 0 without samples.
func (h *Histogram) Max() time.Duration { return time.Duration(h.maxNS.Load()) }
