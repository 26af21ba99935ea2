// Inter reconstruction: the host side of kernels/inter.cu (stage 3 of
// h264/DESIGN.md for P macroblocks: prediction, transform, quantisation,
// decimation, reconstruction), mirroring h264/macroblock.go's reconInter.
//
// The kernel is tested through the C emulation and on the GPU against real
// encodes; Encoder uses it through h264.InterAccelerator (encoder.go), so
// this host side stays unexported.

package h264cuda

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/gpuenc/gpuenc/h264"
)

// Indices of inter_recon's parameter block and level record
// (kernels/inter.h; a test checks them against the header).
const (
	ipSrcY = iota
	ipSrcCb
	ipSrcCr
	ipRefY
	ipRefCb
	ipRefCr
	ipRecY
	ipRecCb
	ipRecCr
	ipDec
	ipLevels
	ipMBW
	ipMBH
	ipCBP      // a copy of each inter macroblock's CBP (probe), or 0
	ipCounts   // TotalCoeff and CBP per macroblock
	ipProbeDec // probe_skip: stage 2's decision records (analyse.go decWords)
	ipProbeOut // probe_skip: each macroblock's skip vector and want of a probe
	ipCount
)

// What probe_skip leaves for the host (int32 words a macroblock).
const (
	poMV    = 0 // the P_Skip vector, x in the low 16 bits
	poWants = 1
	poWords = 2
)

// The level record (int16 words) and the counts record (bytes).
const (
	lvLuma  = 0
	lvCDC   = 256
	lvCAC   = 264
	lvWords = 392

	cnNZ    = 0
	cnNZC   = 16
	cnCBP   = 24
	cnBytes = 32
)

// The decision record inter_recon reads (int32 words; the vectors are
// int16 pairs from word irMV on): 72 bytes a macroblock, where the
// decision stage's records (analyse.go, decWords) are 240.
const (
	irType  = 0
	irQP    = 1
	irMV    = 2
	irWords = 18
)

// interLanes is the number of threads inter_recon runs per macroblock
// (one warp).
const interLanes = 32

// interRecon reconstructs the inter macroblocks of P pictures of one size.
type interRecon struct {
	mbW, mbH int
	be       backend
	base     uint64
	off      [ipLevels + 1]int
	params   []byte
	dec      []byte
	levels   []byte
	offCBP   int    // device offset of the CBP copies (probe)
	cbp      []byte // their staging
	// decided, when not 0, is the device address of stage 2's decision
	// records, from which the next exec makes the probe's records on the
	// device (probe_skip, probeDecided) instead of uploading dec; it
	// downloads probeOut (at offProbeOut) with the CBP copies.
	decided     uint64
	offProbeOut int
	probeOut    []byte
	// offCounts: device offset of the counts records; countsStage their
	// staging, downloaded with every reconstruction, and counts its copy
	// in ordinary memory, which decode reads: read where the copy engine
	// wrote them, a macroblock at a time, they cost the host a cache miss
	// each (bench/results/h200-host-records).
	offCounts   int
	countsStage []byte
	counts      []byte
	// kept: the last reconstruction left the levels on the device
	// (reconInterKept), where levelsAddr finds them; decode gives only
	// the counts.
	kept bool
	// samplesKept: the last reconstruction copied into rec only the
	// macroblock rows intra prediction reads (needRow: the rows holding an
	// intra macroblock, rowIntra, and the rows above them); the other
	// inter samples are only on the device, at recAddr.
	samplesKept       bool
	rowIntra, needRow []bool
	// stage holds the staging buffer of each plane (by parameter index),
	// made on the plane's first upload: copies are asynchronous, so no two
	// planes of one run share one.
	stage  [ipRecCr + 1][]byte
	closed bool
	// dev holds, per source or reference plane (ipSrcY..ipRefCr), the
	// device address of a packed copy of that plane already there (the
	// Decider's source, the MotionSearch's reference luma), or 0: upload.
	// The copies must be complete before run is called.
	dev [ipRefCr + 1]uint64

	// inter[i]: macroblock i's decision is an inter type, so the kernel
	// reconstructs it (putDecision); only those samples are copied into
	// rec, in bands of rows (copyOut) with out the picture of the run.
	inter []bool
	out   *h264.Picture
	parts parallel // work: copyOut (rows)
	// putDecs writes the decisions of a run (putDecisions) in parts.
	putDecs parallel
	decs    []h264.Decision
	stager  planeStager // the uploads' staging copies
}

func newInterRecon(be backend, mbW, mbH int) (*interRecon, error) {
	if mbW < 1 || mbH < 1 {
		return nil, fmt.Errorf("%w: %dx%d macroblocks", ErrInput, mbW, mbH)
	}
	r := &interRecon{mbW: mbW, mbH: mbH, be: be, inter: make([]bool, mbW*mbH), rowIntra: make([]bool, mbH), needRow: make([]bool, mbH)}
	r.parts.work = r.copyOut
	r.putDecs.work = r.putRange
	n := mbW * mbH
	sizes := [ipLevels + 1]int{
		ipSrcY: 256 * n, ipSrcCb: 64 * n, ipSrcCr: 64 * n,
		ipRefY: 256 * n, ipRefCb: 64 * n, ipRefCr: 64 * n,
		ipRecY: 256 * n, ipRecCb: 64 * n, ipRecCr: 64 * n,
		ipDec: 4 * irWords * n, ipLevels: 2 * lvWords * n,
	}
	at := align(8 * ipCount)
	for i, sz := range sizes {
		r.off[i] = at
		at += align(sz)
	}
	r.offCBP = at
	at += align(4 * n)
	r.offCounts = at
	at += align(cnBytes * n)
	r.offProbeOut = at
	at += align(4 * poWords * n)
	var err error
	if r.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for the inter reconstruction: %w", at, err)
	}
	if err := makeHost(be, []hostBuf{{&r.params, 8 * ipCount}, {&r.dec, 4 * irWords * n}, {&r.levels, 2 * lvWords * n}, {&r.cbp, 4 * n}, {&r.countsStage, cnBytes * n}, {&r.probeOut, 4 * poWords * n}}...); err != nil {
		return nil, err
	}
	r.counts = make([]byte, cnBytes*n)
	return r, nil
}

func (r *interRecon) close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.be.close()
}

// forgetShared drops the device planes set in dev: the next run uploads.
func (r *interRecon) forgetShared() { r.dev = [ipRefCr + 1]uint64{} }

// macroblockPicture reports whether p is a picture of the grid.
func (r *interRecon) macroblockPicture(p *h264.Picture) bool {
	return p != nil && p.Y.Width == 16*r.mbW && p.Y.Height == 16*r.mbH && p.Cb.Width == 8*r.mbW &&
		p.Cb.Height == 8*r.mbH && p.Cr.Width == 8*r.mbW && p.Cr.Height == 8*r.mbH &&
		planeOK(&p.Y) && planeOK(&p.Cb) && planeOK(&p.Cr)
}

// run reconstructs the inter macroblocks (by dec's Type) of src predicted
// from ref into rec (other macroblocks of rec are left as they are) and
// writes their levels, TotalCoeff and CBP into out.
func (r *interRecon) run(src, ref *h264.Picture, dec []h264.MacroblockTrace, rec *h264.Picture, out []h264.MacroblockTrace) error {
	if len(dec) != r.mbW*r.mbH {
		return fmt.Errorf("%w: decisions do not hold %d macroblocks", ErrInput, r.mbW*r.mbH)
	}
	for i := range dec {
		r.putDecision(i, dec[i].Type, dec[i].QP, &dec[i].MV)
	}
	if err := r.exec(src, ref, rec, len(out), false, false); err != nil {
		return err
	}
	for i := range out {
		if typ := dec[i].Type; typ < h264.TraceP16x16 || typ > h264.TraceP8x8 {
			continue
		}
		var res h264.InterResult
		r.decode(i, &res)
		t := &out[i]
		t.Luma, t.TotalCoeff, t.ChromaDC, t.ChromaTC, t.ChromaAC, t.CBP = res.Luma, res.TotalCoeff, res.ChromaDC, res.ChromaTC, res.ChromaAC, res.CBP
	}
	return nil
}

// reconInter is run with the records of h264.InterAccelerator: it
// reconstructs into rec and downloads the levels for decode, or with
// keepLevels leaves them on the device (levelsAddr) and downloads only the
// counts; with keepSamples it copies into rec only the rows intra
// prediction reads (samplesKept). It allocates nothing.
func (r *interRecon) reconInter(src, ref *h264.Picture, dec []h264.Decision, rec *h264.Picture, keepLevels, keepSamples bool) error {
	n := r.mbW * r.mbH
	if len(dec) != n {
		return fmt.Errorf("%w: decisions do not hold %d macroblocks", ErrInput, n)
	}
	r.putDecisions(dec)
	return r.exec(src, ref, rec, n, keepLevels, keepSamples)
}

// putDecisions writes the records of every decision of dec, in parallel
// for large pictures.
func (r *interRecon) putDecisions(dec []h264.Decision) {
	r.decs = dec
	_ = r.putDecs.run(len(dec), 1) // putRange cannot fail
	r.decs = nil
}

// putRange writes the records of decisions lo..hi-1 of the run.
func (r *interRecon) putRange(lo, hi int) error {
	for i := lo; i < hi; i++ {
		d := &r.decs[i]
		r.putDecision(i, d.Type, d.QP, &d.MV)
	}
	return nil
}

// levelsAddr is the device address of the level records (int16
// [lvWords] per macroblock, the entropy coder's level blocks) that the
// last reconstruction wrote for its inter macroblocks.
func (r *interRecon) levelsAddr() uint64 { return r.base + uint64(r.off[ipLevels]) }

// recAddr is the device address of plane i (Y, Cb, Cr) of the
// reconstruction, packed (rows of the plane's width), where the last
// reconstruction wrote its inter macroblocks.
func (r *interRecon) recAddr(i int) uint64 { return r.base + uint64(r.off[ipRecY+i]) }

// probe runs the kernel on dec (P_L0_16x16 records for the macroblocks to
// probe, intra ones elsewhere) and sets nothing[i], for each probed
// macroblock i, to whether it has no level left (CBP 0). Only the CBP
// copies come back; the kernel reconstructs nothing then, and the levels
// and counts it writes stay on the device, where the next reconInter
// writes its own over them.
func (r *interRecon) probe(src, ref *h264.Picture, dec []h264.Decision, nothing []bool) error {
	n := r.mbW * r.mbH
	if len(dec) != n || len(nothing) != n {
		return fmt.Errorf("%w: decisions or results do not hold %d macroblocks", ErrInput, n)
	}
	r.putDecisions(dec)
	if err := r.exec(src, ref, nil, n, false, false); err != nil {
		return err
	}
	for i := range dec {
		if typ := dec[i].Type; typ >= h264.TraceP16x16 && typ <= h264.TraceP8x8 {
			nothing[i] = binary.LittleEndian.Uint32(r.cbp[4*i:]) == 0
		}
	}
	return nil
}

// probeDecided is probe with the records made on the device from stage
// 2's decision records at decAddr (the Decider's, of this picture):
// probe_skip finds each macroblock's skip vector and whether it wants a
// probe, inter_recon probes those, and out[i] gets the vector, the want
// and, where it wants one, whether no level is left.
func (r *interRecon) probeDecided(src, ref *h264.Picture, decAddr uint64, out []h264.ProbeResult) error {
	n := r.mbW * r.mbH
	if len(out) != n || decAddr == 0 {
		return fmt.Errorf("%w: results do not hold %d macroblocks, or no decisions", ErrInput, n)
	}
	r.decided = decAddr
	err := r.exec(src, ref, nil, n, false, false)
	r.decided = 0
	if err != nil {
		return err
	}
	le := binary.LittleEndian
	for i := range out {
		po := r.probeOut[4*poWords*i:]
		v := le.Uint32(po[4*poMV:])
		wants := le.Uint32(po[4*poWants:]) != 0
		out[i] = h264.ProbeResult{
			MV:      h264.MV{X: int16(v), Y: int16(v >> 16)},
			Wants:   wants,
			Nothing: wants && le.Uint32(r.cbp[4*i:]) == 0,
		}
	}
	return nil
}

// putDecision writes the fields inter_recon reads of macroblock i's
// decision record.
func (r *interRecon) putDecision(i, typ, qp int, mvs *[16]h264.MV) {
	w := r.dec[4*irWords*i : 4*irWords*(i+1)]
	r.inter[i] = typ >= h264.TraceP16x16 && typ <= h264.TraceP8x8
	le := binary.LittleEndian
	le.PutUint32(w[4*irType:], uint32(int32(typ)))
	le.PutUint32(w[4*irQP:], uint32(int32(qp)))
	mw := w[4*irMV : 4*irWords]
	for k := range mvs {
		le.PutUint16(mw[4*k:], uint16(mvs[k].X))
		le.PutUint16(mw[4*k+2:], uint16(mvs[k].Y))
	}
}

// decode converts the downloaded records of macroblock i: its counts,
// and its levels unless the last reconstruction kept them on the device
// (read only: safe for concurrent use).
func (r *interRecon) decode(i int, t *h264.InterResult) {
	cn := r.counts[cnBytes*i : cnBytes*(i+1)]
	for b := range t.TotalCoeff {
		t.TotalCoeff[b] = cn[cnNZ+b]
	}
	for c := 0; c < 2; c++ {
		for b := 0; b < 4; b++ {
			t.ChromaTC[c][b] = cn[cnNZC+4*c+b]
		}
	}
	t.CBP = int(cn[cnCBP])
	if r.kept {
		return
	}
	rec := r.levels[2*lvWords*i : 2*lvWords*(i+1)]
	le := binary.LittleEndian
	luma := rec[2*lvLuma : 2*(lvLuma+256)]
	for b := range t.Luma {
		lb := luma[32*b : 32*b+32]
		for k := range t.Luma[b] {
			t.Luma[b][k] = int16(le.Uint16(lb[2*k:]))
		}
	}
	cdc, cac := rec[2*lvCDC:2*(lvCDC+8)], rec[2*lvCAC:2*(lvCAC+128)]
	for c := 0; c < 2; c++ {
		for b := 0; b < 4; b++ {
			t.ChromaDC[c][b] = int16(le.Uint16(cdc[2*(4*c+b):]))
			ab := cac[2*(64*c+16*b) : 2*(64*c+16*b+16)]
			for k := range t.ChromaAC[c][b] {
				t.ChromaAC[c][b][k] = int16(le.Uint16(ab[2*k:]))
			}
		}
	}
}

// exec uploads the pictures and the decision records put before, runs the
// kernel and downloads rec (only the rows intra prediction reads with
// keepSamples), the counts and, unless keepLevels, the levels (nOut is the
// caller's output length). With rec nil (probe) only the CBP copies come
// back.
func (r *interRecon) exec(src, ref, rec *h264.Picture, nOut int, keepLevels, keepSamples bool) error {
	if r.closed {
		return ErrClosed
	}
	r.kept, r.samplesKept = false, false
	n := r.mbW * r.mbH
	if !r.macroblockPicture(src) || !r.macroblockPicture(ref) || (rec != nil && !r.macroblockPicture(rec)) {
		return fmt.Errorf("%w: pictures must be %dx%d macroblocks", ErrInput, r.mbW, r.mbH)
	}
	if nOut != n {
		return fmt.Errorf("%w: output does not hold %d macroblocks", ErrInput, n)
	}
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(r.params[8*i:], uint64(v)) }
	for i := ipSrcY; i <= ipLevels; i++ {
		put(i, int64(r.base)+int64(r.off[i]))
	}
	for i, addr := range r.dev {
		if addr != 0 {
			put(i, int64(addr))
		}
	}
	put(ipMBW, int64(r.mbW))
	put(ipMBH, int64(r.mbH))
	put(ipCounts, int64(r.base)+int64(r.offCounts))
	put(ipCBP, 0)
	if rec == nil {
		put(ipCBP, int64(r.base)+int64(r.offCBP))
	}
	put(ipProbeDec, int64(r.decided))
	put(ipProbeOut, int64(r.base)+int64(r.offProbeOut))
	be := r.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, r.params); err != nil {
		return err
	}
	if r.decided == 0 {
		if err := be.upload(r.off[ipDec], r.dec); err != nil {
			return err
		}
	}
	type plane struct {
		idx int
		p   *h264.Plane
	}
	planes := []plane{
		{ipSrcY, &src.Y}, {ipSrcCb, &src.Cb}, {ipSrcCr, &src.Cr},
		{ipRefY, &ref.Y}, {ipRefCb, &ref.Cb}, {ipRefCr, &ref.Cr},
	}
	for _, pl := range planes {
		if pl.idx < len(r.dev) && r.dev[pl.idx] != 0 {
			continue // already on the device
		}
		staged, err := r.stager.stageLazily(be, &r.stage[pl.idx], pl.p)
		if err != nil {
			return err
		}
		if err := be.upload(r.off[pl.idx], staged); err != nil {
			return err
		}
	}
	if r.decided != 0 {
		if err := be.mark("probe"); err != nil {
			return err
		}
		if err := be.launch("probe_skip", n, 0, 0); err != nil {
			return fmt.Errorf("h264cuda: probe_skip: %w", err)
		}
	}
	if err := be.mark("inter"); err != nil {
		return err
	}
	if err := be.launch("inter_recon", interLanes*n, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: inter_recon: %w", err)
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	if rec == nil {
		if err := be.download(r.cbp, r.offCBP); err != nil {
			return err
		}
		if r.decided != 0 {
			if err := be.download(r.probeOut, r.offProbeOut); err != nil {
				return err
			}
		}
	} else {
		if err := be.download(r.countsStage, r.offCounts); err != nil {
			return err
		}
		if !keepLevels {
			if err := be.download(r.levels, r.off[ipLevels]); err != nil {
				return err
			}
		}
	}
	if rec != nil {
		r.markRows(keepSamples)
		for i, p := range [3]*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
			buf, err := r.staging(ipRecY+i, p)
			if err != nil {
				return err
			}
			rowBytes := p.Width * p.Height / r.mbH // a macroblock row's samples
			if err := eachRun(r.needRow, func(y0, y1 int) error {
				lo, hi := y0*rowBytes, y1*rowBytes
				return be.download(buf[lo:hi], r.off[ipRecY+i]+lo)
			}); err != nil {
				return err
			}
		}
	}
	if err := be.sync(); err != nil {
		return err
	}
	if rec == nil {
		return nil
	}
	r.kept, r.samplesKept = keepLevels, keepSamples
	copy(r.counts, r.countsStage)
	// Only the inter macroblocks' samples are the kernel's: the others of
	// rec stay as they are (the device's are whatever was there).
	r.out = rec
	err := r.parts.run(r.mbH, r.mbW)
	r.out = nil
	return err
}

// markRows sets rowIntra from the decisions put and needRow to the rows
// to download: all of them, or with keepSamples only those intra
// prediction reads (a row holding an intra macroblock and the row above).
func (r *interRecon) markRows(keepSamples bool) {
	for y := 0; y < r.mbH; y++ {
		r.rowIntra[y] = slices.Contains(r.inter[y*r.mbW:(y+1)*r.mbW], false)
	}
	for y := 0; y < r.mbH; y++ {
		r.needRow[y] = !keepSamples || r.rowIntra[y] || y+1 < r.mbH && r.rowIntra[y+1]
	}
}

// copyOut copies the inter macroblocks of macroblock rows y0..y1-1 from
// the downloaded planes into r.out, a run of neighbours at a time.
func (r *interRecon) copyOut(y0, y1 int) error {
	for i, p := range [3]*h264.Plane{&r.out.Y, &r.out.Cb, &r.out.Cr} {
		n := 16
		if i > 0 {
			n = 8
		}
		buf, w := r.stage[ipRecY+i], p.Width
		for y := y0; y < y1; y++ {
			if !r.needRow[y] {
				continue
			}
			_ = eachRun(r.inter[y*r.mbW:(y+1)*r.mbW], func(x0, x1 int) error {
				for sy := n * y; sy < n*(y+1); sy++ {
					copy(p.Pix[sy*p.Stride+n*x0:sy*p.Stride+n*x1], buf[sy*w+n*x0:sy*w+n*x1])
				}
				return nil
			})
		}
	}
	return nil
}

// staging returns the staging buffer of plane idx (p's size), making it
// on first use.
func (r *interRecon) staging(idx int, p *h264.Plane) ([]byte, error) {
	if n := p.Width * p.Height; len(r.stage[idx]) < n {
		b, err := r.be.host(n)
		if err != nil {
			return nil, err
		}
		r.stage[idx] = b
	}
	return r.stage[idx], nil
}
