/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of the translator share (cpu/jit/translate.c says how a
 * translation runs and which host register holds what): the translation
 * in progress, its register cache, the out-of-line slow paths that call
 * an instruction's handler, and the native instruction tables. Internal
 * to cpu/jit/translate*.c.
 *
 *   translate.c      blocks: register cache, handler calls and slow
 *                    paths, entry and gate;
 *   translate_exit.c how blocks end: checks, exits, chaining, indirect
 *                    jumps, loops, a trace's side exits;
 *   translate_mem.c  loads and stores through the software TLB;
 *   translate_alu.c  the integer instructions (RV64IM, Zba, Zbb, Zbs,
 *                    Zicond);
 *   translate_fp.c   the F and D instructions (SSE2, FMA3).
 */
#ifndef MEMVISOR_CPU_JIT_TRANSLATE_INT_H
#define MEMVISOR_CPU_JIT_TRANSLATE_INT_H

#include <stddef.h>

#include "cpu/block.h"
#include "cpu/exec.h"
#include "cpu/hart.h"
#include "cpu/jit/translate.h"
#include "cpu/jit/x86.h"

#define HART_X(r)    ((int32_t)offsetof(struct hart, x) + 8 * (int32_t)(r))
#define HART_F(r)    ((int32_t)offsetof(struct hart, f) + 8 * (int32_t)(r))
#define HART_PC	     ((int32_t)offsetof(struct hart, pc))
#define HART_INSTRET ((int32_t)offsetof(struct hart, instret))
#define HART_OFF(f)  ((int32_t)offsetof(struct hart, f))

#define RH X86_RBX /* the hart */
#define RL X86_R10 /* instructions left */
#define RT X86_R9  /* h->tlb */

/* Where guest registers are cached (translate.c): TR_GLOBALS global ones
 * first, then a block's own. */
#define TR_POOL	   9
#define TR_GLOBALS 5
extern const enum x86_reg tr_pool[TR_POOL];

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
	TR_COUNT,  /* rd = the count (op: enum x86_count) of rs1 */
	TR_BIT_RR, /* rd = rs1 with bit rs2 set/cleared/flipped, or that bit
		      (op: enum x86_bt) */
	TR_BIT_RI, /* the same with bit imm */
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

/* The native form of in (translate_alu.c), or NULL. */
const struct tr_op *tr_lookup(const struct insn *in);

/* The host's optional instructions, from CPUID (read once). */
struct tr_host {
	bool lzcnt, tzcnt, popcnt; /* LZCNT (ABM), BMI1, POPCNT */
	bool fma;		   /* FMA3, with the OS saving AVX state */
	bool bmi2;		   /* BMI2 (rorx) */
};
const struct tr_host *tr_host_features(void);

/* At most this many jumps to slow paths per instruction. */
#define TR_SLOW_JUMPS 8

/* One block's translation in progress. */
struct tr {
	struct x86_buf *b;
	const struct block *blk;
	intptr_t rx_delta; /* run address - write address */
	uint64_t group;	   /* what its exits may be chained to */
	const struct translate_gates *gates; /* translate_gate()'s */
	int8_t host[32];	/* guest register -> tr_pool index, or -1 */
	uint8_t guest[TR_POOL]; /* tr_pool index -> guest register */
	unsigned ncached;
	uint32_t dirty; /* the block's own cached registers newer than h->x[] */
	uint32_t all;	/* the block's own cached registers */
	uint32_t globals; /* the guest registers of tr_globals cached */
	/* The global registers' host registers a looping trace borrows for
	 * its own (tr_pool indices): their guest registers, which its native
	 * code does not use, are in h->x[] while it runs. */
	uint32_t lent;
	uint8_t *top; /* after the entry's loads: where a loop goes back */
	/* Handler calls that may leave the block: where their jump is, and
	 * how many instructions have run when it is taken. */
	uint8_t *exit_at[2 * TRACE_MAX_INSNS];
	uint32_t exit_n[2 * TRACE_MAX_INSNS];
	uint32_t exit_wb[2 * TRACE_MAX_INSNS]; /* written back on the way */
	unsigned nexit;
	/* The trace's block starting at instruction seg runs now: its
	 * instructions are counted at its end (or an exit's). */
	uint32_t seg;
	/* The side exits inside the trace, of a branch taken or of the
	 * instruction limit reached at a block's end (stop): where their
	 * jump is, what was dirty then, how many instructions of their
	 * block have run (not counted yet), where they go (from the
	 * trace's start). Two per instruction at most. */
	struct tr_side {
		uint8_t *at;
		uint32_t dirty, n;
		int64_t rel;
		bool back; /* a jump backwards */
		bool stop;
	} side[2 * TRACE_MAX_INSNS];
	unsigned nside;
	/* Slow paths (the handler, out of line, then back): where each
	 * resumes, which instruction, what was dirty then; and the jumps
	 * to them. */
	uint8_t *slow_resume[TRACE_MAX_INSNS];
	uint32_t slow_i[TRACE_MAX_INSNS], slow_dirty[TRACE_MAX_INSNS];
	uint32_t slow_n[TRACE_MAX_INSNS]; /* instructions run when it leaves */
	unsigned nslow;
	/* Loads' and stores' jumps to the second entry of their TLB set:
	 * where the jump is, where the first entry's path goes on (rcx
	 * the entry of the page), the tag's offset, the slow path. */
	struct tr_way {
		uint8_t *at, *resume;
		int32_t tag;
		unsigned slow;
	} way[TRACE_MAX_INSNS];
	unsigned nway;
	uint8_t *jump_at[TR_SLOW_JUMPS * TRACE_MAX_INSNS];
	uint8_t jump_to[TR_SLOW_JUMPS * TRACE_MAX_INSNS];
	unsigned njump;
	/* What the native FP code knows of sstatus.FS here (since the
	 * block's start or the last handler call): not Off, or Dirty. */
	bool fs_on, fs_dirty;
	/* The FP code's out-of-line NaN fix-ups (translate_fp.c). */
	struct tr_fix {
		uint8_t *at, *resume;
		bool dbl;
	} fix[TRACE_MAX_INSNS];
	unsigned nfix;
};

/* Instructions of the current block run once instruction i has. */
static inline uint32_t tr_count(const struct tr *t, uint32_t i)
{
	return i + 1 - t->seg;
}

static inline enum x86_reg tr_host(const struct tr *t, unsigned xi)
{
	return tr_pool[t->host[xi]];
}

static inline bool tr_cached(const struct tr *t, unsigned xi)
{
	return xi < 32 && t->host[xi] >= 0;
}

static inline bool tr_fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* The register holding x[xi]: its cache register, or scratch loaded. */
enum x86_reg tr_src(struct tr *t, unsigned xi, enum x86_reg scratch);

/* scratch = x[xi]. */
void tr_get(struct tr *t, enum x86_reg scratch, unsigned xi);

/* x[xi] = r, r holding a 32-bit result when w32 (sign-extended first). */
void tr_put(struct tr *t, unsigned xi, enum x86_reg r, bool w32);

/* Write the cached registers of mask back to h->x[]. */
void tr_write_back(struct tr *t, uint32_t mask);

/* Every cached register written back: h->x[] is the guest's state. */
void tr_flush(struct tr *t);

/* Leaving the trace: the global registers it borrowed back from h->x[]
 * (after its own were written back). */
void tr_give_back(struct tr *t);

/* h->pc += v (rcx, rdx clobbered). */
void tr_add_pc(struct x86_buf *b, int64_t v);

/* r = h->pc + v (rcx clobbered when v does not fit in 32 bits). */
void tr_pc(struct x86_buf *b, enum x86_reg r, int64_t v);

/* Back to hart_run() from a native exit (eax set, instret counted). */
void tr_return(struct x86_buf *b);

/* r += v, v any 64-bit value (rcx is free when r is not rcx). */
void tr_add_imm(struct x86_buf *b, enum x86_reg r, int64_t v);

/*
 * Slow paths. tr_slow_begin() opens one for instruction i of the block
 * (before it has changed anything); tr_slow_jump() emits a jcc to it
 * (at most TR_SLOW_JUMPS per instruction); tr_slow_end() marks where it
 * resumes, after the instruction. The path, emitted after the block,
 * calls the handler as tr_call_mid() does and jumps back.
 */
unsigned tr_slow_begin(struct tr *t, uint32_t i);
void tr_slow_jump(struct tr *t, unsigned s, enum x86_cc cc);
void tr_slow_end(struct tr *t, unsigned s);

/* rcx = the offset in h->tlb[] of the first entry of the TLB set of the
 * guest-virtual address in va; tmp clobbered (translate_mem.c). */
void tr_tlb_index(struct x86_buf *b, enum x86_reg va, enum x86_reg tmp);

/* rcx = the first TLB entry of a set whose second matches: swap them, as
 * the slow path does. Clobbers xmm2-xmm5. */
void tr_tlb_swap(struct x86_buf *b);

/* The host address of in's access of size bytes at x[rs1] + imm, through
 * the TLB's entry (a store's tag when store), or a jump to slow path s
 * when it misses: rax plus the register returned (X86_NO_INDEX: rax
 * alone; else rs1's host register, unchanged). Clobbers rcx, rdx. */
enum x86_reg tr_mem_address(struct tr *t, const struct insn *in, unsigned size,
			    bool store, unsigned s);

/* A load or a store (op TR_LOAD, TR_STORE), instruction i of the block,
 * natively, with the handler as its slow path. */
void tr_mem(struct tr *t, const struct tr_op *op, const struct insn *in,
	    uint32_t i);

/* The out-of-line looks at the second entry of the accesses' TLB sets,
 * emitted after the block. */
void tr_second_ways(struct tr *t);

/*
 * How blocks end (translate_exit.c). tr_end(): in, a native instruction
 * that ends the block, the trace's last. tr_side_branch(): a branch
 * inside the trace, instruction i, whose side exit tr_side_exits() emits
 * after the trace. tr_next_block(): instruction i ended a block of the
 * trace (a fall-through), the next starting rel bytes from the trace's
 * start.
 */
void tr_end(struct tr *t, const struct tr_op *op, const struct insn *in);
void tr_side_branch(struct tr *t, const struct tr_op *op, const struct insn *in,
		    uint32_t i);
void tr_next_block(struct tr *t, uint32_t i, int64_t rel);
void tr_side_exits(struct tr *t);

/*
 * A native integer instruction that does not end the block
 * (translate_alu.c). Returns false when it has no native form after all
 * (an immediate too wide for x86's, an instruction the host lacks), so
 * the caller calls its handler.
 */
bool tr_compute(struct tr *t, const struct tr_op *op, const struct insn *in);

/*
 * A rotation as RV64GC without Zbb writes it, in[0..2]: slli r1, x, k and
 * srli r2, x, 64 - k (either first, the first not writing x; r1 not r2),
 * then an or of r1 and r2. Emitted as the three instructions, the or's
 * result taken from one rotate of x done first: what depends on it waits
 * for one operation, not two. Returns false (nothing emitted) when in[]
 * is not that.
 */
bool tr_rotate(struct tr *t, const struct insn *in);

/*
 * A zero extension from 32 bits as RV64GC without Zba writes it: slli x,
 * y, 32 then srli x, x, 32 at in[0..1], or the same after an addw, addiw
 * or subw writing x, at in[0..2] (the sum zero-extended rather than
 * sign-extended, then). Emitted as one move; returns the instructions it
 * covers, or 0 (nothing emitted) when in[] (n of them) is not that.
 */
unsigned tr_zext_word(struct tr *t, const struct insn *in, unsigned n);

/*
 * The F and D instructions (translate_fp.c): emit instruction i of the
 * block natively, or return false (nothing emitted) for the caller to
 * call its handler. tr_fp_fixes() emits the out-of-line fix-ups, before
 * the slow paths.
 */
bool tr_fp(struct tr *t, const struct insn *in, uint32_t i);
void tr_fp_fixes(struct tr *t);

/*
 * MXCSR (translate_fp.c): the native FP code leaves IEEE flags in
 * MXCSR, which runs with all exceptions masked, round to nearest, no
 * flush to zero. tr_fp_merge() ORs the flags MXCSR holds into fcsr's
 * fflags (sstatus.FS Dirty then) and clears them; tr_fp_reset() clears
 * them unread. Both use [rsp - 8] and clobber rcx and rdx.
 */
void tr_fp_merge(struct x86_buf *b);
void tr_fp_reset(struct x86_buf *b);

#endif
