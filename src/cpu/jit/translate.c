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
 *   r9   h->tlb, the TLB of the hart's address space and privilege: loaded
 *        by the entry and after each handler call (which may have
 *        switched it), so loads and stores index it directly;
 *   rbp, r12-r15  a5, sp, a4, a0 and s0 (the registers compiled RISC-V
 *        code uses most: glibc's static instruction counts) in every
 *        translation, loaded by the entry and stored back when the
 *        translations return to it; chained code keeps them. They are
 *        callee-saved: a handler call keeps them. A RISC-V instruction
 *        reads at most rs1 and rs2 of the integer registers and writes at
 *        most rd, so those go to h->x[] before a handler call and rd comes
 *        back after it. A trace that loops borrows those whose guest
 *        registers its native code does not use, for its own: stored to
 *        h->x[] when it starts, loaded again wherever it leaves;
 *   rsi, rdi, r8, r11  the other guest registers the block uses most (up
 *        to four), loaded when the block starts and written back when it
 *        ends and before every handler call (which clobbers them: they
 *        are loaded again after it);
 *   rax, rcx, rdx  scratch, dead between guest instructions.
 * The other guest registers stay in h->x[] ([rbx + 8 * r]). x0 as a
 * source is 0; an instruction whose rd is x0 (x[32], a sink) and that has
 * no other effect is left out. h->pc is the block's address while it runs,
 * as block_exec() has it (a handler that leaves the block sets it itself);
 * an exit adds to it.
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
 * How blocks end, chain and leave: translate_exit.c; loads and stores:
 * translate_mem.c.
 */
#include "cpu/jit/translate.h"
#include "cpu/jit/translate_int.h"

#include <errno.h>
#include <stddef.h>

#include "cpu/exec.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "mem/gstage.h"

/* Where guest registers are cached: first the global ones (their guest
 * registers in tr_globals), then a block's own. */
const enum x86_reg tr_pool[TR_POOL] = {X86_RBP, X86_R12, X86_R13,
				       X86_R14, X86_R15, X86_RSI,
				       X86_RDI, X86_R8,	 X86_R11};
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
void tr_write_back(struct tr *t, uint32_t mask)
{
	for (unsigned i = 0; i < t->ncached; i++)
		if (mask & (1u << t->guest[i]))
			x86_store(t->b, RH, HART_X(t->guest[i]), tr_pool[i], 8);
}

/* Every cached register written back: h->x[] is the guest's state. */
void tr_flush(struct tr *t)
{
	tr_write_back(t, t->dirty);
	t->dirty = 0;
}

/* Load the block's own cached registers from h->x[]. */
static void tr_reload(struct tr *t)
{
	for (unsigned i = 0; i < t->ncached; i++)
		if (t->all & (1u << t->guest[i]))
			x86_load(t->b, tr_pool[i], RH, HART_X(t->guest[i]), 8,
				 false);
}

/* Entering the trace: the global registers it borrows to h->x[]. */
static void tr_borrow(struct tr *t)
{
	for (unsigned i = 0; i < TR_GLOBALS; i++)
		if (t->lent & (1u << i))
			x86_store(t->b, RH, HART_X(tr_globals[i]), tr_pool[i],
				  8);
}

void tr_give_back(struct tr *t)
{
	for (unsigned i = 0; i < TR_GLOBALS; i++)
		if (t->lent & (1u << i))
			x86_load(t->b, tr_pool[i], RH, HART_X(tr_globals[i]), 8,
				 false);
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

void tr_add_pc(struct x86_buf *b, int64_t v)
{
	if (v == 0)
		return;
	if (tr_fits32(v)) {
		x86_alu_mi(b, X86_ADD, RH, HART_PC, (int32_t)v);
		return;
	}
	tr_pc(b, X86_RDX, v);
	x86_store(b, RH, HART_PC, X86_RDX, 8);
}

void tr_pc(struct x86_buf *b, enum x86_reg r, int64_t v)
{
	x86_load(b, r, RH, HART_PC, 8, false);
	tr_add_imm(b, r, v);
}

/* Leave the block after its handler: instret += n; return eax. */
static void tr_leave(struct x86_buf *b, uint32_t n)
{
	x86_alu_ri(b, X86_SUB, RL, (int32_t)n, true);
	x86_ret(b);
}

/* Back to hart_run() from a native exit (eax set, instret counted). */
void tr_return(struct x86_buf *b)
{
	x86_ret(b);
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

/* The guest register used most of uses[] (0: none is), taken out of it. */
static unsigned tr_most_used(unsigned *uses, unsigned *n)
{
	unsigned best = 0;

	for (unsigned r = 1; r < 32; r++)
		if (uses[r] > uses[best])
			best = r;
	*n = uses[best];
	uses[best] = 0;
	return best;
}

/* A register borrowed costs a store and a load each time the trace runs,
 * round its loop or not: worth it for a guest register used this often
 * in it at least. */
#define TR_LEND_USES 4

/*
 * Cache the (up to TR_POOL) guest registers the native code uses most: the
 * global ones, then the block's own. A trace that loops keeps its own
 * registers in host registers round the loop, so it may want more of them
 * than the pool has left: it borrows the host registers of the global ones
 * its native code does not use.
 */
static void tr_allocate(struct tr *t, bool loops)
{
	unsigned uses[32] = {0}, r, n;
	uint32_t unused = 0; /* global ones its native code does not use */

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
	t->globals = t->lent = t->all = 0;
	for (unsigned i = 0; i < TR_GLOBALS; i++) {
		unsigned g = tr_globals[i];

		t->host[g] = (int8_t)i;
		t->guest[i] = (uint8_t)g;
		t->globals |= 1u << g;
		if (!uses[g])
			unused |= 1u << g;
		uses[g] = 0;
	}
	for (t->ncached = TR_GLOBALS; t->ncached < TR_POOL; t->ncached++) {
		if (!(r = tr_most_used(uses, &n)))
			break;
		t->host[r] = (int8_t)t->ncached;
		t->guest[t->ncached] = (uint8_t)r;
		t->all |= 1u << r;
	}
	/* A looping trace that wants more: the host registers of the global
	 * ones its native code does not use. */
	for (unsigned i = 0; loops && t->ncached == TR_POOL && i < TR_GLOBALS;
	     i++) {
		unsigned g = tr_globals[i];

		if (!(unused & (1u << g)))
			continue;
		if (!(r = tr_most_used(uses, &n)) || n < TR_LEND_USES)
			break;
		t->host[g] = -1;
		t->globals &= ~(1u << g);
		t->lent |= 1u << i;
		t->host[r] = (int8_t)i;
		t->guest[i] = (uint8_t)r;
		t->all |= 1u << r;
	}
	t->dirty = 0;
}

int translate_block(struct x86_buf *buf, const struct block *b,
		    intptr_t rx_delta, const struct translate_gates *gates,
		    uint64_t group)
{
	struct tr t; /* about 10 KiB */
	const struct insn *last;
	const struct tr_op *op;
	bool loops;
	unsigned k;

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
	loops = tr_loops(b);
	tr_allocate(&t, loops);

	tr_borrow(&t);
	tr_reload(&t);
	t.top = buf->p;
	if (loops)
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
		if (op && (k = tr_zext_word(&t, in, b->ninsn - 1 - i))) {
			i += k - 1;
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
		tr_give_back(&t);
		tr_leave(buf, tr_count(&t, b->ninsn - 1));
	}

	tr_side_exits(&t);
	tr_second_ways(&t);
	tr_fp_fixes(&t);
	tr_slow_paths(&t);
	for (unsigned e = 0; e < t.nexit; e++) {
		x86_patch(buf, t.exit_at[e], buf->p);
		tr_write_back(&t, t.exit_wb[e]);
		tr_give_back(&t);
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
	x86_load(buf, RT, RH, HART_OFF(tlb), 8, false);
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

	/* h->instret as the interpreter has it (h->pc is the block's). */
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
	x86_load(buf, RT, RH, HART_OFF(tlb), 8, false); /* satp, priv, SUM */
	x86_ret(buf);
}
