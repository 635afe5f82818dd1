/* SPDX-License-Identifier: MIT */
/*
 * The translating tier against the interpreter (cpu/jit/): random
 * instruction sequences run on two harts, each over guest memory of its
 * own holding the same code and data, one interpreting, one translating
 * (every block on its first run, or on its second, so that a block runs
 * interpreted first and translated after). After each sequence the whole
 * architectural state must be the same: x1-x31, pc, instret, the
 * privilege, sstatus, sepc, scause, stval, sscratch and the data pages.
 *
 * A sequence mixes what a block can hold: RV64IM register and immediate
 * operations (random funct7/funct6 fields too, which land in Zba/Zbb/Zbs
 * or decode as illegal), lui/auipc, compressed arithmetic, loads and
 * stores around a page boundary (misaligned and crossing ones included),
 * loads and stores on a page the G-stage maps read-only,
 * AMOs and LR/SC, forward branches, jal and auipc+jalr, backward branches
 * (at most LOOPS taken per sequence: translated code chained to itself
 * and to its neighbours), reads of instret,
 * sscratch writes, fence.i in the middle of a block, ebreak, illegal
 * instructions and loads from random addresses (traps). A trap goes to
 * stvec, where an ecall ends the run; so does the ecall closing the
 * sequence. The sequences run without translation (satp bare), again
 * under Sv39 (one gigapage over RAM, its D bit clear at each start, so
 * that the first store of each sequence walks the table and sets it), and
 * again in U-mode under Sv39 with 4 KiB pages (D clear, the trap page
 * S-only). The code
 * starts anywhere in its page, so that sequences cross into the next one
 * (blocks cut at the page end, instructions split across it).
 *
 * FP sequences, bare and under Sv39, are mostly F and D instructions on
 * operands meant to hit every fix-up the native FP code makes: NaNs
 * (quiet, signalling, NaN-boxed singles and improperly boxed ones),
 * infinities, signed zeros, subnormals, operands whose products round to
 * the smallest normal number, values at the integer conversions' limits;
 * every rounding mode static and dynamic, frm and fflags written in the
 * middle, sstatus.FS Off (at the start, or cleared in the middle),
 * Initial, Clean or Dirty; f0-f31 and fcsr are compared too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/fpu.h"
#include "cpu/hart.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "cpu/trap.h"
#include "mem/frame.h"
#include "mem/gmem.h"
#include "mem/gstage.h"

#define MIB	     (1u << 20)
#define RAM_BASE     0x80000000ull
#define RAM_SIZE     (1u * MIB)
#define TRAP_PC	     RAM_BASE		  /* stvec: an ecall */
#define CODE_PAGE    (RAM_BASE + 0x1000)  /* sequences start in this page */
#define DATA	     (RAM_BASE + 0x10000) /* two data pages */
#define DATA_SIZE    0x2000
#define ROOT_TABLE   (RAM_BASE + 0xf0000) /* Sv39 root, for sv39 runs */
#define GIGA_PTE     (((RAM_BASE >> 12) << 10) | 0x4f) /* V R W X A, no D */
#define SATP_SV39    ((8ull << 60) | (ROOT_TABLE >> 12))
#define L1_TABLE     (ROOT_TABLE + 0x1000) /* U-mode runs: 4 KiB pages */
#define L0_TABLE     (ROOT_TABLE + 0x2000)
#define L0_PAGES     257 /* RAM and the read-only page after it */
#define SPREAD_CODE  (RAM_BASE + 0x20000) /* test_small_code_cache's */
#define SPREAD_SLOTS 1024		  /* of 512 bytes */
#define DATA_REG     31 /* = DATA + 0x1000: loads and stores around it */
#define TEMP_REG     30 /* auipc's result for jalr */
#define LOOP_REG     29 /* backward branches taken while it counts down */
#define RO_REG	     28 /* = RO_PAGE: loads read zeros, stores fault */
#define RO_PAGE	     (RAM_BASE + RAM_SIZE) /* mapped read-only, past RAM */
#define LOOPS	     8
#define MAX_SLOTS    160
#define SEQUENCES    3000

#define ECALL	0x00000073u
#define EBREAK	0x00100073u
#define FENCE_I 0x0000100fu

struct side {
	struct gstage gs;
	struct hart h;
	int exit;
	enum { PAGING_BARE, PAGING_SV39, PAGING_SV39_U } paging;
};

struct fixture {
	struct frame_pool *pool;
	struct side interp, jit;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* ---- Encodings (the unprivileged spec's base formats) ---- */

static uint32_t enc_r(uint32_t f7, uint32_t rs2, uint32_t rs1, uint32_t f3,
		      uint32_t rd, uint32_t op)
{
	return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op;
}

static uint32_t enc_i(int32_t imm, uint32_t rs1, uint32_t f3, uint32_t rd,
		      uint32_t op)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 |
	       op;
}

static uint32_t enc_s(int32_t imm, uint32_t rs2, uint32_t rs1, uint32_t f3)
{
	uint32_t u = (uint32_t)imm;

	return (u >> 5 & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
	       (u & 0x1f) << 7 | 0x23;
}

static uint32_t enc_b(int32_t off, uint32_t rs2, uint32_t rs1, uint32_t f3)
{
	uint32_t u = (uint32_t)off;

	return (u >> 12 & 1) << 31 | (u >> 5 & 0x3f) << 25 | rs2 << 20 |
	       rs1 << 15 | f3 << 12 | (u >> 1 & 0xf) << 8 | (u >> 11 & 1) << 7 |
	       0x63;
}

static uint32_t enc_j(int32_t off, uint32_t rd)
{
	uint32_t u = (uint32_t)off;

	return (u >> 20 & 1) << 31 | (u >> 1 & 0x3ff) << 21 |
	       (u >> 11 & 1) << 20 | (u >> 12 & 0xff) << 12 | rd << 7 | 0x6f;
}

/* ---- Sequences ---- */

enum slot_kind {
	SLOT_PLAIN,  /* word is final */
	SLOT_BRANCH, /* a conditional branch to slot target */
	SLOT_JAL,
	SLOT_JALR, /* jalr after an auipc TEMP_REG, 0 in the slot before */
	SLOT_LOOP, /* blt x0, LOOP_REG to an earlier slot, after a decrement */
};

struct slot {
	enum slot_kind kind;
	uint32_t word; /* for branches: the word with offset 0 */
	unsigned len;  /* 2 or 4 */
	unsigned pos;  /* byte offset in the sequence */
	unsigned target;
};

struct sequence {
	struct slot slot[MAX_SLOTS];
	unsigned n;
	uint8_t code[MAX_SLOTS * 4];
	unsigned size;
	uint64_t start; /* guest address of the first instruction */
	uint64_t regs[32];
	uint8_t data[DATA_SIZE];
	bool fp; /* f[], fcsr and sstatus.FS below, else as reset */
	uint64_t fregs[32];
	uint32_t fcsr;
	uint64_t fs;
};

static uint32_t rnd_rd(void)
{
	return 1 + rnd_below(27); /* x1..x27: none of the reserved ones */
}

static uint32_t rnd_rs(void)
{
	return rnd_below(32);
}

/* An interesting 64-bit value: edges, small numbers, anything. */
static uint64_t rnd_value(void)
{
	static const uint64_t edges[] = {0,
					 1,
					 UINT64_MAX,
					 0x8000000000000000ull,
					 0x7fffffffffffffffull,
					 0x80000000ull,
					 0x7fffffffull,
					 0xffffffff80000000ull,
					 0xffffffffull,
					 63,
					 64,
					 32};

	switch (rnd_below(4)) {
	case 0:
		return edges[rnd_below(sizeof(edges) / sizeof(edges[0]))];
	case 1:
		return rnd() & 0xfff;
	default:
		return rnd();
	}
}

static void add(struct sequence *s, enum slot_kind kind, uint32_t word,
		unsigned len)
{
	s->slot[s->n++] = (struct slot){.kind = kind, .word = word, .len = len};
}

/* Compressed arithmetic the C extension expands to RV64I operations. */
static uint16_t rnd_compressed(void)
{
	uint32_t rd = rnd_rd(), rs2 = 1 + rnd_below(27);
	uint32_t imm = rnd_below(64), r3 = rnd_below(8), s3 = rnd_below(8);

	switch (rnd_below(6)) {
	case 0: /* c.addi */
		return (uint16_t)((imm >> 5) << 12 | rd << 7 | (imm & 31) << 2 |
				  1);
	case 1: /* c.li */
		return (uint16_t)(2u << 13 | (imm >> 5) << 12 | rd << 7 |
				  (imm & 31) << 2 | 1);
	case 2: /* c.mv (rs2 != 0, else c.jr) */
		return (uint16_t)(0x8u << 12 | rd << 7 | rs2 << 2 | 2);
	case 3: /* c.add (rs2 != 0, else c.jalr) */
		return (uint16_t)(0x9u << 12 | rd << 7 | rs2 << 2 | 2);
	case 4: /* c.slli */
		return (uint16_t)((imm >> 5) << 12 | rd << 7 | (imm & 31) << 2 |
				  2);
	default: /* c.sub/xor/or/and, c.subw/addw (x8..x15) */
		return (uint16_t)(0x8c01u | rnd_below(2) << 12 | r3 << 7 |
				  rnd_below(4) << 5 | s3 << 2);
	}
}

static uint32_t rnd_op_imm(uint32_t op)
{
	uint32_t f3 = rnd_below(8);
	int32_t imm = (int32_t)rnd_below(4096) - 2048;

	if (f3 == 1 || f3 == 5) {
		uint32_t sh = rnd_below(op == 0x13 ? 64 : 32);
		uint32_t hi = rnd_below(4) == 0	     ? rnd_below(64) << 6
			      : f3 == 5 && rnd() & 1 ? 0x400
						     : 0;
		imm = (int32_t)(hi | sh);
	}
	return enc_i(imm, rnd_rs(), f3, rnd_rd(), op);
}

static uint32_t rnd_op(uint32_t op)
{
	static const uint32_t f7s[] = {0,    0,	   0,	 0x20, 1,
				       1,    0x04, 0x05, 0x10, 0x20,
				       0x30, 0x24, 0x14, 0x34, 0x07};

	return enc_r(f7s[rnd_below(sizeof(f7s) / sizeof(f7s[0]))], rnd_rs(),
		     rnd_rs(), rnd_below(8), rnd_rd(), op);
}

/* Zbb's one-source instructions (OP-IMM with fixed immediates) and rori. */
static uint32_t rnd_zbb_unary(void)
{
	static const struct {
		uint32_t f3, imm, op;
	} forms[] = {
	    {1, 0x600, 0x13}, /* clz */
	    {1, 0x601, 0x13}, /* ctz */
	    {1, 0x602, 0x13}, /* cpop */
	    {1, 0x604, 0x13}, /* sext.b */
	    {1, 0x605, 0x13}, /* sext.h */
	    {5, 0x6b8, 0x13}, /* rev8 */
	    {5, 0x287, 0x13}, /* orc.b */
	    {1, 0x600, 0x1b}, /* clzw */
	    {1, 0x601, 0x1b}, /* ctzw */
	    {1, 0x602, 0x1b}, /* cpopw */
	    {4, 0x080, 0x3b}, /* zext.h (OP-32, rs2 0) */
	};
	unsigned n = sizeof(forms) / sizeof(forms[0]), k = rnd_below(n + 2);

	if (k >= n) /* rori, roriw */
		return enc_i((int32_t)(0x600 | rnd_below(k == n ? 64 : 32)),
			     rnd_rs(), 5, rnd_rd(), k == n ? 0x13 : 0x1b);
	return enc_i((int32_t)forms[k].imm, rnd_rs(), forms[k].f3, rnd_rd(),
		     forms[k].op);
}

static uint32_t rnd_amo(void)
{
	static const uint32_t f5s[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x08,
				       0x0c, 0x10, 0x14, 0x18, 0x1c};
	uint32_t f5 = f5s[rnd_below(sizeof(f5s) / sizeof(f5s[0]))];

	return enc_r(f5 << 2 | rnd_below(4), f5 == 0x02 ? 0 : rnd_rs(),
		     DATA_REG, 2 + rnd_below(2), rnd_rd(), 0x2f);
}

static void gen_one(struct sequence *s, unsigned remaining)
{
	unsigned k = rnd_below(100);

	if (k < 18)
		add(s, SLOT_PLAIN, rnd_op(0x33), 4);
	else if (k < 26)
		add(s, SLOT_PLAIN, rnd_op(0x3b), 4);
	else if (k < 42)
		add(s, SLOT_PLAIN, rnd_op_imm(0x13), 4);
	else if (k < 46)
		add(s, SLOT_PLAIN, rnd_op_imm(0x1b), 4);
	else if (k < 49)
		add(s, SLOT_PLAIN, rnd_zbb_unary(), 4);
	else if (k < 51)
		add(s, SLOT_PLAIN,
		    ((uint32_t)rnd() & 0xfffff000u) | rnd_rd() << 7 |
			(rnd() & 1 ? 0x37 : 0x17),
		    4);
	else if (k < 60)
		add(s, SLOT_PLAIN, rnd_compressed(), 2);
	else if (k < 68) {
		/* A load near the page boundary; now and then from a random
		 * register (a fault, mostly). */
		uint32_t base = rnd_below(20) ? DATA_REG : rnd_rs();

		if (rnd_below(4) == 0)
			base = RO_REG;
		add(s, SLOT_PLAIN,
		    enc_i((int32_t)rnd_below(64) - 32 * (base != RO_REG), base,
			  rnd_below(7), rnd_rd(), 0x03),
		    4);
	} else if (k < 75) {
		uint32_t base = rnd_below(6) ? DATA_REG : RO_REG;

		add(s, SLOT_PLAIN,
		    enc_s((int32_t)rnd_below(64) - 32 * (base != RO_REG),
			  rnd_rs(), base, rnd_below(4)),
		    4);
	} else if (k < 78)
		add(s, SLOT_PLAIN, rnd_amo(), 4);
	else if (k < 86 && remaining > 2)
		add(s, SLOT_BRANCH,
		    enc_b(0, rnd_rs(), rnd_rs(),
			  (uint32_t[]){0, 1, 4, 5, 6, 7}[rnd_below(6)]),
		    4);
	else if (k < 88 && remaining > 2)
		add(s, SLOT_JAL, enc_j(0, rnd_below(3) ? 0 : rnd_rd()), 4);
	else if (k < 90 && remaining > 3) {
		add(s, SLOT_PLAIN, TEMP_REG << 7 | 0x17, 4); /* auipc t, 0 */
		add(s, SLOT_JALR, enc_i(0, TEMP_REG, 0, rnd_rd(), 0x67), 4);
	} else if (k < 92 && s->n > 0) {
		add(s, SLOT_PLAIN, enc_i(-1, LOOP_REG, 0, LOOP_REG, 0x13), 4);
		add(s, SLOT_LOOP, enc_b(0, LOOP_REG, 0, 4), 4);
	} else if (k < 93)
		/* csrrs rd, instret, x0 / csrrw rd, sscratch, rs */
		add(s, SLOT_PLAIN,
		    rnd() & 1 ? enc_i(0xc02, 0, 2, rnd_rd(), 0x73)
			      : enc_i(0x140, rnd_rs(), 1, rnd_rd(), 0x73),
		    4);
	else if (k < 95)
		add(s, SLOT_PLAIN, FENCE_I, 4);
	else if (k < 96)
		add(s, SLOT_PLAIN, EBREAK, 4);
	else if (k < 97)
		add(s, SLOT_PLAIN, rnd() & 1 ? 0 : 0xffffffffu, 4);
	else
		add(s, SLOT_PLAIN, rnd_op(0x33), 4);
}

/* Lay the slots out, point each jump at its slot, emit the bytes. */
static void gen_layout(struct sequence *s)
{
	unsigned pos = 0;

	for (unsigned i = 0; i < s->n; i++) {
		s->slot[i].pos = pos;
		pos += s->slot[i].len;
	}
	s->size = pos;
	for (unsigned i = 0; i < s->n; i++) {
		struct slot *sl = &s->slot[i];
		uint32_t w = sl->word;
		int32_t off;

		if (sl->kind == SLOT_LOOP) {
			/* An earlier slot, before the decrement. */
			sl->target = rnd_below(i - 1);
			off =
			    (int32_t)s->slot[sl->target].pos - (int32_t)sl->pos;
			w |= enc_b(off, 0, 0, 0) & ~0x7fu;
		} else if (sl->kind != SLOT_PLAIN) {
			/* A later slot, never past the closing ecall. */
			sl->target = i + 1 + rnd_below(s->n - 1 - i);
			off = (int32_t)s->slot[sl->target].pos;
			if (sl->kind == SLOT_JALR)
				off -= (int32_t)s->slot[i - 1].pos;
			else
				off -= (int32_t)sl->pos;
			if (sl->kind == SLOT_BRANCH)
				w |= enc_b(off, 0, 0, 0) & ~0x7fu;
			else if (sl->kind == SLOT_JAL)
				w |= enc_j(off, 0) & ~0x7fu;
			else
				w |= enc_i(off, 0, 0, 0, 0);
		}
		memcpy(s->code + sl->pos, &w, sl->len);
	}
}

/* len slots from one(), the closing ecall, laid out at a random start;
 * registers from value(), the reserved ones set. */
static void gen_slots(struct sequence *s, unsigned len,
		      void (*one)(struct sequence *, unsigned),
		      uint64_t (*value)(void))
{
	s->n = 0;
	while (s->n < len)
		one(s, len - s->n);
	add(s, SLOT_PLAIN, ECALL, 4);
	gen_layout(s);
	/* Anywhere in the page, halfword-aligned; often near its end. */
	s->start = CODE_PAGE + (rnd() & 1 ? 0x1000 - 2 * rnd_below(64)
					  : 2 * rnd_below(2048));
	for (unsigned i = 1; i < 32; i++)
		s->regs[i] = value();
	s->regs[DATA_REG] = DATA + 0x1000;
	s->regs[LOOP_REG] = LOOPS;
}

static void gen_sequence(struct sequence *s)
{
	gen_slots(s, 1 + rnd_below(120), gen_one, rnd_value);
	s->regs[RO_REG] = RO_PAGE;
	s->fp = false;
	for (unsigned i = 0; i < DATA_SIZE; i += 8) {
		uint64_t v = rnd();

		memcpy(s->data + i, &v, 8);
	}
}

/* ---- FP sequences ---- */

/* A binary format's interesting values, for rnd_fp(). */
struct fp_values {
	unsigned mbits, bias, emax; /* fraction bits, exponent bias, all-ones */
	const uint64_t *edges, *near_min;
	unsigned nedges, nnear_min;
};

#define FP_VALUES_N(a) ((unsigned)(sizeof(a) / sizeof((a)[0])))

/* binary64 (and below, binary32): zeros, infinities, NaNs (quiet, signalling,
 * with payloads), subnormals, the normal range's edges, values near the integer
 * conversions' limits (2^31, 2^32, 2^63, with halves) and near rounding
 * boundaries. */
static const uint64_t fp_edges_d[] = {
    0,
    0x8000000000000000ull,
    0x7ff0000000000000ull,
    0xfff0000000000000ull,
    0x7ff8000000000000ull,
    0x7ff8000000000123ull,
    0xfff8000000000000ull,
    0x7ff4000000000000ull,
    0x7ff0000000000001ull,
    0x0010000000000000ull,
    0x8010000000000000ull,
    0x000fffffffffffffull,
    0x0000000000000001ull,
    0x7fefffffffffffffull,
    0x3ff0000000000000ull,
    0xbff0000000000000ull,
    0x3fe0000000000000ull,
    0x3fefffffffffffffull,
    0x3ff0000000000001ull,
    0x41e0000000000000ull,
    0x41dfffffffe00000ull,
    0x41dfffffffffffffull,
    0xc1e0000000000000ull,
    0xc1e0000000100000ull,
    0x41f0000000000000ull,
    0x41efffffffe00000ull,
    0x43e0000000000000ull,
    0xc3e0000000000000ull,
    0x43dfffffffffffffull,
    0x4330000000000001ull,
    0x3ff8000000000000ull,
    0x4004000000000000ull,
    0x1ff0000000000000ull,
    0x1fffffffffffffffull,
};
/* Operands whose products land at the smallest normal number: exactly,
 * just below it (tiny after rounding), or rounding up to it (tiny before
 * rounding only: (1 - 2^-52) * 2^-1022 (1 + 2^-52)). */
static const uint64_t fp_near_min_d[] = {
    0x3fefffffffffffffull, 0x3feffffffffffffeull, 0x0010000000000000ull,
    0x0010000000000001ull, 0x8010000000000000ull, 0x3ff0000000000001ull,
    0x000fffffffffffffull, 0x3fe0000000000000ull, 0x001fffffffffffffull,
};
static const uint64_t fp_edges_s[] = {
    0,		0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fc00123,
    0xffc00000, 0x7fa00000, 0x7f800001, 0x00800000, 0x80800000, 0x007fffff,
    0x00000001, 0x7f7fffff, 0x3f800000, 0xbf800000, 0x3f000000, 0x3f7fffff,
    0x3f800001, 0x4f000000, 0x4effffff, 0xcf000000, 0xcf000001, 0x4f800000,
    0x5f000000, 0xdf000000, 0x4b000001, 0x3fc00000, 0x1f800000, 0x1fffffff,
    0x40200000, 0x4f7fffff,
};
static const uint64_t fp_near_min_s[] = {
    0x3f7fffff, 0x3f7ffffe, 0x00800000, 0x00800001, 0x80800000,
    0x3f800001, 0x007fffff, 0x3f000000, 0x00ffffff,
};
static const struct fp_values fp_d = {
    .mbits = 52,
    .bias = 1023,
    .emax = 2047,
    .edges = fp_edges_d,
    .near_min = fp_near_min_d,
    .nedges = FP_VALUES_N(fp_edges_d),
    .nnear_min = FP_VALUES_N(fp_near_min_d),
};
static const struct fp_values fp_s = {
    .mbits = 23,
    .bias = 127,
    .emax = 255,
    .edges = fp_edges_s,
    .near_min = fp_near_min_s,
    .nedges = FP_VALUES_N(fp_edges_s),
    .nnear_min = FP_VALUES_N(fp_near_min_s),
};

/* A value of format f worth testing: an edge, an operand near the
 * smallest normal number, a random value with an exponent where products
 * and quotients round near the subnormal range or the integer limits
 * (with few fraction bits now and then: exact cases), or any bits. */
static uint64_t rnd_fp(const struct fp_values *f)
{
	static const int exps[] = {0, 1, 2, -1, -2, 31, 32, 63, 52, 23, 24};
	int e, emax = (int)f->emax;
	uint64_t m;

	switch (rnd_below(5)) {
	case 0:
		return f->edges[rnd_below(f->nedges)];
	case 1:
	case 2:
		return f->near_min[rnd_below(f->nnear_min)];
	case 3:
		if (rnd_below(2)) /* near half the range, or its bottom */
			e = (rnd_below(2) ? 1 : -1) * (int)(f->bias / 2) +
			    (rnd_below(2) ? -(int)f->bias + 1 : 0);
		else
			e = exps[rnd_below(FP_VALUES_N(exps))];
		e += (int)rnd_below(3) - 1 + (int)f->bias;
		e = e < 0 ? 0 : e >= emax ? emax - 1 : e;
		m = rnd() & ((1ull << f->mbits) - 1);
		if (rnd_below(3) == 0)
			m &= 0xffull << (f->mbits - 8);
		return (rnd() & 1) << (f->mbits + (f->mbits == 52 ? 11 : 8)) |
		       (uint64_t)e << f->mbits | m;
	default:
		return f->mbits == 52 ? rnd() : (uint32_t)rnd();
	}
}

/* An f register's contents: a zero, an infinity or a NaN (often, so that
 * inf * 0 + qNaN and the like come up), a double, a NaN-boxed single, or
 * now and then a single not properly boxed. */
static uint64_t rnd_freg(void)
{
	static const uint64_t special[] = {
	    0,
	    0x8000000000000000ull,
	    0x7ff0000000000000ull,
	    0xfff0000000000000ull,
	    0x7ff8000000000000ull,
	    0x7ff4000000000000ull,
	    0xffffffff00000000ull,
	    0xffffffff80000000ull,
	    0xffffffff7f800000ull,
	    0xffffffffff800000ull,
	    0xffffffff7fc00000ull,
	    0xffffffff7fa00000ull,
	};

	switch (rnd_below(8)) {
	case 0:
	case 1:
		return special[rnd_below(sizeof(special) / sizeof(special[0]))];
	case 2:
	case 3:
		return rnd_fp(&fp_d);
	case 4:
		return (rnd() & 0xffffffff00000000ull) | rnd_fp(&fp_s);
	default:
		return 0xffffffff00000000ull | rnd_fp(&fp_s);
	}
}

/* An x register's value for the conversions from integers, or any. */
static uint64_t rnd_int_for_fp(void)
{
	static const uint64_t edges[] = {
	    0x7fffffffull,	   0xffffffff80000000ull, 0xffffffffull,
	    0x8000000000000000ull, 0x7fffffffffffffffull, 0x0020000000000001ull,
	    0x1000001ull,	   0xffffffffff000001ull, 16777217ull,
	};

	return rnd_below(3)
		   ? rnd_value()
		   : edges[rnd_below(sizeof(edges) / sizeof(edges[0]))];
}

/* The rounding-mode field: dynamic, RNE, RTZ, or any (5 and 6 illegal). */
static uint32_t rnd_rm(void)
{
	switch (rnd_below(8)) {
	case 0:
	case 1:
	case 2:
		return 7;
	case 3:
	case 4:
		return 0;
	case 5:
		return 1;
	default:
		return rnd_below(8);
	}
}

/* The f registers a sequence uses: f0 up to this (few, so that
 * results feed other instructions and operand pairs repeat). */
static uint32_t fp_nregs = 32;

static uint32_t rnd_f(void)
{
	return rnd_below(fp_nregs);
}

/* One OP-FP, fused or FP load/store instruction. */
static uint32_t rnd_fp_insn(void)
{
	uint32_t fmt = rnd_below(2), rd = rnd_f(), rs1 = rnd_f(), rs2 = rnd_f();

	switch (rnd_below(24)) {
	case 0:
	case 1:
	case 2:
	case 3: /* fadd fsub fmul fdiv */
		return enc_r(rnd_below(4) << 2 | fmt, rs2, rs1, rnd_rm(), rd,
			     0x53);
	case 4: /* fsqrt */
		return enc_r(0x0b << 2 | fmt, 0, rs1, rnd_rm(), rd, 0x53);
	case 5:
	case 6:
	case 7: /* fmadd fmsub fnmsub fnmadd */
		return rnd_f() << 27 | fmt << 25 | rs2 << 20 | rs1 << 15 |
		       rnd_rm() << 12 | rd << 7 | (0x43 + 4 * rnd_below(4));
	case 8: /* fsgnj[n|x], sometimes with rs1 == rs2 */
		return enc_r(0x04 << 2 | fmt, rnd_below(2) ? rs2 : rs1, rs1,
			     rnd_below(3), rd, 0x53);
	case 9: /* fmin fmax */
		return enc_r(0x05 << 2 | fmt, rs2, rs1, rnd_below(2), rd, 0x53);
	case 10:
	case 11: /* fle flt feq */
		return enc_r(0x14 << 2 | fmt, rs2, rs1, rnd_below(3), rnd_rd(),
			     0x53);
	case 12:
	case 13: /* fcvt.w/wu/l/lu.fmt */
		return enc_r(0x18 << 2 | fmt, rnd_below(4), rs1, rnd_rm(),
			     rnd_rd(), 0x53);
	case 14:
	case 15: /* fcvt.fmt.w/wu/l/lu */
		return enc_r(0x1a << 2 | fmt, rnd_below(4), rnd_rs(), rnd_rm(),
			     rd, 0x53);
	case 16: /* fcvt.s.d, fcvt.d.s */
		return enc_r(0x20 << 2 | fmt, !fmt, rs1, rnd_rm(), rd, 0x53);
	case 17: /* fmv.x.w/d, fclass */
		return enc_r(0x1c << 2 | fmt, 0, rs1, rnd_below(2), rnd_rd(),
			     0x53);
	case 18: /* fmv.w/d.x */
		return enc_r(0x1e << 2 | fmt, 0, rnd_rs(), 0, rd, 0x53);
	case 19:
	case 20: /* flw fld around the page boundary */
		return enc_i((int32_t)rnd_below(64) - 32, DATA_REG, 2 + fmt, rd,
			     0x07);
	case 21:
	case 22: /* fsw fsd */
		return enc_s((int32_t)rnd_below(64) - 32, rs2, DATA_REG,
			     2 + fmt);
	default: /* csrr x, fflags/frm/fcsr */
		return enc_i(1 + (int32_t)rnd_below(3), 0, 2, rnd_rd(), 0x73);
	}
}

static void gen_fp_one(struct sequence *s, unsigned remaining)
{
	unsigned k = rnd_below(100);

	if (k < 75)
		add(s, SLOT_PLAIN, rnd_fp_insn(), 4);
	else if (k < 80) /* frm or fflags written: csrrwi */
		add(s, SLOT_PLAIN,
		    enc_i(1 + (int32_t)rnd_below(2),
			  rnd_below(rnd() & 1 ? 8 : 32), 5,
			  rnd_below(2) ? 0 : rnd_rd(), 0x73),
		    4);
	else if (k < 82) /* FS Off, or Dirty again: csrrc/csrrs sstatus */
		add(s, SLOT_PLAIN,
		    enc_i(0x100, TEMP_REG, rnd_below(4) ? 2 : 3, 0, 0x73), 4);
	else if (k < 90)
		add(s, SLOT_PLAIN, rnd_op_imm(0x13), 4);
	else if (k < 94 && remaining > 2)
		add(s, SLOT_BRANCH,
		    enc_b(0, rnd_rs(), rnd_rs(),
			  (uint32_t[]){0, 1, 4, 5, 6, 7}[rnd_below(6)]),
		    4);
	else if (k < 98 && s->n > 0) {
		add(s, SLOT_PLAIN, enc_i(-1, LOOP_REG, 0, LOOP_REG, 0x13), 4);
		add(s, SLOT_LOOP, enc_b(0, LOOP_REG, 0, 4), 4);
	} else
		add(s, SLOT_PLAIN, rnd_op(0x33), 4);
}

/* A sequence of mostly F and D instructions on interesting operands,
 * with random frm, fflags and sstatus.FS (Off a tenth of the time). */
static void gen_fp_sequence(struct sequence *s)
{
	static const uint64_t fs[] = {0, 1ull << 13, 2ull << 13, 3ull << 13};
	unsigned len = 1 + rnd_below(60);

	fp_nregs = (uint32_t[]){3, 6, 12, 32}[rnd_below(4)];
	gen_slots(s, len, gen_fp_one, rnd_int_for_fp);
	s->regs[TEMP_REG] = SSTATUS_FS;
	for (unsigned i = 0; i < DATA_SIZE; i += 8) {
		uint64_t v = rnd_freg();

		memcpy(s->data + i, &v, 8);
	}
	s->fp = true;
	for (unsigned i = 0; i < 32; i++)
		s->fregs[i] = rnd_freg();
	s->fcsr = (rnd_below(2) ? 0 : rnd_below(8)) << 5 |
		  (rnd_below(2) ? 0 : rnd_below(32));
	s->fs = rnd_below(10) ? fs[1 + rnd_below(3)] : 0;
}

/* ---- Running ---- */

static int side_init(struct side *sd, struct frame_pool *pool,
		     enum hart_tier tier, uint32_t threshold)
{
	uint32_t ecall = ECALL, ro;

	if (gstage_init(&sd->gs, pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&sd->gs, RAM_BASE, RAM_SIZE) ||
	    gmem_write(&sd->gs, TRAP_PC, &ecall, 4) ||
	    frame_alloc(pool, true, &ro) ||
	    gstage_map(&sd->gs, RO_PAGE, ro, GPTE_R))
		return -1;
	hart_init(&sd->h, 0, &sd->gs, 0);
	sd->h.tier = tier;
	sd->h.jit_threshold = threshold;
	return 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || frame_pool_create(16 * MIB, &fx->pool) ||
	    side_init(&fx->interp, fx->pool, HART_TIER_INTERP, 0) ||
	    side_init(&fx->jit, fx->pool, HART_TIER_JIT, 1))
		return -1;
	rng_state = 0x6a09e667f3bcc909ull;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	hart_destroy(&fx->interp.h);
	hart_destroy(&fx->jit.h);
	gstage_destroy(&fx->interp.gs);
	gstage_destroy(&fx->jit.gs);
	frame_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

/* s's start state again on sd, its blocks and translations kept. */
static void side_reload(struct side *sd, const struct sequence *s)
{
	struct hart *h = &sd->h;

	assert_int_equal(gmem_write(&sd->gs, DATA, s->data, DATA_SIZE), 0);
	hart_reset(h, s->start, 0);
	if (sd->paging == PAGING_SV39_U) {
		static uint64_t l0[L0_PAGES];
		uint64_t root = ((L1_TABLE >> 12) << 10) | 1;
		uint64_t l1 = ((L0_TABLE >> 12) << 10) | 1;

		/* The trap page S-only (V R X A D), the rest U RWX A. */
		for (unsigned i = 0; i < L0_PAGES; i++)
			l0[i] =
			    (((RAM_BASE >> 12) + i) << 10) | (i ? 0x5f : 0xcb);
		assert_int_equal(
		    gmem_write(&sd->gs, ROOT_TABLE + 8 * 2, &root, 8), 0);
		assert_int_equal(gmem_write(&sd->gs, L1_TABLE, &l1, 8), 0);
		assert_int_equal(gmem_write(&sd->gs, L0_TABLE, l0, sizeof(l0)),
				 0);
		h->satp = SATP_SV39;
		hart_flush_tlb(h);
		trap_set_priv(h, PRIV_U);
	} else if (sd->paging == PAGING_SV39) {
		uint64_t pte = GIGA_PTE;

		assert_int_equal(
		    gmem_write(&sd->gs, ROOT_TABLE + 8 * 2, &pte, 8), 0);
		h->satp = SATP_SV39;
		hart_flush_tlb(h);
		mmu_select_tlb(h);
	}
	memcpy(h->x, s->regs, sizeof(s->regs));
	h->stvec = TRAP_PC;
	h->sscratch = 0;
	h->sepc = h->scause = h->stval = 0;
	h->instret = 0;
	if (s->fp) {
		memcpy(h->f, s->fregs, sizeof(s->fregs));
		h->fcsr = s->fcsr;
		h->sstatus = (h->sstatus & ~SSTATUS_FS) | s->fs;
	}
}

/* Load s into sd's memory (fresh code: drop the blocks) and registers. */
static void side_load(struct side *sd, const struct sequence *s)
{
	static const uint8_t zero[MAX_SLOTS * 4 + 8];

	assert_int_equal(gmem_write(&sd->gs, CODE_PAGE, zero, sizeof(zero)), 0);
	assert_int_equal(gmem_write(&sd->gs, s->start, s->code, s->size), 0);
	hart_flush_icache(&sd->h);
	side_reload(sd, s);
}

static void side_run(struct side *sd)
{
	sd->exit = hart_run(&sd->h, 1000000);
}

/* Print s and fail, naming what differs. */
static void report(const struct sequence *s, unsigned seq, const char *what,
		   uint64_t interp, uint64_t jit)
{
	fprintf(stderr, "sequence %u at %#llx, %u slots:\n", seq,
		(unsigned long long)s->start, s->n);
	for (unsigned i = 0; i < s->n; i++) {
		uint32_t w = 0;

		memcpy(&w, s->code + s->slot[i].pos, s->slot[i].len);
		fprintf(stderr, "  +%03x %0*x\n", s->slot[i].pos,
			s->slot[i].len * 2, w);
	}
	fail_msg("sequence %u: %s: interpreter %#llx, jit %#llx", seq, what,
		 (unsigned long long)interp, (unsigned long long)jit);
}

static void compare(struct fixture *fx, const struct sequence *s, unsigned seq)
{
	const struct hart *a = &fx->interp.h, *b = &fx->jit.h;
	uint8_t da[DATA_SIZE], db[DATA_SIZE];
	char name[16];

#define SAME(field)                                                            \
	do {                                                                   \
		if (a->field != b->field)                                      \
			report(s, seq, #field, (uint64_t)a->field,             \
			       (uint64_t)b->field);                            \
	} while (0)

	if (fx->interp.exit != fx->jit.exit)
		report(s, seq, "exit", (uint64_t)fx->interp.exit,
		       (uint64_t)fx->jit.exit);
	for (unsigned i = 1; i < 32; i++) {
		snprintf(name, sizeof(name), "x%u", i);
		if (a->x[i] != b->x[i])
			report(s, seq, name, a->x[i], b->x[i]);
	}
	for (unsigned i = 0; i < 32; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		if (a->f[i] != b->f[i])
			report(s, seq, name, a->f[i], b->f[i]);
	}
	SAME(fcsr);
	SAME(pc);
	SAME(instret);
	SAME(priv);
	SAME(sstatus);
	SAME(sepc);
	SAME(scause);
	SAME(stval);
	SAME(sscratch);
#undef SAME
	assert_int_equal(gmem_read(&fx->interp.gs, DATA, da, DATA_SIZE), 0);
	assert_int_equal(gmem_read(&fx->jit.gs, DATA, db, DATA_SIZE), 0);
	for (unsigned i = 0; i < DATA_SIZE; i++)
		if (da[i] != db[i])
			report(s, seq, "data byte", da[i], db[i]);
}

/* Each sequence once on each hart, every block translated at once. */
static void test_random_sequences(void **state)
{
	struct fixture *fx = *state;
	static struct sequence s;
	unsigned traps = 0, ran = 0, dirty = 0, user = 0;

	for (unsigned seq = 0; seq < 3 * SEQUENCES; seq++) {
		/* A third bare, a third under Sv39, a third in U-mode. */
		fx->interp.paging = fx->jit.paging = seq / SEQUENCES;
		gen_sequence(&s);
		side_load(&fx->interp, &s);
		side_load(&fx->jit, &s);
		side_run(&fx->interp);
		side_run(&fx->jit);
		compare(fx, &s, seq);
		traps += fx->interp.h.pc == TRAP_PC;
		if (fx->jit.paging != PAGING_BARE) {
			uint64_t pte,
			    at = fx->jit.paging == PAGING_SV39
				     ? ROOT_TABLE + 8 * 2
				     : L0_TABLE + 8 * ((DATA - RAM_BASE) >> 12);

			assert_int_equal(gmem_read(&fx->jit.gs, at, &pte, 8),
					 0);
			dirty += (pte & 0x80) != 0;
			ran += fx->jit.h.instret > 4;
			user += fx->jit.h.scause == CAUSE_ECALL_U;
		}
	}
	/* Under Sv39 the sequences ran, and stores set the D bit; in
	 * U-mode the closing ecall traps. */
	assert_true(ran > 2 * SEQUENCES / 5);
	assert_true(dirty > SEQUENCES / 3);
	assert_true(user > SEQUENCES / 30);
	/* The sequences did reach the translator and the trap paths. */
	assert_true(fx->jit.h.tier_stats.blocks >= SEQUENCES);
	assert_int_equal(fx->interp.h.tier_stats.blocks, 0);
	assert_true(traps > SEQUENCES / 10);
}

/*
 * F and D against the interpreter's soft-float: FP sequences (bare and
 * under Sv39), every block translated at once, f[], fcsr and sstatus
 * compared with the rest.
 */
static void test_random_fp_sequences(void **state)
{
	struct fixture *fx = *state;
	static struct sequence s;
	unsigned nan = 0, flagged = 0, off = 0, long_runs = 0;

	for (unsigned seq = 0; seq < 4 * SEQUENCES; seq++) {
		fx->interp.paging = fx->jit.paging =
		    seq < 3 * SEQUENCES ? PAGING_BARE : PAGING_SV39;
		gen_fp_sequence(&s);
		side_load(&fx->interp, &s);
		side_load(&fx->jit, &s);
		side_run(&fx->interp);
		side_run(&fx->jit);
		compare(fx, &s, seq);
		for (unsigned i = 0; i < 32; i++)
			nan += fx->jit.h.f[i] == FPU_NAN_D;
		flagged += (fx->jit.h.fcsr & 0x1f) != (s.fcsr & 0x1f);
		off += (fx->jit.h.sstatus & SSTATUS_FS) == 0;
		long_runs += fx->jit.h.instret > 10;
	}
	/* The sequences computed: canonical NaNs came out, flags were
	 * raised, some ran long, some with the FPU off. */
	assert_true(nan > SEQUENCES / 10);
	assert_true(flagged > SEQUENCES);
	assert_true(long_runs > SEQUENCES);
	assert_true(off > SEQUENCES / 20);
}

/*
 * Each sequence four times on the JIT's hart without dropping its blocks:
 * with a threshold of 2, the first run interprets, the second translates,
 * the later ones run translations made in earlier runs.
 */
static void test_interpreted_then_translated(void **state)
{
	struct fixture *fx = *state;
	static struct sequence s;

	hart_destroy(&fx->jit.h); /* its caches come back with threshold 2 */
	fx->jit.h.jit_threshold = 2;
	for (unsigned seq = 0; seq < SEQUENCES / 4; seq++) {
		gen_sequence(&s);
		side_load(&fx->interp, &s);
		side_run(&fx->interp);
		side_load(&fx->jit, &s);
		for (unsigned rep = 0; rep < 4; rep++) {
			if (rep)
				side_reload(&fx->jit, &s);
			side_run(&fx->jit);
			compare(fx, &s, seq);
		}
	}
	assert_true(fx->jit.h.tier_stats.blocks > 0);
	assert_true(fx->jit.h.tier_stats.links > 0);
}

/*
 * A loop of 100000 iterations run in slices of a small budget: after each
 * return from hart_run(), the same pc, instret and registers under both
 * tiers (translated code stops at the block boundary where the
 * interpreter does, inside a trace too). Returns the JIT hart's links.
 */
static uint64_t run_budget_slices(struct fixture *fx, const uint32_t *code,
				  size_t size)
{
	static struct sequence s;
	unsigned slices = 0;

	memset(&s, 0, sizeof(s));
	memcpy(s.code, code, size);
	s.size = (uint32_t)size;
	s.start = CODE_PAGE + 0x100;
	for (unsigned i = 1; i < 32; i++)
		s.regs[i] = 0x1000u * i + 7; /* a global one lost would show */
	s.regs[5] = 100000;
	side_load(&fx->interp, &s);
	side_load(&fx->jit, &s);
	do {
		fx->interp.exit = hart_run(&fx->interp.h, 1000);
		fx->jit.exit = hart_run(&fx->jit.h, 1000);
		compare(fx, &s, slices++);
	} while (fx->interp.exit == HART_EXIT_BUDGET);
	assert_int_equal(fx->jit.exit, HART_EXIT_ECALL);
	assert_int_equal(fx->jit.h.x[5], 0);
	assert_true(slices > 10);
	assert_true(fx->jit.h.tier_stats.blocks > 0);
	return fx->jit.h.tier_stats.links;
}

/* A loop of one block: it jumps back within its translation. */
static void test_budget_slices(void **state)
{
	static const uint32_t loop[] = {
	    0x00330313, /* 1: addi x6, x6, 3 */
	    0x0063c3b3, /* xor x7, x7, x6 */
	    0xfff28293, /* addi x5, x5, -1 */
	    0xfe029ae3, /* bnez x5, 1b */
	    ECALL,
	};

	run_budget_slices(*state, loop, sizeof(loop));
}

/*
 * A loop of two blocks in one trace: the branch between them, taken, is a
 * side exit chained to the translation of the second; not taken, the
 * second runs on in the same code, where budgets end too.
 */
static void test_budget_slices_trace(void **state)
{
	static const uint32_t loop[] = {
	    0x00330313, /* 1: addi x6, x6, 3 */
	    0x00437393, /* andi x7, x6, 4 */
	    0x00038463, /* beqz x7, 2f */
	    0x00644433, /* xor x8, x8, x6 */
	    0xfff28293, /* 2: addi x5, x5, -1 */
	    0xfe0296e3, /* bnez x5, 1b */
	    ECALL,
	};

	assert_true(run_budget_slices(*state, loop, sizeof(loop)) > 0);
}

/*
 * A loop of one block using more registers than the pool has left for a
 * block's own (seven, each four times at least), but none of the global
 * ones: it borrows their host registers (cpu/jit/translate.c), and gives them
 * back wherever it leaves, the handler call of the counter read in the middle
 * included.
 */
static void test_budget_slices_lent(void **state)
{
	static const uint32_t loop[] = {
	    0x00330313, /* 1: addi x6, x6, 3 */
	    0x0063c3b3, /* xor x7, x7, x6 */
	    0x007484b3, /* add x9, x9, x7 */
	    0x409585b3, /* sub x11, x11, x9 */
	    0x00b66633, /* or x12, x12, x11 */
	    0x00c6f6b3, /* and x13, x13, x12 */
	    0x00d30333, /* add x6, x6, x13 */
	    0x00d3c3b3, /* xor x7, x7, x13 */
	    0x00c484b3, /* add x9, x9, x12 */
	    0x406585b3, /* sub x11, x11, x6 */
	    0x00566633, /* or x12, x12, x5 */
	    0xc02028f3, /* csrr x17, instret */
	    0xfff28293, /* addi x5, x5, -1 */
	    0xfc0296e3, /* bnez x5, 1b */
	    ECALL,
	};

	run_budget_slices(*state, loop, sizeof(loop));
}

/*
 * Rotations as RV64GC writes them (slli, srli, or; cpu/jit/translate.c
 * emits them as one rotate): the shifts in either order, the srli
 * overwriting its source, and shifts that do not add up to 64 (no
 * rotation). Each translated at once, against the interpreter, and the
 * rotations checked by value.
 */
static uint64_t rotl64(uint64_t v, unsigned k)
{
	return v << k | v >> (64 - k);
}

/* code (ending in an ecall) with x5, x8 and x10 set, translated at once,
 * against the interpreter. */
static void run_idiom(struct fixture *fx, const uint32_t *code, size_t size,
		      uint64_t x5, uint64_t x8, uint64_t x10, unsigned round)
{
	static struct sequence s;

	memset(&s, 0, sizeof(s));
	memcpy(s.code, code, size);
	s.size = (uint32_t)size;
	s.start = CODE_PAGE + 0x200;
	s.regs[5] = x5;
	s.regs[8] = x8;
	s.regs[10] = x10;
	side_load(&fx->interp, &s);
	side_load(&fx->jit, &s);
	side_run(&fx->interp);
	side_run(&fx->jit);
	compare(fx, &s, round);
	assert_int_equal(fx->jit.exit, HART_EXIT_ECALL);
}

static void test_rotate_idiom(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t code[] = {
	    0x01729313, /* slli x6, x5, 23 */
	    0x0292d293, /* srli x5, x5, 41 */
	    0x0062e3b3, /* or x7, x5, x6 */
	    0x00d45493, /* srli x9, x8, 13 */
	    0x03341513, /* slli x10, x8, 51 */
	    0x009565b3, /* or x11, x10, x9 */
	    0x00341613, /* slli x12, x8, 3 */
	    0x03c45693, /* srli x13, x8, 60 */
	    0x00d66733, /* or x14, x12, x13 */
	    0x00b383b3, /* add x7, x7, x11 */
	    0x00e383b3, /* add x7, x7, x14 */
	    0x007383b3, /* add x7, x7, x7 */
	    ECALL,
	};

	for (unsigned round = 0; round < 64; round++) {
		uint64_t x5 = rnd(), x8 = rnd();

		run_idiom(fx, code, sizeof(code), x5, x8, 0, round);
		assert_int_equal(fx->jit.h.x[11], rotl64(x8, 51));
		assert_int_equal(fx->jit.h.x[14], x8 << 3 | x8 >> 60);
		/* x7, the rotation, read again by the instructions after it. */
		assert_int_equal(fx->jit.h.x[7],
				 2 * (rotl64(x5, 23) + rotl64(x8, 51) +
				      (x8 << 3 | x8 >> 60)));
	}
	assert_true(fx->jit.h.tier_stats.blocks > 0);
}

/*
 * Zero extensions from 32 bits as RV64GC without Zba writes them (slli 32,
 * srli 32; after an addw, addiw or subw of the same register, one move of
 * the sum: cpu/jit/translate_alu.c), and two look-alikes that are not:
 * the srli of another register, and an addw whose result another register
 * takes zero-extended. Against the interpreter, and by value.
 */
static void test_zext_idiom(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t code[] = {
	    0x02029313, /* slli x6, x5, 32 */
	    0x02035313, /* srli x6, x6, 32 */
	    0x02029293, /* slli x5, x5, 32 */
	    0x0202d293, /* srli x5, x5, 32 */
	    0x0014039b, /* addiw x7, x8, 1 */
	    0x02039393, /* slli x7, x7, 32 */
	    0x0203d393, /* srli x7, x7, 32 */
	    0x40a404bb, /* subw x9, x8, x10 */
	    0x02049493, /* slli x9, x9, 32 */
	    0x0204d493, /* srli x9, x9, 32 */
	    0x00a405bb, /* addw x11, x8, x10 */
	    0x02059613, /* slli x12, x11, 32 */
	    0x02065613, /* srli x12, x12, 32 */
	    0x02041693, /* slli x13, x8, 32 */
	    0x02045693, /* srli x13, x8, 32 */
	    ECALL,
	};

	for (unsigned round = 0; round < 64; round++) {
		uint64_t x5 = rnd(), x8 = rnd(), x10 = rnd();

		run_idiom(fx, code, sizeof(code), x5, x8, x10, round);
		assert_int_equal(fx->jit.h.x[6], (uint32_t)x5);
		assert_int_equal(fx->jit.h.x[5], (uint32_t)x5);
		assert_int_equal(fx->jit.h.x[7], (uint32_t)(x8 + 1));
		assert_int_equal(fx->jit.h.x[9], (uint32_t)(x8 - x10));
		assert_int_equal(fx->jit.h.x[11],
				 (uint64_t)(int64_t)(int32_t)(x8 + x10));
		assert_int_equal(fx->jit.h.x[12], (uint32_t)(x8 + x10));
		assert_int_equal(fx->jit.h.x[13], x8 >> 32);
	}
	assert_true(fx->jit.h.tier_stats.blocks > 0);
}

/*
 * The random sequences again, each at an address of its own so that no
 * block is dropped between them, on a JIT whose code cache holds a few
 * dozen translations: it fills up over and over (each time both caches
 * are flushed, while translations and chains point into them), and the
 * results stay the interpreter's.
 */
static void test_small_code_cache(void **state)
{
	struct fixture *fx = *state;
	static struct sequence s;

	hart_destroy(&fx->jit.h);
	fx->jit.h.jit_cache_size = 24576;
	fx->jit.h.jit_threshold = 2;
	for (unsigned seq = 0; seq < SEQUENCES / 2; seq++) {
		gen_sequence(&s);
		s.start = SPREAD_CODE + (seq % SPREAD_SLOTS) * 512;
		if (seq % SPREAD_SLOTS == 0) { /* the addresses come again */
			hart_flush_icache(&fx->interp.h);
			hart_flush_icache(&fx->jit.h);
		}
		assert_int_equal(
		    gmem_write(&fx->interp.gs, s.start, s.code, s.size), 0);
		assert_int_equal(
		    gmem_write(&fx->jit.gs, s.start, s.code, s.size), 0);
		side_reload(&fx->interp, &s);
		side_run(&fx->interp);
		side_reload(&fx->jit, &s);
		for (unsigned rep = 0; rep < 3; rep++) {
			if (rep)
				side_reload(&fx->jit, &s);
			side_run(&fx->jit);
			compare(fx, &s, seq);
		}
	}
	assert_true(fx->jit.h.tier_stats.flushes > 10);
	assert_true(fx->jit.h.tier_stats.blocks > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_random_sequences, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_random_fp_sequences, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_interpreted_then_translated,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_budget_slices, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_budget_slices_trace, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_budget_slices_lent, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_idiom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_zext_idiom, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_small_code_cache, setup,
					    teardown),
	};

	if (!jit_supported()) {
		printf("skip: no translator on this host (x86-64 only)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
