package av

/*
#include "shim.h"
*/
import "C"

// Scaler converts pictures between pixel formats and sizes (swscale).
type Scaler struct {
	p *C.struct_SwsContext
}

// NewScaler makes a converter. For conversions between RGB and YUV, color
// gives the YUV side's matrix and range (FFmpeg enum values; unspecified
// leaves swscale's defaults: BT.601 and limited range for YUV, full range
// for gray).
func NewScaler(srcW, srcH int, srcFmt string, dstW, dstH int, dstFmt string, color Color) (*Scaler, error) {
	sf, err := PixelFormatID(srcFmt)
	if err != nil {
		return nil, err
	}
	df, err := PixelFormatID(dstFmt)
	if err != nil {
		return nil, err
	}
	flags := C.SWS_BICUBIC | C.SWS_ACCURATE_RND | C.SWS_FULL_CHR_H_INT | C.SWS_FULL_CHR_H_INP
	p := C.sws_getContext(C.int(srcW), C.int(srcH), C.enum_AVPixelFormat(sf),
		C.int(dstW), C.int(dstH), C.enum_AVPixelFormat(df), C.int(flags), nil, nil, nil)
	if p == nil {
		return nil, errorf("sws_getContext", "cannot convert %s %dx%d to %s %dx%d", srcFmt, srcW, srcH, dstFmt, dstW, dstH)
	}
	s := &Scaler{p: p}
	if (color.Space == 0 || color.Space == int(C.AVCOL_SPC_UNSPECIFIED)) && color.Range == 0 {
		return s, nil // swscale's defaults: BT.601, limited-range YUV, full-range gray
	}
	space := C.int(C.SWS_CS_DEFAULT)
	switch color.Space {
	case int(C.AVCOL_SPC_BT709):
		space = C.SWS_CS_ITU709
	case int(C.AVCOL_SPC_BT2020_NCL), int(C.AVCOL_SPC_BT2020_CL):
		space = C.SWS_CS_BT2020
	case int(C.AVCOL_SPC_SMPTE240M):
		space = C.SWS_CS_SMPTE240M
	case int(C.AVCOL_SPC_FCC):
		space = C.SWS_CS_FCC
	}
	full := C.int(0)
	if color.Range == int(C.AVCOL_RANGE_JPEG) {
		full = 1
	}
	coefs := C.sws_getCoefficients(space)
	// The same matrix and range on both sides: only the YUV side uses them.
	C.sws_setColorspaceDetails(p, coefs, full, coefs, full, 0, 1<<16, 1<<16)
	return s, nil
}

// Scale converts src into dst (both allocated with the sizes and formats
// given to NewScaler).
func (s *Scaler) Scale(src, dst *Frame) error {
	return check("sws_scale_frame", C.sws_scale_frame(s.p, dst.p, src.p))
}

// Free releases the scaler.
func (s *Scaler) Free() {
	if s != nil && s.p != nil {
		C.sws_freeContext(s.p)
		s.p = nil
	}
}
