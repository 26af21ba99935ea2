package h264cuda

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// TestEmuLookaheadLayout checks lookahead.go's copy of lookahead.h, and
// that the plane's margin holds the search range, the block and 8 as
// h264's does.
func TestEmuLookaheadLayout(t *testing.T) {
	for name, v := range map[string]int{
		"LA_SRC": laSrc, "LA_LOW": laLow, "LA_PREV": laPrev, "LA_OUT": laOut, "LA_PREV_OUT": laPrevOut,
		"LA_MBW": laMBW, "LA_MBH": laMBH, "LA_COUNT": laCount,
		"LA_INTRA": laIntra, "LA_INTER": laInter, "LA_MV": laMV, "LA_FRAC": laFrac, "LA_WORDS": laWords,
		"LA_MARGIN": laMargin,
	} {
		if got := cemu.MotionConst(name); got != v {
			t.Errorf("%s = %d in lookahead.h, %d in lookahead.go", name, got, v)
		}
	}
	if r, b := cemu.MotionConst("LA_RANGE"), cemu.MotionConst("LA_BLOCK"); laMargin != r+b+8 {
		t.Errorf("margin %d, want range %d + block %d + 8", laMargin, r, b)
	}
}

// laClip is a sequence for the lookahead comparisons: an encClip's
// moving texture, or random samples in every picture (noise).
type laClip struct {
	encClip
	noise bool
}

func (c *laClip) pictures() []*h264.Picture {
	if !c.noise {
		return c.encClip.pictures()
	}
	r := rand.New(rand.NewPCG(c.seed, 7))
	out := make([]*h264.Picture, c.frames)
	for k := range out {
		p := h264.NewPicture(c.w, c.h)
		for _, pl := range []*h264.Plane{&p.Y, &p.Cb, &p.Cr} {
			for i := range pl.Pix {
				pl.Pix[i] = uint8(r.Uint32())
			}
		}
		out[k] = p
	}
	return out
}

// laClips: one macroblock, a row and a column of them, odd sizes, motion
// far beyond the search range (the vectors clamp), a still clip (every
// SAD at the zero vector is 0), a scene cut and noise; on a GPU 720p and
// 1080p too.
func laClips(gpu bool) []laClip {
	cs := []laClip{
		{encClip: encClip{name: "16x16", w: 16, h: 16, frames: 3, dx: 1.5, dy: -0.75, seed: 70}},
		{encClip: encClip{name: "97x71", w: 97, h: 71, frames: 5, dx: 2.25, dy: 1.5, seed: 71}},
		{encClip: encClip{name: "320x16-row", w: 320, h: 16, frames: 4, dx: -3.5, seed: 72}},
		{encClip: encClip{name: "16x160-column", w: 16, h: 160, frames: 4, dy: 5.25, seed: 73}},
		{encClip: encClip{name: "176x144-beyond-range", w: 176, h: 144, frames: 4, dx: 61.5, dy: -37.25, seed: 74}},
		{encClip: encClip{name: "128x96-still", w: 128, h: 96, frames: 3, seed: 75}},
		{encClip: encClip{name: "160x96-scene-cut", w: 160, h: 96, frames: 5, dx: 1, dy: 1, cut: 2, seed: 76}},
		{encClip: encClip{name: "64x48-noise", w: 64, h: 48, frames: 3, seed: 77}, noise: true},
	}
	if gpu {
		cs = append(cs,
			laClip{encClip: encClip{name: "1280x720", w: 1280, h: 720, frames: 4, dx: 4.5, dy: -2.25, seed: 78}},
			laClip{encClip: encClip{name: "1920x1080", w: 1920, h: 1080, frames: 4, dx: -7.5, dy: 3.25, cut: 3, seed: 79}},
		)
	}
	return cs
}

// paddedPicture returns p padded to whole macroblocks as h264's source
// load pads it (padReference).
func paddedPicture(p *h264.Picture) *h264.Picture {
	pw, ph := (p.Y.Width+15)&^15, (p.Y.Height+15)&^15
	out := h264.NewPicture(pw, ph)
	b := padReference(p)
	n := 0
	for _, pl := range []*h264.Plane{&out.Y, &out.Cb, &out.Cr} {
		for y := 0; y < pl.Height; y++ {
			n += copy(pl.Pix[y*pl.Stride:y*pl.Stride+pl.Width], b[n:])
		}
	}
	return out
}

// compareLookahead runs the stage over c's pictures and compares every
// picture's costs with h264.LookaheadReference's.
func compareLookahead(t *testing.T, l *lookaheadStage, c *laClip) {
	t.Helper()
	pics := c.pictures()
	want, err := h264.LookaheadReference(c.w, c.h, pics, 2)
	if err != nil {
		t.Fatal(err)
	}
	n := l.mbW * l.mbH
	moved := 0
	for k, p := range pics {
		got := h264.LookaheadCosts{Intra: make([]int32, n), Inter: make([]int32, n), MV: make([]h264.MV, n), Frac: make([]uint32, n)}
		if err := l.analyse(paddedPicture(p), k == 0, got); err != nil {
			t.Fatal(err)
		}
		w := want[k]
		for i := range n {
			if got.Intra[i] != w.Intra[i] || got.Inter[i] != w.Inter[i] || got.MV[i] != w.MV[i] || got.Frac[i] != w.Frac[i] {
				t.Fatalf("picture %d, macroblock %d (%d, %d): intra %d inter %d vector %v fraction %d, h264 %d %d %v %d",
					k, i, i%l.mbW, i/l.mbW, got.Intra[i], got.Inter[i], got.MV[i], got.Frac[i], w.Intra[i], w.Inter[i], w.MV[i], w.Frac[i])
			}
			if got.MV[i] != (h264.MV{}) {
				moved++
			}
		}
	}
	if c.dx != 0 || c.dy != 0 {
		if moved == 0 {
			t.Fatalf("no macroblock found a vector: the search was not exercised")
		}
	}
}

// TestEmuLookaheadMatchesGo runs lookahead.cu through the C emulation over
// laClips and compares each picture's costs and vectors with h264's.
func TestEmuLookaheadMatchesGo(t *testing.T) {
	for _, c := range laClips(false) {
		t.Run(c.name, func(t *testing.T) {
			l, err := newLookaheadStage(&emuBackend{}, c.w, c.h, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer l.close()
			compareLookahead(t, l, &c)
		})
	}
}

// TestEmuLookaheadTies searches content that repeats every 8
// half-resolution samples across, moved by 4 between the pictures, from
// previous vectors chosen among (±4, 0) and (±12, 0) (written into the
// stage's device memory, and given to h264.LookaheadStep): many
// candidates then have the same SAD, and a vector of the same length as
// the best so far must not replace it.
func TestEmuLookaheadTies(t *testing.T) {
	const w, h = 192, 128
	r := rand.New(rand.NewPCG(80, 1))
	var column [8][h / 2]uint8
	for x := range column {
		for y := range column[x] {
			column[x][y] = uint8(r.Uint32())
		}
	}
	picture := func(shift int) *h264.Picture {
		p := h264.NewPicture(w, h)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p.Y.Pix[y*p.Y.Stride+x] = column[((x+shift)>>1)&7][y>>1]
			}
		}
		return p
	}
	prev, cur := picture(0), picture(8)
	l, err := newLookaheadStage(&emuBackend{}, w, h, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	n := l.mbW * l.mbH
	out := h264.LookaheadCosts{Intra: make([]int32, n), Inter: make([]int32, n), MV: make([]h264.MV, n), Frac: make([]uint32, n)}
	for round := range 4 {
		if err := l.analyse(paddedPicture(prev), true, out); err != nil {
			t.Fatal(err)
		}
		// The previous picture's vectors, as if its own search had found
		// them: the stage reads them from the results it keeps.
		prevMV := make([]h264.MV, n)
		words := make([]byte, 4*laWords*n)
		arena := l.be.(*emuBackend).arena
		if err := arena.Read(words, l.offOut[l.cur^1]); err != nil {
			t.Fatal(err)
		}
		for i := range prevMV {
			prevMV[i] = h264.MV{X: int16([4]int{-4, 4, -12, 12}[r.IntN(4)])}
			binary.LittleEndian.PutUint32(words[4*(laWords*i+laMV):], uint32(uint16(prevMV[i].X)))
		}
		if err := arena.Write(l.offOut[l.cur^1], words); err != nil {
			t.Fatal(err)
		}
		want, err := h264.LookaheadStep(w, h, cur, prev, prevMV, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.analyse(paddedPicture(cur), false, out); err != nil {
			t.Fatal(err)
		}
		ties := 0
		for i := range n {
			if out.MV[i] != want.MV[i] || out.Inter[i] != want.Inter[i] {
				t.Fatalf("round %d, macroblock %d: vector %v inter %d, h264 %v %d", round, i, out.MV[i], out.Inter[i], want.MV[i], want.Inter[i])
			}
			if want.MV[i].X == -prevMV[i].X {
				ties++
			}
		}
		if ties == 0 {
			t.Fatalf("round %d: no macroblock chose another vector than its own previous one of the same length", round)
		}
	}
}

// TestEmuLookaheadErrors: a picture of the wrong size, results of the
// wrong length, a search with no previous picture, and a closed stage
// give typed errors.
func TestEmuLookaheadErrors(t *testing.T) {
	l, err := newLookaheadStage(&emuBackend{}, 40, 24, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 3 * 2
	out := h264.LookaheadCosts{Intra: make([]int32, n), Inter: make([]int32, n), MV: make([]h264.MV, n), Frac: make([]uint32, n)}
	for name, call := range map[string]func() error{
		"unpadded picture": func() error { return l.analyse(h264.NewPicture(40, 24), true, out) },
		"short results": func() error {
			short := out
			short.MV = short.MV[:n-1]
			return l.analyse(h264.NewPicture(48, 32), true, short)
		},
		"no previous picture": func() error { return l.analyse(h264.NewPicture(48, 32), false, out) },
	} {
		if err := call(); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
	if err := l.analyse(h264.NewPicture(48, 32), true, out); err != nil {
		t.Fatal(err)
	}
	if err := l.close(); err != nil {
		t.Fatal(err)
	}
	if err := l.analyse(h264.NewPicture(48, 32), false, out); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v, want ErrClosed", err)
	}
	if _, err := newLookaheadStage(&emuBackend{}, 0, 16, 0); !errors.Is(err, ErrInput) {
		t.Errorf("0x16 pictures: %v, want ErrInput", err)
	}
}

// TestEmuEncoderLookaheadOnDevice: with a lookahead, every picture's
// analysis runs on the kernels (the streams still equal h264_go's,
// compareEncoders); without one there is no lookahead stage.
func TestEmuEncoderLookaheadOnDevice(t *testing.T) {
	cs := encClips()
	i := slices.IndexFunc(cs, func(c encClip) bool { return c.o.Lookahead > 0 })
	c := cs[i]
	e := emuEncoder(t, c.options(), allStages)
	compareEncoders(t, &c, e)
	if e.st.lookaheadPictures != c.frames {
		t.Errorf("%s: %d pictures analysed on the device, want %d", c.name, e.st.lookaheadPictures, c.frames)
	}
	if e := emuEncoder(t, cs[0].options(), allStages); e.st.la != nil {
		t.Errorf("%s (no lookahead): the encoder made a lookahead stage", cs[0].name)
	}
}

// TestGPULookaheadMatchesGo is TestEmuLookaheadMatchesGo on the GPU, 720p
// and 1080p included.
func TestGPULookaheadMatchesGo(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range laClips(true) {
		t.Run(c.name, func(t *testing.T) {
			be, err := newGPUBackend(ctx, "lookahead", lookaheadKernels)
			if err != nil {
				t.Fatal(err)
			}
			l, err := newLookaheadStage(be, c.w, c.h, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer l.close()
			compareLookahead(t, l, &c)
		})
	}
}

// BenchmarkGPULookahead1080p times the analysis of one 1080p picture on
// the GPU (upload of the luma, both kernels, download of the costs);
// compare with h264's BenchmarkLookaheadAnalysis1080p (Go, all cores).
func BenchmarkGPULookahead1080p(b *testing.B) {
	ctx := gpuContext(b)
	c := laClip{encClip: encClip{w: 1920, h: 1080, frames: 2, dx: -7.5, dy: 3.25, seed: 79}}
	pics := c.pictures()
	be, err := newGPUBackend(ctx, "lookahead", lookaheadKernels)
	if err != nil {
		b.Fatal(err)
	}
	be.timing = true
	l, err := newLookaheadStage(be, c.w, c.h, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer l.close()
	n := l.mbW * l.mbH
	out := h264.LookaheadCosts{Intra: make([]int32, n), Inter: make([]int32, n), MV: make([]h264.MV, n), Frac: make([]uint32, n)}
	padded := []*h264.Picture{paddedPicture(pics[0]), paddedPicture(pics[1])}
	if err := l.analyse(padded[0], true, out); err != nil {
		b.Fatal(err)
	}
	sum := map[string]float64{}
	b.ResetTimer()
	for k := 0; k < b.N; k++ {
		if err := l.analyse(padded[(k+1)%2], false, out); err != nil {
			b.Fatal(err)
		}
		ts, err := be.stageTimes()
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range ts {
			sum[t.Stage] += t.Seconds
		}
	}
	b.StopTimer()
	for _, s := range []string{"upload", "down", "analyse", "download"} {
		b.ReportMetric(sum[s]/float64(b.N)*1e3, s+"-ms")
	}
}

// TestEmuLookaheadKeepsSources checks the ring of source luma planes the
// analysis keeps for the motion search: sourceFor finds a picture's plane
// with its luma until the ring reuses it, a pinned plane is not written
// (the analysis takes the scratch plane), and a picture analysed again
// (the encoder reuses its pictures) is found only in its new plane.
func TestEmuLookaheadKeepsSources(t *testing.T) {
	const w, h = 32, 32
	be := &uploadHook{emuBackend: &emuBackend{}}
	l, err := newLookaheadStage(be, w, h, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	n := l.mbW * l.mbH
	out := h264.LookaheadCosts{Intra: make([]int32, n), Inter: make([]int32, n), MV: make([]h264.MV, n), Frac: make([]uint32, n)}
	pics := make([]*h264.Picture, 4)
	for k := range pics {
		pics[k] = h264.NewPicture(w, h)
		for i := range pics[k].Y.Pix {
			pics[k].Y.Pix[i] = uint8(17*k + i)
		}
	}
	first := true
	analyse := func(p *h264.Picture) {
		t.Helper()
		if err := l.analyse(p, first, out); err != nil {
			t.Fatal(err)
		}
		first = false
	}
	// found checks whether p's plane is found and, if so, holds p's luma;
	// it returns the release when keep is set.
	found := func(p *h264.Picture, want, keep bool) func() {
		t.Helper()
		addr, release, ok := l.sourceFor(p)
		if ok != want {
			t.Fatalf("picture %p found %v, want %v", p, ok, want)
		}
		if !ok {
			return nil
		}
		got := make([]byte, w*h)
		if err := be.download(got, int(addr-l.base)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, p.Y.Pix[:w*h]) {
			t.Fatal("the kept plane does not hold the picture's luma")
		}
		if keep {
			return release
		}
		release()
		return nil
	}
	analyse(pics[0])
	analyse(pics[1])
	found(pics[0], true, false)
	found(pics[1], true, false)
	release := found(pics[0], true, true) // pinned: the next analysis must not write it
	found(pics[0], false, false)          // nor may another search pin it
	analyse(pics[2])                      // the ring's turn is pics[0]'s plane: the scratch plane instead
	release()
	found(pics[0], true, false)
	found(pics[2], false, false)
	// While pics[3] uploads into pics[1]'s plane, pics[1] is found
	// nowhere (the search would copy half of each).
	be.hook = func() { found(pics[1], false, false) }
	analyse(pics[3]) // pics[1]'s plane
	be.hook = nil
	found(pics[1], false, false)
	found(pics[3], true, false)
	for round := range 2 { // new content in the same picture: the other plane each time
		for i := range pics[3].Y.Pix {
			pics[3].Y.Pix[i] ^= 0x5a + byte(round)
		}
		analyse(pics[3])
		found(pics[3], true, false)
	}
	found(pics[0], false, false)
}

// uploadHook is an emulated backend that calls hook, when set, before
// each upload.
type uploadHook struct {
	*emuBackend
	hook func()
}

func (b *uploadHook) upload(off int, src []byte) error {
	if b.hook != nil {
		b.hook()
	}
	return b.emuBackend.upload(off, src)
}
