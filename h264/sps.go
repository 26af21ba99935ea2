// Sequence and picture parameter sets (ITU-T H.264 clauses 7.3.2.1 and
// 7.3.2.2), VUI parameters (Annex E.1.1) and the level limits of Table A-1.

package h264

// Constrained Baseline: profile_idc 66 with constraint_set0_flag and
// constraint_set1_flag (A.2.1.1).
const (
	profileBaseline     = 66
	log2MaxFrameNum     = 16 // log2_max_frame_num_minus4 = 12
	spsConstraintFlags  = 0xc0
	maxFrameNum         = 1 << log2MaxFrameNum
	deblockingFilterIdc = 0
	chromaQPIndexOffset = 0
	picInitQP           = 26
)

// levelLimit is one row of Table A-1.
type levelLimit struct {
	idc     int // level_idc
	maxMBPS int64
	maxFS   int
	maxBR   int // kbit/s (cpbBrVclFactor 1000 for Baseline)
	maxCPB  int // kbit
	mvY     int // vertical MV range, in full pels: [-mvY, mvY-0.25]
}

// levelTable is Table A-1 (level 1b omitted).
var levelTable = []levelLimit{
	{10, 1485, 99, 64, 175, 64},
	{11, 3000, 396, 192, 500, 128},
	{12, 6000, 396, 384, 1000, 128},
	{13, 11880, 396, 768, 2000, 128},
	{20, 11880, 396, 2000, 2000, 128},
	{21, 19800, 792, 4000, 4000, 256},
	{22, 20250, 1620, 4000, 4000, 256},
	{30, 40500, 1620, 10000, 10000, 256},
	{31, 108000, 3600, 14000, 14000, 512},
	{32, 216000, 5120, 20000, 20000, 512},
	{40, 245760, 8192, 20000, 25000, 512},
	{41, 245760, 8192, 50000, 62500, 512},
	{42, 522240, 8704, 50000, 62500, 512},
	{50, 589824, 22080, 135000, 135000, 512},
	{51, 983040, 36864, 240000, 240000, 512},
	{52, 2073600, 36864, 240000, 240000, 512},
	{60, 4177920, 139264, 240000, 240000, 8192},
	{61, 8355840, 139264, 480000, 240000, 8192},
	{62, 16711680, 139264, 800000, 240000, 8192},
}

// chooseLevel returns the lowest level whose frame size, macroblock rate
// (and bit rate, when known) admit the stream (A.3.1).
func chooseLevel(mbW, mbH int, fpsNum, fpsDen int, bitrate int) levelLimit {
	fs := mbW * mbH
	mbps := (int64(fs)*int64(fpsNum) + int64(fpsDen) - 1) / int64(fpsDen)
	for _, l := range levelTable {
		// PicWidthInMbs and FrameHeightInMbs <= Sqrt(MaxFS*8).
		if fs > l.maxFS || mbW*mbW > 8*l.maxFS || mbH*mbH > 8*l.maxFS || mbps > l.maxMBPS {
			continue
		}
		if bitrate > 0 && bitrate > l.maxBR*1000 {
			continue
		}
		return l
	}
	return levelTable[len(levelTable)-1]
}

// seqParams is what the SPS and PPS say, plus derived sizes.
type seqParams struct {
	width, height int // coded picture size in luma samples (cropped)
	mbW, mbH      int
	level         levelLimit
	fpsNum        int
	fpsDen        int
	color         ColorInfo
	sarNum        int
	sarDen        int
}

// writeSPS writes seq_parameter_set_rbsp() (7.3.2.1.1) with VUI.
func (p *seqParams) writeSPS(w *bitWriter) {
	w.u(8, profileBaseline)
	w.u(8, spsConstraintFlags)
	w.u(8, uint32(p.level.idc))
	w.ue(0)                            // seq_parameter_set_id
	w.ue(log2MaxFrameNum - 4)          // log2_max_frame_num_minus4
	w.ue(2)                            // pic_order_cnt_type: POC follows frame_num
	w.ue(1)                            // max_num_ref_frames
	w.flag(false)                      // gaps_in_frame_num_value_allowed_flag
	w.ue(uint32(p.mbW - 1))            // pic_width_in_mbs_minus1
	w.ue(uint32(p.mbH - 1))            // pic_height_in_map_units_minus1
	w.flag(true)                       // frame_mbs_only_flag
	w.flag(true)                       // direct_8x8_inference_flag
	cropR := (p.mbW*16 - p.width) / 2  // CropUnitX = 2 for 4:2:0
	cropB := (p.mbH*16 - p.height) / 2 // CropUnitY = 2 for frames
	w.flag(cropR != 0 || cropB != 0)   // frame_cropping_flag
	if cropR != 0 || cropB != 0 {
		w.ue(0)
		w.ue(uint32(cropR))
		w.ue(0)
		w.ue(uint32(cropB))
	}
	w.flag(true) // vui_parameters_present_flag
	p.writeVUI(w)
	w.trailingBits()
}

// writeVUI writes vui_parameters() (E.1.1).
func (p *seqParams) writeVUI(w *bitWriter) {
	w.flag(p.sarNum > 0) // aspect_ratio_info_present_flag
	if p.sarNum > 0 {
		w.u(8, 255) // Extended_SAR
		w.u(16, uint32(p.sarNum))
		w.u(16, uint32(p.sarDen))
	}
	w.flag(false) // overscan_info_present_flag
	c := p.color
	desc := c.Matrix != 0 || c.Primaries != 0 || c.Transfer != 0
	w.flag(desc || c.FullRange) // video_signal_type_present_flag
	if desc || c.FullRange {
		w.u(3, 5) // video_format: unspecified
		w.flag(c.FullRange)
		w.flag(desc) // colour_description_present_flag
		if desc {
			w.u(8, uint32(orUnspecified(c.Primaries)))
			w.u(8, uint32(orUnspecified(c.Transfer)))
			w.u(8, uint32(orUnspecified(c.Matrix)))
		}
	}
	w.flag(false) // chroma_loc_info_present_flag
	w.flag(true)  // timing_info_present_flag
	w.u(32, uint32(p.fpsDen))
	w.u(32, uint32(2*p.fpsNum)) // time_scale: two ticks per frame
	w.flag(true)                // fixed_frame_rate_flag
	w.flag(false)               // nal_hrd_parameters_present_flag
	w.flag(false)               // vcl_hrd_parameters_present_flag
	w.flag(false)               // pic_struct_present_flag
	w.flag(true)                // bitstream_restriction_flag
	w.flag(true)                // motion_vectors_over_pic_boundaries_flag
	w.ue(0)                     // max_bytes_per_pic_denom
	w.ue(0)                     // max_bits_per_mb_denom
	w.ue(13)                    // log2_max_mv_length_horizontal: ±2048 pels
	w.ue(uint32(log2MvLenV(p.level.mvY)))
	w.ue(0) // max_num_reorder_frames
	w.ue(1) // max_dec_frame_buffering
}

// log2MvLenV is log2_max_mv_length_vertical for a vertical range of ±mvY
// full pels (±4·mvY quarter pels).
func log2MvLenV(mvY int) int {
	n := 0
	for 1<<n < 4*mvY {
		n++
	}
	return n
}

func orUnspecified(v int) int {
	if v == 0 {
		return 2
	}
	return v
}

// writePPS writes pic_parameter_set_rbsp() (7.3.2.2).
func (p *seqParams) writePPS(w *bitWriter) {
	w.ue(0)       // pic_parameter_set_id
	w.ue(0)       // seq_parameter_set_id
	w.flag(false) // entropy_coding_mode_flag: CAVLC
	w.flag(false) // bottom_field_pic_order_in_frame_present_flag
	w.ue(0)       // num_slice_groups_minus1
	w.ue(0)       // num_ref_idx_l0_default_active_minus1
	w.ue(0)       // num_ref_idx_l1_default_active_minus1
	w.flag(false) // weighted_pred_flag
	w.u(2, 0)     // weighted_bipred_idc
	w.se(picInitQP - 26)
	w.se(0) // pic_init_qs_minus26
	w.se(chromaQPIndexOffset)
	w.flag(true)  // deblocking_filter_control_present_flag
	w.flag(false) // constrained_intra_pred_flag
	w.flag(false) // redundant_pic_cnt_present_flag
	w.trailingBits()
}
