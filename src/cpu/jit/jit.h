/* SPDX-License-Identifier: MIT */
/*
 * The translating CPU tier (x86-64 hosts): decoded blocks (cpu/block.h)
 * that have run JIT_THRESHOLD times are translated to host code in the
 * hart's code cache (cpu/jit/codecache.h), and hart_run() calls the
 * translation instead of interpreting the block.
 *
 * A translation does exactly what block_exec() does: the common integer
 * instructions, loads and stores are native code (guest registers, pc and
 * the instruction count in host registers while translations run:
 * cpu/jit/translate.c says which), and every other instruction is a call
 * of its interpreter handler with its struct insn, whose result is
 * checked as block_exec() checks it. Whenever a handler runs or the
 * translations return, struct hart is as the interpreter would have it:
 * h->pc the block's address (or where the handler put it), h->instret as
 * of the block's start (or its end), every register the handler reads,
 * so the architectural state at any trap is the interpreter's. Between
 * blocks, translated code goes on to the next translation itself while
 * nothing needs hart_run() (cpu/hart.h: jit_limit, jit_stop).
 *
 * Translations live exactly as long as their blocks: they point into the
 * block cache's insn arrays, so a block cache flush (fence.i, a G-stage
 * generation change, a full arena) ends them too, and a full code cache
 * flushes the block cache.
 */
#ifndef MEMVISOR_CPU_JIT_JIT_H
#define MEMVISOR_CPU_JIT_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/block.h"
#include "cpu/jit/codecache.h"

/* Interpreted runs of a block before it is translated. */
#define JIT_THRESHOLD 16

/* Bytes of code cache per hart. */
#define JIT_CACHE_SIZE (16u << 20)

/*
 * The jump cache: the translations hart_run() ran lately, by the host
 * address of their block, direct-mapped on (host >> 1) & (JIT_JUMPS - 1).
 * Translated indirect jumps look their target up here. Emptied with the
 * code cache.
 */
#define JIT_JUMPS 4096

struct jit_jump {
	uintptr_t host; /* 0: empty */
	const void *code;
};

struct jit {
	struct codecache cc;
	struct jit_jump *jumps; /* JIT_JUMPS of them; h->jit_jumps too */
	int (*entry)(struct hart *h, const void *code); /* translate_entry() */
	const uint8_t *gate; /* translate_gate(), in the writable view */
	uint64_t epoch;	    /* the block cache's flush count the code matches */
	uint32_t threshold; /* interpreted runs before a block is translated */
	struct hart_tier_stats *stats; /* the hart's, counted into */
};

/* True when this build can run translated code (an x86-64 host). */
bool jit_supported(void);

/*
 * Set up j with an empty code cache of cache_size bytes (0:
 * JIT_CACHE_SIZE; a multiple of 4 KiB), to translate blocks on their
 * threshold-th run (0: JIT_THRESHOLD; 1: at once), counting what it does
 * into *stats. Returns 0, -ENOTSUP on a host the tier does not support, or
 * another negative errno (see codecache_init()).
 */
int jit_init(struct jit *j, size_t cache_size, uint32_t threshold,
	     struct hart_tier_stats *stats);

/* Free j's code cache and jump cache. */
void jit_destroy(struct jit *j);

/*
 * Translate b, a block of bc, and set b->code. Returns 0; -ENOSPC when the
 * code cache was full (both caches are flushed then: b no longer belongs
 * to bc, though its memory stays intact until bc builds a block); or
 * -EINVAL for a block it cannot translate (b stays interpreted).
 */
int jit_translate(struct jit *j, struct block_cache *bc, struct block *b);

/*
 * Point the chainable exit whose jump is at site (h->jit_link_site) at
 * code, a translation in the same code cache and of the same block cache
 * flush count.
 */
void jit_link(struct jit *j, void *site, const void *code);

/* Run the translation of b on h: returns what block_exec() would. */
static inline int jit_run(struct jit *j, struct hart *h, const struct block *b)
{
	struct jit_jump *e = &j->jumps[(b->host >> 1) & (JIT_JUMPS - 1)];

	e->host = b->host;
	e->code = b->code;
	return j->entry(h, b->code);
}

#endif
