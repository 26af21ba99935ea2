package nvenc

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/cuda"
)

// TestGPUProbe opens real NVENC sessions. On GPUs without NVENC (A100,
// H100, H200) it must say so in words; where the encode library is not
// mounted it must say that instead.
func TestGPUProbe(t *testing.T) {
	if err := cuda.Load(); err != nil {
		t.Skipf("GPU test: run `make gpu-test` on a machine with an NVIDIA GPU (%v)", err)
	}
	reports, err := Probe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Table(&b, reports); err != nil {
		t.Fatal(err)
	}
	t.Logf("probe:\n%s", b.String())
	for _, r := range reports {
		if len(r.Codecs) != len(Codecs) {
			t.Errorf("GPU %d: %d codec rows", r.Device.Index, len(r.Codecs))
		}
		if r.Err != nil {
			t.Logf("GPU %d error: %v", r.Device.Index, r.Err)
			known := errors.Is(r.Err, ErrNoEncoder) || errors.Is(r.Err, ErrNoLibrary) ||
				errors.Is(r.Err, ErrSessionLimit) || errors.Is(r.Err, ErrDriverTooOld)
			if !known {
				t.Errorf("GPU %d: unclassified NVENC failure: %v", r.Device.Index, r.Err)
			}
			if r.Usable() {
				t.Errorf("GPU %d: usable despite %v", r.Device.Index, r.Err)
			}
		}
		name := r.Device.Name
		if strings.Contains(name, "H100") || strings.Contains(name, "H200") || strings.Contains(name, "A100") {
			if r.Usable() {
				t.Errorf("%s reported usable NVENC", name)
			}
			if !errors.Is(r.Err, ErrNoEncoder) && !errors.Is(r.Err, ErrNoLibrary) {
				t.Errorf("%s: want ErrNoEncoder or ErrNoLibrary, got %v", name, r.Err)
			}
		}
		for _, c := range r.Codecs {
			if c.Usable && (c.MaxWidth < 1920 || c.MaxHeight < 1080) {
				t.Errorf("GPU %d %s: implausible max size %dx%d", r.Device.Index, c.Codec, c.MaxWidth, c.MaxHeight)
			}
			if !c.Usable && c.Reason == "" {
				t.Errorf("GPU %d %s: unusable without a reason", r.Device.Index, c.Codec)
			}
		}
	}
	// A second probe must give the same answer: sessions were closed.
	again, err := Probe(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range reports {
		if again[i].Error != reports[i].Error || again[i].Usable() != reports[i].Usable() {
			t.Errorf("GPU %d: second probe differs: %q vs %q", i, again[i].Error, reports[i].Error)
		}
	}
}
