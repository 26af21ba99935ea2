// Mode decision on the GPU: the host side of kernels/analyse.cu, mirroring
// h264/analyse.go (stage 2 of h264/DESIGN.md). The kernel decides every
// macroblock at once from the source picture and the motion field, giving
// exactly the decisions of h264's Go encoder (h264.DecisionReference).

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// Indices of analyse_mb's parameter block and of the decision record
// (kernels/analyse.h; a test checks them against the header).
const (
	apSrcY = iota
	apSrcCb
	apSrcCr
	apField
	apDec
	apMBW
	apMBH
	apQP
	apLambda
	apPSlice
	apIntra4
	apParts
	apAQ
	apLambdaTab
	apQPOff = apLambdaTab + 52 // per-macroblock QP offsets, int8 (0: none)
	apHost  = apQPOff + 1      // the compact decision records the host reads
	apCount = apHost + 1
)

const (
	decType   = 0
	decI16    = 1
	decChroma = 2
	decQP     = 3
	decI4     = 4
	decPartMV = 20
	decMV     = 28
	decWords  = 60
)

// The compact decision record the host downloads (bytes; the vectors are
// int16 pairs): 100 bytes a macroblock for the device record's 240.
const (
	dhType   = 0
	dhI16    = 1
	dhChroma = 2
	dhQP     = 3
	dhI4     = 4
	dhPartMV = 20
	dhMV     = 36
	dhBytes  = 100
)

// Decider runs h264_go's mode decision on a GPU for pictures of one size
// and preset. Like the Go encoder it keeps each macroblock's record between
// pictures: fields a decision does not set (the modes of intra types that
// were not chosen, partition vectors beyond the chosen partitioning) keep
// the previous picture's values, starting from zero. Run is not safe for
// concurrent use; Close releases the device memory.
type Decider struct {
	opts     h264.Options
	intra4   bool
	parts    bool
	aq       int // adaptive quantisation strength, 1/16 (h264.AQStrength16)
	mbW, mbH int
	be       backend
	stager   planeStager // the uploads' staging copies
	base     uint64
	off      [apDec + 1]int
	offQP    int    // device offset of the QP offsets
	qpOff    []byte // their staging
	offHost  int    // device offset of the compact decision records
	params   []byte
	field    []byte
	dec      []byte    // the compact records, downloaded
	stage    [3][]byte // staging of the source planes (one each: uploads are asynchronous)
	// decodeOut is the output of the Decide in progress, decoded in parts
	// (decodeParts.work: decodeRange).
	decodeOut   []h264.Decision
	decodeParts parallel
	closed      bool
	// devField, when not 0, is the device address of the motion field in
	// the kernels' record layout (a MotionSearch's output, complete before
	// Run is called): P pictures read it there instead of uploading field.
	devField uint64
	// devSrcY, when not 0, is the device address of the source luma
	// (packed, stride src.Y.Width), already on the device: Run reads it
	// there instead of uploading it.
	devSrcY uint64
	// prefetched is the picture whose chroma planes prefetch already
	// queued for upload (the next run skips them when it decides that
	// picture), or nil.
	prefetched *h264.Picture
}

// decAddr is the device address of the decision records (analyse.h
// DEC_*), which hold the last Run's decisions until the next Run.
func (d *Decider) decAddr() uint64 { return d.base + uint64(d.off[apDec]) }

// srcYAddr is the device address of the source luma the last Run read.
func (d *Decider) srcYAddr() uint64 {
	if d.devSrcY != 0 {
		return d.devSrcY
	}
	return d.base + uint64(d.off[apSrcY])
}

// NewDecider prepares the mode decision of an h264 Encoder made with o
// (its size and preset) on ctx.
func NewDecider(ctx *cuda.Context, o h264.Options) (*Decider, error) {
	be, err := newGPUBackend(ctx, "analyse", []string{"analyse_mb"})
	if err != nil {
		return nil, err
	}
	d, err := newDecider(be, o)
	if err != nil {
		be.close()
		return nil, err
	}
	return d, nil
}

func newDecider(be backend, o h264.Options) (*Decider, error) {
	// The encoder's own validation, and its preset's knobs.
	cfg, err := h264.MotionConfigFor(o)
	if err != nil {
		return nil, err
	}
	info, err := h264.PresetInfo(o.Preset)
	if err != nil {
		return nil, err
	}
	aq, err := h264.AQStrength16(o)
	if err != nil {
		return nil, err
	}
	d := &Decider{opts: o, intra4: info.Intra4x4, parts: info.Partitions, aq: aq, be: be}
	d.decodeParts.work = d.decodeRange
	d.mbW, d.mbH = cfg.Width/16, cfg.Height/16
	n := d.mbW * d.mbH
	sizes := [apDec + 1]int{
		apSrcY: 256 * n, apSrcCb: 64 * n, apSrcCr: 64 * n,
		apField: 4 * outWords * n, apDec: 4 * decWords * n,
	}
	at := align(8 * apCount)
	for i, sz := range sizes {
		d.off[i] = at
		at += align(sz)
	}
	d.offQP = at
	at += align(n)
	d.offHost = at
	at += align(dhBytes * n)
	if d.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for the mode decision: %w", at, err)
	}
	if err := makeHost(be, []hostBuf{{&d.params, 8 * apCount}, {&d.field, 4 * outWords * n}, {&d.dec, dhBytes * n}, {&d.qpOff, n}}...); err != nil {
		return nil, err
	}
	return d, nil
}

// prefetch stages src's chroma planes and queues their upload now, so
// that it runs while other work (the motion search on another stream)
// does; the next run skips them when it decides src, which must not
// change in between. A picture that is not one of the decider's size is
// left to run.
func (d *Decider) prefetch(src *h264.Picture) error {
	d.prefetched = nil
	if d.closed || src == nil || src.Cb.Width != 8*d.mbW || src.Cb.Height != 8*d.mbH ||
		src.Cr.Width != 8*d.mbW || src.Cr.Height != 8*d.mbH || !planeOK(&src.Cb) || !planeOK(&src.Cr) {
		return nil
	}
	for i, pl := range []*h264.Plane{&src.Cb, &src.Cr} {
		staged, err := d.stager.stageLazily(d.be, &d.stage[1+i], pl)
		if err != nil {
			return err
		}
		if err := d.be.upload(d.off[apSrcCb+i], staged); err != nil {
			return err
		}
	}
	d.prefetched = src
	return nil
}

// Close releases the decider's device memory, stream and module.
func (d *Decider) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	return d.be.close()
}

// Run decides every macroblock of src, the picture padded to whole
// macroblocks as the encoder holds it (h264.PictureTrace.Source), at qp
// with the per-macroblock offsets qpOffset (nil: none; see
// h264.Accelerator); for a P picture (pSlice) field is the motion
// search's result for it. It
// writes Type, I16Mode, ChromaMode, I4Modes, PartMV, MV and QP of each
// macroblock into out (MBWidth·MBHeight entries), as
// h264.PictureTrace.Decisions reports them.
func (d *Decider) Run(src *h264.Picture, field []h264.MotionMB, qp int, qpOffset []int8, pSlice bool, out []h264.MacroblockTrace) error {
	if err := d.run(src, field, qp, qpOffset, pSlice, len(out)); err != nil {
		return err
	}
	for i := range out {
		var dec h264.Decision
		d.decode(i, &dec)
		out[i] = h264.MacroblockTrace{MacroblockHeader: h264.MacroblockHeader{Type: dec.Type, I16Mode: dec.I16Mode,
			ChromaMode: dec.ChromaMode, QP: dec.QP, I4Modes: dec.I4Modes, PartMV: dec.PartMV, MV: dec.MV}}
	}
	return nil
}

// Decide is Run writing h264.Decision records (the records of
// h264.Accelerator); it allocates nothing.
func (d *Decider) Decide(src *h264.Picture, field []h264.MotionMB, qp int, qpOffset []int8, pSlice bool, out []h264.Decision) error {
	if err := d.run(src, field, qp, qpOffset, pSlice, len(out)); err != nil {
		return err
	}
	d.decodeOut = out
	err := d.decodeParts.run(len(out), 1)
	d.decodeOut = nil
	return err
}

// decodeRange converts the records lo..hi-1 into decodeOut.
func (d *Decider) decodeRange(lo, hi int) error {
	for i := lo; i < hi; i++ {
		d.decode(i, &d.decodeOut[i])
	}
	return nil
}

// decode converts the downloaded record of macroblock i.
func (d *Decider) decode(i int, t *h264.Decision) {
	rec := d.dec[dhBytes*i : dhBytes*(i+1)]
	mv := func(o int) h264.MV {
		return h264.MV{X: int16(binary.LittleEndian.Uint16(rec[o:])), Y: int16(binary.LittleEndian.Uint16(rec[o+2:]))}
	}
	t.Type, t.I16Mode, t.ChromaMode, t.QP = int(rec[dhType]), int(rec[dhI16]), int(rec[dhChroma]), int(rec[dhQP])
	copy(t.I4Modes[:], rec[dhI4:dhI4+16])
	for k := 0; k < 16; k++ {
		t.MV[k] = mv(dhMV + 4*k)
	}
	for k := 0; k < 4; k++ {
		t.PartMV[k] = mv(dhPartMV + 4*k)
	}
}

// run validates, uploads, decides and downloads the records (nOut is the
// caller's output length).
func (d *Decider) run(src *h264.Picture, field []h264.MotionMB, qp int, qpOffset []int8, pSlice bool, nOut int) error {
	if d.closed {
		return ErrClosed
	}
	n := d.mbW * d.mbH
	if src == nil || src.Y.Width != 16*d.mbW || src.Y.Height != 16*d.mbH || src.Cb.Width != 8*d.mbW ||
		src.Cb.Height != 8*d.mbH || src.Cr.Width != 8*d.mbW || src.Cr.Height != 8*d.mbH ||
		!planeOK(&src.Y) || !planeOK(&src.Cb) || !planeOK(&src.Cr) {
		return fmt.Errorf("%w: source is not a %dx%d macroblock picture", ErrInput, d.mbW, d.mbH)
	}
	if (pSlice && d.devField == 0 && len(field) != n) || nOut != n || (qpOffset != nil && len(qpOffset) != n) {
		return fmt.Errorf("%w: field, QP offsets or output does not hold %d macroblocks", ErrInput, n)
	}
	p := d.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	for i := apSrcY; i <= apDec; i++ {
		put(i, int64(d.base)+int64(d.off[i]))
	}
	if pSlice && d.devField != 0 {
		put(apField, int64(d.devField))
	}
	if d.devSrcY != 0 {
		put(apSrcY, int64(d.devSrcY))
	}
	b2i := func(b bool) int64 {
		if b {
			return 1
		}
		return 0
	}
	put(apMBW, int64(d.mbW))
	put(apMBH, int64(d.mbH))
	put(apQP, int64(qp))
	put(apLambda, int64(h264.LambdaMotion(qp)))
	put(apPSlice, b2i(pSlice))
	put(apIntra4, b2i(d.intra4))
	put(apParts, b2i(d.parts))
	put(apAQ, int64(d.aq))
	put(apHost, int64(d.base)+int64(d.offHost))
	put(apQPOff, 0)
	if qpOffset != nil {
		put(apQPOff, int64(d.base)+int64(d.offQP))
		for i, v := range qpOffset {
			d.qpOff[i] = byte(v)
		}
	}
	for q := 0; q <= 51; q++ {
		put(apLambdaTab+q, int64(h264.LambdaMotion(q)))
	}
	be := d.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, p); err != nil {
		return err
	}
	chromaQueued := d.prefetched == src
	d.prefetched = nil
	for i, pl := range []*h264.Plane{&src.Y, &src.Cb, &src.Cr} {
		if i == 0 && d.devSrcY != 0 || i > 0 && chromaQueued {
			continue
		}
		staged, err := d.stager.stageLazily(be, &d.stage[i], pl)
		if err != nil {
			return err
		}
		if err := be.upload(d.off[apSrcY+i], staged); err != nil {
			return err
		}
	}
	if qpOffset != nil {
		if err := be.upload(d.offQP, d.qpOff); err != nil {
			return err
		}
	}
	if pSlice && d.devField == 0 {
		encodeField(d.field, field)
		if err := be.upload(d.off[apField], d.field); err != nil {
			return err
		}
	}
	if err := be.mark("analyse"); err != nil {
		return err
	}
	if err := be.launch("analyse_mb", n, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: analyse_mb: %w", err)
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	if err := be.download(d.dec, d.offHost); err != nil {
		return err
	}
	return be.sync()
}

// encodeField writes a motion field in the kernels' record layout
// (motion.h OUT_*), the inverse of MotionSearch's decode.
func encodeField(dst []byte, field []h264.MotionMB) {
	for i := range field {
		m := &field[i]
		rec := dst[4*outWords*i : 4*outWords*(i+1)]
		w := func(k int, v int32) { binary.LittleEndian.PutUint32(rec[4*k:], uint32(v)) }
		mv := func(k int, v h264.MV) { w(k, int32(v.X)); w(k+1, int32(v.Y)) }
		mv(outPred, m.Pred)
		mv(outMV16, m.MV16)
		w(outSATD16, m.SATD16)
		w(outCost16, m.Cost16)
		for k := 0; k < 2; k++ {
			mv(outMV16x8+2*k, m.MV16x8[k])
			w(outSATD168+k, m.SATD16x8[k])
			w(outCost168+k, m.Cost16x8[k])
			mv(outMV8x16+2*k, m.MV8x16[k])
			w(outSATD816+k, m.SATD8x16[k])
			w(outCost816+k, m.Cost8x16[k])
		}
		for k := 0; k < 4; k++ {
			mv(outMV8x8+2*k, m.MV8x8[k])
			w(outSATD8x8+k, m.SATD8x8[k])
			w(outCost8x8+k, m.Cost8x8[k])
		}
	}
}
