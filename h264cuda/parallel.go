package h264cuda

import (
	"runtime"
	"sync"
)

// parallelMin is the number of macroblocks below which a parallel run
// stays on one goroutine.
const parallelMin = 512

// parallel runs a stage's host work (packing and staging records and
// planes, decoding the records downloaded, copying samples out) over n
// items in contiguous parts on GOMAXPROCS goroutines. work is set once (a
// method value, so that a run allocates nothing) and does items lo..hi-1.
type parallel struct {
	work func(lo, hi int) error
	errs []error
	wg   sync.WaitGroup
}

// run calls work over items 0..n-1 of size macroblocks each (1 for
// macroblocks, mbW for rows of them): on this goroutine when they hold
// fewer than 2·parallelMin macroblocks, else in one part per goroutine.
// The error is the first part's (the first bad item in order).
func (p *parallel) run(n, size int) error {
	workers := min(runtime.GOMAXPROCS(0), n*size/parallelMin, n)
	if workers <= 1 {
		return p.work(0, n)
	}
	if len(p.errs) < workers {
		p.errs = make([]error, workers)
	}
	p.wg.Add(workers)
	for w := 0; w < workers; w++ {
		go p.part(w, workers, n)
	}
	p.wg.Wait()
	for _, err := range p.errs[:workers] {
		if err != nil {
			return err
		}
	}
	return nil
}

// part is run's goroutine w of workers.
func (p *parallel) part(w, workers, n int) {
	defer p.wg.Done()
	p.errs[w] = p.work(w*n/workers, (w+1)*n/workers)
}
