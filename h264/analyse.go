// Mode decision. H.264 leaves it to the encoder; this one decides every
// macroblock independently of the others' decisions, from the source
// picture and the motion field, with integer costs SATD + λ·bits (λ from
// lambdaMotion, cost.go), so all macroblocks of a picture can be decided at
// once (see DESIGN.md, stage 1).

package h264

// Approximate mode signalling costs in bits, for decisions only.
const (
	bitsI16Type   = 5  // mb_type of an Intra16x16 macroblock, I slice
	bitsI4Type    = 1  // mb_type I_NxN, I slice
	bitsIntraInP  = 6  // extra mb_type bits for intra in a P slice
	bitsP16x16    = 1  // mb_type P_L0_16x16
	bitsP16x8     = 3  // mb_type P_L0_L0_16x8 / 8x16
	bitsP8x8      = 9  // mb_type P_8x8 and four sub_mb_type
	bitsI4ModeHit = 1  // prev_intra4x4_pred_mode_flag = 1
	bitsI4ModeRem = 4  // flag + rem_intra4x4_pred_mode
	intraPenaltyP = 48 // bias against intra in P pictures (its neighbours lose MV prediction; its cost is measured on source neighbours, an underestimate)
)

// analyse decides the type, prediction modes and motion vectors of
// macroblock (x, y).
func (e *Encoder) analyse(wk *worker, x, y, qp int, pSlice bool) {
	mb := &e.mbs[y*e.mbW+x]
	if e.aqStrength != 0 {
		qp = max(0, min(51, qp+e.aqOffset(x, y, e.aqStrength)))
	}
	if e.treeOff != nil {
		qp = max(0, min(51, qp+int(e.treeOff[y*e.mbW+x])))
	}
	mb.qp = uint8(qp)
	mb.cbp = 0
	lambda := lambdaMotion(qp)
	avail := e.mbAvail(x, y)
	S := &e.src.Y
	base := y*16*S.Stride + x*16

	bestCost := int(^uint(0) >> 1)
	if pSlice {
		m := &e.field.MBs[y*e.mbW+x]
		mb.typ = mbP16x16
		mb.partMV[0] = m.MV16
		bestCost = int(m.Cost16) + lambda*bitsP16x16
		if e.preset.partitions {
			if c := int(m.Cost16x8[0]+m.Cost16x8[1]) + lambda*bitsP16x8; c < bestCost {
				bestCost = c
				mb.typ = mbP16x8
				mb.partMV[0], mb.partMV[1] = m.MV16x8[0], m.MV16x8[1]
			}
			if c := int(m.Cost8x16[0]+m.Cost8x16[1]) + lambda*bitsP16x8; c < bestCost {
				bestCost = c
				mb.typ = mbP8x16
				mb.partMV[0], mb.partMV[1] = m.MV8x16[0], m.MV8x16[1]
			}
			if c := int(m.Cost8x8[0]+m.Cost8x8[1]+m.Cost8x8[2]+m.Cost8x8[3]) + lambda*bitsP8x8; c < bestCost {
				bestCost = c
				mb.typ = mbP8x8
				copy(mb.partMV[:], m.MV8x8[:])
			}
		}
		bestCost -= lambda * (bitsIntraInP + intraPenaltyP) // compare against intra costs below
	}

	// Intra 16x16 on source neighbours. The source's 4x4 Hadamard
	// transforms, computed once, serve the flat modes of Intra_16x16 and
	// Intra_4x4 (satdFlatRaw).
	for r := range wk.srcT {
		wk.srcT[r].load(S.Pix, base+(r>>2)*4*S.Stride+(r&3)*4, S.Stride)
	}
	i16Cost, i16Mode := int(^uint(0)>>1), 0
	for m := 0; m < 4; m++ {
		if !i16ModeAvail(m, avail) {
			continue
		}
		predBlock(wk.pred[:], 16, S.Pix, S.Stride, base, m, avail, false)
		var satd int
		if m == i16Plane {
			satd = satdBlock(S.Pix, base, S.Stride, wk.pred[:], 0, 16, 16, 16)
		} else {
			raw := 0
			for r := range wk.srcT {
				raw += wk.srcT[r].flatRaw(m, wk.pred[(r>>2)*64+(r&3)*4:], 16)
			}
			satd = raw >> 1
		}
		c := satd + lambda*(bitsI16Type+ueBits(uint32(m)))
		if c < i16Cost {
			i16Cost, i16Mode = c, m
		}
	}
	intraCost, intraTyp := i16Cost, uint8(mbI16x16)
	if e.preset.intra4x4 && (!pSlice || i16Cost < bestCost+lambda*64) {
		if c := e.analyseI4(wk, mb, x, y, lambda); c < intraCost {
			intraCost, intraTyp = c, mbI4x4
		}
	}
	if !pSlice || intraCost < bestCost {
		mb.typ = intraTyp
		mb.i16Mode = uint8(i16Mode)
		mb.chromaMode = uint8(e.analyseChroma(wk, x, y, lambda))
	}
	if e.hooks != nil && e.hooks.decide != nil {
		e.hooks.decide(x, y, pSlice, mb, avail)
	}
	mb.setMVs()
}

// analyseI4 chooses the 16 Intra_4x4 modes on source neighbours and returns
// the total cost. The predicted mode of blocks on the macroblock's left or
// top edge is taken as DC (the neighbour's decision is not consulted).
func (e *Encoder) analyseI4(wk *worker, mb *macroblock, x, y, lambda int) int {
	S := &e.src.Y
	base := y*16*S.Stride + x*16
	mbA := e.mbAvail(x, y)
	total := lambda * bitsI4Type
	for i := 0; i < 16; i++ {
		bx, by := int(blkX[i]), int(blkY[i])
		off := base + by*4*S.Stride + bx*4
		a := blk4Avail(bx, by, mbA)
		pm := i4DC
		if bx > 0 && by > 0 {
			pm = min(int(mb.i4Mode[by*4+bx-1]), int(mb.i4Mode[(by-1)*4+bx]))
		}
		best, bestM := int(^uint(0)>>1), i4DC
		var edge edge4x4
		var taps i4Taps
		edge.load(S.Pix, S.Stride, off, a)
		taps.compute(&edge)
		for m := 0; m < 9; m++ {
			if !i4ModeAvail(m, a) {
				continue
			}
			var c int
			if m <= i4DC {
				// Vertical, Horizontal and DC (the Intra_16x16 numbers
				// of the same shapes).
				edge.pred(&wk.p4, m, a)
				c = wk.srcT[by*4+bx].flatRaw(m, wk.p4[:], 4) >> 1
			} else {
				taps.pred(&wk.p4, m)
				c = satd4x4Pred(S.Pix, off, S.Stride, &wk.p4)
			}
			if m == pm {
				c += lambda * bitsI4ModeHit
			} else {
				c += lambda * bitsI4ModeRem
			}
			if c < best {
				best, bestM = c, m
			}
		}
		mb.i4Mode[by*4+bx] = uint8(bestM)
		total += best
	}
	return total
}

// analyseChroma chooses the chroma prediction mode on source neighbours.
func (e *Encoder) analyseChroma(wk *worker, x, y, lambda int) int {
	avail := e.mbAvail(x, y)
	best, bestM := int(^uint(0)>>1), chromaDC
	for m := 0; m < 4; m++ {
		if !chromaModeAvail(m, avail) {
			continue
		}
		c := lambda * ueBits(uint32(m))
		for _, P := range [2]*Plane{&e.src.Cb, &e.src.Cr} {
			off := y*8*P.Stride + x*8
			predBlock(wk.tmp[:64], 8, P.Pix, P.Stride, off, chromaToI16[m], avail, true)
			c += satdBlock(P.Pix, off, P.Stride, wk.tmp[:64], 0, 8, 8, 8)
		}
		if c < best {
			best, bestM = c, m
		}
	}
	return bestM
}

// satd4x4Pred is satd4x4 (cost.go) of a source 4x4 block against a
// prediction held in a 4x4 array: the same value, without slice
// arithmetic in the mode decision's innermost loop.
func satd4x4Pred(src []uint8, so, ss int, p *[16]uint8) int {
	var t [16]int32
	for r := 0; r < 4; r++ {
		s := src[so+r*ss : so+r*ss+4 : so+r*ss+4]
		d0 := int32(s[0]) - int32(p[r*4])
		d1 := int32(s[1]) - int32(p[r*4+1])
		d2 := int32(s[2]) - int32(p[r*4+2])
		d3 := int32(s[3]) - int32(p[r*4+3])
		s01, m01 := d0+d1, d0-d1
		s23, m23 := d2+d3, d2-d3
		t[r*4] = s01 + s23
		t[r*4+1] = s01 - s23
		t[r*4+2] = m01 - m23
		t[r*4+3] = m01 + m23
	}
	var sum int32
	for c := 0; c < 4; c++ {
		s01, m01 := t[c]+t[4+c], t[c]-t[4+c]
		s23, m23 := t[8+c]+t[12+c], t[8+c]-t[12+c]
		sum += abs32(s01+s23) + abs32(s01-s23) + abs32(m01-m23) + abs32(m01+m23)
	}
	return int(sum >> 1)
}

// satdSource is the Hadamard transform T = H·S·Hᵀ of a 4x4 source block
// (t[4i+j]: vertical frequency i, horizontal j, H as in satd4x4Raw) with
// the sums of |T| over all coefficients, over row 0 and over column 0.
// The transform is linear, so the SATD of S against a prediction P is
// Σ|T − H·P·Hᵀ|, and for the flat predictions that is cheap: a prediction
// constant down each column (Vertical) has H·P·Hᵀ zero outside row 0,
// where it is 4·H·p (p the top row); constant along rows (Horizontal),
// zero outside column 0, where it is 4·H·p (p the left column); constant
// (DC), zero but for 16·dc at (0,0). Every term is an exact integer, so the
// sum equals satd4x4Raw's.
type satdSource struct {
	t               [16]int32
	all, row0, col0 int32
}

// load transforms the 4x4 block of pix at off (stride ss).
func (b *satdSource) load(pix []uint8, off, ss int) {
	var u [16]int32
	for r := 0; r < 4; r++ {
		row := (*[4]uint8)(pix[off+r*ss : off+r*ss+4])
		d0, d1, d2, d3 := int32(row[0]), int32(row[1]), int32(row[2]), int32(row[3])
		s01, m01, s23, m23 := d0+d1, d0-d1, d2+d3, d2-d3
		u[4*r], u[4*r+1], u[4*r+2], u[4*r+3] = s01+s23, s01-s23, m01-m23, m01+m23
	}
	var all, row0, col0 int32
	for j := 0; j < 4; j++ {
		s01, m01 := u[j]+u[4+j], u[j]-u[4+j]
		s23, m23 := u[8+j]+u[12+j], u[8+j]-u[12+j]
		t0, t1, t2, t3 := s01+s23, s01-s23, m01-m23, m01+m23
		b.t[j], b.t[4+j], b.t[8+j], b.t[12+j] = t0, t1, t2, t3
		all += abs32(t0) + abs32(t1) + abs32(t2) + abs32(t3)
		row0 += abs32(t0)
	}
	col0 = abs32(b.t[0]) + abs32(b.t[4]) + abs32(b.t[8]) + abs32(b.t[12])
	b.all, b.row0, b.col0 = all, row0, col0
}

// flatRaw is the raw SATD sum (satd4x4Raw) of the block against a
// prediction of Intra_16x16 mode m (i16Vertical, i16Horizontal or i16DC;
// Intra_4x4's modes 0..2 have the same numbers and shapes) whose 4x4
// samples are p[0], p[1], … at stride ps. Only the top row (Vertical), the
// left column (Horizontal) or the first sample (DC) of p is read.
func (b *satdSource) flatRaw(m int, p []uint8, ps int) int {
	switch m {
	case i16Vertical:
		q := (*[4]uint8)(p[:4])
		h := hadamard4Vec(int32(q[0]), int32(q[1]), int32(q[2]), int32(q[3]))
		return int(b.all - b.row0 + abs32(b.t[0]-4*h[0]) + abs32(b.t[1]-4*h[1]) + abs32(b.t[2]-4*h[2]) + abs32(b.t[3]-4*h[3]))
	case i16Horizontal:
		_ = p[3*ps]
		h := hadamard4Vec(int32(p[0]), int32(p[ps]), int32(p[2*ps]), int32(p[3*ps]))
		return int(b.all - b.col0 + abs32(b.t[0]-4*h[0]) + abs32(b.t[4]-4*h[1]) + abs32(b.t[8]-4*h[2]) + abs32(b.t[12]-4*h[3]))
	default: // i16DC
		return int(b.all - abs32(b.t[0]) + abs32(b.t[0]-16*int32(p[0])))
	}
}

// hadamard4Vec is H·v for the 4-point Hadamard matrix of satd4x4Raw (rows
// ++++, ++−−, +−−+, +−+−).
func hadamard4Vec(v0, v1, v2, v3 int32) [4]int32 {
	s01, m01, s23, m23 := v0+v1, v0-v1, v2+v3, v2-v3
	return [4]int32{s01 + s23, s01 - s23, m01 - m23, m01 + m23}
}
