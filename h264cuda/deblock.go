// Deblocking on the GPU: the host side of kernels/deblock.cu, mirroring
// h264/deblock.go (stage 5 of h264/DESIGN.md, ITU-T H.264 clause 8.7). The
// kernels filter the reconstructed picture in place exactly as h264's Go
// encoder does (h264.DeblockReference), as a wavefront over the
// macroblocks' anti-diagonals (DESIGN-deblock.md).

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

// deblockKernels are the kernels of deblock.cu, in launch order per
// anti-diagonal.
var deblockKernels = []string{"deblock_v", "deblock_h"}

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
	off      [dpMB + 1]int // arena offset of each buffer (by parameter index)

	// Host staging, sized once.
	params []byte
	recs   []byte
	planes [3][]byte
	closed bool
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
	n := d.mbW * d.mbH
	sizes := [dpMB + 1]int{dpY: 256 * n, dpCb: 64 * n, dpCr: 64 * n, dpMB: 4 * dbWords * n}
	at := align(8 * dpCount) // the parameter block is at offset 0
	for i, sz := range sizes {
		d.off[i] = at
		at += align(sz)
	}
	var err error
	if d.base, err = be.alloc(at); err != nil {
		return nil, fmt.Errorf("h264cuda: allocating %d bytes for deblocking: %w", at, err)
	}
	for _, b := range []struct {
		p *[]byte
		n int
	}{{&d.params, 8 * dpCount}, {&d.recs, 4 * dbWords * n}, {&d.planes[0], 256 * n}, {&d.planes[1], 64 * n}, {&d.planes[2], 64 * n}} {
		if *b.p, err = be.host(b.n); err != nil {
			return nil, err
		}
	}
	p := d.params
	put := func(i int, v int64) { binary.LittleEndian.PutUint64(p[8*i:], uint64(v)) }
	for i := dpY; i <= dpMB; i++ {
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

// diagonals is the number of anti-diagonals x + y of the grid.
func (d *Deblocker) diagonals() int { return d.mbW + d.mbH - 1 }

// diagonalMBs is the number of macroblocks (x, y) with x + y = t (the
// kernels' db_diag_mb enumerates the same ones, top row first).
func (d *Deblocker) diagonalMBs(t int) int {
	lo := max(0, t-(d.mbW-1))
	hi := min(d.mbH-1, t)
	return max(0, hi-lo+1)
}

// Run deblocks rec, the reconstruction padded to whole macroblocks
// (h264.PictureTrace.Reconstructed), with the macroblock records mbs
// (raster order; Type, QP, TotalCoeff and MV are read, as
// h264.PictureTrace.Macroblocks reports them), and writes the result into
// out, a picture of the same size (it may be rec itself). The result is
// h264's (h264.DeblockReference, PictureTrace.Deblocked) byte for byte.
func (d *Deblocker) Run(rec *h264.Picture, mbs []h264.MacroblockTrace, out *h264.Picture) error {
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
	if err := d.packRecords(mbs); err != nil {
		return err
	}
	be := d.be
	if err := be.mark("upload"); err != nil {
		return err
	}
	if err := be.upload(0, d.params); err != nil {
		return err
	}
	for i, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
		if err := be.upload(d.off[dpY+i], stagePlane(d.planes[i], pl)); err != nil {
			return err
		}
	}
	if err := be.upload(d.off[dpMB], d.recs); err != nil {
		return err
	}
	if err := be.mark("deblock"); err != nil {
		return err
	}
	// The launches are the same for every picture of the size (only the
	// arena's contents change), so after the first picture they replay as
	// one CUDA graph instead of ~4 launches per diagonal.
	if err := be.replay("deblock", func() error {
		for t := 0; t < d.diagonals(); t++ {
			n := 16 * d.diagonalMBs(t)
			for _, k := range deblockKernels {
				if err := be.launch(k, n, 0, t); err != nil {
					return fmt.Errorf("h264cuda: %s (diagonal %d): %w", k, t, err)
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if err := be.mark("end"); err != nil {
		return err
	}
	for i := range d.planes {
		if err := be.download(d.planes[i], d.off[dpY+i]); err != nil {
			return err
		}
	}
	if err := be.sync(); err != nil {
		return err
	}
	for i, pl := range []*h264.Plane{&out.Y, &out.Cb, &out.Cr} {
		w := pl.Width
		for y := 0; y < pl.Height; y++ {
			copy(pl.Pix[y*pl.Stride:y*pl.Stride+w], d.planes[i][y*w:(y+1)*w])
		}
	}
	return nil
}

// packRecords writes the kernels' records (deblock.h DB_*) of mbs.
func (d *Deblocker) packRecords(mbs []h264.MacroblockTrace) error {
	for i := range mbs {
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
			if c != 0 {
				nz |= 1 << k
			}
		}
		binary.LittleEndian.PutUint32(rec[4*dbInfo:], info)
		binary.LittleEndian.PutUint32(rec[4*dbNZ:], nz)
		for k, v := range m.MV {
			binary.LittleEndian.PutUint32(rec[4*(dbMV+k):], uint32(uint16(v.X))|uint32(uint16(v.Y))<<16)
		}
	}
	return nil
}
