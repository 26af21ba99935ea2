package h264cuda

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// TestMain lets the device run try PTX straight from nvcc: with
// H264CUDA_PTX_DIR set, NAME.ptx is read from that directory and loaded
// instead of the embedded fatbin.
func TestMain(m *testing.M) {
	if dir := os.Getenv("H264CUDA_PTX_DIR"); dir != "" {
		loadPTX = func(stage string) (string, error) {
			b, err := os.ReadFile(filepath.Join(dir, stage+".ptx"))
			return string(b), err
		}
		loadImage = func(stage string) ([]byte, error) {
			return os.ReadFile(filepath.Join(dir, stage+".ptx"))
		}
	}
	os.Exit(m.Run())
}

// gpuContext opens device 0 or skips the test when there is no GPU.
func gpuContext(tb testing.TB) *cuda.Context {
	tb.Helper()
	if err := cuda.Load(); err != nil {
		if errors.Is(err, cuda.ErrNoDriver) || errors.Is(err, cuda.ErrNoDevice) {
			tb.Skipf("GPU test: build with `make gpu-test` (or go test -c -o bin/gputest/h264cuda.test ./h264cuda) and run scripts/gpu-tests.sh on a machine with an NVIDIA GPU (%v)", err)
		}
		tb.Fatal(err)
	}
	ctx, err := cuda.OpenContext(0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := ctx.Close(); err != nil {
			tb.Error(err)
		}
	})
	return ctx
}

// closeAtCleanup fails the test on err, and otherwise closes v when the
// test ends, failing it if Close does.
func closeAtCleanup[T interface{ Close() error }](tb testing.TB, v T, err error) T {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := v.Close(); err != nil {
			tb.Error(err)
		}
	})
	return v
}

func newGPUSearch(tb testing.TB, ctx *cuda.Context, cfg h264.MotionConfig) *MotionSearch {
	tb.Helper()
	s, err := NewMotionSearch(ctx, cfg)
	return closeAtCleanup(tb, s, err)
}

// TestGPUMotionMatchesGo runs every case (1080p and 720p included) on the
// GPU and compares each stage and the final field with h264's Go search.
func TestGPUMotionMatchesGo(t *testing.T) {
	ctx := gpuContext(t)
	for _, c := range motionCases() {
		t.Run(c.name, func(t *testing.T) {
			compareMotion(t, newGPUSearch(t, ctx, c.config()), &c)
		})
	}
}

// TestGPUMotionSequence searches a sequence of 1080p pictures with one
// search object, each picture's final field being the next one's previous
// field, as the encoder does.
func TestGPUMotionSequence(t *testing.T) {
	ctx := gpuContext(t)
	c := motionCases()[len(motionCases())-2] // 1920x1080 medium
	cfg := c.config()
	s := newGPUSearch(t, ctx, cfg)
	var prev []h264.MV
	c.prev = 0
	for i := 0; i < 3; i++ {
		c.seed = uint64(200 + i)
		cur, ref, _ := c.pictures()
		want, err := h264.MotionSearchReference(cfg, cur, ref, prev, c.qp)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]h264.MotionMB, len(want.MBs))
		if err := s.Run(cur, ref, prev, c.qp, got); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want.MBs) {
			t.Fatalf("picture %d: fields differ", i)
		}
		prev = make([]h264.MV, len(got))
		for k, m := range got {
			prev[k] = m.MV16
		}
	}
}

// BenchmarkGPUMotionSearch1080p times one 1080p search (medium preset) on
// the GPU, upload of both pictures and download of the field included, and
// reports the median GPU time of each stage from CUDA events.
func BenchmarkGPUMotionSearch1080p(b *testing.B) {
	for _, preset := range []string{"medium", "veryfast", "slow"} {
		b.Run(preset, func(b *testing.B) { benchGPUMotion(b, preset) })
	}
}

func benchGPUMotion(b *testing.B, preset string) {
	ctx := gpuContext(b)
	c := motionCases()[len(motionCases())-2]
	cfg, err := h264.MotionConfigFor(h264.Options{Width: 1920, Height: 1080, Preset: preset})
	if err != nil {
		b.Fatal(err)
	}
	cfg.Width, cfg.Height = c.w, c.h
	s := newGPUSearch(b, ctx, cfg)
	gb := s.be.(*gpuBackend)
	cur, ref, prev := c.pictures()
	out := make([]h264.MotionMB, s.mbW*s.mbH)
	stages := map[string][]float64{}
	var order []string
	for i := 0; i < 3; i++ { // warm-up
		if err := s.Run(cur, ref, prev, c.qp, out); err != nil {
			b.Fatal(err)
		}
	}
	gb.timing = true
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Run(cur, ref, prev, c.qp, out); err != nil {
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
	var total float64
	var sb strings.Builder
	for _, name := range order {
		v := stages[name]
		slices.Sort(v)
		med := v[len(v)/2]
		// Pull passes are marked once each; report per run.
		med *= float64(len(v)) / float64(b.N)
		total += med
		b.ReportMetric(med*1e3, name+"-ms")
		fmt.Fprintf(&sb, " %s %.3f ms;", name, med*1e3)
	}
	b.ReportMetric(total*1e3, "gpu-ms")
	b.Logf("1080p %s, GPU stage medians over %d runs:%s total %.3f ms", preset, b.N, sb.String(), total*1e3)
}

// BenchmarkGoMotionSearch1080p times h264's Go search on the same input
// with every CPU core, for comparison.
func BenchmarkGoMotionSearch1080p(b *testing.B) {
	c := motionCases()[len(motionCases())-2]
	cfg := c.config()
	cfg.Workers = runtime.GOMAXPROCS(0)
	cur, ref, prev := c.pictures()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := h264.MotionSearchReference(cfg, cur, ref, prev, c.qp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "wall-ms")
}

// BenchmarkGPUCopyDtoD measures the device's memory bandwidth ceiling
// (bytes read plus bytes written per second of a 256 MiB device-to-device
// copy, timed with CUDA events), the bytes floor's denominator in NOTES.md.
func BenchmarkGPUCopyDtoD(b *testing.B) {
	ctx := gpuContext(b)
	const n = 256 << 20
	src, err := ctx.Alloc(n)
	if err != nil {
		b.Fatal(err)
	}
	defer src.Free()
	dst, err := ctx.Alloc(n)
	if err != nil {
		b.Fatal(err)
	}
	defer dst.Free()
	if err := src.Memset(0x5a, nil); err != nil {
		b.Fatal(err)
	}
	st, err := ctx.NewStream()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Destroy()
	e0, _ := ctx.NewEvent()
	e1, _ := ctx.NewEvent()
	defer e0.Destroy()
	defer e1.Destroy()
	var times []float64
	for i := 0; i < b.N+2; i++ {
		if err := e0.Record(st); err != nil {
			b.Fatal(err)
		}
		if err := cuda.CopyDtoD(dst, 0, src, 0, n, st); err != nil {
			b.Fatal(err)
		}
		if err := e1.Record(st); err != nil {
			b.Fatal(err)
		}
		if err := e1.Synchronize(); err != nil {
			b.Fatal(err)
		}
		d, err := cuda.Elapsed(e0, e1)
		if err != nil {
			b.Fatal(err)
		}
		if i >= 2 {
			times = append(times, d.Seconds())
		}
	}
	slices.Sort(times)
	b.ReportMetric(2*n/times[len(times)/2]/1e9, "GB/s")
}
