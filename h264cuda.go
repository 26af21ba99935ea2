package gpuenc

import (
	"github.com/gpuenc/gpuenc/h264cuda"
	"github.com/gpuenc/gpuenc/internal/av"
)

func init() {
	ownEncoders["h264_cuda"] = newH264CUDAEncoder
	usabilityChecks["h264_cuda"] = func() (bool, string) {
		if err := h264cuda.Available(); err != nil {
			return false, errText(err)
		}
		return true, "gpuenc's H.264 encoder on CUDA cores (byte-identical to h264_go)"
	}
}

// newH264CUDAEncoder runs h264_cuda on the GPU that HWAccel names (GPU 0 by
// default). It makes exactly h264_go's stream; CUDA frames in yuv420p, nv12
// or yuv444p on that GPU go to it as they are: it converts them on the GPU
// (see h264cuda's EncodeDeviceFormat for what it still copies to the host).
func newH264CUDAEncoder(w *Writer, cfg StreamConfig, color av.Color) (videoEncoder, int, error) {
	gpu := 0
	if cfg.HWAccel != "" {
		var err error
		if gpu, err = ParseHWAccel(cfg.HWAccel); err != nil {
			return nil, 0, err
		}
	}
	if ok, why := Usable("h264_cuda"); !ok {
		return nil, 0, &EncoderError{Encoder: "h264_cuda", Reason: "not usable on this machine: " + why}
	}
	o, err := h264OwnOptions("h264_cuda", cfg, color)
	if err != nil {
		return nil, 0, err
	}
	enc, err := h264cuda.NewEncoder(gpu, o)
	if err != nil {
		return nil, 0, &EncoderError{Encoder: "h264_cuda", Reason: "cannot open", Err: err}
	}
	return newH264OwnStream(w, cfg, color, &ownH264Encoder{name: "h264_cuda", enc: enc, device: enc.EncodeDeviceFormat, gpu: gpu, closer: enc.Close})
}
