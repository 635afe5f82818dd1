/* SPDX-License-Identifier: MIT */
/*
 * Loads and stores in a translation: the software TLB's fast path of
 * mmu_load() and mmu_store() inline (cpu/mmu.h), the second entry of a
 * set out of line, the handler on a miss (a slow path of translate.c).
 */
#include "cpu/jit/translate_int.h"

#include <stddef.h>

#include "cpu/mmu.h"

_Static_assert(sizeof(struct tlb_entry) == 32, "tr_mem scales by 32");

/* rcx = the offset in h->tlb[] of the first TLB entry of the set of the
 * guest-virtual address in va (mmu_tlb_index() * 32: a set is 64 bytes,
 * so ((va >> 6) ^ (va >> (6 + TLB_BITS - 1))) & ((TLB_SETS - 1) << 6));
 * tmp clobbered.
 */
#define TR_SET_SHIFT 6

void tr_tlb_index(struct x86_buf *b, enum x86_reg va, enum x86_reg tmp)
{
	unsigned lo = 12 - TR_SET_SHIFT, hi = 12 + TLB_BITS - 1 - TR_SET_SHIFT;

	_Static_assert(sizeof(struct tlb_entry) * TLB_WAYS == 1 << TR_SET_SHIFT,
		       "a set is 64 bytes");
	if (tr_host_features()->bmi2) {
		/* Rotations: the bits the mask keeps are the shifts'. */
		x86_rorx(b, X86_RCX, va, (uint8_t)lo);
		x86_rorx(b, tmp, va, (uint8_t)hi);
	} else {
		x86_mov_rr(b, X86_RCX, va, true);
		x86_shift_ri(b, X86_SHR, X86_RCX, lo, true);
		x86_mov_rr(b, tmp, va, true);
		x86_shift_ri(b, X86_SHR, tmp, hi, true);
	}
	x86_alu_rr(b, X86_XOR, X86_RCX, tmp, true);
	x86_alu_ri(b, X86_AND, X86_RCX, (TLB_SETS - 1) << TR_SET_SHIFT, false);
}

/*
 * rcx = the first TLB entry of a set whose second matches: swap them, as
 * the slow path does (cpu/mmu.h: without the swap, a page used there often
 * would not count as used lately, and go on the next miss in its set).
 * xmm2-xmm5 are free: the FP code uses xmm0 and xmm1.
 */
void tr_tlb_swap(struct x86_buf *b)
{
	_Static_assert(sizeof(struct tlb_entry) == 32, "two 16-byte halves");
	for (int i = 0; i < 4; i++)
		x86_movdqu_load(b, (enum x86_xmm)(X86_XMM2 + i), X86_RCX,
				16 * i);
	for (int i = 0; i < 4; i++)
		x86_movdqu_store(b, X86_RCX, 16 * ((i + 2) & 3),
				 (enum x86_xmm)(X86_XMM2 + i));
}

enum x86_reg tr_mem_address(struct tr *t, const struct insn *in, unsigned size,
			    bool store, unsigned s)
{
	struct x86_buf *b = t->b;
	int32_t tag = store ? (int32_t)offsetof(struct tlb_entry, tag_w)
			    : (int32_t)offsetof(struct tlb_entry, tag_r);
	int32_t addend = (int32_t)offsetof(struct tlb_entry, addend);
	enum x86_reg va = X86_RAX;

	/* va, rcx = the set's offset in h->tlb[], rdx = last page */
	if (tr_cached(t, in->rs1) && !in->imm) {
		va = tr_host(t, in->rs1); /* rs1 itself: no copy */
	} else if (tr_cached(t, in->rs1) && tr_fits32(in->imm)) {
		x86_lea(b, X86_RAX, tr_host(t, in->rs1), (int32_t)in->imm);
	} else {
		tr_get(t, X86_RAX, in->rs1);
		tr_add_imm(b, X86_RAX, in->imm);
	}
	tr_tlb_index(b, va, X86_RDX);
	x86_lea(b, X86_RDX, va, (int32_t)size - 1);
	x86_shift_ri(b, X86_SHR, X86_RDX, 12, true);
	x86_alu_rmx(b, X86_CMP, X86_RDX, RT, X86_RCX, tag, true);
	/* Not in the set's first entry: the second, out of line. */
	t->way[t->nway].at = x86_jcc_fwd(b, X86_CC_NE);
	t->way[t->nway].resume = b->p;
	t->way[t->nway].tag = tag;
	t->way[t->nway++].slow = s;
	if (va == X86_RAX) {
		x86_alu_rmx(b, X86_ADD, X86_RAX, RT, X86_RCX, addend, true);
		return X86_NO_INDEX;
	}
	x86_load_index(b, X86_RAX, RT, X86_RCX, addend, 8, false);
	return va;
}

/* The accesses' looks at the second entry of their TLB set: on a hit, the
 * entries swapped and back; else the slow path. */
void tr_second_ways(struct tr *t)
{
	for (unsigned w = 0; w < t->nway; w++) {
		x86_patch(t->b, t->way[w].at, t->b->p);
		x86_alu_rmx(t->b, X86_CMP, X86_RDX, RT, X86_RCX,
			    t->way[w].tag + (int32_t)sizeof(struct tlb_entry),
			    true);
		tr_slow_jump(t, t->way[w].slow, X86_CC_NE);
		x86_alu_rr(t->b, X86_ADD, X86_RCX, RT, true);
		tr_tlb_swap(t->b);
		x86_alu_rr(t->b, X86_SUB, X86_RCX, RT, true);
		x86_patch(t->b, x86_jmp_fwd(t->b), t->way[w].resume);
	}
}

/*
 * A load or a store through the TLB entry of its address, as mmu_load()
 * and mmu_store() do: the entry's tag for the access must be the page of
 * the first byte and of the last (so the access stays within the page).
 * A miss jumps to a slow path (emitted by tr_slow_paths()), which calls
 * the handler and comes back.
 */
void tr_mem(struct tr *t, const struct tr_op *op, const struct insn *in,
	    uint32_t i)
{
	struct x86_buf *b = t->b;
	unsigned size = (unsigned)op->op, s = tr_slow_begin(t, i);
	enum x86_reg x = tr_mem_address(t, in, size, op->kind == TR_STORE, s);

	if (op->kind == TR_LOAD && tr_cached(t, in->rd)) {
		/* Straight into the register's host register. */
		x86_load_index(b, tr_host(t, in->rd), X86_RAX, x, 0, size,
			       op->w32);
		t->dirty |= (1u << in->rd) & t->all;
	} else if (op->kind == TR_LOAD) {
		x86_load_index(b, X86_RAX, X86_RAX, x, 0, size, op->w32);
		tr_put(t, in->rd, X86_RAX, false);
	} else {
		enum x86_reg v = tr_src(t, in->rs2, X86_RDX);

		x86_store_index(b, X86_RAX, x, 0, v, size);
	}
	tr_slow_end(t, s);
}
