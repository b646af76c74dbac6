package main

import (
	"math"
	"time"
)

// Latency histogram: logarithmic buckets 2% wide from 1µs up, so memory is
// constant however many requests a run makes and a quantile is within 1%
// of the true value.
const (
	histBase    = 1.02
	histMinNS   = 1000.0
	histBuckets = 1100
)

var histLogBase = math.Log(histBase)

// histogram counts durations. It is not safe for concurrent use: each load
// worker keeps its own and they are merged at the end.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	sumNS  float64
	maxNS  int64
}

func bucketOf(ns int64) int {
	if float64(ns) <= histMinNS {
		return 0
	}
	b := int(math.Log(float64(ns)/histMinNS)/histLogBase) + 1
	return min(b, histBuckets-1)
}

// bucketValue is the geometric midpoint of bucket b's bounds.
func bucketValue(b int) float64 {
	if b == 0 {
		return histMinNS
	}
	return histMinNS * math.Pow(histBase, float64(b-1)+0.5)
}

func (h *histogram) record(d time.Duration) {
	ns := max(int64(d), 0)
	h.counts[bucketOf(ns)]++
	h.n++
	h.sumNS += float64(ns)
	h.maxNS = max(h.maxNS, ns)
}

// merge adds o's samples to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sumNS += o.sumNS
	h.maxNS = max(h.maxNS, o.maxNS)
}

// quantile returns the q-quantile (0 < q <= 1) by the nearest-rank method,
// never more than the largest sample; 0 without samples.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(h.n))), 1)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketValue(b)), time.Duration(h.maxNS))
		}
	}
	return time.Duration(h.maxNS)
}
