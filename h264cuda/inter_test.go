package h264cuda

import (
	"testing"

	"github.com/gpuenc/gpuenc/h264"
	"github.com/gpuenc/gpuenc/h264cuda/internal/cemu"
)

// TestEmuInterReconMatchesEncodeTrace encodes each trace case with
// EncodeTrace and reconstructs every P picture's inter macroblocks with the
// emulated inter_recon kernel from the traced source, reference and
// decisions: their reconstructed samples (before deblocking) and their
// levels, TotalCoeff and CBP must equal the encoder's; other macroblocks'
// samples must be left alone.
func TestEmuInterReconMatchesEncodeTrace(t *testing.T) {
	for _, c := range traceCases() {
		if c.gpuOnly {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			enc, err := h264.NewEncoder(c.options())
			if err != nil {
				t.Fatal(err)
			}
			mbW, mbH := (c.w+15)/16, (c.h+15)/16
			ir, err := newInterRecon(&emuBackend{}, mbW, mbH)
			if err != nil {
				t.Fatal(err)
			}
			defer ir.close()
			tex := newTexture(c.seed, c.w, c.h)
			inter := 0
			for k := 0; k < c.frames; k++ {
				_, tr, err := enc.EncodeTrace(c.frame(tex, k))
				if err != nil {
					t.Fatal(err)
				}
				if tr.IDR {
					continue
				}
				rec := h264.NewPicture(16*mbW, 16*mbH)
				for _, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
					for i := range pl.Pix {
						pl.Pix[i] = 0x5a // poison: intra macroblocks must keep it
					}
				}
				out := make([]h264.MacroblockTrace, mbW*mbH)
				if err := ir.run(tr.Source, tr.Reference, tr.Probed, rec, out); err != nil {
					t.Fatal(err)
				}
				for i, d := range tr.Probed {
					x, y := i%mbW, i/mbW
					isInter := d.Type >= h264.TraceP16x16 && d.Type <= h264.TraceP8x8
					if isInter {
						inter++
						g, w := out[i], tr.Macroblocks[i]
						if g.Luma != w.Luma || g.TotalCoeff != w.TotalCoeff || g.ChromaDC != w.ChromaDC ||
							g.ChromaAC != w.ChromaAC || g.ChromaTC != w.ChromaTC || g.CBP != w.CBP {
							t.Fatalf("picture %d MB %d (type %d): levels differ\n got  cbp %d nz %v luma %v\n want cbp %d nz %v luma %v",
								k, i, d.Type, g.CBP, g.TotalCoeff, g.Luma, w.CBP, w.TotalCoeff, w.Luma)
						}
					}
					for p, pl := range []*h264.Plane{&rec.Y, &rec.Cb, &rec.Cr} {
						want := []*h264.Plane{&tr.Reconstructed.Y, &tr.Reconstructed.Cb, &tr.Reconstructed.Cr}[p]
						n := 16
						if p > 0 {
							n = 8
						}
						for yy := 0; yy < n; yy++ {
							for xx := 0; xx < n; xx++ {
								got := pl.Pix[(y*n+yy)*pl.Stride+x*n+xx]
								exp := uint8(0x5a)
								if isInter {
									exp = want.Pix[(y*n+yy)*want.Stride+x*n+xx]
								}
								if got != exp {
									t.Fatalf("picture %d MB %d (type %d) plane %d sample (%d,%d) = %d, want %d",
										k, i, d.Type, p, xx, yy, got, exp)
								}
							}
						}
					}
				}
			}
			if inter == 0 {
				t.Fatal("no inter macroblock in the case")
			}
			t.Logf("%d inter macroblocks identical", inter)
		})
	}
}

// TestInterLayout checks the Go copy of inter.h's indices.
func TestInterLayout(t *testing.T) {
	for _, kv := range []struct {
		name string
		v    int
	}{
		{"IP_SRC_Y", ipSrcY}, {"IP_SRC_CB", ipSrcCb}, {"IP_SRC_CR", ipSrcCr}, {"IP_REF_Y", ipRefY},
		{"IP_REF_CB", ipRefCb}, {"IP_REF_CR", ipRefCr}, {"IP_REC_Y", ipRecY}, {"IP_REC_CB", ipRecCb},
		{"IP_REC_CR", ipRecCr}, {"IP_DEC", ipDec}, {"IP_LEVELS", ipLevels}, {"IP_MBW", ipMBW},
		{"IP_MBH", ipMBH}, {"IP_CBP", ipCBP}, {"IP_COUNT", ipCount}, {"LV_LUMA", lvLuma}, {"LV_CDC", lvCDC},
		{"LV_CAC", lvCAC}, {"LV_WORDS", lvWords}, {"IP_COUNTS", ipCounts}, {"CN_NZ", cnNZ},
		{"CN_NZC", cnNZC}, {"CN_CBP", cnCBP}, {"CN_BYTES", cnBytes}, {"IR_TYPE", irType}, {"IR_QP", irQP},
		{"IR_MV", irMV}, {"IR_WORDS", irWords}, {"IP_PROBE_DEC", ipProbeDec}, {"IP_PROBE_OUT", ipProbeOut},
		{"PO_MV", poMV}, {"PO_WANTS", poWants}, {"PO_WORDS", poWords},
	} {
		if got := cemu.MotionConst(kv.name); got != kv.v {
			t.Errorf("inter.h %s = %d, Go has %d", kv.name, got, kv.v)
		}
	}
	// The entropy coder reads kept levels as its level blocks.
	if lvLuma != clLuma || lvCDC != clCDC || lvCAC != clCAC || lvWords != clWords {
		t.Errorf("inter.h's level record (luma %d, CDC %d, CAC %d, %d words) is not cavlc.h's level block (%d, %d, %d, %d)",
			lvLuma, lvCDC, lvCAC, lvWords, clLuma, clCDC, clCAC, clWords)
	}
}
