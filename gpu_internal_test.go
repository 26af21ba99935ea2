package gpuenc

import (
	"bytes"
	"errors"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/internal/av"
)

// requireGPU skips GPU tests on machines without an NVIDIA driver.
func requireGPU(t *testing.T) {
	t.Helper()
	if err := cuda.Load(); err != nil {
		t.Skipf("GPU test: run `make gpu-test` on a machine with an NVIDIA GPU (%v)", err)
	}
	if n, err := cuda.DeviceCount(); err != nil || n == 0 {
		t.Skipf("GPU test: no CUDA device (%v)", err)
	}
}

func randomFrames(t *testing.T, format PixelFormat, w, h, n int) *Frames {
	f, err := NewFrames(format, w, h, n)
	if err != nil {
		t.Fatal(err)
	}
	rand.New(rand.NewSource(int64(w*h + n))).Read(f.data)
	return f
}

func TestGPUUploadDownload(t *testing.T) {
	requireGPU(t)
	for _, c := range []struct {
		f    PixelFormat
		w, h int
	}{{YUV420P, 33, 17}, {NV12, 64, 48}, {RGB24, 17, 5}, {YUV444P, 1920, 1080}} {
		host := randomFrames(t, c.f, c.w, c.h, 3)
		dev, err := host.Upload(0)
		if err != nil {
			t.Fatal(err)
		}
		if !dev.OnDevice() || dev.GPU() != 0 || dev.DevicePointer() == 0 {
			t.Fatalf("Upload gave host frames")
		}
		back, err := dev.Download()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(back.data, host.data) {
			t.Fatalf("%s %dx%d: download differs from upload", c.f, c.w, c.h)
		}
		// A slice of device frames downloads the right frames.
		part, err := dev.Slice(1, 3).Download()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(part.data, host.Slice(1, 3).data) {
			t.Fatal("slice of device frames downloads other bytes")
		}
		// Wrapping memory someone else owns.
		wrapped, err := WrapDeviceFrames(0, dev.DevicePointer(), c.f, c.w, c.h, 3)
		if err != nil {
			t.Fatal(err)
		}
		again, err := wrapped.Download()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.data, host.data) {
			t.Fatal("wrapped frames download other bytes")
		}
		wrapped.Free() // must not free dev's memory
		if _, err := dev.Download(); err != nil {
			t.Fatalf("Free of wrapped frames freed the owner's memory: %v", err)
		}
		// Freeing a slice, even one starting at frame 0, frees nothing.
		if err := dev.Slice(0, 1).Free(); err != nil {
			t.Fatal(err)
		}
		if _, err := dev.Download(); err != nil {
			t.Fatalf("Free of a slice freed its parent's memory: %v", err)
		}
		if err := dev.Free(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestGPUSharedContext checks that FFmpeg's CUDA device uses gpuenc's
// context.
func TestGPUSharedContext(t *testing.T) {
	requireGPU(t)
	c, err := gpuContext(0)
	if err != nil {
		t.Fatal(err)
	}
	d, err := gpuDevice(0)
	if err != nil {
		t.Fatal(err)
	}
	if d.CUDAContext() != c.Handle() {
		t.Fatalf("FFmpeg's CUDA context %#x is not gpuenc's %#x", d.CUDAContext(), c.Handle())
	}
}

// TestGPUFramesPool feeds the NVENC input path (FFmpeg's CUDA frames pool in
// gpuenc's context) from CUDA frames and from host frames, and reads the
// pool's frames back: everything but the encoder itself.
func TestGPUFramesPool(t *testing.T) {
	requireGPU(t)
	for _, f := range []PixelFormat{NV12, YUV420P, YUV444P, BGR0} {
		const w, h = 130, 66
		host := randomFrames(t, f, w, h, 2)
		dev, err := host.Upload(0)
		if err != nil {
			t.Fatal(err)
		}
		hw, err := newHWInput(StreamConfig{Width: w, Height: h, Encoder: "h264_nvenc", HWAccel: "cuda:0"}, f)
		if err != nil {
			t.Fatal(err)
		}
		in, _ := av.NewFrame()
		if err := in.AllocVideo(string(f), w, h); err != nil {
			t.Fatal(err)
		}
		for _, src := range []*Frames{dev, host} {
			for i := 0; i < 2; i++ {
				cf, err := hw.frame(src, i, in, nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				out, _ := av.NewFrame()
				if err := av.Download(out, cf); err != nil {
					t.Fatal(err)
				}
				got, _ := NewFrames(f, w, h, 1)
				readFrame(got, 0, out)
				out.Free()
				if !bytes.Equal(got.data, host.Frame(i)) {
					t.Fatalf("%s frame %d (device source: %v): pool frame differs from the source", f, i, src.OnDevice())
				}
			}
		}
		in.Free()
		hw.close()
		dev.Free()
	}
	if _, err := newHWInput(StreamConfig{Width: 64, Height: 64, Encoder: "h264_nvenc", HWAccel: "cuda:0"}, RGB24); err == nil {
		t.Error("rgb24 accepted for NVENC's CUDA input")
	}
}

// TestGPUNVENCSaysWhy checks that an NVENC stream on a GPU without NVENC
// fails with the probe's reason, not FFmpeg's generic error.
func TestGPUNVENCSaysWhy(t *testing.T) {
	requireGPU(t)
	ok, why := Usable("h264_nvenc")
	t.Logf("h264_nvenc usable: %v (%s)", ok, why)
	if ok {
		t.Skip("this GPU has NVENC; the failure path cannot be shown here")
	}
	w, err := NewWriter(&bytes.Buffer{}, WriterOptions{Container: "mkv"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	_, err = w.AddVideoStream(StreamConfig{Width: 64, Height: 64, Format: NV12, FrameRate: Rational{25, 1}, Encoder: "h264_nvenc", HWAccel: "cuda:0"})
	var ee *EncoderError
	if !errors.As(err, &ee) || !bytes.Contains([]byte(err.Error()), []byte(why)) {
		t.Fatalf("got %v, want EncoderError carrying %q", err, why)
	}
	t.Logf("error a user sees: %v", err)
}

// TestGPUFramesToSoftwareEncoder checks that CUDA frames given to libx264
// are downloaded and encode to the same bytes as host frames.
func TestGPUFramesToSoftwareEncoder(t *testing.T) {
	requireGPU(t)
	host := randomFrames(t, YUV420P, 64, 48, 4)
	dev, err := host.Upload(0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Free()
	var outs [2]bytes.Buffer
	for k, src := range []*Frames{host, dev} {
		w, err := NewWriter(&outs[k], WriterOptions{Container: "h264"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.AddVideoStream(StreamConfig{Width: 64, Height: 48, Format: YUV420P, FrameRate: Rational{25, 1}, Encoder: "libx264", Options: map[string]string{"threads": "1"}}); err != nil {
			t.Fatal(err)
		}
		if err := w.Write(t.Context(), 0, src); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(outs[0].Bytes(), outs[1].Bytes()) {
		t.Fatal("CUDA frames encode differently from host frames")
	}
}

// TestGPUH264CUDAThroughWriter encodes the same frames with h264_go and
// with h264_cuda (from host frames and from CUDA frames) through the Writer:
// the three streams must be identical.
func TestGPUH264CUDAThroughWriter(t *testing.T) {
	requireGPU(t)
	if ok, why := Usable("h264_cuda"); !ok {
		t.Fatalf("h264_cuda not usable on a GPU machine: %s", why)
	}
	const w, h, n = 208, 120, 6
	host := randomFrames(t, YUV420P, w, h, n)
	// Smooth content with motion: random noise would make every MB intra.
	for i := 0; i < n; i++ {
		y, _ := host.Plane(i, 0)
		for r := 0; r < h; r++ {
			for c := 0; c < w; c++ {
				y[r*w+c] = byte((c+3*i)*2 + r + (c*r)%7)
			}
		}
	}
	dev, err := host.Upload(0)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Free()
	encode := func(encoder string, src *Frames) []byte {
		var out bytes.Buffer
		wr, err := NewWriter(&out, WriterOptions{Container: "h264"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wr.AddVideoStream(StreamConfig{Width: w, Height: h, Format: YUV420P, FrameRate: Rational{25, 1}, Encoder: encoder, Options: map[string]string{"qp": "27"}}); err != nil {
			t.Fatal(err)
		}
		if err := wr.Write(t.Context(), 0, src); err != nil {
			t.Fatal(err)
		}
		if err := wr.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	goStream := encode("h264_go", host)
	if cu := encode("h264_cuda", host); !bytes.Equal(cu, goStream) {
		t.Fatalf("h264_cuda from host frames: %d bytes, h264_go %d: streams differ", len(cu), len(goStream))
	}
	if cu := encode("h264_cuda", dev); !bytes.Equal(cu, goStream) {
		t.Fatalf("h264_cuda from CUDA frames: %d bytes, h264_go %d: streams differ", len(cu), len(goStream))
	}
	// nv12 and yuv444p CUDA frames are converted on the GPU by h264_cuda,
	// on the host by h264_go: the same bytes again.
	for _, f := range []PixelFormat{NV12, YUV444P} {
		hostF := randomFrames(t, f, w, h, n)
		d, err := hostF.Upload(0)
		if err != nil {
			t.Fatal(err)
		}
		encodeFmt := func(encoder string, src *Frames) []byte {
			var out bytes.Buffer
			wr, err := NewWriter(&out, WriterOptions{Container: "h264"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := wr.AddVideoStream(StreamConfig{Width: w, Height: h, Format: f, FrameRate: Rational{25, 1}, Encoder: encoder, Options: map[string]string{"qp": "27"}}); err != nil {
				t.Fatal(err)
			}
			if err := wr.Write(t.Context(), 0, src); err != nil {
				t.Fatal(err)
			}
			if err := wr.Close(); err != nil {
				t.Fatal(err)
			}
			return out.Bytes()
		}
		if a, b := encodeFmt("h264_go", hostF), encodeFmt("h264_cuda", d); !bytes.Equal(a, b) {
			t.Fatalf("%s CUDA frames: h264_cuda wrote %d bytes, h264_go from host frames %d: streams differ", f, len(b), len(a))
		}
		d.Free()
	}
	t.Logf("h264_go and h264_cuda (host and CUDA frames) wrote the same %d bytes", len(goStream))
}

// TestGPUChooseH264CUDA checks the automatic choice on a GPU without
// NVENC: h264_cuda for frames large enough for this machine's cores,
// libx264 (h264_cuda passed over, with the reason) for small ones.
func TestGPUChooseH264CUDA(t *testing.T) {
	requireGPU(t)
	if ok, _ := Usable("h264_nvenc"); ok {
		t.Skip("this GPU has NVENC: h264 chooses h264_nvenc")
	}
	if ok, why := Usable("h264_cuda"); !ok {
		t.Fatalf("h264_cuda not usable on a GPU machine: %s", why)
	}
	w, h := 7680, 4320
	if runtime.NumCPU() > h264CUDAMaxCores(w*h) {
		t.Skipf("%d CPU cores: h264 chooses libx264 at every size here", runtime.NumCPU())
	}
	c, err := ChooseEncoderFor("h264", w, h)
	if err != nil || c.Encoder != "h264_cuda" {
		t.Fatalf("%dx%d on %d cores: chose %q (%s), %v; want h264_cuda", w, h, runtime.NumCPU(), c.Encoder, c.Reason, err)
	}
	t.Logf("%dx%d: %s (%s)", w, h, c.Encoder, c.Reason)
	c, err = ChooseEncoderFor("h264", 64, 64)
	if err != nil || c.Encoder != "libx264" || !strings.Contains(c.Reason, "h264_cuda: usable, but libx264") {
		t.Fatalf("64x64: chose %q (%s), %v; want libx264, passing over h264_cuda", c.Encoder, c.Reason, err)
	}
	t.Logf("64x64: %s (%s)", c.Encoder, c.Reason)
}
