package h264cuda

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// encClip is a short sequence for the whole-encoder comparisons: a texture
// moving by (dx, dy) per picture, replaced by another texture from picture
// cut on (a scene cut) when cut > 0.
type encClip struct {
	name    string
	w, h    int
	frames  int
	dx, dy  float64
	cut     int
	seed    uint64
	o       h264.Options // Width and Height are set from w, h
	gpuOnly bool         // too slow for the C emulation in CI
}

func (c *encClip) options() h264.Options {
	o := c.o
	o.Width, o.Height = c.w, c.h
	return o
}

// pictures renders the clip (chroma follows the luma, with its own
// pattern, so chroma residuals are not trivially zero).
func (c *encClip) pictures() []*h264.Picture {
	texA, texB := newTexture(c.seed, c.w, c.h), newTexture(c.seed+1000, c.w, c.h)
	out := make([]*h264.Picture, c.frames)
	for k := range out {
		tex := texA
		if c.cut > 0 && k >= c.cut {
			tex = texB
		}
		p := h264.NewPicture(c.w, c.h)
		for y := 0; y < c.h; y++ {
			for x := 0; x < c.w; x++ {
				v := tex.at(float64(x)-c.dx*float64(k), float64(y)-c.dy*float64(k))
				if tex == texB {
					// Another scene: a smooth ramp, which intra prediction
					// predicts far better than the old texture does.
					v = 20 + float64(215*(2*x+y))/float64(2*c.w+c.h)
				}
				p.Y.Pix[y*p.Y.Stride+x] = uint8(min(max(math.Round(v), 0), 255))
			}
		}
		for y := 0; y < p.Cb.Height; y++ {
			for x := 0; x < p.Cb.Width; x++ {
				l := int(p.Y.Pix[min(2*y, c.h-1)*p.Y.Stride+min(2*x, c.w-1)])
				p.Cb.Pix[y*p.Cb.Stride+x] = uint8(96 + l/4 + (x+k)%7)
				p.Cr.Pix[y*p.Cr.Stride+x] = uint8(200 - l/3 + (y*3)%11)
			}
		}
		out[k] = p
	}
	return out
}

// encClips covers odd sizes, every preset, the three rate controls,
// adaptive quantisation on and off, fast motion, a scene cut and slices
// with emulation prevention bytes; the
// gpuOnly ones add 720p and 1080p.
func encClips() []encClip {
	var cs []encClip
	for i, p := range []string{"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"} {
		cs = append(cs, encClip{name: "80x48-" + p, w: 80, h: 48, frames: 4, dx: 1.25, dy: -0.5, seed: uint64(40 + i),
			o: h264.Options{Preset: p, RateControl: h264.ConstantQP, QP: 20 + 3*i, AQStrength: float64(i%3) * 0.75}})
	}
	return append(cs,
		encClip{name: "97x71-crf-aq", w: 97, h: 71, frames: 5, dx: 2.25, dy: 1.5, seed: 51,
			o: h264.Options{Threads: 3}},
		encClip{name: "33x17-qp-noaq", w: 33, h: 17, frames: 4, dx: -0.75, dy: 0.5, seed: 52,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 30, AQStrength: -1, Threads: 2}},
		encClip{name: "80x64-abr-vbv", w: 80, h: 64, frames: 6, dx: 1.5, dy: 0.75, seed: 53,
			o: h264.Options{RateControl: h264.AverageBitrate, Bitrate: 200_000, MaxRate: 300_000, BufSize: 300_000, Preset: "veryfast"}},
		encClip{name: "112x80-fast-motion", w: 112, h: 80, frames: 4, dx: 9.75, dy: -6.25, seed: 54,
			o: h264.Options{Preset: "slow", CRF: 26}},
		encClip{name: "160x96-scene-cut", w: 160, h: 96, frames: 5, dx: 1, dy: 1, cut: 3, seed: 55,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 26}},
		encClip{name: "64x48-gop2-qp4", w: 64, h: 48, frames: 5, dx: 0.5, dy: -1.25, seed: 56,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 4, GOP: 2, AQStrength: 1.5}},
		// QP 0: long level_prefix codes, hence emulation prevention bytes
		// in three of the slices.
		encClip{name: "64x48-qp0-escapes", w: 64, h: 48, frames: 4, dx: 1.5, dy: -0.75, seed: 63,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 0}},
		encClip{name: "96x64-lookahead3-qp", w: 96, h: 64, frames: 6, dx: 0.75, dy: 0.25, seed: 60,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 27, Lookahead: 3, Threads: 2}},
		encClip{name: "81x47-lookahead8-crf-gop3", w: 81, h: 47, frames: 7, dx: -1.5, dy: 0.5, seed: 61,
			o: h264.Options{Preset: "veryfast", GOP: 3, Lookahead: 8}},
		encClip{name: "1280x720-medium-crf", w: 1280, h: 720, frames: 4, dx: 4.5, dy: -2.25, seed: 57, gpuOnly: true,
			o: h264.Options{}},
		encClip{name: "1920x1080-veryfast-abr", w: 1920, h: 1080, frames: 4, dx: -7.5, dy: 3.25, cut: 3, seed: 58, gpuOnly: true,
			o: h264.Options{Preset: "veryfast", RateControl: h264.AverageBitrate, Bitrate: 8_000_000}},
		encClip{name: "1919x1079-slow-qp-aq", w: 1919, h: 1079, frames: 3, dx: 12.25, dy: 5.5, seed: 59, gpuOnly: true,
			o: h264.Options{Preset: "slow", RateControl: h264.ConstantQP, QP: 24, AQStrength: 1}},
		encClip{name: "1280x720-lookahead4-qp", w: 1280, h: 720, frames: 6, dx: 2.5, dy: -1, seed: 62, gpuOnly: true,
			o: h264.Options{RateControl: h264.ConstantQP, QP: 26, Lookahead: 4}},
	)
}

// encoderUnderTest is what compareEncoders drives: Encoder or a plain
// h264.Encoder with an accelerator.
type encoderUnderTest interface {
	Encode(*h264.Picture) (h264.AccessUnit, error)
	Flush() (h264.AccessUnit, bool, error)
	Reconstruction() *h264.Picture
	Headers() (sps, pps []byte)
}

func equalPictures(a, b *h264.Picture) bool {
	for i, pa := range []*h264.Plane{&a.Y, &a.Cb, &a.Cr} {
		pb := []*h264.Plane{&b.Y, &b.Cb, &b.Cr}[i]
		if pa.Width != pb.Width || pa.Height != pb.Height {
			return false
		}
		for y := 0; y < pa.Height; y++ {
			if !bytes.Equal(pa.Pix[y*pa.Stride:y*pa.Stride+pa.Width], pb.Pix[y*pb.Stride:y*pb.Stride+pb.Width]) {
				return false
			}
		}
	}
	return true
}

// compareEncoders encodes the clip with h264's Go encoder and with got:
// every access unit (bytes and fields) and every reconstruction must be
// equal. It fails a clip that exercises nothing (no P picture, no inter
// macroblock, or for a scene-cut clip no second IDR picture), and returns
// the number of P pictures.
func compareEncoders(t *testing.T, c *encClip, got encoderUnderTest) (pframes int) {
	t.Helper()
	want, err := h264.NewEncoder(c.options())
	if err != nil {
		t.Fatal(err)
	}
	ws, wp := want.Headers()
	gs, gp := got.Headers()
	if !bytes.Equal(ws, gs) || !bytes.Equal(wp, gp) {
		t.Fatal("SPS/PPS differ")
	}
	inter, idrs := 0, 0
	pics := c.pictures()
	for k := 0; k < len(pics)+c.o.Lookahead; k++ {
		var wa, ga h264.AccessUnit
		if k < len(pics) {
			if wa, err = want.Encode(pics[k]); err != nil {
				t.Fatal(err)
			}
			if ga, err = got.Encode(pics[k]); err != nil {
				t.Fatalf("picture %d: %v", k, err)
			}
		} else {
			var wok, gok bool
			if wa, wok, err = want.Flush(); err != nil {
				t.Fatal(err)
			}
			if ga, gok, err = got.Flush(); err != nil || gok != wok {
				t.Fatalf("flush: %v, %v (Go: %v)", gok, err, wok)
			}
			if !wok {
				break
			}
		}
		if wa.Data == nil && ga.Data == nil && k < c.o.Lookahead {
			continue // both held back
		}
		if !bytes.Equal(wa.Data, ga.Data) {
			i := 0
			for i < min(len(wa.Data), len(ga.Data)) && wa.Data[i] == ga.Data[i] {
				i++
			}
			t.Fatalf("picture %d: access units differ from byte %d (lengths %d, %d; Go %+v)", k, i, len(wa.Data), len(ga.Data),
				h264.AccessUnit{Keyframe: wa.Keyframe, QP: wa.QP, Intra: wa.Intra, Inter: wa.Inter, Skip: wa.Skip})
		}
		if wa.Keyframe != ga.Keyframe || wa.FrameNum != ga.FrameNum || wa.QP != ga.QP || wa.Intra != ga.Intra || wa.Inter != ga.Inter || wa.Skip != ga.Skip {
			t.Fatalf("picture %d: access unit fields %+v, want %+v", k, ga, wa)
		}
		if !equalPictures(want.Reconstruction(), got.Reconstruction()) {
			t.Fatalf("picture %d: reconstructions differ", k)
		}
		if wa.Keyframe {
			idrs++
		} else {
			pframes++
			inter += wa.Inter + wa.Skip
		}
	}
	if pframes == 0 || inter == 0 {
		t.Fatalf("the encClip exercises no inter coding (%d P pictures, %d inter macroblocks)", pframes, inter)
	}
	if c.cut > 0 && idrs < 2 {
		t.Fatalf("the scene cut at picture %d was not coded as IDR", c.cut)
	}
	t.Logf("%d pictures identical (%d P, %d IDR, %d inter/skip macroblocks)", c.frames, pframes, idrs, inter)
	return pframes
}

// allStages puts every kernel stage of an Encoder on the (emulated) GPU.
var allStages = gpuStages{inter: true, cavlc: true, deblock: true, intra: true}

// stageSplits are the splits between kernels and Go the encoder tests
// cover (stages 1 and 2 always on the kernels).
var stageSplits = []struct {
	name string
	g    gpuStages
}{
	{"all", allStages},
	{"all-but-intra", gpuStages{inter: true, cavlc: true, deblock: true}},
	{"inter", gpuStages{inter: true}},
	{"inter-cavlc", gpuStages{inter: true, cavlc: true}},
	{"inter-deblock", gpuStages{inter: true, deblock: true}},
	{"cavlc-deblock", gpuStages{cavlc: true, deblock: true}},
	{"none", gpuStages{}},
}

// TestDefaultStages: DefaultStages reports NewEncoder's split, and the
// default keeps the inter reconstruction on the GPU.
func TestDefaultStages(t *testing.T) {
	d := DefaultStages()
	if got := (gpuStages{inter: d.Inter, cavlc: d.Entropy, deblock: d.Deblock, intra: d.Intra}); got != defaultStages || !d.Inter {
		t.Fatalf("DefaultStages() = %+v, NewEncoder uses %+v", d, defaultStages)
	}
}

// checkStages fails unless e runs exactly the optional stages of g on the
// kernels.
func checkStages(t *testing.T, e *Encoder, g gpuStages) {
	t.Helper()
	if got := (gpuStages{inter: e.InterOnGPU(), cavlc: e.EntropyOnGPU(), deblock: e.DeblockOnGPU(), intra: e.IntraOnGPU(), stagedPictures: g.stagedPictures}); got != g {
		t.Fatalf("stages on the kernels: %+v, want %+v", got, g)
	}
}

func emuEncoder(t *testing.T, o h264.Options, g gpuStages) *Encoder {
	t.Helper()
	e, err := newEncoder(o, func(string, []string) (backend, error) { return &emuBackend{}, nil }, g)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// TestEmuEncoderMatchesGo runs Encoder on the emulated kernels against
// h264_go with every split of stageSplits (stages 3-inter, 4 and 5 each
// on the kernels or in Go), the inter reconstruction reading the source
// and reference the other stages uploaded, once uploading its own, and
// once with the skip probe's records made by the host.
func TestEmuEncoderMatchesGo(t *testing.T) {
	for _, c := range encClips() {
		if c.gpuOnly {
			continue
		}
		for _, sp := range stageSplits {
			t.Run(c.name+"/"+sp.name, func(t *testing.T) {
				e := emuEncoder(t, c.options(), sp.g)
				checkStages(t, e, sp.g)
				compareEncoders(t, &c, e)
			})
		}
		t.Run(c.name+"/inter-uploaded", func(t *testing.T) {
			e := emuEncoder(t, c.options(), allStages)
			e.st.shareInputs = false
			compareEncoders(t, &c, e)
		})
		t.Run(c.name+"/probe-records-from-host", func(t *testing.T) {
			e := emuEncoder(t, c.options(), gpuStages{inter: true})
			enc, err := h264.NewEncoderWith(c.options(), probeRecordsFromHost{e.st.accelerator().(h264.ProbeAccelerator)})
			if err != nil {
				t.Fatal(err)
			}
			compareEncoders(t, &c, enc)
		})
	}
}

// probeRecordsFromHost hides every optional interface of an accelerator
// but h264.ProbeAccelerator's, SkipVectorProber's included, so that the
// encoder makes the skip probe's records itself (ProbeSkips).
type probeRecordsFromHost struct{ h264.ProbeAccelerator }

// TestEmuEncoderSharesPlanes checks that the stages read the planes
// already on the device instead of uploading them again (the reference
// the deblocker wrote, the source luma the search uploaded), and that
// the bytes stay h264_go's either way (compareEncoders).
func TestEmuEncoderSharesPlanes(t *testing.T) {
	c := encClips()[5] // 80x48-medium: an I picture, then P pictures
	for _, share := range []bool{true, false} {
		e := emuEncoder(t, c.options(), allStages)
		e.st.shareInputs = share
		compareEncoders(t, &c, e)
		// Each P picture: the search's reference luma, the decision's
		// source luma and the inter stage's reference chroma at least.
		if min := 4 * (c.frames - 1); share && e.st.sharedPlanes < min {
			t.Errorf("%d plane uploads skipped over %d P pictures, want at least %d", e.st.sharedPlanes, c.frames-1, min)
		}
		t.Logf("sharing %v: %d plane uploads skipped", share, e.st.sharedPlanes)
		if !share && (e.st.sharedPlanes != 0 || e.st.prefetches != 0) {
			t.Errorf("sharing off: %d plane uploads skipped, %d chroma uploads queued early", e.st.sharedPlanes, e.st.prefetches)
		}
		if share && e.st.prefetches != c.frames-1 {
			t.Errorf("%d chroma uploads queued during the search over %d P pictures", e.st.prefetches, c.frames-1)
		}
	}
}

// TestEmuEncoderLookaheadSources checks that with a lookahead every
// motion search of a P picture copies its source luma from the plane the
// lookahead's analysis left on the device (sourceFor) instead of
// uploading it, with the stream still h264_go's, and that with sharing
// off the search uploads it (TestEmuLookaheadKeepsSources checks the
// ring itself).
func TestEmuEncoderLookaheadSources(t *testing.T) {
	for _, c := range encClips() {
		if c.o.Lookahead == 0 || c.gpuOnly {
			continue
		}
		for _, share := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/share=%v", c.name, share), func(t *testing.T) {
				e := emuEncoder(t, c.options(), allStages)
				e.st.shareInputs = share
				pframes := compareEncoders(t, &c, e)
				want := 0
				if share {
					want = pframes
				}
				if e.st.lookaheadSources != want {
					t.Errorf("%d of %d P pictures' searches copied their source from the lookahead, want %d", e.st.lookaheadSources, pframes, want)
				}
			})
		}
	}
}

// TestEmuEncoderOwnsPictures: the h264 encoder's own pictures (source,
// reconstruction, reference; with a lookahead, whose pictures are the
// sources, the last two) are the Encoder's (AllocPicture), which the
// stages upload and download without staging copies; with stagedPictures
// they are Go memory, staged, and the stream is the same.
func TestEmuEncoderOwnsPictures(t *testing.T) {
	c := encClips()[5] // 80x48-medium
	for _, staged := range []bool{false, true} {
		for _, lookahead := range []int{0, 2} {
			cl := c
			cl.o.Lookahead = lookahead
			g := allStages
			g.stagedPictures = staged
			e := emuEncoder(t, cl.options(), g)
			compareEncoders(t, &cl, e)
			want := 0
			if !staged {
				want = 3 * 3 // source, reconstruction, reference: three planes each
				if lookahead > 0 {
					want = 2 * 3 // the lookahead's pictures are the sources
				}
			}
			if n := len(e.st.owned.planes); n != want {
				t.Errorf("staged %v, lookahead %d: %d planes owned, want %d", staged, lookahead, n, want)
			}
		}
	}
}

// TestEmuEncoderKeepsLevels: with the inter stage and the entropy coder
// both on the GPU, every P picture's levels go from one to the other on
// the device, and with the deblocking there too the inter samples (the
// streams still equal h264_go's); with either in Go they come back to the
// host.
func TestEmuEncoderKeepsLevels(t *testing.T) {
	c := encClips()[5] // 80x48-medium: an I picture, then P pictures
	for _, s := range stageSplits {
		e := emuEncoder(t, c.options(), s.g)
		compareEncoders(t, &c, e)
		want := 0
		if s.g.inter && s.g.cavlc {
			want = c.frames - 1
		}
		if e.st.keptPictures != want {
			t.Errorf("%s: %d pictures kept their levels on the device, want %d", s.name, e.st.keptPictures, want)
		}
		if !s.g.deblock {
			want = 0
		}
		if e.st.keptSamples != want {
			t.Errorf("%s: %d pictures kept their inter samples on the device, want %d", s.name, e.st.keptSamples, want)
		}
	}
}

// refAccel is an h264.Accelerator made of h264's exported stage
// references (a new Go search and decision per call): it checks the hook
// itself, independently of the kernels.
type refAccel struct {
	o     h264.Options
	cfg   h264.MotionConfig
	prior []h264.MacroblockTrace
	calls int
}

func (a *refAccel) Motion(cur, ref *h264.Picture, prev []h264.MV, qp int, out []h264.MotionMB) error {
	a.calls++
	snap, err := h264.MotionSearchReference(a.cfg, cur, ref, prev, qp)
	if err != nil {
		return err
	}
	copy(out, snap.MBs)
	return nil
}

func (a *refAccel) Decide(src *h264.Picture, field []h264.MotionMB, qp int, qpOffset []int8, pSlice bool, out []h264.Decision) error {
	a.calls++
	dec, err := h264.DecisionReference(a.o, src, field, qp, qpOffset, pSlice, a.prior)
	if err != nil {
		return err
	}
	a.prior = dec
	for i, d := range dec {
		out[i] = h264.Decision{Type: d.Type, I16Mode: d.I16Mode, ChromaMode: d.ChromaMode, QP: d.QP, I4Modes: d.I4Modes, PartMV: d.PartMV, MV: d.MV}
	}
	return nil
}

// TestAcceleratorHookMatchesGo drives h264.NewEncoderWith with the Go
// references as accelerator: the copies into the encoder's records must
// reproduce h264_go exactly (scene cut and QP changes included).
func TestAcceleratorHookMatchesGo(t *testing.T) {
	for _, c := range encClips() {
		if c.gpuOnly || (c.w == 80 && c.h == 48 && c.name != "80x48-medium") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			cfg, err := h264.MotionConfigFor(c.options())
			if err != nil {
				t.Fatal(err)
			}
			a := &refAccel{o: c.options(), cfg: cfg}
			enc, err := h264.NewEncoderWith(c.options(), a)
			if err != nil {
				t.Fatal(err)
			}
			compareEncoders(t, &c, enc)
			if a.calls < c.frames {
				t.Fatalf("the accelerator was called %d times for %d pictures", a.calls, c.frames)
			}
		})
	}
}

// refPostAccel is refAccel with stages 4 and 5 from h264's exported
// references (SliceDataReference, DeblockReference): it checks the
// DeblockAccelerator and EntropyAccelerator hooks independently of the
// kernels. fail makes the named stage fail.
type refPostAccel struct {
	refAccel
	mbW, mbH         int
	slices, deblocks int
	fail             string
}

func (a *refPostAccel) SliceData(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	a.slices++
	if a.fail == "slice" {
		return nil, errBroken
	}
	rbsp, _, _, err := h264.SliceDataReference(a.mbW, a.mbH, joinTrace(mbs, lv), pSlice, header, headerBits)
	return append(dst[:0], rbsp...), err
}

func (a *refPostAccel) Deblock(rec *h264.Picture, mbs []h264.MacroblockHeader) error {
	a.deblocks++
	if a.fail == "deblock" {
		return errBroken
	}
	out, err := h264.DeblockReference(rec, a.mbW, a.mbH, joinTrace(mbs, nil))
	if err != nil {
		return err
	}
	for i, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
		src := []*h264.Plane{&out.Y, &out.Cb, &out.Cr}[i]
		for y := 0; y < pl.Height; y++ {
			copy(pl.Pix[y*pl.Stride:y*pl.Stride+pl.Width], src.Pix[y*src.Stride:])
		}
	}
	return nil
}

func newRefPostAccel(t *testing.T, o h264.Options) *refPostAccel {
	cfg := mustMotionConfig(t, o)
	return &refPostAccel{refAccel: refAccel{o: o, cfg: cfg}, mbW: cfg.Width / 16, mbH: cfg.Height / 16}
}

// refPayloadAccel is refPostAccel that also escapes the slice
// (h264.SlicePayloadAccelerator), with h264's own NAL framing.
type refPayloadAccel struct{ *refPostAccel }

func (a refPayloadAccel) SlicePayload(mbs []h264.MacroblockHeader, lv []h264.MacroblockLevels, pSlice bool, header []byte, headerBits int, dst []byte) ([]byte, error) {
	rbsp, err := a.SliceData(mbs, lv, pSlice, header, headerBits, nil)
	if err != nil {
		return nil, err
	}
	return append(dst[:0], h264.AppendSliceNAL(nil, !pSlice, rbsp)[5:]...), nil
}

// TestPostAcceleratorHookMatchesGo drives h264.NewEncoderWith with an
// accelerator that also implements DeblockAccelerator and
// EntropyAccelerator (h264's references), and one that is also a
// SlicePayloadAccelerator: the encoder must hand them the final
// macroblocks, the reconstruction and the slice header so that the stream
// and the reconstruction stay h264_go's, and call them for every picture.
func TestPostAcceleratorHookMatchesGo(t *testing.T) {
	for _, c := range encClips() {
		if c.gpuOnly || (c.w == 80 && c.h == 48 && c.name != "80x48-veryslow") {
			continue
		}
		for _, payload := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/payload=%v", c.name, payload), func(t *testing.T) {
				a := newRefPostAccel(t, c.options())
				var acc h264.Accelerator = a
				if payload {
					acc = refPayloadAccel{a}
				}
				enc, err := h264.NewEncoderWith(c.options(), acc)
				if err != nil {
					t.Fatal(err)
				}
				compareEncoders(t, &c, enc)
				if a.slices != c.frames || a.deblocks != c.frames {
					t.Fatalf("SliceData called %d times, Deblock %d times, for %d pictures", a.slices, a.deblocks, c.frames)
				}
			})
		}
	}
}

var errBroken = errors.New("broken stage")

// brokenAccel returns impossible decisions.
type brokenAccel struct{}

func (brokenAccel) Motion(_, _ *h264.Picture, _ []h264.MV, _ int, _ []h264.MotionMB) error {
	return nil
}

func (brokenAccel) Decide(_ *h264.Picture, _ []h264.MotionMB, _ int, _ []int8, _ bool, out []h264.Decision) error {
	for i := range out {
		out[i] = h264.Decision{Type: h264.TracePSkip, QP: 26}
	}
	return nil
}

// TestAcceleratorErrors checks that a failing or lying accelerator gives
// an error matching h264.ErrAccelerator (and the stage's own error), not
// a stream, and that the encoder stays unusable afterwards.
func TestAcceleratorErrors(t *testing.T) {
	c := encClips()[0]
	pics := c.pictures()
	enc, err := h264.NewEncoderWith(c.options(), brokenAccel{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(pics[0]); !errors.Is(err, h264.ErrAccelerator) {
		t.Fatalf("I picture with an invalid decision (P_Skip): error %v, want ErrAccelerator", err)
	}
	enc, err = h264.NewEncoderWith(c.options(), &motionFails{refAccel{o: c.options(), cfg: mustMotionConfig(t, c.options())}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Encode(pics[0]); err != nil {
		t.Fatal(err)
	}
	_, err = enc.Encode(pics[1])
	if !errors.Is(err, h264.ErrAccelerator) || !errors.Is(err, errBroken) {
		t.Fatalf("P picture with a failing motion search: error %v, want ErrAccelerator wrapping the stage's", err)
	}
	if _, err := enc.Encode(pics[2]); !errors.Is(err, h264.ErrClosed) {
		t.Fatalf("after a failure: %v, want ErrClosed", err)
	}
	for _, stage := range []string{"slice", "deblock"} {
		a := newRefPostAccel(t, c.options())
		a.fail = stage
		enc, err := h264.NewEncoderWith(c.options(), a)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enc.Encode(pics[0]); !errors.Is(err, h264.ErrAccelerator) || !errors.Is(err, errBroken) {
			t.Fatalf("failing %s stage: error %v, want ErrAccelerator wrapping the stage's", stage, err)
		}
	}
}

// motionFails is refAccel whose motion search fails.
type motionFails struct{ refAccel }

func (*motionFails) Motion(_, _ *h264.Picture, _ []h264.MV, _ int, _ []h264.MotionMB) error {
	return errBroken
}

func mustMotionConfig(t *testing.T, o h264.Options) h264.MotionConfig {
	t.Helper()
	cfg, err := h264.MotionConfigFor(o)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestEmuEncoderErrors: options are validated as h264's, and a closed
// encoder refuses to encode.
func TestEmuEncoderErrors(t *testing.T) {
	_, err := newEncoder(h264.Options{Width: 0, Height: 16}, func(string, []string) (backend, error) { return &emuBackend{}, nil }, allStages)
	var oe *h264.OptionError
	if !errors.As(err, &oe) {
		t.Fatalf("invalid options: %v, want an *h264.OptionError", err)
	}
	e := emuEncoder(t, h264.Options{Width: 32, Height: 32}, allStages)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Encode(h264.NewPicture(32, 32)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode after Close: %v, want ErrClosed", err)
	}
	if _, err := e.EncodeDevice(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("EncodeDevice after Close: %v, want ErrClosed", err)
	}
}

// TestAvailable: without a GPU, Available and NewEncoder say so with
// ErrUnavailable; with one, an encoder opens.
func TestAvailable(t *testing.T) {
	err := Available()
	if err != nil {
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Available: %v does not match ErrUnavailable", err)
		}
		if _, nerr := NewEncoder(0, h264.Options{Width: 16, Height: 16}); !errors.Is(nerr, ErrUnavailable) {
			t.Fatalf("NewEncoder without a GPU: %v, want ErrUnavailable", nerr)
		}
		if _, nerr := NewEncoderStages(0, h264.Options{Width: 16, Height: 16}, DefaultStages()); !errors.Is(nerr, ErrUnavailable) {
			t.Fatalf("NewEncoderStages without a GPU: %v, want ErrUnavailable", nerr)
		}
		t.Logf("no GPU here: %v", err)
		return
	}
	e, err := NewEncoder(0, h264.Options{Width: 16, Height: 16})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

func gpuEncoder(t testing.TB, o h264.Options) *Encoder {
	t.Helper()
	gpuContext(t) // skips without a GPU
	e, err := NewEncoder(0, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	return e
}

// TestGPUEncoderMatchesGo is TestEmuEncoderMatchesGo on the GPU, 720p and
// 1080p included, with every stage the GPU has PTX for (embedded or from
// H264CUDA_PTX_DIR) on the GPU.
func TestGPUEncoderMatchesGo(t *testing.T) {
	gpuContext(t) // skips without a GPU
	for _, c := range encClips() {
		t.Run(c.name, func(t *testing.T) {
			e, err := NewEncoderStages(0, c.options(), DefaultStages())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := e.Close(); err != nil {
					t.Error(err)
				}
			})
			t.Logf("on the GPU: inter reconstruction %v, entropy coding %v, deblocking %v, intra reconstruction %v",
				e.InterOnGPU(), e.EntropyOnGPU(), e.DeblockOnGPU(), e.IntraOnGPU())
			compareEncoders(t, &c, e)
		})
	}
}

// TestGPUEncoderStageSplits is TestGPUEncoderMatchesGo for every split of
// stageSplits on a few clips (odd size, scene cut, 720p).
func TestGPUEncoderStageSplits(t *testing.T) {
	gpuContext(t) // skips without a GPU
	for _, c := range encClips() {
		if c.name != "97x71-crf-aq" && c.name != "160x96-scene-cut" && c.name != "1280x720-medium-crf" {
			continue
		}
		for _, sp := range stageSplits {
			t.Run(c.name+"/"+sp.name, func(t *testing.T) {
				e, err := NewEncoderStages(0, c.options(), Stages{Inter: sp.g.inter, Entropy: sp.g.cavlc, Deblock: sp.g.deblock, Intra: sp.g.intra})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if err := e.Close(); err != nil {
						t.Error(err)
					}
				})
				checkStages(t, e, sp.g)
				compareEncoders(t, &c, e)
			})
		}
	}
}

// TestGPUEncodeDevice encodes pictures uploaded to device memory and
// compares with Encode of the same pictures.
func TestGPUEncodeDevice(t *testing.T) {
	c := encClip{name: "97x71", w: 97, h: 71, frames: 3, dx: 1.5, dy: 0.5, seed: 60}
	e := gpuEncoder(t, c.options())
	ref := gpuEncoder(t, c.options())
	ctx := e.ctx
	cw, ch := (c.w+1)/2, (c.h+1)/2
	buf, err := ctx.Alloc(c.w*c.h + 2*cw*ch)
	if err != nil {
		t.Fatal(err)
	}
	defer buf.Free()
	for k, p := range c.pictures() {
		packed := slices.Concat(p.Y.Pix[:c.w*c.h], p.Cb.Pix[:cw*ch], p.Cr.Pix[:cw*ch])
		if err := cuda.CopyHtoD(buf, 0, packed, nil); err != nil {
			t.Fatal(err)
		}
		ga, err := e.EncodeDevice(buf.Ptr)
		if err != nil {
			t.Fatal(err)
		}
		wa, err := ref.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ga.Data, wa.Data) {
			t.Fatalf("picture %d: EncodeDevice and Encode differ", k)
		}
	}
}

// benchClip renders n pictures of a w×h clip in motion.
func benchClip(w, h, n int) []*h264.Picture {
	c := encClip{w: w, h: h, frames: n, dx: 3.25, dy: -1.5, seed: 70}
	return c.pictures()
}

// Encoders benchEncode times: h264.Encoder (nil) or Encoder with the
// optional stages of a split on the GPU.
var (
	benchGo       *gpuStages
	benchGPU      = &defaultStages                       // NewEncoder's
	benchGPUPre   = &gpuStages{inter: true}              // before stages 4 and 5 were wired
	benchGPUCAVLC = &gpuStages{inter: true, cavlc: true} // stage 4 on the GPU, 5 in Go
	benchGPUAll   = &allStages                           // every stage on the GPU
)

func benchEncode(b *testing.B, w, h int, preset string, mode *gpuStages) {
	benchEncodeWith(b, h264.Options{Width: w, Height: h, Preset: preset}, mode)
}

// benchEncodeWith is benchEncode with the encoder's options o (their
// Width and Height select the clip).
func benchEncodeWith(b *testing.B, o h264.Options, mode *gpuStages) {
	pics := benchClip(o.Width, o.Height, 8)
	var enc encoderUnderTest
	var ge *Encoder
	var goEnc *h264.Encoder
	if mode != nil {
		gpuContext(b) // skips without a GPU
		var err error
		if ge, err = openEncoder(0, o, *mode); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() {
			if err := ge.Close(); err != nil {
				b.Error(err)
			}
		})
		ge.SetTiming(true)
		enc = ge
	} else {
		e, err := h264.NewEncoder(o)
		if err != nil {
			b.Fatal(err)
		}
		e.SetStageTiming(true)
		enc, goEnc = e, e
	}
	// The first pictures (IDR, JIT compile, the lookahead filling up)
	// outside the timing.
	for k := 0; k < 2+o.Lookahead; k++ {
		if _, err := enc.Encode(pics[k%len(pics)]); err != nil {
			b.Fatal(err)
		}
	}
	if ge != nil {
		if _, err := ge.StageTimes(); err != nil {
			b.Fatal(err)
		}
	} else {
		goEnc.StageTimes()
	}
	stage := map[string]float64{}
	var order []string
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := enc.Encode(pics[2+i%6]); err != nil {
			b.Fatal(err)
		}
		var ts []StageTime
		if ge != nil {
			var err error
			if ts, err = ge.StageTimes(); err != nil {
				b.Fatal(err)
			}
		} else {
			ts = goEnc.StageTimes()
		}
		for _, s := range ts {
			if _, ok := stage[s.Stage]; !ok {
				order = append(order, s.Stage)
			}
			stage[s.Stage] += s.Seconds
		}
	}
	el := time.Since(start).Seconds()
	b.ReportMetric(float64(b.N)/el, "fps")
	for _, s := range order {
		b.ReportMetric(stage[s]*1e3/float64(b.N), s+"-ms")
	}
	if ge != nil {
		b.Logf("on the GPU: inter reconstruction %v, entropy coding %v, deblocking %v", ge.InterOnGPU(), ge.EntropyOnGPU(), ge.DeblockOnGPU())
	}
}

// BenchmarkGPUEncode720p and friends time Encoder against h264.Encoder
// (default options: medium unless named, crf 23, AQ 1, GOMAXPROCS
// threads) on P pictures of a moving clip: GPU with NewEncoder's stages,
// GPUPre with stages 4 and 5 in Go (as before they were wired), GPUCAVLC
// with stage 4 on the GPU and 5 in Go, GPUAll with every stage on the GPU.
// The GPU runs report each stage's event time and each stage group's host
// wall time, and all runs the host wall time of each segment of the
// pipeline ("host/..."), in ms per picture.
func BenchmarkGPUEncode720p(b *testing.B)          { benchEncode(b, 1280, 720, "", benchGPU) }
func BenchmarkGPUEncode1080p(b *testing.B)         { benchEncode(b, 1920, 1080, "", benchGPU) }
func BenchmarkGPUEncode1080pVeryfast(b *testing.B) { benchEncode(b, 1920, 1080, "veryfast", benchGPU) }

// BenchmarkGPUEncode1080pLookahead is GPUEncode1080p with the Writer's
// default lookahead of 20 pictures for the macroblock tree (its analysis
// runs in Go: "host/L-wait" is the time stage 2 waits for it).
func BenchmarkGPUEncode1080pLookahead(b *testing.B) {
	benchEncodeWith(b, h264.Options{Width: 1920, Height: 1080, Lookahead: 20}, benchGPU)
}

// BenchmarkGPUEncode1080pIntra times all-intra coding (GOP 1: every
// picture an IDR picture) with NewEncoder's stages (the intra wavefront on
// the GPU) and with the intra reconstruction in Go (go-intra, the other
// stages on the GPU); BenchmarkGoEncode1080pIntra is h264_go.
func BenchmarkGPUEncode1080pIntra(b *testing.B) {
	o := h264.Options{Width: 1920, Height: 1080, GOP: 1}
	b.Run("gpu", func(b *testing.B) { benchEncodeWith(b, o, benchGPU) })
	b.Run("go-intra", func(b *testing.B) { benchEncodeWith(b, o, &gpuStages{inter: true, cavlc: true, deblock: true}) })
}

// BenchmarkGoEncode1080pIntra is BenchmarkGPUEncode1080pIntra's h264_go.
func BenchmarkGoEncode1080pIntra(b *testing.B) {
	benchEncodeWith(b, h264.Options{Width: 1920, Height: 1080, GOP: 1}, benchGo)
}
func BenchmarkGPUPreEncode720p(b *testing.B)      { benchEncode(b, 1280, 720, "", benchGPUPre) }
func BenchmarkGPUPreEncode1080p(b *testing.B)     { benchEncode(b, 1920, 1080, "", benchGPUPre) }
func BenchmarkGPUCAVLCEncode720p(b *testing.B)    { benchEncode(b, 1280, 720, "", benchGPUCAVLC) }
func BenchmarkGPUCAVLCEncode1080p(b *testing.B)   { benchEncode(b, 1920, 1080, "", benchGPUCAVLC) }
func BenchmarkGPUAllEncode720p(b *testing.B)      { benchEncode(b, 1280, 720, "", benchGPUAll) }
func BenchmarkGPUAllEncode1080p(b *testing.B)     { benchEncode(b, 1920, 1080, "", benchGPUAll) }
func BenchmarkGoEncode720p(b *testing.B)          { benchEncode(b, 1280, 720, "", benchGo) }
func BenchmarkGoEncode1080p(b *testing.B)         { benchEncode(b, 1920, 1080, "", benchGo) }
func BenchmarkGoEncode1080pVeryfast(b *testing.B) { benchEncode(b, 1920, 1080, "veryfast", benchGo) }

// TestGPUInterReconMatchesEncodeTrace is TestEmuInterReconMatchesEncodeTrace
// on the GPU (720p included): the inter_recon kernel's samples, levels,
// TotalCoeff and CBP of every inter macroblock of real encodes equal the
// encoder's trace, and it leaves other macroblocks' samples alone.
func TestGPUInterReconMatchesEncodeTrace(t *testing.T) {
	ctx := gpuContext(t)
	if _, err := loadImage("inter"); err != nil {
		t.Skipf("no inter PTX (kernels.Pending; set H264CUDA_PTX_DIR to PTX fresh from scripts/gen-ptx.sh): %v", err)
	}
	for _, c := range traceCases() {
		t.Run(c.name, func(t *testing.T) {
			enc, err := h264.NewEncoder(c.options())
			if err != nil {
				t.Fatal(err)
			}
			mbW, mbH := (c.w+15)/16, (c.h+15)/16
			be, err := newGPUBackend(ctx, "inter", []string{"inter_recon"})
			if err != nil {
				t.Fatal(err)
			}
			ir, err := newInterRecon(be, mbW, mbH)
			if err != nil {
				be.close()
				t.Fatal(err)
			}
			defer ir.close()
			tex := newTexture(c.seed, c.w, c.h)
			dec := make([]h264.Decision, mbW*mbH)
			out := make([]h264.InterResult, mbW*mbH)
			inter := 0
			for k := 0; k < c.frames; k++ {
				_, tr, err := enc.EncodeTrace(c.frame(tex, k))
				if err != nil {
					t.Fatal(err)
				}
				if tr.IDR {
					continue
				}
				rec := h264.NewPicture(16*mbW, 16*mbH)
				for _, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
					for i := range pl.Pix {
						pl.Pix[i] = 0x5a
					}
				}
				want := h264.NewPicture(16*mbW, 16*mbH)
				for i, d := range tr.Probed {
					dec[i] = h264.Decision{Type: d.Type, QP: d.QP, MV: d.MV}
				}
				if err := ir.reconInter(tr.Source, tr.Reference, dec, rec, false, false); err != nil {
					t.Fatal(err)
				}
				for i := range out {
					ir.decode(i, &out[i])
				}
				for i, d := range tr.Probed {
					x, y := i%mbW, i/mbW
					isInter := d.Type >= h264.TraceP16x16 && d.Type <= h264.TraceP8x8
					for p, pl := range []*h264.Plane{&want.Y, &want.Cb, &want.Cr} {
						src := []*h264.Plane{&tr.Reconstructed.Y, &tr.Reconstructed.Cb, &tr.Reconstructed.Cr}[p]
						n := 16
						if p > 0 {
							n = 8
						}
						for yy := 0; yy < n; yy++ {
							for xx := 0; xx < n; xx++ {
								v := uint8(0x5a)
								if isInter {
									v = src.Pix[(y*n+yy)*src.Stride+x*n+xx]
								}
								pl.Pix[(y*n+yy)*pl.Stride+x*n+xx] = v
							}
						}
					}
					if !isInter {
						continue
					}
					inter++
					g, w := &out[i], &tr.Macroblocks[i]
					if g.Luma != w.Luma || g.TotalCoeff != w.TotalCoeff || g.ChromaDC != w.ChromaDC ||
						g.ChromaAC != w.ChromaAC || g.ChromaTC != w.ChromaTC || g.CBP != w.CBP {
						t.Fatalf("picture %d MB %d (type %d): levels differ (cbp %d, want %d)", k, i, d.Type, g.CBP, w.CBP)
					}
				}
				if !equalPictures(rec, want) {
					t.Fatalf("picture %d: reconstructed samples differ", k)
				}
			}
			if inter == 0 {
				t.Fatal("no inter macroblock in the case")
			}
			t.Logf("%d inter macroblocks identical", inter)
		})
	}
}

// BenchmarkInterDecode1080p times the host's decoding of one 1080p
// picture's level records (8160 macroblocks), which Encoder spreads over
// its stage-3 goroutines.
func BenchmarkInterDecode1080p(b *testing.B) {
	r := &interRecon{mbW: 120, mbH: 68, levels: make([]byte, 2*lvWords*120*68), counts: make([]byte, cnBytes*120*68)}
	var out h264.InterResult
	for i := 0; i < b.N; i++ {
		for k := 0; k < r.mbW*r.mbH; k++ {
			r.decode(k, &out)
		}
	}
}

// TestInterPTXKernelPresent checks that inter.ptx defines the kernel the
// host launches.
func TestInterPTXKernelPresent(t *testing.T) {
	ptx, err := kernels.PTX("inter")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ptx, ".entry inter_recon(") {
		t.Error("inter.ptx has no kernel inter_recon")
	}
}

// TestEmuEncodeAllocations: with the stages on the (emulated) GPU, a P
// picture allocates no more than h264_go's own Encode does (the host
// sides stage everything in buffers made once).
func TestEmuEncodeAllocations(t *testing.T) {
	c := encClip{w: 64, h: 48, frames: 4, dx: 1.5, dy: 0.5, seed: 61, o: h264.Options{Threads: 1}}
	pics := c.pictures()
	goEnc, err := h264.NewEncoder(c.options())
	if err != nil {
		t.Fatal(err)
	}
	emu := emuEncoder(t, c.options(), allStages)
	measure := func(enc encoderUnderTest) float64 {
		for _, p := range pics[:2] {
			if _, err := enc.Encode(p); err != nil {
				t.Fatal(err)
			}
		}
		k := 0
		return testing.AllocsPerRun(10, func() {
			if _, err := enc.Encode(pics[2+k%2]); err != nil {
				t.Fatal(err)
			}
			k++
		})
	}
	g, a := measure(goEnc), measure(emu)
	t.Logf("allocations per P picture: h264_go %.0f, h264_cuda (emulated) %.0f", g, a)
	if a > g {
		t.Fatalf("h264_cuda allocates %.0f times per picture, h264_go %.0f", a, g)
	}
}

// BenchmarkGPUNewEncoder1080p times opening and closing a 1080p encoder
// with the Writer's lookahead, the CUDA context already held (as a
// Writer's CUDA frames hold it): the modules' loading (the driver
// compiles their PTX, or takes it from its cache), device and
// page-locked memory.
func BenchmarkGPUNewEncoder1080p(b *testing.B) {
	gpuContext(b)
	o := h264.Options{Width: 1920, Height: 1080, Lookahead: 20}
	for b.Loop() {
		e, err := NewEncoder(0, o)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGPULoadModule times loading each stage's kernels into a module
// (and unloading it), from the fatbin and from the PTX (which the driver
// compiles, or takes from its cache; CUDA_CACHE_DISABLE=1 makes it
// compile every time).
func BenchmarkGPULoadModule(b *testing.B) {
	ctx := gpuContext(b)
	for _, name := range kernels.Names() {
		for _, form := range []string{"fatbin", "ptx"} {
			b.Run(name+"/"+form, func(b *testing.B) {
				img, err := kernels.Fatbin(name)
				if form == "ptx" {
					var ptx string
					ptx, err = loadPTX(name)
					img = []byte(ptx)
				}
				if err != nil {
					b.Skip(err)
				}
				for b.Loop() {
					m, err := ctx.LoadModule(img)
					if err != nil {
						b.Fatal(err)
					}
					if err := m.Unload(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestHostThreads: an encoder whose options leave Threads at 0 runs its
// host work on at most defaultThreads goroutines (GOMAXPROCS when fewer);
// Threads set in the options is kept.
func TestHostThreads(t *testing.T) {
	c := encClips()[0]
	o := c.options()
	o.Threads = 0
	if got, want := emuEncoder(t, o, allStages).Options().Threads, min(runtime.GOMAXPROCS(0), defaultThreads); got != want {
		t.Errorf("Threads 0: the encoder uses %d goroutines, want %d", got, want)
	}
	o.Threads = 40
	if got := emuEncoder(t, o, allStages).Options().Threads; got != 40 {
		t.Errorf("Threads 40: the encoder uses %d", got)
	}
}

// TestEmuEncoderIntraOnDevice checks that the intra stage reconstructs
// every I picture (and only those) of clips with IDR pictures at several
// sizes and QPs, the stream and the reconstruction staying h264_go's,
// and that the all-intra clips of intraClips (GOP 1: Intra_4x4 and
// Intra_16x16 macroblocks, QPs from 0 to 51) come out identical too.
func TestEmuEncoderIntraOnDevice(t *testing.T) {
	testIntraOnDevice(t, func(o h264.Options) *Encoder { return emuEncoder(t, o, allStages) }, false)
}

// TestGPUEncoderIntraOnDevice is TestEmuEncoderIntraOnDevice on the GPU,
// 720p and 1080p clips included.
func TestGPUEncoderIntraOnDevice(t *testing.T) {
	gpuContext(t) // skips without a GPU
	testIntraOnDevice(t, func(o h264.Options) *Encoder {
		e := gpuEncoder(t, o)
		if !e.IntraOnGPU() {
			t.Fatal("the intra stage is not on the GPU")
		}
		return e
	}, true)
}

// testIntraOnDevice is TestEmuEncoderIntraOnDevice with the encoders open
// makes (the clips too slow for the C emulation only when gpu).
func testIntraOnDevice(t *testing.T, open func(h264.Options) *Encoder, gpu bool) {
	for _, c := range encClips() {
		if c.gpuOnly && !gpu {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			e := open(c.options())
			compareEncoders(t, &c, e)
			if want := idrCount(t, &c); e.st.intraPictures != want {
				t.Errorf("the intra stage reconstructed %d pictures, the clip has %d IDR pictures", e.st.intraPictures, want)
			}
		})
	}
	var types [2]int
	for _, c := range intraClips() {
		if c.gpuOnly && !gpu {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			e := open(c.options())
			n := compareIntra(t, &c, e)
			types[0] += n[0]
			types[1] += n[1]
			if e.st.intraPictures != c.frames {
				t.Errorf("the intra stage reconstructed %d of %d pictures", e.st.intraPictures, c.frames)
			}
		})
	}
	if types[0] == 0 || types[1] == 0 {
		t.Errorf("the all-intra clips coded %d Intra_4x4 and %d Intra_16x16 macroblocks: both kinds must be tested", types[0], types[1])
	}
}

// idrCount is the number of IDR pictures h264_go codes for the clip.
func idrCount(t *testing.T, c *encClip) int {
	t.Helper()
	enc, err := h264.NewEncoder(c.options())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	count := func(au h264.AccessUnit) {
		if au.Keyframe {
			n++
		}
	}
	for _, p := range c.pictures() {
		au, err := enc.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		count(au)
	}
	for {
		au, ok, err := enc.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			return n
		}
		count(au)
	}
}

// intraClips are all-intra clips (GOP 1) for the intra stage.
func intraClips() []encClip {
	var cs []encClip
	for i, qp := range []int{0, 12, 23, 37, 51} {
		cs = append(cs, encClip{name: fmt.Sprintf("64x48-qp%d", qp), w: 64, h: 48, frames: 2, dx: 1.5, dy: 0.5, seed: uint64(70 + i),
			o: h264.Options{GOP: 1, RateControl: h264.ConstantQP, QP: qp, AQStrength: float64(i%2) * 1.25}})
	}
	return append(cs,
		encClip{name: "16x16-one-macroblock", w: 16, h: 16, frames: 2, seed: 75, o: h264.Options{GOP: 1}},
		encClip{name: "17x40-column", w: 17, h: 40, frames: 2, seed: 76, o: h264.Options{GOP: 1, Preset: "ultrafast"}},
		encClip{name: "150x16-row", w: 150, h: 16, frames: 2, seed: 77, o: h264.Options{GOP: 1, Preset: "slow"}},
		encClip{name: "99x67-crf-aq", w: 99, h: 67, frames: 3, dx: -2, dy: 1, seed: 78, o: h264.Options{GOP: 1, Threads: 3}},
		encClip{name: "1280x720-intra-crf", w: 1280, h: 720, frames: 2, dx: 3, dy: 1, seed: 79, gpuOnly: true,
			o: h264.Options{GOP: 1}},
		encClip{name: "1920x1080-intra-qp-aq", w: 1920, h: 1080, frames: 2, dx: -2, dy: 1, seed: 80, gpuOnly: true,
			o: h264.Options{GOP: 1, RateControl: h264.ConstantQP, QP: 30, AQStrength: 1.5, Preset: "veryfast"}},
		encClip{name: "1919x1079-intra-slow", w: 1919, h: 1079, frames: 3, dx: 5, dy: -2, seed: 81, gpuOnly: true,
			o: h264.Options{GOP: 1, Preset: "slow", Threads: 5}},
	)
}

// compareIntra encodes the all-intra clip with h264's Go encoder and with
// got: every access unit and reconstruction must be equal. It returns
// how many Intra_4x4 and Intra_16x16 macroblocks the clip coded.
func compareIntra(t *testing.T, c *encClip, got encoderUnderTest) [2]int {
	t.Helper()
	want, err := h264.NewEncoder(c.options())
	if err != nil {
		t.Fatal(err)
	}
	var types [2]int // Intra_4x4, Intra_16x16 macroblocks
	for k, p := range c.pictures() {
		wa, tr, err := want.EncodeTrace(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tr.Macroblocks {
			if m.Type == h264.TraceI4x4 || m.Type == h264.TraceI16x16 {
				types[m.Type-h264.TraceI4x4]++
			}
		}
		ga, err := got.Encode(p)
		if err != nil {
			t.Fatalf("picture %d: %v", k, err)
		}
		if !wa.Keyframe || !bytes.Equal(wa.Data, ga.Data) {
			t.Fatalf("picture %d: access units differ (keyframe %v; lengths %d, %d)", k, wa.Keyframe, len(wa.Data), len(ga.Data))
		}
		if !equalPictures(want.Reconstruction(), got.Reconstruction()) {
			t.Fatalf("picture %d: reconstructions differ", k)
		}
	}
	t.Logf("%d Intra_4x4, %d Intra_16x16 macroblocks", types[0], types[1])
	return types
}
