// Adaptive quantisation: a per-macroblock QP offset from the source's
// local activity (the scheme of x264's --aq-mode 1), coded with
// mb_qp_delta (7.3.5, 7.4.5: QP_Y = (QP_Y,PRED + mb_qp_delta + 52) % 52).
// Flat areas, where quantisation noise shows, get a lower QP; busy ones a
// higher QP. Everything is integer so that a CUDA port reproduces it.

package h264

// aqEnergy is the AC energy of macroblock (x, y) of the source: for the
// 16x16 luma block and both 8x8 chroma blocks, Σv² − (Σv)²/n.
func (e *Encoder) aqEnergy(x, y int) uint64 {
	var total uint64
	for i, P := range [3]*Plane{&e.src.Y, &e.src.Cb, &e.src.Cr} {
		n, shift := 16, uint(8)
		if i > 0 {
			n, shift = 8, 6
		}
		var sum, sq uint64
		base := y*n*P.Stride + x*n
		for r := 0; r < n; r++ {
			row := P.Pix[base+r*P.Stride : base+r*P.Stride+n]
			for _, v := range row {
				sum += uint64(v)
				sq += uint64(v) * uint64(v)
			}
		}
		total += sq - (sum*sum)>>shift
	}
	return total
}

// log2Q8 returns log2(v) in 1/256 units (v >= 1), exact to the table's
// precision: the integer part from the bit length, the fraction from the
// top 8 bits below the leading one.
func log2Q8(v uint64) int {
	if v == 0 {
		return 0
	}
	n := bitLength64(v) - 1
	var m uint64
	if n >= 8 {
		m = v >> uint(n-8)
	} else {
		m = v << uint(8-n)
	}
	return n*256 + int(log2FracQ8[m&255])
}

// log2FracQ8[i] = round(256·log2(1 + i/256)) (aq_test.go recomputes it).
var log2FracQ8 = [256]uint8{
	0, 1, 3, 4, 6, 7, 9, 10, 11, 13, 14, 16, 17, 18, 20, 21,
	22, 24, 25, 26, 28, 29, 30, 32, 33, 34, 36, 37, 38, 40, 41, 42,
	44, 45, 46, 47, 49, 50, 51, 52, 54, 55, 56, 57, 59, 60, 61, 62,
	63, 65, 66, 67, 68, 69, 71, 72, 73, 74, 75, 77, 78, 79, 80, 81,
	82, 84, 85, 86, 87, 88, 89, 90, 92, 93, 94, 95, 96, 97, 98, 99,
	100, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 116, 117,
	118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133,
	134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149,
	150, 151, 152, 153, 154, 155, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164,
	165, 166, 167, 168, 169, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 178,
	179, 180, 181, 182, 183, 184, 185, 185, 186, 187, 188, 189, 190, 191, 192, 192,
	193, 194, 195, 196, 197, 198, 198, 199, 200, 201, 202, 203, 203, 204, 205, 206,
	207, 208, 208, 209, 210, 211, 212, 212, 213, 214, 215, 216, 216, 217, 218, 219,
	220, 220, 221, 222, 223, 224, 224, 225, 226, 227, 228, 228, 229, 230, 231, 231,
	232, 233, 234, 234, 235, 236, 237, 238, 238, 239, 240, 241, 241, 242, 243, 244,
	244, 245, 246, 247, 247, 248, 249, 249, 250, 251, 252, 252, 253, 254, 255, 255,
}

// aqOffset returns the QP offset of macroblock (x, y) for strength s (in
// 1/16 units, 16 = x264's default 1.0): s·(log2(energy) − 14.427),
// rounded to the nearest integer, within ±12.
func (e *Encoder) aqOffset(x, y, s int) int {
	const centreQ8 = 3693                            // 14.427·256
	d := s * (log2Q8(e.aqEnergy(x, y)+1) - centreQ8) // 1/4096 units
	var off int
	if d >= 0 {
		off = (d + 2048) >> 12
	} else {
		off = -((-d + 2048) >> 12)
	}
	return max(-12, min(12, off))
}

// assignQPDeltas is the sequential pass (stage 3b) that turns the
// macroblocks' chosen QPs into mb_qp_delta values: a macroblock that codes
// no mb_qp_delta (P_Skip, or no residual outside Intra16x16) takes the QP
// of the one before it in decoding order (QP_Y,PRED, 7.4.5), which is also
// what deblocking uses.
func (e *Encoder) assignQPDeltas(sliceQP int) {
	prev := sliceQP
	for i := range e.mbs {
		mb := &e.mbs[i]
		if mb.typ == mbPSkip || mb.typ != mbI16x16 && mb.cbp == 0 {
			mb.qp = uint8(prev)
			mb.qpDelta = 0
			continue
		}
		d := int(mb.qp) - prev
		if d > 25 {
			d -= 52
		} else if d < -26 {
			d += 52
		}
		mb.qpDelta = int8(d)
		prev = int(mb.qp)
	}
}
