// Exported references for the entropy coding stage (stage 4 of DESIGN.md:
// ITU-T H.264 clause 7.3.3 slice_header, 7.3.4 slice_data, 7.3.5
// macroblock_layer, 9.2 CAVLC and 7.4.1 NAL unit framing), for h264cuda's
// port and its tests. Thin wrappers over the encoder's own tables and
// functions; they never change what the encoder does.

package h264

// VLC is one variable-length code of a CAVLC table: the low Len bits of
// Code, most significant bit first. Len 0 marks a combination the table
// does not have.
type VLC struct {
	Code uint16
	Len  int
}

// CoeffTokenVLC returns the coeff_token code of Table 9-5 for
// TrailingOnes t1 (0..3) and TotalCoeff tc (0..16) in column table: 0..3
// for nC 0..1, 2..3, 4..7 and 8 and above, 4 for nC == -1 (chroma DC).
func CoeffTokenVLC(table, t1, tc int) VLC {
	if table < 0 || table > 4 || t1 < 0 || t1 > 3 || tc < 0 || tc > 16 {
		return VLC{}
	}
	v := coeffTokenVLC[table][t1][tc]
	return VLC{v.code, int(v.n)}
}

// TotalZerosVLC returns the total_zeros code of Tables 9-7 and 9-8 (4x4
// blocks, chromaDC false) or Table 9-9a (4:2:0 chroma DC) for tzVlcIndex
// tzIdx (TotalCoeff) and total_zeros tz.
func TotalZerosVLC(chromaDC bool, tzIdx, tz int) VLC {
	if chromaDC {
		if tzIdx < 0 || tzIdx > 3 || tz < 0 || tz > 3 {
			return VLC{}
		}
		v := totalZerosDCVLC[tzIdx][tz]
		return VLC{v.code, int(v.n)}
	}
	if tzIdx < 0 || tzIdx > 15 || tz < 0 || tz > 15 {
		return VLC{}
	}
	v := totalZerosVLC[tzIdx][tz]
	return VLC{v.code, int(v.n)}
}

// RunBeforeVLC returns the run_before code of Table 9-10 for
// min(zerosLeft, 7) zl (1..7) and run_before rb.
func RunBeforeVLC(zl, rb int) VLC {
	if zl < 0 || zl > 7 || rb < 0 || rb > 14 {
		return VLC{}
	}
	v := runBeforeVLC[zl][rb]
	return VLC{v.code, int(v.n)}
}

// CBPCodeNum returns the me(v) codeNum of coded_block_pattern cbp (0..47)
// from Table 9-4 (ChromaArrayType 1) for Intra_4x4 (intra) or inter
// macroblocks, or -1 for a cbp out of range.
func CBPCodeNum(intra bool, cbp int) int {
	if cbp < 0 || cbp > 47 {
		return -1
	}
	if intra {
		return int(cbpCodeNum[0][cbp])
	}
	return int(cbpCodeNum[1][cbp])
}

// SliceHeaderBits returns slice_header() (7.3.3) exactly as the encoder
// writes it for a picture with these fields (an IDR picture when idr, else
// a P picture; frameNum is frame_num, idrPicID idr_pic_id, qp the slice
// QP): the bits MSB first, padded with zero bits to a whole byte, and
// their number.
func SliceHeaderBits(idr bool, frameNum, idrPicID, qp int) ([]byte, int) {
	h := sliceHeader{idr: idr, frameNum: frameNum % maxFrameNum, idrPicID: idrPicID % 65536, qp: qp, sliceTyp: sliceP}
	if idr {
		h.sliceTyp, h.frameNum = sliceI, 0
	}
	var w bitWriter
	h.write(&w)
	n := w.bitLen()
	w.flushBytes()
	b := append([]byte(nil), w.buf...)
	if w.n > 0 {
		b = append(b, byte(w.acc<<(8-w.n)))
	}
	return b, n
}

// AppendSliceNAL appends the Annex B slice NAL unit of a picture (start
// code, NAL header with the encoder's nal_ref_idc and type, and rbsp with
// emulation prevention bytes inserted, 7.4.1) to dst, as Encode ends its
// access units.
func AppendSliceNAL(dst []byte, idr bool, rbsp []byte) []byte {
	if idr {
		return appendAnnexB(dst, 3, nalSliceIDR, rbsp)
	}
	return appendAnnexB(dst, 2, nalSliceNonIDR, rbsp)
}

// SliceDataReference codes a picture of mbW×mbH macroblocks with the
// given final macroblocks (raster order, as PictureTrace.Macroblocks
// reports them; Type, I16Mode, ChromaMode, I4Modes, PartMV, MV, CBP,
// QPDelta, TotalCoeff, ChromaTC and the levels are read) exactly as the
// encoder's stage 4 and concatenation do: it returns each macroblock's
// macroblock_layer() bits (MSB first, zero-padded; empty for P_Skip) and
// length, and the slice RBSP made of the header's first headerBits bits,
// slice_data() and rbsp_slice_trailing_bits. Errors match ErrBitValue
// for syntax elements out of range.
func SliceDataReference(mbW, mbH int, mbs []MacroblockTrace, pSlice bool, header []byte, headerBits int) (rbsp []byte, mbBits [][]byte, mbLens []int, err error) {
	if mbW <= 0 || mbH <= 0 || len(mbs) != mbW*mbH || headerBits < 0 || len(header)*8 < headerBits {
		return nil, nil, nil, ErrBitValue
	}
	e := &Encoder{mbW: mbW, mbH: mbH}
	e.mbs, e.levels = newMacroblocks(len(mbs))
	for i := range mbs {
		m := &mbs[i]
		e.mbs[i] = macroblock{
			typ: uint8(m.Type), i16Mode: uint8(m.I16Mode), chromaMode: uint8(m.ChromaMode), cbp: uint8(m.CBP),
			qp: uint8(m.QP), qpDelta: int8(m.QPDelta), i4Mode: m.I4Modes, partMV: m.PartMV, mv: m.MV,
			nz: m.TotalCoeff, nzC: m.ChromaTC, lv: e.mbs[i].lv,
		}
		*e.mbs[i].lv = m.MacroblockLevels
	}
	var w bitWriter
	for k := 0; k < headerBits; k++ {
		w.u(1, uint32(header[k/8]>>(7-k%8)&1))
	}
	mbBits, mbLens = make([][]byte, len(mbs)), make([]int, len(mbs))
	run := 0
	var mw bitWriter
	for i := range e.mbs {
		mw.reset()
		if e.mbs[i].typ == mbPSkip {
			run++
		} else {
			if pSlice {
				w.ue(uint32(run))
				run = 0
			}
			e.writeMB(&mw, &e.mbs[i], i%mbW, i/mbW, pSlice)
		}
		mbLens[i] = mw.bitLen()
		mw.flushBytes()
		b := append([]byte(nil), mw.buf...)
		if mw.n > 0 {
			b = append(b, byte(mw.acc<<(8-mw.n)))
		}
		mbBits[i] = b
		w.appendBits(&mw)
	}
	if run > 0 {
		w.ue(uint32(run))
	}
	w.trailingBits()
	rbsp, err = w.bytes()
	if err != nil {
		return nil, nil, nil, err
	}
	return rbsp, mbBits, mbLens, nil
}
