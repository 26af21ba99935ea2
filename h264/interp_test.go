package h264

import (
	"fmt"
	"math/rand"
	"testing"
)

// interpTestPlane returns a w×h plane with random content and a stride wider
// than w (so stride bugs show).
func interpTestPlane(rng *rand.Rand, w, h int) *Plane {
	p := &Plane{Width: w, Height: h, Stride: w + 7}
	p.Pix = make([]uint8, p.Stride*h)
	for i := range p.Pix {
		p.Pix[i] = uint8(rng.Intn(256))
	}
	return p
}

// slowLumaSample is a literal transcription of ITU-T H.264 8.4.2.2.1 for one
// output sample at (xL, yL) of the block at (x, y): equations 8-228..8-261
// and Table 8-12, with j computed from the horizontal intermediates (the
// first form of 8-245) and nothing shared between samples.
func slowLumaSample(ref *Plane, x, y, mvx, mvy, xL, yL int) uint8 {
	clip3 := func(lo, hi, v int) int {
		if v < lo {
			return lo
		}
		if v > hi {
			return hi
		}
		return v
	}
	clip1 := func(v int) int { return clip3(0, 255, v) }
	xInt := x + (mvx >> 2) + xL
	yInt := y + (mvy >> 2) + yL
	xFrac := mvx & 3
	yFrac := mvy & 3
	// Full sample at offset (dx, dy) from G (8-228, 8-229).
	s := func(dx, dy int) int {
		xx := clip3(0, ref.Width-1, xInt+dx)
		yy := clip3(0, ref.Height-1, yInt+dy)
		return int(ref.Pix[yy*ref.Stride+xx])
	}
	// b1 at row dy (8-241), h1 at column dx (8-242).
	b1 := func(dy int) int {
		return s(-2, dy) - 5*s(-1, dy) + 20*s(0, dy) + 20*s(1, dy) - 5*s(2, dy) + s(3, dy)
	}
	h1 := func(dx int) int {
		return s(dx, -2) - 5*s(dx, -1) + 20*s(dx, 0) + 20*s(dx, 1) - 5*s(dx, 2) + s(dx, 3)
	}
	G := s(0, 0)
	H := s(1, 0)
	M := s(0, 1)
	b := clip1((b1(0) + 16) >> 5)
	h := clip1((h1(0) + 16) >> 5)
	m := clip1((h1(1) + 16) >> 5)
	ss := clip1((b1(1) + 16) >> 5)
	j1 := b1(-2) - 5*b1(-1) + 20*b1(0) + 20*b1(1) - 5*b1(2) + b1(3)
	j := clip1((j1 + 512) >> 10)
	avg := func(p, q int) int { return (p + q + 1) >> 1 }
	var v int
	switch [2]int{xFrac, yFrac} {
	case [2]int{0, 0}:
		v = G
	case [2]int{0, 1}:
		v = avg(G, h) // d
	case [2]int{0, 2}:
		v = h
	case [2]int{0, 3}:
		v = avg(M, h) // n
	case [2]int{1, 0}:
		v = avg(G, b) // a
	case [2]int{1, 1}:
		v = avg(b, h) // e
	case [2]int{1, 2}:
		v = avg(h, j) // i
	case [2]int{1, 3}:
		v = avg(h, ss) // p
	case [2]int{2, 0}:
		v = b
	case [2]int{2, 1}:
		v = avg(b, j) // f
	case [2]int{2, 2}:
		v = j
	case [2]int{2, 3}:
		v = avg(j, ss) // q
	case [2]int{3, 0}:
		v = avg(H, b) // c
	case [2]int{3, 1}:
		v = avg(b, m) // g
	case [2]int{3, 2}:
		v = avg(j, m) // k
	case [2]int{3, 3}:
		v = avg(m, ss) // r
	}
	return uint8(v)
}

// slowChromaSample is a literal transcription of 8.4.2.2.2 (8-262..8-266)
// for 4:2:0 frame pictures.
func slowChromaSample(ref *Plane, x, y, mvx, mvy, xC, yC int) uint8 {
	clip3 := func(lo, hi, v int) int { return max(lo, min(hi, v)) }
	xInt := x + (mvx >> 3) + xC
	yInt := y + (mvy >> 3) + yC
	xFrac := mvx & 7
	yFrac := mvy & 7
	at := func(xx, yy int) int {
		return int(ref.Pix[clip3(0, ref.Height-1, yy)*ref.Stride+clip3(0, ref.Width-1, xx)])
	}
	A := at(xInt, yInt)
	B := at(xInt+1, yInt)
	C := at(xInt, yInt+1)
	D := at(xInt+1, yInt+1)
	return uint8(((8-xFrac)*(8-yFrac)*A + xFrac*(8-yFrac)*B + (8-xFrac)*yFrac*C + xFrac*yFrac*D + 32) >> 6)
}

// interpTestMV returns a random quarter-sample vector with the given
// fractional parts, mixing small vectors, vectors near the edges and vectors
// far outside the picture.
func interpTestMV(rng *rand.Rand, fx, fy, w, h int) (int, int) {
	var ix, iy int
	switch rng.Intn(3) {
	case 0:
		ix, iy = rng.Intn(9)-4, rng.Intn(9)-4
	case 1:
		ix, iy = rng.Intn(2*w+40)-w-20, rng.Intn(2*h+40)-h-20
	default:
		ix, iy = rng.Intn(2000)-1000, rng.Intn(2000)-1000
	}
	return ix*4 + fx, iy*4 + fy
}

func TestPredictLumaMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sizes := [][2]int{{1, 1}, {3, 5}, {16, 16}, {17, 33}, {37, 23}, {64, 48}}
	blocks := [][2]int{{16, 16}, {16, 8}, {8, 16}, {8, 8}, {8, 4}, {4, 8}, {4, 4}, {20, 36}, {2, 2}}
	dst := make([]uint8, 64*64)
	for _, sz := range sizes {
		ref := interpTestPlane(rng, sz[0], sz[1])
		var fast interpRef
		fast.build(ref, 5)
		for frac := 0; frac < 16; frac++ {
			fx, fy := frac&3, frac>>2
			for trial := 0; trial < 40; trial++ {
				bl := blocks[rng.Intn(len(blocks))]
				w, h := bl[0], bl[1]
				x := rng.Intn(sz[0]+8) - 4
				y := rng.Intn(sz[1]+8) - 4
				mvx, mvy := interpTestMV(rng, fx, fy, sz[0], sz[1])
				for _, impl := range []string{"predictLuma", "interpRef"} {
					for i := range dst {
						dst[i] = 0xA5
					}
					stride := w + 3
					if impl == "predictLuma" {
						predictLuma(dst, stride, ref, x, y, mvx, mvy, w, h)
					} else {
						fast.predict(dst, stride, x, y, mvx, mvy, w, h)
					}
					for r := 0; r < h; r++ {
						for c := 0; c < w; c++ {
							want := slowLumaSample(ref, x, y, mvx, mvy, c, r)
							if got := dst[r*stride+c]; got != want {
								t.Fatalf("%s plane %dx%d block %dx%d at (%d,%d) mv (%d,%d): sample (%d,%d) = %d, spec %d",
									impl, sz[0], sz[1], w, h, x, y, mvx, mvy, c, r, got, want)
							}
						}
						for c := w; c < stride && r*stride+c < len(dst); c++ {
							if dst[r*stride+c] != 0xA5 {
								t.Fatalf("%s wrote outside the block at row %d col %d", impl, r, c)
							}
						}
					}
				}
			}
		}
	}
}

// TestInterpRefViewInside checks the plane-view path (no fallback) over
// every position of the valid region edge, for every fractional position.
func TestInterpRefViewInside(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	ref := interpTestPlane(rng, 23, 19)
	var fast interpRef
	fast.build(ref, 8)
	buf := make([]uint8, 16*16)
	for frac := 0; frac < 16; frac++ {
		for iy := -9; iy < 19+9-8; iy++ {
			for ix := -9; ix < 23+9-8; ix++ {
				mvx := ix*4 + frac&3
				mvy := iy*4 + frac>>2
				pix, off, stride := fast.view(buf, 16, 0, 0, mvx, mvy, 8, 8)
				for r := 0; r < 8; r++ {
					for c := 0; c < 8; c++ {
						if got, want := pix[off+r*stride+c], slowLumaSample(ref, 0, 0, mvx, mvy, c, r); got != want {
							t.Fatalf("mv (%d,%d) sample (%d,%d) = %d, spec %d", mvx, mvy, c, r, got, want)
						}
					}
				}
			}
		}
	}
}

func TestPredictChromaMatchesSpec(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	sizes := [][2]int{{1, 1}, {2, 3}, {8, 8}, {9, 17}, {19, 12}, {40, 24}}
	blocks := [][2]int{{8, 8}, {8, 4}, {4, 8}, {4, 4}, {4, 2}, {2, 4}, {2, 2}}
	dst := make([]uint8, 16*16)
	for _, sz := range sizes {
		ref := interpTestPlane(rng, sz[0], sz[1])
		for frac := 0; frac < 64; frac++ {
			for trial := 0; trial < 20; trial++ {
				bl := blocks[rng.Intn(len(blocks))]
				w, h := bl[0], bl[1]
				x := rng.Intn(sz[0]+4) - 2
				y := rng.Intn(sz[1]+4) - 2
				mvx, mvy := interpTestMV(rng, 0, 0, sz[0], sz[1])
				mvx = mvx*2 + frac&7
				mvy = mvy*2 + frac>>3
				predictChroma(dst, 9, ref, x, y, mvx, mvy, w, h)
				for r := 0; r < h; r++ {
					for c := 0; c < w; c++ {
						if got, want := dst[r*9+c], slowChromaSample(ref, x, y, mvx, mvy, c, r); got != want {
							t.Fatalf("plane %dx%d block %dx%d at (%d,%d) mv (%d,%d): sample (%d,%d) = %d, spec %d",
								sz[0], sz[1], w, h, x, y, mvx, mvy, c, r, got, want)
						}
					}
				}
			}
		}
	}
}

// TestPredictLumaExtremes checks saturated content, where the clipping of
// b, h and j matters.
func TestPredictLumaExtremes(t *testing.T) {
	ref := &Plane{Width: 24, Height: 24, Stride: 24, Pix: make([]uint8, 24*24)}
	for y := 0; y < 24; y++ {
		for x := 0; x < 24; x++ {
			if (x/2+y/3)%2 == 0 {
				ref.Pix[y*24+x] = 255
			}
		}
	}
	var fast interpRef
	fast.build(ref, 4)
	dst := make([]uint8, 256)
	for frac := 0; frac < 16; frac++ {
		for _, o := range [][2]int{{0, 0}, {3, 5}, {-3, -2}, {10, 9}} {
			mvx, mvy := o[0]*4+frac&3, o[1]*4+frac>>2
			for _, impl := range []func(){
				func() { predictLuma(dst, 16, ref, 4, 4, mvx, mvy, 16, 16) },
				func() { fast.predict(dst, 16, 4, 4, mvx, mvy, 16, 16) },
			} {
				impl()
				for r := 0; r < 16; r++ {
					for c := 0; c < 16; c++ {
						if got, want := dst[r*16+c], slowLumaSample(ref, 4, 4, mvx, mvy, c, r); got != want {
							t.Fatalf("mv (%d,%d) sample (%d,%d) = %d, spec %d", mvx, mvy, c, r, got, want)
						}
					}
				}
			}
		}
	}
}

func BenchmarkPredictLuma16x16(b *testing.B) {
	rng := rand.New(rand.NewSource(4))
	ref := interpTestPlane(rng, 256, 256)
	var fast interpRef
	fast.build(ref, 32)
	dst := make([]uint8, 16*16)
	for frac := 0; frac < 16; frac++ {
		mvx, mvy := 12+frac&3, 8+frac>>2
		b.Run(fmt.Sprintf("frac%d%d/predictLuma", frac&3, frac>>2), func(b *testing.B) {
			b.SetBytes(256)
			for i := 0; i < b.N; i++ {
				predictLuma(dst, 16, ref, 64+i&63, 64, mvx, mvy, 16, 16)
			}
		})
		b.Run(fmt.Sprintf("frac%d%d/interpRef", frac&3, frac>>2), func(b *testing.B) {
			b.SetBytes(256)
			for i := 0; i < b.N; i++ {
				fast.predict(dst, 16, 64+i&63, 64, mvx, mvy, 16, 16)
			}
		})
	}
}

func BenchmarkInterpRefBuild720p(b *testing.B) {
	rng := rand.New(rand.NewSource(5))
	ref := interpTestPlane(rng, 1280, 720)
	var fast interpRef
	b.SetBytes(1280 * 720)
	for i := 0; i < b.N; i++ {
		fast.build(ref, 64)
	}
}

// FuzzPredictLuma compares predictLuma, interpRef and predictChroma with
// the literal spec transcriptions for arbitrary plane sizes, positions,
// vectors and block sizes.
func FuzzPredictLuma(f *testing.F) {
	f.Add(int64(1), uint8(17), uint8(33), int16(3), int16(-2), int16(-4001), int16(77), uint8(16), uint8(8), uint8(3))
	f.Add(int64(2), uint8(1), uint8(1), int16(0), int16(0), int16(5), int16(-7), uint8(4), uint8(4), uint8(0))
	f.Add(int64(3), uint8(40), uint8(9), int16(30), int16(5), int16(-130), int16(1023), uint8(8), uint8(16), uint8(8))
	f.Fuzz(func(t *testing.T, seed int64, pw, ph uint8, x, y, mvx, mvy int16, bw, bh, pad uint8) {
		w, h := int(pw%64)+1, int(ph%64)+1
		bwi, bhi := int(bw%24)+1, int(bh%24)+1
		ref := interpTestPlane(rand.New(rand.NewSource(seed)), w, h)
		var fast interpRef
		fast.build(ref, int(pad%12)+1)
		var a, b [24 * 24]uint8
		xi, yi := int(x)%100, int(y)%100
		predictLuma(a[:], 24, ref, xi, yi, int(mvx), int(mvy), bwi, bhi)
		fast.predict(b[:], 24, xi, yi, int(mvx), int(mvy), bwi, bhi)
		for r := 0; r < bhi; r++ {
			for c := 0; c < bwi; c++ {
				want := slowLumaSample(ref, xi, yi, int(mvx), int(mvy), c, r)
				if a[r*24+c] != want || b[r*24+c] != want {
					t.Fatalf("sample (%d,%d): predictLuma %d, interpRef %d, spec %d", c, r, a[r*24+c], b[r*24+c], want)
				}
			}
		}
		predictChroma(a[:], 24, ref, xi, yi, int(mvx), int(mvy), bwi, bhi)
		for r := 0; r < bhi; r++ {
			for c := 0; c < bwi; c++ {
				if want := slowChromaSample(ref, xi, yi, int(mvx), int(mvy), c, r); a[r*24+c] != want {
					t.Fatalf("chroma sample (%d,%d): %d, spec %d", c, r, a[r*24+c], want)
				}
			}
		}
	})
}
