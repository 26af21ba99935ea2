package gpuenc

import (
	"github.com/gpuenc/gpuenc/internal/av"
)

// EncoderStatus is one encoder in a probe report.
type EncoderStatus struct {
	Name   string `json:"name"`
	Codec  string `json:"codec"`
	Usable bool   `json:"usable"`
	Reason string `json:"reason"`
}

// ProbeReport is what `gpuenc probe` prints: FFmpeg's build, the encoders
// and whether each is usable here, the GPUs, and the automatic choices.
type ProbeReport struct {
	FFmpeg   map[string]string `json:"ffmpeg"`
	Encoders []EncoderStatus   `json:"encoders"`
	GPUs     any               `json:"gpus"`
	GPUText  string            `json:"-"`
	Choices  []Choice          `json:"choices"`
}

// gpuProbe fills in the GPU part of a probe report; the CUDA layer sets it.
var gpuProbe = func() (report any, text string) {
	return []any{}, "GPUs: none (no CUDA driver found)\n"
}

// Probe reports what this machine can encode.
func Probe() ProbeReport {
	p := ProbeReport{FFmpeg: av.Versions()}
	for _, name := range EncoderNames() {
		codec := "h264"
		if _, own := ownEncoders[name]; !own {
			codec, _ = av.EncoderCodecName(name)
		}
		if codec == "rawvideo" || codec == "wrapped_avframe" {
			continue
		}
		ok, why := Usable(name)
		p.Encoders = append(p.Encoders, EncoderStatus{Name: name, Codec: codec, Usable: ok, Reason: why})
	}
	p.GPUs, p.GPUText = gpuProbe()
	for _, codec := range []string{"h264", "hevc", "av1"} {
		c, _ := ChooseEncoder(codec)
		p.Choices = append(p.Choices, c)
	}
	return p
}
