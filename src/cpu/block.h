/* SPDX-License-Identifier: MIT */
/*
 * Decoded basic blocks: straight-line runs of instructions within one page,
 * ending with the first instruction that may change the pc, the privilege,
 * the translation or the interrupt state (cpu/decode.h), at the page end or
 * at BLOCK_MAX_INSNS.
 *
 * Blocks are keyed by the host address of their first instruction, so they
 * are independent of the guest-virtual address they run at. They are
 * dropped on fence.i (the architecture's rule for instruction fetches to
 * see stores) and whenever the VM's G-stage generation changes (a frame
 * the key refers to may have been replaced).
 */
#ifndef MEMVISOR_CPU_BLOCK_H
#define MEMVISOR_CPU_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/exec.h"

#define BLOCK_MAX_INSNS	 64
#define BLOCK_INDEX_BITS 14
#define BLOCK_ARENA_SIZE (8u << 20)

struct block {
	uintptr_t host;	       /* host address of the first instruction */
	struct block *next;    /* next block in the same index bucket */
	struct block *succ[2]; /* blocks that followed this one lately */
	uint32_t ninsn; /* instructions, the closing fall-through included */
	uint32_t hits;	/* times interpreted (cpu/jit/jit.h) */
	/* Of those, times its last instruction, a conditional branch,
	 * was taken: which way a trace goes on (cpu/jit/translate.h). */
	uint32_t taken;
	void *code; /* its translation; NULL: none (interpreted) */
	/* The content record its translation was made from (cpu/jit/share.h):
	 * exits are chained only within one. */
	uint64_t group;
	struct insn insn[];
};

struct block_cache {
	struct block *index[1u << BLOCK_INDEX_BITS]; /* hash buckets */
	uint8_t *arena; /* blocks, bump-allocated; flushed when full */
	size_t used;
	uint64_t builds, flushes;
};

/* Map the arena. Returns 0 or -ENOMEM. */
int block_cache_init(struct block_cache *bc);

/* Unmap the arena. */
void block_cache_destroy(struct block_cache *bc);

/* Drop every block. */
void block_cache_flush(struct block_cache *bc);

/*
 * Decode the block starting at code (inside a 4 KiB-aligned page of
 * readable bytes: the guest's, or a copy of them) into insn[], which has
 * room for BLOCK_MAX_INSNS. Returns its instruction count, the closing
 * fall-through included, or 0 when the instruction at code crosses into
 * the next page. The insns' off fields are relative to code.
 */
uint32_t block_decode(const uint8_t *code, struct insn *insn);

/*
 * The block starting at host address code (inside a 4 KiB-aligned host
 * page of guest code), decoded now if it is not cached. Returns NULL when
 * the instruction at code crosses into the next page (the caller executes
 * it on its own).
 */
const struct block *block_get(struct block_cache *bc, const uint8_t *code);

/* The block starting at host address code if it is cached, else NULL. */
const struct block *block_find(const struct block_cache *bc, uintptr_t code);

/*
 * The block at code, to run after prev (NULL: none): looked up first among
 * prev's recent successors, which saves the hash lookup on most block
 * boundaries; a successor is only a hint, checked against code. epoch is
 * the cache's flush count when prev was obtained (a flush frees prev).
 */
static inline const struct block *block_next(struct block_cache *bc,
					     struct block *prev, uint64_t epoch,
					     const uint8_t *code)
{
	struct block *b;

	if (prev && epoch == bc->flushes) {
		if (prev->succ[0] && prev->succ[0]->host == (uintptr_t)code)
			return prev->succ[0];
		if (prev->succ[1] && prev->succ[1]->host == (uintptr_t)code)
			return prev->succ[1];
	}
	b = (struct block *)block_get(bc, code);
	if (b && prev && epoch == bc->flushes) {
		prev->succ[1] = prev->succ[0];
		prev->succ[0] = b;
	}
	return b;
}

/*
 * Run block b on h (h->pc is the block's guest-virtual address). Returns
 * the last handler's result (EXEC_BLOCK_END or an enum hart_exit value) and
 * adds the instructions executed to h->instret.
 */
static inline int block_exec(struct hart *h, const struct block *b)
{
	const struct insn *in = b->insn;
	int r;

	while ((r = in->fn(h, in)) == 0)
		in++;
	h->instret += (uint64_t)(in - b->insn) + 1;
	return r;
}

#endif
