// Stage hook: another implementation of stages 1, 2 and 3-inter, and
// optionally 4 (entropy coding) and 5 (deblocking), (h264cuda, on a GPU)
// plugged into the Go pipeline. The accelerator writes exported
// records; the encoder copies them into its own per-macroblock state
// exactly as its Go stages would have written it (DESIGN.md's contract),
// so the stream and the reconstruction do not depend on who ran a stage.
// Rate control, the scene-cut rule and every other stage stay in Go.

package h264

import (
	"errors"
	"fmt"
)

// ErrAccelerator matches (errors.Is) every error an Encoder returns because
// its Accelerator failed; the accelerator's own error is wrapped too.
var ErrAccelerator = errors.New("h264: accelerator failed")

// Decision is stage 2's output for one macroblock (analyse.go): what
// PictureTrace.Decisions reports. Type is one of the Trace* constants.
type Decision struct {
	Type       int
	I16Mode    int
	ChromaMode int
	QP         int // QP_Y chosen by the decision (adaptive quantisation included)
	I4Modes    [16]uint8
	PartMV     [4]MV  // per partition
	MV         [16]MV // per 4x4 block, raster order
}

// InterResult is stage 3's output for one inter macroblock, besides its
// reconstructed samples: levels in scan order (chroma AC from index 1),
// TotalCoeff per block and the coded block pattern, as
// PictureTrace.Macroblocks reports them.
type InterResult struct {
	CBP        int
	TotalCoeff [16]uint8
	ChromaTC   [2][4]uint8
	Luma       [16][16]int16
	ChromaDC   [2][4]int16
	ChromaAC   [2][4][16]int16
}

// Accelerator runs stages 1 and 2 of DESIGN.md for an Encoder made with
// NewEncoderWith. Every picture it sees is padded to whole macroblocks;
// each output slice holds one entry per macroblock in raster order. Its
// results must equal the Go stages' for the same inputs, byte for byte:
//
//   - Motion is h264's motion search for the Encoder's configuration
//     (MotionConfigFor): cur against ref, with prev the previous picture's
//     final 16x16 vectors (intra as zero) and λ from qp, exactly as
//     MotionSearchReference computes it.
//   - Decide is the mode decision of the Encoder's options at qp
//     (DecisionReference): field is nil for I pictures. Like the Go
//     decision it keeps each macroblock's record between calls (fields a
//     decision does not set keep the previous call's values, starting
//     from zero), and it is called for every picture, twice for a P
//     picture re-coded as IDR after a scene cut. qpOffset, when not nil,
//     holds one QP offset per macroblock (the lookahead's macroblock
//     tree), added after adaptive quantisation's and clamped to 0..51.
type Accelerator interface {
	Motion(cur, ref *Picture, prev []MV, qp int, out []MotionMB) error
	Decide(src *Picture, field []MotionMB, qp int, qpOffset []int8, pSlice bool, out []Decision) error
}

// InterAccelerator is an Accelerator that also reconstructs the inter
// macroblocks of P pictures (stage 3 for P_L0 types: prediction from ref,
// transform, quantisation, decimation, reconstruction). ReconInter writes
// the samples of every macroblock whose dec Type is inter into rec (other
// samples of rec are left alone). InterLevels then gives inter macroblock
// i's levels: the encoder calls it from its stage-3 goroutines, for
// distinct i at once, after ReconInter returned and before the next
// ReconInter, so that decoding the levels runs in parallel.
type InterAccelerator interface {
	Accelerator
	ReconInter(src, ref *Picture, dec []Decision, rec *Picture) error
	InterLevels(i int, out *InterResult)
}

// LevelKeeper is an InterAccelerator that also runs stage 4 and can keep
// the inter macroblocks' levels on its side from stage 3 to stage 4, so
// that they never travel through the encoder. ReconInterKept is
// ReconInter, except that InterLevels then sets only CBP, TotalCoeff and
// ChromaTC (it leaves the levels of out alone), and the next SliceData
// codes each inter macroblock's levels from where ReconInterKept left
// them: the Luma, ChromaDC and ChromaAC of the records it is given for
// inter macroblocks are not meaningful then. When the accelerator is also
// a DeblockAccelerator, ReconInterKept may also leave out of rec the
// samples of the inter macroblocks no intra prediction reads: it writes at
// least every macroblock row that holds an intra macroblock and the row
// above it, and the next Deblock takes the others from where it left
// them. The encoder uses it when no trace asks for the levels or the
// reconstruction before deblocking (EncodeTrace calls ReconInter).
type LevelKeeper interface {
	InterAccelerator
	EntropyAccelerator
	ReconInterKept(src, ref *Picture, dec []Decision, rec *Picture) error
}

// IntraResult is stage 3's output for one intra macroblock that an
// IntraKeeper reconstructed: what the records need besides the levels the
// accelerator keeps, as PictureTrace.Macroblocks reports it.
type IntraResult struct {
	CBP        int
	TotalCoeff [16]uint8
	ChromaTC   [2][4]uint8
	LumaDC     [16]int16 // Intra_16x16 DC levels, scan order (Intra_4x4: zero)
}

// IntraKeeper is a LevelKeeper and DeblockAccelerator that also runs stage
// 3 of intra macroblocks (reconI4x4, reconI16 and the intra chroma:
// prediction from the reconstruction, transform, quantisation,
// reconstruction; the intra wavefront) and keeps what it makes:
// ReconIntraKept reconstructs the intra macroblocks of src with the
// decisions dec — every macroblock of an I picture, or, right after
// ReconInterKept of a P picture, its intra macroblocks among the inter
// ones that call kept (dec then carries the final types) — the next
// SliceData codes their levels from where it left them (their Luma,
// ChromaDC and ChromaAC in SliceData's lv are not meaningful then), and the
// next Deblock filters the samples it left (rec is not written before:
// Deblock writes the deblocked picture into it). IntraLevels then gives
// intra macroblock i's coded block pattern, TotalCoeff and Intra_16x16
// DC levels; the encoder calls it from its goroutines, for distinct i at
// once, after ReconIntraKept returned. The encoder uses it for I pictures
// and for P pictures with more than levelIntraMBs intra macroblocks, when
// no trace asks for the levels or the reconstruction before deblocking.
type IntraKeeper interface {
	LevelKeeper
	DeblockAccelerator
	ReconIntraKept(src *Picture, dec []Decision) error
	IntraLevels(i int, out *IntraResult)
}

// ProbeAccelerator is an InterAccelerator that also runs pass 1 of stage
// 2b, the skip probe (skipprobe.go): ProbeSkips codes each macroblock i
// whose dec[i].Type is P_L0_16x16 as stage 3 would (with dec[i].QP and
// the vectors dec[i].MV, all the probe's vector) and sets nothing[i] to
// whether no level is left; it leaves nothing[i] alone where dec[i] is an
// intra type. It may use the inter stage's device state: the encoder
// calls ReconInter after it, which must not depend on what the probe
// left there.
type ProbeAccelerator interface {
	InterAccelerator
	ProbeSkips(src, ref *Picture, dec []Decision, nothing []bool) error
}

// SkipVectorProber is a ProbeAccelerator that also finds pass 1's skip
// vectors, and the macroblocks that want a probe, from the decisions its
// last Decide returned (the encoder's macroblocks are those decisions,
// unchanged, when pass 1 starts): ProbeDecided sets out[i] for each
// macroblock i as ProbeSkips and the encoder's own pass 1 together would.
type SkipVectorProber interface {
	ProbeAccelerator
	ProbeDecided(src, ref *Picture, out []ProbeResult) error
}

// DeblockAccelerator is an Accelerator that also runs stage 5, the
// deblocking filter (ITU-T H.264 clause 8.7), exactly as
// DeblockReference does: Deblock filters rec, the picture's
// reconstruction padded to whole macroblocks, in place, reading of each
// header in mbs (raster order, the final macroblocks as
// PictureTrace.Macroblocks reports them) Type, QP, TotalCoeff and MV.
type DeblockAccelerator interface {
	Accelerator
	Deblock(rec *Picture, mbs []MacroblockHeader) error
}

// EntropyAccelerator is an Accelerator that also runs stage 4 and the
// concatenation (clauses 7.3.4, 7.3.5 and 9.2), exactly as
// SliceDataReference does: SliceData codes the final macroblocks, their
// headers mbs and their levels lv (raster order), after the slice header
// held in the first headerBits bits of header (MSB first) and appends the
// slice's RBSP (header, slice_data(), rbsp_slice_trailing_bits) to
// dst[:0], which it returns. SliceData runs in its own goroutine while
// stage 5 (Deblock, or the Go filter) runs on the same picture; it must
// not modify mbs or lv. After ReconInterKept or ReconIntraKept (a
// LevelKeeper) the levels of the macroblocks whose levels the accelerator
// kept are not in lv, except the Intra_16x16 DC levels (LumaDC).
type EntropyAccelerator interface {
	Accelerator
	SliceData(mbs []MacroblockHeader, lv []MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error)
}

// SlicePayloadAccelerator is an EntropyAccelerator that also inserts the
// emulation prevention bytes (7.4.1): SlicePayload is SliceData returning
// the slice NAL unit's payload (the RBSP with every
// emulation_prevention_three_byte, what follows the NAL unit's header
// byte) instead of the RBSP. The encoder then calls it instead of
// SliceData and frames the payload as it is.
type SlicePayloadAccelerator interface {
	EntropyAccelerator
	SlicePayload(mbs []MacroblockHeader, lv []MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error)
}

// LookaheadCosts is the lookahead's half-resolution analysis of one
// picture (Options.Lookahead; lookahead.go), one entry per macroblock in
// raster order: what the macroblock tree reads of it.
type LookaheadCosts struct {
	// Intra is the SATD cost of the macroblock's 8x8 half-resolution
	// block against the best of its DC, vertical and horizontal
	// predictions from its source neighbours (halved, plus one: at least 1).
	Intra []int32
	// Inter is the SATD cost (halved) at the best full-sample vector
	// into the previous picture's half-resolution plane, at most Intra;
	// Intra where there is no previous picture.
	Inter []int32
	// MV is that vector, in half-resolution samples, within ±24 in x and y.
	MV []MV
	// Frac is (Intra − Inter) / Intra in units of 1/65536.
	Frac []uint32
}

// LookaheadAccelerator is an Accelerator that also runs the lookahead's
// analysis, exactly as LookaheadReference does. The encoder calls
// AnalyseLookahead once for every picture given to Encode, in the order
// given, from one goroutine at a time (possibly not Encode's, while
// Motion runs): src is the picture padded to whole macroblocks, first
// reports that it is the first picture (no previous one to search), and
// otherwise the previous picture is the src of the previous call, whose
// half-resolution plane and vectors the accelerator keeps. It fills
// every entry of out's slices, which are sized for the picture.
type LookaheadAccelerator interface {
	Accelerator
	AnalyseLookahead(src *Picture, first bool, out LookaheadCosts) error
}

// FieldKeeper is an Accelerator whose Decide can read the motion field of
// its last search where the search left it (on its device), so that the
// field need not come back: for a P picture the Encoder calls
// MotionSATD instead of Motion, then Decide with a nil field. MotionSATD
// runs Motion's search and returns only the sum of the field's SATD16
// over the macroblocks, which constant-quality rate control reads.
type FieldKeeper interface {
	Accelerator
	MotionSATD(cur, ref *Picture, prev []MV, qp int) (satd16 int64, err error)
}

// PictureAllocator is an Accelerator that also allocates the encoder's own
// pictures: the source padded to whole macroblocks (not the lookahead's
// pictures, which a lookahead codes instead: page-locking its twenty
// pictures gained nothing measurable on the study's clip and held ≈ 60 MB
// more an encoder), the reconstruction and the reference, not the
// caller's.
// An accelerator gives them memory it copies to and from its device
// without a staging copy (page-locked host memory), and keeps it valid as
// long as the encoder is used. AllocPicture returns a w×h 4:2:0 picture
// whose planes have strides of their widths, zeroed, or nil: the encoder
// then allocates that picture itself.
type PictureAllocator interface {
	Accelerator
	AllocPicture(w, h int) *Picture
}

// accelState is an Encoder's accelerator and its records, sized once.
type accelState struct {
	acc    Accelerator
	inter  InterAccelerator // nil: stage 3 stays in Go
	keeper LevelKeeper      // nil: the inter levels come back (InterLevels)
	// levelsKept: this picture's inter levels stayed with the keeper
	// (ReconInterKept); the records' levels of inter macroblocks are stale.
	levelsKept bool
	// intra, when the accelerator is an IntraKeeper, reconstructs I
	// pictures (accelIntra) and the intra macroblocks of P pictures that
	// have many (accelRecon); copyIntraRow copies row y's results;
	// intraKept: this picture's intra levels stayed with it too.
	intra        IntraKeeper
	intraKept    bool
	copyIntraRow func(w, y int)
	probe        ProbeAccelerator // nil: stage 2b's pass 1 stays in Go
	fieldKeeper  FieldKeeper      // nil: the motion field comes back (Motion)
	nothing      []bool           // ProbeSkips' results
	prober       SkipVectorProber // nil: pass 1's records are made here
	// badInRow holds, per macroblock row, the first invalid decision
	// (accelDecide), or -1; copyDecisionRow is e.copyDecisions, decidedP
	// whether the picture is a P picture.
	badInRow        []int32
	copyDecisionRow func(w, y int)
	decidedP        bool
	copyFieldRow    func(w, y int) // e.copyField
	// After the accelerator's inter reconstruction: copyInterRow is
	// e.copyInterRow, intraInRow the intra macroblocks it found per row,
	// reconIntraAt the wavefront's step over intra macroblocks only.
	copyInterRow func(w, y int)
	intraInRow   []int32
	reconIntraAt func(w, x, y int)
	// With few intra macroblocks (at most levelIntra: levelIntraMBs unless
	// a test lowers it) they go in dependency levels instead of the
	// wavefront: intraLevel holds each one's level, intraOrder the intra
	// macroblocks in raster order, levelNow those of the level being
	// reconstructed, reconIntraIn the step over it.
	levelIntra   int
	intraLevel   []int32
	intraOrder   []int32
	levelNow     []int32
	reconIntraIn func(w, k int)
	// interDecisionRow writes row y's final types, QPs and vectors into
	// dec for ReconInter.
	interDecisionRow func(w, y int)
	deblock          DeblockAccelerator      // nil: stage 5 stays in Go
	entropy          EntropyAccelerator      // nil: stage 4 stays in Go
	payload          SlicePayloadAccelerator // nil: emulation prevention in Go
	field            []MotionMB
	dec              []Decision
	res              []InterResult // accelInterMB's, one a macroblock row
	// The final macroblocks' headers, for stages 4 and 5, and levels, for
	// stage 4: compact arrays, so that the accelerator's passes over the
	// headers read consecutive memory.
	mbs  []MacroblockHeader
	lv   []MacroblockLevels
	hdr  []byte // the slice header's bits
	rbsp []byte // SliceData's output, or SlicePayload's

	// SliceData runs in its own goroutine during stage 5 (accelSliceStart).
	hdrBits      int
	pSlice       bool
	slicePending bool
	sliceDone    chan error
}

// NewEncoderWith is NewEncoder with stages 1 and 2 (and stage 3 for inter
// macroblocks when acc is an InterAccelerator, stage 4 when it is an
// EntropyAccelerator, stage 5 when it is a DeblockAccelerator) run by acc,
// and the encoder's own pictures from acc when it is a PictureAllocator.
// A nil acc gives the plain Go encoder.
func NewEncoderWith(o Options, acc Accelerator) (*Encoder, error) {
	e, err := NewEncoder(o)
	if err != nil || acc == nil {
		return e, err
	}
	n := e.mbW * e.mbH
	a := &accelState{acc: acc, dec: make([]Decision, n), badInRow: make([]int32, e.mbH)}
	if ia, ok := acc.(InterAccelerator); ok {
		a.inter = ia
		a.res = make([]InterResult, e.mbH)
	}
	a.keeper, _ = acc.(LevelKeeper)
	a.intra, _ = acc.(IntraKeeper)
	if pa, ok := acc.(ProbeAccelerator); ok {
		a.probe = pa
		a.nothing = make([]bool, n)
		a.prober, _ = acc.(SkipVectorProber)
	}
	a.fieldKeeper, _ = acc.(FieldKeeper)
	if a.fieldKeeper == nil { // else the field stays with the accelerator
		a.field = make([]MotionMB, n)
		e.field = motionField{MBWidth: e.mbW, MBHeight: e.mbH, MBs: make([]mbMotion, n)}
	}
	a.deblock, _ = acc.(DeblockAccelerator)
	a.entropy, _ = acc.(EntropyAccelerator)
	a.payload, _ = acc.(SlicePayloadAccelerator)
	if la, ok := acc.(LookaheadAccelerator); ok && e.la != nil {
		e.la.acc = la
	}
	if pa, ok := acc.(PictureAllocator); ok {
		e.alloc = pa.AllocPicture
		if e.la == nil { // else the lookahead's pictures are the sources
			e.src = e.newPadded()
		}
		e.rec, e.ref = e.newPadded(), e.newPadded()
	}
	a.sliceDone = make(chan error, 1)
	if a.deblock != nil || a.entropy != nil {
		a.mbs = make([]MacroblockHeader, n)
	}
	a.copyDecisionRow = func(_, y int) { e.copyDecisions(y) }
	a.copyFieldRow = func(_, y int) { e.copyField(y) }
	a.copyInterRow = func(_, y int) { e.copyInterRow(y) }
	a.intraInRow, a.levelIntra = make([]int32, e.mbH), levelIntraMBs
	a.intraLevel, a.intraOrder, a.levelNow = make([]int32, n), make([]int32, 0, n), make([]int32, 0, n)
	a.reconIntraIn = func(w, k int) {
		i := int(a.levelNow[k])
		e.reconIntra(&e.workers[w], &e.mbs[i], i%e.mbW, i/e.mbW)
	}
	a.copyIntraRow = func(w, y int) {
		r := &e.workers[w].intra
		for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
			mb := &e.mbs[i]
			if !isIntra(mb.typ) {
				continue // a P picture's inter macroblock: copied already
			}
			a.intra.IntraLevels(i, r)
			mb.cbp, mb.nz, mb.nzC = uint8(r.CBP), r.TotalCoeff, r.ChromaTC
			if mb.typ == mbI16x16 {
				mb.lv.LumaDC = r.LumaDC
			}
		}
	}
	a.interDecisionRow = func(_, y int) {
		for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
			mb, d := &e.mbs[i], &a.dec[i]
			d.Type, d.QP, d.MV = int(mb.typ), int(mb.qp), mb.mv
		}
	}
	a.reconIntraAt = func(w, x, y int) {
		if mb := &e.mbs[y*e.mbW+x]; isIntra(mb.typ) {
			e.reconIntra(&e.workers[w], mb, x, y)
		}
	}
	e.accel = a
	return e, nil
}

// accelMotion is stage 1 by the accelerator, its result copied into the
// encoder's field unless the accelerator keeps it (FieldKeeper); it
// returns the sum of the field's SATD16.
func (e *Encoder) accelMotion(qp int) (int64, error) {
	a := e.accel
	if a.fieldKeeper != nil {
		sum, err := a.fieldKeeper.MotionSATD(e.src, e.ref, e.prevField, qp)
		if err != nil {
			return 0, fmt.Errorf("%w: motion search: %w", ErrAccelerator, err)
		}
		return sum, nil
	}
	if err := a.acc.Motion(e.src, e.ref, e.prevField, qp, a.field); err != nil {
		return 0, fmt.Errorf("%w: motion search: %w", ErrAccelerator, err)
	}
	if err := runRows(e.mbH, e.o.Threads, a.copyFieldRow); err != nil {
		return 0, err
	}
	return e.field.satd16(), nil
}

// copyField copies row y of the accelerator's motion field into the
// encoder's (accelState.copyFieldRow, made once: no allocation per
// picture).
func (e *Encoder) copyField(y int) {
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		e.field.MBs[i] = mbMotion(e.accel.field[i])
	}
}

// accelDecide is stage 2 by the accelerator, its decisions copied into the
// macroblock records as analyse writes them.
func (e *Encoder) accelDecide(qp int, pSlice bool) error {
	a := e.accel
	var field []MotionMB
	if pSlice && a.fieldKeeper == nil {
		field = a.field
	}
	if err := a.acc.Decide(e.src, field, qp, e.treeOff, pSlice, a.dec); err != nil {
		return fmt.Errorf("%w: mode decision: %w", ErrAccelerator, err)
	}
	// Rows in parallel; each row notes its first invalid decision, and
	// the error names the first in raster order.
	a.decidedP = pSlice
	if err := runRows(e.mbH, e.o.Threads, a.copyDecisionRow); err != nil {
		return err
	}
	for _, i := range a.badInRow {
		if i >= 0 {
			return fmt.Errorf("%w: mode decision: macroblock %d: invalid decision %+v", ErrAccelerator, i, a.dec[i])
		}
	}
	return nil
}

// copyDecisions copies row y of the accelerator's decisions into the
// macroblock records, noting the row's first invalid one in badInRow
// (accelState.copyDecisionRow, made once: no allocation per picture).
func (e *Encoder) copyDecisions(y int) {
	a := e.accel
	a.badInRow[y] = -1
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		d, mb := &a.dec[i], &e.mbs[i]
		if d.Type < mbI4x4 || d.Type > mbP8x8 || d.QP < 0 || d.QP > 51 || d.I16Mode < 0 || d.I16Mode > 3 ||
			d.ChromaMode < 0 || d.ChromaMode > 3 || (!a.decidedP && d.Type > mbI16x16) {
			a.badInRow[y] = int32(i)
			return
		}
		mb.typ, mb.i16Mode, mb.chromaMode, mb.qp, mb.cbp = uint8(d.Type), uint8(d.I16Mode), uint8(d.ChromaMode), uint8(d.QP), 0
		mb.i4Mode, mb.partMV, mb.mv = d.I4Modes, d.PartMV, d.MV
	}
}

// accelInter runs stage 3 of the inter macroblocks by the accelerator
// (before the wavefront, which then copies their results with
// accelInterMB). It reports whether the accelerator did it.
func (e *Encoder) accelInter(pSlice bool) (bool, error) {
	a := e.accel
	if a == nil || a.inter == nil {
		return false, nil
	}
	if a.levelsKept, a.intraKept = false, false; !pSlice {
		return false, nil
	}
	if err := runRows(e.mbH, e.o.Threads, a.interDecisionRow); err != nil {
		return false, err
	}
	// The levels stay with the accelerator when it codes them too and no
	// trace reports them.
	a.levelsKept = a.keeper != nil && e.trace == nil
	var err error
	if a.levelsKept {
		err = a.keeper.ReconInterKept(e.src, e.ref, a.dec, e.rec)
	} else {
		err = a.inter.ReconInter(e.src, e.ref, a.dec, e.rec)
	}
	if err != nil {
		a.levelsKept = false
		return false, fmt.Errorf("%w: inter reconstruction: %w", ErrAccelerator, err)
	}
	return true, nil
}

// accelIntra runs stage 3 of an I picture by the accelerator when it is
// an IntraKeeper and no trace asks for what it keeps, then copies each
// macroblock's coded block pattern, TotalCoeff and DC levels into its
// record, rows in parallel. It reports whether the accelerator did it.
func (e *Encoder) accelIntra(pSlice bool) (bool, error) {
	a := e.accel
	if a == nil || a.intra == nil || pSlice || e.trace != nil {
		return false, nil
	}
	if err := a.intra.ReconIntraKept(e.src, a.dec); err != nil {
		return false, fmt.Errorf("%w: intra reconstruction: %w", ErrAccelerator, err)
	}
	a.levelsKept, a.intraKept = true, true
	return true, runRows(e.mbH, e.o.Threads, a.copyIntraRow)
}

// levelIntraMBs is the most intra macroblocks accelRecon reconstructs in
// dependency levels rather than with the wavefront, whose hand-offs
// between rows cost more than a few macroblocks' work: in a P picture
// they are few and scattered, and most depend on no other intra
// macroblock (on testsrc2 at 1080p 17–46 in 13–28 rows, each an Intra_4x4
// macroblock of tens of microseconds). Any order that puts a macroblock
// after its intra neighbours gives the same result.
const levelIntraMBs = 512

// accelRecon is stage 3 of a P picture whose inter macroblocks the
// accelerator reconstructed (accelInter): their records are copied by rows
// in parallel, then the intra macroblocks are reconstructed in Go, the
// inter neighbours already final.
func (e *Encoder) accelRecon(threads int) error {
	a := e.accel
	if err := runRows(e.mbH, threads, a.copyInterRow); err != nil {
		return err
	}
	n := 0
	for _, k := range a.intraInRow {
		n += int(k)
	}
	switch {
	case n == 0:
		return nil
	case n <= a.levelIntra:
		return e.reconIntraLevels(threads)
	case a.intra != nil && a.levelsKept:
		// Many: the accelerator's wavefront, among the inter
		// macroblocks it kept.
		if err := a.intra.ReconIntraKept(e.src, a.dec); err != nil {
			return fmt.Errorf("%w: intra reconstruction: %w", ErrAccelerator, err)
		}
		a.intraKept = true
		return runRows(e.mbH, threads, a.copyIntraRow)
	}
	return e.wf.run(e.mbW, e.mbH, threads, a.reconIntraAt)
}

// reconIntraLevels reconstructs the intra macroblocks of a P picture level
// by level: level 0 are those whose left, top-left, top and top-right
// neighbours (all that intra prediction reads) are inter or absent, level
// k+1 those whose intra neighbours are at most at level k. A level's
// macroblocks run in parallel.
func (e *Encoder) reconIntraLevels(threads int) error {
	a := e.accel
	a.intraOrder = a.intraOrder[:0]
	levels := int32(0)
	for i := range e.mbs {
		if !isIntra(e.mbs[i].typ) {
			continue
		}
		x, y := i%e.mbW, i/e.mbW
		l := int32(0)
		for _, d := range [4][2]int{{-1, 0}, {-1, -1}, {0, -1}, {1, -1}} {
			nx, ny := x+d[0], y+d[1]
			if nx < 0 || nx >= e.mbW || ny < 0 {
				continue
			}
			if j := ny*e.mbW + nx; isIntra(e.mbs[j].typ) {
				l = max(l, a.intraLevel[j]+1)
			}
		}
		a.intraLevel[i] = l
		a.intraOrder = append(a.intraOrder, int32(i))
		levels = max(levels, l+1)
	}
	for l := int32(0); l < levels; l++ {
		a.levelNow = a.levelNow[:0]
		for _, i := range a.intraOrder {
			if a.intraLevel[i] == l {
				a.levelNow = append(a.levelNow, i)
			}
		}
		if err := runRows(len(a.levelNow), threads, a.reconIntraIn); err != nil {
			return err
		}
	}
	return nil
}

// copyInterRow copies the accelerator's results for the inter macroblocks
// of row y into their records (accelInterMB) and counts the row's intra
// ones.
func (e *Encoder) copyInterRow(y int) {
	n := int32(0)
	for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
		if mb := &e.mbs[i]; isIntra(mb.typ) {
			n++
		} else {
			e.accelInterMB(mb, i)
		}
	}
	e.accel.intraInRow[y] = n
}

// accelInterMB copies the accelerator's levels of inter macroblock i into
// its record, as reconInter writes them, or only its CBP and TotalCoeff
// when the levels stayed with the accelerator (called from the
// wavefront's goroutines).
func (e *Encoder) accelInterMB(mb *macroblock, i int) {
	// One result a row, reused along it (a row is copied by one
	// goroutine): in a picture-sized array of them, 816 bytes apart, each
	// macroblock's first write missed the cache.
	r := &e.accel.res[i/e.mbW]
	e.accel.inter.InterLevels(i, r)
	mb.cbp = uint8(r.CBP)
	mb.nz, mb.nzC = r.TotalCoeff, r.ChromaTC
	if !e.accel.levelsKept {
		mb.lv.Luma, mb.lv.ChromaDC, mb.lv.ChromaAC = r.Luma, r.ChromaDC, r.ChromaAC
	}
}

// accelRecords copies the final macroblocks' headers (after stage 3b)
// into the records stages 4 and 5 of the accelerator read, rows in
// parallel; stage 4 reads the levels where stage 3 left them (e.levels).
// It does nothing when neither stage is accelerated.
func (e *Encoder) accelRecords() error {
	a := e.accel
	if a == nil || a.mbs == nil {
		return nil
	}
	return runRows(e.mbH, e.o.Threads, func(_, y int) {
		for i := y * e.mbW; i < (y+1)*e.mbW; i++ {
			e.mbs[i].headerInto(&a.mbs[i])
		}
	})
}

// accelDeblock runs stage 5 by the accelerator on e.rec. It reports
// whether the accelerator did it.
func (e *Encoder) accelDeblock() (bool, error) {
	a := e.accel
	if a == nil || a.deblock == nil {
		return false, nil
	}
	if err := a.deblock.Deblock(e.rec, a.mbs); err != nil {
		return false, fmt.Errorf("%w: deblocking: %w", ErrAccelerator, err)
	}
	return true, nil
}

// accelSliceStart starts stage 4 and the concatenation by the accelerator
// after slice header h, in another goroutine, so that it runs while stage
// 5 does (they read the same final macroblocks and write different
// things); accelSliceWait returns its result. It does nothing when stage 4
// stays in Go.
func (e *Encoder) accelSliceStart(h *sliceHeader, pSlice bool) {
	a := e.accel
	if a == nil || a.entropy == nil {
		return
	}
	w := &e.out
	w.reset()
	h.write(w)
	a.hdrBits = w.bitLen()
	w.flushBytes()
	a.hdr = append(a.hdr[:0], w.buf...)
	if w.n > 0 {
		a.hdr = append(a.hdr, byte(w.acc<<(8-w.n)))
	}
	a.pSlice, a.slicePending = pSlice, true
	if w.err != nil {
		a.sliceDone <- fmt.Errorf("h264: slice header: %w", w.err)
		return
	}
	go e.accelSliceRun()
}

// accelSliceRun is accelSliceStart's goroutine.
func (e *Encoder) accelSliceRun() {
	a := e.accel
	var rbsp []byte
	var err error
	if a.payload != nil {
		rbsp, err = a.payload.SlicePayload(a.mbs, e.levels, a.pSlice, a.hdr, a.hdrBits, a.rbsp)
	} else {
		rbsp, err = a.entropy.SliceData(a.mbs, e.levels, a.pSlice, a.hdr, a.hdrBits, a.rbsp)
	}
	if err != nil {
		err = fmt.Errorf("%w: entropy coding: %w", ErrAccelerator, err)
	} else if len(rbsp) == 0 {
		err = fmt.Errorf("%w: entropy coding: empty slice", ErrAccelerator)
	}
	a.rbsp = rbsp
	a.sliceDone <- err
}

// accelSliceWait waits for the stage 4 accelSliceStart started and returns
// the slice's RBSP, or its NAL unit's payload when escaped (valid until
// the next picture), or nil, false, nil when stage 4 stays in Go.
func (e *Encoder) accelSliceWait() (data []byte, escaped bool, err error) {
	a := e.accel
	if a == nil || !a.slicePending {
		return nil, false, nil
	}
	a.slicePending = false
	if err := <-a.sliceDone; err != nil {
		return nil, false, err
	}
	return a.rbsp, a.payload != nil, nil
}
