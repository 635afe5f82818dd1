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
 * Each instruction is either native (the integer computations, the
 * instructions ending a block without a trap: branches, jal, jalr, the
 * fall-through), native with a slow path (loads and stores: the software
 * TLB's fast path of mmu_load()/mmu_store() inline, the handler called
 * out of line when it misses), or a call of its handler, as block_exec()
 * makes it: result 0 goes on, anything else leaves the block with that
 * result after adding the instructions run so far, the failing one
 * included, to h->instret. During a handler call h->x[] holds what the
 * handler reads, and every register once the translations return (trap
 * delivery reads none of them), so a trap leaves the interpreter's state.
 * The exits of the handler calls and the slow paths are out of line,
 * after the block's own end, so the path through the block has no taken
 * jumps.
 *
 * Chaining: an exit of a native branch, jal or fall-through to an address
 * in the block's own page ends with the checks hart_run() makes between
 * blocks (the instruction limit; h->jit_stop, which requests from other
 * threads and pending interrupts set; a G-stage generation change of the
 * hart's own is checked after each handler call), then a jump. Until
 * hart_run() links it, the jump goes to a plain return that tells
 * hart_run() where the jump is and which host address it leads to; once
 * the block there is translated, hart_run() points the jump at that
 * translation. Same page, same host frame: the guest address the chain
 * goes to is the one its translation was made for, whatever guest address
 * the page runs at, so a chain needs no fetch of its own while none of the
 * checks fires (any flush of the hart's caches sets the limit to 0).
 *
 * An indirect jump (jalr), or an exit to another page, makes the same
 * checks, then what hart_run() would do next, inline: the fetch through
 * the TLB (tag_x), then the block at that host address among the recent
 * translations hart_run() has run (the jump cache of cpu/jit/jit.h); on a
 * hit it jumps there.
 *
 * A branch back to the block's own start (a loop of one block) makes the
 * same checks and jumps back past the entry's register loads: the loop's
 * registers stay in host registers from one iteration to the next. Every
 * register of the block's own then counts as changed at the loop's top,
 * so whatever leaves the block writes them all back.
 */
#include "cpu/jit/translate.h"

#include <errno.h>
#include <stddef.h>

#include "cpu/exec.h"
#include "cpu/exec_bitmanip.h"
#include "cpu/jit/jit.h"
#include "cpu/mmu.h"
#include "mem/gstage.h"

_Static_assert(sizeof(struct tlb_entry) == 32, "tr_mem scales by 32");

#define HART_X(r)    ((int32_t)offsetof(struct hart, x) + 8 * (int32_t)(r))
#define HART_PC	     ((int32_t)offsetof(struct hart, pc))
#define HART_INSTRET ((int32_t)offsetof(struct hart, instret))
#define HART_OFF(f)  ((int32_t)offsetof(struct hart, f))

#define RH X86_RBX /* the hart */
#define RL X86_R10 /* instructions left */
#define RP X86_R11 /* h->pc */

/* Where guest registers are cached: first the global ones (their guest
 * registers in tr_globals), then a block's own. */
static const enum x86_reg tr_pool[] = {X86_RBP, X86_R12, X86_R13,
				       X86_R14, X86_R15, X86_RSI,
				       X86_RDI, X86_R8,	 X86_R9};
static const uint8_t tr_globals[] = {15, 2, 14, 10, 8}; /* a5 sp a4 a0 s0 */
#define TR_GLOBALS (sizeof(tr_globals) / sizeof(tr_globals[0]))
#define TR_POOL	   (sizeof(tr_pool) / sizeof(tr_pool[0]))

/* How a native instruction is emitted. */
enum tr_kind {
	TR_ALU_RR,   /* rd = rs1 op rs2 */
	TR_ALU_RI,   /* rd = rs1 op imm */
	TR_SHIFT_RR, /* rd = rs1 shift (rs2 & 63, or & 31 in 32 bits) */
	TR_SHIFT_RI, /* rd = rs1 shift imm */
	TR_MUL,	     /* rd = rs1 * rs2 */
	TR_MULH,     /* rd = the high half of rs1 * rs2 (op: enum x86_unary) */
	TR_DIV,	     /* rd = rs1 / rs2 or % rs2: op TR_SIGNED | TR_REM */
	TR_SHADD,  /* rd = rs2 + (rs1 << (op & 3)), rs1 zero-extended if op & 4
		    */
	TR_SLLIUW, /* rd = zero-extended rs1 << imm */
	TR_LOGICN, /* rd = rs1 op ~rs2 (andn, orn, xnor) */
	TR_MINMAX, /* rd = rs1, or rs2 when cc(rs1, rs2): op the cc */
	TR_EXTEND, /* rd = rs1's low (op & 3) bytes, sign-extended if op & 4 */
	TR_REV8,   /* rd = rs1 byte-reversed */
	TR_CZERO,  /* rd = cc(rs2, 0) ? 0 : rs1 */
	TR_SET_RR, /* rd = rs1 cc rs2 */
	TR_SET_RI, /* rd = rs1 cc imm */
	TR_LI,	   /* rd = imm (li, lui) */
	TR_MV,	   /* rd = rs1 */
	TR_AUIPC,  /* rd = pc + imm */
	TR_BRANCH, /* pc += cc(rs1, rs2) ? imm : len */
	TR_JAL,
	TR_JALR,
	TR_FALLTHROUGH,
	TR_LOAD,  /* rd = [rs1 + imm], size bytes, sign-extended when w32 */
	TR_STORE, /* [rs1 + imm] = rs2, size bytes */
};

struct tr_op {
	exec_fn fn;
	enum tr_kind kind;
	int op;	  /* enum x86_alu, x86_shift or x86_cc; loads, stores: size */
	bool w32; /* a *W instruction: 32-bit operation, sign-extended;
		     loads: sign-extending */
};

#define TR_SIGNED 1
#define TR_REM	  2

static const struct tr_op tr_ops[] = {
    {exec_sh1add, TR_SHADD, 1, false},
    {exec_sh2add, TR_SHADD, 2, false},
    {exec_sh3add, TR_SHADD, 3, false},
    {exec_add_uw, TR_SHADD, 4 | 0, false},
    {exec_sh1add_uw, TR_SHADD, 4 | 1, false},
    {exec_sh2add_uw, TR_SHADD, 4 | 2, false},
    {exec_sh3add_uw, TR_SHADD, 4 | 3, false},
    {exec_slli_uw, TR_SLLIUW, 0, false},
    {exec_andn, TR_LOGICN, X86_AND, false},
    {exec_orn, TR_LOGICN, X86_OR, false},
    {exec_xnor, TR_LOGICN, X86_XOR, false},
    {exec_min, TR_MINMAX, X86_CC_G, false},
    {exec_max, TR_MINMAX, X86_CC_L, false},
    {exec_minu, TR_MINMAX, X86_CC_A, false},
    {exec_maxu, TR_MINMAX, X86_CC_B, false},
    {exec_sext_b, TR_EXTEND, 4 | 1, false},
    {exec_sext_h, TR_EXTEND, 4 | 2, false},
    {exec_zext_h, TR_EXTEND, 2, false},
    {exec_rol, TR_SHIFT_RR, X86_ROL, false},
    {exec_ror, TR_SHIFT_RR, X86_ROR, false},
    {exec_rolw, TR_SHIFT_RR, X86_ROL, true},
    {exec_rorw, TR_SHIFT_RR, X86_ROR, true},
    {exec_rori, TR_SHIFT_RI, X86_ROR, false},
    {exec_roriw, TR_SHIFT_RI, X86_ROR, true},
    {exec_rev8, TR_REV8, 0, false},
    {exec_czero_eqz, TR_CZERO, X86_CC_E, false},
    {exec_czero_nez, TR_CZERO, X86_CC_NE, false},
    {exec_mulh, TR_MULH, X86_IMUL1, false},
    {exec_mulhu, TR_MULH, X86_MUL, false},
    {exec_div, TR_DIV, TR_SIGNED, false},
    {exec_divu, TR_DIV, 0, false},
    {exec_rem, TR_DIV, TR_SIGNED | TR_REM, false},
    {exec_remu, TR_DIV, TR_REM, false},
    {exec_divw, TR_DIV, TR_SIGNED, true},
    {exec_divuw, TR_DIV, 0, true},
    {exec_remw, TR_DIV, TR_SIGNED | TR_REM, true},
    {exec_remuw, TR_DIV, TR_REM, true},
    {exec_add, TR_ALU_RR, X86_ADD, false},
    {exec_sub, TR_ALU_RR, X86_SUB, false},
    {exec_xor, TR_ALU_RR, X86_XOR, false},
    {exec_or, TR_ALU_RR, X86_OR, false},
    {exec_and, TR_ALU_RR, X86_AND, false},
    {exec_addw, TR_ALU_RR, X86_ADD, true},
    {exec_subw, TR_ALU_RR, X86_SUB, true},
    {exec_addi, TR_ALU_RI, X86_ADD, false},
    {exec_xori, TR_ALU_RI, X86_XOR, false},
    {exec_ori, TR_ALU_RI, X86_OR, false},
    {exec_andi, TR_ALU_RI, X86_AND, false},
    {exec_addiw, TR_ALU_RI, X86_ADD, true},
    {exec_sll, TR_SHIFT_RR, X86_SHL, false},
    {exec_srl, TR_SHIFT_RR, X86_SHR, false},
    {exec_sra, TR_SHIFT_RR, X86_SAR, false},
    {exec_sllw, TR_SHIFT_RR, X86_SHL, true},
    {exec_srlw, TR_SHIFT_RR, X86_SHR, true},
    {exec_sraw, TR_SHIFT_RR, X86_SAR, true},
    {exec_slli, TR_SHIFT_RI, X86_SHL, false},
    {exec_srli, TR_SHIFT_RI, X86_SHR, false},
    {exec_srai, TR_SHIFT_RI, X86_SAR, false},
    {exec_slliw, TR_SHIFT_RI, X86_SHL, true},
    {exec_srliw, TR_SHIFT_RI, X86_SHR, true},
    {exec_sraiw, TR_SHIFT_RI, X86_SAR, true},
    {exec_mul, TR_MUL, 0, false},
    {exec_mulw, TR_MUL, 0, true},
    {exec_slt, TR_SET_RR, X86_CC_L, false},
    {exec_sltu, TR_SET_RR, X86_CC_B, false},
    {exec_slti, TR_SET_RI, X86_CC_L, false},
    {exec_sltiu, TR_SET_RI, X86_CC_B, false},
    {exec_li, TR_LI, 0, false},
    {exec_lui, TR_LI, 0, false},
    {exec_mv, TR_MV, 0, false},
    {exec_auipc, TR_AUIPC, 0, false},
    {exec_beq, TR_BRANCH, X86_CC_E, false},
    {exec_bne, TR_BRANCH, X86_CC_NE, false},
    {exec_blt, TR_BRANCH, X86_CC_L, false},
    {exec_bge, TR_BRANCH, X86_CC_GE, false},
    {exec_bltu, TR_BRANCH, X86_CC_B, false},
    {exec_bgeu, TR_BRANCH, X86_CC_AE, false},
    {exec_jal, TR_JAL, 0, false},
    {exec_jalr, TR_JALR, 0, false},
    {exec_fallthrough, TR_FALLTHROUGH, 0, false},
    {exec_lb, TR_LOAD, 1, true},
    {exec_lh, TR_LOAD, 2, true},
    {exec_lw, TR_LOAD, 4, true},
    {exec_ld, TR_LOAD, 8, false},
    {exec_lbu, TR_LOAD, 1, false},
    {exec_lhu, TR_LOAD, 2, false},
    {exec_lwu, TR_LOAD, 4, false},
    {exec_sb, TR_STORE, 1, false},
    {exec_sh, TR_STORE, 2, false},
    {exec_sw, TR_STORE, 4, false},
    {exec_sd, TR_STORE, 8, false},
};

static const struct tr_op *tr_lookup(const struct insn *in)
{
	for (size_t i = 0; i < sizeof(tr_ops) / sizeof(tr_ops[0]); i++)
		if (tr_ops[i].fn == in->fn)
			return &tr_ops[i];
	return NULL;
}

static bool tr_ends_block(enum tr_kind k)
{
	return k == TR_BRANCH || k == TR_JAL || k == TR_JALR ||
	       k == TR_FALLTHROUGH;
}

static bool tr_fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* One block's translation in progress. */
struct tr {
	struct x86_buf *b;
	const struct block *blk;
	intptr_t rx_delta;	/* run address - write address */
	const uint8_t *gate;	/* translate_gate()'s code, as written */
	int8_t host[32];	/* guest register -> tr_pool index, or -1 */
	uint8_t guest[TR_POOL]; /* tr_pool index -> guest register */
	unsigned ncached;
	uint32_t dirty; /* the block's own cached registers newer than h->x[] */
	uint32_t all;	/* the block's own cached registers */
	uint32_t globals; /* the guest registers of tr_globals */
	uint8_t *top;	  /* after the entry's loads: where a loop goes back */
	/* Handler calls that may leave the block: where their jump is, and
	 * how many instructions have run when it is taken. */
	uint8_t *exit_at[2 * BLOCK_MAX_INSNS];
	uint32_t exit_n[2 * BLOCK_MAX_INSNS];
	uint32_t exit_wb[2 * BLOCK_MAX_INSNS]; /* written back on the way */
	unsigned nexit;
	/* Loads and stores whose TLB lookup missed: where they jump from,
	 * where they resume, which instruction, what was dirty then. */
	uint8_t *slow_at[BLOCK_MAX_INSNS], *slow_resume[BLOCK_MAX_INSNS];
	uint32_t slow_i[BLOCK_MAX_INSNS], slow_dirty[BLOCK_MAX_INSNS];
	unsigned nslow;
};

static enum x86_reg tr_host(const struct tr *t, unsigned xi)
{
	return tr_pool[t->host[xi]];
}

static bool tr_cached(const struct tr *t, unsigned xi)
{
	return xi < 32 && t->host[xi] >= 0;
}

/* The register holding x[xi]: its cache register, or scratch loaded. */
static enum x86_reg tr_src(struct tr *t, unsigned xi, enum x86_reg scratch)
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

/* scratch = x[xi]. */
static void tr_get(struct tr *t, enum x86_reg scratch, unsigned xi)
{
	enum x86_reg r = tr_src(t, xi, scratch);

	if (r != scratch)
		x86_mov_rr(t->b, scratch, r, true);
}

/* x[xi] = r, r holding a 32-bit result when w32 (sign-extended first). */
static void tr_put(struct tr *t, unsigned xi, enum x86_reg r, bool w32)
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

/* r += v, v any 64-bit value (rcx is free when r is not rcx). */
static void tr_add_imm(struct x86_buf *b, enum x86_reg r, int64_t v)
{
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
 * The block has ended: instret += its instructions, eax = EXEC_BLOCK_END,
 * then what hart_run() would look at before the next block: the
 * instruction limit, and h->jit_stop, set by whatever else it must see
 * (a request, a pending interrupt: cpu/hart.h). The jumps taken when
 * hart_run() has work go into fail[TR_CHECKS].
 */
#define TR_CHECKS 2

static void tr_checks(struct tr *t, uint8_t **fail)
{
	struct x86_buf *buf = t->b;

	x86_mov_ri(buf, X86_RAX, EXEC_BLOCK_END);
	x86_alu_ri(buf, X86_SUB, RL, (int32_t)t->blk->ninsn, true);
	fail[0] = x86_jcc_fwd(buf, X86_CC_LE); /* instret >= jit_limit */
	x86_load(buf, X86_RCX, RH, HART_OFF(jit_stop), 4, false);
	x86_test_rr(buf, X86_RCX, X86_RCX, false);
	fail[1] = x86_jcc_fwd(buf, X86_CC_NE);
}

static void tr_jump(struct tr *t, enum x86_reg va);

/* rcx = a guest-virtual address -> its TLB entry's offset in h->tlb[]:
 * ((va >> 12) & TLB_MASK) * 32, as (va >> 7) & (TLB_MASK << 5). */
static void tr_tlb_index(struct x86_buf *b)
{
	x86_shift_ri(b, X86_SHR, X86_RCX, 12 - 5, true);
	x86_alu_ri(b, X86_AND, X86_RCX, TLB_MASK << 5, false);
}

/*
 * As tr_block_end(), for an exit to rel bytes from the block's start
 * (h->pc already there, the registers written back): chainable when that
 * is in the block's page, else as an indirect jump.
 */
static void tr_exit(struct tr *t, int64_t rel)
{
	struct x86_buf *buf = t->b;
	const struct block *b = t->blk;
	int64_t off = (int64_t)(b->host & 0xfff) + rel;
	uint8_t *fail[TR_CHECKS], *site;

	if (off < 0 || off >= 4096) {
		tr_jump(t, RP);
		return;
	}
	tr_checks(t, fail);
	site = x86_jmp_fwd(buf);
	/* Not linked yet: ask hart_run() to. A failed check does not (the
	 * exit may well be linked already). */
	x86_patch(buf, site, buf->p);
	x86_mov_ri(buf, X86_RCX,
		   (uint64_t)((b->host & ~(uintptr_t)0xfff) + off));
	x86_store(buf, RH, HART_OFF(jit_link_host), X86_RCX, 8);
	x86_mov_ri(buf, X86_RCX, (uint64_t)((uintptr_t)site + t->rx_delta));
	x86_store(buf, RH, HART_OFF(jit_link_site), X86_RCX, 8);
	for (unsigned i = 0; i < TR_CHECKS; i++)
		x86_patch(buf, fail[i], buf->p);
	tr_return(buf);
}

/*
 * The end of an indirect jump to the address in va (h->pc, the registers
 * written back): into the translation of the block there when the jump
 * cache has it, else back to hart_run().
 */
static void tr_jump(struct tr *t, enum x86_reg va)
{
	struct x86_buf *b = t->b;
	uint8_t *fail[TR_CHECKS + 2];

	x86_mov_rr(b, X86_RDX, va, true);
	tr_checks(t, fail); /* rax, rcx */
	/* rcx = the TLB entry, rax = the page */
	x86_mov_rr(b, X86_RCX, X86_RDX, true);
	x86_mov_rr(b, X86_RAX, X86_RCX, true);
	x86_shift_ri(b, X86_SHR, X86_RAX, 12, true);
	tr_tlb_index(b);
	x86_alu_rm(b, X86_ADD, X86_RCX, RH, HART_OFF(tlb), true);
	x86_alu_rm(b, X86_CMP, X86_RAX, X86_RCX,
		   (int32_t)offsetof(struct tlb_entry, tag_x), true);
	fail[TR_CHECKS] = x86_jcc_fwd(b, X86_CC_NE);
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
	for (unsigned i = 0; i < TR_CHECKS + 2; i++)
		x86_patch(b, fail[i], b->p);
	x86_mov_ri(b, X86_RAX, EXEC_BLOCK_END);
	tr_return(b);
}

/* A branch taken back to the block's start (h->pc is there already). */
static void tr_loop_back(struct tr *t)
{
	uint8_t *fail[TR_CHECKS];

	tr_checks(t, fail);
	x86_patch(t->b, x86_jmp_fwd(t->b), t->top);
	for (unsigned i = 0; i < TR_CHECKS; i++)
		x86_patch(t->b, fail[i], t->b->p);
	tr_write_back(t, t->all);
	tr_return(t->b);
}

/* Does the block end with a branch back to its own start? */
static bool tr_loops(const struct block *b)
{
	const struct insn *last = &b->insn[b->ninsn - 1];
	const struct tr_op *op = tr_lookup(last);

	return op && op->kind == TR_BRANCH && last->off + last->imm == 0;
}

/*
 * Division and remainder as the M extension defines them, without x86's
 * faults: by zero, the quotient is all ones and the remainder the
 * dividend; by -1 (signed), the quotient is the negated dividend (the
 * most negative number stays itself: the overflow case) and the
 * remainder 0. Returns the register holding the result (rax or rdx; a
 * *W result still to be sign-extended).
 */
static enum x86_reg tr_divide(struct tr *t, const struct tr_op *op,
			      const struct insn *in)
{
	struct x86_buf *b = t->b;
	bool w64 = !op->w32, sg = op->op & TR_SIGNED, rem = op->op & TR_REM;
	uint8_t *zero, *minus1 = NULL, *done[2];
	unsigned ndone = 0;

	tr_get(t, X86_RCX, in->rs2);
	tr_get(t, X86_RAX, in->rs1);
	x86_test_rr(b, X86_RCX, X86_RCX, w64);
	zero = x86_jcc_fwd(b, X86_CC_E);
	if (sg) {
		x86_alu_ri(b, X86_CMP, X86_RCX, -1, w64);
		minus1 = x86_jcc_fwd(b, X86_CC_E);
		x86_cqo(b, w64);
		x86_unary(b, X86_IDIV, X86_RCX, w64);
	} else {
		x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		x86_unary(b, X86_DIV, X86_RCX, w64);
	}
	done[ndone++] = x86_jmp_fwd(b);
	if (sg) {
		x86_patch(b, minus1, b->p);
		if (rem)
			x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		else
			x86_unary(b, X86_NEG, X86_RAX, w64);
		done[ndone++] = x86_jmp_fwd(b);
	}
	x86_patch(b, zero, b->p);
	if (rem)
		x86_mov_rr(b, X86_RDX, X86_RAX, true);
	else
		x86_mov_ri(b, X86_RAX, UINT64_MAX);
	for (unsigned i = 0; i < ndone; i++)
		x86_patch(b, done[i], b->p);
	return rem ? X86_RDX : X86_RAX;
}

/*
 * A native instruction that does not end the block. Returns false when it
 * has no native form after all (an immediate too wide for x86's), so the
 * caller calls its handler.
 */
static bool tr_compute(struct tr *t, const struct tr_op *op,
		       const struct insn *in)
{
	struct x86_buf *b = t->b;
	bool w64 = !op->w32;
	enum x86_reg d, a, c;

	if (in->rd == 32)
		return true; /* a hint or a nop: no effect */
	/* The result goes straight to rd's host register when it has one
	 * (x86's two-operand forms), unless that would overwrite rs2 first. */
	d = tr_cached(t, in->rd) ? tr_host(t, in->rd) : X86_RAX;
	switch (op->kind) {
	case TR_ALU_RR:
	case TR_MUL:
		if (in->rs2 == in->rd && in->rs1 != in->rd)
			d = X86_RAX;
		tr_get(t, d, in->rs1);
		c = tr_src(t, in->rs2, X86_RCX);
		if (op->kind == TR_MUL)
			x86_imul_rr(b, d, c, w64);
		else
			x86_alu_rr(b, op->op, d, c, w64);
		break;
	case TR_MULH:
		tr_get(t, X86_RCX, in->rs2);
		tr_get(t, X86_RAX, in->rs1);
		x86_unary(b, op->op, X86_RCX, true);
		d = X86_RDX;
		break;
	case TR_DIV:
		d = tr_divide(t, op, in);
		break;
	case TR_SHADD:
		a = tr_src(t, in->rs1, X86_RAX);
		if (op->op & 4) {
			x86_mov_rr(b, X86_RAX, a, false); /* zero-extends */
			a = X86_RAX;
		}
		c = tr_src(t, in->rs2, X86_RCX);
		/* One instruction reads both before writing d. */
		x86_lea_index(b, d, c, a, (unsigned)op->op & 3);
		break;
	case TR_SLLIUW:
		a = tr_src(t, in->rs1, X86_RAX);
		x86_mov_rr(b, X86_RAX, a, false);
		x86_shift_ri(b, X86_SHL, X86_RAX, (uint8_t)in->imm, true);
		d = X86_RAX;
		break;
	case TR_LOGICN:
		tr_get(t, X86_RAX, in->rs2);
		x86_unary(b, X86_NOT, X86_RAX, true);
		c = tr_src(t, in->rs1, X86_RCX);
		x86_alu_rr(b, op->op, X86_RAX, c, true);
		d = X86_RAX;
		break;
	case TR_MINMAX:
		tr_get(t, X86_RAX, in->rs1);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_CMP, X86_RAX, c, true);
		x86_cmov(b, op->op, X86_RAX, c, true);
		d = X86_RAX;
		break;
	case TR_EXTEND:
		a = tr_src(t, in->rs1, X86_RAX);
		x86_extend(b, X86_RAX, a, (unsigned)op->op & 3, op->op & 4);
		d = X86_RAX;
		break;
	case TR_REV8:
		tr_get(t, X86_RAX, in->rs1);
		x86_bswap(b, X86_RAX, true);
		d = X86_RAX;
		break;
	case TR_CZERO:
		tr_get(t, X86_RAX, in->rs1);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		x86_test_rr(b, c, c, true);
		x86_cmov(b, op->op, X86_RAX, X86_RDX, true);
		d = X86_RAX;
		break;
	case TR_ALU_RI:
		if (!tr_fits32(in->imm))
			return false;
		tr_get(t, d, in->rs1);
		x86_alu_ri(b, op->op, d, (int32_t)in->imm, w64);
		break;
	case TR_SHIFT_RR:
		tr_get(t, X86_RCX, in->rs2); /* before d: rs2 may be rd */
		tr_get(t, d, in->rs1);
		x86_shift_cl(b, op->op, d, w64);
		break;
	case TR_SHIFT_RI:
		tr_get(t, d, in->rs1);
		x86_shift_ri(b, op->op, d, (uint8_t)in->imm, w64);
		break;
	case TR_SET_RR:
		a = tr_src(t, in->rs1, X86_RAX);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_CMP, a, c, true);
		x86_setcc_zx(b, op->op, d);
		break;
	case TR_SET_RI:
		if (!tr_fits32(in->imm))
			return false;
		a = tr_src(t, in->rs1, X86_RAX);
		x86_alu_ri(b, X86_CMP, a, (int32_t)in->imm, true);
		x86_setcc_zx(b, op->op, d);
		break;
	case TR_LI:
		if (!tr_cached(t, in->rd) && tr_fits32(in->imm)) {
			x86_store_imm(b, RH, HART_X(in->rd), (int32_t)in->imm);
			return true;
		}
		x86_mov_ri(b, d, (uint64_t)in->imm);
		break;
	case TR_MV:
		c = tr_src(t, in->rs1, X86_RAX);
		tr_put(t, in->rd, c, false);
		return true;
	case TR_AUIPC:
		x86_mov_rr(b, d, RP, true);
		tr_add_imm(b, d, (int64_t)in->off + in->imm);
		break;
	default:
		return false;
	}
	tr_put(t, in->rd, d, op->w32);
	return true;
}

/* A native instruction that ends the block (the block's last). */
static void tr_end(struct tr *t, const struct tr_op *op, const struct insn *in)
{
	struct x86_buf *b = t->b;
	int64_t next = (int64_t)in->off + in->len;
	enum x86_reg a, c;
	uint8_t *taken;

	switch (op->kind) {
	case TR_BRANCH:
		a = tr_src(t, in->rs1, X86_RAX);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_CMP, a, c, true);
		taken = x86_jcc_fwd(b, op->op);
		tr_write_back(t, t->dirty); /* a mov: the flags stay */
		tr_add_pc(b, next);
		tr_exit(t, next);
		x86_patch(b, taken, b->p);
		if (in->off + in->imm == 0) {
			tr_loop_back(t);
			return;
		}
		tr_write_back(t, t->dirty);
		tr_add_pc(b, (int64_t)in->off + in->imm);
		tr_exit(t, (int64_t)in->off + in->imm);
		return;
	case TR_JAL:
		if (in->rd != 32) {
			x86_lea(b, X86_RDX, RP, (int32_t)next);
			tr_put(t, in->rd, X86_RDX, false);
		}
		tr_flush(t);
		tr_add_pc(b, (int64_t)in->off + in->imm);
		tr_exit(t, (int64_t)in->off + in->imm);
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
		tr_jump(t, RP);
		return;
	default: /* TR_FALLTHROUGH */
		tr_flush(t);
		tr_add_pc(b, in->off);
		tr_exit(t, in->off);
		return;
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
	unsigned size = (unsigned)op->op;
	int32_t tag = op->kind == TR_LOAD
			  ? (int32_t)offsetof(struct tlb_entry, tag_r)
			  : (int32_t)offsetof(struct tlb_entry, tag_w);

	t->slow_i[t->nslow] = i;
	t->slow_dirty[t->nslow] = t->dirty;
	/* rax = va, rcx = &h->tlb[(va >> 12) & TLB_MASK], rdx = last page */
	tr_get(t, X86_RAX, in->rs1);
	tr_add_imm(b, X86_RAX, in->imm);
	x86_mov_rr(b, X86_RCX, X86_RAX, true);
	tr_tlb_index(b);
	x86_alu_rm(b, X86_ADD, X86_RCX, RH, HART_OFF(tlb), true);
	x86_lea(b, X86_RDX, X86_RAX, (int32_t)size - 1);
	x86_shift_ri(b, X86_SHR, X86_RDX, 12, true);
	x86_alu_rm(b, X86_CMP, X86_RDX, X86_RCX, tag, true);
	t->slow_at[t->nslow] = x86_jcc_fwd(b, X86_CC_NE);
	x86_alu_rm(b, X86_ADD, X86_RAX, X86_RCX,
		   (int32_t)offsetof(struct tlb_entry, addend), true);
	if (op->kind == TR_LOAD) {
		x86_load(b, X86_RAX, X86_RAX, 0, size, op->w32);
		tr_put(t, in->rd, X86_RAX, false);
	} else {
		enum x86_reg v = tr_src(t, in->rs2, X86_RDX);

		x86_store(b, X86_RAX, 0, v, size);
	}
	t->slow_resume[t->nslow++] = b->p;
}

/* eax = in->fn(h, in), h->x[] holding what it reads: through the gate. */
static void tr_call(struct tr *t, const struct insn *in)
{
	x86_mov_ri(t->b, X86_RSI, (uint64_t)(uintptr_t)in);
	x86_call_rel(t->b, t->gate);
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
		x86_patch(t->b, t->slow_at[s], t->b->p);
		tr_call_mid(t, &t->blk->insn[t->slow_i[s]], t->slow_dirty[s],
			    t->slow_i[s] + 1);
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
		    intptr_t rx_delta, const uint8_t *gate)
{
	struct tr t; /* about 4 KiB */
	const struct insn *last;
	const struct tr_op *op;

	if (b->ninsn == 0 || b->ninsn > BLOCK_MAX_INSNS)
		return -EINVAL;
	last = &b->insn[b->ninsn - 1];
	op = tr_lookup(last);
	if (op && !tr_ends_block(op->kind))
		return -EINVAL; /* a block always ends with its last insn */
	t.b = buf;
	t.blk = b;
	t.rx_delta = rx_delta;
	t.gate = gate;
	t.nexit = t.nslow = 0;
	tr_allocate(&t);

	tr_reload(&t);
	t.top = buf->p;
	if (tr_loops(b))
		t.dirty = t.all; /* as they come back from the loop */

	for (uint32_t i = 0; i + 1 < b->ninsn; i++) {
		const struct insn *in = &b->insn[i];

		op = tr_lookup(in);
		if (op && tr_ends_block(op->kind))
			return -EINVAL; /* would end the block early */
		if (op && (op->kind == TR_LOAD || op->kind == TR_STORE)) {
			tr_mem(&t, op, in, i);
			continue;
		}
		if (op && tr_compute(&t, op, in))
			continue;
		tr_call_mid(&t, in, t.dirty, i + 1);
		t.dirty = 0;
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
		tr_leave(buf, b->ninsn);
	}

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
	x86_call_r(buf, X86_RSI);
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

void translate_gate(struct x86_buf *buf)
{
	uint8_t *skip;

	/* h->pc and h->instret as the interpreter has them: the block's. */
	x86_store(buf, RH, HART_PC, RP, 8);
	x86_load(buf, X86_RAX, RH, HART_OFF(jit_limit), 8, false);
	x86_alu_rr(buf, X86_SUB, X86_RAX, RL, true);
	x86_store(buf, RH, HART_INSTRET, X86_RAX, 8);
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
