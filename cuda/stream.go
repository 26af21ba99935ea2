package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"sync"
	"time"
)

// Stream is a CUDA stream: work queued on it runs in order, and
// concurrently with other streams. Create with Context.NewStream, release
// with Destroy (after Synchronize if work may be pending).
type Stream struct {
	mu     sync.Mutex
	handle uintptr
	ctx    *Context
}

// NewStream creates a stream that does not synchronise with the legacy
// default stream (CU_STREAM_NON_BLOCKING), so gpuenc's queues do not wait
// on unrelated work in the same context.
func (c *Context) NewStream() (*Stream, error) {
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	var s C.uintptr_t
	if err := check("cuStreamCreate", Result(C.gpuenc_cuStreamCreate(h, &s, 1))); err != nil {
		return nil, err
	}
	return &Stream{handle: uintptr(s), ctx: c}, nil
}

// Handle returns the CUstream as an integer for C libraries (0 after
// Destroy). It stays owned by s.
func (s *Stream) Handle() uintptr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handle
}

func (s *Stream) live() (stream, ctx C.uintptr_t, err error) {
	s.mu.Lock()
	sh := s.handle
	s.mu.Unlock()
	if sh == 0 {
		return 0, 0, ErrFreed
	}
	h, err := s.ctx.h()
	return C.uintptr_t(sh), h, err
}

// Synchronize blocks until all work queued on s has completed.
func (s *Stream) Synchronize() error {
	sh, h, err := s.live()
	if err != nil {
		return err
	}
	return check("cuStreamSynchronize", Result(C.gpuenc_cuStreamSynchronize(h, sh)))
}

// WaitEvent makes work queued on s after this call wait until e completes,
// without blocking the host.
func (s *Stream) WaitEvent(e *Event) error {
	sh, h, err := s.live()
	if err != nil {
		return err
	}
	eh, _, err := e.live()
	if err != nil {
		return err
	}
	return check("cuStreamWaitEvent", Result(C.gpuenc_cuStreamWaitEvent(h, sh, eh)))
}

// Destroy releases the stream. Work already queued still completes.
// Destroying twice is a no-op.
func (s *Stream) Destroy() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.handle == 0 {
		return nil
	}
	sh := s.handle
	s.handle = 0
	h, err := s.ctx.h()
	if err != nil {
		return err
	}
	return check("cuStreamDestroy", Result(C.gpuenc_cuStreamDestroy(h, C.uintptr_t(sh))))
}

// Event marks a point in a stream, for ordering between streams and for
// timing. Create with Context.NewEvent, release with Destroy.
type Event struct {
	mu     sync.Mutex
	handle uintptr
	ctx    *Context
}

// NewEvent creates an event that records timing (CU_EVENT_DEFAULT).
func (c *Context) NewEvent() (*Event, error) {
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	var e C.uintptr_t
	if err := check("cuEventCreate", Result(C.gpuenc_cuEventCreate(h, &e, 0))); err != nil {
		return nil, err
	}
	return &Event{handle: uintptr(e), ctx: c}, nil
}

func (e *Event) live() (event, ctx C.uintptr_t, err error) {
	e.mu.Lock()
	eh := e.handle
	e.mu.Unlock()
	if eh == 0 {
		return 0, 0, ErrFreed
	}
	h, err := e.ctx.h()
	return C.uintptr_t(eh), h, err
}

// Record captures the work queued on s so far (the legacy default stream
// when s is nil); the event completes when that work has.
func (e *Event) Record(s *Stream) error {
	eh, h, err := e.live()
	if err != nil {
		return err
	}
	sh, _, err := streamArgs("Record", h, s)
	if err != nil {
		return err
	}
	return check("cuEventRecord", Result(C.gpuenc_cuEventRecord(h, eh, sh)))
}

// Synchronize blocks until the event has completed.
func (e *Event) Synchronize() error {
	eh, h, err := e.live()
	if err != nil {
		return err
	}
	return check("cuEventSynchronize", Result(C.gpuenc_cuEventSynchronize(h, eh)))
}

// Done reports whether the event has completed, without blocking.
func (e *Event) Done() (bool, error) {
	eh, h, err := e.live()
	if err != nil {
		return false, err
	}
	switch r := Result(C.gpuenc_cuEventQuery(h, eh)); r {
	case Success:
		return true, nil
	case ErrorNotReady:
		return false, nil
	default:
		return false, newError("cuEventQuery", r)
	}
}

// Elapsed returns the GPU time between two completed events recorded in
// order (cuEventElapsedTime; resolution about half a microsecond).
func Elapsed(start, end *Event) (time.Duration, error) {
	sh, h, err := start.live()
	if err != nil {
		return 0, err
	}
	eh, _, err := end.live()
	if err != nil {
		return 0, err
	}
	var ms C.float
	if err := check("cuEventElapsedTime", Result(C.gpuenc_cuEventElapsedTime(h, &ms, sh, eh))); err != nil {
		return 0, err
	}
	return time.Duration(float64(ms) * float64(time.Millisecond)), nil
}

// Destroy releases the event. Destroying twice is a no-op.
func (e *Event) Destroy() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.handle == 0 {
		return nil
	}
	eh := e.handle
	e.handle = 0
	h, err := e.ctx.h()
	if err != nil {
		return err
	}
	return check("cuEventDestroy", Result(C.gpuenc_cuEventDestroy(h, C.uintptr_t(eh))))
}
