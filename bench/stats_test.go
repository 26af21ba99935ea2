package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

// medianRef is the obviously correct median: the value (or mean of the two
// values) with as many samples at or below as at or above.
func medianRef(xs []float64) float64 {
	n := len(xs)
	var lo, hi float64
	for _, x := range xs {
		below, equalOrBelow := 0, 0
		for _, y := range xs {
			if y < x {
				below++
			}
			if y <= x {
				equalOrBelow++
			}
		}
		// x sits at sorted positions below .. equalOrBelow-1.
		if below <= (n-1)/2 && (n-1)/2 < equalOrBelow {
			lo = x
		}
		if below <= n/2 && n/2 < equalOrBelow {
			hi = x
		}
	}
	return (lo + hi) / 2
}

func TestSummarize(t *testing.T) {
	if s := Summarize(nil); s.Median != 0 || s.Min != 0 || s.Max != 0 || s.Seconds != nil {
		t.Errorf("Summarize(nil) = %+v, want zero", s)
	}
	s := Summarize([]time.Duration{3 * time.Second, time.Second, 2 * time.Second})
	if s.Median != 2 || s.Min != 1 || s.Max != 3 {
		t.Errorf("odd: %+v", s)
	}
	if s.Seconds[0] != 3 || s.Seconds[1] != 1 {
		t.Errorf("Seconds not in run order: %v", s.Seconds)
	}
	s = Summarize([]time.Duration{4 * time.Second, time.Second, 2 * time.Second, 10 * time.Second})
	if s.Median != 3 || s.Min != 1 || s.Max != 10 {
		t.Errorf("even: %+v", s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		n := 1 + rng.IntN(9)
		ds := make([]time.Duration, n)
		xs := make([]float64, n)
		for i := range ds {
			ds[i] = time.Duration(rng.IntN(5)) * time.Millisecond // ties on purpose
			xs[i] = ds[i].Seconds()
		}
		s := Summarize(ds)
		mn, mx := xs[0], xs[0]
		for _, x := range xs {
			mn, mx = min(mn, x), max(mx, x)
		}
		if want := medianRef(xs); s.Median != want || s.Min != mn || s.Max != mx {
			t.Fatalf("trial %d: Summarize(%v) = %+v, want median %v min %v max %v", trial, xs, s, want, mn, mx)
		}
	}
}
