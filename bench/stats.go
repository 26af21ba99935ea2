package bench

import (
	"slices"
	"time"
)

// Stats summarises repeated timings of one configuration.
type Stats struct {
	// Seconds holds every timed repeat, in the order run (warm-ups excluded).
	Seconds []float64 `json:"seconds"`
	// Median is the median of Seconds: the middle value, or the mean of the
	// two middle values for an even count.
	Median float64 `json:"median"`
	// Min and Max are the fastest and slowest repeats.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Summarize returns the median, minimum and maximum of durations. With none
// it returns the zero Stats.
func Summarize(ds []time.Duration) Stats {
	if len(ds) == 0 {
		return Stats{}
	}
	s := Stats{Seconds: make([]float64, len(ds))}
	for i, d := range ds {
		s.Seconds[i] = d.Seconds()
	}
	sorted := slices.Clone(s.Seconds)
	slices.Sort(sorted)
	n := len(sorted)
	s.Min, s.Max = sorted[0], sorted[n-1]
	if n%2 == 1 {
		s.Median = sorted[n/2]
	} else {
		s.Median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	return s
}
