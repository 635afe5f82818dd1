/* SPDX-License-Identifier: MIT */
/* Control transfer: JAL, JALR, conditional branches, block fall-through. */
#include "cpu/exec.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

OP(jal)
{
	uint64_t pc = insn_pc(h, in);

	X(rd) = pc + in->len;
	h->pc = pc + (uint64_t)in->imm;
	return EXEC_BLOCK_END;
}

OP(jalr)
{
	/* Read rs1 before writing rd: they may be the same register. */
	uint64_t target = (X(rs1) + (uint64_t)in->imm) & ~1ull;
	uint64_t pc = insn_pc(h, in);

	X(rd) = pc + in->len;
	h->pc = target;
	return EXEC_BLOCK_END;
}

static inline int branch(struct hart *h, const struct insn *in, bool taken)
{
	h->pc += in->off + (taken ? (uint64_t)in->imm : in->len);
	return EXEC_BLOCK_END;
}

OP(beq)
{
	return branch(h, in, X(rs1) == X(rs2));
}

OP(bne)
{
	return branch(h, in, X(rs1) != X(rs2));
}

OP(blt)
{
	return branch(h, in, (int64_t)X(rs1) < (int64_t)X(rs2));
}

OP(bge)
{
	return branch(h, in, (int64_t)X(rs1) >= (int64_t)X(rs2));
}

OP(bltu)
{
	return branch(h, in, X(rs1) < X(rs2));
}

OP(bgeu)
{
	return branch(h, in, X(rs1) >= X(rs2));
}

/* Not an instruction: ends a block that stopped at a page end or its size
 * limit; in->off is the address of the next instruction. */
OP(fallthrough)
{
	h->pc += in->off;
	return EXEC_BLOCK_END;
}
