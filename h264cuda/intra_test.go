package h264cuda

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// TestIntraLayout checks the Go copy of intra.h's indices.
func TestIntraLayout(t *testing.T) {
	for _, kv := range []struct {
		name string
		v    int
	}{
		{"XP_SRC_Y", xpSrcY}, {"XP_SRC_CB", xpSrcCb}, {"XP_SRC_CR", xpSrcCr}, {"XP_REC_Y", xpRecY},
		{"XP_REC_CB", xpRecCb}, {"XP_REC_CR", xpRecCr}, {"XP_DEC", xpDec}, {"XP_LEVELS", xpLevels},
		{"XP_COUNTS", xpCounts}, {"XP_LUMADC", xpLumaDC}, {"XP_ROWS", xpRows}, {"XP_MBW", xpMBW},
		{"XP_MBH", xpMBH}, {"XP_COUNT", xpCount},
	} {
		if got := cemu.MotionConst(kv.name); got != kv.v {
			t.Errorf("intra.h %s = %d, Go has %d", kv.name, got, kv.v)
		}
	}
}

// TestEmuIntraErrors: the intra stage refuses pictures of another size,
// decisions of the wrong length or of inter types, and a closed stage,
// with typed errors and before launching anything.
func TestEmuIntraErrors(t *testing.T) {
	r, err := newIntraRecon(&emuBackend{}, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	pic := func(w, h int) *h264.Picture {
		return &h264.Picture{
			Y:  h264.Plane{Width: w, Height: h, Stride: w, Pix: make([]uint8, w*h)},
			Cb: h264.Plane{Width: w / 2, Height: h / 2, Stride: w / 2, Pix: make([]uint8, w*h/4)},
			Cr: h264.Plane{Width: w / 2, Height: h / 2, Stride: w / 2, Pix: make([]uint8, w*h/4)},
		}
	}
	intra := make([]h264.Decision, 4)
	inter := make([]h264.Decision, 4)
	inter[3].Type = h264.TraceP16x16
	for _, c := range []struct {
		name string
		p    *h264.Picture
		dec  []h264.Decision
	}{
		{"nil picture", nil, intra},
		{"wrong size", pic(16, 32), intra},
		{"short decisions", pic(32, 32), intra[:3]},
		{"inter decision", pic(32, 32), inter},
	} {
		if err := r.run(c.p, c.dec, nil); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", c.name, err)
		}
	}
	if err := r.run(pic(32, 32), intra, nil); err != nil {
		t.Fatalf("a valid run: %v", err)
	}
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if err := r.run(pic(32, 32), intra, nil); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v, want ErrClosed", err)
	}
}

// TestEmuEncoderIntraFails: when the intra stage fails, Encode returns
// an error matching h264.ErrAccelerator and the stage's own error.
func TestEmuEncoderIntraFails(t *testing.T) {
	c := intraClips()[0]
	e := emuEncoder(t, c.options(), allStages)
	if err := e.st.intra.close(); err != nil {
		t.Fatal(err)
	}
	_, err := e.Encode(c.pictures()[0])
	if !errors.Is(err, h264.ErrAccelerator) || !errors.Is(err, ErrClosed) {
		t.Fatalf("Encode with the intra stage closed: %v, want h264.ErrAccelerator and ErrClosed", err)
	}
}

// manyIntraClip is a clip whose P pictures have more intra macroblocks
// than h264's levels path takes (512), fewer than a scene cut: over the
// left 60 % of the picture every macroblock is flat at a level that
// changes from picture to picture (intra DC prediction from its new
// neighbours wins), the rest is the moving texture.
func manyIntraClip(w, h, frames int) (encClip, []*h264.Picture) {
	c := encClip{name: fmt.Sprintf("%dx%d-many-intra", w, h), w: w, h: h, frames: frames, dx: 1.5, dy: -0.5, seed: 90,
		o: h264.Options{RateControl: h264.ConstantQP, QP: 27}}
	pics := c.pictures()
	for k, p := range pics[1:] {
		for y := 0; y < h; y++ {
			for x := 0; x < w*6/10; x++ {
				p.Y.Pix[y*p.Y.Stride+x] = uint8(60 + 37*k + 11*((x/16+y/16)%5))
			}
		}
		for y := 0; y < h/2; y++ {
			for x := 0; x < w*6/20; x++ {
				p.Cb.Pix[y*p.Cb.Stride+x] = uint8(100 + 13*k)
				p.Cr.Pix[y*p.Cr.Stride+x] = uint8(150 - 9*k)
			}
		}
	}
	return c, pics
}

// TestEmuEncoderIntraInP: in P pictures with more than 512 intra
// macroblocks the intra stage codes them among the inter ones the inter
// stage kept on the device; every access unit and reconstruction stays
// h264_go's.
func TestEmuEncoderIntraInP(t *testing.T) {
	testIntraInP(t, func(o h264.Options) *Encoder { return emuEncoder(t, o, allStages) }, 640, 368)
}

// TestGPUEncoderIntraInP is TestEmuEncoderIntraInP on the GPU, at 1080p
// too.
func TestGPUEncoderIntraInP(t *testing.T) {
	gpuContext(t) // skips without a GPU
	for _, sz := range [][2]int{{640, 368}, {1920, 1080}} {
		testIntraInP(t, func(o h264.Options) *Encoder { return gpuEncoder(t, o) }, sz[0], sz[1])
	}
}

func testIntraInP(t *testing.T, open func(h264.Options) *Encoder, w, h int) {
	c, pics := manyIntraClip(w, h, 3)
	want, err := h264.NewEncoder(c.options())
	if err != nil {
		t.Fatal(err)
	}
	e := open(c.options())
	most := 0
	for k, p := range pics {
		wa, err := want.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		ga, err := e.Encode(p)
		if err != nil {
			t.Fatalf("picture %d: %v", k, err)
		}
		if !bytes.Equal(wa.Data, ga.Data) {
			t.Fatalf("picture %d (%d intra macroblocks): access units differ (lengths %d, %d)", k, wa.Intra, len(wa.Data), len(ga.Data))
		}
		if !equalPictures(want.Reconstruction(), e.Reconstruction()) {
			t.Fatalf("picture %d: reconstructions differ", k)
		}
		if !wa.Keyframe {
			most = max(most, wa.Intra)
		}
	}
	t.Logf("%dx%d: at most %d intra macroblocks in a P picture; %d P pictures with the intra stage", w, h, most, e.st.intraPPictures)
	if most <= 512 {
		t.Fatalf("at most %d intra macroblocks in a P picture: the clip does not exercise the intra stage in P pictures", most)
	}
	if e.st.intraPPictures == 0 {
		t.Fatal("the intra stage coded no P picture's intra macroblocks")
	}
}

// BenchmarkGPUEncode1080pManyIntra times P pictures with about 60 %
// intra macroblocks (manyIntraClip) with NewEncoder's stages (gpu: the
// intra stage codes them among the inter ones) and with the intra stage
// off (go-intra: Go's wavefront over the picture), reporting fps, the
// reconstruction segment's wall time ("host/3-recon-ms") and the share of
// pictures whose intra macroblocks the GPU coded.
func BenchmarkGPUEncode1080pManyIntra(b *testing.B) {
	for _, sp := range []struct {
		name string
		g    gpuStages
	}{{"gpu", defaultStages}, {"go-intra", gpuStages{inter: true, cavlc: true, deblock: true}}} {
		b.Run(sp.name, func(b *testing.B) {
			gpuContext(b) // skips without a GPU
			c, pics := manyIntraClip(1920, 1080, 10)
			e, err := openEncoder(0, c.options(), sp.g)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() {
				if err := e.Close(); err != nil {
					b.Error(err)
				}
			})
			if _, err := e.Encode(pics[0]); err != nil {
				b.Fatal(err)
			}
			e.SetTiming(true)
			intraBefore := e.st.intraPPictures
			recon := 0.0
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := e.Encode(pics[1+i%(len(pics)-1)]); err != nil {
					b.Fatal(err)
				}
				ts, err := e.StageTimes()
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range ts {
					if s.Stage == "host/3-recon" {
						recon += s.Seconds
					}
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "fps")
			b.ReportMetric(recon*1e3/float64(b.N), "host/3-recon-ms")
			b.ReportMetric(float64(e.st.intraPPictures-intraBefore)/float64(b.N), "gpu-intra-share")
		})
	}
}
