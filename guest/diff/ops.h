/* SPDX-License-Identifier: MIT */
/*
 * The instruction stubs of ops.S: one function per instruction and
 * encoding, gathered in one table per instruction.
 */
#ifndef DIFF_OPS_H
#define DIFF_OPS_H

#include <stdint.h>

/* What a stub returns: the destination register's 64 bits and fflags
 * (0 for integer instructions; OP_TRAPPED when the stub trapped). */
struct op_res {
	uint64_t val;
	uint64_t flags;
};

#define OP_TRAPPED (~0ul)

/* a, b, c: the source registers' bits (x registers, or f registers
 * whole). */
typedef struct op_res op_fn(uint64_t a, uint64_t b, uint64_t c);

/*
 * The tables. An instruction with a rounding-mode field has six stubs,
 * rm = 0 (rne), 1 (rtz), 2 (rdn), 3 (rup), 4 (rmm), 7 (dyn); one
 * without has one; a shift by immediate has one per immediate, 64 (32
 * for roriw).
 */
#define OPS(sym) extern op_fn *const sym[]
OPS(op_add);
OPS(op_fadd_s);
OPS(op_fsub_s);
OPS(op_fmul_s);
OPS(op_fdiv_s);
OPS(op_fsqrt_s);
OPS(op_fmadd_s);
OPS(op_fmsub_s);
OPS(op_fnmadd_s);
OPS(op_fnmsub_s);
OPS(op_fmin_s);
OPS(op_fmax_s);
OPS(op_fadd_d);
OPS(op_fsub_d);
OPS(op_fmul_d);
OPS(op_fdiv_d);
OPS(op_fsqrt_d);
OPS(op_fmadd_d);
OPS(op_fmsub_d);
OPS(op_fnmadd_d);
OPS(op_fnmsub_d);
OPS(op_fmin_d);
OPS(op_fmax_d);
OPS(op_fsgnj_s);
OPS(op_fsgnjn_s);
OPS(op_fsgnjx_s);
OPS(op_fsgnj_d);
OPS(op_fsgnjn_d);
OPS(op_fsgnjx_d);
OPS(op_feq_s);
OPS(op_flt_s);
OPS(op_fle_s);
OPS(op_feq_d);
OPS(op_flt_d);
OPS(op_fle_d);
OPS(op_fclass_s);
OPS(op_fclass_d);
OPS(op_fcvt_s_d);
OPS(op_fcvt_d_s);
OPS(op_fcvt_w_s);
OPS(op_fcvt_wu_s);
OPS(op_fcvt_l_s);
OPS(op_fcvt_lu_s);
OPS(op_fcvt_w_d);
OPS(op_fcvt_wu_d);
OPS(op_fcvt_l_d);
OPS(op_fcvt_lu_d);
OPS(op_fcvt_s_w);
OPS(op_fcvt_s_wu);
OPS(op_fcvt_s_l);
OPS(op_fcvt_s_lu);
OPS(op_fcvt_d_w);
OPS(op_fcvt_d_wu);
OPS(op_fcvt_d_l);
OPS(op_fcvt_d_lu);
OPS(op_fmv_x_w);
OPS(op_fmv_w_x);
OPS(op_fmv_x_d);
OPS(op_fmv_d_x);
OPS(op_add_uw);
OPS(op_sh1add);
OPS(op_sh2add);
OPS(op_sh3add);
OPS(op_sh1add_uw);
OPS(op_sh2add_uw);
OPS(op_sh3add_uw);
OPS(op_slli_uw);
OPS(op_andn);
OPS(op_orn);
OPS(op_xnor);
OPS(op_clz);
OPS(op_clzw);
OPS(op_ctz);
OPS(op_ctzw);
OPS(op_cpop);
OPS(op_cpopw);
OPS(op_max);
OPS(op_maxu);
OPS(op_min);
OPS(op_minu);
OPS(op_sext_b);
OPS(op_sext_h);
OPS(op_zext_h);
OPS(op_rol);
OPS(op_rolw);
OPS(op_ror);
OPS(op_rorw);
OPS(op_rori);
OPS(op_roriw);
OPS(op_orc_b);
OPS(op_rev8);
OPS(op_clmul);
OPS(op_clmulh);
OPS(op_clmulr);
OPS(op_bclr);
OPS(op_bext);
OPS(op_binv);
OPS(op_bset);
OPS(op_bclri);
OPS(op_bexti);
OPS(op_binvi);
OPS(op_bseti);
#undef OPS

/* Where a trapping stub resumes: returns {0, OP_TRAPPED}. */
struct op_res op_trapped(uint64_t a, uint64_t b, uint64_t c);

#endif
