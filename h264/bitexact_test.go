package h264

import (
	"fmt"
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

// TestBitExactEveryQP codes a short clip at every QP; the streams (each
// starting with an IDR picture and the same parameter sets) are decoded as
// one.
func TestBitExactEveryQP(t *testing.T) {
	var stream []byte
	var recon [][]byte
	for qp := 0; qp <= 51; qp++ {
		o := Options{Width: 48, Height: 32, RateControl: ConstantQP, QP: qp, Threads: 2}
		s, r, aus := encodeClip(t, o, clip(48, 32, 3, int64(qp)), nil)
		for _, au := range aus {
			if au.QP != qp {
				t.Fatalf("QP %d coded at %d", qp, au.QP)
			}
		}
		stream = append(stream, s...)
		recon = append(recon, r...)
	}
	checkDecoders(t, stream, 48, 32, recon)
}
