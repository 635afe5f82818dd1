/* SPDX-License-Identifier: MIT */
/*
 * F and D decoder, written from the RISC-V unprivileged specification
 * (chapters "F", "D" and the RV32/64G instruction listings): LOAD-FP and
 * STORE-FP with width 2 (W) or 3 (D), the fused multiply-adds and OP-FP
 * with fmt S or D. Everything else in those opcodes (H and Q formats,
 * vector loads and stores, Zfa, non-zero rs2 where the listing fixes it,
 * the reserved static rounding modes 5 and 6) decodes as illegal. FP
 * instructions never end a block.
 */
#include "cpu/decode.h"
#include "cpu/decode_util.h"
#include "cpu/exec_fp.h"

#define RM_DYN 7

/* Fill in *in. rd is an f register (f0 is real) unless int_rd, which maps
 * x0 to the sink. */
static bool fp_set(struct insn *in, exec_fn fn, uint32_t rd, bool int_rd,
		   uint32_t rs1, uint32_t rs2, uint32_t rs3, uint32_t rm,
		   int64_t imm)
{
	in->fn = fn;
	in->rd = int_rd ? dest(rd) : (uint8_t)rd;
	in->rs1 = (uint8_t)rs1;
	in->rs2 = (uint8_t)rs2;
	in->rs3 = (uint8_t)rs3;
	in->rm = (uint8_t)rm;
	in->imm = imm;
	return false;
}

/* Static rounding modes 5 and 6 are reserved; 7 (dynamic) is checked
 * against frm when the instruction runs. */
static inline bool rm_reserved(uint32_t rm)
{
	return rm == 5 || rm == 6;
}

static bool decode_load_store(uint32_t r, struct insn *in)
{
	uint32_t f3 = bits(r, 14, 12), rs1 = bits(r, 19, 15);

	if (f3 != 2 && f3 != 3)
		return illegal(in);
	if (bits(r, 6, 0) == 0x07)
		return fp_set(in, f3 == 2 ? exec_flw : exec_fld, bits(r, 11, 7),
			      false, rs1, 0, 0, 0, sext(r >> 20, 12));
	return fp_set(in, f3 == 2 ? exec_fsw : exec_fsd, 0, false, rs1,
		      bits(r, 24, 20), 0, 0,
		      sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12));
}

static bool decode_fma(uint32_t r, struct insn *in)
{
	static const exec_fn fns[4][2] = {
	    {exec_fmadd_s, exec_fmadd_d},
	    {exec_fmsub_s, exec_fmsub_d},
	    {exec_fnmsub_s, exec_fnmsub_d},
	    {exec_fnmadd_s, exec_fnmadd_d},
	};
	uint32_t fmt = bits(r, 26, 25), rm = bits(r, 14, 12);

	if (fmt > 1 || rm_reserved(rm))
		return illegal(in);
	return fp_set(in, fns[bits(r, 3, 2)][fmt], bits(r, 11, 7), false,
		      bits(r, 19, 15), bits(r, 24, 20), bits(r, 31, 27), rm, 0);
}

/* Per-format handler pairs of OP-FP. */
#define PAIR(name)                                                             \
	{                                                                      \
		exec_##name##_s, exec_##name##_d                               \
	}

static bool decode_op_fp(uint32_t r, struct insn *in)
{
	static const exec_fn arith[4][2] = {PAIR(fadd), PAIR(fsub), PAIR(fmul),
					    PAIR(fdiv)};
	static const exec_fn sgnj[3][2] = {PAIR(fsgnj), PAIR(fsgnjn),
					   PAIR(fsgnjx)};
	static const exec_fn minmax[2][2] = {PAIR(fmin), PAIR(fmax)};
	static const exec_fn cmp[3][2] = {PAIR(fle), PAIR(flt), PAIR(feq)};
	static const exec_fn to_int[4][2] = {PAIR(fcvt_w), PAIR(fcvt_wu),
					     PAIR(fcvt_l), PAIR(fcvt_lu)};
	static const exec_fn from_int[4][2] = {
	    PAIR(fcvt_from_w), PAIR(fcvt_from_wu), PAIR(fcvt_from_l),
	    PAIR(fcvt_from_lu)};
	uint32_t rd = bits(r, 11, 7), rs1 = bits(r, 19, 15),
		 rs2 = bits(r, 24, 20), f3 = bits(r, 14, 12);
	uint32_t fmt = bits(r, 26, 25), f5 = bits(r, 31, 27);

	if (fmt > 1)
		return illegal(in);
	switch (f5) {
	case 0x00: /* fadd, fsub, fmul, fdiv */
	case 0x01:
	case 0x02:
	case 0x03:
		if (rm_reserved(f3))
			return illegal(in);
		return fp_set(in, arith[f5][fmt], rd, false, rs1, rs2, 0, f3,
			      0);
	case 0x0b: /* fsqrt */
		if (rs2 != 0 || rm_reserved(f3))
			return illegal(in);
		return fp_set(in, fmt ? exec_fsqrt_d : exec_fsqrt_s, rd, false,
			      rs1, 0, 0, f3, 0);
	case 0x04: /* fsgnj, fsgnjn, fsgnjx */
		if (f3 > 2)
			return illegal(in);
		return fp_set(in, sgnj[f3][fmt], rd, false, rs1, rs2, 0, 0, 0);
	case 0x05: /* fmin, fmax */
		if (f3 > 1)
			return illegal(in);
		return fp_set(in, minmax[f3][fmt], rd, false, rs1, rs2, 0, 0,
			      0);
	case 0x08: /* fcvt.s.d (fmt S, rs2 D), fcvt.d.s (fmt D, rs2 S) */
		if (rs2 != (fmt ^ 1) || rm_reserved(f3))
			return illegal(in);
		return fp_set(in, fmt ? exec_fcvt_d_s : exec_fcvt_s_d, rd,
			      false, rs1, 0, 0, f3, 0);
	case 0x14: /* fle, flt, feq */
		if (f3 > 2)
			return illegal(in);
		return fp_set(in, cmp[f3][fmt], rd, true, rs1, rs2, 0, 0, 0);
	case 0x18: /* fcvt.{w,wu,l,lu}.fmt */
		if (rs2 > 3 || rm_reserved(f3))
			return illegal(in);
		return fp_set(in, to_int[rs2][fmt], rd, true, rs1, 0, 0, f3, 0);
	case 0x1a: /* fcvt.fmt.{w,wu,l,lu} */
		if (rs2 > 3 || rm_reserved(f3))
			return illegal(in);
		return fp_set(in, from_int[rs2][fmt], rd, false, rs1, 0, 0, f3,
			      0);
	case 0x1c: /* fmv.x.w, fmv.x.d (funct3 0), fclass (funct3 1) */
		if (rs2 != 0 || f3 > 1)
			return illegal(in);
		if (f3 == 1)
			return fp_set(in, fmt ? exec_fclass_d : exec_fclass_s,
				      rd, true, rs1, 0, 0, 0, 0);
		return fp_set(in, fmt ? exec_fmv_x_d : exec_fmv_x_w, rd, true,
			      rs1, 0, 0, 0, 0);
	case 0x1e: /* fmv.w.x, fmv.d.x */
		if (rs2 != 0 || f3 != 0)
			return illegal(in);
		return fp_set(in, fmt ? exec_fmv_d_x : exec_fmv_w_x, rd, false,
			      rs1, 0, 0, 0, 0);
	default:
		return illegal(in);
	}
}

bool decode_fp(uint32_t raw, struct insn *in)
{
	switch (bits(raw, 6, 0)) {
	case 0x07:
	case 0x27:
		return decode_load_store(raw, in);
	case 0x43:
	case 0x47:
	case 0x4b:
	case 0x4f:
		return decode_fma(raw, in);
	case 0x53:
		return decode_op_fp(raw, in);
	default:
		return illegal(in);
	}
}
