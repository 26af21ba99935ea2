package av

/*
#include "shim.h"
*/
import "C"

import (
	"errors"
	"io"
	"runtime/cgo"
	"unsafe"
)

// ioTarget is what a custom AVIOContext reads from or writes to. The first
// error from the Go side is kept and reported by IO.Err, since FFmpeg only
// sees a negative code.
type ioTarget struct {
	w   io.Writer
	r   io.Reader
	s   io.Seeker
	err error
}

// IO is an AVIOContext whose bytes go to (or come from) Go.
type IO struct {
	p      *C.AVIOContext
	handle cgo.Handle
	target *ioTarget
}

// NewWriteIO makes an AVIOContext that writes to w. If w is also an
// io.Seeker and seekable is true, FFmpeg may seek (needed by muxers that
// rewrite headers, e.g. non-fragmented mp4).
func NewWriteIO(w io.Writer, seekable bool) (*IO, error) {
	t := &ioTarget{w: w}
	if s, ok := w.(io.Seeker); ok && seekable {
		t.s = s
	}
	return newIO(t, true)
}

// NewReadIO makes an AVIOContext that reads from r (seeking when r is an
// io.Seeker).
func NewReadIO(r io.Reader) (*IO, error) {
	t := &ioTarget{r: r}
	if s, ok := r.(io.Seeker); ok {
		t.s = s
	}
	return newIO(t, false)
}

func newIO(t *ioTarget, write bool) (*IO, error) {
	h := cgo.NewHandle(t)
	b := func(v bool) C.int {
		if v {
			return 1
		}
		return 0
	}
	p := C.gpuenc_avio_alloc(C.uintptr_t(h), b(write), b(t.s != nil), b(!write))
	if p == nil {
		h.Delete()
		return nil, ErrNoMem
	}
	return &IO{p: p, handle: h, target: t}, nil
}

// Seekable reports whether FFmpeg may seek this IO.
func (o *IO) Seekable() bool { return o.target.s != nil }

// Err returns the first error the Go reader, writer or seeker returned.
func (o *IO) Err() error {
	if o == nil {
		return nil
	}
	return o.target.err
}

// Flush writes FFmpeg's buffered bytes out.
func (o *IO) Flush() {
	if o != nil && o.p != nil {
		C.avio_flush(o.p)
	}
}

// Free releases the context and its buffer (it does not close the Go writer).
func (o *IO) Free() {
	if o == nil || o.p == nil {
		return
	}
	C.av_freep(unsafe.Pointer(&o.p.buffer))
	C.avio_context_free(&o.p)
	o.handle.Delete()
}

func targetOf(h C.uintptr_t) *ioTarget { return cgo.Handle(h).Value().(*ioTarget) }

//export gpuencIOWrite
func gpuencIOWrite(h C.uintptr_t, buf *C.uint8_t, size C.int) C.int {
	t := targetOf(h)
	if t.err != nil {
		return C.gpuenc_averror(C.EIO)
	}
	n, err := t.w.Write(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size)))
	if err == nil && n < int(size) {
		err = io.ErrShortWrite
	}
	if err != nil {
		t.err = err
		return C.gpuenc_averror(C.EIO)
	}
	return size
}

//export gpuencIORead
func gpuencIORead(h C.uintptr_t, buf *C.uint8_t, size C.int) C.int {
	t := targetOf(h)
	n, err := t.r.Read(unsafe.Slice((*byte)(unsafe.Pointer(buf)), int(size)))
	if n > 0 {
		return C.int(n)
	}
	if errors.Is(err, io.EOF) || err == nil {
		return C.AVERROR_EOF
	}
	t.err = err
	return C.gpuenc_averror(C.EIO)
}

//export gpuencIOSeek
func gpuencIOSeek(h C.uintptr_t, offset C.int64_t, whence C.int) C.int64_t {
	t := targetOf(h)
	if t.s == nil {
		return C.int64_t(C.gpuenc_averror(C.ESPIPE))
	}
	if whence == C.AVSEEK_SIZE {
		cur, err := t.s.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		end, err := t.s.Seek(0, io.SeekEnd)
		if err != nil {
			return -1
		}
		if _, err := t.s.Seek(cur, io.SeekStart); err != nil {
			return -1
		}
		return C.int64_t(end)
	}
	pos, err := t.s.Seek(int64(offset), int(whence&^C.AVSEEK_FORCE))
	if err != nil {
		t.err = err
		return C.int64_t(C.gpuenc_averror(C.EIO))
	}
	return C.int64_t(pos)
}
