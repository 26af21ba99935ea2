package h264

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestBitExactSizes(t *testing.T) {
	sizes := []struct{ w, h, n int }{
		{1, 1, 3}, {2, 2, 3}, {15, 15, 3}, {16, 16, 3}, {17, 33, 4}, {33, 17, 4},
		{64, 48, 5}, {176, 144, 4}, {320, 240, 3}, {1000, 16, 3}, {1920, 1080, 1},
	}
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
			t.Parallel()
			o := Options{Width: s.w, Height: s.h, RateControl: ConstantQP, QP: 24, Threads: 2}
			encodeAndCheck(t, o, clip(s.w, s.h, s.n, int64(s.w*s.h)), nil)
		})
	}
}

// TestBitExactEveryQP codes a short clip at every QP, P pictures at the
// QP and the IDR picture DefaultIPOffset lower (from QP 3 down, at QP 0),
// or at the QP too where IPOffset is negative; the streams (each starting
// with an IDR picture and the same parameter sets) are decoded as one.
func TestBitExactEveryQP(t *testing.T) {
	var stream []byte
	var recon [][]byte
	for qp := 0; qp <= 51; qp++ {
		o := Options{Width: 48, Height: 32, RateControl: ConstantQP, QP: qp, Threads: 2}
		wantIDR := max(0, qp-DefaultIPOffset)
		if qp%2 == 1 {
			o.IPOffset = -1
			wantIDR = qp
		}
		s, r, aus := encodeClip(t, o, clip(48, 32, 3, int64(qp)), nil)
		for _, au := range aus {
			want := qp
			if au.Keyframe {
				want = wantIDR
			}
			if au.QP != want {
				t.Fatalf("QP %d, IPOffset %d: picture %d (keyframe %v) coded at %d, want %d", qp, o.IPOffset, au.FrameNum, au.Keyframe, au.QP, want)
			}
		}
		stream = append(stream, s...)
		recon = append(recon, r...)
	}
	checkDecoders(t, stream, 48, 32, recon)
}

// TestBitExactExtremeContent codes white noise and full-swing
// checkerboards at the lowest QPs, where levels are largest (level_prefix
// escapes, clamping to ±2063) and at the highest, where everything
// quantises away.
func TestBitExactExtremeContent(t *testing.T) {
	const w, h = 48, 48
	r := rand.New(rand.NewSource(4))
	var pics []*Picture
	for i := 0; i < 5; i++ {
		p := NewPicture(w, h)
		for _, pl := range []*Plane{&p.Y, &p.Cb, &p.Cr} {
			for y := 0; y < pl.Height; y++ {
				for x := 0; x < pl.Width; x++ {
					var v uint8
					switch i {
					case 0, 2:
						v = uint8(r.Intn(256))
					case 1:
						if (x/(1+y%3)+y)%2 == 0 {
							v = 255
						}
					case 4: // flat macroblocks of 0 and 255: the largest DC levels
						cell := 16
						if pl != &p.Y {
							cell = 8
						}
						if (x/cell+y/cell)%2 == 0 {
							v = 255
						}
					default:
						if (x+y)%2 == 0 {
							v = 255
						}
					}
					pl.Pix[y*pl.Stride+x] = v
				}
			}
		}
		pics = append(pics, p)
	}
	var stream []byte
	var recon [][]byte
	for _, qp := range []int{0, 1, 2, 6, 50, 51} {
		for _, preset := range []string{"ultrafast", "medium"} {
			s, rec, _ := encodeClip(t, Options{Width: w, Height: h, RateControl: ConstantQP, QP: qp, Preset: preset, Threads: 2}, pics, nil)
			stream = append(stream, s...)
			recon = append(recon, rec...)
		}
	}
	checkDecoders(t, stream, w, h, recon)
}
