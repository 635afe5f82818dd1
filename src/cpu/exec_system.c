/* SPDX-License-Identifier: MIT */
/* Fences, CSR access, and the instructions that leave the hart's flow:
 * ecall, ebreak, sret, wfi, sfence.vma. */
#include "cpu/csr.h"
#include "cpu/exec.h"
#include "cpu/mmu.h"
#include "cpu/trap.h"

#define X(r)	 (h->x[in->r])
#define OP(name) int exec_##name(struct hart *h, const struct insn *in)

/* Continue after this instruction in a new block. */
static inline int next(struct hart *h, const struct insn *in)
{
	h->pc += in->off + in->len;
	return EXEC_BLOCK_END;
}

OP(illegal)
{
	return trap_raise(h, CAUSE_ILLEGAL, in->raw, insn_pc(h, in));
}

OP(fence)
{
	(void)h;
	(void)in;
	/* The host (x86) orders everything but store-to-load; a full host
	 * fence closes that gap for every guest fence, at a few dozen
	 * cycles. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return 0;
}

OP(fence_i)
{
	hart_flush_icache(h);
	return next(h, in);
}

OP(ecall)
{
	if (h->priv == PRIV_U)
		return trap_raise(h, CAUSE_ECALL_U, 0, insn_pc(h, in));
	h->pc = insn_pc(h, in);
	return HART_EXIT_ECALL;
}

OP(ebreak)
{
	uint64_t pc = insn_pc(h, in);

	return trap_raise(h, CAUSE_BREAKPOINT, pc, pc);
}

OP(sret)
{
	if (h->priv == PRIV_U)
		return exec_illegal(h, in);
	trap_sret(h);
	return EXEC_BLOCK_END;
}

OP(wfi)
{
	if (h->priv == PRIV_U)
		return exec_illegal(h, in);
	h->pc += in->off + in->len;
	return HART_EXIT_WFI;
}

OP(sfence_vma)
{
	if (h->priv == PRIV_U)
		return exec_illegal(h, in);
	/* rs2 names an address space (its ASID); x0: all of them. Only the
	 * ASID bits the hart has count: "if ASIDLEN < ASIDMAX, the
	 * implementation shall ignore bits ASIDMAX-1:ASIDLEN of the value
	 * held in rs2" (privileged spec, SFENCE.VMA); with none, rs2 names
	 * ASID 0, the one every address space has. */
	if (in->rs2 != 0)
		mmu_flush_asid(h, X(rs2) & ((1ull << h->asid_bits) - 1),
			       in->rs1 == 0, X(rs1));
	else if (in->rs1 == 0)
		hart_flush_tlb(h);
	else
		hart_flush_tlb_page(h, X(rs1));
	return next(h, in);
}

/* csrrw/csrrs/csrrc and their immediate forms (source in in->imm). */
static int csr_op(struct hart *h, const struct insn *in, int kind)
{
	uint64_t src = X(rs1) | (uint64_t)in->imm;
	bool writes = kind == 0 || in->rs1 != 0 || in->imm != 0;
	uint64_t old = 0, val;

	/* csrrw with rd = x0 does not read the CSR. */
	if ((kind != 0 || in->rd != 32) && csr_read(h, in->csr, &old))
		return exec_illegal(h, in);
	if (writes) {
		val = kind == 0 ? src : kind == 1 ? old | src : old & ~src;
		if (csr_write(h, in->csr, val))
			return exec_illegal(h, in);
	}
	X(rd) = old;
	return csr_in_block(in->csr, writes) ? 0 : next(h, in);
}

OP(csrrw)
{
	return csr_op(h, in, 0);
}

OP(csrrs)
{
	return csr_op(h, in, 1);
}

OP(csrrc)
{
	return csr_op(h, in, 2);
}
