/* SPDX-License-Identifier: MIT */
/*
 * Frame pool internals shared inside src/mem/ only (gstage.c inlines the
 * frame-to-address step on its lock-free translate path). Nothing outside
 * src/mem/ may include this header.
 */
#ifndef MEMVISOR_MEM_FRAME_PRIV_H
#define MEMVISOR_MEM_FRAME_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem/frame.h"

/*
 * A free list is a Treiber stack threaded through pool->next[]. Its head is
 * a tagged 64-bit word: frame number in the low half (0, the zero frame,
 * means empty), a tag in the high half that changes on every push and pop
 * so a stale compare-and-swap cannot succeed (ABA).
 */
struct frame_list {
	_Alignas(64) _Atomic uint64_t head;
	/* Upper bound of the list's length: raised before a push, lowered
	 * after a pop, so it never reads below the true length. */
	_Atomic int64_t count;
};

struct frame_pool {
	uint8_t *base;	  /* frame n is at base + n * FRAME_SIZE */
	uint32_t nframes; /* limit, zero frame included */
	size_t base_bytes;
	size_t meta_bytes;
	_Atomic uint32_t *refs; /* reference count per frame */
	_Atomic uint32_t *next; /* free-list link per frame */

	/* Free frames still resident, contents undefined: freed recently. */
	struct frame_list dirty;
	/* Free frames resident and zero: faulted in ahead, in batches. */
	struct frame_list clean;
	/* Free frames returned to the host: they read as zero. */
	struct frame_list released;
	/* Free runs of FRAME_RUN_FRAMES frames, aligned to their size,
	 * resident, stored to and zero, made ahead by frame_pool_prefault()
	 * for G-stage roots. Listed by their first frame; count counts runs,
	 * not frames. */
	struct frame_list runs;

	/* Frames at or above bump were never handed out (zero, not resident).
	 */
	_Alignas(64) _Atomic uint32_t bump;
	_Atomic uint64_t shared;
	_Atomic uint64_t peak;
	/* One thread at a time moves frames from resident to released. */
	_Atomic bool releasing;
	/* Odd while frame_alloc_contig() has emptied the free lists. */
	_Atomic uint32_t contig_seq;
	pthread_mutex_t contig_lock;

	/*
	 * Moves before a G-stage table goes back to the free lists
	 * (gstage_table_put()). A lock-free reader may still be inside a
	 * table its own VM just replaced, whose last other sharer then frees
	 * it; reading the epoch before and after a walk tells it to walk
	 * again, so what a reused frame holds is never taken for a PTE.
	 */
	_Alignas(64) _Atomic uint64_t table_epoch;
};

static inline void *frame_addr(const struct frame_pool *pool, uint32_t frame)
{
	return pool->base + ((size_t)frame << FRAME_SHIFT);
}

/*
 * Drop one reference like frame_put(), but when it was the last one leave
 * the frame allocated-with-count-zero to the caller, who may still read it
 * and must then hand it back with frame_free(). Returns true in that case.
 * Used to release a table's children before the table itself goes.
 */
bool frame_put_last(struct frame_pool *pool, uint32_t frame);

/* Return a frame whose count frame_put_last() brought to zero. */
void frame_free(struct frame_pool *pool, uint32_t frame);

#endif
