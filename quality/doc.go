// Package quality measures how far a distorted video is from its reference:
// PSNR and SSIM per plane, per frame and per sequence, computed so that the
// figures can be checked digit for digit against FFmpeg's psnr and ssim
// filters (libavfilter/vf_psnr.c, libavfilter/vf_ssim.c), and the
// Bjøntegaard delta rate and delta PSNR (bdrate.go) that summarise two
// rate-distortion curves.
//
// # Frames and planes
//
// A frame is a []Plane of 8-bit samples: Y, U, V for yuv420p or yuv444p
// (FFmpeg's plane order), or a single plane for gray. Planes may have any
// size, odd sizes included; the weights that combine planes are the planes'
// sample counts (FFmpeg's definition), except for the 6:1:1 weighted PSNR.
//
// # PSNR
//
// For one plane of N samples with sum of squared errors SSE,
//
//	MSE  = SSE / N
//	PSNR = 10 * log10(255² / MSE)   (+Inf when MSE is 0; FFmpeg prints "inf" and does not cap)
//
// Per frame, [FrameResult] carries the PSNR of every plane, FFmpeg's
// psnr_avg (the PSNR of the MSEs averaged with the planes' sample counts as
// weights, which equals total SSE over total samples) and PSNR611, the
// PSNR of (6*MSE_Y + MSE_U + MSE_V)/8 (the JVET/JCT-VC common test
// conditions weight luma six times each chroma plane; we weight the MSE,
// not the per-plane PSNR values).
//
// Over a sequence FFmpeg's summary line ("PSNR y:... u:... v:...
// average:... min:... max:...") reports, for each plane, the PSNR of the
// MSE averaged over frames, and for "average" the PSNR of the psnr_avg MSE
// averaged over frames: it is a PSNR of mean MSE, not a mean of per-frame
// PSNR. [Result] carries both kinds and names which is which.
//
// # SSIM
//
// SSIM follows FFmpeg's ssim filter exactly: the plane is cut into 4x4
// blocks whose sums (Σa, Σb, Σa²+Σb², Σab) are kept as integers; each
// 8x8 window is four neighbouring blocks (windows step by 4 samples, so
// they overlap by half); per window
//
//	SSIM = (2·S1·S2 + C1)(2·(64·S12 − S1·S2) + C2) / ((S1² + S2² + C1)(64·SS − S1² − S2² + C2))
//
// with C1 = round(0.01²·255²·64) = 416 and C2 = round(0.03²·255²·64·63) =
// 235963, evaluated in float32 as FFmpeg's C code does; window values are
// summed in float64 and divided by the number of windows
// ((W/4−1)·(H/4−1)). "All" weights the planes by their sample counts.
// Planes smaller than 8x8 have no whole window: FFmpeg's C code then
// yields 0 (both sides under 4) or NaN, and so does this package.
//
// FFmpeg 5.1's x86 SIMD version of the last step (ssim_end_line in
// libavfilter/x86/vf_ssim.asm) is wrong when the number of windows per row
// is 1 more than a multiple of 4 (for example the 88-sample-wide chroma of
// 176x144 yuv420p, or the 75-sample-wide luma of 75x41): it keeps a value
// from outside the row instead of the last window; planes at least 8 rows
// high but under 8 columns wide get values of whatever lies in its buffer.
// This package follows FFmpeg's portable C code, which is the definition of
// the metric; run ffmpeg with "-cpuflags 0" to get the same figures from it
// for such widths (the tests do, and compare both ways).
//
// # Parallelism and determinism
//
// Work is split into fixed bands of rows, run on at most GOMAXPROCS
// goroutines, and summed in a fixed order, so results do not depend on
// GOMAXPROCS or on scheduling.
package quality
