package h264cuda

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// Literal transcriptions of ITU-T H.264 8.4.2.2.1 (luma sample
// interpolation) and 8.3.3 / 8.3.4 (Intra_16x16 and 4:2:0 chroma
// prediction), written from the equations, to test the kernels' helpers
// directly (compiled as C) on inputs the end-to-end comparisons rarely
// reach: any vector far outside the picture, every availability.

func specClip(v int) int { return min(max(v, 0), 255) }

func specTap(e, f, g, h, i, j int) int { return e - 5*f + 20*g + 20*h - 5*i + j }

// specLumaSample is predPartLXL at full-sample position (xInt, yInt) with
// fractional offsets (xFrac, yFrac), 8-228..8-261 and Table 8-12.
func specLumaSample(ref []uint8, w, h, stride, xInt, yInt, xFrac, yFrac int) int {
	G := func(x, y int) int { return int(ref[min(max(y, 0), h-1)*stride+min(max(x, 0), w-1)]) }
	b1 := func(x, y int) int { return specTap(G(x-2, y), G(x-1, y), G(x, y), G(x+1, y), G(x+2, y), G(x+3, y)) }
	h1 := func(x, y int) int { return specTap(G(x, y-2), G(x, y-1), G(x, y), G(x, y+1), G(x, y+2), G(x, y+3)) }
	b := func(x, y int) int { return specClip((b1(x, y) + 16) >> 5) }
	hh := func(x, y int) int { return specClip((h1(x, y) + 16) >> 5) }
	// j from the vertical intermediates (8-245's second form).
	j := func(x, y int) int {
		return specClip((specTap(h1(x-2, y), h1(x-1, y), h1(x, y), h1(x+1, y), h1(x+2, y), h1(x+3, y)) + 512) >> 10)
	}
	x, y := xInt, yInt
	avg := func(p, q int) int { return (p + q + 1) >> 1 }
	s, m := b(x, y+1), hh(x+1, y)
	switch [2]int{xFrac, yFrac} {
	case [2]int{0, 0}:
		return G(x, y)
	case [2]int{0, 1}:
		return avg(G(x, y), hh(x, y)) // d
	case [2]int{0, 2}:
		return hh(x, y)
	case [2]int{0, 3}:
		return avg(G(x, y+1), hh(x, y)) // n
	case [2]int{1, 0}:
		return avg(G(x, y), b(x, y)) // a
	case [2]int{1, 1}:
		return avg(b(x, y), hh(x, y)) // e
	case [2]int{1, 2}:
		return avg(hh(x, y), j(x, y)) // i
	case [2]int{1, 3}:
		return avg(hh(x, y), s) // p
	case [2]int{2, 0}:
		return b(x, y)
	case [2]int{2, 1}:
		return avg(b(x, y), j(x, y)) // f
	case [2]int{2, 2}:
		return j(x, y)
	case [2]int{2, 3}:
		return avg(j(x, y), s) // q
	case [2]int{3, 0}:
		return avg(G(x+1, y), b(x, y)) // c
	case [2]int{3, 1}:
		return avg(b(x, y), m) // g
	case [2]int{3, 2}:
		return avg(j(x, y), m) // k
	}
	return avg(m, s) // r
}

// TestKernelLumaPredictionMatchesSpec checks the kernels' edge-clamped
// quarter-sample prediction (the path used outside the half-sample
// planes) against the transcription for random planes, blocks and vectors
// up to 1000 samples outside.
func TestKernelLumaPredictionMatchesSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	a, err := cemu.NewArena(8*mpCount + 64*64 + 256)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	refOff, dstOff := 8*mpCount, 8*mpCount+64*64
	params := make([]byte, 8*mpCount)
	for iter := 0; iter < 3000; iter++ {
		w, h := 1+r.IntN(37), 1+r.IntN(23)
		ref := make([]byte, w*h)
		sat := iter%3 == 0
		for i := range ref {
			if sat {
				ref[i] = byte(255 * r.IntN(2))
			} else {
				ref[i] = byte(r.IntN(256))
			}
		}
		sizes := [][2]int{{16, 16}, {16, 8}, {8, 16}, {8, 8}, {4, 4}}
		bs := sizes[r.IntN(len(sizes))]
		x, y := r.IntN(48)-8, r.IntN(48)-8
		mvx, mvy := r.IntN(8001)-4000, r.IntN(8001)-4000
		if iter%2 == 0 {
			mvx, mvy = r.IntN(81)-40, r.IntN(81)-40
		}
		put := func(i int, v int64) { binary.LittleEndian.PutUint64(params[8*i:], uint64(v)) }
		put(mpRef, int64(a.Base())+int64(refOff))
		put(mpRefW, int64(w))
		put(mpRefH, int64(h))
		put(mpRefStride, int64(w))
		put(mpPad, -1<<20) // never "inside": the clamped per-sample path
		if err := a.Write(0, params); err != nil {
			t.Fatal(err)
		}
		if err := a.Write(refOff, ref); err != nil {
			t.Fatal(err)
		}
		if err := a.PredLuma(0, x, y, mvx, mvy, bs[0], bs[1], dstOff); err != nil {
			t.Fatal(err)
		}
		got := make([]byte, bs[0]*bs[1])
		if err := a.Read(got, dstOff); err != nil {
			t.Fatal(err)
		}
		for row := 0; row < bs[1]; row++ {
			for col := 0; col < bs[0]; col++ {
				want := specLumaSample(ref, w, h, w, x+col+mvx>>2, y+row+mvy>>2, mvx&3, mvy&3)
				if int(got[row*bs[0]+col]) != want {
					t.Fatalf("plane %dx%d, block %v at (%d,%d), mv (%d,%d): sample (%d,%d) = %d, want %d",
						w, h, bs, x, y, mvx, mvy, col, row, got[row*bs[0]+col], want)
				}
			}
		}
	}
}

// specIntraBlock is the n×n Intra_16x16 (n = 16, 8.3.3) or 4:2:0 chroma
// (n = 8, 8.3.4) prediction of mode (Intra_16x16 numbering: 0 vertical,
// 1 horizontal, 2 DC, 3 plane) from neighbours p(x, -1), p(-1, y) and
// p(-1, -1) given by nb, with availability left, top (top-left comes with
// both for the plane mode).
func specIntraBlock(n, mode int, nb func(x, y int) int, left, top bool) []int {
	out := make([]int, n*n)
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var v int
			switch mode {
			case 0:
				v = nb(x, -1)
			case 1:
				v = nb(-1, y)
			case 2:
				if n == 16 {
					st, sl := 0, 0
					for i := 0; i < 16; i++ {
						st += nb(i, -1)
						sl += nb(-1, i)
					}
					switch {
					case left && top:
						v = (st + sl + 16) >> 5
					case left:
						v = (sl + 8) >> 4
					case top:
						v = (st + 8) >> 4
					default:
						v = 128
					}
					break
				}
				// 8.3.4.1-3: the 4x4 chroma block (xO, yO) holding (x, y).
				xO, yO := x&^3, y&^3
				st, sl := 0, 0
				for i := 0; i < 4; i++ {
					st += nb(xO+i, -1)
					sl += nb(-1, yO+i)
				}
				both, onlyL, onlyT := (st+sl+4)>>3, (sl+2)>>2, (st+2)>>2
				v = 128
				switch {
				case (xO == 0 && yO == 0) || (xO > 0 && yO > 0):
					if left && top {
						v = both
					} else if left {
						v = onlyL
					} else if top {
						v = onlyT
					}
				case xO > 0 && yO == 0:
					if top {
						v = onlyT
					} else if left {
						v = onlyL
					}
				default:
					if left {
						v = onlyL
					} else if top {
						v = onlyT
					}
				}
			default:
				half := n / 2
				H, V := 0, 0
				for i := 0; i < half; i++ {
					H += (i + 1) * (nb(half+i, -1) - nb(half-2-i, -1))
					V += (i + 1) * (nb(-1, half+i) - nb(-1, half-2-i))
				}
				a := 16 * (nb(-1, n-1) + nb(n-1, -1))
				var b, c int
				if n == 16 {
					b, c = (5*H+32)>>6, (5*V+32)>>6
				} else {
					b, c = (34*H+32)>>6, (34*V+32)>>6
				}
				v = specClip((a + b*(x-(half-1)) + c*(y-(half-1)) + 16) >> 5)
			}
			out[y*n+x] = v
		}
	}
	return out
}

// TestKernelIntraPredictionMatchesSpec checks the kernels' Intra_16x16 and
// chroma predictions against the transcription for every mode and
// availability, on random and saturated neighbours.
func TestKernelIntraPredictionMatchesSpec(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	const stride = 17
	a, err := cemu.NewArena(stride*17 + 256)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Free()
	pix, dst := stride+1, stride*17
	const avLeft, avTop, avTopLeft = 1, 2, 8
	for iter := 0; iter < 400; iter++ {
		buf := make([]byte, stride*17)
		for i := range buf {
			if iter%4 == 0 {
				buf[i] = byte(255 * r.IntN(2))
			} else {
				buf[i] = byte(r.IntN(256))
			}
		}
		if err := a.Write(0, buf); err != nil {
			t.Fatal(err)
		}
		nb := func(x, y int) int { return int(buf[pix+y*stride+x]) }
		for _, n := range []int{16, 8} {
			for avail := 0; avail < 16; avail++ {
				left, top := avail&avLeft != 0, avail&avTop != 0
				for mode := 0; mode < 4; mode++ {
					if (mode == 0 && !top) || (mode == 1 && !left) ||
						(mode == 3 && avail&(avLeft|avTop|avTopLeft) != avLeft|avTop|avTopLeft) {
						continue
					}
					if err := a.PredBlock(dst, n, pix, stride, mode, avail, n == 8); err != nil {
						t.Fatal(err)
					}
					got := make([]byte, n*n)
					if err := a.Read(got, dst); err != nil {
						t.Fatal(err)
					}
					want := specIntraBlock(n, mode, nb, left, top)
					for i := range want {
						if int(got[i]) != want[i] {
							t.Fatalf("n %d mode %d avail %d: sample (%d,%d) = %d, want %d", n, mode, avail, i%n, i/n, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
