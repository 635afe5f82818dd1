/* SPDX-License-Identifier: MIT */
/* Integer computation: RV64I register-immediate and register-register, M. */
#include "cpu/exec.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

/* Sign-extend a 32-bit result to 64 bits (the *W instructions). */
static inline uint64_t sx32(uint64_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

OP(lui)
{
	X(rd) = (uint64_t)in->imm;
	return 0;
}

OP(auipc)
{
	X(rd) = insn_pc(h, in) + (uint64_t)in->imm;
	return 0;
}

OP(li)
{
	X(rd) = (uint64_t)in->imm;
	return 0;
}

OP(mv)
{
	X(rd) = X(rs1);
	return 0;
}

OP(addi)
{
	X(rd) = X(rs1) + (uint64_t)in->imm;
	return 0;
}

OP(slti)
{
	X(rd) = (int64_t)X(rs1) < in->imm;
	return 0;
}

OP(sltiu)
{
	X(rd) = X(rs1) < (uint64_t)in->imm;
	return 0;
}

OP(xori)
{
	X(rd) = X(rs1) ^ (uint64_t)in->imm;
	return 0;
}

OP(ori)
{
	X(rd) = X(rs1) | (uint64_t)in->imm;
	return 0;
}

OP(andi)
{
	X(rd) = X(rs1) & (uint64_t)in->imm;
	return 0;
}

OP(slli)
{
	X(rd) = X(rs1) << in->imm;
	return 0;
}

OP(srli)
{
	X(rd) = X(rs1) >> in->imm;
	return 0;
}

OP(srai)
{
	X(rd) = (uint64_t)((int64_t)X(rs1) >> in->imm);
	return 0;
}

OP(add)
{
	X(rd) = X(rs1) + X(rs2);
	return 0;
}

OP(sub)
{
	X(rd) = X(rs1) - X(rs2);
	return 0;
}

OP(sll)
{
	X(rd) = X(rs1) << (X(rs2) & 63);
	return 0;
}

OP(slt)
{
	X(rd) = (int64_t)X(rs1) < (int64_t)X(rs2);
	return 0;
}

OP(sltu)
{
	X(rd) = X(rs1) < X(rs2);
	return 0;
}

OP(xor)
{
	X(rd) = X(rs1) ^ X(rs2);
	return 0;
}

OP(srl)
{
	X(rd) = X(rs1) >> (X(rs2) & 63);
	return 0;
}

OP(sra)
{
	X(rd) = (uint64_t)((int64_t)X(rs1) >> (X(rs2) & 63));
	return 0;
}

OP(or)
{
	X(rd) = X(rs1) | X(rs2);
	return 0;
}

OP(and)
{
	X(rd) = X(rs1) & X(rs2);
	return 0;
}

OP(addiw)
{
	X(rd) = sx32(X(rs1) + (uint64_t)in->imm);
	return 0;
}

OP(slliw)
{
	X(rd) = sx32((uint32_t)X(rs1) << in->imm);
	return 0;
}

OP(srliw)
{
	X(rd) = sx32((uint32_t)X(rs1) >> in->imm);
	return 0;
}

OP(sraiw)
{
	X(rd) = (uint64_t)(int64_t)((int32_t)X(rs1) >> in->imm);
	return 0;
}

OP(addw)
{
	X(rd) = sx32(X(rs1) + X(rs2));
	return 0;
}

OP(subw)
{
	X(rd) = sx32(X(rs1) - X(rs2));
	return 0;
}

OP(sllw)
{
	X(rd) = sx32((uint32_t)X(rs1) << (X(rs2) & 31));
	return 0;
}

OP(srlw)
{
	X(rd) = sx32((uint32_t)X(rs1) >> (X(rs2) & 31));
	return 0;
}

OP(sraw)
{
	X(rd) = (uint64_t)(int64_t)((int32_t)X(rs1) >> (X(rs2) & 31));
	return 0;
}

OP(mul)
{
	X(rd) = X(rs1) * X(rs2);
	return 0;
}

OP(mulh)
{
	X(rd) = (uint64_t)(((__int128)(int64_t)X(rs1) *
			    (__int128)(int64_t)X(rs2)) >>
			   64);
	return 0;
}

OP(mulhsu)
{
	X(rd) = (uint64_t)(((__int128)(int64_t)X(rs1) *
			    (unsigned __int128)X(rs2)) >>
			   64);
	return 0;
}

OP(mulhu)
{
	X(rd) = (uint64_t)(((unsigned __int128)X(rs1) *
			    (unsigned __int128)X(rs2)) >>
			   64);
	return 0;
}

/* Division by zero and overflow follow the M extension's table: no traps. */
OP(div)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);

	if (b == 0)
		X(rd) = UINT64_MAX;
	else if (a == INT64_MIN && b == -1)
		X(rd) = (uint64_t)a;
	else
		X(rd) = (uint64_t)(a / b);
	return 0;
}

OP(divu)
{
	uint64_t b = X(rs2);

	X(rd) = b ? X(rs1) / b : UINT64_MAX;
	return 0;
}

OP(rem)
{
	int64_t a = (int64_t)X(rs1), b = (int64_t)X(rs2);

	if (b == 0)
		X(rd) = (uint64_t)a;
	else if (a == INT64_MIN && b == -1)
		X(rd) = 0;
	else
		X(rd) = (uint64_t)(a % b);
	return 0;
}

OP(remu)
{
	uint64_t a = X(rs1), b = X(rs2);

	X(rd) = b ? a % b : a;
	return 0;
}

OP(mulw)
{
	X(rd) = sx32(X(rs1) * X(rs2));
	return 0;
}

OP(divw)
{
	int32_t a = (int32_t)X(rs1), b = (int32_t)X(rs2);

	if (b == 0)
		X(rd) = UINT64_MAX;
	else if (a == INT32_MIN && b == -1)
		X(rd) = (uint64_t)(int64_t)a;
	else
		X(rd) = (uint64_t)(int64_t)(a / b);
	return 0;
}

OP(divuw)
{
	uint32_t a = (uint32_t)X(rs1), b = (uint32_t)X(rs2);

	X(rd) = b ? sx32(a / b) : UINT64_MAX;
	return 0;
}

OP(remw)
{
	int32_t a = (int32_t)X(rs1), b = (int32_t)X(rs2);

	if (b == 0)
		X(rd) = (uint64_t)(int64_t)a;
	else if (a == INT32_MIN && b == -1)
		X(rd) = 0;
	else
		X(rd) = (uint64_t)(int64_t)(a % b);
	return 0;
}

OP(remuw)
{
	uint32_t a = (uint32_t)X(rs1), b = (uint32_t)X(rs2);

	X(rd) = b ? sx32(a % b) : sx32(a);
	return 0;
}
