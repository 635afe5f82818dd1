/* SPDX-License-Identifier: MIT */
/*
 * F and D instructions: FP loads and stores, arithmetic through the
 * soft-float (cpu/fpu.h), moves, conversions and comparisons, written from
 * the RISC-V unprivileged specification (chapters "F" and "D").
 *
 * A single-precision operand is read NaN-boxed: a register whose upper 32
 * bits are not all ones reads as the canonical NaN, except for the moves
 * (fsw, fmv.x.w), which take the low 32 bits as they are.
 */
#include "cpu/exec_fp.h"

#include "cpu/fpu.h"
#include "cpu/mmu.h"
#include "cpu/trap.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

static inline bool fp_on(const struct hart *h)
{
	return (h->sstatus & SSTATUS_FS) != 0;
}

/* The rounding mode in effect, or -1 when the instruction is illegal (FS
 * Off, or a dynamic rm with frm 5-7; static 5 and 6 never decode). */
static inline int fp_rm(const struct hart *h, const struct insn *in)
{
	unsigned rm = in->rm == 7 ? (h->fcsr >> 5) & 7 : in->rm;

	return fp_on(h) && rm <= FPU_RMM ? (int)rm : -1;
}

static inline uint64_t f_get(const struct hart *h, unsigned r, enum fpu_fmt fmt)
{
	return fmt == FPU_S ? fpu_unbox_s(h->f[r]) : h->f[r];
}

static inline void f_set(struct hart *h, unsigned r, enum fpu_fmt fmt,
			 uint64_t v)
{
	h->f[r] = fmt == FPU_S ? fpu_box_s((uint32_t)v) : v;
	h->sstatus |= SSTATUS_FS_DIRTY;
}

static inline void raise_flags(struct hart *h, unsigned flags)
{
	if (flags) {
		h->fcsr |= flags;
		h->sstatus |= SSTATUS_FS_DIRTY;
	}
}

/* ---- loads and stores ---- */

OP(flw)
{
	uint64_t v;
	int r;

	if (!fp_on(h))
		return exec_illegal(h, in);
	r = mmu_load(h, in, X(rs1) + (uint64_t)in->imm, 4, &v);
	if (r)
		return r;
	f_set(h, in->rd, FPU_S, v);
	return 0;
}

OP(fld)
{
	uint64_t v;
	int r;

	if (!fp_on(h))
		return exec_illegal(h, in);
	r = mmu_load(h, in, X(rs1) + (uint64_t)in->imm, 8, &v);
	if (r)
		return r;
	f_set(h, in->rd, FPU_D, v);
	return 0;
}

OP(fsw)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	return mmu_store(h, in, X(rs1) + (uint64_t)in->imm, 4, h->f[in->rs2]);
}

OP(fsd)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	return mmu_store(h, in, X(rs1) + (uint64_t)in->imm, 8, h->f[in->rs2]);
}

/* ---- both formats: one macro per shape, instantiated for S and D ---- */

#define FMT_s FPU_S
#define FMT_d FPU_D

/* f[rd] = op(f[rs1], f[rs2]), rounded. */
#define ROUNDED2(name, fn, sfx)                                                \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		int rm = fp_rm(h, in);                                         \
		if (rm < 0)                                                    \
			return exec_illegal(h, in);                            \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fn(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),              \
			 f_get(h, in->rs2, FMT_##sfx), (unsigned)rm, &flags)); \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

/* f[rd] = op(f[rs1], f[rs2], f[rs3]), rounded once. */
#define ROUNDED3(name, fn, sfx)                                                \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		int rm = fp_rm(h, in);                                         \
		if (rm < 0)                                                    \
			return exec_illegal(h, in);                            \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fn(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),              \
			 f_get(h, in->rs2, FMT_##sfx),                         \
			 f_get(h, in->rs3, FMT_##sfx), (unsigned)rm, &flags)); \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

#define SQRT(sfx)                                                              \
	OP(fsqrt_##sfx)                                                        \
	{                                                                      \
		unsigned flags = 0;                                            \
		int rm = fp_rm(h, in);                                         \
		if (rm < 0)                                                    \
			return exec_illegal(h, in);                            \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fpu_sqrt(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),        \
			       (unsigned)rm, &flags));                         \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

/* Sign injection: no rounding, no flags. */
#define SGNJ(name, fn, sfx)                                                    \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		if (!fp_on(h))                                                 \
			return exec_illegal(h, in);                            \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fn(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),              \
			 f_get(h, in->rs2, FMT_##sfx)));                       \
		return 0;                                                      \
	}

#define MINMAX(name, fn, sfx)                                                  \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		if (!fp_on(h))                                                 \
			return exec_illegal(h, in);                            \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fn(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),              \
			 f_get(h, in->rs2, FMT_##sfx), &flags));               \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

/* x[rd] = f[rs1] compared with f[rs2]. */
#define COMPARE(name, fn, sfx)                                                 \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		if (!fp_on(h))                                                 \
			return exec_illegal(h, in);                            \
		X(rd) = fn(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),            \
			   f_get(h, in->rs2, FMT_##sfx), &flags);              \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

#define CLASS(sfx)                                                             \
	OP(fclass_##sfx)                                                       \
	{                                                                      \
		if (!fp_on(h))                                                 \
			return exec_illegal(h, in);                            \
		X(rd) = fpu_class(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx));    \
		return 0;                                                      \
	}

/* x[rd] = f[rs1] rounded to an integer. */
#define TO_INT(name, bits, is_signed, sfx)                                     \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		int rm = fp_rm(h, in);                                         \
		if (rm < 0)                                                    \
			return exec_illegal(h, in);                            \
		X(rd) = fpu_to_int(FMT_##sfx, f_get(h, in->rs1, FMT_##sfx),    \
				   bits, is_signed, (unsigned)rm, &flags);     \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

/* f[rd] = x[rs1] (its low 32 bits, sign- or zero-extended, for the w
 * forms) rounded. */
#define FROM_INT(name, bits, is_signed, sfx)                                   \
	OP(name##_##sfx)                                                       \
	{                                                                      \
		unsigned flags = 0;                                            \
		uint64_t v = X(rs1);                                           \
		int rm = fp_rm(h, in);                                         \
		if (rm < 0)                                                    \
			return exec_illegal(h, in);                            \
		if (bits == 32)                                                \
			v = is_signed ? (uint64_t)(int64_t)(int32_t)v          \
				      : (uint32_t)v;                           \
		f_set(h, in->rd, FMT_##sfx,                                    \
		      fpu_from_int(FMT_##sfx, v, is_signed, (unsigned)rm,      \
				   &flags));                                   \
		raise_flags(h, flags);                                         \
		return 0;                                                      \
	}

#define BOTH_FORMATS(sfx)                                                      \
	ROUNDED2(fadd, fpu_add, sfx)                                           \
	ROUNDED2(fsub, fpu_sub, sfx)                                           \
	ROUNDED2(fmul, fpu_mul, sfx)                                           \
	ROUNDED2(fdiv, fpu_div, sfx)                                           \
	SQRT(sfx)                                                              \
	ROUNDED3(fmadd, fpu_fmadd, sfx)                                        \
	ROUNDED3(fmsub, fpu_fmsub, sfx)                                        \
	ROUNDED3(fnmsub, fpu_fnmsub, sfx)                                      \
	ROUNDED3(fnmadd, fpu_fnmadd, sfx)                                      \
	SGNJ(fsgnj, fpu_sgnj, sfx)                                             \
	SGNJ(fsgnjn, fpu_sgnjn, sfx)                                           \
	SGNJ(fsgnjx, fpu_sgnjx, sfx)                                           \
	MINMAX(fmin, fpu_min, sfx)                                             \
	MINMAX(fmax, fpu_max, sfx)                                             \
	COMPARE(feq, fpu_eq, sfx)                                              \
	COMPARE(flt, fpu_lt, sfx)                                              \
	COMPARE(fle, fpu_le, sfx)                                              \
	CLASS(sfx)                                                             \
	TO_INT(fcvt_w, 32, true, sfx)                                          \
	TO_INT(fcvt_wu, 32, false, sfx)                                        \
	TO_INT(fcvt_l, 64, true, sfx)                                          \
	TO_INT(fcvt_lu, 64, false, sfx)                                        \
	FROM_INT(fcvt_from_w, 32, true, sfx)                                   \
	FROM_INT(fcvt_from_wu, 32, false, sfx)                                 \
	FROM_INT(fcvt_from_l, 64, true, sfx)                                   \
	FROM_INT(fcvt_from_lu, 64, false, sfx)

BOTH_FORMATS(s)
BOTH_FORMATS(d)

/* ---- between the formats, and moves ---- */

OP(fcvt_s_d)
{
	unsigned flags = 0;
	int rm = fp_rm(h, in);

	if (rm < 0)
		return exec_illegal(h, in);
	f_set(h, in->rd, FPU_S,
	      fpu_cvt(FPU_S, FPU_D, h->f[in->rs1], (unsigned)rm, &flags));
	raise_flags(h, flags);
	return 0;
}

OP(fcvt_d_s)
{
	unsigned flags = 0;
	int rm = fp_rm(h, in);

	if (rm < 0)
		return exec_illegal(h, in);
	f_set(h, in->rd, FPU_D,
	      fpu_cvt(FPU_D, FPU_S, f_get(h, in->rs1, FPU_S), (unsigned)rm,
		      &flags));
	raise_flags(h, flags);
	return 0;
}

/* The moves copy bits: fmv.x.w takes the low 32 bits, boxed or not, and
 * sign-extends them; fmv.w.x NaN-boxes. */
OP(fmv_x_w)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	X(rd) = (uint64_t)(int64_t)(int32_t)h->f[in->rs1];
	return 0;
}

OP(fmv_w_x)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	f_set(h, in->rd, FPU_S, X(rs1));
	return 0;
}

OP(fmv_x_d)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	X(rd) = h->f[in->rs1];
	return 0;
}

OP(fmv_d_x)
{
	if (!fp_on(h))
		return exec_illegal(h, in);
	f_set(h, in->rd, FPU_D, X(rs1));
	return 0;
}
