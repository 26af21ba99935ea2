package nvenc

import (
	"errors"
	"fmt"
)

// Status is an NVENCSTATUS code returned by the NVENC API.
type Status int

// NVENCSTATUS values, in the order of the _NVENCSTATUS enumeration of
// nvEncodeAPI.h (NVENC API 12.1), which numbers them from 0.
const (
	StatusSuccess Status = iota
	StatusNoEncodeDevice
	StatusUnsupportedDevice
	StatusInvalidEncoderDevice
	StatusInvalidDevice
	StatusDeviceNotExist
	StatusInvalidPtr
	StatusInvalidEvent
	StatusInvalidParam
	StatusInvalidCall
	StatusOutOfMemory
	StatusEncoderNotInitialized
	StatusUnsupportedParam
	StatusLockBusy
	StatusNotEnoughBuffer
	StatusInvalidVersion
	StatusMapFailed
	StatusNeedMoreInput
	StatusEncoderBusy
	StatusEventNotRegistered
	StatusGeneric
	StatusIncompatibleClientKey
	StatusUnimplemented
	StatusResourceRegisterFailed
	StatusResourceNotRegistered
	StatusResourceNotMapped
	StatusNeedMoreOutput
)

// statusNames are the enumerators' names, indexed by value (nvEncodeAPI.h).
var statusNames = [...]string{
	"NV_ENC_SUCCESS",
	"NV_ENC_ERR_NO_ENCODE_DEVICE",
	"NV_ENC_ERR_UNSUPPORTED_DEVICE",
	"NV_ENC_ERR_INVALID_ENCODERDEVICE",
	"NV_ENC_ERR_INVALID_DEVICE",
	"NV_ENC_ERR_DEVICE_NOT_EXIST",
	"NV_ENC_ERR_INVALID_PTR",
	"NV_ENC_ERR_INVALID_EVENT",
	"NV_ENC_ERR_INVALID_PARAM",
	"NV_ENC_ERR_INVALID_CALL",
	"NV_ENC_ERR_OUT_OF_MEMORY",
	"NV_ENC_ERR_ENCODER_NOT_INITIALIZED",
	"NV_ENC_ERR_UNSUPPORTED_PARAM",
	"NV_ENC_ERR_LOCK_BUSY",
	"NV_ENC_ERR_NOT_ENOUGH_BUFFER",
	"NV_ENC_ERR_INVALID_VERSION",
	"NV_ENC_ERR_MAP_FAILED",
	"NV_ENC_ERR_NEED_MORE_INPUT",
	"NV_ENC_ERR_ENCODER_BUSY",
	"NV_ENC_ERR_EVENT_NOT_REGISTERD",
	"NV_ENC_ERR_GENERIC",
	"NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY",
	"NV_ENC_ERR_UNIMPLEMENTED",
	"NV_ENC_ERR_RESOURCE_REGISTER_FAILED",
	"NV_ENC_ERR_RESOURCE_NOT_REGISTERED",
	"NV_ENC_ERR_RESOURCE_NOT_MAPPED",
	"NV_ENC_ERR_NEED_MORE_OUTPUT",
}

// String returns the status's enumerator name, or "NVENCSTATUS(n)".
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return fmt.Sprintf("NVENCSTATUS(%d)", int(s))
}

// Sentinel errors of package nvenc, for errors.Is. Every error the probe
// produces for a known cause matches exactly one of them; a missing CUDA
// driver matches cuda.ErrNoDriver instead.
var (
	// ErrNoEncoder: the GPU has no NVENC hardware (A100, H100, H200, ...)
	// or the driver will not expose it.
	ErrNoEncoder = errors.New("no NVENC hardware encoder")
	// ErrSessionLimit: the GPU or driver refuses another encode session.
	ErrSessionLimit = errors.New("NVENC session limit reached")
	// ErrNoLibrary: libnvidia-encode.so.1 is not installed or not mounted.
	ErrNoLibrary = errors.New("NVENC library not found")
	// ErrDriverTooOld: the driver's NVENC API is older than gpuenc's.
	ErrDriverTooOld = errors.New("NVIDIA driver too old for NVENC")
)

// LibraryName is the NVENC library that the probe opens with dlopen.
const LibraryName = "libnvidia-encode.so.1"

// minLinuxDriver is the oldest Linux driver providing NVENC API 12.1
// (NVIDIA Video Codec SDK 12.1 release notes).
const minLinuxDriver = "530.41.03"

// Error is an NVENC failure translated into words a user can act on.
type Error struct {
	Op     string // the NVENC entry point, e.g. "NvEncOpenEncodeSessionEx"
	Status Status // its NVENCSTATUS; 0 when the failure was not a status
	GPU    string // the GPU's name, when known
	Detail string // NvEncGetLastErrorString or dlerror text, may be empty
	Kind   error  // the sentinel it matches (ErrNoEncoder, ...), or nil
	// Have and Want are the driver's and gpuenc's NVENC API versions,
	// (major<<4)|minor, for ErrDriverTooOld.
	Have, Want uint32
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Kind }

func (e *Error) call() string {
	if e.Op == "" {
		return ""
	}
	s := e.Op
	if e.Status != 0 || e.Kind == nil {
		s += ": " + e.Status.String() + fmt.Sprintf(" (%d)", int(e.Status))
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Error explains the failure and what to do about it.
func (e *Error) Error() string {
	gpu := e.GPU
	if gpu == "" {
		gpu = "this GPU"
	}
	switch e.Kind {
	case ErrNoEncoder:
		return fmt.Sprintf("%s has no NVENC hardware encoder; data-center GPUs such as A100, H100 and H200 have none "+
			"(use gpuenc's h264_go or h264_cuda encoder instead) [%s]", gpu, e.call())
	case ErrSessionLimit:
		return fmt.Sprintf("the NVENC session limit of this GPU/driver is reached; close other encoders "+
			"(consumer GPUs allow only a few concurrent sessions) [%s]", e.call())
	case ErrNoLibrary:
		return fmt.Sprintf("NVENC is not available: %s could not be loaded (%s); install the NVIDIA driver's "+
			"encode library, and in a container NVIDIA_DRIVER_CAPABILITIES must include `video`", LibraryName, e.Detail)
	case ErrDriverTooOld:
		if e.Have != 0 {
			return fmt.Sprintf("the NVIDIA driver supports NVENC API %d.%d but gpuenc needs %d.%d; "+
				"update the NVIDIA driver to %s or newer", e.Have>>4, e.Have&15, e.Want>>4, e.Want&15, minLinuxDriver)
		}
		return fmt.Sprintf("the NVIDIA driver's NVENC is too old for gpuenc (NVENC API %d.%d); "+
			"update the NVIDIA driver to %s or newer [%s]", e.Want>>4, e.Want&15, minLinuxDriver, e.call())
	}
	return "nvenc: " + e.call()
}

// mapStatus turns a failed NVENC call into an *Error whose Kind tells the
// cause. Status codes seen when a GPU has no NVENC: FFmpeg reports
// "OpenEncodeSessionEx failed: unsupported device (2)" on cards without it,
// and the neighbouring device errors (1, 3, 4, 5) mean the same to a user.
func mapStatus(op string, s Status, gpu, detail string) *Error {
	e := &Error{Op: op, Status: s, GPU: gpu, Detail: detail, Want: headerVersion}
	switch s {
	case StatusNoEncodeDevice, StatusUnsupportedDevice, StatusInvalidEncoderDevice,
		StatusInvalidDevice, StatusDeviceNotExist:
		e.Kind = ErrNoEncoder
	case StatusOutOfMemory, StatusIncompatibleClientKey:
		e.Kind = ErrSessionLimit
	case StatusInvalidVersion:
		e.Kind = ErrDriverTooOld
	}
	return e
}

// versionError reports a driver whose maximum NVENC API version (have) is
// below the header's (want); nil when it is new enough. Versions are
// (major<<4)|minor as NvEncodeAPIGetMaxSupportedVersion returns them.
func versionError(have, want uint32) error {
	if have >= want {
		return nil
	}
	return &Error{Op: "NvEncodeAPIGetMaxSupportedVersion", Kind: ErrDriverTooOld, Have: have, Want: want}
}

// FormatAPIVersion renders (major<<4)|minor as "major.minor".
func FormatAPIVersion(v uint32) string {
	return fmt.Sprintf("%d.%d", v>>4, v&15)
}
