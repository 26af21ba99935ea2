package h264cuda

import (
	"runtime"
	"sync"
)

// bandMin is the number of macroblocks below which a bands run stays on
// one goroutine.
const bandMin = 512

// bands runs host work over the macroblock rows of a picture in bands on
// GOMAXPROCS goroutines (the records and planes the stages pack, stage
// and copy out). work is set once (a method value, so that a run
// allocates nothing) and does rows y0..y1-1.
type bands struct {
	work func(y0, y1 int) error
	errs []error
	wg   sync.WaitGroup
}

// run calls work over rows 0..mbH-1 of a grid mbW macroblocks wide: on
// this goroutine for small pictures, else in one band per goroutine. The
// error is the first band's (the first bad macroblock in raster order).
func (b *bands) run(mbW, mbH int) error {
	workers := min(runtime.GOMAXPROCS(0), mbW*mbH/bandMin, mbH)
	if workers <= 1 {
		return b.work(0, mbH)
	}
	if len(b.errs) < workers {
		b.errs = make([]error, workers)
	}
	b.wg.Add(workers)
	for w := 0; w < workers; w++ {
		go b.part(w, workers, mbH)
	}
	b.wg.Wait()
	for _, err := range b.errs[:workers] {
		if err != nil {
			return err
		}
	}
	return nil
}

// part is run's goroutine w of workers.
func (b *bands) part(w, workers, mbH int) {
	defer b.wg.Done()
	b.errs[w] = b.work(w*mbH/workers, (w+1)*mbH/workers)
}
