package cuda

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"bytes"
	"math"
	"strings"
	"sync"
	"unsafe"
)

// Module is code loaded into a context: PTX compiled by the driver's JIT,
// or a cubin/fatbin for this GPU. Release with Unload, after the kernels
// launched from it have completed.
type Module struct {
	mu     sync.Mutex
	handle uintptr
	ctx    *Context
	// InfoLog is the JIT's informational output (register use, warnings).
	InfoLog string
}

// JITError is a module load failure with the JIT compiler's error log.
type JITError struct {
	Err *Error // the cuModuleLoadDataEx failure
	Log string // the JIT's error log, possibly empty
}

// Error gives the driver's error and the log.
func (e *JITError) Error() string {
	if e.Log == "" {
		return e.Err.Error()
	}
	return e.Err.Error() + "\nJIT log:\n" + e.Log
}

// Unwrap returns the driver error, so errors.Is(err, ErrorInvalidPTX) works.
func (e *JITError) Unwrap() error { return e.Err }

// LoadPTX compiles PTX source text with the driver's JIT and loads it.
func (c *Context) LoadPTX(ptx string) (*Module, error) {
	return c.LoadModule([]byte(ptx))
}

// LoadModule loads a cubin or fatbin image (recognised by its ELF or fatbin
// magic number) or PTX text (anything else). On failure the error is a
// *JITError carrying the JIT's log.
func (c *Context) LoadModule(image []byte) (*Module, error) {
	if len(image) == 0 {
		return nil, argErr("LoadModule", "empty image")
	}
	h, err := c.h()
	if err != nil {
		return nil, err
	}
	if isPTX(image) && image[len(image)-1] != 0 {
		image = append(bytes.Clone(image), 0) // the driver reads PTX as a C string
	}
	const logSize = 16 << 10
	errLog := (*C.char)(C.malloc(logSize))
	infoLog := (*C.char)(C.malloc(logSize))
	defer C.free(unsafe.Pointer(errLog))
	defer C.free(unsafe.Pointer(infoLog))
	var m C.uintptr_t
	r := Result(C.gpuenc_cuModuleLoadDataEx(h, &m, unsafe.Pointer(&image[0]), errLog, logSize, infoLog, logSize))
	if r != Success {
		return nil, &JITError{Err: newError("cuModuleLoadDataEx", r), Log: strings.TrimSpace(C.GoString(errLog))}
	}
	return &Module{handle: uintptr(m), ctx: c, InfoLog: strings.TrimSpace(C.GoString(infoLog))}, nil
}

// isPTX reports whether image is not a cubin (ELF) or fatbin.
func isPTX(image []byte) bool {
	if len(image) >= 4 && string(image[:4]) == "\x7fELF" {
		return false
	}
	// Fatbin wrapper magic 0xBA55ED50, little-endian.
	if len(image) >= 4 && image[0] == 0x50 && image[1] == 0xED && image[2] == 0x55 && image[3] == 0xBA {
		return false
	}
	return true
}

func (m *Module) live() (mod, ctx C.uintptr_t, err error) {
	m.mu.Lock()
	mh := m.handle
	m.mu.Unlock()
	if mh == 0 {
		return 0, 0, ErrFreed
	}
	h, err := m.ctx.h()
	return C.uintptr_t(mh), h, err
}

// Function looks up a kernel by its (mangled, or extern "C") name.
func (m *Module) Function(name string) (*Function, error) {
	mh, h, err := m.live()
	if err != nil {
		return nil, err
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var f C.uintptr_t
	if err := check("cuModuleGetFunction", Result(C.gpuenc_cuModuleGetFunction(h, &f, mh, cname))); err != nil {
		return nil, err
	}
	return &Function{handle: uintptr(f), mod: m, Name: name}, nil
}

// Unload releases the module; its Functions become unusable. Unloading
// twice is a no-op.
func (m *Module) Unload() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.handle == 0 {
		return nil
	}
	mh := m.handle
	m.handle = 0
	h, err := m.ctx.h()
	if err != nil {
		return err
	}
	return check("cuModuleUnload", Result(C.gpuenc_cuModuleUnload(h, C.uintptr_t(mh))))
}

// Function is a kernel in a loaded Module. It is valid until the module is
// unloaded.
type Function struct {
	handle uintptr
	mod    *Module
	Name   string
}

// Dim3 is a grid or block shape; zero components are invalid.
type Dim3 struct{ X, Y, Z uint32 }

// maxThreadsPerBlock is the block-size limit of every GPU since Fermi.
const maxThreadsPerBlock = 1024

// checkLaunch validates a launch shape.
func checkLaunch(grid, block Dim3, sharedMem int) error {
	if grid.X == 0 || grid.Y == 0 || grid.Z == 0 {
		return argErr("Launch", "grid %v has a zero dimension", grid)
	}
	if block.X == 0 || block.Y == 0 || block.Z == 0 {
		return argErr("Launch", "block %v has a zero dimension", block)
	}
	if n := uint64(block.X) * uint64(block.Y) * uint64(block.Z); n > maxThreadsPerBlock {
		return argErr("Launch", "block %v has %d threads, more than %d", block, n, maxThreadsPerBlock)
	}
	if grid.Y > 65535 || grid.Z > 65535 {
		return argErr("Launch", "grid %v: Y and Z are limited to 65535", grid)
	}
	if sharedMem < 0 || sharedMem > math.MaxUint32 {
		return argErr("Launch", "shared memory %d out of range", sharedMem)
	}
	return nil
}

// Launch queues the kernel on s (the legacy default stream when s is nil)
// with the given grid and block shapes and dynamic shared memory. args are
// the kernel's parameters in order, each one of uintptr, int32, uint32,
// float32, int64, uint64, float64 or *DeviceBuffer (passed as its device
// pointer); they are copied at launch, so they may change afterwards.
// Launch returns once the kernel is queued; buffers it uses must stay
// allocated until it completes.
func (f *Function) Launch(grid, block Dim3, sharedMem int, s *Stream, args ...any) error {
	if err := checkLaunch(grid, block, sharedMem); err != nil {
		return err
	}
	_, h, err := f.mod.live()
	if err != nil {
		return err
	}
	sh, _, err := streamArgs("Launch", h, s)
	if err != nil {
		return err
	}
	kp, err := packParams("Launch", args)
	if err != nil {
		return err
	}
	var blob unsafe.Pointer
	var offs *C.uint32_t
	if len(kp.offsets) > 0 {
		blob = unsafe.Pointer(&kp.blob[0])
		offs = (*C.uint32_t)(unsafe.Pointer(&kp.offsets[0]))
	}
	return check("cuLaunchKernel", Result(C.gpuenc_cuLaunchKernel(h, C.uintptr_t(f.handle),
		C.uint(grid.X), C.uint(grid.Y), C.uint(grid.Z),
		C.uint(block.X), C.uint(block.Y), C.uint(block.Z),
		C.uint(sharedMem), sh, blob, offs, C.int(len(kp.offsets)))))
}
