/* SPDX-License-Identifier: MIT */
/*
 * G-stage tables: lookup, change, copy-on-write. Cloning lives in
 * gstage_clone.c, the consistency checker in gstage_check.c.
 *
 * Readers (gstage_translate, gstage_walk) never lock: every PTE is read and
 * written with atomics, a new table is filled before the entry pointing to
 * it is published (release), and a table is only freed when its last
 * reference goes (destroy, or the last sharer replicating it). Lower tables
 * emptied by gstage_unmap() are kept until destroy for that reason. A
 * reader that walked through a table while it was freed (its own VM
 * replaced it, then the last other sharer let it go) notices by the pool's
 * table epoch and walks again (gstage_translate()); gstage_walk()'s
 * callers hold the lock, so the tables they walk stay theirs.
 */
#include <errno.h>
#include <string.h>

#include "mem/gstage_priv.h"

int gstage_init(struct gstage *gs, struct frame_pool *pool,
		enum gstage_mode mode)
{
	unsigned levels;
	uint32_t root;
	int r;

	if (!pool)
		return -EINVAL;
	switch (mode) {
	case GSTAGE_SV39X4:
		levels = 3;
		break;
	case GSTAGE_SV48X4:
		levels = 4;
		break;
	default:
		return -EINVAL;
	}
	/* hgatp wants the root 16 KiB aligned: frame number a multiple of 4. */
	r = frame_alloc_contig(pool, GSTAGE_ROOT_FRAMES, GSTAGE_ROOT_FRAMES,
			       &root);
	if (r)
		return r;

	memset(gs, 0, sizeof(*gs));
	r = -pthread_mutex_init(&gs->lock, NULL);
	if (r)
		goto err_put_root;
	gs->pool = pool;
	gs->mode = mode;
	gs->levels = levels;
	gs->gpa_bits = FRAME_SHIFT + 9 * levels + 2;
	gs->root = root;
	atomic_init(&gs->stats.tables, GSTAGE_ROOT_FRAMES);
	return 0;

err_put_root:
	for (unsigned i = 0; i < GSTAGE_ROOT_FRAMES; i++)
		frame_put(pool, root + i);
	return r;
}

void gstage_table_put(struct frame_pool *pool, uint32_t table, unsigned level)
{
	gpte_t *t = gstage_table(pool, table);
	uint64_t e;

	if (!frame_put_last(pool, table))
		return;
	/* Before the frame can be reused: see struct frame_pool. */
	atomic_fetch_add_explicit(&pool->table_epoch, 1, memory_order_seq_cst);
	for (unsigned i = 0; i < GSTAGE_TABLE_ENTRIES; i++) {
		e = atomic_load_explicit(&t[i], memory_order_relaxed);
		if (!(e & GPTE_V))
			continue;
		if (level == 0)
			frame_put(pool, gpte_frame(e));
		else
			gstage_table_put(pool, gpte_frame(e), level - 1);
	}
	frame_free(pool, table);
}

void gstage_destroy(struct gstage *gs)
{
	gpte_t *root = gstage_table(gs->pool, gs->root);
	unsigned top = gs->levels - 1;
	uint64_t e;

	pthread_mutex_lock(&gs->lock);
	atomic_fetch_add(&gs->generation, 1);
	for (unsigned i = 0; i < GSTAGE_ROOT_ENTRIES; i++) {
		e = atomic_exchange_explicit(&root[i], 0, memory_order_acq_rel);
		if (e & GPTE_V)
			gstage_table_put(gs->pool, gpte_frame(e), top - 1);
	}
	for (unsigned i = 0; i < GSTAGE_ROOT_FRAMES; i++)
		frame_put(gs->pool, gs->root + i);
	atomic_store(&gs->stats.tables, 0);
	atomic_store(&gs->stats.leaves, 0);
	pthread_mutex_unlock(&gs->lock);
	pthread_mutex_destroy(&gs->lock);
}

int gstage_set_ram(struct gstage *gs, uint64_t gpa, uint64_t size)
{
	uint64_t limit = 1ull << gs->gpa_bits;

	if (!size || ((gpa | size) & (FRAME_SIZE - 1)))
		return -EINVAL;
	if (gpa >= limit || size > limit - gpa)
		return -ERANGE;
	pthread_mutex_lock(&gs->lock);
	gs->ram_base = gpa;
	gs->ram_size = size;
	pthread_mutex_unlock(&gs->lock);
	return 0;
}

/* One walk of gstage_translate(); a table read may have been freed under
 * it (the caller checks), so every table frame is bounds-checked. */
static int gstage_translate_once(const struct gstage *gs, uint64_t gpa,
				 uint32_t *frame, uint64_t *pte)
{
	const uint8_t *base = gs->pool->base;
	uint32_t nframes = gs->pool->nframes;
	unsigned shift = FRAME_SHIFT + 9 * (gs->levels - 1);
	const gpte_t *t;
	uint64_t e, path = 0;

	t = (const gpte_t *)(base + ((size_t)gs->root << FRAME_SHIFT));
	e = atomic_load_explicit(&t[gpa >> shift], memory_order_acquire);
	while (shift > FRAME_SHIFT) {
		/* A valid non-leaf entry has none of R/W/X. */
		if ((e & (GPTE_V | GSTAGE_PERM_MASK)) != GPTE_V ||
		    gpte_frame(e) >= nframes)
			return -ENOENT;
		path |= e;
		shift -= 9;
		t = (const gpte_t *)(base +
				     ((e & GPTE_PPN_MASK)
				      << (FRAME_SHIFT - GPTE_PPN_SHIFT)));
		e = atomic_load_explicit(&t[(gpa >> shift) & 511],
					 memory_order_acquire);
	}
	if (!(e & GPTE_V))
		return -ENOENT;
	e = gpte_effective(e, path);
	*frame = gpte_frame(e);
	*pte = e;
	return 0;
}

int gstage_translate(const struct gstage *gs, uint64_t gpa, uint32_t *frame,
		     uint64_t *pte)
{
	const struct frame_pool *pool = gs->pool;
	uint64_t epoch;
	int r;

	if (gpa >> gs->gpa_bits)
		return -ERANGE;
	do {
		epoch = atomic_load_explicit(&pool->table_epoch,
					     memory_order_acquire);
		r = gstage_translate_once(gs, gpa, frame, pte);
		/* The walk's reads before the second look at the epoch. */
		atomic_thread_fence(memory_order_acquire);
	} while (atomic_load_explicit(&pool->table_epoch,
				      memory_order_relaxed) != epoch);
	return r;
}

/*
 * Copy the table `from` (of the given level) into the spare frame `to`,
 * which then holds its own reference on everything `from` references.
 * Children are now shared: pointers to tables get GPTE_SHARED and writable
 * leaves become copy-on-write, in both copies. The changes to `from` are
 * atomic and idempotent because other sharers may copy it at the same time.
 * Effective permissions do not change: `from` is reached only through
 * GPTE_SHARED pointers, below which W already reads as copy-on-write.
 */
static void gstage_table_copy(struct frame_pool *pool, uint32_t from,
			      uint32_t to, unsigned level)
{
	gpte_t *src = gstage_table(pool, from), *dst = gstage_table(pool, to);
	uint64_t e, cow;

	for (unsigned i = 0; i < GSTAGE_TABLE_ENTRIES; i++) {
		e = atomic_load_explicit(&src[i], memory_order_acquire);
		if (e & GPTE_V) {
			frame_get(pool, gpte_frame(e));
			if (level > 0) {
				if (!(e & GPTE_SHARED))
					atomic_fetch_or(&src[i], GPTE_SHARED);
				e |= GPTE_SHARED;
			} else {
				while (e & GPTE_W) {
					cow = (e & ~GPTE_W) | GPTE_COW;
					if (atomic_compare_exchange_weak(
						&src[i], &e, cow))
						e = cow;
				}
			}
		}
		atomic_store_explicit(&dst[i], e, memory_order_relaxed);
	}
}

/*
 * Make the table that *p points to (a GPTE_SHARED entry; the table is of the
 * given level) private to gs: take it over when gs holds the last reference,
 * otherwise replicate it into a frame taken from spare[]. Returns 0, or
 * -ENOMEM when no spare is left (nothing changed).
 */
static int gstage_table_unshare(struct gstage *gs, gpte_t *p, unsigned level,
				uint32_t *spare, unsigned *nspare)
{
	uint64_t e = atomic_load_explicit(p, memory_order_relaxed);
	uint32_t old = gpte_frame(e), copy;

	if (frame_refcount(gs->pool, old) <= 1) {
		/* Pairs with the release in the other sharers' last put, so
		 * their changes to the table are visible. */
		atomic_thread_fence(memory_order_acquire);
		atomic_store_explicit(p, e & ~GPTE_SHARED,
				      memory_order_release);
		return 0;
	}
	if (!*nspare)
		return -ENOMEM;
	copy = spare[--*nspare];
	gstage_table_copy(gs->pool, old, copy, level);
	atomic_store_explicit(p, GPTE_V | gpte_of_frame(copy),
			      memory_order_release);
	gstage_table_put(gs->pool, old, level);
	gstage_stat_add(&gs->stats.replications, 1);
	return 0;
}

int gstage_path_prepare(struct gstage *gs, uint64_t gpa, bool create,
			gpte_t **slot)
{
	struct frame_pool *pool = gs->pool;
	uint32_t spare[GSTAGE_MAX_LEVELS];
	unsigned level, nspare = 0, need = 0;
	bool copy = false;
	gpte_t *t, *p;
	uint64_t e;
	int r = 0;

	t = gstage_table(pool, gs->root);
	for (level = gs->levels - 1; level > 0; level--) {
		e = atomic_load_explicit(&t[gstage_index(gs, gpa, level)],
					 memory_order_relaxed);
		if (!(e & GPTE_V)) {
			if (!create)
				return -ENOENT;
			need += level;
			break;
		}
		/* Below a table that gets copied, every table is shared by
		 * the copy and the original, so it is copied too. */
		if (copy || ((e & GPTE_SHARED) &&
			     frame_refcount(pool, gpte_frame(e)) > 1)) {
			copy = true;
			need++;
		}
		t = gstage_table(pool, gpte_frame(e));
	}
	for (; nspare < need; nspare++) {
		r = frame_alloc(pool, false, &spare[nspare]);
		if (r)
			goto out;
	}

	t = gstage_table(pool, gs->root);
	for (level = gs->levels - 1; level > 0; level--) {
		p = &t[gstage_index(gs, gpa, level)];
		e = atomic_load_explicit(p, memory_order_relaxed);
		if (!(e & GPTE_V)) {
			/* Pass one counted every table this pass can need;
			 * other sharers only ever drop references. */
			if (!nspare) {
				r = -ENOMEM;
				goto out;
			}
			nspare--;
			memset(frame_addr(pool, spare[nspare]), 0, FRAME_SIZE);
			atomic_store_explicit(
			    p, GPTE_V | gpte_of_frame(spare[nspare]),
			    memory_order_release);
			gstage_stat_add(&gs->stats.tables, 1);
		} else if (e & GPTE_SHARED) {
			r = gstage_table_unshare(gs, p, level - 1, spare,
						 &nspare);
			if (r)
				goto out;
		}
		e = atomic_load_explicit(p, memory_order_relaxed);
		t = gstage_table(pool, gpte_frame(e));
	}
	*slot = &t[gstage_index(gs, gpa, 0)];
out:
	while (nspare)
		frame_put(pool, spare[--nspare]);
	return r;
}

/* Validate gstage_map()'s arguments and build the leaf entry. */
static int gstage_leaf_make(const struct gstage *gs, uint32_t frame,
			    uint64_t perms, uint64_t *pte)
{
	uint64_t rwx = perms & GSTAGE_PERM_MASK;

	if ((perms & ~(GSTAGE_PERM_MASK | GPTE_COW)) || !rwx)
		return -EINVAL;
	/* W without R is a reserved encoding; a copy-on-write page becomes
	 * R+W when broken, so it needs R too. */
	if (((rwx & GPTE_W) || (perms & GPTE_COW)) && !(rwx & GPTE_R))
		return -EINVAL;
	if (perms & GPTE_COW)
		rwx &= ~GPTE_W;
	if (frame >= frame_count(gs->pool))
		return -EINVAL;
	if (frame == FRAME_ZERO ? (rwx & GPTE_W)
				: !frame_refcount(gs->pool, frame))
		return -EINVAL;
	*pte = GPTE_LEAF_BITS | rwx | (perms & GPTE_COW) | gpte_of_frame(frame);
	return 0;
}

static int gstage_gpa_check(const struct gstage *gs, uint64_t gpa)
{
	if (gpa & (FRAME_SIZE - 1))
		return -EINVAL;
	if (gpa >> gs->gpa_bits)
		return -ERANGE;
	return 0;
}

int gstage_map(struct gstage *gs, uint64_t gpa, uint32_t frame, uint64_t perms)
{
	uint64_t leaf, e;
	uint32_t f;
	gpte_t *slot;
	int r;

	r = gstage_gpa_check(gs, gpa);
	if (r)
		return r;
	r = gstage_leaf_make(gs, frame, perms, &leaf);
	if (r)
		return r;
	pthread_mutex_lock(&gs->lock);
	if (!gstage_translate(gs, gpa, &f, &e)) {
		r = -EEXIST;
		goto out;
	}
	r = gstage_path_prepare(gs, gpa, true, &slot);
	if (r)
		goto out;
	atomic_store_explicit(slot, leaf, memory_order_release);
	gstage_stat_add(&gs->stats.leaves, 1);
out:
	pthread_mutex_unlock(&gs->lock);
	return r;
}

int gstage_unmap(struct gstage *gs, uint64_t gpa)
{
	uint64_t e;
	uint32_t f;
	gpte_t *slot;
	int r;

	r = gstage_gpa_check(gs, gpa);
	if (r)
		return r;
	pthread_mutex_lock(&gs->lock);
	r = gstage_translate(gs, gpa, &f, &e);
	if (r)
		goto out;
	r = gstage_path_prepare(gs, gpa, false, &slot);
	if (r)
		goto out;
	e = atomic_exchange_explicit(slot, 0, memory_order_acq_rel);
	/* Announce before the frame can be reused. */
	atomic_fetch_add(&gs->generation, 1);
	frame_put(gs->pool, gpte_frame(e));
	gstage_stat_add(&gs->stats.leaves, -1);
out:
	pthread_mutex_unlock(&gs->lock);
	return r;
}

/* First touch of a RAM page: map a zeroed frame RWX. */
static int gstage_populate(struct gstage *gs, uint64_t gpa, uint32_t *frame,
			   uint64_t *pte)
{
	gpte_t *slot;
	uint64_t e;
	uint32_t f;
	int r;

	if (gpa < gs->ram_base || gpa - gs->ram_base >= gs->ram_size)
		return -EFAULT;
	r = frame_alloc(gs->pool, true, &f);
	if (r)
		return r;
	r = gstage_path_prepare(gs, gpa, true, &slot);
	if (r)
		goto err_put;
	e = GPTE_LEAF_BITS | GSTAGE_PERM_MASK | gpte_of_frame(f);
	atomic_store_explicit(slot, e, memory_order_release);
	gstage_stat_add(&gs->stats.leaves, 1);
	gstage_stat_add(&gs->stats.populated, 1);
	*frame = f;
	*pte = e;
	return 0;

err_put:
	frame_put(gs->pool, f);
	return r;
}

/*
 * Write to a copy-on-write page: take the frame over when gs holds its last
 * reference (same frame, W added: nothing narrows, the generation stays),
 * otherwise copy it (a new frame: the generation moves).
 */
static int gstage_cow_break(struct gstage *gs, uint64_t gpa, uint32_t *frame,
			    uint64_t *pte)
{
	struct frame_pool *pool = gs->pool;
	uint32_t old, f;
	gpte_t *slot;
	uint64_t e;
	int r;

	r = gstage_path_prepare(gs, gpa, false, &slot);
	if (r)
		return r;
	e = atomic_load_explicit(slot, memory_order_relaxed);
	old = gpte_frame(e);
	if (e & GPTE_W) {
		/* Copy-on-write only through a shared table, which gs now
		 * owns alone. */
		gstage_stat_add(&gs->stats.cow_takeovers, 1);
		goto out;
	}
	if (!(e & GPTE_COW))
		return -EACCES;
	if (old != FRAME_ZERO && frame_refcount(pool, old) == 1) {
		atomic_thread_fence(memory_order_acquire);
		e = (e & ~GPTE_COW) | GPTE_W;
		atomic_store_explicit(slot, e, memory_order_release);
		gstage_stat_add(&gs->stats.cow_takeovers, 1);
		goto out;
	}
	r = frame_alloc(pool, old == FRAME_ZERO, &f);
	if (r)
		return r;
	if (old != FRAME_ZERO)
		memcpy(frame_addr(pool, f), frame_addr(pool, old), FRAME_SIZE);
	e = (e & ~(GPTE_COW | GPTE_PPN_MASK)) | GPTE_W | gpte_of_frame(f);
	atomic_store_explicit(slot, e, memory_order_release);
	atomic_fetch_add(&gs->generation, 1);
	frame_put(pool, old);
	gstage_stat_add(&gs->stats.cow_copies, 1);
out:
	*frame = gpte_frame(e);
	*pte = e;
	return 0;
}

/*
 * Read of a page reached through a shared table: make the tables on the
 * way gs's own, so later accesses walk gs's tables only. The leaf keeps
 * its frame and stays copy-on-write (a replicated level-0 table marks it
 * so; a table taken over may leave it writable, gs holding it alone).
 * Without memory the read is served through the shared tables: nothing
 * here is needed for correctness, and a read must not fail for it.
 */
static void gstage_replicate(struct gstage *gs, uint64_t gpa, uint32_t *frame,
			     uint64_t *pte)
{
	gpte_t *slot;
	uint64_t e;

	if (gstage_path_prepare(gs, gpa, false, &slot))
		return;
	e = atomic_load_explicit(slot, memory_order_relaxed);
	*frame = gpte_frame(e);
	*pte = e;
}

int gstage_fault(struct gstage *gs, uint64_t gpa, bool write, uint32_t *frame,
		 uint64_t *pte)
{
	uint64_t e;
	uint32_t f;
	int r;

	pthread_mutex_lock(&gs->lock);
	r = gstage_translate(gs, gpa, &f, &e);
	if (r == -ERANGE)
		r = -EFAULT;
	else if (r == -ENOENT)
		r = gstage_populate(gs, gpa, &f, &e);
	else if (write && !(e & GPTE_W))
		r = (e & GPTE_COW) ? gstage_cow_break(gs, gpa, &f, &e)
				   : -EACCES;
	else if (e & GPTE_SHARED)
		gstage_replicate(gs, gpa, &f, &e);
	pthread_mutex_unlock(&gs->lock);
	if (r)
		return r;
	*frame = f;
	*pte = e;
	return 0;
}

static int gstage_walk_table(const struct gstage *gs, uint32_t table,
			     unsigned level, uint64_t gpa, uint64_t path,
			     gstage_walk_fn fn, void *arg)
{
	const gpte_t *t = gstage_table(gs->pool, table);
	unsigned n = gstage_entries(gs, level);
	uint64_t e, at;
	int r = 0;

	for (unsigned i = 0; i < n && !r; i++) {
		e = atomic_load_explicit(&t[i], memory_order_acquire);
		if (!(e & GPTE_V))
			continue;
		at = gpa | ((uint64_t)i << (FRAME_SHIFT + 9 * level));
		if (level == 0)
			r = fn(at, gpte_effective(e, path), arg);
		else if (!gpte_is_leaf(e))
			r = gstage_walk_table(gs, gpte_frame(e), level - 1, at,
					      path | e, fn, arg);
	}
	return r;
}

int gstage_walk(const struct gstage *gs, gstage_walk_fn fn, void *arg)
{
	return gstage_walk_table(gs, gs->root, gs->levels - 1, 0, 0, fn, arg);
}

void gstage_get_stats(const struct gstage *gs, struct gstage_stats *st)
{
	st->tables = atomic_load(&gs->stats.tables);
	st->leaves = atomic_load(&gs->stats.leaves);
	st->populated = atomic_load(&gs->stats.populated);
	st->cow_copies = atomic_load(&gs->stats.cow_copies);
	st->cow_takeovers = atomic_load(&gs->stats.cow_takeovers);
	st->replications = atomic_load(&gs->stats.replications);
	st->zero_shared = atomic_load(&gs->stats.zero_shared);
	st->merged = atomic_load(&gs->stats.merged);
}
