package h264cuda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// cavlcCase is a short sequence encoded by h264's Encoder; the entropy
// coder must reproduce each picture's slice from the traced macroblocks.
type cavlcCase struct {
	name    string
	w, h    int
	preset  string
	qp      int // constant QP; -1: the default constant quality (crf 23)
	aq      float64
	content string // "texture" (moving), "static", "noise", "flat", "mixed"
	frames  int
	gop     int
	gpuOnly bool
	seed    uint64
}

func cavlcCases() []cavlcCase {
	return []cavlcCase{
		{name: "1x1", w: 1, h: 1, preset: "medium", qp: 30, content: "noise", frames: 3, seed: 1},
		{name: "16x16-qp0-noise", w: 16, h: 16, preset: "medium", qp: 0, content: "noise", frames: 3, seed: 2},
		{name: "17x9-flat", w: 17, h: 9, preset: "ultrafast", qp: 26, content: "flat", frames: 3, seed: 3},
		{name: "33x47-qp51", w: 33, h: 47, preset: "veryfast", qp: 51, content: "texture", frames: 3, seed: 4},
		{name: "97x71-medium-aq", w: 97, h: 71, preset: "medium", qp: 28, aq: 1, content: "texture", frames: 4, seed: 5},
		{name: "160x96-veryfast-qp34", w: 160, h: 96, preset: "veryfast", qp: 34, content: "texture", frames: 3, seed: 6},
		{name: "128x80-slow-aq2-qp12", w: 128, h: 80, preset: "slow", qp: 12, aq: 2, content: "texture", frames: 3, seed: 7},
		{name: "96x64-static-qp40", w: 96, h: 64, preset: "medium", qp: 40, content: "static", frames: 4, seed: 8},
		{name: "64x48-mixed-qp0", w: 64, h: 48, preset: "fast", qp: 0, content: "mixed", frames: 3, seed: 9},
		{name: "80x48-crf-gop2", w: 80, h: 48, preset: "medium", qp: -1, aq: 1, content: "mixed", frames: 5, gop: 2, seed: 10},
		{name: "352x288-crf-aq", w: 352, h: 288, preset: "medium", qp: -1, aq: 1, content: "texture", frames: 3, seed: 14},
		{name: "48x32-noise-qp6", w: 48, h: 32, preset: "ultrafast", qp: 6, content: "noise", frames: 3, seed: 11},
		{name: "1280x720-medium", w: 1280, h: 720, preset: "medium", qp: 27, aq: 1, content: "texture", frames: 3, seed: 12, gpuOnly: true},
		{name: "1920x1080-veryfast-qp20", w: 1920, h: 1080, preset: "veryfast", qp: 20, content: "mixed", frames: 2, seed: 13, gpuOnly: true},
	}
}

func (c *cavlcCase) options() h264.Options {
	o := h264.Options{Width: c.w, Height: c.h, Preset: c.preset, AQStrength: c.aq, GOP: c.gop, Threads: 2}
	if c.qp >= 0 {
		o.RateControl, o.QP = h264.ConstantQP, c.qp
	}
	return o
}

// frame renders picture k of the case.
func (c *cavlcCase) frame(tex *texture, rng *rand.Rand, k int) *h264.Picture {
	p := h264.NewPicture(c.w, c.h)
	dx, dy := 1.75*float64(k), -1.25*float64(k)
	for y := 0; y < c.h; y++ {
		for x := 0; x < c.w; x++ {
			var v int
			switch c.content {
			case "static":
				v = int(tex.at(float64(x), float64(y)))
			case "noise":
				v = rng.IntN(256)
			case "flat":
				v = 128
			case "mixed": // noise in the left third, moving texture elsewhere
				if x < c.w/3 {
					v = rng.IntN(256)
				} else {
					v = int(tex.at(float64(x)-dx, float64(y)-dy))
				}
			default:
				v = int(tex.at(float64(x)-dx, float64(y)-dy))
			}
			p.Y.Pix[y*p.Y.Stride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for y := 0; y < p.Cb.Height; y++ {
		for x := 0; x < p.Cb.Width; x++ {
			l := int(p.Y.Pix[min(2*y, c.h-1)*p.Y.Stride+min(2*x, c.w-1)])
			cb, cr := 96+l/4+(x+k)%7, 200-l/3+(y*3)%11
			if c.content == "noise" {
				cb, cr = rng.IntN(256), rng.IntN(256)
			}
			p.Cb.Pix[y*p.Cb.Stride+x] = uint8(cb)
			p.Cr.Pix[y*p.Cr.Stride+x] = uint8(cr)
		}
	}
	return p
}

// unescapeRBSP removes emulation_prevention_three_bytes (7.4.1.1) from a
// NAL unit's payload, the slow obvious way.
func unescapeRBSP(nal []byte) []byte {
	var out []byte
	zeros := 0
	for _, b := range nal {
		if zeros >= 2 && b == 3 {
			zeros = 0
			continue
		}
		out = append(out, b)
		if b == 0 {
			zeros++
		} else {
			zeros = 0
		}
	}
	return out
}

// segments downloads the coder's per-segment lengths, skip-run prefix
// lengths and bit strings of the last Run.
func (c *EntropyCoder) segments() (lens, runs []int32, slots []byte, err error) {
	n := c.mbW * c.mbH
	lb, rb := make([]byte, 4*(n+2)), make([]byte, 4*n)
	slots = make([]byte, 4*slotWords*(n+2))
	for _, d := range []struct {
		dst []byte
		off int
	}{{lb, c.off[cpLen]}, {rb, c.off[cpRun]}, {slots, c.off[cpSlots]}} {
		if err := c.be.download(d.dst, d.off); err != nil {
			return nil, nil, nil, err
		}
	}
	if err := c.be.sync(); err != nil {
		return nil, nil, nil, err
	}
	lens, runs = make([]int32, n+2), make([]int32, n)
	for i := range lens {
		lens[i] = int32(binary.LittleEndian.Uint32(lb[4*i:]))
	}
	for i := range runs {
		runs[i] = int32(binary.LittleEndian.Uint32(rb[4*i:]))
	}
	return lens, runs, slots, nil
}

// slotBits returns bits [from, to) of segment s as bytes, MSB first,
// padded with zero bits.
func slotBits(slots []byte, s, from, to int) []byte {
	out := make([]byte, (to-from+7)/8)
	base := 4 * slotWords * s
	for k := from; k < to; k++ {
		// Words are stored little-endian in memory, bit 31 first.
		w := binary.LittleEndian.Uint32(slots[base+4*(k/32):])
		if w>>(31-k%32)&1 != 0 {
			out[(k-from)/8] |= 0x80 >> ((k - from) % 8)
		}
	}
	return out
}

// compareCAVLC encodes the case with EncodeTrace and codes each picture's
// traced macroblocks with c: every macroblock's bit string must equal the
// trace's, the slice RBSP the encoder's slice NAL unit without emulation
// prevention, and the NAL unit made from it the encoder's own.
func compareCAVLC(t *testing.T, cs *cavlcCase, c *EntropyCoder) cavlcCoverage {
	t.Helper()
	var cov cavlcCoverage
	enc, err := h264.NewEncoder(cs.options())
	if err != nil {
		t.Fatal(err)
	}
	tex := newTexture(cs.seed, cs.w, cs.h)
	rng := rand.New(rand.NewPCG(cs.seed, 99))
	sinceIDR, idrs := 0, 0
	var rbsp []byte
	kinds := map[int]int{}
	for k := 0; k < cs.frames; k++ {
		au, tr, err := enc.EncodeTrace(cs.frame(tex, rng, k))
		if err != nil {
			t.Fatal(err)
		}
		if tr.IDR {
			sinceIDR = 0
		}
		hdr, hb := h264.SliceHeaderBits(tr.IDR, sinceIDR, idrs, tr.QP)
		if tr.IDR {
			idrs++
		}
		sinceIDR++
		rbsp, err = c.runTrace(tr.Macroblocks, !tr.IDR, hdr, hb, rbsp)
		if err != nil {
			t.Fatalf("picture %d: %v", k, err)
		}
		lens, runs, slots, err := c.segments()
		if err != nil {
			t.Fatal(err)
		}
		run, bad := 0, 0
		cov.add(tr, lens)
		for i := range tr.Macroblocks {
			kinds[tr.Macroblocks[i].Type]++
			if tr.Macroblocks[i].Type == h264.TracePSkip {
				run++
				if lens[1+i] != 0 {
					t.Errorf("picture %d MB %d: P_Skip wrote %d bits", k, i, lens[1+i])
				}
				continue
			}
			// The prefix is ue(run) in a P slice, nothing in an I slice.
			wantRun := 0
			if !tr.IDR {
				wantRun = 2*bitLen(run+1) - 1
			}
			run = 0
			got := slotBits(slots, 1+i, int(runs[i]), int(lens[1+i]))
			if int(runs[i]) != wantRun || int(lens[1+i]-runs[i]) != tr.BitLens[i] || !bytes.Equal(got, tr.Bits[i]) {
				if bad < 3 {
					t.Errorf("picture %d MB %d (type %d, cbp %d): prefix %d bits (want %d), %d bits\n got  %x\n want %x (%d bits)",
						k, i, tr.Macroblocks[i].Type, tr.Macroblocks[i].CBP, runs[i], wantRun, lens[1+i]-runs[i], got, tr.Bits[i], tr.BitLens[i])
				}
				bad++
			}
		}
		if bad > 0 {
			t.Fatalf("picture %d: %d of %d macroblocks coded differently", k, bad, len(tr.Macroblocks))
		}
		nals, err := h264.SplitAnnexB(au.Data)
		if err != nil || len(nals) == 0 {
			t.Fatalf("picture %d: access unit: %v", k, err)
		}
		nal := nals[len(nals)-1]
		if want := unescapeRBSP(nal[1:]); !bytes.Equal(rbsp, want) {
			i := 0
			for i < min(len(rbsp), len(want)) && rbsp[i] == want[i] {
				i++
			}
			t.Fatalf("picture %d (IDR %v): slice RBSP of %d bytes differs from the encoder's (%d bytes) from byte %d (header %d bits)",
				k, tr.IDR, len(rbsp), len(want), i, hb)
		}
		gotNAL := h264.AppendSliceNAL(nil, tr.IDR, rbsp)
		if !bytes.Equal(gotNAL, append([]byte{0, 0, 0, 1}, nal...)) {
			t.Fatalf("picture %d: NAL unit differs from the encoder's", k)
		}
		h, lv := h264.SplitTrace(tr.Macroblocks)
		payload, err := c.Payload(h, lv, !tr.IDR, hdr, hb, nil)
		if err != nil {
			t.Fatalf("picture %d: payload: %v", k, err)
		}
		if !bytes.Equal(payload, nal[1:]) {
			t.Fatalf("picture %d: payload of %d bytes differs from the encoder's NAL unit's (%d bytes)", k, len(payload), len(nal)-1)
		}
	}
	t.Logf("%d pictures, macroblock types %v, largest |level| %d, longest macroblock %d bits", cs.frames, kinds, cov.maxLevel, cov.maxBits)
	return cov
}

// cavlcCoverage records what the compared pictures exercised.
type cavlcCoverage struct {
	types    [7]int
	maxLevel int
	maxBits  int
	skipTail int // P pictures ending with skipped macroblocks
}

func (c *cavlcCoverage) add(tr *h264.PictureTrace, lens []int32) {
	for i := range tr.Macroblocks {
		m := &tr.Macroblocks[i]
		c.types[m.Type]++
		c.maxBits = max(c.maxBits, int(lens[1+i]))
		for k := 0; k < 16; k++ {
			c.maxLevel = max(c.maxLevel, abs(int(m.LumaDC[k])))
			for j := 0; j < 16; j++ {
				c.maxLevel = max(c.maxLevel, abs(int(m.Luma[k][j])))
			}
		}
	}
	if !tr.IDR && tr.Macroblocks[len(tr.Macroblocks)-1].Type == h264.TracePSkip {
		c.skipTail++
	}
}

func (c *cavlcCoverage) merge(o cavlcCoverage) {
	for i := range c.types {
		c.types[i] += o.types[i]
	}
	c.maxLevel = max(c.maxLevel, o.maxLevel)
	c.maxBits = max(c.maxBits, o.maxBits)
	c.skipTail += o.skipTail
}

// check (called when every case ran and passed) fails the test unless every
// macroblock type, levels that need
// the level_prefix 15 escape at every suffixLength (|level| > 15·2^5) and
// a slice ending in skipped macroblocks were seen.
func (c *cavlcCoverage) check(t *testing.T) {
	t.Helper()
	for typ, n := range c.types {
		if n == 0 {
			t.Errorf("no macroblock of type %d in the cases", typ)
		}
	}
	if c.maxLevel <= 15<<5 {
		t.Errorf("largest |level| %d: the level_prefix 15 escape at suffixLength 6 is not exercised", c.maxLevel)
	}
	if c.skipTail == 0 {
		t.Error("no P slice ends with skipped macroblocks")
	}
	t.Logf("coverage: types %v, largest |level| %d, longest macroblock %d bits (segment %d), %d slices ending in skips",
		c.types, c.maxLevel, c.maxBits, 32*slotWords, c.skipTail)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func bitLen(v int) int {
	n := 0
	for ; v > 0; v >>= 1 {
		n++
	}
	return n
}

func newEmuCoder(t *testing.T, o h264.Options) *EntropyCoder {
	t.Helper()
	c, err := newEntropyCoder(&emuBackend{}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestEmuCAVLCMatchesEncodeTrace runs the emulated entropy coding kernels
// on real encodes' traced macroblocks (I and P pictures, sizes from 1x1,
// QP 0 to 51, skip-only, noise and moving content) and compares every
// macroblock's bits and every slice with the encoder's output.
func TestEmuCAVLCMatchesEncodeTrace(t *testing.T) {
	var cov cavlcCoverage
	ran, want := 0, 0
	for _, cs := range cavlcCases() {
		if cs.gpuOnly {
			continue
		}
		want++
		t.Run(cs.name, func(t *testing.T) {
			ran++
			cov.merge(compareCAVLC(t, &cs, newEmuCoder(t, cs.options())))
		})
	}
	if ran == want && !t.Failed() {
		cov.check(t)
	}
}

// TestEmuCAVLCConsts reads the layout constants and the code tables back
// from the kernels (cavlc_consts) and compares them with the Go copy of
// the layout and with package h264's tables (Tables 9-4, 9-5, 9-7, 9-8,
// 9-9a and 9-10).
func TestEmuCAVLCConsts(t *testing.T) {
	c := newEmuCoder(t, h264.Options{Width: 16, Height: 16})
	checkCAVLCConsts(t, c)
}

func checkCAVLCConsts(t *testing.T, c *EntropyCoder) {
	c.writeParams(false)
	if err := c.be.upload(0, c.params); err != nil {
		t.Fatal(err)
	}
	if err := c.be.launch("cavlc_consts", 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	raw := make([]byte, 4*constsWords)
	if err := c.be.download(raw, c.off[cpOut]); err != nil {
		t.Fatal(err)
	}
	if err := c.be.sync(); err != nil {
		t.Fatal(err)
	}
	got := make([]int, constsWords)
	for i := range got {
		got[i] = int(int32(binary.LittleEndian.Uint32(raw[4*i:])))
	}
	layout := []int{cpCount, cpRec, cpSlots, cpLen, cpRun, cpOff, cpChunk, cpOut, cpStatus, cpMBW, cpMBH, cpPSlice,
		slotWords, cavlcChunk, crType, crI16, crChroma, crCBP, crQPD, crI4, crPartMV, crMV, crNZ, crNZC,
		crLumaDC, clLuma, clCDC, clCAC, crWords, constsWords, h264.TracePSkip, h264.TraceI16x16,
		cpLevels, crSlot, cpHostLv, clWords, cpEsc, escBytes, cpEscGroup, escGroup}
	if !slices.Equal(got[:constsLay], layout) {
		t.Fatalf("layout constants of cavlc.h\n got  %v\n want %v", got[:constsLay], layout)
	}
	var want []int
	vlc := func(v h264.VLC) { want = append(want, int(v.Code), v.Len) }
	for tab := 0; tab < 5; tab++ {
		for t1 := 0; t1 < 4; t1++ {
			for tc := 0; tc <= 16; tc++ {
				vlc(h264.CoeffTokenVLC(tab, t1, tc))
			}
		}
	}
	for i := 0; i < 16; i++ {
		for z := 0; z < 16; z++ {
			vlc(h264.TotalZerosVLC(false, i, z))
		}
	}
	for i := 0; i < 4; i++ {
		for z := 0; z < 4; z++ {
			vlc(h264.TotalZerosVLC(true, i, z))
		}
	}
	for i := 0; i < 8; i++ {
		for r := 0; r < 15; r++ {
			vlc(h264.RunBeforeVLC(i, r))
		}
	}
	for _, intra := range []bool{true, false} {
		for cbp := 0; cbp < 48; cbp++ {
			want = append(want, h264.CBPCodeNum(intra, cbp))
		}
	}
	names := []struct {
		name string
		n    int
	}{{"Table 9-5", 5 * 4 * 17 * 2}, {"Tables 9-7/9-8", 16 * 16 * 2}, {"Table 9-9a", 4 * 4 * 2}, {"Table 9-10", 8 * 15 * 2}, {"Table 9-4", 96}}
	at := 0
	for _, nm := range names {
		g, w := got[constsLay+at:constsLay+at+nm.n], want[at:at+nm.n]
		if !slices.Equal(g, w) {
			t.Errorf("%s differs from package h264's", nm.name)
		}
		at += nm.n
	}
	if at != len(want) || constsLay+at != constsWords {
		t.Fatalf("table sizes: %d + %d words, %d expected", constsLay, at, constsWords)
	}
}

// TestEmuCAVLCErrors checks the typed errors: wrong input, a level the
// syntax cannot code (ErrBitValue), use after Close; and that a failed
// picture leaves the coder usable.
func TestEmuCAVLCErrors(t *testing.T) {
	cs := cavlcCases()[5] // 160x96
	cs.frames = 1
	o := cs.options()
	c := newEmuCoder(t, o)
	enc, err := h264.NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	_, tr, err := enc.EncodeTrace(cs.frame(newTexture(1, cs.w, cs.h), rand.New(rand.NewPCG(1, 2)), 0))
	if err != nil {
		t.Fatal(err)
	}
	hdr, hb := h264.SliceHeaderBits(true, 0, 0, tr.QP)
	if _, err := c.runTrace(tr.Macroblocks[1:], false, hdr, hb, nil); !errors.Is(err, ErrInput) {
		t.Errorf("short macroblock list: %v", err)
	}
	mbs, lv := h264.SplitTrace(tr.Macroblocks)
	if _, err := c.Run(mbs, lv[1:], false, hdr, hb, nil); !errors.Is(err, ErrInput) {
		t.Errorf("short level list: %v", err)
	}
	if _, err := c.runTrace(tr.Macroblocks, false, hdr, 0, nil); !errors.Is(err, ErrInput) {
		t.Errorf("empty header: %v", err)
	}
	bad := slices.Clone(tr.Macroblocks)
	bad[3].Type = h264.TraceP16x16
	if _, err := c.runTrace(bad, false, hdr, hb, nil); !errors.Is(err, ErrInput) {
		t.Errorf("inter macroblock in an I slice: %v", err)
	}
	// A level beyond what level_prefix 15 can code.
	bad = slices.Clone(tr.Macroblocks)
	found := false
	for i := range bad {
		if bad[i].Type == h264.TraceI4x4 && bad[i].CBP&1 != 0 {
			bad[i].Luma[0][0], bad[i].TotalCoeff[0] = 30000, max(bad[i].TotalCoeff[0], 1)
			found = true
			break
		}
		if bad[i].Type == h264.TraceI16x16 {
			bad[i].LumaDC[0] = 30000
			found = true
			break
		}
	}
	if !found {
		t.Fatal("no intra macroblock with luma levels in the picture")
	}
	if _, err := c.runTrace(bad, false, hdr, hb, nil); !errors.Is(err, h264.ErrBitValue) {
		t.Errorf("level 30000: %v, want ErrBitValue", err)
	}
	if _, err := c.runTrace(tr.Macroblocks, false, hdr, hb, nil); err != nil {
		t.Errorf("after a failed picture: %v", err)
	}
	c.Close()
	if _, err := c.runTrace(tr.Macroblocks, false, hdr, hb, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after Close: %v", err)
	}
}

// TestEmuCAVLCAllocs checks that coding a picture allocates nothing once
// the output buffer is large enough.
func TestEmuCAVLCAllocs(t *testing.T) {
	cs := cavlcCases()[4]
	cs.frames = 2
	o := cs.options()
	c := newEmuCoder(t, o)
	enc, err := h264.NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	tex, rng := newTexture(3, cs.w, cs.h), rand.New(rand.NewPCG(3, 4))
	if _, _, err := enc.EncodeTrace(cs.frame(tex, rng, 0)); err != nil {
		t.Fatal(err)
	}
	_, tr, err := enc.EncodeTrace(cs.frame(tex, rng, 1))
	if err != nil {
		t.Fatal(err)
	}
	hdr, hb := h264.SliceHeaderBits(false, 1, 0, tr.QP)
	mbs, lv := h264.SplitTrace(tr.Macroblocks)
	buf, err := c.Run(mbs, lv, true, hdr, hb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a := testing.AllocsPerRun(5, func() {
		if _, err := c.Run(mbs, lv, true, hdr, hb, buf); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Run allocates %v times per picture", a)
	}
}

func newGPUCoder(tb testing.TB, ctx *cuda.Context, o h264.Options) *EntropyCoder {
	tb.Helper()
	c, err := NewEntropyCoder(ctx, o)
	return closeAtCleanup(tb, c, err)
}

// TestGPUCAVLCMatchesEncodeTrace is TestEmuCAVLCMatchesEncodeTrace on the
// GPU, 720p and 1080p included, with the constants and tables read back
// from the device.
func TestGPUCAVLCMatchesEncodeTrace(t *testing.T) {
	ctx := gpuContext(t)
	t.Run("consts", func(t *testing.T) { checkCAVLCConsts(t, newGPUCoder(t, ctx, h264.Options{Width: 16, Height: 16})) })
	var cov cavlcCoverage
	ran := 0
	for _, cs := range cavlcCases() {
		t.Run(cs.name, func(t *testing.T) {
			ran++
			cov.merge(compareCAVLC(t, &cs, newGPUCoder(t, ctx, cs.options())))
		})
	}
	if ran == len(cavlcCases()) && !t.Failed() {
		cov.check(t)
	}
}

// BenchmarkGPUCAVLC1080p times the entropy coding of a 1080p I picture and
// of the P picture after it (medium preset, crf 23, moving texture with a
// noisy third) on the GPU, and logs the median GPU time of each stage
// from CUDA events (upload of the records, macroblock kernel, scan, pack,
// emulation prevention, download), as the encoder runs it (Payload).
func BenchmarkGPUCAVLC1080p(b *testing.B) {
	ctx := gpuContext(b)
	trs, o := cavlcBenchPictures(b)
	c := newGPUCoder(b, ctx, o)
	gb := c.be.(*gpuBackend)
	for k, tr := range trs {
		name := "I"
		if !tr.IDR {
			name = "P"
		}
		b.Run(name, func(b *testing.B) {
			hdr, hb := h264.SliceHeaderBits(tr.IDR, k, 0, tr.QP)
			mbs, lv := h264.SplitTrace(tr.Macroblocks)
			buf, err := c.Run(mbs, lv, !tr.IDR, hdr, hb, nil)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 3; i++ { // warm-up
				if buf, err = c.Payload(mbs, lv, !tr.IDR, hdr, hb, buf); err != nil {
					b.Fatal(err)
				}
			}
			stages := map[string][]float64{}
			var order []string
			gb.timing = true
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if buf, err = c.Payload(mbs, lv, !tr.IDR, hdr, hb, buf); err != nil {
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
			var total float64
			for _, s := range order {
				v := stages[s]
				slices.Sort(v)
				med := v[len(v)/2]
				total += med
				b.ReportMetric(med*1e3, s+"-ms")
				fmt.Fprintf(&sb, " %s %.3f ms;", s, med*1e3)
			}
			b.ReportMetric(total*1e3, "gpu-ms")
			b.Logf("1080p %s picture (%d bytes), GPU stage medians over %d runs:%s total %.3f ms (scan includes the 8-byte status read-back and the host relaunching pack)",
				name, len(buf), b.N, sb.String(), total*1e3)
		})
	}
}

// randomRecords makes n macroblocks of random types, modes, vectors
// (small and extreme), cbp, mb_qp_delta and levels (sparse and dense,
// ±1 runs and magnitudes up to the encoder's clamp of 2063), each
// TotalCoeff matching its levels.
func randomRecords(rng *rand.Rand, n int, pSlice bool) []h264.MacroblockTrace {
	mbs := make([]h264.MacroblockTrace, n)
	level := func(dense bool) int16 {
		p := 0.15
		if dense {
			p = 0.8
		}
		if rng.Float64() > p {
			return 0
		}
		var v int
		switch r := rng.IntN(10); {
		case r < 5:
			v = 1
		case r < 8:
			v = 1 + rng.IntN(20)
		case r < 9:
			v = 1 + rng.IntN(600)
		default:
			v = 2063 - rng.IntN(4)
		}
		if rng.IntN(2) == 0 {
			v = -v
		}
		return int16(v)
	}
	fill := func(b *[16]int16, from int, dense bool) uint8 {
		nz := uint8(0)
		for k := from; k < 16; k++ {
			b[k] = level(dense)
			if b[k] != 0 {
				nz++
			}
		}
		return nz
	}
	for i := range mbs {
		m := &mbs[i]
		if pSlice {
			m.Type = []int{h264.TraceI4x4, h264.TraceI16x16, h264.TraceP16x16, h264.TraceP16x8, h264.TraceP8x16,
				h264.TraceP8x8, h264.TracePSkip, h264.TracePSkip, h264.TracePSkip}[rng.IntN(9)]
			if rng.IntN(8) == 0 && i > 0 { // runs of skips
				m.Type = h264.TracePSkip
			}
		} else {
			m.Type = rng.IntN(2)
		}
		m.I16Mode, m.ChromaMode = rng.IntN(4), rng.IntN(4)
		for k := range m.I4Modes {
			m.I4Modes[k] = uint8(rng.IntN(9))
		}
		if m.Type >= h264.TraceP16x16 {
			for p := range m.PartMV {
				r := 64
				if rng.IntN(10) == 0 {
					r = 8000
				}
				m.PartMV[p] = h264.MV{X: int16(rng.IntN(2*r+1) - r), Y: int16(rng.IntN(2*r+1) - r)}
			}
			for r := 0; r < 16; r++ {
				bx, by := r&3, r>>2
				p := 0
				switch m.Type {
				case h264.TraceP16x8:
					p = by >> 1
				case h264.TraceP8x16:
					p = bx >> 1
				case h264.TraceP8x8:
					p = (by>>1)*2 + bx>>1
				}
				m.MV[r] = m.PartMV[p]
			}
		}
		if m.Type == h264.TracePSkip {
			continue
		}
		dense := rng.IntN(3) == 0
		m.QPDelta = rng.IntN(52) - 26
		cbpL := rng.IntN(16)
		if m.Type == h264.TraceI16x16 {
			cbpL = 15 * rng.IntN(2)
			fill(&m.LumaDC, 0, dense)
		}
		cbpC := rng.IntN(3)
		m.CBP = cbpL | cbpC<<4
		for r := 0; r < 16; r++ {
			if cbpL&(1<<((r>>3)<<1|(r&3)>>1)) == 0 {
				continue
			}
			if m.Type == h264.TraceI16x16 {
				m.TotalCoeff[r] = fill(&m.Luma[r], 1, dense)
			} else {
				m.TotalCoeff[r] = fill(&m.Luma[r], 0, dense)
			}
		}
		if cbpC > 0 {
			for c := 0; c < 2; c++ {
				for k := 0; k < 4; k++ {
					m.ChromaDC[c][k] = level(dense)
				}
			}
		}
		if cbpC == 2 {
			for c := 0; c < 2; c++ {
				for k := 0; k < 4; k++ {
					m.ChromaTC[c][k] = fill(&m.ChromaAC[c][k], 1, dense)
				}
			}
		}
	}
	return mbs
}

// TestEmuCAVLCRandomRecords codes random macroblocks (every type, extreme
// levels and vectors, arbitrary headers of 1 to 300 bits) and compares
// with h264.SliceDataReference, the encoder's own stage 4 and
// concatenation run on the same records.
func TestEmuCAVLCRandomRecords(t *testing.T) {
	compareRandomRecords(t, func(o h264.Options) *EntropyCoder { return newEmuCoder(t, o) })
}

// TestGPUCAVLCRandomRecords is TestEmuCAVLCRandomRecords on the GPU.
func TestGPUCAVLCRandomRecords(t *testing.T) {
	ctx := gpuContext(t)
	compareRandomRecords(t, func(o h264.Options) *EntropyCoder { return newGPUCoder(t, ctx, o) })
}

// escapeCases are RBSPs for the emulation prevention kernels: random
// bytes where zeros and values up to 3 abound (up to several groups of
// chunks long), zero runs of every length up to 9 before each small value,
// runs across the kernels' chunks and groups, and runs longer than a
// chunk.
func escapeCases() [][]byte {
	rng := rand.New(rand.NewPCG(3, 7))
	var cases [][]byte
	group := escGroup * escBytes
	for _, n := range []int{1, 2, 3, 4, 5, escBytes - 1, escBytes, escBytes + 1, 3*escBytes + 17, 20 * escBytes, group, 2*group + 5*escBytes + 3} {
		b := make([]byte, n)
		for i := range b {
			if rng.IntN(3) != 0 {
				b[i] = byte(rng.IntN(5))
			} else {
				b[i] = byte(rng.IntN(256))
			}
		}
		cases = append(cases, b)
	}
	var runs []byte
	for z := 0; z <= 9; z++ {
		for v := 0; v <= 4; v++ {
			runs = append(runs, 0x80)
			runs = append(runs, make([]byte, z)...)
			runs = append(runs, byte(v))
		}
	}
	cases = append(cases, runs)
	for _, at := range []int{escBytes - 2, escBytes - 1, escBytes, escBytes + 1, group - 1, group, group + 1} {
		b := bytes.Repeat([]byte{0x55}, group+2*escBytes)
		for k := 0; k < 3; k++ {
			b[at-2+k] = 0
		}
		b[at+1] = 1
		cases = append(cases, b)
	}
	long := append(make([]byte, 3*escBytes+5), 1, 0, 0, 2, 0, 0)
	return append(cases, long, append([]byte{7}, long...))
}

// checkEscape runs the emulation prevention kernels of c on each case,
// uploaded where cavlc_pack leaves the RBSP, and compares the payload
// with h264's NAL unit; an RBSP whose payload overflows the coder's
// buffer must give ErrBitValue.
func checkEscape(t *testing.T, c *EntropyCoder) {
	c.writeParams(false)
	if err := c.be.upload(0, c.params); err != nil {
		t.Fatal(err)
	}
	escapes := 0
	for k, rbsp := range escapeCases() {
		if err := c.be.upload(c.off[cpOut], rbsp); err != nil {
			t.Fatal(err)
		}
		got, err := c.escape(len(rbsp), nil)
		if err != nil {
			t.Fatalf("case %d (%d bytes): %v", k, len(rbsp), err)
		}
		want := h264.AppendSliceNAL(nil, false, rbsp)[5:]
		if !bytes.Equal(got, want) {
			i := 0
			for i < min(len(got), len(want)) && got[i] == want[i] {
				i++
			}
			t.Fatalf("case %d (%d bytes): payload of %d bytes, want %d; first difference at byte %d", k, len(rbsp), len(got), len(want), i)
		}
		escapes += len(want) - len(rbsp)
	}
	// All zeros: the payload would be half as long again as the segment
	// area; nothing may be written past it (the buffer after it keeps a
	// pattern).
	full := make([]byte, len(c.out))
	after := bytes.Repeat([]byte{0xa5}, c.off[cpLen+1]-c.off[cpLen])
	for _, u := range []struct {
		b   []byte
		off int
	}{{full, c.off[cpOut]}, {after, c.off[cpLen]}} {
		if err := c.be.upload(u.off, u.b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.escape(len(full), nil); !errors.Is(err, h264.ErrBitValue) {
		t.Fatalf("%d zero bytes (the payload overflows): error %v, want ErrBitValue", len(full), err)
	}
	got := make([]byte, len(after))
	if err := c.be.download(got, c.off[cpLen]); err != nil {
		t.Fatal(err)
	}
	if err := c.be.sync(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, after) {
		t.Fatal("an overflowing payload was written past the segment area")
	}
	t.Logf("%d cases, %d emulation prevention bytes", len(escapeCases()), escapes)
}

// TestEmuEscapeMatchesGo checks the emulated emulation prevention kernels
// against h264's on RBSPs made to need many escapes.
func TestEmuEscapeMatchesGo(t *testing.T) {
	checkEscape(t, newEmuCoder(t, h264.Options{Width: 160, Height: 96}))
}

// TestGPUEscapeMatchesGo is TestEmuEscapeMatchesGo on the GPU.
func TestGPUEscapeMatchesGo(t *testing.T) {
	checkEscape(t, newGPUCoder(t, gpuContext(t), h264.Options{Width: 160, Height: 96}))
}

// runTrace is Run on the headers and levels of mbs.
func (c *EntropyCoder) runTrace(mbs []h264.MacroblockTrace, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	h, lv := h264.SplitTrace(mbs)
	return c.Run(h, lv, pSlice, header, headerBits, dst)
}

// headers returns the headers of mbs.
func headers(mbs []h264.MacroblockTrace) []h264.MacroblockHeader {
	h, _ := h264.SplitTrace(mbs)
	return h
}

// joinTrace puts headers h and levels lv (none when nil) together as
// traces.
func joinTrace(h []h264.MacroblockHeader, lv []h264.MacroblockLevels) []h264.MacroblockTrace {
	t := make([]h264.MacroblockTrace, len(h))
	for i := range h {
		t[i].MacroblockHeader = h[i]
		if lv != nil {
			t[i].MacroblockLevels = lv[i]
		}
	}
	return t
}

func compareRandomRecords(t *testing.T, newCoder func(h264.Options) *EntropyCoder) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, sz := range [][2]int{{1, 1}, {2, 1}, {1, 3}, {5, 4}, {11, 7}, {40, 2}} {
		c := newCoder(h264.Options{Width: 16 * sz[0], Height: 16 * sz[1]})
		for pic := 0; pic < 12; pic++ {
			pSlice := pic%3 != 0
			mbs := randomRecords(rng, sz[0]*sz[1], pSlice)
			hb := 1 + rng.IntN(300)
			hdr := make([]byte, (hb+7)/8)
			for k := range hdr {
				hdr[k] = byte(rng.Uint32())
			}
			want, wantBits, wantLens, err := h264.SliceDataReference(sz[0], sz[1], mbs, pSlice, hdr, hb)
			if err != nil {
				t.Fatalf("%dx%d picture %d: reference: %v", sz[0], sz[1], pic, err)
			}
			got, err := c.runTrace(mbs, pSlice, hdr, hb, nil)
			if err != nil {
				t.Fatalf("%dx%d picture %d: %v", sz[0], sz[1], pic, err)
			}
			lens, runs, slots, err := c.segments()
			if err != nil {
				t.Fatal(err)
			}
			for i := range mbs {
				if mbs[i].Type == h264.TracePSkip {
					continue
				}
				b := slotBits(slots, 1+i, int(runs[i]), int(lens[1+i]))
				if int(lens[1+i]-runs[i]) != wantLens[i] || !bytes.Equal(b, wantBits[i]) {
					t.Fatalf("%dx%d picture %d MB %d (%+v):\n got  %x (%d bits)\n want %x (%d bits)", sz[0], sz[1], pic, i,
						mbs[i], b, lens[1+i]-runs[i], wantBits[i], wantLens[i])
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%dx%d picture %d: slice of %d bytes differs from the reference's %d", sz[0], sz[1], pic, len(got), len(want))
			}
		}
	}
}

// TestCAVLCPTXKernels checks that cavlc.ptx defines every kernel the
// coder launches (skipped while the stage's source is cavlc.cu.wip and
// has no PTX yet).
func TestCAVLCPTXKernels(t *testing.T) {
	ptx, err := kernels.PTX("cavlc")
	if errors.Is(err, kernels.ErrNotFound) {
		t.Skip("no cavlc.ptx yet: the kernels are kernels/cavlc.cu.wip until scripts/gen-ptx.sh cavlc runs")
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range cavlcKernels {
		if !strings.Contains(ptx, ".entry "+k+"(") {
			t.Errorf("cavlc.ptx has no kernel %s", k)
		}
	}
}

// BenchmarkGoSliceDataReference1080p times h264's stage 4 and
// concatenation on one goroutine (h264.SliceDataReference, which also
// copies every macroblock's bits) on the pictures of
// BenchmarkGPUCAVLC1080p, for comparison.
func BenchmarkGoSliceDataReference1080p(b *testing.B) {
	trs, _ := cavlcBenchPictures(b)
	for k, tr := range trs {
		b.Run([]string{"I", "P"}[k], func(b *testing.B) {
			hdr, hb := h264.SliceHeaderBits(tr.IDR, k, 0, tr.QP)
			for i := 0; i < b.N; i++ {
				if _, _, _, err := h264.SliceDataReference(tr.MBWidth, tr.MBHeight, tr.Macroblocks, !tr.IDR, hdr, hb); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// cavlcBenchPictures encodes the two 1080p pictures of the CAVLC
// benchmarks (an I picture and the P picture after it; medium preset,
// crf 23 with adaptive quantisation, moving texture with a noisy third).
func cavlcBenchPictures(b *testing.B) ([]*h264.PictureTrace, h264.Options) {
	b.Helper()
	cs := cavlcCase{w: 1920, h: 1080, preset: "medium", qp: -1, aq: 1, content: "mixed", seed: 21}
	o := cs.options()
	o.Threads = 0
	enc, err := h264.NewEncoder(o)
	if err != nil {
		b.Fatal(err)
	}
	tex, rng := newTexture(cs.seed, cs.w, cs.h), rand.New(rand.NewPCG(cs.seed, 1))
	var trs []*h264.PictureTrace
	for k := 0; k < 2; k++ {
		_, tr, err := enc.EncodeTrace(cs.frame(tex, rng, k))
		if err != nil {
			b.Fatal(err)
		}
		trs = append(trs, tr)
	}
	return trs, o
}
