package av

/*
#include "shim.h"
*/
import "C"

import "unsafe"

// HWDevice is an FFmpeg hardware device context (AVHWDeviceContext).
type HWDevice struct{ p *C.AVBufferRef }

// NewCUDADevice wraps an existing CUDA context (a CUcontext, as the cuda
// package's Context.Handle returns) in an FFmpeg CUDA device context, so that
// FFmpeg's encoders work in the same context as the caller's kernels and
// copies. The caller keeps the context alive for the device's lifetime.
func NewCUDADevice(cuContext uintptr) (*HWDevice, error) {
	var ref *C.AVBufferRef
	if err := check("av_hwdevice_ctx_init", C.gpuenc_cuda_device_ctx(&ref, C.uintptr_t(cuContext))); err != nil {
		return nil, err
	}
	return &HWDevice{p: ref}, nil
}

// OpenCUDADevice lets FFmpeg create its own CUDA context on device index
// ("0", "1", ...).
func OpenCUDADevice(device string) (*HWDevice, error) {
	cs := cString(device)
	defer freeC(cs)
	var ref *C.AVBufferRef
	if err := check("av_hwdevice_ctx_create", C.av_hwdevice_ctx_create(&ref, C.AV_HWDEVICE_TYPE_CUDA, cs, nil, 0)); err != nil {
		return nil, err
	}
	return &HWDevice{p: ref}, nil
}

// CUDAContext returns the CUcontext the device uses.
func (d *HWDevice) CUDAContext() uintptr {
	dev := (*C.AVHWDeviceContext)(unsafe.Pointer(d.p.data))
	cu := (*C.AVCUDADeviceContext)(dev.hwctx)
	return uintptr(unsafe.Pointer(cu.cuda_ctx))
}

// Free drops this reference to the device.
func (d *HWDevice) Free() {
	if d != nil && d.p != nil {
		C.av_buffer_unref(&d.p)
	}
}

// HWFrames is a pool of hardware frames (AVHWFramesContext).
type HWFrames struct{ p *C.AVBufferRef }

// NewCUDAFrames makes a pool of CUDA frames of the given software pixel
// format and size on the device.
func NewCUDAFrames(d *HWDevice, swFormat string, width, height, poolSize int) (*HWFrames, error) {
	sf, err := PixelFormatID(swFormat)
	if err != nil {
		return nil, err
	}
	ref := C.av_hwframe_ctx_alloc(d.p)
	if ref == nil {
		return nil, ErrNoMem
	}
	fc := (*C.AVHWFramesContext)(unsafe.Pointer(ref.data))
	fc.format = C.AV_PIX_FMT_CUDA
	fc.sw_format = C.enum_AVPixelFormat(sf)
	fc.width = C.int(width)
	fc.height = C.int(height)
	fc.initial_pool_size = C.int(poolSize)
	if err := check("av_hwframe_ctx_init", C.av_hwframe_ctx_init(ref)); err != nil {
		C.av_buffer_unref(&ref)
		return nil, err
	}
	return &HWFrames{p: ref}, nil
}

// GetBuffer gives f a frame from the pool.
func (h *HWFrames) GetBuffer(f *Frame) error {
	C.av_frame_unref(f.p)
	return check("av_hwframe_get_buffer", C.av_hwframe_get_buffer(h.p, f.p, 0))
}

// Upload copies a host frame into a hardware frame (dst from GetBuffer).
func Upload(dst, src *Frame) error {
	return check("av_hwframe_transfer_data", C.av_hwframe_transfer_data(dst.p, src.p, 0))
}

// Download copies a hardware frame into a host frame.
func Download(dst, src *Frame) error {
	return check("av_hwframe_transfer_data", C.av_hwframe_transfer_data(dst.p, src.p, 0))
}

// Free drops this reference to the pool.
func (h *HWFrames) Free() {
	if h != nil && h.p != nil {
		C.av_buffer_unref(&h.p)
	}
}

// Versions returns the FFmpeg library versions and configuration.
func Versions() map[string]string {
	v := func(x C.uint) string {
		return itoa(int(x>>16)) + "." + itoa(int(x>>8&0xff)) + "." + itoa(int(x&0xff))
	}
	return map[string]string{
		"ffmpeg":        C.GoString(C.av_version_info()),
		"libavutil":     v(C.avutil_version()),
		"libavcodec":    v(C.avcodec_version()),
		"libavformat":   v(C.avformat_version()),
		"libavfilter":   v(C.avfilter_version()),
		"libswscale":    v(C.swscale_version()),
		"configuration": C.GoString(C.avcodec_configuration()),
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [12]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	return string(b[n:])
}
