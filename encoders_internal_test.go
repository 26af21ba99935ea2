package gpuenc

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestH264CUDAChoiceRule checks the rule that decides between h264_cuda
// and libx264 against the measurements it was drawn from (NVIDIA H200
// machines with 16 and 64 cores, commit 7151c57, `taskset` to N cores,
// `gpuenc bench --encoders libx264,h264_cuda --threads N`;
// bench/results/h200-choice/7151c57): h264_cuda was the faster one (from
// CPU and from CUDA frames, level counting as faster) exactly in the cases
// marked true.
func TestH264CUDAChoiceRule(t *testing.T) {
	for _, c := range []struct {
		w, h, cores int
		cudaFaster  bool
	}{
		// fps, h264_cuda from CPU / CUDA frames against libx264
		{640, 360, 6, true},    // 360.6 / 476.2 against 338.2
		{640, 360, 8, true},    // 380.1 / 466.5 against 380.6: level
		{640, 360, 12, false},  // 386.9 / 500.4 against 420.5
		{640, 360, 16, false},  // 369.0 / 508.8 against 474.1
		{1280, 720, 12, true},  // 236.3 / 282.9 against 186.9
		{1280, 720, 16, true},  // 221.8 / 266.5 against 181.6
		{1280, 720, 32, true},  // 214.4 / 256.3 against 180.8 (64-core host)
		{1920, 1080, 16, true}, // 144.1 / 161.7 against 102.0
		{1920, 1080, 48, true}, // 145.4 / 160.8 against 120.0 (64-core host)
		{3840, 2160, 48, true}, // 53.3 / 58.4 against 25.8 (64-core host)
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
