// Skip probing (stage 2b, DESIGN.md). Stage 2 chooses every vector by its
// own cost, so an inter macroblock in a still or evenly moving area often
// ends up a quarter sample away from its P_Skip vector and is coded with a
// vector difference and a few small levels where P_Skip would cost almost
// no bits. x264 tests P_Skip before its motion search ("fast_pskip"); here
// the test comes after all decisions:
//
// In raster order, each inter macroblock whose vector is not its P_Skip
// vector (8.4.1.1, from the left, top, top-right and top-left neighbours
// as they stand after their own probe) is coded at that vector as
// P_L0_16x16 — the prediction, transform, quantiser and decimation of
// stage 3, nothing written — and when no level is left it takes that
// vector as P_L0_16x16, which stage 3b then makes P_Skip.
//
// The order matters only through the skip vectors, so the costly part
// runs in parallel: pass 1 probes every macroblock at the skip vector of
// the stage 2 field; pass 2 walks the raster order (as a wavefront:
// a skip vector depends only on macroblocks to the left and above),
// recomputes a skip vector only next to a macroblock it moved and probes
// again only where the vector changed. The result is that of the plain
// raster walk, for any number of workers.

package h264

import (
	"bytes"
	"fmt"
)

// probeSkips runs stage 2b on a P picture's decisions.
func (e *Encoder) probeSkips() error {
	// Pass 1: probe at the skip vectors of the stage 2 field.
	if e.accel != nil && e.accel.probe != nil {
		if err := e.accelProbe(); err != nil {
			return err
		}
	} else if err := runRows(e.mbH, e.o.Threads, func(w, y int) {
		wk := &e.workers[w]
		for x := 0; x < e.mbW; x++ {
			i := y*e.mbW + x
			mb := &e.mbs[i]
			smv := e.skipMV(x, y, mb)
			e.skipProbe[i] = ProbeResult{MV: smv, Wants: e.wantsProbe(mb, smv)}
			if e.skipProbe[i].Wants {
				e.skipProbe[i].Nothing = e.codesNothingAt(wk, mb, x, y, smv)
			}
		}
	}); err != nil {
		return err
	}
	// Pass 2: the raster walk. A skip vector reads only the left,
	// top-left, top and top-right macroblocks, so where none of them moved
	// in this pass it is pass 1's, and so is the outcome; only next to a
	// move is it computed (and probed) again. Those are the dependencies
	// of a wavefront, which spreads the probes made again (hundreds a
	// picture where moves cluster, in still backgrounds) over the cores.
	return e.wf.run(e.mbW, e.mbH, e.o.Threads, e.probeWalkAt)
}

// probeWalk is pass 2's step at macroblock (x, y), on worker w: elsewhere
// than next to a move it reads only the compact records of pass 1 and of
// the moves, not the macroblocks.
func (e *Encoder) probeWalk(w, x, y int) {
	i := y*e.mbW + x
	pr := &e.skipProbe[i]
	if !e.neighbourMoved(x, y) {
		e.skipMoved[i] = pr.Wants && pr.Nothing
		if e.skipMoved[i] {
			e.moveToSkip(&e.mbs[i], pr.MV)
		}
		return
	}
	mb := &e.mbs[i]
	e.skipMoved[i] = false
	smv := e.skipMV(x, y, mb)
	if !e.wantsProbe(mb, smv) {
		return
	}
	nothing := pr.Nothing
	if smv != pr.MV {
		e.reprobes.Add(1)
		nothing = e.codesNothingAt(&e.workers[w], mb, x, y, smv)
	}
	if nothing {
		e.moveToSkip(mb, smv)
		e.skipMoved[i] = true
	}
}

// moveToSkip makes mb P_L0_16x16 at its skip vector smv (stage 3b then
// makes it P_Skip).
func (e *Encoder) moveToSkip(mb *macroblock, smv MV) {
	mb.typ = mbP16x16
	mb.partMV[0] = smv
	mb.setMVs()
}

// neighbourMoved reports whether pass 2 moved macroblock (x, y)'s left,
// top-left, top or top-right neighbour (all before it in raster order).
func (e *Encoder) neighbourMoved(x, y int) bool {
	i := y*e.mbW + x
	if x > 0 && e.skipMoved[i-1] {
		return true
	}
	if y == 0 {
		return false
	}
	up := i - e.mbW
	return e.skipMoved[up] || x > 0 && e.skipMoved[up-1] || x+1 < e.mbW && e.skipMoved[up+1]
}

// accelProbe is pass 1 by the accelerator: every macroblock that wants a
// probe goes as P_L0_16x16 at its skip vector, the others as intra (the
// records are made by rows in parallel), unless the accelerator finds
// the vectors itself (SkipVectorProber).
func (e *Encoder) accelProbe() error {
	a := e.accel
	if a.prober != nil {
		if err := a.prober.ProbeDecided(e.src, e.ref, e.skipProbe); err != nil {
			return fmt.Errorf("%w: skip probe: %w", ErrAccelerator, err)
		}
		return nil
	}
	if err := runRows(e.mbH, e.o.Threads, func(_, y int) {
		for x := 0; x < e.mbW; x++ {
			i := y*e.mbW + x
			mb, d := &e.mbs[i], &a.dec[i]
			smv := e.skipMV(x, y, mb)
			e.skipProbe[i] = ProbeResult{MV: smv, Wants: e.wantsProbe(mb, smv)}
			d.Type, d.QP = mbI16x16, int(mb.qp)
			if e.skipProbe[i].Wants {
				d.Type = mbP16x16
				for k := range d.MV {
					d.MV[k] = smv
				}
			}
			a.nothing[i] = false
		}
	}); err != nil {
		return err
	}
	if err := a.probe.ProbeSkips(e.src, e.ref, a.dec, a.nothing); err != nil {
		return fmt.Errorf("%w: skip probe: %w", ErrAccelerator, err)
	}
	for i := range e.skipProbe {
		e.skipProbe[i].Nothing = a.nothing[i]
	}
	return nil
}

// ProbeResult is pass 1 of the skip probe for one macroblock: its P_Skip
// vector (8.4.1.1) as the decisions of stage 2 give it, whether it wants
// a probe there (an inter macroblock that is not already P_L0_16x16 at
// that vector) and, if it does, whether coding it there leaves no level.
type ProbeResult struct {
	MV      MV
	Wants   bool
	Nothing bool
}

// wantsProbe reports whether mb is an inter macroblock not already at its
// skip vector smv.
func (e *Encoder) wantsProbe(mb *macroblock, smv MV) bool {
	return !isIntra(mb.typ) && !(mb.typ == mbP16x16 && mb.partMV[0] == smv)
}

// codesNothingAt reports whether mb, coded as P_L0_16x16 with vector mv
// (quarter samples) by stage 3, would have no non-zero level. It writes
// only wk.
func (e *Encoder) codesNothingAt(wk *worker, mb *macroblock, x, y int, mv MV) bool {
	t := &wk.probe
	*t = *mb
	wk.probeLv = *mb.lv
	t.lv = &wk.probeLv
	t.typ = mbP16x16
	t.partMV[0] = mv
	t.setMVs()
	t.cbp = 0
	e.interPred(wk, t, x, y)
	if e.predictsExactly(wk, x, y) {
		// No residual: every coefficient, hence every level, is zero.
		return true
	}
	e.lumaResidual(wk, t, y*16*e.src.Y.Stride+x*16, false, false)
	if t.cbp != 0 {
		return false
	}
	e.chromaLevels(wk, t, x, y, false)
	return t.cbp == 0
}

// predictsExactly reports whether the prediction in wk (luma and both
// chroma blocks) equals macroblock (x, y) of the source: still areas of
// synthetic or screen content, where about 40 % of the probes on testsrc2
// end so, without a transform.
func (e *Encoder) predictsExactly(wk *worker, x, y int) bool {
	Y := &e.src.Y
	for r := 0; r < 16; r++ {
		o := (y*16+r)*Y.Stride + x*16
		if !bytes.Equal(Y.Pix[o:o+16], wk.pred[16*r:16*r+16]) {
			return false
		}
	}
	for k, P := range [2]*Plane{&e.src.Cb, &e.src.Cr} {
		for r := 0; r < 8; r++ {
			o := (y*8+r)*P.Stride + x*8
			if !bytes.Equal(P.Pix[o:o+8], wk.predC[k][8*r:8*r+8]) {
				return false
			}
		}
	}
	return true
}
