/* SPDX-License-Identifier: MIT */
/*
 * Block -> x86-64 code (cpu/jit/jit.h says what the code must do). Internal
 * to cpu/jit/.
 */
#ifndef MEMVISOR_CPU_JIT_TRANSLATE_H
#define MEMVISOR_CPU_JIT_TRANSLATE_H

#include "cpu/block.h"
#include "cpu/jit/x86.h"

/* Bytes from a translation's entry to where chained code enters it. */
#define TRANSLATE_CHAIN_ENTRY 4

/*
 * Emit the translation of b into buf: a function `int f(struct hart *h)`
 * of the host's C calling convention, which will run at buf's address +
 * rx_delta. b's insn array must outlive the code (its struct insns are the
 * handlers' arguments). Returns 0 (buf may have overflowed: check
 * buf->overflow), or -EINVAL when b is not a block block_exec() could run
 * (its last instruction does not end it).
 */
int translate_block(struct x86_buf *buf, const struct block *b,
		    intptr_t rx_delta);

#endif
