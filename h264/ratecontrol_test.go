package h264

import (
	"testing"
)

func encodeSizes(t *testing.T, o Options, pics []*Picture) (total int, aus []AccessUnit) {
	t.Helper()
	enc, err := NewEncoder(o)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pics {
		au, err := enc.Encode(p)
		if err != nil {
			t.Fatal(err)
		}
		total += len(au.Data) * 8
		aus = append(aus, au)
	}
	return total, aus
}

// TestConstantQualityOrdering: a higher crf gives a smaller stream, and the
// QPs stay in their documented range.
func TestConstantQualityOrdering(t *testing.T) {
	pics := photoClip(t, 160, 128, 8)
	prev := 1 << 62
	for _, crf := range []float64{14, 23, 32, 41} {
		bits, aus := encodeSizes(t, Options{Width: 160, Height: 128, CRF: crf, Threads: 2}, pics)
		if bits >= prev {
			t.Errorf("crf %v: %d bits, not fewer than at a lower crf (%d)", crf, bits, prev)
		}
		prev = bits
		if aus[0].QP != int(crf+0.5)-2 {
			t.Errorf("crf %v: first IDR picture at QP %d", crf, aus[0].QP)
		}
		for i, au := range aus[1:] {
			if !au.Keyframe && (au.QP < int(crf)-4 || au.QP > int(crf)+8) {
				t.Errorf("crf %v: P picture %d at QP %d", crf, i+1, au.QP)
			}
		}
	}
}

func TestAverageBitrate(t *testing.T) {
	pics := photoClip(t, 160, 128, 30)
	pics = append(pics, pics...) // 60 frames, 2.4 s at 25 fps
	for _, rate := range []int{150_000, 600_000} {
		o := Options{Width: 160, Height: 128, RateControl: AverageBitrate, Bitrate: rate, Threads: 2, GOP: 30}
		bits, _ := encodeSizes(t, o, pics)
		got := float64(bits) * 25 / float64(len(pics))
		if got < 0.85*float64(rate) || got > 1.15*float64(rate) {
			t.Errorf("target %d bit/s, got %.0f", rate, got)
		} else {
			t.Logf("target %d bit/s, got %.0f", rate, got)
		}
	}
}

// TestVBV checks that with MaxRate/BufSize no picture overflows the VBV
// model (buffer filled at MaxRate, drained by each picture), for average
// bitrate and for capped constant quality.
func TestVBV(t *testing.T) {
	pics := photoClip(t, 160, 128, 30)
	for _, o := range []Options{
		{RateControl: AverageBitrate, Bitrate: 200_000, MaxRate: 250_000, BufSize: 250_000},
		{RateControl: ConstantQuality, CRF: 8, MaxRate: 300_000, BufSize: 200_000},
	} {
		o.Width, o.Height, o.Threads, o.GOP = 160, 128, 2, 10
		_, aus := encodeSizes(t, o, pics)
		fill := 0.9 * float64(o.BufSize)
		raised := false
		for i, au := range aus {
			fill -= float64(len(au.Data) * 8)
			if fill < 0 {
				t.Errorf("%v: VBV underflow at picture %d (QP %d, %d bytes)", o.RateControl, i, au.QP, len(au.Data))
			}
			fill += float64(o.MaxRate) / 25
			if fill > float64(o.BufSize) {
				fill = float64(o.BufSize)
			}
			if o.RateControl == ConstantQuality && !au.Keyframe && au.QP > 8 {
				raised = true
			}
		}
		if o.RateControl == ConstantQuality && !raised {
			t.Errorf("capped crf never raised the QP")
		}
	}
}

// TestCRFFollowsComplexity: at the same crf, a picture sequence with more
// motion-compensated residual gets higher P QPs (x264's qcomp behaviour).
func TestCRFFollowsComplexity(t *testing.T) {
	moving := photoClip(t, 160, 128, 8)
	still := []*Picture{moving[0], moving[0], moving[0], moving[0]}
	mean := func(aus []AccessUnit) float64 {
		s, n := 0, 0
		for _, au := range aus {
			if !au.Keyframe {
				s += au.QP
				n++
			}
		}
		return float64(s) / float64(n)
	}
	_, a := encodeSizes(t, Options{Width: 160, Height: 128, Threads: 2}, moving)
	_, b := encodeSizes(t, Options{Width: 160, Height: 128, Threads: 2}, still)
	if mean(a) <= mean(b) {
		t.Errorf("moving clip P QP %.1f, still clip %.1f", mean(a), mean(b))
	}
}
