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

// TestPTXKernelsPresent checks that every kernel the host launches is
// defined in the PTX (an unmangled .entry).
func TestPTXKernelsPresent(t *testing.T) {
	ptx, err := kernels.PTX("motion")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range motionKernels {
		if !strings.Contains(ptx, ".entry "+k+"(") {
			t.Errorf("motion.ptx has no kernel %s", k)
		}
	}
}
