package nvenc

/*
#cgo CFLAGS: -I${SRCDIR}/../third_party/ffmpeg/include
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"context"
	"fmt"
	"sync"
	"unsafe"

	"github.com/gpuenc/gpuenc/cuda"
)

// headerVersion is the NVENC API version gpuenc is built against, as
// (major<<4)|minor (12.1 with nv-codec-headers 12.1.14.0).
var headerVersion = uint32(C.gpuenc_nvenc_header_version())

// Codec names an NVENC codec.
type Codec int

// The codecs the probe asks about.
const (
	H264 Codec = C.GPUENC_CODEC_H264
	HEVC Codec = C.GPUENC_CODEC_HEVC
	AV1  Codec = C.GPUENC_CODEC_AV1
)

// Codecs lists the probed codecs in report order.
var Codecs = []Codec{H264, HEVC, AV1}

// String returns "H.264", "HEVC" or "AV1".
func (c Codec) String() string {
	switch c {
	case H264:
		return "H.264"
	case HEVC:
		return "HEVC"
	case AV1:
		return "AV1"
	}
	return fmt.Sprintf("Codec(%d)", int(c))
}

// Encoder returns FFmpeg's encoder name for the codec, e.g. "h264_nvenc".
func (c Codec) Encoder() string {
	switch c {
	case H264:
		return "h264_nvenc"
	case HEVC:
		return "hevc_nvenc"
	case AV1:
		return "av1_nvenc"
	}
	return ""
}

// CodecReport is what one GPU's NVENC can do with one codec.
type CodecReport struct {
	Codec         string `json:"codec"`   // "H.264", "HEVC", "AV1"
	Encoder       string `json:"encoder"` // "h264_nvenc", ...
	Usable        bool   `json:"usable"`
	Reason        string `json:"reason,omitempty"` // why not usable
	Supports444   bool   `json:"supports_444"`
	Supports10Bit bool   `json:"supports_10bit"`
	MaxWidth      int    `json:"max_width"`
	MaxHeight     int    `json:"max_height"`
}

// GPUReport is the probe's finding for one GPU.
type GPUReport struct {
	Device          cuda.DeviceInfo `json:"device"`
	DriverVersion   string          `json:"driver_version,omitempty"` // e.g. "580.159.04"
	CUDAVersion     string          `json:"cuda_version"`             // e.g. "13.0"
	NVENCAPIVersion string          `json:"nvenc_api_version,omitempty"`
	// Codecs has one entry per Codecs element, usable or not.
	Codecs []CodecReport `json:"codecs"`
	// Err is why NVENC cannot be used on this GPU at all (nil if it can);
	// it matches ErrNoEncoder, ErrSessionLimit, ErrNoLibrary or
	// ErrDriverTooOld with errors.Is when the cause is known.
	Err error `json:"-"`
	// Error is Err's text, for JSON.
	Error string `json:"error,omitempty"`
}

// Usable reports whether any codec can be encoded on this GPU.
func (r GPUReport) Usable() bool {
	for _, c := range r.Codecs {
		if c.Usable {
			return true
		}
	}
	return false
}

var (
	libOnce sync.Once
	libErr  error
	libMax  uint32
)

// loadLibrary opens libnvidia-encode.so.1, checks its API version and
// creates the function table, once per process.
func loadLibrary() error {
	libOnce.Do(func() { libMax, libErr = openLibrary(LibraryName) })
	return libErr
}

// openLibrary is loadLibrary's work; lib is a parameter for tests.
func openLibrary(lib string) (uint32, error) {
	clib := C.CString(lib)
	defer C.free(unsafe.Pointer(clib))
	var buf [512]C.char
	switch C.gpuenc_nvenc_load(clib, &buf[0], C.size_t(len(buf))) {
	case 0:
	case 1:
		return 0, &Error{Kind: ErrNoLibrary, Detail: C.GoString(&buf[0])}
	default:
		return 0, &Error{Kind: ErrDriverTooOld, Op: "dlsym", Detail: "missing " + C.GoString(&buf[0]), Want: headerVersion}
	}
	var v C.uint32_t
	if s := Status(C.gpuenc_nvenc_max_version(&v)); s != StatusSuccess {
		return 0, mapStatus("NvEncodeAPIGetMaxSupportedVersion", s, "", "")
	}
	if err := versionError(uint32(v), headerVersion); err != nil {
		return uint32(v), err
	}
	if s := Status(C.gpuenc_nvenc_create_instance()); s != StatusSuccess {
		return uint32(v), mapStatus("NvEncodeAPICreateInstance", s, "", "")
	}
	return uint32(v), nil
}

// Probe opens a real NVENC session on every CUDA device and reports, per
// GPU and codec, whether hardware encoding works and with what limits. It
// returns an error only when no GPU can be examined at all (no CUDA driver:
// matches cuda.ErrNoDriver; or no device: cuda.ErrNoDevice); per-GPU
// failures are in each report's Err. ctx is checked between GPUs.
func Probe(ctx context.Context) ([]GPUReport, error) {
	n, err := cuda.DeviceCount()
	if err != nil {
		return nil, fmt.Errorf("nvenc probe: %w", err)
	}
	reports := make([]GPUReport, 0, n)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return reports, err
		}
		reports = append(reports, ProbeDevice(i))
	}
	return reports, nil
}

// ProbeDevice probes CUDA device index; see Probe.
func ProbeDevice(index int) GPUReport {
	r := GPUReport{}
	info, err := cuda.Device(index)
	r.Device = info
	r.DriverVersion = info.DriverVersion
	if info.CUDAVersion != 0 {
		r.CUDAVersion = cuda.FormatCUDAVersion(info.CUDAVersion)
	}
	if err != nil {
		return r.fail(err)
	}
	err = loadLibrary()
	if libMax != 0 {
		r.NVENCAPIVersion = FormatAPIVersion(libMax)
	}
	if err != nil {
		return r.fail(err)
	}
	cctx, err := cuda.OpenContext(index)
	if err != nil {
		return r.fail(err)
	}
	defer cctx.Close()
	var caps [C.GPUENC_CODEC_COUNT]C.gpuenc_codec_caps
	err = cctx.Do(func() error {
		var enc C.uintptr_t
		s := Status(C.gpuenc_nvenc_open(C.uintptr_t(cctx.Handle()), &enc))
		if s != StatusSuccess {
			var detail [256]C.char
			if enc != 0 {
				// The API asks for the failed session to be destroyed too.
				C.gpuenc_nvenc_last_error(enc, &detail[0], C.size_t(len(detail)))
				C.gpuenc_nvenc_destroy(enc)
			}
			return mapStatus("NvEncOpenEncodeSessionEx", s, info.Name, C.GoString(&detail[0]))
		}
		defer C.gpuenc_nvenc_destroy(enc)
		if s := Status(C.gpuenc_nvenc_query(enc, &caps[0])); s != StatusSuccess {
			return mapStatus("NvEncGetEncodeGUIDs", s, info.Name, "")
		}
		return nil
	})
	if err != nil {
		return r.fail(err)
	}
	for _, c := range Codecs {
		k := caps[c]
		cr := CodecReport{Codec: c.String(), Encoder: c.Encoder()}
		switch {
		case k.present == 0:
			cr.Reason = fmt.Sprintf("%s's NVENC does not support %s", info.Name, c)
		case k.status != 0:
			cr.Reason = mapStatus("NvEncGetEncodeCaps", Status(k.status), info.Name, "").Error()
		default:
			cr.Usable = true
			cr.Supports444 = k.yuv444 != 0
			cr.Supports10Bit = k.bit10 != 0
			cr.MaxWidth = int(k.width_max)
			cr.MaxHeight = int(k.height_max)
		}
		r.Codecs = append(r.Codecs, cr)
	}
	return r
}

// fail records err as the reason no codec is usable.
func (r GPUReport) fail(err error) GPUReport {
	r.Err = err
	r.Error = err.Error()
	r.Codecs = r.Codecs[:0]
	for _, c := range Codecs {
		r.Codecs = append(r.Codecs, CodecReport{Codec: c.String(), Encoder: c.Encoder(), Reason: shortReason(err)})
	}
	return r
}
