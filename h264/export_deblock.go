// Exported reference of stage 5, the deblocking filter (ITU-T H.264 clause
// 8.7, deblock.go), for h264cuda and its tests: a thin wrapper that runs
// the encoder's own deblockMB over a caller's picture and macroblock
// records.

package h264

import (
	"errors"
	"fmt"
)

// ErrDeblockInput matches (errors.Is) the error DeblockReference returns
// for a picture or record slice that does not fit the macroblock grid.
var ErrDeblockInput = errors.New("h264: deblocking input does not match the macroblock grid")

// DeblockReference runs stage 5 exactly as the encoder does (every
// macroblock in raster order: vertical edges left to right, then
// horizontal edges top to bottom) on a copy of rec, a picture padded to
// mbW×mbH whole macroblocks (PictureTrace.Reconstructed), and returns the
// deblocked copy (PictureTrace.Deblocked). Of each record in mbs (raster
// order) the filter reads Type, QP, TotalCoeff and MV only, as
// PictureTrace.Macroblocks reports them. rec is not modified.
func DeblockReference(rec *Picture, mbW, mbH int, mbs []MacroblockTrace) (*Picture, error) {
	if mbW <= 0 || mbH <= 0 || rec == nil || len(mbs) != mbW*mbH {
		return nil, fmt.Errorf("%w: %d records for %dx%d macroblocks", ErrDeblockInput, len(mbs), mbW, mbH)
	}
	for _, pl := range []struct {
		p    *Plane
		w, h int
	}{{&rec.Y, 16 * mbW, 16 * mbH}, {&rec.Cb, 8 * mbW, 8 * mbH}, {&rec.Cr, 8 * mbW, 8 * mbH}} {
		p := pl.p
		if p.Width != pl.w || p.Height != pl.h || p.Stride < p.Width || len(p.Pix) < (p.Height-1)*p.Stride+p.Width {
			return nil, fmt.Errorf("%w: plane of %dx%d (stride %d), want %dx%d", ErrDeblockInput, p.Width, p.Height, p.Stride, pl.w, pl.h)
		}
	}
	e := &Encoder{mbW: mbW, mbH: mbH, rec: clonePicture(rec)}
	e.mbs, e.levels = newMacroblocks(len(mbs))
	for i := range mbs {
		t, mb := &mbs[i], &e.mbs[i]
		if t.Type < TraceI4x4 || t.Type > TracePSkip || t.QP < 0 || t.QP > 51 {
			return nil, fmt.Errorf("%w: macroblock %d has type %d, QP %d", ErrDeblockInput, i, t.Type, t.QP)
		}
		mb.typ, mb.qp, mb.nz, mb.mv = uint8(t.Type), uint8(t.QP), t.TotalCoeff, t.MV
	}
	for y := 0; y < mbH; y++ {
		for x := 0; x < mbW; x++ {
			e.deblockMB(x, y)
		}
	}
	return e.rec, nil
}

// DeblockTables returns copies of the tables the filter uses: alpha' and
// beta' (Table 8-16) and tC0' for bS 1..3 (Table 8-17) by indexA/indexB
// 0..51, and QPc by QP_Y 0..51 (Table 8-15 with chroma_qp_index_offset 0).
func DeblockTables() (alpha, beta [52]uint8, tc0 [52][3]uint8, qpc [52]uint8) {
	for q := range qpc {
		qpc[q] = uint8(chromaQP(q))
	}
	return alphaTable, betaTable, tc0Table, qpc
}
