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
		{640, 360, 4, false},    // 224 / 260 fps against 232: level, libx264 compresses better
		{640, 360, 16, false},   // 229 / 272 against 433
		{1280, 720, 4, true},    // 107 / 119 against 75
		{1280, 720, 8, true},    // 118 / 133 against 107
		{1280, 720, 16, false},  // 133 / 144 against 179
		{1920, 1080, 6, true},   // 55 / 65 against 45
		{1920, 1080, 10, true},  // 66 / 73 against 60
		{1920, 1080, 12, false}, // 70 / 74 against 79
		{1920, 1080, 16, false}, // 76 / 82 against 104
		{3840, 2160, 16, true},  // 25.0 / 28.5 against 19.3
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
