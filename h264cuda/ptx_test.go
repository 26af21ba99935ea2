package h264cuda

import (
	"errors"
	"strings"
	"testing"

	"github.com/gpuenc/gpuenc/h264cuda/kernels"
)

// TestPTXUpToDate fails when a kernel source changed without its PTX
// being regenerated; the message says how to regenerate it.
func TestPTXUpToDate(t *testing.T) {
	names := kernels.Names()
	if len(names) == 0 {
		t.Fatal("no kernel sources embedded")
	}
	for _, name := range names {
		if err := kernels.Stale(name); err != nil {
			t.Error(err)
		}
	}
}

// TestPTXStaleDetected checks the detector itself: a header line naming
// other hashes is reported with the regeneration command.
func TestPTXStaleDetected(t *testing.T) {
	line, err := kernels.HeaderLine("motion")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"motion.cu=", "motion.h=", "common.h="} {
		if !strings.Contains(line, want) {
			t.Errorf("header line %q lacks %s", line, want)
		}
	}
	e := &kernels.StaleError{Name: "motion", Want: line, Got: strings.Replace(line, "motion.cu=", "motion.cu=0", 1)}
	if !strings.Contains(e.Error(), kernels.RegenerateCommand) {
		t.Errorf("stale message %q does not name %s", e.Error(), kernels.RegenerateCommand)
	}
	var se *kernels.StaleError
	if err := kernels.Stale("motion"); err != nil && !errors.As(err, &se) {
		t.Errorf("Stale returned %T, want *StaleError", err)
	}
	if _, err := kernels.PTX("nosuchstage"); !errors.Is(err, kernels.ErrNotFound) {
		t.Errorf("PTX of a missing stage: %v", err)
	}
}

// TestPTXKernelsPresent checks that every kernel each stage launches is
// defined in its PTX (an unmangled .entry).
func TestPTXKernelsPresent(t *testing.T) {
	for name, ks := range stageKernels {
		ptx, err := kernels.PTX(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			if !strings.Contains(ptx, ".entry "+k+"(") {
				t.Errorf("%s.ptx has no kernel %s", name, k)
			}
		}
	}
}

// stageKernels lists the kernels each stage's module must define.
var stageKernels = map[string][]string{
	"motion":    motionKernels,
	"analyse":   {"analyse_mb"},
	"inter":     {"inter_recon", "probe_skip"},
	"cavlc":     cavlcKernels,
	"deblock":   deblockKernels,
	"convert":   {"convert_src"},
	"lookahead": lookaheadKernels,
	"intra":     {"intra_rows"},
}

// TestFatbinsPresent checks that every stage has a fatbin (the image the
// GPU backend loads) with the fatbin magic, and that stageKernels names
// every stage.
func TestFatbinsPresent(t *testing.T) {
	for _, name := range kernels.Names() {
		if stageKernels[name] == nil {
			t.Errorf("stage %s: no kernel list in stageKernels", name)
		}
		b, err := kernels.Fatbin(name)
		if err != nil {
			t.Error(err)
			continue
		}
		if len(b) < 4 || b[0] != 0x50 || b[1] != 0xed || b[2] != 0x55 || b[3] != 0xba {
			t.Errorf("%s.fatbin does not start with the fatbin magic", name)
		}
	}
}

// TestStaleFatbinDetected: a fatbin whose hash line names other sources
// is reported like a stale PTX (the check itself, on an edited copy of
// the line).
func TestStaleFatbinDetected(t *testing.T) {
	for _, name := range kernels.Names() {
		if err := kernels.Stale(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	e := &kernels.StaleError{Name: "motion", Want: "a", Got: "b"}
	if msg := e.Error(); !strings.Contains(msg, "motion.fatbin") || !strings.Contains(msg, kernels.RegenerateCommand) {
		t.Errorf("stale message %q names neither the fatbin nor %s", msg, kernels.RegenerateCommand)
	}
}

// TestGPUFatbinKernels loads every stage's fatbin on the GPU and resolves
// its kernels (on an sm_80 or sm_90 GPU without compiling anything).
func TestGPUFatbinKernels(t *testing.T) {
	ctx := gpuContext(t)
	for _, name := range kernels.Names() {
		b, err := kernels.Fatbin(name)
		if err != nil {
			t.Fatal(err)
		}
		m, err := ctx.LoadModule(b)
		if err != nil {
			t.Fatalf("%s.fatbin: %v", name, err)
		}
		for _, k := range stageKernels[name] {
			if _, err := m.Function(k); err != nil {
				t.Errorf("%s.fatbin: kernel %s: %v", name, k, err)
			}
		}
		if err := m.Unload(); err != nil {
			t.Fatal(err)
		}
	}
}
