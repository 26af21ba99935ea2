package h264cuda

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

var convertFormats = []string{FormatYUV420P, FormatNV12, FormatYUV444P}

// convertSizes: 1x1, odd sizes in both directions, one macroblock exactly,
// and 1080p (whose height is padded by 8 rows).
var convertSizes = [][2]int{{1, 1}, {2, 1}, {1, 3}, {3, 5}, {17, 9}, {33, 31}, {16, 16}, {97, 71}, {1920, 1080}}

// hostConvert is h264's own conversion of a packed frame.
func hostConvert(format string, frame []byte, w, h int) *h264.Picture {
	switch format {
	case FormatNV12:
		return h264.PictureFromNV12(frame, w, h)
	case FormatYUV444P:
		return h264.PictureFromYUV444P(frame, w, h)
	}
	return h264.PictureFromYUV420P(frame, w, h)
}

// padReference pads p to whole macroblocks the obvious way (each sample
// of the padding is the plane's sample at the clamped coordinates, which
// is what h264's source load does row by row) and returns the three
// padded planes one after the other.
func padReference(p *h264.Picture) []byte {
	pw, ph := (p.Y.Width+15)&^15, (p.Y.Height+15)&^15
	var out []byte
	for i, pl := range []*h264.Plane{&p.Y, &p.Cb, &p.Cr} {
		w, h := pw, ph
		if i > 0 {
			w, h = pw/2, ph/2
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out = append(out, pl.Pix[min(y, pl.Height-1)*pl.Stride+min(x, pl.Width-1)])
			}
		}
	}
	return out
}

// randomFrame returns a packed frame of format with random samples.
func randomFrame(t testing.TB, format string, w, h int, seed uint64) []byte {
	t.Helper()
	n, err := DevicePictureSize(format, w, h)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, uint64(w)<<32|uint64(h)))
	b := make([]byte, n)
	for i := range b {
		b[i] = uint8(r.Uint32())
	}
	return b
}

// checkConverted compares a converter's padded planes and picture view
// with h264's conversion of frame.
func checkConverted(t *testing.T, c *converter, format string, frame []byte) {
	t.Helper()
	pic, err := c.download()
	if err != nil {
		t.Fatal(err)
	}
	want := hostConvert(format, frame, c.w, c.h)
	if want == nil {
		t.Fatal("h264 rejected the frame")
	}
	if got, wantPad := c.stage, padReference(want); !bytes.Equal(got, wantPad) {
		i := 0
		for i < len(got) && got[i] == wantPad[i] {
			i++
		}
		t.Fatalf("padded planes differ first at byte %d of %d: got %d, want %d", i, len(got), got[i], wantPad[i])
	}
	for k, pl := range [][2]*h264.Plane{{&pic.Y, &want.Y}, {&pic.Cb, &want.Cb}, {&pic.Cr, &want.Cr}} {
		g, w := pl[0], pl[1]
		if g.Width != w.Width || g.Height != w.Height {
			t.Fatalf("plane %d is %dx%d, want %dx%d", k, g.Width, g.Height, w.Width, w.Height)
		}
		for y := 0; y < w.Height; y++ {
			if !bytes.Equal(g.Pix[y*g.Stride:y*g.Stride+g.Width], w.Pix[y*w.Stride:y*w.Stride+w.Width]) {
				t.Fatalf("plane %d row %d differs", k, y)
			}
		}
	}
}

// TestEmuConvertLayout checks convert.go's copy of convert.h.
func TestEmuConvertLayout(t *testing.T) {
	for name, v := range map[string]int{
		"CV_IN": cvIn, "CV_Y": cvY, "CV_CB": cvCb, "CV_CR": cvCr, "CV_W": cvW, "CV_H": cvH,
		"CV_PW": cvPW, "CV_PH": cvPH, "CV_FMT": cvFmt, "CV_COUNT": cvCount,
		"CV_FMT_YUV420P": cvFmtYUV420P, "CV_FMT_NV12": cvFmtNV12, "CV_FMT_YUV444P": cvFmtYUV444P,
	} {
		if got := cemu.MotionConst(name); got != v {
			t.Errorf("%s = %d in convert.h, %d in convert.go", name, got, v)
		}
	}
}

// TestEmuConvertMatchesGo runs convert.cu through the C emulation on every
// layout and size and compares with h264's conversions and padding.
func TestEmuConvertMatchesGo(t *testing.T) {
	for _, sz := range convertSizes {
		for _, format := range convertFormats {
			w, h := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s/%dx%d", format, w, h), func(t *testing.T) {
				frame := randomFrame(t, format, w, h, 1)
				in, err := cemu.NewArena(len(frame))
				if err != nil {
					t.Fatal(err)
				}
				defer in.Free()
				if err := in.Write(0, frame); err != nil {
					t.Fatal(err)
				}
				c, err := newConverter(&emuBackend{}, w, h)
				if err != nil {
					t.Fatal(err)
				}
				defer c.close()
				code, _ := formatCode(format)
				if err := c.convert(in.Base(), code); err != nil {
					t.Fatal(err)
				}
				checkConverted(t, c, format, frame)
			})
		}
	}
}

// TestEmuConvertedStream encodes the pictures stage 0 makes (through the
// C emulation; rows of the padded width) with h264's encoder and compares
// the stream with the one of h264's own conversions, for every layout:
// what EncodeDeviceFormat hands the encoder is a valid picture and the
// same one.
func TestEmuConvertedStream(t *testing.T) {
	c := encClip{w: 33, h: 17, frames: 3, dx: -1, dy: 0.75, seed: 62}
	for _, format := range convertFormats {
		t.Run(format, func(t *testing.T) {
			got, err := h264.NewEncoder(c.options())
			if err != nil {
				t.Fatal(err)
			}
			want, err := h264.NewEncoder(c.options())
			if err != nil {
				t.Fatal(err)
			}
			conv, err := newConverter(&emuBackend{}, c.w, c.h)
			if err != nil {
				t.Fatal(err)
			}
			defer conv.close()
			size, _ := DevicePictureSize(format, c.w, c.h)
			in, err := cemu.NewArena(size)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Free()
			code, _ := formatCode(format)
			for k, p := range c.pictures() {
				frame := packFrame(p, format)
				if err := in.Write(0, frame); err != nil {
					t.Fatal(err)
				}
				if err := conv.convert(in.Base(), code); err != nil {
					t.Fatal(err)
				}
				pic, err := conv.download()
				if err != nil {
					t.Fatal(err)
				}
				ga, err := got.Encode(pic)
				if err != nil {
					t.Fatal(err)
				}
				wa, err := want.Encode(hostConvert(format, frame, c.w, c.h))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(ga.Data, wa.Data) {
					t.Fatalf("picture %d differs", k)
				}
			}
		})
	}
}

// TestDevicePictureSize checks the sizes against h264's own (the frame
// lengths its conversions accept) and the errors.
func TestDevicePictureSize(t *testing.T) {
	for _, sz := range convertSizes {
		w, h := sz[0], sz[1]
		for _, format := range convertFormats {
			n, err := DevicePictureSize(format, w, h)
			if err != nil {
				t.Fatal(err)
			}
			if hostConvert(format, make([]byte, n), w, h) == nil || hostConvert(format, make([]byte, n-1), w, h) != nil {
				t.Errorf("%s %dx%d: %d bytes is not h264's minimum frame", format, w, h, n)
			}
		}
	}
	if _, err := DevicePictureSize("rgb24", 4, 4); !errors.Is(err, ErrFormat) {
		t.Errorf("rgb24: %v, want ErrFormat", err)
	}
	if _, err := DevicePictureSize(FormatNV12, 0, 4); !errors.Is(err, ErrInput) {
		t.Errorf("0x4: %v, want ErrInput", err)
	}
	if _, err := newConverter(&emuBackend{}, 0, 4); !errors.Is(err, ErrInput) {
		t.Errorf("newConverter 0x4: %v, want ErrInput", err)
	}
	c, err := newConverter(&emuBackend{}, 4, 4)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.close(); err != nil {
		t.Fatal(err)
	}
	if err := c.convert(1, 0); !errors.Is(err, ErrClosed) {
		t.Errorf("convert after close: %v, want ErrClosed", err)
	}
}

// TestGPUConvertMatchesGo is TestEmuConvertMatchesGo on the GPU.
func TestGPUConvertMatchesGo(t *testing.T) {
	ctx := gpuContext(t)
	for _, sz := range convertSizes {
		for _, format := range convertFormats {
			w, h := sz[0], sz[1]
			t.Run(fmt.Sprintf("%s/%dx%d", format, w, h), func(t *testing.T) {
				frame := randomFrame(t, format, w, h, 2)
				buf, err := ctx.Alloc(len(frame))
				if err != nil {
					t.Fatal(err)
				}
				defer buf.Free()
				if err := cuda.CopyHtoD(buf, 0, frame, nil); err != nil {
					t.Fatal(err)
				}
				be, err := newGPUBackend(ctx, "convert", []string{"convert_src"})
				if err != nil {
					t.Fatal(err)
				}
				c, err := newConverter(be, w, h)
				if err != nil {
					t.Fatal(err)
				}
				defer c.close()
				code, _ := formatCode(format)
				if err := c.convert(uint64(buf.Ptr), code); err != nil {
					t.Fatal(err)
				}
				checkConverted(t, c, format, frame)
			})
		}
	}
}

// packFrame lays p out as a packed frame of format; for yuv444p each
// chroma sample is p's co-sited one plus a small pattern, so that the
// 2x2 averaging matters.
func packFrame(p *h264.Picture, format string) []byte {
	w, h := p.Y.Width, p.Y.Height
	out := append([]byte(nil), p.Y.Pix[:w*h]...)
	switch format {
	case FormatNV12:
		for i := range p.Cb.Width * p.Cb.Height {
			out = append(out, p.Cb.Pix[i], p.Cr.Pix[i])
		}
	case FormatYUV444P:
		for _, pl := range []*h264.Plane{&p.Cb, &p.Cr} {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					v := int(pl.Pix[y/2*pl.Stride+x/2]) + (x*7+y*3)%5 - 2
					out = append(out, uint8(min(max(v, 0), 255)))
				}
			}
		}
	default:
		out = append(out, p.Cb.Pix[:p.Cb.Width*p.Cb.Height]...)
		out = append(out, p.Cr.Pix[:p.Cr.Width*p.Cr.Height]...)
	}
	return out
}

// TestGPUEncodeDeviceFormat encodes whole streams from device frames in
// each layout and compares them byte for byte with h264_go's streams of
// the same frames converted on the host.
func TestGPUEncodeDeviceFormat(t *testing.T) {
	clips := []encClip{
		{name: "97x71", w: 97, h: 71, frames: 4, dx: 1.5, dy: 0.5, seed: 61},
		{name: "33x17", w: 33, h: 17, frames: 3, dx: -1, dy: 0.75, seed: 62},
		{name: "1920x1080", w: 1920, h: 1080, frames: 3, dx: 2.25, dy: -1, seed: 63},
	}
	for _, c := range clips {
		for _, format := range convertFormats {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				e := gpuEncoder(t, c.options())
				ref, err := h264.NewEncoder(c.options())
				if err != nil {
					t.Fatal(err)
				}
				size, err := DevicePictureSize(format, c.w, c.h)
				if err != nil {
					t.Fatal(err)
				}
				buf, err := e.ctx.Alloc(size)
				if err != nil {
					t.Fatal(err)
				}
				defer buf.Free()
				for k, p := range c.pictures() {
					frame := packFrame(p, format)
					if err := cuda.CopyHtoD(buf, 0, frame, nil); err != nil {
						t.Fatal(err)
					}
					ga, err := e.EncodeDeviceFormat(buf.Ptr, format)
					if err != nil {
						t.Fatal(err)
					}
					if e.conv == nil {
						t.Fatal("EncodeDeviceFormat did not convert on the GPU (no convert.ptx?)")
					}
					wa, err := ref.Encode(hostConvert(format, frame, c.w, c.h))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(ga.Data, wa.Data) {
						t.Fatalf("picture %d: EncodeDeviceFormat and h264_go differ (%d and %d bytes)", k, len(ga.Data), len(wa.Data))
					}
				}
				if _, err := e.EncodeDeviceFormat(buf.Ptr, "rgb24"); !errors.Is(err, ErrFormat) {
					t.Errorf("rgb24: %v, want ErrFormat", err)
				}
			})
		}
	}
}

// BenchmarkGPUConvert times stage 0 at 1080p per layout: the conversion
// kernel and the download of the padded planes.
func BenchmarkGPUConvert(b *testing.B) {
	ctx := gpuContext(b)
	for _, format := range convertFormats {
		b.Run(format, func(b *testing.B) {
			frame := randomFrame(b, format, 1920, 1080, 3)
			buf, err := ctx.Alloc(len(frame))
			if err != nil {
				b.Fatal(err)
			}
			defer buf.Free()
			if err := cuda.CopyHtoD(buf, 0, frame, nil); err != nil {
				b.Fatal(err)
			}
			be, err := newGPUBackend(ctx, "convert", []string{"convert_src"})
			if err != nil {
				b.Fatal(err)
			}
			c, err := newConverter(be, 1920, 1080)
			if err != nil {
				b.Fatal(err)
			}
			defer c.close()
			code, _ := formatCode(format)
			b.SetBytes(int64(len(frame)))
			b.ResetTimer()
			for b.Loop() {
				if err := c.convert(uint64(buf.Ptr), code); err != nil {
					b.Fatal(err)
				}
				if _, err := c.download(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHostConvert is the host path stage 0 replaces for 1080p frames
// downloaded from the GPU: h264's conversion of a packed frame.
func BenchmarkHostConvert(b *testing.B) {
	for _, format := range convertFormats {
		b.Run(format, func(b *testing.B) {
			frame := randomFrame(b, format, 1920, 1080, 3)
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				if hostConvert(format, frame, 1920, 1080) == nil {
					b.Fatal("rejected")
				}
			}
		})
	}
}
