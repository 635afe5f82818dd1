/* SPDX-License-Identifier: MIT */
/*
 * The F and D instructions' handlers (cpu/exec_fp.c), decoded by
 * decode_fp() (cpu/decode_fp.c). Same contract as the handlers of
 * cpu/exec.h. Operands: rd, rs1, rs2, rs3 name f registers or x registers
 * as the instruction does (an x destination is 32 for x0); rm is the
 * instruction's rounding-mode field (7: frm), imm the load/store offset.
 *
 * Every handler raises illegal instruction while sstatus.FS is Off, and
 * so does a rounding one whose rm is 7 while frm holds 5, 6 or 7. Writing
 * an f register, or raising a flag (accrued in fcsr), sets FS to Dirty.
 */
#ifndef MEMVISOR_CPU_EXEC_FP_H
#define MEMVISOR_CPU_EXEC_FP_H

#include "cpu/exec.h"

/* The operations that exist in both formats: X(name) names exec_<name>_s
 * and exec_<name>_d. fcvt_w_s is fcvt.w.s (to an integer); fcvt_from_w_s
 * is fcvt.s.w (from one). */
#define EXEC_FP_BOTH(X)                                                        \
	X(fadd)                                                                \
	X(fsub)                                                                \
	X(fmul)                                                                \
	X(fdiv)                                                                \
	X(fsqrt)                                                               \
	X(fmadd)                                                               \
	X(fmsub)                                                               \
	X(fnmsub)                                                              \
	X(fnmadd)                                                              \
	X(fsgnj)                                                               \
	X(fsgnjn)                                                              \
	X(fsgnjx)                                                              \
	X(fmin)                                                                \
	X(fmax)                                                                \
	X(feq)                                                                 \
	X(flt)                                                                 \
	X(fle)                                                                 \
	X(fclass)                                                              \
	X(fcvt_w)                                                              \
	X(fcvt_wu)                                                             \
	X(fcvt_l)                                                              \
	X(fcvt_lu)                                                             \
	X(fcvt_from_w)                                                         \
	X(fcvt_from_wu)                                                        \
	X(fcvt_from_l)                                                         \
	X(fcvt_from_lu)

/* The others, by full name. */
#define EXEC_FP_ONE(X)                                                         \
	X(flw)                                                                 \
	X(fld)                                                                 \
	X(fsw)                                                                 \
	X(fsd)                                                                 \
	X(fcvt_s_d)                                                            \
	X(fcvt_d_s)                                                            \
	X(fmv_x_w)                                                             \
	X(fmv_w_x)                                                             \
	X(fmv_x_d)                                                             \
	X(fmv_d_x)

#define EXEC_FP_DECLARE_BOTH(name)                                             \
	int exec_##name##_s(struct hart *h, const struct insn *in);            \
	int exec_##name##_d(struct hart *h, const struct insn *in);
#define EXEC_FP_DECLARE_ONE(name)                                              \
	int exec_##name(struct hart *h, const struct insn *in);
EXEC_FP_BOTH(EXEC_FP_DECLARE_BOTH)
EXEC_FP_ONE(EXEC_FP_DECLARE_ONE)
#undef EXEC_FP_DECLARE_BOTH
#undef EXEC_FP_DECLARE_ONE

#endif
