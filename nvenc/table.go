package nvenc

import (
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/gpuenc/gpuenc/cuda"
)

// shortReason names a GPU-wide failure in a few words for the per-codec
// rows; the full explanation is in GPUReport.Error.
func shortReason(err error) string {
	switch {
	case errors.Is(err, ErrNoEncoder):
		return "no NVENC hardware on this GPU"
	case errors.Is(err, ErrNoLibrary):
		return LibraryName + " not found"
	case errors.Is(err, ErrSessionLimit):
		return "NVENC session limit reached"
	case errors.Is(err, ErrDriverTooOld):
		return "NVIDIA driver too old"
	case errors.Is(err, cuda.ErrNoDriver):
		return "no NVIDIA driver"
	}
	return err.Error()
}

// Table writes reports as one block per GPU: a header line with the
// device, a driver line, the GPU-wide NVENC error if any, and one row per
// codec. It returns the first write error.
func Table(w io.Writer, reports []GPUReport) error {
	if len(reports) == 0 {
		_, err := fmt.Fprintln(w, "no CUDA GPUs found")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, r := range reports {
		if i > 0 {
			fmt.Fprintln(tw)
		}
		d := r.Device
		fmt.Fprintf(tw, "GPU %d: %s (compute %s, %d SMs, %.1f GiB, PCI %s)\n",
			d.Index, orDash(d.Name), d.ComputeCapability(), d.Multiprocessors,
			float64(d.TotalMemory)/(1<<30), orDash(d.PCIBusID))
		fmt.Fprintf(tw, "  driver %s, CUDA %s, NVENC API %s\n",
			orDash(r.DriverVersion), orDash(r.CUDAVersion), orDash(r.NVENCAPIVersion))
		if r.Error != "" {
			fmt.Fprintf(tw, "  NVENC: %s\n", r.Error)
		}
		fmt.Fprintln(tw, "  CODEC\tENCODER\tUSABLE\t4:4:4\t10-BIT\tMAX SIZE\tREASON")
		for _, c := range r.Codecs {
			usable, yuv444, bit10, size := "no", "-", "-", "-"
			if c.Usable {
				usable, yuv444, bit10 = "yes", yesNo(c.Supports444), yesNo(c.Supports10Bit)
				size = fmt.Sprintf("%dx%d", c.MaxWidth, c.MaxHeight)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n",
				c.Codec, c.Encoder, usable, yuv444, bit10, size, orDash(c.Reason))
		}
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
