/* SPDX-License-Identifier: MIT */
/*
 * One stub per instruction under test and per encoding: every rounding
 * mode of an FP instruction (rm = 0..4 and 7, in that order) and every
 * immediate of a shift-by-immediate is a stub of its own, because the
 * mode and the immediate are fields of the instruction word.
 *
 * Each stub is a leaf function with the C prototype of op_fn (ops.h):
 *
 *	struct op_res stub(uint64_t a, uint64_t b, uint64_t c);
 *
 * a, b, c are the source operands' bits (FP operands go into ft0, ft1,
 * ft2 whole, 64 bits, so a single-precision operand can be a badly
 * NaN-boxed one); it returns the destination register's bits in a0 (an
 * f register read whole with fmv.x.d, so a single-precision result's
 * NaN-boxing counts) and fflags in a1, cleared just before the
 * instruction. A stub that traps resumes at op_trapped (fpdiff.c arms the
 * runtime's resume address), which returns a1 = -1.
 *
 * The C code around them is built for RV64IMAC only, so that the harness
 * never runs an instruction it is testing; this file enables the
 * extensions for itself. No RVC, no linker relaxation: IMM_OP's stubs
 * must keep their 16-byte stride.
 */
	.option	arch, +f, +d, +zba, +zbb, +zbc, +zbs
	.option	norvc
	.option	norelax

/* ---- Stub bodies, one per operand shape ---- */

/* f = insn(f, f, f [, rm]) */
.macro	BODY_FFF_F insn, rm:vararg
	fmv.d.x	ft0, a0
	fmv.d.x	ft1, a1
	fmv.d.x	ft2, a2
	fsflags	zero
	\insn	ft3, ft0, ft1, ft2 \rm
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

/* f = insn(f, f [, rm]) */
.macro	BODY_FF_F insn, rm:vararg
	fmv.d.x	ft0, a0
	fmv.d.x	ft1, a1
	fsflags	zero
	\insn	ft3, ft0, ft1 \rm
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

/* f = insn(f [, rm]) */
.macro	BODY_F_F insn, rm:vararg
	fmv.d.x	ft0, a0
	fsflags	zero
	\insn	ft3, ft0 \rm
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

/* x = insn(f, f) */
.macro	BODY_FF_X insn, rm:vararg
	fmv.d.x	ft0, a0
	fmv.d.x	ft1, a1
	fsflags	zero
	\insn	a0, ft0, ft1 \rm
	frflags	a1
	ret
.endm

/* x = insn(f [, rm]) */
.macro	BODY_F_X insn, rm:vararg
	fmv.d.x	ft0, a0
	fsflags	zero
	\insn	a0, ft0 \rm
	frflags	a1
	ret
.endm

/* f = insn(x [, rm]) */
.macro	BODY_X_F insn, rm:vararg
	fsflags	zero
	\insn	ft3, a0 \rm
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

/*
 * The exact conversions fcvt.d.s, fcvt.d.w and fcvt.d.wu have an rm field
 * too, but binutils 2.40 takes no rounding-mode operand for them: spelt
 * out with .insn (OP-FP, funct7, rs2 as the spec's encoding table has it).
 */
.macro	BODY_INSN_F_F funct7, rs2, rm
	fmv.d.x	ft0, a0
	fsflags	zero
	.insn	r OP_FP, \rm, \funct7, ft3, ft0, \rs2
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

.macro	BODY_INSN_X_F funct7, rs2, rm
	fsflags	zero
	.insn	r OP_FP, \rm, \funct7, ft3, a0, \rs2
	frflags	a1
	fmv.x.d	a0, ft3
	ret
.endm

/* x = insn(x, x), x = insn(x), x = insn(x, imm): no flags. */
.macro	BODY_XX_X insn
	\insn	a0, a0, a1
	li	a1, 0
	ret
.endm

.macro	BODY_X_X insn
	\insn	a0, a0
	li	a1, 0
	ret
.endm

/* ---- Tables ---- */

/*
 * RM_OP sym, shape, insn: six stubs, rne rtz rdn rup rmm dyn, and the
 * table op_fn *const sym[6] of them.
 */
.macro	RM_OP sym, shape, insn
	.text
	.balign	4
\sym\()_0:	BODY_\shape \insn, , rne
\sym\()_1:	BODY_\shape \insn, , rtz
\sym\()_2:	BODY_\shape \insn, , rdn
\sym\()_3:	BODY_\shape \insn, , rup
\sym\()_4:	BODY_\shape \insn, , rmm
\sym\()_7:	BODY_\shape \insn, , dyn
	.section .rodata
	.balign	8
	.globl	\sym
\sym:
	.dword	\sym\()_0, \sym\()_1, \sym\()_2, \sym\()_3, \sym\()_4, \sym\()_7
.endm

/* As RM_OP, for the .insn-encoded conversions. */
.macro	RM_INSN sym, shape, funct7, rs2
	.text
	.balign	4
\sym\()_0:	BODY_\shape \funct7, \rs2, 0
\sym\()_1:	BODY_\shape \funct7, \rs2, 1
\sym\()_2:	BODY_\shape \funct7, \rs2, 2
\sym\()_3:	BODY_\shape \funct7, \rs2, 3
\sym\()_4:	BODY_\shape \funct7, \rs2, 4
\sym\()_7:	BODY_\shape \funct7, \rs2, 7
	.section .rodata
	.balign	8
	.globl	\sym
\sym:
	.dword	\sym\()_0, \sym\()_1, \sym\()_2, \sym\()_3, \sym\()_4, \sym\()_7
.endm

/* OP sym, shape, insn: one stub (no rm field), table of one. */
.macro	OP sym, shape, insn
	.text
	.balign	4
\sym\()_s:	BODY_\shape \insn
	.section .rodata
	.balign	8
	.globl	\sym
\sym:
	.dword	\sym\()_s
.endm

/*
 * IMM_OP sym, insn, n: n stubs `insn a0, a0, i` for i = 0..n-1, each 16
 * bytes, and the table op_fn *const sym[n].
 */
.macro	IMM_OP sym, insn, n
	.text
	.balign	16
\sym\()_base:
	.set	imm, 0
	.rept	\n
	\insn	a0, a0, imm
	li	a1, 0
	ret
	.balign	16
	.set	imm, imm + 1
	.endr
	.section .rodata
	.balign	8
	.globl	\sym
\sym:
	.set	imm, 0
	.rept	\n
	.dword	\sym\()_base + 16 * imm
	.set	imm, imm + 1
	.endr
.endm

/* ---- The instructions ---- */

/* Control: base RV64I, which every memvisor runs. */
	OP	op_add, XX_X, add

/* F and D arithmetic. */
	RM_OP	op_fadd_s, FF_F, fadd.s
	RM_OP	op_fsub_s, FF_F, fsub.s
	RM_OP	op_fmul_s, FF_F, fmul.s
	RM_OP	op_fdiv_s, FF_F, fdiv.s
	RM_OP	op_fsqrt_s, F_F, fsqrt.s
	RM_OP	op_fmadd_s, FFF_F, fmadd.s
	RM_OP	op_fmsub_s, FFF_F, fmsub.s
	RM_OP	op_fnmadd_s, FFF_F, fnmadd.s
	RM_OP	op_fnmsub_s, FFF_F, fnmsub.s
	OP	op_fmin_s, FF_F, fmin.s
	OP	op_fmax_s, FF_F, fmax.s
	RM_OP	op_fadd_d, FF_F, fadd.d
	RM_OP	op_fsub_d, FF_F, fsub.d
	RM_OP	op_fmul_d, FF_F, fmul.d
	RM_OP	op_fdiv_d, FF_F, fdiv.d
	RM_OP	op_fsqrt_d, F_F, fsqrt.d
	RM_OP	op_fmadd_d, FFF_F, fmadd.d
	RM_OP	op_fmsub_d, FFF_F, fmsub.d
	RM_OP	op_fnmadd_d, FFF_F, fnmadd.d
	RM_OP	op_fnmsub_d, FFF_F, fnmsub.d
	OP	op_fmin_d, FF_F, fmin.d
	OP	op_fmax_d, FF_F, fmax.d

/* Sign injection, compares, classify. */
	OP	op_fsgnj_s, FF_F, fsgnj.s
	OP	op_fsgnjn_s, FF_F, fsgnjn.s
	OP	op_fsgnjx_s, FF_F, fsgnjx.s
	OP	op_fsgnj_d, FF_F, fsgnj.d
	OP	op_fsgnjn_d, FF_F, fsgnjn.d
	OP	op_fsgnjx_d, FF_F, fsgnjx.d
	OP	op_feq_s, FF_X, feq.s
	OP	op_flt_s, FF_X, flt.s
	OP	op_fle_s, FF_X, fle.s
	OP	op_feq_d, FF_X, feq.d
	OP	op_flt_d, FF_X, flt.d
	OP	op_fle_d, FF_X, fle.d
	OP	op_fclass_s, F_X, fclass.s
	OP	op_fclass_d, F_X, fclass.d

/* Conversions. funct7 0x21 is fcvt.d.s (rs2 0: from S); 0x69 is fcvt.d.[w|wu]
 * (rs2 0: from W, 1: from WU). */
	RM_OP	op_fcvt_s_d, F_F, fcvt.s.d
	RM_INSN	op_fcvt_d_s, INSN_F_F, 0x21, x0
	RM_OP	op_fcvt_w_s, F_X, fcvt.w.s
	RM_OP	op_fcvt_wu_s, F_X, fcvt.wu.s
	RM_OP	op_fcvt_l_s, F_X, fcvt.l.s
	RM_OP	op_fcvt_lu_s, F_X, fcvt.lu.s
	RM_OP	op_fcvt_w_d, F_X, fcvt.w.d
	RM_OP	op_fcvt_wu_d, F_X, fcvt.wu.d
	RM_OP	op_fcvt_l_d, F_X, fcvt.l.d
	RM_OP	op_fcvt_lu_d, F_X, fcvt.lu.d
	RM_OP	op_fcvt_s_w, X_F, fcvt.s.w
	RM_OP	op_fcvt_s_wu, X_F, fcvt.s.wu
	RM_OP	op_fcvt_s_l, X_F, fcvt.s.l
	RM_OP	op_fcvt_s_lu, X_F, fcvt.s.lu
	RM_INSN	op_fcvt_d_w, INSN_X_F, 0x69, x0
	RM_INSN	op_fcvt_d_wu, INSN_X_F, 0x69, x1
	RM_OP	op_fcvt_d_l, X_F, fcvt.d.l
	RM_OP	op_fcvt_d_lu, X_F, fcvt.d.lu

/* Moves. */
	OP	op_fmv_x_w, F_X, fmv.x.w
	OP	op_fmv_w_x, X_F, fmv.w.x
	OP	op_fmv_x_d, F_X, fmv.x.d
	OP	op_fmv_d_x, X_F, fmv.d.x

/* Zba. */
	OP	op_add_uw, XX_X, add.uw
	OP	op_sh1add, XX_X, sh1add
	OP	op_sh2add, XX_X, sh2add
	OP	op_sh3add, XX_X, sh3add
	OP	op_sh1add_uw, XX_X, sh1add.uw
	OP	op_sh2add_uw, XX_X, sh2add.uw
	OP	op_sh3add_uw, XX_X, sh3add.uw
	IMM_OP	op_slli_uw, slli.uw, 64

/* Zbb. */
	OP	op_andn, XX_X, andn
	OP	op_orn, XX_X, orn
	OP	op_xnor, XX_X, xnor
	OP	op_clz, X_X, clz
	OP	op_clzw, X_X, clzw
	OP	op_ctz, X_X, ctz
	OP	op_ctzw, X_X, ctzw
	OP	op_cpop, X_X, cpop
	OP	op_cpopw, X_X, cpopw
	OP	op_max, XX_X, max
	OP	op_maxu, XX_X, maxu
	OP	op_min, XX_X, min
	OP	op_minu, XX_X, minu
	OP	op_sext_b, X_X, sext.b
	OP	op_sext_h, X_X, sext.h
	OP	op_zext_h, X_X, zext.h
	OP	op_rol, XX_X, rol
	OP	op_rolw, XX_X, rolw
	OP	op_ror, XX_X, ror
	OP	op_rorw, XX_X, rorw
	IMM_OP	op_rori, rori, 64
	IMM_OP	op_roriw, roriw, 32
	OP	op_orc_b, X_X, orc.b
	OP	op_rev8, X_X, rev8

/* Zbc. */
	OP	op_clmul, XX_X, clmul
	OP	op_clmulh, XX_X, clmulh
	OP	op_clmulr, XX_X, clmulr

/* Zbs. */
	OP	op_bclr, XX_X, bclr
	OP	op_bext, XX_X, bext
	OP	op_binv, XX_X, binv
	OP	op_bset, XX_X, bset
	IMM_OP	op_bclri, bclri, 64
	IMM_OP	op_bexti, bexti, 64
	IMM_OP	op_binvi, binvi, 64
	IMM_OP	op_bseti, bseti, 64

/* Where a trapping stub resumes (with ra still the stub's caller's). */
	.text
	.balign	4
	.globl	op_trapped
op_trapped:
	li	a0, 0
	li	a1, -1
	ret
