// Slice layer syntax (ITU-T H.264 clause 7.3.3 slice_header, 7.3.4
// slice_data) and macroblock layer syntax (7.3.5 macroblock_layer,
// mb_pred, sub_mb_pred, 7.3.5.3 residual) for CAVLC I and P slices.

package h264

// Slice types (Table 7-6), the "all slices of the picture" variants.
const (
	sliceP = 5
	sliceI = 7
)

// sliceHeader is what the encoder varies between pictures.
type sliceHeader struct {
	idr      bool
	sliceTyp int
	frameNum int
	idrPicID int
	qp       int
}

// write writes slice_header() (7.3.3) for nal_ref_idc != 0.
func (h *sliceHeader) write(w *bitWriter) {
	w.ue(0) // first_mb_in_slice
	w.ue(uint32(h.sliceTyp))
	w.ue(0) // pic_parameter_set_id
	w.u(log2MaxFrameNum, uint32(h.frameNum))
	if h.idr {
		w.ue(uint32(h.idrPicID))
	}
	// pic_order_cnt_type 2: nothing.
	if h.sliceTyp == sliceP {
		w.flag(false) // num_ref_idx_active_override_flag
		w.flag(false) // ref_pic_list_modification_flag_l0
	}
	// dec_ref_pic_marking()
	if h.idr {
		w.flag(false) // no_output_of_prior_pics_flag
		w.flag(false) // long_term_reference_flag
	} else {
		w.flag(false) // adaptive_ref_pic_marking_mode_flag
	}
	w.se(int32(h.qp - picInitQP)) // slice_qp_delta
	w.ue(deblockingFilterIdc)     // disable_deblocking_filter_idc
	w.se(0)                       // slice_alpha_c0_offset_div2
	w.se(0)                       // slice_beta_offset_div2
}

// nCLuma returns nC for the luma 4x4 block at raster position (bx, by) of
// macroblock (x, y) (9.2.1): the rounded mean of the TotalCoeff of the
// blocks to the left and above, when available.
func (e *Encoder) nCLuma(x, y int, cur *macroblock, bx, by int) int {
	nA, nB := -1, -1
	if bx > 0 {
		nA = int(cur.nz[by*4+bx-1])
	} else if x > 0 {
		nA = int(e.mbs[y*e.mbW+x-1].nz[by*4+3])
	}
	if by > 0 {
		nB = int(cur.nz[(by-1)*4+bx])
	} else if y > 0 {
		nB = int(e.mbs[(y-1)*e.mbW+x].nz[12+bx])
	}
	return combineNC(nA, nB)
}

// nCChroma is nCLuma for the chroma AC block (bx, by) of plane c.
func (e *Encoder) nCChroma(x, y int, cur *macroblock, c, bx, by int) int {
	nA, nB := -1, -1
	if bx > 0 {
		nA = int(cur.nzC[c][by*2])
	} else if x > 0 {
		nA = int(e.mbs[y*e.mbW+x-1].nzC[c][by*2+1])
	}
	if by > 0 {
		nB = int(cur.nzC[c][bx])
	} else if y > 0 {
		nB = int(e.mbs[(y-1)*e.mbW+x].nzC[c][2+bx])
	}
	return combineNC(nA, nB)
}

func combineNC(nA, nB int) int {
	switch {
	case nA >= 0 && nB >= 0:
		return (nA + nB + 1) >> 1
	case nA >= 0:
		return nA
	case nB >= 0:
		return nB
	}
	return 0
}

// predI4Mode returns predIntra4x4PredMode for the block at (bx, by)
// (8.3.1.1).
func (e *Encoder) predI4Mode(x, y int, cur *macroblock, bx, by int) int {
	modeOf := func(mb *macroblock, r int) int {
		if mb.typ != mbI4x4 {
			return i4DC
		}
		return int(mb.i4Mode[r])
	}
	var a, b int
	switch {
	case bx > 0:
		a = int(cur.i4Mode[by*4+bx-1])
	case x > 0:
		a = modeOf(&e.mbs[y*e.mbW+x-1], by*4+3)
	default:
		return i4DC
	}
	switch {
	case by > 0:
		b = int(cur.i4Mode[(by-1)*4+bx])
	case y > 0:
		b = modeOf(&e.mbs[(y-1)*e.mbW+x], 12+bx)
	default:
		return i4DC
	}
	return min(a, b)
}

// writeMB writes macroblock_layer() (7.3.5) of a coded (not skipped)
// macroblock.
func (e *Encoder) writeMB(w *bitWriter, mb *macroblock, x, y int, pSlice bool) {
	off := uint32(0)
	if pSlice {
		off = 5 // intra mb_type values follow the 5 P types (Table 7-13)
	}
	cbpL, cbpC := uint32(mb.cbp&15), uint32(mb.cbp>>4)
	switch mb.typ {
	case mbI4x4:
		w.ue(off)
		for i := 0; i < 16; i++ {
			bx, by := int(blkX[i]), int(blkY[i])
			m := int(mb.i4Mode[by*4+bx])
			p := e.predI4Mode(x, y, mb, bx, by)
			if m == p {
				w.flag(true)
			} else {
				w.flag(false)
				if m > p {
					m--
				}
				w.u(3, uint32(m))
			}
		}
		w.ue(uint32(mb.chromaMode))
		w.ue(uint32(cbpCodeNum[0][mb.cbp]))
	case mbI16x16:
		t := 1 + uint32(mb.i16Mode) + 4*cbpC
		if cbpL != 0 {
			t += 12
		}
		w.ue(off + t)
		w.ue(uint32(mb.chromaMode))
	default:
		np := numParts(mb.typ)
		w.ue(uint32(mb.typ - mbP16x16)) // P_L0_16x16 0, 16x8 1, 8x16 2, P_8x8 3
		if mb.typ == mbP8x8 {
			for p := 0; p < 4; p++ {
				w.ue(0) // sub_mb_type P_L0_8x8
			}
		}
		// ref_idx_l0 is not coded: num_ref_idx_l0_active_minus1 is 0.
		for p := 0; p < np; p++ {
			bx, by, pw := partGeom(mb.typ, p)
			pred := e.mvPred(x, y, mb, mb.typ, p, bx, by, pw)
			mv := mb.partMV[p]
			w.se(int32(mv.X) - int32(pred.X))
			w.se(int32(mv.Y) - int32(pred.Y))
		}
		w.ue(uint32(cbpCodeNum[1][mb.cbp]))
	}
	if cbpL == 0 && cbpC == 0 && mb.typ != mbI16x16 {
		return
	}
	w.se(int32(mb.qpDelta))
	var coef [16]int32
	if mb.typ == mbI16x16 {
		for k := 0; k < 16; k++ {
			coef[k] = int32(mb.lv.LumaDC[k])
		}
		writeResidualBlock(w, coef[:16], e.nCLuma(x, y, mb, 0, 0))
	}
	for i := 0; i < 16; i++ {
		if cbpL&(1<<(i/4)) == 0 {
			continue
		}
		bx, by := int(blkX[i]), int(blkY[i])
		r := by*4 + bx
		nC := e.nCLuma(x, y, mb, bx, by)
		if mb.typ == mbI16x16 {
			for k := 1; k < 16; k++ {
				coef[k-1] = int32(mb.lv.Luma[r][k])
			}
			writeResidualBlock(w, coef[:15], nC)
		} else {
			for k := 0; k < 16; k++ {
				coef[k] = int32(mb.lv.Luma[r][k])
			}
			writeResidualBlock(w, coef[:16], nC)
		}
	}
	if cbpC != 0 {
		for c := 0; c < 2; c++ {
			for k := 0; k < 4; k++ {
				coef[k] = int32(mb.lv.ChromaDC[c][k])
			}
			writeResidualBlock(w, coef[:4], -1)
		}
	}
	if cbpC == 2 {
		for c := 0; c < 2; c++ {
			for r := 0; r < 4; r++ {
				for k := 1; k < 16; k++ {
					coef[k-1] = int32(mb.lv.ChromaAC[c][r][k])
				}
				writeResidualBlock(w, coef[:15], e.nCChroma(x, y, mb, c, r&1, r>>1))
			}
		}
	}
}
