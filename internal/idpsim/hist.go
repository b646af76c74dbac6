package idpsim

import (
	"math"
	"sync/atomic"
	"time"
)

// Latency histogram: fixed logarithmic buckets, 2% wide, from 1µs to about
// 20 minutes. Memory is constant whatever the number of requests, and a
// quantile read at a bucket's geometric midpoint is within 1% of the true
// value.
const (
	histBase    = 1.02
	histMinNS   = 1000.0
	histBuckets = 1060
)

var histLogBase = math.Log(histBase)

// histogram counts durations in logarithmic buckets; safe for concurrent
// use.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	sumNS  atomic.Uint64
	maxNS  atomic.Uint64
}

func bucketOf(ns float64) int {
	if ns <= histMinNS {
		return 0
	}
	b := int(math.Log(ns/histMinNS)/histLogBase) + 1
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

func (h *histogram) record(d time.Duration) {
	ns := uint64(max(d, 0))
	h.counts[bucketOf(float64(ns))].Add(1)
	h.n.Add(1)
	h.sumNS.Add(ns)
	for {
		m := h.maxNS.Load()
		if ns <= m || h.maxNS.CompareAndSwap(m, ns) {
			return
		}
	}
}

// quantile returns the q-quantile (0 < q <= 1) by the nearest-rank method,
// or 0 without samples.
func (h *histogram) quantile(q float64) time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var seen uint64
	for b := range h.counts {
		seen += h.counts[b].Load()
		if seen >= rank {
			v := time.Duration(bucketValue(b))
			if m := time.Duration(h.maxNS.Load()); v > m {
				v = m
			}
			return v
		}
	}
	return time.Duration(h.maxNS.Load())
}

func (h *histogram) count() uint64 { return h.n.Load() }

func (h *histogram) mean() time.Duration {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	return time.Duration(h.sumNS.Load() / n)
}
