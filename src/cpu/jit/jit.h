/* SPDX-License-Identifier: MIT */
/*
 * The translating CPU tier (x86-64 hosts): decoded blocks (cpu/block.h)
 * that have run JIT_THRESHOLD times are translated to host code in the
 * hart's code cache (cpu/jit/codecache.h), each with the blocks that
 * follow it in its page the way its branches went (a trace:
 * cpu/jit/translate.h), and hart_run() calls the translation instead of
 * interpreting the block.
 *
 * A translation does exactly what block_exec() does, block by block of
 * its trace: the common integer
 * instructions, loads and stores are native code (guest registers, pc and
 * the instruction count in host registers while translations run:
 * cpu/jit/translate.c says which), and every other instruction is a call
 * of its interpreter handler with its struct insn, whose result is
 * checked as block_exec() checks it. Whenever a handler runs or the
 * translations return, struct hart is as the interpreter would have it:
 * h->pc the trace's address, each instruction's offset from it (or where
 * the handler put it), h->instret as of the start of the instruction's
 * block (or its end), every register the handler reads,
 * so the architectural state at any trap is the interpreter's. Between
 * blocks, translated code goes on to the next translation itself while
 * nothing needs hart_run() (cpu/hart.h: jit_limit, jit_stop).
 *
 * Translations live in a code cache shared by the harts of a VM family
 * (cpu/jit/share.h: keyed by the host frame and its contents, made from
 * copies of their own, chained only within one copy of a page, dropped
 * half by half once no hart can be running them); a hart whose VM has no
 * shared cache (--jit-share off, or a hart of a test) has one of its own,
 * of the same kind. A block looks its translation up on its first run and
 * is translated on its threshold-th run if none was found.
 */
#ifndef MEMVISOR_CPU_JIT_JIT_H
#define MEMVISOR_CPU_JIT_JIT_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/block.h"
#include "cpu/jit/codecache.h"
#include "cpu/jit/share.h"

/* Interpreted runs of a block before it is translated. */
#define JIT_THRESHOLD 16

/* Bytes of code cache of a hart without a shared one. */
#define JIT_CACHE_SIZE (16u << 20)

/*
 * The jump cache: the translations hart_run() ran lately, by the host
 * address of their block, direct-mapped on (host >> 1) & (JIT_JUMPS - 1).
 * Translated indirect jumps look their target up here. Per hart; emptied
 * with the hart's block cache (whose blocks' translations it holds: after a
 * fence.i they must be looked up again) and when the shared cache moves to
 * its other half.
 */
#define JIT_JUMPS 4096

struct jit_jump {
	uintptr_t host; /* 0: empty */
	const void *code;
};

struct jit {
	struct jit_share *share; /* a reference held */
	struct jit_user user;	 /* registered with share */
	struct jit_jump *jumps;	 /* JIT_JUMPS of them; h->jit_jumps too */
	int (*entry)(struct hart *h, const void *code); /* share's */
	uint64_t seen;	    /* share's epoch this hart's caches hold code of */
	bool jumps_stale;   /* the jump cache is to be emptied */
	uint32_t threshold; /* interpreted runs before a block is translated */
	uint64_t mode;	    /* struct jit_key's mode of this hart's code */
	struct hart_tier_stats *stats; /* the hart's, counted into */
};

/* True when this build can run translated code (an x86-64 host). */
bool jit_supported(void);

/*
 * Set up j for a hart implementing mode (its isa_set), translating into
 * share (a reference is taken), or into a code cache of its own of
 * cache_size bytes (0: JIT_CACHE_SIZE; a multiple of 4 KiB) when share is
 * NULL; to translate blocks on their threshold-th run (0: JIT_THRESHOLD;
 * 1: at once), counting what it does into *stats. Returns 0, -ENOTSUP on
 * a host the tier does not support, or another negative errno (see
 * codecache_init()).
 */
int jit_init(struct jit *j, struct jit_share *share, size_t cache_size,
	     uint32_t threshold, uint64_t mode, struct hart_tier_stats *stats);

/* Leave the shared cache (the last reference frees it) and free j's jump
 * cache. */
void jit_destroy(struct jit *j);

/*
 * For b, a block without a translation about to run (b->code NULL): on its
 * first run, look its translation up in the shared cache; on its
 * threshold-th, translate it, the trace going the way the branches of the
 * blocks of bc (the hart's, b's among them) went most. Returns true when
 * b->code (and b->group) are set now. A full cache makes b wait for
 * another threshold of runs.
 */
bool jit_prepare(struct jit *j, struct block *b, const struct block_cache *bc);

/*
 * The hart's block cache was flushed (fence.i, a G-stage change): the
 * jump cache goes too, before any translation runs again.
 */
static inline void jit_forget_jumps(struct jit *j)
{
	j->jumps_stale = true;
}

/*
 * On entering hart_run() and at each block boundary: true when the shared
 * cache has moved to its other half since this hart last looked; the hart
 * must then drop every translation it holds (its block cache, its link
 * site), and j has emptied the jump cache and recorded the new epoch.
 */
bool jit_sync_slow(struct jit *j);

static inline bool jit_sync(struct jit *j)
{
	if (__builtin_expect(
		atomic_load_explicit(&j->share->epoch, memory_order_relaxed) ==
		    j->seen,
		1))
		return false;
	return jit_sync_slow(j);
}

/* hart_run() starts running guest code / has stopped (returns). */
void jit_enter(struct jit *j);
void jit_leave(struct jit *j);

/*
 * Point the chainable exit whose jump is at site (h->jit_link_site) at
 * code, a translation of the same group (h->jit_link_group == b->group).
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
