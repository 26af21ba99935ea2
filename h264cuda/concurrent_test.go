package h264cuda

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/h264"
)

// TestGPUConcurrentEncoders runs every clip of encClips at once, one
// encoder each on GPU 0 (parallel subtests: up to GOMAXPROCS encoders
// share the GPU), and compares each with h264_go byte for byte: encoders
// on one GPU do not disturb each other.
func TestGPUConcurrentEncoders(t *testing.T) {
	gpuContext(t) // skips without a GPU
	for _, c := range encClips() {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			compareOnGPU(t, 0, &c)
		})
	}
}

// BenchmarkGPUConcurrentEncode1080p runs n encoders (NewEncoder's stages,
// medium) at once on GPU 0, each in its own goroutine coding the same 1080p
// P pictures, and reports the pictures per second of all of them together
// (fps) and of each (fps/encoder), and the host's CPU time per picture
// (cpu-ms/picture, user and system, on Linux: the cores divided by it
// bound the fps of many encoders); n goes from 1 to 32 in powers of two,
// up to the host's cores.
func BenchmarkGPUConcurrentEncode1080p(b *testing.B) {
	gpuContext(b) // skips without a GPU
	pics := benchClip(1920, 1080, 8)
	for _, n := range []int{1, 2, 4, 8, 16, 32} {
		if n > 1 && n > runtime.NumCPU() {
			break
		}
		b.Run(fmt.Sprintf("encoders=%d", n), func(b *testing.B) {
			encs := make([]*Encoder, n)
			for i := range encs {
				encs[i] = warmEncoder(b, 0, pics)
			}
			cpu := processCPUSeconds()
			elapsed := encodeAtOnce(b, encs, pics[2:])
			cpu = processCPUSeconds() - cpu
			b.ReportMetric(float64(n*b.N)/elapsed, "fps")
			b.ReportMetric(float64(b.N)/elapsed, "fps/encoder")
			b.ReportMetric(cpu*1e3/float64(n*b.N), "cpu-ms/picture")
		})
	}
}

// BenchmarkGPUConcurrentStages1080p is BenchmarkGPUConcurrentEncode1080p
// for 1 and 16 encoders (up to the host's cores) with the encoders' host
// timing on: besides fps it reports, averaged over the encoders' pictures,
// the wall time of each segment of the pipeline ("host/...") and of each
// kernel group's calls ("wall/..."), and the time each group spent in the
// driver's queueing calls ("drv/...") and waiting for its stream
// ("wait/..."), so a run shows which of them stretch when many encoders
// share the GPU and the host. The "events" runs time the kernel groups with
// CUDA events as well (StageTimes).
func BenchmarkGPUConcurrentStages1080p(b *testing.B) {
	gpuContext(b) // skips without a GPU
	pics := benchClip(1920, 1080, 8)
	for _, run := range []struct {
		n      int
		events bool
	}{{1, false}, {16, false}, {1, true}, {16, true}} {
		if run.n > runtime.NumCPU() {
			continue
		}
		name := fmt.Sprintf("encoders=%d", run.n)
		if run.events {
			name += "/events"
		}
		b.Run(name, func(b *testing.B) {
			encs := make([]*Encoder, run.n)
			for i := range encs {
				e := warmEncoder(b, 0, pics)
				encs[i] = e
				if run.events {
					e.SetTiming(true)
				} else {
					e.st.timing = true
					e.enc.SetStageTiming(true)
				}
				for _, g := range e.gpuBackends() {
					g.be.clock = true
				}
				if _, err := e.StageTimes(); err != nil { // from zero
					b.Fatal(err)
				}
			}
			stage := map[string]float64{}
			var order []string
			add := func(name string, sec float64) {
				if _, ok := stage[name]; !ok {
					order = append(order, name)
				}
				stage[name] += sec
			}
			var mu sync.Mutex
			elapsed := encodeAtOnceThen(b, encs, pics[2:], func(e *Encoder) error {
				ts, err := e.StageTimes()
				mu.Lock()
				defer mu.Unlock()
				for _, t := range ts {
					add(t.Stage, t.Seconds)
				}
				return err
			})
			for _, e := range encs {
				for _, g := range e.gpuBackends() {
					add("drv/"+g.name, g.be.drv.Seconds())
					add("wait/"+g.name, g.be.waited.Seconds())
				}
			}
			b.ReportMetric(float64(run.n*b.N)/elapsed, "fps")
			b.ReportMetric(elapsed*1e3/float64(b.N), "ms/picture")
			for _, s := range order {
				b.ReportMetric(stage[s]*1e3/float64(run.n*b.N), s+"-ms")
			}
		})
	}
}

// gpuCount returns the number of GPUs (after gpuContext made sure there is
// one).
func gpuCount(tb testing.TB) int {
	n, err := cuda.DeviceCount()
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestGPUEncoderPerGPU runs one encoder on every GPU of the machine at once
// (the 1080p clips, one per GPU in turn) and compares each with h264_go
// byte for byte. With one GPU it is TestGPUEncoderMatchesGo's 1080p clip.
func TestGPUEncoderPerGPU(t *testing.T) {
	gpuContext(t) // skips without a GPU
	var big []encClip
	for _, c := range encClips() {
		if c.gpuOnly {
			big = append(big, c)
		}
	}
	n := gpuCount(t)
	t.Logf("%d GPUs", n)
	for g := 0; g < n; g++ {
		c := big[g%len(big)]
		t.Run(fmt.Sprintf("gpu%d/%s", g, c.name), func(t *testing.T) {
			t.Parallel()
			compareOnGPU(t, g, &c)
		})
	}
}

// BenchmarkGPUEncodePerGPU1080p runs k encoders on every GPU at once (as
// BenchmarkGPUConcurrentEncode1080p; k from 1 to 8 in powers of two, up to
// the host's cores) and reports their pictures per second together (fps)
// and per GPU (fps/gpu).
func BenchmarkGPUEncodePerGPU1080p(b *testing.B) {
	gpuContext(b) // skips without a GPU
	pics := benchClip(1920, 1080, 8)
	n := gpuCount(b)
	for _, k := range []int{1, 2, 4, 8} {
		if k > 1 && k*n > runtime.NumCPU() {
			break
		}
		b.Run(fmt.Sprintf("encoders-per-gpu=%d", k), func(b *testing.B) {
			encs := make([]*Encoder, k*n)
			for i := range encs {
				encs[i] = warmEncoder(b, i%n, pics)
			}
			elapsed := encodeAtOnce(b, encs, pics[2:])
			b.ReportMetric(float64(k*n*b.N)/elapsed, "fps")
			b.ReportMetric(float64(k*b.N)/elapsed, "fps/gpu")
		})
	}
}

// encodeAtOnce times b.N pictures (cycling through pics) on every encoder
// at once, one goroutine each, and returns the seconds that took.
func encodeAtOnce(b *testing.B, encs []*Encoder, pics []*h264.Picture) float64 {
	return encodeAtOnceThen(b, encs, pics, nil)
}

// encodeAtOnceThen is encodeAtOnce calling after (unless nil) after each
// picture.
func encodeAtOnceThen(b *testing.B, encs []*Encoder, pics []*h264.Picture, after func(*Encoder) error) float64 {
	errs := make([]error, len(encs))
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for i, e := range encs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < b.N; k++ {
				if _, err := e.Encode(pics[k%len(pics)]); err != nil {
					errs[i] = err
					return
				}
				if after != nil {
					if err := after(e); err != nil {
						errs[i] = err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	b.StopTimer()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	return elapsed
}

// compareOnGPU codes c with a NewEncoder on GPU gpu and compares it with
// h264_go (compareEncoders).
func compareOnGPU(t *testing.T, gpu int, c *encClip) {
	e, err := NewEncoder(gpu, c.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	})
	compareEncoders(t, c, e)
}

// warmEncoder opens a 1080p NewEncoder on GPU gpu (closed at the end of
// b) and codes pics[0] (IDR) and pics[1] (the first P picture) with it,
// untimed.
func warmEncoder(b *testing.B, gpu int, pics []*h264.Picture) *Encoder {
	e, err := NewEncoder(gpu, h264.Options{Width: 1920, Height: 1080})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	for _, p := range pics[:2] {
		if _, err := e.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
	return e
}
