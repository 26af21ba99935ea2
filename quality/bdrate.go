package quality

// Bjøntegaard delta rate and delta PSNR.
//
// G. Bjøntegaard, "Calculation of average PSNR differences between
// RD-curves", ITU-T SG16 Q.6 VCEG-M33, Austin, April 2001: each curve's
// log-rate is fitted as a function of PSNR, the fits are integrated over
// the PSNR interval both curves cover, and the mean difference of log-rate
// is turned back into a rate ratio. VCEG-M33 fits one cubic polynomial per
// curve ([CubicFit]). The JCT-VC and JVET common test conditions
// spreadsheets (JCTVC-L1100, JVET-T2010) instead interpolate piecewise with
// monotone cubic Hermite polynomials, slopes after Fritsch and Carlson as in
// MATLAB's pchip, and integrate each piece exactly ([PCHIP], the default),
// which cannot overshoot between points as the single cubic can.

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// RDPoint is one rate-distortion point of a curve.
type RDPoint struct {
	// Rate is the bit rate, in any unit shared by all points (kbit/s,
	// bytes, ...); it must be positive.
	Rate float64
	// PSNR is the quality in dB.
	PSNR float64
}

// BDMethod selects how a rate-distortion curve is interpolated.
type BDMethod int

const (
	// PCHIP interpolates piecewise with monotone cubic Hermite polynomials,
	// as the JCT-VC/JVET common test conditions spreadsheets do.
	PCHIP BDMethod = iota
	// CubicFit fits one cubic polynomial by least squares (exact through 4
	// points), as VCEG-M33 does.
	CubicFit
)

// String returns the method's name.
func (m BDMethod) String() string {
	switch m {
	case PCHIP:
		return "pchip"
	case CubicFit:
		return "cubic"
	}
	return fmt.Sprintf("BDMethod(%d)", int(m))
}

// MinRDPoints is the fewest points a curve may have.
const MinRDPoints = 4

// Sentinel errors of the BD functions; the typed errors wrap them.
var (
	// ErrTooFewPoints: a curve has fewer than MinRDPoints points.
	ErrTooFewPoints = errors.New("quality: too few rate-distortion points")
	// ErrNonMonotonic: a curve's rate does not rise strictly with PSNR, or
	// a point is not finite or has a rate that is not positive.
	ErrNonMonotonic = errors.New("quality: rate-distortion curve is not strictly monotonic")
	// ErrNoOverlap: the curves share no interval of PSNR (BD-rate) or of
	// rate (BD-PSNR).
	ErrNoOverlap = errors.New("quality: rate-distortion curves do not overlap")
	// ErrUnknownMethod: the BDMethod is not one of the constants.
	ErrUnknownMethod = errors.New("quality: unknown BD interpolation method")
)

// TooFewPointsError reports a curve with fewer than MinRDPoints points.
type TooFewPointsError struct {
	Curve string // "anchor" or "test"
	N     int
}

// Error describes the problem.
func (e *TooFewPointsError) Error() string {
	return fmt.Sprintf("quality: %s curve has %d points, at least %d needed", e.Curve, e.N, MinRDPoints)
}

// Unwrap returns ErrTooFewPoints.
func (e *TooFewPointsError) Unwrap() error { return ErrTooFewPoints }

// NonMonotonicError reports a curve that is not a strictly increasing
// function between rate and PSNR.
type NonMonotonicError struct {
	Curve  string // "anchor" or "test"
	Point  RDPoint
	Reason string
}

// Error describes the problem.
func (e *NonMonotonicError) Error() string {
	return fmt.Sprintf("quality: %s curve at rate %g, PSNR %g: %s", e.Curve, e.Point.Rate, e.Point.PSNR, e.Reason)
}

// Unwrap returns ErrNonMonotonic.
func (e *NonMonotonicError) Unwrap() error { return ErrNonMonotonic }

// NoOverlapError reports curves without a common interval. Lo and Hi are
// the would-be bounds (Lo >= Hi), in dB for BD-rate and log10(rate) for
// BD-PSNR.
type NoOverlapError struct{ Lo, Hi float64 }

// Error describes the problem.
func (e *NoOverlapError) Error() string {
	return fmt.Sprintf("quality: curves do not overlap (interval [%g, %g] is empty)", e.Lo, e.Hi)
}

// Unwrap returns ErrNoOverlap.
func (e *NoOverlapError) Unwrap() error { return ErrNoOverlap }

// BDRate returns the Bjøntegaard delta rate of test against anchor in
// percent, with PCHIP interpolation (JCT-VC/JVET CTC): the average rate
// difference at equal PSNR over the PSNR interval both curves cover;
// negative means test needs less rate. Points may come in any order.
func BDRate(anchor, test []RDPoint) (float64, error) {
	return BDRateMethod(anchor, test, PCHIP)
}

// BDPSNR returns the Bjøntegaard delta PSNR of test against anchor in dB,
// with PCHIP interpolation: the average PSNR difference at equal rate over
// the log-rate interval both curves cover; positive means test is better.
func BDPSNR(anchor, test []RDPoint) (float64, error) {
	return BDPSNRMethod(anchor, test, PCHIP)
}

// BDRateMethod is BDRate with a choice of interpolation.
//
// With x = PSNR and y = log10(rate) for each curve, lo and hi the largest
// lowest and smallest highest PSNR of the two curves, and f the
// interpolant,
//
//	BD-rate = (10^((∫ f_test − ∫ f_anchor)/(hi − lo)) − 1) · 100 %.
func BDRateMethod(anchor, test []RDPoint, m BDMethod) (float64, error) {
	d, err := bdDelta(anchor, test, m, true)
	if err != nil {
		return 0, err
	}
	return (math.Pow(10, d) - 1) * 100, nil
}

// BDPSNRMethod is BDPSNR with a choice of interpolation: with x =
// log10(rate) and y = PSNR it returns (∫ f_test − ∫ f_anchor)/(hi − lo).
func BDPSNRMethod(anchor, test []RDPoint, m BDMethod) (float64, error) {
	return bdDelta(anchor, test, m, false)
}

// bdDelta returns the mean difference test − anchor of the interpolated y
// over the common x interval; rateOfPSNR selects x = PSNR, y = log10(rate)
// (BD-rate) or the converse (BD-PSNR).
func bdDelta(anchor, test []RDPoint, m BDMethod, rateOfPSNR bool) (float64, error) {
	if m != PCHIP && m != CubicFit {
		return 0, ErrUnknownMethod
	}
	xa, ya, err := curve("anchor", anchor, rateOfPSNR)
	if err != nil {
		return 0, err
	}
	xt, yt, err := curve("test", test, rateOfPSNR)
	if err != nil {
		return 0, err
	}
	lo := math.Max(xa[0], xt[0])
	hi := math.Min(xa[len(xa)-1], xt[len(xt)-1])
	if !(hi > lo) {
		return 0, &NoOverlapError{Lo: lo, Hi: hi}
	}
	integral := pchipIntegral
	if m == CubicFit {
		integral = cubicFitIntegral
	}
	return (integral(xt, yt, lo, hi) - integral(xa, ya, lo, hi)) / (hi - lo), nil
}

// curve validates a curve and returns its points as (x, y) sorted by
// increasing x.
func curve(name string, pts []RDPoint, rateOfPSNR bool) (x, y []float64, err error) {
	if len(pts) < MinRDPoints {
		return nil, nil, &TooFewPointsError{Curve: name, N: len(pts)}
	}
	s := append([]RDPoint(nil), pts...)
	for _, p := range s {
		if !(p.Rate > 0) || math.IsInf(p.Rate, 0) || math.IsNaN(p.PSNR) || math.IsInf(p.PSNR, 0) {
			return nil, nil, &NonMonotonicError{Curve: name, Point: p, Reason: "rate must be positive and finite, PSNR finite"}
		}
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].PSNR < s[j].PSNR })
	x, y = make([]float64, len(s)), make([]float64, len(s))
	for i, p := range s {
		if i > 0 && !(p.PSNR > s[i-1].PSNR && p.Rate > s[i-1].Rate) {
			return nil, nil, &NonMonotonicError{Curve: name, Point: p,
				Reason: fmt.Sprintf("rate and PSNR must both rise from the point at rate %g, PSNR %g", s[i-1].Rate, s[i-1].PSNR)}
		}
		lr := math.Log10(p.Rate)
		if rateOfPSNR {
			x[i], y[i] = p.PSNR, lr
		} else {
			x[i], y[i] = lr, p.PSNR
		}
	}
	return x, y, nil
}

// pchipEndSlope is the one-sided three-point slope at an end of a PCHIP
// interpolant, shape-preserving (MATLAB pchip's pchipend): h1, d1 belong to
// the end interval, h2, d2 to its neighbour.
func pchipEndSlope(h1, h2, d1, d2 float64) float64 {
	d := ((2*h1+h2)*d1 - h1*d2) / (h1 + h2)
	if d*d1 < 0 {
		return 0
	}
	if d1*d2 < 0 && math.Abs(d) > math.Abs(3*d1) {
		return 3 * d1
	}
	return d
}

// pchipIntegral integrates over [lo, hi] the monotone piecewise cubic
// Hermite interpolant of the points (x[i], y[i]) (x strictly increasing,
// at least 3 points), piece by piece and exactly, as the JCT-VC CTC
// spreadsheet's bdRIntEnc does.
func pchipIntegral(x, y []float64, lo, hi float64) float64 {
	n := len(x)
	h := make([]float64, n-1)
	delta := make([]float64, n-1)
	for i := range h {
		h[i] = x[i+1] - x[i]
		delta[i] = (y[i+1] - y[i]) / h[i]
	}
	d := make([]float64, n)
	d[0] = pchipEndSlope(h[0], h[1], delta[0], delta[1])
	for i := 1; i < n-1; i++ {
		if delta[i-1]*delta[i] <= 0 {
			continue // local extremum: slope 0 (cannot happen on a valid curve)
		}
		w1, w2 := 2*h[i]+h[i-1], h[i]+2*h[i-1]
		d[i] = (w1 + w2) / (w1/delta[i-1] + w2/delta[i])
	}
	d[n-1] = pchipEndSlope(h[n-2], h[n-3], delta[n-2], delta[n-3])

	var total float64
	for i := 0; i < n-1; i++ {
		// On piece i, y = y_i + d_i·s + c·s² + b·s³ with s = x − x_i.
		c := (3*delta[i] - 2*d[i] - d[i+1]) / h[i]
		b := (d[i] - 2*delta[i] + d[i+1]) / (h[i] * h[i])
		s0 := math.Min(math.Max(x[i], lo), hi) - x[i]
		s1 := math.Min(math.Max(x[i+1], lo), hi) - x[i]
		if s1 > s0 {
			total += (s1 - s0) * y[i]
			total += (s1*s1 - s0*s0) * d[i] / 2
			total += (s1*s1*s1 - s0*s0*s0) * c / 3
			total += (s1*s1*s1*s1 - s0*s0*s0*s0) * b / 4
		}
	}
	return total
}

// cubicFitIntegral integrates over [lo, hi] the least-squares cubic
// polynomial through the points (x[i], y[i]) (VCEG-M33). To keep the normal
// equations well conditioned, x is centred and scaled to t = (x − m)/s
// before fitting.
func cubicFitIntegral(x, y []float64, lo, hi float64) float64 {
	n := float64(len(x))
	var m float64
	for _, v := range x {
		m += v
	}
	m /= n
	s := 0.0
	for _, v := range x {
		s = math.Max(s, math.Abs(v-m))
	}
	// Normal equations A c = r for y ≈ c0 + c1 t + c2 t² + c3 t³.
	var a [4][5]float64
	for i, xv := range x {
		t := (xv - m) / s
		pw := [7]float64{1}
		for k := 1; k < 7; k++ {
			pw[k] = pw[k-1] * t
		}
		for r := 0; r < 4; r++ {
			for c := 0; c < 4; c++ {
				a[r][c] += pw[r+c]
			}
			a[r][4] += pw[r] * y[i]
		}
	}
	// Gaussian elimination with partial pivoting.
	for col := 0; col < 4; col++ {
		p := col
		for r := col + 1; r < 4; r++ {
			if math.Abs(a[r][col]) > math.Abs(a[p][col]) {
				p = r
			}
		}
		a[col], a[p] = a[p], a[col]
		for r := col + 1; r < 4; r++ {
			f := a[r][col] / a[col][col]
			for c := col; c < 5; c++ {
				a[r][c] -= f * a[col][c]
			}
		}
	}
	var coef [4]float64
	for r := 3; r >= 0; r-- {
		v := a[r][4]
		for c := r + 1; c < 4; c++ {
			v -= a[r][c] * coef[c]
		}
		coef[r] = v / a[r][r]
	}
	// ∫ p((x−m)/s) dx = s·[P(t)] with P the antiderivative in t.
	prim := func(t float64) float64 {
		return t * (coef[0] + t*(coef[1]/2+t*(coef[2]/3+t*coef[3]/4)))
	}
	return s * (prim((hi-m)/s) - prim((lo-m)/s))
}
