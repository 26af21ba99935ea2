// Deblocking on the GPU: the host side of kernels/deblock.cu, mirroring
// h264/deblock.go (stage 5 of h264/DESIGN.md, ITU-T H.264 clause 8.7). The
// kernels filter the reconstructed picture in place exactly as h264's Go
// encoder does (h264.DeblockReference), in one launch: a wavefront of
// macroblock rows, one warp each (DESIGN-deblock.md).

package h264cuda

import (
	"encoding/binary"
	"fmt"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// Indices of the deblocking kernels' parameter block and of their
// per-macroblock record (kernels/deblock.h; a test checks them against
// the header).
const (
	dpY = iota
	dpCb
	dpCr
	dpMB
	dpRows
	dpEdges
	dpMBW
	dpMBH
	dpCount
)

const (
	dbInfo  = 0
	dbNZ    = 1
	dbMV    = 2
	dbWords = 18
	dbIntra = 0x100
)

// The per-macroblock edge record deblock_edges writes (DE_*; only its
// size matters here).
const (
	deBSV   = 0
	deBSH   = 2
	deQP    = 4
	deCQP   = 5
	deWords = 8
)

// deblockKernels are the kernels of deblock.cu, in launch order.
var deblockKernels = []string{"deblock_edges", "deblock_rows"}

// deblockLanes is the number of threads deblock_rows runs per macroblock
// row (one warp).
const deblockLanes = 32

// maxDeblockSide bounds the picture's width and height in luma samples
// (far above any level's limit; keeps the kernels' int offsets small).
const maxDeblockSide = 16384

// Deblocker runs h264_go's deblocking filter on a GPU for pictures of one
// size. It owns its device memory (the picture and the macroblock records)
// and a stream; Run is not safe for concurrent use. Close releases
// everything.
type Deblocker struct {
	mbW, mbH int
	be       backend
	base     uint64
	off      [dpEdges + 1]int // arena offset of each buffer (by parameter index)

	// Host staging, sized once.
	params []byte
	recs   []byte    // the records, then the zeroed row counters (dpRows)
	planes [3][]byte // staging for pictures that are not owned, made on first need
	closed bool

	// The host side of the Run in progress, done in bands of macroblock
	// rows (inBands).
	job   deblockJob
	parts parallel // work: band (rows)

	// last is the picture the last successful Run wrote: until the next
	// Run, the device holds its planes (holds).
	last *h264.Picture

	// fromDevice, when set for a Run (stages.Deblock, after an inter
	// reconstruction that kept its samples), holds the device addresses
	// of packed planes already holding the picture's inter macroblocks:
	// they are copied on the device, and from rec only the macroblock
	// rows marked in fromHost (those holding intra macroblocks).
	fromDevice [3]uint64
	fromHost   []bool

	// owned, when not nil, are planes in page-locked memory (an Encoder's
	// own pictures): a Run uploads from them and downloads into them
	// without the staging copies.
	owned *ownedPlanes
}

// holds reports whether p is the picture the last Run wrote, so that its
// planes are in the deblocker's device memory, tightly packed
// (planeAddr), as the other stages upload theirs.
func (d *Deblocker) holds(p *h264.Picture) bool {
	return p != nil && p == d.last && p.Y.Width == 16*d.mbW && p.Y.Height == 16*d.mbH
}

// planeAddr is the device address of plane i (Y, Cb, Cr) of the picture
// the last Run wrote.
func (d *Deblocker) planeAddr(i int) uint64 { return d.base + uint64(d.off[dpY+i]) }

// deblockJob is what a Run's bands work on: before the launch they pack
// mbs and stage rec; after it (unpack) they copy the result into out.
type deblockJob struct {
	rec, out *h264.Picture
	mbs      []h264.MacroblockHeader
	unpack   bool
	// recOwned, outOwned: rec's planes are uploaded, out's downloaded
	// into, as they are (Deblocker.owned), not through d.planes.
	recOwned, outOwned bool
}

// NewDeblocker prepares the deblocking of width×height pictures (luma
// samples, as the encoder is configured; the pictures it filters are
// padded to whole macroblocks) on ctx: loads the embedded PTX and
// allocates device memory. The caller closes it.
func NewDeblocker(ctx *cuda.Context, width, height int) (*Deblocker, error) {
	if err := checkDeblockSize(width, height); err != nil {
		return nil, err
	}
	be, err := newGPUBackend(ctx, "deblock", deblockKernels)
	if err != nil {
		return nil, err
	}
	d, err := newDeblocker(be, width, height)
	if err != nil {
		be.close()
		return nil, err
	}
	return d, nil
}

func checkDeblockSize(width, height int) error {
	if width <= 0 || height <= 0 || width > maxDeblockSide || height > maxDeblockSide {
		return fmt.Errorf("%w: picture size %dx%d (1 to %d samples a side)", ErrInput, width, height, maxDeblockSide)
	}
	return nil
}

// newDeblocker lays out the arena of a deblocker on be.
func newDeblocker(be backend, width, height int) (*Deblocker, error) {
	if err := checkDeblockSize(width, height); err != nil {
		return nil, err
	}
	d := &Deblocker{mbW: (width + 15) / 16, mbH: (height + 15) / 16, be: be}
	d.parts.work = d.band
	n := d.mbW * d.mbH
	sizes := [dpEdges + 1]int{dpY: 256 * n, dpCb: 64 * n, dpCr: 64 * n, dpMB: d.recordBytes(), dpEdges: 4 * deWords * n}
	at := align(8 * dpCount) // the parameter block is at offset 0
	for i, sz := range sizes {
		if i != dpRows {
			d.off[i] = at
			at += align(sz)
		}
	}
	// The row counters follow the records, so that one upload of the
	// records also zeroes them.
	d.off[dpRows] = d.off[dpMB] + 4*dbWords*n
	var err error
	if d.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for deblocking: %w", at, err)
	}
	if err := makeHost(be, []hostBuf{{&d.params, 8 * dpCount}, {&d.recs, d.recordBytes()}}...); err != nil {
		return nil, err
	}
	p := d.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	for i := dpY; i <= dpEdges; i++ {
		put(i, int64(d.base)+int64(d.off[i]))
	}
	put(dpMBW, int64(d.mbW))
	put(dpMBH, int64(d.mbH))
	return d, nil
}

// MBWidth is the number of macroblock columns.
func (d *Deblocker) MBWidth() int { return d.mbW }

// MBHeight is the number of macroblock rows.
func (d *Deblocker) MBHeight() int { return d.mbH }

// Close releases the deblocker's device memory, stream and module.
// Closing twice is harmless.
func (d *Deblocker) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	return d.be.close()
}

// recordBytes is the size of the records upload: the macroblock records,
// then deblock_rows' ticket and one counter per row, which stay zero on
// the host.
func (d *Deblocker) recordBytes() int { return 4*dbWords*d.mbW*d.mbH + 4*(1+d.mbH) }

// Run deblocks rec, the reconstruction padded to whole macroblocks
// (h264.PictureTrace.Reconstructed), with the macroblock headers mbs
// (raster order; Type, QP, TotalCoeff and MV are read, as
// h264.PictureTrace.Macroblocks reports them), and writes the result into
// out, a picture of the same size (it may be rec itself). The result is
// h264's (h264.DeblockReference, PictureTrace.Deblocked) byte for byte.
func (d *Deblocker) Run(rec *h264.Picture, mbs []h264.MacroblockHeader, out *h264.Picture) error {
	if d.closed {
		return ErrClosed
	}
	for _, p := range []*h264.Picture{rec, out} {
		if p == nil || p.Y.Width != 16*d.mbW || p.Y.Height != 16*d.mbH || p.Cb.Width != 8*d.mbW ||
			p.Cb.Height != 8*d.mbH || p.Cr.Width != 8*d.mbW || p.Cr.Height != 8*d.mbH ||
			!planeOK(&p.Y) || !planeOK(&p.Cb) || !planeOK(&p.Cr) {
			return fmt.Errorf("%w: picture is not a %dx%d macroblock picture", ErrInput, d.mbW, d.mbH)
		}
	}
	if len(mbs) != d.mbW*d.mbH {
		return fmt.Errorf("%w: %d macroblock records, want %d", ErrInput, len(mbs), d.mbW*d.mbH)
	}
	d.last = nil
	d.job = deblockJob{rec: rec, out: out, mbs: mbs, recOwned: d.owned.hasPicture(rec), outOwned: d.owned.hasPicture(out)}
	defer func() { d.job = deblockJob{} }()
	if !d.job.recOwned || !d.job.outOwned {
		if err := d.makePlanes(); err != nil {
			return err
		}
	}
	if err := d.inBands(); err != nil {
		return err
	}
	be := d.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, d.params); err != nil {
		return err
	}
	if err := d.uploadPlanes(); err != nil {
		return err
	}
	if err := be.upload(d.off[dpMB], d.recs); err != nil {
		return err
	}
	if err := be.mark("deblock"); err != nil {
		return err
	}
	if err := be.launch("deblock_edges", d.mbW*d.mbH, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: deblock_edges: %w", err)
	}
	if err := be.launch("deblock_rows", deblockLanes*d.mbH, 0, 0); err != nil {
		return fmt.Errorf("h264cuda: deblock_rows: %w", err)
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	for i := range d.planes {
		dst := d.planes[i]
		if d.job.outOwned {
			dst = planeOf(out, i).Pix[:d.planeBytes(i)]
		}
		if err := be.download(dst, d.off[dpY+i]); err != nil {
			return err
		}
	}
	if err := be.sync(); err != nil {
		return err
	}
	if !d.job.outOwned {
		d.job.unpack = true
		if err := d.inBands(); err != nil {
			return err
		}
	}
	d.last = out
	return nil
}

// uploadPlanes queues the copies of the picture to filter into the
// device's planes: the staged planes, or with fromDevice set the device
// planes and then the staged rows of fromHost over them.
func (d *Deblocker) uploadPlanes() error {
	for i, plane := range d.planes {
		if d.job.recOwned {
			plane = planeOf(d.job.rec, i).Pix[:d.planeBytes(i)]
		}
		if d.fromDevice[i] == 0 {
			if err := d.be.upload(d.off[dpY+i], plane); err != nil {
				return err
			}
			continue
		}
		if err := d.be.copyIn(d.off[dpY+i], d.fromDevice[i], len(plane)); err != nil {
			return err
		}
		rowBytes := len(plane) / d.mbH // a macroblock row's samples
		if err := eachRun(d.fromHost, func(y0, y1 int) error {
			lo, hi := y0*rowBytes, y1*rowBytes
			return d.be.upload(d.off[dpY+i]+lo, plane[lo:hi])
		}); err != nil {
			return err
		}
	}
	return nil
}

// planeBytes is the size of plane i (Y, Cb, Cr) of a picture.
func (d *Deblocker) planeBytes(i int) int {
	if i == 0 {
		return 256 * d.mbW * d.mbH
	}
	return 64 * d.mbW * d.mbH
}

// makePlanes makes the staging planes on first need: Runs on pictures
// that are not owned (tests, callers of Run) stage through them.
func (d *Deblocker) makePlanes() error {
	for i := range d.planes {
		if d.planes[i] != nil {
			continue
		}
		b, err := d.be.host(d.planeBytes(i))
		if err != nil {
			return err
		}
		d.planes[i] = b
	}
	return nil
}

// inBands runs band over every macroblock row of the picture, in bands
// on all cores for large pictures.
func (d *Deblocker) inBands() error { return d.parts.run(d.mbH, d.mbW) }

// band does the job's host work for macroblock rows y0..y1-1: packs their
// records and stages their samples (unless rec is owned), or (unpack)
// copies their deblocked samples into the output picture.
func (d *Deblocker) band(y0, y1 int) error {
	j := &d.job
	if !j.unpack {
		if err := d.packRecords(j.mbs, y0*d.mbW, y1*d.mbW); err != nil {
			return err
		}
		if j.recOwned {
			return nil // rec's planes are uploaded as they are
		}
	}
	for i, scale := range [3]int{16, 8, 8} {
		pl := planeOf(j.rec, i)
		if j.unpack {
			pl = planeOf(j.out, i)
		}
		w := pl.Width
		for y := y0 * scale; y < y1*scale; y++ {
			if !j.unpack && d.fromDevice[i] != 0 && !d.fromHost[y/scale] {
				continue // copied on the device
			}
			row, staged := pl.Pix[y*pl.Stride:y*pl.Stride+w], d.planes[i][y*w:(y+1)*w]
			if j.unpack {
				copy(row, staged)
			} else {
				copy(staged, row)
			}
		}
	}
	return nil
}

// planeOf is plane i (Y, Cb, Cr) of p.
func planeOf(p *h264.Picture, i int) *h264.Plane {
	switch i {
	case 0:
		return &p.Y
	case 1:
		return &p.Cb
	}
	return &p.Cr
}

// packRecords writes the kernels' records (deblock.h DB_*) of mbs[lo:hi].
func (d *Deblocker) packRecords(mbs []h264.MacroblockHeader, lo, hi int) error {
	for i := lo; i < hi; i++ {
		m := &mbs[i]
		if m.Type < h264.TraceI4x4 || m.Type > h264.TracePSkip || m.QP < 0 || m.QP > 51 {
			return fmt.Errorf("%w: macroblock %d has type %d, QP %d", ErrInput, i, m.Type, m.QP)
		}
		rec := d.recs[4*dbWords*i : 4*dbWords*(i+1)]
		info := uint32(m.QP)
		if m.Type == h264.TraceI4x4 || m.Type == h264.TraceI16x16 {
			info |= dbIntra
		}
		var nz uint32
		for k, c := range m.TotalCoeff {
			nz |= (uint32(c) + 255) >> 8 << k // 1 where c != 0, without a branch to mispredict
		}
		binary.LittleEndian.PutUint32(rec[4*dbInfo:], info)
		binary.LittleEndian.PutUint32(rec[4*dbNZ:], nz)
		for k, v := range m.MV {
			binary.LittleEndian.PutUint32(rec[4*(dbMV+k):], uint32(uint16(v.X))|uint32(uint16(v.Y))<<16)
		}
	}
	return nil
}
