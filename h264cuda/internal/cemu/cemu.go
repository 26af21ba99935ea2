// Package cemu runs h264_cuda's kernels (h264cuda/kernels/*.cu) compiled as
// plain C on the CPU, one emulated thread after the other, so that their
// logic is tested against package h264 on machines without a GPU (CI).
// It is imported only by h264cuda's tests; the kernels use no shared memory
// or barriers, so running a grid's threads in sequence computes what the GPU
// computes.
//
// Memory is one C-allocated arena; kernels receive its addresses in their
// parameter blocks exactly as on the GPU.
package cemu

/*
#cgo CFLAGS: -O2 -std=gnu11 -Wall -I${SRCDIR}/../../kernels
#include <stdlib.h>
#include "cemu.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	// The sources are embedded there: importing the package makes this
	// one rebuild when a .cu or .h file changes (cgo does not track
	// headers outside its directory).
	_ "github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// ErrUnknownKernel is returned by Launch for a kernel the C build lacks.
var ErrUnknownKernel = errors.New("cemu: unknown kernel")

// ErrRange is returned for an access outside an arena.
var ErrRange = errors.New("cemu: access outside the arena")

// Arena is a block of C memory standing in for device memory.
type Arena struct {
	p unsafe.Pointer
	n int
}

// live holds every arena not yet freed, so that CopyFrom can check that
// its source is one (device-to-device copies name their source by
// address).
var live = struct {
	sync.Mutex
	arenas map[*Arena]bool
}{arenas: map[*Arena]bool{}}

// NewArena allocates n zeroed bytes.
func NewArena(n int) (*Arena, error) {
	p := C.calloc(C.size_t(max(n, 1)), 1)
	if p == nil {
		return nil, fmt.Errorf("cemu: cannot allocate %d bytes", n)
	}
	a := &Arena{p: p, n: n}
	live.Lock()
	live.arenas[a] = true
	live.Unlock()
	return a, nil
}

// CopyFrom copies n bytes from address src, inside a live arena (this one
// or another), to offset off: a device-to-device copy.
func (a *Arena) CopyFrom(off int, src uint64, n int) error {
	if off < 0 || n < 0 || off+n > a.n {
		return fmt.Errorf("%w: copy of %d bytes to %d, size %d", ErrRange, n, off, a.n)
	}
	live.Lock()
	defer live.Unlock()
	for b := range live.arenas {
		if base := b.Base(); src >= base && src+uint64(n) <= base+uint64(b.n) {
			copy(a.Bytes()[off:off+n], b.Bytes()[src-base:])
			return nil
		}
	}
	return fmt.Errorf("%w: copy of %d bytes from %#x, in no arena", ErrRange, n, src)
}

// Base returns the arena's address, as the kernels see it.
func (a *Arena) Base() uint64 { return uint64(uintptr(a.p)) }

// Bytes returns the arena as a slice (valid until Free).
func (a *Arena) Bytes() []byte { return unsafe.Slice((*byte)(a.p), a.n) }

// Write copies src to offset off.
func (a *Arena) Write(off int, src []byte) error {
	if off < 0 || off+len(src) > a.n {
		return fmt.Errorf("%w: write of %d bytes at %d, size %d", ErrRange, len(src), off, a.n)
	}
	copy(a.Bytes()[off:], src)
	return nil
}

// Read copies len(dst) bytes from offset off.
func (a *Arena) Read(dst []byte, off int) error {
	if off < 0 || off+len(dst) > a.n {
		return fmt.Errorf("%w: read of %d bytes at %d, size %d", ErrRange, len(dst), off, a.n)
	}
	copy(dst, a.Bytes()[off:])
	return nil
}

// Free releases the arena; freeing twice is harmless.
func (a *Arena) Free() {
	if a.p != nil {
		live.Lock()
		delete(live.arenas, a)
		live.Unlock()
		C.free(a.p)
		a.p, a.n = nil, 0
	}
}

// Launch runs kernel name over blocks×threads emulated threads with the
// parameter block at address params (inside an arena), n units and arg.
func Launch(name string, blocks, threads int, params uint64, n, arg int) error {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	// params is the address of C memory (an arena), never Go memory.
	p := (*C.int64_t)(unsafe.Add(nil, uintptr(params)))
	if C.cemu_launch(cs, C.int(blocks), C.int(threads), p, C.int(n), C.int(arg)) != 0 {
		return fmt.Errorf("%w: %s", ErrUnknownKernel, name)
	}
	return nil
}

// MotionConst returns the value of a constant of motion.h, analyse.h or
// inter.h by name (for the tests that check h264cuda's copy of the
// layouts), or -1.
func MotionConst(name string) int {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return int(C.cemu_motion_const(cs))
}

// PredBlock runs the kernels' Intra_16x16/chroma prediction (analyse.cu
// pred_block) of an n×n block: the neighbours are read around arena offset
// pix (row stride stride), the prediction is written at offset dst (stride
// n). mode is an Intra_16x16 mode number, avail the availability bits,
// chroma selects the chroma rules.
func (a *Arena) PredBlock(dst, n, pix, stride, mode, avail int, chroma bool) error {
	if dst < 0 || dst+n*n > a.n || pix-stride-1 < 0 || pix+(n-1)*stride+n > a.n {
		return fmt.Errorf("%w: prediction block", ErrRange)
	}
	ch := 0
	if chroma {
		ch = 1
	}
	C.cemu_pred_block((*C.uint8_t)(unsafe.Add(a.p, dst)), C.int(n), (*C.uint8_t)(unsafe.Add(a.p, pix)),
		C.int(stride), C.int(mode), C.int(avail), C.int(ch))
	return nil
}

// PredLuma runs the kernels' quarter-sample luma prediction (motion.cu
// pred_setup/pred_sample) with the parameter block at arena offset params,
// writing the w×h block at offset dst (stride w).
func (a *Arena) PredLuma(params, x, y, mvx, mvy, w, h, dst int) error {
	if dst < 0 || dst+w*h > a.n || params < 0 || params > a.n {
		return fmt.Errorf("%w: luma prediction", ErrRange)
	}
	C.cemu_pred_luma((*C.int64_t)(unsafe.Add(a.p, params)), C.int(x), C.int(y), C.int(mvx), C.int(mvy),
		C.int(w), C.int(h), (*C.uint8_t)(unsafe.Add(a.p, dst)))
	return nil
}
