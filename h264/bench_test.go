package h264

import (
	"runtime"
	"testing"
)

// benchEncoder returns an encoder for w×h that has coded one picture of a
// moving clip, and the next pictures.
func benchEncoder(b *testing.B, w, h int, preset string, threads int) (*Encoder, []*Picture) {
	b.Helper()
	enc, err := NewEncoder(Options{Width: w, Height: h, Preset: preset, Threads: threads})
	if err != nil {
		b.Fatal(err)
	}
	pics := clip(w, h, 4, 1)
	if _, err := enc.Encode(pics[0]); err != nil {
		b.Fatal(err)
	}
	return enc, pics[1:]
}

func benchmarkEncode(b *testing.B, w, h int, preset string, threads int) {
	enc, pics := benchEncoder(b, w, h, preset, threads)
	b.SetBytes(int64(w * h * 3 / 2))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := enc.Encode(pics[i%len(pics)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode720p codes 1280x720 P pictures (medium preset, all
// cores); frames per second = 1e9 / ns/op.
func BenchmarkEncode720p(b *testing.B) { benchmarkEncode(b, 1280, 720, "medium", 0) }

// BenchmarkEncode720pUltrafast is BenchmarkEncode720p with the fastest preset.
func BenchmarkEncode720pUltrafast(b *testing.B) { benchmarkEncode(b, 1280, 720, "ultrafast", 0) }

// BenchmarkEncode720pOneThread is BenchmarkEncode720p on one goroutine.
func BenchmarkEncode720pOneThread(b *testing.B) { benchmarkEncode(b, 1280, 720, "medium", 1) }

// BenchmarkIntraAnalysis measures mode decision of a 720p I picture (one
// goroutine), per picture.
func BenchmarkIntraAnalysis(b *testing.B) {
	enc, pics := benchEncoder(b, 1280, 720, "medium", 1)
	padInto(enc.src, pics[0])
	wk := &enc.workers[0]
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for y := 0; y < enc.mbH; y++ {
			for x := 0; x < enc.mbW; x++ {
				enc.analyse(wk, x, y, 26, false)
			}
		}
	}
}

// BenchmarkCAVLC measures the entropy coding of the last coded 720p
// picture's macroblocks (one goroutine), per picture.
func BenchmarkCAVLC(b *testing.B) {
	enc, pics := benchEncoder(b, 1280, 720, "medium", 1)
	if _, err := enc.Encode(pics[0]); err != nil {
		b.Fatal(err)
	}
	var w bitWriter
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.reset()
		for y := 0; y < enc.mbH; y++ {
			for x := 0; x < enc.mbW; x++ {
				if mb := &enc.mbs[y*enc.mbW+x]; mb.typ != mbPSkip {
					enc.writeMB(&w, mb, x, y, true)
				}
			}
		}
	}
	b.SetBytes(int64(w.bitLen() / 8))
}

// BenchmarkDeblock measures the deblocking filter over a 720p picture (one
// goroutine), per picture.
func BenchmarkDeblock(b *testing.B) {
	enc, pics := benchEncoder(b, 1280, 720, "medium", 1)
	if _, err := enc.Encode(pics[0]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for y := 0; y < enc.mbH; y++ {
			for x := 0; x < enc.mbW; x++ {
				enc.deblockMB(x, y)
			}
		}
	}
}

// benchLookahead returns a 1080p lookahead holding 21 analysed pictures
// (the default depth of gpuenc's Writer, 20, plus the picture coded next)
// and the clip they came from.
func benchLookahead(b testing.TB) (*lookahead, []*Picture) {
	b.Helper()
	const w, h = 1920, 1080
	la := newLookahead(20, (w+15)/16, (h+15)/16)
	pics := clip(w, h, 4, 1)
	for i := 0; i < 21; i++ {
		f := la.frame()
		padInto(f.src, pics[i%len(pics)])
		if err := la.analyse(f, la.enqueue(f), runtime.GOMAXPROCS(0)); err != nil {
			b.Fatal(err)
		}
	}
	return la, pics
}

// BenchmarkLookaheadAnalysis1080p measures the half-resolution analysis
// of one 1080p picture entering the lookahead (all cores), per picture.
func BenchmarkLookaheadAnalysis1080p(b *testing.B) {
	la, pics := benchLookahead(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		la.recycle(la.pop())
		f := la.frame()
		padInto(f.src, pics[i%len(pics)])
		if err := la.analyse(f, la.enqueue(f), runtime.GOMAXPROCS(0)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMacroblockTree1080p measures the propagation through 20 held
// 1080p pictures and the offsets of the next one, per picture.
func BenchmarkMacroblockTree1080p(b *testing.B) {
	la, _ := benchLookahead(b)
	out := make([]int8, la.mbW*la.mbH)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		la.treeOffsets(21, runtime.GOMAXPROCS(0), out)
	}
}
