// Motion estimation for P macroblocks. ITU-T H.264 does not specify how an
// encoder finds its vectors; this file uses the spec only for the rate of a
// vector (mvd_l0 against the luma vector prediction of 8.4.1.3, coded as
// se(v), 7.3.5.1) and for the prediction itself (8.4.2.2, interp.go).
//
// The search is built for data parallelism: every stage computes one
// result per macroblock from the outputs of earlier stages only, never
// from a result of the same stage, so all macroblocks of a stage can run at
// once (one GPU thread block per macroblock, or here one goroutine per
// macroblock row). See DESIGN-motion.md for the stages and the exact
// tie-breaking rules; the comments on each stage repeat them.

package h264

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// Errors returned by newMotionSearch and (*motionSearch).run; test with
// errors.Is.
var (
	errMotionConfig = errors.New("h264: invalid motion search configuration")
	errMotionInput  = errors.New("h264: motion search input does not match its configuration")
)

// motionSearchConfig sets the size and effort of a motionSearch.
type motionSearchConfig struct {
	// Width and Height are the luma size of the current pictures.
	Width, Height int
	// CoarseRange is the full-search radius at the 1/16-area level, in that
	// level's samples (so ±4·CoarseRange luma samples). 1..64.
	CoarseRange int
	// RefineSteps bounds the iterations of each ±1 square refinement of
	// levels 1 and 0. 0..16.
	RefineSteps int
	// SubPel is 0 for integer vectors, 1 for half-sample refinement, 2 for
	// half then quarter-sample refinement.
	SubPel int
	// Partitions enables the 16x8, 8x16 and 8x8 results.
	Partitions bool
	// PartitionSteps bounds the integer-step iterations of each 8x8's
	// refinement from the 16x16 vector. 0..16.
	PartitionSteps int
	// PullPasses is the number of predictor pull passes, 0..8.
	PullPasses int
	// MaxVerticalMV is the vertical vector limit in luma samples: vectors
	// stay in [-MaxVerticalMV, MaxVerticalMV-0.25] (MaxVmvR of Table A-1,
	// 512 for levels 3.1 and above). Horizontal vectors always stay in
	// [-2048, 2047.75]. 16..512.
	MaxVerticalMV int
	// Workers is the number of goroutines; results do not depend on it.
	Workers int
}

// defaultMotionSearchConfig returns a medium-effort configuration for
// width×height pictures using workers goroutines.
func defaultMotionSearchConfig(width, height, workers int) motionSearchConfig {
	return motionSearchConfig{
		Width: width, Height: height,
		CoarseRange:    8,
		RefineSteps:    3,
		SubPel:         2,
		Partitions:     true,
		PartitionSteps: 1,
		PullPasses:     2,
		MaxVerticalMV:  512,
		Workers:        max(1, workers),
	}
}

// mbMotion is the motion search result of one macroblock. Costs are
// SATD + lambdaMotion·mvBits(mv, Pred); the encoder may recompute the rate
// with its final predictors.
type mbMotion struct {
	// Pred is the predictor the costs were measured against: the 8.4.1.3
	// median of the previous pull pass's field (or, without pull passes,
	// of the level-1 field).
	Pred MV
	// MV16 is the best 16x16 vector, SATD16 its luma SATD, Cost16 its cost.
	MV16           MV
	SATD16, Cost16 int32
	// Per-partition results (upper then lower 16x8, left then right 8x16,
	// 8x8 in raster order), filled when the configuration enables them.
	MV16x8             [2]MV
	SATD16x8, Cost16x8 [2]int32
	MV8x16             [2]MV
	SATD8x16, Cost8x16 [2]int32
	MV8x8              [4]MV
	SATD8x8, Cost8x8   [4]int32
}

// motionField is the result of a search: one mbMotion per macroblock in
// raster order.
type motionField struct {
	MBWidth, MBHeight int
	MBs               []mbMotion
}

// satd16 is the sum of the field's 16x16 SATDs (constant-quality rate
// control reads it).
func (f *motionField) satd16() int64 {
	var sum int64
	for i := range f.MBs {
		sum += int64(f.MBs[i].SATD16)
	}
	return sum
}

// motionPlane is a sample plane with a replicated margin: sample (x, y) for
// x in [-margin, w+margin) is pix[origin+y*stride+x].
type motionPlane struct {
	w, h, margin   int
	stride, origin int
	pix            []uint8
}

// reset sizes p, allocating only when it grows.
func (p *motionPlane) reset(w, h, margin int) {
	p.w, p.h, p.margin = w, h, margin
	p.stride = w + 2*margin
	p.origin = margin*p.stride + margin
	n := (h + 2*margin) * p.stride
	if cap(p.pix) < n {
		p.pix = make([]uint8, n)
	}
	p.pix = p.pix[:n]
}

// extendRow replicates row y's edge samples into its left and right margins.
func (p *motionPlane) extendRow(y int) {
	row := p.pix[p.origin+y*p.stride-p.margin : p.origin+y*p.stride+p.w+p.margin]
	l, r := row[p.margin], row[p.margin+p.w-1]
	for i := 0; i < p.margin; i++ {
		row[i] = l
		row[p.margin+p.w+i] = r
	}
}

// extendTopBottom copies the first and last rows (margins included) into the
// top and bottom margins; the rows must already be extended.
func (p *motionPlane) extendTopBottom() {
	first := p.pix[p.origin-p.margin : p.origin-p.margin+p.stride]
	lo := p.origin + (p.h-1)*p.stride - p.margin
	last := p.pix[lo : lo+p.stride]
	for i := 1; i <= p.margin; i++ {
		copy(p.pix[p.origin-p.margin-i*p.stride:], first)
		copy(p.pix[lo+i*p.stride:lo+(i+1)*p.stride], last)
	}
}

// motionDownRow writes row y of dst as the rounded 2×2 average of rows 2y
// and 2y+1 of src: (a+b+c+d+2)>>2. srcOrigin/srcStride address src's sample
// (0, 0); dst's margins of row y are replicated.
func motionDownRow(dst *motionPlane, src []uint8, srcOrigin, srcStride, y int) {
	d := dst.pix[dst.origin+y*dst.stride : dst.origin+y*dst.stride+dst.w]
	s0 := src[srcOrigin+2*y*srcStride : srcOrigin+2*y*srcStride+2*dst.w]
	s1 := src[srcOrigin+(2*y+1)*srcStride : srcOrigin+(2*y+1)*srcStride+2*dst.w]
	for x := range d {
		d[x] = uint8((int(s0[2*x]) + int(s0[2*x+1]) + int(s1[2*x]) + int(s1[2*x+1]) + 2) >> 2)
	}
	if dst.margin > 0 {
		dst.extendRow(y)
	}
}

// motionStage names the stages of a search, in execution order.
type motionStage int

const (
	motionStageLoad   motionStage = iota // src level 0 rows, reference full-plane rows
	motionStageLevel1                    // src/ref level 1 rows, reference half-sample rows
	motionStageLevel2                    // src/ref level 2 rows
	motionStageCoarse                    // full search at level 2, per MB row
	motionStageMid                       // candidates + refinement at level 1
	motionStageFine                      // candidates + refinement at level 0
	motionStageSubPel                    // half/quarter refinement with SATD
	motionStagePull                      // one predictor pull pass
	motionStageParts                     // partition refinement
)

// motionWorker is one goroutine's scratch space.
type motionWorker struct {
	half  interpRefScratch
	buf   [16 * 16]uint8
	quads motionQuadCache
}

// motionQuadCache remembers, for the macroblock being refined, the raw
// (not halved) SATD of each 8x8 quadrant at each vector evaluated, so that
// the 16x16, 16x8, 8x16 and 8x8 costs share them: a partition's SATD is the
// sum of its quadrants' raw sums, halved (cost.go), so reuse changes no
// result. Entries carry the generation of their macroblock; a new
// macroblock bumps the generation instead of clearing the table.
type motionQuadCache struct {
	gen   uint32
	count [4]int
	slot  [4][motionQuadSlots]motionQuadEntry
}

// motionQuadSlots is the size of each quadrant's open-addressing table.
const motionQuadSlots = 128

type motionQuadEntry struct {
	gen uint32
	mv  MV
	raw int32
}

// reset starts a new macroblock.
func (c *motionQuadCache) reset() {
	c.gen++
	if c.gen == 0 { // wrapped: stale entries could match again
		c.slot = [4][motionQuadSlots]motionQuadEntry{}
		c.gen = 1
	}
	c.count = [4]int{}
}

// lookup returns the slot for (q, v) and whether it holds v.
func (c *motionQuadCache) lookup(q int, v MV) (*motionQuadEntry, bool) {
	h := (uint32(uint16(v.X))*0x9E37 ^ uint32(uint16(v.Y))*0x85EB) >> 3
	t := &c.slot[q&3]
	for i := uint32(0); i < motionQuadSlots; i++ {
		e := &t[(h+i)%motionQuadSlots]
		if e.gen != c.gen {
			return e, false
		}
		if e.mv == v {
			return e, true
		}
	}
	return nil, false
}

// motionKeptMax bounds the quadrant sums the sub-sample stage keeps per
// macroblock for the partition stage (16x16 refinement evaluates at most
// 17 vectors of 4 quadrants; beyond the bound, entries are dropped, which
// only costs time).
const motionKeptMax = 64

// motionKept is one quadrant sum kept from the sub-sample stage: quadrant
// q, vector mv, raw SATD sum raw, packed as q<<30 | raw (an 8x8 raw sum is
// below 2^18).
type motionKept struct {
	mv   MV
	qraw uint32
}

// keep copies the cache's entries of the current macroblock into dst (at
// most len(dst)) and returns how many it copied.
func (c *motionQuadCache) keep(dst []motionKept) int {
	n := 0
	for q := range c.slot {
		for i := range c.slot[q] {
			e := &c.slot[q][i]
			if e.gen != c.gen {
				continue
			}
			if n == len(dst) {
				return n
			}
			dst[n] = motionKept{mv: e.mv, qraw: uint32(q)<<30 | uint32(e.raw)}
			n++
		}
	}
	return n
}

// restore puts kept entries back into the (freshly reset) cache.
func (c *motionQuadCache) restore(src []motionKept) {
	for _, k := range src {
		q := int(k.qraw >> 30)
		if e, hit := c.lookup(q, k.mv); !hit && e != nil && c.count[q] < motionQuadSlots*3/4 {
			*e = motionQuadEntry{gen: c.gen, mv: k.mv, raw: int32(k.qraw & (1<<30 - 1))}
			c.count[q]++
		}
	}
}

// motionPullEntry is one macroblock of a pull pass's field.
type motionPullEntry struct {
	mv   MV
	pred MV
	satd int32
	cost int32
}

// motionSearch is a reusable hierarchical motion search for pictures of one
// size. It holds all its buffers, so a run allocates nothing per
// macroblock (and nothing at all with one worker after the first run).
type motionSearch struct {
	cfg      motionSearchConfig
	mbW, mbH int

	src  [3]motionPlane // source pyramid: levels 0 (16·mbW wide), 1, 2
	refL [3]motionPlane // reference pyramid levels 1 and 2 (index 0 unused)
	fast interpRef      // reference level 0 with half-sample planes

	lvl2, lvl1, lvl0 []MV // per-MB vectors of each level, in that level's samples
	pred0            []MV // per-MB predictor (quarter samples) of level 0 and sub-pel
	pull             [2][]motionPullEntry
	// kept holds, per macroblock, the quadrant sums its sub-sample stage
	// computed (keptN of them), which its partition stage starts its cache
	// with: the same source, reference and vectors give the same sums.
	kept  []motionKept
	keptN []uint8

	// Inputs of the run in progress.
	cur, ref *Picture
	prev     []MV
	lambda   int
	out      *motionField
	pullIn   int // index of the pull buffer the current pass reads

	workers []motionWorker
	next    atomic.Int64

	// reverseForTest makes a one-worker run visit units and macroblocks in
	// reverse order; a test checks that nothing changes.
	reverseForTest bool
}

// newMotionSearch validates cfg and allocates a search for it. A search
// runs one picture at a time: run must not be called concurrently on the
// same motionSearch.
func newMotionSearch(cfg motionSearchConfig) (*motionSearch, error) {
	switch {
	case cfg.Width < 1 || cfg.Height < 1 || cfg.Width > 16384 || cfg.Height > 16384:
		return nil, fmt.Errorf("%w: picture size %dx%d", errMotionConfig, cfg.Width, cfg.Height)
	case cfg.CoarseRange < 1 || cfg.CoarseRange > 64:
		return nil, fmt.Errorf("%w: coarse range %d not in 1..64", errMotionConfig, cfg.CoarseRange)
	case cfg.RefineSteps < 0 || cfg.RefineSteps > 16:
		return nil, fmt.Errorf("%w: refine steps %d not in 0..16", errMotionConfig, cfg.RefineSteps)
	case cfg.PartitionSteps < 0 || cfg.PartitionSteps > 16:
		return nil, fmt.Errorf("%w: partition steps %d not in 0..16", errMotionConfig, cfg.PartitionSteps)
	case cfg.SubPel < 0 || cfg.SubPel > 2:
		return nil, fmt.Errorf("%w: sub-pel mode %d not in 0..2", errMotionConfig, cfg.SubPel)
	case cfg.PullPasses < 0 || cfg.PullPasses > 8:
		return nil, fmt.Errorf("%w: pull passes %d not in 0..8", errMotionConfig, cfg.PullPasses)
	case cfg.MaxVerticalMV < 16 || cfg.MaxVerticalMV > 512:
		return nil, fmt.Errorf("%w: vertical vector limit %d not in 16..512", errMotionConfig, cfg.MaxVerticalMV)
	case cfg.Workers < 1 || cfg.Workers > 1024:
		return nil, fmt.Errorf("%w: %d workers", errMotionConfig, cfg.Workers)
	}
	s := &motionSearch{cfg: cfg}
	s.mbW = (cfg.Width + 15) / 16
	s.mbH = (cfg.Height + 15) / 16
	n := s.mbW * s.mbH
	s.lvl2 = make([]MV, n)
	s.lvl1 = make([]MV, n)
	s.lvl0 = make([]MV, n)
	s.pred0 = make([]MV, n)
	s.pull[0] = make([]motionPullEntry, n)
	s.pull[1] = make([]motionPullEntry, n)
	if cfg.Partitions && cfg.SubPel > 0 {
		s.kept = make([]motionKept, n*motionKeptMax)
		s.keptN = make([]uint8, n)
	}
	s.workers = make([]motionWorker, cfg.Workers)
	return s, nil
}

// Margins of the reference levels, in each level's samples: a level-2 full
// search may reach CoarseRange+2 samples outside the picture, and each finer
// level twice as far plus room for its refinement.
func (s *motionSearch) margin2() int { return s.cfg.CoarseRange + 2 }
func (s *motionSearch) margin1() int { return 2*s.margin2() + 2 }
func (s *motionSearch) margin0() int { return 2*s.margin1() + 4 }

// run searches cur against ref and writes one mbMotion per macroblock into
// out (resized as needed). prevField is the previous picture's final 16x16
// vectors in raster order (len MBWidth·MBHeight; intra macroblocks as zero)
// or nil. qp selects lambdaMotion. cur's luma must be Width×Height; ref's
// luma may be larger (e.g. padded to whole macroblocks) but must cover the
// same macroblock grid.
func (s *motionSearch) run(cur, ref *Picture, prevField []MV, qp int, out *motionField) error {
	if cur == nil || ref == nil || out == nil {
		return fmt.Errorf("%w: nil picture or field", errMotionInput)
	}
	cy, ry := &cur.Y, &ref.Y
	if cy.Width != s.cfg.Width || cy.Height != s.cfg.Height {
		return fmt.Errorf("%w: current luma %dx%d, configured %dx%d", errMotionInput, cy.Width, cy.Height, s.cfg.Width, s.cfg.Height)
	}
	if (ry.Width+15)/16 != s.mbW || (ry.Height+15)/16 != s.mbH {
		return fmt.Errorf("%w: reference luma %dx%d is not a %dx%d macroblock picture", errMotionInput, ry.Width, ry.Height, s.mbW, s.mbH)
	}
	if !motionPlaneOK(cy) || !motionPlaneOK(ry) {
		return fmt.Errorf("%w: luma plane stride or buffer too small", errMotionInput)
	}
	if prevField != nil && len(prevField) != s.mbW*s.mbH {
		return fmt.Errorf("%w: previous field has %d vectors, want %d", errMotionInput, len(prevField), s.mbW*s.mbH)
	}
	s.cur, s.ref, s.prev, s.out = cur, ref, prevField, out
	s.lambda = lambdaMotion(qp)
	out.MBWidth, out.MBHeight = s.mbW, s.mbH
	if cap(out.MBs) < s.mbW*s.mbH {
		out.MBs = make([]mbMotion, s.mbW*s.mbH)
	}
	out.MBs = out.MBs[:s.mbW*s.mbH]

	// Pyramids and half-sample planes.
	s.src[0].reset(16*s.mbW, 16*s.mbH, 0)
	s.src[1].reset(8*s.mbW, 8*s.mbH, 0)
	s.src[2].reset(4*s.mbW, 4*s.mbH, 0)
	s.refL[1].reset(8*s.mbW, 8*s.mbH, s.margin1())
	s.refL[2].reset(4*s.mbW, 4*s.mbH, s.margin2())
	s.fast.reset(ry, s.margin0())
	s.stage(motionStageLoad, max(s.src[0].h, s.fast.fullRows()))
	s.stage(motionStageLevel1, s.src[1].h+s.fast.halfRows())
	s.refL[1].extendTopBottom()
	s.stage(motionStageLevel2, s.src[2].h)
	s.refL[2].extendTopBottom()

	// Search.
	s.stage(motionStageCoarse, s.mbH)
	s.stage(motionStageMid, s.mbH)
	s.stage(motionStageFine, s.mbH)
	s.stage(motionStageSubPel, s.mbH)
	s.pullIn = 0
	for p := 0; p < s.cfg.PullPasses; p++ {
		s.stage(motionStagePull, s.mbH)
		s.pullIn ^= 1
	}
	s.stage(motionStageParts, s.mbH)
	s.cur, s.ref, s.prev, s.out = nil, nil, nil, nil
	return nil
}

// lumaRef returns the reference of the last run prepared for fast luma
// motion compensation: (*interpRef).predict and view give the same bytes as
// predictLuma on that reference, several times faster. It is valid until
// the next run, as long as the reference's luma is not modified; nil
// before the first run.
func (s *motionSearch) lumaRef() *interpRef {
	if s.fast.ref == nil {
		return nil
	}
	return &s.fast
}

// motionPlaneOK reports whether p's buffer holds Width×Height samples at
// its stride.
func motionPlaneOK(p *Plane) bool {
	return p.Width > 0 && p.Height > 0 && p.Stride >= p.Width && len(p.Pix) >= (p.Height-1)*p.Stride+p.Width
}

// stage runs st for units 0..n-1 (rows of a plane or of macroblocks), on
// the calling goroutine with one worker, else on cfg.Workers goroutines
// that claim units in turn. Units of one stage are independent, so the
// result does not depend on which worker runs which unit.
func (s *motionSearch) stage(st motionStage, n int) {
	nw := min(len(s.workers), n)
	if nw <= 1 {
		for i := 0; i < n; i++ {
			if s.reverseForTest {
				s.unit(st, &s.workers[0], n-1-i)
			} else {
				s.unit(st, &s.workers[0], i)
			}
		}
		return
	}
	s.next.Store(0)
	var wg sync.WaitGroup
	wg.Add(nw)
	for w := 0; w < nw; w++ {
		go s.stageWorker(st, n, &s.workers[w], &wg)
	}
	wg.Wait()
}

// stageWorker runs units of st claimed from s.next until none is left.
func (s *motionSearch) stageWorker(st motionStage, n int, wk *motionWorker, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		i := int(s.next.Add(1)) - 1
		if i >= n {
			return
		}
		s.unit(st, wk, i)
	}
}

// unit runs unit i of stage st.
func (s *motionSearch) unit(st motionStage, wk *motionWorker, i int) {
	switch st {
	case motionStageLoad:
		if i < s.src[0].h {
			s.loadSrcRow(i)
		}
		if i < s.fast.fullRows() {
			s.fast.buildFullRows(i, i+1)
		}
	case motionStageLevel1:
		if i < s.src[1].h {
			motionDownRow(&s.src[1], s.src[0].pix, s.src[0].origin, s.src[0].stride, i)
			motionDownRow(&s.refL[1], s.fast.planes[interpKindFull], s.fast.origin, s.fast.stride, i)
		} else {
			i -= s.src[1].h
			s.fast.buildHalfRows(&wk.half, i, i+1)
		}
	case motionStageLevel2:
		motionDownRow(&s.src[2], s.src[1].pix, s.src[1].origin, s.src[1].stride, i)
		motionDownRow(&s.refL[2], s.refL[1].pix, s.refL[1].origin, s.refL[1].stride, i)
	default:
		for k := 0; k < s.mbW; k++ {
			x := k
			if s.reverseForTest {
				x = s.mbW - 1 - k
			}
			s.mbUnit(st, wk, x, i)
		}
	}
}

// mbUnit runs stage st for macroblock (x, y).
func (s *motionSearch) mbUnit(st motionStage, wk *motionWorker, x, y int) {
	switch st {
	case motionStageCoarse:
		s.coarseMB(x, y)
	case motionStageMid:
		s.midMB(x, y)
	case motionStageFine:
		s.fineMB(x, y)
	case motionStageSubPel:
		s.subPelMB(wk, x, y)
	case motionStagePull:
		s.pullMB(wk, x, y)
	case motionStageParts:
		s.partsMB(wk, x, y)
	}
}

// loadSrcRow fills row y of source level 0 (whole macroblocks) from the
// current luma, replicating its right and bottom edges.
func (s *motionSearch) loadSrcRow(y int) {
	p := &s.cur.Y
	sy := min(y, p.Height-1)
	srow := p.Pix[sy*p.Stride : sy*p.Stride+p.Width]
	d := s.src[0].pix[y*s.src[0].stride : y*s.src[0].stride+s.src[0].w]
	copy(d, srow)
	last := srow[p.Width-1]
	for x := p.Width; x < len(d); x++ {
		d[x] = last
	}
}

// motionNorm is |x|+|y|, the second key of every tie-break.
func motionNorm(v MV) int {
	return costAbs(int(v.X)) + costAbs(int(v.Y))
}

// motionBetter reports whether (cost, mv) beats the incumbent (bestCost,
// best): lower cost, then smaller |x|+|y|. Candidates are visited in a
// fixed order and replace the incumbent only when strictly better, so among
// complete ties the earliest candidate wins.
func motionBetter(cost int, mv MV, bestCost int, best MV) bool {
	if cost != bestCost {
		return cost < bestCost
	}
	return motionNorm(mv) < motionNorm(best)
}

// motionMedian is the 16x16 luma vector prediction of ITU-T H.264 8.4.1.3
// for macroblock (mbx, mby) from field (raster order, mbW wide); see
// motionMedianOf for the model.
func motionMedian(field []MV, mbW, mbx, mby int) MV {
	i := mby*mbW + mbx
	var a, b, c, d MV
	availA, availB, availC, availD := mbx > 0, mby > 0, mby > 0 && mbx+1 < mbW, mby > 0 && mbx > 0
	if availA {
		a = field[i-1]
	}
	if availB {
		b = field[i-mbW]
	}
	if availC {
		c = field[i-mbW+1]
	}
	if availD {
		d = field[i-mbW-1]
	}
	return motionMedianOf(a, b, c, d, availA, availB, availC, availD)
}

// motionMedianOf is the 16x16 vector prediction of 8.4.1.3 from the
// neighbours A (left), B (above), C (above right) and D (above left) under
// the search's model: one slice per picture, every macroblock inter with
// refIdxL0 = 0, so a neighbour is available exactly when it lies inside the
// picture. C is replaced by D when unavailable (8.4.1.3.2); when only A is
// available it is the prediction (8.4.1.3, B and C take A's values); when
// exactly one neighbour has refIdx 0 (is available) its vector is the
// prediction (8.4.1.3.1); otherwise each component is the median of the
// three, unavailable neighbours counting as zero vectors.
func motionMedianOf(a, b, c, d MV, availA, availB, availC, availD bool) MV {
	if !availC {
		c, availC = d, availD
	}
	switch {
	case availA && !availB && !availC:
		return a
	case !availA && availB && !availC:
		return b
	case !availA && !availB && availC:
		return c
	}
	return MV{motionMedian3(a.X, b.X, c.X), motionMedian3(a.Y, b.Y, c.Y)}
}

// motionMedian3 is Median(a, b, c) of 5-8.
func motionMedian3(a, b, c int16) int16 {
	return max(min(a, b), min(max(a, b), c))
}

// motionBounds is the inclusive range of vectors a stage may evaluate for
// one macroblock, in that stage's units.
type motionBounds struct{ minX, maxX, minY, maxY int }

func (b *motionBounds) contains(v MV) bool {
	return int(v.X) >= b.minX && int(v.X) <= b.maxX && int(v.Y) >= b.minY && int(v.Y) <= b.maxY
}

func (b *motionBounds) clamp(v MV) MV {
	return MV{int16(interpClamp(int(v.X), b.minX, b.maxX)), int16(interpClamp(int(v.Y), b.minY, b.maxY))}
}

// levelBounds is the range of level-L (1 or 2) vectors for macroblock
// (mbx, mby): the block stays inside the reference level and its margin,
// and the vector, scaled to quarter luma samples, inside the level limits.
func (s *motionSearch) levelBounds(L, mbx, mby int) motionBounds {
	p := &s.refL[L]
	bs := 16 >> L
	bx, by := mbx*bs, mby*bs
	sh := L + 2
	vy := s.cfg.MaxVerticalMV * 4
	return motionBounds{
		minX: max(-p.margin-bx, -8192>>sh), maxX: min(p.w+p.margin-bs-bx, 8191>>sh),
		minY: max(-p.margin-by, -vy>>sh), maxY: min(p.h+p.margin-bs-by, (vy-1)>>sh),
	}
}

// qpelBounds is the range of quarter-sample vectors for macroblock
// (mbx, mby) at level 0: the block (plus the extra column and row of
// quarter positions) stays in the valid region of the half-sample planes,
// and the vector inside the level limits.
func (s *motionSearch) qpelBounds(mbx, mby int) motionBounds {
	f := &s.fast
	bx, by := 16*mbx, 16*mby
	vy := s.cfg.MaxVerticalMV * 4
	return motionBounds{
		minX: max(4*(-f.pad-bx), -8192), maxX: min(4*(f.w+f.pad-17-bx)+3, 8191),
		minY: max(4*(-f.pad-by), -vy), maxY: min(4*(f.h+f.pad-17-by)+3, vy-1),
	}
}

// levelCost is the cost of level-L vector v (level samples) for macroblock
// (mbx, mby): SAD·4^L (level-0 scale) + lambda·mvBits of v in quarter
// samples against pred. L = 0 reads the reference's full-sample plane.
func (s *motionSearch) levelCost(L, mbx, mby int, v, pred MV) int {
	bs := 16 >> L
	src := &s.src[L]
	si := (mby*bs)*src.stride + mbx*bs
	var sad int
	if L == 0 {
		f := &s.fast
		ri := f.origin + (mby*16+int(v.Y))*f.stride + mbx*16 + int(v.X)
		sad = sad16x16(src.pix, si, src.stride, f.planes[interpKindFull], ri, f.stride)
	} else {
		r := &s.refL[L]
		ri := r.origin + (mby*bs+int(v.Y))*r.stride + mbx*bs + int(v.X)
		if L == 1 {
			sad = sad8x8(src.pix, si, src.stride, r.pix, ri, r.stride)
		} else {
			sad = sad4x4(src.pix, si, src.stride, r.pix, ri, r.stride)
		}
	}
	sh := L + 2
	return sad<<(2*L) + s.lambda*mvBits(MV{v.X << sh, v.Y << sh}, pred)
}

// levelCostWithin is levelCost, except that at level 0 it gives up (ok
// false) once the cost is sure to exceed limit: the SAD of the rows so far
// (checked every four) plus the rate already does. A candidate of cost above limit cannot beat
// a best of cost limit under motionBetter, so no decision changes.
func (s *motionSearch) levelCostWithin(L, mbx, mby int, v, pred MV, limit int) (cost int, ok bool) {
	if L != 0 {
		return s.levelCost(L, mbx, mby, v, pred), true
	}
	rate := s.lambda * mvBits(MV{v.X << 2, v.Y << 2}, pred)
	if rate > limit {
		return 0, false
	}
	src, f := &s.src[0], &s.fast
	si := (mby*16)*src.stride + mbx*16
	ri := f.origin + (mby*16+int(v.Y))*f.stride + mbx*16 + int(v.X)
	full := f.planes[interpKindFull]
	sad := 0
	for r := 0; r < 16; r += 4 {
		sad += sad16x4(src.pix, si+r*src.stride, src.stride, full, ri+r*f.stride, f.stride)
		if sad+rate > limit {
			return 0, false
		}
	}
	return sad + rate, true
}

// coarseMB is stage 1: a full search at level 2 in [-R, R]² (R =
// CoarseRange) intersected with the bounds, visited in raster order (y
// outer, x inner, both increasing), cost levelCost against the zero vector.
// Reads: source and reference level 2. Writes: lvl2[mb].
func (s *motionSearch) coarseMB(mbx, mby int) {
	b := s.levelBounds(2, mbx, mby)
	r := s.cfg.CoarseRange
	// The 4×4 source block, loaded once.
	src := &s.src[2]
	var sb [16]int
	for i := 0; i < 4; i++ {
		row := (*[4]uint8)(src.pix[(4*mby+i)*src.stride+4*mbx:])
		sb[4*i], sb[4*i+1], sb[4*i+2], sb[4*i+3] = int(row[0]), int(row[1]), int(row[2]), int(row[3])
	}
	ref := &s.refL[2]
	best := MV{}
	bestCost := s.levelCost(2, mbx, mby, best, MV{})
	x0, x1 := max(-r, b.minX), min(r, b.maxX)
	for y := max(-r, b.minY); y <= min(r, b.maxY); y++ {
		bitsY := bitsSE(int32(y) << 4)
		o := ref.origin + (4*mby+y)*ref.stride + 4*mbx
		r0 := ref.pix[o+x0 : o+x1+4]
		r1 := ref.pix[o+ref.stride+x0 : o+ref.stride+x1+4]
		r2 := ref.pix[o+2*ref.stride+x0 : o+2*ref.stride+x1+4]
		r3 := ref.pix[o+3*ref.stride+x0 : o+3*ref.stride+x1+4]
		for x := x0; x <= x1; x++ {
			k := x - x0
			a := (*[4]uint8)(r0[k:])
			bb := (*[4]uint8)(r1[k:])
			c := (*[4]uint8)(r2[k:])
			d := (*[4]uint8)(r3[k:])
			// levelCost(2, …, v, 0), inlined: SAD·16 + λ·mvBits(v·16, 0).
			// A candidate whose upper half alone costs more than the best
			// cannot win (motionBetter), so the lower half is skipped.
			rate := s.lambda * (bitsSE(int32(x)<<4) + bitsY)
			sad := costAbs(sb[0]-int(a[0])) + costAbs(sb[1]-int(a[1])) + costAbs(sb[2]-int(a[2])) + costAbs(sb[3]-int(a[3])) +
				costAbs(sb[4]-int(bb[0])) + costAbs(sb[5]-int(bb[1])) + costAbs(sb[6]-int(bb[2])) + costAbs(sb[7]-int(bb[3]))
			if sad<<4+rate > bestCost {
				continue
			}
			sad += costAbs(sb[8]-int(c[0])) + costAbs(sb[9]-int(c[1])) + costAbs(sb[10]-int(c[2])) + costAbs(sb[11]-int(c[3])) +
				costAbs(sb[12]-int(d[0])) + costAbs(sb[13]-int(d[1])) + costAbs(sb[14]-int(d[2])) + costAbs(sb[15]-int(d[3]))
			cost := sad<<4 + rate
			v := MV{int16(x), int16(y)}
			if motionBetter(cost, v, bestCost, best) {
				best, bestCost = v, cost
			}
		}
	}
	s.lvl2[mby*s.mbW+mbx] = best
}

// motionRoundShift is v / 2^sh rounded to nearest, halves up (arithmetic).
func motionRoundShift(v int16, sh uint) int16 {
	return int16((int(v) + 1<<(sh-1)) >> sh)
}

// candidatesAndRefine evaluates, at level L, the candidate list (zero; then
// the coarser field `up` times 2 at the 3×3 neighbourhood in raster order,
// neighbours outside the picture skipped; then the previous picture's field
// at the same positions rounded to level L), each clamped to the bounds,
// and refines the best with up to RefineSteps ±1 square steps. It returns
// the best vector in level-L samples. pred is in quarter samples.
func (s *motionSearch) candidatesAndRefine(L, mbx, mby int, up []MV, pred MV) MV {
	var b motionBounds
	if L == 0 {
		// Integer vectors v with 4v inside the quarter-sample bounds.
		q := s.qpelBounds(mbx, mby)
		b = motionBounds{minX: (q.minX + 3) >> 2, maxX: q.maxX >> 2, minY: (q.minY + 3) >> 2, maxY: q.maxY >> 2}
	} else {
		b = s.levelBounds(L, mbx, mby)
	}
	best := MV{}
	bestCost := s.levelCost(L, mbx, mby, best, pred)
	// Vectors already evaluated: a repeat has the same cost and comes later
	// in the order, so it can never win; skipping it only saves time.
	var seen [19]MV
	nSeen := 1
	try := func(v MV) {
		v = b.clamp(v)
		for _, u := range seen[:nSeen] {
			if u == v {
				return
			}
		}
		seen[nSeen] = v
		nSeen++
		if c, ok := s.levelCostWithin(L, mbx, mby, v, pred, bestCost); ok && motionBetter(c, v, bestCost, best) {
			best, bestCost = v, c
		}
	}
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			x, y := mbx+dx, mby+dy
			if x < 0 || y < 0 || x >= s.mbW || y >= s.mbH {
				continue
			}
			u := up[y*s.mbW+x]
			try(MV{2 * u.X, 2 * u.Y})
		}
	}
	if s.prev != nil {
		sh := uint(L + 2)
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				x, y := mbx+dx, mby+dy
				if x < 0 || y < 0 || x >= s.mbW || y >= s.mbH {
					continue
				}
				p := s.prev[y*s.mbW+x]
				try(MV{motionRoundShift(p.X, sh), motionRoundShift(p.Y, sh)})
			}
		}
	}
	// The previous step's square was evaluated in full: its vectors can
	// never win again (best only improves), so a step skips them.
	var prev MV
	for step := 0; step < s.cfg.RefineSteps; step++ {
		center := best
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				v := MV{center.X + int16(dx), center.Y + int16(dy)}
				if (dx == 0 && dy == 0) || !b.contains(v) {
					continue
				}
				if step > 0 && v.X >= prev.X-1 && v.X <= prev.X+1 && v.Y >= prev.Y-1 && v.Y <= prev.Y+1 {
					continue
				}
				if c, ok := s.levelCostWithin(L, mbx, mby, v, pred, bestCost); ok && motionBetter(c, v, bestCost, best) {
					best, bestCost = v, c
				}
			}
		}
		if best == center {
			break
		}
		prev = center
	}
	return best
}

// midMB is stage 2 (level 1). Reads: lvl2 of this MB and its 8
// neighbours, the previous field, source and reference level 1. Writes:
// lvl1[mb]. The rate predictor is the 8.4.1.3 median of lvl2 (scaled).
func (s *motionSearch) midMB(mbx, mby int) {
	m := motionMedian(s.lvl2, s.mbW, mbx, mby)
	pred := MV{m.X << 4, m.Y << 4}
	s.lvl1[mby*s.mbW+mbx] = s.candidatesAndRefine(1, mbx, mby, s.lvl2, pred)
}

// fineMB is stage 3 (level 0, integer). Reads: lvl1 of this MB and its 8
// neighbours, the previous field, source level 0 and the reference's full
// plane. Writes: lvl0[mb] and pred0[mb] (the median of lvl1, scaled).
func (s *motionSearch) fineMB(mbx, mby int) {
	m := motionMedian(s.lvl1, s.mbW, mbx, mby)
	pred := MV{m.X << 3, m.Y << 3}
	i := mby*s.mbW + mbx
	s.pred0[i] = pred
	s.lvl0[i] = s.candidatesAndRefine(0, mbx, mby, s.lvl1, pred)
}

// satd16 is the SATD of macroblock (mbx, mby) predicted with the
// quarter-sample vector v.
func (s *motionSearch) satd16(wk *motionWorker, mbx, mby int, v MV) int {
	x, y := 16*mbx, 16*mby
	pix, off, stride := s.fast.view(wk.buf[:], 16, x, y, int(v.X), int(v.Y), 16, 16)
	src := &s.src[0]
	return satdBlock(src.pix, y*src.stride+x, src.stride, pix, off, stride, 16, 16)
}

// quadRaw is the raw SATD sum of 8x8 quadrant q (raster order) of
// macroblock (mbx, mby) predicted with v, through the worker's cache.
func (s *motionSearch) quadRaw(wk *motionWorker, mbx, mby, q int, v MV) int {
	e, ok := wk.quads.lookup(q, v)
	if ok {
		return int(e.raw)
	}
	x, y := 16*mbx+8*(q&1), 16*mby+8*(q>>1)
	src := &s.src[0]
	si := y*src.stride + x
	var raw int
	pa, oa, pb, ob, single, ok := s.fast.terms(x, y, int(v.X), int(v.Y), 8, 8)
	switch {
	case ok && single:
		raw = satd8x8Raw(src.pix, si, src.stride, pa, oa, s.fast.stride)
	case ok: // average the two terms inside the transform
		raw = satd8x8RawAvg(src.pix, si, src.stride, pa, oa, pb, ob, s.fast.stride)
	default:
		pix, off, stride := s.fast.view(wk.buf[:], 16, x, y, int(v.X), int(v.Y), 8, 8)
		raw = satd8x8Raw(src.pix, si, src.stride, pix, off, stride)
	}
	if e != nil && wk.quads.count[q] < motionQuadSlots*3/4 {
		*e = motionQuadEntry{gen: wk.quads.gen, mv: v, raw: int32(raw)}
		wk.quads.count[q]++
	}
	return raw
}

// partSATD is the SATD of the union of the quadrants in the bit set quads
// (bit q for quadrant q) predicted with v: the sum of their raw sums,
// halved, equal to satdBlock over the partition.
func (s *motionSearch) partSATD(wk *motionWorker, mbx, mby int, quads uint8, v MV) int {
	raw := 0
	for q := 0; q < 4; q++ {
		if quads&(1<<q) != 0 {
			raw += s.quadRaw(wk, mbx, mby, q, v)
		}
	}
	return raw >> 1
}

// partSATDWithin is partSATD for a candidate whose rate term is rate,
// except that it stops (ok false) once SATD + rate is sure to exceed
// limit: a raw sum only grows as quadrants are added, so a partial sum
// already past limit can only give a cost above it, and such a candidate
// cannot beat a best of cost limit under motionBetter. Quadrants already in
// the cache are counted first. Stopping early only leaves quadrants out of
// the cache, which holds exact values, so no decision changes.
func (s *motionSearch) partSATDWithin(wk *motionWorker, mbx, mby int, quads uint8, v MV, rate, limit int) (satd int, ok bool) {
	raw := 0
	missing := uint8(0)
	for q := 0; q < 4; q++ {
		if quads&(1<<q) == 0 {
			continue
		}
		if e, hit := wk.quads.lookup(q, v); hit {
			raw += int(e.raw)
		} else {
			missing |= 1 << q
		}
	}
	for q := 0; q < 4; q++ {
		if missing&(1<<q) == 0 {
			continue
		}
		if raw>>1+rate > limit {
			return 0, false
		}
		raw += s.quadRaw(wk, mbx, mby, q, v)
	}
	return raw >> 1, true
}

// Quadrant sets of the partitions, indexed like the fields of mbMotion.
var (
	motionQuads16x16 = uint8(0xF)
	motionQuads16x8  = [2]uint8{0x3, 0xC}
	motionQuads8x16  = [2]uint8{0x5, 0xA}
)

// refineQpel refines v for the partition made of the quadrants quads of
// macroblock (mbx, mby) with SATD + lambda·mvBits(·, pred): first up to `steps`
// iterations of the 3×3 square of step 4 (integer samples), then one of
// step 2 if SubPel ≥ 1, then one of step 1 if SubPel = 2. Each square is
// visited centre first, then the 8 neighbours in raster order, skipping
// those outside b. Returns the vector, its SATD and its cost.
func (s *motionSearch) refineQpel(wk *motionWorker, mbx, mby int, quads uint8, v, pred MV, b *motionBounds, steps int) (MV, int, int) {
	bestSATD := s.partSATD(wk, mbx, mby, quads, v)
	bestCost := bestSATD + s.lambda*mvBits(v, pred)
	square := func(step int16) bool {
		center := v
		for dy := int16(-1); dy <= 1; dy++ {
			for dx := int16(-1); dx <= 1; dx++ {
				c := MV{center.X + dx*step, center.Y + dy*step}
				if (dx == 0 && dy == 0) || !b.contains(c) {
					continue
				}
				rate := s.lambda * mvBits(c, pred)
				sd, ok := s.partSATDWithin(wk, mbx, mby, quads, c, rate, bestCost)
				if cost := sd + rate; ok && motionBetter(cost, c, bestCost, v) {
					v, bestCost, bestSATD = c, cost, sd
				}
			}
		}
		return v != center
	}
	for i := 0; i < steps; i++ {
		if !square(4) {
			break
		}
	}
	if s.cfg.SubPel >= 1 {
		square(2)
	}
	if s.cfg.SubPel >= 2 {
		square(1)
	}
	return v, bestSATD, bestCost
}

// subPelMB is stage 4: half then quarter-sample refinement of lvl0 (no
// integer steps) with SATD on the predictLuma output. Reads: lvl0[mb],
// pred0[mb], source level 0, reference planes. Writes: pull[0][mb].
func (s *motionSearch) subPelMB(wk *motionWorker, mbx, mby int) {
	i := mby*s.mbW + mbx
	b := s.qpelBounds(mbx, mby)
	v := MV{s.lvl0[i].X * 4, s.lvl0[i].Y * 4}
	wk.quads.reset()
	mv, satd, cost := s.refineQpel(wk, mbx, mby, motionQuads16x16, v, s.pred0[i], &b, 0)
	s.pull[0][i] = motionPullEntry{mv: mv, pred: s.pred0[i], satd: int32(satd), cost: int32(cost)}
	if s.kept != nil {
		s.keptN[i] = uint8(wk.quads.keep(s.kept[i*motionKeptMax : (i+1)*motionKeptMax]))
	}
}

// pullMB is one predictor pull pass for one macroblock. Reads: pull[in]
// of this MB and of its neighbours A, B, C/D (through motionMedian). The
// candidates, in order, are the current vector (cost: its SATD + lambda·
// mvBits against the new predictor) and the predictor itself (its SATD +
// lambda·2, the two 1-bit zero mvd codes); the predictor replaces the
// current vector only if motionBetter. Writes: pull[in^1][mb].
func (s *motionSearch) pullMB(wk *motionWorker, mbx, mby int) {
	in := s.pull[s.pullIn]
	i := mby*s.mbW + mbx
	pred := motionPullMedian(in, s.mbW, mbx, mby)
	e := in[i]
	e.pred = pred
	e.cost = e.satd + int32(s.lambda*mvBits(e.mv, pred))
	if pred != e.mv {
		sd := s.satd16(wk, mbx, mby, pred)
		if c := sd + 2*s.lambda; motionBetter(c, pred, int(e.cost), e.mv) {
			e = motionPullEntry{mv: pred, pred: pred, satd: int32(sd), cost: int32(c)}
		}
	}
	s.pull[s.pullIn^1][i] = e
}

// motionPullMedian is motionMedian over the vectors of a pull field.
func motionPullMedian(f []motionPullEntry, mbW, mbx, mby int) MV {
	i := mby*mbW + mbx
	var a, b, c, d MV
	availA, availB, availC, availD := mbx > 0, mby > 0, mby > 0 && mbx+1 < mbW, mby > 0 && mbx > 0
	if availA {
		a = f[i-1].mv
	}
	if availB {
		b = f[i-mbW].mv
	}
	if availC {
		c = f[i-mbW+1].mv
	}
	if availD {
		d = f[i-mbW-1].mv
	}
	return motionMedianOf(a, b, c, d, availA, availB, availC, availD)
}

// partsMB is stage 6: copies the final pull field into the output and, when
// enabled, searches the partitions against the same predictor. Each 8x8
// starts from the 16x16 vector and runs refineQpel with PartitionSteps
// integer steps; each
// 16x8 and 8x16 then evaluates, in order, the 16x16 vector and the results
// of the two 8x8 quadrants it covers (in raster order), keeps the best by
// motionBetter and runs refineQpel from it without integer steps. Reads:
// pull[final][mb], source level 0, reference planes. Writes: out[mb].
func (s *motionSearch) partsMB(wk *motionWorker, mbx, mby int) {
	i := mby*s.mbW + mbx
	e := s.pull[s.pullIn][i]
	m := &s.out.MBs[i]
	*m = mbMotion{Pred: e.pred, MV16: e.mv, SATD16: e.satd, Cost16: e.cost}
	if !s.cfg.Partitions {
		return
	}
	b := s.qpelBounds(mbx, mby)
	wk.quads.reset()
	if s.kept != nil {
		wk.quads.restore(s.kept[i*motionKeptMax : i*motionKeptMax+int(s.keptN[i])])
	}
	for k := 0; k < 4; k++ {
		v, sd, c := s.refineQpel(wk, mbx, mby, 1<<k, e.mv, e.pred, &b, s.cfg.PartitionSteps)
		m.MV8x8[k], m.SATD8x8[k], m.Cost8x8[k] = v, int32(sd), int32(c)
	}
	for k := 0; k < 2; k++ {
		// 16x8 k covers quadrants 2k and 2k+1; 8x16 k covers k and k+2.
		start := s.bestOf3(wk, mbx, mby, motionQuads16x8[k], e.mv, m.MV8x8[2*k], m.MV8x8[2*k+1], e.pred)
		v, sd, c := s.refineQpel(wk, mbx, mby, motionQuads16x8[k], start, e.pred, &b, 0)
		m.MV16x8[k], m.SATD16x8[k], m.Cost16x8[k] = v, int32(sd), int32(c)
		start = s.bestOf3(wk, mbx, mby, motionQuads8x16[k], e.mv, m.MV8x8[k], m.MV8x8[k+2], e.pred)
		v, sd, c = s.refineQpel(wk, mbx, mby, motionQuads8x16[k], start, e.pred, &b, 0)
		m.MV8x16[k], m.SATD8x16[k], m.Cost8x16[k] = v, int32(sd), int32(c)
	}
}

// bestOf3 returns the best of the candidates v0, v1, v2 (in that order) for
// the partition made of quadrants quads of macroblock (mbx, mby), by SATD +
// lambda·mvBits(·, pred) and motionBetter.
func (s *motionSearch) bestOf3(wk *motionWorker, mbx, mby int, quads uint8, v0, v1, v2, pred MV) MV {
	best := v0
	bestCost := s.partSATD(wk, mbx, mby, quads, v0) + s.lambda*mvBits(v0, pred)
	for _, v := range [2]MV{v1, v2} {
		if v == best {
			continue
		}
		rate := s.lambda * mvBits(v, pred)
		sd, ok := s.partSATDWithin(wk, mbx, mby, quads, v, rate, bestCost)
		if c := sd + rate; ok && motionBetter(c, v, bestCost, best) {
			best, bestCost = v, c
		}
	}
	return best
}
