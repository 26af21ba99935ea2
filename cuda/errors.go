package cuda

import (
	"errors"
	"fmt"
	"strings"
)

// Result is a CUresult code returned by the CUDA driver API.
type Result int

// A few CUresult codes that callers commonly test for, from the CUresult
// enumeration of the CUDA driver API (cuda.h, CUDA 12/13).
const (
	Success                Result = 0
	ErrorInvalidValue      Result = 1
	ErrorOutOfMemory       Result = 2
	ErrorNotInitialized    Result = 3
	ErrorDeinitialized     Result = 4
	ErrorStubLibrary       Result = 34
	ErrorDeviceUnavailable Result = 46
	ErrorNoDevice          Result = 100
	ErrorInvalidDevice     Result = 101
	ErrorInvalidImage      Result = 200
	ErrorInvalidContext    Result = 201
	ErrorNoBinaryForGPU    Result = 209
	ErrorInvalidPTX        Result = 218
	ErrorUnsupportedPTX    Result = 222
	ErrorInvalidHandle     Result = 400
	ErrorNotFound          Result = 500
	ErrorNotReady          Result = 600
	ErrorIllegalAddress    Result = 700
	ErrorLaunchOutOfRes    Result = 701
	ErrorLaunchFailed      Result = 719
	ErrorNotPermitted      Result = 800
	ErrorNotSupported      Result = 801
	ErrorSystemNotReady    Result = 802
	ErrorDriverMismatch    Result = 803
	ErrorUnknown           Result = 999
)

// resultNames is the fallback name table used when the driver's own
// cuGetErrorName is unavailable (no driver loaded). Source: the CUresult
// enumeration in the CUDA driver API's cuda.h.
var resultNames = map[Result]string{
	0:   "CUDA_SUCCESS",
	1:   "CUDA_ERROR_INVALID_VALUE",
	2:   "CUDA_ERROR_OUT_OF_MEMORY",
	3:   "CUDA_ERROR_NOT_INITIALIZED",
	4:   "CUDA_ERROR_DEINITIALIZED",
	5:   "CUDA_ERROR_PROFILER_DISABLED",
	34:  "CUDA_ERROR_STUB_LIBRARY",
	46:  "CUDA_ERROR_DEVICE_UNAVAILABLE",
	100: "CUDA_ERROR_NO_DEVICE",
	101: "CUDA_ERROR_INVALID_DEVICE",
	102: "CUDA_ERROR_DEVICE_NOT_LICENSED",
	200: "CUDA_ERROR_INVALID_IMAGE",
	201: "CUDA_ERROR_INVALID_CONTEXT",
	202: "CUDA_ERROR_CONTEXT_ALREADY_CURRENT",
	205: "CUDA_ERROR_MAP_FAILED",
	206: "CUDA_ERROR_UNMAP_FAILED",
	209: "CUDA_ERROR_NO_BINARY_FOR_GPU",
	214: "CUDA_ERROR_ECC_UNCORRECTABLE",
	216: "CUDA_ERROR_CONTEXT_ALREADY_IN_USE",
	218: "CUDA_ERROR_INVALID_PTX",
	221: "CUDA_ERROR_JIT_COMPILER_NOT_FOUND",
	222: "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
	300: "CUDA_ERROR_INVALID_SOURCE",
	301: "CUDA_ERROR_FILE_NOT_FOUND",
	400: "CUDA_ERROR_INVALID_HANDLE",
	401: "CUDA_ERROR_ILLEGAL_STATE",
	500: "CUDA_ERROR_NOT_FOUND",
	600: "CUDA_ERROR_NOT_READY",
	700: "CUDA_ERROR_ILLEGAL_ADDRESS",
	701: "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
	702: "CUDA_ERROR_LAUNCH_TIMEOUT",
	709: "CUDA_ERROR_CONTEXT_IS_DESTROYED",
	710: "CUDA_ERROR_ASSERT",
	715: "CUDA_ERROR_ILLEGAL_INSTRUCTION",
	716: "CUDA_ERROR_MISALIGNED_ADDRESS",
	719: "CUDA_ERROR_LAUNCH_FAILED",
	800: "CUDA_ERROR_NOT_PERMITTED",
	801: "CUDA_ERROR_NOT_SUPPORTED",
	802: "CUDA_ERROR_SYSTEM_NOT_READY",
	803: "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
	999: "CUDA_ERROR_UNKNOWN",
}

// String returns the CUresult's symbolic name, e.g. "CUDA_ERROR_OUT_OF_MEMORY",
// or "CUresult(n)" for a code this package does not know by name.
func (r Result) String() string {
	if s, ok := resultNames[r]; ok {
		return s
	}
	return fmt.Sprintf("CUresult(%d)", int(r))
}

// Error is a failed CUDA driver API call.
type Error struct {
	Op      string // the driver entry point, e.g. "cuMemAlloc"
	Code    Result // the CUresult it returned
	Name    string // cuGetErrorName's text (or the package's own table)
	Message string // cuGetErrorString's text; may be empty
}

// Error formats the failure as "cuda: Op: NAME (code): message".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cuda: %s: %s (%d)", e.Op, e.Name, int(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// Is reports whether target is a *Error or Result with the same code, so that
// errors.Is(err, cuda.ErrorOutOfMemory) works. A *Error target with an
// empty Op matches any call.
func (e *Error) Is(target error) bool {
	switch t := target.(type) {
	case *Error:
		return t.Code == e.Code && (t.Op == "" || t.Op == e.Op)
	case Result:
		return t == e.Code
	}
	return false
}

// Error lets a Result be used as an errors.Is target.
func (r Result) Error() string { return "cuda: " + r.String() }

// newError builds an *Error for a non-zero CUresult; names come from
// errText, which asks the driver when it is loaded.
func newError(op string, code Result) *Error {
	name, msg := errText(code)
	if name == "" {
		name = code.String()
	}
	return &Error{Op: op, Code: code, Name: name, Message: msg}
}

// check returns nil for CUDA_SUCCESS and an *Error otherwise.
func check(op string, code Result) error {
	if code == Success {
		return nil
	}
	return newError(op, code)
}

// ArgError reports an argument rejected in Go before any driver call:
// an out-of-range copy, a bad launch shape, an unsupported kernel argument.
type ArgError struct {
	Op     string // the package function that rejected the argument
	Reason string
}

// Error formats the rejection.
func (e *ArgError) Error() string { return "cuda: " + e.Op + ": " + e.Reason }

// Is makes every *ArgError match ErrInvalidArgument.
func (e *ArgError) Is(target error) bool { return target == ErrInvalidArgument }

// Sentinel errors of package cuda, for errors.Is.
var (
	// ErrNoDriver: libcuda.so.1 could not be loaded or is unusable.
	ErrNoDriver = errors.New("no NVIDIA driver found")
	// ErrNoDevice: the driver loaded but sees no CUDA device.
	ErrNoDevice = errors.New("no CUDA device found")
	// ErrInvalidArgument matches every *ArgError.
	ErrInvalidArgument = errors.New("cuda: invalid argument")
	// ErrFreed: the buffer, stream, event, module or context was already
	// released.
	ErrFreed = errors.New("cuda: use after free")
)

func argErr(op, format string, a ...any) error {
	return &ArgError{Op: op, Reason: fmt.Sprintf(format, a...)}
}
