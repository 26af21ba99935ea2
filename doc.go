// Package gpuenc encodes batches of video frames, in CPU or CUDA GPU memory,
// into mp4, mov, mkv, nut or raw H.264/HEVC, written to a file or any
// io.Writer — the Go counterpart of torchaudio's StreamWriter — and reads
// lavfi test sources, media files and raw frames back as batches.
//
// The encoders are FFmpeg's (libx264 and others, from a static FFmpeg 7.1
// build), NVIDIA's NVENC (h264_nvenc, hevc_nvenc, av1_nvenc, fed straight
// from CUDA memory), and gpuenc's own pure-Go H.264 encoder, h264_go
// (package h264). A codec name ("h264", "hevc", "av1") as the encoder picks
// the best one usable on this machine; ChooseEncoder says which and why.
//
// A typical use:
//
//	w, _ := gpuenc.Create("out.mp4", gpuenc.WriterOptions{})
//	w.AddVideoStream(gpuenc.StreamConfig{Width: 1280, Height: 720,
//		FrameRate: gpuenc.Rational{Num: 30, Den: 1}, Format: gpuenc.RGB24,
//		Encoder: "libx264", Options: map[string]string{"crf": "20"}})
//	w.Write(ctx, 0, frames) // any number of times
//	err := w.Close()
//
// Frames (frames.go) hold the pictures; Writer (writer.go) encodes them;
// Reader (reader.go) reads them; device.go has the CUDA side; Probe and
// Usable say what this machine can encode. Errors are typed: see errors.go.
package gpuenc
