package h264cuda

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// deblockCase is one synthetic input of the deblocking comparisons: a
// picture of blocky content (smooth texture, a random offset per 4x4
// block, fine noise) and random macroblock records.
type deblockCase struct {
	name     string
	w, h     int // luma size as configured; the picture is padded to whole macroblocks
	qpLo     int // QPs are drawn from qpLo..qpHi per macroblock
	qpHi     int
	types    []int // types drawn from (nil: all seven)
	step     int   // amplitude of the per-4x4 offsets
	noise    int   // amplitude of the per-sample noise
	mvRange  int   // vectors in ±mvRange quarter samples
	nzProb   int   // percent of 4x4 blocks with coefficients
	saturate bool  // hard 0/255 content in places
	runs     int   // 1: every sample row (2: column) is runs of 4 samples at levels 128 ± about step/2 (alternating, so that edge steps are about step/2 to 3·step/2) with slopes of ±slope per sample
	slope    int
	seed     uint64
	gpuOnly  bool
}

func deblockCases() []deblockCase {
	all := []deblockCase{
		{name: "16x16-1mb", w: 16, h: 16, qpLo: 20, qpHi: 45, step: 12, noise: 2, mvRange: 8, nzProb: 30, seed: 1},
		{name: "8x6-tiny", w: 8, h: 6, qpLo: 30, qpHi: 51, step: 20, noise: 1, mvRange: 8, nzProb: 30, seed: 2},
		{name: "17x9-odd", w: 17, h: 9, qpLo: 25, qpHi: 51, step: 16, noise: 2, mvRange: 6, nzProb: 20, seed: 3},
		{name: "33x47-odd", w: 33, h: 47, qpLo: 0, qpHi: 51, step: 10, noise: 2, mvRange: 8, nzProb: 25, seed: 4},
		{name: "96x16-row", w: 96, h: 16, qpLo: 28, qpHi: 40, step: 8, noise: 1, mvRange: 6, nzProb: 25, seed: 5},
		{name: "16x96-column", w: 16, h: 96, qpLo: 28, qpHi: 40, step: 8, noise: 1, mvRange: 6, nzProb: 25, seed: 6},
		{name: "97x71-all-types", w: 97, h: 71, qpLo: 16, qpHi: 51, step: 14, noise: 3, mvRange: 10, nzProb: 30, seed: 7},
		{name: "64x48-low-qp", w: 64, h: 48, qpLo: 0, qpHi: 20, step: 3, noise: 1, mvRange: 8, nzProb: 40, seed: 8},
		{name: "64x48-high-qp-strong", w: 64, h: 48, qpLo: 40, qpHi: 51, step: 30, noise: 1, mvRange: 8, nzProb: 10, seed: 9},
		{name: "80x64-intra-only", w: 80, h: 64, qpLo: 18, qpHi: 51, types: []int{h264.TraceI4x4, h264.TraceI16x16}, step: 16, noise: 2, seed: 10},
		{name: "80x64-inter-only", w: 80, h: 64, qpLo: 18, qpHi: 51, types: []int{h264.TraceP16x16, h264.TraceP16x8, h264.TraceP8x16, h264.TraceP8x8, h264.TracePSkip}, step: 10, noise: 2, mvRange: 12, nzProb: 35, seed: 11},
		{name: "80x64-skip-mv", w: 80, h: 64, qpLo: 30, qpHi: 45, types: []int{h264.TracePSkip, h264.TraceP8x8}, step: 8, noise: 1, mvRange: 6, seed: 12},
		{name: "64x64-saturated", w: 64, h: 64, qpLo: 30, qpHi: 51, step: 40, noise: 4, mvRange: 8, nzProb: 30, saturate: true, seed: 13},
		{name: "176x144-qcif", w: 176, h: 144, qpLo: 10, qpHi: 51, step: 12, noise: 2, mvRange: 8, nzProb: 25, seed: 14},
		{name: "1920x1080", w: 1920, h: 1080, qpLo: 15, qpHi: 51, step: 12, noise: 2, mvRange: 8, nzProb: 25, seed: 15, gpuOnly: true},
	}
	return all
}

// inputs renders the case's reconstruction (padded to whole macroblocks)
// and records.
func (c *deblockCase) inputs() (rec *h264.Picture, mbs []h264.MacroblockTrace, mbW, mbH int) {
	mbW, mbH = (c.w+15)/16, (c.h+15)/16
	r := rand.New(rand.NewPCG(c.seed, 7))
	rec = h264.NewPicture(16*mbW, 16*mbH)
	for pi, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
		sub := 1
		if pi > 0 {
			sub = 2
		}
		bw := (pl.Width + 3) / 4
		offs := make([]int, bw*((pl.Height+3)/4))
		for i := range offs {
			offs[i] = r.IntN(2*c.step+1) - c.step
		}
		gx, gy := r.IntN(5)-2, r.IntN(5)-2
		step := c.step
		if pi > 0 {
			step = max(4, step*3/4) // chroma QP is lower at high QP
		}
		runs := make([][4]int, len(offs))
		slopes := make([][4]int, len(offs))
		for i := range runs {
			for k := range runs[i] {
				// Alternate runs above and below 128, so that the step
				// between neighbours is about step/2 to 3·step/2.
				runs[i][k] = 128 + (step/2+r.IntN(step+1))/2*(1-2*((i%bw)&1))
				slopes[i][k] = r.IntN(2*c.slope+1) - c.slope
			}
		}
		base := 40 + r.IntN(150)
		for y := 0; y < pl.Height; y++ {
			for x := 0; x < pl.Width; x++ {
				v := base + (gx*x+gy*y)*sub/4 + offs[(y/4)*bw+x/4] + r.IntN(2*c.noise+1) - c.noise
				if c.runs != 0 {
					v = runs[(y/4)*bw+x/4][y%4] + slopes[(y/4)*bw+x/4][y%4]*(x%4)
					if c.runs == 2 {
						v = runs[(y/4)*bw+x/4][x%4] + slopes[(y/4)*bw+x/4][x%4]*(y%4)
					}
				}
				if c.saturate && (x/8+y/8)%5 == 0 {
					v = 255 * ((x / 4) & 1)
				}
				pl.Pix[y*pl.Stride+x] = uint8(min(max(v, 0), 255))
			}
		}
	}
	mbs = make([]h264.MacroblockTrace, mbW*mbH)
	for i := range mbs {
		m := &mbs[i]
		if c.types != nil {
			m.Type = c.types[r.IntN(len(c.types))]
		} else {
			m.Type = r.IntN(h264.TracePSkip + 1)
		}
		m.QP = c.qpLo + r.IntN(c.qpHi-c.qpLo+1)
		intra := m.Type == h264.TraceI4x4 || m.Type == h264.TraceI16x16
		base := h264.MV{X: int16(r.IntN(2*c.mvRange+1) - c.mvRange), Y: int16(r.IntN(2*c.mvRange+1) - c.mvRange)}
		for k := 0; k < 16; k++ {
			if r.IntN(100) < c.nzProb {
				m.TotalCoeff[k] = uint8(1 + r.IntN(16))
			}
			if intra {
				continue // intra macroblocks carry zero vectors
			}
			m.MV[k] = base
			if m.Type != h264.TraceP16x16 && m.Type != h264.TracePSkip && r.IntN(3) == 0 {
				m.MV[k].X += int16(r.IntN(9) - 4)
				m.MV[k].Y += int16(r.IntN(9) - 4)
			}
		}
	}
	return rec, mbs, mbW, mbH
}

// samePicture reports the first difference between two pictures of the
// same geometry, or "".
func samePicture(got, want *h264.Picture) string {
	for i, pp := range [][2]*h264.Plane{{&got.Y, &want.Y}, {&got.Cb, &want.Cb}, {&got.Cr, &want.Cr}} {
		g, w := pp[0], pp[1]
		if g.Width != w.Width || g.Height != w.Height {
			return fmt.Sprintf("plane %d is %dx%d, want %dx%d", i, g.Width, g.Height, w.Width, w.Height)
		}
		for y := 0; y < g.Height; y++ {
			gr, wr := g.Pix[y*g.Stride:y*g.Stride+g.Width], w.Pix[y*w.Stride:y*w.Stride+w.Width]
			if !bytes.Equal(gr, wr) {
				x := 0
				for gr[x] == wr[x] {
					x++
				}
				return fmt.Sprintf("plane %d sample (%d, %d): got %d, want %d", i, x, y, gr[x], wr[x])
			}
		}
	}
	return ""
}

// changedSamples counts the samples in which two same-sized pictures differ.
func changedSamples(a, b *h264.Picture) int {
	n := 0
	for _, pp := range [][2]*h264.Plane{{&a.Y, &b.Y}, {&a.Cb, &b.Cb}, {&a.Cr, &b.Cr}} {
		for y := 0; y < pp[0].Height; y++ {
			for x := 0; x < pp[0].Width; x++ {
				if pp[0].Pix[y*pp[0].Stride+x] != pp[1].Pix[y*pp[1].Stride+x] {
					n++
				}
			}
		}
	}
	return n
}

// compareDeblock runs d on the case and compares with h264's filter. It
// also checks that the filter changed something (the content is made so
// that every case filters many edges).
func compareDeblock(t *testing.T, d *Deblocker, c *deblockCase) {
	t.Helper()
	rec, mbs, mbW, mbH := c.inputs()
	want, err := h264.DeblockReference(rec, mbW, mbH, mbs)
	if err != nil {
		t.Fatal(err)
	}
	got := h264.NewPicture(16*mbW, 16*mbH)
	if err := d.Run(rec, headers(mbs), got); err != nil {
		t.Fatal(err)
	}
	if diff := samePicture(got, want); diff != "" {
		t.Fatalf("deblocked picture differs from h264's: %s", diff)
	}
	if changedSamples(rec, want) == 0 && c.qpHi >= 16 {
		t.Fatalf("the reference filter changed nothing: the case tests nothing")
	}
}

func newEmuDeblocker(tb testing.TB, w, h int) *Deblocker {
	tb.Helper()
	d, err := newDeblocker(&emuBackend{}, w, h)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { d.Close() })
	return d
}

// TestEmuDeblockMatchesGo compares the emulated kernels with h264's filter
// on every synthetic case but the GPU-only ones.
func TestEmuDeblockMatchesGo(t *testing.T) {
	for _, c := range deblockCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			compareDeblock(t, newEmuDeblocker(t, c.w, c.h), &c)
		})
	}
}

// everyQPCases are 64x64 pictures at every QP 0..51 (the same QP in every
// macroblock, so that each entry of the alpha, beta, tC0 and chroma QP
// tables is the one in use), all types mixed: blocky content, and runs
// along rows and along columns whose steps sweep every edge step.
func everyQPCases() []deblockCase {
	var cs []deblockCase
	for qp := 0; qp <= 51; qp++ {
		// Steps around alpha (which doubles every 6 QP from 4 at QP 16)
		// and slopes around beta (2 to 18), so that lines fall on both
		// sides of every threshold; the tables themselves are not used.
		step := min(255, int(4*math.Exp2(float64(qp-16)/6))+2)
		slope := max(1, 2+(qp-16)/2)
		for runs, kind := range []string{"blocks", "rows", "columns"} {
			cs = append(cs, deblockCase{name: fmt.Sprintf("qp%d-%s", qp, kind), w: 64, h: 64, qpLo: qp, qpHi: qp,
				step: 2 + qp/3, noise: 1 + qp/20, mvRange: 8, nzProb: 30, seed: uint64(100 + 3*qp + runs)})
			if runs > 0 {
				c := &cs[len(cs)-1]
				c.runs, c.step, c.slope = runs, step, slope
			}
		}
	}
	return cs
}

// TestEmuDeblockEveryQP runs everyQPCases.
func TestEmuDeblockEveryQP(t *testing.T) {
	d := newEmuDeblocker(t, 64, 64)
	for _, c := range everyQPCases() {
		t.Run(c.name, func(t *testing.T) { compareDeblock(t, d, &c) })
	}
}

// TestEmuDeblockInPlace filters a picture into itself.
func TestEmuDeblockInPlace(t *testing.T) {
	c := deblockCases()[6]
	rec, mbs, mbW, mbH := c.inputs()
	want, err := h264.DeblockReference(rec, mbW, mbH, mbs)
	if err != nil {
		t.Fatal(err)
	}
	d := newEmuDeblocker(t, c.w, c.h)
	if err := d.Run(rec, headers(mbs), rec); err != nil {
		t.Fatal(err)
	}
	if diff := samePicture(rec, want); diff != "" {
		t.Fatal(diff)
	}
}

// TestEmuDeblockStrided filters pictures whose planes have extra bytes per
// row (and must leave those bytes alone).
func TestEmuDeblockStrided(t *testing.T) {
	c := deblockCases()[3]
	rec, mbs, mbW, mbH := c.inputs()
	want, err := h264.DeblockReference(rec, mbW, mbH, mbs)
	if err != nil {
		t.Fatal(err)
	}
	strided := func(p *h264.Picture, fill byte) *h264.Picture {
		q := &h264.Picture{}
		for i, pp := range [][2]*h264.Plane{{&q.Y, &p.Y}, {&q.Cb, &p.Cb}, {&q.Cr, &p.Cr}} {
			dst, src := pp[0], pp[1]
			*dst = h264.Plane{Width: src.Width, Height: src.Height, Stride: src.Width + 5 + i}
			dst.Pix = bytes.Repeat([]byte{fill}, dst.Stride*dst.Height)
			for y := 0; y < src.Height; y++ {
				copy(dst.Pix[y*dst.Stride:], src.Pix[y*src.Stride:y*src.Stride+src.Width])
			}
		}
		return q
	}
	in, out := strided(rec, 0), strided(h264.NewPicture(16*mbW, 16*mbH), 0xa5)
	d := newEmuDeblocker(t, c.w, c.h)
	if err := d.Run(in, headers(mbs), out); err != nil {
		t.Fatal(err)
	}
	if diff := samePicture(out, want); diff != "" {
		t.Fatal(diff)
	}
	for _, pl := range []*h264.Plane{&out.Y, &out.Cb, &out.Cr} {
		for y := 0; y < pl.Height; y++ {
			for _, v := range pl.Pix[y*pl.Stride+pl.Width : (y+1)*pl.Stride] {
				if v != 0xa5 {
					t.Fatalf("padding byte of row %d changed to %d", y, v)
				}
			}
		}
	}
}

// TestEmuDeblockErrors checks the typed errors of bad inputs and of use
// after Close.
func TestEmuDeblockErrors(t *testing.T) {
	for _, s := range [][2]int{{0, 16}, {16, -1}, {maxDeblockSide + 1, 16}} {
		if _, err := newDeblocker(&emuBackend{}, s[0], s[1]); !errors.Is(err, ErrInput) {
			t.Errorf("size %v: %v, want ErrInput", s, err)
		}
	}
	d := newEmuDeblocker(t, 32, 32)
	pic := h264.NewPicture(32, 32)
	mbs := make([]h264.MacroblockTrace, 4)
	if err := d.Run(h264.NewPicture(32, 48), headers(mbs), pic); !errors.Is(err, ErrInput) {
		t.Errorf("wrong picture size: %v", err)
	}
	if err := d.Run(pic, headers(mbs[:3]), pic); !errors.Is(err, ErrInput) {
		t.Errorf("too few records: %v", err)
	}
	if err := d.Run(pic, headers(mbs), nil); !errors.Is(err, ErrInput) {
		t.Errorf("nil output: %v", err)
	}
	mbs[2].QP = 52
	if err := d.Run(pic, headers(mbs), pic); !errors.Is(err, ErrInput) {
		t.Errorf("QP 52: %v", err)
	}
	mbs[2].QP, mbs[1].Type = 30, 7
	if err := d.Run(pic, headers(mbs), pic); !errors.Is(err, ErrInput) {
		t.Errorf("type 7: %v", err)
	}
	mbs[1].Type = 0
	if err := d.Run(pic, headers(mbs), pic); err != nil {
		t.Errorf("valid input: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Run(pic, headers(mbs), pic); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := h264.DeblockReference(pic, 2, 2, mbs[:1]); !errors.Is(err, h264.ErrDeblockInput) {
		t.Errorf("reference with too few records: %v", err)
	}
}

var headerConstRE = regexp.MustCompile(`^\s*(DP_\w+|DB_\w+|DE_\w+)\s*(?:=\s*(\w+))?\s*,?`)

// headerConsts returns the DP_* and DB_* constants of deblock.h (enum
// members, implicit values counted on, and #defines).
func headerConsts(t *testing.T) map[string]int {
	src, err := kernels.Source("deblock.h")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	next := 0
	for _, line := range strings.Split(string(src), "\n") {
		line = strings.TrimSpace(line)
		if f := strings.Fields(line); len(f) == 3 && f[0] == "#define" {
			v, err := strconv.ParseInt(f[2], 0, 64)
			if err == nil {
				out[f[1]] = int(v)
			}
			continue
		}
		if strings.HasPrefix(line, "enum") {
			next = 0
			continue
		}
		m := headerConstRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := next
		if m[2] != "" {
			if w, ok := out[m[2]]; ok {
				v = w
			} else if w, err := strconv.Atoi(m[2]); err == nil {
				v = w
			} else {
				t.Fatalf("deblock.h: cannot read %q", line)
			}
		}
		out[m[1]] = v
		next = v + 1
	}
	return out
}

// TestDeblockLayout compares the Go copy of deblock.h's indices with the
// header.
func TestDeblockLayout(t *testing.T) {
	h := headerConsts(t)
	want := map[string]int{
		"DP_Y": dpY, "DP_CB": dpCb, "DP_CR": dpCr, "DP_MB": dpMB, "DP_ROWS": dpRows, "DP_EDGES": dpEdges, "DP_MBW": dpMBW, "DP_MBH": dpMBH, "DP_COUNT": dpCount,
		"DB_INFO": dbInfo, "DB_NZ": dbNZ, "DB_MV": dbMV, "DB_WORDS": dbWords, "DB_INTRA": dbIntra,
		"DE_BS_V": deBSV, "DE_BS_H": deBSH, "DE_QP": deQP, "DE_CQP": deCQP, "DE_WORDS": deWords,
	}
	for name, v := range want {
		got, ok := h[name]
		if !ok {
			t.Errorf("deblock.h lacks %s", name)
		} else if got != v {
			t.Errorf("%s: header %d, Go %d", name, got, v)
		}
	}
	if len(h) != len(want) {
		t.Errorf("deblock.h has %d constants, Go knows %d", len(h), len(want))
	}
}

// deblockTraceCase is a short sequence encoded by h264's Encoder with
// EncodeTrace; the deblocking kernels, fed each picture's traced
// reconstruction and macroblocks, must give its traced deblocked picture.
type deblockTraceCase struct {
	name    string
	w, h    int
	preset  string
	qp      int
	aq      float64
	frames  int
	seed    uint64
	gpuOnly bool
}

func deblockTraceCases() []deblockTraceCase {
	return []deblockTraceCase{
		{name: "16x16-qp30", w: 16, h: 16, preset: "medium", qp: 30, frames: 3, seed: 41},
		{name: "10x6-qp40", w: 10, h: 6, preset: "fast", qp: 40, frames: 3, seed: 42},
		{name: "97x71-medium-aq-qp28", w: 97, h: 71, preset: "medium", qp: 28, aq: 1, frames: 4, seed: 43},
		{name: "160x96-veryfast-qp36", w: 160, h: 96, preset: "veryfast", qp: 36, frames: 3, seed: 44},
		{name: "128x80-slow-aq2-qp22", w: 128, h: 80, preset: "slow", qp: 22, aq: 2, frames: 3, seed: 45},
		{name: "96x64-ultrafast-qp48", w: 96, h: 64, preset: "ultrafast", qp: 48, frames: 3, seed: 46},
		{name: "64x48-qp12", w: 64, h: 48, preset: "medium", qp: 12, frames: 2, seed: 47},
		{name: "1920x1080-medium-aq-qp27", w: 1920, h: 1080, preset: "medium", qp: 27, aq: 1, frames: 3, seed: 48, gpuOnly: true},
	}
}

// frame renders picture k: blobs and stripes moving by a few samples per
// picture over a gradient, with noise, so that the encoder picks intra
// and inter types, codes residuals and leaves block edges to filter.
func (c *deblockTraceCase) frame(k int) *h264.Picture {
	p := h264.NewPicture(c.w, c.h)
	r := rand.New(rand.NewPCG(c.seed, uint64(k)))
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			sx, sy := x+3*k, y-k
			v := 60 + (sx*5+sy*3)%97 + r.IntN(9)
			if ((sx/11)+(sy/7))%3 == 0 {
				v += 70
			}
			if (x-2*k)%23 < 3 {
				v = 235
			}
			p.Y.Pix[y*p.Y.Stride+x] = uint8(min(v, 255))
		}
	}
	for y := 0; y < p.Cb.Height; y++ {
		for x := 0; x < p.Cb.Width; x++ {
			l := int(p.Y.Pix[min(2*y, c.h-1)*p.Y.Stride+min(2*x, c.w-1)])
			p.Cb.Pix[y*p.Cb.Stride+x] = uint8(100 + l/4 + r.IntN(5))
			p.Cr.Pix[y*p.Cr.Stride+x] = uint8(190 - l/3 + (x+y+k)%9)
		}
	}
	return p
}

// compareDeblockTrace encodes the case and deblocks each picture's traced
// reconstruction with d, comparing with the traced deblocked picture (and,
// once, with h264.DeblockReference on the same inputs). Both I and P
// pictures are covered (the first picture is an IDR).
func compareDeblockTrace(t *testing.T, d *Deblocker, c *deblockTraceCase) {
	t.Helper()
	enc, err := h264.NewEncoder(h264.Options{Width: c.w, Height: c.h, Preset: c.preset, RateControl: h264.ConstantQP,
		QP: c.qp, AQStrength: c.aq, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	types := map[int]int{}
	for k := 0; k < c.frames; k++ {
		_, tr, err := enc.EncodeTrace(c.frame(k))
		if err != nil {
			t.Fatal(err)
		}
		got := h264.NewPicture(tr.Reconstructed.Y.Width, tr.Reconstructed.Y.Height)
		if err := d.Run(tr.Reconstructed, headers(tr.Macroblocks), got); err != nil {
			t.Fatal(err)
		}
		if diff := samePicture(got, tr.Deblocked); diff != "" {
			t.Fatalf("picture %d (IDR %v): %s", k, tr.IDR, diff)
		}
		if k == 0 {
			ref, err := h264.DeblockReference(tr.Reconstructed, tr.MBWidth, tr.MBHeight, tr.Macroblocks)
			if err != nil {
				t.Fatal(err)
			}
			if diff := samePicture(ref, tr.Deblocked); diff != "" {
				t.Fatalf("h264.DeblockReference is not the encoder's filter: %s", diff)
			}
		}
		for _, m := range tr.Macroblocks {
			types[m.Type]++
		}
		if changedSamples(tr.Reconstructed, tr.Deblocked) == 0 && c.qp >= 20 {
			t.Errorf("picture %d: the encoder's filter changed nothing", k)
		}
	}
	t.Logf("macroblock types over %d pictures: %v", c.frames, types)
}

// TestEmuDeblockMatchesEncodeTrace checks the emulated kernels against
// real encodes' stage traces, I and P pictures.
func TestEmuDeblockMatchesEncodeTrace(t *testing.T) {
	for _, c := range deblockTraceCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			compareDeblockTrace(t, newEmuDeblocker(t, c.w, c.h), &c)
		})
	}
}

func newGPUDeblocker(tb testing.TB, ctx *cuda.Context, w, h int) *Deblocker {
	tb.Helper()
	d, err := NewDeblocker(ctx, w, h)
	return closeAtCleanup(tb, d, err)
}

// TestGPUDeblockMatchesGo runs every synthetic case (1080p included) and
// every QP on the GPU against h264's filter.
func TestGPUDeblockMatchesGo(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range deblockCases() {
		t.Run(c.name, func(t *testing.T) {
			compareDeblock(t, newGPUDeblocker(t, ctx, c.w, c.h), &c)
		})
	}
	d := newGPUDeblocker(t, ctx, 64, 64)
	for _, c := range everyQPCases() {
		t.Run(c.name, func(t *testing.T) { compareDeblock(t, d, &c) })
	}
}

// TestGPUDeblockMatchesEncodeTrace is TestEmuDeblockMatchesEncodeTrace on
// the GPU, 1080p included.
func TestGPUDeblockMatchesEncodeTrace(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range deblockTraceCases() {
		t.Run(c.name, func(t *testing.T) {
			compareDeblockTrace(t, newGPUDeblocker(t, ctx, c.w, c.h), &c)
		})
	}
}

// BenchmarkGPUDeblock1080p times the deblocking of a 1080p picture on the
// GPU (upload, the 2·(mbW + 2·mbH − 2) launches, download) and logs the
// median GPU time of upload and filter from CUDA events.
func BenchmarkGPUDeblock1080p(b *testing.B) {
	ctx := gpuContext(b)
	c := deblockCases()[len(deblockCases())-1]
	d := newGPUDeblocker(b, ctx, c.w, c.h)
	gb := d.be.(*gpuBackend)
	rec, traces, mbW, mbH := c.inputs()
	mbs := headers(traces)
	out := h264.NewPicture(16*mbW, 16*mbH)
	for i := 0; i < 3; i++ { // warm-up
		if err := d.Run(rec, mbs, out); err != nil {
			b.Fatal(err)
		}
	}
	gb.timing = true
	stages := map[string][]float64{}
	var order []string
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Run(rec, mbs, out); err != nil {
			b.Fatal(err)
		}
		st, err := gb.stageTimes()
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range st {
			if _, ok := stages[x.Stage]; !ok {
				order = append(order, x.Stage)
			}
			stages[x.Stage] = append(stages[x.Stage], x.Seconds)
		}
	}
	b.StopTimer()
	gb.timing = false
	var sb strings.Builder
	for _, name := range order {
		v := stages[name]
		slices.Sort(v)
		med := v[len(v)/2]
		b.ReportMetric(med*1e3, name+"-ms")
		fmt.Fprintf(&sb, " %s %.3f ms (min %.3f);", name, med*1e3, v[0]*1e3)
	}
	b.Logf("1080p deblocking, one launch of %d rows, GPU medians over %d runs:%s", d.mbH, b.N, sb.String())
}

// BenchmarkGoDeblock1080p times h264's filter (one goroutine, through
// DeblockReference, which also copies the picture) on the same input.
func BenchmarkGoDeblock1080p(b *testing.B) {
	c := deblockCases()[len(deblockCases())-1]
	rec, mbs, mbW, mbH := c.inputs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := h264.DeblockReference(rec, mbW, mbH, mbs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEmuDeblock720p times the C emulation of the kernels (one CPU
// thread), for comparison with the Go filter.
func BenchmarkEmuDeblock720p(b *testing.B) {
	c := deblockCase{w: 1280, h: 720, qpLo: 15, qpHi: 51, step: 12, noise: 2, mvRange: 8, nzProb: 25, seed: 16}
	d := newEmuDeblocker(b, c.w, c.h)
	rec, traces, mbW, mbH := c.inputs()
	mbs := headers(traces)
	out := h264.NewPicture(16*mbW, 16*mbH)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.Run(rec, mbs, out); err != nil {
			b.Fatal(err)
		}
	}
}

var tableRE = regexp.MustCompile(`(?s)DEVICE_CONST uint8_t (db_\w+)\[52\](?:\[3\])? = \{(.*?)\};`)

// TestDeblockTables compares the kernels' constant tables, read from the
// source, with h264's (Tables 8-15, 8-16, 8-17).
func TestDeblockTables(t *testing.T) {
	src, err := kernels.Source("deblock.cu")
	if err != nil { // still in development (kernels/deblock.cu.wip, not embedded)
		if src, err = os.ReadFile("kernels/deblock.cu.wip"); err != nil {
			t.Fatal(err)
		}
	}
	alpha, beta, tc0, qpc := h264.DeblockTables()
	var tc []uint8
	for _, r := range tc0 {
		tc = append(tc, r[:]...)
	}
	want := map[string][]uint8{"db_alpha": alpha[:], "db_beta": beta[:], "db_tc0": tc, "db_chroma_qp": qpc[:]}
	got := map[string][]uint8{}
	for _, m := range tableRE.FindAllStringSubmatch(string(src), -1) {
		var v []uint8
		for _, f := range strings.FieldsFunc(m[2], func(r rune) bool { return r == ',' || r == '{' || r == '}' || r == ' ' || r == '\n' || r == '\t' }) {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("%s: %q", m[1], f)
			}
			v = append(v, uint8(n))
		}
		got[m[1]] = v
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s: kernel %v\n want %v", name, got[name], w)
		}
	}
}

// TestDeblockScheduleLegal checks the row wavefront of deblock_rows
// itself, independently of the kernel's arithmetic. With the samples each
// half of a macroblock touches (DESIGN-deblock.md: V(x, y) rows
// 16y…16y+15, columns 16x−4…16x+15; H(x, y) columns 16x…16x+15, rows
// 16y−4…16y+15; chroma is the same at half scale, so luma decides), every
// two halves that share a sample must be ordered as h264's raster scan
// orders them: by the row's own order, or through the waits. The kernel's
// one wait is H(x, y)'s for row y−1 to finish macroblocks 0…x+lag−1 (lag
// 2); what a half is guaranteed to follow is worked out from the waits it
// comes after, transitively. The check must also be able to fail: with
// lag 1 (H(x, y) after row y−1's macroblock x only) it rejects the
// schedule, since V(x+1, y−1) touches H(x, y)'s corner.
func TestDeblockScheduleLegal(t *testing.T) {
	type half struct{ x, y, h int } // h: 0 vertical edges, 1 horizontal
	rect := func(a half) (x0, x1, y0, y1 int) {
		if a.h == 0 {
			return max(0, 16*a.x-4), 16*a.x + 15, 16 * a.y, 16*a.y + 15
		}
		return 16 * a.x, 16*a.x + 15, max(0, 16*a.y-4), 16*a.y + 15
	}
	overlap := func(a, b half) bool {
		ax0, ax1, ay0, ay1 := rect(a)
		bx0, bx1, by0, by1 := rect(b)
		return ax0 <= bx1 && bx0 <= ax1 && ay0 <= by1 && by0 <= ay1
	}
	raster := func(a half, mbW int) int { return 2*(a.y*mbW+a.x) + a.h }
	// done returns how many macroblocks of row r < b.y are finished for
	// certain when b starts.
	done := func(b half, r, mbW, lag int) int {
		k := 0 // finished macroblocks of row b.y-1
		switch {
		case b.h == 1:
			k = min(b.x+lag, mbW)
		case b.x > 0: // after H(x-1, y) and its wait
			k = min(b.x-1+lag, mbW)
		}
		// Row q finished k >= 1 macroblocks, so H(k-1, q) ran after its
		// wait for row q-1.
		for q := b.y - 1; q > r; q-- {
			if k == 0 {
				return 0
			}
			k = min(k-1+lag, mbW)
		}
		return k
	}
	check := func(mbW, mbH, lag int) string {
		var halves []half
		for y := 0; y < mbH; y++ {
			for x := 0; x < mbW; x++ {
				halves = append(halves, half{x, y, 0}, half{x, y, 1})
			}
		}
		for _, a := range halves {
			for _, b := range halves {
				if raster(a, mbW) >= raster(b, mbW) || !overlap(a, b) || a.y == b.y {
					continue // same row: the warp's own order is raster order
				}
				if a.x >= done(b, a.y, mbW, lag) {
					return fmt.Sprintf("%v may run before %v finishes", b, a)
				}
			}
		}
		return ""
	}
	for _, s := range [][2]int{{1, 1}, {1, 6}, {6, 1}, {2, 3}, {5, 4}, {9, 7}} {
		if msg := check(s[0], s[1], 2); msg != "" {
			t.Errorf("%dx%d: %s", s[0], s[1], msg)
		}
		if s[0] > 1 && s[1] > 1 && check(s[0], s[1], 1) == "" {
			t.Errorf("%dx%d: lag 1 passed the check", s[0], s[1])
		}
	}
}
