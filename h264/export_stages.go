// Exported references of single encoder stages, for h264cuda and its tests.
//
// h264_cuda (package h264cuda) must reproduce each stage of this package
// byte for byte. The wrappers below run one stage of the Go encoder on the
// caller's inputs and return an exported copy of everything the stage
// writes, so that another package can compare its own results with them.
// They are the contract's reference: thin, allocating (they are meant for
// tests and tools, not for per-frame use), and they never change what the
// encoder itself does.

package h264

import (
	"errors"
	"fmt"
)

// ErrMotionConfig matches (errors.Is) the error of an invalid motion search
// configuration, from ValidateMotionConfig and MotionSearchReference.
var ErrMotionConfig = errMotionConfig

// MotionConfig is the configuration of a motion search (the exported form
// of the encoder's own). See DESIGN-motion.md for the meaning of each knob.
type MotionConfig struct {
	// Width and Height are the luma size of the current pictures.
	Width, Height int
	// CoarseRange is the full-search radius at the 1/16-area level.
	CoarseRange int
	// RefineSteps bounds each ±1 square refinement at levels 1 and 0.
	RefineSteps int
	// SubPel is 0 (integer), 1 (half) or 2 (half, then quarter).
	SubPel int
	// Partitions enables the 16x8, 8x16 and 8x8 results.
	Partitions bool
	// PartitionSteps bounds each 8x8's integer refinement.
	PartitionSteps int
	// PullPasses is the number of predictor pull passes.
	PullPasses int
	// MaxVerticalMV is the vertical vector limit in luma samples.
	MaxVerticalMV int
	// Workers is the number of goroutines of the Go search (results do not
	// depend on it).
	Workers int
}

func (c MotionConfig) internal() motionSearchConfig {
	return motionSearchConfig{
		Width: c.Width, Height: c.Height, CoarseRange: c.CoarseRange, RefineSteps: c.RefineSteps,
		SubPel: c.SubPel, Partitions: c.Partitions, PartitionSteps: c.PartitionSteps,
		PullPasses: c.PullPasses, MaxVerticalMV: c.MaxVerticalMV, Workers: c.Workers,
	}
}

func exportMotionConfig(c motionSearchConfig) MotionConfig {
	return MotionConfig{
		Width: c.Width, Height: c.Height, CoarseRange: c.CoarseRange, RefineSteps: c.RefineSteps,
		SubPel: c.SubPel, Partitions: c.Partitions, PartitionSteps: c.PartitionSteps,
		PullPasses: c.PullPasses, MaxVerticalMV: c.MaxVerticalMV, Workers: c.Workers,
	}
}

// MotionConfigFor returns the motion search configuration an Encoder made
// with o uses (preset, level limits, threads), or o's validation error.
func MotionConfigFor(o Options) (MotionConfig, error) {
	e, err := NewEncoder(o)
	if err != nil {
		return MotionConfig{}, err
	}
	return exportMotionConfig(e.search.cfg), nil
}

// DefaultMotionConfig returns the medium-effort configuration of the search
// for width×height pictures (the defaults NewEncoder starts from).
func DefaultMotionConfig(width, height, workers int) MotionConfig {
	return exportMotionConfig(defaultMotionSearchConfig(width, height, workers))
}

// ValidateMotionConfig returns the error the search gives for c (matching
// ErrMotionConfig), or nil.
func ValidateMotionConfig(c MotionConfig) error {
	_, err := newMotionSearch(c.internal())
	return err
}

// LambdaMotion is the Lagrange multiplier of SAD/SATD decisions at qp
// (clamped to 0..51), as the motion search uses it.
func LambdaMotion(qp int) int { return lambdaMotion(qp) }

// MotionMB is the motion search result of one macroblock: the exported
// copy of the search's per-macroblock record. Costs are SATD +
// LambdaMotion(qp)·(bits of the vector difference to Pred).
type MotionMB struct {
	// Pred is the predictor the costs were measured against.
	Pred MV
	// MV16 is the best 16x16 vector, SATD16 its SATD, Cost16 its cost.
	MV16           MV
	SATD16, Cost16 int32
	// MV16x8 etc. are the partition results (zero when disabled): upper
	// then lower 16x8, left then right 8x16, 8x8 in raster order.
	MV16x8             [2]MV
	SATD16x8, Cost16x8 [2]int32
	MV8x16             [2]MV
	SATD8x16, Cost8x16 [2]int32
	MV8x8              [4]MV
	SATD8x8, Cost8x8   [4]int32
}

// MotionPlane is a copy of one of the search's sample planes: sample
// (x, y), for x and y in [-Margin, W+Margin) × [-Margin, H+Margin), is
// Pix[(y+Margin)*Stride + x+Margin]. Samples outside the region a stage
// writes are zero.
type MotionPlane struct {
	W, H, Margin, Stride int
	Pix                  []uint8
}

// At returns sample (x, y) of p.
func (p *MotionPlane) At(x, y int) uint8 { return p.Pix[(y+p.Margin)*p.Stride+x+p.Margin] }

// MotionSnapshot is everything a motion search run writes: the final field
// and the outputs of each intermediate stage.
type MotionSnapshot struct {
	MBWidth, MBHeight int
	// MBs is the final field, raster order.
	MBs []MotionMB
	// Src holds source levels 0, 1, 2 (no margin).
	Src [3]MotionPlane
	// RefL1 and RefL2 are the reference's levels 1 and 2, margins included.
	RefL1, RefL2 MotionPlane
	// Full, HalfH, HalfV and Center are the reference's full-sample plane
	// (margin Pad+3) and the b, h and j half-sample planes (valid in the
	// margin Pad), all with the geometry of Full.
	Full, HalfH, HalfV, Center MotionPlane
	// Pad is the margin in which the half-sample planes are valid.
	Pad int
	// Lvl2, Lvl1 and Lvl0 are the per-macroblock vectors of the coarse,
	// mid and fine stages in their level's samples; Pred0 the predictor of
	// the fine and sub-pel stages in quarter samples.
	Lvl2, Lvl1, Lvl0, Pred0 []MV
}

// MotionSearchReference runs the Go motion search with cfg on cur against
// ref (qp selects λ; prev is the previous picture's 16x16 field or nil,
// exactly as the encoder passes them) and returns a copy of what it wrote.
// Errors match the search's own (invalid configuration or input).
func MotionSearchReference(cfg MotionConfig, cur, ref *Picture, prev []MV, qp int) (*MotionSnapshot, error) {
	s, err := newMotionSearch(cfg.internal())
	if err != nil {
		return nil, err
	}
	var out motionField
	if err := s.run(cur, ref, prev, qp, &out); err != nil {
		return nil, fmt.Errorf("h264: reference motion search: %w", err)
	}
	snap := &MotionSnapshot{MBWidth: out.MBWidth, MBHeight: out.MBHeight, MBs: make([]MotionMB, len(out.MBs))}
	for i, m := range out.MBs {
		snap.MBs[i] = MotionMB(m)
	}
	for l := range s.src {
		snap.Src[l] = exportMotionPlane(&s.src[l])
	}
	snap.RefL1 = exportMotionPlane(&s.refL[1])
	snap.RefL2 = exportMotionPlane(&s.refL[2])
	f := &s.fast
	for k, dst := range []*MotionPlane{&snap.Full, &snap.HalfH, &snap.HalfV, &snap.Center} {
		*dst = MotionPlane{W: f.w, H: f.h, Margin: f.ext, Stride: f.stride, Pix: append([]uint8(nil), f.planes[k]...)}
	}
	snap.Pad = f.pad
	snap.Lvl2 = append([]MV(nil), s.lvl2...)
	snap.Lvl1 = append([]MV(nil), s.lvl1...)
	snap.Lvl0 = append([]MV(nil), s.lvl0...)
	snap.Pred0 = append([]MV(nil), s.pred0...)
	return snap, nil
}

func exportMotionPlane(p *motionPlane) MotionPlane {
	return MotionPlane{W: p.w, H: p.h, Margin: p.margin, Stride: p.stride, Pix: append([]uint8(nil), p.pix...)}
}

// DecisionReference runs stage 2 (mode decision, analyse.go) of an Encoder
// made with o for every macroblock of src, a picture padded to whole
// macroblocks as the encoder holds it (PictureTrace.Source), with the
// motion field field (P pictures; ignored when pSlice is false) at qp,
// with the per-macroblock QP offsets qpOffset (nil: none) as
// Accelerator.Decide describes them.
// Decisions update each macroblock's record in place, so fields that a
// picture's decision does not set keep the previous picture's values:
// prior gives those records (nil: a new encoder's zero records). The
// result has Type, I16Mode, ChromaMode, I4Modes, PartMV, MV and QP set,
// exactly as PictureTrace.Decisions reports them.
func DecisionReference(o Options, src *Picture, field []MotionMB, qp int, qpOffset []int8, pSlice bool, prior []MacroblockTrace) ([]MacroblockTrace, error) {
	e, err := NewEncoder(o)
	if err != nil {
		return nil, err
	}
	n := e.mbW * e.mbH
	if src == nil || src.Y.Width != 16*e.mbW || src.Y.Height != 16*e.mbH || src.Cb.Width != 8*e.mbW || src.Cb.Height != 8*e.mbH ||
		src.Cr.Width != 8*e.mbW || src.Cr.Height != 8*e.mbH {
		return nil, fmt.Errorf("%w: source is not a %dx%d macroblock picture", errMotionInput, e.mbW, e.mbH)
	}
	if (pSlice && len(field) != n) || (prior != nil && len(prior) != n) || (qpOffset != nil && len(qpOffset) != n) {
		return nil, fmt.Errorf("%w: field, QP offsets or prior records do not hold %d macroblocks", errMotionInput, n)
	}
	e.treeOff = qpOffset
	copyPlane(&e.src.Y, &src.Y)
	copyPlane(&e.src.Cb, &src.Cb)
	copyPlane(&e.src.Cr, &src.Cr)
	for i := range prior {
		mb, p := &e.mbs[i], &prior[i]
		mb.partMV, mb.i4Mode = p.PartMV, p.I4Modes
		mb.i16Mode, mb.chromaMode = uint8(p.I16Mode), uint8(p.ChromaMode)
	}
	if pSlice {
		e.field = motionField{MBWidth: e.mbW, MBHeight: e.mbH, MBs: make([]mbMotion, n)}
		for i, m := range field {
			e.field.MBs[i] = mbMotion(m)
		}
	}
	out := make([]MacroblockTrace, n)
	for y := 0; y < e.mbH; y++ {
		for x := 0; x < e.mbW; x++ {
			e.analyse(&e.workers[0], x, y, qp, pSlice)
			out[y*e.mbW+x] = e.mbs[y*e.mbW+x].decision()
		}
	}
	return out, nil
}

// PresetKnobs are the speed/quality switches a preset name selects (see
// Presets and DESIGN.md's preset table).
type PresetKnobs struct {
	Intra4x4    bool // Intra_4x4 is tried
	Partitions  bool // 16x8, 8x16 and 8x8 are tried
	SubPel      bool // quarter-sample refinement
	SearchRange int  // coarse search range in luma samples
}

// PresetInfo returns the knobs of preset name ("" is medium), or an
// *OptionError for an unknown name.
func PresetInfo(name string) (PresetKnobs, error) {
	p, ok := presetFor(name)
	if !ok {
		return PresetKnobs{}, &OptionError{"Preset", name, "unknown preset"}
	}
	return PresetKnobs{Intra4x4: p.intra4x4, Partitions: p.partitions, SubPel: p.subpel, SearchRange: p.searchRange}, nil
}

// AQStrength16 returns the adaptive quantisation strength, in 1/16 units
// (0: off), that an Encoder made with o applies in its mode decision.
func AQStrength16(o Options) (int, error) {
	e, err := NewEncoder(o)
	if err != nil {
		return 0, err
	}
	return e.aqStrength, nil
}

// LookaheadReference runs the lookahead's analysis (Options.Lookahead) over
// pics, w×h pictures in the order an Encoder is given them, each against
// the one before it, on threads goroutines, and returns each picture's
// costs: what a LookaheadAccelerator must reproduce.
func LookaheadReference(w, h int, pics []*Picture, threads int) ([]LookaheadCosts, error) {
	if w <= 0 || h <= 0 {
		return nil, fmt.Errorf("%w: %dx%d", ErrPictureSize, w, h)
	}
	la := newLookahead(1, (w+15)/16, (h+15)/16)
	out := make([]LookaheadCosts, len(pics))
	var prev *laFrame
	for k, pic := range pics {
		if err := checkPicture(pic, w, h); err != nil {
			return nil, fmt.Errorf("picture %d: %w", k, err)
		}
		f := la.frame() // never recycled: each picture keeps its results
		padRows(f.src, pic, 0, la.mbH)
		if err := la.analyse(f, prev, max(threads, 1)); err != nil {
			return nil, err
		}
		out[k] = LookaheadCosts{Intra: f.intra, Inter: f.inter, MV: f.mv, Frac: f.frac}
		prev = f
	}
	return out, nil
}

// ErrLookaheadInput matches (errors.Is) LookaheadStep's error for
// previous vectors that are not one a macroblock within the search range.
var ErrLookaheadInput = errors.New("h264: lookahead vectors do not match the picture or the range")

// LookaheadStep runs the lookahead's analysis of pic against prev, w×h
// pictures, as if prev's own analysis had found the vectors prevMV (one a
// macroblock, within ±24 half-resolution samples): the step
// LookaheadReference repeats, with the previous vectors chosen by the
// caller (tests use it to make ties between candidates).
func LookaheadStep(w, h int, pic, prev *Picture, prevMV []MV, threads int) (LookaheadCosts, error) {
	if w <= 0 || h <= 0 {
		return LookaheadCosts{}, fmt.Errorf("%w: %dx%d", ErrPictureSize, w, h)
	}
	la := newLookahead(1, (w+15)/16, (h+15)/16)
	if len(prevMV) != la.mbW*la.mbH {
		return LookaheadCosts{}, fmt.Errorf("%w: %d previous vectors for %d macroblocks", ErrLookaheadInput, len(prevMV), la.mbW*la.mbH)
	}
	for _, v := range prevMV {
		if v.X < -laRange || v.X > laRange || v.Y < -laRange || v.Y > laRange {
			return LookaheadCosts{}, fmt.Errorf("%w: previous vector %v beyond ±%d", ErrLookaheadInput, v, laRange)
		}
	}
	var prevFrame *laFrame
	for _, p := range []*Picture{prev, pic} {
		if err := checkPicture(p, w, h); err != nil {
			return LookaheadCosts{}, err
		}
		f := la.frame()
		padRows(f.src, p, 0, la.mbH)
		if err := la.analyse(f, prevFrame, max(threads, 1)); err != nil {
			return LookaheadCosts{}, err
		}
		if prevFrame == nil {
			copy(f.mv, prevMV)
		}
		prevFrame = f
	}
	return LookaheadCosts{Intra: prevFrame.intra, Inter: prevFrame.inter, MV: prevFrame.mv, Frac: prevFrame.frac}, nil
}

// SkipProbeVectors is pass 1 of the skip probe (stage 2b) without its
// coding: for a picture of mbW×mbH macroblocks whose stage 2 decisions are
// dec (raster order), it returns each macroblock's P_Skip vector (8.4.1.1)
// and whether it wants a probe there, exactly as the encoder's pass 1
// finds them (Nothing stays false: it needs the pictures; ProbeSkips
// gives it). Decisions of no known type give ErrBitValue.
func SkipProbeVectors(mbW, mbH int, dec []Decision) ([]ProbeResult, error) {
	if mbW <= 0 || mbH <= 0 || len(dec) != mbW*mbH {
		return nil, ErrBitValue
	}
	e := &Encoder{mbW: mbW, mbH: mbH}
	e.mbs, _ = newMacroblocks(len(dec))
	for i := range dec {
		d := &dec[i]
		if d.Type < mbI4x4 || d.Type > mbPSkip {
			return nil, ErrBitValue
		}
		mb := &e.mbs[i]
		mb.typ, mb.partMV, mb.mv = uint8(d.Type), d.PartMV, d.MV
	}
	out := make([]ProbeResult, len(dec))
	for i := range out {
		mb := &e.mbs[i]
		smv := e.skipMV(i%mbW, i/mbW, mb)
		out[i] = ProbeResult{MV: smv, Wants: e.wantsProbe(mb, smv)}
	}
	return out, nil
}
