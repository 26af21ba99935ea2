package gpuenc

import "github.com/gpuenc/gpuenc/internal/av"

// deviceFrames holds frames in CUDA device memory.
type deviceFrames struct {
	ptr   uintptr // first frame's first plane
	pitch int     // bytes per row of every plane
	gpu   int
}

func (d *deviceFrames) slice(i, j int) *deviceFrames { return d }

// hwInput feeds an encoder through an FFmpeg CUDA frames context.
type hwInput struct {
	frames *av.HWFrames
}

func newHWInput(cfg StreamConfig, encFmt PixelFormat) (*hwInput, error) {
	return nil, &ConfigError{Field: "HWAccel", Reason: "not supported yet"}
}

func (h *hwInput) frame(frames *Frames, i int, in *av.Frame, scaler *av.Scaler, conv *av.Frame) (*av.Frame, error) {
	return nil, nil
}

func (h *hwInput) close() {}
