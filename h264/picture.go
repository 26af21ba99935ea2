// Pictures: allocation and conversion from common planar and semi-planar
// layouts into the encoder's 4:2:0 Picture.

package h264

import (
	"encoding/binary"
	"fmt"
	"runtime"
)

// NewPicture allocates a w×h 4:2:0 picture (chroma planes of
// ceil(w/2)×ceil(h/2)) with tightly packed rows.
func NewPicture(w, h int) *Picture {
	cw, ch := (w+1)/2, (h+1)/2
	buf := make([]uint8, w*h+2*cw*ch)
	return &Picture{
		Y:  Plane{Width: w, Height: h, Stride: w, Pix: buf[: w*h : w*h]},
		Cb: Plane{Width: cw, Height: ch, Stride: cw, Pix: buf[w*h : w*h+cw*ch : w*h+cw*ch]},
		Cr: Plane{Width: cw, Height: ch, Stride: cw, Pix: buf[w*h+cw*ch:]},
	}
}

// PictureFromYUV420P wraps (without copying) a tightly packed yuv420p
// (I420) frame of w×h. It returns nil if frame is too short.
func PictureFromYUV420P(frame []byte, w, h int) *Picture {
	cw, ch := (w+1)/2, (h+1)/2
	if len(frame) < w*h+2*cw*ch {
		return nil
	}
	return &Picture{
		Y:  Plane{Width: w, Height: h, Stride: w, Pix: frame[:w*h]},
		Cb: Plane{Width: cw, Height: ch, Stride: cw, Pix: frame[w*h : w*h+cw*ch]},
		Cr: Plane{Width: cw, Height: ch, Stride: cw, Pix: frame[w*h+cw*ch : w*h+2*cw*ch]},
	}
}

// AppendYUV420P appends p as a tightly packed yuv420p frame to dst.
func (p *Picture) AppendYUV420P(dst []byte) []byte {
	for _, pl := range []*Plane{&p.Y, &p.Cb, &p.Cr} {
		for y := 0; y < pl.Height; y++ {
			dst = append(dst, pl.Pix[y*pl.Stride:y*pl.Stride+pl.Width]...)
		}
	}
	return dst
}

// PictureFromNV12 converts a tightly packed NV12 frame (Y plane, then
// interleaved Cb/Cr pairs) into a new Picture. It returns nil if frame is
// too short.
func PictureFromNV12(frame []byte, w, h int) *Picture {
	cw, ch := (w+1)/2, (h+1)/2
	if len(frame) < w*h+2*cw*ch {
		return nil
	}
	p := NewPicture(w, h)
	copy(p.Y.Pix, frame[:w*h])
	uv := frame[w*h:]
	for i := 0; i < cw*ch; i++ {
		p.Cb.Pix[i] = uv[2*i]
		p.Cr.Pix[i] = uv[2*i+1]
	}
	return p
}

// PictureFromYUV444P converts a tightly packed yuv444p frame into a new
// 4:2:0 Picture. Each chroma sample is the mean of the 2x2 (at odd edges,
// 2x1, 1x2 or 1x1) co-sited source samples, rounded half up:
// (a+b+c+d+2)>>2. It returns nil if frame is too short.
func PictureFromYUV444P(frame []byte, w, h int) *Picture {
	if len(frame) < 3*w*h {
		return nil
	}
	p := NewPicture(w, h)
	p.yuv444p(frame, 0, p.Cb.Height)
	return p
}

// SetYUV444P converts a tightly packed yuv444p frame of p's size into p,
// as PictureFromYUV444P does, without allocating; rows run on all cores
// for large pictures. It returns an error matching ErrPictureSize if
// frame is too short.
func (p *Picture) SetYUV444P(frame []byte) error {
	w, h := p.Y.Width, p.Y.Height
	if len(frame) < 3*w*h || p.Cb.Width != (w+1)/2 || p.Cb.Height != (h+1)/2 {
		return fmt.Errorf("%w: %d bytes for a %dx%d yuv444p frame", ErrPictureSize, len(frame), w, h)
	}
	const band = 16 // chroma rows a goroutine takes at a time
	return runRows((p.Cb.Height+band-1)/band, runtime.GOMAXPROCS(0), func(_, b int) {
		p.yuv444p(frame, b*band, min((b+1)*band, p.Cb.Height))
	})
}

// yuv444p converts chroma rows y0..y1-1 of frame (and their luma rows).
func (p *Picture) yuv444p(frame []byte, y0, y1 int) {
	w, h := p.Y.Width, p.Y.Height
	for y := 2 * y0; y < min(2*y1, h); y++ {
		copy(p.Y.Pix[y*p.Y.Stride:y*p.Y.Stride+w], frame[y*w:(y+1)*w])
	}
	for c, dst := range []*Plane{&p.Cb, &p.Cr} {
		src := frame[(c+1)*w*h : (c+2)*w*h]
		for y := y0; y < y1; y++ {
			r0, r1 := 2*y, min(2*y+1, h-1)
			average2x2(dst.Pix[y*dst.Stride:y*dst.Stride+dst.Width], src[r0*w:r0*w+w], src[r1*w:r1*w+w])
		}
	}
}

// average2x2 sets out[x] to the rounded mean (a+b+c+d+2)>>2 of row0 and
// row1's samples 2x and 2x+1 (the last one repeated when the rows are
// odd), eight source samples of each row at a time in 16-bit lanes of a
// word: the pairs' sums (at most 1022 with the rounding) never carry
// into the next lane.
func average2x2(out, row0, row1 []byte) {
	const lanes = 0x00ff00ff00ff00ff
	x := 0
	for ; 2*x+8 <= len(row0) && x+4 <= len(out); x += 4 {
		a := binary.LittleEndian.Uint64(row0[2*x:])
		b := binary.LittleEndian.Uint64(row1[2*x:])
		sum := a&lanes + a>>8&lanes + b&lanes + b>>8&lanes + 0x0002000200020002
		m := sum >> 2 & lanes // the four means, in bytes 0, 2, 4 and 6
		m = (m | m>>8) & 0x0000ffff0000ffff
		binary.LittleEndian.PutUint32(out[x:], uint32(m|m>>16))
	}
	w := len(row0)
	for ; x < len(out); x++ {
		x0, x1 := 2*x, min(2*x+1, w-1)
		s := int(row0[x0]) + int(row0[x1]) + int(row1[x0]) + int(row1[x1])
		out[x] = uint8((s + 2) >> 2)
	}
}
