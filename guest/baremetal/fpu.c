/* SPDX-License-Identifier: MIT */
/*
 * The F and D extensions as a guest sees them: sstatus.FS gating and
 * Dirty tracking, rounding-mode rules, NaN-boxing, the compressed FP loads
 * and stores, fflags accrual, and a few results derived by hand from the
 * RISC-V unprivileged specification (chapters "F", "D", "C") and the
 * privileged specification (sstatus.FS/SD).
 *
 * Built with -march=rv64imafdc (baremetal.mk); the C code itself uses no
 * FP (the lp64 ABI), every FP instruction is inline assembly, values go
 * in and out through fmv.d.x/fmv.x.d.
 *
 * Check codes: 1xx FS Off traps, 2xx FS state, 3xx rounding modes,
 * 4xx NaN-boxing, 5xx compressed loads/stores, 6xx fflags, 7xx results.
 */
#include "lib.h"

TEST_NAME("fpu");

#define FS_OFF	   (0ul << 13)
#define FS_INITIAL (1ul << 13)
#define FS_CLEAN   (2ul << 13)
#define FS_DIRTY   (3ul << 13)

#define NV 0x10
#define DZ 0x08
#define OF 0x04
#define UF 0x02
#define NX 0x01

static void fs_set(unsigned long fs)
{
	csr_clear(sstatus, SSTATUS_FS);
	csr_set(sstatus, fs);
}

static unsigned long fs_get(void)
{
	return csr_read(sstatus) & SSTATUS_FS;
}

/* Clear fflags, returning what they held. */
static unsigned long flags_take(void)
{
	return csr_swap(fflags, 0);
}

/* Run the 16- or 32-bit instruction emitted by directive (".word 0x..."
 * or ".half 0x..."); expect illegal instruction, sepc at it, stval = its
 * bits. */
#define CHECK_ILLEGAL_INSN(directive, bits, code)                              \
	ILLEGAL_AT(directive, bits, code, CHECK_EQ)

/* The same instruction must run without a trap. */
#define CHECK_RUNS(directive, code)                                            \
	do {                                                                   \
		uint64_t __n = self()->nexc;                                   \
		__asm__ volatile(ARM_TRAP directive TRAP_POINT                 \
				 :                                             \
				 :                                             \
				 : "t6", "ft1", "memory");                     \
		CHECK_EQ(self()->nexc, __n, code);                             \
	} while (0)

/* insn "fd, fa, fb" on 64-bit register images a and b. */
#define FOP2(insn, a, b)                                                       \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile("fmv.d.x ft0, %1\n\t"                         \
				 "fmv.d.x ft1, %2\n\t" insn                    \
				 " ft2, ft0, ft1\n\t"                          \
				 "fmv.x.d %0, ft2"                             \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a)), "r"((uint64_t)(b))      \
				 : "ft0", "ft1", "ft2");                       \
		__r;                                                           \
	})

/* insn "fd, fa, fb, fc". */
#define FOP3(insn, a, b, c)                                                    \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile("fmv.d.x ft0, %1\n\t"                         \
				 "fmv.d.x ft1, %2\n\t"                         \
				 "fmv.d.x ft2, %3\n\t" insn                    \
				 " ft3, ft0, ft1, ft2\n\t"                     \
				 "fmv.x.d %0, ft3"                             \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a)), "r"((uint64_t)(b)),     \
				   "r"((uint64_t)(c))                          \
				 : "ft0", "ft1", "ft2", "ft3");                \
		__r;                                                           \
	})

/* insn "xd, fa" (an integer result) or "xd, fa, fb". */
#define FTOX(insn, a)                                                          \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile("fmv.d.x ft0, %1\n\t" insn " %0, ft0"         \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a))                          \
				 : "ft0");                                     \
		__r;                                                           \
	})
#define FCMP(insn, a, b)                                                       \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile("fmv.d.x ft0, %1\n\t"                         \
				 "fmv.d.x ft1, %2\n\t" insn " %0, ft0, ft1"    \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a)), "r"((uint64_t)(b))      \
				 : "ft0", "ft1");                              \
		__r;                                                           \
	})

/* insn "fd, fa" (one FP source). */
#define FOP1(insn, a)                                                          \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile("fmv.d.x ft0, %1\n\t" insn " ft1, ft0\n\t"    \
				 "fmv.x.d %0, ft1"                             \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a))                          \
				 : "ft0", "ft1");                              \
		__r;                                                           \
	})

/* insn "fd, xa" (an integer source). */
#define XTOF(insn, a)                                                          \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile(insn " ft0, %1\n\t"                           \
				      "fmv.x.d %0, ft0"                        \
				 : "=r"(__r)                                   \
				 : "r"((uint64_t)(a))                          \
				 : "ft0");                                     \
		__r;                                                           \
	})

#define BOX(v)	(0xffffffff00000000ul | (uint32_t)(v))
#define ONE_S	0x3f800000ul
#define ONE_D	0x3ff0000000000000ul
#define QNAN_S	0x7fc00000ul
#define SNAN_S	0x7f800001ul
#define QNAN_D	0x7ff8000000000000ul
#define TWO_D	0x4000000000000000ul
#define THREE_S 0x40400000ul

static void check_fs_off(void)
{
	fs_set(FS_OFF);
	CHECK_EQ(fs_get(), FS_OFF, 100);
	/* flw ft0, 0(a0); fadd.d ft1, ft2, ft3; fmv.x.w a0, ft0; csrr a0,
	 * fcsr; fsd ft0, 0(a0); fmadd.s ft0, ft1, ft2, ft3; fcvt.d.s fa0,
	 * fa1. They trap before any access. */
	CHECK_ILLEGAL_INSN(".word 0x00052007", 0x00052007, 101);
	CHECK_ILLEGAL_INSN(".word 0x023170d3", 0x023170d3, 104);
	CHECK_ILLEGAL_INSN(".word 0xe0000553", 0xe0000553, 107);
	CHECK_ILLEGAL_INSN(".word 0x00302573", 0x00302573, 110);
	CHECK_ILLEGAL_INSN(".word 0x00053027", 0x00053027, 113);
	CHECK_ILLEGAL_INSN(".word 0x1820f043", 0x1820f043, 116);
	CHECK_ILLEGAL_INSN(".word 0x42058553", 0x42058553, 119);
	/* Compressed: c.fld fa0, 0(a1) and c.fsdsp ft0, 0(sp); stval holds
	 * the 16-bit instruction. */
	CHECK_ILLEGAL_INSN(".half 0x2188", 0x2188, 122);
	CHECK_ILLEGAL_INSN(".half 0xa002", 0xa002, 125);
	/* fflags and frm too. */
	CHECK_ILLEGAL_INSN(".word 0x00102573", 0x00102573,
			   128); /* csrr fflags */
	CHECK_ILLEGAL_INSN(".word 0x00201073", 0x00201073, 131); /* fsrm zero */
	CHECK_EQ(fs_get(), FS_OFF, 134);
	CHECK_EQ(csr_read(sstatus) & SSTATUS_SD, 0, 135);
}

static void check_fs_state(void)
{
	uint64_t v = 0x1234;

	/* Initial -> Dirty on an f register write; SD follows. */
	fs_set(FS_INITIAL);
	CHECK_EQ(fs_get(), FS_INITIAL, 200);
	CHECK_EQ(csr_read(sstatus) & SSTATUS_SD, 0, 201);
	__asm__ volatile("fmv.w.x ft0, zero" : : : "ft0");
	CHECK_EQ(fs_get(), FS_DIRTY, 202);
	CHECK_EQ(csr_read(sstatus) & SSTATUS_SD, SSTATUS_SD, 203);

	/* Clean: reading state (fsd, fmv.x.d, a compare raising nothing)
	 * leaves it Clean; a load into an f register makes it Dirty. */
	fs_set(FS_CLEAN);
	__asm__ volatile("fsd ft0, 0(%0)" : : "r"(&v) : "memory");
	CHECK_EQ(fs_get(), FS_CLEAN, 204);
	CHECK_EQ(v, 0xffffffff00000000ul, 205); /* fmv.w.x boxed 0 */
	__asm__ volatile("fld ft1, 0(%0)" : : "r"(&v) : "ft1", "memory");
	CHECK_EQ(fs_get(), FS_DIRTY, 206);

	/* ft1 = 0xffffffff00000000, a quiet NaN as a double. fflags = 0. */
	csr_write(fflags, 0);
	fs_set(FS_CLEAN);
	__asm__ volatile("fmv.x.d t0, ft1" : : : "t0");
	CHECK_EQ(fs_get(), FS_CLEAN, 207);
	/* feq is quiet on a quiet NaN: no flag, still Clean. */
	__asm__ volatile("feq.d t0, ft1, ft1" : : : "t0");
	CHECK_EQ(fs_get(), FS_CLEAN, 208);
	/* flt raises NV: fflags changes, so the state is Dirty though no
	 * f register was written. */
	__asm__ volatile("flt.d t0, ft1, ft1" : : : "t0");
	CHECK_EQ(fs_get(), FS_DIRTY, 209);
	CHECK_EQ(csr_read(sstatus) & SSTATUS_SD, SSTATUS_SD, 210);
	CHECK_EQ(flags_take(), NV, 211);

	/* Writing fflags through the CSR dirties too. */
	fs_set(FS_INITIAL);
	csr_write(fflags, 0);
	CHECK_EQ(fs_get(), FS_DIRTY, 213);
	fs_set(FS_DIRTY);
}

static void check_rounding_modes(void)
{
	fs_set(FS_DIRTY);
	csr_write(frm, 0);
	/* Static rm 5 and 6 are reserved: fadd.s ft1, ft2, ft3, rm. */
	CHECK_ILLEGAL_INSN(".word 0x003150d3", 0x003150d3, 300);
	CHECK_ILLEGAL_INSN(".word 0x003160d3", 0x003160d3, 303);
	/* fmadd.d with rm 6; fcvt.w.d a0, ft0 with rm 5. */
	CHECK_ILLEGAL_INSN(".word 0x1a20e043", 0x1a20e043, 306);
	CHECK_ILLEGAL_INSN(".word 0xc2005553", 0xc2005553, 309);
	/* Dynamic (rm 7) with frm 5, 6, 7 is illegal at execution. */
	for (unsigned long frm = 5; frm <= 7; frm++) {
		csr_write(frm, frm);
		CHECK_EQ(csr_read(frm), frm, 312);
		CHECK_ILLEGAL_INSN(".word 0x003170d3", 0x003170d3, 313);
		/* fcvt.d.w ft0, a0 (dyn) rounds nothing but has an rm. */
		CHECK_ILLEGAL_INSN(".word 0xd2057053", 0xd2057053, 316);
		/* A static mode still runs: fadd.s ft1, ft2, ft3, rne. */
		CHECK_RUNS(".word 0x003100d3", 319);
		/* Not rounding, no rm field: fsgnj.s ft1, ft2, ft3. */
		CHECK_RUNS(".word 0x203100d3", 320);
	}
	csr_write(frm, 0);
	CHECK_RUNS(".word 0x003170d3", 321);

	/* 1/3 in f32 is 0x3eaaaaaa.aaa...: RNE/RUP give ...ab, RTZ/RDN
	 * ...aa; the dynamic mode follows frm, a static one ignores it. */
	csr_write(frm, 1); /* RTZ */
	CHECK_EQ(FOP2("fdiv.s", BOX(ONE_S), BOX(THREE_S)), BOX(0x3eaaaaaa),
		 330);
	csr_write(frm, 3); /* RUP */
	CHECK_EQ(FOP2("fdiv.s", BOX(ONE_S), BOX(THREE_S)), BOX(0x3eaaaaab),
		 332);
	/* A static mode (rdn) wins over frm. */
	{
		uint64_t r;

		__asm__ volatile("fmv.d.x ft0, %1\n\t"
				 "fmv.d.x ft1, %2\n\t"
				 "fdiv.s ft2, ft0, ft1, rdn\n\t"
				 "fmv.x.d %0, ft2"
				 : "=r"(r)
				 : "r"(BOX(ONE_S)), "r"(BOX(THREE_S))
				 : "ft0", "ft1", "ft2");
		CHECK_EQ(r, BOX(0x3eaaaaaa), 334);
	}
	/* RMM (frm 4): 1 + 2^-24 is a tie, away from zero. */
	csr_write(frm, 4);
	CHECK_EQ(FOP2("fadd.s", BOX(ONE_S), BOX(0x33800000)), BOX(0x3f800001),
		 335);
	csr_write(frm, 0);
	CHECK_EQ(FOP2("fadd.s", BOX(ONE_S), BOX(0x33800000)), BOX(ONE_S), 336);
	/* fcsr = frm << 5 | fflags. */
	csr_write(fcsr, 0);
	csr_write(frm, 2);
	CHECK_EQ(csr_read(fcsr), 2 << 5, 337);
	csr_write(frm, 0);
	(void)flags_take();
}

static void check_nan_boxing(void)
{
	uint32_t word = ONE_S, out = 0;
	uint64_t r;

	fs_set(FS_DIRTY);
	/* flw NaN-boxes. */
	__asm__ volatile("flw ft0, 0(%1)\n\t"
			 "fmv.x.d %0, ft0"
			 : "=r"(r)
			 : "r"(&word)
			 : "ft0", "memory");
	CHECK_EQ(r, BOX(ONE_S), 400);
	/* A single operand that is not boxed reads as the canonical NaN. */
	CHECK_EQ(FOP2("fadd.s", ONE_S, BOX(ONE_S)), BOX(QNAN_S), 401);
	CHECK_EQ(FOP2("fsgnj.s", 0xfffffffe3f800000ul, 0xfffffffe3f800000ul),
		 BOX(QNAN_S), 402);
	CHECK_EQ(FOP2("fsgnjn.s", ONE_S, BOX(0)), BOX(0xffc00000), 403);
	CHECK_EQ(FOP1("fcvt.d.s", 0x000000003f800000ul), QNAN_D, 404);
	CHECK_EQ(FTOX("fclass.s", ONE_S), 1u << 9, 405); /* quiet NaN */
	CHECK_EQ(FOP1("fcvt.d.s", BOX(ONE_S)), ONE_D, 406);
	/* The moves take the raw low 32 bits: fmv.x.w sign-extends them,
	 * fsw stores them. */
	CHECK_EQ(FTOX("fmv.x.w", 0x12345678bf800000ul), 0xffffffffbf800000ul,
		 407);
	CHECK_EQ(FTOX("fmv.x.w", 0x000000003f800000ul), ONE_S, 408);
	__asm__ volatile("fmv.d.x ft0, %1\n\t"
			 "fsw ft0, 0(%0)"
			 :
			 : "r"(&out), "r"(0x0000000040400000ul)
			 : "ft0", "memory");
	CHECK_EQ(out, THREE_S, 409);
	/* fmv.w.x boxes; single results are boxed. */
	CHECK_EQ(XTOF("fmv.w.x", 0xabcdef0180000000ul), BOX(0x80000000), 410);
	CHECK_EQ(FOP2("fadd.s", BOX(ONE_S), BOX(ONE_S)), BOX(0x40000000), 411);
	CHECK_EQ(XTOF("fcvt.s.l", -1l), BOX(0xbf800000), 412);
	(void)flags_take();
}

static void check_compressed(void)
{
	uint64_t mem[4] = {0x400921fb54442d18ul, 0, 0, 0}, a = 0, b = 0;

	fs_set(FS_DIRTY);
	/* c.fld fa0, 0(a1); c.fsd fa0, 8(a1); c.fld fa1, 8(a1). */
	__asm__ volatile(".option push\n\t.option rvc\n\t"
			 "mv a1, %1\n\t"
			 "c.fld fa0, 0(a1)\n\t"
			 "c.fsd fa0, 8(a1)\n\t"
			 "c.fld fa1, 8(a1)\n\t"
			 "fmv.x.d %0, fa1\n\t"
			 ".option pop"
			 : "=r"(a)
			 : "r"(mem)
			 : "a1", "fa0", "fa1", "memory");
	CHECK_EQ(a, 0x400921fb54442d18ul, 500);
	CHECK_EQ(mem[1], 0x400921fb54442d18ul, 501);
	/* c.fsdsp / c.fldsp with the largest offset the stack frame gives. */
	__asm__ volatile(".option push\n\t.option rvc\n\t"
			 "addi sp, sp, -512\n\t"
			 "fmv.d.x ft3, %1\n\t"
			 "c.fsdsp ft3, 504(sp)\n\t"
			 "c.fsdsp ft3, 8(sp)\n\t"
			 "c.fldsp ft4, 504(sp)\n\t"
			 "fmv.x.d %0, ft4\n\t"
			 "ld t0, 8(sp)\n\t"
			 "xor %0, %0, t0\n\t"
			 "ld t0, 504(sp)\n\t"
			 "xor %0, %0, t0\n\t"
			 "addi sp, sp, 512\n\t"
			 ".option pop"
			 : "=&r"(b)
			 : "r"(0x0123456789abcdeful)
			 : "t0", "ft3", "ft4", "memory");
	/* v ^ v ^ v */
	CHECK_EQ(b, 0x0123456789abcdeful, 502);
}

static void check_fflags(void)
{
	fs_set(FS_DIRTY);
	csr_write(fcsr, 0);
	/* 1/0: DZ; then 1/3 adds NX; sqrt(-1) adds NV; max * 2 adds OF. */
	FOP2("fdiv.d", ONE_D, 0);
	CHECK_EQ(csr_read(fflags), DZ, 600);
	FOP2("fdiv.d", ONE_D, 0x4008000000000000ul);
	CHECK_EQ(csr_read(fflags), DZ | NX, 601);
	FOP1("fsqrt.d", 0xbff0000000000000ul);
	CHECK_EQ(csr_read(fflags), DZ | NX | NV, 602);
	FOP2("fmul.d", 0x7fefffffffffffff, TWO_D);
	CHECK_EQ(csr_read(fflags), DZ | NX | NV | OF, 603);
	/* An exact operation clears nothing. */
	FOP2("fadd.d", ONE_D, ONE_D);
	CHECK_EQ(csr_read(fflags), DZ | NX | NV | OF, 604);
	/* Underflow: smallest normal f32 squared is tiny and inexact. */
	FOP2("fmul.s", BOX(0x00800000), BOX(0x00800000));
	CHECK_EQ(csr_read(fflags), 0x1f, 605);
	CHECK_EQ(flags_take(), 0x1f, 606);
	CHECK_EQ(csr_read(fflags), 0, 607);
	/* fcsr holds both; fflags writes leave frm alone. */
	csr_write(fcsr, 0xff);
	CHECK_EQ(csr_read(frm), 7, 608);
	CHECK_EQ(csr_read(fflags), 0x1f, 609);
	csr_write(fflags, 0);
	CHECK_EQ(csr_read(fcsr), 0xe0, 610);
	csr_write(fcsr, 0);
}

static void check_results(void)
{
	fs_set(FS_DIRTY);
	csr_write(fcsr, 0);
	/* fmin/fmax: -0 < +0; a quiet NaN gives the other operand. */
	CHECK_EQ(FOP2("fmin.s", BOX(0x80000000), BOX(0)), BOX(0x80000000), 700);
	CHECK_EQ(FOP2("fmax.s", BOX(0x80000000), BOX(0)), BOX(0), 701);
	CHECK_EQ(FOP2("fmax.d", QNAN_D, TWO_D), TWO_D, 702);
	CHECK_EQ(FOP2("fmin.d", QNAN_D, QNAN_D), QNAN_D, 703);
	CHECK_EQ(flags_take(), 0, 704);
	CHECK_EQ(FOP2("fmin.s", BOX(SNAN_S), BOX(ONE_S)), BOX(ONE_S), 705);
	CHECK_EQ(flags_take(), NV, 706);
	/* Saturating conversions. */
	CHECK_EQ(FTOX("fcvt.w.s", BOX(QNAN_S)), 0x7fffffff, 710);
	CHECK_EQ(flags_take(), NV, 711);
	CHECK_EQ(FTOX("fcvt.wu.d", 0xbff0000000000000ul), 0, 712);
	CHECK_EQ(flags_take(), NV, 713);
	{
		uint64_t r;

		__asm__ volatile("fmv.d.x ft0, %1\n\t"
				 "fcvt.wu.s %0, ft0, rtz"
				 : "=r"(r)
				 : "r"(BOX(0xbf000000)) /* -0.5 */
				 : "ft0");
		CHECK_EQ(r, 0, 716);
	}
	CHECK_EQ(flags_take(), NX, 717);
	CHECK_EQ(FTOX("fcvt.wu.s", BOX(0xbf800000)), 0, 714); /* -1.0 */
	CHECK_EQ(flags_take(), NV, 715);
	/* fcvt.wu's 32-bit result is sign-extended: 3e9. */
	CHECK_EQ(FTOX("fcvt.wu.d", 0x41e65a0bc0000000ul), 0xffffffffb2d05e00ul,
		 724);
	CHECK_EQ(FTOX("fcvt.l.d", 0x43e0000000000000ul), 0x7ffffffffffffffful,
		 725);
	CHECK_EQ(flags_take(), NV, 726);
	/* fclass. */
	CHECK_EQ(FTOX("fclass.d", 0xfff0000000000000ul), 1u << 0, 720);
	CHECK_EQ(FTOX("fclass.s", BOX(SNAN_S)), 1u << 8, 721);
	CHECK_EQ(FTOX("fclass.d", 0x0000000000000001ul), 1u << 5, 722);
	/* fma: inf * 0 + qNaN is invalid; fnmadd is -(a*b) - c. */
	CHECK_EQ(FOP3("fmadd.d", 0x7ff0000000000000ul, 0, QNAN_D), QNAN_D, 730);
	CHECK_EQ(flags_take(), NV, 731);
	CHECK_EQ(FOP3("fnmadd.s", BOX(ONE_S), BOX(0x40000000), BOX(THREE_S)),
		 BOX(0xc0a00000), 732);
	CHECK_EQ(FOP3("fnmsub.s", BOX(ONE_S), BOX(0x40000000), BOX(THREE_S)),
		 BOX(ONE_S), 733);
	CHECK_EQ(FOP3("fmsub.d", ONE_D, TWO_D, 0x4008000000000000ul),
		 0xbff0000000000000ul, 734);
	/* Compares: feq is quiet, flt signals. */
	CHECK_EQ(FCMP("feq.s", BOX(QNAN_S), BOX(QNAN_S)), 0, 740);
	CHECK_EQ(flags_take(), 0, 741);
	CHECK_EQ(FCMP("flt.s", BOX(QNAN_S), BOX(ONE_S)), 0, 742);
	CHECK_EQ(flags_take(), NV, 743);
	CHECK_EQ(FCMP("fle.d", 0x8000000000000000ul, 0), 1, 744);
	/* sqrt(2) in f64, rounded to nearest: 0x3ff6a09e667f3bcd. */
	CHECK_EQ(FOP1("fsqrt.d", TWO_D), 0x3ff6a09e667f3bcdul, 750);
	CHECK_EQ(flags_take(), NX, 751);
	/* f0 is a register like any other. */
	{
		uint64_t r;

		__asm__ volatile("fmv.d.x f0, %1\n\t"
				 "fadd.d f0, f0, f0\n\t"
				 "fmv.x.d %0, f0"
				 : "=r"(r)
				 : "r"(ONE_D)
				 : "f0");
		CHECK_EQ(r, TWO_D, 752);
	}
	/* fcvt.s.d of f64 max overflows. */
	CHECK_EQ(FOP1("fcvt.s.d", 0x7fefffffffffffffull), BOX(0x7f800000), 753);
	CHECK_EQ(flags_take(), OF | NX, 754);
	/* fcvt.d.wu takes the low 32 bits, zero-extended. */
	CHECK_EQ(XTOF("fcvt.d.wu", 0xfffffffffffffffful), 0x41efffffffe00000ul,
		 755);
	CHECK_EQ(XTOF("fcvt.d.w", 0x00000000fffffffful), 0xbff0000000000000ul,
		 756);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_fs_off();
	check_fs_state();
	check_rounding_modes();
	check_nan_boxing();
	check_compressed();
	check_fflags();
	check_results();
	fs_set(FS_OFF);
}
