/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/decode_bitmanip and cpu/exec_bitmanip: Zba, Zbb,
 * Zbc, Zbs and Zicond.
 *
 * Decoding: each instruction's encoding, assembled by the RISC-V cross
 * assembler (GNU as 2.40, -march=rv64gc_zba_zbb_zbc_zbs, .option norvc),
 * decodes to its handler with its registers and immediate; the reserved
 * encodings around them decode as illegal (GNU objdump, given the same
 * -march, shows each of them as an unknown word). binutils 2.40 does not
 * know Zicond: its two encodings are by hand from the Zicond chapter and
 * agree with what `.insn r OP, funct3, 7, rd, rs1, rs2` assembles to.
 *
 * Execution: each handler, run on a struct hart, against a reference
 * written from the specification's definition with bit loops (not the
 * builtins the handlers use), on edge values and on pseudo-random ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/decode.h"
#include "cpu/exec_bitmanip.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- Decoding ---- */

struct encoding {
	uint32_t w;
	exec_fn fn;
	uint8_t rd, rs1, rs2; /* rd 32: x0; rs2 0 where there is none */
	int64_t imm;
	const char *asm_text;
};

/* x0 as rd decodes to the sink register x[32]. */
#define ZERO 32

static const struct encoding encodings[] = {
    /* Zba */
    {0x08c5853b, exec_add_uw, 10, 11, 12, 0, "add.uw a0, a1, a2"},
    {0x20c5a533, exec_sh1add, 10, 11, 12, 0, "sh1add a0, a1, a2"},
    {0x207342b3, exec_sh2add, 5, 6, 7, 0, "sh2add t0, t1, t2"},
    {0x20f4e433, exec_sh3add, 8, 9, 15, 0, "sh3add s0, s1, a5"},
    {0x20c5a53b, exec_sh1add_uw, 10, 11, 12, 0, "sh1add.uw a0, a1, a2"},
    {0x207342bb, exec_sh2add_uw, 5, 6, 7, 0, "sh2add.uw t0, t1, t2"},
    {0x20f4e43b, exec_sh3add_uw, 8, 9, 15, 0, "sh3add.uw s0, s1, a5"},
    {0x0805951b, exec_slli_uw, 10, 11, 0, 0, "slli.uw a0, a1, 0"},
    {0x09f5951b, exec_slli_uw, 10, 11, 0, 31, "slli.uw a0, a1, 31"},
    {0x0bff1f9b, exec_slli_uw, 31, 30, 0, 63, "slli.uw t6, t5, 63"},
    /* Zbb */
    {0x40c5f533, exec_andn, 10, 11, 12, 0, "andn a0, a1, a2"},
    {0x407362b3, exec_orn, 5, 6, 7, 0, "orn t0, t1, t2"},
    {0x4124c433, exec_xnor, 8, 9, 18, 0, "xnor s0, s1, s2"},
    {0x60059513, exec_clz, 10, 11, 0, 0, "clz a0, a1"},
    {0x6003129b, exec_clzw, 5, 6, 0, 0, "clzw t0, t1"},
    {0x60169613, exec_ctz, 12, 13, 0, 0, "ctz a2, a3"},
    {0x6017971b, exec_ctzw, 14, 15, 0, 0, "ctzw a4, a5"},
    {0x60299913, exec_cpop, 18, 19, 0, 0, "cpop s2, s3"},
    {0x602a9a1b, exec_cpopw, 20, 21, 0, 0, "cpopw s4, s5"},
    {0x0ac5e533, exec_max, 10, 11, 12, 0, "max a0, a1, a2"},
    {0x0af776b3, exec_maxu, 13, 14, 15, 0, "maxu a3, a4, a5"},
    {0x0a7342b3, exec_min, 5, 6, 7, 0, "min t0, t1, t2"},
    {0x0beede33, exec_minu, 28, 29, 30, 0, "minu t3, t4, t5"},
    {0x60459513, exec_sext_b, 10, 11, 0, 0, "sext.b a0, a1"},
    {0x60531293, exec_sext_h, 5, 6, 0, 0, "sext.h t0, t1"},
    {0x0804c43b, exec_zext_h, 8, 9, 0, 0, "zext.h s0, s1"},
    {0x60c59533, exec_rol, 10, 11, 12, 0, "rol a0, a1, a2"},
    {0x607312bb, exec_rolw, 5, 6, 7, 0, "rolw t0, t1, t2"},
    {0x60f756b3, exec_ror, 13, 14, 15, 0, "ror a3, a4, a5"},
    {0x6015d513, exec_rori, 10, 11, 0, 1, "rori a0, a1, 1"},
    {0x63f5d513, exec_rori, 10, 11, 0, 63, "rori a0, a1, 63"},
    {0x6050d013, exec_rori, ZERO, 1, 0, 5, "rori zero, ra, 5"},
    {0x6003529b, exec_roriw, 5, 6, 0, 0, "roriw t0, t1, 0"},
    {0x61f3529b, exec_roriw, 5, 6, 0, 31, "roriw t0, t1, 31"},
    {0x6124d43b, exec_rorw, 8, 9, 18, 0, "rorw s0, s1, s2"},
    {0x2875d513, exec_orc_b, 10, 11, 0, 0, "orc.b a0, a1"},
    {0x6b835293, exec_rev8, 5, 6, 0, 0, "rev8 t0, t1"},
    /* Zbc */
    {0x0ac59533, exec_clmul, 10, 11, 12, 0, "clmul a0, a1, a2"},
    {0x0a7332b3, exec_clmulh, 5, 6, 7, 0, "clmulh t0, t1, t2"},
    {0x0b24a433, exec_clmulr, 8, 9, 18, 0, "clmulr s0, s1, s2"},
    /* Zbs */
    {0x48c59533, exec_bclr, 10, 11, 12, 0, "bclr a0, a1, a2"},
    {0x4bf59513, exec_bclri, 10, 11, 0, 63, "bclri a0, a1, 63"},
    {0x487352b3, exec_bext, 5, 6, 7, 0, "bext t0, t1, t2"},
    {0x4a035293, exec_bexti, 5, 6, 0, 32, "bexti t0, t1, 32"},
    {0x69249433, exec_binv, 8, 9, 18, 0, "binv s0, s1, s2"},
    {0x68049413, exec_binvi, 8, 9, 0, 0, "binvi s0, s1, 0"},
    {0x28f716b3, exec_bset, 13, 14, 15, 0, "bset a3, a4, a5"},
    {0x29171693, exec_bseti, 13, 14, 0, 17, "bseti a3, a4, 17"},
    /* Zicond, by hand: funct7 0000111, rs2, rs1, funct3 101 (eqz) or
     * 111 (nez), rd, opcode OP 0110011. */
    {0x0ec5d533, exec_czero_eqz, 10, 11, 12, 0, "czero.eqz a0, a1, a2"},
    {0x0e7372b3, exec_czero_nez, 5, 6, 7, 0, "czero.nez t0, t1, t2"},
};

static void test_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(encodings); i++) {
		const struct encoding *e = &encodings[i];
		struct insn in;
		bool ends;

		memset(&in, 0x5a, sizeof(in));
		ends = decode(e->w, &in);
		if (in.fn != e->fn || in.rd != e->rd || in.rs1 != e->rs1 ||
		    in.rs2 != e->rs2 || in.imm != e->imm || ends)
			fail_msg("%s (0x%08x): handler %s, rd %u (want %u), "
				 "rs1 %u (%u), rs2 %u (%u), imm %lld (%lld), "
				 "ends block %d",
				 e->asm_text, e->w,
				 in.fn == e->fn		 ? "right"
				 : in.fn == exec_illegal ? "illegal"
							 : "wrong",
				 in.rd, e->rd, in.rs1, e->rs1, in.rs2, e->rs2,
				 (long long)in.imm, (long long)e->imm, ends);
		assert_int_equal(in.len, 4);
		assert_int_equal(in.raw, e->w);
	}
}

/* Every handler of exec_bitmanip.h has an encoding above, so none is
 * left out of the decoder. */
static void test_every_handler_decoded(void **state)
{
	static const struct {
		exec_fn fn;
		const char *name;
	} handlers[] = {
#define HANDLER(name) {exec_##name, #name},
	    BITMANIP_OPS(HANDLER)
#undef HANDLER
	};

	(void)state;
	for (size_t h = 0; h < ARRAY_SIZE(handlers); h++) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(encodings); i++)
			found |= encodings[i].fn == handlers[h].fn;
		if (!found)
			fail_msg("exec_%s: no encoding decodes to it",
				 handlers[h].name);
	}
}

static void test_reserved(void **state)
{
	static const struct {
		uint32_t w;
		const char *what;
	} reserved[] = {
	    /* Immediates: shamt[5] in the W forms, unused funct6/funct7. */
	    {0x6203529b, "roriw t0, t1 with shamt[5] = 1"},
	    {0x0c05951b, "OP-IMM-32 funct3 1 funct6 000011 (slli.uw's)"},
	    {0x4c05951b, "OP-IMM-32 funct3 1 funct6 010011"},
	    {0x4805951b, "bclri's funct6 in OP-IMM-32"},
	    {0x08059513, "slli.uw's funct6 in OP-IMM"},
	    {0x6415d513, "OP-IMM funct3 5 funct6 011001 (rori's)"},
	    {0x4e035293, "OP-IMM funct3 5 funct6 010011 (bexti's)"},
	    {0x6005c51b, "OP-IMM-32 funct3 4"},
	    /* Unary ops: the rs2 field and bit 25 are part of the opcode. */
	    {0x60359513, "clz group, rs2 field 3"},
	    {0x60659513, "clz group, rs2 field 6"},
	    {0x61f59513, "clz group, rs2 field 31"},
	    {0x62059513, "clz with bit 25 set"},
	    {0x6043129b, "clzw group, rs2 field 4 (no sext.b in W)"},
	    {0x6203129b, "clzw with bit 25 set"},
	    {0x08c4c43b, "zext.h with rs2 = a2 (Zbkb packw)"},
	    {0x0804c433, "zext.h's RV32 encoding in OP (Zbkb pack)"},
	    {0x69835293, "rev8's RV32 encoding (funct12 0x698)"},
	    {0x6b935293, "rev8's neighbour funct12 0x6b9"},
	    {0x2885d513, "orc.b's neighbour funct12 0x288"},
	    {0x6875d513, "brev8 (Zbkb)"},
	    /* Register-register: funct3s and W forms that do not exist. */
	    {0x08c5953b, "add.uw's funct7 with funct3 1"},
	    {0x20c58533, "sh*add's funct7 with funct3 0"},
	    {0x20c5853b, "sh*add.uw's funct7 with funct3 0"},
	    {0x40c5f53b, "andn in OP-32"},
	    {0x0ac5953b, "clmul in OP-32"},
	    {0x48c5953b, "bclr in OP-32"},
	    {0x0a7342bb, "min in OP-32"},
	    {0x0ac58533, "OP funct7 0000101 funct3 0"},
	    {0x60c58533, "OP funct7 0110000 funct3 0"},
	    {0x60c5a533, "OP funct7 0110000 funct3 2"},
	    {0x28f756b3, "bset's funct7 with funct3 5"},
	    {0x6924d433, "binv's funct7 with funct3 5"},
	    {0x0ec5c533, "OP funct7 0000111 funct3 4"},
	    {0x0ec5e533, "OP funct7 0000111 funct3 6"},
	    {0x0ec5d53b, "czero.eqz's funct7/funct3 in OP-32"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
		struct insn in;

		memset(&in, 0x5a, sizeof(in));
		if (!decode(reserved[i].w, &in) || in.fn != exec_illegal)
			fail_msg("0x%08x (%s) does not decode as illegal",
				 reserved[i].w, reserved[i].what);
		assert_int_equal(in.len, 4);
		assert_int_equal(in.raw, reserved[i].w); /* stval's value */
	}
}

/* ---- Execution against references ---- */

/* References, from the definitions of the "B" and Zicond chapters, bit by
 * bit. a is x[rs1]; b is x[rs2] or the immediate. */

static unsigned bit_of(uint64_t v, unsigned i)
{
	return (unsigned)(v >> i) & 1;
}

/* v with bit 31 copied into bits 63..32 (the W forms' results). */
static uint64_t widen_word(uint64_t v)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (bit_of(v, i < 32 ? i : 31))
			r |= 1ull << i;
	return r;
}

static uint64_t low_bits(uint64_t v, unsigned n)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < n; i++)
		if (bit_of(v, i))
			r |= 1ull << i;
	return r;
}

/* a shifted left by n, each bit moved on its own; bits past 63 drop. */
static uint64_t shift_left(uint64_t a, unsigned n)
{
	uint64_t r = 0;

	for (unsigned i = 0; i + n < 64; i++)
		if (bit_of(a, i))
			r |= 1ull << (i + n);
	return r;
}

static uint64_t ref_add_uw(uint64_t a, uint64_t b)
{
	return b + low_bits(a, 32);
}

static uint64_t ref_sh1add(uint64_t a, uint64_t b)
{
	return b + shift_left(a, 1);
}

static uint64_t ref_sh2add(uint64_t a, uint64_t b)
{
	return b + shift_left(a, 2);
}

static uint64_t ref_sh3add(uint64_t a, uint64_t b)
{
	return b + shift_left(a, 3);
}

static uint64_t ref_sh1add_uw(uint64_t a, uint64_t b)
{
	return b + shift_left(low_bits(a, 32), 1);
}

static uint64_t ref_sh2add_uw(uint64_t a, uint64_t b)
{
	return b + shift_left(low_bits(a, 32), 2);
}

static uint64_t ref_sh3add_uw(uint64_t a, uint64_t b)
{
	return b + shift_left(low_bits(a, 32), 3);
}

static uint64_t ref_slli_uw(uint64_t a, uint64_t shamt)
{
	return shift_left(low_bits(a, 32), (unsigned)shamt);
}

static uint64_t ref_andn(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i) && !bit_of(b, i))
			r |= 1ull << i;
	return r;
}

static uint64_t ref_orn(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i) || !bit_of(b, i))
			r |= 1ull << i;
	return r;
}

static uint64_t ref_xnor(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i) == bit_of(b, i))
			r |= 1ull << i;
	return r;
}

/* Zeros above the highest set bit of the low width bits. */
static uint64_t leading_zeros(uint64_t a, unsigned width)
{
	uint64_t n = 0;

	for (unsigned i = width; i-- > 0 && !bit_of(a, i);)
		n++;
	return n;
}

static uint64_t trailing_zeros(uint64_t a, unsigned width)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < width && !bit_of(a, i); i++)
		n++;
	return n;
}

static uint64_t ones(uint64_t a, unsigned width)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < width; i++)
		n += bit_of(a, i);
	return n;
}

static uint64_t ref_clz(uint64_t a, uint64_t b)
{
	(void)b;
	return leading_zeros(a, 64);
}

static uint64_t ref_clzw(uint64_t a, uint64_t b)
{
	(void)b;
	return leading_zeros(a, 32);
}

static uint64_t ref_ctz(uint64_t a, uint64_t b)
{
	(void)b;
	return trailing_zeros(a, 64);
}

static uint64_t ref_ctzw(uint64_t a, uint64_t b)
{
	(void)b;
	return trailing_zeros(a, 32);
}

static uint64_t ref_cpop(uint64_t a, uint64_t b)
{
	(void)b;
	return ones(a, 64);
}

static uint64_t ref_cpopw(uint64_t a, uint64_t b)
{
	(void)b;
	return ones(a, 32);
}

/* Signed order: flipping the sign bit maps it onto unsigned order. */
static bool signed_less(uint64_t a, uint64_t b)
{
	return (a ^ (1ull << 63)) < (b ^ (1ull << 63));
}

static uint64_t ref_max(uint64_t a, uint64_t b)
{
	return signed_less(a, b) ? b : a;
}

static uint64_t ref_maxu(uint64_t a, uint64_t b)
{
	return a < b ? b : a;
}

static uint64_t ref_min(uint64_t a, uint64_t b)
{
	return signed_less(a, b) ? a : b;
}

static uint64_t ref_minu(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The low n bits of a, bit n-1 copied upwards. */
static uint64_t sign_extend(uint64_t a, unsigned n)
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i < n ? i : n - 1))
			r |= 1ull << i;
	return r;
}

static uint64_t ref_sext_b(uint64_t a, uint64_t b)
{
	(void)b;
	return sign_extend(a, 8);
}

static uint64_t ref_sext_h(uint64_t a, uint64_t b)
{
	(void)b;
	return sign_extend(a, 16);
}

static uint64_t ref_zext_h(uint64_t a, uint64_t b)
{
	(void)b;
	return low_bits(a, 16);
}

/* Rotate the low width bits of a right by n: bit i moves to bit
 * (i - n) mod width. */
static uint64_t rotate_right(uint64_t a, unsigned n, unsigned width)
{
	uint64_t r = 0;

	n %= width;
	for (unsigned i = 0; i < width; i++)
		if (bit_of(a, i))
			r |= 1ull << ((i + width - n) % width);
	return r;
}

static uint64_t ref_rol(uint64_t a, uint64_t b)
{
	return rotate_right(a, 64 - (unsigned)(b % 64), 64);
}

static uint64_t ref_rolw(uint64_t a, uint64_t b)
{
	return widen_word(rotate_right(a, 32 - (unsigned)(b % 32), 32));
}

static uint64_t ref_ror(uint64_t a, uint64_t b)
{
	return rotate_right(a, (unsigned)(b % 64), 64);
}

static uint64_t ref_rorw(uint64_t a, uint64_t b)
{
	return widen_word(rotate_right(a, (unsigned)(b % 32), 32));
}

static uint64_t ref_orc_b(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	(void)b;
	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i))
			r |= 0xffull << (i / 8 * 8);
	return r;
}

static uint64_t ref_rev8(uint64_t a, uint64_t b)
{
	uint64_t r = 0;

	(void)b;
	for (unsigned i = 0; i < 64; i++)
		if (bit_of(a, i))
			r |= 1ull << ((7 - i / 8) * 8 + i % 8);
	return r;
}

/* The 128-bit carry-less product: bit i of a times bit j of b lands on
 * bit i + j, added modulo 2. */
static unsigned __int128 clmul_full(uint64_t a, uint64_t b)
{
	unsigned __int128 p = 0;

	for (unsigned i = 0; i < 64; i++)
		for (unsigned j = 0; j < 64; j++)
			if (bit_of(a, i) && bit_of(b, j))
				p ^= (unsigned __int128)1 << (i + j);
	return p;
}

static uint64_t ref_clmul(uint64_t a, uint64_t b)
{
	return (uint64_t)clmul_full(a, b);
}

static uint64_t ref_clmulh(uint64_t a, uint64_t b)
{
	return (uint64_t)(clmul_full(a, b) >> 64);
}

static uint64_t ref_clmulr(uint64_t a, uint64_t b)
{
	return (uint64_t)(clmul_full(a, b) >> 63);
}

/* a with bit (index mod 64) made what f makes of it. */
static uint64_t with_bit(uint64_t a, uint64_t index, unsigned (*f)(unsigned))
{
	uint64_t r = 0;

	for (unsigned i = 0; i < 64; i++)
		if (i == index % 64 ? f(bit_of(a, i)) : bit_of(a, i))
			r |= 1ull << i;
	return r;
}

static unsigned clear(unsigned b)
{
	(void)b;
	return 0;
}

static unsigned invert(unsigned b)
{
	return !b;
}

static unsigned setb(unsigned b)
{
	(void)b;
	return 1;
}

static uint64_t ref_bclr(uint64_t a, uint64_t b)
{
	return with_bit(a, b, clear);
}

static uint64_t ref_bext(uint64_t a, uint64_t b)
{
	return bit_of(a, (unsigned)(b % 64));
}

static uint64_t ref_binv(uint64_t a, uint64_t b)
{
	return with_bit(a, b, invert);
}

static uint64_t ref_bset(uint64_t a, uint64_t b)
{
	return with_bit(a, b, setb);
}

static uint64_t ref_czero_eqz(uint64_t a, uint64_t b)
{
	return b == 0 ? 0 : a;
}

static uint64_t ref_czero_nez(uint64_t a, uint64_t b)
{
	return b != 0 ? 0 : a;
}

enum operands {
	RR,	/* x[rs1], x[rs2] */
	UNARY,	/* x[rs1] */
	SHAMT6, /* x[rs1], immediate 0..63 */
	SHAMT5, /* x[rs1], immediate 0..31 */
};

static const struct op {
	const char *name;
	exec_fn fn;
	enum operands operands;
	uint64_t (*ref)(uint64_t a, uint64_t b);
} ops[] = {
    {"add.uw", exec_add_uw, RR, ref_add_uw},
    {"sh1add", exec_sh1add, RR, ref_sh1add},
    {"sh2add", exec_sh2add, RR, ref_sh2add},
    {"sh3add", exec_sh3add, RR, ref_sh3add},
    {"sh1add.uw", exec_sh1add_uw, RR, ref_sh1add_uw},
    {"sh2add.uw", exec_sh2add_uw, RR, ref_sh2add_uw},
    {"sh3add.uw", exec_sh3add_uw, RR, ref_sh3add_uw},
    {"slli.uw", exec_slli_uw, SHAMT6, ref_slli_uw},
    {"andn", exec_andn, RR, ref_andn},
    {"orn", exec_orn, RR, ref_orn},
    {"xnor", exec_xnor, RR, ref_xnor},
    {"clz", exec_clz, UNARY, ref_clz},
    {"clzw", exec_clzw, UNARY, ref_clzw},
    {"ctz", exec_ctz, UNARY, ref_ctz},
    {"ctzw", exec_ctzw, UNARY, ref_ctzw},
    {"cpop", exec_cpop, UNARY, ref_cpop},
    {"cpopw", exec_cpopw, UNARY, ref_cpopw},
    {"max", exec_max, RR, ref_max},
    {"maxu", exec_maxu, RR, ref_maxu},
    {"min", exec_min, RR, ref_min},
    {"minu", exec_minu, RR, ref_minu},
    {"sext.b", exec_sext_b, UNARY, ref_sext_b},
    {"sext.h", exec_sext_h, UNARY, ref_sext_h},
    {"zext.h", exec_zext_h, UNARY, ref_zext_h},
    {"rol", exec_rol, RR, ref_rol},
    {"rolw", exec_rolw, RR, ref_rolw},
    {"ror", exec_ror, RR, ref_ror},
    {"rori", exec_rori, SHAMT6, ref_ror},
    {"roriw", exec_roriw, SHAMT5, ref_rorw},
    {"rorw", exec_rorw, RR, ref_rorw},
    {"orc.b", exec_orc_b, UNARY, ref_orc_b},
    {"rev8", exec_rev8, UNARY, ref_rev8},
    {"clmul", exec_clmul, RR, ref_clmul},
    {"clmulh", exec_clmulh, RR, ref_clmulh},
    {"clmulr", exec_clmulr, RR, ref_clmulr},
    {"bclr", exec_bclr, RR, ref_bclr},
    {"bclri", exec_bclri, SHAMT6, ref_bclr},
    {"bext", exec_bext, RR, ref_bext},
    {"bexti", exec_bexti, SHAMT6, ref_bext},
    {"binv", exec_binv, RR, ref_binv},
    {"binvi", exec_binvi, SHAMT6, ref_binv},
    {"bset", exec_bset, RR, ref_bset},
    {"bseti", exec_bseti, SHAMT6, ref_bset},
    {"czero.eqz", exec_czero_eqz, RR, ref_czero_eqz},
    {"czero.nez", exec_czero_nez, RR, ref_czero_nez},
};

/* Zero, one, the signs and extremes, words with bit 31 set and garbage
 * above them, single bytes and halves, and the shift amounts 0/31/32/63
 * with 64 and -1 (only the low 6 or 5 bits count). */
static const uint64_t edges[] = {
    0,
    1,
    2,
    31,
    32,
    63,
    64,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0x8000,
    0xffff,
    0x7fffffff,
    0x80000000,
    0xffffffff,
    0x100000000,
    0xffffffff80000000,
    0x123456787fffffff,
    0xdeadbeef80000001,
    0x8000000080000000,
    0x00ff00ff00ff00ff,
    0x0100000000000001,
    0x0123456789abcdef,
    0xfedcba9876543210,
    0x7fffffffffffffff,
    0x8000000000000000, /* INT64_MIN */
    0xfffffffffffffffe,
    0xffffffffffffffff,
};

/* xorshift64: reproducible pseudo-random operands. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random operand of a varied shape: dense, sparse, bit 31 set, or
 * shifted so that the leading and trailing zero counts vary. */
static uint64_t random_operand(uint64_t *s)
{
	uint64_t r = next_random(s);

	switch (next_random(s) % 4) {
	case 0:
		return r;
	case 1:
		return r & next_random(s) & next_random(s);
	case 2:
		return r | 0x80000000;
	default:
		return (r >> (next_random(s) % 64)) << (next_random(s) % 64);
	}
}

/* Run op's handler with x[rs1] = a and b in x[rs2] or the immediate;
 * rd, rs1 and rs2 distinct unless alias, when they are one register. */
static uint64_t run(struct hart *h, const struct op *op, uint64_t a, uint64_t b,
		    bool alias)
{
	struct insn in = {.fn = op->fn, .len = 4};
	uint64_t garbage = 0x5555aaaa5555aaaa ^ b;

	memset(h->x, 0, sizeof(h->x));
	if (alias) {
		in.rd = in.rs1 = 5;
		in.rs2 = op->operands == RR ? 5 : 0;
	} else {
		in.rd = 3;
		in.rs1 = 1;
		in.rs2 = op->operands == RR ? 2 : 0;
		h->x[2] = op->operands == RR ? b : garbage;
		h->x[3] = garbage;
	}
	h->x[in.rs1] = a;
	if (op->operands == SHAMT6 || op->operands == SHAMT5)
		in.imm = (int64_t)b;
	if (op->fn(h, &in) != 0)
		fail_msg("%s returned nonzero", op->name);
	if (!alias &&
	    (h->x[1] != a || h->x[2] != (op->operands == RR ? b : garbage)))
		fail_msg("%s changed a source register", op->name);
	return h->x[in.rd];
}

static void check(struct hart *h, const struct op *op, uint64_t a, uint64_t b)
{
	uint64_t want = op->ref(a, b), got = run(h, op, a, b, false);

	if (got != want)
		fail_msg("%s 0x%016llx, 0x%016llx: got 0x%016llx, "
			 "expected 0x%016llx",
			 op->name, (unsigned long long)a, (unsigned long long)b,
			 (unsigned long long)got, (unsigned long long)want);
}

static void check_op(struct hart *h, const struct op *op, uint64_t seed)
{
	uint64_t s = seed;

	if (op->operands == SHAMT6 || op->operands == SHAMT5) {
		unsigned limit = op->operands == SHAMT6 ? 64 : 32;

		for (unsigned sh = 0; sh < limit; sh++) {
			for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
				check(h, op, edges[i], sh);
			for (unsigned n = 0; n < 64; n++)
				check(h, op, random_operand(&s), sh);
		}
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(edges); i++)
		for (size_t j = 0; j < ARRAY_SIZE(edges); j++)
			check(h, op, edges[i], edges[j]);
	for (unsigned n = 0; n < 3000; n++) {
		uint64_t a = random_operand(&s), b = random_operand(&s);

		check(h, op, a, b);
		/* Register amounts and indices: in range and out of it. */
		check(h, op, a, b % 64);
	}
}

static void test_execute(void **state)
{
	static struct hart h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		check_op(&h, &ops[i], 0x9e3779b97f4a7c15ull + i);
}

/* Every handler of exec_bitmanip.h is in ops[]. */
static void test_every_handler_executed(void **state)
{
	static const exec_fn handlers[] = {
#define HANDLER(name) exec_##name,
	    BITMANIP_OPS(HANDLER)
#undef HANDLER
	};

	(void)state;
	assert_int_equal(ARRAY_SIZE(handlers), ARRAY_SIZE(ops));
	for (size_t h = 0; h < ARRAY_SIZE(handlers); h++) {
		bool found = false;

		for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
			found |= ops[i].fn == handlers[h];
		assert_true(found);
	}
}

/* rd the same register as the sources: each handler reads its operands
 * before it writes. */
static void test_aliased_registers(void **state)
{
	static struct hart h;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		const struct op *op = &ops[i];

		for (size_t j = 0; j < ARRAY_SIZE(edges); j++) {
			uint64_t a = edges[j];
			uint64_t b = op->operands == RR	      ? a
				     : op->operands == UNARY  ? 0
				     : op->operands == SHAMT6 ? j % 64
							      : j % 32;
			uint64_t want = op->ref(a, b);
			uint64_t got = run(&h, op, a, b, true);

			if (got != want)
				fail_msg("%s rd = rs1 (= rs2) = 0x%016llx, "
					 "b %llu: got 0x%016llx, expected "
					 "0x%016llx",
					 op->name, (unsigned long long)a,
					 (unsigned long long)b,
					 (unsigned long long)got,
					 (unsigned long long)want);
		}
	}
}

/* A few results by value, worked out from the definitions by hand, so
 * that a mistake shared by a handler and its reference shows here. */
static void test_known_values(void **state)
{
	static const struct {
		const char *name;
		uint64_t a, b, want;
	} known[] = {
	    {"clz", 0, 0, 64},
	    {"clzw", 0xffffffff00000000, 0, 32}, /* upper half ignored */
	    {"clzw", 0x80000000, 0, 0},
	    {"ctz", 0x8000000000000000, 0, 63},
	    {"ctzw", 0x100000000, 0, 32},
	    {"cpop", 0xffffffffffffffff, 0, 64},
	    {"cpopw", 0xffffffff0000000f, 0, 4},
	    {"max", 0xffffffffffffffff, 1, 1}, /* -1 < 1 */
	    {"maxu", 0xffffffffffffffff, 1, 0xffffffffffffffff},
	    {"min", 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000},
	    {"sext.b", 0x1234567890abcd80, 0, 0xffffffffffffff80},
	    {"sext.h", 0x7fff, 0, 0x7fff},
	    {"zext.h", 0xffffffffffff8001, 0, 0x8001},
	    {"rol", 0x8000000000000001, 1, 3},
	    {"ror", 1, 64, 1}, /* amount mod 64 */
	    {"rorw", 1, 1, 0xffffffff80000000},
	    {"rolw", 0x40000000, 1, 0xffffffff80000000},
	    {"roriw", 0xffffffff00000001, 0, 1}, /* upper half ignored */
	    {"orc.b", 0x0100800000000201, 0, 0xff00ff000000ffff},
	    {"rev8", 0x0123456789abcdef, 0, 0xefcdab8967452301},
	    /* (x + 1)(x + 1) = x^2 + 1 carry-less: 3 * 3 = 5. */
	    {"clmul", 3, 3, 5},
	    /* x^63 * x^63 = x^126: bit 62 of the high half, bit 63 of
	     * clmulr's bits 126..63. */
	    {"clmulh", 0x8000000000000000, 0x8000000000000000,
	     0x4000000000000000},
	    {"clmulr", 0x8000000000000000, 0x8000000000000000,
	     0x8000000000000000},
	    {"clmulh", 0xffffffffffffffff, 0xffffffffffffffff,
	     0x5555555555555555},
	    {"add.uw", 0xffffffff80000000, 1, 0x80000001},
	    {"sh3add.uw", 0xffffffff80000000, 0, 0x400000000},
	    {"sh1add", 0x8000000000000001, 1, 3},
	    {"slli.uw", 0xffffffffffffffff, 63, 0x8000000000000000},
	    {"bext", 0x8000000000000000, 127, 1}, /* index mod 64 */
	    {"bset", 0, 64, 1},
	    {"binvi", 0xffffffffffffffff, 63, 0x7fffffffffffffff},
	    {"bclr", 0xffffffffffffffff, 32, 0xfffffffeffffffff},
	    {"andn", 0xff00, 0xf0f0, 0x0f00},
	    {"orn", 0, 0xffffffff, 0xffffffff00000000},
	    {"xnor", 0x5555555555555555, 0xaaaaaaaaaaaaaaaa, 0},
	    {"czero.eqz", 42, 0, 0},
	    {"czero.eqz", 42, 0x8000000000000000, 42},
	    {"czero.nez", 42, 0, 42},
	    {"czero.nez", 42, 1, 0},
	};
	static struct hart h;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(known); k++) {
		const struct op *op = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
			if (strcmp(ops[i].name, known[k].name) == 0)
				op = &ops[i];
		assert_non_null(op);
		if (run(&h, op, known[k].a, known[k].b, false) !=
			known[k].want ||
		    op->ref(known[k].a, known[k].b) != known[k].want)
			fail_msg(
			    "%s 0x%llx, 0x%llx: handler 0x%llx, "
			    "reference 0x%llx, expected 0x%llx",
			    known[k].name, (unsigned long long)known[k].a,
			    (unsigned long long)known[k].b,
			    (unsigned long long)run(&h, op, known[k].a,
						    known[k].b, false),
			    (unsigned long long)op->ref(known[k].a, known[k].b),
			    (unsigned long long)known[k].want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encodings),
	    cmocka_unit_test(test_every_handler_decoded),
	    cmocka_unit_test(test_reserved),
	    cmocka_unit_test(test_execute),
	    cmocka_unit_test(test_every_handler_executed),
	    cmocka_unit_test(test_aliased_registers),
	    cmocka_unit_test(test_known_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
