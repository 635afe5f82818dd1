/* SPDX-License-Identifier: MIT */
/*
 * Frame pool. A free frame lives in one of five places:
 *   - the dirty list: freed recently, still resident, contents undefined;
 *   - the clean list: resident and zero, faulted in ahead of use;
 *   - the runs list: aligned runs of FRAME_RUN_FRAMES frames, resident and
 *     zero, made ahead of use for G-stage roots (frame_pool_prefault());
 *   - the released list: handed back with MADV_DONTNEED, reads as zero,
 *     costs nothing until touched again;
 *   - above the bump index: never handed out (zero, not resident).
 * Single frames leave the last two only in batches made resident with one
 * MADV_POPULATE_WRITE per contiguous run: on some hosts a page fault from
 * user space costs over ten times what the kernel needs to populate the
 * same page in bulk. The lists are lock-free Treiber stacks (struct
 * frame_list).
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/frame_priv.h"

/* Dirty frames kept resident before a batch goes back to the host (1 MiB). */
#define FRAME_RESIDENT_HIGH 256
/* What a batch leaves resident. */
#define FRAME_RESIDENT_LOW  128
#define FRAME_RELEASE_BATCH 256
/* Frames made resident together when the resident lists run dry. */
#define FRAME_PREFAULT_BATCH 32
/* Runs frame_pool_prefault() makes at once (64 frames, 256 KiB). */
#define FRAME_RUN_BATCH 16

static uint64_t frame_list_tagged(uint64_t old, uint32_t frame)
{
	return (((old >> 32) + 1) << 32) | frame;
}

static uint32_t frame_list_pop(struct frame_pool *pool, struct frame_list *l)
{
	uint64_t old = atomic_load_explicit(&l->head, memory_order_acquire);
	uint32_t frame, next;

	do {
		frame = (uint32_t)old;
		if (frame == FRAME_ZERO)
			return FRAME_ZERO;
		/* May be stale if frame was popped meanwhile; the tag then
		 * differs and the exchange fails. */
		next = atomic_load_explicit(&pool->next[frame],
					    memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(
	    &l->head, &old, frame_list_tagged(old, next), memory_order_acquire,
	    memory_order_acquire));
	return frame;
}

static void frame_list_push(struct frame_pool *pool, struct frame_list *l,
			    uint32_t frame)
{
	uint64_t old = atomic_load_explicit(&l->head, memory_order_relaxed);

	do {
		atomic_store_explicit(&pool->next[frame], (uint32_t)old,
				      memory_order_relaxed);
	} while (!atomic_compare_exchange_weak_explicit(
	    &l->head, &old, frame_list_tagged(old, frame), memory_order_release,
	    memory_order_relaxed));
}

static int64_t frame_list_count(const struct frame_list *l)
{
	int64_t n = atomic_load_explicit(&l->count, memory_order_relaxed);

	return n > 0 ? n : 0;
}

static uint64_t frame_in_use(const struct frame_pool *pool)
{
	int64_t n = atomic_load_explicit(&pool->bump, memory_order_relaxed);

	n -= frame_list_count(&pool->dirty);
	n -= frame_list_count(&pool->clean);
	n -= frame_list_count(&pool->released);
	n -= frame_list_count(&pool->runs) * FRAME_RUN_FRAMES;
	return n > 1 ? (uint64_t)n : 1;
}

static void frame_peak_update(struct frame_pool *pool)
{
	uint64_t use = frame_in_use(pool);
	uint64_t peak = atomic_load_explicit(&pool->peak, memory_order_relaxed);

	while (use > peak && !atomic_compare_exchange_weak_explicit(
				 &pool->peak, &peak, use, memory_order_relaxed,
				 memory_order_relaxed))
		;
}

/*
 * Take count never-used frames from the bump index, the first a multiple of
 * align. Frames skipped for alignment go to the released list: they were
 * never touched, so they are zero and not resident.
 */
static bool frame_bump_take(struct frame_pool *pool, uint32_t count,
			    uint32_t align, uint32_t *first)
{
	uint32_t b = atomic_load_explicit(&pool->bump, memory_order_relaxed);
	uint64_t start;

	do {
		start = ((uint64_t)b + align - 1) & ~((uint64_t)align - 1);
		if (start + count > pool->nframes)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &pool->bump, &b, (uint32_t)(start + count), memory_order_relaxed,
	    memory_order_relaxed));

	for (uint32_t f = b; f < start; f++) {
		atomic_fetch_add_explicit(&pool->released.count, 1,
					  memory_order_relaxed);
		frame_list_push(pool, &pool->released, f);
	}
	*first = (uint32_t)start;
	return true;
}

static int frame_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Call madvise(advice) once per run of consecutive frames in sorted[]. */
static void frame_advise_runs(struct frame_pool *pool, const uint32_t *sorted,
			      uint32_t n, int advice)
{
	uint32_t i, run;

	for (i = 0; i < n; i += run) {
		for (run = 1; i + run < n && sorted[i + run] == sorted[i] + run;
		     run++)
			;
		madvise(frame_addr(pool, sorted[i]), (size_t)run << FRAME_SHIFT,
			advice);
	}
}

/*
 * Store to a frame made resident just before: where the host maps a page
 * for user space only on a user access (shadow paging), populating is not
 * enough, a store makes it so. An atomic add of zero: the frame keeps its
 * contents, and the compiler cannot turn the store into a read.
 */
static void frame_touch(struct frame_pool *pool, uint32_t frame)
{
	__atomic_fetch_add((uint8_t *)frame_addr(pool, frame), 0,
			   __ATOMIC_RELAXED);
}

/*
 * The resident lists are empty: make a batch of zero frames resident, from
 * the released list first, then from never-used frames. Returns one of
 * them for the caller and puts the rest on the clean list; returns
 * FRAME_ZERO when no frame is left. touch: store to each page as well. A host
 * without MADV_POPULATE_WRITE (before Linux 5.14) just faults the frames in on
 * first touch.
 */
static uint32_t frame_refill(struct frame_pool *pool, bool touch)
{
	uint32_t batch[FRAME_PREFAULT_BATCH], n = 0, nreleased, b, end;
	uint64_t want;

	while (n < FRAME_PREFAULT_BATCH &&
	       (batch[n] = frame_list_pop(pool, &pool->released)) != FRAME_ZERO)
		n++;
	nreleased = n;
	/* Count the whole batch as clean before it leaves the released list
	 * and the bump region, so in_use never reads high meanwhile. */
	atomic_fetch_add_explicit(&pool->clean.count, FRAME_PREFAULT_BATCH,
				  memory_order_relaxed);
	b = atomic_load_explicit(&pool->bump, memory_order_relaxed);
	while (n < FRAME_PREFAULT_BATCH && b < pool->nframes) {
		want = (uint64_t)b + FRAME_PREFAULT_BATCH - n;
		end = want < pool->nframes ? (uint32_t)want : pool->nframes;
		if (atomic_compare_exchange_weak_explicit(
			&pool->bump, &b, end, memory_order_relaxed,
			memory_order_relaxed)) {
			while (b < end)
				batch[n++] = b++;
		}
	}
	atomic_fetch_sub_explicit(&pool->released.count, nreleased,
				  memory_order_relaxed);
	/* Keep n - 1 counted: the caller's frame is in use. */
	atomic_fetch_sub_explicit(&pool->clean.count,
				  FRAME_PREFAULT_BATCH - (n ? n - 1 : 0),
				  memory_order_relaxed);
	if (!n)
		return FRAME_ZERO;
	qsort(batch, n, sizeof(batch[0]), frame_cmp);
	frame_advise_runs(pool, batch, n, MADV_POPULATE_WRITE);
	for (uint32_t i = 0; touch && i < n; i++)
		frame_touch(pool, batch[i]);
	for (uint32_t i = n - 1; i > 0; i--)
		frame_list_push(pool, &pool->clean, batch[i]);
	return batch[0];
}

/*
 * Cut up to want runs (at most FRAME_RUN_BATCH) from never-used frames,
 * make them resident with one MADV_POPULATE_WRITE, store to every page and
 * list them. Returns how many runs were made: 0 when the never-used frames
 * are used up.
 */
static uint32_t frame_runs_make(struct frame_pool *pool, uint32_t want)
{
	uint32_t asked, first;

	if (want > FRAME_RUN_BATCH)
		want = FRAME_RUN_BATCH;
	asked = want;
	/* Count the runs before they leave the bump region, so in_use never
	 * reads high meanwhile. */
	atomic_fetch_add_explicit(&pool->runs.count, asked,
				  memory_order_relaxed);
	while (want && !frame_bump_take(pool, want * FRAME_RUN_FRAMES,
					FRAME_RUN_FRAMES, &first))
		want /= 2;
	atomic_fetch_sub_explicit(&pool->runs.count, asked - want,
				  memory_order_relaxed);
	if (!want)
		return 0;
	madvise(frame_addr(pool, first),
		(size_t)want * FRAME_RUN_FRAMES << FRAME_SHIFT,
		MADV_POPULATE_WRITE);
	for (uint32_t f = first; f < first + want * FRAME_RUN_FRAMES; f++)
		frame_touch(pool, f);
	for (uint32_t i = want; i-- > 0;)
		frame_list_push(pool, &pool->runs,
				first + i * FRAME_RUN_FRAMES);
	return want;
}

/*
 * Frames from `from` on of the run at f, just popped off the runs list, go
 * to list l: counted there before the run leaves the runs count, so that
 * in_use never reads high meanwhile.
 */
static void frame_run_to_list(struct frame_pool *pool, uint32_t f,
			      uint32_t from, struct frame_list *l)
{
	atomic_fetch_add_explicit(&l->count, FRAME_RUN_FRAMES - from,
				  memory_order_relaxed);
	atomic_fetch_sub_explicit(&pool->runs.count, 1, memory_order_relaxed);
	for (uint32_t k = from; k < FRAME_RUN_FRAMES; k++)
		frame_list_push(pool, l, f + k);
}

/*
 * Take a ready run off the runs list: its first keep frames for the
 * caller, the rest to the clean list (they are resident and zero too).
 * Returns the run's first frame, or FRAME_ZERO when no run is ready.
 */
static uint32_t frame_run_take(struct frame_pool *pool, uint32_t keep)
{
	uint32_t f = frame_list_pop(pool, &pool->runs);

	if (f != FRAME_ZERO)
		frame_run_to_list(pool, f, keep, &pool->clean);
	return f;
}

static void frame_release_lock(struct frame_pool *pool)
{
	while (atomic_exchange_explicit(&pool->releasing, true,
					memory_order_acquire))
		sched_yield();
}

static void frame_release_unlock(struct frame_pool *pool)
{
	atomic_store_explicit(&pool->releasing, false, memory_order_release);
}

/*
 * Move frames from a resident list to the released list until at most keep
 * remain, returning their memory to the host in sorted contiguous runs so
 * one madvise() covers many frames. Caller holds pool->releasing.
 */
static void frame_release_batches(struct frame_pool *pool,
				  struct frame_list *from, int64_t keep)
{
	uint32_t batch[FRAME_RELEASE_BATCH];
	uint32_t n;

	do {
		n = 0;
		while (n < FRAME_RELEASE_BATCH &&
		       frame_list_count(from) - n > keep) {
			batch[n] = frame_list_pop(pool, from);
			if (batch[n] == FRAME_ZERO)
				break;
			n++;
		}
		if (!n)
			return;
		/* Count the batch as released before it leaves the resident
		 * count, so in_use never reads high meanwhile. */
		atomic_fetch_add_explicit(&pool->released.count, n,
					  memory_order_relaxed);
		atomic_fetch_sub_explicit(&from->count, n,
					  memory_order_relaxed);
		qsort(batch, n, sizeof(batch[0]), frame_cmp);
		frame_advise_runs(pool, batch, n, MADV_DONTNEED);
		for (uint32_t i = 0; i < n; i++)
			frame_list_push(pool, &pool->released, batch[i]);
	} while (n == FRAME_RELEASE_BATCH);
}

int frame_pool_create(size_t limit_bytes, struct frame_pool **out)
{
	size_t n = limit_bytes >> FRAME_SHIFT;
	struct frame_pool *pool;
	void *base, *meta;
	int r;

	if (n < 2 || n > UINT32_MAX)
		return -EINVAL;
	/* Its hot counters sit on cache lines of their own (_Alignas). */
	pool = aligned_alloc(_Alignof(struct frame_pool), sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	memset(pool, 0, sizeof(*pool));
	pool->nframes = (uint32_t)n;
	pool->base_bytes = n << FRAME_SHIFT;
	pool->meta_bytes = 2 * n * sizeof(uint32_t);

	base = mmap(NULL, pool->base_bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		r = -ENOMEM;
		goto err_free;
	}
	/* Frames are returned to the host one by one; a huge page would
	 * keep 2 MiB resident for one live frame. */
	madvise(base, pool->base_bytes, MADV_NOHUGEPAGE);
	/* The zero frame must never be written: let the hardware say so. */
	if (mprotect(base, FRAME_SIZE, PROT_READ)) {
		r = -errno;
		goto err_unmap_base;
	}
	meta = mmap(NULL, pool->meta_bytes, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (meta == MAP_FAILED) {
		r = -ENOMEM;
		goto err_unmap_base;
	}
	r = -pthread_mutex_init(&pool->contig_lock, NULL);
	if (r)
		goto err_unmap_meta;

	pool->base = base;
	pool->refs = meta;
	pool->next = pool->refs + n;
	atomic_init(&pool->refs[FRAME_ZERO], 1);
	atomic_init(&pool->bump, 1);
	atomic_init(&pool->peak, 1);
	atomic_init(&pool->table_epoch, 0);
	*out = pool;
	return 0;

err_unmap_meta:
	munmap(meta, pool->meta_bytes);
err_unmap_base:
	munmap(base, pool->base_bytes);
err_free:
	free(pool);
	return r;
}

void frame_pool_destroy(struct frame_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_destroy(&pool->contig_lock);
	munmap(pool->refs, pool->meta_bytes);
	munmap(pool->base, pool->base_bytes);
	free(pool);
}

static void frame_claim(struct frame_pool *pool, uint32_t first, uint32_t n)
{
	for (uint32_t f = first; f < first + n; f++)
		atomic_store_explicit(&pool->refs[f], 1, memory_order_relaxed);
	frame_peak_update(pool);
}

/* Pop a frame from l and lower its count, or return FRAME_ZERO. */
static uint32_t frame_take(struct frame_pool *pool, struct frame_list *l)
{
	uint32_t f = frame_list_pop(pool, l);

	if (f != FRAME_ZERO)
		atomic_fetch_sub_explicit(&l->count, 1, memory_order_relaxed);
	return f;
}

int frame_alloc(struct frame_pool *pool, bool zeroed, uint32_t *frame)
{
	uint32_t seq, f;

	for (;;) {
		seq = atomic_load_explicit(&pool->contig_seq,
					   memory_order_acquire);
		if (zeroed) {
			f = frame_take(pool, &pool->clean);
			if (f != FRAME_ZERO)
				break;
			f = frame_take(pool, &pool->dirty);
			if (f != FRAME_ZERO) {
				memset(frame_addr(pool, f), 0, FRAME_SIZE);
				break;
			}
		} else {
			f = frame_take(pool, &pool->dirty);
			if (f != FRAME_ZERO)
				break;
			f = frame_take(pool, &pool->clean);
			if (f != FRAME_ZERO)
				break;
		}
		f = frame_refill(pool, false);
		if (f != FRAME_ZERO)
			break;
		/* The last free frames may be in the runs kept for roots. */
		f = frame_run_take(pool, 1);
		if (f != FRAME_ZERO)
			break;
		/* Empty lists may only mean frame_alloc_contig() holds every
		 * free frame for a moment: then try again. */
		atomic_thread_fence(memory_order_seq_cst);
		if (!(seq & 1) && seq == atomic_load(&pool->contig_seq))
			return -ENOMEM;
		sched_yield();
	}
	frame_claim(pool, f, 1);
	*frame = f;
	return 0;
}

/*
 * Slow path of frame_alloc_contig(): empty the free lists, look for an
 * aligned run among their frames, put the rest back. Meanwhile
 * pool->contig_seq is odd so frame_alloc() waits instead of failing.
 */
static int frame_contig_search(struct frame_pool *pool, uint32_t count,
			       uint32_t align, uint32_t *first)
{
	struct frame_list *lists[] = {NULL, &pool->dirty, &pool->clean,
				      &pool->released};
	uint8_t *from;
	uint64_t s;
	uint32_t f, k;
	int r = -ENOMEM;

	from = calloc(pool->nframes, 1);
	if (!from)
		return -ENOMEM;
	pthread_mutex_lock(&pool->contig_lock);
	frame_release_lock(pool);
	atomic_fetch_add(&pool->contig_seq, 1);

	for (uint8_t l = 1; l < 4; l++)
		while ((f = frame_list_pop(pool, lists[l])) != FRAME_ZERO)
			from[f] = l;
	/* Ready runs are resident and zero: they come back as clean frames. */
	while ((f = frame_list_pop(pool, &pool->runs)) != FRAME_ZERO) {
		atomic_fetch_add(&pool->clean.count, FRAME_RUN_FRAMES);
		atomic_fetch_sub(&pool->runs.count, 1);
		for (uint32_t k = 0; k < FRAME_RUN_FRAMES; k++)
			from[f + k] = 2;
	}

	for (s = align; s + count <= pool->nframes; s += align) {
		for (k = 0; k < count && from[s + k]; k++)
			;
		if (k < count)
			continue;
		for (k = 0; k < count; k++) {
			if (lists[from[s + k]] == &pool->dirty)
				memset(frame_addr(pool, s + k), 0, FRAME_SIZE);
			atomic_fetch_sub(&lists[from[s + k]]->count, 1);
			from[s + k] = 0;
		}
		*first = (uint32_t)s;
		r = 0;
		break;
	}

	for (f = pool->nframes - 1; f > FRAME_ZERO; f--)
		if (from[f])
			frame_list_push(pool, lists[from[f]], f);
	atomic_fetch_add(&pool->contig_seq, 1);
	frame_release_unlock(pool);
	pthread_mutex_unlock(&pool->contig_lock);
	free(from);
	return r;
}

int frame_alloc_contig(struct frame_pool *pool, uint32_t count, uint32_t align,
		       uint32_t *first)
{
	uint32_t f;
	int r;

	if (!count || !align || (align & (align - 1)))
		return -EINVAL;
	if (count >= pool->nframes)
		return -ENOMEM;
	f = FRAME_ZERO;
	if (count <= FRAME_RUN_FRAMES && !(FRAME_RUN_FRAMES % align))
		f = frame_run_take(pool, count);
	/* Never-used frames read as zero already. */
	if (f == FRAME_ZERO && !frame_bump_take(pool, count, align, &f)) {
		r = frame_contig_search(pool, count, align, &f);
		if (r)
			return r;
	}
	frame_claim(pool, f, count);
	*first = f;
	return 0;
}

void frame_get(struct frame_pool *pool, uint32_t frame)
{
	uint32_t old;

	if (frame == FRAME_ZERO || frame >= pool->nframes)
		return;
	old = atomic_load_explicit(&pool->refs[frame], memory_order_relaxed);
	do {
		/* A free frame cannot gain a reference: that would hand it
		 * out twice. */
		if (!old || old == UINT32_MAX)
			return;
	} while (!atomic_compare_exchange_weak_explicit(
	    &pool->refs[frame], &old, old + 1, memory_order_relaxed,
	    memory_order_relaxed));
	if (old == 1)
		atomic_fetch_add_explicit(&pool->shared, 1,
					  memory_order_relaxed);
}

bool frame_put_last(struct frame_pool *pool, uint32_t frame)
{
	uint32_t old;

	if (frame == FRAME_ZERO || frame >= pool->nframes)
		return false;
	old = atomic_load_explicit(&pool->refs[frame], memory_order_relaxed);
	do {
		if (!old)
			return false;
	} while (!atomic_compare_exchange_weak_explicit(
	    &pool->refs[frame], &old, old - 1, memory_order_acq_rel,
	    memory_order_relaxed));
	if (old == 2)
		atomic_fetch_sub_explicit(&pool->shared, 1,
					  memory_order_relaxed);
	return old == 1;
}

void frame_free(struct frame_pool *pool, uint32_t frame)
{
	atomic_fetch_add_explicit(&pool->dirty.count, 1, memory_order_relaxed);
	frame_list_push(pool, &pool->dirty, frame);
	if (frame_list_count(&pool->dirty) > FRAME_RESIDENT_HIGH &&
	    !atomic_exchange_explicit(&pool->releasing, true,
				      memory_order_acquire)) {
		frame_release_batches(pool, &pool->dirty, FRAME_RESIDENT_LOW);
		frame_release_unlock(pool);
	}
}

bool frame_put(struct frame_pool *pool, uint32_t frame)
{
	if (!frame_put_last(pool, frame))
		return false;
	frame_free(pool, frame);
	return true;
}

uint32_t frame_refcount(const struct frame_pool *pool, uint32_t frame)
{
	if (frame >= pool->nframes)
		return 0;
	return atomic_load_explicit(&pool->refs[frame], memory_order_relaxed);
}

void *frame_ptr(const struct frame_pool *pool, uint32_t frame)
{
	return frame_addr(pool, frame);
}

int frame_of_ptr(const struct frame_pool *pool, const void *ptr,
		 uint32_t *frame)
{
	uintptr_t p = (uintptr_t)ptr, b = (uintptr_t)pool->base;

	if (p < b || p - b >= pool->base_bytes)
		return -EFAULT;
	*frame = (uint32_t)((p - b) >> FRAME_SHIFT);
	return 0;
}

uint32_t frame_count(const struct frame_pool *pool)
{
	return pool->nframes;
}

void frame_stats(const struct frame_pool *pool, struct frame_stats *st)
{
	uint64_t peak = atomic_load_explicit(&pool->peak, memory_order_relaxed);

	st->total = pool->nframes;
	st->in_use = frame_in_use(pool);
	st->shared = atomic_load_explicit(&pool->shared, memory_order_relaxed);
	st->peak = peak > st->in_use ? peak : st->in_use;
	st->zero = (uint64_t)frame_list_count(&pool->clean);
	st->runs = (uint64_t)frame_list_count(&pool->runs);
	st->resident = (uint64_t)frame_list_count(&pool->dirty) + st->zero +
		       st->runs * FRAME_RUN_FRAMES;
}

/*
 * Give every ready run back to the host; its frames join the released
 * list. Caller holds pool->releasing.
 */
static void frame_release_runs(struct frame_pool *pool)
{
	uint32_t f;

	while ((f = frame_list_pop(pool, &pool->runs)) != FRAME_ZERO) {
		madvise(frame_addr(pool, f),
			(size_t)FRAME_RUN_FRAMES << FRAME_SHIFT, MADV_DONTNEED);
		frame_run_to_list(pool, f, 0, &pool->released);
	}
}

void frame_pool_trim(struct frame_pool *pool)
{
	frame_release_lock(pool);
	frame_release_batches(pool, &pool->dirty, 0);
	frame_release_batches(pool, &pool->clean, 0);
	frame_release_runs(pool);
	frame_release_unlock(pool);
}

bool frame_pool_prefault(struct frame_pool *pool, uint32_t frames,
			 uint32_t runs)
{
	uint32_t f;

	/* Runs first: a clone waits for its root, not for its copies. */
	while (frame_list_count(&pool->runs) < (int64_t)runs)
		if (!frame_runs_make(
			pool, runs - (uint32_t)frame_list_count(&pool->runs)))
			break;
	while (frame_list_count(&pool->clean) < (int64_t)frames) {
		f = frame_refill(pool, true);
		if (f == FRAME_ZERO)
			break;
		/* frame_refill() hands one frame to its caller: that frame
		 * joins the rest of its batch on the clean list. */
		atomic_fetch_add_explicit(&pool->clean.count, 1,
					  memory_order_relaxed);
		frame_list_push(pool, &pool->clean, f);
	}
	return frame_list_count(&pool->runs) >= (int64_t)runs &&
	       frame_list_count(&pool->clean) >= (int64_t)frames;
}

int frame_vec_push(struct frame_vec *fv, uint32_t frame)
{
	if (fv->n == fv->cap) {
		size_t cap = fv->cap ? 2 * fv->cap : 1024;
		uint32_t *v = realloc(fv->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fv->v = v;
		fv->cap = cap;
	}
	fv->v[fv->n++] = frame;
	return 0;
}

void frame_vec_free(struct frame_vec *fv)
{
	free(fv->v);
	fv->v = NULL;
	fv->n = fv->cap = 0;
}

uint64_t frame_put_vec(struct frame_pool *pool, struct frame_vec *fv)
{
	size_t freed = 0;

	for (size_t i = 0; i < fv->n; i++)
		if (frame_put_last(pool, fv->v[i]))
			fv->v[freed++] = fv->v[i];
	fv->n = 0;
	if (!freed)
		return 0;
	qsort(fv->v, freed, sizeof(fv->v[0]), frame_cmp);
	/* As frame_release_batches(), for frames that were never listed. */
	atomic_fetch_add_explicit(&pool->released.count, freed,
				  memory_order_relaxed);
	frame_advise_runs(pool, fv->v, (uint32_t)freed, MADV_DONTNEED);
	for (size_t i = 0; i < freed; i++)
		frame_list_push(pool, &pool->released, fv->v[i]);
	return freed;
}

int frame_pool_mergeable(struct frame_pool *pool)
{
	return madvise(pool->base, pool->base_bytes, MADV_MERGEABLE) ? -errno
								     : 0;
}
