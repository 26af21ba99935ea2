package gpuenc

import (
	"errors"
	"runtime"
	"strings"
	"testing"
)

// TestH264CUDAChoiceRule checks the rule that decides between h264_cuda
// and libx264 against the measurements it was drawn from (NVIDIA H200
// machine, `taskset` to 4, 8, 12 and 16 cores, `gpuenc bench --encoders
// libx264,h264_cuda --threads N`; h264cuda/NOTES.md): h264_cuda was the
// faster one exactly in the cases marked true.
func TestH264CUDAChoiceRule(t *testing.T) {
	for _, c := range []struct {
		w, h, cores int
		cudaFaster  bool
	}{
		{640, 360, 4, false},    // 172–202 fps against 209
		{640, 360, 8, false},    // 174–203 against 332
		{1280, 720, 4, true},    // 91–102 against 79
		{1280, 720, 8, false},   // 104–113 against 120
		{1920, 1080, 4, true},   // 47–52 against 34
		{1920, 1080, 8, true},   // 57–60 against 49
		{1920, 1080, 12, false}, // 59–64 against 74
		{1920, 1080, 16, false}, // 63–66 against 86
	} {
		if got := h264CUDAFaster(c.w, c.h, c.cores); got != c.cudaFaster {
			t.Errorf("%dx%d on %d cores: h264CUDAFaster = %v, measured %v", c.w, c.h, c.cores, got, c.cudaFaster)
		}
	}
}

// TestPassOver checks the reason ChooseEncoderFor gives for passing over a
// usable h264_cuda, and that it passes over nothing else.
func TestPassOver(t *testing.T) {
	small := passOver("h264_cuda", 16, 16)
	if !strings.Contains(small, "CPU cores is faster at 16x16") {
		t.Errorf("h264_cuda at 16x16: %q", small)
	}
	huge := 8192 * 8192
	if huge >= h264CUDASamplesPerCore*runtime.NumCPU() {
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
