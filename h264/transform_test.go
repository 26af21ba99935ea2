package h264

import (
	"math/rand"
	"testing"
)

// Slow references: matrix products written out from the spec's equations.

var cf = [4][4]int32{{1, 1, 1, 1}, {2, 1, -1, -2}, {1, -1, -1, 1}, {1, -2, 2, -1}}

func refFDCT(x [16]int32) [16]int32 {
	var t, y [16]int32
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			for k := 0; k < 4; k++ {
				t[i*4+j] += cf[i][k] * x[k*4+j]
			}
		}
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			for k := 0; k < 4; k++ {
				y[i*4+j] += t[i*4+k] * cf[j][k]
			}
		}
	}
	return y
}

// refIDCT follows 8.5.12.2 literally, equations 8-338 to 8-354.
func refIDCT(d [16]int32) [16]int32 {
	var f, h, r [16]int32
	for i := 0; i < 4; i++ {
		e0 := d[i*4+0] + d[i*4+2]
		e1 := d[i*4+0] - d[i*4+2]
		e2 := (d[i*4+1] >> 1) - d[i*4+3]
		e3 := d[i*4+1] + (d[i*4+3] >> 1)
		f[i*4+0], f[i*4+1], f[i*4+2], f[i*4+3] = e0+e3, e1+e2, e1-e2, e0-e3
	}
	for j := 0; j < 4; j++ {
		g0 := f[0*4+j] + f[2*4+j]
		g1 := f[0*4+j] - f[2*4+j]
		g2 := (f[1*4+j] >> 1) - f[3*4+j]
		g3 := f[1*4+j] + (f[3*4+j] >> 1)
		h[0*4+j], h[1*4+j], h[2*4+j], h[3*4+j] = g0+g3, g1+g2, g1-g2, g0-g3
	}
	for i := range r {
		r[i] = (h[i] + 32) >> 6
	}
	return r
}

var hadA = [4][4]int32{{1, 1, 1, 1}, {1, 1, -1, -1}, {1, -1, -1, 1}, {1, -1, 1, -1}}

func refHadamard(c [16]int32) [16]int32 {
	var t, f [16]int32
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			for k := 0; k < 4; k++ {
				t[i*4+j] += hadA[i][k] * c[k*4+j]
			}
		}
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			for k := 0; k < 4; k++ {
				f[i*4+j] += t[i*4+k] * hadA[k][j]
			}
		}
	}
	return f
}

func testBlocks(r *rand.Rand, lim int32) [][16]int32 {
	var bs [][16]int32
	for i := 0; i < 16; i++ { // impulses
		var b [16]int32
		b[i] = lim
		bs = append(bs, b)
		b[i] = -lim
		bs = append(bs, b)
	}
	var c [16]int32
	for i := range c {
		c[i] = lim
	}
	bs = append(bs, c)
	for n := 0; n < 2000; n++ {
		var b [16]int32
		for i := range b {
			b[i] = r.Int31n(2*lim+1) - lim
		}
		bs = append(bs, b)
	}
	return bs
}

func TestTransformsMatchReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for _, b := range testBlocks(r, 255) {
		got := b
		fdct4x4(&got)
		if want := refFDCT(b); got != want {
			t.Fatalf("fdct4x4(%v) = %v, want %v", b, got, want)
		}
		got = b
		hadamard4x4(&got)
		if want := refHadamard(b); got != want {
			t.Fatalf("hadamard4x4(%v) = %v, want %v", b, got, want)
		}
	}
	for _, b := range testBlocks(r, 1<<14) {
		got := b
		idct4x4(&got)
		if want := refIDCT(b); got != want {
			t.Fatalf("idct4x4(%v) = %v, want %v", b, got, want)
		}
	}
	for n := 0; n < 1000; n++ {
		c := [4]int32{r.Int31n(2001) - 1000, r.Int31n(2001) - 1000, r.Int31n(2001) - 1000, r.Int31n(2001) - 1000}
		got := c
		hadamard2x2(&got)
		want := [4]int32{c[0] + c[1] + c[2] + c[3], c[0] - c[1] + c[2] - c[3], c[0] + c[1] - c[2] - c[3], c[0] - c[1] - c[2] + c[3]}
		if got != want {
			t.Fatalf("hadamard2x2(%v) = %v, want %v", c, got, want)
		}
	}
}

// TestQuantRoundTrip checks that quantisation then normative scaling and
// inverse transform reproduces a residual within the quantiser's step, and
// that dequantisation follows 8.5.12.1 with LevelScale4x4 = 16·v.
func TestQuantRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for qp := 0; qp <= 51; qp++ {
		for n := 0; n < 200; n++ {
			var lv, d [16]int32
			for i := range lv {
				lv[i] = r.Int31n(41) - 20
			}
			dequant4x4(&lv, &d, qp, 0)
			for i := range lv {
				ls := 16 * dequantCoef[qp%6][posClass[i]]
				var want int32
				if qp >= 24 {
					want = (lv[i] * ls) << (qp/6 - 4)
				} else {
					want = (lv[i]*ls + 1<<(3-qp/6)) >> (4 - qp/6)
				}
				if d[i] != want {
					t.Fatalf("qp %d: dequant(%d) at %d = %d, want %d", qp, lv[i], i, d[i], want)
				}
			}
		}
		// Round trip of a smooth residual block.
		var res [16]int32
		for i := range res {
			res[i] = r.Int31n(101) - 50
		}
		c := res
		fdct4x4(&c)
		var lv, d [16]int32
		quant4x4(&c, &lv, qp, true, 0)
		dequant4x4(&lv, &d, qp, 0)
		idct4x4(&d)
		step := int32(qstep(float64(qp))) + 2
		for i := range res {
			if abs32(d[i]-res[i]) > 4*step {
				t.Fatalf("qp %d: residual %v came back as %v", qp, res, d)
			}
		}
	}
}

// TestChromaQP checks Table 8-15 end points.
func TestChromaQP(t *testing.T) {
	for qp := 0; qp < 30; qp++ {
		if chromaQP(qp) != qp {
			t.Fatalf("QPc(%d) = %d", qp, chromaQP(qp))
		}
	}
	if chromaQP(51) != 39 || chromaQP(30) != 29 || chromaQP(40) != 36 {
		t.Fatal("Table 8-15 values")
	}
}

// TestQuant4x4MatchesFormula compares quant4x4 with the formula written
// out plainly: level = sign(c)·min(maxLevel, (|c|·MF + f) >> qbits), f =
// 2^qbits·30/64 (intra) or ·24/64 (inter; ·20/64 at the three positions
// with u+v ≥ 5), the DC left 0 when start is 1.
func TestQuant4x4MatchesFormula(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for trial := 0; trial < 3000; trial++ {
		qp := r.Intn(52)
		intra := trial%2 == 0
		start := (trial / 2) % 2
		var c, lv [16]int32
		for i := range c {
			switch r.Intn(3) {
			case 0:
				c[i] = r.Int31n(201) - 100
			case 1:
				c[i] = r.Int31n(2*65280+1) - 65280 // the transform's full range
			}
		}
		nz := quant4x4(&c, &lv, qp, intra, start)
		qbits := int64(15 + qp/6)
		f := (int64(1) << qbits) * 24 / 64
		if intra {
			f = (int64(1) << qbits) * 30 / 64
		}
		wantNZ := 0
		for i := range c {
			var want int64
			if i >= start {
				a := int64(c[i])
				if a < 0 {
					a = -a
				}
				fi := f
				if !intra && i%4+i/4 >= 5 {
					fi = (int64(1) << qbits) * 20 / 64
				}
				want = min((a*int64(quantCoef[qp%6][posClass[i]])+fi)>>qbits, maxLevel)
				if c[i] < 0 {
					want = -want
				}
			}
			if int64(lv[i]) != want {
				t.Fatalf("qp %d intra %v: quant(%d) at %d = %d, want %d", qp, intra, c[i], i, lv[i], want)
			}
			if want != 0 {
				wantNZ++
			}
		}
		if nz != wantNZ {
			t.Fatalf("qp %d: %d non-zero levels reported, want %d", qp, nz, wantNZ)
		}
	}
}

func BenchmarkQuant4x4(b *testing.B) {
	r := rand.New(rand.NewSource(6))
	var blocks [64][16]int32
	for k := range blocks {
		for i := range blocks[k] {
			blocks[k][i] = r.Int31n(801) - 400
		}
	}
	var lv [16]int32
	n := 0
	for i := 0; i < b.N; i++ {
		n += quant4x4(&blocks[i&63], &lv, 26, i&1 == 0, 0)
	}
	_ = n
}

// TestQuantZeroSAD: blocks within the bound quantise to zero levels (the
// worst cases: all of the SAD on one sample, spread over a whole
// class-1 basis pattern, or random), and the bound is not trivially small.
func TestQuantZeroSAD(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for qp := 0; qp < 52; qp++ {
		for _, intra := range []bool{false, true} {
			z := quantZeroSAD(qp, intra)
			if qp >= 30 && z < 16 {
				t.Errorf("qp %d: bound %d is useless", qp, z)
			}
			for trial := 0; trial < 300; trial++ {
				var res [16]int32
				left := z
				switch trial % 3 {
				case 0: // the whole SAD on one sample
					res[r.Intn(16)] = int32(z) * (1 - 2*int32(r.Intn(2)))
				case 1: // the sign pattern of the (1,1) coefficient
					for i := range res {
						if left == 0 {
							break
						}
						v := min(left, 1+r.Intn(3))
						left -= v
						row, col := i/4, i%4
						sg := int32(1)
						if (row == 1 || row == 2) != (col == 1 || col == 2) {
							sg = -1
						}
						res[i] = sg * int32(v)
					}
				default:
					for left > 0 {
						v := min(left, 1+r.Intn(4))
						left -= v
						res[r.Intn(16)] += int32(v) * (1 - 2*int32(r.Intn(2)))
					}
				}
				sad := 0
				for _, v := range res {
					sad += int(abs32(v))
				}
				if sad > z {
					t.Fatalf("test built SAD %d over the bound %d", sad, z)
				}
				c := res
				fdct4x4(&c)
				var lv [16]int32
				if n := quant4x4(&c, &lv, qp, intra, 0); n != 0 {
					t.Fatalf("qp %d intra %v: residual %v (SAD %d ≤ %d) gave %d non-zero levels", qp, intra, res, sad, z, n)
				}
			}
		}
	}
}
