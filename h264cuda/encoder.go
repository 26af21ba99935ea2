// The h264_cuda encoder: h264's Encoder with stages 1 (motion search), 2
// (mode decision) and, as selected (Stages), 3 for inter macroblocks
// (inter reconstruction), 4 (CAVLC entropy coding and bit packing) and 5
// (deblocking) run by this package's kernels through h264.Accelerator and
// its optional extensions (h264/accel.go); with stage 3 on the GPU, the
// first pass of the skip probe (stage 2b) runs on its kernel too; with a
// lookahead, its analysis runs on the GPU as well. The macroblock tree,
// intra reconstruction (a wavefront), the probe's raster pass, P_Skip,
// rate control, the scene-cut rule and the NAL framing stay in h264's Go
// code, so the stream and the reconstruction are h264_go's, byte for
// byte.

package h264cuda

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// ErrUnavailable matches (errors.Is) the error of Available and NewEncoder
// when no usable NVIDIA GPU is present; the driver's own error (matching
// cuda.ErrNoDriver or cuda.ErrNoDevice) is wrapped too.
var ErrUnavailable = errors.New("h264cuda: no usable NVIDIA GPU")

// Available reports whether h264_cuda can run here: nil, or an error
// matching ErrUnavailable that says what is missing (the NVIDIA driver,
// a CUDA device) in words meant for the user.
func Available() error {
	if err := cuda.Load(); err != nil {
		return fmt.Errorf("%w: h264_cuda needs an NVIDIA GPU (compute capability 8.0 or later) with its driver installed; use h264_go on this machine: %w", ErrUnavailable, err)
	}
	n, err := cuda.DeviceCount()
	if err != nil {
		return fmt.Errorf("%w: the NVIDIA driver loaded but cannot list devices (check nvidia-smi and CUDA_VISIBLE_DEVICES): %w", ErrUnavailable, err)
	}
	if n == 0 {
		return fmt.Errorf("%w: the NVIDIA driver sees no GPU (check nvidia-smi and CUDA_VISIBLE_DEVICES): %w", ErrUnavailable, cuda.ErrNoDevice)
	}
	return nil
}

// makeBackend opens the backend of one stage: its kernels' module, a
// stream and (through alloc) an arena.
type makeBackend func(stage string, kernels []string) (backend, error)

// stages is the h264.Accelerator of an Encoder.
type stages struct {
	ms    *MotionSearch
	dec   *Decider
	inter *interRecon   // nil when the inter stage has no PTX
	db    *Deblocker    // nil: stage 5 in Go
	ec    *EntropyCoder // nil: stage 4 in Go
	// la runs the lookahead's analysis (h264.LookaheadAccelerator); nil
	// without a lookahead (Options.Lookahead 0), when h264 never asks.
	la *lookaheadStage
	// owned are the planes of the pictures AllocPicture made;
	// stagedPictures makes none (gpuStages).
	owned          ownedPlanes
	stagedPictures bool

	// fieldOnDevice: the last Motion or MotionSATD call succeeded, so its field (and
	// reference luma) are in the search's device memory.
	fieldOnDevice bool
	// shareInputs lets a stage read the planes another stage already
	// has on the device instead of uploading them, and Motion queue the
	// decision's chroma upload during the search: the reference the
	// deblocker wrote (motion search, inter stage), the source luma the
	// motion search uploaded (decision), the source and reference the
	// decision and the search read (inter stage, skip probe).
	shareInputs bool
	// motionCur is the picture the last successful Motion call searched;
	// lastRefY and lastSrcY the device addresses of the reference and
	// source luma the last search and decision read.
	motionCur          *h264.Picture
	lastRefY, lastSrcY uint64
	// sharedPlanes counts the plane uploads skipped that way.
	sharedPlanes int
	// prefetches counts the decisions whose chroma upload Motion queued
	// during the search.
	prefetches int
	// keptPictures counts the pictures whose inter levels went from the
	// inter stage to the entropy coder on the device (ReconInterKept).
	keptPictures int
	// keptSamples counts the pictures whose inter samples went from the
	// inter stage to the deblocker on the device.
	keptSamples int
	// lookaheadSources counts the motion searches that copied their
	// source luma from the lookahead's planes on the device.
	lookaheadSources int
	// lookaheadPictures counts the pictures the lookahead analysed on the
	// device.
	lookaheadPictures int
	// intra reconstructs I pictures, and the intra macroblocks of P
	// pictures that have many (nil: in Go); intraKept: the picture being
	// coded is an I picture it reconstructed, whose levels and samples
	// are in its device memory; intraInP: a P picture whose intra
	// macroblocks it coded into the inter stage's memory.
	// intraPictures and intraPPictures count those pictures.
	// decidedSrc is the picture the last successful Decide read.
	intra          *intraRecon
	intraKept      bool
	intraInP       bool
	intraPictures  int
	intraPPictures int
	decidedSrc     *h264.Picture

	// With timing on, the host wall time of each stage's calls (uploads,
	// kernels, downloads, decoding) since the last StageTimes.
	timing bool
	wall   [wallStages]time.Duration
}

// wallNames names the stage groups of stages.wall (StageTimes).
var wallNames = [...]string{"wall/motion", "wall/analyse", "wall/inter", "wall/cavlc", "wall/deblock", "wall/probe", "wall/lookahead", "wall/intra"}

const wallStages = len(wallNames)

// since adds the time from t to stage k's wall time when timing.
func (s *stages) since(k int, t time.Time) {
	if s.timing {
		s.wall[k] += time.Since(t)
	}
}

// Motion implements h264.Accelerator with MotionSearch.
func (s *stages) Motion(cur, ref *h264.Picture, prev []h264.MV, qp int, out []h264.MotionMB) error {
	if out == nil {
		return fmt.Errorf("%w: no output for the motion field", ErrInput)
	}
	_, err := s.motion(cur, ref, prev, qp, out)
	return err
}

// MotionSATD implements h264.FieldKeeper: the search's field stays on the
// device, where Decide reads it, and only its SATD16 sum comes back.
func (s *stages) MotionSATD(cur, ref *h264.Picture, prev []h264.MV, qp int) (int64, error) {
	return s.motion(cur, ref, prev, qp, nil)
}

// motion runs the search, then decodes its field into out, or with out
// nil returns the sum of the field's SATD16 instead.
func (s *stages) motion(cur, ref *h264.Picture, prev []h264.MV, qp int, out []h264.MotionMB) (int64, error) {
	defer s.since(0, time.Now())
	s.fieldOnDevice, s.motionCur = false, nil
	s.ms.devRef = 0
	if s.deblocked(ref) {
		s.ms.devRef = s.db.planeAddr(0)
		s.sharedPlanes++
	}
	var release func()
	if s.la != nil && s.shareInputs {
		var ok bool
		if s.ms.devCur, release, ok = s.la.sourceFor(cur); ok {
			s.sharedPlanes++
			s.lookaheadSources++
			defer release()
		}
	}
	err := s.ms.enqueue(cur, ref, prev, qp)
	s.lastRefY = s.ms.refAddr()
	s.ms.devRef, s.ms.devCur = 0, 0
	if err == nil && s.shareInputs {
		// The decision's chroma uploads while the search runs.
		if err = s.dec.prefetch(cur); err == nil && s.dec.prefetched == cur {
			s.prefetches++
		}
	}
	var sum int64
	if err == nil && out != nil {
		err = s.ms.collect(out)
	} else if err == nil {
		sum, err = s.ms.collectSATD()
	}
	if err != nil {
		return 0, err
	}
	s.fieldOnDevice, s.motionCur = true, cur
	return sum, nil
}

// AnalyseLookahead implements h264.LookaheadAccelerator with
// lookahead.cu. It runs in the lookahead's goroutine, beside Motion, on a
// stream and memory of its own.
func (s *stages) AnalyseLookahead(src *h264.Picture, first bool, out h264.LookaheadCosts) error {
	if s.la == nil {
		return fmt.Errorf("%w: the encoder was made without a lookahead", ErrInput)
	}
	defer s.since(6, time.Now())
	if err := s.la.analyse(src, first, out); err != nil {
		return err
	}
	s.lookaheadPictures++
	return nil
}

// deblocked reports whether p's planes are on the device as the GPU
// deblocker wrote them (p is the reference it made last), so that the
// stages may read them there.
func (s *stages) deblocked(p *h264.Picture) bool {
	return s.shareInputs && s.db != nil && s.db.holds(p)
}

// Decide implements h264.Accelerator with Decider. In a P picture the
// field is the one Motion or MotionSATD just made (h264.Encoder passes
// Motion's output unchanged, or nil after MotionSATD), so the decision
// reads it in the search's device memory.
func (s *stages) Decide(src *h264.Picture, field []h264.MotionMB, qp int, qpOffset []int8, pSlice bool, out []h264.Decision) error {
	defer s.since(1, time.Now())
	if s.inter != nil {
		// A new picture (h264.Encoder decides every one): what the
		// inter stage kept on the device belongs to the last.
		s.inter.kept, s.inter.samplesKept = false, false
	}
	s.intraKept, s.intraInP, s.decidedSrc = false, false, nil
	s.dec.devField, s.dec.devSrcY = 0, 0
	if !pSlice || !s.fieldOnDevice || src != s.motionCur {
		s.dec.prefetched = nil // queued for another picture's decision
	}
	if pSlice && s.fieldOnDevice {
		s.dec.devField = s.ms.base + uint64(s.ms.off[mpOut])
		// The search uploaded the same luma, packed the same way, when
		// it is a whole number of macroblocks (the decision's layout).
		if s.shareInputs && src == s.motionCur && src.Y.Width == 16*s.dec.mbW && src.Y.Height == 16*s.dec.mbH {
			s.dec.devSrcY = s.ms.base + uint64(s.ms.off[mpCur])
			s.sharedPlanes++
		}
	}
	err := s.dec.Decide(src, field, qp, qpOffset, pSlice, out)
	s.dec.devField = 0
	s.lastSrcY = s.dec.srcYAddr()
	s.dec.devSrcY = 0
	if err == nil {
		s.decidedSrc = src
	}
	return err
}

// stagesInter is stages with the inter reconstruction
// (h264.InterAccelerator).
type stagesInter struct{ *stages }

// ReconInter implements h264.InterAccelerator with inter.cu.
// The source planes are the ones Decide uploaded for this picture and the
// reference luma the one Motion uploaded (h264.Encoder calls Motion and
// Decide on the same pictures just before); they are read there.
func (s stagesInter) ReconInter(src, ref *h264.Picture, dec []h264.Decision, rec *h264.Picture) error {
	defer s.since(2, time.Now())
	s.shareWithInter(ref)
	defer s.inter.forgetShared()
	return s.inter.reconInter(src, ref, dec, rec, false, false)
}

// ReconInterKept implements h264.LevelKeeper: ReconInter, leaving the
// levels on the device, where the next SliceData reads them; with the
// deblocking on the GPU too, it also leaves there the inter samples intra
// prediction does not read, and the next Deblock takes them there.
func (s stagesInter) ReconInterKept(src, ref *h264.Picture, dec []h264.Decision, rec *h264.Picture) error {
	defer s.since(2, time.Now())
	s.shareWithInter(ref)
	defer s.inter.forgetShared()
	return s.inter.reconInter(src, ref, dec, rec, true, s.db != nil)
}

// shareWithInter points the inter stage at the source planes Decide read
// and the reference luma Motion read, when both ran on this picture, and
// at the deblocker's planes when ref is the picture it wrote last
// (interRecon.forgetShared undoes it).
func (s *stages) shareWithInter(ref *h264.Picture) {
	r := s.inter
	r.dev = [ipRefCr + 1]uint64{}
	if s.fieldOnDevice && s.shareInputs {
		d := s.dec
		r.dev[ipSrcY], r.dev[ipSrcCb], r.dev[ipSrcCr] = s.lastSrcY, d.base+uint64(d.off[apSrcCb]), d.base+uint64(d.off[apSrcCr])
		r.dev[ipRefY] = s.lastRefY
	}
	if s.deblocked(ref) {
		r.dev[ipRefY], r.dev[ipRefCb], r.dev[ipRefCr] = s.db.planeAddr(0), s.db.planeAddr(1), s.db.planeAddr(2)
		s.sharedPlanes += 2
	}
}

// ProbeSkips implements h264.ProbeAccelerator with the inter kernel, on
// the source and reference luma already on the device as ReconInter
// reads them (Decide has returned).
func (s stagesInter) ProbeSkips(src, ref *h264.Picture, dec []h264.Decision, nothing []bool) error {
	defer s.since(5, time.Now())
	s.shareWithInter(ref)
	defer s.inter.forgetShared()
	return s.inter.probe(src, ref, dec, nothing)
}

// ProbeDecided implements h264.SkipVectorProber: ProbeSkips with the
// records made on the device (probe_skip) from the decision records
// Decide left there for this picture.
func (s stagesInter) ProbeDecided(src, ref *h264.Picture, out []h264.ProbeResult) error {
	defer s.since(5, time.Now())
	s.shareWithInter(ref)
	defer s.inter.forgetShared()
	return s.inter.probeDecided(src, ref, s.dec.decAddr(), out)
}

// InterLevels implements h264.InterAccelerator: it decodes macroblock i's
// downloaded level record (safe for concurrent use with distinct i).
func (s stagesInter) InterLevels(i int, out *h264.InterResult) { s.inter.decode(i, out) }

// The optional stages as parts of an accelerator: each adds the methods
// of one optional h264 interface, so that the accelerator types below
// (one per combination) implement exactly the stages that run on the GPU.
type (
	interPart   struct{ s *stages } // h264.InterAccelerator
	entropyPart struct{ s *stages } // h264.EntropyAccelerator, h264.SlicePayloadAccelerator
	deblockPart struct{ s *stages } // h264.DeblockAccelerator
	intraPart   struct{ s *stages } // h264.IntraKeeper, with the three above

	accE struct {
		*stages
		entropyPart
	}
	accD struct {
		*stages
		deblockPart
	}
	accED struct {
		*stages
		entropyPart
		deblockPart
	}
	accIE struct {
		*stages
		interPart
		entropyPart
	}
	accID struct {
		*stages
		interPart
		deblockPart
	}
	accIED struct {
		*stages
		interPart
		entropyPart
		deblockPart
	}
	accIEDX struct {
		*stages
		interPart
		entropyPart
		deblockPart
		intraPart
	}
)

// ReconInter implements h264.InterAccelerator (stagesInter.ReconInter).
func (p interPart) ReconInter(src, ref *h264.Picture, dec []h264.Decision, rec *h264.Picture) error {
	return stagesInter{p.s}.ReconInter(src, ref, dec, rec)
}

// InterLevels implements h264.InterAccelerator (stagesInter.InterLevels).
func (p interPart) InterLevels(i int, out *h264.InterResult) { p.s.inter.decode(i, out) }

// ReconInterKept implements h264.LevelKeeper with entropyPart
// (stagesInter.ReconInterKept).
func (p interPart) ReconInterKept(src, ref *h264.Picture, dec []h264.Decision, rec *h264.Picture) error {
	return stagesInter{p.s}.ReconInterKept(src, ref, dec, rec)
}

// ProbeSkips implements h264.ProbeAccelerator (stagesInter.ProbeSkips).
func (p interPart) ProbeSkips(src, ref *h264.Picture, dec []h264.Decision, nothing []bool) error {
	return stagesInter{p.s}.ProbeSkips(src, ref, dec, nothing)
}

// ProbeDecided implements h264.SkipVectorProber
// (stagesInter.ProbeDecided).
func (p interPart) ProbeDecided(src, ref *h264.Picture, out []h264.ProbeResult) error {
	return stagesInter{p.s}.ProbeDecided(src, ref, out)
}

// ReconIntraKept implements h264.IntraKeeper with intra.cu, on the source
// planes Decide uploaded for this picture (h264.Encoder calls it just
// after Decide on the same picture, or for a P picture after
// ReconInterKept: then the intra macroblocks are coded into the inter
// stage's memory, among the inter ones it kept there).
func (p intraPart) ReconIntraKept(src *h264.Picture, dec []h264.Decision) error {
	s := p.s
	defer s.since(7, time.Now())
	r := s.intra
	r.dev = [3]uint64{}
	if s.shareInputs && src == s.decidedSrc {
		d := s.dec
		r.dev = [3]uint64{s.lastSrcY, d.base + uint64(d.off[apSrcCb]), d.base + uint64(d.off[apSrcCr])}
		s.sharedPlanes += 3
	}
	var onto *interRecon
	if in := s.inter; in != nil && in.kept && in.samplesKept {
		onto = in
	}
	if err := r.run(src, dec, onto); err != nil {
		return err
	}
	if onto != nil {
		s.intraInP = true
		s.intraPPictures++
		return nil
	}
	s.intraKept = true
	s.intraPictures++
	return nil
}

// IntraLevels implements h264.IntraKeeper: it decodes macroblock i's
// downloaded counts (safe for concurrent use with distinct i).
func (p intraPart) IntraLevels(i int, out *h264.IntraResult) { p.s.intra.decode(i, out) }

// SliceData implements h264.EntropyAccelerator with EntropyCoder (the
// records are packed on the host). After ReconInterKept the inter
// macroblocks' levels are read where the inter stage left them, after
// ReconIntraKept every macroblock's where the intra stage did.
func (p entropyPart) SliceData(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	return p.slice(mbs, lv, pSlice, header, headerBits, dst, false)
}

// SlicePayload implements h264.SlicePayloadAccelerator: SliceData with
// the emulation prevention on the GPU too (EntropyCoder.Payload).
func (p entropyPart) SlicePayload(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	return p.slice(mbs, lv, pSlice, header, headerBits, dst, true)
}

// slice is SliceData, or SlicePayload when escape is set.
func (p entropyPart) slice(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte, escape bool) ([]byte, error) {
	defer p.s.since(3, time.Now())
	ec, r := p.s.ec, p.s.inter
	switch {
	case pSlice && r != nil && r.kept:
		ec.keptLevels, ec.keptIntra = r.levelsAddr(), p.s.intraInP
		p.s.keptPictures++
		defer func() { ec.keptLevels, ec.keptIntra = 0, false }()
	case !pSlice && p.s.intraKept:
		ec.keptLevels, ec.keptIntra = p.s.intra.levelsAddr(), true
		defer func() { ec.keptLevels, ec.keptIntra = 0, false }()
	}
	return ec.run(mbs, lv, pSlice, header, headerBits, dst, escape)
}

// Deblock implements h264.DeblockAccelerator with Deblocker, in place.
// After a ReconInterKept that kept the inter samples on the device, the
// deblocker copies them there and uploads only the rows holding intra
// macroblocks.
func (p deblockPart) Deblock(rec *h264.Picture, mbs []h264.MacroblockHeader) error {
	defer p.s.since(4, time.Now())
	db, r := p.s.db, p.s.inter
	switch {
	case r != nil && r.samplesKept:
		for i := range db.fromDevice {
			db.fromDevice[i] = r.recAddr(i)
		}
		db.fromHost = r.rowIntra
		if p.s.intraInP {
			db.fromHost = p.s.intra.hostRows // the intra ones too
		}
		p.s.keptSamples++
		defer func() { db.fromDevice, db.fromHost = [3]uint64{}, nil }()
	case p.s.intraKept:
		for i := range db.fromDevice {
			db.fromDevice[i] = p.s.intra.recAddr(i)
		}
		db.fromHost = p.s.intra.hostRows
		defer func() { db.fromDevice, db.fromHost = [3]uint64{}, nil }()
	}
	return db.Run(rec, mbs, rec)
}

// accelerator returns the h264.Accelerator of st that implements exactly
// the optional stages st has kernels for.
func (st *stages) accelerator() h264.Accelerator {
	i, e, d := interPart{st}, entropyPart{st}, deblockPart{st}
	switch {
	case st.intra != nil:
		return accIEDX{st, i, e, d, intraPart{st}}
	case st.inter != nil && st.ec != nil && st.db != nil:
		return accIED{st, i, e, d}
	case st.inter != nil && st.ec != nil:
		return accIE{st, i, e}
	case st.inter != nil && st.db != nil:
		return accID{st, i, d}
	case st.inter != nil:
		return stagesInter{st}
	case st.ec != nil && st.db != nil:
		return accED{st, e, d}
	case st.ec != nil:
		return accE{st, e}
	case st.db != nil:
		return accD{st, d}
	}
	return st
}

// AllocPicture implements h264.PictureAllocator: the encoder's own
// pictures (source, reconstruction, reference, the lookahead's) lie in
// the motion backend's staging memory, page-locked on a GPU, so that the
// stages upload them and the deblocker downloads into them without a
// staging copy (planeStager, Deblocker). It returns nil when that memory
// cannot be had; the pictures are freed with the backend (Close).
func (s *stages) AllocPicture(w, h int) *h264.Picture {
	if s.stagedPictures {
		return nil
	}
	cw, ch := (w+1)/2, (h+1)/2
	buf, err := s.ms.be.host(w*h + 2*cw*ch)
	if err != nil {
		return nil
	}
	p := &h264.Picture{
		Y:  h264.Plane{Width: w, Height: h, Stride: w, Pix: buf[: w*h : w*h]},
		Cb: h264.Plane{Width: cw, Height: ch, Stride: cw, Pix: buf[w*h : w*h+cw*ch : w*h+cw*ch]},
		Cr: h264.Plane{Width: cw, Height: ch, Stride: cw, Pix: buf[w*h+cw*ch : w*h+2*cw*ch : w*h+2*cw*ch]},
	}
	s.owned.add(p)
	return p
}

func (s *stages) close() error {
	var first error
	keep := func(err error) {
		if err != nil && first == nil {
			first = err
		}
	}
	if s.ms != nil {
		keep(s.ms.Close())
	}
	if s.dec != nil {
		keep(s.dec.Close())
	}
	if s.inter != nil {
		keep(s.inter.close())
	}
	if s.intra != nil {
		keep(s.intra.close())
	}
	if s.ec != nil {
		keep(s.ec.Close())
	}
	if s.db != nil {
		keep(s.db.Close())
	}
	if s.la != nil {
		keep(s.la.close())
	}
	return first
}

// Encoder is h264_cuda: it produces exactly the stream and reconstruction
// of an h264.Encoder made with the same options (h264_go), running the
// motion search and the mode decision on a GPU, and the inter
// reconstruction, the entropy coding and the deblocking there or in Go
// (Stages); the other stages run in Go. It is not safe for concurrent use.
type Encoder struct {
	enc     *h264.Encoder
	st      *stages
	ctx     *cuda.Context // nil for the emulation
	staging []byte        // EncodeDeviceFormat's host copy without convert.ptx
	conv    *converter    // stage 0 (convert.go), made by the first EncodeDeviceFormat
	closed  bool
}

// NewEncoder opens GPU gpu (a CUDA device ordinal) and prepares an encoder
// for o (validated as h264.NewEncoder does), with the stages of
// DefaultStages on the GPU. o.Threads 0 means GOMAXPROCS goroutines for
// the host's stages, at most 8 (more made encoders slower). Without a
// usable GPU the error matches ErrUnavailable. The caller closes the
// encoder.
func NewEncoder(gpu int, o h264.Options) (*Encoder, error) {
	return openEncoder(gpu, o, defaultStages)
}

// Stages selects the optional stages an Encoder runs on the GPU (stages 1
// and 2 always do); each one not selected, or whose kernels are not
// embedded, runs in Go. The stream and the reconstruction are the same
// either way.
type Stages struct {
	Inter   bool // stage 3 for inter macroblocks (inter reconstruction)
	Entropy bool // stage 4: CAVLC and bit packing
	Deblock bool // stage 5: deblocking
	// Intra is stage 3 for intra macroblocks (the intra wavefront): those
	// of I pictures, and those of P pictures that have more than 512. It
	// runs on the GPU only with the three above, since its levels and
	// samples stay there for stages 4 and 5.
	Intra bool
}

// defaultStages is NewEncoder's split: every optional stage on the GPU,
// the fastest measured on an H200 (NOTES.md, "Deblocking in one launch":
// 1080p, 79–82 fps with stage 5 on the GPU against 72–76 with it in Go,
// interleaved).
var defaultStages = gpuStages{inter: true, cavlc: true, deblock: true, intra: true}

// DefaultStages returns the split NewEncoder uses.
func DefaultStages() Stages {
	return Stages{Inter: defaultStages.inter, Entropy: defaultStages.cavlc, Deblock: defaultStages.deblock, Intra: defaultStages.intra}
}

// NewEncoderStages is NewEncoder with the optional stages of s on the GPU
// (where their kernels are embedded; InterOnGPU, EntropyOnGPU and DeblockOnGPU
// report what runs there).
func NewEncoderStages(gpu int, o h264.Options, s Stages) (*Encoder, error) {
	return openEncoder(gpu, o, gpuStages{inter: s.Inter, cavlc: s.Entropy, deblock: s.Deblock, intra: s.Intra})
}

// openEncoder is NewEncoder with the optional stages of want (those whose
// kernels are embedded) on the GPU, the others in Go.
func openEncoder(gpu int, o h264.Options, want gpuStages) (*Encoder, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	ctx, err := cuda.OpenContext(gpu)
	if err != nil {
		return nil, fmt.Errorf("%w: opening GPU %d: %w", ErrUnavailable, gpu, err)
	}
	on := func(stage string) bool { _, err := loadImage(stage); return err == nil }
	e, err := newEncoder(o, func(stage string, k []string) (backend, error) {
		return newGPUBackend(ctx, stage, k)
	}, gpuStages{inter: want.inter && on("inter"), cavlc: want.cavlc && on("cavlc"), deblock: want.deblock && on("deblock"),
		intra: want.intra && on("intra")})
	if err != nil {
		ctx.Close()
		return nil, err
	}
	e.ctx = ctx
	return e, nil
}

// gpuStages selects the optional kernel stages of an Encoder: inter, the
// inter reconstruction (else stage 3 stays in Go); cavlc, the entropy
// coding (stage 4); deblock, the deblocking (stage 5); intra, the
// reconstruction of intra macroblocks (with the other three only). Each one not
// selected stays in Go. stagedPictures (tests) leaves the h264 encoder's
// own pictures in Go memory, copied through staging buffers, as the
// stages' callers' pictures are.
type gpuStages struct{ inter, cavlc, deblock, intra, stagedPictures bool }

// maxHostThreads bounds the goroutines of an encoder's staging, packing
// and decoding parts (parallel.run). Beyond 16 one encoder's Go stages got
// slower, not faster: on a 64-core host with 4 H200s one encoder gave
// 79.6 fps at 1080p with 64 goroutines, 105 with 32 and 127.7 with 16
// (bench/results/h200x4-multi).
const maxHostThreads = 16

// defaultThreads bounds h264's Threads when the options leave it at 0:
// on 16 cores 8 goroutines gave one encoder 163–168 fps at 1080p against
// 154–162 with 16, two encoders 319–321 against 293–315, and 16 encoders
// 1230–1288 against 1223–1272 (bench/results/h200-owned-pictures,
// threads-default.txt).
const defaultThreads = 8

// newEncoder builds an Encoder on the backends mk makes, with the
// optional stages of g on the kernels.
func newEncoder(o h264.Options, mk makeBackend, g gpuStages) (*Encoder, error) {
	if o.Threads == 0 {
		o.Threads = min(runtime.GOMAXPROCS(0), defaultThreads)
	}
	cfg, err := h264.MotionConfigFor(o)
	if err != nil {
		return nil, err
	}
	st := &stages{shareInputs: true, stagedPictures: g.stagedPictures}
	fail := func(err error) (*Encoder, error) {
		st.close()
		return nil, err
	}
	be, err := mk("motion", motionKernels)
	if err != nil {
		return fail(err)
	}
	if st.ms, err = newMotionSearch(be, cfg); err != nil {
		be.close()
		return fail(err)
	}
	if be, err = mk("analyse", []string{"analyse_mb"}); err != nil {
		return fail(err)
	}
	if st.dec, err = newDecider(be, o); err != nil {
		be.close()
		return fail(err)
	}
	if g.inter {
		if be, err = mk("inter", []string{"inter_recon", "probe_skip"}); err != nil {
			return fail(err)
		}
		if st.inter, err = newInterRecon(be, st.ms.MBWidth(), st.ms.MBHeight()); err != nil {
			be.close()
			return fail(err)
		}
	}
	if g.cavlc {
		if be, err = mk("cavlc", cavlcKernels); err != nil {
			return fail(err)
		}
		if st.ec, err = newEntropyCoder(be, o); err != nil {
			be.close()
			return fail(err)
		}
	}
	if g.deblock {
		if be, err = mk("deblock", deblockKernels); err != nil {
			return fail(err)
		}
		if st.db, err = newDeblocker(be, cfg.Width, cfg.Height); err != nil {
			be.close()
			return fail(err)
		}
	}
	if g.intra && st.inter != nil && st.ec != nil && st.db != nil {
		if be, err = mk("intra", []string{"intra_rows"}); err != nil {
			return fail(err)
		}
		if st.intra, err = newIntraRecon(be, st.ms.MBWidth(), st.ms.MBHeight()); err != nil {
			be.close()
			return fail(err)
		}
	}
	if o.Lookahead > 0 {
		if be, err = mk("lookahead", lookaheadKernels); err != nil {
			return fail(err)
		}
		if st.la, err = newLookaheadStage(be, cfg.Width, cfg.Height, lookaheadKept(o.Lookahead, cfg.Width*cfg.Height)); err != nil {
			return fail(err)
		}
	}
	st.ms.stager.owned, st.dec.stager.owned = &st.owned, &st.owned
	if st.inter != nil {
		st.inter.stager.owned = &st.owned
	}
	if st.intra != nil {
		st.intra.stager.owned = &st.owned
	}
	if st.la != nil {
		st.la.stager.owned = &st.owned
	}
	if st.db != nil {
		st.db.owned = &st.owned
	}
	enc, err := h264.NewEncoderWith(o, st.accelerator())
	if err != nil {
		return fail(err)
	}
	return &Encoder{enc: enc, st: st}, nil
}

// Encode codes one picture (Width×Height as configured) and returns its
// access unit, exactly h264.Encoder.Encode's.
func (e *Encoder) Encode(pic *h264.Picture) (h264.AccessUnit, error) {
	if e.closed {
		return h264.AccessUnit{}, ErrClosed
	}
	return e.enc.Encode(pic)
}

// Flush codes the oldest picture the lookahead still holds
// (h264.Encoder.Flush).
func (e *Encoder) Flush() (h264.AccessUnit, bool, error) {
	if e.closed {
		return h264.AccessUnit{}, false, ErrClosed
	}
	return e.enc.Flush()
}

// ForceKeyframe makes the next picture an IDR picture.
func (e *Encoder) ForceKeyframe() { e.enc.ForceKeyframe() }

// Headers returns the SPS and PPS NAL units (h264.Encoder.Headers).
func (e *Encoder) Headers() (sps, pps []byte) { return e.enc.Headers() }

// Options returns the options in effect, defaults filled in.
func (e *Encoder) Options() h264.Options { return e.enc.Options() }

// Reconstruction returns the decoded last picture
// (h264.Encoder.Reconstruction), or nil after Close (the encoder's
// pictures lie in page-locked memory that Close released).
func (e *Encoder) Reconstruction() *h264.Picture {
	if e.closed {
		return nil
	}
	return e.enc.Reconstruction()
}

// InterOnGPU reports whether stage 3 of inter macroblocks runs on the GPU
// (its kernel is embedded); else it runs in Go.
func (e *Encoder) InterOnGPU() bool { return e.st.inter != nil }

// EntropyOnGPU reports whether stage 4 (CAVLC and bit packing) runs on
// the GPU; else it runs in Go.
func (e *Encoder) EntropyOnGPU() bool { return e.st.ec != nil }

// DeblockOnGPU reports whether stage 5 (deblocking) runs on the GPU; else
// it runs in Go.
func (e *Encoder) DeblockOnGPU() bool { return e.st.db != nil }

// IntraOnGPU reports whether stage 3 of intra macroblocks (the intra
// wavefront: I pictures, P pictures with more than 512) runs on the GPU;
// else it runs in Go.
func (e *Encoder) IntraOnGPU() bool { return e.st.intra != nil }

// StageTimes returns, when timing was enabled with SetTiming (else nil),
// the time of each stage since the last call: the GPU time of each kernel
// stage measured with CUDA events, names prefixed with the kernel group
// ("motion/", "analyse/", "inter/", "cavlc/", "deblock/", "lookahead/",
// "intra/"), then the host wall time of each group's calls, uploads,
// downloads and decoding included ("wall/motion", "wall/analyse",
// "wall/inter", "wall/cavlc", "wall/deblock", "wall/probe",
// "wall/lookahead", "wall/intra"), and the
// host wall time of each segment of the encoder's pipeline, whoever ran
// it (h264.Encoder.StageTimes: "host/0-load" ... "host/concat").
func (e *Encoder) StageTimes() ([]StageTime, error) {
	var out []StageTime
	if e.st.timing {
		defer func() { e.st.wall = [wallStages]time.Duration{} }()
		for k, name := range wallNames {
			out = append(out, StageTime{Stage: name, Seconds: e.st.wall[k].Seconds()})
		}
		out = append(out, e.enc.StageTimes()...)
	}
	for _, g := range e.gpuBackends() {
		gb := g.be
		if !gb.timing {
			continue
		}
		ts, err := gb.stageTimes()
		if err != nil {
			return nil, err
		}
		for _, t := range ts {
			out = append(out, StageTime{Stage: g.name + "/" + t.Stage, Seconds: t.Seconds})
		}
	}
	return out, nil
}

func (e *Encoder) interBackend() backend {
	if e.st.inter == nil {
		return nil
	}
	return e.st.inter.be
}

// lookaheadBackend is the lookahead stage's backend, nil without one.
func (e *Encoder) lookaheadBackend() backend {
	if e.st.la == nil {
		return nil
	}
	return e.st.la.be
}

// intraBackend is the intra stage's backend, nil without one.
func (e *Encoder) intraBackend() backend {
	if e.st.intra == nil {
		return nil
	}
	return e.st.intra.be
}

// postBackend is the entropy coder's backend, or the deblocker's.
func (e *Encoder) postBackend(deblock bool) backend {
	switch {
	case deblock && e.st.db != nil:
		return e.st.db.be
	case !deblock && e.st.ec != nil:
		return e.st.ec.be
	}
	return nil
}

// SetTiming turns per-stage CUDA event timing on or off (see StageTimes).
func (e *Encoder) SetTiming(on bool) {
	e.st.timing, e.st.wall = on, [wallStages]time.Duration{}
	e.enc.SetStageTiming(on)
	for _, g := range e.gpuBackends() {
		g.be.timing, g.be.nmarks = on, 0
	}
}

// groupBackend is one of an Encoder's GPU backends, named by its kernel
// group.
type groupBackend struct {
	name string
	be   *gpuBackend
}

// gpuBackends returns the Encoder's GPU backends (none on the emulated
// kernels), each once, in pipeline order.
func (e *Encoder) gpuBackends() []groupBackend {
	var out []groupBackend
	for _, g := range []struct {
		name string
		be   backend
	}{{"motion", e.st.ms.be}, {"analyse", e.st.dec.be}, {"inter", e.interBackend()},
		{"cavlc", e.postBackend(false)}, {"deblock", e.postBackend(true)}, {"lookahead", e.lookaheadBackend()},
		{"intra", e.intraBackend()}} {
		gb, ok := g.be.(*gpuBackend)
		if ok && !slices.ContainsFunc(out, func(o groupBackend) bool { return o.be == gb }) {
			out = append(out, groupBackend{g.name, gb})
		}
	}
	return out
}

// Close releases the GPU resources. Closing twice is harmless.
func (e *Encoder) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.st.close()
	if e.conv != nil {
		if cerr := e.conv.close(); err == nil {
			err = cerr
		}
	}
	if e.ctx != nil {
		if cerr := e.ctx.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
