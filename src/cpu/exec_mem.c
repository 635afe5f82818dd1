/* SPDX-License-Identifier: MIT */
/* Loads and stores. Misaligned accesses are carried out, as Linux expects of
 * a platform without an M-mode emulating them. */
#include "cpu/mmu.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

#define LOAD(name, size, type)                                                 \
	OP(name)                                                               \
	{                                                                      \
		uint64_t v;                                                    \
		int r = mmu_load(h, in, X(rs1) + (uint64_t)in->imm, size, &v); \
		if (r)                                                         \
			return r;                                              \
		X(rd) = (uint64_t)(type)v;                                     \
		return 0;                                                      \
	}

#define STORE(name, size)                                                      \
	OP(name)                                                               \
	{                                                                      \
		return mmu_store(h, in, X(rs1) + (uint64_t)in->imm, size,      \
				 X(rs2));                                      \
	}

LOAD(lb, 1, int8_t)
LOAD(lh, 2, int16_t)
LOAD(lw, 4, int32_t)
LOAD(ld, 8, uint64_t)
LOAD(lbu, 1, uint8_t)
LOAD(lhu, 2, uint16_t)
LOAD(lwu, 4, uint32_t)
STORE(sb, 1)
STORE(sh, 2)
STORE(sw, 4)
STORE(sd, 8)
