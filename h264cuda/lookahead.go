// The lookahead's analysis on the GPU: the host side of
// kernels/lookahead.cu, mirroring h264/lookahead.go (lookahead.analyse).
// For every picture given to the encoder it uploads the padded source
// luma, makes the half-resolution plane, and searches each block against
// the previous picture's plane with the previous picture's vectors as
// candidates; both stay on the device for the next picture, and only the
// per-macroblock costs come back (16 bytes a macroblock). The macroblock
// tree that reads them stays in Go (h264/mbtree.go).

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/h264"
)

// Parameter block and result layout of lookahead.cu (kernels/lookahead.h
// LA_*; a test checks them against the header).
const (
	laSrc = iota
	laLow
	laPrev
	laOut
	laPrevOut
	laMBW
	laMBH
	laCount
)

const (
	laIntra = iota
	laInter
	laMV
	laFrac
	laWords
)

// laMargin is the half-resolution planes' margin (LA_MARGIN, h264's
// laMargin: the search range, the block and 8).
const laMargin = 40

// lookaheadKernels are the kernels of lookahead.cu, in launch order.
var lookaheadKernels = []string{"la_down", "la_analyse"}

// lookaheadStage runs the lookahead's analysis for pictures of one size.
// Its arena holds the parameter block, the source luma, and two
// half-resolution planes and two result arrays, used in turn: the current
// picture's, and the previous one's, which its search reads.
type lookaheadStage struct {
	be       backend
	base     uint64
	mbW, mbH int
	offSrc   int
	offLow   [2]int
	offOut   [2]int
	cur      int  // which plane and result array the next call writes
	analysed bool // a picture has been analysed: the other pair holds it

	params []byte // host staging
	src    []byte
	res    []byte
	stager planeStager
	closed bool
}

// newLookaheadStage prepares the analysis of w×h pictures on be, which
// it owns from then on (closed by close, or here on failure).
func newLookaheadStage(be backend, w, h int) (*lookaheadStage, error) {
	if w <= 0 || h <= 0 || w > maxDeblockSide || h > maxDeblockSide {
		be.close()
		return nil, fmt.Errorf("%w: picture size %dx%d", ErrInput, w, h)
	}
	l := &lookaheadStage{be: be, mbW: (w + 15) / 16, mbH: (h + 15) / 16}
	n := l.mbW * l.mbH
	lowStride := 8*l.mbW + 2*laMargin
	low := lowStride * (8*l.mbH + 2*laMargin)
	src := 256 * n
	res := 4 * laWords * n
	const pb = 8 * laCount
	l.offSrc = pb // the parameter block is at offset 0
	l.offLow = [2]int{pb + src, pb + src + low}
	l.offOut = [2]int{pb + src + 2*low, pb + src + 2*low + res}
	fail := func(err error) (*lookaheadStage, error) {
		be.close()
		return nil, err
	}
	var err error
	if l.base, err = be.alloc(pb + src + 2*low + 2*res); err != nil {
		return fail(err)
	}
	if err := makeHost(be, []hostBuf{{&l.params, pb}, {&l.src, src}, {&l.res, res}}...); err != nil {
		return fail(err)
	}
	return l, nil
}

// analyse implements h264.LookaheadAccelerator's AnalyseLookahead for
// src, the next picture padded to whole macroblocks: against the picture
// of the previous call unless first.
func (l *lookaheadStage) analyse(src *h264.Picture, first bool, out h264.LookaheadCosts) error {
	if l.closed {
		return ErrClosed
	}
	n := l.mbW * l.mbH
	y := &src.Y
	if y.Width != 16*l.mbW || y.Height != 16*l.mbH || y.Stride < y.Width || len(y.Pix) < (y.Height-1)*y.Stride+y.Width {
		return fmt.Errorf("%w: lookahead picture of %dx%d luma samples (stride %d), want the padded %dx%d",
			ErrInput, y.Width, y.Height, y.Stride, 16*l.mbW, 16*l.mbH)
	}
	if len(out.Intra) != n || len(out.Inter) != n || len(out.MV) != n || len(out.Frac) != n {
		return fmt.Errorf("%w: lookahead results for %d, %d, %d and %d macroblocks, want %d",
			ErrInput, len(out.Intra), len(out.Inter), len(out.MV), len(out.Frac), n)
	}
	if !first && !l.analysed {
		return fmt.Errorf("%w: no previous picture to search in the lookahead", ErrInput)
	}
	c, p := l.cur, l.cur^1
	addr := func(off int) int64 { return int64(l.base) + int64(off) }
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(l.params[8*i:], uint64(v)) }
	put(laSrc, addr(l.offSrc))
	put(laLow, addr(l.offLow[c]))
	put(laPrev, addr(l.offLow[p]))
	put(laOut, addr(l.offOut[c]))
	put(laPrevOut, addr(l.offOut[p]))
	put(laMBW, int64(l.mbW))
	put(laMBH, int64(l.mbH))
	be := l.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, l.params); err != nil {
		return err
	}
	if err := be.upload(l.offSrc, l.stager.stage(l.src, y)); err != nil {
		return err
	}
	if err := be.mark("down"); err != nil {
		return err
	}
	lowSamples := (8*l.mbW + 2*laMargin) * (8*l.mbH + 2*laMargin)
	if err := be.launch("la_down", lowSamples, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: la_down: %w", err)
	}
	if err := be.mark("analyse"); err != nil {
		return err
	}
	firstArg := 0
	if first {
		firstArg = 1
	}
	if err := be.launch("la_analyse", n, 0, firstArg); err != nil {
		return fmt.Errorf("h264cuda: la_analyse: %w", err)
	}
	if err := be.mark("download"); err != nil {
		return err
	}
	if err := be.download(l.res, l.offOut[c]); err != nil {
		return err
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	if err := be.sync(); err != nil {
		return err
	}
	le := binary.LittleEndian
	for i := range n {
		r := l.res[4*laWords*i : 4*laWords*(i+1)]
		mv := le.Uint32(r[4*laMV:])
		out.Intra[i] = int32(le.Uint32(r[4*laIntra:]))
		out.Inter[i] = int32(le.Uint32(r[4*laInter:]))
		out.MV[i] = h264.MV{X: int16(uint16(mv)), Y: int16(mv >> 16)}
		out.Frac[i] = le.Uint32(r[4*laFrac:])
	}
	l.cur, l.analysed = p, true
	return nil
}

func (l *lookaheadStage) close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	return l.be.close()
}
