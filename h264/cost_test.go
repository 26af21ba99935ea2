package h264

import (
	"math"
	"math/rand"
	"testing"
)

// slowSATD computes the SATD of a w×h block by explicit matrix products
// H·D·Hᵀ per 4×4 sub-block, summing |coefficients| over the whole block and
// halving once (the normalisation documented in cost.go).
func slowSATD(a []uint8, as int, b []uint8, bs int, w, h int) int {
	H := [4][4]int{{1, 1, 1, 1}, {1, 1, -1, -1}, {1, -1, -1, 1}, {1, -1, 1, -1}}
	total := 0
	for by := 0; by < h; by += 4 {
		for bx := 0; bx < w; bx += 4 {
			var d, t [4][4]int
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					d[i][j] = int(a[(by+i)*as+bx+j]) - int(b[(by+i)*bs+bx+j])
				}
			}
			for i := 0; i < 4; i++ { // t = H·d
				for j := 0; j < 4; j++ {
					for k := 0; k < 4; k++ {
						t[i][j] += H[i][k] * d[k][j]
					}
				}
			}
			for i := 0; i < 4; i++ { // (H·d)·Hᵀ
				for j := 0; j < 4; j++ {
					c := 0
					for k := 0; k < 4; k++ {
						c += t[i][k] * H[j][k]
					}
					total += int(math.Abs(float64(c)))
				}
			}
		}
	}
	return total / 2
}

func TestSADAndSATDMatchReference(t *testing.T) {
	rng := rand.New(rand.NewSource(10))
	a := make([]uint8, 40*40)
	b := make([]uint8, 40*40)
	sizes := [][2]int{{4, 4}, {8, 4}, {4, 8}, {8, 8}, {16, 8}, {8, 16}, {16, 16}}
	for trial := 0; trial < 300; trial++ {
		switch trial % 3 {
		case 0: // random
			for i := range a {
				a[i], b[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256))
			}
		case 1: // extremes
			for i := range a {
				a[i], b[i] = uint8(255*rng.Intn(2)), uint8(255*rng.Intn(2))
			}
		default: // small residual
			for i := range a {
				a[i] = uint8(rng.Intn(256))
				b[i] = uint8(interpClamp(int(a[i])+rng.Intn(7)-3, 0, 255))
			}
		}
		sz := sizes[trial%len(sizes)]
		w, h := sz[0], sz[1]
		sad := 0
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				sad += int(math.Abs(float64(int(a[y*40+x]) - int(b[y*37+x]))))
			}
		}
		if got := costSAD(a, 0, 40, b, 0, 37, w, h); got != sad {
			t.Fatalf("costSAD %dx%d = %d, want %d", w, h, got, sad)
		}
		want := slowSATD(a, 40, b, 37, w, h)
		if got := satdBlock(a, 0, 40, b, 0, 37, w, h); got != want {
			t.Fatalf("satdBlock %dx%d = %d, want %d", w, h, got, want)
		}
		if w == 16 && h == 16 {
			if got := satd16x16(a, 0, 40, b, 0, 37); got != want {
				t.Fatalf("satd16x16 = %d, want %d", got, want)
			}
			if got := sad16x16(a, 0, 40, b, 0, 37); got != sad {
				t.Fatalf("sad16x16 = %d, want %d", got, sad)
			}
		}
		if w == 16 && h == 8 {
			if got := sad16x4(a, 0, 40, b, 0, 37) + sad16x4(a, 160, 40, b, 148, 37); got != sad {
				t.Fatalf("sad16x4 (twice) = %d, want %d", got, sad)
			}
		}
		if w == 4 && h == 4 {
			if got := satd4x4(a, 0, 40, b, 0, 37); got != want {
				t.Fatalf("satd4x4 = %d, want %d", got, want)
			}
			if got := sad4x4(a, 0, 40, b, 0, 37); got != sad {
				t.Fatalf("sad4x4 = %d, want %d", got, sad)
			}
		}
		if w == 8 && h == 8 {
			// Hadamard coefficients of one block share their parity, so
			// raw sums are even and exactly twice the SATD.
			if got := satd8x8Raw(a, 0, 40, b, 0, 37); got != 2*want || got != satd4x4Raw(a, 0, 40, b, 0, 37)+satd4x4Raw(a, 4, 40, b, 4, 37)+
				satd4x4Raw(a, 160, 40, b, 148, 37)+satd4x4Raw(a, 164, 40, b, 152, 37) {
				t.Fatalf("satd8x8Raw = %d, not the sum of its 4x4 blocks", got)
			}
			if got := sad8x8(a, 0, 40, b, 0, 37); got != sad {
				t.Fatalf("sad8x8 = %d, want %d", got, sad)
			}
		}
	}
	// The fused quarter-sample average: SATD against (P+Q+1)>>1.
	q := make([]uint8, len(b))
	avg := make([]uint8, len(b))
	for trial := 0; trial < 200; trial++ {
		for i := range a {
			a[i], b[i], q[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256))
			if trial%2 == 1 {
				a[i], b[i], q[i] = 255*uint8(rng.Intn(2)), 255*uint8(rng.Intn(2)), 255*uint8(rng.Intn(2))
			}
			avg[i] = uint8((int(b[i]) + int(q[i]) + 1) >> 1)
		}
		// satd4x4Raw is checked against slowSATD above.
		if got, want := satd4x4RawAvg(a, 3, 40, b, 5, q, 5, 37), satd4x4Raw(a, 3, 40, avg, 5, 37); got != want {
			t.Fatalf("satd4x4RawAvg = %d, want %d", got, want)
		}
		if got, want := satd8x8RawAvg(a, 3, 40, b, 5, q, 5, 37), 2*slowSATD(a[3:], 40, avg[5:], 37, 8, 8); got != want {
			t.Fatalf("satd8x8RawAvg = %d, want %d", got, want)
		}
	}
	// A flat residual d: SATD is half the SAD.
	for i := range a {
		a[i], b[i] = 100, 93
	}
	if got := satd16x16(a, 0, 40, b, 0, 40); got != 16*16*7/2 {
		t.Fatalf("flat residual SATD = %d, want %d", got, 16*16*7/2)
	}
}

// slowExpGolombLen writes the ue(v) code of 9.1 as a string of bits and
// returns its length: leadingZeroBits zeros, a one, then the info bits.
func slowExpGolombLen(codeNum uint64) int {
	lz := 0
	for (uint64(1)<<(lz+1))-1 <= codeNum {
		lz++
	}
	return lz + 1 + lz
}

func TestBitsUEAndSE(t *testing.T) {
	for v := uint64(0); v < 5000; v++ {
		if got, want := bitsUE(uint32(v)), slowExpGolombLen(v); got != want {
			t.Fatalf("bitsUE(%d) = %d, want %d", v, got, want)
		}
	}
	if got := bitsUE(math.MaxUint32); got != 65 {
		t.Fatalf("bitsUE(MaxUint32) = %d, want 65", got)
	}
	for v := int64(-5000); v < 5000; v++ {
		// Table 9-3: se(v) code numbers 0, 1, -1, 2, -2, ... -> 0, 1, 2, 3, 4.
		k := uint64(2*v - 1)
		if v <= 0 {
			k = uint64(-2 * v)
		}
		if got, want := bitsSE(int32(v)), slowExpGolombLen(k); got != want {
			t.Fatalf("bitsSE(%d) = %d, want %d", v, got, want)
		}
	}
	for _, v := range []int32{math.MaxInt32, math.MinInt32} {
		k := uint64(2*int64(v) - 1)
		if v <= 0 {
			k = uint64(-2 * int64(v))
		}
		if got, want := bitsSE(v), slowExpGolombLen(k); got != want {
			t.Fatalf("bitsSE(%d) = %d, want %d", v, got, want)
		}
	}
	if got := mvBits(MV{5, -3}, MV{1, 1}); got != bitsSE(4)+bitsSE(-4) {
		t.Fatalf("mvBits = %d", got)
	}
	if got := mvCost(7, MV{0, 0}, MV{0, 0}); got != 14 {
		t.Fatalf("mvCost of a zero mvd = %d, want 14 (2 one-bit codes)", got)
	}
}

func TestLambdaTables(t *testing.T) {
	for qp := 0; qp <= costMaxQP; qp++ {
		l := 0.85 * math.Pow(2, float64(qp-12)/3)
		if got, want := lambdaModeTab[qp], int32(math.Round(l)); got != want {
			t.Errorf("lambdaModeTab[%d] = %d, want %d", qp, got, want)
		}
		want := int32(max(1, math.Round(math.Sqrt(l))))
		if got := lambdaMotionTab[qp]; got != want {
			t.Errorf("lambdaMotionTab[%d] = %d, want %d", qp, got, want)
		}
		if qp > 0 && (lambdaModeTab[qp] < lambdaModeTab[qp-1] || lambdaMotionTab[qp] < lambdaMotionTab[qp-1]) {
			t.Errorf("lambda tables not monotonic at qp %d", qp)
		}
	}
	if lambdaMode(-3) != int(lambdaModeTab[0]) || lambdaMotion(99) != int(lambdaMotionTab[51]) {
		t.Error("lambda accessors do not clamp qp")
	}
}

func BenchmarkSATD16x16(b *testing.B) {
	rng := rand.New(rand.NewSource(11))
	x := make([]uint8, 64*64)
	y := make([]uint8, 64*64)
	for i := range x {
		x[i], y[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256))
	}
	b.SetBytes(256)
	s := 0
	for i := 0; i < b.N; i++ {
		s += satd16x16(x, i&15, 64, y, 3, 64)
	}
	_ = s
}

func BenchmarkSAD16x16(b *testing.B) {
	rng := rand.New(rand.NewSource(12))
	x := make([]uint8, 64*64)
	y := make([]uint8, 64*64)
	for i := range x {
		x[i], y[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256))
	}
	b.SetBytes(256)
	s := 0
	for i := 0; i < b.N; i++ {
		s += sad16x16(x, i&15, 64, y, 3, 64)
	}
	_ = s
}

func BenchmarkSATD8x8Avg(b *testing.B) {
	rng := rand.New(rand.NewSource(13))
	x := make([]uint8, 64*64)
	p := make([]uint8, 64*64)
	q := make([]uint8, 64*64)
	for i := range x {
		x[i], p[i], q[i] = uint8(rng.Intn(256)), uint8(rng.Intn(256)), uint8(rng.Intn(256))
	}
	b.SetBytes(64)
	s := 0
	for i := 0; i < b.N; i++ {
		s += satd8x8RawAvg(x, i&15, 64, p, 3, q, 5, 64)
	}
	_ = s
}
