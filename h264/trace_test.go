package h264

import (
	"bytes"
	"testing"
)

// TestTraceReassemblesStream checks that the stage trace is the stream:
// the slice header, the per-macroblock bit strings with mb_skip_run in
// between, and the trailing bits give the slice NAL unit byte for byte; the
// deblocked picture is the reconstruction; and stage 3b only turns
// P_L0_16x16 into P_Skip.
func TestTraceReassemblesStream(t *testing.T) {
	pics := photoClip(t, 96, 80, 3)
	enc, err := NewEncoder(Options{Width: 90, Height: 80, Threads: 2, CRF: 30})
	if err != nil {
		t.Fatal(err)
	}
	for i := range pics {
		p := NewPicture(90, 80)
		copyPlane(&p.Y, &pics[i].Y)
		copyPlane(&p.Cb, &pics[i].Cb)
		copyPlane(&p.Cr, &pics[i].Cr)
		au, tr, err := enc.EncodeTrace(p)
		if err != nil {
			t.Fatal(err)
		}
		if tr.IDR != au.Keyframe || tr.QP != au.QP || len(tr.Macroblocks) != tr.MBWidth*tr.MBHeight {
			t.Fatalf("picture %d: trace says IDR %v QP %d with %d macroblocks, access unit IDR %v QP %d", i, tr.IDR, tr.QP, len(tr.Macroblocks), au.Keyframe, au.QP)
		}
		if (tr.Reference == nil) != tr.IDR {
			t.Fatalf("picture %d: reference present %v for IDR %v", i, tr.Reference != nil, tr.IDR)
		}
		var w bitWriter
		h := sliceHeader{idr: tr.IDR, qp: tr.QP, frameNum: i, idrPicID: 0, sliceTyp: sliceP}
		if tr.IDR {
			h.sliceTyp, h.frameNum = sliceI, 0
		}
		h.write(&w)
		run := 0
		for m, mb := range tr.Macroblocks {
			if d := tr.Probed[m]; d.Type != mb.Type && !(d.Type == TraceP16x16 && mb.Type == TracePSkip) {
				t.Fatalf("macroblock %d: decided %d, coded %d", m, d.Type, mb.Type)
			}
			if mb.Type == TracePSkip {
				if tr.BitLens[m] != 0 {
					t.Fatalf("skipped macroblock %d has %d bits", m, tr.BitLens[m])
				}
				run++
				continue
			}
			if !tr.IDR {
				w.ue(uint32(run))
				run = 0
			}
			for k := 0; k < tr.BitLens[m]; k++ {
				w.u(1, uint32(tr.Bits[m][k/8]>>(7-k%8))&1)
			}
		}
		if run > 0 {
			w.ue(uint32(run))
		}
		w.trailingBits()
		rbsp, err := w.bytes()
		if err != nil {
			t.Fatal(err)
		}
		nals, _ := SplitAnnexB(au.Data)
		slice := nals[len(nals)-1]
		if !bytes.Equal(slice, appendNAL(nil, int(slice[0]>>5), int(slice[0]&31), rbsp)) {
			t.Fatalf("picture %d: reassembled slice differs", i)
		}
		rec := enc.Reconstruction()
		got := NewPicture(90, 80)
		copyPlane(&got.Y, &tr.Deblocked.Y)
		copyPlane(&got.Cb, &tr.Deblocked.Cb)
		copyPlane(&got.Cr, &tr.Deblocked.Cr)
		if !bytes.Equal(got.AppendYUV420P(nil), rec.AppendYUV420P(nil)) {
			t.Fatalf("picture %d: traced deblocked picture is not the reconstruction", i)
		}
		if tr.Source.Y.Width != 96 || tr.Reconstructed.Y.Width != 96 {
			t.Fatalf("trace pictures are not padded to whole macroblocks")
		}
	}
}
