/* SPDX-License-Identifier: MIT */
/*
 * Cloning a G-stage (DESIGN.md, mechanism 1 and "Clone in detail").
 *
 * gstage_clone() copies the top eager_levels levels of tables and shares
 * what lies below: GPTE_SHARED pointers and one more reference on each
 * table below the last copied level, or, when every level is copied,
 * copy-on-write leaves and one more reference on each data frame. It runs
 * in two passes so that running out of memory changes nothing in the
 * source:
 *
 *   1. build: allocate and fill the clone's copies, taking the clone's
 *      references on what they point to. Only reads the source. On
 *      -ENOMEM the partial clone is a well-formed gstage (every entry not
 *      yet copied is zero), so gstage_destroy() gives every reference
 *      back.
 *   2. mark: set GPTE_SHARED (or turn writable leaves copy-on-write) in
 *      the source, one atomic read-modify-write per entry, then bump its
 *      generation. Each step only narrows what a lock-free reader sees.
 *
 * The source's copied tables may themselves be shared with a third gstage
 * (a clone of a clone); marking their entries is then what
 * gstage_table_copy() does too: idempotent, and invisible to the other
 * sharers, which reach those tables through a GPTE_SHARED pointer already.
 *
 * gstage_copy_all() is the benchmark baseline that shares nothing.
 */
#include <errno.h>
#include <string.h>

#include "mem/gstage_priv.h"

struct gstage_clone_ctx {
	struct frame_pool *pool;
	unsigned last; /* lowest level whose tables are copied */
};

/*
 * Build pass for one table of the given level with n entries: fill `to`
 * from `from`. `zeroed` says `to` reads as zero already (the root: its
 * untouched entries need no store, so a sparse root costs no page touch).
 * On error every entry not filled is zero, so `to` is well formed.
 */
static int gstage_clone_build(struct gstage_clone_ctx *c, const gpte_t *from,
			      gpte_t *to, unsigned level, unsigned n,
			      bool zeroed)
{
	uint32_t child, copy;
	unsigned i;
	uint64_t e;
	int r = 0;

	for (i = 0; i < n; i++) {
		e = atomic_load_explicit(&from[i], memory_order_acquire);
		if (!(e & GPTE_V)) {
			if (!zeroed)
				atomic_store_explicit(&to[i], 0,
						      memory_order_relaxed);
			continue;
		}
		child = gpte_frame(e);
		if (level == 0) {
			/* Every level copied: the data is shared. */
			frame_get(c->pool, child);
			if (e & GPTE_W)
				e = (e & ~GPTE_W) | GPTE_COW;
		} else if (level - 1 < c->last) {
			/* The table below stays shared. */
			frame_get(c->pool, child);
			e |= GPTE_SHARED;
		} else {
			r = frame_alloc(c->pool, false, &copy);
			if (r)
				goto err_zero;
			/* The copy is the clone's own: no GPTE_SHARED. */
			atomic_store_explicit(&to[i],
					      GPTE_V | gpte_of_frame(copy),
					      memory_order_relaxed);
			r = gstage_clone_build(c, gstage_table(c->pool, child),
					       gstage_table(c->pool, copy),
					       level - 1, GSTAGE_TABLE_ENTRIES,
					       false);
			if (r) {
				i++;
				goto err_zero;
			}
			continue;
		}
		atomic_store_explicit(&to[i], e, memory_order_relaxed);
	}
	return 0;

err_zero:
	for (; !zeroed && i < n; i++)
		atomic_store_explicit(&to[i], 0, memory_order_relaxed);
	return r;
}

/*
 * Mark pass over the source table t (of the given level, n entries): the
 * entries the build pass shared become GPTE_SHARED, or copy-on-write for
 * writable leaves. Atomic, because a third gstage that shares t may be
 * replicating it at the same time (gstage_table_copy() marks the same).
 */
static void gstage_clone_mark(struct gstage_clone_ctx *c, gpte_t *t,
			      unsigned level, unsigned n)
{
	uint64_t e, cow;

	for (unsigned i = 0; i < n; i++) {
		e = atomic_load_explicit(&t[i], memory_order_relaxed);
		if (!(e & GPTE_V))
			continue;
		if (level == 0) {
			while (e & GPTE_W) {
				cow = (e & ~GPTE_W) | GPTE_COW;
				if (atomic_compare_exchange_weak(&t[i], &e,
								 cow))
					e = cow;
			}
		} else if (level - 1 < c->last) {
			if (!(e & GPTE_SHARED))
				atomic_fetch_or(&t[i], GPTE_SHARED);
		} else {
			gstage_clone_mark(c,
					  gstage_table(c->pool, gpte_frame(e)),
					  level - 1, GSTAGE_TABLE_ENTRIES);
		}
	}
}

/* dst gets src's RAM region and counters of what it reaches. Locks held. */
static void gstage_clone_finish(struct gstage *dst, const struct gstage *src)
{
	dst->ram_base = src->ram_base;
	dst->ram_size = src->ram_size;
	/* dst reaches one copy for each table of src it copied and the very
	 * tables and pages below: the same counts. */
	atomic_store(&dst->stats.tables, atomic_load(&src->stats.tables));
	atomic_store(&dst->stats.leaves, atomic_load(&src->stats.leaves));
}

int gstage_clone(struct gstage *dst, struct gstage *src, unsigned eager_levels)
{
	struct gstage_clone_ctx c = {.pool = src->pool};
	unsigned top = src->levels - 1;
	int r;

	if (!eager_levels || eager_levels > src->levels)
		return -EINVAL;
	c.last = src->levels - eager_levels;
	r = gstage_init(dst, src->pool, src->mode);
	if (r)
		return r;
	pthread_mutex_lock(&src->lock);
	r = gstage_clone_build(&c, gstage_table(c.pool, src->root),
			       gstage_table(c.pool, dst->root), top,
			       GSTAGE_ROOT_ENTRIES, true);
	if (r)
		goto err_destroy;
	gstage_clone_mark(&c, gstage_table(c.pool, src->root), top,
			  GSTAGE_ROOT_ENTRIES);
	/* Announce after the entries narrowed: src's VCPUs may cache
	 * writable translations of pages that are now copy-on-write. */
	atomic_fetch_add(&src->generation, 1);
	gstage_clone_finish(dst, src);
	pthread_mutex_unlock(&src->lock);
	/* The clone's tables were filled with relaxed stores. */
	atomic_thread_fence(memory_order_release);
	return 0;

err_destroy:
	pthread_mutex_unlock(&src->lock);
	gstage_destroy(dst);
	return r;
}

/*
 * Copy the table `from` (of the given level, n entries) into the zeroed
 * table `to` with nothing shared: new tables, new data frames. `to` stays
 * well formed throughout (an entry is published once its target is
 * ready), so on error gstage_destroy() releases the partial copy.
 */
static int gstage_copy_table(struct frame_pool *pool, const gpte_t *from,
			     gpte_t *to, unsigned level, unsigned n)
{
	uint32_t f, copy;
	uint64_t e;
	int r;

	for (unsigned i = 0; i < n; i++) {
		e = atomic_load_explicit(&from[i], memory_order_acquire);
		if (!(e & GPTE_V))
			continue;
		f = gpte_frame(e);
		if (level > 0) {
			r = frame_alloc(pool, true, &copy);
			if (r)
				return r;
			atomic_store_explicit(&to[i],
					      GPTE_V | gpte_of_frame(copy),
					      memory_order_relaxed);
			r = gstage_copy_table(pool, gstage_table(pool, f),
					      gstage_table(pool, copy),
					      level - 1, GSTAGE_TABLE_ENTRIES);
			if (r)
				return r;
			continue;
		}
		if (f != FRAME_ZERO) {
			r = frame_alloc(pool, false, &copy);
			if (r)
				return r;
			memcpy(frame_addr(pool, copy), frame_addr(pool, f),
			       FRAME_SIZE);
			/* The copy is ours alone: a copy-on-write page is
			 * writable, and the source's shared path is not
			 * ours either. */
			if (e & GPTE_COW)
				e = (e & ~GPTE_COW) | GPTE_W;
			e = (e & ~GPTE_PPN_MASK) | gpte_of_frame(copy);
		}
		atomic_store_explicit(&to[i], e, memory_order_relaxed);
	}
	return 0;
}

int gstage_copy_all(struct gstage *dst, struct gstage *src)
{
	int r;

	r = gstage_init(dst, src->pool, src->mode);
	if (r)
		return r;
	pthread_mutex_lock(&src->lock);
	r = gstage_copy_table(src->pool, gstage_table(src->pool, src->root),
			      gstage_table(src->pool, dst->root),
			      src->levels - 1, GSTAGE_ROOT_ENTRIES);
	if (r)
		goto err_destroy;
	gstage_clone_finish(dst, src);
	pthread_mutex_unlock(&src->lock);
	atomic_thread_fence(memory_order_release);
	return 0;

err_destroy:
	pthread_mutex_unlock(&src->lock);
	gstage_destroy(dst);
	return r;
}
