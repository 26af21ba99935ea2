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
		// fps at 6871ad7 on an H200 machine, h264_cuda from CPU / CUDA
		// frames against libx264 (bench/results/h200-choice/6871ad7, and
		// ../h200-study for 16 cores)
		{640, 360, 4, true},     // 303 / 391 against 268
		{640, 360, 6, false},    // 292 / 369 against 362
		{640, 360, 16, false},   // 287 / 349 against 396
		{1280, 720, 8, true},    // 149 / 179 against 123
		{1280, 720, 10, true},   // 154 / 179 against 125
		{1280, 720, 12, false},  // 158 / 178 against 184
		{1280, 720, 16, false},  // 154 / 164 against 174
		{1920, 1080, 12, true},  // 90.8 / 100.6 against 91.9: level
		{1920, 1080, 14, false}, // 92.5 / 99.3 against 97.1
		{3840, 2160, 16, true},  // 25.0 / 28.5 against 19.3 (cdd7c49)
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
