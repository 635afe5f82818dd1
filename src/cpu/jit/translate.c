/* SPDX-License-Identifier: MIT */
/*
 * The translation of one decoded block, called through the entry of
 * translate_entry(), which saves the host's callee-saved registers.
 * Registers while it runs:
 *   rbx  the struct hart (callee-saved, so handler calls keep it);
 *   r10  instructions left before h->jit_limit: h->instret is
 *        h->jit_limit - r10, stored there before a handler call (which
 *        may read it; r10 follows the limit after it, as a flush may have
 *        moved it) and by the entry when the translations return;
 *   r11  h->pc (the block's address while it runs, as block_exec() has
 *        it): stored there before a handler call and loaded again after
 *        it, stored when the translations return to hart_run() from a
 *        native exit (a handler that leaves the block sets h->pc itself);
 *   rbp, r12-r15  a5, sp, a4, a0 and s0 (the registers compiled RISC-V
 *        code uses most: glibc's static instruction counts) in every
 *        translation, loaded by the entry and stored back when the
 *        translations return to it; chained code keeps them. They are
 *        callee-saved: a handler call keeps them. A RISC-V instruction
 *        reads at most rs1 and rs2 of the integer registers and writes at
 *        most rd, so those go to h->x[] before a handler call and rd comes
 *        back after it;
 *   rsi, rdi, r8, r9  the other guest registers the block uses most (up
 *        to four), loaded when the block starts and written back when it
 *        ends and before every handler call (which clobbers them: they
 *        are loaded again after it);
 *   rax, rcx, rdx  scratch, dead between guest instructions.
 * The other guest registers stay in h->x[] ([rbx + 8 * r]). x0 as a
 * source is 0; an instruction whose rd is x0 (x[32], a sink) and that has
 * no other effect is left out.
 *
 * Each instruction is either native (the integer computations of
 * translate_alu.c, the instructions ending a block without a trap:
 * branches, jal, jalr, the fall-through), native with a slow path (loads
 * and stores: the software TLB's fast path of mmu_load()/mmu_store()
 * inline, the handler called out of line when it misses; the F and D
 * instructions of translate_fp.c, whose slow path is the handler for
 * whatever they cannot do exactly), or a call of its handler, as
 * block_exec()
 * makes it: result 0 goes on, anything else leaves the block with that
 * result after adding the instructions run so far, the failing one
 * included, to h->instret. During a handler call h->x[] holds what the
 * handler reads, and every register once the translations return (trap
 * delivery reads none of them), so a trap leaves the interpreter's state.
 * The exits of the handler calls and the slow paths are out of line,
 * after the block's own end, so the path through the block has no taken
 * jumps. The native FP code's IEEE flags accumulate in MXCSR: the gate
 * merges them into fflags before each handler call and the entry when
 * the translations return, so fcsr too is the interpreter's wherever
 * anything reads it.
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
#include "cpu/jit/translate.h"
#include "cpu/jit/translate_int.h"

#include <errno.h>
#include <stddef.h>

#include "cpu/exec.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "mem/gstage.h"

_Static_assert(sizeof(struct tlb_entry) == 32, "tr_mem scales by 32");

/* Where guest registers are cached: first the global ones (their guest
 * registers in tr_globals), then a block's own. */
const enum x86_reg tr_pool[TR_POOL] = {X86_RBP, X86_R12, X86_R13,
				       X86_R14, X86_R15, X86_RSI,
				       X86_RDI, X86_R8,	 X86_R9};
static const uint8_t tr_globals[TR_GLOBALS] = {15, 2, 14, 10,
					       8}; /* a5 sp a4 a0 s0 */

static bool tr_ends_block(enum tr_kind k)
{
	return k == TR_BRANCH || k == TR_JAL || k == TR_JALR ||
	       k == TR_FALLTHROUGH;
}

enum x86_reg tr_src(struct tr *t, unsigned xi, enum x86_reg scratch)
{
	if (xi == 0) {
		x86_alu_rr(t->b, X86_XOR, scratch, scratch, false);
		return scratch;
	}
	if (tr_cached(t, xi))
		return tr_host(t, xi);
	x86_load(t->b, scratch, RH, HART_X(xi), 8, false);
	return scratch;
}

void tr_get(struct tr *t, enum x86_reg scratch, unsigned xi)
{
	enum x86_reg r = tr_src(t, xi, scratch);

	if (r != scratch)
		x86_mov_rr(t->b, scratch, r, true);
}

void tr_put(struct tr *t, unsigned xi, enum x86_reg r, bool w32)
{
	if (w32)
		x86_movsxd(t->b, r, r);
	if (tr_cached(t, xi)) {
		if (tr_host(t, xi) != r)
			x86_mov_rr(t->b, tr_host(t, xi), r, true);
		t->dirty |= (1u << xi) & t->all;
	} else {
		x86_store(t->b, RH, HART_X(xi), r, 8);
	}
}

/* Write the cached registers of mask back to h->x[]. */
static void tr_write_back(struct tr *t, uint32_t mask)
{
	for (unsigned i = 0; i < t->ncached; i++)
		if (mask & (1u << t->guest[i]))
			x86_store(t->b, RH, HART_X(t->guest[i]), tr_pool[i], 8);
}

/* Every cached register written back: h->x[] is the guest's state. */
static void tr_flush(struct tr *t)
{
	tr_write_back(t, t->dirty);
	t->dirty = 0;
}

/* Load the block's own cached registers from h->x[]. */
static void tr_reload(struct tr *t)
{
	for (unsigned i = TR_GLOBALS; i < t->ncached; i++)
		x86_load(t->b, tr_pool[i], RH, HART_X(t->guest[i]), 8, false);
}

void tr_add_imm(struct x86_buf *b, enum x86_reg r, int64_t v)
{
	if (v == 0)
		return;
	if (tr_fits32(v)) {
		x86_alu_ri(b, X86_ADD, r, (int32_t)v, true);
	} else {
		x86_mov_ri(b, X86_RCX, (uint64_t)v);
		x86_alu_rr(b, X86_ADD, r, X86_RCX, true);
	}
}

/* pc += v: an offset within a page plus a branch's or jal's immediate,
 * which always fits in 32 bits (else through rcx). */
static void tr_add_pc(struct x86_buf *b, int64_t v)
{
	tr_add_imm(b, RP, v);
}

/* Leave the block after its handler: instret += n; return eax. */
static void tr_leave(struct x86_buf *b, uint32_t n)
{
	x86_alu_ri(b, X86_SUB, RL, (int32_t)n, true);
	x86_ret(b);
}

/* Back to hart_run() from a native exit (eax set, instret counted). */
static void tr_return(struct x86_buf *b)
{
	x86_store(b, RH, HART_PC, RP, 8);
	x86_ret(b);
}

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

static void tr_jump(struct tr *t, enum x86_reg va, uint32_t n);

/* rcx = the offset in h->tlb[] of the first TLB entry of the set of the
 * guest-virtual address in va (mmu_tlb_index() * 32: a set is 64 bytes,
 * so ((va >> 6) ^ (va >> (6 + TLB_BITS - 1))) & ((TLB_SETS - 1) << 6));
 * tmp clobbered.
 */
#define TR_SET_SHIFT 6

static void tr_tlb_index(struct x86_buf *b, enum x86_reg va, enum x86_reg tmp)
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
static void tr_tlb_swap(struct x86_buf *b)
{
	_Static_assert(sizeof(struct tlb_entry) == 32, "two 16-byte halves");
	for (int i = 0; i < 4; i++)
		x86_movdqu_load(b, (enum x86_xmm)(X86_XMM2 + i), X86_RCX,
				16 * i);
	for (int i = 0; i < 4; i++)
		x86_movdqu_store(b, X86_RCX, 16 * ((i + 2) & 3),
				 (enum x86_xmm)(X86_XMM2 + i));
}

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
		tr_jump(t, RP, n);
		return;
	}
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
 * The end of an indirect jump to the address in va (h->pc, the registers
 * written back): into the translation of the block there when the jump
 * cache has it, else back to hart_run().
 */
static void tr_jump(struct tr *t, enum x86_reg va, uint32_t n)
{
	struct x86_buf *b = t->b;
	uint8_t *fail[TR_CHECKS + 2], *hit;

	x86_mov_rr(b, X86_RDX, va, true);
	tr_checks(t, n, true, fail); /* rcx */
	/* rcx = the TLB entry, rax = the page */
	tr_tlb_index(b, X86_RDX, X86_RAX);
	x86_mov_rr(b, X86_RAX, X86_RDX, true);
	x86_shift_ri(b, X86_SHR, X86_RAX, 12, true);
	x86_alu_rm(b, X86_ADD, X86_RCX, RH, HART_OFF(tlb), true);
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
	tr_return(t->b);
}

/* Does a branch of the trace go back to its start? */
static bool tr_loops(const struct block *b)
{
	for (uint32_t i = 0; i < b->ninsn; i++) {
		const struct insn *in = &b->insn[i];
		const struct tr_op *op = tr_lookup(in);

		if (op && op->kind == TR_BRANCH && in->off + in->imm == 0)
			return true;
	}
	return false;
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
static void tr_end(struct tr *t, const struct tr_op *op, const struct insn *in)
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
			x86_lea(b, X86_RDX, RP, (int32_t)next);
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
			x86_lea(b, X86_RDX, RP, (int32_t)next);
			tr_put(t, in->rd, X86_RDX, false);
		}
		tr_flush(t);
		x86_mov_rr(b, RP, X86_RAX, true);
		tr_jump(t, RP, n);
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
static void tr_next_block(struct tr *t, uint32_t i, int64_t rel)
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
static void tr_side_branch(struct tr *t, const struct tr_op *op,
			   const struct insn *in, uint32_t i)
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
static void tr_side_exits(struct tr *t)
{
	for (unsigned e = 0; e < t->nside; e++) {
		const struct tr_side *sd = &t->side[e];

		x86_patch(t->b, sd->at, t->b->p);
		tr_write_back(t, sd->dirty);
		if (sd->stop) {
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

/* Was the branch ending the block of bias at host taken in most of its
 * interpreted runs (a few at least)? */
static bool tr_mostly_taken(const struct block_cache *bias, uintptr_t host)
{
	const struct block *b = bias ? block_find(bias, host) : NULL;

	return b && b->hits >= 4 && 2 * b->taken > b->hits;
}

uint32_t translate_decode(const uint8_t *code, uintptr_t host,
			  const struct block_cache *bias, struct insn *insn,
			  uint32_t *lead)
{
	uint32_t n = block_decode(code, insn), page_left, start = 0;

	*lead = n;
	page_left = 4096 - (uint32_t)((uintptr_t)code & 0xfff);
	while (n) {
		const struct insn *last = &insn[n - 1];
		const struct tr_op *op = tr_lookup(last);
		struct insn more[BLOCK_MAX_INSNS];
		int64_t target = (int64_t)last->off + last->imm;
		uint32_t next, m;

		if (!op ||
		    (op->kind != TR_BRANCH && op->kind != TR_FALLTHROUGH))
			break;
		/* A fall-through's offset is the next instruction's; a
		 * branch taken mostly goes on at its target, further on. */
		next = last->off + (op->kind == TR_BRANCH ? last->len : 0);
		if (op->kind == TR_BRANCH && target > last->off &&
		    target < page_left && tr_mostly_taken(bias, host + start))
			next = (uint32_t)target;
		if (next >= page_left)
			break;
		m = block_decode(code + next, more);
		if (m == 0 || n + m > TRACE_MAX_INSNS)
			break;
		for (uint32_t i = 0; i < m; i++) {
			insn[n + i] = more[i];
			insn[n + i].off = (uint16_t)(more[i].off + next);
		}
		n += m;
		start = next;
	}
	return n;
}

unsigned tr_slow_begin(struct tr *t, uint32_t i)
{
	t->slow_i[t->nslow] = i;
	t->slow_n[t->nslow] = tr_count(t, i);
	t->slow_dirty[t->nslow] = t->dirty;
	return t->nslow++;
}

void tr_slow_jump(struct tr *t, unsigned s, enum x86_cc cc)
{
	t->jump_at[t->njump] = x86_jcc_fwd(t->b, cc);
	t->jump_to[t->njump++] = (uint8_t)s;
}

void tr_slow_end(struct tr *t, unsigned s)
{
	t->slow_resume[s] = t->b->p;
}

void tr_mem_address(struct tr *t, const struct insn *in, unsigned size,
		    bool store, unsigned s)
{
	struct x86_buf *b = t->b;
	int32_t tag = store ? (int32_t)offsetof(struct tlb_entry, tag_w)
			    : (int32_t)offsetof(struct tlb_entry, tag_r);

	/* rax = va, rcx = &h->tlb[mmu_tlb_index(va)], rdx = last page */
	if (tr_cached(t, in->rs1) && in->imm && tr_fits32(in->imm)) {
		x86_lea(b, X86_RAX, tr_host(t, in->rs1), (int32_t)in->imm);
	} else {
		tr_get(t, X86_RAX, in->rs1);
		tr_add_imm(b, X86_RAX, in->imm);
	}
	tr_tlb_index(b, X86_RAX, X86_RDX);
	x86_alu_rm(b, X86_ADD, X86_RCX, RH, HART_OFF(tlb), true);
	x86_lea(b, X86_RDX, X86_RAX, (int32_t)size - 1);
	x86_shift_ri(b, X86_SHR, X86_RDX, 12, true);
	x86_alu_rm(b, X86_CMP, X86_RDX, X86_RCX, tag, true);
	/* Not in the set's first entry: the second, out of line. */
	t->way[t->nway].at = x86_jcc_fwd(b, X86_CC_NE);
	t->way[t->nway].resume = b->p;
	t->way[t->nway].tag = tag;
	t->way[t->nway++].slow = s;
	x86_alu_rm(b, X86_ADD, X86_RAX, X86_RCX,
		   (int32_t)offsetof(struct tlb_entry, addend), true);
}

/* The accesses' looks at the second entry of their TLB set: on a hit, the
 * entries swapped and back; else the slow path. */
static void tr_second_ways(struct tr *t)
{
	for (unsigned w = 0; w < t->nway; w++) {
		x86_patch(t->b, t->way[w].at, t->b->p);
		x86_alu_rm(t->b, X86_CMP, X86_RDX, X86_RCX,
			   t->way[w].tag + (int32_t)sizeof(struct tlb_entry),
			   true);
		tr_slow_jump(t, t->way[w].slow, X86_CC_NE);
		tr_tlb_swap(t->b);
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
static void tr_mem(struct tr *t, const struct tr_op *op, const struct insn *in,
		   uint32_t i)
{
	struct x86_buf *b = t->b;
	unsigned size = (unsigned)op->op, s = tr_slow_begin(t, i);

	tr_mem_address(t, in, size, op->kind == TR_STORE, s);
	if (op->kind == TR_LOAD && tr_cached(t, in->rd)) {
		/* Straight into the register's host register. */
		x86_load(b, tr_host(t, in->rd), X86_RAX, 0, size, op->w32);
		t->dirty |= (1u << in->rd) & t->all;
	} else if (op->kind == TR_LOAD) {
		x86_load(b, X86_RAX, X86_RAX, 0, size, op->w32);
		tr_put(t, in->rd, X86_RAX, false);
	} else {
		enum x86_reg v = tr_src(t, in->rs2, X86_RDX);

		x86_store(b, X86_RAX, 0, v, size);
	}
	tr_slow_end(t, s);
}

/* eax = in->fn(h, in), h->x[] holding what it reads: through its gate. */
static void tr_call(struct tr *t, const struct insn *in)
{
	bool csr = in->fn == exec_csrrw || in->fn == exec_csrrs ||
		   in->fn == exec_csrrc;

	x86_mov_ri(t->b, X86_RSI, (uint64_t)(uintptr_t)in);
	x86_call_rel(t->b, csr ? t->gates->fflags : t->gates->plain);
}

static uint32_t tr_bit(unsigned xi)
{
	return xi < 32 ? 1u << xi : 0;
}

/* After a handler call: a global register it wrote comes back. */
static void tr_after_call(struct tr *t, const struct insn *in)
{
	if (tr_bit(in->rd) & t->globals)
		x86_load(t->b, tr_host(t, in->rd), RH, HART_X(in->rd), 8,
			 false);
}

/*
 * Call the handler of in, instruction n - 1 of the block, when the
 * block's own cached registers of dirty are newer than h->x[]; leave the
 * block unless it returns 0. Afterwards every register of the block's own
 * is clean (loaded again).
 */
static void tr_call_mid(struct tr *t, const struct insn *in, uint32_t dirty,
			uint32_t n)
{
	uint32_t mine = tr_bit(in->rs1) | tr_bit(in->rs2) | tr_bit(in->rd);

	tr_write_back(t, dirty | (mine & t->globals));
	tr_call(t, in);
	tr_after_call(t, in);
	x86_test_rr(t->b, X86_RAX, X86_RAX, false);
	t->exit_at[t->nexit] = x86_jcc_fwd(t->b, X86_CC_NE);
	t->exit_wb[t->nexit] = 0;
	t->exit_n[t->nexit++] = n;
	tr_reload(t);
}

/* The slow paths of the loads and stores: the handler, then back. */
static void tr_slow_paths(struct tr *t)
{
	for (unsigned s = 0; s < t->nslow; s++) {
		for (unsigned j = 0; j < t->njump; j++)
			if (t->jump_to[j] == s)
				x86_patch(t->b, t->jump_at[j], t->b->p);
		tr_call_mid(t, &t->blk->insn[t->slow_i[s]], t->slow_dirty[s],
			    t->slow_n[s]);
		x86_patch(t->b, x86_jmp_fwd(t->b), t->slow_resume[s]);
	}
}

/* Cache the (up to TR_POOL) guest registers the native code uses most. */
static void tr_allocate(struct tr *t)
{
	unsigned uses[32] = {0};

	for (uint32_t i = 0; i < t->blk->ninsn; i++) {
		const struct insn *in = &t->blk->insn[i];

		if (!tr_lookup(in))
			continue;
		uses[in->rs1 & 31]++;
		uses[in->rs2 & 31]++;
		if (in->rd < 32)
			uses[in->rd]++;
	}
	uses[0] = 0;
	for (unsigned i = 0; i < 32; i++)
		t->host[i] = -1;
	t->globals = 0;
	for (t->ncached = 0; t->ncached < TR_GLOBALS; t->ncached++) {
		unsigned g = tr_globals[t->ncached];

		t->host[g] = (int8_t)t->ncached;
		t->guest[t->ncached] = (uint8_t)g;
		t->globals |= 1u << g;
		uses[g] = 0;
	}
	while (t->ncached < TR_POOL) {
		unsigned best = 0;

		for (unsigned r = 1; r < 32; r++)
			if (uses[r] > uses[best])
				best = r;
		if (!uses[best])
			break;
		uses[best] = 0;
		t->host[best] = (int8_t)t->ncached;
		t->guest[t->ncached++] = (uint8_t)best;
	}
	t->all = 0;
	for (unsigned i = TR_GLOBALS; i < t->ncached; i++)
		t->all |= 1u << t->guest[i];
	t->dirty = 0;
}

int translate_block(struct x86_buf *buf, const struct block *b,
		    intptr_t rx_delta, const struct translate_gates *gates,
		    uint64_t group)
{
	struct tr t; /* about 10 KiB */
	const struct insn *last;
	const struct tr_op *op;

	if (b->ninsn == 0 || b->ninsn > TRACE_MAX_INSNS)
		return -EINVAL;
	last = &b->insn[b->ninsn - 1];
	op = tr_lookup(last);
	if (op && !tr_ends_block(op->kind))
		return -EINVAL; /* a block always ends with its last insn */
	t.b = buf;
	t.blk = b;
	t.rx_delta = rx_delta;
	t.group = group;
	t.gates = gates;
	t.nexit = t.nslow = t.njump = t.nfix = t.nside = t.nway = 0;
	t.seg = 0;
	t.fs_on = t.fs_dirty = false;
	tr_allocate(&t);

	tr_reload(&t);
	t.top = buf->p;
	if (tr_loops(b))
		t.dirty = t.all; /* as they come back from the loop */

	for (uint32_t i = 0; i + 1 < b->ninsn; i++) {
		const struct insn *in = &b->insn[i];

		op = tr_lookup(in);
		if (op && op->kind == TR_BRANCH) {
			tr_side_branch(&t, op, in, i);
			continue;
		}
		if (op && op->kind == TR_FALLTHROUGH) {
			tr_next_block(&t, i, in->off);
			continue;
		}
		if (op && tr_ends_block(op->kind))
			return -EINVAL; /* would end the trace early */
		if (op && (op->kind == TR_LOAD || op->kind == TR_STORE)) {
			tr_mem(&t, op, in, i);
			continue;
		}
		if (op && i + 3 < b->ninsn && tr_rotate(&t, in)) {
			i += 2;
			continue;
		}
		if (op && tr_compute(&t, op, in))
			continue;
		if (!op && tr_fp(&t, in, i))
			continue;
		tr_call_mid(&t, in, t.dirty, tr_count(&t, i));
		t.dirty = 0;
		t.fs_on = t.fs_dirty = false; /* it may have written sstatus */
	}

	op = tr_lookup(last);
	if (op) {
		tr_end(&t, op, last);
	} else {
		/* The handler ends the block: its result is the block's. It
		 * may be an ecall, whose caller reads any register. */
		tr_write_back(&t, t.dirty | t.globals);
		tr_call(&t, last);
		tr_after_call(&t, last);
		tr_leave(buf, tr_count(&t, b->ninsn - 1));
	}

	tr_side_exits(&t);
	tr_second_ways(&t);
	tr_fp_fixes(&t);
	tr_slow_paths(&t);
	for (unsigned e = 0; e < t.nexit; e++) {
		x86_patch(buf, t.exit_at[e], buf->p);
		tr_write_back(&t, t.exit_wb[e]);
		tr_leave(buf, t.exit_n[e]);
	}
	return 0;
}

void translate_entry(struct x86_buf *buf)
{
	static const enum x86_reg saved[] = {X86_RBX, X86_RBP, X86_R12,
					     X86_R13, X86_R14, X86_R15};
	size_t n = sizeof(saved) / sizeof(saved[0]);

	/* Six pushes on the return address: the stack is 16-byte aligned
	 * again once the call below has pushed its own, as handler calls in
	 * the translation need it. */
	for (size_t i = 0; i < n; i++)
		x86_push(buf, saved[i]);
	x86_mov_rr(buf, RH, X86_RDI, true);
	x86_load(buf, RL, RH, HART_OFF(jit_limit), 8, false);
	x86_alu_rm(buf, X86_SUB, RL, RH, HART_INSTRET, true);
	x86_load(buf, RP, RH, HART_PC, 8, false);
	for (size_t g = 0; g < TR_GLOBALS; g++)
		x86_load(buf, tr_pool[g], RH, HART_X(tr_globals[g]), 8, false);
	tr_fp_reset(buf); /* stale flags of the host's own */
	x86_call_r(buf, X86_RSI);
	tr_fp_merge(buf); /* eax kept */
	for (size_t g = 0; g < TR_GLOBALS; g++)
		x86_store(buf, RH, HART_X(tr_globals[g]), tr_pool[g], 8);
	x86_load(buf, X86_RCX, RH, HART_OFF(jit_limit), 8, false);
	x86_alu_rr(buf, X86_SUB, X86_RCX, RL, true);
	x86_store(buf, RH, HART_INSTRET, X86_RCX, 8);
	while (n--)
		x86_pop(buf, saved[n]);
	x86_ret(buf);
}

_Static_assert(offsetof(struct insn, fn) == 0, "the gate calls [rsi]");

void translate_gate(struct x86_buf *buf, bool fflags)
{
	uint8_t *skip;

	/* h->pc and h->instret as the interpreter has them: the block's. */
	x86_store(buf, RH, HART_PC, RP, 8);
	x86_load(buf, X86_RAX, RH, HART_OFF(jit_limit), 8, false);
	x86_alu_rr(buf, X86_SUB, X86_RAX, RL, true);
	x86_store(buf, RH, HART_INSTRET, X86_RAX, 8);
	/* fflags as the interpreter has them, then none pending: the
	 * handler may read or replace them. (No handler computes with the
	 * host's FPU: the soft-float is integer code. The other handlers
	 * touch neither MXCSR nor fflags, or only OR flags in, which the
	 * pending ones may join later.) */
	if (fflags)
		tr_fp_merge(buf);
	/* Our own return address misaligns the stack for the C call. */
	x86_alu_ri(buf, X86_SUB, X86_RSP, 8, true);
	x86_mov_rr(buf, X86_RDI, RH, true);
	x86_call_m(buf, X86_RSI, 0); /* in->fn(h, in) */
	x86_alu_ri(buf, X86_ADD, X86_RSP, 8, true);
	/* A G-stage change of its own (a copy-on-write break): hart_run()
	 * must flush before the next block, as it sees nothing else of it. */
	x86_load(buf, X86_RCX, RH, HART_OFF(gs), 8, false);
	x86_load(buf, X86_RCX, X86_RCX,
		 (int32_t)offsetof(struct gstage, generation), 8, false);
	x86_alu_rm(buf, X86_CMP, X86_RCX, RH, HART_OFF(gs_generation), true);
	skip = x86_jcc_fwd(buf, X86_CC_E);
	x86_store_imm(buf, RH, HART_OFF(jit_limit), 0);
	x86_patch(buf, skip, buf->p);
	/* The limit may have moved (a flush): the count left follows it. */
	x86_load(buf, RL, RH, HART_OFF(jit_limit), 8, false);
	x86_alu_rm(buf, X86_SUB, RL, RH, HART_INSTRET, true);
	x86_load(buf, RP, RH, HART_PC, 8, false);
	x86_ret(buf);
}
