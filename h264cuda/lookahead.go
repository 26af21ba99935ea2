// The lookahead's analysis on the GPU: the host side of
// kernels/lookahead.cu, mirroring h264/lookahead.go (lookahead.analyse).
// For every picture given to the encoder it uploads the padded source
// luma, makes the half-resolution plane, and searches each block against
// the previous picture's plane with the previous picture's vectors as
// candidates; both stay on the device for the next picture, and only the
// per-macroblock costs come back (16 bytes a macroblock). The macroblock
// tree that reads them stays in Go (h264/mbtree.go). The source luma it
// uploads stays on the device too, in a ring of planes, until the motion
// search of that picture copies it from there (sourceFor) instead of
// uploading it again.

package h264cuda

import (
	"encoding/binary"
	"fmt"
	"sync"

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
	// offSrc holds the source luma planes: the last one is the scratch
	// plane, the others a ring (next is the next to write) whose entries
	// keep their picture's luma for the motion search (sourceFor).
	offSrc []int
	next   int
	// Under mu: which picture each ring plane holds (nil: none) and
	// whether the motion search is copying from it (pinned: the analysis
	// writes the scratch plane instead).
	mu       sync.Mutex
	srcPic   []*h264.Picture
	pinned   []bool
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
// it owns from then on (closed by close, or here on failure), keeping the
// source luma of the last keep pictures analysed on the device.
func newLookaheadStage(be backend, w, h, keep int) (*lookaheadStage, error) {
	if w <= 0 || h <= 0 || w > maxDeblockSide || h > maxDeblockSide || keep < 0 {
		be.close()
		return nil, fmt.Errorf("%w: picture size %dx%d, %d pictures kept", ErrInput, w, h, keep)
	}
	l := &lookaheadStage{be: be, mbW: (w + 15) / 16, mbH: (h + 15) / 16}
	n := l.mbW * l.mbH
	lowStride := 8*l.mbW + 2*laMargin
	low := lowStride * (8*l.mbH + 2*laMargin)
	src := 256 * n
	res := 4 * laWords * n
	const pb = 8 * laCount
	at := pb // the parameter block is at offset 0
	for range keep + 1 {
		l.offSrc = append(l.offSrc, at)
		at += src
	}
	l.srcPic, l.pinned = make([]*h264.Picture, keep), make([]bool, keep)
	l.offLow = [2]int{at, at + low}
	l.offOut = [2]int{at + 2*low, at + 2*low + res}
	fail := func(err error) (*lookaheadStage, error) {
		be.close()
		return nil, err
	}
	var err error
	if l.base, err = be.alloc(at + 2*low + 2*res); err != nil {
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
	slot := l.claim(src)
	addr := func(off int) int64 { return int64(l.base) + int64(off) }
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(l.params[8*i:], uint64(v)) }
	put(laSrc, addr(l.offSrc[slot]))
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
	if err := be.upload(l.offSrc[slot], l.stager.stage(l.src, y)); err != nil {
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
	if slot < len(l.srcPic) {
		l.mu.Lock()
		l.srcPic[slot] = src
		l.mu.Unlock()
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

// claim returns the source plane the analysis of src writes: the ring's
// next plane, which forgets its picture, or the scratch plane when the
// ring keeps none or the motion search is copying from that one. A plane
// that held an earlier content of src (the encoder reuses its pictures)
// forgets it too.
func (l *lookaheadStage) claim(src *h264.Picture) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for slot, q := range l.srcPic {
		if q == src {
			l.srcPic[slot] = nil
		}
	}
	if len(l.srcPic) == 0 {
		return 0
	}
	slot := l.next
	l.next = (l.next + 1) % len(l.srcPic)
	if l.pinned[slot] {
		return len(l.srcPic)
	}
	l.srcPic[slot] = nil
	return slot
}

// sourceFor returns the device address of p's luma (packed, 16·mbW
// samples a row) where the analysis left it, and pins that plane until
// the returned release is called (after the copy from it has passed); ok
// is false when no plane holds p.
func (l *lookaheadStage) sourceFor(p *h264.Picture) (addr uint64, release func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for slot, q := range l.srcPic {
		if q == p && !l.pinned[slot] {
			l.pinned[slot] = true
			return l.base + uint64(l.offSrc[slot]), func() {
				l.mu.Lock()
				l.pinned[slot] = false
				l.mu.Unlock()
			}, true
		}
	}
	return 0, nil, false
}

func (l *lookaheadStage) close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	return l.be.close()
}

// lookaheadSourceBytes bounds the device memory an encoder spends on
// keeping the lookahead's source luma for the motion search.
const lookaheadSourceBytes = 96 << 20

// lookaheadKept is how many source luma planes of lumaBytes an encoder
// with a lookahead of depth pictures keeps: the depth and the two
// pictures that may be between analysis and search, within
// lookaheadSourceBytes (a picture whose plane was reused is uploaded
// again by the search).
func lookaheadKept(depth, lumaBytes int) int {
	return max(1, min(depth+2, lookaheadSourceBytes/lumaBytes))
}
