package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"sync"
)

// Graph is work captured from a stream once (CUDA Graphs) and replayed
// with Launch as one submission, without the per-kernel launch cost of
// queueing it again. The captured launches keep the arguments they had at
// capture: replaying suits work whose buffers and parameters do not change
// between runs, only their contents. Release with Destroy.
type Graph struct {
	mu    sync.Mutex
	ctx   *Context
	graph uintptr
	exec  uintptr
}

// Capture records the work fn queues on s (kernel launches, copies,
// memsets) without running it, and returns it as a Graph ready to Launch.
// The capture is "relaxed": other goroutines may use the CUDA API
// meanwhile, but fn must queue everything on s and must not synchronise
// it. Drivers older than CUDA 11.4 return an error with Result
// CUDA_ERROR_NOT_SUPPORTED (801). If fn fails, the capture is ended and
// its work discarded, and fn's error is returned.
func (s *Stream) Capture(fn func() error) (*Graph, error) {
	sh, h, err := s.live()
	if err != nil {
		return nil, err
	}
	if err := check("cuStreamBeginCapture", Result(C.gpuenc_cuStreamBeginCapture(h, sh))); err != nil {
		return nil, err
	}
	ferr := fn()
	var g C.uintptr_t
	eerr := check("cuStreamEndCapture", Result(C.gpuenc_cuStreamEndCapture(h, sh, &g)))
	if ferr != nil || eerr != nil {
		if g != 0 {
			C.gpuenc_cuGraphDestroy(h, g)
		}
		return nil, errors.Join(ferr, eerr)
	}
	var e C.uintptr_t
	if err := check("cuGraphInstantiate", Result(C.gpuenc_cuGraphInstantiate(h, &e, g))); err != nil {
		C.gpuenc_cuGraphDestroy(h, g)
		return nil, err
	}
	return &Graph{ctx: s.ctx, graph: uintptr(g), exec: uintptr(e)}, nil
}

// Launch queues the captured work on s, in order with s's other work.
func (g *Graph) Launch(s *Stream) error {
	g.mu.Lock()
	exec := g.exec
	g.mu.Unlock()
	if exec == 0 {
		return ErrFreed
	}
	sh, h, err := s.live()
	if err != nil {
		return err
	}
	return check("cuGraphLaunch", Result(C.gpuenc_cuGraphLaunch(h, C.uintptr_t(exec), sh)))
}

// Destroy releases the graph (after the work of its launches has
// completed: synchronise their streams first). Destroying twice is a
// no-op.
func (g *Graph) Destroy() error {
	g.mu.Lock()
	exec, graph := g.exec, g.graph
	g.exec, g.graph = 0, 0
	g.mu.Unlock()
	if exec == 0 && graph == 0 {
		return nil
	}
	h, err := g.ctx.h()
	if err != nil {
		return err
	}
	return errors.Join(
		check("cuGraphExecDestroy", Result(C.gpuenc_cuGraphExecDestroy(h, C.uintptr_t(exec)))),
		check("cuGraphDestroy", Result(C.gpuenc_cuGraphDestroy(h, C.uintptr_t(graph)))))
}
