/* SPDX-License-Identifier: MIT */
/*
 * memvisor's soft-float: IEEE 754-2008 binary32 and binary64 arithmetic as
 * the RISC-V F and D extensions define it, bit for bit (results, flags,
 * canonical NaNs, RMM, tininess after rounding, saturating conversions).
 *
 * Pure functions, no hart state. A value is passed as its format's bit
 * pattern in the low bits of a uint64_t (binary32: bits 31:0, the upper
 * bits are ignored; NaN-boxing is the caller's business, see
 * fpu_unbox_s()). Results come back the same way, binary32 zero-extended.
 * Every operation ORs the IEEE exception flags it raises (FPU_NV ...) into
 * *flags and never clears any. rm is a static rounding mode, FPU_RNE to
 * FPU_RMM; other values are the caller's error (they round as RNE).
 */
#ifndef MEMVISOR_CPU_FPU_H
#define MEMVISOR_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

enum fpu_fmt {
	FPU_S = 0, /* binary32: 8-bit exponent, 23-bit fraction */
	FPU_D = 1, /* binary64: 11-bit exponent, 52-bit fraction */
};

/* Rounding modes, numbered as in frm and the instructions' rm field. */
enum fpu_rm {
	FPU_RNE = 0, /* to nearest, ties to even */
	FPU_RTZ = 1, /* toward zero */
	FPU_RDN = 2, /* down, toward -inf */
	FPU_RUP = 3, /* up, toward +inf */
	FPU_RMM = 4, /* to nearest, ties to max magnitude */
};

/* Exception flags, as in fflags. */
#define FPU_NV 0x10u /* invalid operation */
#define FPU_DZ 0x08u /* divide by zero */
#define FPU_OF 0x04u /* overflow */
#define FPU_UF 0x02u /* underflow (tiny after rounding and inexact) */
#define FPU_NX 0x01u /* inexact */

/* The canonical NaNs, every NaN result of an operation. */
#define FPU_NAN_S 0x7fc00000ull
#define FPU_NAN_D 0x7ff8000000000000ull

/* A binary32 value NaN-boxed in a 64-bit register (upper bits all ones). */
static inline uint64_t fpu_box_s(uint32_t v)
{
	return 0xffffffff00000000ull | v;
}

/* The binary32 value a 64-bit register holds: its low 32 bits when it is
 * properly NaN-boxed, else the canonical NaN. */
static inline uint32_t fpu_unbox_s(uint64_t reg)
{
	return (reg >> 32) == 0xffffffffu ? (uint32_t)reg : (uint32_t)FPU_NAN_S;
}

/* a + b, a - b, a * b, a / b, sqrt(a), correctly rounded with rm. */
uint64_t fpu_add(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags);
uint64_t fpu_sub(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags);
uint64_t fpu_mul(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags);
uint64_t fpu_div(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags);
uint64_t fpu_sqrt(enum fpu_fmt fmt, uint64_t a, unsigned rm, unsigned *flags);

/*
 * The fused multiply-adds, rounded once: fmadd a*b + c, fmsub a*b - c,
 * fnmsub -(a*b) + c, fnmadd -(a*b) - c. inf * 0 raises NV whatever c is,
 * a quiet NaN included.
 */
uint64_t fpu_fmadd(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, unsigned *flags);
uint64_t fpu_fmsub(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, unsigned *flags);
uint64_t fpu_fnmsub(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		    unsigned rm, unsigned *flags);
uint64_t fpu_fnmadd(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		    unsigned rm, unsigned *flags);

/*
 * fmin/fmax (IEEE 754-2019 minimumNumber/maximumNumber): -0 < +0; one NaN
 * operand gives the other operand, two give the canonical NaN; a
 * signalling NaN raises NV.
 */
uint64_t fpu_min(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags);
uint64_t fpu_max(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags);

/*
 * Comparisons, 1 or 0; any NaN compares false. feq raises NV for a
 * signalling NaN only (quiet comparison), flt and fle for any NaN.
 */
bool fpu_eq(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags);
bool fpu_lt(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags);
bool fpu_le(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags);

/* fclass: one bit of ten (bit 0 -inf ... bit 7 +inf, 8 sNaN, 9 qNaN). */
unsigned fpu_class(enum fpu_fmt fmt, uint64_t a);

/* Sign injection: a's magnitude with b's sign, its negation, or the
 * exclusive or of both signs. No flags, NaNs pass unchanged. */
uint64_t fpu_sgnj(enum fpu_fmt fmt, uint64_t a, uint64_t b);
uint64_t fpu_sgnjn(enum fpu_fmt fmt, uint64_t a, uint64_t b);
uint64_t fpu_sgnjx(enum fpu_fmt fmt, uint64_t a, uint64_t b);

/* a converted from format from to format to (fcvt.s.d, fcvt.d.s). */
uint64_t fpu_cvt(enum fpu_fmt to, enum fpu_fmt from, uint64_t a, unsigned rm,
		 unsigned *flags);

/*
 * a rounded with rm to a bits-wide (32 or 64) integer, signed or not
 * (fcvt.w/wu/l/lu). Out of range saturates with NV only: NaN and +inf and
 * too large give the maximum, -inf and too small the minimum (0 unsigned);
 * in range and inexact raises NX. A 32-bit result comes sign-extended to
 * 64 bits, as RV64 writes it to rd (fcvt.wu too).
 */
uint64_t fpu_to_int(enum fpu_fmt fmt, uint64_t a, unsigned bits, bool is_signed,
		    unsigned rm, unsigned *flags);

/*
 * The integer v (two's complement when is_signed) rounded with rm to fmt
 * (fcvt.s/d.w/wu/l/lu: the caller passes a 32-bit source sign- or
 * zero-extended).
 */
uint64_t fpu_from_int(enum fpu_fmt fmt, uint64_t v, bool is_signed, unsigned rm,
		      unsigned *flags);

#endif
