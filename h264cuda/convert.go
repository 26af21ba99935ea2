// Stage 0 of h264_cuda: loading a picture held in CUDA memory (yuv420p,
// nv12 or yuv444p, tightly packed) into the encoder's padded 4:2:0 source
// planes (ITU-T H.264 clause 6.2, 4:2:0 sampling) on the GPU, with h264's
// arithmetic (kernels/convert.cu): edge replication into the macroblock
// padding as h264.Encoder's source load does, nv12 split as
// h264.PictureFromNV12, 4:4:4 averaged as h264.PictureFromYUV444P.

package h264cuda

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// The device picture layouts EncodeDeviceFormat accepts, named as FFmpeg
// and gpuenc name them. Every one is tightly packed: rows of exactly the
// plane's width, planes one after the other.
const (
	// FormatYUV420P: Y (Width×Height), then Cb and Cr
	// (((Width+1)/2)×((Height+1)/2) each).
	FormatYUV420P = "yuv420p"
	// FormatNV12: Y, then ((Width+1)/2)×((Height+1)/2) interleaved Cb,Cr
	// pairs.
	FormatNV12 = "nv12"
	// FormatYUV444P: Y, Cb and Cr, each Width×Height; chroma is averaged
	// 2x2 as h264.PictureFromYUV444P does.
	FormatYUV444P = "yuv444p"
)

// ErrFormat matches (errors.Is) the error of EncodeDeviceFormat and
// DevicePictureSize for a layout this package does not convert.
var ErrFormat = errors.New("h264cuda: unsupported device picture format")

// Parameter block of convert.cu (kernels/convert.h CV_*).
const (
	cvIn = iota
	cvY
	cvCb
	cvCr
	cvW
	cvH
	cvPW
	cvPH
	cvFmt
	cvCount
)

// Input layouts (kernels/convert.h CV_FMT_*).
const (
	cvFmtYUV420P = iota
	cvFmtNV12
	cvFmtYUV444P
)

// formatCode returns the kernel's code of a format name.
func formatCode(format string) (int, error) {
	switch format {
	case FormatYUV420P:
		return cvFmtYUV420P, nil
	case FormatNV12:
		return cvFmtNV12, nil
	case FormatYUV444P:
		return cvFmtYUV444P, nil
	}
	return 0, fmt.Errorf("%w: %q (want %s, %s or %s)", ErrFormat, format, FormatYUV420P, FormatNV12, FormatYUV444P)
}

// DevicePictureSize returns the bytes of a tightly packed w×h picture in
// format, as EncodeDeviceFormat reads it.
func DevicePictureSize(format string, w, h int) (int, error) {
	code, err := formatCode(format)
	if err != nil {
		return 0, err
	}
	if w <= 0 || h <= 0 {
		return 0, fmt.Errorf("%w: picture size %dx%d", ErrInput, w, h)
	}
	if code == cvFmtYUV444P {
		return 3 * w * h, nil
	}
	return w*h + 2*((w+1)/2)*((h+1)/2), nil
}

// converter runs stage 0 for one picture size: its arena holds the
// parameter block and the padded planes; the host staging buffer receives
// them for h264's Go stages.
type converter struct {
	be     backend
	base   uint64
	w, h   int
	pw, ph int    // padded luma size
	off    [3]int // arena offsets of the padded Y, Cb, Cr planes
	params []byte // staging of the parameter block
	stage  []byte // staging of the downloaded planes, one after the other
	pic    h264.Picture
	closed bool
}

// newConverter prepares stage 0 for w×h pictures on be; the converter owns
// be from then on (closed by close, or here on failure).
func newConverter(be backend, w, h int) (*converter, error) {
	if w <= 0 || h <= 0 {
		be.close()
		return nil, fmt.Errorf("%w: picture size %dx%d", ErrInput, w, h)
	}
	c := &converter{be: be, w: w, h: h, pw: (w + 15) &^ 15, ph: (h + 15) &^ 15}
	ly, lc := c.pw*c.ph, c.pw/2*(c.ph/2)
	const pb = 8 * cvCount
	c.off = [3]int{pb, pb + ly, pb + ly + lc}
	fail := func(err error) (*converter, error) {
		be.close()
		return nil, err
	}
	var err error
	if c.base, err = be.alloc(pb + ly + 2*lc); err != nil {
		return fail(err)
	}
	if c.params, err = be.host(pb); err != nil {
		return fail(err)
	}
	if c.stage, err = be.host(ly + 2*lc); err != nil {
		return fail(err)
	}
	cw, ch := (w+1)/2, (h+1)/2
	c.pic = h264.Picture{
		Y:  h264.Plane{Width: w, Height: h, Stride: c.pw, Pix: c.stage[:ly:ly]},
		Cb: h264.Plane{Width: cw, Height: ch, Stride: c.pw / 2, Pix: c.stage[ly : ly+lc : ly+lc]},
		Cr: h264.Plane{Width: cw, Height: ch, Stride: c.pw / 2, Pix: c.stage[ly+lc : ly+2*lc : ly+2*lc]},
	}
	return c, nil
}

// planeAddr returns the device address of padded plane i (0 Y, 1 Cb, 2
// Cr), rows of padded-plane-width bytes.
func (c *converter) planeAddr(i int) uint64 { return c.base + uint64(c.off[i]) }

// convert queues the conversion of the packed picture at device address
// in (layout code) into the padded planes.
func (c *converter) convert(in uint64, code int) error {
	if c.closed {
		return ErrClosed
	}
	p := c.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	put(cvIn, int64(in))
	for i := range 3 {
		put(cvY+i, int64(c.planeAddr(i)))
	}
	put(cvW, int64(c.w))
	put(cvH, int64(c.h))
	put(cvPW, int64(c.pw))
	put(cvPH, int64(c.ph))
	put(cvFmt, int64(code))
	if err := c.be.mark("convert"); err != nil {
		return err
	}
	if err := c.be.upload(0, p); err != nil {
		return err
	}
	n := c.pw*c.ph + 2*(c.pw/2)*(c.ph/2)
	if err := c.be.launch("convert_src", n, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: convert_src: %w", err)
	}
	return nil
}

// download copies the padded planes to the host staging and returns them
// as a Width×Height picture (rows of the padded width; valid until the
// next download).
func (c *converter) download() (*h264.Picture, error) {
	if c.closed {
		return nil, ErrClosed
	}
	if err := c.be.download(c.stage, c.off[0]); err != nil {
		return nil, err
	}
	if err := c.be.sync(); err != nil {
		return nil, err
	}
	return &c.pic, nil
}

func (c *converter) close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.be.close()
}

// EncodeDevice codes a yuv420p picture held in CUDA device memory of the
// encoder's GPU at ptr: EncodeDeviceFormat(ptr, FormatYUV420P).
func (e *Encoder) EncodeDevice(ptr uintptr) (h264.AccessUnit, error) {
	return e.EncodeDeviceFormat(ptr, FormatYUV420P)
}

// EncodeDeviceFormat codes a picture held in CUDA device memory of the
// encoder's GPU (the encoder's context, or one sharing its device memory)
// at ptr, tightly packed in format (FormatYUV420P, FormatNV12 or
// FormatYUV444P; DevicePictureSize bytes at ptr), and returns its access
// unit: exactly h264.Encoder.Encode's of the same picture converted on the
// host by h264.PictureFromYUV420P, PictureFromNV12 or PictureFromYUV444P.
// The conversion and the padding to whole macroblocks run on the GPU
// (convert.cu); the padded 4:2:0 planes are then downloaded once, as
// h264's Go stages (intra reconstruction, P_Skip, rate control) read the
// source on the host. The memory at ptr may be reused once it returns.
// An unknown format matches ErrFormat; a null ptr matches ErrInput.
func (e *Encoder) EncodeDeviceFormat(ptr uintptr, format string) (h264.AccessUnit, error) {
	if e.closed {
		return h264.AccessUnit{}, ErrClosed
	}
	code, err := formatCode(format)
	if err != nil {
		return h264.AccessUnit{}, err
	}
	if e.ctx == nil {
		return h264.AccessUnit{}, fmt.Errorf("%w: EncodeDeviceFormat needs a GPU encoder", ErrInput)
	}
	o := e.enc.Options()
	size, err := DevicePictureSize(format, o.Width, o.Height)
	if err != nil {
		return h264.AccessUnit{}, err
	}
	buf, err := e.ctx.Wrap(ptr, size, 0)
	if err != nil {
		return h264.AccessUnit{}, fmt.Errorf("%w: device picture: %w", ErrInput, err)
	}
	defer buf.Free()
	if _, perr := loadImage("convert"); e.conv == nil && perr == nil {
		be, err := newGPUBackend(e.ctx, "convert", []string{"convert_src"})
		if err != nil {
			return h264.AccessUnit{}, err
		}
		if e.conv, err = newConverter(be, o.Width, o.Height); err != nil {
			return h264.AccessUnit{}, err
		}
	}
	if e.conv == nil {
		// No convert kernels: copy the packed picture and convert it on the
		// host, as h264 does.
		if len(e.staging) < size {
			e.staging = make([]byte, size)
		}
		if err := cuda.CopyDtoH(e.staging[:size], buf, 0, nil); err != nil {
			return h264.AccessUnit{}, fmt.Errorf("h264cuda: copying the device picture: %w", err)
		}
		var p *h264.Picture
		switch code {
		case cvFmtNV12:
			p = h264.PictureFromNV12(e.staging, o.Width, o.Height)
		case cvFmtYUV444P:
			p = h264.PictureFromYUV444P(e.staging, o.Width, o.Height)
		default:
			p = h264.PictureFromYUV420P(e.staging, o.Width, o.Height)
		}
		return e.enc.Encode(p)
	}
	if err := e.conv.convert(uint64(buf.Ptr), code); err != nil {
		return h264.AccessUnit{}, err
	}
	p, err := e.conv.download()
	if err != nil {
		return h264.AccessUnit{}, err
	}
	return e.enc.Encode(p)
}
