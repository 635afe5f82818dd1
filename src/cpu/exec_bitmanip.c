/* SPDX-License-Identifier: MIT */
/*
 * Bit manipulation (Zba, Zbb, Zbc, Zbs) and conditional zeroing (Zicond),
 * RV64, written from the unprivileged specification's "B" chapter and the
 * Zicond chapter: each handler is its instruction's operation there.
 */
#include "cpu/exec_bitmanip.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

/* The W-form builtins below take an unsigned int as a 32-bit word. */
_Static_assert(sizeof(unsigned) == 4, "unsigned int is not 32 bits");

/* The low word of v, zero-extended (the .uw instructions' rs1). */
static inline uint64_t zx32(uint64_t v)
{
	return (uint32_t)v;
}

/* The low word of v, sign-extended (the W instructions' result). */
static inline uint64_t sx32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* Rotations by n modulo the width; -n & 63 keeps the shift defined at 0. */
static inline uint64_t ror64(uint64_t v, unsigned n)
{
	n &= 63;
	return v >> n | v << (-n & 63);
}

static inline uint32_t ror32(uint32_t v, unsigned n)
{
	n &= 31;
	return v >> n | v << (-n & 31);
}

/* Zba */

OP(add_uw)
{
	X(rd) = X(rs2) + zx32(X(rs1));
	return 0;
}

OP(sh1add)
{
	X(rd) = X(rs2) + (X(rs1) << 1);
	return 0;
}

OP(sh2add)
{
	X(rd) = X(rs2) + (X(rs1) << 2);
	return 0;
}

OP(sh3add)
{
	X(rd) = X(rs2) + (X(rs1) << 3);
	return 0;
}

OP(sh1add_uw)
{
	X(rd) = X(rs2) + (zx32(X(rs1)) << 1);
	return 0;
}

OP(sh2add_uw)
{
	X(rd) = X(rs2) + (zx32(X(rs1)) << 2);
	return 0;
}

OP(sh3add_uw)
{
	X(rd) = X(rs2) + (zx32(X(rs1)) << 3);
	return 0;
}

OP(slli_uw)
{
	X(rd) = zx32(X(rs1)) << in->imm;
	return 0;
}

/* Zbb: logic with negate */

OP(andn)
{
	X(rd) = X(rs1) & ~X(rs2);
	return 0;
}

OP(orn)
{
	X(rd) = X(rs1) | ~X(rs2);
	return 0;
}

OP(xnor)
{
	X(rd) = ~(X(rs1) ^ X(rs2));
	return 0;
}

/* Zbb: counting. The builtins are undefined at 0, where the count is the
 * width. */

OP(clz)
{
	uint64_t v = X(rs1);

	X(rd) = v ? (uint64_t)__builtin_clzll(v) : 64;
	return 0;
}

OP(clzw)
{
	uint32_t v = (uint32_t)X(rs1);

	X(rd) = v ? (uint64_t)__builtin_clz(v) : 32;
	return 0;
}

OP(ctz)
{
	uint64_t v = X(rs1);

	X(rd) = v ? (uint64_t)__builtin_ctzll(v) : 64;
	return 0;
}

OP(ctzw)
{
	uint32_t v = (uint32_t)X(rs1);

	X(rd) = v ? (uint64_t)__builtin_ctz(v) : 32;
	return 0;
}

OP(cpop)
{
	X(rd) = (uint64_t)__builtin_popcountll(X(rs1));
	return 0;
}

OP(cpopw)
{
	X(rd) = (uint64_t)__builtin_popcount((uint32_t)X(rs1));
	return 0;
}

/* Zbb: integer minimum and maximum */

OP(max)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);

	X(rd) = (uint64_t)(a < b ? b : a);
	return 0;
}

OP(maxu)
{
	uint64_t a = X(rs1), b = X(rs2);

	X(rd) = a < b ? b : a;
	return 0;
}

OP(min)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);

	X(rd) = (uint64_t)(a < b ? a : b);
	return 0;
}

OP(minu)
{
	uint64_t a = X(rs1), b = X(rs2);

	X(rd) = a < b ? a : b;
	return 0;
}

/* Zbb: sign and zero extension */

OP(sext_b)
{
	X(rd) = (uint64_t)(int64_t)(int8_t)X(rs1);
	return 0;
}

OP(sext_h)
{
	X(rd) = (uint64_t)(int64_t)(int16_t)X(rs1);
	return 0;
}

OP(zext_h)
{
	X(rd) = (uint16_t)X(rs1);
	return 0;
}

/* Zbb: rotations. Register amounts count modulo the width (rs2's low 6
 * bits, 5 for the W forms); the W forms sign-extend the rotated word. */

OP(rol)
{
	X(rd) = ror64(X(rs1), -(unsigned)X(rs2));
	return 0;
}

OP(rolw)
{
	X(rd) = sx32(ror32((uint32_t)X(rs1), -(unsigned)X(rs2)));
	return 0;
}

OP(ror)
{
	X(rd) = ror64(X(rs1), (unsigned)X(rs2));
	return 0;
}

OP(rori)
{
	X(rd) = ror64(X(rs1), (unsigned)in->imm);
	return 0;
}

OP(roriw)
{
	X(rd) = sx32(ror32((uint32_t)X(rs1), (unsigned)in->imm));
	return 0;
}

OP(rorw)
{
	X(rd) = sx32(ror32((uint32_t)X(rs1), (unsigned)X(rs2)));
	return 0;
}

/* Zbb: byte-wise operations */

OP(orc_b)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t v = X(rs1);
	/* Bit 7 of each byte of nonzero: set when the byte is not zero
	 * (adding 0x7f to the low 7 bits carries into bit 7 unless they
	 * are all clear; nothing carries across bytes). */
	uint64_t nonzero = (((v & low7) + low7) | v) & ~low7;

	/* 0x80 -> 0xff per byte: 0x01 * 0xff stays within its byte. */
	X(rd) = (nonzero >> 7) * 0xff;
	return 0;
}

OP(rev8)
{
	X(rd) = __builtin_bswap64(X(rs1));
	return 0;
}

/* Zbc: the 128-bit carry-less product of a and b, high half in *hi. */
static inline uint64_t clmul128(uint64_t a, uint64_t b, uint64_t *hi)
{
	uint64_t lo = 0, h = 0;

	for (; b; b &= b - 1) {
		unsigned i = (unsigned)__builtin_ctzll(b);

		lo ^= a << i;
		if (i)
			h ^= a >> (64 - i);
	}
	*hi = h;
	return lo;
}

OP(clmul)
{
	uint64_t hi;

	X(rd) = clmul128(X(rs1), X(rs2), &hi);
	return 0;
}

OP(clmulh)
{
	uint64_t hi;

	clmul128(X(rs1), X(rs2), &hi);
	X(rd) = hi;
	return 0;
}

/* Bits 126..63 of the product: the spec's sum of rs1 >> (63 - i) over
 * the set bits i of rs2. */
OP(clmulr)
{
	uint64_t hi, lo = clmul128(X(rs1), X(rs2), &hi);

	X(rd) = hi << 1 | lo >> 63;
	return 0;
}

/* Zbs: the bit index is rs2's low 6 bits, or the immediate. */

static inline uint64_t bit(uint64_t index)
{
	return 1ull << (index & 63);
}

OP(bclr)
{
	X(rd) = X(rs1) & ~bit(X(rs2));
	return 0;
}

OP(bclri)
{
	X(rd) = X(rs1) & ~bit((uint64_t)in->imm);
	return 0;
}

OP(bext)
{
	X(rd) = (X(rs1) >> (X(rs2) & 63)) & 1;
	return 0;
}

OP(bexti)
{
	X(rd) = (X(rs1) >> in->imm) & 1;
	return 0;
}

OP(binv)
{
	X(rd) = X(rs1) ^ bit(X(rs2));
	return 0;
}

OP(binvi)
{
	X(rd) = X(rs1) ^ bit((uint64_t)in->imm);
	return 0;
}

OP(bset)
{
	X(rd) = X(rs1) | bit(X(rs2));
	return 0;
}

OP(bseti)
{
	X(rd) = X(rs1) | bit((uint64_t)in->imm);
	return 0;
}

/* Zicond */

OP(czero_eqz)
{
	X(rd) = X(rs2) == 0 ? 0 : X(rs1);
	return 0;
}

OP(czero_nez)
{
	X(rd) = X(rs2) != 0 ? 0 : X(rs1);
	return 0;
}
