/* SPDX-License-Identifier: MIT */
/*
 * The code cache of the translating tier: a bounded region of host memory
 * that is never writable and executable at once. One memfd is mapped
 * twice, read-write (where the translator writes) and read-execute (where
 * the host runs it); no page is ever mapped writable and executable at the
 * same address. Code is bump-allocated and the whole cache is flushed
 * when it is full (its memory given back to the host): a translation
 * never outlives a flush.
 *
 * A code cache is written by one thread at a time: cpu/jit/share.h
 * serialises its writers and says when code in it may be dropped.
 */
#ifndef MEMVISOR_CPU_JIT_CODECACHE_H
#define MEMVISOR_CPU_JIT_CODECACHE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/jit/x86.h"

struct codecache {
	uint8_t *rw;	  /* the writable view */
	uint8_t *rx;	  /* the executable view of the same bytes */
	size_t size;	  /* bytes in each view */
	size_t used;	  /* where the next code goes */
	size_t limit;	  /* where the allocation window ends */
	size_t keep;	  /* bytes at the start that flushes keep */
	uint64_t flushes; /* times the cache was emptied */
};

/*
 * Create a cache of size bytes (a multiple of 4 KiB). Host memory is
 * taken only as code is written. Returns 0, or a negative errno (the host
 * refuses memfds or executable mappings: the caller stays with the
 * interpreter).
 */
int codecache_init(struct codecache *cc, size_t size);

/* Unmap both views (the memfd goes with them). cc may be initialised
 * again. */
void codecache_destroy(struct codecache *cc);

/* Start writing code: b covers the free space of the writable view. */
void codecache_begin(struct codecache *cc, struct x86_buf *b);

/*
 * Keep what was written into b since codecache_begin() and return the
 * executable address of its first byte; NULL when it did not fit (b
 * overflowed: nothing is kept, the caller flushes and may try again).
 */
void *codecache_commit(struct codecache *cc, const struct x86_buf *b);

/* The executable address of a byte written at p in the writable view. */
static inline void *codecache_rx(const struct codecache *cc, const uint8_t *p)
{
	return cc->rx + (p - cc->rw);
}

/* Keep what is in the cache now through every flush (code all the
 * translations use). */
static inline void codecache_keep(struct codecache *cc)
{
	cc->keep = cc->used;
}

/* Drop every translation. Nothing in the cache may run afterwards, but
 * what codecache_keep() kept. */
void codecache_flush(struct codecache *cc);

/*
 * Allocate from [from, to) only (offsets, from >= keep, to <= size), from
 * its start: whatever was there is dropped, its whole pages given back to
 * the host. Nothing in [from, to) may run afterwards until written again.
 */
void codecache_span(struct codecache *cc, size_t from, size_t to);

#endif
