package quality

// PSNR: sum of squared errors per plane and its conversion to decibels, as
// in FFmpeg's libavfilter/vf_psnr.c (8-bit path).

import "math"

// peak2 is the squared peak sample value of 8-bit video, 255².
const peak2 = 255 * 255

// PSNRFromMSE returns 10·log10(255²/mse), the PSNR in dB of 8-bit samples
// with mean squared error mse. It is +Inf when mse is 0: like FFmpeg, the
// package never caps PSNR.
func PSNRFromMSE(mse float64) float64 {
	return 10 * math.Log10(peak2/mse)
}

// SSIMToDB returns FFmpeg's decibel form of an SSIM value,
// 10·log10(1/(1−ssim)), or +Inf when ssim is within 1e-9 of 1.
func SSIMToDB(ssim float64) float64 { return ssimDB(ssim, 1) }

// ssimDB is vf_ssim.c's ssim_db: 10·log10(weight/(weight−sum)) for a sum of
// weight SSIM values.
func ssimDB(sum, weight float64) float64 {
	if math.Abs(weight-sum) > 1e-9 {
		return 10 * math.Log10(weight/(weight-sum))
	}
	return math.Inf(1)
}

// sseRows returns the sum of squared differences over rows [y0, y1).
func sseRows(ref, dist *Plane, y0, y1 int) uint64 {
	var total uint64
	for y := y0; y < y1; y++ {
		total += sseLine(ref.row(y), dist.row(y))
	}
	return total
}

// sseLine returns Σ(a[i]−b[i])² over the whole of a; len(b) >= len(a).
func sseLine(a, b []uint8) uint64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int
	i := 0
	for ; i+4 <= len(a); i += 4 {
		p, q := a[i:i+4:i+4], b[i:i+4:i+4]
		d0 := int(p[0]) - int(q[0])
		d1 := int(p[1]) - int(q[1])
		d2 := int(p[2]) - int(q[2])
		d3 := int(p[3]) - int(q[3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := int(a[i]) - int(b[i])
		s0 += d * d
	}
	return uint64(s0 + s1 + s2 + s3)
}

// PlaneSSE returns the sum of squared differences between two planes of the
// same size. Rows are spread over at most GOMAXPROCS goroutines.
func PlaneSSE(ref, dist Plane) (uint64, error) {
	r, err := measurePlanes([]Plane{ref}, []Plane{dist}, true, false)
	return r.sse[0], err
}
