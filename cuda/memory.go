package cuda

/*
#include "shim.h"
*/
import "C"

import (
	"sync"
	"unsafe"
)

// DeviceBuffer is a span of device memory: Size bytes at Ptr, laid out as
// rows of Pitch bytes when Pitch > 0 (AllocPitch), or linear when Pitch is 0.
//
// A buffer from Alloc or AllocPitch is owned by the caller, who must Free it
// (after the work using it has completed) before closing its Context. A
// buffer from Wrap borrows memory owned elsewhere; its Free only forgets
// the pointer. Ptr is 0 after Free.
type DeviceBuffer struct {
	Ptr   uintptr // CUdeviceptr
	Size  int     // bytes
	Pitch int     // row pitch in bytes; 0 for linear memory

	mu    sync.Mutex
	ctx   *Context
	owned bool
}

// Alloc allocates size bytes of device memory (cuMemAlloc).
// The memory is not cleared.
func (c *Context) Alloc(size int) (*DeviceBuffer, error) {
	if size <= 0 {
		return nil, argErr("Alloc", "size %d must be positive", size)
	}
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	var p C.uint64_t
	if err := check("cuMemAlloc", Result(C.gpuenc_cuMemAlloc(h, &p, C.size_t(size)))); err != nil {
		return nil, err
	}
	return &DeviceBuffer{Ptr: uintptr(p), Size: size, ctx: c, owned: true}, nil
}

// AllocPitch allocates height rows of at least widthBytes each, padded by the
// driver to an efficient pitch (cuMemAllocPitch). Size is Pitch*height.
func (c *Context) AllocPitch(widthBytes, height int) (*DeviceBuffer, error) {
	if widthBytes <= 0 || height <= 0 {
		return nil, argErr("AllocPitch", "region %dx%d must be positive", widthBytes, height)
	}
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	var p C.uint64_t
	var pitch C.size_t
	if err := check("cuMemAllocPitch", Result(C.gpuenc_cuMemAllocPitch(h, &p, &pitch,
		C.size_t(widthBytes), C.size_t(height)))); err != nil {
		return nil, err
	}
	return &DeviceBuffer{Ptr: uintptr(p), Size: int(pitch) * height, Pitch: int(pitch), ctx: c, owned: true}, nil
}

// Wrap describes device memory owned by someone else (an FFmpeg frame, an
// NVENC surface) so that the copy functions can use it. The caller keeps
// ownership and must keep the memory alive while the buffer is used; Free on
// the result frees nothing.
func (c *Context) Wrap(ptr uintptr, size, pitch int) (*DeviceBuffer, error) {
	switch {
	case ptr == 0:
		return nil, argErr("Wrap", "null device pointer")
	case size <= 0:
		return nil, argErr("Wrap", "size %d must be positive", size)
	case pitch < 0 || pitch > size:
		return nil, argErr("Wrap", "pitch %d outside [0, %d]", pitch, size)
	}
	if _, err := c.h(); err != nil {
		return nil, err
	}
	return &DeviceBuffer{Ptr: ptr, Size: size, Pitch: pitch, ctx: c}, nil
}

// Free releases an owned buffer (cuMemFree) or forgets a wrapped one.
// Freeing twice is a no-op. Work queued on a stream that still uses the
// buffer must have completed first.
func (b *DeviceBuffer) Free() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Ptr == 0 {
		return nil
	}
	p := b.Ptr
	b.Ptr = 0
	if !b.owned {
		return nil
	}
	h, err := b.ctx.h()
	if err != nil {
		return err
	}
	return check("cuMemFree", Result(C.gpuenc_cuMemFree(h, C.uint64_t(p))))
}

// live returns the buffer's context handle and pointer, or ErrFreed.
func (b *DeviceBuffer) live(op string) (C.uintptr_t, C.uint64_t, error) {
	if b == nil {
		return 0, 0, argErr(op, "nil *DeviceBuffer")
	}
	b.mu.Lock()
	p := b.Ptr
	b.mu.Unlock()
	if p == 0 {
		return 0, 0, ErrFreed
	}
	h, err := b.ctx.h()
	return h, C.uint64_t(p), err
}

// rowPitch is the pitch used for 2D copies: Pitch, or widthBytes for linear
// buffers (tightly packed rows).
func (b *DeviceBuffer) rowPitch(widthBytes int) int {
	if b.Pitch > 0 {
		return b.Pitch
	}
	return widthBytes
}

// streamArgs returns the handle and async flag for s, checking that s
// belongs to the same context as the memory.
func streamArgs(op string, ctx C.uintptr_t, s *Stream) (C.uintptr_t, C.int, error) {
	if s == nil {
		return 0, 0, nil
	}
	sh, sctx, err := s.live()
	if err != nil {
		return 0, 0, err
	}
	if sctx != ctx {
		return 0, 0, argErr(op, "stream belongs to another context")
	}
	return sh, 1, nil
}

// Memset sets every byte of b to v; queued on s, or synchronous if s is nil.
func (b *DeviceBuffer) Memset(v byte, s *Stream) error {
	h, p, err := b.live("Memset")
	if err != nil {
		return err
	}
	sh, async, err := streamArgs("Memset", h, s)
	if err != nil {
		return err
	}
	return check("cuMemsetD8", Result(C.gpuenc_cuMemsetD8(h, p, C.uchar(v), C.size_t(b.Size), sh, async)))
}

// CopyHtoD copies src into dst at byte offset dstOff. With a nil stream it
// returns when the copy is done; with a stream it is queued there, and src
// may be reused once the call returns, unless src lies in a HostBuffer
// (pinned), whose contents the GPU reads later, when the stream gets there.
func CopyHtoD(dst *DeviceBuffer, dstOff int, src []byte, s *Stream) error {
	h, p, err := dst.live("CopyHtoD")
	if err != nil {
		return err
	}
	if err := checkRange("CopyHtoD", "destination", dstOff, len(src), dst.Size); err != nil {
		return err
	}
	sh, async, err := streamArgs("CopyHtoD", h, s)
	if err != nil || len(src) == 0 {
		return err
	}
	return check("cuMemcpyHtoD", Result(C.gpuenc_cuMemcpyHtoD(h, p+C.uint64_t(dstOff),
		unsafe.Pointer(&src[0]), C.size_t(len(src)), sh, async)))
}

// CopyDtoH copies len(dst) bytes from src at byte offset srcOff into dst.
// With a nil stream, or into ordinary Go memory, it returns when dst holds
// the data (with a stream, ordered after the work queued there before it).
// Into a HostBuffer (pinned) with a stream the copy is truly asynchronous:
// dst is valid only once the stream has passed the copy.
func CopyDtoH(dst []byte, src *DeviceBuffer, srcOff int, s *Stream) error {
	h, p, err := src.live("CopyDtoH")
	if err != nil {
		return err
	}
	if err := checkRange("CopyDtoH", "source", srcOff, len(dst), src.Size); err != nil {
		return err
	}
	sh, async, err := streamArgs("CopyDtoH", h, s)
	if err != nil || len(dst) == 0 {
		return err
	}
	return check("cuMemcpyDtoH", Result(C.gpuenc_cuMemcpyDtoH(h, unsafe.Pointer(&dst[0]),
		p+C.uint64_t(srcOff), C.size_t(len(dst)), sh, async)))
}

// CopyDtoD copies n bytes from src at srcOff to dst at dstOff, within one
// device; synchronous with a nil stream, else queued on s.
func CopyDtoD(dst *DeviceBuffer, dstOff int, src *DeviceBuffer, srcOff, n int, s *Stream) error {
	h, dp, err := dst.live("CopyDtoD")
	if err != nil {
		return err
	}
	_, sp, err := src.live("CopyDtoD")
	if err != nil {
		return err
	}
	if err := checkRange("CopyDtoD", "destination", dstOff, n, dst.Size); err != nil {
		return err
	}
	if err := checkRange("CopyDtoD", "source", srcOff, n, src.Size); err != nil {
		return err
	}
	sh, async, err := streamArgs("CopyDtoD", h, s)
	if err != nil || n == 0 {
		return err
	}
	return check("cuMemcpyDtoD", Result(C.gpuenc_cuMemcpyDtoD(h, dp+C.uint64_t(dstOff),
		sp+C.uint64_t(srcOff), C.size_t(n), sh, async)))
}

// CopyHtoD2D copies a widthBytes x height region from host rows of srcPitch
// bytes into dst's rows (dst.Pitch, or widthBytes when dst is linear).
// Stream semantics as CopyHtoD.
func CopyHtoD2D(dst *DeviceBuffer, src []byte, srcPitch, widthBytes, height int, s *Stream) error {
	const op = "CopyHtoD2D"
	h, p, err := dst.live(op)
	if err != nil {
		return err
	}
	dpitch := dst.rowPitch(widthBytes)
	if err := check2D(op, "source", len(src), srcPitch, widthBytes, height); err != nil {
		return err
	}
	if err := check2D(op, "destination", dst.Size, dpitch, widthBytes, height); err != nil {
		return err
	}
	sh, async, err := streamArgs(op, h, s)
	if err != nil || widthBytes == 0 || height == 0 {
		return err
	}
	return check("cuMemcpy2D", Result(C.gpuenc_cuMemcpy2D(h,
		nil, p, C.size_t(dpitch),
		unsafe.Pointer(&src[0]), 0, C.size_t(srcPitch),
		C.size_t(widthBytes), C.size_t(height), sh, async)))
}

// CopyDtoH2D copies a widthBytes x height region of src (rows of src.Pitch,
// or widthBytes when linear) into host rows of dstPitch bytes.
// Stream semantics as CopyDtoH.
func CopyDtoH2D(dst []byte, dstPitch int, src *DeviceBuffer, widthBytes, height int, s *Stream) error {
	const op = "CopyDtoH2D"
	h, p, err := src.live(op)
	if err != nil {
		return err
	}
	spitch := src.rowPitch(widthBytes)
	if err := check2D(op, "destination", len(dst), dstPitch, widthBytes, height); err != nil {
		return err
	}
	if err := check2D(op, "source", src.Size, spitch, widthBytes, height); err != nil {
		return err
	}
	sh, async, err := streamArgs(op, h, s)
	if err != nil || widthBytes == 0 || height == 0 {
		return err
	}
	return check("cuMemcpy2D", Result(C.gpuenc_cuMemcpy2D(h,
		unsafe.Pointer(&dst[0]), 0, C.size_t(dstPitch),
		nil, p, C.size_t(spitch),
		C.size_t(widthBytes), C.size_t(height), sh, async)))
}

// CopyDtoD2D copies a widthBytes x height region between two device buffers,
// each addressed with its own pitch (or widthBytes when linear).
// Synchronous with a nil stream, else queued on s.
func CopyDtoD2D(dst, src *DeviceBuffer, widthBytes, height int, s *Stream) error {
	const op = "CopyDtoD2D"
	h, dp, err := dst.live(op)
	if err != nil {
		return err
	}
	_, sp, err := src.live(op)
	if err != nil {
		return err
	}
	dpitch, spitch := dst.rowPitch(widthBytes), src.rowPitch(widthBytes)
	if err := check2D(op, "destination", dst.Size, dpitch, widthBytes, height); err != nil {
		return err
	}
	if err := check2D(op, "source", src.Size, spitch, widthBytes, height); err != nil {
		return err
	}
	sh, async, err := streamArgs(op, h, s)
	if err != nil || widthBytes == 0 || height == 0 {
		return err
	}
	return check("cuMemcpy2D", Result(C.gpuenc_cuMemcpy2D(h,
		nil, dp, C.size_t(dpitch),
		nil, sp, C.size_t(spitch),
		C.size_t(widthBytes), C.size_t(height), sh, async)))
}
