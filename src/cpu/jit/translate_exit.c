/* SPDX-License-Identifier: MIT */
/*
 * How a translation's blocks end (cpu/jit/translate.c says what runs in
 * which host register): the checks between blocks, the exits, chained or
 * not, indirect jumps, loops within a trace and the side exits of a
 * trace's branches.
 *
 * Chaining: an exit of a native branch, jal or fall-through to an address
 * in the block's own page ends with the checks hart_run() makes between
 * blocks (the instruction limit; h->jit_stop, which requests from other
 * threads and pending interrupts set; a G-stage generation change of the
 * hart's own is checked after each handler call), then a jump. Until
 * hart_run() links it, the jump goes to a plain return that tells
 * hart_run() where the jump is, which host address it leads to and the
 * translation's group (cpu/jit/share.h: exits chain only within one);
 * once the block there is translated in that group, hart_run() points the
 * jump at that translation. Same page, same host frame: the guest address the
 * chain goes to is the one its translation was made for, whatever guest address
 * the page runs at, so a chain needs no fetch of its own while none of the
 * checks fires (any flush of the hart's caches sets the limit to 0).
 *
 * An indirect jump (jalr), or an exit to another page, makes the same
 * checks, then what hart_run() would do next, inline: the fetch through
 * the TLB (tag_x), then the block at that host address among the recent
 * translations hart_run() has run (the jump cache of cpu/jit/jit.h); on a
 * hit it jumps there.
 *
 * A branch back to the trace's own start (a loop within one trace) makes
 * the same checks and jumps back past the entry's register loads: the
 * loop's registers stay in host registers from one iteration to the next.
 * Every register of the block's own then counts as changed at the loop's
 * top, so whatever leaves the trace writes them all back.
 *
 * Traces (cpu/jit/translate.h): a branch inside one is a compare and a
 * jump, taken, to its side exit, out of line, which is the exit above of
 * a block ending in that branch taken. Not taken, the block's
 * instructions are counted and the instruction limit checked (a jump out
 * to hart_run() at that block boundary when it is reached); the next
 * block's code follows. "The block" in what is said above is the trace's
 * block running then; the registers cached are the trace's.
 */
#include "cpu/jit/translate_int.h"

#include <stddef.h>

#include "cpu/exec.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"

/*
 * The block has ended: instret += its n instructions, then what
 * hart_run() would look at before the next block: the instruction limit,
 * and, when stop, h->jit_stop, set by whatever else it must see (a
 * request, a pending interrupt: cpu/hart.h). The jumps taken when
 * hart_run() has work go into fail[TR_CHECKS] (NULL: none); where they
 * land, eax is to be set to EXEC_BLOCK_END (tr_fail_here()).
 *
 * h->jit_stop needs looking at only where the guest can go round a loop:
 * on jumps backwards and indirect ones (or out of the page). A chain of
 * forward jumps within a page ends within the page, so a request waits
 * a few hundred instructions at most.
 */
#define TR_CHECKS 2

static void tr_checks(struct tr *t, uint32_t n, bool stop, uint8_t **fail)
{
	struct x86_buf *buf = t->b;

	x86_alu_ri(buf, X86_SUB, RL, (int32_t)n, true);
	fail[0] = x86_jcc_fwd(buf, X86_CC_LE); /* instret >= jit_limit */
	fail[1] = NULL;
	if (!stop)
		return;
	x86_load(buf, X86_RCX, RH, HART_OFF(jit_stop), 4, false);
	x86_test_rr(buf, X86_RCX, X86_RCX, false);
	fail[1] = x86_jcc_fwd(buf, X86_CC_NE);
}

/* The jumps of fail[n] land here, where eax becomes EXEC_BLOCK_END. */
static void tr_fail_here(struct x86_buf *b, uint8_t **fail, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fail[i])
			x86_patch(b, fail[i], b->p);
	x86_mov_ri(b, X86_RAX, EXEC_BLOCK_END);
}

static void tr_jump(struct tr *t, uint32_t n);

/*
 * The exit of a block of n instructions to rel bytes from the trace's
 * start (h->pc already there, the registers written back), back (to the
 * exiting instruction or before it) or not: chainable when that is in the
 * trace's page, else as an indirect jump.
 */
static void tr_exit(struct tr *t, int64_t rel, uint32_t n, bool back)
{
	struct x86_buf *buf = t->b;
	const struct block *b = t->blk;
	int64_t off = (int64_t)(b->host & 0xfff) + rel;
	uint8_t *fail[TR_CHECKS], *site;

	if (off < 0 || off >= 4096) {
		x86_load(buf, X86_RDX, RH, HART_PC, 8, false);
		tr_jump(t, n);
		return;
	}
	tr_give_back(t);
	tr_checks(t, n, back, fail);
	/* The jump's displacement 4-byte aligned: linking it is one atomic
	 * store, which another hart running this code sees whole. */
	while (((uintptr_t)buf->p + 1) & 3 && !buf->overflow)
		x86_emit(buf, &(const uint8_t){0x90}, 1); /* nop */
	site = x86_jmp_fwd(buf);
	/* Not linked yet: ask hart_run() to, with the group of translations
	 * this one may chain to. A failed check does not (the exit may well
	 * be linked already). */
	x86_patch(buf, site, buf->p);
	x86_mov_ri(buf, X86_RCX,
		   (uint64_t)((b->host & ~(uintptr_t)0xfff) + off));
	x86_store(buf, RH, HART_OFF(jit_link_host), X86_RCX, 8);
	x86_mov_ri(buf, X86_RCX, (uint64_t)((uintptr_t)site + t->rx_delta));
	x86_store(buf, RH, HART_OFF(jit_link_site), X86_RCX, 8);
	x86_mov_ri(buf, X86_RCX, t->group);
	x86_store(buf, RH, HART_OFF(jit_link_group), X86_RCX, 8);
	tr_fail_here(buf, fail, TR_CHECKS);
	tr_return(buf);
}

/*
 * The end of an indirect jump to the address in rdx (h->pc too, the
 * registers written back): into the translation of the block there when the
 * jump cache has it, else back to hart_run().
 */
static void tr_jump(struct tr *t, uint32_t n)
{
	struct x86_buf *b = t->b;
	uint8_t *fail[TR_CHECKS + 2], *hit;

	tr_give_back(t);
	tr_checks(t, n, true, fail); /* rcx */
	/* rcx = the TLB entry, rax = the page */
	tr_tlb_index(b, X86_RDX, X86_RAX);
	x86_mov_rr(b, X86_RAX, X86_RDX, true);
	x86_shift_ri(b, X86_SHR, X86_RAX, 12, true);
	x86_alu_rr(b, X86_ADD, X86_RCX, RT, true);
	x86_alu_rm(b, X86_CMP, X86_RAX, X86_RCX,
		   (int32_t)offsetof(struct tlb_entry, tag_x), true);
	hit = x86_jcc_fwd(b, X86_CC_E);
	x86_alu_rm(b, X86_CMP, X86_RAX, X86_RCX,
		   (int32_t)(offsetof(struct tlb_entry, tag_x) +
			     sizeof(struct tlb_entry)),
		   true);
	fail[TR_CHECKS] = x86_jcc_fwd(b, X86_CC_NE);
	tr_tlb_swap(b);
	x86_patch(b, hit, b->p);
	x86_alu_rm(b, X86_ADD, X86_RDX, X86_RCX,
		   (int32_t)offsetof(struct tlb_entry, addend), true);
	/* rcx = the jump cache's slot for the host address rdx */
	x86_mov_rr(b, X86_RCX, X86_RDX, false);
	x86_shift_ri(b, X86_SHR, X86_RCX, 1, false);
	x86_alu_ri(b, X86_AND, X86_RCX, JIT_JUMPS - 1, false);
	x86_shift_ri(b, X86_SHL, X86_RCX, 4, false);
	x86_alu_rm(b, X86_ADD, X86_RCX, RH, HART_OFF(jit_jumps), true);
	x86_alu_rm(b, X86_CMP, X86_RDX, X86_RCX,
		   (int32_t)offsetof(struct jit_jump, host), true);
	fail[TR_CHECKS + 1] = x86_jcc_fwd(b, X86_CC_NE);
	x86_load(b, X86_RCX, X86_RCX, (int32_t)offsetof(struct jit_jump, code),
		 8, false);
	x86_jmp_r(b, X86_RCX);
	tr_fail_here(b, fail, TR_CHECKS + 2);
	tr_return(b);
}

/* A branch taken back to the trace's start (h->pc is there already), at
 * the end of a block of n instructions. */
static void tr_loop_back(struct tr *t, uint32_t n)
{
	uint8_t *fail[TR_CHECKS];

	tr_checks(t, n, true, fail);
	x86_patch(t->b, x86_jmp_fwd(t->b), t->top);
	tr_fail_here(t->b, fail, TR_CHECKS);
	tr_write_back(t, t->all);
	tr_give_back(t);
	tr_return(t->b);
}

/* The flags of a branch's rs1 - rs2 (a test when rs2 is x0: the same
 * flags for every condition a branch has). */
static void tr_compare(struct tr *t, const struct insn *in)
{
	enum x86_reg a = tr_src(t, in->rs1, X86_RAX);

	if (in->rs2 == 0) {
		x86_test_rr(t->b, a, a, true);
		return;
	}
	x86_alu_rr(t->b, X86_CMP, a, tr_src(t, in->rs2, X86_RCX), true);
}

/* A native instruction that ends the block (the block's last). */
void tr_end(struct tr *t, const struct tr_op *op, const struct insn *in)
{
	struct x86_buf *b = t->b;
	int64_t next = (int64_t)in->off + in->len;
	uint32_t n = tr_count(t, t->blk->ninsn - 1);
	uint8_t *taken;

	switch (op->kind) {
	case TR_BRANCH:
		tr_compare(t, in);
		taken = x86_jcc_fwd(b, op->op);
		tr_write_back(t, t->dirty); /* a mov: the flags stay */
		tr_add_pc(b, next);
		tr_exit(t, next, n, false);
		x86_patch(b, taken, b->p);
		if (in->off + in->imm == 0) {
			tr_loop_back(t, n);
			return;
		}
		tr_write_back(t, t->dirty);
		tr_add_pc(b, (int64_t)in->off + in->imm);
		tr_exit(t, (int64_t)in->off + in->imm, n, in->imm <= 0);
		return;
	case TR_JAL:
		if (in->rd != 32) {
			tr_pc(b, X86_RDX, next);
			tr_put(t, in->rd, X86_RDX, false);
		}
		tr_flush(t);
		tr_add_pc(b, (int64_t)in->off + in->imm);
		tr_exit(t, (int64_t)in->off + in->imm, n, in->imm <= 0);
		return;
	case TR_JALR:
		/* The target first: rd may be rs1. */
		tr_get(t, X86_RAX, in->rs1);
		tr_add_imm(b, X86_RAX, in->imm);
		x86_alu_ri(b, X86_AND, X86_RAX, -2, true);
		if (in->rd != 32) {
			tr_pc(b, X86_RDX, next);
			tr_put(t, in->rd, X86_RDX, false);
		}
		tr_flush(t);
		x86_store(b, RH, HART_PC, X86_RAX, 8);
		x86_mov_rr(b, X86_RDX, X86_RAX, true);
		tr_jump(t, n);
		return;
	default: /* TR_FALLTHROUGH */
		tr_flush(t);
		tr_add_pc(b, in->off);
		tr_exit(t, in->off, n, false);
		return;
	}
}

/*
 * Instruction i (a branch not taken, or a fall-through) ended a block of
 * the trace: count it, and back to hart_run() at the next block, rel
 * bytes from the trace's start, if that reaches the instruction limit
 * (where the interpreter would stop too: a budget or a timer poll ends at
 * the same instruction under both tiers). Requests and interrupts
 * (h->jit_stop) wait for the trace's end, a few dozen instructions at
 * most. Else the next block starts.
 */
void tr_next_block(struct tr *t, uint32_t i, int64_t rel)
{
	struct tr_side *sd = &t->side[t->nside++];

	x86_alu_ri(t->b, X86_SUB, RL, (int32_t)tr_count(t, i), true);
	sd->at = x86_jcc_fwd(t->b, X86_CC_LE);
	sd->dirty = t->dirty;
	sd->n = 0;
	sd->rel = rel;
	sd->stop = true;
	t->seg = i + 1;
}

/* A branch inside the trace, instruction i: its side exit when taken
 * (emitted by tr_side_exits()), else on to the next block. */
void tr_side_branch(struct tr *t, const struct tr_op *op, const struct insn *in,
		    uint32_t i)
{
	struct tr_side *sd = &t->side[t->nside++];
	int64_t taken = (int64_t)in->off + in->imm;
	int64_t not_taken = (int64_t)in->off + in->len;
	/* The trace goes on at the target (translate_decode()): the side
	 * exit is the branch not taken (x86's conditions pair up as cc and
	 * cc ^ 1). */
	bool inverted = t->blk->insn[i + 1].off == taken && taken != not_taken;

	tr_compare(t, in);
	sd->at = x86_jcc_fwd(t->b, inverted ? op->op ^ 1 : op->op);
	sd->dirty = t->dirty;
	sd->n = tr_count(t, i);
	sd->rel = inverted ? not_taken : taken;
	sd->back = !inverted && in->imm <= 0;
	sd->stop = false;
	tr_next_block(t, i, inverted ? taken : not_taken);
}

/* The side exits, out of line: as the end of a block whose branch is
 * taken, or back to hart_run() at the instruction limit. */
void tr_side_exits(struct tr *t)
{
	for (unsigned e = 0; e < t->nside; e++) {
		const struct tr_side *sd = &t->side[e];

		x86_patch(t->b, sd->at, t->b->p);
		tr_write_back(t, sd->dirty);
		if (sd->stop) {
			tr_give_back(t);
			tr_add_pc(t->b, sd->rel);
			x86_mov_ri(t->b, X86_RAX, EXEC_BLOCK_END);
			tr_return(t->b);
			continue;
		}
		if (sd->rel == 0) {
			tr_loop_back(t, sd->n);
			continue;
		}
		tr_add_pc(t->b, sd->rel);
		tr_exit(t, sd->rel, sd->n, sd->back);
	}
}
