/* SPDX-License-Identifier: MIT */
/*
 * Frame pool: the host memory behind every guest.
 *
 * One MAP_NORESERVE reservation, sized by a host-memory limit, cut into
 * 4 KiB frames. A frame is named by its number (uint32_t, "frame"); its host
 * address is frame_ptr(). Frames carry atomic reference counts; the last
 * frame_put() frees a frame. Freed frames are kept resident for quick reuse
 * up to a small high-water mark; beyond it they are handed back to the host
 * in batches with madvise(MADV_DONTNEED), so the process RSS falls.
 *
 * Frame 0 is the permanent zero frame: always allocated, never written
 * (it is mapped read-only in the host), never freed. Its reference count is
 * not tracked (frame_get/frame_put on it are no-ops; frame_refcount() says
 * 1), so it can back any number of read-only mappings.
 *
 * Allocation and freeing are lock-free and safe from any number of threads.
 * The one exception is the rare slow path of frame_alloc_contig(), which
 * briefly holds every free frame; frame_alloc() then waits for it instead
 * of failing.
 */
#ifndef MEMVISOR_MEM_FRAME_H
#define MEMVISOR_MEM_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_SHIFT 12
#define FRAME_SIZE  (1u << FRAME_SHIFT)

/* The permanent, read-only, all-zero frame. */
#define FRAME_ZERO 0u

/*
 * The contiguous runs the pool makes ready ahead of demand (see
 * frame_pool_prefault()): FRAME_RUN_FRAMES frames whose first frame number
 * is a multiple of FRAME_RUN_FRAMES, the 16 KiB-aligned G-stage root.
 */
#define FRAME_RUN_FRAMES 4u

struct frame_pool;

struct frame_stats {
	uint64_t total;	   /* frames the limit allows, zero frame included */
	uint64_t in_use;   /* frames with a reference count > 0, zero frame
			      included */
	uint64_t shared;   /* frames with a reference count > 1 */
	uint64_t peak;	   /* highest in_use seen */
	uint64_t resident; /* free frames still resident (not yet returned,
			      or made resident ahead of use), runs included */
	uint64_t zero;	   /* of them, single frames resident and zero,
			      ready ahead of use */
	uint64_t runs;	   /* free runs made ready ahead of use */
};

/*
 * Create a pool that may hand out at most limit_bytes of host memory
 * (rounded down to whole frames; the zero frame counts against it).
 * Returns 0 and sets *out, or -EINVAL when the limit is below two frames or
 * above 2^32 - 1 frames, -ENOMEM when the reservation fails. The pool is owned
 * by the caller and released with frame_pool_destroy().
 */
int frame_pool_create(size_t limit_bytes, struct frame_pool **out);

/* Release the pool and all its memory. Frames still referenced are lost. */
void frame_pool_destroy(struct frame_pool *pool);

/*
 * Allocate one frame with reference count 1. Its contents are undefined
 * unless zeroed is true. The frame is resident: when none is, a small batch
 * of free frames is made resident at once, which is much cheaper than
 * faulting them in one by one. Returns 0 and sets *frame, or -ENOMEM when
 * the limit is reached (nothing changes).
 */
int frame_alloc(struct frame_pool *pool, bool zeroed, uint32_t *frame);

/*
 * Allocate count physically contiguous frames whose first frame number is a
 * multiple of align (a power of two), each with reference count 1, zeroed.
 * Used for the 16 KiB G-stage root. A request that fits a run
 * (count <= FRAME_RUN_FRAMES, align dividing FRAME_RUN_FRAMES) takes one of
 * the runs frame_pool_prefault() made ready, when there is one: its pages
 * are resident already (frames of it beyond count become free frames).
 * Otherwise the run comes from never-used frames (not yet resident), or,
 * when those are used up, from a slow search of every free frame. Returns 0
 * and sets *first, or -ENOMEM (no such run free; nothing changes), -EINVAL
 * for a zero count or an align that is not a power of two. Each frame of
 * the run is freed on its own by frame_put().
 */
int frame_alloc_contig(struct frame_pool *pool, uint32_t count, uint32_t align,
		       uint32_t *first);

/* Take one more reference on an allocated frame (ignored on a free one). */
void frame_get(struct frame_pool *pool, uint32_t frame);

/*
 * Drop one reference; the last one frees the frame. Returns true when the
 * frame was freed; false otherwise, also for the zero frame and for a frame
 * that is already free (nothing changes).
 */
bool frame_put(struct frame_pool *pool, uint32_t frame);

/* Current reference count of a frame (0 when free). */
uint32_t frame_refcount(const struct frame_pool *pool, uint32_t frame);

/* Host address of a frame. frame must be below frame_count(). */
void *frame_ptr(const struct frame_pool *pool, uint32_t frame);

/*
 * Frame number of a host address inside the pool, or -EFAULT when ptr is
 * not inside the pool.
 */
int frame_of_ptr(const struct frame_pool *pool, const void *ptr,
		 uint32_t *frame);

/* Number of frames the pool can hold (its limit), zero frame included. */
uint32_t frame_count(const struct frame_pool *pool);

/*
 * Snapshot of the pool's counters: exact while no other thread allocates or
 * frees; meanwhile in_use, peak and resident may be off by a few frames.
 */
void frame_stats(const struct frame_pool *pool, struct frame_stats *st);

/* Return every free but still resident frame to the host now. */
void frame_pool_trim(struct frame_pool *pool);

/*
 * Keep a reserve ahead of demand: make free frames resident and zero, in
 * batches, until at least `frames` single frames and `runs` runs (see
 * FRAME_RUN_FRAMES) are ready, or the pool has no more to give. Every page
 * of the reserve is populated and then stored to once, so that on a host
 * where the first touch of a page is slow (and, under shadow paging, even
 * a populated page waits for its first user-space store) the fault path
 * finds memory ready: populate and copy-on-write take the single frames
 * (frame_alloc()), new G-stage roots take the runs (frame_alloc_contig()).
 * Runs are cut from never-used frames only; when those are used up, no
 * more runs are made. Meant for a background thread (vmm/hv.c's warmer);
 * thread-safe. frame_pool_trim() gives the reserve back. Returns true when
 * both targets are met.
 */
bool frame_pool_prefault(struct frame_pool *pool, uint32_t frames,
			 uint32_t runs);

/*
 * Mark the whole reservation MADV_MERGEABLE, so that the host's KSM may
 * merge equal pages under every guest: the host-side baseline memvisor's
 * own sharing is measured against. Returns 0 or a negative errno (-EINVAL:
 * the host kernel has no KSM).
 */
int frame_pool_mergeable(struct frame_pool *pool);

/* A growable list of frames, such as references to drop in bulk. */
struct frame_vec {
	uint32_t *v;
	size_t n, cap;
};

/* Append frame. Returns 0 or -ENOMEM (fv unchanged). */
int frame_vec_push(struct frame_vec *fv, uint32_t frame);

/* Free fv's storage; it may be used again. */
void frame_vec_free(struct frame_vec *fv);

/*
 * Drop one reference on every frame of fv (as frame_put()), and give those
 * that became free back to the host at once: sorted, one madvise() per
 * contiguous run. Dropping many frames one frame_put() at a time releases
 * them in small batches of short runs, and every madvise() costs a TLB
 * shootdown on each CPU the process runs on. Empties fv (keeps its
 * storage). Returns how many frames became free.
 */
uint64_t frame_put_vec(struct frame_pool *pool, struct frame_vec *fv);

#endif
