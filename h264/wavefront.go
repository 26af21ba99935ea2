// Scheduling helpers for the encoder's parallel stages: independent rows,
// and wavefronts where macroblock (x, y) may start once row y-1 has
// finished macroblock x+1 (the dependency pattern of intra prediction and
// the deblocking filter, see DESIGN.md). A panic in a stage (an encoder
// bug) is turned into an InternalError instead of crashing the program.

package h264

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// InternalError reports a bug inside the encoder (a panic in one of its
// stages); the Encoder that returned it refuses further pictures.
type InternalError struct {
	Value any
	Stack string
}

// Error reports the panic value (the stack is in Stack).
func (e *InternalError) Error() string {
	return fmt.Sprintf("h264: internal error: %v", e.Value)
}

// firstError keeps the first error reported by concurrent workers.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) set(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// guard runs fn, turning a panic into an InternalError.
func guard(fn func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &InternalError{Value: v, Stack: string(debug.Stack())}
		}
	}()
	fn()
	return nil
}

// runRows runs fn over rows with up to workers goroutines; worker w always
// passes its own index, so fn may use per-worker scratch.
func runRows(rows, workers int, fn func(w, row int)) error {
	if workers > rows {
		workers = rows
	}
	if workers <= 1 {
		return guard(func() {
			for r := 0; r < rows; r++ {
				fn(0, r)
			}
		})
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var fe firstError
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				r := int(next.Add(1) - 1)
				if r >= rows {
					return
				}
				if err := guard(func() { fn(w, r) }); err != nil {
					fe.set(err)
				}
			}
		}(w)
	}
	wg.Wait()
	return fe.get()
}

// wavefront runs fn(w, x, y) for every macroblock of a cols×rows grid so
// that fn(x, y) starts only after fn(x-1, y) and fn(min(x+1, cols-1), y-1)
// have returned (and so, transitively, everything above-left of them).
// Rows publish their progress with atomics; a row that must wait spins
// briefly, then sleeps on a condition variable that is only signalled
// while someone sleeps on it.
type wavefront struct {
	mu       sync.Mutex
	cond     *sync.Cond
	progress []rowProgress // per row: number of macroblocks done
	sleepers atomic.Int32
}

// rowProgress is one row's count of finished macroblocks, alone in its
// cache lines (128 bytes: a line and the one the prefetcher pairs with
// it): packed side by side, each macroblock's publish took the line from
// the workers polling the neighbouring rows (BenchmarkDeblock on 16
// cores: 5.1-5.5 -> 4.2-4.7 ms).
type rowProgress struct {
	atomic.Int32
	_ [124]byte
}

// reset readies the progress of rows rows, all at 0.
func (wf *wavefront) reset(rows int) {
	if wf.cond == nil {
		wf.cond = sync.NewCond(&wf.mu)
	}
	if cap(wf.progress) < rows {
		wf.progress = make([]rowProgress, rows)
	}
	wf.progress = wf.progress[:rows]
	for i := range wf.progress {
		wf.progress[i].Store(0)
	}
}

// waitFor blocks until row y has finished need macroblocks.
func (wf *wavefront) waitFor(y int, need int32) {
	p := &wf.progress[y]
	for i := 0; i < 100; i++ {
		if p.Load() >= need {
			return
		}
		runtime.Gosched()
	}
	wf.mu.Lock()
	wf.sleepers.Add(1)
	for p.Load() < need {
		wf.cond.Wait()
	}
	wf.sleepers.Add(-1)
	wf.mu.Unlock()
}

// publish sets row y's progress and wakes sleepers, if any.
func (wf *wavefront) publish(y int, done int32) {
	wf.progress[y].Store(done)
	if wf.sleepers.Load() > 0 {
		wf.mu.Lock()
		wf.cond.Broadcast()
		wf.mu.Unlock()
	}
}

func (wf *wavefront) run(cols, rows, workers int, fn func(w, x, y int)) error {
	if workers <= 1 || rows == 1 {
		return guard(func() {
			for y := 0; y < rows; y++ {
				for x := 0; x < cols; x++ {
					fn(0, x, y)
				}
			}
		})
	}
	wf.reset(rows)
	return runRows(rows, workers, func(w, y int) {
		// Whatever happens, release the rows below at the end.
		defer wf.publish(y, int32(cols))
		for x := 0; x < cols; x++ {
			if y > 0 {
				wf.waitFor(y-1, int32(min(x+2, cols)))
			}
			fn(w, x, y)
			wf.publish(y, int32(x+1))
		}
	})
}
