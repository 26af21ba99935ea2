// The lookahead: pictures held back before coding (Options.Lookahead) and
// their half-resolution analysis, from which the macroblock tree
// (mbtree.go) estimates how much of each macroblock later pictures will
// reuse. Everything here runs in Go for both back ends, beside stage 1,
// and depends only on the source pictures: integer costs, rows in
// parallel, each row reading only the previous picture's analysis.

package h264

import (
	"fmt"
	"math"
	"slices"
)

// Half-resolution analysis: one 8×8 block per macroblock.
const (
	laBlock  = 8  // block edge at half resolution
	laRange  = 24 // search range in half-resolution samples
	laMargin = laRange + laBlock + 8
	laSteps  = 16 // diamond steps at most
)

// laFrame is one picture waiting in the lookahead.
type laFrame struct {
	src   *Picture    // padded to whole macroblocks
	low   motionPlane // half-resolution luma with a replicated margin
	intra []int32     // per macroblock: SATD of the best of DC, V, H from source neighbours
	inter []int32     // per macroblock: SATD of the best full-sample vector into the previous picture (intra when none)
	mv    []MV        // per macroblock: that vector, in half-resolution samples
	frac  []uint32    // per macroblock: (intra − inter) / intra in 1/65536, the share the reference supplies
	force bool        // ForceKeyframe was called before this picture was given
}

// lookahead is the queue of pictures given to Encode and not yet coded,
// oldest first, with the analysis of the last picture given (the
// reference of the next one's analysis) and recycled frames.
type lookahead struct {
	depth    int
	mbW, mbH int
	queue    []*laFrame
	last     *laFrame // the last picture given: in the queue, or coded already and not yet recycled
	free     []*laFrame
	prop     [][]uint64 // per queued picture: cost propagated into it (mbtree.go)
	bands    wavefront  // the tree's bands: the passes each has done (mbtree.go)
	// acc, when not nil, runs the analysis (analyse); the frames then
	// have no half-resolution plane on the host.
	acc LookaheadAccelerator
}

func newLookahead(depth, mbW, mbH int) *lookahead {
	return &lookahead{depth: depth, mbW: mbW, mbH: mbH}
}

// frame returns a recycled or new frame.
func (la *lookahead) frame() *laFrame {
	if n := len(la.free); n > 0 {
		f := la.free[n-1]
		la.free = la.free[:n-1]
		return f
	}
	n := la.mbW * la.mbH
	f := &laFrame{
		src:   newPadded(la.mbW, la.mbH),
		intra: make([]int32, n),
		inter: make([]int32, n),
		mv:    make([]MV, n),
		frac:  make([]uint32, n),
	}
	if la.acc == nil {
		f.low.reset(laBlock*la.mbW, laBlock*la.mbH, laMargin)
	}
	return f
}

// recycle returns a coded frame for reuse, unless it is still the
// reference of the next picture's analysis.
func (la *lookahead) recycle(f *laFrame) {
	if f != la.last {
		la.free = append(la.free, f)
	}
}

// enqueue queues f, the picture given after prev (nil for the first),
// which it returns: f's analysis reads prev's.
func (la *lookahead) enqueue(f *laFrame) (prev *laFrame) {
	prev = la.last
	if prev != nil && !la.queued(prev) {
		// Coded already: f's analysis is the last to read it, and it ends
		// before the next picture takes a frame (Encode waits for it).
		la.free = append(la.free, prev)
	}
	la.last = f
	la.queue = append(la.queue, f)
	return prev
}

// analyse runs the half-resolution analysis of f against prev: on the
// accelerator when there is one, else in Go on threads goroutines.
func (la *lookahead) analyse(f, prev *laFrame, threads int) error {
	if la.acc != nil {
		return la.accelAnalyse(f, prev)
	}
	err := runRows(la.mbH, threads, func(_, y int) {
		for r := y * laBlock; r < (y+1)*laBlock; r++ {
			motionDownRow(&f.low, f.src.Y.Pix, 0, f.src.Y.Stride, r)
		}
	})
	if err != nil {
		return err
	}
	f.low.extendTopBottom()
	return runRows(la.mbH, threads, func(_, y int) {
		for x := 0; x < la.mbW; x++ {
			la.analyseBlock(f, prev, x, y)
		}
	})
}

// accelAnalyse is analyse by the accelerator, whose results are checked
// against the bounds the macroblock tree relies on.
func (la *lookahead) accelAnalyse(f, prev *laFrame) error {
	if err := la.acc.AnalyseLookahead(f.src, prev == nil, LookaheadCosts{Intra: f.intra, Inter: f.inter, MV: f.mv, Frac: f.frac}); err != nil {
		return fmt.Errorf("%w: lookahead analysis: %w", ErrAccelerator, err)
	}
	for i, intra := range f.intra {
		v := f.mv[i]
		if intra < 1 || f.inter[i] < 0 || f.inter[i] > intra || f.frac[i] > 1<<16 ||
			v.X < -laRange || v.X > laRange || v.Y < -laRange || v.Y > laRange {
			return fmt.Errorf("%w: lookahead analysis: macroblock %d: intra %d, inter %d, vector %v, fraction %d out of range",
				ErrAccelerator, i, intra, f.inter[i], v, f.frac[i])
		}
	}
	return nil
}

func (la *lookahead) queued(f *laFrame) bool {
	for _, q := range la.queue {
		if q == f {
			return true
		}
	}
	return false
}

// pop removes the oldest picture from the queue.
func (la *lookahead) pop() *laFrame {
	f := la.queue[0]
	copy(la.queue, la.queue[1:])
	la.queue = la.queue[:len(la.queue)-1]
	return f
}

// analyseBlock computes block (x, y)'s intra and inter costs. The inter search
// starts from the zero vector and from the vectors the previous picture's
// analysis found at this block and its four neighbours, then walks a
// small diamond by SAD; the cost is the SATD at the vector found.
func (la *lookahead) analyseBlock(f, prev *laFrame, x, y int) {
	i := y*la.mbW + x
	L := &f.low
	org := L.origin + laBlock*(y*L.stride+x)
	f.intra[i] = int32(la.intraCost(f, x, y))
	if prev == nil {
		f.inter[i], f.mv[i], f.frac[i] = f.intra[i], MV{}, 0
		return
	}
	R := &prev.low
	// Every SAD below is compared with bestSAD (a candidate wins below
	// it, or at it by the tie-break): past it, the exact value does not
	// matter.
	sad := func(v MV, limit int) int {
		return sad8x8Within(L.pix, org, L.stride, R.pix, org+int(v.Y)*R.stride+int(v.X), R.stride, limit)
	}
	clamp := func(v MV) MV {
		v.X = max(-laRange, min(laRange, v.X))
		v.Y = max(-laRange, min(laRange, v.Y))
		return v
	}
	best := MV{}
	bestSAD := sad(best, math.MaxInt)
	// The previous picture's vectors (its own search, against the one
	// before it) at this block and its neighbours; each distinct vector
	// once.
	var tried [5]MV
	nTried := 0
	for _, d := range [5][2]int{{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}} {
		nx, ny := x+d[0], y+d[1]
		if nx < 0 || ny < 0 || nx >= la.mbW || ny >= la.mbH {
			continue
		}
		v := clamp(prev.mv[ny*la.mbW+nx])
		if v == (MV{}) || slices.Contains(tried[:nTried], v) {
			continue
		}
		tried[nTried] = v
		nTried++
		if c := sad(v, bestSAD); c < bestSAD || c == bestSAD && motionNorm(v) < motionNorm(best) {
			best, bestSAD = v, c
		}
	}
	// Small diamond: the step's neighbours but the centre it came from
	// (which cost more than the new centre).
	dirs := [4]MV{{-1, 0}, {1, 0}, {0, -1}, {0, 1}}
	back := -1
	for step := 0; step < laSteps && bestSAD > 0; step++ {
		centre, moved := best, -1
		for k, d := range dirs {
			if k == back {
				continue
			}
			v := clamp(MV{centre.X + d.X, centre.Y + d.Y})
			if v == centre {
				continue
			}
			if c := sad(v, bestSAD); c < bestSAD {
				best, bestSAD, moved = v, c, k
			}
		}
		if moved < 0 {
			break
		}
		back = moved ^ 1 // the opposite direction
	}
	inter := min(satd8x8Raw(L.pix, org, L.stride, R.pix, org+int(best.Y)*R.stride+int(best.X), R.stride)>>1, int(f.intra[i]))
	f.inter[i], f.mv[i] = int32(inter), best
	f.frac[i] = uint32((uint64(int(f.intra[i])-inter) << 16) / uint64(f.intra[i]))
}

// intraCost is the SATD of block (x, y) against the best of the DC,
// vertical and horizontal predictions from its half-resolution source
// neighbours (DC of 128 at the picture's top-left corner).
func (la *lookahead) intraCost(f *laFrame, x, y int) int {
	L := &f.low
	org := L.origin + laBlock*(y*L.stride+x)
	var pred [laBlock * laBlock]uint8
	top, left := y > 0, x > 0
	sum, n := 0, 0
	if top {
		for c := 0; c < laBlock; c++ {
			sum += int(L.pix[org-L.stride+c])
		}
		n += laBlock
	}
	if left {
		for r := 0; r < laBlock; r++ {
			sum += int(L.pix[org+r*L.stride-1])
		}
		n += laBlock
	}
	dc := uint8(128)
	if n > 0 {
		dc = uint8((sum + n/2) / n)
	}
	for k := range pred {
		pred[k] = dc
	}
	best := satd8x8Raw(L.pix, org, L.stride, pred[:], 0, laBlock)
	if top {
		for r := 0; r < laBlock; r++ {
			copy(pred[r*laBlock:(r+1)*laBlock], L.pix[org-L.stride:org-L.stride+laBlock])
		}
		best = min(best, satd8x8Raw(L.pix, org, L.stride, pred[:], 0, laBlock))
	}
	if left {
		for r := 0; r < laBlock; r++ {
			v := L.pix[org+r*L.stride-1]
			for c := 0; c < laBlock; c++ {
				pred[r*laBlock+c] = v
			}
		}
		best = min(best, satd8x8Raw(L.pix, org, L.stride, pred[:], 0, laBlock))
	}
	return best>>1 + 1
}
