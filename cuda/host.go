package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// HostBuffer is page-locked ("pinned") host memory (cuMemHostAlloc). Copies
// between it and the device run as true DMA transfers, asynchronously when
// given a stream, and faster than from ordinary Go memory.
//
// Unlike a Go slice, pinned memory handed to an asynchronous copy is read
// (host-to-device) or written (device-to-host) by the GPU after the call
// returns: do not touch it until the stream has passed the copy (Stream.Synchronize
// or an Event recorded after it). The caller owns the buffer and must Free it
// after such work is done; Bytes is invalid after Free.
type HostBuffer struct {
	mu   sync.Mutex
	ptr  unsafe.Pointer // C memory
	size int
	ctx  *Context
}

// AllocHost allocates size bytes of page-locked host memory.
func (c *Context) AllocHost(size int) (*HostBuffer, error) {
	if size <= 0 {
		return nil, argErr("AllocHost", "size %d must be positive", size)
	}
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	var p unsafe.Pointer
	if err := check("cuMemHostAlloc", Result(C.gpuenc_cuMemHostAlloc(h, &p, C.size_t(size)))); err != nil {
		return nil, err
	}
	return &HostBuffer{ptr: p, size: size, ctx: c}, nil
}

// Bytes returns the buffer as a slice (nil after Free). The slice aliases C
// memory: keep no reference to it past Free.
func (b *HostBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ptr == nil {
		return nil
	}
	return unsafe.Slice((*byte)(b.ptr), b.size)
}

// Free releases the buffer (cuMemFreeHost). Freeing twice is a no-op.
func (b *HostBuffer) Free() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ptr == nil {
		return nil
	}
	p := b.ptr
	b.ptr = nil
	h, err := b.ctx.h()
	if err != nil {
		return err
	}
	return check("cuMemFreeHost", Result(C.gpuenc_cuMemFreeHost(h, p)))
}

// MemInfo returns the free and total device memory of the context's GPU
// (cuMemGetInfo), in bytes.
func (c *Context) MemInfo() (free, total uint64, err error) {
	h, err := c.h()
	if err != nil {
		return 0, 0, err
	}
	var f, t C.size_t
	if err := check("cuMemGetInfo", Result(C.gpuenc_cuMemGetInfo(h, &f, &t))); err != nil {
		return 0, 0, err
	}
	return uint64(f), uint64(t), nil
}
