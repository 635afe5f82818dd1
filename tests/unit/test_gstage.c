/* SPDX-License-Identifier: MIT */
/* Unit tests for mem/gstage: tables, refcounts, copy-on-write, sharing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mem/gmem.h"
#include "mem/gstage.h"

#define KIB	 1024ull
#define MIB	 (1024 * KIB)
#define GIB	 (1024 * MIB)
#define RAM_BASE (2 * GIB)

static const enum gstage_mode modes[] = {GSTAGE_SV39X4, GSTAGE_SV48X4};

static struct frame_pool *pool_make(size_t bytes)
{
	struct frame_pool *pool = NULL;

	assert_int_equal(frame_pool_create(bytes, &pool), 0);
	return pool;
}

static void gs_make(struct gstage *gs, struct frame_pool *pool,
		    enum gstage_mode mode)
{
	assert_int_equal(gstage_init(gs, pool, mode), 0);
}

static uint64_t in_use(const struct frame_pool *pool)
{
	struct frame_stats st;

	frame_stats(pool, &st);
	return st.in_use;
}

static struct gstage_stats gs_stats(const struct gstage *gs)
{
	struct gstage_stats st;

	gstage_get_stats(gs, &st);
	return st;
}

static uint64_t gen(const struct gstage *gs)
{
	return atomic_load(&gs->generation);
}

static uint32_t pte_frame(uint64_t pte)
{
	return (uint32_t)((pte & GPTE_PPN_MASK) >> GPTE_PPN_SHIFT);
}

static void check1(struct gstage *gs, const uint32_t *extra, size_t nextra)
{
	struct gstage *const all[] = {gs};

	assert_int_equal(gstage_check(gs->pool, all, 1, extra, nextra), 0);
}

static void check2(struct gstage *a, struct gstage *b)
{
	struct gstage *const all[] = {a, b};

	assert_int_equal(gstage_check(a->pool, all, 2, NULL, 0), 0);
}

/* Everything a failed call must leave unchanged. */
struct snap {
	struct frame_stats fs;
	struct gstage_stats gs;
	uint64_t generation;
};

static struct snap snap_take(const struct gstage *gs)
{
	struct snap s;

	frame_stats(gs->pool, &s.fs);
	gstage_get_stats(gs, &s.gs);
	s.generation = gen(gs);
	return s;
}

static void snap_same(const struct snap *a, const struct snap *b)
{
	assert_int_equal(a->fs.in_use, b->fs.in_use);
	assert_int_equal(a->fs.shared, b->fs.shared);
	assert_int_equal(a->gs.tables, b->gs.tables);
	assert_int_equal(a->gs.leaves, b->gs.leaves);
	assert_int_equal(a->gs.populated, b->gs.populated);
	assert_int_equal(a->gs.cow_copies, b->gs.cow_copies);
	assert_int_equal(a->gs.cow_takeovers, b->gs.cow_takeovers);
	assert_int_equal(a->generation, b->generation);
}

static void test_init(void **state)
{
	struct frame_pool *pool = pool_make(1 * MIB);
	struct gstage gs;

	(void)state;
	assert_int_equal(gstage_init(&gs, pool, (enum gstage_mode)10), -EINVAL);
	assert_int_equal(gstage_init(&gs, pool, (enum gstage_mode)0), -EINVAL);
	assert_int_equal(in_use(pool), 1);

	gs_make(&gs, pool, GSTAGE_SV39X4);
	assert_int_equal(gs.levels, 3);
	assert_int_equal(gs.gpa_bits, 41);
	assert_int_equal(gs.root % GSTAGE_ROOT_FRAMES, 0);
	for (uint32_t k = 0; k < GSTAGE_ROOT_FRAMES; k++)
		assert_int_equal(frame_refcount(pool, gs.root + k), 1);
	assert_int_equal(gs_stats(&gs).tables, 4);
	assert_int_equal(gs_stats(&gs).leaves, 0);
	assert_int_equal(in_use(pool), 5);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);

	gs_make(&gs, pool, GSTAGE_SV48X4);
	assert_int_equal(gs.levels, 4);
	assert_int_equal(gs.gpa_bits, 50);
	assert_int_equal(gs.root % GSTAGE_ROOT_FRAMES, 0);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	assert_int_equal(gstage_check(pool, NULL, 0, NULL, 0), 0);
	frame_pool_destroy(pool);
}

/* A pool that cannot hold the 16 KiB root (plus the zero frame). */
static void test_init_pool_too_small(void **state)
{
	(void)state;
	for (size_t n = 2; n <= 8; n++) {
		struct frame_pool *pool = pool_make(n * FRAME_SIZE);
		struct gstage gs;
		int r = gstage_init(&gs, pool, GSTAGE_SV48X4);

		/* The root needs frames 4-7, 16 KiB aligned. */
		assert_int_equal(r, n == 8 ? 0 : -ENOMEM);
		if (!r) {
			assert_int_equal(in_use(pool), 5);
			gstage_destroy(&gs);
		}
		assert_int_equal(in_use(pool), 1);
		assert_int_equal(gstage_check(pool, NULL, 0, NULL, 0), 0);
		frame_pool_destroy(pool);
	}
}

static uint64_t perms_for(uint32_t i)
{
	static const uint64_t p[] = {GPTE_R | GPTE_W | GPTE_X, GPTE_R,
				     GPTE_R | GPTE_X, GPTE_X, GPTE_R | GPTE_W};

	return p[i % 5];
}

struct walk_acc {
	uint64_t n;
	uint64_t last;
	bool ascending;
	uint32_t first_frame;
};

static int walk_count(uint64_t gpa, uint64_t pte, void *arg)
{
	struct walk_acc *w = arg;

	if (w->n && gpa <= w->last)
		w->ascending = false;
	if (!w->n)
		w->first_frame = pte_frame(pte);
	w->last = gpa;
	w->n++;
	return 0;
}

/* Map, translate, unmap and destroy 1 GiB of 4 KiB pages. */
static void run_1gib(enum gstage_mode mode)
{
	const uint32_t n = (uint32_t)(1 * GIB / FRAME_SIZE);
	const uint64_t tables =
	    mode == GSTAGE_SV48X4 ? 4 + 1 + 1 + 512 : 4 + 1 + 512;
	struct frame_pool *pool = pool_make(1 * GIB + 8 * MIB);
	uint32_t *frames = malloc(n * sizeof(*frames));
	struct walk_acc w = {.ascending = true};
	struct gstage gs;
	uint64_t pte;
	uint32_t f;

	assert_non_null(frames);
	gs_make(&gs, pool, mode);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(frame_alloc(pool, false, &frames[i]), 0);
		assert_int_equal(gstage_map(&gs,
					    RAM_BASE + (uint64_t)i * FRAME_SIZE,
					    frames[i], perms_for(i)),
				 0);
	}
	assert_int_equal(gs_stats(&gs).leaves, n);
	assert_int_equal(gs_stats(&gs).tables, tables);
	assert_int_equal(in_use(pool), 1 + n + tables);
	assert_int_equal(gen(&gs), 0);
	check1(&gs, NULL, 0);

	for (uint32_t i = 0; i < n; i++) {
		uint64_t gpa = RAM_BASE + (uint64_t)i * FRAME_SIZE;

		assert_int_equal(
		    gstage_translate(&gs, gpa + (i & 0xfff), &f, &pte), 0);
		assert_int_equal(f, frames[i]);
		assert_int_equal(pte & (GSTAGE_PERM_MASK | GPTE_COW | GPTE_V),
				 perms_for(i) | GPTE_V);
		assert_int_equal(frame_refcount(pool, f), 1);
	}
	assert_int_equal(gstage_translate(&gs, RAM_BASE - 1, &f, &pte),
			 -ENOENT);
	assert_int_equal(gstage_translate(&gs, RAM_BASE + 1 * GIB, &f, &pte),
			 -ENOENT);

	assert_int_equal(gstage_walk(&gs, walk_count, &w), 0);
	assert_int_equal(w.n, n);
	assert_true(w.ascending);
	assert_int_equal(w.first_frame, frames[0]);

	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(
		    gstage_unmap(&gs, RAM_BASE + (uint64_t)i * FRAME_SIZE), 0);
	assert_int_equal(gs_stats(&gs).leaves, 0);
	assert_int_equal(gen(&gs), n);
	/* Emptied lower tables stay until destroy. */
	assert_int_equal(in_use(pool), 1 + tables);
	assert_int_equal(gstage_translate(&gs, RAM_BASE, &f, &pte), -ENOENT);
	check1(&gs, NULL, 0);

	/* Destroy with every page mapped drops every reference. */
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(frame_alloc(pool, false, &frames[i]), 0);
		assert_int_equal(gstage_map(&gs,
					    RAM_BASE + (uint64_t)i * FRAME_SIZE,
					    frames[i], GPTE_R | GPTE_W),
				 0);
	}
	assert_int_equal(in_use(pool), 1 + n + tables);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	assert_int_equal(gstage_check(pool, NULL, 0, NULL, 0), 0);
	free(frames);
	frame_pool_destroy(pool);
}

static void test_map_1gib_sv39x4(void **state)
{
	(void)state;
	run_1gib(GSTAGE_SV39X4);
}

static void test_map_1gib_sv48x4(void **state)
{
	(void)state;
	run_1gib(GSTAGE_SV48X4);
}

static void test_bad_input(void **state)
{
	(void)state;
	for (size_t m = 0; m < 2; m++) {
		struct frame_pool *pool = pool_make(4 * MIB);
		struct gstage gs;
		uint32_t held, mapped, f;
		uint64_t top, pte;
		struct snap before, after;

		gs_make(&gs, pool, modes[m]);
		top = 1ull << gs.gpa_bits;
		assert_int_equal(frame_alloc(pool, true, &mapped), 0);
		assert_int_equal(gstage_map(&gs, RAM_BASE, mapped, GPTE_R), 0);
		assert_int_equal(frame_alloc(pool, true, &held), 0);
		before = snap_take(&gs);

		assert_int_equal(gstage_map(&gs, RAM_BASE + 8, held, GPTE_R),
				 -EINVAL);
		assert_int_equal(gstage_map(&gs, top, held, GPTE_R), -ERANGE);
		assert_int_equal(
		    gstage_map(&gs, UINT64_MAX & ~0xfffull, held, GPTE_R),
		    -ERANGE);
		assert_int_equal(gstage_map(&gs, RAM_BASE, held, GPTE_R),
				 -EEXIST);
		assert_int_equal(gstage_map(&gs, 0, held, 0), -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, held, GPTE_W), -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, held, GPTE_W | GPTE_X),
				 -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, held, GPTE_X | GPTE_COW),
				 -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, held, GPTE_R | GPTE_U),
				 -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, held, GPTE_COW), -EINVAL);
		assert_int_equal(gstage_map(&gs, 0, frame_count(pool), GPTE_R),
				 -EINVAL);
		/* A free frame, and a writable zero frame. */
		assert_int_equal(gstage_map(&gs, 0, held + 1, GPTE_R), -EINVAL);
		assert_int_equal(
		    gstage_map(&gs, 0, FRAME_ZERO, GPTE_R | GPTE_W), -EINVAL);
		assert_int_equal(gstage_unmap(&gs, RAM_BASE + FRAME_SIZE),
				 -ENOENT);
		assert_int_equal(gstage_unmap(&gs, 0), -ENOENT);
		assert_int_equal(gstage_unmap(&gs, RAM_BASE + 1), -EINVAL);
		assert_int_equal(gstage_unmap(&gs, top), -ERANGE);
		assert_int_equal(gstage_translate(&gs, top, &f, &pte), -ERANGE);
		assert_int_equal(gstage_set_ram(&gs, RAM_BASE, 0), -EINVAL);
		assert_int_equal(gstage_set_ram(&gs, RAM_BASE + 1, MIB),
				 -EINVAL);
		assert_int_equal(gstage_set_ram(&gs, RAM_BASE, MIB + 1),
				 -EINVAL);
		assert_int_equal(gstage_set_ram(&gs, top - MIB, 2 * MIB),
				 -ERANGE);
		assert_int_equal(gstage_set_ram(&gs, top, MIB), -ERANGE);
		/* Neither mapped nor RAM (there is no RAM yet). */
		assert_int_equal(
		    gstage_fault(&gs, RAM_BASE + FRAME_SIZE, false, &f, &pte),
		    -EFAULT);
		assert_int_equal(gstage_fault(&gs, top, false, &f, &pte),
				 -EFAULT);
		/* Read-only and not copy-on-write. */
		assert_int_equal(gstage_fault(&gs, RAM_BASE, true, &f, &pte),
				 -EACCES);

		after = snap_take(&gs);
		snap_same(&before, &after);
		assert_int_equal(frame_refcount(pool, held), 1);
		assert_int_equal(frame_refcount(pool, mapped), 1);
		check1(&gs, &held, 1);

		/* The last page of the address space is in range. */
		assert_int_equal(
		    gstage_map(&gs, top - FRAME_SIZE, held, GPTE_R), 0);
		assert_int_equal(gstage_translate(&gs, top - 1, &f, &pte), 0);
		assert_int_equal(f, held);
		check1(&gs, NULL, 0);
		gstage_destroy(&gs);
		assert_int_equal(in_use(pool), 1);
		frame_pool_destroy(pool);
	}
}

/* Allocate until the pool has exactly keep free frames left. */
static uint32_t fill_pool(struct frame_pool *pool, uint32_t *held,
			  uint32_t keep)
{
	struct frame_stats st;
	uint32_t n = 0;

	frame_stats(pool, &st);
	while (st.in_use + keep < st.total) {
		assert_int_equal(frame_alloc(pool, false, &held[n]), 0);
		n++;
		frame_stats(pool, &st);
	}
	return n;
}

static void test_out_of_memory(void **state)
{
	struct frame_pool *pool = pool_make(16 * FRAME_SIZE);
	uint32_t held[16], nheld, f;
	struct snap before, after;
	struct gstage gs;
	uint64_t pte;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(&gs, RAM_BASE, 1 * MIB), 0);

	/* The first page needs three tables; with two free frames the map
	 * fails and both stay free. */
	nheld = fill_pool(pool, held, 2);
	assert_int_equal(nheld, 16 - 5 - 2);
	before = snap_take(&gs);
	assert_int_equal(gstage_map(&gs, RAM_BASE, held[0], GPTE_R | GPTE_W),
			 -ENOMEM);
	assert_int_equal(gstage_fault(&gs, RAM_BASE, false, &f, &pte), -ENOMEM);
	after = snap_take(&gs);
	snap_same(&before, &after);
	assert_int_equal(frame_refcount(pool, held[0]), 1);
	check1(&gs, held, nheld);

	/* Three free frames: enough for the tables of a map, not for a
	 * populate, which needs a data frame as well. */
	assert_true(frame_put(pool, held[--nheld]));
	before = snap_take(&gs);
	assert_int_equal(before.fs.total - before.fs.in_use, 3);
	assert_int_equal(gstage_fault(&gs, RAM_BASE, true, &f, &pte), -ENOMEM);
	after = snap_take(&gs);
	snap_same(&before, &after);
	check1(&gs, held, nheld);

	assert_int_equal(gstage_map(&gs, RAM_BASE, held[0], GPTE_R | GPTE_W),
			 0);
	assert_int_equal(in_use(pool), 16);
	assert_int_equal(gs_stats(&gs).tables, 7);
	assert_int_equal(frame_alloc(pool, false, &f), -ENOMEM);
	check1(&gs, held + 1, nheld - 1);

	/* Pool empty: populate and copy-on-write fail, nothing changes. */
	assert_int_equal(
	    gstage_map(&gs, RAM_BASE + FRAME_SIZE, held[1], GPTE_R | GPTE_COW),
	    0);
	frame_get(pool, held[1]);
	before = snap_take(&gs);
	assert_int_equal(
	    gstage_fault(&gs, RAM_BASE + 2 * FRAME_SIZE, false, &f, &pte),
	    -ENOMEM);
	assert_int_equal(
	    gstage_fault(&gs, RAM_BASE + FRAME_SIZE, true, &f, &pte), -ENOMEM);
	assert_int_equal(gstage_translate(&gs, RAM_BASE + FRAME_SIZE, &f, &pte),
			 0);
	assert_int_equal(f, held[1]);
	assert_true(pte & GPTE_COW);
	after = snap_take(&gs);
	snap_same(&before, &after);
	check1(&gs, held + 1, nheld - 1);

	/* Mapping a frame the caller already holds needs no new frame; the
	 * reference moves into the table. */
	assert_int_equal(
	    gstage_map(&gs, RAM_BASE + 3 * FRAME_SIZE, held[2], GPTE_R), 0);
	assert_int_equal(frame_refcount(pool, held[2]), 1);
	held[2] = FRAME_ZERO;
	check1(&gs, held + 1, nheld - 1);

	gstage_destroy(&gs);
	for (uint32_t i = 1; i < nheld; i++)
		if (held[i] != FRAME_ZERO)
			assert_true(frame_put(pool, held[i]));
	assert_int_equal(in_use(pool), 1);
	assert_int_equal(gstage_check(pool, NULL, 0, NULL, 0), 0);
	frame_pool_destroy(pool);
}

static bool page_is(struct gstage *gs, uint64_t gpa, int c)
{
	uint8_t buf[FRAME_SIZE];

	assert_int_equal(gmem_read(gs, gpa, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != c)
			return false;
	return true;
}

static void test_populate(void **state)
{
	(void)state;
	for (size_t m = 0; m < 2; m++) {
		struct frame_pool *pool = pool_make(4 * MIB);
		struct gstage gs;
		uint64_t pte, pte2;
		uint32_t f, f2;

		gs_make(&gs, pool, modes[m]);
		assert_int_equal(gstage_set_ram(&gs, RAM_BASE, 1 * MIB), 0);
		assert_int_equal(gstage_translate(&gs, RAM_BASE, &f, &pte),
				 -ENOENT);
		assert_int_equal(
		    gstage_fault(&gs, RAM_BASE + 5, false, &f, &pte), 0);
		assert_int_not_equal(f, FRAME_ZERO);
		assert_int_equal(pte & (GSTAGE_PERM_MASK | GPTE_COW),
				 GSTAGE_PERM_MASK);
		assert_int_equal(frame_refcount(pool, f), 1);
		assert_int_equal(gstage_translate(&gs, RAM_BASE, &f2, &pte2),
				 0);
		assert_int_equal(f2, f);
		assert_int_equal(pte2, pte);
		/* A second fault on a present page changes nothing. */
		assert_int_equal(gstage_fault(&gs, RAM_BASE, true, &f2, &pte2),
				 0);
		assert_int_equal(f2, f);
		assert_true(page_is(&gs, RAM_BASE, 0));
		assert_true(page_is(&gs, RAM_BASE + 1 * MIB - FRAME_SIZE, 0));
		assert_int_equal(gs_stats(&gs).populated, 2);
		assert_int_equal(gs_stats(&gs).leaves, 2);
		assert_int_equal(gen(&gs), 0);
		/* Just past RAM. */
		assert_int_equal(
		    gstage_fault(&gs, RAM_BASE + 1 * MIB, false, &f, &pte),
		    -EFAULT);
		assert_int_equal(
		    gstage_fault(&gs, RAM_BASE - 1, false, &f, &pte), -EFAULT);
		check1(&gs, NULL, 0);

		/* Unmapping bumps the generation; populating again reads
		 * zero even though the old frame was dirty. */
		memset(frame_ptr(pool, f), 0x77, FRAME_SIZE);
		assert_int_equal(gstage_unmap(&gs, RAM_BASE), 0);
		assert_int_equal(gen(&gs), 1);
		assert_true(page_is(&gs, RAM_BASE, 0));
		assert_int_equal(gen(&gs), 1);
		assert_int_equal(gs_stats(&gs).populated, 3);
		check1(&gs, NULL, 0);
		gstage_destroy(&gs);
		assert_int_equal(in_use(pool), 1);
		frame_pool_destroy(pool);
	}
}

struct walk_rec {
	uint64_t gpa[64];
	uint64_t pte[64];
	unsigned n;
	unsigned stop_at;
};

static int walk_record(uint64_t gpa, uint64_t pte, void *arg)
{
	struct walk_rec *w = arg;

	w->gpa[w->n] = gpa;
	w->pte[w->n] = pte;
	if (++w->n == w->stop_at)
		return 7;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_walk_order(void **state)
{
	/* Spread over different root entries, tables and slots, mapped in
	 * an order that is not ascending. */
	static const uint64_t gpas[] = {
	    (1ull << 49) + 0x5000,	 0x3000,       (1ull << 39) + 0x1000,
	    RAM_BASE + 2 * MIB,		 0x1000,       RAM_BASE,
	    (1ull << 50) - 4096,	 (1ull << 30), RAM_BASE + 4096,
	    (1ull << 39) + (1ull << 30),
	};
	const unsigned n = sizeof(gpas) / sizeof(gpas[0]);
	struct frame_pool *pool = pool_make(4 * MIB);
	struct walk_rec w = {0};
	uint64_t sorted[16], pte;
	struct gstage gs;
	uint32_t f;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(frame_alloc(pool, true, &f), 0);
		assert_int_equal(gstage_map(&gs, gpas[i], f, perms_for(i)), 0);
		sorted[i] = gpas[i];
	}
	qsort(sorted, n, sizeof(sorted[0]), cmp_u64);
	assert_int_equal(gstage_walk(&gs, walk_record, &w), 0);
	assert_int_equal(w.n, n);
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(w.gpa[i], sorted[i]);
		assert_int_equal(gstage_translate(&gs, w.gpa[i], &f, &pte), 0);
		assert_int_equal(w.pte[i], pte);
	}

	/* A nonzero return stops the walk and is passed back. */
	w = (struct walk_rec){.stop_at = 3};
	assert_int_equal(gstage_walk(&gs, walk_record, &w), 7);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.gpa[2], sorted[2]);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

/* The same frame copy-on-write in two gstages; a write breaks it. */
static void test_cow_break(void **state)
{
	(void)state;
	for (size_t m = 0; m < 2; m++) {
		struct frame_pool *pool = pool_make(4 * MIB);
		struct gstage a, b;
		uint8_t buf[FRAME_SIZE];
		uint32_t shared, fa, fb;
		uint64_t pte;

		gs_make(&a, pool, modes[m]);
		gs_make(&b, pool, modes[m]);
		assert_int_equal(frame_alloc(pool, false, &shared), 0);
		memset(frame_ptr(pool, shared), 0x11, FRAME_SIZE);
		/* W with COW means "writable once broken": stored without W. */
		assert_int_equal(gstage_map(&a, RAM_BASE, shared,
					    GPTE_R | GPTE_W | GPTE_COW),
				 0);
		frame_get(pool, shared);
		assert_int_equal(
		    gstage_map(&b, RAM_BASE, shared, GPTE_R | GPTE_COW), 0);
		assert_int_equal(frame_refcount(pool, shared), 2);
		check2(&a, &b);
		assert_int_equal(gstage_translate(&a, RAM_BASE, &fa, &pte), 0);
		assert_int_equal(fa, shared);
		assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_COW);

		uint64_t in_use0 = in_use(pool);
		assert_int_equal(gmem_write(&a, RAM_BASE + 100, "hello", 5), 0);
		assert_int_equal(gstage_translate(&a, RAM_BASE, &fa, &pte), 0);
		assert_int_not_equal(fa, shared);
		assert_int_equal(pte & (GPTE_W | GPTE_COW | GPTE_R),
				 GPTE_W | GPTE_R);
		assert_int_equal(frame_refcount(pool, shared), 1);
		assert_int_equal(frame_refcount(pool, fa), 1);
		assert_int_equal(in_use(pool), in_use0 + 1);
		assert_int_equal(gs_stats(&a).cow_copies, 1);
		assert_int_equal(gen(&a), 1);
		assert_int_equal(gen(&b), 0);

		assert_int_equal(gmem_read(&a, RAM_BASE, buf, sizeof(buf)), 0);
		assert_int_equal(buf[99], 0x11);
		assert_memory_equal(buf + 100, "hello", 5);
		assert_int_equal(buf[105], 0x11);
		assert_true(page_is(&b, RAM_BASE, 0x11));
		check2(&a, &b);

		/* b now holds the last reference: it takes the frame over. */
		assert_int_equal(gstage_fault(&b, RAM_BASE, true, &fb, &pte),
				 0);
		assert_int_equal(fb, shared);
		assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_W);
		assert_int_equal(gs_stats(&b).cow_takeovers, 1);
		assert_int_equal(gs_stats(&b).cow_copies, 0);
		assert_int_equal(gen(&b), 0);
		assert_int_equal(gmem_write(&b, RAM_BASE, "B", 1), 0);
		assert_int_equal(gmem_read(&a, RAM_BASE, buf, 1), 0);
		assert_int_equal(buf[0], 0x11);
		assert_int_equal(in_use(pool), in_use0 + 1);
		check2(&a, &b);

		gstage_destroy(&a);
		check1(&b, NULL, 0);
		gstage_destroy(&b);
		assert_int_equal(in_use(pool), 1);
		frame_pool_destroy(pool);
	}
}

static void test_cow_takeover(void **state)
{
	struct frame_pool *pool = pool_make(4 * MIB);
	struct gstage gs;
	uint32_t own, f;
	uint64_t pte;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	assert_int_equal(frame_alloc(pool, false, &own), 0);
	memset(frame_ptr(pool, own), 0x42, FRAME_SIZE);
	assert_int_equal(gstage_map(&gs, RAM_BASE, own, GPTE_R | GPTE_COW), 0);
	uint64_t in_use0 = in_use(pool);
	assert_int_equal(gmem_fill(&gs, RAM_BASE + 8, 0x43, 8), 0);
	assert_int_equal(gstage_translate(&gs, RAM_BASE, &f, &pte), 0);
	assert_int_equal(f, own);
	assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_W);
	assert_int_equal(gs_stats(&gs).cow_takeovers, 1);
	assert_int_equal(gs_stats(&gs).cow_copies, 0);
	assert_int_equal(in_use(pool), in_use0);
	assert_int_equal(((uint8_t *)frame_ptr(pool, own))[7], 0x42);
	assert_int_equal(((uint8_t *)frame_ptr(pool, own))[8], 0x43);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

static void test_cow_zero_frame(void **state)
{
	struct frame_pool *pool = pool_make(4 * MIB);
	struct gstage gs;
	uint32_t f;
	uint64_t pte;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	assert_int_equal(
	    gstage_map(&gs, RAM_BASE, FRAME_ZERO, GPTE_R | GPTE_COW), 0);
	assert_int_equal(
	    gstage_map(&gs, RAM_BASE + FRAME_SIZE, FRAME_ZERO, GPTE_R), 0);
	assert_true(page_is(&gs, RAM_BASE, 0));
	check1(&gs, NULL, 0);
	assert_int_equal(gmem_write(&gs, RAM_BASE + 1, "z", 1), 0);
	assert_int_equal(gstage_translate(&gs, RAM_BASE, &f, &pte), 0);
	assert_int_not_equal(f, FRAME_ZERO);
	assert_true(pte & GPTE_W);
	assert_int_equal(((uint8_t *)frame_ptr(pool, f))[0], 0);
	assert_int_equal(((uint8_t *)frame_ptr(pool, f))[1], 'z');
	assert_int_equal(((uint8_t *)frame_ptr(pool, f))[2], 0);
	assert_true(page_is(&gs, RAM_BASE + FRAME_SIZE, 0));
	assert_int_equal(gs_stats(&gs).cow_copies, 1);
	assert_int_equal(gen(&gs), 1);
	/* Read-only zero frame, not copy-on-write: a write is refused. */
	assert_int_equal(gmem_write(&gs, RAM_BASE + FRAME_SIZE, "z", 1),
			 -EACCES);
	assert_int_equal(frame_refcount(pool, FRAME_ZERO), 1);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

/* gstage_check must notice what it claims to check. */
static void test_check_detects(void **state)
{
	struct frame_pool *pool = pool_make(4 * MIB);
	struct gstage a, b;
	struct gstage *const both[] = {&a, &b};
	struct gstage *const only_a[] = {&a};
	_Atomic uint64_t *ra, *rb;
	uint32_t f, lost;

	(void)state;
	gs_make(&a, pool, GSTAGE_SV48X4);
	gs_make(&b, pool, GSTAGE_SV48X4);
	assert_int_equal(frame_alloc(pool, false, &f), 0);
	assert_int_equal(gstage_map(&a, RAM_BASE, f, GPTE_R | GPTE_W), 0);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), 0);

	/* An extra reference nobody declares. */
	frame_get(pool, f);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), -EUCLEAN);
	/* Declared, but the frame is then shared and still writable. */
	assert_int_equal(gstage_check(pool, both, 2, &f, 1), -EUCLEAN);
	frame_put(pool, f);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), 0);

	/* A leaked frame. */
	assert_int_equal(frame_alloc(pool, false, &lost), 0);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), -EUCLEAN);
	assert_int_equal(gstage_check(pool, both, 2, &lost, 1), 0);
	frame_put(pool, lost);

	/* b points at a's table without GPTE_SHARED. */
	ra = frame_ptr(pool, a.root);
	rb = frame_ptr(pool, b.root);
	uint64_t e = atomic_load(&ra[0]);
	frame_get(pool, pte_frame(e));
	atomic_store(&rb[0], e);
	atomic_fetch_add(&b.stats.tables, 3);
	atomic_fetch_add(&b.stats.leaves, 1);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), -EUCLEAN);
	atomic_fetch_or(&ra[0], GPTE_SHARED);
	atomic_fetch_or(&rb[0], GPTE_SHARED);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), 0);
	/* Leaving a gstage out shows up as unexplained references. */
	assert_int_equal(gstage_check(pool, only_a, 1, NULL, 0), -EUCLEAN);
	/* Stats must match what is reachable. */
	atomic_fetch_add(&b.stats.leaves, 1);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), -EUCLEAN);
	atomic_fetch_sub(&b.stats.leaves, 1);
	assert_int_equal(gstage_check(pool, both, 2, NULL, 0), 0);

	gstage_destroy(&b);
	check1(&a, NULL, 0);
	gstage_destroy(&a);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

/*
 * Share a's subtree under root entry 0 with b by hand, as a lazy clone
 * would: one more reference on the level-2 table, GPTE_SHARED on both
 * pointers. a maps P1, P2 (one level-0 table) and P3 (another).
 */
#define P1 (RAM_BASE)
#define P2 (RAM_BASE + FRAME_SIZE)
#define P3 (RAM_BASE + 2 * MIB)

static void share_root_entry(struct gstage *a, struct gstage *b)
{
	_Atomic uint64_t *ra = frame_ptr(a->pool, a->root);
	_Atomic uint64_t *rb = frame_ptr(b->pool, b->root);
	uint64_t e = atomic_load(&ra[0]);

	assert_true(e & GPTE_V);
	frame_get(a->pool, pte_frame(e));
	atomic_store(&ra[0], e | GPTE_SHARED);
	atomic_store(&rb[0], e | GPTE_SHARED);
	/* b now reaches a's level-2, level-1 and two level-0 tables. */
	atomic_fetch_add(&b->stats.tables, 4);
	atomic_fetch_add(&b->stats.leaves, 3);
}

static void setup_shared(struct frame_pool **pool, struct gstage *a,
			 struct gstage *b)
{
	*pool = pool_make(4 * MIB);
	gs_make(a, *pool, GSTAGE_SV48X4);
	gs_make(b, *pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(a, RAM_BASE, 16 * MIB), 0);
	assert_int_equal(gstage_set_ram(b, RAM_BASE, 16 * MIB), 0);
	assert_int_equal(gmem_fill(a, P1, 0x01, FRAME_SIZE), 0);
	assert_int_equal(gmem_fill(a, P2, 0x02, FRAME_SIZE), 0);
	assert_int_equal(gmem_fill(a, P3, 0x03, FRAME_SIZE), 0);
	assert_int_equal(gs_stats(a).tables, 8);
	share_root_entry(a, b);
	check2(a, b);
}

static uint32_t frame_at(struct gstage *gs, uint64_t gpa, uint64_t *pte)
{
	uint32_t f;
	uint64_t e;

	assert_int_equal(gstage_translate(gs, gpa, &f, &e), 0);
	if (pte)
		*pte = e;
	return f;
}

static void test_shared_table_replication(void **state)
{
	struct frame_pool *pool;
	struct gstage a, b;
	uint32_t a1, a2, a3;
	uint64_t pte, used;

	(void)state;
	setup_shared(&pool, &a, &b);
	a1 = frame_at(&a, P1, &pte);
	/* Below a shared table, writable reads as copy-on-write, for both. */
	assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_COW);
	assert_int_equal(frame_at(&b, P1, &pte), a1);
	assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_COW);
	a2 = frame_at(&a, P2, NULL);
	a3 = frame_at(&a, P3, NULL);
	assert_true(page_is(&b, P2, 0x02));

	/* b writes P1: it replicates the level-2, level-1 and P1's level-0
	 * table (three new frames), then copies P1 (one more). */
	used = in_use(pool);
	assert_int_equal(gmem_write(&b, P1, "b", 1), 0);
	assert_int_equal(in_use(pool), used + 4);
	assert_int_not_equal(frame_at(&b, P1, NULL), a1);
	assert_true(page_is(&a, P1, 0x01));
	assert_int_equal(frame_at(&b, P2, NULL), a2);
	assert_int_equal(frame_refcount(pool, a2), 2);
	assert_int_equal(frame_at(&b, P3, NULL), a3);
	assert_int_equal(frame_refcount(pool, a3), 1);
	assert_int_equal(gs_stats(&b).tables, 8);
	assert_int_equal(gs_stats(&b).leaves, 3);
	assert_int_equal(gs_stats(&b).cow_copies, 1);
	assert_int_equal(gen(&a), 0);
	check2(&a, &b);

	/* a writes P1: every table on its path is now its own (refcount 1),
	 * so it takes them over, and P1 too: no new frame. */
	used = in_use(pool);
	assert_int_equal(gmem_write(&a, P1, "a", 1), 0);
	assert_int_equal(in_use(pool), used);
	assert_int_equal(frame_at(&a, P1, &pte), a1);
	assert_int_equal(pte & (GPTE_W | GPTE_COW), GPTE_W);
	assert_int_equal(gs_stats(&a).cow_takeovers, 1);
	assert_int_equal(gs_stats(&a).cow_copies, 0);
	check2(&a, &b);

	/* a writes P2, still shared with b's copy of the table: a copy. */
	assert_int_equal(gmem_write(&a, P2, "a", 1), 0);
	assert_int_not_equal(frame_at(&a, P2, NULL), a2);
	assert_true(page_is(&b, P2, 0x02));
	assert_int_equal(gs_stats(&a).cow_copies, 1);
	check2(&a, &b);

	/* b writes P3, whose level-0 table is still shared. */
	used = in_use(pool);
	assert_int_equal(gmem_write(&b, P3, "b", 1), 0);
	assert_int_equal(in_use(pool), used + 2);
	assert_true(page_is(&a, P3, 0x03));
	check2(&a, &b);

	/* a unmaps P3: b keeps its copy. */
	assert_int_equal(gstage_unmap(&a, P3), 0);
	assert_int_equal(gstage_translate(&a, P3, &a3, &pte), -ENOENT);
	uint8_t c;
	assert_int_equal(gmem_read(&b, P3, &c, 1), 0);
	assert_int_equal(c, 'b');
	check2(&a, &b);

	gstage_destroy(&a);
	check1(&b, NULL, 0);
	assert_int_equal(gmem_read(&b, P2 + 1, &c, 1), 0);
	assert_int_equal(c, 0x02);
	gstage_destroy(&b);
	assert_int_equal(in_use(pool), 1);
	assert_int_equal(gstage_check(pool, NULL, 0, NULL, 0), 0);
	frame_pool_destroy(pool);
}

/* Unmapping below a shared table replicates the path first. */
static void test_shared_table_unmap(void **state)
{
	struct frame_pool *pool;
	struct gstage a, b;
	uint64_t pte, used;
	uint32_t f;

	(void)state;
	setup_shared(&pool, &a, &b);
	used = in_use(pool);
	assert_int_equal(gstage_unmap(&b, P2), 0);
	assert_int_equal(in_use(pool), used + 3);
	assert_int_equal(gstage_translate(&b, P2, &f, &pte), -ENOENT);
	assert_true(page_is(&a, P2, 0x02));
	assert_int_equal(gen(&b), 1);
	assert_int_equal(gen(&a), 0);
	assert_int_equal(gs_stats(&b).leaves, 2);
	assert_int_equal(gs_stats(&a).leaves, 3);
	check2(&a, &b);
	gstage_destroy(&b);
	assert_int_equal(in_use(pool), used - 4);
	check1(&a, NULL, 0);
	gstage_destroy(&a);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

/* Destroying one sharer drops only its references. */
static void test_shared_table_destroy(void **state)
{
	struct frame_pool *pool;
	struct gstage a, b;
	uint64_t used;

	(void)state;
	setup_shared(&pool, &a, &b);
	used = in_use(pool);
	gstage_destroy(&a);
	assert_int_equal(in_use(pool), used - 4);
	check1(&b, NULL, 0);
	assert_true(page_is(&b, P3, 0x03));
	/* b is the last holder: a write takes everything over. */
	assert_int_equal(gmem_write(&b, P1, "b", 1), 0);
	assert_int_equal(in_use(pool), used - 4);
	assert_int_equal(gs_stats(&b).cow_takeovers, 1);
	check1(&b, NULL, 0);
	gstage_destroy(&b);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init),
	    cmocka_unit_test(test_init_pool_too_small),
	    cmocka_unit_test(test_map_1gib_sv39x4),
	    cmocka_unit_test(test_map_1gib_sv48x4),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_out_of_memory),
	    cmocka_unit_test(test_populate),
	    cmocka_unit_test(test_walk_order),
	    cmocka_unit_test(test_cow_break),
	    cmocka_unit_test(test_cow_takeover),
	    cmocka_unit_test(test_cow_zero_frame),
	    cmocka_unit_test(test_check_detects),
	    cmocka_unit_test(test_shared_table_replication),
	    cmocka_unit_test(test_shared_table_unmap),
	    cmocka_unit_test(test_shared_table_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
