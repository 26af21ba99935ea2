package h264

import (
	"math"
	"testing"
)

func TestLog2Table(t *testing.T) {
	for i, v := range log2FracQ8 {
		if want := math.Round(256 * math.Log2(1+float64(i)/256)); float64(v) != want {
			t.Fatalf("log2FracQ8[%d] = %d, want %v", i, v, want)
		}
	}
	for _, v := range []uint64{1, 2, 3, 255, 256, 257, 1000, 1 << 20, 123456789, 1<<40 + 12345} {
		got := float64(log2Q8(v)) / 256
		if want := math.Log2(float64(v)); math.Abs(got-want) > 2.0/256 { // mantissa truncated to 8 bits
			t.Errorf("log2Q8(%d) = %v, want %v", v, got, want)
		}
	}
}

// TestAQBitExact codes clips with adaptive quantisation (per-macroblock QPs
// through mb_qp_delta, including its wrap-around and QP_Y,PRED inheritance
// by skipped macroblocks) at low, middle and high QPs and checks both
// decoders.
func TestAQBitExact(t *testing.T) {
	photo := photoClip(t, 160, 128, 6)
	still := []*Picture{photo[0], photo[0], photo[0]}
	var stream []byte
	var recon [][]byte
	offsets := map[int]bool{}
	for _, c := range []struct {
		qp       int
		strength float64
		pics     []*Picture
	}{{2, 3, photo}, {26, 1, photo}, {50, 3, photo}, {30, 1, still}, {20, 2, clip(160, 128, 4, 3)}} {
		o := Options{Width: 160, Height: 128, RateControl: ConstantQP, QP: c.qp, AQStrength: c.strength, Threads: 2}
		enc, err := NewEncoder(o)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range c.pics {
			au, tr, err := enc.EncodeTrace(p)
			if err != nil {
				t.Fatal(err)
			}
			stream = append(stream, au.Data...)
			recon = append(recon, enc.Reconstruction().AppendYUV420P(nil))
			for _, mb := range tr.Macroblocks {
				offsets[mb.QP-au.QP] = true
			}
		}
	}
	checkDecoders(t, stream, 160, 128, recon)
	if len(offsets) < 8 {
		t.Errorf("only %d distinct macroblock QP offsets", len(offsets))
	}
}

func TestAQOffsetDirection(t *testing.T) {
	enc, err := NewEncoder(Options{Width: 32, Height: 16, AQStrength: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	p := NewPicture(32, 16)
	for y := 0; y < 16; y++ {
		for x := 0; x < 32; x++ {
			v := uint8(128)
			if x >= 16 && (x+y)%2 == 0 {
				v = 200
			}
			p.Y.Pix[y*32+x] = v
		}
	}
	padInto(enc.src, p)
	if flat, busy := enc.aqOffset(0, 0, 16), enc.aqOffset(1, 0, 16); flat >= 0 || busy <= 0 {
		t.Fatalf("flat macroblock offset %d, checkerboard %d", flat, busy)
	}
}
