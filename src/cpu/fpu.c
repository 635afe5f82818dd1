/* SPDX-License-Identifier: MIT */
/*
 * The soft-float, written from IEEE 754-2008 and the RISC-V unprivileged
 * specification (chapters "F" and "D").
 *
 * Both formats share all code: an operand is unpacked to a sign, a class
 * and, for finite nonzero values, an exact value sig * 2^e with sig's top
 * bit at bit 63. Operations compute their exact result, or a 64-bit
 * significand whose bit 0 is sticky (ORed with everything below it), and
 * one routine, round_pack(), rounds that in any mode to either format,
 * with the flags. Products, quotients, square roots and the fused
 * multiply-add's sum are computed on 128 bits.
 */
#include "cpu/fpu.h"

/* The hot helpers are inlined into each operation: they return small
 * structs and flags that would otherwise go through memory. */
#define HOT static inline __attribute__((always_inline))

enum cls {
	CLS_ZERO,
	CLS_FINITE, /* nonzero: normal or subnormal */
	CLS_INF,
	CLS_QNAN,
	CLS_SNAN,
};

struct num {
	bool sign;
	enum cls cls;
	int e;	      /* value = sig * 2^e (CLS_FINITE) */
	uint64_t sig; /* bit 63 set (CLS_FINITE) */
};

static inline unsigned fbits(enum fpu_fmt f)
{
	return f == FPU_S ? 23 : 52;
}

static inline int bias(enum fpu_fmt f)
{
	return f == FPU_S ? 127 : 1023;
}

/* The all-ones exponent field (inf and NaN). */
static inline uint64_t emax(enum fpu_fmt f)
{
	return f == FPU_S ? 0xff : 0x7ff;
}

static inline uint64_t sign_bit(enum fpu_fmt f)
{
	return f == FPU_S ? 1ull << 31 : 1ull << 63;
}

static inline uint64_t mask(enum fpu_fmt f)
{
	return f == FPU_S ? 0xffffffffull : ~0ull;
}

static inline uint64_t canonical_nan(enum fpu_fmt f)
{
	return f == FPU_S ? FPU_NAN_S : FPU_NAN_D;
}

static inline uint64_t zero(enum fpu_fmt f, bool sign)
{
	return sign ? sign_bit(f) : 0;
}

static inline uint64_t inf(enum fpu_fmt f, bool sign)
{
	return zero(f, sign) | emax(f) << fbits(f);
}

static inline bool is_nan(const struct num *n)
{
	return n->cls == CLS_QNAN || n->cls == CLS_SNAN;
}

static inline int clz64(uint64_t x)
{
	return __builtin_clzll(x);
}

HOT struct num unpack(enum fpu_fmt f, uint64_t a)
{
	unsigned fb = fbits(f);
	uint64_t exp = (a >> fb) & emax(f);
	uint64_t frac = a & ((1ull << fb) - 1);
	struct num n = {.sign = (a & sign_bit(f)) != 0};
	int lz;

	if (exp == emax(f)) {
		n.cls = frac == 0		 ? CLS_INF
			: (frac >> (fb - 1)) & 1 ? CLS_QNAN
						 : CLS_SNAN;
		return n;
	}
	if (exp == 0 && frac == 0) {
		n.cls = CLS_ZERO;
		return n;
	}
	n.cls = CLS_FINITE;
	if (exp == 0) { /* subnormal: no implicit bit, emin */
		n.sig = frac;
		n.e = 1 - bias(f) - (int)fb;
	} else {
		n.sig = frac | 1ull << fb;
		n.e = (int)exp - bias(f) - (int)fb;
	}
	lz = clz64(n.sig);
	n.sig <<= lz;
	n.e -= lz;
	return n;
}

/*
 * sig >> shift, rounded with rm for a value of sign sign; *inexact tells
 * whether bits were lost. shift may exceed 63 (everything is lost).
 */
HOT uint64_t round_shift(uint64_t sig, unsigned shift, bool sign, unsigned rm,
			 bool *inexact)
{
	uint64_t q, rem, half;
	bool up;

	if (shift == 0) {
		*inexact = false;
		return sig;
	}
	if (shift < 64) {
		q = sig >> shift;
		rem = sig & ((1ull << shift) - 1);
		half = 1ull << (shift - 1);
	} else if (shift == 64) {
		q = 0;
		rem = sig;
		half = 1ull << 63;
	} else { /* below half of the last place, but maybe not zero */
		q = 0;
		rem = sig != 0;
		half = 2;
	}
	*inexact = rem != 0;
	if (!rem)
		return q;
	switch (rm) {
	case FPU_RTZ:
		up = false;
		break;
	case FPU_RDN:
		up = sign;
		break;
	case FPU_RUP:
		up = !sign;
		break;
	case FPU_RMM:
		up = rem >= half;
		break;
	default:
		up = rem > half || (rem == half && (q & 1));
		break;
	}
	return q + up;
}

/* Whether an overflow in rm rounds to infinity (else to the largest
 * finite value). */
static bool overflow_to_inf(unsigned rm, bool sign)
{
	return !(rm == FPU_RTZ || (rm == FPU_RDN && !sign) ||
		 (rm == FPU_RUP && sign));
}

/*
 * The value (-1)^sign * sig * 2^e (sig's bit 0 may be sticky) rounded with
 * rm to format f, with NX, UF (tiny after rounding, and inexact) and OF.
 */
HOT uint64_t round_pack(enum fpu_fmt f, bool sign, int e, uint64_t sig,
			unsigned rm, unsigned *flags)
{
	unsigned fb = fbits(f);
	uint64_t bits, q;
	bool inexact;
	int lz, be;

	if (!sig)
		return zero(f, sign);
	lz = clz64(sig);
	sig <<= lz;
	e -= lz;
	be = e + 63 + bias(f); /* biased exponent of the leading bit */
	if (be >= (int)emax(f))
		goto overflow;
	if (be >= 1) {
		/* Adding q, hidden bit included, to (be - 1) << fb gives the
		 * encoding; a carry out of q bumps the exponent by itself. */
		q = round_shift(sig, 63 - fb, sign, rm, &inexact);
		bits = ((uint64_t)(be - 1) << fb) + q;
		if (bits >> fb >= emax(f))
			goto overflow;
	} else {
		/* Subnormal range: q has no hidden bit, and rounding up to
		 * 1 << fb gives the smallest normal's encoding. */
		unsigned shift = 63 - fb + (unsigned)(1 - be);
		bool tiny = true;

		q = round_shift(sig, shift > 127 ? 127 : shift, sign, rm,
				&inexact);
		bits = q;
		if (be == 0) {
			/* Tininess after rounding: with an unbounded
			 * exponent, would it round up to 2^emin? */
			bool ix;
			uint64_t qn = round_shift(sig, 63 - fb, sign, rm, &ix);

			tiny = qn >> (fb + 1) == 0;
		}
		if (tiny && inexact)
			*flags |= FPU_UF;
	}
	if (inexact)
		*flags |= FPU_NX;
	return zero(f, sign) | bits;

overflow:
	*flags |= FPU_OF | FPU_NX;
	return overflow_to_inf(rm, sign) ? inf(f, sign)
					 : inf(f, sign) - 1; /* max finite */
}

/* x as a 64-bit significand with bit 0 sticky, adjusting *e so that the
 * value x * 2^*e is kept (call it before reading *e: C leaves the order
 * of function arguments open). */
HOT uint64_t collapse(unsigned __int128 x, int *e)
{
	uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
	int lz;

	if (!hi)
		return lo;
	lz = clz64(hi);
	if (lz) {
		hi = hi << lz | lo >> (64 - lz);
		lo <<= lz;
	}
	*e += 64 - lz;
	return hi | (lo != 0);
}

/*
 * (-1)^sa * a * 2^ea + (-1)^sb * b * 2^eb, rounded: a and b nonzero with
 * their top bit at bit 125 (two bits of headroom) and exact. The smaller
 * one is shifted right with a sticky bit; with two or more places of
 * shift the sum loses at most one leading bit, so over 120 bits stay
 * above the sticky one.
 */
HOT uint64_t add_core(enum fpu_fmt f, bool sa, int ea, unsigned __int128 a,
		      bool sb, int eb, unsigned __int128 b, unsigned rm,
		      unsigned *flags)
{
	unsigned __int128 s;
	uint64_t sig;
	int d;

	if (eb > ea || (eb == ea && b > a)) {
		unsigned __int128 t = a;
		bool ts = sa;
		int te = ea;

		a = b;
		sa = sb;
		ea = eb;
		b = t;
		sb = ts;
		eb = te;
	}
	d = ea - eb;
	if (d >= 126)
		b = 1;
	else if (d)
		b = b >> d | ((b & (((unsigned __int128)1 << d) - 1)) != 0);
	s = sa == sb ? a + b : a - b;
	if (!s) /* exact cancellation: +0, -0 when rounding down */
		return zero(f, rm == FPU_RDN);
	sig = collapse(s, &ea);
	return round_pack(f, sa, ea, sig, rm, flags);
}

static uint64_t add_sub(enum fpu_fmt f, uint64_t a, uint64_t b, bool negate,
			unsigned rm, unsigned *flags)
{
	struct num x = unpack(f, a), y = unpack(f, b);

	if (negate) {
		y.sign = !y.sign;
		b ^= sign_bit(f);
	}
	if (is_nan(&x) || is_nan(&y)) {
		if (x.cls == CLS_SNAN || y.cls == CLS_SNAN)
			*flags |= FPU_NV;
		return canonical_nan(f);
	}
	if (x.cls == CLS_INF) {
		if (y.cls == CLS_INF && x.sign != y.sign) {
			*flags |= FPU_NV;
			return canonical_nan(f);
		}
		return inf(f, x.sign);
	}
	if (y.cls == CLS_INF)
		return inf(f, y.sign);
	if (x.cls == CLS_ZERO && y.cls == CLS_ZERO)
		return zero(f, x.sign == y.sign ? x.sign : rm == FPU_RDN);
	if (x.cls == CLS_ZERO)
		return b & mask(f);
	if (y.cls == CLS_ZERO)
		return a & mask(f);
	return add_core(f, x.sign, x.e - 62, (unsigned __int128)x.sig << 62,
			y.sign, y.e - 62, (unsigned __int128)y.sig << 62, rm,
			flags);
}

uint64_t fpu_add(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags)
{
	return add_sub(fmt, a, b, false, rm, flags);
}

uint64_t fpu_sub(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags)
{
	return add_sub(fmt, a, b, true, rm, flags);
}

uint64_t fpu_mul(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags)
{
	struct num x = unpack(fmt, a), y = unpack(fmt, b);
	bool sign = x.sign != y.sign;
	uint64_t sig;
	int e;

	if (is_nan(&x) || is_nan(&y)) {
		if (x.cls == CLS_SNAN || y.cls == CLS_SNAN)
			*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if ((x.cls == CLS_INF && y.cls == CLS_ZERO) ||
	    (x.cls == CLS_ZERO && y.cls == CLS_INF)) {
		*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if (x.cls == CLS_INF || y.cls == CLS_INF)
		return inf(fmt, sign);
	if (x.cls == CLS_ZERO || y.cls == CLS_ZERO)
		return zero(fmt, sign);
	e = x.e + y.e;
	sig = collapse((unsigned __int128)x.sig * y.sig, &e);
	return round_pack(fmt, sign, e, sig, rm, flags);
}

uint64_t fpu_div(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned rm,
		 unsigned *flags)
{
	struct num x = unpack(fmt, a), y = unpack(fmt, b);
	bool sign = x.sign != y.sign;
	unsigned __int128 n, q;
	uint64_t sig;
	int e;

	if (is_nan(&x) || is_nan(&y)) {
		if (x.cls == CLS_SNAN || y.cls == CLS_SNAN)
			*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if ((x.cls == CLS_INF && y.cls == CLS_INF) ||
	    (x.cls == CLS_ZERO && y.cls == CLS_ZERO)) {
		*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if (x.cls == CLS_INF)
		return inf(fmt, sign);
	if (y.cls == CLS_INF || x.cls == CLS_ZERO)
		return zero(fmt, sign);
	if (y.cls == CLS_ZERO) {
		*flags |= FPU_DZ;
		return inf(fmt, sign);
	}
	/* A quotient of 64 or 65 bits; the remainder is sticky. */
	n = (unsigned __int128)x.sig << 64;
	q = n / y.sig;
	q |= n - q * y.sig != 0;
	e = x.e - y.e - 64;
	sig = collapse(q, &e);
	return round_pack(fmt, sign, e, sig, rm, flags);
}

/*
 * floor(sqrt(x)) for x < 2^120, one root bit per step from the top pair of
 * x's bits down; the remainder stays at most twice the root, below 2^61.
 * *inexact: whether the remainder is nonzero.
 */
static uint64_t isqrt(unsigned __int128 x, bool *inexact)
{
	uint64_t hi = (uint64_t)(x >> 64), root = 0, rem = 0;
	int top = hi ? 127 - clz64(hi) : 63 - clz64((uint64_t)x | 1);
	int pairs = top / 2 + 1;

	x <<= 128 - 2 * pairs; /* the top pair at bits 127:126 */
	for (int i = 0; i < pairs; i++) {
		uint64_t trial = root << 2 | 1, fits;

		rem = rem << 2 | (uint64_t)(x >> 126);
		x <<= 2;
		/* Branch-free: the root bits are as good as random. */
		fits = rem >= trial;
		rem -= trial & -fits;
		root = root << 1 | fits;
	}
	*inexact = rem != 0;
	return root;
}

uint64_t fpu_sqrt(enum fpu_fmt fmt, uint64_t a, unsigned rm, unsigned *flags)
{
	struct num x = unpack(fmt, a);
	unsigned fb = fbits(fmt), s;
	uint64_t m, r;
	bool rem;
	int e;

	if (is_nan(&x)) {
		if (x.cls == CLS_SNAN)
			*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if (x.cls == CLS_ZERO)
		return a & mask(fmt); /* sqrt(-0) = -0 */
	if (x.sign) {
		*flags |= FPU_NV;
		return canonical_nan(fmt);
	}
	if (x.cls == CLS_INF)
		return a & mask(fmt);
	/* The p-bit integer significand m * 2^e, shifted left by s = p + 4
	 * or p + 5 so that e - s is even: the root has p + 2 bits or more,
	 * enough to round, and the remainder tells whether it is exact. */
	m = x.sig >> (63 - fb);
	e = x.e + (int)(63 - fb);
	s = fb + 5 + ((unsigned)(e - (int)fb - 5) & 1);
	r = isqrt((unsigned __int128)m << s, &rem);
	return round_pack(fmt, false, (e - (int)s) / 2, r | rem, rm, flags);
}

/* x with its top bit at bit 125, keeping the value x * 2^*e (exact: x has
 * at most 2 * 53 significant bits here). */
static unsigned __int128 norm125(unsigned __int128 x, int *e)
{
	uint64_t hi = (uint64_t)(x >> 64);
	int lz = hi ? clz64(hi) : 64 + clz64((uint64_t)x);

	if (lz > 2) {
		x <<= lz - 2;
		*e -= lz - 2;
	} else if (lz < 2) {
		x >>= 2 - lz;
		*e += 2 - lz;
	}
	return x;
}

/* a * b + c, rounded once (the sign variants negate a and/or c). */
static uint64_t fma_core(enum fpu_fmt f, uint64_t a, uint64_t b, uint64_t c,
			 unsigned rm, unsigned *flags)
{
	struct num x = unpack(f, a), y = unpack(f, b), z = unpack(f, c);
	bool ps = x.sign != y.sign;
	unsigned __int128 p;
	int pe;

	if (x.cls == CLS_SNAN || y.cls == CLS_SNAN || z.cls == CLS_SNAN)
		*flags |= FPU_NV;
	if ((x.cls == CLS_INF && y.cls == CLS_ZERO) ||
	    (x.cls == CLS_ZERO && y.cls == CLS_INF)) {
		*flags |= FPU_NV; /* even when c is a quiet NaN */
		return canonical_nan(f);
	}
	if (is_nan(&x) || is_nan(&y) || is_nan(&z))
		return canonical_nan(f);
	if (x.cls == CLS_INF || y.cls == CLS_INF) {
		if (z.cls == CLS_INF && z.sign != ps) {
			*flags |= FPU_NV;
			return canonical_nan(f);
		}
		return inf(f, ps);
	}
	if (z.cls == CLS_INF)
		return inf(f, z.sign);
	if (x.cls == CLS_ZERO || y.cls == CLS_ZERO) {
		if (z.cls == CLS_ZERO)
			return zero(f, ps == z.sign ? ps : rm == FPU_RDN);
		return c & mask(f);
	}
	p = (unsigned __int128)x.sig * y.sig;
	pe = x.e + y.e;
	if (z.cls == CLS_ZERO) {
		uint64_t sig = collapse(p, &pe);

		return round_pack(f, ps, pe, sig, rm, flags);
	}
	p = norm125(p, &pe);
	return add_core(f, ps, pe, p, z.sign, z.e - 62,
			(unsigned __int128)z.sig << 62, rm, flags);
}

uint64_t fpu_fmadd(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, unsigned *flags)
{
	return fma_core(fmt, a, b, c, rm, flags);
}

uint64_t fpu_fmsub(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		   unsigned rm, unsigned *flags)
{
	return fma_core(fmt, a, b, c ^ sign_bit(fmt), rm, flags);
}

uint64_t fpu_fnmsub(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		    unsigned rm, unsigned *flags)
{
	return fma_core(fmt, a ^ sign_bit(fmt), b, c, rm, flags);
}

uint64_t fpu_fnmadd(enum fpu_fmt fmt, uint64_t a, uint64_t b, uint64_t c,
		    unsigned rm, unsigned *flags)
{
	return fma_core(fmt, a ^ sign_bit(fmt), b, c ^ sign_bit(fmt), rm,
			flags);
}

/* A non-NaN value as an integer of the same order; -0 below +0 when
 * zero_signed, else equal. */
static int64_t order_key(enum fpu_fmt f, uint64_t a, bool zero_signed)
{
	int64_t mag = (int64_t)(a & mask(f) & ~sign_bit(f));

	if (!(a & sign_bit(f)))
		return mag;
	return zero_signed ? -mag - 1 : -mag;
}

static uint64_t min_max(enum fpu_fmt f, uint64_t a, uint64_t b, bool max,
			unsigned *flags)
{
	struct num x = unpack(f, a), y = unpack(f, b);
	bool a_below;

	if (x.cls == CLS_SNAN || y.cls == CLS_SNAN)
		*flags |= FPU_NV;
	if (is_nan(&x) && is_nan(&y))
		return canonical_nan(f);
	if (is_nan(&x))
		return b & mask(f);
	if (is_nan(&y))
		return a & mask(f);
	a_below = order_key(f, a, true) < order_key(f, b, true);
	return (a_below != max ? a : b) & mask(f);
}

uint64_t fpu_min(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags)
{
	return min_max(fmt, a, b, false, flags);
}

uint64_t fpu_max(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags)
{
	return min_max(fmt, a, b, true, flags);
}

/* -1, 0, 1 for a below, equal to, above b; 2 unordered (a NaN), with NV
 * for a signalling NaN, or for any NaN when signalling. */
static int compare(enum fpu_fmt f, uint64_t a, uint64_t b, bool signalling,
		   unsigned *flags)
{
	struct num x = unpack(f, a), y = unpack(f, b);
	int64_t ka, kb;

	if (is_nan(&x) || is_nan(&y)) {
		if (signalling || x.cls == CLS_SNAN || y.cls == CLS_SNAN)
			*flags |= FPU_NV;
		return 2;
	}
	ka = order_key(f, a, false);
	kb = order_key(f, b, false);
	return ka < kb ? -1 : ka > kb;
}

bool fpu_eq(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags)
{
	return compare(fmt, a, b, false, flags) == 0;
}

bool fpu_lt(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags)
{
	return compare(fmt, a, b, true, flags) == -1;
}

bool fpu_le(enum fpu_fmt fmt, uint64_t a, uint64_t b, unsigned *flags)
{
	int c = compare(fmt, a, b, true, flags);

	return c == -1 || c == 0;
}

unsigned fpu_class(enum fpu_fmt fmt, uint64_t a)
{
	struct num x = unpack(fmt, a);
	bool subnormal = ((a >> fbits(fmt)) & emax(fmt)) == 0;

	switch (x.cls) {
	case CLS_INF:
		return x.sign ? 1u << 0 : 1u << 7;
	case CLS_ZERO:
		return x.sign ? 1u << 3 : 1u << 4;
	case CLS_FINITE:
		if (subnormal)
			return x.sign ? 1u << 2 : 1u << 5;
		return x.sign ? 1u << 1 : 1u << 6;
	case CLS_SNAN:
		return 1u << 8;
	default:
		return 1u << 9;
	}
}

uint64_t fpu_sgnj(enum fpu_fmt fmt, uint64_t a, uint64_t b)
{
	return (a & mask(fmt) & ~sign_bit(fmt)) | (b & sign_bit(fmt));
}

uint64_t fpu_sgnjn(enum fpu_fmt fmt, uint64_t a, uint64_t b)
{
	return (a & mask(fmt) & ~sign_bit(fmt)) | (~b & sign_bit(fmt));
}

uint64_t fpu_sgnjx(enum fpu_fmt fmt, uint64_t a, uint64_t b)
{
	return (a ^ (b & sign_bit(fmt))) & mask(fmt);
}

uint64_t fpu_cvt(enum fpu_fmt to, enum fpu_fmt from, uint64_t a, unsigned rm,
		 unsigned *flags)
{
	struct num x = unpack(from, a);

	switch (x.cls) {
	case CLS_SNAN:
		*flags |= FPU_NV;
		return canonical_nan(to);
	case CLS_QNAN:
		return canonical_nan(to);
	case CLS_INF:
		return inf(to, x.sign);
	case CLS_ZERO:
		return zero(to, x.sign);
	default:
		return round_pack(to, x.sign, x.e, x.sig, rm, flags);
	}
}

uint64_t fpu_to_int(enum fpu_fmt fmt, uint64_t a, unsigned bits, bool is_signed,
		    unsigned rm, unsigned *flags)
{
	struct num x = unpack(fmt, a);
	uint64_t max = is_signed    ? (1ull << (bits - 1)) - 1
		       : bits == 64 ? ~0ull
				    : (1ull << bits) - 1;
	uint64_t min = is_signed ? -(max + 1) : 0; /* as two's complement */
	uint64_t q, r;
	bool inexact = false;

	switch (x.cls) {
	case CLS_ZERO:
		return 0;
	case CLS_SNAN:
	case CLS_QNAN:
		goto invalid_max;
	case CLS_INF:
		if (x.sign)
			goto invalid_min;
		goto invalid_max;
	default:
		break;
	}
	if (x.e > 0) /* at least 2^64 */
		goto out_of_range;
	q = round_shift(x.sig, (unsigned)-x.e, x.sign, rm, &inexact);
	if (x.sign) {
		if (q > (is_signed ? max + 1 : 0))
			goto invalid_min;
		r = -q;
	} else {
		if (q > max)
			goto invalid_max;
		r = q;
	}
	if (inexact)
		*flags |= FPU_NX;
	return bits == 32 ? (uint64_t)(int64_t)(int32_t)r : r;

out_of_range:
	if (x.sign)
		goto invalid_min;
invalid_max:
	*flags |= FPU_NV;
	return bits == 32 ? (uint64_t)(int64_t)(int32_t)max : max;
invalid_min:
	*flags |= FPU_NV;
	return bits == 32 ? (uint64_t)(int64_t)(int32_t)min : min;
}

uint64_t fpu_from_int(enum fpu_fmt fmt, uint64_t v, bool is_signed, unsigned rm,
		      unsigned *flags)
{
	bool sign = is_signed && (int64_t)v < 0;

	return round_pack(fmt, sign, 0, sign ? -v : v, rm, flags);
}
