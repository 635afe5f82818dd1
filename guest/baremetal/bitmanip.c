/* SPDX-License-Identifier: MIT */
/*
 * Bit manipulation and conditional zeroing: every Zba, Zbb, Zbc, Zbs and
 * Zicond instruction (RV64 forms) against test vectors from an
 * independent model (bitmanip_cases.py), their corner cases by name with
 * values worked out by hand from the definitions, x0 as a destination,
 * and reserved encodings next to them raising illegal instruction.
 *
 * Written from the RISC-V unprivileged specification: the "B" chapter
 * (Zba, Zbb, Zbc, Zbs) and the Zicond chapter. Built with
 * -march=..._zba_zbb_zbc_zbs (guest/baremetal/baremetal.mk); Zicond is
 * spelt with .insn (binutils 2.40 does not know it).
 *
 * Check codes: 1xx named values, 2xx x0, 3xx reserved encodings,
 * 1000+i register-register vector i, 3000+i one-operand vector i,
 * 5000+i register-immediate vector i.
 */
#include "lib.h"

#include "bitmanip_cases.h"

TEST_NAME("bitmanip");

/* 32-bit encodings only: nothing here is compressed. */
#define NORVC(insn) ".option push\n\t.option norvc\n\t" insn "\n\t.option pop"

#define RR_FN(name, insn)                                                      \
	static uint64_t rr_##name(uint64_t a, uint64_t b)                      \
	{                                                                      \
		uint64_t r;                                                    \
		__asm__ volatile(NORVC(insn " %0, %1, %2")                     \
				 : "=r"(r)                                     \
				 : "r"(a), "r"(b));                            \
		return r;                                                      \
	}
BM_RR_OPS(RR_FN)

#define UNARY_FN(name, insn)                                                   \
	static uint64_t un_##name(uint64_t a)                                  \
	{                                                                      \
		uint64_t r;                                                    \
		__asm__ volatile(NORVC(insn " %0, %1") : "=r"(r) : "r"(a));    \
		return r;                                                      \
	}
BM_UNARY_OPS(UNARY_FN)

#define IMM_FN(name, insn, imm)                                                \
	static uint64_t imm_##name(uint64_t a)                                 \
	{                                                                      \
		uint64_t r;                                                    \
		__asm__ volatile(NORVC(insn " %0, %1, " #imm)                  \
				 : "=r"(r)                                     \
				 : "r"(a));                                    \
		return r;                                                      \
	}
BM_IMM_OPS(IMM_FN)

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t a, uint64_t b);
} rr_ops[] = {
#define RR_ENTRY(name, insn) [BM_RR_##name] = {#name, rr_##name},
    BM_RR_OPS(RR_ENTRY)};

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t a);
} unary_ops[] = {
#define UNARY_ENTRY(name, insn) [BM_UNARY_##name] = {#name, un_##name},
    BM_UNARY_OPS(UNARY_ENTRY)};

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t a);
} imm_ops[] = {
#define IMM_ENTRY(name, insn, imm)                                             \
	[BM_IMM_##name] = {insn " " #imm, imm_##name},
    BM_IMM_OPS(IMM_ENTRY)};

/* Report one wrong result and go on (EXPECT), so that one run shows
 * every instruction that is wrong. */
static void report(unsigned code, const char *name, uint64_t a, uint64_t b,
		   bool has_b, uint64_t got, uint64_t want)
{
	fail_begin(code);
	puts(name);
	putchar(' ');
	put_hex(a);
	if (has_b) {
		puts(", ");
		put_hex(b);
	}
	puts(": got ");
	put_hex(got);
	puts(", expected ");
	put_hex(want);
	expect_end();
}

static void check_vectors(void)
{
	for (unsigned i = 0; i < sizeof(bm_rr_cases) / sizeof(bm_rr_cases[0]);
	     i++) {
		const struct bm_rr_case *c = &bm_rr_cases[i];
		uint64_t got = rr_ops[c->op].fn(c->a, c->b);

		if (got != c->want)
			report(1000 + i, rr_ops[c->op].name, c->a, c->b, true,
			       got, c->want);
	}
	for (unsigned i = 0;
	     i < sizeof(bm_unary_cases) / sizeof(bm_unary_cases[0]); i++) {
		const struct bm_unary_case *c = &bm_unary_cases[i];
		uint64_t got = unary_ops[c->op].fn(c->a);

		if (got != c->want)
			report(3000 + i, unary_ops[c->op].name, c->a, 0, false,
			       got, c->want);
	}
	for (unsigned i = 0; i < sizeof(bm_imm_cases) / sizeof(bm_imm_cases[0]);
	     i++) {
		const struct bm_imm_case *c = &bm_imm_cases[i];
		uint64_t got = imm_ops[c->op].fn(c->a);

		if (got != c->want)
			report(5000 + i, imm_ops[c->op].name, c->a, 0, false,
			       got, c->want);
	}
}

#define INT64_MIN_ 0x8000000000000000ul
#define ALL_ONES   0xfffffffffffffffful

/* The corner cases of each definition, by name; the values are worked out
 * by hand in the comments. The vectors cover most of them too. */
static void check_named(void)
{
	/* Counts of zero are the width; the W forms see the low word. */
	EXPECT_EQ(un_clz(0), 64, 101);
	EXPECT_EQ(un_clzw(0xffffffff00000000ul), 32, 102);
	EXPECT_EQ(un_clzw(0x80000000ul), 0, 103);
	EXPECT_EQ(un_clz(1), 63, 104);
	EXPECT_EQ(un_ctz(0), 64, 105);
	EXPECT_EQ(un_ctz(INT64_MIN_), 63, 106);
	EXPECT_EQ(un_ctzw(0x100000000ul), 32, 107); /* low word 0 */
	EXPECT_EQ(un_cpop(ALL_ONES), 64, 108);
	EXPECT_EQ(un_cpopw(0xffffffff0000000ful), 4, 109);
	/* Signed and unsigned order: -1 < 1 signed, > 1 unsigned. */
	EXPECT_EQ(rr_max(ALL_ONES, 1), 1, 110);
	EXPECT_EQ(rr_maxu(ALL_ONES, 1), ALL_ONES, 111);
	EXPECT_EQ(rr_min(INT64_MIN_, 0x7ffffffffffffffful), INT64_MIN_, 112);
	EXPECT_EQ(rr_minu(INT64_MIN_, 0x7ffffffffffffffful),
		  0x7ffffffffffffffful, 113);
	/* Extensions from bit 7 and 15; zext.h drops everything above. */
	EXPECT_EQ(un_sext_b(0x1234567890abcd80ul), 0xffffffffffffff80ul, 114);
	EXPECT_EQ(un_sext_b(0x7f), 0x7f, 115);
	EXPECT_EQ(un_sext_h(0x8000), 0xffffffffffff8000ul, 116);
	EXPECT_EQ(un_zext_h(0xffffffffffff8001ul), 0x8001, 117);
	/* Rotations: amounts mod 64 / 32, W results sign-extended. */
	EXPECT_EQ(rr_rol(0x8000000000000001ul, 1), 3, 118);
	EXPECT_EQ(rr_ror(1, 64), 1, 119);
	EXPECT_EQ(rr_ror(1, 1), INT64_MIN_, 120);
	EXPECT_EQ(rr_rorw(1, 1), 0xffffffff80000000ul, 121);
	EXPECT_EQ(rr_rolw(0x40000000, 33), 0xffffffff80000000ul, 122);
	EXPECT_EQ(imm_roriw_0(0xffffffff00000001ul), 1, 123);
	EXPECT_EQ(imm_rori_63(1), 2, 124); /* right 63 = left 1 */
	/* orc.b: bytes 01 00 80 00 00 00 02 01 -> ff 00 ff 00 00 00 ff ff. */
	EXPECT_EQ(un_orc_b(0x0100800000000201ul), 0xff00ff000000fffful, 125);
	EXPECT_EQ(un_rev8(0x0123456789abcdeful), 0xefcdab8967452301ul, 126);
	/* Carry-less: (x + 1)^2 = x^2 + 1, so 3 * 3 = 5; x^63 * x^63 =
	 * x^126: bit 62 of clmulh, bit 63 of clmulr (bits 126..63); the
	 * square of all ones is the even powers x^0..x^126. */
	EXPECT_EQ(rr_clmul(3, 3), 5, 127);
	EXPECT_EQ(rr_clmulh(INT64_MIN_, INT64_MIN_), 0x4000000000000000ul, 128);
	EXPECT_EQ(rr_clmulr(INT64_MIN_, INT64_MIN_), INT64_MIN_, 129);
	EXPECT_EQ(rr_clmul(ALL_ONES, ALL_ONES), 0x5555555555555555ul, 130);
	EXPECT_EQ(rr_clmulh(ALL_ONES, ALL_ONES), 0x5555555555555555ul, 131);
	EXPECT_EQ(rr_clmulr(ALL_ONES, ALL_ONES), 0xaaaaaaaaaaaaaaaaul, 132);
	/* Zba: the .uw forms take rs1's low word unsigned. */
	EXPECT_EQ(rr_add_uw(0xffffffff80000000ul, 1), 0x80000001ul, 133);
	EXPECT_EQ(rr_sh3add_uw(0xffffffff80000000ul, 0), 0x400000000ul, 134);
	EXPECT_EQ(rr_sh1add(INT64_MIN_ + 1, 1), 3, 135);
	EXPECT_EQ(imm_slli_uw_63(ALL_ONES), INT64_MIN_, 136);
	EXPECT_EQ(imm_slli_uw_32(0xffffffff80000000ul), 0x8000000000000000ul,
		  137);
	/* Zbs: the index is rs2 mod 64. */
	EXPECT_EQ(rr_bext(INT64_MIN_, 127), 1, 138);
	EXPECT_EQ(rr_bset(0, 64), 1, 139);
	EXPECT_EQ(imm_binvi_63(ALL_ONES), 0x7ffffffffffffffful, 140);
	EXPECT_EQ(rr_bclr(ALL_ONES, 32), 0xfffffffeffffffffull, 141);
	EXPECT_EQ(imm_bexti_32(0x100000000ul), 1, 142);
	/* Logic with negate. */
	EXPECT_EQ(rr_andn(0xff00, 0xf0f0), 0x0f00, 143);
	EXPECT_EQ(rr_orn(0, 0xffffffff), 0xffffffff00000000ul, 144);
	EXPECT_EQ(rr_xnor(0x5555555555555555ul, 0xaaaaaaaaaaaaaaaaul), 0, 145);
	/* Zicond: any nonzero rs2 is true. */
	EXPECT_EQ(rr_czero_eqz(42, 0), 0, 146);
	EXPECT_EQ(rr_czero_eqz(42, INT64_MIN_), 42, 147);
	EXPECT_EQ(rr_czero_nez(42, 0), 42, 148);
	EXPECT_EQ(rr_czero_nez(42, 1), 0, 149);
}

static void check_x0(void)
{
	uint64_t r;

	/* Results written to x0 are dropped. */
	__asm__ volatile(NORVC("li t0, -1\n\t"
			       "clz x0, x0\n\t"
			       "cpop x0, t0\n\t"
			       "rev8 x0, t0\n\t"
			       "sh3add x0, t0, t0\n\t"
			       "bseti x0, x0, 5\n\t"
			       ".insn r OP, 7, 7, x0, t0, x0\n\t"
			       "mv %0, x0")
			 : "=r"(r)
			 :
			 : "t0");
	EXPECT_EQ(r, 0, 201);
	/* x0 as a source reads zero. */
	__asm__ volatile(NORVC("clz %0, x0") : "=r"(r));
	EXPECT_EQ(r, 64, 202);
	__asm__ volatile(NORVC("orn %0, x0, x0") : "=r"(r));
	EXPECT_EQ(r, ALL_ONES, 203);
}

/* Run the 32-bit word insn; expect an illegal-instruction trap at it
 * whose stval holds the instruction's bits (and go on either way). */
#define EXPECT_ILLEGAL(word, code)                                             \
	ILLEGAL_AT(".word " #word, word, code, EXPECT_EQ)

static void check_reserved(void)
{
	EXPECT_ILLEGAL(0x6203529b, 301); /* roriw t0, t1 with shamt[5] = 1 */
	EXPECT_ILLEGAL(0x08c4c43b, 304); /* zext.h with rs2 = a2 (packw) */
	EXPECT_ILLEGAL(0x69835293, 307); /* rev8's RV32 encoding */
	EXPECT_ILLEGAL(0x6875d513, 310); /* brev8 (Zbkb) */
	EXPECT_ILLEGAL(0x60359513, 313); /* clz group, rs2 field 3 */
	EXPECT_ILLEGAL(0x0ec5e533, 316); /* funct7 0000111 funct3 6 */
	EXPECT_ILLEGAL(0x0ac5953b, 319); /* clmul's funct7 in OP-32 */
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_named();
	check_vectors();
	check_x0();
	check_reserved();
}
