// CAVLC residual coding (ITU-T H.264 clause 7.3.5.3.2 residual_block_cavlc
// and 9.2): coeff_token, trailing-one signs, levels with adaptive
// suffixLength (including the level_prefix 14 and 15 escapes), total_zeros
// and run_before, plus nC from the neighbouring blocks (9.2.1).

package h264

// coeffTokenTable picks the Table 9-5 column for nC.
func coeffTokenTable(nC int) int {
	switch {
	case nC < 0:
		return 4
	case nC < 2:
		return 0
	case nC < 4:
		return 1
	case nC < 8:
		return 2
	}
	return 3
}

// writeResidualBlock writes residual_block_cavlc() for the coefficient
// levels coef (in scan order; len(coef) is maxNumCoeff: 16, 15 or 4) with
// the given nC (-1 for chroma DC). It returns TotalCoeff.
func writeResidualBlock(w *bitWriter, coef []int32, nC int) int {
	maxNum := len(coef)
	// Gather the non-zero levels from the highest frequency down.
	var lv [16]int32
	var pos [16]int8
	tc := 0
	for i := maxNum - 1; i >= 0; i-- {
		if c := coef[i]; c != 0 {
			lv[tc] = c
			pos[tc] = int8(i)
			tc++
		}
	}
	t1 := 0
	for t1 < tc && t1 < 3 && (lv[t1] == 1 || lv[t1] == -1) {
		t1++
	}
	ct := coeffTokenVLC[coeffTokenTable(nC)][t1][tc]
	w.u(uint(ct.n), uint32(ct.code))
	if tc == 0 {
		return 0
	}
	for i := 0; i < t1; i++ {
		w.flag(lv[i] < 0) // trailing_ones_sign_flag
	}
	suffixLength := uint(0)
	if tc > 10 && t1 < 3 {
		suffixLength = 1
	}
	for i := t1; i < tc; i++ {
		l := lv[i]
		var code int32 // levelCode
		if l > 0 {
			code = 2*l - 2
		} else {
			code = -2*l - 1
		}
		if i == t1 && t1 < 3 {
			code -= 2
		}
		writeLevel(w, code, suffixLength)
		if suffixLength == 0 {
			suffixLength = 1
		}
		if abs32(l) > 3<<(suffixLength-1) && suffixLength < 6 {
			suffixLength++
		}
	}
	if tc < maxNum {
		totalZeros := int(pos[0]) + 1 - tc
		var z vlc
		if maxNum == 4 {
			z = totalZerosDCVLC[tc][totalZeros]
		} else {
			z = totalZerosVLC[tc][totalZeros]
		}
		w.u(uint(z.n), uint32(z.code))
		zerosLeft := totalZeros
		for i := 0; i < tc-1 && zerosLeft > 0; i++ {
			run := int(pos[i]) - int(pos[i+1]) - 1
			t := zerosLeft
			if t > 7 {
				t = 7
			}
			r := runBeforeVLC[t][run]
			w.u(uint(r.n), uint32(r.code))
			zerosLeft -= run
		}
	}
	return tc
}

// writeLevel writes level_prefix and level_suffix for levelCode code
// (9.2.2.1, inverted). Callers keep |level| <= maxLevel, so level_prefix
// never exceeds 15.
func writeLevel(w *bitWriter, code int32, suffixLength uint) {
	if suffixLength == 0 {
		switch {
		case code < 14:
			w.u(uint(code)+1, 1)
		case code < 30:
			w.u(15, 1) // level_prefix 14
			w.u(4, uint32(code-14))
		default:
			w.u(16, 1) // level_prefix 15
			w.u(12, uint32(code-30))
		}
		return
	}
	if code < 15<<suffixLength {
		w.u(uint(code>>suffixLength)+1, 1)
		w.u(suffixLength, uint32(code)&(1<<suffixLength-1))
		return
	}
	w.u(16, 1) // level_prefix 15
	w.u(12, uint32(code-15<<suffixLength))
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}
