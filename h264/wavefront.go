// Scheduling helpers for the encoder's parallel stages: independent rows,
// and wavefronts where macroblock (x, y) may start once row y-1 has
// finished macroblock x+lag (the dependency pattern of intra prediction,
// motion vector prediction and the deblocking filter, see DESIGN.md).

package h264

import (
	"sync"
	"sync/atomic"
)

// rowScheduler runs fn over rows with up to workers goroutines; worker w
// always passes its own index, so fn may use per-worker scratch.
func runRows(rows, workers int, fn func(w, row int)) {
	if workers > rows {
		workers = rows
	}
	if workers <= 1 {
		for r := 0; r < rows; r++ {
			fn(0, r)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				r := int(next.Add(1) - 1)
				if r >= rows {
					return
				}
				fn(w, r)
			}
		}(w)
	}
	wg.Wait()
}

// wavefront runs fn(w, x, y) for every macroblock of a cols×rows grid so
// that fn(x, y) starts only after fn(x-1, y) and fn(min(x+1, cols-1), y-1)
// have returned (and so, transitively, everything above-left of them).
type wavefront struct {
	mu       sync.Mutex
	cond     *sync.Cond
	progress []int32 // per row: number of macroblocks done
}

func (wf *wavefront) run(cols, rows, workers int, fn func(w, x, y int)) {
	if workers <= 1 || rows == 1 {
		for y := 0; y < rows; y++ {
			for x := 0; x < cols; x++ {
				fn(0, x, y)
			}
		}
		return
	}
	if wf.cond == nil {
		wf.cond = sync.NewCond(&wf.mu)
	}
	if cap(wf.progress) < rows {
		wf.progress = make([]int32, rows)
	}
	wf.progress = wf.progress[:rows]
	for i := range wf.progress {
		wf.progress[i] = 0
	}
	runRows(rows, workers, func(w, y int) {
		for x := 0; x < cols; x++ {
			if y > 0 {
				need := int32(min(x+2, cols))
				wf.mu.Lock()
				for wf.progress[y-1] < need {
					wf.cond.Wait()
				}
				wf.mu.Unlock()
			}
			fn(w, x, y)
			wf.mu.Lock()
			wf.progress[y]++
			wf.cond.Broadcast()
			wf.mu.Unlock()
		}
	})
}
