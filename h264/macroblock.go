// Macroblock coding: per-macroblock state, the reconstruction of intra
// (8.3, 8.5) and inter (8.4.2, 8.5) macroblocks with the encoder's forward
// transform and quantisation, and the block geometry tables of 6.4.3.

package h264

// Macroblock types used by the encoder.
const (
	mbI4x4 = iota
	mbI16x16
	mbP16x16
	mbP16x8
	mbP8x16
	mbP8x8
	mbPSkip
)

func isIntra(t uint8) bool { return t <= mbI16x16 }

// macroblock is everything later stages need to know about a coded
// macroblock. Per-4x4 arrays are in raster order within the macroblock
// (index 4·y + x).
type macroblock struct {
	typ        uint8
	i16Mode    uint8
	chromaMode uint8
	cbp        uint8 // bits 0..3: luma 8x8 blocks; bits 4..5: chroma 0, 1 or 2
	qp         uint8 // QP_Y: chosen in stage 2, QP_Y,PRED for macroblocks without mb_qp_delta after stage 3b
	qpDelta    int8  // mb_qp_delta, set in stage 3b
	i4Mode     [16]uint8
	partMV     [4]MV  // per partition (16x16: [0]; 16x8, 8x16: [0..1]; 8x8: [0..3])
	mv         [16]MV // per 4x4 block, zero for intra macroblocks
	nz         [16]uint8
	nzC        [2][4]uint8
	// lv holds the macroblock's levels, in scan order (Intra16x16 luma
	// and chroma AC from index 1): kept apart (newMacroblocks) so that
	// the passes over the other fields read a compact array.
	lv *MacroblockLevels
}

// newMacroblocks returns n macroblocks and their levels (lv[i] is
// mbs[i].lv), zero.
func newMacroblocks(n int) (mbs []macroblock, lv []MacroblockLevels) {
	mbs, lv = make([]macroblock, n), make([]MacroblockLevels, n)
	for i := range mbs {
		mbs[i].lv = &lv[i]
	}
	return mbs, lv
}

// blkX and blkY give the position, in 4x4 blocks, of luma4x4BlkIdx
// (6.4.3, Figure 6-10); blkIdxAt is the inverse (raster → luma4x4BlkIdx).
var (
	blkX     = [16]uint8{0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3}
	blkY     = [16]uint8{0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3}
	blkIdxAt = func() (t [16]uint8) {
		for i := range blkX {
			t[blkY[i]*4+blkX[i]] = uint8(i)
		}
		return
	}()
)

// worker holds one goroutine's scratch space, so that no stage allocates
// per macroblock.
type worker struct {
	pred    [256]uint8
	predC   [2][64]uint8
	tmp     [256]uint8
	c       [16][16]int32 // transform coefficients per 4x4 block (raster)
	lv      [16]int32
	d       [16]int32
	dc      [16]int32
	dclv    [16]int32
	p4      [16]uint8
	cdc     [2][4]int32
	cdclv   [2][4]int32
	srcT    [16]satdSource   // the source macroblock's 4x4 transforms (analyse)
	probe   macroblock       // scratch for the skip probe (skipprobe.go)
	probeLv MacroblockLevels // probe's levels
	intra   IntraResult      // an IntraKeeper's results (accelState.copyIntraRow)
}

// mbAvail returns the availability bits of macroblock (x, y) (6.4.4: one
// slice per picture, so only the frame edges limit it).
func (e *Encoder) mbAvail(x, y int) uint8 {
	var a uint8
	if x > 0 {
		a |= availLeft
	}
	if y > 0 {
		a |= availTop
		if x > 0 {
			a |= availTopLeft
		}
		if x < e.mbW-1 {
			a |= availTopRight
		}
	}
	return a
}

// blk4Avail returns the neighbour availability of the 4x4 luma block at
// (bx, by) of a macroblock whose own availability is mbA (6.4.11.4).
func blk4Avail(bx, by int, mbA uint8) uint8 {
	var a uint8
	if bx > 0 || mbA&availLeft != 0 {
		a |= availLeft
	}
	if by > 0 || mbA&availTop != 0 {
		a |= availTop
	}
	switch {
	case bx > 0 && by > 0:
		a |= availTopLeft
	case bx == 0 && by > 0:
		if mbA&availLeft != 0 {
			a |= availTopLeft
		}
	case bx > 0 && by == 0:
		if mbA&availTop != 0 {
			a |= availTopLeft
		}
	default:
		if mbA&availTopLeft != 0 {
			a |= availTopLeft
		}
	}
	switch {
	case by == 0 && bx < 3:
		if mbA&availTop != 0 {
			a |= availTopRight
		}
	case by == 0:
		if mbA&availTopRight != 0 {
			a |= availTopRight
		}
	case bx < 3:
		if blkIdxAt[(by-1)*4+bx+1] < blkIdxAt[by*4+bx] {
			a |= availTopRight
		}
	}
	return a
}

// residual4x4 loads src - pred of a 4x4 block into c.
func residual4x4(c *[16]int32, src []uint8, so, ss int, pred []uint8, po, ps int) {
	for y := 0; y < 4; y++ {
		s := src[so+y*ss : so+y*ss+4]
		p := pred[po+y*ps : po+y*ps+4]
		for x := 0; x < 4; x++ {
			c[y*4+x] = int32(s[x]) - int32(p[x])
		}
	}
}

// addResidual writes clip(pred + r) into the reconstruction.
func addResidual(dst []uint8, do, ds int, pred []uint8, po, ps int, r *[16]int32) {
	for y := 0; y < 4; y++ {
		o := dst[do+y*ds : do+y*ds+4]
		p := pred[po+y*ps : po+y*ps+4]
		for x := 0; x < 4; x++ {
			o[x] = clip1(int32(p[x]) + r[y*4+x])
		}
	}
}

// toScan stores raster levels lv into out (scan order) and returns the
// number of non-zero ones from scan position start on.
func toScan(out *[16]int16, lv *[16]int32, start int) uint8 {
	n := uint8(0)
	for k := start; k < 16; k++ {
		v := lv[zigzag4x4[k]]
		out[k] = int16(v)
		if v != 0 {
			n++
		}
	}
	if start == 1 {
		out[0] = 0
	}
	return n
}

// fromScan loads levels in scan order into raster order.
func fromScan(lv *[16]int32, in *[16]int16) {
	for k := 0; k < 16; k++ {
		lv[zigzag4x4[k]] = int32(in[k])
	}
}

// reconI4x4 codes an Intra_4x4 macroblock block by block (8.3.1.2 then
// 8.5.12), each block predicted from the reconstruction of the ones before.
func (e *Encoder) reconI4x4(wk *worker, mb *macroblock, x, y int) {
	Y, S := &e.rec.Y, &e.src.Y
	qp := int(mb.qp)
	mbA := e.mbAvail(x, y)
	base := y*16*Y.Stride + x*16
	sbase := y*16*S.Stride + x*16
	cbp := uint8(0)
	for i := 0; i < 16; i++ {
		bx, by := int(blkX[i]), int(blkY[i])
		r := by*4 + bx
		off := base + by*4*Y.Stride + bx*4
		pred4x4(&wk.p4, Y.Pix, Y.Stride, off, int(mb.i4Mode[r]), blk4Avail(bx, by, mbA))
		residual4x4(&wk.d, S.Pix, sbase+by*4*S.Stride+bx*4, S.Stride, wk.p4[:], 0, 4)
		fdct4x4(&wk.d)
		quant4x4(&wk.d, &wk.lv, qp, true, 0)
		n := toScan(&mb.lv.Luma[r], &wk.lv, 0)
		mb.nz[r] = n
		if n != 0 {
			cbp |= 1 << (i / 4)
			dequant4x4(&wk.lv, &wk.d, qp, 0)
			idct4x4(&wk.d)
		} else {
			wk.d = [16]int32{}
		}
		addResidual(Y.Pix, off, Y.Stride, wk.p4[:], 0, 4, &wk.d)
	}
	mb.cbp = cbp
}

// reconI16 codes an Intra_16x16 macroblock (8.3.3, 8.5.10).
func (e *Encoder) reconI16(wk *worker, mb *macroblock, x, y int) {
	Y, S := &e.rec.Y, &e.src.Y
	base := y*16*Y.Stride + x*16
	sbase := y*16*S.Stride + x*16
	predBlock(wk.pred[:], 16, Y.Pix, Y.Stride, base, int(mb.i16Mode), e.mbAvail(x, y), false)
	e.lumaResidual(wk, mb, sbase, true, true)
	e.lumaRecon(wk, mb, base, true)
}

// lumaResidual transforms and quantises the 16 luma blocks of src - pred
// (wk.pred), for Intra16x16 (i16: separate DC) or 4x4-coded macroblocks,
// and sets the luma part of mb.cbp.
func (e *Encoder) lumaResidual(wk *worker, mb *macroblock, sbase int, intra, i16 bool) {
	S := &e.src.Y
	qp := int(mb.qp)
	start := 0
	if i16 {
		start = 1
	}
	// Inter blocks whose residual is too small to leave a non-zero level
	// skip the transform and the quantiser (the same zero levels).
	zeroSAD := -1
	if !intra {
		zeroSAD = quantZeroSAD(qp, false)
	}
	for r := 0; r < 16; r++ {
		bx, by := r&3, r>>2
		so, po := sbase+by*4*S.Stride+bx*4, by*64+bx*4
		if zeroSAD >= 0 && sad4x4(S.Pix, so, S.Stride, wk.pred[:], po, 16) <= zeroSAD {
			mb.lv.Luma[r] = [16]int16{}
			mb.nz[r] = 0
			continue
		}
		residual4x4(&wk.c[r], S.Pix, so, S.Stride, wk.pred[:], po, 16)
		fdct4x4(&wk.c[r])
		wk.dc[r] = wk.c[r][0]
		quant4x4(&wk.c[r], &wk.lv, qp, intra, start)
		mb.nz[r] = toScan(&mb.lv.Luma[r], &wk.lv, start)
	}
	cbp := uint8(0)
	if i16 {
		hadamard4x4(&wk.dc)
		for i := range wk.dc {
			wk.dc[i] >>= 1
		}
		quantDC(wk.dc[:], wk.dclv[:], qp, true)
		for k := 0; k < 16; k++ {
			mb.lv.LumaDC[k] = int16(wk.dclv[zigzag4x4[k]])
		}
		for r := 0; r < 16; r++ {
			if mb.nz[r] != 0 {
				cbp = 15
			}
		}
		if cbp == 0 {
			mb.nz = [16]uint8{}
		}
	} else {
		if !intra {
			e.decimate(mb)
		}
		for r := 0; r < 16; r++ {
			if mb.nz[r] != 0 {
				cbp |= 1 << (blkIdxAt[r] / 4)
			}
		}
	}
	mb.cbp = mb.cbp&0x30 | cbp
}

// decimate drops the luma levels of inter 8x8 blocks (and of the whole
// macroblock) whose few ±1 levels cost more bits than they are worth, the
// heuristic of x264's decimate_score: each ±1 scores by the run of zeros
// before it, any larger level keeps the block.
func (e *Encoder) decimate(mb *macroblock) {
	total := 0
	var s8 [4]int
	for r := 0; r < 16; r++ {
		s := decimateScore(&mb.lv.Luma[r])
		s8[(r>>3)<<1|(r&3)>>1] += s
		total += s
	}
	for r := 0; r < 16; r++ {
		q := (r>>3)<<1 | (r&3)>>1
		if total < decimateMB || s8[q] < decimate8x8 {
			mb.lv.Luma[r] = [16]int16{}
			mb.nz[r] = 0
		}
	}
}

// Decimation thresholds (scores of decimateScore): an inter macroblock's
// luma levels are dropped when they score below decimateMB in all, those of
// one 8x8 block when it scores below decimate8x8, and one chroma plane's AC
// levels when its four blocks score below decimateChroma. x264 uses 6, 4
// and 7; with h264_go's rounding offsets (quant.go) these lower ones code
// the sweeps in 0.5–1 % fewer bits (DESIGN.md, "Stage 3").
const (
	decimateMB     = 3
	decimate8x8    = 2
	decimateChroma = 4
)

var decimateRunScore = [16]int{3, 2, 2, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

func decimateScore(b *[16]int16) int {
	last := 15
	for last >= 0 && b[last] == 0 {
		last--
	}
	s := 0
	for i := last; i >= 0; {
		if b[i] > 1 || b[i] < -1 {
			return 9
		}
		i--
		run := 0
		for i >= 0 && b[i] == 0 {
			run++
			i--
		}
		s += decimateRunScore[run]
	}
	return s
}

// lumaRecon reconstructs the 16 luma blocks from mb's levels and the
// prediction in wk.pred into the reconstruction at base.
func (e *Encoder) lumaRecon(wk *worker, mb *macroblock, base int, i16 bool) {
	Y := &e.rec.Y
	qp := int(mb.qp)
	if i16 {
		for k := 0; k < 16; k++ {
			wk.dc[zigzag4x4[k]] = int32(mb.lv.LumaDC[k])
		}
		hadamard4x4(&wk.dc)
		dequantLumaDC(&wk.dc, qp)
	}
	for r := 0; r < 16; r++ {
		bx, by := r&3, r>>2
		if mb.nz[r] != 0 {
			fromScan(&wk.lv, &mb.lv.Luma[r])
			if i16 {
				dequant4x4(&wk.lv, &wk.d, qp, 1)
			} else {
				dequant4x4(&wk.lv, &wk.d, qp, 0)
			}
		} else {
			wk.d = [16]int32{}
		}
		if i16 {
			// dcY position: the DC matrix is laid out like the blocks.
			wk.d[0] = wk.dc[by*4+bx]
		}
		if i16 || mb.nz[r] != 0 {
			idct4x4(&wk.d)
		}
		addResidual(Y.Pix, base+by*4*Y.Stride+bx*4, Y.Stride, wk.pred[:], by*64+bx*4, 16, &wk.d)
	}
}

// chroma codes both chroma planes of a macroblock from the prediction in
// wk.predC (8.5.11) and sets the chroma part of mb.cbp.
func (e *Encoder) chroma(wk *worker, mb *macroblock, x, y int, intra bool) {
	e.chromaLevels(wk, mb, x, y, intra)
	e.chromaRecon(wk, mb, x, y)
}

// chromaLevels transforms and quantises both chroma blocks of mb against
// the prediction in wk.predC and sets mb's chroma levels and cbp bits.
func (e *Encoder) chromaLevels(wk *worker, mb *macroblock, x, y int, intra bool) {
	qpc := chromaQP(int(mb.qp))
	anyAC, anyDC := false, false
	for c := 0; c < 2; c++ {
		S := &e.src.Cb
		if c == 1 {
			S = &e.src.Cr
		}
		sbase := y*8*S.Stride + x*8
		for r := 0; r < 4; r++ {
			bx, by := r&1, r>>1
			residual4x4(&wk.c[r], S.Pix, sbase+by*4*S.Stride+bx*4, S.Stride, wk.predC[c][:], by*32+bx*4, 8)
			fdct4x4(&wk.c[r])
			wk.cdc[c][r] = wk.c[r][0]
			quant4x4(&wk.c[r], &wk.lv, qpc, intra, 1)
			mb.nzC[c][r] = toScan(&mb.lv.ChromaAC[c][r], &wk.lv, 1)
		}
		if !intra {
			// Chroma AC decimation (as for luma): a few isolated ±1
			// levels are not worth their bits.
			score := 0
			for r := 0; r < 4; r++ {
				score += decimateScore(&mb.lv.ChromaAC[c][r])
			}
			if score < decimateChroma {
				for r := 0; r < 4; r++ {
					mb.lv.ChromaAC[c][r] = [16]int16{}
					mb.nzC[c][r] = 0
				}
			}
		}
		for r := 0; r < 4; r++ {
			if mb.nzC[c][r] != 0 {
				anyAC = true
			}
		}
		hadamard2x2(&wk.cdc[c])
		if quantDC(wk.cdc[c][:], wk.cdclv[c][:], qpc, intra) != 0 {
			anyDC = true
		}
		for r := 0; r < 4; r++ {
			mb.lv.ChromaDC[c][r] = int16(wk.cdclv[c][r])
		}
	}
	cbpC := uint8(0)
	switch {
	case anyAC:
		cbpC = 2
	case anyDC:
		cbpC = 1
	}
	if cbpC < 2 {
		mb.nzC = [2][4]uint8{}
	}
	if cbpC == 0 {
		mb.lv.ChromaDC = [2][4]int16{}
	}
	mb.cbp = mb.cbp&15 | cbpC<<4
}

// chromaRecon reconstructs both chroma blocks of mb from its levels and the
// prediction in wk.predC.
func (e *Encoder) chromaRecon(wk *worker, mb *macroblock, x, y int) {
	qpc := chromaQP(int(mb.qp))
	for c := 0; c < 2; c++ {
		P := &e.rec.Cb
		if c == 1 {
			P = &e.rec.Cr
		}
		base := y*8*P.Stride + x*8
		var f [4]int32
		for r := 0; r < 4; r++ {
			f[r] = int32(mb.lv.ChromaDC[c][r])
		}
		hadamard2x2(&f)
		dequantChromaDC(&f, qpc)
		for r := 0; r < 4; r++ {
			bx, by := r&1, r>>1
			if mb.nzC[c][r] != 0 {
				fromScan(&wk.lv, &mb.lv.ChromaAC[c][r])
				dequant4x4(&wk.lv, &wk.d, qpc, 1)
			} else {
				wk.d = [16]int32{}
			}
			wk.d[0] = f[r]
			idct4x4(&wk.d)
			addResidual(P.Pix, base+by*4*P.Stride+bx*4, P.Stride, wk.predC[c][:], by*32+bx*4, 8, &wk.d)
		}
	}
}

// intraChromaPred forms the chroma prediction of mb.chromaMode from the
// reconstruction into wk.predC.
func (e *Encoder) intraChromaPred(wk *worker, mb *macroblock, x, y int) {
	a := e.mbAvail(x, y)
	for c := 0; c < 2; c++ {
		P := &e.rec.Cb
		if c == 1 {
			P = &e.rec.Cr
		}
		predBlock(wk.predC[c][:], 8, P.Pix, P.Stride, y*8*P.Stride+x*8, chromaToI16[mb.chromaMode], a, true)
	}
}

// interPred forms the luma and chroma motion-compensated prediction of mb
// from the reference picture (8.4.2.2) into wk.pred and wk.predC.
func (e *Encoder) interPred(wk *worker, mb *macroblock, x, y int) {
	ref := e.ref
	// The motion search leaves the reference's half-sample planes ready:
	// the same bytes as predictLuma, without refiltering.
	fast := e.search.lumaRef()
	for r := 0; r < 16; r += 0 {
		// Walk the partitions by their top-left 4x4 block.
		var w, h int
		switch mb.typ {
		case mbP16x16, mbPSkip:
			w, h = 4, 4
		case mbP16x8:
			w, h = 4, 2
		case mbP8x16:
			w, h = 2, 4
		default:
			w, h = 2, 2
		}
		bx, by := r&3, r>>2
		mv := mb.mv[r]
		if fast != nil {
			fast.predict(wk.pred[by*64+bx*4:], 16, x*16+bx*4, y*16+by*4, int(mv.X), int(mv.Y), w*4, h*4)
		} else {
			predictLuma(wk.pred[by*64+bx*4:], 16, &ref.Y, x*16+bx*4, y*16+by*4, int(mv.X), int(mv.Y), w*4, h*4)
		}
		predictChroma(wk.predC[0][by*16+bx*2:], 8, &ref.Cb, x*8+bx*2, y*8+by*2, int(mv.X), int(mv.Y), w*2, h*2)
		predictChroma(wk.predC[1][by*16+bx*2:], 8, &ref.Cr, x*8+bx*2, y*8+by*2, int(mv.X), int(mv.Y), w*2, h*2)
		// Next partition's top-left block in raster order.
		nx := bx + w
		ny := by
		if nx >= 4 {
			nx = 0
			ny = by + h
		}
		if ny >= 4 {
			break
		}
		r = ny*4 + nx
	}
}

// reconInter codes an inter macroblock (P_L0 partitions; P_Skip is decided
// afterwards from the result).
func (e *Encoder) reconInter(wk *worker, mb *macroblock, x, y int) {
	e.interPred(wk, mb, x, y)
	base := y*16*e.rec.Y.Stride + x*16
	sbase := y*16*e.src.Y.Stride + x*16
	e.lumaResidual(wk, mb, sbase, false, false)
	e.lumaRecon(wk, mb, base, false)
	e.chroma(wk, mb, x, y, false)
}

// setMVs fills mb.mv from mb.partMV for its partitioning.
func (mb *macroblock) setMVs() {
	for r := 0; r < 16; r++ {
		bx, by := r&3, r>>2
		var p int
		switch mb.typ {
		case mbP16x16, mbPSkip:
			p = 0
		case mbP16x8:
			p = by >> 1
		case mbP8x16:
			p = bx >> 1
		case mbP8x8:
			p = (by>>1)*2 + bx>>1
		default:
			mb.mv[r] = MV{}
			continue
		}
		mb.mv[r] = mb.partMV[p]
	}
}
