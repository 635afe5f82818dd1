/* SPDX-License-Identifier: MIT */
/*
 * Block -> x86-64 code (cpu/jit/jit.h says what the code must do). Internal
 * to cpu/jit/.
 */
#ifndef MEMVISOR_CPU_JIT_TRANSLATE_H
#define MEMVISOR_CPU_JIT_TRANSLATE_H

#include "cpu/block.h"
#include "cpu/jit/x86.h"

/*
 * Emit the code every translation is run through: a function
 * `int entry(struct hart *h, const void *code)` of the host's C calling
 * convention that saves the registers the C convention has the callee
 * save, runs code with rbx = h and returns what code returns.
 */
void translate_entry(struct x86_buf *buf);

/*
 * Emit the code a handler call of a translation goes through, called
 * with rsi = the struct insn: it stores h->pc and h->instret, calls
 * in->fn(h, in) and brings the translation's own registers up to date
 * after it (cpu/jit/translate.c). Returns the handler's result in eax.
 * With fflags, it also merges the IEEE flags the native FP code left in
 * MXCSR into fcsr first and clears them after: the gate of the CSR
 * instructions, the only handlers that read or write fflags (or the
 * sstatus.FS it makes Dirty).
 */
void translate_gate(struct x86_buf *buf, bool fflags);

/* The two gates, as written (within 2 GiB of the translations). */
struct translate_gates {
	const uint8_t *plain;
	const uint8_t *fflags;
};

/*
 * Translations are of traces: a decoded block (cpu/block.h), then, while
 * the last one ends in a conditional branch or a plain fall-through (a
 * block cut at its size limit), the block after it in the same page, up
 * to TRACE_MAX_INSNS instructions: the branch's target when the branch
 * was taken in most of the block's interpreted runs and the target is
 * further on in the page, else the block that follows it. A branch inside
 * the trace is a side exit the other way; the way the trace goes, the
 * next block runs on in the same host code with the guest registers
 * still in host registers. Each block's
 * instructions are counted into instret at its end, as block_exec()
 * counts them, and h->pc stays the trace's start with every offset
 * relative to it, so a handler or a trap in any of them sees what the
 * interpreter would.
 */
#define TRACE_MAX_INSNS (2 * BLOCK_MAX_INSNS)

/*
 * Decode the trace starting at code (inside a 4 KiB-aligned page of
 * readable bytes, as block_decode(): a copy of the page at host address
 * host) into insn[], which has room for TRACE_MAX_INSNS; offsets relative
 * to code. Which way its branches go: as they went in bias's blocks of
 * the same host addresses (NULL, or none cached: not taken). Sets *lead
 * to the instruction count of its first block. Returns its instruction
 * count, or 0 when block_decode() would.
 */
uint32_t translate_decode(const uint8_t *code, uintptr_t host,
			  const struct block_cache *bias, struct insn *insn,
			  uint32_t *lead);

/*
 * Emit the translation of b (a trace: translate_decode()) into buf, to run at
 * buf's address + rx_delta through translate_entry()'s code (translated code
 * chained to it jumps to its first byte), its handler calls through
 * the gates of translate_gate(). b's insn array must outlive the code (its
 * struct insns are the handlers' arguments). An exit not chained yet hands
 * group to hart_run() (h->jit_link_group), which links it only to a translation
 * of the same group. Returns 0 (buf may have overflowed: check buf->overflow),
 * or -EINVAL when b is not a block block_exec() could run (its last instruction
 * does not end it).
 */
int translate_block(struct x86_buf *buf, const struct block *b,
		    intptr_t rx_delta, const struct translate_gates *gates,
		    uint64_t group);

#endif
