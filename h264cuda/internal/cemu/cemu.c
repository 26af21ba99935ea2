/*
 * cemu.c: the kernels of h264cuda/kernels compiled as plain C, and a
 * launcher that runs every thread of a grid in turn (no shared memory or
 * block barriers are used by the kernels, so this is the same computation;
 * deblock_rows, the one kernel whose warps synchronise, runs a warp's lanes
 * in one call there).
 */
#include <string.h>

#include "cemu.h"
#include "motion.cu"
#include "analyse.cu"
#include "deblock.cu"
#include "inter.cu"
#include "cavlc.cu"
#include "convert.cu"
#include "lookahead.cu"
#include "intra.cu"

__thread int cemu_thread_x, cemu_block_x, cemu_block_dim_x;

typedef void (*cemu_kernel)(const int64_t *, int, int);

static const struct {
	const char *name;
	cemu_kernel fn;
} cemu_kernels[] = {
	{"motion_load_src", motion_load_src},
	{"motion_build_full", motion_build_full},
	{"motion_build_half", motion_build_half},
	{"motion_down", motion_down},
	{"motion_coarse", motion_coarse},
	{"motion_refine", motion_refine},
	{"motion_subpel_init", motion_subpel_init},
	{"motion_subpel_eval", motion_subpel_eval},
	{"motion_subpel_pick", motion_subpel_pick},
	{"motion_pull", motion_pull},
	{"motion_parts", motion_parts},
	{"motion_parts16", motion_parts16},
	{"analyse_mb", analyse_mb},
	{"deblock_edges", deblock_edges},
	{"deblock_rows", deblock_rows},
	{"inter_recon", inter_recon},
	{"probe_skip", probe_skip},
	{"cavlc_mb", cavlc_mb},
	{"cavlc_chunk_sum", cavlc_chunk_sum},
	{"cavlc_scan_top", cavlc_scan_top},
	{"cavlc_chunk_apply", cavlc_chunk_apply},
	{"cavlc_pack", cavlc_pack},
	{"cavlc_escape_count", cavlc_escape_count},
	{"cavlc_escape_group", cavlc_escape_group},
	{"cavlc_escape_scan", cavlc_escape_scan},
	{"cavlc_escape_write", cavlc_escape_write},
	{"cavlc_consts", cavlc_consts},
	{"convert_src", convert_src},
	{"la_down", la_down},
	{"la_analyse", la_analyse},
	{"intra_rows", intra_rows},
};

int cemu_launch(const char *name, int blocks, int threads, const int64_t *P, int n, int arg)
{
	for (size_t k = 0; k < sizeof cemu_kernels / sizeof cemu_kernels[0]; k++) {
		if (strcmp(cemu_kernels[k].name, name) != 0)
			continue;
		cemu_block_dim_x = threads;
		for (int b = 0; b < blocks; b++) {
			cemu_block_x = b;
			for (int t = 0; t < threads; t++) {
				cemu_thread_x = t;
				cemu_kernels[k].fn(P, n, arg);
			}
		}
		return 0;
	}
	return -1;
}

int cemu_motion_const(const char *name)
{
	static const struct {
		const char *name;
		int v;
	} c[] = {
		{"MP_CUR", MP_CUR}, {"MP_REF", MP_REF}, {"MP_SRC0", MP_SRC0}, {"MP_SRC1", MP_SRC1},
		{"MP_SRC2", MP_SRC2}, {"MP_FULL", MP_FULL}, {"MP_HALF_B", MP_HALF_B}, {"MP_HALF_H", MP_HALF_H},
		{"MP_HALF_J", MP_HALF_J}, {"MP_REFL1", MP_REFL1}, {"MP_REFL2", MP_REFL2}, {"MP_LVL2", MP_LVL2},
		{"MP_LVL1", MP_LVL1}, {"MP_LVL0", MP_LVL0}, {"MP_PRED0", MP_PRED0}, {"MP_PULL0", MP_PULL0},
		{"MP_PULL1", MP_PULL1}, {"MP_PREV", MP_PREV}, {"MP_OUT", MP_OUT}, {"MP_SCRATCH", MP_SCRATCH}, {"MP_SATD16", MP_SATD16}, {"MP_CUR_W", MP_CUR_W},
		{"MP_CUR_H", MP_CUR_H}, {"MP_CUR_STRIDE", MP_CUR_STRIDE}, {"MP_REF_W", MP_REF_W},
		{"MP_REF_H", MP_REF_H}, {"MP_REF_STRIDE", MP_REF_STRIDE}, {"MP_MBW", MP_MBW}, {"MP_MBH", MP_MBH},
		{"MP_PAD", MP_PAD}, {"MP_EXT", MP_EXT}, {"MP_FSTRIDE", MP_FSTRIDE}, {"MP_M1", MP_M1},
		{"MP_M2", MP_M2}, {"MP_COARSE", MP_COARSE}, {"MP_REFINE", MP_REFINE}, {"MP_SUBPEL", MP_SUBPEL},
		{"MP_PARTS", MP_PARTS}, {"MP_PART_STEPS", MP_PART_STEPS}, {"MP_MAXVMV", MP_MAXVMV},
		{"MP_LAMBDA", MP_LAMBDA}, {"MP_HAS_PREV", MP_HAS_PREV}, {"MP_COUNT", MP_COUNT},
		{"PULL_WORDS", PULL_WORDS}, {"OUT_WORDS", OUT_WORDS}, {"OUT_PRED", OUT_PRED}, {"OUT_MV16", OUT_MV16},
		{"OUT_SATD16", OUT_SATD16}, {"OUT_COST16", OUT_COST16}, {"OUT_MV16X8", OUT_MV16X8},
		{"OUT_SATD16X8", OUT_SATD16X8}, {"OUT_COST16X8", OUT_COST16X8}, {"OUT_MV8X16", OUT_MV8X16},
		{"OUT_SATD8X16", OUT_SATD8X16}, {"OUT_COST8X16", OUT_COST8X16}, {"OUT_MV8X8", OUT_MV8X8},
		{"OUT_SATD8X8", OUT_SATD8X8}, {"OUT_COST8X8", OUT_COST8X8}, {"DOWN_SRC1", DOWN_SRC1},
		{"SQ_VALID", SQ_VALID}, {"SQ_SATD", SQ_SATD}, {"SQ_COST", SQ_COST}, {"SQ_WORDS", SQ_WORDS},
		{"SCRATCH_WORDS", SCRATCH_WORDS}, {"DOWN_REFL1", DOWN_REFL1}, {"DOWN_SRC2", DOWN_SRC2}, {"DOWN_REFL2", DOWN_REFL2},
		{"AP_SRC_Y", AP_SRC_Y}, {"AP_SRC_CB", AP_SRC_CB}, {"AP_SRC_CR", AP_SRC_CR}, {"AP_FIELD", AP_FIELD},
		{"AP_DEC", AP_DEC}, {"AP_MBW", AP_MBW}, {"AP_MBH", AP_MBH}, {"AP_QP", AP_QP}, {"AP_LAMBDA", AP_LAMBDA},
		{"AP_PSLICE", AP_PSLICE}, {"AP_INTRA4", AP_INTRA4}, {"AP_PARTS", AP_PARTS}, {"AP_AQ", AP_AQ}, {"AP_LAMBDA_TAB", AP_LAMBDA_TAB}, {"AP_QPOFF", AP_QPOFF},
		{"AP_COUNT", AP_COUNT},
		{"DEC_TYPE", DEC_TYPE}, {"DEC_I16", DEC_I16}, {"DEC_CHROMA", DEC_CHROMA}, {"DEC_QP", DEC_QP},
		{"DEC_I4", DEC_I4}, {"DEC_PARTMV", DEC_PARTMV}, {"DEC_MV", DEC_MV}, {"DEC_WORDS", DEC_WORDS},
		{"AP_HOST", AP_HOST}, {"DH_TYPE", DH_TYPE}, {"DH_I16", DH_I16}, {"DH_CHROMA", DH_CHROMA}, {"DH_QP", DH_QP},
		{"DH_I4", DH_I4}, {"DH_PARTMV", DH_PARTMV}, {"DH_MV", DH_MV}, {"DH_BYTES", DH_BYTES},
		{"MB_I4X4", MB_I4X4}, {"MB_I16X16", MB_I16X16}, {"MB_P16X16", MB_P16X16}, {"MB_P16X8", MB_P16X8},
		{"MB_P8X16", MB_P8X16}, {"MB_P8X8", MB_P8X8}, {"MB_PSKIP", MB_PSKIP},
		{"IP_SRC_Y", IP_SRC_Y}, {"IP_SRC_CB", IP_SRC_CB}, {"IP_SRC_CR", IP_SRC_CR}, {"IP_REF_Y", IP_REF_Y},
		{"IP_REF_CB", IP_REF_CB}, {"IP_REF_CR", IP_REF_CR}, {"IP_REC_Y", IP_REC_Y}, {"IP_REC_CB", IP_REC_CB},
		{"IP_REC_CR", IP_REC_CR}, {"IP_DEC", IP_DEC}, {"IP_LEVELS", IP_LEVELS}, {"IP_MBW", IP_MBW},
		{"IP_MBH", IP_MBH}, {"IP_CBP", IP_CBP}, {"IP_COUNT", IP_COUNT}, {"LV_LUMA", LV_LUMA}, {"LV_CDC", LV_CDC},
		{"CV_IN", CV_IN}, {"CV_Y", CV_Y}, {"CV_CB", CV_CB}, {"CV_CR", CV_CR}, {"CV_W", CV_W},
		{"CV_H", CV_H}, {"CV_PW", CV_PW}, {"CV_PH", CV_PH}, {"CV_FMT", CV_FMT}, {"CV_COUNT", CV_COUNT},
		{"CV_FMT_YUV420P", CV_FMT_YUV420P}, {"CV_FMT_NV12", CV_FMT_NV12}, {"CV_FMT_YUV444P", CV_FMT_YUV444P},
		{"LV_CAC", LV_CAC}, {"LV_WORDS", LV_WORDS}, {"IP_COUNTS", IP_COUNTS}, {"IP_PROBE_DEC", IP_PROBE_DEC}, {"IP_PROBE_OUT", IP_PROBE_OUT},
		{"PO_MV", PO_MV}, {"PO_WANTS", PO_WANTS}, {"PO_WORDS", PO_WORDS}, {"CN_NZ", CN_NZ},
		{"CN_NZC", CN_NZC}, {"CN_CBP", CN_CBP}, {"CN_BYTES", CN_BYTES},
		{"IR_TYPE", IR_TYPE}, {"IR_QP", IR_QP}, {"IR_MV", IR_MV}, {"IR_WORDS", IR_WORDS},
		{"XP_SRC_Y", XP_SRC_Y}, {"XP_SRC_CB", XP_SRC_CB}, {"XP_SRC_CR", XP_SRC_CR}, {"XP_REC_Y", XP_REC_Y},
		{"XP_REC_CB", XP_REC_CB}, {"XP_REC_CR", XP_REC_CR}, {"XP_DEC", XP_DEC}, {"XP_LEVELS", XP_LEVELS},
		{"XP_COUNTS", XP_COUNTS}, {"XP_LUMADC", XP_LUMADC}, {"XP_ROWS", XP_ROWS}, {"XP_MBW", XP_MBW},
		{"XP_MBH", XP_MBH}, {"XP_COUNT", XP_COUNT},
		{"LA_SRC", LA_SRC}, {"LA_LOW", LA_LOW}, {"LA_PREV", LA_PREV}, {"LA_OUT", LA_OUT},
		{"LA_PREV_OUT", LA_PREV_OUT}, {"LA_MBW", LA_MBW}, {"LA_MBH", LA_MBH}, {"LA_COUNT", LA_COUNT},
		{"LA_INTRA", LA_INTRA}, {"LA_INTER", LA_INTER}, {"LA_MV", LA_MV}, {"LA_FRAC", LA_FRAC},
		{"LA_WORDS", LA_WORDS}, {"LA_BLOCK", LA_BLOCK}, {"LA_RANGE", LA_RANGE}, {"LA_MARGIN", LA_MARGIN},
		{"LA_STEPS", LA_STEPS},
	};
	for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
		if (strcmp(c[k].name, name) == 0)
			return c[k].v;
	return -1;
}

void cemu_pred_block(uint8_t *dst, int n, const uint8_t *pix, int stride, int mode, int avail, int chroma)
{
	pred_block(dst, n, pix, stride, mode, avail, chroma);
}

void cemu_pred_luma(const int64_t *P, int x, int y, int mvx, int mvy, int w, int h, uint8_t *dst)
{
	Pred p;
	pred_setup(P, &p, x, y, mvx, mvy, w, h);
	for (int r = 0; r < h; r++)
		for (int c = 0; c < w; c++)
			dst[r * w + c] = (uint8_t)pred_sample(&p, c, r);
}
