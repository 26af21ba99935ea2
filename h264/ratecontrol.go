// Frame-level rate control. Each picture gets one QP (mb_qp_delta is always
// 0), chosen before the picture is coded from the options and, for
// AverageBitrate, from a model of the pictures already coded. The model is
// host-side state shared by every encoder back end: it sees only the QP
// and size of each coded picture, never its samples.

package h264

import "math"

type rateControl struct {
	mode      RateControlMode
	fixedQP   int     // ConstantQP, and the P QP of ConstantQuality
	ipOffset  int     // how much lower an IDR picture's QP is
	bitrate   float64 // bits/s
	fps       float64
	maxRate   float64
	bufSize   float64
	vbvFill   float64 // bits in the VBV buffer
	cplxP     float64 // P picture complexity: bits·qstep, smoothed
	cplxI     float64
	haveP     bool
	haveI     bool
	qpLast    int
	total     float64 // bits produced
	frames    int
	nMBs      int
	bpfTarget float64
}

// qstep is the H.264 quantiser step for qp (doubles every 6).
func qstep(qp float64) float64 { return 0.625 * math.Pow(2, qp/6) }

func qpOfStep(q float64) float64 { return 6 * math.Log2(q/0.625) }

func (rc *rateControl) init(o *Options, nMBs int) {
	rc.mode = o.RateControl
	rc.nMBs = nMBs
	rc.fps = float64(o.FrameRateNum) / float64(o.FrameRateDen)
	switch o.RateControl {
	case ConstantQP:
		rc.fixedQP = o.QP
	case ConstantQuality:
		// crf c codes P pictures at QP round(c) and IDR pictures 3 lower,
		// roughly x264's ipratio 1.4 at its default crf 23.
		rc.fixedQP = int(math.Floor(o.CRF + 0.5))
		rc.ipOffset = 3
	case AverageBitrate:
		rc.bitrate = float64(o.Bitrate)
		rc.maxRate = float64(o.MaxRate)
		rc.bufSize = float64(o.BufSize)
		rc.vbvFill = 0.9 * rc.bufSize
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
		return rc.fixedQP
	case ConstantQuality:
		if idr {
			return clampQP(rc.fixedQP - rc.ipOffset)
		}
		return rc.fixedQP
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
		qp = int(math.Round(qpOfStep(cplx / target)))
		// Limit the change between pictures.
		qp = max(rc.qpLast-4, min(rc.qpLast+4, qp))
	}
	if rc.bufSize > 0 && have {
		// VBV: keep the predicted picture within the buffer, leaving 10%.
		for qp < 51 && cplx/qstep(float64(qp)) > rc.vbvFill-0.1*rc.bufSize {
			qp++
		}
	}
	return clampQP(max(qp, 1))
}

// update records a coded picture.
func (rc *rateControl) update(idr bool, qp, bits int) {
	if rc.mode != AverageBitrate {
		return
	}
	c := float64(bits) * qstep(float64(qp))
	if idr {
		if rc.haveI {
			rc.cplxI = 0.5*rc.cplxI + 0.5*c
		} else {
			rc.cplxI, rc.haveI = c, true
		}
		if !rc.haveP {
			rc.cplxP, rc.haveP = c/4, true
		}
	} else {
		if rc.haveP && rc.frames > 1 {
			rc.cplxP = 0.6*rc.cplxP + 0.4*c
		} else {
			rc.cplxP, rc.haveP = c, true
		}
		rc.qpLast = qp
	}
	if idr && rc.frames == 0 {
		rc.qpLast = qp + rc.ipOffset
	}
	rc.total += float64(bits)
	rc.frames++
	if rc.bufSize > 0 {
		rc.vbvFill += rc.maxRate/rc.fps - float64(bits)
		rc.vbvFill = math.Min(rc.vbvFill, rc.bufSize)
	}
}
