package av

/*
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Frame is an AVFrame.
type Frame struct{ p *C.AVFrame }

// NewFrame allocates an empty frame.
func NewFrame() (*Frame, error) {
	p := C.av_frame_alloc()
	if p == nil {
		return nil, ErrNoMem
	}
	return &Frame{p: p}, nil
}

// Free releases the frame and its buffers.
func (f *Frame) Free() {
	if f != nil && f.p != nil {
		C.av_frame_free(&f.p)
	}
}

// Unref drops the frame's buffers, keeping the frame for reuse.
func (f *Frame) Unref() { C.av_frame_unref(f.p) }

// AllocVideo gives the frame fresh buffers for a picture of the given pixel
// format and size.
func (f *Frame) AllocVideo(pixFmt string, width, height int) error {
	pf, err := PixelFormatID(pixFmt)
	if err != nil {
		return err
	}
	C.av_frame_unref(f.p)
	f.p.format = C.int(pf)
	f.p.width = C.int(width)
	f.p.height = C.int(height)
	return check("av_frame_get_buffer", C.av_frame_get_buffer(f.p, 0))
}

// MakeWritable makes the frame's buffers writable, copying them if an
// encoder still holds a reference.
func (f *Frame) MakeWritable() error {
	return check("av_frame_make_writable", C.av_frame_make_writable(f.p))
}

// Width is the picture width.
func (f *Frame) Width() int { return int(f.p.width) }

// Height is the picture height.
func (f *Frame) Height() int { return int(f.p.height) }

// PixelFormat is the frame's pixel format name.
func (f *Frame) PixelFormat() string { return PixelFormatName(int(f.p.format)) }

// SetPTS sets the presentation time stamp.
func (f *Frame) SetPTS(pts int64) { f.p.pts = C.int64_t(pts) }

// PTS is the presentation time stamp.
func (f *Frame) PTS() int64 { return int64(f.p.pts) }

// Linesize returns the stride of plane i in bytes.
func (f *Frame) Linesize(i int) int { return int(f.p.linesize[i]) }

// Data returns plane i as a slice of rows*linesize bytes (rows given by the
// caller, who knows the format's subsampling). Host frames only.
func (f *Frame) Data(i, rows int) []byte {
	if f.p.data[i] == nil || rows <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(f.p.data[i])), rows*int(f.p.linesize[i]))
}

// DevicePointer returns plane i's address as an integer; for CUDA frames it
// is a CUdeviceptr.
func (f *Frame) DevicePointer(i int) uintptr { return uintptr(unsafe.Pointer(f.p.data[i])) }

// SetColor sets the colour metadata (FFmpeg's enum values, see ColorID).
func (f *Frame) SetColor(c Color) {
	f.p.colorspace = C.enum_AVColorSpace(c.Space)
	f.p.color_range = C.enum_AVColorRange(c.Range)
	f.p.color_primaries = C.enum_AVColorPrimaries(c.Primaries)
	f.p.color_trc = C.enum_AVColorTransferCharacteristic(c.Transfer)
}

// Color is colour metadata as FFmpeg's enum values; 0 or 2 (unspecified)
// leave a field unset.
type Color struct {
	Space, Range, Primaries, Transfer int
}

// PixelFormatID returns FFmpeg's enum value for a pixel format name.
func PixelFormatID(name string) (int, error) {
	cs := cString(name)
	defer freeC(cs)
	id := C.av_get_pix_fmt(cs)
	if id == C.AV_PIX_FMT_NONE {
		return -1, fmt.Errorf("av: unknown pixel format %q", name)
	}
	return int(id), nil
}

// PixelFormatName returns the name of FFmpeg's pixel format enum value.
func PixelFormatName(id int) string {
	s := C.av_get_pix_fmt_name(C.enum_AVPixelFormat(id))
	if s == nil {
		return ""
	}
	return C.GoString(s)
}

// ColorID returns FFmpeg's enum value for a colour property name of the given
// kind ("space", "range", "primaries", "transfer"), as FFmpeg's own options
// name them (e.g. "bt709", "tv", "pc", "smpte2084").
func ColorID(kind, name string) (int, error) {
	cs := cString(name)
	defer freeC(cs)
	var v C.int
	switch kind {
	case "space":
		v = C.av_color_space_from_name(cs)
	case "range":
		v = C.av_color_range_from_name(cs)
	case "primaries":
		v = C.av_color_primaries_from_name(cs)
	case "transfer":
		v = C.av_color_transfer_from_name(cs)
	default:
		return 0, fmt.Errorf("av: unknown colour property %q", kind)
	}
	if v < 0 {
		return 0, fmt.Errorf("av: unknown colour %s %q", kind, name)
	}
	return int(v), nil
}
