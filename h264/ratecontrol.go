// Frame-level rate control. Each picture gets one QP (the slice QP;
// adaptive quantisation, aq.go, moves it per macroblock), chosen from the
// options, for AverageBitrate and VBV from a model of the pictures already
// coded, and for ConstantQuality from the picture's motion search result.
// The model is host-side state shared by every encoder back end: it sees
// only the QP and size of each coded picture and one mean SATD, never the
// samples.

package h264

import "math"

type rateControl struct {
	mode      RateControlMode
	fixedQP   int // ConstantQP, and the P QP of ConstantQuality
	crf       float64
	ipOffset  int     // how much lower an IDR picture's QP is
	bitrate   float64 // bits/s
	fps       float64
	maxRate   float64
	bufSize   float64
	vbvFill   float64 // bits in the VBV buffer
	cplxP     float64 // P picture complexity (see modelBits), smoothed
	cplxI     float64
	haveP     bool
	haveI     bool
	qpLast    int     // QP of the last P picture (ABR: or the first IDR's + ipOffset)
	havePQP   bool    // a P picture has been coded
	total     float64 // bits produced
	frames    int
	nMBs      int
	bpfTarget float64
}

// qstep is the H.264 quantiser step for qp (doubles every 6).
func qstep(qp float64) float64 { return 0.625 * math.Pow(2, qp/6) }

func qpOfStep(q float64) float64 { return 6 * math.Log2(q/0.625) }

// The size model: a picture of complexity c coded at QP q takes
// c / qstep(q)^rcExponent bits. Measured on the test photograph, bits fall
// more slowly than 1/qstep (exponent about 0.75 at QP 25..40, lower below).
const rcExponent = 0.75

func modelBits(cplx float64, qp int) float64 {
	return cplx / math.Pow(qstep(float64(qp)), rcExponent)
}

func modelCplx(bits, qp int) float64 {
	return float64(bits) * math.Pow(qstep(float64(qp)), rcExponent)
}

// modelQP is the QP at which a picture of complexity cplx takes target bits.
func modelQP(cplx, target float64) int {
	return int(math.Round(qpOfStep(math.Pow(cplx/target, 1/rcExponent))))
}

func (rc *rateControl) init(o *Options, nMBs int) {
	rc.mode = o.RateControl
	rc.nMBs = nMBs
	rc.fps = float64(o.FrameRateNum) / float64(o.FrameRateDen)
	rc.maxRate = float64(o.MaxRate)
	rc.bufSize = float64(o.BufSize)
	rc.vbvFill = 0.9 * rc.bufSize
	switch o.RateControl {
	case ConstantQP:
		rc.fixedQP = o.QP
		rc.ipOffset = max(0, o.IPOffset)
	case ConstantQuality:
		rc.crf = o.CRF
		rc.fixedQP = int(math.Floor(o.CRF + 0.5))
		rc.ipOffset = 2
	case AverageBitrate:
		rc.bitrate = float64(o.Bitrate)
		rc.bpfTarget = rc.bitrate / rc.fps
		// Starting point: about 0.1 bits per pixel codes at QP 26.
		bpp := rc.bpfTarget / float64(nMBs*256)
		rc.qpLast = clampQP(int(math.Round(26 - 6*math.Log2(bpp/0.1))))
		rc.ipOffset = 2
	}
}

func clampQP(q int) int {
	if q < 0 {
		return 0
	}
	if q > 51 {
		return 51
	}
	return q
}

// frameQP returns the QP of the next picture.
func (rc *rateControl) frameQP(idr bool) int {
	switch rc.mode {
	case ConstantQP:
		if idr {
			return clampQP(rc.fixedQP - rc.ipOffset)
		}
		return rc.fixedQP
	case ConstantQuality:
		if !idr {
			return rc.fixedQP // provisional: see crfQP
		}
		qp := rc.fixedQP
		if rc.havePQP {
			qp = rc.qpLast
		}
		return rc.vbvLimit(true, clampQP(qp-rc.ipOffset))
	}
	// AverageBitrate: spread the deficit over about one second.
	expected := rc.bpfTarget * float64(rc.frames)
	target := rc.bpfTarget - (rc.total-expected)/rc.fps
	target = math.Max(rc.bpfTarget/4, math.Min(4*rc.bpfTarget, target))
	cplx, have := rc.cplxP, rc.haveP
	if idr {
		cplx, have = rc.cplxI, rc.haveI
		target *= 3
	}
	qp := rc.qpLast
	if idr && !rc.haveI {
		qp = rc.qpLast - rc.ipOffset
	}
	if have {
		qp = modelQP(cplx, target)
		// Limit the change between pictures.
		qp = max(rc.qpLast-4, min(rc.qpLast+4, qp))
	}
	return rc.vbvLimit(idr, clampQP(max(qp, 1)))
}

// Constant quality follows x264's crf: a P picture's quantiser step grows
// with a power of its complexity (x264's qcomp), here the mean best 16x16
// inter SATD per macroblock from the motion search:
//
//	QP = CRF + crfSlope·log2(SATD / crfRefSATD), within [CRF-4, CRF+8].
//
// The two constants were fitted so that QPs follow those of Debian's
// libx264 (--crf 23, baseline profile, default preset) on two 320x240
// clips of the test photograph: a slow pan (x264: P pictures at QP 22.3)
// and a fast zoom and pan (27.2).
const (
	crfSlope   = 4.1
	crfRefSATD = 1124
)

// crfQP returns the QP of a P picture in ConstantQuality mode (its
// provisional QP otherwise) from the motion search's mean SATD.
func (rc *rateControl) crfQP(provisional int, meanSATD float64) int {
	if rc.mode != ConstantQuality {
		return provisional
	}
	q := rc.crf + crfSlope*math.Log2(math.Max(meanSATD, 1)/crfRefSATD)
	q = math.Max(rc.crf-4, math.Min(rc.crf+8, q))
	return rc.vbvLimit(false, clampQP(int(math.Floor(q+0.5))))
}

// vbvLimit raises qp until the picture's predicted size (plus 30%) fits
// the VBV buffer with 10% of it to spare, and keeps a P picture's QP within
// 3 below the previous one's (no-op without MaxRate/BufSize or before the
// first picture of the kind has been coded).
func (rc *rateControl) vbvLimit(idr bool, qp int) int {
	cplx, have := rc.cplxP, rc.haveP
	if idr {
		cplx, have = rc.cplxI, rc.haveI
	}
	if rc.bufSize <= 0 || !have {
		return qp
	}
	if !idr && qp < rc.qpLast-3 {
		// A P picture's size depends on its reference: falling fast
		// after a coarse picture underestimates it.
		qp = rc.qpLast - 3
	}
	// The model is rough: demand 30% headroom over its prediction.
	for qp < 51 && 1.3*modelBits(cplx, qp) > rc.vbvFill-0.1*rc.bufSize {
		qp++
	}
	return qp
}

// update records a coded picture.
func (rc *rateControl) update(idr bool, qp, bits int) {
	if rc.mode == ConstantQP {
		return
	}
	if rc.mode == ConstantQuality && rc.bufSize == 0 {
		if !idr {
			rc.qpLast, rc.havePQP = qp, true
		}
		return
	}
	c := modelCplx(bits, qp)
	if idr {
		if rc.haveI {
			rc.cplxI = 0.5*rc.cplxI + 0.5*c
		} else {
			rc.cplxI, rc.haveI = c, true
		}
		if !rc.haveP {
			// Until a P picture has been coded, assume it costs what the
			// IDR picture did: cautious, which the VBV needs (adaptive
			// quantisation makes the first P pictures of flat content
			// much larger than a quarter of it).
			rc.cplxP, rc.haveP = c, true
		}
	} else {
		if rc.haveP && rc.frames > 1 {
			rc.cplxP = 0.6*rc.cplxP + 0.4*c
		} else {
			rc.cplxP, rc.haveP = c, true
		}
		rc.qpLast, rc.havePQP = qp, true
	}
	if idr && rc.frames == 0 && rc.mode == AverageBitrate {
		rc.qpLast = qp + rc.ipOffset
	}
	rc.total += float64(bits)
	rc.frames++
	if rc.bufSize > 0 {
		rc.vbvFill += rc.maxRate/rc.fps - float64(bits)
		rc.vbvFill = math.Min(rc.vbvFill, rc.bufSize)
	}
}
