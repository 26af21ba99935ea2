package quality

// SSIM as computed by FFmpeg's ssim filter (libavfilter/vf_ssim.c, the
// portable C functions ssim_4x4xn_8bit, ssim_end1 and ssim_endn_8bit, after
// x264's implementation): integer sums over 4x4 blocks, 8x8 windows made of
// 2x2 blocks stepping by 4 samples, a float32 SSIM per window, float64 sums.
// The formulas are written out in the package documentation.

// SSIM constants for 8-bit samples, scaled by the 64 samples of a window
// (vf_ssim.c: (int)(.01*.01*255*255*64 + .5) and
// (int)(.03*.03*255*255*64*63 + .5)).
const (
	ssimC1 = 416
	ssimC2 = 235963
)

// blockSums holds the sums over one 4x4 block: Σa, Σb, Σa²+Σb², Σab.
// The largest value, 16·2·255², fits an int32, and so do all the
// intermediate products of ssimWindow, as in FFmpeg's int arithmetic.
type blockSums struct{ s1, s2, ss, s12 int32 }

// ssimBlockRow fills sums[0:len(sums)] with the block sums of block row z
// (sample rows 4z..4z+3); len(sums) is Width/4.
func ssimBlockRow(ref, dist *Plane, z int, sums []blockSums) {
	n := 4 * len(sums)
	for r := 0; r < 4; r++ {
		a, b := ref.row(4*z + r)[:n], dist.row(4*z + r)[:n]
		for k := range sums {
			x := 4 * k
			p, q := a[x:x+4:x+4], b[x:x+4:x+4]
			a0, a1, a2, a3 := int32(p[0]), int32(p[1]), int32(p[2]), int32(p[3])
			b0, b1, b2, b3 := int32(q[0]), int32(q[1]), int32(q[2]), int32(q[3])
			v := blockSums{
				s1:  a0 + a1 + a2 + a3,
				s2:  b0 + b1 + b2 + b3,
				ss:  a0*a0 + a1*a1 + a2*a2 + a3*a3 + b0*b0 + b1*b1 + b2*b2 + b3*b3,
				s12: a0*b0 + a1*b1 + a2*b2 + a3*b3,
			}
			if r > 0 {
				s := &sums[k]
				v.s1 += s.s1
				v.s2 += s.s2
				v.ss += s.ss
				v.s12 += s.s12
			}
			sums[k] = v
		}
	}
}

// ssimWindow is vf_ssim.c's ssim_end1: the SSIM of one 8x8 window from its
// sums, in float32 exactly as FFmpeg's C code evaluates it.
func ssimWindow(s1, s2, ss, s12 int32) float32 {
	vars := ss*64 - s1*s1 - s2*s2
	covar := s12*64 - s1*s2
	num := float32(2*s1*s2+ssimC1) * float32(2*covar+ssimC2)
	den := float32(s1*s1+s2*s2+ssimC1) * float32(vars+ssimC2)
	return num / den
}

// ssimLine is vf_ssim.c's ssim_endn_8bit: the float64 sum of the SSIM of
// the len(a)-1 windows formed by two adjacent block rows a and b.
func ssimLine(a, b []blockSums) float64 {
	if len(a) < 2 {
		return 0
	}
	b = b[:len(a)]
	var sum float64
	for i := 1; i < len(a); i++ {
		p, q, r, s := &a[i-1], &a[i], &b[i-1], &b[i]
		sum += float64(ssimWindow(
			p.s1+q.s1+r.s1+s.s1,
			p.s2+q.s2+r.s2+s.s2,
			p.ss+q.ss+r.ss+s.ss,
			p.s12+q.s12+r.s12+s.s12))
	}
	return sum
}

// ssimRows returns the float64 sum, in row order, of the window rows
// [y0, y1) of a plane (window row y joins block rows y-1 and y; valid rows
// are 1 .. Height/4-1). buf must hold 2*(Width/4) entries.
//
// If sse is not nil and the call computes any window, it also adds to *sse
// the squared errors of sample rows [4*y0, 4*min(y1, Height/4)) (block row
// 0 included when y0 is 0), taken from the block sums (Σ(a−b)² =
// Σa²+Σb²−2Σab) plus the columns right of the last whole block, and
// reports true; otherwise it reports false and adds nothing.
func ssimRows(ref, dist *Plane, y0, y1 int, buf []blockSums, sse *uint64) (float64, bool) {
	w4 := ref.Width >> 2
	countFirst := y0 < 1
	if y0 < 1 {
		y0 = 1
	}
	if y1 > ref.Height>>2 {
		y1 = ref.Height >> 2
	}
	if y0 >= y1 || w4 < 2 {
		return 0, false
	}
	prev, cur := buf[:w4:w4], buf[w4:2*w4:2*w4]
	ssimBlockRow(ref, dist, y0-1, prev)
	if sse != nil && countFirst {
		*sse += blockRowSSE(ref, dist, y0-1, prev)
	}
	var sum float64
	for y := y0; y < y1; y++ {
		ssimBlockRow(ref, dist, y, cur)
		if sse != nil {
			*sse += blockRowSSE(ref, dist, y, cur)
		}
		sum += ssimLine(cur, prev)
		prev, cur = cur, prev
	}
	return sum, true
}

// blockRowSSE returns the squared errors of sample rows 4z..4z+3 from the
// block sums of block row z and the samples right of the last block.
func blockRowSSE(ref, dist *Plane, z int, sums []blockSums) uint64 {
	var e int64
	for i := range sums {
		e += int64(sums[i].ss) - 2*int64(sums[i].s12)
	}
	total := uint64(e)
	if x := 4 * len(sums); x < ref.Width {
		for r := 4 * z; r < 4*z+4; r++ {
			total += sseLine(ref.row(r)[x:], dist.row(r)[x:])
		}
	}
	return total
}

// ssimWindows returns FFmpeg's divisor for a plane's SSIM sum,
// (Width/4−1)·(Height/4−1) with C's integer arithmetic; it is 0 or
// negative for planes smaller than 8x8, as in FFmpeg.
func ssimWindows(w, h int) int { return ((w >> 2) - 1) * ((h >> 2) - 1) }

// PlaneSSIM returns the SSIM of two planes of the same size, as FFmpeg's
// ssim filter computes it for one plane of an 8-bit format. Rows are spread
// over at most GOMAXPROCS goroutines.
func PlaneSSIM(ref, dist Plane) (float64, error) {
	r, err := measurePlanes([]Plane{ref}, []Plane{dist}, false, true)
	if err != nil {
		return 0, err
	}
	return r.ssimSum[0] / float64(ssimWindows(ref.Width, ref.Height)), nil
}
