// Integer costs shared by the encoder's decisions: block distortions (SAD,
// SATD), Exp-Golomb code lengths (ITU-T H.264 clause 9.1, ue(v) and se(v)
// of 9.1.1) and the Lagrange multipliers of rate-distortion decisions.
//
// Everything here is integer and free of state, so a CUDA kernel computes
// the same numbers bit for bit.
//
// SATD normalisation: the 4×4 difference block D is transformed with the
// unnormalised Hadamard matrix on both sides (H·D·Hᵀ, entries ±1), the
// absolute values of the 16 coefficients are summed, and the sum is halved
// (floor). For larger blocks the raw sums of all 4×4 sub-blocks are added
// first and halved once at the end, so satdBlock(16,16) = (Σ raw) >> 1.
// x264 halves each 4×4 (and for bigger blocks each 8×4) partial sum, so its
// numbers can be smaller than these by a few units. On a flat residual (a
// constant difference d) only the DC coefficient 16·d is non-zero, so a 4×4
// block's SATD is 8·|d|: half its SAD, the same scale as x264's.

package h264

import (
	"math"
	"math/bits"
)

// costSAD returns the sum of absolute differences of the w×h blocks whose
// top-left samples are a[ai] and b[bi], with row strides as and bs.
func costSAD(a []uint8, ai, as int, b []uint8, bi, bs int, w, h int) int {
	sum := 0
	for r := 0; r < h; r++ {
		ra := a[ai+r*as : ai+r*as+w]
		rb := b[bi+r*bs : bi+r*bs+w]
		rb = rb[:len(ra)]
		for i, v := range ra {
			sum += costAbs(int(v) - int(rb[i]))
		}
	}
	return sum
}

// sad16x16 is costSAD for a 16×16 block.
func sad16x16(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	sum := 0
	for r := 0; r < 16; r++ {
		ra := (*[16]uint8)(a[ai+r*as : ai+r*as+16])
		rb := (*[16]uint8)(b[bi+r*bs : bi+r*bs+16])
		for i := range ra {
			sum += costAbs(int(ra[i]) - int(rb[i]))
		}
	}
	return sum
}

// sad16x4 is costSAD for a 16×4 block (a quarter of a macroblock).
func sad16x4(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	sum := 0
	for r := 0; r < 4; r++ {
		ra := (*[16]uint8)(a[ai+r*as : ai+r*as+16])
		rb := (*[16]uint8)(b[bi+r*bs : bi+r*bs+16])
		for i := range ra {
			sum += costAbs(int(ra[i]) - int(rb[i]))
		}
	}
	return sum
}

// sad8x8 is costSAD for an 8×8 block.
func sad8x8(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	return sad8x8Within(a, ai, as, b, bi, bs, math.MaxInt)
}

// sad8x8Within is sad8x8 where only a SAD of at most limit matters: it
// returns the SAD when that is at most limit, else some value above limit
// (it stops after the first row that passes it).
func sad8x8Within(a []uint8, ai, as int, b []uint8, bi, bs int, limit int) int {
	sum := 0
	for r := 0; r < 8 && sum <= limit; r++ {
		ra := (*[8]uint8)(a[ai+r*as : ai+r*as+8])
		rb := (*[8]uint8)(b[bi+r*bs : bi+r*bs+8])
		sum += costAbs(int(ra[0])-int(rb[0])) + costAbs(int(ra[1])-int(rb[1])) +
			costAbs(int(ra[2])-int(rb[2])) + costAbs(int(ra[3])-int(rb[3])) +
			costAbs(int(ra[4])-int(rb[4])) + costAbs(int(ra[5])-int(rb[5])) +
			costAbs(int(ra[6])-int(rb[6])) + costAbs(int(ra[7])-int(rb[7]))
	}
	return sum
}

// sad4x4 is costSAD for a 4×4 block.
func sad4x4(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	sum := 0
	for r := 0; r < 4; r++ {
		ra := (*[4]uint8)(a[ai+r*as : ai+r*as+4])
		rb := (*[4]uint8)(b[bi+r*bs : bi+r*bs+4])
		sum += costAbs(int(ra[0])-int(rb[0])) + costAbs(int(ra[1])-int(rb[1])) +
			costAbs(int(ra[2])-int(rb[2])) + costAbs(int(ra[3])-int(rb[3]))
	}
	return sum
}

// satd4x4Raw returns Σ|H·D·Hᵀ| (not halved) for the 4×4 difference block
// D = A − B, H being the 4×4 Hadamard matrix.
//
// The last butterfly of the vertical transform is not computed: its two
// outputs a+b and a−b contribute |a+b| + |a−b| = 2·max(|a|, |b|), an
// identity of integers, so the sum is exact with half the absolute values.
func satd4x4Raw(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	var t [16]int
	// Horizontal transform of each row of differences.
	for r := 0; r < 4; r++ {
		ra := (*[4]uint8)(a[ai+r*as : ai+r*as+4])
		rb := (*[4]uint8)(b[bi+r*bs : bi+r*bs+4])
		d0 := int(ra[0]) - int(rb[0])
		d1 := int(ra[1]) - int(rb[1])
		d2 := int(ra[2]) - int(rb[2])
		d3 := int(ra[3]) - int(rb[3])
		hadamardRow4(&t, r, d0, d1, d2, d3)
	}
	return satdColumns4(&t)
}

// hadamardRow4 stores the 4-point Hadamard transform of d0..d3 (first
// butterflies s01, m01, s23, m23, then their sums and differences) in row r
// of t.
func hadamardRow4(t *[16]int, r, d0, d1, d2, d3 int) {
	s01, m01 := d0+d1, d0-d1
	s23, m23 := d2+d3, d2-d3
	row := (*[4]int)(t[4*(r&3):])
	row[0] = s01 + s23
	row[1] = s01 - s23
	row[2] = m01 - m23
	row[3] = m01 + m23
}

// satdColumns4 transforms the columns of the row-transformed block t and
// returns the raw sum of absolute coefficients, the last butterfly folded
// into 2·max(|a|, |b|).
func satdColumns4(t *[16]int) int {
	sum := 0
	for c := 0; c < 4; c++ {
		s01, m01 := t[c]+t[4+c], t[c]-t[4+c]
		s23, m23 := t[8+c]+t[12+c], t[8+c]-t[12+c]
		sum += max(costAbs(s01), costAbs(s23)) + max(costAbs(m01), costAbs(m23))
	}
	return sum << 1
}

// satd4x4RawAvg is satd4x4Raw of A against the prediction
// B = (P + Q + 1) >> 1 (a quarter-sample average, 8-250..8-261), computed
// on the fly; P and Q share the stride ps.
func satd4x4RawAvg(a []uint8, ai, as int, p []uint8, pi int, q []uint8, qi, ps int) int {
	var t [16]int
	for r := 0; r < 4; r++ {
		ra := (*[4]uint8)(a[ai+r*as : ai+r*as+4])
		rp := (*[4]uint8)(p[pi+r*ps : pi+r*ps+4])
		rq := (*[4]uint8)(q[qi+r*ps : qi+r*ps+4])
		d0 := int(ra[0]) - (int(rp[0])+int(rq[0])+1)>>1
		d1 := int(ra[1]) - (int(rp[1])+int(rq[1])+1)>>1
		d2 := int(ra[2]) - (int(rp[2])+int(rq[2])+1)>>1
		d3 := int(ra[3]) - (int(rp[3])+int(rq[3])+1)>>1
		hadamardRow4(&t, r, d0, d1, d2, d3)
	}
	return satdColumns4(&t)
}

// satd8x8Raw is satdBlockRaw for an 8×8 block: the raw sums of its four
// 4×4 blocks, each pair side by side transformed from 8-sample rows (the row transform is
// hadamardRow4's, written out for both halves).
func satd8x8Raw(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	sum := 0
	for half := 0; half < 2; half++ {
		var t [32]int // 4 rows of two row-transformed 4×4 blocks
		for y := 0; y < 4; y++ {
			ra := (*[8]uint8)(a[ai : ai+8])
			rb := (*[8]uint8)(b[bi : bi+8])
			ai += as
			bi += bs
			d0, d1, d2, d3 := int(ra[0])-int(rb[0]), int(ra[1])-int(rb[1]), int(ra[2])-int(rb[2]), int(ra[3])-int(rb[3])
			d4, d5, d6, d7 := int(ra[4])-int(rb[4]), int(ra[5])-int(rb[5]), int(ra[6])-int(rb[6]), int(ra[7])-int(rb[7])
			// hadamardRow4 of both halves, written out (too big to inline).
			row := (*[8]int)(t[8*y:])
			s01, m01, s23, m23 := d0+d1, d0-d1, d2+d3, d2-d3
			s45, m45, s67, m67 := d4+d5, d4-d5, d6+d7, d6-d7
			row[0], row[1], row[2], row[3] = s01+s23, s01-s23, m01-m23, m01+m23
			row[4], row[5], row[6], row[7] = s45+s67, s45-s67, m45-m67, m45+m67
		}
		sum += satdColumns8(&t)
	}
	return sum
}

// satd8x8RawAvg is satd8x8Raw of A against B = (P + Q + 1) >> 1, as
// satd4x4RawAvg.
func satd8x8RawAvg(a []uint8, ai, as int, p []uint8, pi int, q []uint8, qi, ps int) int {
	sum := 0
	for half := 0; half < 2; half++ {
		var t [32]int
		for y := 0; y < 4; y++ {
			ra := (*[8]uint8)(a[ai : ai+8])
			rp := (*[8]uint8)(p[pi : pi+8])
			rq := (*[8]uint8)(q[qi : qi+8])
			ai += as
			pi += ps
			qi += ps
			d0 := int(ra[0]) - (int(rp[0])+int(rq[0])+1)>>1
			d1 := int(ra[1]) - (int(rp[1])+int(rq[1])+1)>>1
			d2 := int(ra[2]) - (int(rp[2])+int(rq[2])+1)>>1
			d3 := int(ra[3]) - (int(rp[3])+int(rq[3])+1)>>1
			d4 := int(ra[4]) - (int(rp[4])+int(rq[4])+1)>>1
			d5 := int(ra[5]) - (int(rp[5])+int(rq[5])+1)>>1
			d6 := int(ra[6]) - (int(rp[6])+int(rq[6])+1)>>1
			d7 := int(ra[7]) - (int(rp[7])+int(rq[7])+1)>>1
			row := (*[8]int)(t[8*y:])
			s01, m01, s23, m23 := d0+d1, d0-d1, d2+d3, d2-d3
			s45, m45, s67, m67 := d4+d5, d4-d5, d6+d7, d6-d7
			row[0], row[1], row[2], row[3] = s01+s23, s01-s23, m01-m23, m01+m23
			row[4], row[5], row[6], row[7] = s45+s67, s45-s67, m45-m67, m45+m67
		}
		sum += satdColumns8(&t)
	}
	return sum
}

// satdColumns8 is satdColumns4 for the two row-transformed 4×4 blocks
// side by side in t (4 rows of 8): the raw sum of both.
func satdColumns8(t *[32]int) int {
	sum := 0
	for c := 0; c < 8; c++ {
		s01, m01 := t[c]+t[8+c], t[c]-t[8+c]
		s23, m23 := t[16+c]+t[24+c], t[16+c]-t[24+c]
		sum += max(costAbs(s01), costAbs(s23)) + max(costAbs(m01), costAbs(m23))
	}
	return sum << 1
}

// costAbs is |v|, branch-free (residual signs are unpredictable).
func costAbs(v int) int {
	m := v >> 63
	return (v ^ m) - m
}

// satd4x4 is the SATD of a 4×4 block: Σ|H·D·Hᵀ| >> 1.
func satd4x4(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	return satd4x4Raw(a, ai, as, b, bi, bs) >> 1
}

// satdBlock is the SATD of a w×h block, w and h multiples of 4: the raw
// 4×4 Hadamard sums of all sub-blocks, added, then halved once.
func satdBlock(a []uint8, ai, as int, b []uint8, bi, bs int, w, h int) int {
	return satdBlockRaw(a, ai, as, b, bi, bs, w, h) >> 1
}

// satdBlockRaw is the sum of the raw 4×4 Hadamard sums of a w×h block
// (satdBlock before halving); raw sums of disjoint blocks add up.
func satdBlockRaw(a []uint8, ai, as int, b []uint8, bi, bs int, w, h int) int {
	sum := 0
	if w&7 == 0 && h&7 == 0 {
		for r := 0; r < h; r += 8 {
			for c := 0; c < w; c += 8 {
				sum += satd8x8Raw(a, ai+r*as+c, as, b, bi+r*bs+c, bs)
			}
		}
		return sum
	}
	for r := 0; r < h; r += 4 {
		for c := 0; c < w; c += 4 {
			sum += satd4x4Raw(a, ai+r*as+c, as, b, bi+r*bs+c, bs)
		}
	}
	return sum
}

// satd16x16 is satdBlock for a 16×16 block.
func satd16x16(a []uint8, ai, as int, b []uint8, bi, bs int) int {
	return satdBlock(a, ai, as, b, bi, bs, 16, 16)
}

// bitsUE is the length in bits of the ue(v) code of v (9.1): 2·⌊log2(v+1)⌋+1.
func bitsUE(v uint32) int {
	return 2*bits.Len64(uint64(v)+1) - 1
}

// bitsSE is the length in bits of the se(v) code of v: ue(v) of the code
// number of Table 9-3 (2v−1 for v > 0, −2v otherwise).
func bitsSE(v int32) int {
	k := -2 * int64(v)
	if v > 0 {
		k = 2*int64(v) - 1
	}
	return 2*bits.Len64(uint64(k)+1) - 1
}

// costMaxQP is the largest QP of 8-bit H.264 (QPY in 0..51, 7.4.2.2).
const costMaxQP = 51

// lambdaModeTab is the Lagrange multiplier for decisions whose distortion
// is a sum of squared errors: round(0.85 · 2^((QP−12)/3)), the formula of
// the H.264 reference encoder JM and of T. Wiegand, H. Schwarz, A. Joch,
// F. Kossentini, G. J. Sullivan, "Rate-constrained coder control and
// comparison of video coding standards", IEEE TCSVT 13(7), 2003 (λ_MODE),
// indexed by QP 0..51.
var lambdaModeTab = [costMaxQP + 1]int32{
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1,
	1, 1, 2, 2, 3, 3, 4, 5, 7, 9, 11, 14, 17,
	22, 27, 34, 43, 54, 69, 86, 109, 137, 173, 218, 274, 345,
	435, 548, 691, 870, 1097, 1382, 1741, 2193, 2763, 3482, 4387, 5527, 6963,
}

// lambdaMotionTab is the Lagrange multiplier for decisions whose distortion
// is a SAD or SATD (motion search, partition choice by SATD): the square
// root of the real-valued λ_MODE, as in the same reference (λ_MOTION =
// √λ_MODE), rounded, and at least 1 so that vector bits always count.
// Indexed by QP 0..51.
var lambdaMotionTab = [costMaxQP + 1]int32{
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 4, 4,
	5, 5, 6, 7, 7, 8, 9, 10, 12, 13, 15, 17, 19,
	21, 23, 26, 30, 33, 37, 42, 47, 53, 59, 66, 74, 83,
}

// lambdaMode returns lambdaModeTab[qp], qp clamped to 0..51.
func lambdaMode(qp int) int {
	return int(lambdaModeTab[interpClamp(qp, 0, costMaxQP)])
}

// lambdaMotion returns lambdaMotionTab[qp], qp clamped to 0..51.
func lambdaMotion(qp int) int {
	return int(lambdaMotionTab[interpClamp(qp, 0, costMaxQP)])
}

// mvBits is the number of bits of the two se(v) mvd_l0 components coding mv
// against the predictor pred (7.3.5.1, 7.4.5.1).
func mvBits(mv, pred MV) int {
	return bitsSE(int32(mv.X)-int32(pred.X)) + bitsSE(int32(mv.Y)-int32(pred.Y))
}

// mvCost is the rate term of a motion vector: lambda · mvBits(mv, pred),
// with lambda from lambdaMotion.
func mvCost(lambda int, mv, pred MV) int {
	return lambda * mvBits(mv, pred)
}
