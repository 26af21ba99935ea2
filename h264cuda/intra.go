// Intra reconstruction: the host side of kernels/intra.cu (stage 3 of
// h264/DESIGN.md for the macroblocks of I pictures: the intra wavefront),
// mirroring h264/macroblock.go's reconIntra.
//
// The kernel keeps what it makes on the device: the levels in the inter
// stage's level-record layout, where the entropy coder reads them, and the
// samples, which the deblocker copies there. Only the coded block
// patterns, TotalCoeff and Intra_16x16 DC levels come back. Encoder uses
// it through h264.IntraKeeper (encoder.go), so it stays unexported.

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/h264"
)

// Indices of intra_rows' parameter block (kernels/intra.h; a test checks
// them against the header).
const (
	xpSrcY = iota
	xpSrcCb
	xpSrcCr
	xpRecY
	xpRecCb
	xpRecCr
	xpDec
	xpLevels
	xpCounts
	xpLumaDC
	xpRows
	xpMBW
	xpMBH
	xpCount
)

// intraRecon reconstructs the I pictures of one size.
type intraRecon struct {
	mbW, mbH int
	be       backend
	base     uint64
	off      [xpRows + 1]int // device offsets of the buffers, by parameter index
	// Staging: the parameter block, the decision records, the row
	// counters (zero, uploaded before each launch), and the counts and DC
	// levels downloaded after it.
	params, dec, rows, counts, lumaDC []byte
	// dev holds, per source plane (Y, Cb, Cr), the device address of a
	// packed copy already there (the Decider's), or 0: upload from stage.
	dev    [3]uint64
	stage  [3][]byte
	stager planeStager
	// hostRows marks the macroblock rows whose samples the deblocker takes
	// from the host (Deblocker.fromHost): none.
	hostRows []bool
	// putDecs writes the decisions of a run (putRange) in parts.
	putDecs parallel
	decs    []h264.Decision
	closed  bool
}

func newIntraRecon(be backend, mbW, mbH int) (*intraRecon, error) {
	if mbW < 1 || mbH < 1 {
		return nil, fmt.Errorf("%w: %dx%d macroblocks", ErrInput, mbW, mbH)
	}
	r := &intraRecon{mbW: mbW, mbH: mbH, be: be, hostRows: make([]bool, mbH)}
	r.putDecs.work = r.putRange
	n := mbW * mbH
	sizes := [xpRows + 1]int{
		xpSrcY: 256 * n, xpSrcCb: 64 * n, xpSrcCr: 64 * n,
		xpRecY: 256 * n, xpRecCb: 64 * n, xpRecCr: 64 * n,
		xpDec: 4 * decWords * n, xpLevels: 2 * lvWords * n, xpCounts: cnBytes * n,
		xpLumaDC: 32 * n, xpRows: 4 * (1 + mbH),
	}
	at := align(8 * xpCount)
	for i, sz := range sizes {
		r.off[i] = at
		at += align(sz)
	}
	var err error
	if r.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for the intra reconstruction: %w", at, err)
	}
	if err := makeHost(be, []hostBuf{{&r.params, 8 * xpCount}, {&r.dec, sizes[xpDec]}, {&r.rows, sizes[xpRows]}, {&r.counts, sizes[xpCounts]}, {&r.lumaDC, sizes[xpLumaDC]}}...); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *intraRecon) close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	return r.be.close()
}

// run reconstructs the intra macroblocks of src, whose decisions are dec,
// and downloads their counts and DC levels for decode. With onto nil, src
// is an I picture (every decision of an intra type), and the samples
// (recAddr) and levels (levelsAddr) stay in the stage's memory; else src
// is a P picture whose inter macroblocks onto just reconstructed keeping
// their samples and levels on the device, and the intra ones are coded
// among them, into onto's memory. It allocates nothing.
func (r *intraRecon) run(src *h264.Picture, dec []h264.Decision, onto *interRecon) error {
	if r.closed {
		return ErrClosed
	}
	n := r.mbW * r.mbH
	if len(dec) != n {
		return fmt.Errorf("%w: decisions do not hold %d macroblocks", ErrInput, n)
	}
	if src == nil || src.Y.Width != 16*r.mbW || src.Y.Height != 16*r.mbH || src.Cb.Width != 8*r.mbW ||
		src.Cb.Height != 8*r.mbH || src.Cr.Width != 8*r.mbW || src.Cr.Height != 8*r.mbH ||
		!planeOK(&src.Y) || !planeOK(&src.Cb) || !planeOK(&src.Cr) {
		return fmt.Errorf("%w: the picture must be %dx%d macroblocks", ErrInput, r.mbW, r.mbH)
	}
	if onto == nil {
		for _, d := range dec {
			if d.Type != h264.TraceI4x4 && d.Type != h264.TraceI16x16 {
				return fmt.Errorf("%w: an I picture's decision of type %d", ErrInput, d.Type)
			}
		}
	} else if onto.mbW != r.mbW || onto.mbH != r.mbH || !onto.kept || !onto.samplesKept {
		return fmt.Errorf("%w: the inter stage did not keep a picture of this size on the device", ErrInput)
	}
	r.decs = dec
	_ = r.putDecs.run(n, 1) // putRange cannot fail
	r.decs = nil
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(r.params[8*i:], uint64(v)) }
	for i := xpSrcY; i <= xpRows; i++ {
		put(i, int64(r.base)+int64(r.off[i]))
	}
	for i, addr := range r.dev {
		if addr != 0 {
			put(xpSrcY+i, int64(addr))
		}
	}
	if onto != nil {
		for i := 0; i < 3; i++ {
			put(xpRecY+i, int64(onto.recAddr(i)))
		}
		put(xpLevels, int64(onto.levelsAddr()))
	}
	put(xpMBW, int64(r.mbW))
	put(xpMBH, int64(r.mbH))
	be := r.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	for _, up := range []struct {
		idx int
		b   []byte
	}{{0, r.params}, {r.off[xpDec], r.dec}, {r.off[xpRows], r.rows}} {
		if err := be.upload(up.idx, up.b); err != nil {
			return err
		}
	}
	for i, p := range [3]*h264.Plane{&src.Y, &src.Cb, &src.Cr} {
		if r.dev[i] != 0 {
			continue // already on the device
		}
		staged, err := r.stager.stageLazily(be, &r.stage[i], p)
		if err != nil {
			return err
		}
		if err := be.upload(r.off[xpSrcY+i], staged); err != nil {
			return err
		}
	}
	if err := be.mark("intra"); err != nil {
		return err
	}
	if err := be.launch("intra_rows", 32*r.mbH, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: intra_rows: %w", err)
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	if err := be.download(r.counts, r.off[xpCounts]); err != nil {
		return err
	}
	if err := be.download(r.lumaDC, r.off[xpLumaDC]); err != nil {
		return err
	}
	return be.sync()
}

// putRange writes the records of decisions lo..hi-1 of the run: the
// fields intra_rows reads.
func (r *intraRecon) putRange(lo, hi int) error {
	le := binary.LittleEndian
	for i := lo; i < hi; i++ {
		d := &r.decs[i]
		w := r.dec[4*decWords*i : 4*decWords*(i+1)]
		le.PutUint32(w[4*decType:], uint32(int32(d.Type)))
		le.PutUint32(w[4*decI16:], uint32(int32(d.I16Mode)))
		le.PutUint32(w[4*decChroma:], uint32(int32(d.ChromaMode)))
		le.PutUint32(w[4*decQP:], uint32(int32(d.QP)))
		for k, m := range d.I4Modes {
			le.PutUint32(w[4*(decI4+k):], uint32(m))
		}
	}
	return nil
}

// decode gives macroblock i's downloaded counts and DC levels (read only:
// safe for concurrent use).
func (r *intraRecon) decode(i int, t *h264.IntraResult) {
	cn := r.counts[cnBytes*i : cnBytes*(i+1)]
	copy(t.TotalCoeff[:], cn[cnNZ:cnNZ+16])
	copy(t.ChromaTC[0][:], cn[cnNZC:cnNZC+4])
	copy(t.ChromaTC[1][:], cn[cnNZC+4:cnNZC+8])
	t.CBP = int(cn[cnCBP])
	dc := r.lumaDC[32*i : 32*(i+1)]
	for k := range t.LumaDC {
		t.LumaDC[k] = int16(binary.LittleEndian.Uint16(dc[2*k:]))
	}
}

// levelsAddr is the device address of the level records (int16[lvWords]
// per macroblock, the entropy coder's level blocks) of the last run.
func (r *intraRecon) levelsAddr() uint64 { return r.base + uint64(r.off[xpLevels]) }

// recAddr is the device address of plane i (Y, Cb, Cr) of the last run's
// reconstruction, packed (rows of the plane's width).
func (r *intraRecon) recAddr(i int) uint64 { return r.base + uint64(r.off[xpRecY+i]) }
