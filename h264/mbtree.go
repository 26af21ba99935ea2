// The macroblock tree (x264's mbtree, after J. Garrett-Glaser, "A novel
// macroblock-tree algorithm for high-performance optimization of
// dependent video coding in H.264/AVC", 2009): a macroblock whose samples
// later pictures predict from is worth more than its own cost, so it gets
// a lower QP. From the lookahead's half-resolution analysis, walking from
// the last picture held back to the one about to be coded, each block
// passes on the share of its information that its vector's reference
// supplies,
//
//	amount = (propagated + intra) · (intra − inter) / intra,
//
// spread over the (up to four) reference blocks its displaced block
// overlaps, by area. The picture being coded then gets, per macroblock,
//
//	offset = −strength · log2((intra + propagated) / intra),
//
// rounded, within −12..0. All integer (log2Q8 of aq.go), in Go only:
// both back ends read the offsets.

package h264

// treeStrength16 is the strength of the QP offsets in 1/16: x264's
// 5·(1 − qcomp) with its default qcomp of 0.6.
const treeStrength16 = 32

// treeOffsets writes the macroblock-tree QP offsets of the oldest queued
// picture into out, from the first n queued pictures (n ≥ 1: with n = 1
// there is no later picture and every offset is 0).
func (la *lookahead) treeOffsets(n int, out []int8) {
	nMB := la.mbW * la.mbH
	for len(la.prop) < n {
		la.prop = append(la.prop, make([]uint64, nMB))
	}
	for j := 0; j < n; j++ {
		clear(la.prop[j])
	}
	for j := n - 1; j >= 1; j-- {
		f, in, dst := la.queue[j], la.prop[j], la.prop[j-1]
		for y := 0; y < la.mbH; y++ {
			for x := 0; x < la.mbW; x++ {
				i := y*la.mbW + x
				intra, inter := uint64(f.intra[i]), uint64(f.inter[i])
				if inter >= intra {
					continue
				}
				amount := (in[i] + intra) * (intra - inter) / intra
				v := f.mv[i]
				px, py := laBlock*x+int(v.X), laBlock*y+int(v.Y)
				bx, by := px>>3, py>>3 // floor: px may be negative
				fx, fy := uint64(px&7), uint64(py&7)
				w := [4]uint64{(8 - fx) * (8 - fy), fx * (8 - fy), (8 - fx) * fy, fx * fy}
				for k := 0; k < 4; k++ {
					tx, ty := bx+k&1, by+k>>1
					if w[k] == 0 || tx < 0 || ty < 0 || tx >= la.mbW || ty >= la.mbH {
						continue
					}
					dst[ty*la.mbW+tx] += amount * w[k] >> 6
				}
			}
		}
	}
	f, prop := la.queue[0], la.prop[0]
	for i := range out[:nMB] {
		intra := uint64(f.intra[i])
		d := treeStrength16 * (log2Q8(intra+prop[i]) - log2Q8(intra)) // 1/4096 units, ≥ 0
		out[i] = int8(-min(12, (d+2048)>>12))
	}
}
