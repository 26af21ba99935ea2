package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// Context is a retained reference to the primary CUDA context of one
// device. Open it with OpenContext and release it with Close once every
// buffer, stream, event and module made from it has been released.
// A Context is safe for concurrent use.
type Context struct {
	mu     sync.RWMutex
	handle uintptr // CUcontext; 0 once closed
	dev    C.int
	index  int
}

// OpenContext retains the primary context of device index. Several calls
// for the same device (in this process, or by FFmpeg and NVENC) share the
// one context; each OpenContext must be matched by one Close.
func OpenContext(index int) (*Context, error) {
	d, err := device(index)
	if err != nil {
		return nil, err
	}
	var h C.uintptr_t
	if err := check("cuDevicePrimaryCtxRetain", Result(C.gpuenc_cuDevicePrimaryCtxRetain(&h, d))); err != nil {
		return nil, err
	}
	return &Context{handle: uintptr(h), dev: d, index: index}, nil
}

// Device returns the ordinal of the context's device.
func (c *Context) Device() int { return c.index }

// Handle returns the CUcontext as an integer, for C code that needs it
// (FFmpeg's AVCUDADeviceContext.cuda_ctx, NVENC's session parameters). It is
// 0 after Close. The handle stays owned by c: do not release it.
func (c *Context) Handle() uintptr {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.handle
}

// h returns the live handle or ErrFreed.
func (c *Context) h() (C.uintptr_t, error) {
	if c == nil {
		return 0, ErrFreed
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.handle == 0 {
		return 0, ErrFreed
	}
	return C.uintptr_t(c.handle), nil
}

// Close releases the primary-context reference. Closing twice is a no-op.
func (c *Context) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.handle == 0 {
		return nil
	}
	c.handle = 0
	return check("cuDevicePrimaryCtxRelease", Result(C.gpuenc_cuDevicePrimaryCtxRelease(c.dev)))
}

// Synchronize blocks until all work queued in the context has finished.
func (c *Context) Synchronize() error {
	h, err := c.h()
	if err != nil {
		return err
	}
	return check("cuCtxSynchronize", Result(C.gpuenc_cuCtxSynchronize(h)))
}

// Do runs f with the context current on the calling OS thread: it locks
// the goroutine to its thread, pushes the context, runs f and pops it
// again. Use it around calls into C libraries (FFmpeg, NVENC) that expect
// a current context. f's error is returned; a failure to pop is returned
// only if f succeeded.
func (c *Context) Do(f func() error) (err error) {
	h, err := c.h()
	if err != nil {
		return err
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := check("cuCtxPushCurrent", Result(C.gpuenc_cuCtxPushCurrent(h))); err != nil {
		return err
	}
	defer func() {
		if perr := check("cuCtxPopCurrent", Result(C.gpuenc_cuCtxPopCurrent())); err == nil {
			err = perr
		}
	}()
	return f()
}

// currentContext returns the calling thread's current CUcontext (0 if none);
// meaningful only inside Do, where the thread is locked.
func currentContext() (uintptr, error) {
	if err := Load(); err != nil {
		return 0, err
	}
	var h C.uintptr_t
	if err := check("cuCtxGetCurrent", Result(C.gpuenc_cuCtxGetCurrent(&h))); err != nil {
		return 0, err
	}
	return uintptr(h), nil
}
