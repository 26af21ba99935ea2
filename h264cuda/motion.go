// Motion search on the GPU: the host side of kernels/motion.cu, mirroring
// h264/motion.go stage by stage (see h264/DESIGN-motion.md). The kernels
// write the same field as h264's Go search for the same inputs and
// configuration, bit for bit (every vector, SATD and cost of every
// partition); the tests compare them through h264.MotionSearchReference.

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// Indices of the kernels' parameter block (kernels/motion.h; a test checks
// them against the header).
const (
	mpCur = iota
	mpRef
	mpSrc0
	mpSrc1
	mpSrc2
	mpFull
	mpHalfB
	mpHalfH
	mpHalfJ
	mpRefL1
	mpRefL2
	mpLvl2
	mpLvl1
	mpLvl0
	mpPred0
	mpPull0
	mpPull1
	mpPrev
	mpOut
	mpScratch
	mpSATD16 // each macroblock's SATD16 again, packed: what the host reads when the field stays
	mpCurW
	mpCurH
	mpCurStride
	mpRefW
	mpRefH
	mpRefStride
	mpMBW
	mpMBH
	mpPad
	mpExt
	mpFStride
	mpM1
	mpM2
	mpCoarse
	mpRefine
	mpSubPel
	mpParts
	mpPartSteps
	mpMaxVMV
	mpLambda
	mpHasPrev
	mpCount
)

// Per-macroblock record sizes in int32 words (motion.h PULL_WORDS,
// OUT_WORDS) and the offsets of the output record.
const (
	pullWords    = 6
	scratchWords = 27
	outWords     = 38
	outPred      = 0
	outMV16      = 2
	outSATD16    = 4
	outCost16    = 5
	outMV16x8    = 6
	outSATD168   = 10
	outCost168   = 12
	outMV8x16    = 14
	outSATD816   = 18
	outCost816   = 20
	outMV8x8     = 22
	outSATD8x8   = 30
	outCost8x8   = 34
)

// motion_down's arg values (motion.h DOWN_*).
const (
	downSrc1 = iota
	downRefL1
	downSrc2
	downRefL2
)

// motionKernels are the kernels of motion.cu, in launch order.
// refineLanes is the number of threads motion_refine runs per macroblock
// (one warp: a candidate, then a square's neighbour, a lane).
const refineLanes = 32

// partLanes is the number of threads motion_parts and motion_parts16 run
// per macroblock (one warp: 8 lanes for each of its four blocks).
const partLanes = 32

var motionKernels = []string{
	"motion_load_src", "motion_build_full", "motion_down", "motion_build_half",
	"motion_coarse", "motion_refine", "motion_subpel_init", "motion_subpel_eval", "motion_subpel_pick",
	"motion_pull", "motion_parts", "motion_parts16",
}

// MotionSearch runs h264_go's motion search on a GPU. It owns its device
// memory (one arena sized for the configuration) and a stream; Run is not
// safe for concurrent use. Close releases everything.
type MotionSearch struct {
	cfg      h264.MotionConfig
	mbW, mbH int
	m2       int // margins of reference levels 2, 1 and of the planes
	m1       int
	pad, ext int
	stager   planeStager // the uploads' staging copies

	be   backend
	base uint64
	off  [mpSATD16 + 1]int // arena offset of each buffer (by parameter index)
	size int

	// Host staging, sized once.
	params []byte
	cur    []byte
	ref    []byte
	prev   []byte
	out    []byte
	satd   []byte // the SATD16 copies (collectSATD)
	closed bool

	// decodeOut is the output being decoded in parts (decodeParts.work:
	// decodeRange).
	decodeOut   []h264.MotionMB
	decodeParts parallel

	// devRef, when not 0, is the device address of the reference luma
	// (packed, stride ref.Y.Width), already on the device and unchanged
	// until Run returns: Run reads it there instead of uploading ref.
	devRef uint64
	// devCur, when not 0, is the device address of the current luma
	// (packed, stride cur.Y.Width), already on the device and unchanged
	// until the search has been collected: it is copied from there
	// instead of uploading cur.
	devCur uint64
}

// refAddr is the device address of the reference luma the last Run read.
func (s *MotionSearch) refAddr() uint64 {
	if s.devRef != 0 {
		return s.devRef
	}
	return s.base + uint64(s.off[mpRef])
}

// NewMotionSearch validates cfg (h264.ValidateMotionConfig; Workers is
// ignored) and prepares a search on ctx: loads the embedded PTX, allocates
// device memory for pictures of cfg's size. The caller closes it.
func NewMotionSearch(ctx *cuda.Context, cfg h264.MotionConfig) (*MotionSearch, error) {
	if err := h264.ValidateMotionConfig(cfg); err != nil {
		return nil, err
	}
	be, err := newGPUBackend(ctx, "motion", motionKernels)
	if err != nil {
		return nil, err
	}
	s, err := newMotionSearch(be, cfg)
	if err != nil {
		be.close()
		return nil, err
	}
	return s, nil
}

// newMotionSearch lays out the arena of a search on be.
func newMotionSearch(be backend, cfg h264.MotionConfig) (*MotionSearch, error) {
	if err := h264.ValidateMotionConfig(cfg); err != nil {
		return nil, err
	}
	s := &MotionSearch{cfg: cfg, be: be}
	s.decodeParts.work = s.decodeRange
	s.mbW, s.mbH = (cfg.Width+15)/16, (cfg.Height+15)/16
	// Margins as in h264/motion.go (margin2, margin1, margin0).
	s.m2 = cfg.CoarseRange + 2
	s.m1 = 2*s.m2 + 2
	s.pad = 2*s.m1 + 4
	s.ext = s.pad + 3
	n := s.mbW * s.mbH
	lw, lh := 16*s.mbW, 16*s.mbH
	plane := (lw + 2*s.ext) * (lh + 2*s.ext) // the largest reference this grid admits
	sizes := [mpSATD16 + 1]int{
		mpCur: lw * lh, mpRef: lw * lh,
		mpSrc0: 256 * n, mpSrc1: 64 * n, mpSrc2: 16 * n,
		mpFull: plane, mpHalfB: plane, mpHalfH: plane, mpHalfJ: plane,
		mpRefL1: (8*s.mbW + 2*s.m1) * (8*s.mbH + 2*s.m1),
		mpRefL2: (4*s.mbW + 2*s.m2) * (4*s.mbH + 2*s.m2),
		mpLvl2:  8 * n, mpLvl1: 8 * n, mpLvl0: 8 * n, mpPred0: 8 * n,
		mpPull0: 4 * pullWords * n, mpPull1: 4 * pullWords * n,
		mpPrev: 8 * n, mpOut: 4 * outWords * n, mpScratch: 4 * scratchWords * n, mpSATD16: 4 * n,
	}
	at := align(8 * mpCount) // the parameter block is at offset 0
	for i, sz := range sizes {
		s.off[i] = at
		at += align(sz)
	}
	s.size = at
	var err error
	if s.base, err = be.alloc(s.size); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for the motion search: %w", s.size, err)
	}
	if err := makeHost(be, []hostBuf{{&s.params, 8 * mpCount}, {&s.prev, 8 * n}, {&s.out, 4 * outWords * n}, {&s.satd, 4 * n}}...); err != nil {
		return nil, err
	}
	return s, nil
}

// align rounds n up to 256 bytes.
func align(n int) int { return (n + 255) &^ 255 }

// MBWidth and MBHeight give the macroblock grid of the configuration.
func (s *MotionSearch) MBWidth() int { return s.mbW }

// MBHeight is the number of macroblock rows.
func (s *MotionSearch) MBHeight() int { return s.mbH }

// Close releases the search's device memory, stream and module. Closing
// twice is harmless.
func (s *MotionSearch) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.be.close()
}

func planeOK(p *h264.Plane) bool {
	return p.Width > 0 && p.Height > 0 && p.Stride >= p.Width && len(p.Pix) >= (p.Height-1)*p.Stride+p.Width
}

// Run searches cur against ref exactly as h264's Go search does with the
// same configuration (h264.MotionSearchReference): prev is the previous
// picture's 16x16 field in raster order (intra macroblocks as zero) or
// nil, qp selects λ. It writes one record per macroblock into out, which
// must hold MBWidth·MBHeight entries. cur's luma must be Width×Height;
// ref's luma may be larger but must cover the same macroblock grid.
func (s *MotionSearch) Run(cur, ref *h264.Picture, prev []h264.MV, qp int, out []h264.MotionMB) error {
	if err := s.enqueue(cur, ref, prev, qp); err != nil {
		return err
	}
	return s.collect(out)
}

// collect waits for the search enqueue queued and decodes its field into
// out.
func (s *MotionSearch) collect(out []h264.MotionMB) error {
	if len(out) != s.mbW*s.mbH {
		return fmt.Errorf("%w: output holds %d macroblocks, want %d", ErrInput, len(out), s.mbW*s.mbH)
	}
	if err := s.be.download(s.out, s.off[mpOut]); err != nil {
		return err
	}
	if err := s.be.sync(); err != nil {
		return err
	}
	s.decode(out)
	return nil
}

// collectSATD waits for the search enqueue queued and returns the sum of
// its field's SATD16, leaving the field on the device (downloading one
// int32 a macroblock instead of the 152-byte records).
func (s *MotionSearch) collectSATD() (int64, error) {
	if err := s.be.download(s.satd, s.off[mpSATD16]); err != nil {
		return 0, err
	}
	if err := s.be.sync(); err != nil {
		return 0, err
	}
	var sum int64
	for i := 0; i < len(s.satd); i += 4 {
		sum += int64(int32(binary.LittleEndian.Uint32(s.satd[i:])))
	}
	return sum, nil
}

// enqueue validates the inputs, uploads them and queues every stage.
func (s *MotionSearch) enqueue(cur, ref *h264.Picture, prev []h264.MV, qp int) error {
	if s.closed {
		return ErrClosed
	}
	if cur == nil || ref == nil {
		return fmt.Errorf("%w: nil picture", ErrInput)
	}
	cy, ry := &cur.Y, &ref.Y
	if cy.Width != s.cfg.Width || cy.Height != s.cfg.Height {
		return fmt.Errorf("%w: current luma %dx%d, configured %dx%d", ErrInput, cy.Width, cy.Height, s.cfg.Width, s.cfg.Height)
	}
	if (ry.Width+15)/16 != s.mbW || (ry.Height+15)/16 != s.mbH {
		return fmt.Errorf("%w: reference luma %dx%d is not a %dx%d macroblock picture", ErrInput, ry.Width, ry.Height, s.mbW, s.mbH)
	}
	if !planeOK(cy) || !planeOK(ry) {
		return fmt.Errorf("%w: luma plane stride or buffer too small", ErrInput)
	}
	n := s.mbW * s.mbH
	if prev != nil && len(prev) != n {
		return fmt.Errorf("%w: previous field has %d vectors, want %d", ErrInput, len(prev), n)
	}

	// Parameter block.
	p := s.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	for i := mpCur; i <= mpSATD16; i++ {
		put(i, int64(s.base)+int64(s.off[i]))
	}
	if s.devRef != 0 {
		put(mpRef, int64(s.devRef))
	}
	fs := ry.Width + 2*s.ext
	hasPrev := 0
	if prev != nil {
		hasPrev = 1
	}
	parts := 0
	if s.cfg.Partitions {
		parts = 1
	}
	for _, kv := range [...][2]int{
		{mpCurW, cy.Width}, {mpCurH, cy.Height}, {mpCurStride, cy.Width},
		{mpRefW, ry.Width}, {mpRefH, ry.Height}, {mpRefStride, ry.Width},
		{mpMBW, s.mbW}, {mpMBH, s.mbH}, {mpPad, s.pad}, {mpExt, s.ext}, {mpFStride, fs},
		{mpM1, s.m1}, {mpM2, s.m2}, {mpCoarse, s.cfg.CoarseRange}, {mpRefine, s.cfg.RefineSteps},
		{mpSubPel, s.cfg.SubPel}, {mpParts, parts}, {mpPartSteps, s.cfg.PartitionSteps},
		{mpMaxVMV, s.cfg.MaxVerticalMV}, {mpLambda, h264.LambdaMotion(qp)}, {mpHasPrev, hasPrev},
	} {
		put(kv[0], int64(kv[1]))
	}
	be := s.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, p); err != nil {
		return err
	}
	if s.devCur != 0 {
		if err := be.copyIn(s.off[mpCur], s.devCur, cy.Width*cy.Height); err != nil {
			return err
		}
	} else {
		staged, err := s.stager.stageLazily(be, &s.cur, cy)
		if err != nil {
			return err
		}
		if err := be.upload(s.off[mpCur], staged); err != nil {
			return err
		}
	}
	if s.devRef == 0 {
		staged, err := s.stager.stageLazily(be, &s.ref, ry)
		if err != nil {
			return err
		}
		if err := be.upload(s.off[mpRef], staged); err != nil {
			return err
		}
	}
	if prev != nil {
		for i, v := range prev {
			binary.LittleEndian.PutUint32(s.prev[8*i:], uint32(int32(v.X)))
			binary.LittleEndian.PutUint32(s.prev[8*i+4:], uint32(int32(v.Y)))
		}
		if err := be.upload(s.off[mpPrev], s.prev); err != nil {
			return err
		}
	}

	lw, lh := 16*s.mbW, 16*s.mbH
	type launch struct {
		mark   string
		kernel string
		n, arg int
	}
	steps := [...]launch{
		{"load", "motion_load_src", lw * lh, 0},
		{"", "motion_build_full", fs * (ry.Height + 2*s.ext), 0},
		{"level1", "motion_down", lw / 2 * lh / 2, downSrc1},
		{"", "motion_down", (lw/2 + 2*s.m1) * (lh/2 + 2*s.m1), downRefL1},
		{"", "motion_build_half", (ry.Width + 2*s.pad) * (ry.Height + 2*s.pad), 0},
		{"level2", "motion_down", lw / 4 * lh / 4, downSrc2},
		{"", "motion_down", (lw/4 + 2*s.m2) * (lh/4 + 2*s.m2), downRefL2},
		{"coarse", "motion_coarse", n, 0},
		{"mid", "motion_refine", refineLanes * n, 1},
		{"fine", "motion_refine", refineLanes * n, 0},
		{"subpel", "motion_subpel_init", n, 0},
	}
	for _, st := range steps {
		if st.mark != "" {
			if err := be.mark(st.mark); err != nil {
				return err
			}
		}
		if err := be.launch(st.kernel, st.n, 0, st.arg); err != nil {
			return fmt.Errorf("h264cuda: %s: %w", st.kernel, err)
		}
	}
	for step := 2; step >= 1 && 3-step <= s.cfg.SubPel; step-- {
		if err := be.launch("motion_subpel_eval", 9*n, 0, step); err != nil {
			return fmt.Errorf("h264cuda: motion_subpel_eval: %w", err)
		}
		if err := be.launch("motion_subpel_pick", n, 0, step); err != nil {
			return fmt.Errorf("h264cuda: motion_subpel_pick: %w", err)
		}
	}
	in := 0
	for i := 0; i < s.cfg.PullPasses; i++ {
		if err := be.mark("pull"); err != nil {
			return err
		}
		if err := be.launch("motion_pull", n, 0, in); err != nil {
			return fmt.Errorf("h264cuda: motion_pull: %w", err)
		}
		in ^= 1
	}
	if err := be.mark("parts"); err != nil {
		return err
	}
	if err := be.launch("motion_parts", partLanes*n, 0, in); err != nil {
		return fmt.Errorf("h264cuda: motion_parts: %w", err)
	}
	if s.cfg.Partitions {
		if err := be.launch("motion_parts16", partLanes*n, 0, in); err != nil {
			return fmt.Errorf("h264cuda: motion_parts16: %w", err)
		}
	}
	return be.mark("end")
}

// decode converts the downloaded output records.
func (s *MotionSearch) decode(out []h264.MotionMB) {
	s.decodeOut = out
	s.decodeParts.run(len(out), 1) // decodeRange cannot fail
	s.decodeOut = nil
}

// decodeRange converts the records lo..hi-1 into decodeOut.
func (s *MotionSearch) decodeRange(lo, hi int) error {
	out := s.decodeOut
	for i := lo; i < hi; i++ {
		rec := s.out[4*outWords*i : 4*outWords*(i+1)]
		w := func(k int) int32 { return int32(binary.LittleEndian.Uint32(rec[4*k:])) }
		mv := func(k int) h264.MV { return h264.MV{X: int16(w(k)), Y: int16(w(k + 1))} }
		m := &out[i]
		m.Pred, m.MV16, m.SATD16, m.Cost16 = mv(outPred), mv(outMV16), w(outSATD16), w(outCost16)
		for k := 0; k < 2; k++ {
			m.MV16x8[k], m.SATD16x8[k], m.Cost16x8[k] = mv(outMV16x8+2*k), w(outSATD168+k), w(outCost168+k)
			m.MV8x16[k], m.SATD8x16[k], m.Cost8x16[k] = mv(outMV8x16+2*k), w(outSATD816+k), w(outCost816+k)
		}
		for k := 0; k < 4; k++ {
			m.MV8x8[k], m.SATD8x8[k], m.Cost8x8[k] = mv(outMV8x8+2*k), w(outSATD8x8+k), w(outCost8x8+k)
		}
	}
	return nil
}
