package gpuenc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/gpuenc/gpuenc/cuda"
	"github.com/gpuenc/gpuenc/nvenc"
)

// The NVENC probe opens a real encode session on each GPU, once per
// process, to answer Usable and `gpuenc probe`.
var nvencProbe struct {
	once    sync.Once
	reports []nvenc.GPUReport
	err     error
}

func probeNVENC() ([]nvenc.GPUReport, error) {
	nvencProbe.once.Do(func() {
		nvencProbe.reports, nvencProbe.err = nvenc.Probe(context.Background())
	})
	return nvencProbe.reports, nvencProbe.err
}

func init() {
	nvencUsable = func(encoder string) (bool, string) {
		reports, err := probeNVENC()
		if err != nil {
			return false, errText(err)
		}
		var why []string
		for _, r := range reports {
			for _, c := range r.Codecs {
				if c.Encoder != encoder {
					continue
				}
				if c.Usable {
					return true, fmt.Sprintf("NVENC on GPU %d (%s)", r.Device.Index, r.Device.Name)
				}
				if r.Err != nil {
					why = append(why, r.Err.Error()) // names the GPU and says what to do
				} else {
					why = append(why, c.Reason)
				}
			}
			if r.Err != nil && len(r.Codecs) == 0 {
				why = append(why, errText(r.Err))
			}
		}
		if len(why) == 0 {
			why = append(why, "no GPU offers it")
		}
		return false, strings.Join(dedupe(why), "; ")
	}
	gpuProbe = func() (any, string) {
		reports, err := probeNVENC()
		if err != nil {
			if errors.Is(err, cuda.ErrNoDriver) {
				return []any{}, "GPUs: none (" + err.Error() + ")\n"
			}
			return []any{}, "GPUs: " + errText(err) + "\n"
		}
		var b bytes.Buffer
		if err := nvenc.Table(&b, reports); err != nil {
			fmt.Fprintf(&b, "GPUs: %v\n", err)
		}
		return reports, b.String()
	}
}

// errText is a short reason for tables; the probe's GPU section carries
// the full advice.
func errText(err error) string {
	if errors.Is(err, cuda.ErrNoDriver) {
		return "no NVIDIA driver found (libcuda.so.1)"
	}
	return err.Error()
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	out := s[:0]
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
