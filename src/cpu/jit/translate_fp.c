/* SPDX-License-Identifier: MIT */
/*
 * The F and D instructions a translation runs natively: SSE2 scalar
 * arithmetic (and FMA3 for the fused multiply-adds, when the host has it)
 * on h->f[] in memory, bit for bit what the soft-float (cpu/fpu.c) gives.
 * Every native FP instruction first checks what its handler would trap
 * on, and jumps to a slow path that calls the handler instead (which
 * then raises the trap, or computes what the native code leaves to it):
 * sstatus.FS Off (checked once until the next handler call), a
 * dynamic rounding mode with frm not round-to-nearest (every time), a
 * single-precision operand that is not NaN-boxed (it reads as the
 * canonical NaN). A static rounding mode other than RNE (RTZ too for the
 * conversions to integers) leaves the instruction to its handler.
 *
 * Where x86 differs from RISC-V:
 *   - NaN results: x86 passes an operand's payload on; RISC-V gives the
 *     canonical NaN: a NaN result is replaced (out of line).
 *   - Flags: MXCSR accumulates IE ZE OE UE PE, which are NV DZ OF UF NX;
 *     they are merged into fflags (FS Dirty then) before every handler
 *     call and when the translations return (translate.c's gate and
 *     entry), so fcsr is exact wherever anything can read it. DE (a
 *     denormal operand) has no RISC-V counterpart and is ignored.
 *   - Underflow: SSE detects tininess after rounding, as RISC-V does
 *     (the flags of mulsd, divsd, mulss and cvtsd2ss agreed with the
 *     soft-float's on millions of results around the smallest normal
 *     number; test_jit's operands include those whose product rounds to
 *     it from below), so UE maps to UF as it is.
 *   - Redoing an instruction in its handler after the native code has
 *     run is exact only when the native code raised a subset of the
 *     handler's flags (flags only accumulate): true of every such case
 *     here (a NaN result of a fused multiply-add: x86 raises no invalid
 *     for inf * 0 + qNaN, RISC-V does; an integer conversion's
 *     0x80...0, out of range or NaN: invalid alone in both).
 *   - Conversions to integers saturate on RISC-V; x86 returns 0x80...0
 *     (the minimum, also a legal result): that value goes to the handler.
 *     x86 has no unsigned conversions: to an unsigned integer, only
 *     truncating ones are native, for an operand checked to be in range
 *     first (a 64-bit conversion's inexact flag would be wrong for the
 *     out-of-range ones); from an unsigned 64-bit integer, one below
 *     2^63.
 *   - fmin/fmax: minsd/maxsd return the second operand on NaNs and on
 *     equal operands; RISC-V's -0 < +0 and NaN rules: equal operands are
 *     combined bitwise (-0 wins a min by OR, +0 a max by AND), a NaN goes
 *     to the handler.
 * fclass, the other unsigned conversions, and the fused forms on a host
 * without FMA stay handler calls.
 */
#include "cpu/csr.h"
#include "cpu/exec_fp.h"
#include "cpu/fpu.h"
#include "cpu/jit/translate_int.h"
#include "cpu/trap.h"

/* MXCSR with every exception masked, round to nearest, no FTZ/DAZ, no
 * flags: the native code's (and the host's default). */
#define TRF_MXCSR 0x1f80

enum trf_kind {
	TRF_ARITH,    /* f[rd] = f[rs1] op f[rs2] (op: enum x86_sse) */
	TRF_FMA,      /* f[rd] = f[rs1] * f[rs2] +- f[rs3] (enum x86_fma) */
	TRF_SGNJ,     /* f[rd] = sign injection: op 0 sgnj, 1 n, 2 x */
	TRF_MINMAX,   /* op X86_MINS or X86_MAXS */
	TRF_CMP,      /* x[rd] = f[rs1] cmp f[rs2]: op 0 eq, 1 lt, 2 le */
	TRF_CVT,      /* fcvt.s.d (dbl: from double) or fcvt.d.s */
	TRF_TO_INT,   /* x[rd] = f[rs1] as a signed op-bit integer */
	TRF_TO_UINT,  /* the same, unsigned, truncated */
	TRF_FROM_INT, /* f[rd] = x[rs1]: op 32 signed, 33 unsigned, 64, 65 */
	TRF_MV_X,     /* x[rd] = f[rs1]'s op bytes (4: sign-extended) */
	TRF_MV_F,     /* f[rd] = x[rs1]'s op bytes (4: NaN-boxed) */
	TRF_LOAD,     /* f[rd] = op bytes at x[rs1] + imm */
	TRF_STORE,    /* op bytes of f[rs2] to x[rs1] + imm */
};

struct trf_op {
	exec_fn fn;
	uint8_t kind; /* enum trf_kind */
	uint8_t op;
	bool dbl; /* double precision (TRF_CVT: the source's) */
};

#define TRF_BOTH(name, kind, op)                                               \
	{exec_##name##_s, kind, op, false},                                    \
	{                                                                      \
		exec_##name##_d, kind, op, true                                \
	}

static const struct trf_op trf_ops[] = {
    TRF_BOTH(fadd, TRF_ARITH, X86_ADDS),
    TRF_BOTH(fsub, TRF_ARITH, X86_SUBS),
    TRF_BOTH(fmul, TRF_ARITH, X86_MULS),
    TRF_BOTH(fdiv, TRF_ARITH, X86_DIVS),
    TRF_BOTH(fsqrt, TRF_ARITH, X86_SQRTS),
    TRF_BOTH(fmadd, TRF_FMA, X86_FMADD),
    TRF_BOTH(fmsub, TRF_FMA, X86_FMSUB),
    TRF_BOTH(fnmsub, TRF_FMA, X86_FNMADD), /* -(a * b) + c */
    TRF_BOTH(fnmadd, TRF_FMA, X86_FNMSUB), /* -(a * b) - c */
    TRF_BOTH(fsgnj, TRF_SGNJ, 0),
    TRF_BOTH(fsgnjn, TRF_SGNJ, 1),
    TRF_BOTH(fsgnjx, TRF_SGNJ, 2),
    TRF_BOTH(fmin, TRF_MINMAX, X86_MINS),
    TRF_BOTH(fmax, TRF_MINMAX, X86_MAXS),
    TRF_BOTH(feq, TRF_CMP, 0),
    TRF_BOTH(flt, TRF_CMP, 1),
    TRF_BOTH(fle, TRF_CMP, 2),
    TRF_BOTH(fcvt_w, TRF_TO_INT, 32),
    TRF_BOTH(fcvt_l, TRF_TO_INT, 64),
    TRF_BOTH(fcvt_wu, TRF_TO_UINT, 32),
    TRF_BOTH(fcvt_lu, TRF_TO_UINT, 64),
    TRF_BOTH(fcvt_from_w, TRF_FROM_INT, 32),
    TRF_BOTH(fcvt_from_wu, TRF_FROM_INT, 33),
    TRF_BOTH(fcvt_from_l, TRF_FROM_INT, 64),
    TRF_BOTH(fcvt_from_lu, TRF_FROM_INT, 65),
    {exec_fcvt_s_d, TRF_CVT, 0, true},
    {exec_fcvt_d_s, TRF_CVT, 0, false},
    {exec_fmv_x_w, TRF_MV_X, 4, false},
    {exec_fmv_x_d, TRF_MV_X, 8, true},
    {exec_fmv_w_x, TRF_MV_F, 4, false},
    {exec_fmv_d_x, TRF_MV_F, 8, true},
    {exec_flw, TRF_LOAD, 4, false},
    {exec_fld, TRF_LOAD, 8, true},
    {exec_fsw, TRF_STORE, 4, false},
    {exec_fsd, TRF_STORE, 8, true},
};

static const struct trf_op *trf_lookup(const struct insn *in)
{
	for (size_t i = 0; i < sizeof(trf_ops) / sizeof(trf_ops[0]); i++)
		if (trf_ops[i].fn == in->fn)
			return &trf_ops[i];
	return NULL;
}

/* MXCSR's flags (bits 5:0: PE UE OE ZE DE IE) as fflags (NV DZ OF UF NX). */
#define TRF_FLAGS(m)                                                           \
	(((m)&1 ? FPU_NV : 0) | ((m)&4 ? FPU_DZ : 0) | ((m)&8 ? FPU_OF : 0) |  \
	 ((m)&16 ? FPU_UF : 0) | ((m)&32 ? FPU_NX : 0))
#define TRF_FLAGS4(m)                                                          \
	TRF_FLAGS(m), TRF_FLAGS((m) + 1), TRF_FLAGS((m) + 2), TRF_FLAGS((m) + 3)
#define TRF_FLAGS16(m)                                                         \
	TRF_FLAGS4(m), TRF_FLAGS4((m) + 4), TRF_FLAGS4((m) + 8),               \
	    TRF_FLAGS4((m) + 12)
static const uint8_t trf_flags[64] = {TRF_FLAGS16(0), TRF_FLAGS16(16),
				      TRF_FLAGS16(32), TRF_FLAGS16(48)};

void tr_fp_reset(struct x86_buf *b)
{
	x86_store_imm32(b, X86_RSP, -8, TRF_MXCSR);
	x86_ldmxcsr(b, X86_RSP, -8);
}

/*
 * fcsr |= MXCSR's flags as fflags, left in edx, and FS Dirty, unless there
 * are none: then the returned jump is taken, with edx 0 (for the caller
 * to patch, after whatever it does when there are some).
 */
static uint8_t *trf_fold_flags(struct x86_buf *b)
{
	uint8_t *none;

	x86_stmxcsr(b, X86_RSP, -8);
	x86_load(b, X86_RDX, X86_RSP, -8, 4, false);
	x86_alu_ri(b, X86_AND, X86_RDX, 0x3d, false); /* not DE */
	none = x86_jcc_fwd(b, X86_CC_E);
	x86_mov_ri(b, X86_RCX, (uint64_t)(uintptr_t)trf_flags);
	x86_alu_rr(b, X86_ADD, X86_RCX, X86_RDX, true);
	x86_load(b, X86_RDX, X86_RCX, 0, 1, false);
	x86_load(b, X86_RCX, RH, HART_OFF(fcsr), 4, false);
	x86_alu_rr(b, X86_OR, X86_RCX, X86_RDX, false);
	x86_store(b, RH, HART_OFF(fcsr), X86_RCX, 4);
	x86_alu_mi(b, X86_OR, RH, HART_OFF(sstatus), (int32_t)SSTATUS_FS_DIRTY);
	return none;
}

void tr_fp_merge(struct x86_buf *b)
{
	uint8_t *none = trf_fold_flags(b);

	tr_fp_reset(b);
	x86_patch(b, none, b->p);
}

/* A jp to an out-of-line fix-up that puts the canonical NaN in xmm0 and
 * comes back to right after. */
static void trf_fix_nan(struct tr *t, bool dbl)
{
	struct tr_fix *f = &t->fix[t->nfix++];

	f->at = x86_jcc_fwd(t->b, X86_CC_P);
	f->resume = t->b->p;
	f->dbl = dbl;
}

void tr_fp_fixes(struct tr *t)
{
	struct x86_buf *b = t->b;

	for (unsigned i = 0; i < t->nfix; i++) {
		const struct tr_fix *f = &t->fix[i];

		x86_patch(b, f->at, b->p);
		x86_mov_ri(b, X86_RAX, f->dbl ? FPU_NAN_D : FPU_NAN_S);
		x86_movq_to_xmm(b, X86_XMM0, X86_RAX, f->dbl);
		x86_patch(b, x86_jmp_fwd(b), f->resume);
	}
}

/* What the handler would trap on first: FS Off. */
static void trf_fs_check(struct tr *t, unsigned s)
{
	if (t->fs_on)
		return;
	x86_load(t->b, X86_RAX, RH, HART_OFF(sstatus), 4, false);
	x86_alu_ri(t->b, X86_AND, X86_RAX, (int32_t)SSTATUS_FS, false);
	tr_slow_jump(t, s, X86_CC_E);
	t->fs_on = true;
}

/* An f register written: FS Dirty (once until the next handler call). */
static void trf_dirty(struct tr *t)
{
	if (t->fs_dirty)
		return;
	x86_alu_mi(t->b, X86_OR, RH, HART_OFF(sstatus),
		   (int32_t)SSTATUS_FS_DIRTY);
	t->fs_dirty = true;
}

/*
 * A dynamic rounding mode: frm must be RNE (any legal one, 0-4, for an
 * exact operation), else the handler. fcsr's low byte is frm << 5 |
 * fflags.
 */
static void trf_frm_check(struct tr *t, const struct insn *in, unsigned s,
			  bool exact)
{
	if (in->rm != 7)
		return;
	x86_load(t->b, X86_RAX, RH, HART_OFF(fcsr), 1, false);
	x86_alu_ri(t->b, X86_CMP, X86_RAX, exact ? 5 << 5 : 1 << 5, false);
	tr_slow_jump(t, s, X86_CC_AE);
}

/* A single-precision operand must be NaN-boxed, else the handler. */
static void trf_boxed(struct tr *t, unsigned s, unsigned f)
{
	x86_load(t->b, X86_RAX, RH, HART_F(f) + 4, 4, false);
	x86_alu_ri(t->b, X86_CMP, X86_RAX, -1, false);
	tr_slow_jump(t, s, X86_CC_NE);
}

static void trf_boxed2(struct tr *t, unsigned s, const struct insn *in)
{
	trf_boxed(t, s, in->rs1);
	if (in->rs2 != in->rs1)
		trf_boxed(t, s, in->rs2);
}

/* f[rd] = xmm0 (NaN-boxed when single). */
static void trf_result(struct tr *t, bool dbl, unsigned rd)
{
	x86_movs_store(t->b, dbl, RH, HART_F(rd), X86_XMM0);
	if (!dbl)
		x86_store_imm32(t->b, RH, HART_F(rd) + 4, -1);
}

/* f[rd] = rax's low 8 or 4 bytes (NaN-boxed). */
static void trf_result_bits(struct tr *t, bool dbl, unsigned rd)
{
	x86_store(t->b, RH, HART_F(rd), X86_RAX, dbl ? 8 : 4);
	if (!dbl)
		x86_store_imm32(t->b, RH, HART_F(rd) + 4, -1);
}

/* xmm0 a NaN: the canonical one. */
static void trf_canonical(struct tr *t, bool dbl)
{
	x86_comis_rr(t->b, true, dbl, X86_XMM0, X86_XMM0);
	trf_fix_nan(t, dbl);
}

/* Can op with in's static rounding mode be native? */
static bool trf_native(const struct trf_op *op, const struct insn *in)
{
	bool exact;

	switch (op->kind) {
	case TRF_FMA:
		if (!tr_host_features()->fma)
			return false;
		/* fall through */
	case TRF_ARITH:
		return in->rm == 0 || in->rm == 7;
	case TRF_TO_INT:
		return in->rm <= 1 || in->rm == 7; /* RNE, RTZ, dynamic */
	case TRF_TO_UINT:
		return in->rm == 1; /* RTZ: C's casts */
	case TRF_CVT:
	case TRF_FROM_INT:
		exact = op->kind == TRF_CVT ? !op->dbl : op->op < 64 && op->dbl;
		return in->rm == 7 || in->rm == 0 || (exact && in->rm <= 4);
	default:
		return true;
	}
}

static void trf_arith(struct tr *t, const struct trf_op *op,
		      const struct insn *in, unsigned s)
{
	struct x86_buf *b = t->b;

	if (!op->dbl) {
		if (op->op == X86_SQRTS)
			trf_boxed(t, s, in->rs1);
		else
			trf_boxed2(t, s, in);
	}
	if (op->op == X86_SQRTS) {
		x86_sse_rm(b, X86_SQRTS, op->dbl, X86_XMM0, RH,
			   HART_F(in->rs1));
	} else {
		x86_movs_load(b, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
		x86_sse_rm(b, op->op, op->dbl, X86_XMM0, RH, HART_F(in->rs2));
	}
	trf_canonical(t, op->dbl);
	trf_result(t, op->dbl, in->rd);
}

static void trf_fma(struct tr *t, const struct trf_op *op,
		    const struct insn *in, unsigned s)
{
	struct x86_buf *b = t->b;

	if (!op->dbl) {
		trf_boxed2(t, s, in);
		if (in->rs3 != in->rs1 && in->rs3 != in->rs2)
			trf_boxed(t, s, in->rs3);
	}
	x86_movs_load(b, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
	x86_movs_load(b, op->dbl, X86_XMM1, RH, HART_F(in->rs2));
	x86_fma_rm(b, op->op, op->dbl, X86_XMM0, X86_XMM1, RH, HART_F(in->rs3));
	/* NaN: the handler (inf * 0 + qNaN raises NV on RISC-V only). */
	x86_comis_rr(b, true, op->dbl, X86_XMM0, X86_XMM0);
	tr_slow_jump(t, s, X86_CC_P);
	trf_result(t, op->dbl, in->rd);
}

static void trf_sgnj(struct tr *t, const struct trf_op *op,
		     const struct insn *in, unsigned s)
{
	struct x86_buf *b = t->b;
	bool w = op->dbl;
	uint8_t sign = w ? 63 : 31;
	unsigned size = w ? 8 : 4;

	if (!w)
		trf_boxed2(t, s, in);
	x86_load(b, X86_RAX, RH, HART_F(in->rs1), size, false);
	if (in->rs1 == in->rs2) { /* fmv, fneg, fabs */
		if (op->op)
			x86_bt_ri(b, op->op == 1 ? X86_BTC : X86_BTR, X86_RAX,
				  sign, w);
	} else {
		x86_load(b, X86_RCX, RH, HART_F(in->rs2), size, false);
		if (op->op == 1)
			x86_unary(b, X86_NOT, X86_RCX, w);
		x86_shift_ri(b, X86_SHR, X86_RCX, sign, w);
		x86_shift_ri(b, X86_SHL, X86_RCX, sign, w);
		if (op->op != 2)
			x86_bt_ri(b, X86_BTR, X86_RAX, sign, w);
		x86_alu_rr(b, op->op == 2 ? X86_XOR : X86_OR, X86_RAX, X86_RCX,
			   w);
	}
	trf_result_bits(t, w, in->rd);
}

static void trf_minmax(struct tr *t, const struct trf_op *op,
		       const struct insn *in, unsigned s)
{
	struct x86_buf *b = t->b;
	bool w = op->dbl;
	uint8_t *differ, *done;

	if (!w)
		trf_boxed2(t, s, in);
	x86_movs_load(b, w, X86_XMM0, RH, HART_F(in->rs1));
	x86_movs_load(b, w, X86_XMM1, RH, HART_F(in->rs2));
	x86_comis_rr(b, true, w, X86_XMM0, X86_XMM1);
	tr_slow_jump(t, s, X86_CC_P);
	differ = x86_jcc_fwd(b, X86_CC_NE);
	/* Equal: the same bits but for the sign of a zero. */
	x86_load(b, X86_RAX, RH, HART_F(in->rs1), w ? 8 : 4, false);
	x86_alu_rm(b, op->op == X86_MINS ? X86_OR : X86_AND, X86_RAX, RH,
		   HART_F(in->rs2), w);
	trf_result_bits(t, w, in->rd);
	done = x86_jmp_fwd(b);
	x86_patch(b, differ, b->p);
	x86_sse_rr(b, op->op, w, X86_XMM0, X86_XMM1);
	trf_result(t, w, in->rd);
	x86_patch(b, done, b->p);
}

static void trf_cmp(struct tr *t, const struct trf_op *op,
		    const struct insn *in, unsigned s)
{
	struct x86_buf *b = t->b;

	if (!op->dbl)
		trf_boxed2(t, s, in);
	if (op->op == 0) { /* feq: quiet, equal and ordered */
		x86_movs_load(b, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
		x86_comis_rm(b, true, op->dbl, X86_XMM0, RH, HART_F(in->rs2));
		x86_setcc_zx(b, X86_CC_E, X86_RAX);
		x86_setcc_zx(b, X86_CC_NP, X86_RCX);
		x86_alu_rr(b, X86_AND, X86_RAX, X86_RCX, false);
	} else { /* rs2 > rs1, rs2 >= rs1 (unordered sets CF: false) */
		x86_movs_load(b, op->dbl, X86_XMM0, RH, HART_F(in->rs2));
		x86_comis_rm(b, false, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
		x86_setcc_zx(b, op->op == 1 ? X86_CC_A : X86_CC_AE, X86_RAX);
	}
	tr_put(t, in->rd, X86_RAX, false);
}

static void trf_cvt(struct tr *t, const struct trf_op *op,
		    const struct insn *in, unsigned s)
{
	bool to_dbl = !op->dbl;

	if (!op->dbl)
		trf_boxed(t, s, in->rs1);
	x86_sse_rm(t->b, X86_CVTS, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
	trf_canonical(t, to_dbl);
	trf_result(t, to_dbl, in->rd);
}

static void trf_to_int(struct tr *t, const struct trf_op *op,
		       const struct insn *in, unsigned s)
{
	bool w64 = op->op == 64;

	if (!op->dbl)
		trf_boxed(t, s, in->rs1);
	x86_movs_load(t->b, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
	x86_cvt_to_int(t->b, op->dbl, X86_RAX, X86_XMM0, w64, in->rm == 1);
	/* 0x80...0 (out of range, NaN, or the minimum itself): the handler
	 * saturates. rax - 1 overflows for that value alone. */
	x86_alu_ri(t->b, X86_CMP, X86_RAX, 1, w64);
	tr_slow_jump(t, s, X86_CC_O);
	tr_put(t, in->rd, X86_RAX, !w64);
}

/* xmm0 compared with the value v of its format (through xmm1). */
static void trf_compare_const(struct tr *t, bool dbl, double v)
{
	union {
		double d;
		uint64_t u;
	} d = {.d = v};
	union {
		float f;
		uint32_t u;
	} f = {.f = (float)v};

	x86_mov_ri(t->b, X86_RAX, dbl ? d.u : f.u);
	x86_movq_to_xmm(t->b, X86_XMM1, X86_RAX, dbl);
	x86_comis_rr(t->b, true, dbl, X86_XMM0, X86_XMM1);
}

/*
 * Unsigned, truncated: an operand in (-1, 2^32) or [0, 2^63) (the
 * 64-bit conversion's range with a sign) converts exactly as a signed
 * 64-bit one, inexact when it has a fraction; the others (NaNs, out of
 * range, 2^63 and up) go to the handler, after a comparison that raised
 * invalid for a signalling NaN only, as the handler does.
 */
static void trf_to_uint(struct tr *t, const struct trf_op *op,
			const struct insn *in, unsigned s)
{
	if (!op->dbl)
		trf_boxed(t, s, in->rs1);
	x86_movs_load(t->b, op->dbl, X86_XMM0, RH, HART_F(in->rs1));
	trf_compare_const(t, op->dbl, -1.0);
	tr_slow_jump(t, s, X86_CC_BE); /* <= -1 or unordered */
	trf_compare_const(t, op->dbl, op->op == 32 ? 0x1p32 : 0x1p63);
	tr_slow_jump(t, s, X86_CC_AE);
	x86_cvt_to_int(t->b, op->dbl, X86_RAX, X86_XMM0, true, true);
	tr_put(t, in->rd, X86_RAX, op->op == 32);
}

static void trf_from_int(struct tr *t, const struct trf_op *op,
			 const struct insn *in, unsigned s)
{
	enum x86_reg v = tr_src(t, in->rs1, X86_RAX);

	if (op->op == 33) { /* zero-extended, then a 64-bit conversion */
		x86_mov_rr(t->b, X86_RAX, v, false);
		v = X86_RAX;
	} else if (op->op == 65) { /* 2^63 and up: the handler */
		x86_test_rr(t->b, v, v, true);
		tr_slow_jump(t, s, X86_CC_L);
	}
	x86_cvt_from_int(t->b, op->dbl, X86_XMM0, v, op->op != 32);
	trf_result(t, op->dbl, in->rd);
}

/*
 * csrrw/csrrs/csrrc (kind 0, 1, 2) on fflags, frm or fcsr, as csr_op()
 * does them: FS Off is the handler's (its illegal-instruction trap); then
 * the old field read and the new one written (FS Dirty). GCC's quiet FP
 * comparisons are frflags, the compare, fsflags: in the inner loop of
 * anything calling sqrt(). So without ldmxcsr (costly: it waits for the
 * FP code before it) where it can be: the flags MXCSR holds are ORed
 * into fcsr and left there (merging them again changes nothing); a write
 * clears them only when they are not all in the new fflags. Whatever
 * makes FS Clean (a write of sstatus, a trap) clears them first
 * (tr_fp_merge()), so they never mark FS Dirty again.
 */
static bool trf_csr(struct tr *t, const struct insn *in, uint32_t i)
{
	struct x86_buf *b = t->b;
	int kind = in->fn == exec_csrrw ? 0 : in->fn == exec_csrrs ? 1 : 2;
	bool writes = kind == 0 || in->rs1 != 0 || in->imm != 0;
	uint8_t *none;
	unsigned s;

	if (in->csr < CSR_FFLAGS || in->csr > CSR_FCSR)
		return false;
	s = tr_slow_begin(t, i);
	trf_fs_check(t, s);
	/* MXCSR's flags into fcsr, and to [rsp - 8] */
	none = trf_fold_flags(b);
	x86_patch(b, none, b->p);
	x86_store(b, X86_RSP, -8, X86_RDX, 4); /* the flags; 0 when none */
	/* rax = the old field */
	x86_load(b, X86_RAX, RH, HART_OFF(fcsr), 4, false);
	if (in->csr == CSR_FFLAGS)
		x86_alu_ri(b, X86_AND, X86_RAX, 0x1f, false);
	else if (in->csr == CSR_FRM)
		x86_shift_ri(b, X86_SHR, X86_RAX, 5, false);
	if (writes) {
		/* rdx = the new field, rcx = fcsr with it */
		tr_get(t, X86_RDX, in->rs1);
		if (in->imm)
			x86_alu_ri(b, X86_OR, X86_RDX, (int32_t)in->imm, true);
		if (kind == 1) {
			x86_alu_rr(b, X86_OR, X86_RDX, X86_RAX, true);
		} else if (kind == 2) {
			x86_unary(b, X86_NOT, X86_RDX, true);
			x86_alu_rr(b, X86_AND, X86_RDX, X86_RAX, true);
		}
		x86_load(b, X86_RCX, RH, HART_OFF(fcsr), 4, false);
		if (in->csr == CSR_FFLAGS) {
			x86_alu_ri(b, X86_AND, X86_RDX, 0x1f, false);
			x86_alu_ri(b, X86_AND, X86_RCX, ~0x1f, false);
		} else if (in->csr == CSR_FRM) {
			x86_alu_ri(b, X86_AND, X86_RDX, 7, false);
			x86_shift_ri(b, X86_SHL, X86_RDX, 5, false);
			x86_alu_ri(b, X86_AND, X86_RCX, 0x1f, false);
		} else {
			x86_alu_ri(b, X86_AND, X86_RDX, 0xff, false);
			x86_alu_rr(b, X86_XOR, X86_RCX, X86_RCX, false);
		}
		x86_alu_rr(b, X86_OR, X86_RCX, X86_RDX, false);
		x86_store(b, RH, HART_OFF(fcsr), X86_RCX, 4);
		trf_dirty(t);
		/* MXCSR's flags not all in the new fflags: cleared. */
		x86_unary(b, X86_NOT, X86_RCX, false);
		x86_alu_rm(b, X86_AND, X86_RCX, X86_RSP, -8, false);
		x86_alu_ri(b, X86_AND, X86_RCX, 0x1f, false);
		none = x86_jcc_fwd(b, X86_CC_E);
		tr_fp_reset(b);
		x86_patch(b, none, b->p);
	}
	tr_put(t, in->rd, X86_RAX, false);
	tr_slow_end(t, s);
	return true;
}

bool tr_fp(struct tr *t, const struct insn *in, uint32_t i)
{
	const struct trf_op *op = trf_lookup(in);
	struct x86_buf *b = t->b;
	enum x86_reg x;
	unsigned s;
	bool writes_f = true;

	if (in->fn == exec_csrrw || in->fn == exec_csrrs ||
	    in->fn == exec_csrrc)
		return trf_csr(t, in, i);
	if (!op || !trf_native(op, in))
		return false;
	s = tr_slow_begin(t, i);
	trf_fs_check(t, s);
	switch (op->kind) {
	case TRF_ARITH:
	case TRF_FMA:
	case TRF_TO_INT:
		trf_frm_check(t, in, s, false);
		break;
	case TRF_CVT:
		trf_frm_check(t, in, s, !op->dbl);
		break;
	case TRF_FROM_INT:
		trf_frm_check(t, in, s, op->op < 64 && op->dbl);
		break;
	default:
		break;
	}
	switch (op->kind) {
	case TRF_ARITH:
		trf_arith(t, op, in, s);
		break;
	case TRF_FMA:
		trf_fma(t, op, in, s);
		break;
	case TRF_SGNJ:
		trf_sgnj(t, op, in, s);
		break;
	case TRF_MINMAX:
		trf_minmax(t, op, in, s);
		break;
	case TRF_CMP:
		trf_cmp(t, op, in, s);
		writes_f = false;
		break;
	case TRF_CVT:
		trf_cvt(t, op, in, s);
		break;
	case TRF_TO_INT:
		trf_to_int(t, op, in, s);
		writes_f = false;
		break;
	case TRF_TO_UINT:
		trf_to_uint(t, op, in, s);
		writes_f = false;
		break;
	case TRF_FROM_INT:
		trf_from_int(t, op, in, s);
		break;
	case TRF_MV_X:
		x86_load(b, X86_RAX, RH, HART_F(in->rs1), op->op, true);
		tr_put(t, in->rd, X86_RAX, false);
		writes_f = false;
		break;
	case TRF_MV_F:
		tr_get(t, X86_RAX, in->rs1);
		trf_result_bits(t, op->dbl, in->rd);
		break;
	case TRF_LOAD:
		x = tr_mem_address(t, in, op->op, false, s);
		x86_load_index(b, X86_RAX, X86_RAX, x, 0, op->op, false);
		trf_result_bits(t, op->dbl, in->rd);
		break;
	default: /* TRF_STORE */
		x = tr_mem_address(t, in, op->op, true, s);
		x86_load(b, X86_RDX, RH, HART_F(in->rs2), op->op, false);
		x86_store_index(b, X86_RAX, x, 0, X86_RDX, op->op);
		writes_f = false;
		break;
	}
	if (writes_f)
		trf_dirty(t);
	tr_slow_end(t, s);
	return true;
}
