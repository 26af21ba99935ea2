// Stage 3b on all cores: P_Skip, the QP deltas, and the type counts and
// 16x16 vectors the next picture needs. Each step reads or writes a field
// or two of every macroblock record; records are large, so a serial walk
// over them waits on memory. The passes below touch the records in
// parallel and leave only the QP chain, over compact copies, to one
// goroutine; the result is that of the serial steps in raster order.

package h264

// finalPass holds finishTypes' compact per-macroblock state, sized once,
// and its row steps (method values made once, so that a picture
// allocates nothing for them).
type finalPass struct {
	e       *Encoder
	skipNow []bool  // becomes P_Skip (decide)
	coded   []bool  // whether mb_qp_delta is coded
	qp      []uint8 // QP_Y before the chain, then after it
	delta   []int8
	counts  [][3]int32 // per row: intra, inter, skipped
	sliceQP int

	decideRow, applyRow, writeRow func(w, y int)
}

func newFinalPass(e *Encoder) finalPass {
	n := e.mbW * e.mbH
	f := finalPass{e: e, skipNow: make([]bool, n), coded: make([]bool, n), qp: make([]uint8, n),
		delta: make([]int8, n), counts: make([][3]int32, e.mbH)}
	return f
}

// finishTypes runs stage 3b at slice QP sliceQP and returns the counts of
// intra, inter and skipped macroblocks.
func (e *Encoder) finishTypes(sliceQP int) (intra, inter, skip int, err error) {
	f := &e.final
	if f.decideRow == nil {
		f.decideRow = func(_, y int) { f.decide(y) }
		f.applyRow = func(_, y int) { f.apply(y) }
		f.writeRow = func(_, y int) { f.write(y) }
	}
	f.sliceQP = sliceQP
	threads := e.o.Threads
	if err := runRows(e.mbH, threads, f.decideRow); err != nil {
		return 0, 0, 0, err
	}
	if err := runRows(e.mbH, threads, f.applyRow); err != nil {
		return 0, 0, 0, err
	}
	f.chain()
	if err := runRows(e.mbH, threads, f.writeRow); err != nil {
		return 0, 0, 0, err
	}
	for _, c := range f.counts {
		intra, inter, skip = intra+int(c[0]), inter+int(c[1]), skip+int(c[2])
	}
	return intra, inter, skip, nil
}

// decide marks row y's macroblocks that become P_Skip: the P_L0_16x16
// ones without residual whose vector is the P_Skip vector. It only reads
// (the skip vector reads the neighbours, whose vectors the change keeps).
func (f *finalPass) decide(y int) {
	e := f.e
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		mb := &e.mbs[i]
		f.skipNow[i] = mb.typ == mbP16x16 && mb.cbp == 0 && mb.partMV[0] == e.skipMV(i%e.mbW, y, mb)
	}
}

// apply makes row y's P_Skip macroblocks, counts its types, records its
// 16x16 vectors for the next search (intra as zero) and copies what the
// QP chain reads.
func (f *finalPass) apply(y int) {
	e := f.e
	var c [3]int32
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		mb := &e.mbs[i]
		if f.skipNow[i] {
			mb.typ = mbPSkip
		}
		switch {
		case isIntra(mb.typ):
			c[0]++
			e.prevField[i] = MV{}
		case mb.typ == mbPSkip:
			c[2]++
			e.prevField[i] = mb.partMV[0]
		default:
			c[1]++
			e.prevField[i] = mb.partMV[0]
		}
		f.coded[i] = !(mb.typ == mbPSkip || mb.typ != mbI16x16 && mb.cbp == 0)
		f.qp[i] = mb.qp
	}
	f.counts[y] = c
}

// chain turns the chosen QPs into mb_qp_delta values, over the compact
// copies: a macroblock that codes no mb_qp_delta (P_Skip, or no residual
// outside Intra16x16) takes the QP of the one before it in decoding order
// (QP_Y,PRED, 7.4.5, the slice QP first), which is also what deblocking
// uses.
func (f *finalPass) chain() {
	prev := f.sliceQP
	for i, coded := range f.coded {
		if !coded {
			f.qp[i], f.delta[i] = uint8(prev), 0
			continue
		}
		d := int(f.qp[i]) - prev
		if d > 25 {
			d -= 52
		} else if d < -26 {
			d += 52
		}
		f.delta[i] = int8(d)
		prev = int(f.qp[i])
	}
}

// write stores row y's QPs and deltas in its records.
func (f *finalPass) write(y int) {
	e := f.e
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		e.mbs[i].qp, e.mbs[i].qpDelta = f.qp[i], f.delta[i]
	}
}
