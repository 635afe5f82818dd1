/* SPDX-License-Identifier: MIT */
/*
 * The handlers of the bit-manipulation extensions Zba, Zbb, Zbc and Zbs
 * and of Zicond (cpu/exec_bitmanip.c), decoded by decode_bitmanip()
 * (cpu/decode_bitmanip.c). Internal to cpu/.
 *
 * Same contract as every handler (cpu/exec.h): each computes x[rd] from
 * x[rs1], x[rs2] or in->imm and returns 0 (none traps, none ends a block).
 * The immediate forms (slli.uw, rori, roriw, b*i) take their shift amount
 * or bit index from in->imm: 0..63, and 0..31 for roriw; the decoder
 * guarantees the range.
 *
 * The names are the mnemonics with '.' spelt '_' (sh1add.uw: sh1add_uw).
 */
#ifndef MEMVISOR_CPU_EXEC_BITMANIP_H
#define MEMVISOR_CPU_EXEC_BITMANIP_H

#include "cpu/exec.h"

/* Every handler, by extension: X(name) declares exec_<name>. */
#define BITMANIP_OPS(X)                                                        \
	/* Zba: address generation */                                          \
	X(add_uw)                                                              \
	X(sh1add)                                                              \
	X(sh2add)                                                              \
	X(sh3add)                                                              \
	X(sh1add_uw)                                                           \
	X(sh2add_uw)                                                           \
	X(sh3add_uw)                                                           \
	X(slli_uw)                                                             \
	/* Zbb: basic bit manipulation */                                      \
	X(andn)                                                                \
	X(orn)                                                                 \
	X(xnor)                                                                \
	X(clz)                                                                 \
	X(clzw)                                                                \
	X(ctz)                                                                 \
	X(ctzw)                                                                \
	X(cpop)                                                                \
	X(cpopw)                                                               \
	X(max)                                                                 \
	X(maxu)                                                                \
	X(min)                                                                 \
	X(minu)                                                                \
	X(sext_b)                                                              \
	X(sext_h)                                                              \
	X(zext_h)                                                              \
	X(rol)                                                                 \
	X(rolw)                                                                \
	X(ror)                                                                 \
	X(rori)                                                                \
	X(roriw)                                                               \
	X(rorw)                                                                \
	X(orc_b)                                                               \
	X(rev8)                                                                \
	/* Zbc: carry-less multiplication */                                   \
	X(clmul)                                                               \
	X(clmulh)                                                              \
	X(clmulr)                                                              \
	/* Zbs: single-bit instructions */                                     \
	X(bclr)                                                                \
	X(bclri)                                                               \
	X(bext)                                                                \
	X(bexti)                                                               \
	X(binv)                                                                \
	X(binvi)                                                               \
	X(bset)                                                                \
	X(bseti)                                                               \
	/* Zicond: conditional zeroing */                                      \
	X(czero_eqz)                                                           \
	X(czero_nez)

#define BITMANIP_DECLARE(name)                                                 \
	int exec_##name(struct hart *h, const struct insn *in);
BITMANIP_OPS(BITMANIP_DECLARE)
#undef BITMANIP_DECLARE

#endif
