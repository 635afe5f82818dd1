/* SPDX-License-Identifier: MIT */
/*
 * fpdiff: a differential test of the F, D, Zba, Zbb, Zbc and Zbs
 * instructions. The same ELF runs under QEMU (the oracle) and under
 * memvisor; tests/integration/fpdiff.sh compares what the two print.
 *
 * Every instruction is a class. A class whose instruction has a
 * rounding-mode field runs in ten lines: static rm = rne, rtz, rdn, rup,
 * rmm (with frm set to another mode, which the static one must
 * override), and rm = dyn with frm = rne .. rmm ("dyn-rne" ..); any other
 * class is one line, mode "-". Each line runs its share of the class's
 * operations (fpdiff.ops, default 10^6, split evenly over the lines) on
 * operands from a PRNG seeded from the class name and the mode alone, so
 * a line gives the same operations whatever else runs. Operands mix
 * edge cases (signed zeros, subnormals, infinities, quiet and signalling
 * NaNs with payloads, badly NaN-boxed singles, ties, integer-conversion
 * boundaries) with random bits and values near each other. Each
 * operation's result register (all 64 bits) and fflags (cleared before
 * it) fold into the line's hash, printed as
 *
 *	H <class> <mode> <ops> <hash>
 *
 * or, when an instruction traps, "H <class> <mode> trap after <n> ops:
 * scause .. sepc .. stval ..", and the run goes on with the next line.
 *
 * Words of the command line (/chosen/bootargs):
 *   fpdiff.ops=N       operations per class (default 1000000)
 *   fpdiff.class=NAME  run only this class (e.g. fadd.d)
 *   fpdiff.mode=MODE   run only this mode (e.g. rtz, dyn-rup, -)
 *   fpdiff.chunk=K     also print "C <class> <mode> <k> <hash>", the
 *                      running hash after every K operations
 *   fpdiff.from=I fpdiff.count=N
 *                      also print operations I .. I+N-1 in full:
 *                      "D <class> <mode> <i> <a> <b> <c> <imm> -> <result>
 *                      <flags>", flags as NV DZ OF UF NX letters
 *   fpdiff.time        also print "T <class> <mode> <time ticks>"
 *   fpdiff.dry         run add (RV64I) in place of every instruction: the
 *                      time of the harness alone (the hashes mean nothing)
 *   fpdiff.list        print the classes ("L <class> <lines>") and stop
 *
 * Zicond is not here: QEMU 7.2, the oracle, has no Zicond (czero.eqz
 * traps), and binutils 2.40 does not know its mnemonics.
 */
#include "bootargs.h"
#include "lib.h"
#include "ops.h"

TEST_NAME("fpdiff");

#define CSR_FRM	 0x002
#define NMODES	 10	/* rne rtz rdn rup rmm, dyn-rne .. dyn-rmm */
#define MODE_ONE NMODES /* the one line of a class without rm */

static const char *const mode_names[NMODES + 1] = {
    "rne",     "rtz",	  "rdn",     "rup",	"rmm", "dyn-rne",
    "dyn-rtz", "dyn-rdn", "dyn-rup", "dyn-rmm", "-"};

/* ---- Operand generation ---- */

/* What a class's source operands are. */
enum src {
	SRC_X, /* x registers */
	SRC_S, /* f registers holding singles (NaN-boxed, mostly) */
	SRC_D, /* f registers holding doubles */
};

/* An IEEE 754 binary format. */
struct fmt {
	unsigned mbits; /* stored significand bits */
	unsigned ebits; /* exponent bits */
	int bias;
};

static const struct fmt fmt_s = {23, 8, 127};
static const struct fmt fmt_d = {52, 11, 1023};

#define NO_VALUE (~0ul) /* "not representable" from fp_pow2/fp_fixed */

/* Inlined with a constant format, the generator's masks fold away. */
#define FMT_INLINE __attribute__((always_inline)) static inline

FMT_INLINE uint64_t fp_emax(const struct fmt *f)
{
	return (1ul << f->ebits) - 1;
}

FMT_INLINE uint64_t fp_width_mask(const struct fmt *f)
{
	return f->mbits + f->ebits == 63
		   ? ~0ul
		   : (1ul << (f->mbits + f->ebits + 1)) - 1;
}

FMT_INLINE uint64_t fp_make(const struct fmt *f, uint64_t sign, uint64_t exp,
			    uint64_t mant)
{
	return sign << (f->mbits + f->ebits) | (exp & fp_emax(f)) << f->mbits |
	       (mant & ((1ul << f->mbits) - 1));
}

/* 2^e, NO_VALUE when out of range. */
static uint64_t fp_pow2(const struct fmt *f, int e)
{
	int min_sub = 1 - f->bias - (int)f->mbits;

	if (e + f->bias >= 1 && (uint64_t)(e + f->bias) < fp_emax(f))
		return fp_make(f, 0, (uint64_t)(e + f->bias), 0);
	if (e >= min_sub && e + f->bias < 1)
		return 1ul << (e - min_sub);
	return NO_VALUE;
}

/* n * 2^-shift, exactly; NO_VALUE when n has more significant bits than
 * the format holds or the value is not a normal number. */
FMT_INLINE uint64_t fp_fixed(const struct fmt *f, uint64_t n, int shift)
{
	int p = 63;
	int64_t exp;

	if (!n)
		return 0;
	while (!(n >> p))
		p--;
	exp = (int64_t)p - shift + f->bias;
	if ((unsigned)p > f->mbits || exp < 1 || (uint64_t)exp >= fp_emax(f))
		return NO_VALUE;
	return fp_make(f, 0, (uint64_t)exp, n << (f->mbits - (unsigned)p));
}

#define MAX_EDGES 128

struct edges {
	uint64_t v[MAX_EDGES];
	unsigned n;
};

static struct edges edges_s, edges_d, edges_x;

static void edge_add(struct edges *e, uint64_t v)
{
	if (v != NO_VALUE && e->n < MAX_EDGES)
		e->v[e->n++] = v;
}

/* The special values of format f, and values next to the powers of two
 * and the integers where conversions and rounding change behaviour. */
static void edges_fp(const struct fmt *f, struct edges *e)
{
	static const int pows[] = {
	    0,	-1,  1,	  2,	-2,   23,   24,	  31,	32,    52,    53,   63,
	    64, 127, 128, -126, -127, -149, -150, 1023, -1022, -1074, -1075};
	static const struct {
		uint64_t n;
		int shift;
	} fixed[] = {
	    {3, 1},
	    {5, 1},
	    {7, 1},
	    {3, 2},
	    {3, 0},
	    {10, 0},
	    {0x7fffffff, 0},
	    {0xffffffff, 0},
	    {0x80000001, 0},
	    {0xffffffffu, 1},
	    {0x100000001ul, 1},
	    {0x1ffffffffl, 1},
	    {0x200000001ul, 1},
	    {0xffffff, 0},
	    {0x1000001, 0},
	    {(1ul << 53) - 1, 0},
	    {(1ul << 53) - 1, 1},
	    /* the largest single, and the tie between it and overflow */
	    {0xffffff, -104},
	    {0x1ffffff, -103},
	};
	uint64_t emax = fp_emax(f), quiet = 1ul << (f->mbits - 1);
	unsigned i;

	e->n = 0;
	edge_add(e, 0);
	edge_add(e, 1);				    /* smallest subnormal */
	edge_add(e, fp_make(f, 0, 0, ~0ul));	    /* largest subnormal */
	edge_add(e, fp_make(f, 0, 0, quiet));	    /* a middle subnormal */
	edge_add(e, fp_make(f, 0, 1, 0));	    /* smallest normal */
	edge_add(e, fp_make(f, 0, emax - 1, ~0ul)); /* largest finite */
	edge_add(e, fp_make(f, 0, emax, 0));	    /* infinity */
	edge_add(e, fp_make(f, 0, emax, quiet));    /* canonical quiet NaN */
	edge_add(e, fp_make(f, 0, emax, quiet | 0x5a));
	edge_add(e, fp_make(f, 0, emax, ~0ul));
	edge_add(e, fp_make(f, 0, emax, 1)); /* signalling NaNs */
	edge_add(e, fp_make(f, 0, emax, quiet >> 1));
	edge_add(e, fp_make(f, 0, emax, quiet - 1));
	for (i = 0; i < sizeof(pows) / sizeof(pows[0]); i++) {
		uint64_t p = fp_pow2(f, pows[i]);

		if (p == NO_VALUE)
			continue;
		edge_add(e, p);
		edge_add(e, p + 1); /* next up */
		if (p > 1)
			edge_add(e, p - 1); /* next down */
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		edge_add(e, fp_fixed(f, fixed[i].n, fixed[i].shift));
}

static void edges_int(struct edges *e)
{
	static const uint64_t v[] = {
	    0,
	    1,
	    2,
	    0x7f,
	    0x80,
	    0xff,
	    0x7fff,
	    0x8000,
	    0xffff,
	    0xffffff,
	    0x1000000,
	    0x1000001,
	    0x7fffffff,
	    0x80000000,
	    0x80000001,
	    0xffffffff,
	    0x100000000,
	    0x100000001,
	    0xffffffff7fffffff,
	    0xffffffff80000000,
	    0x1fffffffffffff,
	    0x20000000000000,
	    0x20000000000001,
	    0x7fffffffffffffff,
	    0x8000000000000000,
	    0x8000000000000001,
	    0x0101010101010101,
	    0x8080808080808080,
	    0xff00ff00ff00ff00,
	    0x00ff00ff00ff00ff,
	    0x0123456789abcdef,
	    0x5555555555555555,
	    0xaaaaaaaaaaaaaaaa,
	    0x00000000ffffff00,
	};
	unsigned i;

	e->n = 0;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		edge_add(e, v[i]);
}

/* xorshift64*: cheap enough that generating operands does not cost
 * more than the interpreted instruction under test. The state is never 0. */
static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dul;
}

/*
 * One operand of format f. rel is an operand it may sit near (the one
 * before it, or for a fused multiply-add's addend the negated product),
 * 0 for the first. r holds 32 random bits that choose the kind of value
 * (bits 0-3) and its details; the value's own bits come from s. The
 * generators for singles and integers take r the same way.
 */
FMT_INLINE uint64_t gen_fp(const struct fmt *f, const struct edges *e,
			   uint64_t *s, uint64_t rel, uint64_t r)
{
	/* exponents around which conversions and rounding are interesting */
	static const int centres[16] = {0,  0,	0,  0,	-1, 1,	23,   24,
					31, 32, 52, 53, 63, 64, -126, 127};
	uint64_t m = rng_next(s);
	uint64_t emax = fp_emax(f), signbit = 1ul << (f->mbits + f->ebits);
	uint64_t sign = (r >> 4) & 1, rel_exp = (rel >> f->mbits) & emax;
	int64_t exp;

	rel &= fp_width_mask(f);
	switch (r & 15) {
	case 0:
	case 1:
	case 2:
	case 3:
		return e->v[(r >> 8) % e->n] ^ (sign ? signbit : 0);
	case 4:
	case 5:
	case 6:
	case 7:
		return m & fp_width_mask(f);
	case 8:
	case 9:
		exp =
		    f->bias + centres[(r >> 8) & 15] + (int)((r >> 12) & 7) - 4;
		break;
	case 10:
	case 11:
		/* near rel: within a few binades, or within the significand's
		 * reach, where additions round and cancel */
		if ((r >> 8) & 1)
			exp = (int64_t)rel_exp + (int)((r >> 12) & 7) - 4;
		else
			exp = (int64_t)rel_exp +
			      (int)((r >> 12) % (2 * f->mbits + 7)) -
			      (int)(f->mbits + 3);
		break;
	case 12:
		/* few significant bits: exact results and ties */
		m &= ~0ul << ((r >> 16) % (f->mbits + 1));
		exp = (int64_t)((r >> 8) & 1 ? rel_exp : (uint64_t)f->bias) +
		      (int)((r >> 12) & 15) - 8;
		break;
	case 13: {
		/* subnormals, NaNs with random payloads, near overflow */
		const uint64_t ends[8] = {0,	    0,	      1,    2,
					  emax - 2, emax - 1, emax, emax};

		exp = (int64_t)ends[(r >> 8) & 7];
		break;
	}
	case 14:
		/* rel itself, negated, or one ulp away: equal operands for
		 * compares and min/max, total cancellation for sub */
		switch ((r >> 8) & 3) {
		case 0:
			return rel;
		case 1:
			return rel ^ signbit;
		case 2:
			return (rel + 1) & fp_width_mask(f);
		default:
			return (rel - 1) & fp_width_mask(f);
		}
	default: {
		/* small integers and halves */
		uint64_t v = fp_fixed(f, (r >> 8) & 63, (int)((r >> 14) & 1));

		return v == NO_VALUE ? 0 : v ^ (sign ? signbit : 0);
	}
	}
	if (exp < 0)
		exp = 0;
	if ((uint64_t)exp > emax)
		exp = (int64_t)emax;
	return fp_make(f, sign, (uint64_t)exp, m);
}

/* A single in an f register: NaN-boxed, but one time in 16 not (upper
 * half not all ones), which an instruction must read as the canonical
 * NaN. */
FMT_INLINE uint64_t gen_s(uint64_t *s, uint64_t rel, uint64_t r)
{
	static const uint64_t bad_upper[4] = {0, 0x7fffffff, 0xfffffffe,
					      0xffff0000};
	uint64_t v = gen_fp(&fmt_s, &edges_s, s, rel, r);

	if (((r >> 28) & 15) == 0)
		return v | bad_upper[(r >> 26) & 3] << 32;
	return v | 0xffffffff00000000ul;
}

FMT_INLINE uint64_t gen_x(uint64_t *s, uint64_t rel, uint64_t r)
{
	uint64_t m = rng_next(s);
	uint64_t neg = (r >> 4) & 1;
	unsigned k = (r >> 8) & 63;

	switch (r & 15) {
	case 0:
	case 1:
	case 2: {
		uint64_t v = edges_x.v[(r >> 16) % edges_x.n];

		return neg ? -v : v;
	}
	case 3:
	case 4:
	case 5:
	case 6:
		return m;
	case 7:
	case 8:
		/* every magnitude: int-to-float rounding, clz */
		m >>= k;
		return neg ? -m : m;
	case 9:
		return (1ul << k) + (int)((r >> 14) & 7) - 4;
	case 10:
		/* sparse bits: ctz, cpop, carry-less products */
		return m & rng_next(s) & rng_next(s);
	case 11: {
		/* whole bytes zero or all ones: orc.b, rev8 */
		uint64_t v = m;
		unsigned i;

		for (i = 0; i < 8; i++) {
			if ((r >> (16 + i)) & 1)
				v &= ~(0xfful << (8 * i));
			else if ((r >> (24 + i)) & 1)
				v |= 0xfful << (8 * i);
		}
		return v;
	}
	case 12:
		return (uint64_t)(int64_t)(int32_t)m; /* a sign-extended word */
	case 13:
		return (uint32_t)m;
	case 14:
		switch ((r >> 16) & 7) {
		case 0:
		case 1:
			return rel;
		case 2:
			return rel + 1;
		case 3:
			return rel - 1;
		case 4:
			return ~rel;
		case 5:
			return -rel;
		default:
			return rel ^ (1ul << k);
		}
	default:
		return (uint64_t)((int64_t)((r >> 8) & 127) - 64);
	}
}

FMT_INLINE uint64_t gen_d(uint64_t *s, uint64_t rel, uint64_t r)
{
	return gen_fp(&fmt_d, &edges_d, s, rel, r);
}

FMT_INLINE uint64_t gen(enum src src, uint64_t *s, uint64_t rel, uint64_t r)
{
	switch (src) {
	case SRC_S:
		return gen_s(s, rel, r);
	case SRC_D:
		return gen_d(s, rel, r);
	default:
		return gen_x(s, rel, r);
	}
}

/* A value with the exponent of -(a * b), roughly: for a fused
 * multiply-add's addend to sit near the product and cancel it. */
FMT_INLINE uint64_t product_rel(enum src src, uint64_t a, uint64_t b)
{
	const struct fmt *f = src == SRC_S ? &fmt_s : &fmt_d;
	uint64_t emax = fp_emax(f);
	uint64_t sa = (a >> (f->mbits + f->ebits)) & 1;
	uint64_t sb = (b >> (f->mbits + f->ebits)) & 1;
	int64_t exp = (int64_t)((a >> f->mbits) & emax) +
		      (int64_t)((b >> f->mbits) & emax) - f->bias;

	if (exp < 0)
		exp = 0;
	if ((uint64_t)exp > emax - 1)
		exp = (int64_t)emax - 1;
	return fp_make(f, sa ^ sb ^ 1, (uint64_t)exp, a);
}

/* ---- The classes ---- */

enum shape {
	SH_RM,	/* six stubs: rm = 0..4, 7 */
	SH_ONE, /* one stub */
	SH_IMM, /* one stub per immediate */
};

struct op_class {
	const char *name;
	op_fn *const *stubs;
	uint8_t src;  /* enum src */
	uint8_t nsrc; /* source operands: 1..3 */
	uint8_t shape;
	uint8_t nimm;	/* SH_IMM: immediates 0..nimm-1, one per operation */
	bool fma;	/* the third operand sits near -(a * b) */
	uint8_t errata; /* enum errata: the oracle's known wrong results */
};

/*
 * Where QEMU 7.2, the oracle, is wrong, found by this test: under QEMU
 * (SBI implementation not memvisor's) the result is put right before it
 * counts, and the run says so. memvisor's results always count as they
 * are.
 */
enum errata {
	ERRATA_NONE,
	/* ctzw with a zero low word and a nonzero upper word: QEMU 7.2
	 * returns ctz of all 64 bits (ctzw 0x800000000 = 35); the spec's
	 * value is 32 */
	ERRATA_QEMU_CTZW,
};

#define RM(n, sym, src, k)                                                     \
	{                                                                      \
		n, sym, src, k, SH_RM, 0, false, ERRATA_NONE                   \
	}
#define FMA(n, sym, src)                                                       \
	{                                                                      \
		n, sym, src, 3, SH_RM, 0, true, ERRATA_NONE                    \
	}
#define ONE(n, sym, src, k)                                                    \
	{                                                                      \
		n, sym, src, k, SH_ONE, 0, false, ERRATA_NONE                  \
	}
#define IMM(n, sym, nimm)                                                      \
	{                                                                      \
		n, sym, SRC_X, 1, SH_IMM, nimm, false, ERRATA_NONE             \
	}

static const struct op_class classes[] = {
    /* control: base RV64I, for the harness itself */
    ONE("add", op_add, SRC_X, 2),
    /* Zba */
    ONE("add.uw", op_add_uw, SRC_X, 2),
    ONE("sh1add", op_sh1add, SRC_X, 2),
    ONE("sh2add", op_sh2add, SRC_X, 2),
    ONE("sh3add", op_sh3add, SRC_X, 2),
    ONE("sh1add.uw", op_sh1add_uw, SRC_X, 2),
    ONE("sh2add.uw", op_sh2add_uw, SRC_X, 2),
    ONE("sh3add.uw", op_sh3add_uw, SRC_X, 2),
    IMM("slli.uw", op_slli_uw, 64),
    /* Zbb */
    ONE("andn", op_andn, SRC_X, 2),
    ONE("orn", op_orn, SRC_X, 2),
    ONE("xnor", op_xnor, SRC_X, 2),
    ONE("clz", op_clz, SRC_X, 1),
    ONE("clzw", op_clzw, SRC_X, 1),
    ONE("ctz", op_ctz, SRC_X, 1),
    {"ctzw", op_ctzw, SRC_X, 1, SH_ONE, 0, false, ERRATA_QEMU_CTZW},
    ONE("cpop", op_cpop, SRC_X, 1),
    ONE("cpopw", op_cpopw, SRC_X, 1),
    ONE("max", op_max, SRC_X, 2),
    ONE("maxu", op_maxu, SRC_X, 2),
    ONE("min", op_min, SRC_X, 2),
    ONE("minu", op_minu, SRC_X, 2),
    ONE("sext.b", op_sext_b, SRC_X, 1),
    ONE("sext.h", op_sext_h, SRC_X, 1),
    ONE("zext.h", op_zext_h, SRC_X, 1),
    ONE("rol", op_rol, SRC_X, 2),
    ONE("rolw", op_rolw, SRC_X, 2),
    ONE("ror", op_ror, SRC_X, 2),
    ONE("rorw", op_rorw, SRC_X, 2),
    IMM("rori", op_rori, 64),
    IMM("roriw", op_roriw, 32),
    ONE("orc.b", op_orc_b, SRC_X, 1),
    ONE("rev8", op_rev8, SRC_X, 1),
    /* Zbc */
    ONE("clmul", op_clmul, SRC_X, 2),
    ONE("clmulh", op_clmulh, SRC_X, 2),
    ONE("clmulr", op_clmulr, SRC_X, 2),
    /* Zbs */
    ONE("bclr", op_bclr, SRC_X, 2),
    ONE("bext", op_bext, SRC_X, 2),
    ONE("binv", op_binv, SRC_X, 2),
    ONE("bset", op_bset, SRC_X, 2),
    IMM("bclri", op_bclri, 64),
    IMM("bexti", op_bexti, 64),
    IMM("binvi", op_binvi, 64),
    IMM("bseti", op_bseti, 64),
    /* F */
    RM("fadd.s", op_fadd_s, SRC_S, 2),
    RM("fsub.s", op_fsub_s, SRC_S, 2),
    RM("fmul.s", op_fmul_s, SRC_S, 2),
    RM("fdiv.s", op_fdiv_s, SRC_S, 2),
    RM("fsqrt.s", op_fsqrt_s, SRC_S, 1),
    ONE("fmin.s", op_fmin_s, SRC_S, 2),
    ONE("fmax.s", op_fmax_s, SRC_S, 2),
    FMA("fmadd.s", op_fmadd_s, SRC_S),
    FMA("fmsub.s", op_fmsub_s, SRC_S),
    FMA("fnmadd.s", op_fnmadd_s, SRC_S),
    FMA("fnmsub.s", op_fnmsub_s, SRC_S),
    ONE("fsgnj.s", op_fsgnj_s, SRC_S, 2),
    ONE("fsgnjn.s", op_fsgnjn_s, SRC_S, 2),
    ONE("fsgnjx.s", op_fsgnjx_s, SRC_S, 2),
    ONE("feq.s", op_feq_s, SRC_S, 2),
    ONE("flt.s", op_flt_s, SRC_S, 2),
    ONE("fle.s", op_fle_s, SRC_S, 2),
    ONE("fclass.s", op_fclass_s, SRC_S, 1),
    RM("fcvt.w.s", op_fcvt_w_s, SRC_S, 1),
    RM("fcvt.wu.s", op_fcvt_wu_s, SRC_S, 1),
    RM("fcvt.l.s", op_fcvt_l_s, SRC_S, 1),
    RM("fcvt.lu.s", op_fcvt_lu_s, SRC_S, 1),
    RM("fcvt.s.w", op_fcvt_s_w, SRC_X, 1),
    RM("fcvt.s.wu", op_fcvt_s_wu, SRC_X, 1),
    RM("fcvt.s.l", op_fcvt_s_l, SRC_X, 1),
    RM("fcvt.s.lu", op_fcvt_s_lu, SRC_X, 1),
    ONE("fmv.x.w", op_fmv_x_w, SRC_S, 1),
    ONE("fmv.w.x", op_fmv_w_x, SRC_X, 1),
    /* D */
    RM("fadd.d", op_fadd_d, SRC_D, 2),
    RM("fsub.d", op_fsub_d, SRC_D, 2),
    RM("fmul.d", op_fmul_d, SRC_D, 2),
    RM("fdiv.d", op_fdiv_d, SRC_D, 2),
    RM("fsqrt.d", op_fsqrt_d, SRC_D, 1),
    ONE("fmin.d", op_fmin_d, SRC_D, 2),
    ONE("fmax.d", op_fmax_d, SRC_D, 2),
    FMA("fmadd.d", op_fmadd_d, SRC_D),
    FMA("fmsub.d", op_fmsub_d, SRC_D),
    FMA("fnmadd.d", op_fnmadd_d, SRC_D),
    FMA("fnmsub.d", op_fnmsub_d, SRC_D),
    ONE("fsgnj.d", op_fsgnj_d, SRC_D, 2),
    ONE("fsgnjn.d", op_fsgnjn_d, SRC_D, 2),
    ONE("fsgnjx.d", op_fsgnjx_d, SRC_D, 2),
    ONE("feq.d", op_feq_d, SRC_D, 2),
    ONE("flt.d", op_flt_d, SRC_D, 2),
    ONE("fle.d", op_fle_d, SRC_D, 2),
    ONE("fclass.d", op_fclass_d, SRC_D, 1),
    RM("fcvt.s.d", op_fcvt_s_d, SRC_D, 1),
    RM("fcvt.d.s", op_fcvt_d_s, SRC_S, 1),
    RM("fcvt.w.d", op_fcvt_w_d, SRC_D, 1),
    RM("fcvt.wu.d", op_fcvt_wu_d, SRC_D, 1),
    RM("fcvt.l.d", op_fcvt_l_d, SRC_D, 1),
    RM("fcvt.lu.d", op_fcvt_lu_d, SRC_D, 1),
    RM("fcvt.d.w", op_fcvt_d_w, SRC_X, 1),
    RM("fcvt.d.wu", op_fcvt_d_wu, SRC_X, 1),
    RM("fcvt.d.l", op_fcvt_d_l, SRC_X, 1),
    RM("fcvt.d.lu", op_fcvt_d_lu, SRC_X, 1),
    ONE("fmv.x.d", op_fmv_x_d, SRC_D, 1),
    ONE("fmv.d.x", op_fmv_d_x, SRC_X, 1),
};

#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

/* ---- Output ---- */

static void put_hex16(uint64_t v)
{
	int shift;

	for (shift = 60; shift >= 0; shift -= 4)
		putchar("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* fflags as five letters, NV DZ OF UF NX (bits 4..0), '-' for clear. */
static void put_flags(uint64_t fl)
{
	static const char letters[] = "NZOUX";
	int bit;

	for (bit = 4; bit >= 0; bit--)
		putchar((fl >> bit) & 1 ? letters[4 - bit] : '-');
}

static void put_line_head(char kind, const struct op_class *c, unsigned mode)
{
	putchar(kind);
	putchar(' ');
	puts(c->name);
	putchar(' ');
	puts(mode_names[mode]);
	putchar(' ');
}

/* ---- Running a line ---- */

/* What to print besides the line's hash. */
struct detail {
	uint64_t chunk;	     /* C line every chunk operations; 0: none */
	uint64_t from, last; /* D lines for operations [from, last) */
	bool time;	     /* T line */
	bool dry;	     /* op_add in place of the instruction */
	bool errata;	     /* under QEMU: put its known errors right */
};

static uint64_t hash_mix(uint64_t h, uint64_t v)
{
	h = (h ^ v) * 0x9e3779b97f4a7c15ul;
	return h ^ (h >> 29);
}

static uint64_t line_seed(const struct op_class *c, unsigned mode)
{
	uint64_t h = 0xcbf29ce484222325ul; /* FNV-1a over the name */
	const char *p;

	for (p = c->name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ul;
	h = hash_mix(h, mode);
	return h ? h : 1;
}

static void put_trap(const struct op_class *c, unsigned mode, uint64_t done)
{
	const volatile struct trap_rec *t = &self()->last;

	put_line_head('H', c, mode);
	puts("trap after ");
	put_dec(done);
	puts(" ops: scause ");
	put_hex(t->cause);
	puts(" sepc ");
	put_hex(t->epc);
	puts(" stval ");
	put_hex(t->tval);
	putchar('\n');
}

/* Set frm; false (after printing the trap) when the write trapped. */
static bool frm_set(const struct op_class *c, unsigned mode, uint64_t frm)
{
	uint64_t n = self()->nexc;

	__asm__ volatile(ARM_TRAP "csrw " STR(CSR_FRM) ", %0" TRAP_POINT
			 :
			 : "r"(frm)
			 : "t6", "memory");
	if (self()->nexc == n)
		return true;
	put_trap(c, mode, 0);
	return false;
}

/* Print operation i in full: a D line. */
static void put_op(const struct op_class *c, unsigned mode, uint64_t i,
		   const uint64_t src[3], uint64_t imm, struct op_res r)
{
	put_line_head('D', c, mode);
	put_dec(i);
	putchar(' ');
	put_hex16(src[0]);
	putchar(' ');
	put_hex16(src[1]);
	putchar(' ');
	put_hex16(src[2]);
	putchar(' ');
	put_dec(imm);
	puts(" -> ");
	put_hex16(r.val);
	putchar(' ');
	put_flags(r.flags);
	putchar('\n');
}

/* The first operation at or after i that prints a D or C line; ~0 for
 * none. */
static uint64_t next_event(const struct detail *d, uint64_t i)
{
	uint64_t next = ~0ul;

	if (i < d->from)
		next = d->from;
	else if (i < d->last)
		next = i;
	if (d->chunk && (i / d->chunk + 1) * d->chunk - 1 < next)
		next = (i / d->chunk + 1) * d->chunk - 1;
	return next;
}

/* After operation i (its operands src, its result r): the D and C lines
 * due; returns the next operation that has some. */
static __attribute__((noinline)) uint64_t
line_event(const struct op_class *c, unsigned mode, const struct detail *d,
	   uint64_t i, const uint64_t src[3], uint64_t imm, struct op_res r,
	   uint64_t h)
{
	if (i >= d->from && i < d->last)
		put_op(c, mode, i, src, imm, r);
	if (d->chunk && (i + 1) % d->chunk == 0) {
		put_line_head('C', c, mode);
		put_dec((i + 1) / d->chunk - 1);
		putchar(' ');
		put_hex16(h);
		putchar('\n');
	}
	return next_event(d, i + 1);
}

/*
 * Operations 0 .. nops-1 of a line, through fn (or the immediate's stub).
 * Inlined once per kind and count of operands, so that the generators
 * fold into the loop: the harness's cost per operation is what bounds
 * the run's time under an interpreter. Returns the operations done, fewer
 * than nops when one trapped; *hash gets the hash.
 */
FMT_INLINE uint64_t line_loop(const struct op_class *c, unsigned mode,
			      uint64_t nops, const struct detail *d, op_fn *fn,
			      uint64_t *hash, enum src src, unsigned nsrc)
{
	uint64_t s = line_seed(c, mode), h = 0, i, imm = 0;
	uint64_t event = next_event(d, 0);
	struct hart_local *hl = self();
	bool per_imm = c->shape == SH_IMM && !d->dry, fma = c->fma;
	bool ctzw_fix = d->errata && !d->dry && c->errata == ERRATA_QEMU_CTZW;

	for (i = 0; i < nops; i++) {
		/* one draw chooses the kinds of a and b, 32 bits each */
		uint64_t kinds = rng_next(&s), op[3] = {0, 0, 0};
		struct op_res r;

		op[0] = gen(src, &s, 0, (uint32_t)kinds);
		if (nsrc > 1)
			op[1] = gen(src, &s, op[0], kinds >> 32);
		if (nsrc > 2)
			op[2] =
			    gen(src, &s,
				fma ? product_rel(src, op[0], op[1]) : op[1],
				(uint32_t)rng_next(&s));
		if (c->shape == SH_IMM) {
			imm = i % c->nimm;
			if (per_imm)
				fn = c->stubs[imm];
		}
		hl->resume = (uint64_t)op_trapped;
		r = fn(op[0], op[1], op[2]);
		if (r.flags == OP_TRAPPED)
			break;
		if (ctzw_fix && (uint32_t)op[0] == 0)
			r.val = 32;
		/* fflags are 5 bits: fold them into the top of the word */
		h = hash_mix(h, r.val ^ r.flags << 58);
		if (i == event)
			event = line_event(c, mode, d, i, op, imm, r, h);
	}
	hl->resume = 0;
	*hash = h;
	return i;
}

static void line_run(const struct op_class *c, unsigned mode, uint64_t nops,
		     const struct detail *d)
{
	uint64_t h = 0, done = 0, t0 = rdtime();
	op_fn *fn = c->stubs[0];
	uint64_t frm = 0;

	if (c->shape == SH_RM) {
		/* static rm: frm holds another mode, which must not count */
		frm = mode < 5 ? (mode + 2) % 5 : mode - 5;
		fn = c->stubs[mode < 5 ? mode : 5];
	}
	if (d->dry)
		fn = op_add[0];
	if (!frm_set(c, mode, frm))
		return;
#define LOOP(src, n)                                                           \
	case (src)*4 + (n):                                                    \
		done = line_loop(c, mode, nops, d, fn, &h, src, n);            \
		break
	switch (c->src * 4 + c->nsrc) {
		LOOP(SRC_X, 1);
		LOOP(SRC_X, 2);
		LOOP(SRC_S, 1);
		LOOP(SRC_S, 2);
		LOOP(SRC_S, 3);
		LOOP(SRC_D, 1);
		LOOP(SRC_D, 2);
		LOOP(SRC_D, 3);
	}
#undef LOOP
	if (done < nops) {
		put_trap(c, mode, done);
		return;
	}
	put_line_head('H', c, mode);
	put_dec(nops);
	putchar(' ');
	put_hex16(h);
	putchar('\n');
	if (d->time) {
		put_line_head('T', c, mode);
		put_dec(rdtime() - t0);
		putchar('\n');
	}
}

static bool word_is(const char *v, size_t len, const char *s)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != v[i])
			return false;
	return s[len] == 0;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	const char *args = bootargs_find(dtb), *cls = NULL, *md = NULL;
	size_t cls_len = 0, md_len = 0, len;
	uint64_t ops = bootargs_num(args, "fpdiff.ops", 1000000), t0;
	struct detail d = {0, 0, 0, false, false, false};
	const char *v;
	unsigned i, mode;

	(void)hartid;
	csr_set(sstatus, SSTATUS_FS);
	edges_fp(&fmt_s, &edges_s);
	edges_fp(&fmt_d, &edges_d);
	edges_int(&edges_x);

	if (bootargs_get(args, "fpdiff.list", &v, &len)) {
		for (i = 0; i < NCLASSES; i++) {
			puts("L ");
			puts(classes[i].name);
			puts(classes[i].shape == SH_RM ? " 10\n" : " 1\n");
		}
		return;
	}
	if (!bootargs_get(args, "fpdiff.class", &cls, &cls_len))
		cls = NULL;
	if (!bootargs_get(args, "fpdiff.mode", &md, &md_len))
		md = NULL;
	d.chunk = bootargs_num(args, "fpdiff.chunk", 0);
	d.from = bootargs_num(args, "fpdiff.from", 0);
	d.last = d.from + bootargs_num(args, "fpdiff.count", 0);
	d.time = bootargs_get(args, "fpdiff.time", &v, &len);
	d.dry = bootargs_get(args, "fpdiff.dry", &v, &len);
	d.errata = SBI0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID).value !=
		   SBI_IMPL_ID_MEMVISOR;

	puts("fpdiff: ");
	put_dec(ops);
	puts(" operations per class\n");
	if (d.errata)
		puts("fpdiff: oracle errata: ctzw with a zero low word and a "
		     "nonzero upper word gives ctz of all 64 bits under QEMU "
		     "7.2; counted as 32, the spec's value\n");
	t0 = rdtime();
	for (i = 0; i < NCLASSES; i++) {
		const struct op_class *c = &classes[i];

		if (cls && !word_is(cls, cls_len, c->name))
			continue;
		if (c->shape != SH_RM) {
			if (!md || word_is(md, md_len, mode_names[MODE_ONE]))
				line_run(c, MODE_ONE, ops, &d);
			continue;
		}
		for (mode = 0; mode < NMODES; mode++)
			if (!md || word_is(md, md_len, mode_names[mode]))
				line_run(c, mode, ops / NMODES, &d);
	}
	puts("fpdiff: done in ");
	put_dec((rdtime() - t0) / (TIMEBASE_HZ / 1000));
	puts(" ms\n");
}
