package quality

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// MaxPlanes is the largest number of planes a frame may have (Y, U, V and
// alpha, as in FFmpeg).
const MaxPlanes = 4

// Work is cut into bands of bandRows sample rows per plane; SSIM window
// rows are cut into bands of bandRows/4 so that band b of both metrics
// covers about the same samples. The cut does not depend on GOMAXPROCS, and
// band results are combined in band order, so results are deterministic.
const bandRows = 64

// planeSums are the raw per-plane results of one frame.
type planeSums struct {
	n       int
	sse     [MaxPlanes]uint64
	ssimSum [MaxPlanes]float64
}

// scratchPool holds SSIM block-sum buffers, reused across frames.
var scratchPool = sync.Pool{New: func() any { return new([]blockSums) }}

func getScratch(n int) *[]blockSums {
	p := scratchPool.Get().(*[]blockSums)
	if cap(*p) < n {
		*p = make([]blockSums, n)
	}
	*p = (*p)[:n]
	return p
}

// bandCount returns the number of bands of a plane of height h.
func bandCount(h int) int { return (h + bandRows - 1) / bandRows }

// measurePlanes validates a frame pair and computes the per-plane SSE
// and/or SSIM sums, spreading bands over at most GOMAXPROCS goroutines.
func measurePlanes(ref, dist []Plane, doPSNR, doSSIM bool) (planeSums, error) {
	var r planeSums
	if len(ref) > MaxPlanes || len(dist) > MaxPlanes {
		return r, &PlaneCountError{Frame: -1, Ref: len(ref), Dist: len(dist)}
	}
	if err := checkFrame(ref, dist, -1); err != nil {
		return r, err
	}
	measureFrame(ref, dist, doPSNR, doSSIM, runtime.GOMAXPROCS(0), &r)
	return r, nil
}

// measureFrame computes the sums of a validated frame pair with up to
// workers goroutines (1: on the calling goroutine).
func measureFrame(ref, dist []Plane, doPSNR, doSSIM bool, workers int, r *planeSums) {
	n := len(ref)
	r.n = n
	var first [MaxPlanes + 1]int // first band index of each plane
	maxW4 := 0
	for i := 0; i < n; i++ {
		first[i+1] = first[i] + bandCount(ref[i].Height)
		if w4 := ref[i].Width >> 2; w4 > maxW4 {
			maxW4 = w4
		}
	}
	tasks := first[n]
	var sseBand []uint64
	var ssimBand []float64
	var sseArr [128]uint64 // enough for 4:2:0 frames up to 4096 rows
	var ssimArr [128]float64
	if tasks <= len(sseArr) {
		sseBand, ssimBand = sseArr[:tasks], ssimArr[:tasks]
	} else {
		sseBand, ssimBand = make([]uint64, tasks), make([]float64, tasks)
	}
	run := func(t int, buf []blockSums) {
		p := 0
		for t >= first[p+1] {
			p++
		}
		b := t - first[p]
		rp, dp := &ref[p], &dist[p]
		y1 := min((b+1)*bandRows, rp.Height) // sample rows [b*bandRows, y1)
		const wr = bandRows / 4              // window rows per band
		switch {
		case doSSIM && doPSNR:
			// The SSIM block sums give the squared errors of the rows they
			// cover; only the rows below the last whole block row remain.
			var sse uint64
			sum, fused := ssimRows(rp, dp, b*wr, (b+1)*wr, buf, &sse)
			from := b * bandRows
			if fused {
				from = min(y1, 4*min((b+1)*wr, rp.Height>>2))
			}
			sseBand[t] = sse + sseRows(rp, dp, from, y1)
			ssimBand[t] = sum
		case doSSIM:
			ssimBand[t], _ = ssimRows(rp, dp, b*wr, (b+1)*wr, buf, nil)
		case doPSNR:
			sseBand[t] = sseRows(rp, dp, b*bandRows, y1)
		}
	}
	if workers > tasks {
		workers = tasks
	}
	if workers <= 1 {
		s := getScratch(2 * maxW4)
		for t := 0; t < tasks; t++ {
			run(t, *s)
		}
		scratchPool.Put(s)
	} else {
		var next atomic.Int64
		var wg sync.WaitGroup
		wg.Add(workers)
		for w := 0; w < workers; w++ {
			go func() {
				defer wg.Done()
				s := getScratch(2 * maxW4)
				for {
					t := int(next.Add(1) - 1)
					if t >= tasks {
						break
					}
					run(t, *s)
				}
				scratchPool.Put(s)
			}()
		}
		wg.Wait()
	}
	for p := 0; p < n; p++ {
		var sse uint64
		var ssim float64
		for t := first[p]; t < first[p+1]; t++ {
			sse += sseBand[t]
			ssim += ssimBand[t]
		}
		r.sse[p], r.ssimSum[p] = sse, ssim
	}
}
