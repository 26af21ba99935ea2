package gpuenc

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda"
	"github.com/gpuenc/gpuenc/internal/av"
)

// BenchmarkGPUWriterH264CUDA1080p splits the time of `gpuenc bench`'s
// h264_cuda rows at 1080p: 120 frames of testsrc2 in yuv444p, crf 23 and
// the Writer's lookahead of 20, given to a Writer in one Write as the
// bench does (from host and from CUDA frames), and the same pictures,
// averaged to 4:2:0 beforehand, given to h264cuda.Encoder directly. Each
// reports fps over the whole encode (flush included) and, per coded
// picture, the encoder's stage times (h264cuda.Encoder.StageTimes, GPU
// and host), so that the Writer's own share shows beside the encoder's.
func BenchmarkGPUWriterH264CUDA1080p(b *testing.B) {
	if err := cuda.Load(); err != nil {
		b.Skipf("GPU benchmark: needs an NVIDIA GPU (%v)", err)
	}
	if ok, why := Usable("h264_cuda"); !ok {
		b.Skipf("h264_cuda not usable: %s", why)
	}
	const w, h, n = 1920, 1080, 120
	r, err := OpenReader(fmt.Sprintf("testsrc2=rate=30000/1001:size=%dx%d", w, h), ReaderOptions{Format: "lavfi", Output: YUV444P})
	if err != nil {
		b.Fatal(err)
	}
	host, err := r.Read(b.Context(), n)
	r.Close()
	if err != nil {
		b.Fatal(err)
	}
	dev, err := host.Upload(0)
	if err != nil {
		b.Fatal(err)
	}
	defer dev.Free()
	cfg := StreamConfig{Width: w, Height: h, Format: YUV444P, FrameRate: Rational{30000, 1001}, Encoder: "h264_cuda"}

	// report adds fps and the per-picture stage times of one encode.
	type stats struct {
		elapsed time.Duration
		stages  map[string]float64
		coded   int
	}
	report := func(b *testing.B, runs []stats) {
		var elapsed time.Duration
		sum, coded := map[string]float64{}, 0
		for _, s := range runs {
			elapsed += s.elapsed
			coded += s.coded
			for k, v := range s.stages {
				sum[k] += v
			}
		}
		b.ReportMetric(float64(n*len(runs))/elapsed.Seconds(), "fps")
		keys := make([]string, 0, len(sum))
		for k := range sum {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.ReportMetric(sum[k]/float64(coded)*1e3, k+"-ms")
		}
	}
	stageMap := func(b *testing.B, enc *h264cuda.Encoder) map[string]float64 {
		ts, err := enc.StageTimes()
		if err != nil {
			b.Fatal(err)
		}
		m := map[string]float64{}
		for _, t := range ts {
			m[t.Stage] += t.Seconds
		}
		return m
	}

	for _, src := range []struct {
		name   string
		frames *Frames
	}{{"writer-host", host}, {"writer-cuda", dev}} {
		b.Run(src.name, func(b *testing.B) {
			var runs []stats
			for b.Loop() {
				var out bytes.Buffer
				wr, err := NewWriter(&out, WriterOptions{Container: "h264"})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := wr.AddVideoStream(cfg); err != nil {
					b.Fatal(err)
				}
				enc := wr.streams[0].enc.(*ownH264Encoder).enc.(*h264cuda.Encoder)
				enc.SetTiming(true)
				t0 := time.Now()
				if err := wr.Write(b.Context(), 0, src.frames); err != nil {
					b.Fatal(err)
				}
				// The stage times of the pictures coded so far (the
				// lookahead still holds 20); Close ends the encoder.
				st := stats{stages: stageMap(b, enc), coded: n - DefaultH264Lookahead}
				if err := wr.Close(); err != nil {
					b.Fatal(err)
				}
				st.elapsed = time.Since(t0)
				runs = append(runs, st)
			}
			report(b, runs)
		})
	}

	b.Run("encoder-direct", func(b *testing.B) {
		o, err := h264OwnOptions("h264_cuda", cfg, av.Color{})
		if err != nil {
			b.Fatal(err)
		}
		pics := make([]*h264.Picture, n)
		for i := range pics {
			pics[i] = h264.NewPicture(w, h)
			if err := pics[i].SetYUV444P(host.Frame(i)); err != nil {
				b.Fatal(err)
			}
		}
		var runs []stats
		for b.Loop() {
			enc, err := h264cuda.NewEncoder(0, o)
			if err != nil {
				b.Fatal(err)
			}
			enc.SetTiming(true)
			t0 := time.Now()
			for _, p := range pics {
				if _, err := enc.Encode(p); err != nil {
					b.Fatal(err)
				}
			}
			st := stats{stages: stageMap(b, enc), coded: n - o.Lookahead}
			for {
				_, ok, err := enc.Flush()
				if err != nil {
					b.Fatal(err)
				}
				if !ok {
					break
				}
			}
			st.elapsed = time.Since(t0)
			if err := enc.Close(); err != nil {
				b.Fatal(err)
			}
			runs = append(runs, st)
		}
		report(b, runs)
	})
}
