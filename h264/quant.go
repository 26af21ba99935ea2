// Quantisation and scaling (ITU-T H.264 clauses 8.5.9 and 8.5.12.1, flat
// scaling matrices): the encoder's forward quantiser with dead-zone rounding
// (offset 1/3 for intra, 1/6 for inter blocks) and the normative scaling
// (dequantisation) of 4x4 blocks, Intra16x16 luma DC and 4:2:0 chroma DC.

package h264

// dequantCoef is normAdjust4x4 (8.5.9, equation 8-315): v[qP%6][class] with
// class 0 for positions (even, even), 1 for (odd, odd), 2 otherwise. With
// flat weight 16, LevelScale4x4 = 16·v.
var dequantCoef = [6][3]int32{
	{10, 16, 13}, {11, 18, 14}, {13, 20, 16}, {14, 23, 18}, {16, 25, 20}, {18, 29, 23},
}

// quantCoef is the encoder's multiplier MF = round(2^15 / (v·scale)) for
// the same classes: quantCoef[m][c]·dequantCoef[m][c]·(transform norm) ≈ 2^21.
var quantCoef = [6][3]int32{
	{13107, 5243, 8066}, {11916, 4660, 7490}, {10082, 4194, 6554},
	{9362, 3647, 5825}, {8192, 3355, 5243}, {7282, 2893, 4559},
}

// posClass is the class of each raster position of a 4x4 block.
var posClass = [16]uint8{0, 2, 0, 2, 2, 1, 2, 1, 0, 2, 0, 2, 2, 1, 2, 1}

// chromaQPTable maps qPI 30..51 to QPc (Table 8-15); below 30 QPc = qPI.
var chromaQPTable = [22]uint8{29, 30, 31, 32, 32, 33, 34, 34, 35, 35, 36, 36, 37, 37, 37, 38, 38, 38, 39, 39, 39, 39}

// chromaQP returns QPc for luma QP qp (chroma_qp_index_offset 0).
func chromaQP(qp int) int {
	qpi := qp + chromaQPIndexOffset
	if qpi < 0 {
		qpi = 0
	} else if qpi > 51 {
		qpi = 51
	}
	if qpi < 30 {
		return qpi
	}
	return int(chromaQPTable[qpi-30])
}

// maxLevel bounds every coded level so that CAVLC never needs a
// level_prefix above 15, which Baseline forbids (9.2.2.1): with
// suffixLength 0 the longest code covers levelCode 4125, |level| 2063.
const maxLevel = 2063

func clampLevel(v int32) int32 {
	if v > maxLevel {
		return maxLevel
	}
	if v < -maxLevel {
		return -maxLevel
	}
	return v
}

// The quantiser's rounding offsets, in 1/64 of a step: a level is
// ⌊|c|/step + offset⌋, so an offset below 1/2 widens the dead zone around
// zero. JM and x264 (without trellis) use about 21/64 for intra and 11/64
// for inter blocks; on gpuenc's sweeps (DESIGN.md, "Stage 3") these larger
// offsets code the same quality in 5–15 % fewer bits.
//
// Inter blocks round their three highest frequencies (u+v ≥ 5 in the 4x4
// block: (2,3), (3,2), (3,3)) with the smaller roundInterHF64: isolated
// high-frequency ±1 levels cost many bits for little.
const (
	roundIntra64   = 30
	roundInter64   = 24
	roundInterHF64 = 20
)

// roundingOffset returns the rounding offset for a quantiser with qbits
// fractional bits: exactly roundIntra64 or roundInter64 << qbits >> 6
// (qbits ≥ 15).
func roundingOffset(qbits uint, intra bool) int64 {
	if intra {
		return roundIntra64 << qbits >> 6
	}
	return roundInter64 << qbits >> 6
}

// quantZeroSAD returns the largest SAD of a 4x4 residual block for which
// fdct4x4 then quant4x4 at qp (intra selecting the rounding offset) are
// sure to give only zero levels, or -1 if even a zero residual is not. A
// coefficient of the forward transform weighs each residual sample by at
// most 1·1 at positions of class 0, 2·2 at class 1 and 1·2 at class 2, so
// |c| ≤ weight·SAD, and its level is zero when |c|·MF + f < 2^qbits.
func quantZeroSAD(qp int, intra bool) int {
	m, qbits := qp%6, uint(15+qp/6)
	f := roundingOffset(qbits, intra)
	mf := &quantCoef[m]
	k := max(int64(mf[0]), 4*int64(mf[1]), 2*int64(mf[2]))
	return int((int64(1)<<qbits - f - 1) / k) // ≥ 0: f < 2^qbits
}

// quant4x4 quantises transform coefficients c (raster order) into levels
// (raster order) and returns the number of non-zero levels. start is 1 for
// blocks whose DC is coded separately (its level is left 0). intra selects
// the rounding offset.
func quant4x4(c *[16]int32, lv *[16]int32, qp int, intra bool, start int) int {
	m, qbits := qp%6, uint(15+qp/6)
	f := int32(roundingOffset(qbits, intra))
	fHF := f
	if !intra {
		fHF = int32(roundInterHF64 << qbits >> 6)
	}
	nz := 0
	if start == 1 {
		lv[0] = 0
	}
	for i := start; i < 16; i++ {
		x := c[i]
		mf := quantCoef[m][posClass[i]]
		fi := f
		if i&3+i>>2 >= 5 {
			fi = fHF
		}
		var l int32
		if x >= 0 {
			l = int32((int64(x)*int64(mf) + int64(fi)) >> qbits)
		} else {
			l = -int32((int64(-x)*int64(mf) + int64(fi)) >> qbits)
		}
		l = clampLevel(l)
		lv[i] = l
		if l != 0 {
			nz++
		}
	}
	return nz
}

// dequant4x4 scales levels (raster order) into transform coefficients
// (8.5.12.1, flat matrices): d = (c·LevelScale4x4) << (qP/6) >> 4, which for
// flat weights is c·v << (qP/6) exactly. With start 1 the DC is left to the
// caller.
func dequant4x4(lv *[16]int32, d *[16]int32, qp int, start int) {
	m, sh := qp%6, uint(qp/6)
	for i := start; i < 16; i++ {
		d[i] = lv[i] * dequantCoef[m][posClass[i]] << sh
	}
}

// quantDC quantises DC coefficients (after the encoder's Hadamard) with
// qbits+1, the precision the DC scaling of 8.5.10 and 8.5.11.2 expects.
func quantDC(c []int32, lv []int32, qp int, intra bool) int {
	m, qbits := qp%6, uint(16+qp/6)
	f := int32(roundingOffset(qbits, intra))
	mf := int64(quantCoef[m][0])
	nz := 0
	for i, x := range c {
		var l int32
		if x >= 0 {
			l = int32((int64(x)*mf + int64(f)) >> qbits)
		} else {
			l = -int32((int64(-x)*mf + int64(f)) >> qbits)
		}
		l = clampLevel(l)
		lv[i] = l
		if l != 0 {
			nz++
		}
	}
	return nz
}

// dequantLumaDC scales the Hadamard-transformed Intra16x16 DC values f in
// place (8.5.10): with LevelScale4x4(qP%6,0,0) = 16·v0,
// dcY = (f·LS) << (qP/6) >> 6 for qP >= 36, else (f·LS + 2^(5-qP/6)) >> (6-qP/6).
func dequantLumaDC(f *[16]int32, qp int) {
	ls := 16 * dequantCoef[qp%6][0]
	if qp >= 36 {
		sh := uint(qp/6 - 6)
		for i := range f {
			f[i] = f[i] * ls << sh
		}
		return
	}
	sh := uint(6 - qp/6)
	r := int32(1) << (sh - 1)
	for i := range f {
		f[i] = (f[i]*ls + r) >> sh
	}
}

// dequantChromaDC scales the transformed 4:2:0 chroma DC values in place
// (8.5.11.2): dcC = ((f·LevelScale4x4(qPc%6,0,0)) << (qPc/6)) >> 5.
func dequantChromaDC(f *[4]int32, qpc int) {
	ls := 16 * dequantCoef[qpc%6][0]
	sh := uint(qpc / 6)
	for i := range f {
		f[i] = (f[i] * ls << sh) >> 5
	}
}
