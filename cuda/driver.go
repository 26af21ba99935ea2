package cuda

/*
#cgo CFLAGS: -I${SRCDIR}/../third_party/ffmpeg/include
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"unsafe"
)

// LibraryName is the CUDA driver library that Load opens with dlopen.
const LibraryName = "libcuda.so.1"

// DriverError explains why the CUDA driver could not be used. It matches
// ErrNoDriver (or ErrNoDevice when the driver sees no GPU) with errors.Is.
type DriverError struct {
	Library string // the library that was opened
	Detail  string // dlerror's text, the missing symbol or the cuInit failure
	Err     error  // the sentinel (ErrNoDriver or ErrNoDevice)
	Cause   error  // the underlying *Error from cuInit, if any
}

// Error gives the reason and what the user can do about it.
func (e *DriverError) Error() string {
	if e.Err == ErrNoDevice {
		return fmt.Sprintf("no CUDA device found: the NVIDIA driver loaded but reports no GPU (%s); "+
			"check nvidia-smi, CUDA_VISIBLE_DEVICES, and in a container run with --gpus", e.Detail)
	}
	return fmt.Sprintf("no NVIDIA driver found: %s could not be loaded (%s); "+
		"install the NVIDIA driver, or in a container run with the NVIDIA container toolkit",
		e.Library, e.Detail)
}

// Unwrap returns the sentinel and the cuInit failure, if any.
func (e *DriverError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Err, e.Cause}
	}
	return []error{e.Err}
}

var (
	loadOnce sync.Once
	loadErr  error
)

// Load opens libcuda.so.1 and calls cuInit. It is safe to call from any
// goroutine and any number of times; only the first call does the work and
// every call returns the same result. All other functions of this package
// call Load themselves, so calling it is only needed to test for a driver.
// When the library is missing the error matches ErrNoDriver.
func Load() error {
	loadOnce.Do(func() { loadErr = load(LibraryName) })
	return loadErr
}

// load opens lib and initialises the driver; separated from Load so that
// tests can feed it a library that does not exist.
func load(lib string) error {
	clib := C.CString(lib)
	defer C.free(unsafe.Pointer(clib))
	var buf [512]C.char
	switch C.gpuenc_cuda_load(clib, &buf[0], C.size_t(len(buf))) {
	case 0:
	case 1:
		return &DriverError{Library: lib, Detail: C.GoString(&buf[0]), Err: ErrNoDriver}
	default:
		return &DriverError{Library: lib, Detail: "the driver lacks " + C.GoString(&buf[0]) +
			"; the NVIDIA driver is too old", Err: ErrNoDriver}
	}
	if r := Result(C.gpuenc_cuInit()); r != Success {
		cause := newError("cuInit", r)
		sentinel := ErrNoDriver
		if r == ErrorNoDevice {
			sentinel = ErrNoDevice
		}
		return &DriverError{Library: lib, Detail: cause.Error(), Err: sentinel, Cause: cause}
	}
	return nil
}

// errText asks the driver for a code's name and description; empty strings
// when the driver is not loaded.
func errText(code Result) (name, msg string) {
	var n [128]C.char
	var d [512]C.char
	C.gpuenc_cuda_error_text(C.int(code), &n[0], C.size_t(len(n)), &d[0], C.size_t(len(d)))
	return C.GoString(&n[0]), C.GoString(&d[0])
}

// CUDAVersion returns the CUDA version the driver supports, as cuDriverGetVersion
// reports it (1000*major + 10*minor, e.g. 13000 for CUDA 13.0).
func CUDAVersion() (int, error) {
	if err := Load(); err != nil {
		return 0, err
	}
	var v C.int
	if err := check("cuDriverGetVersion", Result(C.gpuenc_cuDriverGetVersion(&v))); err != nil {
		return 0, err
	}
	return int(v), nil
}

// DriverVersion returns the NVIDIA display driver's version, e.g. "580.159.04",
// read from /proc/driver/nvidia/version or, failing that, from the file name of
// the libcuda mapped into this process. It returns "" when neither tells.
func DriverVersion() string {
	if b, err := os.ReadFile("/proc/driver/nvidia/version"); err == nil {
		if v := parseProcVersion(string(b)); v != "" {
			return v
		}
	}
	if b, err := os.ReadFile("/proc/self/maps"); err == nil {
		return parseMapsVersion(string(b))
	}
	return ""
}

var (
	procVersionRE = regexp.MustCompile(`Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)`)
	mapsVersionRE = regexp.MustCompile(`/libcuda\.so\.(\d+\.\d+(?:\.\d+)?)\s*$`)
)

// parseProcVersion extracts the version from /proc/driver/nvidia/version's
// "NVRM version: NVIDIA UNIX x86_64 Kernel Module  580.159.04  ..." line.
func parseProcVersion(s string) string {
	if m := procVersionRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// parseMapsVersion finds ".../libcuda.so.580.159.04" in /proc/self/maps.
func parseMapsVersion(s string) string {
	for _, line := range strings.Split(s, "\n") {
		if m := mapsVersionRE.FindStringSubmatch(line); m != nil {
			return m[1]
		}
	}
	return ""
}

// FormatCUDAVersion turns cuDriverGetVersion's 13000 into "13.0".
func FormatCUDAVersion(v int) string {
	return fmt.Sprintf("%d.%d", v/1000, (v%1000)/10)
}
