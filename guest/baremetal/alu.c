/* SPDX-License-Identifier: MIT */
/*
 * Integer computation: every RV64I and M instruction (W forms included)
 * against test vectors from an independent model (alu_cases.py), the
 * corner cases of the M extension by name, lui/auipc, branches both ways
 * in both directions, jal/jalr link values, x0 as a destination,
 * sign-extending loads, and compressed instructions against their 32-bit
 * expansions (alu_rvc.S).
 *
 * Written from the RISC-V unprivileged specification: "RV32I Base Integer
 * Instruction Set", "RV64I", "M Extension", "C Extension".
 *
 * Check codes: 1xx M corner cases and shifts, 2xx lui/auipc, 3xx
 * branches, 4xx jumps, 5xx x0, 6xx loads, 7xx compressed known values,
 * 1000+i register-register vector i, 3000+i register-immediate vector i,
 * 5000+100p+n compressed step n with operand pair p.
 */
#include "lib.h"

#include "alu_cases.h"

TEST_NAME("alu");

/* Every instruction here is a 32-bit one (no RVC): the compressed forms
 * are tested on their own. */
#define NORVC(insn) ".option push\n\t.option norvc\n\t" insn "\n\t.option pop"

#define RR_FN(name)                                                            \
	static uint64_t rr_##name(uint64_t a, uint64_t b)                      \
	{                                                                      \
		uint64_t r;                                                    \
		__asm__ volatile(NORVC(#name " %0, %1, %2")                    \
				 : "=r"(r)                                     \
				 : "r"(a), "r"(b));                            \
		return r;                                                      \
	}
RR_OPS(RR_FN)

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t a, uint64_t b);
} rr_ops[] = {
#define RR_ENTRY(name) [RR_##name] = {#name, rr_##name},
    RR_OPS(RR_ENTRY)};

#define IMM_FN(name, insn, imm)                                                \
	static uint64_t imm_##name(uint64_t a)                                 \
	{                                                                      \
		uint64_t r;                                                    \
		__asm__ volatile(NORVC(#insn " %0, %1, " #imm)                 \
				 : "=r"(r)                                     \
				 : "r"(a));                                    \
		return r;                                                      \
	}
IMM_OPS(IMM_FN)

static const struct {
	const char *name;
	uint64_t (*fn)(uint64_t a);
} imm_ops[] = {
#define IMM_ENTRY(name, insn, imm) [IMM_##name] = {#insn " " #imm, imm_##name},
    IMM_OPS(IMM_ENTRY)};

static void check_vectors(void)
{
	for (unsigned i = 0; i < sizeof(rr_cases) / sizeof(rr_cases[0]); i++) {
		const struct rr_case *c = &rr_cases[i];
		uint64_t got = rr_ops[c->op].fn(c->a, c->b);

		if (got != c->want) {
			fail_begin(1000 + i);
			puts(rr_ops[c->op].name);
			putchar(' ');
			put_hex(c->a);
			puts(", ");
			put_hex(c->b);
			puts(": got ");
			put_hex(got);
			puts(", expected ");
			put_hex(c->want);
			fail_end();
		}
	}
	for (unsigned i = 0; i < sizeof(imm_cases) / sizeof(imm_cases[0]);
	     i++) {
		const struct imm_case *c = &imm_cases[i];
		uint64_t got = imm_ops[c->op].fn(c->a);

		if (got != c->want) {
			fail_begin(3000 + i);
			puts(imm_ops[c->op].name);
			puts(" on ");
			put_hex(c->a);
			puts(": got ");
			put_hex(got);
			puts(", expected ");
			put_hex(c->want);
			fail_end();
		}
	}
}

#define INT64_MIN_ 0x8000000000000000ul
#define ALL_ONES   0xfffffffffffffffful

/* The cases the M chapter's table names, and the widest shifts. The
 * vectors cover them too; here each has a name. */
static void check_named(void)
{
	/* Division by zero: quotient all ones, remainder the dividend. */
	CHECK_EQ(rr_div(5, 0), ALL_ONES, 101);
	CHECK_EQ(rr_divu(5, 0), ALL_ONES, 102);
	CHECK_EQ(rr_rem(5, 0), 5, 103);
	CHECK_EQ(rr_remu(5, 0), 5, 104);
	CHECK_EQ(rr_divw(0x1234567800000005ul, 0xffffffff00000000ul), ALL_ONES,
		 105);
	CHECK_EQ(rr_divuw(5, 0), ALL_ONES, 106);
	CHECK_EQ(rr_remw(0x12345678fffffffbul, 0), (uint64_t)-5, 107);
	CHECK_EQ(rr_remuw(0x80000000ul, 0), 0xffffffff80000000ul, 108);
	/* Overflow: INT_MIN / -1 = INT_MIN, remainder 0. */
	CHECK_EQ(rr_div(INT64_MIN_, ALL_ONES), INT64_MIN_, 109);
	CHECK_EQ(rr_rem(INT64_MIN_, ALL_ONES), 0, 110);
	CHECK_EQ(rr_divw(0x80000000ul, ALL_ONES), 0xffffffff80000000ul, 111);
	CHECK_EQ(rr_remw(0x80000000ul, ALL_ONES), 0, 112);
	/* Signed division rounds towards zero; the remainder has the
	 * dividend's sign. */
	CHECK_EQ(rr_div((uint64_t)-7, 2), (uint64_t)-3, 113);
	CHECK_EQ(rr_rem((uint64_t)-7, 2), (uint64_t)-1, 114);
	CHECK_EQ(rr_rem(7, (uint64_t)-2), 1, 115);
	/* High halves of products with negative operands. */
	CHECK_EQ(rr_mulh(ALL_ONES, ALL_ONES), 0, 116);
	CHECK_EQ(rr_mulh(INT64_MIN_, INT64_MIN_), 0x4000000000000000ul, 117);
	CHECK_EQ(rr_mulh((uint64_t)-2, 3), ALL_ONES, 118);
	CHECK_EQ(rr_mulhsu(ALL_ONES, ALL_ONES), ALL_ONES, 119);
	CHECK_EQ(rr_mulhsu(2, ALL_ONES), 1, 120);
	CHECK_EQ(rr_mulhsu(INT64_MIN_, ALL_ONES), 0x8000000000000000ul, 121);
	CHECK_EQ(rr_mulhu(ALL_ONES, ALL_ONES), 0xfffffffffffffffeul, 122);
	CHECK_EQ(rr_mulhu((uint64_t)-2, 3), 2, 123);
	CHECK_EQ(rr_mulw(0x7fffffff, 2), (uint64_t)-2, 124);
	/* Shifts by 63 and 31, and amounts taken modulo 64 / 32. */
	CHECK_EQ(rr_sll(1, 63), INT64_MIN_, 130);
	CHECK_EQ(rr_srl(INT64_MIN_, 63), 1, 131);
	CHECK_EQ(rr_sra(INT64_MIN_, 63), ALL_ONES, 132);
	CHECK_EQ(rr_sll(1, 64), 1, 133);
	CHECK_EQ(rr_sllw(1, 31), 0xffffffff80000000ul, 134);
	CHECK_EQ(rr_srlw(0xffffffff80000000ul, 31), 1, 135);
	CHECK_EQ(rr_sraw(0x80000000ul, 31), ALL_ONES, 136);
	CHECK_EQ(rr_sllw(1, 32), 1, 137);
	CHECK_EQ(imm_slli_63(1), INT64_MIN_, 138);
	CHECK_EQ(imm_srli_63(INT64_MIN_), 1, 139);
	CHECK_EQ(imm_srai_63(INT64_MIN_), ALL_ONES, 140);
	CHECK_EQ(imm_slliw_31(1), 0xffffffff80000000ul, 141);
	CHECK_EQ(imm_srliw_31(0x80000000ul), 1, 142);
	CHECK_EQ(imm_sraiw_31(0x80000000ul), ALL_ONES, 143);
	/* srliw of a negative word: zero-fill, then sign-extend bit 31. */
	CHECK_EQ(imm_srliw_0(0x80000000ul), 0xffffffff80000000ul, 144);
	CHECK_EQ(imm_srliw_1(0xffffffff00000000ul), 0, 145);
}

static void check_lui_auipc(void)
{
	uint64_t r, pc;

	/* lui: imm << 12, sign-extended from bit 31. */
	__asm__ volatile(NORVC("lui %0, 0x80000") : "=r"(r));
	CHECK_EQ(r, 0xffffffff80000000ul, 201);
	__asm__ volatile(NORVC("lui %0, 0x7ffff") : "=r"(r));
	CHECK_EQ(r, 0x7ffff000ul, 202);
	__asm__ volatile(NORVC("lui %0, 0xfffff") : "=r"(r));
	CHECK_EQ(r, 0xfffffffffffff000ul, 203);
	__asm__ volatile(NORVC("lui %0, 0") : "=r"(r));
	CHECK_EQ(r, 0, 204);

	/* auipc: its own pc plus the same immediate. The pc comes from a
	 * jal's link (so not from auipc itself). */
	__asm__ volatile(NORVC("jal %1, 1f\n1:\tauipc %0, 0")
			 : "=r"(r), "=r"(pc));
	CHECK_EQ(r, pc, 205);
	__asm__ volatile(NORVC("jal %1, 1f\n1:\tauipc %0, 1")
			 : "=r"(r), "=r"(pc));
	CHECK_EQ(r, pc + 0x1000, 206);
	__asm__ volatile(NORVC("jal %1, 1f\n1:\tauipc %0, 0x80000")
			 : "=r"(r), "=r"(pc));
	CHECK_EQ(r, pc - 0x80000000ul, 207);
	__asm__ volatile(NORVC("jal %1, 1f\n1:\tauipc %0, 0xfffff")
			 : "=r"(r), "=r"(pc));
	CHECK_EQ(r, pc - 0x1000, 208);
}

/* 1 if the branch is taken: forward, and backward. */
#define BR_FWD(op, a, b)                                                       \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile(NORVC("li %0, 1\n\t" op " %1, %2, 1f\n\t"     \
				       "li %0, 0\n1:")                         \
				 : "=&r"(__r)                                  \
				 : "r"((uint64_t)(a)), "r"((uint64_t)(b)));    \
		__r;                                                           \
	})
#define BR_BWD(op, a, b)                                                       \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile(NORVC("j 2f\n1:\tli %0, 1\n\tj 3f\n"          \
				       "2:\tli %0, 0\n\t" op                   \
				       " %1, %2, 1b\n3:")                      \
				 : "=&r"(__r)                                  \
				 : "r"((uint64_t)(a)), "r"((uint64_t)(b)));    \
		__r;                                                           \
	})
#define CHECK_BR(op, a, b, taken, code)                                        \
	do {                                                                   \
		CHECK_EQ(BR_FWD(op, a, b), taken, code);                       \
		CHECK_EQ(BR_BWD(op, a, b), taken, code + 1);                   \
	} while (0)

static void check_branches(void)
{
	CHECK_BR("beq", 3, 3, 1, 301);
	CHECK_BR("beq", 3, 4, 0, 303);
	CHECK_BR("bne", 3, 4, 1, 305);
	CHECK_BR("bne", 3, 3, 0, 307);
	CHECK_BR("blt", -1, 1, 1, 309);
	CHECK_BR("blt", 1, -1, 0, 311);
	CHECK_BR("blt", 2, 2, 0, 313);
	CHECK_BR("blt", INT64_MIN_, 0x7ffffffffffffffful, 1, 315);
	CHECK_BR("bge", -1, 1, 0, 317);
	CHECK_BR("bge", 1, -1, 1, 319);
	CHECK_BR("bge", 2, 2, 1, 321);
	CHECK_BR("bltu", 1, -1, 1, 323);
	CHECK_BR("bltu", -1, 1, 0, 325);
	CHECK_BR("bltu", 2, 2, 0, 327);
	CHECK_BR("bgeu", 1, -1, 0, 329);
	CHECK_BR("bgeu", -1, 1, 1, 331);
	CHECK_BR("bgeu", 2, 2, 1, 333);
	CHECK_BR("bgeu", 0, 0, 1, 335);
}

static void check_jumps(void)
{
	uint64_t link, want, r;

	/* jal: rd = the address of the next instruction. */
	__asm__ volatile(NORVC("la %1, 2f\n\tjal %0, 1f\n2:\tnop\n1:")
			 : "=&r"(link), "=&r"(want));
	CHECK_EQ(link, want, 401);
	/* jal backwards. */
	__asm__ volatile(NORVC("li %0, 0\n\tj 2f\n1:\tli %0, 1\n\tj 3f\n"
			       "2:\tjal x0, 1b\n\tli %0, 2\n3:")
			 : "=&r"(r));
	CHECK_EQ(r, 1, 402);

	/* jalr clears bit 0 of the target; rd = the next instruction. */
	__asm__ volatile(NORVC("la t0, 1f\n\t"
			       "addi t0, t0, 1\n\t"
			       "la %1, 2f\n\t"
			       "li %2, 0\n\t"
			       "jalr %0, 0(t0)\n"
			       "2:\tli %2, 1\n"
			       "1:")
			 : "=&r"(link), "=&r"(want), "=&r"(r)
			 :
			 : "t0");
	CHECK_EQ(r, 0, 403); /* landed on 1, not 2 */
	CHECK_EQ(link, want, 404);

	/* jalr with a negative offset making an odd sum. */
	__asm__ volatile(NORVC("la t0, 1f + 5\n\t"
			       "li %1, 0\n\t"
			       "jalr %0, -4(t0)\n\t"
			       "li %1, 1\n"
			       "1:")
			 : "=&r"(link), "=&r"(r)
			 :
			 : "t0");
	CHECK_EQ(r, 0, 405);

	/* rd = rs1: the target is computed from the old value. */
	__asm__ volatile(NORVC("la %0, 1f\n\t"
			       "la %1, 2f\n\t"
			       "jalr %0, 0(%0)\n"
			       "2:\tli %1, 0\n"
			       "1:")
			 : "=&r"(link), "=&r"(want));
	CHECK(want != 0, 406); /* it jumped */
	CHECK_EQ(link, want, 407);
}

static void check_x0(void)
{
	uint64_t buf = 0x1122334455667788ul, r;

	/* Writes to x0 are dropped, whatever the instruction. */
	__asm__ volatile(NORVC("addi x0, x0, 5\n\tmv %0, x0") : "=r"(r));
	CHECK_EQ(r, 0, 501);
	__asm__ volatile(NORVC("lui x0, 0x12345\n\tmv %0, x0") : "=r"(r));
	CHECK_EQ(r, 0, 502);
	__asm__ volatile(NORVC("li t0, -1\n\tadd x0, t0, t0\n\tmv %0, x0")
			 : "=r"(r)
			 :
			 : "t0");
	CHECK_EQ(r, 0, 503);
	__asm__ volatile(NORVC("ld x0, 0(%1)\n\tmv %0, x0")
			 : "=r"(r)
			 : "r"(&buf)
			 : "memory");
	CHECK_EQ(r, 0, 504);
	__asm__ volatile(NORVC("jal x0, 1f\n1:\tmv %0, x0") : "=r"(r));
	CHECK_EQ(r, 0, 505);
	__asm__ volatile(NORVC("li t0, 7\n\tdiv x0, t0, t0\n\tmv %0, x0")
			 : "=r"(r)
			 :
			 : "t0");
	CHECK_EQ(r, 0, 506);
	/* x0 as a source after all that: still zero. */
	__asm__ volatile(NORVC("addi %0, x0, 3") : "=r"(r));
	CHECK_EQ(r, 3, 507);
}

static void check_loads(void)
{
	static const uint8_t data[16] __attribute__((aligned(8))) = {
	    0x80, 0xff, 0x7f, 0x00, 0x00, 0x80, 0xff, 0xff,
	    0x01, 0x00, 0x00, 0x80, 0x78, 0x56, 0x34, 0x12,
	};
	uint64_t base = (uint64_t)data, v;

	/* lb/lh/lw sign-extend, lbu/lhu/lwu zero-extend (little-endian). */
	probe_lb(base, &v);
	CHECK_EQ(v, 0xffffffffffffff80ul, 601);
	probe_lbu(base, &v);
	CHECK_EQ(v, 0x80, 602);
	probe_lb(base + 2, &v);
	CHECK_EQ(v, 0x7f, 603);
	probe_lh(base, &v);
	CHECK_EQ(v, 0xffffffffffffff80ul, 604);
	probe_lhu(base, &v);
	CHECK_EQ(v, 0xff80, 605);
	probe_lh(base + 4, &v);
	CHECK_EQ(v, 0xffffffffffff8000ul, 606);
	probe_lh(base + 2, &v);
	CHECK_EQ(v, 0x7f, 607);
	probe_lw(base + 4, &v);
	CHECK_EQ(v, 0xffffffffffff8000ul, 608);
	probe_lwu(base + 4, &v);
	CHECK_EQ(v, 0xffff8000ul, 609);
	probe_lw(base + 8, &v);
	CHECK_EQ(v, 0xffffffff80000001ul, 610);
	probe_lwu(base + 8, &v);
	CHECK_EQ(v, 0x80000001ul, 611);
	probe_lw(base + 12, &v);
	CHECK_EQ(v, 0x12345678, 612);
	probe_ld(base, &v);
	CHECK_EQ(v, 0xffff8000007fff80ul, 613);
	probe_ld(base + 8, &v);
	CHECK_EQ(v, 0x1234567880000001ul, 614);
	CHECK_EQ(self()->nexc, 0, 615); /* none of them trapped */
}

#define RVC_NOUT 40
void rvc_ops(uint64_t *out, uint64_t a, uint64_t b);
void rv_ops(uint64_t *out, uint64_t a, uint64_t b);

static void check_compressed(void)
{
	static const uint64_t pairs[][2] = {
	    {0, 0},
	    {1, 2},
	    {0x0123456789abcdeful, 0xfedcba9876543210ul},
	    {0xffffffff80000000ul, 0x7ffffffful},
	    {0x8000000000000000ul, 0xfffffffffffffffful},
	    {0x00000000fffffff0ul, 0x1234567800000010ul},
	};
	uint64_t c[RVC_NOUT], w[RVC_NOUT];

	for (unsigned p = 0; p < sizeof(pairs) / sizeof(pairs[0]); p++) {
		memset(c, 0xa5, sizeof(c));
		memset(w, 0x5a, sizeof(w));
		rvc_ops(c, pairs[p][0], pairs[p][1]);
		rv_ops(w, pairs[p][0], pairs[p][1]);
		for (unsigned n = 0; n < RVC_NOUT; n++) {
			if (c[n] == w[n])
				continue;
			fail_begin(5000 + 100 * p + n);
			puts("compressed step ");
			put_dec(n);
			puts(" (alu_rvc.S) on ");
			put_hex(pairs[p][0]);
			puts(", ");
			put_hex(pairs[p][1]);
			puts(": RVC ");
			put_hex(c[n]);
			puts(", 32-bit ");
			put_hex(w[n]);
			fail_end();
		}
	}

	/* Agreeing is not enough: known values for a = 1, b = 2. */
	rvc_ops(c, 1, 2);
	CHECK_EQ(c[0], 3, 701);			    /* c.add */
	CHECK_EQ(c[1], (uint64_t)-1, 702);	    /* c.sub */
	CHECK_EQ(c[8], (uint64_t)-31, 703);	    /* c.addi -32 */
	CHECK_EQ(c[12], (uint64_t)-32, 704);	    /* c.li -32 */
	CHECK_EQ(c[14], 0xfffffffffffff000ul, 705); /* c.lui 0xfffff */
	CHECK_EQ(c[15], 0x1f000, 706);		    /* c.lui 0x1f */
	CHECK_EQ(c[16], 0xfffffffffffe0000ul, 707); /* c.lui 0xfffe0 */
	CHECK_EQ(c[17], 0x8000000000000000ul, 708); /* c.slli 63 */
	CHECK_EQ(c[25], (uint64_t)-512, 709);	    /* c.addi16sp -512 */
	CHECK_EQ(c[26], 496, 710);		    /* c.addi16sp 496 */
	CHECK_EQ(c[27], 1020, 711);		    /* c.addi4spn 1020 */
	CHECK_EQ(c[28], 4, 712);		    /* c.addi4spn 4 */
	CHECK_EQ(c[29], 1, 713);		    /* c.sw/c.lw */
	CHECK_EQ(c[32], 1, 714);		    /* c.sdsp/c.ldsp */
	CHECK_EQ(c[33], 1, 715);		    /* c.beqz not taken */
	CHECK_EQ(c[34], 0, 716);		    /* c.bnez taken */
	CHECK_EQ(c[35], 0, 717);		    /* c.beqz back, not taken */
	CHECK_EQ(c[36], 5, 718);		    /* c.j */
	CHECK_EQ(c[37], 7, 719);		    /* c.jr */
	CHECK_EQ(c[38], 0, 720);		    /* c.jalr link */
	CHECK_EQ(c[39], 9, 721);		    /* c.nop */
	rvc_ops(c, 0, 0);
	CHECK_EQ(c[33], 0, 722); /* c.beqz taken */
	CHECK_EQ(c[35], 1, 723); /* c.beqz back, taken */
	rvc_ops(c, 0xffffffff80000000ul, 0);
	CHECK_EQ(c[10], 0x000000007ffffffful, 724); /* c.addiw -1 wraps */
	CHECK_EQ(c[11], 0xffffffff80000000ul, 725); /* c.addiw 0 = sext.w */
	CHECK_EQ(c[21], (uint64_t)-1, 726);	    /* c.srai 63 */
	CHECK_EQ(c[20], 0xfffffffful, 727);	    /* c.srli 32 */
	CHECK_EQ(c[29], 0xffffffff80000000ul, 728); /* c.lw sign-extends */
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_named();
	check_vectors();
	check_lui_auipc();
	check_branches();
	check_jumps();
	check_x0();
	check_loads();
	check_compressed();
}
