// Stage traces: copies of what each stage of the pipeline (DESIGN.md)
// wrote for one picture, so that another implementation of the same
// contract (h264_cuda) can be checked stage by stage, byte for byte.

package h264

// Macroblock types as PictureTrace reports them (MacroblockTrace.Type).
const (
	TraceI4x4   = mbI4x4   // I_NxN (Intra_4x4)
	TraceI16x16 = mbI16x16 // I_16x16_*
	TraceP16x16 = mbP16x16 // P_L0_16x16
	TraceP16x8  = mbP16x8  // P_L0_L0_16x8
	TraceP8x16  = mbP8x16  // P_L0_L0_8x16
	TraceP8x8   = mbP8x8   // P_8x8 with four P_L0_8x8
	TracePSkip  = mbPSkip  // P_Skip
)

// MacroblockTrace is one macroblock's state after a stage: its header
// and its levels. Per-4x4 arrays are in raster order within the macroblock
// (index 4·y + x).
type MacroblockTrace struct {
	MacroblockHeader
	MacroblockLevels
}

// MacroblockHeader is a macroblock's state other than its levels: what
// the deblocking filter reads, and what the entropy coder reads besides
// the levels. Per-4x4 arrays are in raster order within the macroblock
// (index 4·y + x). Accelerators get the headers of a picture as one
// compact array (DeblockAccelerator, EntropyAccelerator).
type MacroblockHeader struct {
	Type       int
	I16Mode    int
	ChromaMode int
	I4Modes    [16]uint8
	PartMV     [4]MV     // per partition, see DESIGN.md
	MV         [16]MV    // per 4x4 block
	CBP        int       // luma bits 0..3, chroma (0..2) << 4
	QP         int       // QP_Y as decoded (QP_Y,PRED when no mb_qp_delta is coded)
	QPDelta    int       // mb_qp_delta
	TotalCoeff [16]uint8 // per luma 4x4 block (AC count for Intra16x16)
	ChromaTC   [2][4]uint8
}

// MacroblockLevels is a macroblock's levels, in zig-zag scan order (for
// Intra16x16 luma and all chroma AC, index 0 is unused and 0).
type MacroblockLevels struct {
	LumaDC   [16]int16
	Luma     [16][16]int16
	ChromaDC [2][4]int16
	ChromaAC [2][4][16]int16
}

// SplitTrace returns the headers and the levels of mbs, in two new arrays
// in the same order: the form DeblockAccelerator and EntropyAccelerator
// take.
func SplitTrace(mbs []MacroblockTrace) ([]MacroblockHeader, []MacroblockLevels) {
	h, l := make([]MacroblockHeader, len(mbs)), make([]MacroblockLevels, len(mbs))
	for i := range mbs {
		h[i], l[i] = mbs[i].MacroblockHeader, mbs[i].MacroblockLevels
	}
	return h, l
}

// PictureTrace holds the outputs of every stage for one picture. Pictures
// are padded to whole macroblocks.
type PictureTrace struct {
	IDR               bool
	QP                int
	MBWidth, MBHeight int
	Source            *Picture          // stage 0
	Reference         *Picture          // the reference of a P picture (nil for IDR)
	QPOffsets         []int8            // the lookahead's macroblock-tree QP offsets (nil without lookahead), an input of stage 2
	Decisions         []MacroblockTrace // stage 2: Type, modes, PartMV, MV, QP only
	Probed            []MacroblockTrace // stage 2b: Decisions after the skip probe, the input of stage 3 (= Decisions for IDR)
	Reconstructed     *Picture          // stage 3: before deblocking
	Macroblocks       []MacroblockTrace // stages 3 and 3b: final types, levels, cbp
	Bits              [][]byte          // stage 4: macroblock_layer() per macroblock, MSB first, padded with zero bits
	BitLens           []int             // stage 4: lengths in bits (0 for P_Skip)
	Deblocked         *Picture          // stage 5
}

// EncodeTrace is Encode, also returning the stage trace of the picture.
// It is slower (it copies every stage's output) and meant for tests and
// tools. With a lookahead the trace is that of the picture coded in the
// call, nil when the lookahead held the picture back (and Flush gives no
// trace).
func (e *Encoder) EncodeTrace(pic *Picture) (AccessUnit, *PictureTrace, error) {
	e.trace = &PictureTrace{}
	defer func() { e.trace = nil }()
	au, err := e.Encode(pic)
	if err != nil || au.Data == nil {
		return au, nil, err
	}
	return au, e.trace, nil
}

func clonePicture(p *Picture) *Picture {
	c := NewPicture(p.Y.Width, p.Y.Height)
	copyPlane(&c.Y, &p.Y)
	copyPlane(&c.Cb, &p.Cb)
	copyPlane(&c.Cr, &p.Cr)
	return c
}

func (mb *macroblock) trace() MacroblockTrace {
	var t MacroblockTrace
	mb.headerInto(&t.MacroblockHeader)
	t.MacroblockLevels = *mb.lv
	return t
}

// headerInto writes mb's header into h.
func (mb *macroblock) headerInto(h *MacroblockHeader) {
	h.Type, h.I16Mode, h.ChromaMode = int(mb.typ), int(mb.i16Mode), int(mb.chromaMode)
	h.I4Modes, h.PartMV, h.MV = mb.i4Mode, mb.partMV, mb.mv
	h.CBP, h.QP, h.QPDelta = int(mb.cbp), int(mb.qp), int(mb.qpDelta)
	h.TotalCoeff, h.ChromaTC = mb.nz, mb.nzC
}

// traceStage records the outputs of stage (0 start, 2, 21 for 2b, 3, 4, 5).
func (e *Encoder) traceStage(stage int, idr bool, qp int) {
	t := e.trace
	if t == nil {
		return
	}
	switch stage {
	case 0:
		*t = PictureTrace{IDR: idr, QP: qp, MBWidth: e.mbW, MBHeight: e.mbH, Source: clonePicture(e.src)}
		if !idr {
			t.Reference = clonePicture(e.ref)
		}
	case 2:
		t.QP = qp // constant quality settles the QP after stage 1
		if e.treeOff != nil {
			t.QPOffsets = append([]int8(nil), e.treeOff...) // ready from stage 2 on
		}
		t.Decisions = e.decisionTrace()
	case 21: // 2b
		t.Probed = e.decisionTrace()
	case 3:
		t.Reconstructed = clonePicture(e.rec)
	case 4:
		t.Macroblocks = make([]MacroblockTrace, len(e.mbs))
		t.Bits = make([][]byte, len(e.mbs))
		t.BitLens = make([]int, len(e.mbs))
		for i := range e.mbs {
			t.Macroblocks[i] = e.mbs[i].trace()
			bw := &e.mbBits[i]
			bw.flushBytes()
			b := append([]byte(nil), bw.buf...)
			if bw.n > 0 {
				b = append(b, byte(bw.acc<<(8-bw.n)))
			}
			t.Bits[i] = b
			t.BitLens[i] = bw.bitLen()
		}
	case 5:
		t.Deblocked = clonePicture(e.rec)
	}
}

// decisionTrace copies the decisions of every macroblock.
func (e *Encoder) decisionTrace() []MacroblockTrace {
	d := make([]MacroblockTrace, len(e.mbs))
	for i := range e.mbs {
		d[i] = e.mbs[i].decision()
	}
	return d
}

// decision returns mb's stage 2 decision as a trace: types, modes,
// vectors and QP only.
func (mb *macroblock) decision() MacroblockTrace {
	return MacroblockTrace{MacroblockHeader: MacroblockHeader{
		Type: int(mb.typ), I16Mode: int(mb.i16Mode), ChromaMode: int(mb.chromaMode),
		I4Modes: mb.i4Mode, PartMV: mb.partMV, MV: mb.mv, QP: int(mb.qp),
	}}
}
