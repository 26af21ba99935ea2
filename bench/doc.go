// Package bench reproduces the torchaudio NVENC study (an encode benchmark of
// 120 frames of testsrc2 at 360p, 720p and 1080p with libx264 at several
// thread counts and NVIDIA's hardware encoder fed from CPU and CUDA frames)
// with gpuenc's encoders, and adds what the study left out: honest timing
// (warm-up, repeats, median and spread, flush and muxing inside the clock),
// measured quality (PSNR and SSIM of the decoded output against the source,
// with package quality), rate-distortion sweeps summarised as BD-rate
// against an anchor, and a report folder of tables, JSON, CSV, plots and
// spot-check crops.
//
// Run builds the matrix from a Config and returns a Report; Report.WriteDir
// writes it out. CompareFiles measures one video against another, as
// `gpuenc quality` does.
package bench
