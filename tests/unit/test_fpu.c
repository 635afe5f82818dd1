/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/fpu, the soft-float.
 *
 * 1. Against the host: x86-64's SSE unit and libm's fma()/fmaf() (which
 *    use the FMA instructions, or glibc's exact emulation) are IEEE 754
 *    machines with tininess detected after rounding, as RISC-V has it. For
 *    add, sub, mul, div, sqrt, fma and the s<->d conversions, in RNE, RTZ,
 *    RDN and RUP, on every pair of edge values and millions of random
 *    operands aimed at cancellation, underflow and overflow, results must
 *    be equal bit for bit (a host NaN standing for our canonical NaN) and
 *    the flags equal. This file is compiled with -ffp-contract=off
 *    -fno-fast-math -frounding-math -fsignaling-nans -mno-fma (Makefile),
 *    so each C operation is one SSE instruction in the mode set at run
 *    time. Integer conversions, which the host does not saturate, are
 *    checked against the host's rint() for the in-range value.
 * 2. RMM, which x86 lacks, and the RISC-V operations (min/max, compares,
 *    fclass, sign injection, saturating conversions, NaN rules of the fused
 *    multiply-add): expected values derived by hand from the RISC-V
 *    unprivileged specification, chapters "F" and "D".
 */
#include <fenv.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/fpu.h"

/* ---- the host reference ---- */

static const int host_modes[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD,
				  FE_UPWARD};

enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA, OP_CVT, OPS };
static const char *const op_names[OPS] = {"add",  "sub", "mul", "div",
					  "sqrt", "fma", "cvt"};

static float f32(uint64_t bits)
{
	uint32_t b = (uint32_t)bits;
	float f;

	memcpy(&f, &b, 4);
	return f;
}

static double f64(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, 8);
	return d;
}

static uint64_t bits32(float f)
{
	uint32_t b;

	memcpy(&b, &f, 4);
	return b;
}

static uint64_t bits64(double d)
{
	uint64_t b;

	memcpy(&b, &d, 8);
	return b;
}

static unsigned host_flags(void)
{
	int e = fetestexcept(FE_ALL_EXCEPT);

	return (e & FE_INVALID ? FPU_NV : 0) | (e & FE_DIVBYZERO ? FPU_DZ : 0) |
	       (e & FE_OVERFLOW ? FPU_OF : 0) |
	       (e & FE_UNDERFLOW ? FPU_UF : 0) | (e & FE_INEXACT ? FPU_NX : 0);
}

/* op on the host in rounding mode rm (0..3). For OP_CVT, a converts from
 * the other format to fmt. */
static uint64_t host_op(enum op op, enum fpu_fmt fmt, uint64_t a, uint64_t b,
			uint64_t c, unsigned rm, unsigned *flags)
{
	uint64_t r;

	fesetround(host_modes[rm]);
	feclearexcept(FE_ALL_EXCEPT);
	if (fmt == FPU_S) {
		volatile float x = f32(a), y = f32(b), z = f32(c), v = 0;
		volatile double dx = f64(a);

		switch (op) {
		case OP_ADD:
			v = x + y;
			break;
		case OP_SUB:
			v = x - y;
			break;
		case OP_MUL:
			v = x * y;
			break;
		case OP_DIV:
			v = x / y;
			break;
		case OP_SQRT:
			v = sqrtf(x);
			break;
		case OP_FMA:
			v = fmaf(x, y, z);
			break;
		default:
			v = (float)dx;
			break;
		}
		*flags = host_flags();
		r = isnan(v) ? FPU_NAN_S : bits32(v);
	} else {
		volatile double x = f64(a), y = f64(b), z = f64(c), v = 0;
		volatile float sx = f32(a);

		switch (op) {
		case OP_ADD:
			v = x + y;
			break;
		case OP_SUB:
			v = x - y;
			break;
		case OP_MUL:
			v = x * y;
			break;
		case OP_DIV:
			v = x / y;
			break;
		case OP_SQRT:
			v = sqrt(x);
			break;
		case OP_FMA:
			v = fma(x, y, z);
			break;
		default:
			v = (double)sx;
			break;
		}
		*flags = host_flags();
		r = isnan(v) ? FPU_NAN_D : bits64(v);
	}
	fesetround(FE_TONEAREST);
	return r;
}

static uint64_t soft_op(enum op op, enum fpu_fmt fmt, uint64_t a, uint64_t b,
			uint64_t c, unsigned rm, unsigned *flags)
{
	*flags = 0;
	switch (op) {
	case OP_ADD:
		return fpu_add(fmt, a, b, rm, flags);
	case OP_SUB:
		return fpu_sub(fmt, a, b, rm, flags);
	case OP_MUL:
		return fpu_mul(fmt, a, b, rm, flags);
	case OP_DIV:
		return fpu_div(fmt, a, b, rm, flags);
	case OP_SQRT:
		return fpu_sqrt(fmt, a, rm, flags);
	case OP_FMA:
		return fpu_fmadd(fmt, a, b, c, rm, flags);
	default:
		return fpu_cvt(fmt, fmt == FPU_S ? FPU_D : FPU_S, a, rm, flags);
	}
}

static unsigned long long checked, mismatches;

static bool is_qnan(enum fpu_fmt fmt, uint64_t v)
{
	return fmt == FPU_S ? (v & 0x7fc00000) == 0x7fc00000
			    : (v & 0x7ff8000000000000) == 0x7ff8000000000000;
}

static bool is_inf(enum fpu_fmt fmt, uint64_t v)
{
	return fmt == FPU_S ? (v & 0x7fffffff) == 0x7f800000
			    : (v & ~(1ull << 63)) == 0x7ff0000000000000;
}

static bool is_zero(enum fpu_fmt fmt, uint64_t v)
{
	return fmt == FPU_S ? (v & 0x7fffffff) == 0 : (v & ~(1ull << 63)) == 0;
}

/* Compare one case; report the first few mismatches in full. */
static void check_case(enum op op, enum fpu_fmt fmt, uint64_t a, uint64_t b,
		       uint64_t c, unsigned rm)
{
	unsigned hf, sf;
	uint64_t h = host_op(op, fmt, a, b, c, rm, &hf);
	uint64_t s = soft_op(op, fmt, a, b, c, rm, &sf);

	/* IEEE leaves NV for inf * 0 + qNaN to the implementation; RISC-V
	 * raises it (checked by hand below), x86 does not. */
	if (op == OP_FMA && is_qnan(fmt, c) &&
	    ((is_inf(fmt, a) && is_zero(fmt, b)) ||
	     (is_zero(fmt, a) && is_inf(fmt, b))))
		hf |= FPU_NV;
	checked++;
	if (h == s && hf == sf)
		return;
	if (++mismatches <= 10)
		print_message("%s.%c rm %u a %#llx b %#llx c %#llx: "
			      "host %#llx flags %#x, fpu %#llx flags %#x\n",
			      op_names[op], fmt == FPU_S ? 's' : 'd', rm,
			      (unsigned long long)a, (unsigned long long)b,
			      (unsigned long long)c, (unsigned long long)h, hf,
			      (unsigned long long)s, sf);
}

/* ---- operands ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static const uint64_t edges_s[] = {
    0x00000000,					    /* +0 */
    0x00000001,					    /* smallest subnormal */
    0x00000002, 0x00000003, 0x007fffff,		    /* largest subnormal */
    0x00400000, 0x00800000,			    /* smallest normal */
    0x00800001, 0x00ffffff, 0x01000000, 0x3f800000, /* 1.0 */
    0x3f800001,					    /* 1.0 + ulp */
    0x3f7fffff,					    /* 1.0 - ulp */
    0x3f000000,					    /* 0.5 */
    0x3fc00000,					    /* 1.5 */
    0x40000000,					    /* 2.0 */
    0x40400000,					    /* 3.0 */
    0x33800000,				/* 2^-24: half an ulp of 1 */
    0x34000000,				/* 2^-23 */
    0x4b800000,				/* 2^24 */
    0x4f000000,				/* 2^31 */
    0x4effffff,				/* below 2^31 */
    0x4f800000,				/* 2^32 */
    0x5f000000,				/* 2^63 */
    0x5f800000,				/* 2^64 */
    0x7f000000, 0x7f7ffffe, 0x7f7fffff, /* max finite */
    0x7f800000,				/* inf */
    0x7fc00000,				/* canonical qNaN */
    0x7fc00001,				/* qNaN with payload */
    0x7f800001,				/* sNaN */
    0x7fbfffff,				/* sNaN */
    0x1f800000,				/* 2^-64: squares underflow */
    0x20000000, 0x5f7fffff,
};

static const uint64_t edges_d[] = {
    0x0000000000000000, 0x0000000000000001, /* smallest subnormal */
    0x0000000000000002, 0x000fffffffffffff, /* largest subnormal */
    0x0008000000000000, 0x0010000000000000, /* smallest normal */
    0x0010000000000001, 0x001fffffffffffff, 0x3ff0000000000000, /* 1.0 */
    0x3ff0000000000001,						/* 1.0 + ulp */
    0x3fefffffffffffff,						/* 1.0 - ulp */
    0x3fe0000000000000,						/* 0.5 */
    0x3ff8000000000000,						/* 1.5 */
    0x4000000000000000,						/* 2.0 */
    0x4008000000000000,						/* 3.0 */
    0x3ca0000000000000,						/* 2^-53 */
    0x3cb0000000000000,						/* 2^-52 */
    0x41e0000000000000,						/* 2^31 */
    0x41dfffffffc00000,						/* 2^31 - 1 */
    0x41efffffffe00000,						/* 2^32 - 1 */
    0x43e0000000000000,						/* 2^63 */
    0x43dfffffffffffff,						/* below 2^63 */
    0x43f0000000000000,						/* 2^64 */
    0x7fe0000000000000, 0x7fefffffffffffff,			/* max finite */
    0x7ff0000000000000,						/* inf */
    0x7ff8000000000000, /* canonical qNaN */
    0x7ff8000000000001, /* qNaN with payload */
    0x7ff0000000000001, /* sNaN */
    0x7ff7ffffffffffff, /* sNaN */
    0x1ff0000000000000, /* 2^-512 */
    0x36a0000000000000, /* 2^-149: f32's smallest subnormal */
    0x380fffffe0000000, /* below f32's smallest normal */
    0x47efffffe0000000, /* f32's max */
    0x47efffffffffffff,
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static unsigned fbits(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? 23 : 52;
}

static uint64_t emax(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? 0xff : 0x7ff;
}

static uint64_t sign_bit(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? 1ull << 31 : 1ull << 63;
}

static uint64_t edge(enum fpu_fmt fmt)
{
	uint64_t v = fmt == FPU_S ? edges_s[rnd() % NELEM(edges_s)]
				  : edges_d[rnd() % NELEM(edges_d)];

	return rnd() & 1 ? v | sign_bit(fmt) : v;
}

/* A value with biased exponent e (clamped to the finite range) and a
 * random fraction and sign. */
static uint64_t with_exp(enum fpu_fmt fmt, long e)
{
	uint64_t frac = rnd() & ((1ull << fbits(fmt)) - 1);

	if (e < 0)
		e = 0;
	if (e > (long)emax(fmt) - 1)
		e = (long)emax(fmt) - 1;
	/* Short fractions now and then: exact results and ties. */
	if (rnd() % 4 == 0)
		frac &= ~0ull << (fbits(fmt) - rnd() % (fbits(fmt) + 1));
	return (rnd() & 1 ? sign_bit(fmt) : 0) | (uint64_t)e << fbits(fmt) |
	       frac;
}

static long exp_of(enum fpu_fmt fmt, uint64_t v)
{
	return (long)((v >> fbits(fmt)) & emax(fmt));
}

static long bias(enum fpu_fmt fmt)
{
	return fmt == FPU_S ? 127 : 1023;
}

static uint64_t any(enum fpu_fmt fmt)
{
	switch (rnd() % 8) {
	case 0:
	case 1:
		return edge(fmt);
	case 2: /* near an edge, a few ulps away */
		return (edge(fmt) + rnd() % 5 - 2) &
		       (fmt == FPU_S ? 0xffffffffull : ~0ull);
	case 3:
		return rnd() & (fmt == FPU_S ? 0xffffffffull : ~0ull);
	case 4: /* subnormal */
		return with_exp(fmt, 0);
	case 5: /* around 1 */
		return with_exp(fmt, bias(fmt) - 3 + (long)(rnd() % 7));
	default:
		return with_exp(fmt, (long)(rnd() % emax(fmt)));
	}
}

/* b for a, aimed at the interesting results of op. */
static uint64_t partner(enum op op, enum fpu_fmt fmt, uint64_t a)
{
	long ea = exp_of(fmt, a), b = bias(fmt), fb = (long)fbits(fmt);
	long target; /* biased exponent of the result to aim at */

	if (rnd() % 4 == 0)
		return any(fmt);
	switch (rnd() % 3) {
	case 0: /* the underflow range */
		target = 1 - (long)(rnd() % (unsigned long)(fb + 4));
		break;
	case 1: /* the overflow range */
		target = (long)emax(fmt) - 2 + (long)(rnd() % 3);
		break;
	default: /* near a's exponent */
		target = ea - 3 + (long)(rnd() % 7);
		break;
	}
	switch (op) {
	case OP_MUL:
	case OP_FMA:
		return with_exp(fmt, target - ea + b);
	case OP_DIV:
		return with_exp(fmt, ea - target + b);
	default: /* add, sub: cancellation near a */
		if (rnd() % 2)
			return with_exp(fmt, ea - 2 + (long)(rnd() % 5));
		return a ^ (rnd() % 4) ^ (rnd() & 1 ? sign_bit(fmt) : 0);
	}
}

/* The addend of a fused multiply-add: anything, or near -(a * b). */
static uint64_t addend(enum fpu_fmt fmt, uint64_t a, uint64_t b)
{
	uint64_t p;
	unsigned f;

	if (rnd() % 3 == 0)
		return any(fmt);
	p = fpu_mul(fmt, a, b, FPU_RNE, &f) ^ sign_bit(fmt);
	switch (rnd() % 3) {
	case 0: /* cancellation */
		return p + rnd() % 5 - 2;
	case 1: /* below or above the product's last place */
		return with_exp(fmt, exp_of(fmt, p) - (long)(rnd() % 64) +
					 (long)(rnd() % 3));
	default:
		return p ^ sign_bit(fmt);
	}
}

/* ---- 1. against the host ---- */

static void run_edges(enum op op, enum fpu_fmt fmt)
{
	const uint64_t *e = fmt == FPU_S ? edges_s : edges_d;
	size_t n = fmt == FPU_S ? NELEM(edges_s) : NELEM(edges_d);

	for (unsigned rm = 0; rm < 4; rm++)
		for (size_t i = 0; i < 2 * n; i++)
			for (size_t j = 0; j < 2 * n; j++) {
				uint64_t a =
				    e[i / 2] | (i & 1 ? sign_bit(fmt) : 0);
				uint64_t b =
				    e[j / 2] | (j & 1 ? sign_bit(fmt) : 0);

				if (op == OP_SQRT && j)
					break;
				if (op != OP_FMA) {
					check_case(op, fmt, a, b, 0, rm);
					continue;
				}
				for (size_t k = 0; k < 2 * n; k += 3)
					check_case(
					    op, fmt, a, b,
					    e[k / 2] |
						(k & 1 ? sign_bit(fmt) : 0),
					    rm);
			}
}

static void run_random(enum op op, enum fpu_fmt fmt, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		uint64_t a = any(fmt), b = partner(op, fmt, a), c = 0;

		if (op == OP_FMA)
			c = addend(fmt, a, b);
		if (op == OP_SQRT && rnd() % 2)
			a &= ~sign_bit(fmt);
		check_case(op, fmt, a, b, c, (unsigned)(i & 3));
	}
}

/* n random cases per format and operation (the four modes in turn). */
#define RANDOM_CASES 400000ul

static void check_host(enum op op)
{
	checked = mismatches = 0;
	run_edges(op, FPU_S);
	run_edges(op, FPU_D);
	run_random(op, FPU_S, RANDOM_CASES);
	run_random(op, FPU_D, RANDOM_CASES);
	print_message("%s: %llu cases, %llu mismatches\n", op_names[op],
		      checked, mismatches);
	assert_int_equal(mismatches, 0);
}

static void test_host_add(void **state)
{
	(void)state;
	check_host(OP_ADD);
}

static void test_host_sub(void **state)
{
	(void)state;
	check_host(OP_SUB);
}

static void test_host_mul(void **state)
{
	(void)state;
	check_host(OP_MUL);
}

static void test_host_div(void **state)
{
	(void)state;
	check_host(OP_DIV);
}

static void test_host_sqrt(void **state)
{
	(void)state;
	check_host(OP_SQRT);
}

static void test_host_fma(void **state)
{
	volatile double a = 0x1.0000000000001p0, c = -0x1.0000000000002p0;

	(void)state;
	/* The reference must be fused: (1 + 2^-52)^2 - (1 + 2^-51) is 2^-104
	 * exactly, 0 when rounded twice. */
	assert_true(fma(a, a, c) == 0x1p-104);
	check_host(OP_FMA);
}

/* fcvt.s.d and fcvt.d.s; the operand comes from the other format's
 * generators. */
static void test_host_cvt(void **state)
{
	(void)state;
	checked = mismatches = 0;
	for (unsigned rm = 0; rm < 4; rm++) {
		for (size_t i = 0; i < NELEM(edges_d); i++) {
			check_case(OP_CVT, FPU_S, edges_d[i], 0, 0, rm);
			check_case(OP_CVT, FPU_S, edges_d[i] | 1ull << 63, 0, 0,
				   rm);
		}
		for (size_t i = 0; i < NELEM(edges_s); i++)
			check_case(OP_CVT, FPU_D, edges_s[i], 0, 0, rm);
	}
	for (unsigned long i = 0; i < RANDOM_CASES; i++) {
		/* Doubles in and around f32's range. */
		uint64_t d =
		    rnd() % 2
			? any(FPU_D)
			: with_exp(FPU_D, 1023 - 160 + (long)(rnd() % 300));

		check_case(OP_CVT, FPU_S, d, 0, 0, (unsigned)(i & 3));
		check_case(OP_CVT, FPU_D, any(FPU_S), 0, 0, (unsigned)(i & 3));
	}
	print_message("cvt: %llu cases, %llu mismatches\n", checked,
		      mismatches);
	assert_int_equal(mismatches, 0);
}

/*
 * Integer conversions: the host's rint() in the same mode gives the
 * rounded value (NX when it differs from the operand); in range that is
 * the result, out of range the result saturates with NV alone.
 */
static void test_host_to_int(void **state)
{
	static const struct {
		unsigned bits;
		bool is_signed;
		double lo, hi; /* the range, inclusive */
	} kinds[] = {
	    {32, true, -2147483648.0, 2147483647.0},
	    {32, false, 0.0, 4294967295.0},
	    {64, true, -9223372036854775808.0, 9223372036854775807.0},
	    {64, false, 0.0, 18446744073709551615.0},
	};

	(void)state;
	mismatches = 0;
	for (unsigned long i = 0; i < RANDOM_CASES; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		unsigned rm = (unsigned)(i >> 1) & 3, k = (i >> 3) & 3;
		uint64_t a =
		    rnd() % 2
			? any(fmt)
			: with_exp(fmt, bias(fmt) - 2 + (long)(rnd() % 68));
		double x = fmt == FPU_S ? f32(a) : f64(a), r;
		uint64_t want, got;
		unsigned want_flags = 0, flags = 0;

		fesetround(host_modes[rm]);
		r = rint(x);
		fesetround(FE_TONEAREST);
		if (isnan(x)) {
			want = kinds[k].is_signed
				   ? ~0ull >> (65 - kinds[k].bits)
				   : ~0ull >> (64 - kinds[k].bits);
			want_flags = FPU_NV;
		} else if (r < kinds[k].lo || r > kinds[k].hi ||
			   /* 2^63 and 2^64 round to hi as doubles */
			   (kinds[k].bits == 64 && r >= kinds[k].hi)) {
			bool neg = r < 0;

			want_flags = FPU_NV;
			if (!kinds[k].is_signed)
				want = neg ? 0 : ~0ull >> (64 - kinds[k].bits);
			else
				want = neg ? 1ull << (kinds[k].bits - 1)
					   : ~0ull >> (65 - kinds[k].bits);
		} else {
			want = kinds[k].is_signed ? (uint64_t)(int64_t)r
						  : (uint64_t)r;
			want_flags = r != x ? FPU_NX : 0;
		}
		if (kinds[k].bits == 32)
			want = (uint64_t)(int64_t)(int32_t)want;
		got = fpu_to_int(fmt, a, kinds[k].bits, kinds[k].is_signed, rm,
				 &flags);
		if ((got != want || flags != want_flags) && ++mismatches <= 10)
			print_message(
			    "to_int%u%s %c rm %u %#llx: want %#llx "
			    "flags %#x, got %#llx flags %#x\n",
			    kinds[k].bits, kinds[k].is_signed ? "" : "u",
			    fmt == FPU_S ? 's' : 'd', rm, (unsigned long long)a,
			    (unsigned long long)want, want_flags,
			    (unsigned long long)got, flags);
	}
	assert_int_equal(mismatches, 0);
}

/* Integer to float: the host's conversions round in the current mode. */
static void test_host_from_int(void **state)
{
	(void)state;
	mismatches = 0;
	for (unsigned long i = 0; i < RANDOM_CASES; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		unsigned rm = (unsigned)(i >> 1) & 3;
		bool is_signed = (i >> 3) & 1;
		uint64_t v = rnd() >> (rnd() % 64), want, got;
		unsigned want_flags, flags = 0;

		if (is_signed && rnd() % 2)
			v = -v;
		fesetround(host_modes[rm]);
		feclearexcept(FE_ALL_EXCEPT);
		if (fmt == FPU_S) {
			volatile float r =
			    is_signed ? (float)(int64_t)v : (float)v;
			want = bits32(r);
		} else {
			volatile double r =
			    is_signed ? (double)(int64_t)v : (double)v;
			want = bits64(r);
		}
		want_flags = host_flags();
		fesetround(FE_TONEAREST);
		got = fpu_from_int(fmt, v, is_signed, rm, &flags);
		if ((got != want || flags != want_flags) && ++mismatches <= 10)
			print_message(
			    "from_int%s %c rm %u %#llx: want %#llx "
			    "flags %#x, got %#llx flags %#x\n",
			    is_signed ? "" : "u", fmt == FPU_S ? 's' : 'd', rm,
			    (unsigned long long)v, (unsigned long long)want,
			    want_flags, (unsigned long long)got, flags);
	}
	assert_int_equal(mismatches, 0);
}

/*
 * Comparisons: C's == is IEEE's quiet compareQuietEqual (ucomis: NV for
 * a signalling NaN only), < and <= are the signalling predicates (comis:
 * NV for any NaN), exactly as feq, flt and fle.
 */
static void test_host_compare(void **state)
{
	(void)state;
	mismatches = 0;
	for (unsigned long i = 0; i < RANDOM_CASES; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		uint64_t a = any(fmt),
			 b = rnd() % 4 ? partner(OP_ADD, fmt, a) : a;
		unsigned want[3], got[3] = {0, 0, 0};
		bool hr[3], sr[3];

		for (int k = 0; k < 3; k++) {
			feclearexcept(FE_ALL_EXCEPT);
			if (fmt == FPU_S) {
				volatile float x = f32(a), y = f32(b);

				hr[k] = k == 0	 ? x == y
					: k == 1 ? x < y
						 : x <= y;
			} else {
				volatile double x = f64(a), y = f64(b);

				hr[k] = k == 0	 ? x == y
					: k == 1 ? x < y
						 : x <= y;
			}
			want[k] = host_flags();
		}
		sr[0] = fpu_eq(fmt, a, b, &got[0]);
		sr[1] = fpu_lt(fmt, a, b, &got[1]);
		sr[2] = fpu_le(fmt, a, b, &got[2]);
		for (int k = 0; k < 3; k++)
			if ((hr[k] != sr[k] || want[k] != got[k]) &&
			    ++mismatches <= 10)
				print_message(
				    "%s.%c %#llx %#llx: host %d flags "
				    "%#x, fpu %d flags %#x\n",
				    k == 0   ? "feq"
				    : k == 1 ? "flt"
					     : "fle",
				    fmt == FPU_S ? 's' : 'd',
				    (unsigned long long)a,
				    (unsigned long long)b, hr[k], want[k],
				    sr[k], got[k]);
	}
	assert_int_equal(mismatches, 0);
}

/* sqrt cannot end on a tie (the square of a midpoint never fits in p
 * bits), so RMM must agree with the host's RNE. */
static void test_host_sqrt_rmm(void **state)
{
	(void)state;
	mismatches = 0;
	for (unsigned long i = 0; i < RANDOM_CASES; i++) {
		enum fpu_fmt fmt = i & 1 ? FPU_D : FPU_S;
		uint64_t a = any(fmt) & ~sign_bit(fmt), h, s;
		unsigned hf, sf = 0;

		h = host_op(OP_SQRT, fmt, a, 0, 0, FPU_RNE, &hf);
		s = fpu_sqrt(fmt, a, FPU_RMM, &sf);
		if ((h != s || hf != sf) && ++mismatches <= 10)
			print_message("sqrt rmm %#llx: host rne %#llx, %#llx\n",
				      (unsigned long long)a,
				      (unsigned long long)h,
				      (unsigned long long)s);
	}
	assert_int_equal(mismatches, 0);
}

/* ---- 2. by hand, from the specification ---- */

#define S   FPU_S
#define D   FPU_D
#define RNE FPU_RNE
#define RTZ FPU_RTZ
#define RDN FPU_RDN
#define RUP FPU_RUP
#define RMM FPU_RMM
#define NV  FPU_NV
#define DZ  FPU_DZ
#define OF  FPU_OF
#define UF  FPU_UF
#define NX  FPU_NX

#define QNAN_S 0x7fc00000ull
#define SNAN_S 0x7f800001ull
#define QNAN_D 0x7ff8000000000000ull
#define SNAN_D 0x7ff0000000000001ull
#define ONE_S  0x3f800000ull
#define ONE_D  0x3ff0000000000000ull
#define INF_S  0x7f800000ull
#define INF_D  0x7ff0000000000000ull
#define MAX_S  0x7f7fffffull

/* got/flags against want/want_flags, with the case's text. */
#define EXPECT(expr, want, want_flags)                                         \
	do {                                                                   \
		unsigned flags = 0;                                            \
		uint64_t got = (uint64_t)(expr);                               \
		if (got != (uint64_t)(want) || flags != (want_flags))          \
			fail_msg("%s: got %#llx flags %#x, want %#llx flags "  \
				 "%#x",                                        \
				 #expr, (unsigned long long)got, flags,        \
				 (unsigned long long)(want), (want_flags));    \
	} while (0)

static void test_rmm(void **state)
{
	(void)state;
	/* 1 + 2^-24 is a tie in f32 (ulp(1) = 2^-23): RNE keeps the even
	 * 1.0, RMM goes away from zero. */
	EXPECT(fpu_add(S, ONE_S, 0x33800000, RNE, &flags), ONE_S, NX);
	EXPECT(fpu_add(S, ONE_S, 0x33800000, RMM, &flags), 0x3f800001, NX);
	EXPECT(fpu_sub(S, 0xbf800000, 0x33800000, RMM, &flags), 0xbf800001, NX);
	/* A quarter of an ulp is no tie: down in RMM too. */
	EXPECT(fpu_add(S, ONE_S, 0x33000000, RMM, &flags), ONE_S, NX);
	/* Three quarters: up in every nearest mode. */
	EXPECT(fpu_add(S, ONE_S, 0x33c00000, RMM, &flags), 0x3f800001, NX);
	/* f64: 1 + 2^-53. */
	EXPECT(fpu_add(D, ONE_D, 0x3ca0000000000000, RNE, &flags), ONE_D, NX);
	EXPECT(fpu_add(D, ONE_D, 0x3ca0000000000000, RMM, &flags),
	       0x3ff0000000000001, NX);
	/* A tie whose lower neighbour is odd: both nearest modes go up. */
	EXPECT(fpu_add(S, 0x3f800001, 0x33800000, RMM, &flags), 0x3f800002, NX);
	EXPECT(fpu_add(S, 0x3f800001, 0x33800000, RNE, &flags), 0x3f800002, NX);
	/* Overflow rounds to infinity in RMM. */
	EXPECT(fpu_add(S, MAX_S, MAX_S, RMM, &flags), INF_S, OF | NX);
	EXPECT(fpu_mul(D, 0x7fefffffffffffff, 0xc000000000000000, RMM, &flags),
	       INF_D | 1ull << 63, OF | NX);
	/* Half the smallest subnormal (2^-150): RNE to 0, RMM to 2^-149;
	 * tiny and inexact either way. */
	EXPECT(fpu_mul(S, 0x00000001, 0x3f000000, RNE, &flags), 0, UF | NX);
	EXPECT(fpu_mul(S, 0x00000001, 0x3f000000, RMM, &flags), 0x00000001,
	       UF | NX);
	EXPECT(fpu_mul(S, 0x80000001, 0x3f000000, RMM, &flags), 0x80000001,
	       UF | NX);
	EXPECT(fpu_div(D, 0x0000000000000003, 0x4000000000000000, RMM, &flags),
	       0x0000000000000002, UF | NX); /* 1.5 ulps -> 2 */
	EXPECT(fpu_div(D, 0x0000000000000003, 0x4000000000000000, RNE, &flags),
	       0x0000000000000002, UF | NX);
	EXPECT(fpu_div(D, 0x0000000000000005, 0x4000000000000000, RMM, &flags),
	       0x0000000000000003, UF | NX); /* 2.5 ulps -> 3 */
	EXPECT(fpu_div(D, 0x0000000000000005, 0x4000000000000000, RNE, &flags),
	       0x0000000000000002, UF | NX);
	/* fma with a tie: 1 * 1 + 2^-24. */
	EXPECT(fpu_fmadd(S, ONE_S, ONE_S, 0x33800000, RMM, &flags), 0x3f800001,
	       NX);
	/* Conversions: 2.5 and -2.5 to integers, 0.5 to 1. */
	EXPECT(fpu_to_int(S, 0x40200000, 32, true, RMM, &flags), 3, NX);
	EXPECT(fpu_to_int(S, 0x40200000, 32, true, RNE, &flags), 2, NX);
	EXPECT(fpu_to_int(D, 0xc004000000000000, 64, true, RMM, &flags),
	       (uint64_t)-3, NX);
	EXPECT(fpu_to_int(D, 0x3fe0000000000000, 64, false, RMM, &flags), 1,
	       NX);
	EXPECT(fpu_to_int(D, 0xbfe0000000000000, 64, true, RMM, &flags),
	       (uint64_t)-1, NX);
	/* -0.5 in RMM is -1: out of range for unsigned. */
	EXPECT(fpu_to_int(D, 0xbfe0000000000000, 32, false, RMM, &flags), 0,
	       NV);
	/* 2^24 + 1 to f32: a tie between 2^24 and 2^24 + 2. */
	EXPECT(fpu_from_int(S, 16777217, true, RNE, &flags), 0x4b800000, NX);
	EXPECT(fpu_from_int(S, 16777217, true, RMM, &flags), 0x4b800001, NX);
	EXPECT(fpu_from_int(S, (uint64_t)-16777217, true, RMM, &flags),
	       0xcb800001, NX);
	/* f64 1 + 2^-24 to f32: a tie. */
	EXPECT(fpu_cvt(S, D, 0x3ff0000010000000, RMM, &flags), 0x3f800001, NX);
	EXPECT(fpu_cvt(S, D, 0x3ff0000010000000, RNE, &flags), ONE_S, NX);
}

static void test_tininess_after_rounding(void **state)
{
	(void)state;
	/* 2^-126 - 2^-151: rounds to 2^-126 with an unbounded exponent
	 * (a tie to even at 24 bits), so not tiny: NX without UF. */
	EXPECT(fpu_cvt(S, D, 0x380ffffff0000000, RNE, &flags), 0x00800000, NX);
	/* 2^-126 - 2^-150 fits in 24 bits below 2^-126: tiny, and inexact
	 * as a subnormal. */
	EXPECT(fpu_cvt(S, D, 0x380fffffe0000000, RNE, &flags), 0x00800000,
	       UF | NX);
	/* Just below 2^-126: RUP goes to 2^-126 unbounded (not tiny); RTZ
	 * stays below (tiny). */
	EXPECT(fpu_cvt(S, D, 0x380ffffffff80000, RUP, &flags), 0x00800000, NX);
	EXPECT(fpu_cvt(S, D, 0x380ffffffff80000, RTZ, &flags), 0x007fffff,
	       UF | NX);
	/* An exact subnormal result raises nothing. */
	EXPECT(fpu_mul(S, 0x00800000, 0x3f000000, RNE, &flags), 0x00400000, 0);
}

static void test_nan_rules(void **state)
{
	(void)state;
	/* Every NaN result is canonical; payloads do not propagate. */
	EXPECT(fpu_add(S, 0x7fc12345, ONE_S, RNE, &flags), QNAN_S, 0);
	EXPECT(fpu_mul(D, 0xfff8000000000123, ONE_D, RNE, &flags), QNAN_D, 0);
	EXPECT(fpu_add(S, SNAN_S, ONE_S, RNE, &flags), QNAN_S, NV);
	EXPECT(fpu_sqrt(D, 0xbff0000000000000, RNE, &flags), QNAN_D, NV);
	EXPECT(fpu_sqrt(D, 0x8000000000000000, RNE, &flags), 0x8000000000000000,
	       0);
	EXPECT(fpu_div(S, ONE_S, 0x80000000, RNE, &flags), 0xff800000, DZ);
	EXPECT(fpu_div(S, 0, 0, RNE, &flags), QNAN_S, NV);
	/* fma: inf * 0 is invalid even with a quiet NaN addend. */
	EXPECT(fpu_fmadd(S, INF_S, 0, QNAN_S, RNE, &flags), QNAN_S, NV);
	EXPECT(fpu_fmadd(D, 0, INF_D | 1ull << 63, QNAN_D, RNE, &flags), QNAN_D,
	       NV);
	EXPECT(fpu_fmadd(S, QNAN_S, 0, ONE_S, RNE, &flags), QNAN_S, 0);
	EXPECT(fpu_fmadd(S, ONE_S, ONE_S, SNAN_S, RNE, &flags), QNAN_S, NV);
	EXPECT(fpu_fmadd(D, INF_D, ONE_D, INF_D | 1ull << 63, RNE, &flags),
	       QNAN_D, NV);
	EXPECT(fpu_cvt(S, D, SNAN_D, RNE, &flags), QNAN_S, NV);
	EXPECT(fpu_cvt(D, S, 0x7fc00001, RNE, &flags), QNAN_D, 0);
	EXPECT(fpu_cvt(D, S, SNAN_S, RNE, &flags), QNAN_D, NV);
	/* NaN-boxing helpers. */
	assert_int_equal(fpu_unbox_s(0xffffffff3f800000ull), 0x3f800000);
	assert_int_equal(fpu_unbox_s(0x000000003f800000ull), QNAN_S);
	assert_int_equal(fpu_unbox_s(0xfffffffe3f800000ull), QNAN_S);
	assert_int_equal(fpu_box_s(0x3f800000), 0xffffffff3f800000ull);
}

static void test_fma_signs(void **state)
{
	(void)state;
	/* fmadd 1*2+3 = 5, fmsub 1*2-3 = -1, fnmsub -(1*2)+3 = 1,
	 * fnmadd -(1*2)-3 = -5. */
	EXPECT(fpu_fmadd(S, ONE_S, 0x40000000, 0x40400000, RNE, &flags),
	       0x40a00000, 0);
	EXPECT(fpu_fmsub(S, ONE_S, 0x40000000, 0x40400000, RNE, &flags),
	       0xbf800000, 0);
	EXPECT(fpu_fnmsub(S, ONE_S, 0x40000000, 0x40400000, RNE, &flags),
	       0x3f800000, 0);
	EXPECT(fpu_fnmadd(S, ONE_S, 0x40000000, 0x40400000, RNE, &flags),
	       0xc0a00000, 0);
	EXPECT(fpu_fnmadd(D, ONE_D, 0x4000000000000000, 0x4008000000000000, RNE,
			  &flags),
	       0xc014000000000000, 0);
	/* An exact zero sum is +0, -0 in RDN; fnmadd is -(a*b) - c, not
	 * the negated fmadd. */
	EXPECT(fpu_fmadd(S, ONE_S, ONE_S, 0xbf800000, RNE, &flags), 0, 0);
	EXPECT(fpu_fmadd(S, ONE_S, ONE_S, 0xbf800000, RDN, &flags), 0x80000000,
	       0);
	EXPECT(fpu_fnmadd(S, ONE_S, ONE_S, 0xbf800000, RNE, &flags), 0, 0);
	EXPECT(fpu_fnmadd(S, ONE_S, ONE_S, 0xbf800000, RDN, &flags), 0x80000000,
	       0);
	/* -(+0 * 1) - (+0) = -0 - +0 = -0. */
	EXPECT(fpu_fnmadd(S, 0, ONE_S, 0, RNE, &flags), 0x80000000, 0);
	/* -(+0 * 1) + (+0) = +0 in RNE. */
	EXPECT(fpu_fnmsub(S, 0, ONE_S, 0, RNE, &flags), 0, 0);
}

static void test_min_max(void **state)
{
	(void)state;
	EXPECT(fpu_min(S, 0x80000000, 0, &flags), 0x80000000, 0);
	EXPECT(fpu_min(S, 0, 0x80000000, &flags), 0x80000000, 0);
	EXPECT(fpu_max(S, 0x80000000, 0, &flags), 0, 0);
	EXPECT(fpu_max(D, 0, 0x8000000000000000, &flags), 0, 0);
	EXPECT(fpu_min(D, 0x8000000000000000, 0, &flags), 0x8000000000000000,
	       0);
	/* One NaN: the other operand; an sNaN also raises NV. */
	EXPECT(fpu_min(S, QNAN_S, ONE_S, &flags), ONE_S, 0);
	EXPECT(fpu_max(S, ONE_S, 0x7fc00001, &flags), ONE_S, 0);
	EXPECT(fpu_min(S, ONE_S, SNAN_S, &flags), ONE_S, NV);
	EXPECT(fpu_max(D, SNAN_D, 0xc000000000000000, &flags),
	       0xc000000000000000, NV);
	/* Two NaNs: the canonical NaN. */
	EXPECT(fpu_min(S, 0x7fc00001, 0xffc00002, &flags), QNAN_S, 0);
	EXPECT(fpu_max(D, SNAN_D, QNAN_D, &flags), QNAN_D, NV);
	/* Ordinary order, infinities, subnormals. */
	EXPECT(fpu_min(S, 0xbf800000, 0x40000000, &flags), 0xbf800000, 0);
	EXPECT(fpu_max(S, 0xbf800000, 0x40000000, &flags), 0x40000000, 0);
	EXPECT(fpu_min(S, 0xff800000, 0xff7fffff, &flags), 0xff800000, 0);
	EXPECT(fpu_max(D, 0x0000000000000001, 0x8000000000000001, &flags),
	       0x0000000000000001, 0);
	EXPECT(fpu_min(D, 0x8000000000000002, 0x8000000000000001, &flags),
	       0x8000000000000002, 0);
}

static void test_compare(void **state)
{
	(void)state;
	/* feq is quiet: NV for sNaN only; flt/fle signal on any NaN. */
	EXPECT(fpu_eq(S, QNAN_S, ONE_S, &flags), 0, 0);
	EXPECT(fpu_eq(S, SNAN_S, ONE_S, &flags), 0, NV);
	EXPECT(fpu_eq(D, QNAN_D, QNAN_D, &flags), 0, 0);
	EXPECT(fpu_lt(S, QNAN_S, ONE_S, &flags), 0, NV);
	EXPECT(fpu_le(D, ONE_D, QNAN_D, &flags), 0, NV);
	EXPECT(fpu_le(D, SNAN_D, ONE_D, &flags), 0, NV);
	/* -0 == +0. */
	EXPECT(fpu_eq(S, 0x80000000, 0, &flags), 1, 0);
	EXPECT(fpu_lt(S, 0x80000000, 0, &flags), 0, 0);
	EXPECT(fpu_le(S, 0, 0x80000000, &flags), 1, 0);
	EXPECT(fpu_eq(D, 0x8000000000000000, 0, &flags), 1, 0);
	/* Order across signs, magnitudes and infinities. */
	EXPECT(fpu_lt(S, 0xbf800000, ONE_S, &flags), 1, 0);
	EXPECT(fpu_lt(S, ONE_S, 0xbf800000, &flags), 0, 0);
	EXPECT(fpu_lt(S, 0xc0000000, 0xbf800000, &flags), 1, 0);
	EXPECT(fpu_le(S, ONE_S, ONE_S, &flags), 1, 0);
	EXPECT(fpu_lt(S, ONE_S, ONE_S, &flags), 0, 0);
	EXPECT(fpu_lt(D, INF_D | 1ull << 63, 0xffefffffffffffff, &flags), 1, 0);
	EXPECT(fpu_lt(D, 0x7fefffffffffffff, INF_D, &flags), 1, 0);
	EXPECT(fpu_eq(D, ONE_D, 0x3ff0000000000001, &flags), 0, 0);
}

static void test_class(void **state)
{
	(void)state;
	assert_int_equal(fpu_class(S, 0xff800000), 1u << 0);
	assert_int_equal(fpu_class(S, 0xbf800000), 1u << 1);
	assert_int_equal(fpu_class(S, 0x807fffff), 1u << 2);
	assert_int_equal(fpu_class(S, 0x80000000), 1u << 3);
	assert_int_equal(fpu_class(S, 0x00000000), 1u << 4);
	assert_int_equal(fpu_class(S, 0x00000001), 1u << 5);
	assert_int_equal(fpu_class(S, 0x00800000), 1u << 6);
	assert_int_equal(fpu_class(S, 0x7f800000), 1u << 7);
	assert_int_equal(fpu_class(S, 0x7fbfffff), 1u << 8);
	assert_int_equal(fpu_class(S, 0xff800001), 1u << 8);
	assert_int_equal(fpu_class(S, 0x7fc00000), 1u << 9);
	assert_int_equal(fpu_class(S, 0xffffffff), 1u << 9);
	assert_int_equal(fpu_class(D, 0xfff0000000000000), 1u << 0);
	assert_int_equal(fpu_class(D, 0xffefffffffffffff), 1u << 1);
	assert_int_equal(fpu_class(D, 0x8000000000000001), 1u << 2);
	assert_int_equal(fpu_class(D, 0x8000000000000000), 1u << 3);
	assert_int_equal(fpu_class(D, 0x0000000000000000), 1u << 4);
	assert_int_equal(fpu_class(D, 0x000fffffffffffff), 1u << 5);
	assert_int_equal(fpu_class(D, 0x0010000000000000), 1u << 6);
	assert_int_equal(fpu_class(D, 0x7ff0000000000000), 1u << 7);
	assert_int_equal(fpu_class(D, 0x7ff0000000000001), 1u << 8);
	assert_int_equal(fpu_class(D, 0x7ff8000000000000), 1u << 9);
}

static void test_sign_injection(void **state)
{
	(void)state;
	assert_int_equal(fpu_sgnj(S, ONE_S, 0xc0000000), 0xbf800000);
	assert_int_equal(fpu_sgnj(S, 0xbf800000, 0x40000000), ONE_S);
	assert_int_equal(fpu_sgnjn(S, ONE_S, 0xc0000000), ONE_S);
	assert_int_equal(fpu_sgnjn(S, ONE_S, 0x40000000), 0xbf800000);
	assert_int_equal(fpu_sgnjx(S, 0xbf800000, 0xc0000000), ONE_S);
	assert_int_equal(fpu_sgnjx(S, 0xbf800000, 0x40000000), 0xbf800000);
	/* NaNs keep their payload: these are bit operations. */
	assert_int_equal(fpu_sgnjn(S, 0x7fc00001, 0), 0xffc00001);
	assert_int_equal(fpu_sgnj(D, 0x7ff0000000000001, 1ull << 63),
			 0xfff0000000000001);
	assert_int_equal(fpu_sgnjx(D, 0x8000000000000000, 1ull << 63), 0);
}

static void test_to_int(void **state)
{
	(void)state;
	/* NaN gives the largest value, with NV. */
	EXPECT(fpu_to_int(S, QNAN_S, 32, true, RNE, &flags), 0x7fffffff, NV);
	EXPECT(fpu_to_int(S, 0xffc00000, 32, false, RNE, &flags), ~0ull, NV);
	EXPECT(fpu_to_int(D, SNAN_D, 64, true, RNE, &flags), 0x7fffffffffffffff,
	       NV);
	EXPECT(fpu_to_int(D, QNAN_D, 64, false, RNE, &flags), ~0ull, NV);
	/* Infinities saturate. */
	EXPECT(fpu_to_int(S, INF_S, 32, true, RNE, &flags), 0x7fffffff, NV);
	EXPECT(fpu_to_int(S, 0xff800000, 32, true, RNE, &flags),
	       0xffffffff80000000, NV);
	EXPECT(fpu_to_int(D, INF_D | 1ull << 63, 64, false, RNE, &flags), 0,
	       NV);
	/* 32-bit boundaries: 2^31 is out of range, -2^31 exact, the next
	 * f32 below -2^31 is out. */
	EXPECT(fpu_to_int(S, 0x4f000000, 32, true, RNE, &flags), 0x7fffffff,
	       NV);
	EXPECT(fpu_to_int(S, 0xcf000000, 32, true, RNE, &flags),
	       0xffffffff80000000, 0);
	EXPECT(fpu_to_int(S, 0xcf000001, 32, true, RNE, &flags),
	       0xffffffff80000000, NV);
	EXPECT(fpu_to_int(D, 0x41dfffffffe00000, 32, true, RTZ, &flags),
	       0x7fffffff, NX); /* 2147483647.5 */
	EXPECT(fpu_to_int(D, 0x41dfffffffe00000, 32, true, RUP, &flags),
	       0x7fffffff, NV);
	EXPECT(fpu_to_int(D, 0xc1e0000000100000, 32, true, RTZ, &flags),
	       0xffffffff80000000, NX); /* -2147483648.5 */
	EXPECT(fpu_to_int(D, 0xc1e0000000100000, 32, true, RNE, &flags),
	       0xffffffff80000000, NX);
	EXPECT(fpu_to_int(D, 0xc1e0000000100000, 32, true, RDN, &flags),
	       0xffffffff80000000, NV);
	/* Unsigned: -0.5 RTZ is 0 inexact, -1.0 is out of range, -0.5 RDN
	 * is -1: out of range; -0 is 0 exactly. */
	EXPECT(fpu_to_int(S, 0xbf000000, 32, false, RTZ, &flags), 0, NX);
	EXPECT(fpu_to_int(S, 0xbf000000, 32, false, RNE, &flags), 0, NX);
	EXPECT(fpu_to_int(S, 0xbf000000, 32, false, RDN, &flags), 0, NV);
	EXPECT(fpu_to_int(S, 0xbf800000, 32, false, RTZ, &flags), 0, NV);
	EXPECT(fpu_to_int(S, 0x80000000, 32, false, RNE, &flags), 0, 0);
	/* fcvt.wu's 32-bit result is sign-extended to 64 bits. */
	EXPECT(fpu_to_int(S, 0x4f7fffff, 32, false, RNE, &flags),
	       0xffffffffffffff00, 0);
	EXPECT(fpu_to_int(S, 0x4f800000, 32, false, RNE, &flags), ~0ull, NV);
	EXPECT(fpu_to_int(S, 0x3f800000, 32, false, RNE, &flags), 1, 0);
	/* 64-bit boundaries. */
	EXPECT(fpu_to_int(D, 0x43e0000000000000, 64, true, RNE, &flags),
	       0x7fffffffffffffff, NV);
	EXPECT(fpu_to_int(D, 0xc3e0000000000000, 64, true, RNE, &flags),
	       0x8000000000000000, 0);
	EXPECT(fpu_to_int(D, 0x43e0000000000000, 64, false, RNE, &flags),
	       0x8000000000000000, 0);
	EXPECT(fpu_to_int(D, 0x43efffffffffffff, 64, false, RNE, &flags),
	       0xfffffffffffff800, 0);
	EXPECT(fpu_to_int(D, 0x43f0000000000000, 64, false, RNE, &flags), ~0ull,
	       NV);
	/* Rounding. */
	EXPECT(fpu_to_int(D, 0x3ff8000000000000, 64, true, RNE, &flags), 2, NX);
	EXPECT(fpu_to_int(D, 0x4004000000000000, 64, true, RNE, &flags), 2, NX);
	EXPECT(fpu_to_int(D, 0xbff8000000000000, 64, true, RTZ, &flags),
	       (uint64_t)-1, NX);
	EXPECT(fpu_to_int(D, 0xbff8000000000000, 64, true, RDN, &flags),
	       (uint64_t)-2, NX);
	EXPECT(fpu_to_int(D, 0x3ff8000000000000, 64, true, RUP, &flags), 2, NX);
	EXPECT(fpu_to_int(D, 0x3fefffffffffffff, 64, false, RUP, &flags), 1,
	       NX);
	EXPECT(fpu_to_int(D, 0x0000000000000001, 64, true, RUP, &flags), 1, NX);
	EXPECT(fpu_to_int(D, 0x8000000000000001, 64, true, RDN, &flags),
	       (uint64_t)-1, NX);
	EXPECT(fpu_to_int(D, 0x8000000000000001, 64, true, RNE, &flags), 0, NX);
}

static void test_from_int(void **state)
{
	(void)state;
	EXPECT(fpu_from_int(S, 0, true, RNE, &flags), 0, 0);
	EXPECT(fpu_from_int(S, (uint64_t)-1, true, RNE, &flags), 0xbf800000, 0);
	/* 2^32 - 1 (fcvt.s.wu of 0xffffffff) needs 32 bits. */
	EXPECT(fpu_from_int(S, 0xffffffff, false, RNE, &flags), 0x4f800000, NX);
	EXPECT(fpu_from_int(S, 0xffffffff, false, RTZ, &flags), 0x4f7fffff, NX);
	EXPECT(fpu_from_int(D, 0x8000000000000000, true, RNE, &flags),
	       0xc3e0000000000000, 0);
	EXPECT(fpu_from_int(D, ~0ull, false, RNE, &flags), 0x43f0000000000000,
	       NX);
	EXPECT(fpu_from_int(D, ~0ull, false, RTZ, &flags), 0x43efffffffffffff,
	       NX);
	EXPECT(fpu_from_int(D, ~0ull, false, RMM, &flags), 0x43f0000000000000,
	       NX);
	EXPECT(fpu_from_int(D, 0xffffffff, false, RNE, &flags),
	       0x41efffffffe00000, 0);
	EXPECT(fpu_from_int(D, (uint64_t)-2147483648ll, true, RNE, &flags),
	       0xc1e0000000000000, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rmm),
	    cmocka_unit_test(test_tininess_after_rounding),
	    cmocka_unit_test(test_nan_rules),
	    cmocka_unit_test(test_fma_signs),
	    cmocka_unit_test(test_min_max),
	    cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_class),
	    cmocka_unit_test(test_sign_injection),
	    cmocka_unit_test(test_to_int),
	    cmocka_unit_test(test_from_int),
	    cmocka_unit_test(test_host_add),
	    cmocka_unit_test(test_host_sub),
	    cmocka_unit_test(test_host_mul),
	    cmocka_unit_test(test_host_div),
	    cmocka_unit_test(test_host_sqrt),
	    cmocka_unit_test(test_host_fma),
	    cmocka_unit_test(test_host_cvt),
	    cmocka_unit_test(test_host_to_int),
	    cmocka_unit_test(test_host_from_int),
	    cmocka_unit_test(test_host_sqrt_rmm),
	    cmocka_unit_test(test_host_compare),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
