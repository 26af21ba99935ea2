// The encoder: public API and the per-picture pipeline (see DESIGN.md for
// the parallel contract of each stage).

package h264

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// AccessUnit is one coded picture in Annex B form.
type AccessUnit struct {
	// Data holds the NAL units with 4-byte start codes: SPS and PPS before
	// every IDR picture, then one slice.
	Data []byte
	// Keyframe is true for IDR pictures.
	Keyframe bool
	// FrameNum counts the pictures given to Encode, from 0.
	FrameNum int
	// QP is the picture's quantiser.
	QP int
	// Intra, Inter and Skip count the macroblocks coded each way.
	Intra, Inter, Skip int
}

// ErrPictureSize reports a picture whose planes do not match the encoder.
var ErrPictureSize = errors.New("h264: picture does not match the encoder's size")

// errSceneCut asks Encode to code the picture as an IDR picture.
var errSceneCut = errors.New("h264: scene cut")

// sceneCutPercent is the share of intra macroblocks in a P picture above
// which it is coded as an IDR picture instead.
const sceneCutPercent = 70

// ErrClosed is returned by Encode after an internal error made the encoder
// unusable.
var ErrClosed = errors.New("h264: encoder unusable after an earlier error")

// Encoder turns pictures into a Constrained Baseline H.264 stream (CAVLC,
// I and P slices, one reference picture, one slice per picture). Its own
// reconstruction equals, sample for sample, what any conforming decoder
// makes of the stream. An Encoder is not safe for concurrent use; it runs
// its own goroutines inside Encode.
type Encoder struct {
	o      Options
	preset preset
	sp     seqParams
	mbW    int
	mbH    int

	src, rec, ref *Picture // padded to whole macroblocks
	mbs           []macroblock
	alloc         func(w, h int) *Picture // a PictureAllocator's, or nil
	levels        []MacroblockLevels      // mbs[i].lv is &levels[i]
	workers       []worker
	wf            wavefront
	mbBits        []bitWriter
	out           bitWriter

	search    *motionSearch
	field     motionField
	prevField []MV
	skipProbe []ProbeResult // stage 2b, pass 1 (skipprobe.go)
	skipMoved []bool        // stage 2b, pass 2: the macroblocks it moved
	// probeWalkAt is e.probeWalk, made once (no allocation per picture).
	probeWalkAt func(w, x, y int)
	// reprobes counts pass 2's probes at a vector pass 1 did not probe.
	reprobes atomic.Int64

	forceIDR   bool
	aqStrength int // adaptive quantisation strength in 1/16 (0: off)
	frames     int // pictures encoded
	sinceIDR   int
	idrCount   int
	rc         rateControl
	sps, pps   []byte
	broken     error

	// hooks lets tests force decisions; nil in normal use.
	hooks *testHooks
	// accel runs stages 1, 2 (and 3-inter) when set (NewEncoderWith, accel.go).
	accel *accelState
	// la holds pictures back for the macroblock tree (Options.Lookahead;
	// nil without lookahead), treeOff its QP offsets for the picture
	// being coded (nil without lookahead).
	// timing, when set (SetStageTiming), adds each host stage's wall time
	// to times (StageTimes).
	timing bool
	times  [hostStages]time.Duration

	la      *lookahead
	treeOff []int8
	tree    chan error // the goroutine computing treeOff (codeQueued), nil once waited for
	treeErr error
	// trace, when set (EncodeTrace), receives copies of each stage's output.
	trace *PictureTrace
}

// testHooks override the encoder's decisions after analysis (tests only).
type testHooks struct {
	decide func(x, y int, pSlice bool, mb *macroblock, avail uint8)
}

// NewEncoder validates o and returns an encoder for it.
func NewEncoder(o Options) (*Encoder, error) {
	o, p, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Encoder{o: o, preset: p, aqStrength: int(o.AQStrength*16 + 0.5)}
	cw, ch := (o.Width+1)&^1, (o.Height+1)&^1 // 4:2:0 crops in units of 2
	e.mbW, e.mbH = (cw+15)/16, (ch+15)/16
	maxBR := o.Bitrate
	if o.MaxRate > maxBR {
		maxBR = o.MaxRate
	}
	if o.RateControl != AverageBitrate {
		maxBR = 0
	}
	e.sp = seqParams{
		width: cw, height: ch, mbW: e.mbW, mbH: e.mbH,
		level:  chooseLevel(e.mbW, e.mbH, o.FrameRateNum, o.FrameRateDen, maxBR),
		fpsNum: o.FrameRateNum, fpsDen: o.FrameRateDen,
		color: o.Color, sarNum: o.SARNum, sarDen: o.SARDen,
	}
	e.src = newPadded(e.mbW, e.mbH)
	e.rec = newPadded(e.mbW, e.mbH)
	e.ref = newPadded(e.mbW, e.mbH)
	e.mbs, e.levels = newMacroblocks(e.mbW * e.mbH)
	e.mbBits = make([]bitWriter, e.mbW*e.mbH)
	e.workers = make([]worker, o.Threads)
	e.prevField = make([]MV, e.mbW*e.mbH)
	e.skipProbe = make([]ProbeResult, e.mbW*e.mbH)
	e.skipMoved = make([]bool, e.mbW*e.mbH)
	e.probeWalkAt = e.probeWalk
	cfg := defaultMotionSearchConfig(16*e.mbW, 16*e.mbH, o.Threads)
	cfg.Partitions = p.partitions
	cfg.MaxVerticalMV = min(512, e.sp.level.mvY)
	cfg.CoarseRange = max(1, p.searchRange/4)
	if !p.subpel {
		cfg.SubPel = 0
	}
	if e.search, err = newMotionSearch(cfg); err != nil {
		return nil, fmt.Errorf("h264: motion search: %w", err)
	}
	var w bitWriter
	e.sp.writeSPS(&w)
	rbsp, err := w.bytes()
	if err != nil {
		return nil, fmt.Errorf("h264: writing SPS: %w", err)
	}
	e.sps = appendNAL(nil, 3, nalSPS, rbsp)
	w.reset()
	e.sp.writePPS(&w)
	if rbsp, err = w.bytes(); err != nil {
		return nil, fmt.Errorf("h264: writing PPS: %w", err)
	}
	e.pps = appendNAL(nil, 3, nalPPS, rbsp)
	e.rc.init(&e.o, e.mbW*e.mbH)
	if o.Lookahead > 0 {
		e.la = newLookahead(o.Lookahead, e.mbW, e.mbH)
		e.treeOff = make([]int8, e.mbW*e.mbH)
	}
	return e, nil
}

// newPadded allocates a picture of whole macroblocks.
func newPadded(mbW, mbH int) *Picture {
	return NewPicture(16*mbW, 16*mbH)
}

// newPadded allocates one of the encoder's own pictures of whole
// macroblocks: with e.alloc (a PictureAllocator's) where it gives one of
// the right shape, else in Go memory.
func (e *Encoder) newPadded() *Picture {
	w, h := 16*e.mbW, 16*e.mbH
	if e.alloc != nil {
		if p := e.alloc(w, h); p != nil && packedPlane(&p.Y, w, h) &&
			packedPlane(&p.Cb, w/2, h/2) && packedPlane(&p.Cr, w/2, h/2) {
			return p
		}
	}
	return newPadded(e.mbW, e.mbH)
}

// packedPlane reports whether p is a w×h plane of stride w.
func packedPlane(p *Plane, w, h int) bool {
	return p.Width == w && p.Height == h && p.Stride == w && len(p.Pix) >= w*h
}

// ForceKeyframe makes the next picture an IDR picture (with SPS and PPS);
// the GOP count restarts there.
func (e *Encoder) ForceKeyframe() { e.forceIDR = true }

// Headers returns the SPS and PPS NAL units (header byte included, no start
// code), e.g. for an avcC record.
func (e *Encoder) Headers() (sps, pps []byte) {
	return append([]byte(nil), e.sps...), append([]byte(nil), e.pps...)
}

// Options returns the options in effect, defaults filled in.
func (e *Encoder) Options() Options { return e.o }

// Reconstruction returns the decoded (deblocked) last picture, cropped to
// Width×Height: exactly what a decoder outputs for it.
func (e *Encoder) Reconstruction() *Picture {
	p := NewPicture(e.o.Width, e.o.Height)
	copyPlane(&p.Y, &e.ref.Y)
	copyPlane(&p.Cb, &e.ref.Cb)
	copyPlane(&p.Cr, &e.ref.Cr)
	return p
}

// copyPlane copies the top-left dst.Width×dst.Height samples of src.
func copyPlane(dst, src *Plane) {
	for y := 0; y < dst.Height; y++ {
		copy(dst.Pix[y*dst.Stride:y*dst.Stride+dst.Width], src.Pix[y*src.Stride:])
	}
}

// padInto copies pic into dst, a picture of whole macroblocks,
// replicating the last column and row into the padding.
func padInto(dst, pic *Picture) {
	padRows(dst, pic, 0, dst.Y.Height/16)
}

// padRows is padInto for macroblock rows r0..r1-1 (16 luma and 8 chroma
// sample rows each).
func padRows(dst, pic *Picture, r0, r1 int) {
	pad := func(dst, src *Plane, h int) {
		for y := r0 * h; y < r1*h; y++ {
			sy := min(y, src.Height-1)
			row := dst.Pix[y*dst.Stride : y*dst.Stride+dst.Width]
			n := copy(row[:src.Width], src.Pix[sy*src.Stride:sy*src.Stride+src.Width])
			last := row[n-1]
			for x := n; x < len(row); x++ {
				row[x] = last
			}
		}
	}
	pad(&dst.Y, &pic.Y, 16)
	pad(&dst.Cb, &pic.Cb, 8)
	pad(&dst.Cr, &pic.Cr, 8)
}

// load is padInto with macroblock rows in parallel (stage 0).
func (e *Encoder) load(dst, pic *Picture) error {
	return runRows(e.mbH, e.o.Threads, func(_, r int) { padRows(dst, pic, r, r+1) })
}

func checkPicture(p *Picture, w, h int) error {
	cw, ch := (w+1)/2, (h+1)/2
	for i, pl := range []*Plane{&p.Y, &p.Cb, &p.Cr} {
		ww, hh := w, h
		if i > 0 {
			ww, hh = cw, ch
		}
		if pl.Width != ww || pl.Height != hh || pl.Stride < ww || len(pl.Pix) < (hh-1)*pl.Stride+ww {
			return fmt.Errorf("%w: plane %d is %dx%d (stride %d, %d bytes), want %dx%d", ErrPictureSize, i, pl.Width, pl.Height, pl.Stride, len(pl.Pix), ww, hh)
		}
	}
	return nil
}

// Encode codes one picture. Without lookahead (Options.Lookahead 0, the
// default) it returns that picture's access unit: pictures come out in
// input order with no delay. With a lookahead of n pictures, Encode holds
// pictures back: while fewer than n+1 are held it returns an AccessUnit
// with nil Data, after that the access unit of the picture given n calls
// earlier; Flush then codes the pictures still held.
func (e *Encoder) Encode(pic *Picture) (AccessUnit, error) {
	if e.broken != nil {
		return AccessUnit{}, fmt.Errorf("%w: %w", ErrClosed, e.broken)
	}
	if pic == nil {
		return AccessUnit{}, fmt.Errorf("%w: nil picture", ErrPictureSize)
	}
	if err := checkPicture(pic, e.o.Width, e.o.Height); err != nil {
		return AccessUnit{}, err
	}
	force := e.forceIDR
	e.forceIDR = false
	load := e.lapFrom(time.Time{})
	if e.la == nil {
		if err := e.load(e.src, pic); err != nil {
			e.broken = err
			return AccessUnit{}, err
		}
		e.lap(hostLoad, load)
		return e.code(force)
	}
	f := e.la.frame()
	if err := e.load(f.src, pic); err != nil {
		e.broken = err
		return AccessUnit{}, err
	}
	e.lap(hostLoad, load)
	f.force = force
	prev := e.la.enqueue(f)
	analyse := func() error { return e.la.analyse(f, prev, e.o.Threads) }
	if len(e.la.queue) <= e.la.depth {
		if err := analyse(); err != nil {
			e.broken = err
			return AccessUnit{}, err
		}
		return AccessUnit{}, nil
	}
	// The new picture's analysis runs while the oldest one's coding
	// starts (stage 1 needs neither it nor the tree).
	return e.codeQueued(analyse)
}

// Flush codes the oldest picture still held back by the lookahead and
// returns its access unit; ok is false when no picture is held (always,
// without lookahead). Call it until ok is false after the last Encode.
// Encode may be called again afterwards.
func (e *Encoder) Flush() (au AccessUnit, ok bool, err error) {
	if e.broken != nil {
		return AccessUnit{}, false, fmt.Errorf("%w: %w", ErrClosed, e.broken)
	}
	if e.la == nil || len(e.la.queue) == 0 {
		return AccessUnit{}, false, nil
	}
	au, err = e.codeQueued(nil)
	return au, err == nil, err
}

// codeQueued codes the oldest picture of the lookahead, with the
// macroblock tree's QP offsets from the pictures after it up to the next
// IDR picture the GOP length makes. analyse, when not nil, is the newest
// picture's analysis, still to run: it and the tree run in their own
// goroutine while stage 1 runs (encodePicture waits for them before
// stage 2, waitTree).
func (e *Encoder) codeQueued(analyse func() error) (AccessUnit, error) {
	f := e.la.queue[0]
	e.src = f.src
	s := e.sinceIDR
	if e.isIDR(f.force) {
		s = 0
	}
	n := 1
	for n < len(e.la.queue) && !e.la.queue[n].force && s+n < e.o.GOP {
		n++
	}
	done := make(chan error, 1)
	go func() {
		var err error
		if perr := guard(func() {
			if analyse != nil {
				err = analyse()
			}
			if err == nil {
				err = e.la.treeOffsets(n, e.o.Threads, e.treeOff)
			}
		}); perr != nil {
			err = perr
		}
		done <- err
	}()
	e.tree, e.treeErr = done, nil
	au, err := e.code(f.force)
	if werr := e.waitTree(); werr != nil && err == nil {
		e.broken = werr
		au, err = AccessUnit{}, werr
	}
	e.la.pop()
	e.la.recycle(f)
	return au, err
}

// waitTree waits for the lookahead's goroutine of the picture being coded
// (codeQueued) and returns its error; it returns at once without one.
func (e *Encoder) waitTree() error {
	if e.tree != nil {
		e.treeErr = <-e.tree
		e.tree = nil
	}
	return e.treeErr
}

// isIDR reports whether the next picture coded is an IDR picture (before
// the scene-cut test).
func (e *Encoder) isIDR(force bool) bool {
	return e.frames == 0 || e.sinceIDR >= e.o.GOP || force
}

// code codes the picture in e.src and returns its access unit.
func (e *Encoder) code(force bool) (AccessUnit, error) {
	idr := e.isIDR(force)
	if idr {
		e.sinceIDR = 0
	}
	qp := e.rc.frameQP(idr)
	au, err := e.encodePicture(idr, qp)
	if errors.Is(err, errSceneCut) {
		// Most of the picture is new: code it as an IDR picture instead.
		idr, e.sinceIDR = true, 0
		qp = e.rc.frameQP(true)
		au, err = e.encodePicture(true, qp)
	}
	if err != nil {
		e.broken = err
		return AccessUnit{}, err
	}
	e.rc.update(idr, au.QP, len(au.Data)*8)
	au.FrameNum = e.frames
	e.frames++
	e.sinceIDR++
	return au, nil
}

// encodePicture runs the pipeline for one picture: analysis, reconstruction
// (wavefront), P_Skip decision, deblocking (wavefront), entropy coding
// (per macroblock) and bit string concatenation.
func (e *Encoder) encodePicture(idr bool, qp int) (AccessUnit, error) {
	threads := e.o.Threads
	pSlice := !idr
	e.traceStage(0, idr, qp)
	lap := e.lapFrom(time.Time{})
	if pSlice {
		// Stage 1: motion search (motion.go).
		var sum int64
		if e.accel != nil {
			var err error
			if sum, err = e.accelMotion(qp); err != nil {
				return AccessUnit{}, err
			}
		} else if err := e.search.run(e.src, e.ref, e.prevField, qp, &e.field); err != nil {
			return AccessUnit{}, fmt.Errorf("h264: motion search: %w", err)
		} else {
			sum = e.field.satd16()
		}
		// Constant quality picks the final QP from the picture's motion
		// compensated complexity (the search's λ used the provisional QP).
		qp = e.rc.crfQP(qp, float64(sum)/float64(e.mbW*e.mbH))
	}
	lap = e.lap(hostMotion, lap)
	// Stage 2: decisions, per macroblock, from the source (and for P
	// pictures the motion field) and the lookahead's QP offsets; rows in
	// parallel.
	if err := e.waitTree(); err != nil {
		return AccessUnit{}, err
	}
	lap = e.lap(hostTreeWait, lap)
	if e.accel != nil {
		if err := e.accelDecide(qp, pSlice); err != nil {
			return AccessUnit{}, err
		}
	} else if err := runRows(e.mbH, threads, func(w, y int) {
		wk := &e.workers[w]
		for x := 0; x < e.mbW; x++ {
			e.analyse(wk, x, y, qp, pSlice)
		}
	}); err != nil {
		return AccessUnit{}, err
	}
	if pSlice && e.o.GOP > 1 && e.hooks == nil {
		// Scene cut: when more than sceneCutPercent of the macroblocks
		// chose intra, an IDR picture costs about the same and restarts
		// prediction cleanly.
		n := 0
		for i := range e.mbs {
			if isIntra(e.mbs[i].typ) {
				n++
			}
		}
		if n*100 > sceneCutPercent*len(e.mbs) {
			return AccessUnit{}, errSceneCut
		}
	}
	e.traceStage(2, idr, qp)
	lap = e.lap(hostDecide, lap)
	// Stage 2b: vectors moved to the P_Skip vector where that codes
	// nothing (skipprobe.go); not when a test forces the decisions.
	if pSlice && e.hooks == nil {
		if err := e.probeSkips(); err != nil {
			return AccessUnit{}, err
		}
	}
	e.traceStage(21, idr, qp)
	lap = e.lap(hostProbe, lap)
	// Stage 3: reconstruction, a wavefront (intra prediction reads the
	// reconstructed left, top and top-right neighbours); after the
	// accelerator's inter reconstruction only the intra macroblocks are
	// left (accelRecon), and an IntraKeeper does all of an I picture
	// (accelIntra).
	accInter, err := e.accelInter(pSlice)
	if err != nil {
		return AccessUnit{}, err
	}
	accIntra := false
	if !accInter {
		if accIntra, err = e.accelIntra(pSlice); err != nil {
			return AccessUnit{}, err
		}
	}
	switch {
	case accInter:
		err = e.accelRecon(threads)
	case !accIntra:
		err = e.wf.run(e.mbW, e.mbH, threads, e.reconMB)
	}
	if err != nil {
		return AccessUnit{}, err
	}
	e.traceStage(3, idr, qp)
	lap = e.lap(hostRecon, lap)
	// Stage 3b: P_Skip, per macroblock, once every vector is final.
	if err := guard(func() { e.decideSkips(); e.assignQPDeltas(qp) }); err != nil {
		return AccessUnit{}, err
	}
	intra, inter, skip := e.countTypes()
	if err := e.accelRecords(); err != nil {
		return AccessUnit{}, err
	}
	lap = e.lap(hostSkip, lap)
	// Stage 4: entropy coding, per macroblock into its own bit string
	// (by the accelerator at the concatenation instead, when it does it;
	// a trace still gets the Go bit strings).
	if e.accel == nil || e.accel.entropy == nil || e.trace != nil {
		var fe firstError
		if err := runRows(e.mbH, threads, func(w, y int) {
			for x := 0; x < e.mbW; x++ {
				i := y*e.mbW + x
				bw := &e.mbBits[i]
				bw.reset()
				if e.mbs[i].typ != mbPSkip {
					e.writeMB(bw, &e.mbs[i], x, y, pSlice)
				}
				if bw.err != nil {
					fe.set(bw.err)
				}
			}
		}); err != nil {
			return AccessUnit{}, err
		}
		if err := fe.get(); err != nil {
			return AccessUnit{}, fmt.Errorf("h264: macroblock syntax: %w", err)
		}
	}
	e.traceStage(4, idr, qp)
	lap = e.lap(hostCAVLC, lap)
	h := sliceHeader{idr: idr, qp: qp, frameNum: e.sinceIDR % maxFrameNum, idrPicID: e.idrCount % 65536}
	if idr {
		h.sliceTyp = sliceI
		h.frameNum = 0
		e.idrCount++
	} else {
		h.sliceTyp = sliceP
	}
	// Stage 4 by the accelerator runs during stage 5 (accel.go).
	e.accelSliceStart(&h, pSlice)
	// Stage 5: deblocking, a wavefront (each macroblock's edges read
	// samples its left and upper neighbours' filtering wrote).
	if accDeblock, err := e.accelDeblock(); err != nil {
		e.accelSliceWait()
		return AccessUnit{}, err
	} else if !accDeblock {
		if err := e.wf.run(e.mbW, e.mbH, threads, func(w, x, y int) { e.deblockMB(x, y) }); err != nil {
			e.accelSliceWait()
			return AccessUnit{}, err
		}
	}

	e.traceStage(5, idr, qp)
	lap = e.lap(hostDeblock, lap)
	// Concatenation: the slice header, then the macroblocks' bit strings with
	// mb_skip_run in between.
	rbsp, escaped, err := e.accelSliceWait()
	if err != nil {
		return AccessUnit{}, err
	}
	if rbsp == nil {
		w := &e.out
		w.reset()
		h.write(w)
		run := 0
		for i := range e.mbs {
			if e.mbs[i].typ == mbPSkip {
				run++
				continue
			}
			if pSlice {
				w.ue(uint32(run))
				run = 0
			}
			w.appendBits(&e.mbBits[i])
		}
		if run > 0 {
			w.ue(uint32(run))
		}
		w.trailingBits()
		if rbsp, err = w.bytes(); err != nil {
			return AccessUnit{}, fmt.Errorf("h264: slice: %w", err)
		}
	}
	e.lap(hostConcat, lap)
	var au AccessUnit
	au.Keyframe = idr
	au.QP = qp
	au.Intra, au.Inter, au.Skip = intra, inter, skip
	refIdc, nalType := 2, nalSliceNonIDR
	if idr {
		au.Data = append(au.Data, 0, 0, 0, 1)
		au.Data = append(au.Data, e.sps...)
		au.Data = append(au.Data, 0, 0, 0, 1)
		au.Data = append(au.Data, e.pps...)
		refIdc, nalType = 3, nalSliceIDR
	}
	if escaped {
		au.Data = appendAnnexBPayload(au.Data, refIdc, nalType, rbsp)
	} else {
		au.Data = appendAnnexB(au.Data, refIdc, nalType, rbsp)
	}
	e.rec, e.ref = e.ref, e.rec
	return au, nil
}

// reconMB is stage 3 of macroblock (x, y) on worker w's scratch, in Go.
func (e *Encoder) reconMB(w, x, y int) {
	wk := &e.workers[w]
	mb := &e.mbs[y*e.mbW+x]
	if isIntra(mb.typ) {
		e.reconIntra(wk, mb, x, y)
	} else {
		e.reconInter(wk, mb, x, y)
	}
}

// reconIntra is stage 3 of intra macroblock mb at (x, y).
func (e *Encoder) reconIntra(wk *worker, mb *macroblock, x, y int) {
	if mb.typ == mbI4x4 {
		e.reconI4x4(wk, mb, x, y)
	} else {
		e.reconI16(wk, mb, x, y)
	}
	e.intraChromaPred(wk, mb, x, y)
	e.chroma(wk, mb, x, y, true)
}

// decideSkips turns P_L0_16x16 macroblocks without residual whose vector is
// the P_Skip vector into P_Skip (stage 3b). The vectors do not change, so
// the order does not matter.
func (e *Encoder) decideSkips() {
	for i := range e.mbs {
		mb := &e.mbs[i]
		if mb.typ == mbP16x16 && mb.cbp == 0 && mb.partMV[0] == e.skipMV(i%e.mbW, i/e.mbW, mb) {
			mb.typ = mbPSkip
		}
	}
}

// countTypes counts intra, inter and skipped macroblocks and records the
// 16x16 vectors for the next picture's motion search.
func (e *Encoder) countTypes() (intra, inter, skip int) {
	for i := range e.mbs {
		mb := &e.mbs[i]
		switch {
		case isIntra(mb.typ):
			intra++
			e.prevField[i] = MV{}
		case mb.typ == mbPSkip:
			skip++
			e.prevField[i] = mb.partMV[0]
		default:
			inter++
			e.prevField[i] = mb.partMV[0]
		}
	}
	return
}
