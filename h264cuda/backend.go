package h264cuda

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// backend runs kernels over one block of device memory (the arena). The
// GPU backend below is the real one; the tests add one that runs the same
// kernel sources compiled as C (internal/cemu).
type backend interface {
	// alloc makes the arena of n bytes, zeroed, and returns its address.
	alloc(n int) (uint64, error)
	// host returns a zeroed staging buffer of n bytes for upload and
	// download: page-locked on a GPU (released by close), so that copies
	// run as DMA transfers at the bus's speed; ordinary memory elsewhere.
	// Like every copy, a queued transfer from or into it must have passed
	// (sync) before the host touches the buffer again.
	host(n int) ([]byte, error)
	upload(off int, src []byte) error
	download(dst []byte, off int) error
	// copyIn copies n bytes from device address src (another stage's
	// arena on the same context, whose writes have passed its sync) to
	// arena offset off, queued like an upload.
	copyIn(off int, src uint64, n int) error
	// launch runs kernel name over n units (threads) with the parameter
	// block at arena offset params.
	launch(name string, n int, params int, arg int) error
	// replay runs the launches fn queues. A GPU backend captures them the
	// first time into a CUDA graph kept under name and from then on
	// replays that graph as one submission, so fn must queue the same
	// launches with the same arguments every time (arena offsets, sizes),
	// only the arena's contents may change. Without graph support in the
	// driver it just runs fn.
	replay(name string, fn func() error) error
	// mark starts the timed stage name (no-op unless timing).
	mark(name string) error
	// sync waits for the queued work.
	sync() error
	close() error
}

// loadImage returns the module image of a stage: its embedded fatbin
// (compiled for sm_80 and sm_90, with the PTX for later GPUs, so that the
// driver compiles nothing on an A100, H100 or H200), unless a test
// replaced this function (to try PTX fresh from nvcc before it is
// committed).
var loadImage = kernels.Fatbin

// loadPTX returns the embedded PTX of a stage.
var loadPTX = kernels.PTX

// blockThreads is the thread-block size of every launch.
const blockThreads = 64

// gpuBackend runs the PTX kernels on one CUDA context and stream.
type gpuBackend struct {
	ctx    *cuda.Context
	stream *cuda.Stream
	mod    *cuda.Module
	fns    map[string]*cuda.Function
	arena  *cuda.DeviceBuffer
	pinned []*cuda.HostBuffer

	timing bool
	marks  []stageMark
	nmarks int

	graphs   map[string]*cuda.Graph // replay's captures
	noGraphs bool                   // the driver lacks CUDA Graphs

	done  *cuda.Event // what sync polls
	woken chan error  // where the poller reports it passed

	// With clock on, the host time spent in the driver's queueing calls
	// (copies, launches, graph launches, event records) and in sync.
	clock       bool
	drv, waited time.Duration
}

// stageMark is an event recorded at the start of a stage.
type stageMark struct {
	name string
	ev   *cuda.Event
}

// newGPUBackend loads the PTX of the given stages and resolves kernels.
func newGPUBackend(ctx *cuda.Context, stage string, kernelNames []string) (*gpuBackend, error) {
	img, err := loadImage(stage)
	if err != nil {
		return nil, err
	}
	b := &gpuBackend{ctx: ctx, fns: map[string]*cuda.Function{}}
	if b.mod, err = ctx.LoadModule(img); err != nil {
		return nil, fmt.Errorf("h264cuda: loading the %s kernels: %w", stage, err)
	}
	for _, k := range kernelNames {
		f, err := b.mod.Function(k)
		if err != nil {
			b.close()
			return nil, fmt.Errorf("h264cuda: kernel %s: %w", k, err)
		}
		b.fns[k] = f
	}
	if b.stream, err = ctx.NewStream(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

// hostBuf is a staging buffer a stage makes once: where it goes and its
// size in bytes.
type hostBuf struct {
	p *[]byte
	n int
}

// makeHost makes every buffer of bufs with be.host.
func makeHost(be backend, bufs ...hostBuf) error {
	for _, b := range bufs {
		var err error
		if *b.p, err = be.host(b.n); err != nil {
			return err
		}
	}
	return nil
}

func (b *gpuBackend) alloc(n int) (uint64, error) {
	var err error
	if b.arena, err = b.ctx.Alloc(n); err != nil {
		return 0, err
	}
	if err := b.arena.Memset(0, nil); err != nil {
		return 0, err
	}
	return uint64(b.arena.Ptr), nil
}

func (b *gpuBackend) host(n int) ([]byte, error) {
	h, err := b.ctx.AllocHost(n)
	if err != nil {
		return nil, fmt.Errorf("h264cuda: %d bytes of page-locked staging: %w", n, err)
	}
	b.pinned = append(b.pinned, h)
	p := h.Bytes()
	clear(p)
	return p, nil
}

func (b *gpuBackend) upload(off int, src []byte) error {
	defer b.queued(time.Now())
	return cuda.CopyHtoD(b.arena, off, src, b.stream)
}

func (b *gpuBackend) download(dst []byte, off int) error {
	defer b.queued(time.Now())
	return cuda.CopyDtoH(dst, b.arena, off, b.stream)
}

func (b *gpuBackend) copyIn(off int, src uint64, n int) error {
	defer b.queued(time.Now())
	from, err := b.ctx.Wrap(uintptr(src), n, 0)
	if err != nil {
		return err
	}
	return cuda.CopyDtoD(b.arena, off, from, 0, n, b.stream)
}

func (b *gpuBackend) launch(name string, n int, params int, arg int) error {
	defer b.queued(time.Now())
	f := b.fns[name]
	if f == nil {
		return fmt.Errorf("h264cuda: kernel %s not loaded", name)
	}
	if n <= 0 {
		return nil
	}
	grid := cuda.Dim3{X: uint32((n + blockThreads - 1) / blockThreads), Y: 1, Z: 1}
	block := cuda.Dim3{X: blockThreads, Y: 1, Z: 1}
	return f.Launch(grid, block, 0, b.stream, b.arena.Ptr+uintptr(params), int32(n), int32(arg))
}

func (b *gpuBackend) replay(name string, fn func() error) error {
	defer b.queued(time.Now())
	if b.noGraphs {
		return fn()
	}
	g := b.graphs[name]
	if g == nil {
		var err error
		g, err = b.stream.Capture(fn)
		var ce *cuda.Error
		if errors.As(err, &ce) && ce.Code == cuda.ErrorNotSupported {
			b.noGraphs = true
			return fn()
		}
		if err != nil {
			return fmt.Errorf("h264cuda: capturing %s: %w", name, err)
		}
		if b.graphs == nil {
			b.graphs = map[string]*cuda.Graph{}
		}
		b.graphs[name] = g
	}
	return g.Launch(b.stream)
}

// queued adds the time since t to b.drv when clock is on.
func (b *gpuBackend) queued(t time.Time) {
	if b.clock {
		b.drv += time.Since(t)
	}
}

// mark records an event before the stage when timing; events are made
// once and reused.
func (b *gpuBackend) mark(name string) error {
	if !b.timing {
		return nil
	}
	if b.nmarks == len(b.marks) {
		ev, err := b.ctx.NewEvent()
		if err != nil {
			return err
		}
		b.marks = append(b.marks, stageMark{ev: ev})
	}
	m := &b.marks[b.nmarks]
	m.name = name
	b.nmarks++
	return m.ev.Record(b.stream)
}

// sync waits for the work queued on the stream so far. It records an
// event and, unless the event has passed already, sleeps until the
// process's event poller sees it pass, instead of cuStreamSynchronize,
// which spins inside one cgo call: there the goroutine holds its thread
// while the Go scheduler starts another for the other goroutines, and
// with many encoders those threads outnumber the cores. Measured in
// NOTES.md, "Waiting for the GPU".
func (b *gpuBackend) sync() error {
	if b.clock {
		defer func(t time.Time) { b.waited += time.Since(t) }(time.Now())
	}
	if b.done == nil {
		ev, err := b.ctx.NewEvent()
		if err != nil {
			return err
		}
		b.done, b.woken = ev, make(chan error, 1)
	}
	if err := b.done.Record(b.stream); err != nil {
		return err
	}
	if ok, err := b.done.Done(); ok || err != nil {
		return err
	}
	return poller.wait(b.done, b.woken)
}

// poller serves every backend's sync.
var poller = &eventPoller{kick: make(chan struct{}, 1)}

// eventPoller polls the events that syncs wait for, from one goroutine for
// the whole process, yielding to other goroutines between rounds, and
// wakes each waiter when its event has passed: the waiters sleep instead
// of each polling its own event (with many encoders, a dozen goroutines
// polling at once and yielding between polls through the scheduler's
// shared run queue, whose lock then took a fifth of the host's time). The
// goroutine starts with the first wait and sleeps while nothing waits.
type eventPoller struct {
	start   sync.Once
	mu      sync.Mutex
	pending []pollRequest // added since the goroutine last looked
	added   atomic.Int32  // len(pending), read without mu
	kick    chan struct{} // wakes the goroutine when it sleeps
}

// pollRequest is one waiting sync: its event, and where to send the
// outcome.
type pollRequest struct {
	ev   pollable
	done chan<- error
}

// pollable is what the poller polls: a *cuda.Event (tests use others).
type pollable interface {
	// Done reports whether the event has passed.
	Done() (bool, error)
}

// wait returns when ev has passed (nil) or querying it failed (the
// error), sent on done, a channel of capacity 1 used by one waiter at a
// time.
func (p *eventPoller) wait(ev pollable, done chan error) error {
	p.start.Do(func() { go p.run() })
	p.mu.Lock()
	p.pending = append(p.pending, pollRequest{ev, done})
	p.added.Store(int32(len(p.pending)))
	p.mu.Unlock()
	select {
	case p.kick <- struct{}{}:
	default:
	}
	return <-done
}

// run is the polling goroutine.
func (p *eventPoller) run() {
	var polling []pollRequest
	for {
		if p.added.Load() > 0 {
			p.mu.Lock()
			polling = append(polling, p.pending...)
			clear(p.pending)
			p.pending = p.pending[:0]
			p.added.Store(0)
			p.mu.Unlock()
		}
		if len(polling) == 0 {
			<-p.kick
			continue
		}
		k := 0
		for _, r := range polling {
			if ok, err := r.ev.Done(); ok || err != nil {
				r.done <- err
				continue
			}
			polling[k] = r
			k++
		}
		clear(polling[k:])
		polling = polling[:k]
		if k > 0 {
			runtime.Gosched()
		}
	}
}

// stageTimes returns the time of each marked stage of the last run (from
// its mark to the next one; the last mark ends the run) and resets the
// marks. The run must have been synchronised.
func (b *gpuBackend) stageTimes() ([]StageTime, error) {
	var out []StageTime
	for i := 0; i+1 < b.nmarks; i++ {
		d, err := cuda.Elapsed(b.marks[i].ev, b.marks[i+1].ev)
		if err != nil {
			return nil, err
		}
		out = append(out, StageTime{Stage: b.marks[i].name, Seconds: d.Seconds()})
	}
	b.nmarks = 0
	return out, nil
}

func (b *gpuBackend) close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if b.stream != nil {
		keep(b.stream.Synchronize())
	}
	for _, g := range b.graphs {
		keep(g.Destroy())
	}
	b.graphs = nil
	for _, m := range b.marks {
		keep(m.ev.Destroy())
	}
	b.marks = nil
	if b.done != nil {
		keep(b.done.Destroy())
	}
	if b.arena != nil {
		keep(b.arena.Free())
	}
	for _, h := range b.pinned {
		keep(h.Free())
	}
	b.pinned = nil
	if b.stream != nil {
		keep(b.stream.Destroy())
	}
	if b.mod != nil {
		keep(b.mod.Unload())
	}
	return first
}

// StageTime is the time of one stage: GPU time measured with CUDA
// events, or host wall time (h264.StageTime).
type StageTime = h264.StageTime
