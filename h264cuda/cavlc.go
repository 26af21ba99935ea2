// Entropy coding on the GPU: the host side of kernels/cavlc.cu, mirroring
// stage 4 of h264/DESIGN.md (h264/slice.go writeMB, h264/cavlc.go, and the
// concatenation of h264/encoder.go; ITU-T H.264 clauses 7.3.4, 7.3.5 and
// 9.2). Every macroblock's mb_skip_run and macroblock_layer() are coded at
// once, one thread each, into their own bit strings; a prefix sum of the
// lengths gives each string its offset after the slice header, and a
// packing kernel gathers the bits of each output word. Emulation
// prevention (7.4.1) runs on the GPU too when the NAL unit's payload is
// asked for (Payload): each chunk of the RBSP is run from the three
// states a chunk can be entered in, groups of chunks are chained the same
// way, a serial pass chains the groups, and each chunk writes its bytes
// with the emulation_prevention_three_bytes.

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// Indices of the cavlc kernels' parameter block, the segment layout and
// the macroblock record (kernels/cavlc.h; a test reads them back from the
// kernels).
const (
	cpRec = iota
	cpSlots
	cpLen
	cpRun
	cpOff
	cpChunk
	cpOut
	cpStatus
	cpMBW
	cpMBH
	cpPSlice
	cpLevels
	cpHostLv
	cpEsc
	cpEscGroup
	cpCount
)

const (
	slotWords  = 768
	cavlcChunk = 64
	escBytes   = 256
	escGroup   = 64

	crType   = 0
	crI16    = 1
	crChroma = 2
	crCBP    = 3
	crQPD    = 4
	crSlot   = 5
	crI4     = 8
	crPartMV = 24
	crMV     = 32
	crNZ     = 64
	crNZC    = 80
	crLumaDC = 88
	crWords  = 104
	clLuma   = 0
	clCDC    = 256
	clCAC    = 264
	clWords  = 392
	// slotInter in crSlot: the level block is the inter stage's.
	slotInter = 0xffffffff
	constsLay = 40
	// constsWords: the layout, the (code, len) pairs of Tables 9-5,
	// 9-7/9-8, 9-9a and 9-10, and the two cbp maps of Table 9-4.
	constsWords = constsLay + 2*(5*4*17+16*16+4*4+8*15) + 2*48
)

// cavlcKernels are the kernels of kernels/cavlc.cu the coder launches.
var cavlcKernels = []string{"cavlc_mb", "cavlc_chunk_sum", "cavlc_scan_top", "cavlc_chunk_apply", "cavlc_pack",
	"cavlc_escape_count", "cavlc_escape_group", "cavlc_escape_scan", "cavlc_escape_write", "cavlc_consts"}

// EntropyCoder codes the slice data of pictures of one size on a GPU,
// byte for byte as h264's Encoder does: given the final macroblocks of a
// picture (h264.PictureTrace.Macroblocks) and its slice header, Run
// returns the slice's RBSP and Payload the slice NAL unit's payload. They
// are not safe for concurrent use; Close releases the device memory.
type EntropyCoder struct {
	mbW, mbH int
	chunks   int
	be       backend
	base     uint64
	off      [cpCount]int // by parameter index (buffers only)
	params   []byte
	rec      []byte
	hdr      []byte // slot 0: the slice header as big-endian words
	status   []byte
	out      []byte
	// The packRecords in progress, in parts (packParts.work: packRange).
	packMBs    []h264.MacroblockHeader
	packLv     []h264.MacroblockLevels
	packPSlice bool
	packParts  parallel
	// keptLevels, when not 0, is the device address of the inter stage's
	// level records of this picture (interRecon.levelsAddr): the records
	// of inter macroblocks point there instead of carrying their levels.
	keptLevels uint64
	// keptIntra: the intra macroblocks' levels are there too (the intra
	// stage coded them: an I picture's, at intraRecon.levelsAddr, or a P
	// picture's, among the inter ones).
	keptIntra bool
	// hostLv holds the level blocks packed on the host, in slots: slot[i]
	// is macroblock i's (packRecords), and slots of them are used.
	hostLv []byte
	slot   []uint32
	slots  int
	closed bool
}

// NewEntropyCoder prepares the entropy coding of pictures of an h264
// Encoder made with o (its size) on ctx.
func NewEntropyCoder(ctx *cuda.Context, o h264.Options) (*EntropyCoder, error) {
	be, err := newGPUBackend(ctx, "cavlc", cavlcKernels)
	if err != nil {
		return nil, err
	}
	c, err := newEntropyCoder(be, o)
	if err != nil {
		be.close()
		return nil, err
	}
	return c, nil
}

func newEntropyCoder(be backend, o h264.Options) (*EntropyCoder, error) {
	cfg, err := h264.MotionConfigFor(o) // the encoder's validation and padded size
	if err != nil {
		return nil, err
	}
	c := &EntropyCoder{mbW: cfg.Width / 16, mbH: cfg.Height / 16, be: be}
	c.slot = make([]uint32, c.mbW*c.mbH)
	c.packParts.work = c.packRange
	n := c.mbW * c.mbH
	segs := n + 2
	c.chunks = (n + 1 + cavlcChunk - 1) / cavlcChunk
	slotBytes := 4 * slotWords * segs
	sizes := [cpCount]int{
		cpRec: 2 * crWords * n, cpHostLv: 2 * clWords * n, cpSlots: slotBytes + 8, cpLen: 4 * segs, cpRun: 4 * n,
		cpOff: 4 * segs, cpChunk: 4 * c.chunks, cpOut: max(slotBytes, 4*constsWords), cpStatus: 16,
		cpEsc: 12 * (slotBytes/escBytes + 1), cpEscGroup: 12 * (slotBytes/(escBytes*escGroup) + 1),
	}
	at := align(8 * cpCount)
	for i, sz := range sizes {
		c.off[i] = at
		at += align(sz)
	}
	if c.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for entropy coding: %w", at, err)
	}
	if err := makeHost(be, []hostBuf{{&c.params, 8 * cpCount}, {&c.rec, 2 * crWords * n}, {&c.hostLv, 2 * clWords * n}, {&c.hdr, 4 * slotWords}, {&c.status, 16}, {&c.out, sizes[cpOut]}}...); err != nil {
		return nil, err
	}
	return c, nil
}

// Close releases the coder's device memory, stream and module.
func (c *EntropyCoder) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.be.close()
}

// MBWidth and MBHeight give the picture size in macroblocks.
func (c *EntropyCoder) MBWidth() int { return c.mbW }

// MBHeight gives the picture height in macroblocks.
func (c *EntropyCoder) MBHeight() int { return c.mbH }

// Run codes one picture: header holds slice_header() in its first
// headerBits bits (MSB first, as h264.SliceHeaderBits returns it), mbs and
// lv the final macroblocks' headers and levels in raster order
// (MBWidth·MBHeight entries each, as h264.PictureTrace.Macroblocks reports
// them; h264.SplitTrace), pSlice whether it is a P slice. It appends the
// slice's RBSP (header, slice_data(), rbsp_slice_trailing_bits) to dst[:0]
// and returns it; with a dst of enough capacity nothing is allocated.
func (c *EntropyCoder) Run(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	return c.run(mbs, lv, pSlice, header, headerBits, dst, false)
}

// Payload is Run with emulation prevention (7.4.1) on the GPU: it returns
// the slice NAL unit's payload, the RBSP with its
// emulation_prevention_three_bytes, which follows the NAL unit's header
// byte (h264.SlicePayloadAccelerator).
func (c *EntropyCoder) Payload(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	return c.run(mbs, lv, pSlice, header, headerBits, dst, true)
}

// run is Run, or Payload when escape is set.
func (c *EntropyCoder) run(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte, escape bool) ([]byte, error) {
	if c.closed {
		return nil, ErrClosed
	}
	n := c.mbW * c.mbH
	if len(mbs) != n || len(lv) != n {
		return nil, fmt.Errorf("%w: %d macroblock headers and %d level records, want %d", ErrInput, len(mbs), len(lv), n)
	}
	if headerBits <= 0 || headerBits > 32*slotWords || len(header) < (headerBits+7)/8 {
		return nil, fmt.Errorf("%w: slice header of %d bits in %d bytes", ErrInput, headerBits, len(header))
	}
	if err := c.packRecords(mbs, lv, pSlice); err != nil {
		return nil, err
	}
	// Slot 0: the header's bits, zero after its end.
	clear(c.hdr)
	nb := (headerBits + 7) / 8
	copy(c.hdr, header[:nb])
	if r := headerBits % 8; r != 0 {
		c.hdr[nb-1] &= byte(0xff << (8 - r))
	}
	hw := (headerBits + 31) / 32
	for k := 0; k < hw; k++ { // device words hold bit 31 first, stored little-endian
		binary.LittleEndian.PutUint32(c.hdr[4*k:], binary.BigEndian.Uint32(c.hdr[4*k:]))
	}
	c.writeParams(pSlice)
	be := c.be
	if err := be.mark("upload"); err != nil {
		return nil, err
	}
	if err := be.upload(0, c.params); err != nil {
		return nil, err
	}
	if err := be.upload(c.off[cpRec], c.rec); err != nil {
		return nil, err
	}
	if c.slots > 0 {
		if err := be.upload(c.off[cpHostLv], c.hostLv[:2*clWords*c.slots]); err != nil {
			return nil, err
		}
	}
	if err := be.upload(c.off[cpSlots], c.hdr[:4*hw]); err != nil {
		return nil, err
	}
	binary.LittleEndian.PutUint32(c.status, uint32(headerBits))
	if err := be.upload(c.off[cpLen], c.status[:4]); err != nil {
		return nil, err
	}
	if err := be.mark("macroblocks"); err != nil {
		return nil, err
	}
	if err := be.launch("cavlc_mb", n, 0, 0); err != nil {
		return nil, fmt.Errorf("h264cuda: cavlc_mb: %w", err)
	}
	if err := be.mark("scan"); err != nil {
		return nil, err
	}
	for _, k := range []struct {
		name string
		n    int
	}{{"cavlc_chunk_sum", c.chunks}, {"cavlc_scan_top", c.chunks}, {"cavlc_chunk_apply", c.chunks}} {
		if err := be.launch(k.name, k.n, 0, n+1); err != nil {
			return nil, fmt.Errorf("h264cuda: %s: %w", k.name, err)
		}
	}
	if err := be.download(c.status, c.off[cpStatus]); err != nil {
		return nil, err
	}
	if err := be.sync(); err != nil {
		return nil, err
	}
	total := int(int32(binary.LittleEndian.Uint32(c.status)))
	if binary.LittleEndian.Uint32(c.status[4:]) != 0 || total <= 0 || total%8 != 0 || total > 8*len(c.out) {
		return nil, fmt.Errorf("%w: a macroblock's syntax does not fit its %d-bit segment or a value is out of range", h264.ErrBitValue, 32*slotWords)
	}
	words := (total + 31) / 32
	if err := be.mark("pack"); err != nil {
		return nil, err
	}
	if err := be.launch("cavlc_pack", words, 0, n+2); err != nil {
		return nil, fmt.Errorf("h264cuda: cavlc_pack: %w", err)
	}
	if escape {
		return c.escape(total/8, dst)
	}
	if err := be.mark("download"); err != nil {
		return nil, err
	}
	if err := be.download(c.out[:4*words], c.off[cpOut]); err != nil {
		return nil, err
	}
	if err := be.mark("end"); err != nil {
		return nil, err
	}
	if err := be.sync(); err != nil {
		return nil, err
	}
	return append(dst[:0], c.out[:total/8]...), nil
}

// escape queues the emulation prevention of the RBSP of size bytes that
// cavlc_pack leaves at cpOut and appends the payload to dst[:0]. The
// payload is downloaded at its likely size (the RBSP's and a margin;
// slice data seldom has two zero bytes in a row) and the rest, if any,
// after its length is known.
func (c *EntropyCoder) escape(size int, dst []byte) ([]byte, error) {
	be := c.be
	if err := be.mark("escape"); err != nil {
		return nil, err
	}
	chunks := (size + escBytes - 1) / escBytes
	groups := (chunks + escGroup - 1) / escGroup
	for _, k := range []struct {
		name   string
		n, arg int
	}{{"cavlc_escape_count", chunks, size}, {"cavlc_escape_group", groups, chunks}, {"cavlc_escape_scan", groups, size}, {"cavlc_escape_write", chunks, size}} {
		if err := be.launch(k.name, k.n, 0, k.arg); err != nil {
			return nil, fmt.Errorf("h264cuda: %s: %w", k.name, err)
		}
	}
	if err := be.mark("download"); err != nil {
		return nil, err
	}
	likely := min(size+size/64+64, len(c.out))
	if err := be.download(c.status, c.off[cpStatus]); err != nil {
		return nil, err
	}
	if err := be.download(c.out[:likely], c.off[cpSlots]); err != nil {
		return nil, err
	}
	if err := be.mark("end"); err != nil {
		return nil, err
	}
	if err := be.sync(); err != nil {
		return nil, err
	}
	n := int(int32(binary.LittleEndian.Uint32(c.status[8:])))
	if binary.LittleEndian.Uint32(c.status[12:]) != 0 || n < size || n > len(c.out) {
		return nil, fmt.Errorf("%w: the slice's %d bytes with emulation prevention do not fit the coder's %d", h264.ErrBitValue, size, len(c.out))
	}
	if n > likely {
		if err := be.download(c.out[likely:n], c.off[cpSlots]+likely); err != nil {
			return nil, err
		}
		if err := be.sync(); err != nil {
			return nil, err
		}
	}
	return append(dst[:0], c.out[:n]...), nil
}

// packRecords packs every record of mbs into c.rec, in parallel for
// large pictures; the error names the first macroblock (in raster order)
// that cannot be coded.
func (c *EntropyCoder) packRecords(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool) error {
	// A level block for each macroblock that codes a residual with
	// levels from the host, in raster order.
	c.slots = 0
	for i := range mbs {
		m := &mbs[i]
		c.slot[i] = slotInter
		if m.CBP != 0 && m.Type != h264.TracePSkip && !(c.keptLevels != 0 && (interType(m.Type) || c.keptIntra)) {
			c.slot[i] = uint32(c.slots)
			c.slots++
		}
	}
	c.packMBs, c.packLv, c.packPSlice = mbs, lv, pSlice
	err := c.packParts.run(len(mbs), 1)
	c.packMBs, c.packLv = nil, nil
	return err
}

// packRange packs the records lo..hi-1 of packMBs; the error names the
// first it cannot pack.
func (c *EntropyCoder) packRange(lo, hi int) error {
	for i := lo; i < hi; i++ {
		var lv []byte
		if s := c.slot[i]; s != slotInter {
			lv = c.hostLv[2*clWords*int(s) : 2*clWords*(int(s)+1)]
		}
		if err := packRecord(c.rec[2*crWords*i:2*crWords*(i+1)], lv, &c.packMBs[i], &c.packLv[i], c.packPSlice, c.slot[i]); err != nil {
			return fmt.Errorf("%w: macroblock %d: %w", ErrInput, i, err)
		}
	}
	return nil
}

// writeParams fills the parameter block (cavlc.h CP_*).
func (c *EntropyCoder) writeParams(pSlice bool) {
	p := c.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	for i := cpRec; i <= cpStatus; i++ {
		put(i, int64(c.base)+int64(c.off[i]))
	}
	put(cpMBW, int64(c.mbW))
	put(cpMBH, int64(c.mbH))
	pv := int64(0)
	if pSlice {
		pv = 1
	}
	put(cpPSlice, pv)
	put(cpLevels, int64(c.keptLevels))
	put(cpHostLv, int64(c.base)+int64(c.off[cpHostLv]))
	put(cpEsc, int64(c.base)+int64(c.off[cpEsc]))
	put(cpEscGroup, int64(c.base)+int64(c.off[cpEscGroup]))
}

// interType reports whether a record's type is a coded inter type.
func interType(t int) bool { return t >= h264.TraceP16x16 && t <= h264.TraceP8x8 }

// errRecord describes a macroblock the coder cannot take.
type errRecord string

func (e errRecord) Error() string { return string(e) }

// packRecord writes macroblock m (header m, levels l) in the kernels'
// record layout (cavlc.h CR_*), int16 little-endian words, after checking
// the ranges the syntax needs: dst is its record (2·crWords bytes), slot
// where its levels are (crSlot), lv the level block to fill (2·clWords
// bytes) from l or nil when the kernel takes them elsewhere or needs none.
// Of l, only an Intra_16x16 macroblock's LumaDC is read when lv is nil
// (the record's LumaDC words are zero for other types).
func packRecord(dst, lv []byte, m *h264.MacroblockHeader, l *h264.MacroblockLevels, pSlice bool, slot uint32) error {
	switch {
	case m.Type < h264.TraceI4x4 || m.Type > h264.TracePSkip:
		return errRecord("unknown type")
	case !pSlice && m.Type > h264.TraceI16x16:
		return errRecord("inter macroblock in an I slice")
	case m.CBP < 0 || m.CBP > 47 || m.CBP&15 != 0 && m.CBP&15 != 15 && m.Type == h264.TraceI16x16:
		return errRecord("coded_block_pattern out of range")
	case m.I16Mode < 0 || m.I16Mode > 3 || m.ChromaMode < 0 || m.ChromaMode > 3:
		return errRecord("prediction mode out of range")
	case m.QPDelta < -26 || m.QPDelta > 25:
		return errRecord("mb_qp_delta out of range")
	}
	dst = dst[:2*crWords]
	le := binary.LittleEndian
	clear(dst[2*(crQPD+1) : 2*crI4]) // the words between the header fields and I4
	le.PutUint16(dst[2*crType:], uint16(m.Type))
	le.PutUint16(dst[2*crI16:], uint16(m.I16Mode))
	le.PutUint16(dst[2*crChroma:], uint16(m.ChromaMode))
	le.PutUint16(dst[2*crCBP:], uint16(m.CBP))
	le.PutUint16(dst[2*crQPD:], uint16(int16(m.QPDelta)))
	le.PutUint16(dst[2*crSlot:], uint16(slot))
	le.PutUint16(dst[2*crSlot+2:], uint16(slot>>16))
	i4, mv, nz, ldc := dst[2*crI4:2*crI4+32], dst[2*crMV:2*crMV+64], dst[2*crNZ:2*crNZ+32], dst[2*crLumaDC:2*crLumaDC+32]
	if m.Type == h264.TraceI16x16 {
		for k, v := range l.LumaDC {
			le.PutUint16(ldc[2*k:], uint16(v))
		}
	} else {
		clear(ldc)
	}
	for k := 0; k < 16; k++ {
		if m.I4Modes[k] > 8 {
			return errRecord("Intra_4x4 mode out of range")
		}
		if m.TotalCoeff[k] > 16 {
			return errRecord("TotalCoeff out of range")
		}
		le.PutUint16(i4[2*k:], uint16(m.I4Modes[k]))
		le.PutUint16(mv[4*k:], uint16(m.MV[k].X))
		le.PutUint16(mv[4*k+2:], uint16(m.MV[k].Y))
		le.PutUint16(nz[2*k:], uint16(m.TotalCoeff[k]))
	}
	pmv := dst[2*crPartMV : 2*crPartMV+16]
	for k := 0; k < 4; k++ {
		le.PutUint16(pmv[4*k:], uint16(m.PartMV[k].X))
		le.PutUint16(pmv[4*k+2:], uint16(m.PartMV[k].Y))
	}
	nzc := dst[2*crNZC : 2*crNZC+16]
	for p := 0; p < 2; p++ {
		for k := 0; k < 4; k++ {
			if m.ChromaTC[p][k] > 15 {
				return errRecord("chroma TotalCoeff out of range")
			}
			le.PutUint16(nzc[8*p+2*k:], uint16(m.ChromaTC[p][k]))
		}
	}
	if lv == nil {
		return nil
	}
	luma := lv[2*clLuma : 2*clLuma+512]
	for k := range l.Luma {
		b := luma[32*k : 32*k+32]
		for j, v := range &l.Luma[k] {
			le.PutUint16(b[2*j:], uint16(v))
		}
	}
	cdc, cac := lv[2*clCDC:2*clCDC+16], lv[2*clCAC:2*clCAC+256]
	for p := 0; p < 2; p++ {
		for k := 0; k < 4; k++ {
			le.PutUint16(cdc[8*p+2*k:], uint16(l.ChromaDC[p][k]))
			b := cac[128*p+32*k : 128*p+32*k+32]
			for j, v := range &l.ChromaAC[p][k] {
				le.PutUint16(b[2*j:], uint16(v))
			}
		}
	}
	return nil
}
