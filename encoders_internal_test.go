package gpuenc

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestH264CUDAChoiceRule checks the rule that decides between h264_cuda
// and libx264 against the measurements it was drawn from (NVIDIA H200
// machine, commit cdd7c49, `taskset` to N cores, `gpuenc bench --encoders
// libx264,h264_cuda --threads N`; bench/results/h200-choice/cdd7c49 and
// h200-study): h264_cuda was the faster one (from CPU and from CUDA
// frames) exactly in the cases marked true.
func TestH264CUDAChoiceRule(t *testing.T) {
	for _, c := range []struct {
		w, h, cores int
		cudaFaster  bool
	}{
		// fps at 764dd4f on an H200 machine, h264_cuda from CPU / CUDA
		// frames against libx264 (bench/results/h200-choice/764dd4f)
		{640, 360, 4, true},    // 324 / 404 against 269
		{640, 360, 6, true},    // 306 / 401 against 312: level
		{640, 360, 8, false},   // 306 / 399 against 371
		{1280, 720, 10, true},  // 180 / 208 against 130
		{1280, 720, 14, false}, // 172 / 203 against 180
		{1280, 720, 16, false}, // 173 / 207 against 184
		{1920, 1080, 12, true}, // 108 / 124 against 83.0
		{1920, 1080, 16, true}, // 107 / 113 against 92.9
		{3840, 2160, 16, true}, // 25.0 / 28.5 against 19.3 (cdd7c49)
	} {
		if got := h264CUDAFaster(c.w, c.h, c.cores); got != c.cudaFaster {
			t.Errorf("%dx%d on %d cores: h264CUDAFaster = %v, measured %v", c.w, c.h, c.cores, got, c.cudaFaster)
		}
	}
	// The table is increasing, and the rule between its sizes too.
	for s, prev := 16*16, 0; s <= 8192*8192; s += s / 7 {
		n := h264CUDAMaxCores(s)
		if n < prev {
			t.Fatalf("h264CUDAMaxCores(%d) = %d, below %d at a smaller size", s, n, prev)
		}
		prev = n
	}
}

// TestPassOver checks the reason ChooseEncoderFor gives for passing over a
// usable h264_cuda, and that it passes over nothing else.
func TestPassOver(t *testing.T) {
	small := passOver("h264_cuda", 16, 16)
	if !strings.Contains(small, "CPU cores is faster at 16x16") {
		t.Errorf("h264_cuda at 16x16: %q", small)
	}
	if runtime.NumCPU() <= h264CUDAMaxCores(8192*8192) {
		if why := passOver("h264_cuda", 8192, 8192); why != "" {
			t.Errorf("h264_cuda at 8192x8192 on %d cores passed over: %q", runtime.NumCPU(), why)
		}
	}
	for _, name := range []string{"libx264", "h264_go", "h264_nvenc"} {
		if why := passOver(name, 16, 16); why != "" {
			t.Errorf("%s passed over: %q", name, why)
		}
	}
	if _, err := ChooseEncoderFor("mpeg2", 1920, 1080); !errors.Is(err, ErrUnknownEncoder) {
		t.Errorf("ChooseEncoderFor(mpeg2): %v, want ErrUnknownEncoder", err)
	}
}
