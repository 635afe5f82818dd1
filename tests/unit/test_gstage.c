/* SPDX-License-Identifier: MIT */
/* Unit tests for mem/gstage: tables, refcounts, bad input, populate. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"

static const enum gstage_mode modes[] = {GSTAGE_SV39X4, GSTAGE_SV48X4};

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

/* gstage_translate() runs lock-free while another thread maps and unmaps. */
#define RACE_PAGES  32
#define RACE_ROUNDS 2000

struct race {
	struct gstage *gs;
	uint32_t frames[RACE_PAGES];
	_Atomic bool stop;
	_Atomic unsigned passes;
	unsigned bad;
	uint64_t hits;
};

static uint64_t race_gpa(unsigned i)
{
	/* Each page in its own level-0 table, some in their own level-1. */
	return RAM_BASE + i * (2 * MIB + FRAME_SIZE) + (i % 4) * GIB;
}

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	uint64_t pte;
	uint32_t f;
	int r;

	while (!atomic_load(&rc->stop)) {
		for (unsigned i = 0; i < RACE_PAGES; i++) {
			r = gstage_translate(rc->gs, race_gpa(i), &f, &pte);
			if (r == -ENOENT)
				continue;
			if (r || f != rc->frames[i] || !(pte & GPTE_V) ||
			    (pte & GSTAGE_PERM_MASK) != (GPTE_R | GPTE_W) ||
			    *(uint64_t *)frame_ptr(rc->gs->pool, f) !=
				race_gpa(i))
				rc->bad++;
			else
				rc->hits++;
		}
		atomic_fetch_add(&rc->passes, 1);
	}
	return NULL;
}

static void test_translate_during_changes(void **state)
{
	struct frame_pool *pool = pool_make(4 * MIB);
	struct race rc = {0};
	struct gstage gs;
	unsigned round;
	pthread_t th;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	rc.gs = &gs;
	for (unsigned i = 0; i < RACE_PAGES; i++) {
		assert_int_equal(frame_alloc(pool, false, &rc.frames[i]), 0);
		*(uint64_t *)frame_ptr(pool, rc.frames[i]) = race_gpa(i);
	}
	/* Even pages stay mapped throughout, so the reader must hit them;
	 * odd pages come and go, their frames kept by our reference. */
	for (unsigned i = 0; i < RACE_PAGES; i += 2)
		assert_int_equal(
		    gstage_map(&gs, race_gpa(i), rc.frames[i], GPTE_R | GPTE_W),
		    0);
	assert_int_equal(pthread_create(&th, NULL, race_reader, &rc), 0);
	/* Go on until the reader has walked the pages often enough, however
	 * the two threads get scheduled. */
	for (round = 0;
	     round < RACE_ROUNDS || atomic_load(&rc.passes) < RACE_ROUNDS / 10;
	     round++) {
		for (unsigned i = 1; i < RACE_PAGES; i += 2) {
			frame_get(pool, rc.frames[i]);
			assert_int_equal(gstage_map(&gs, race_gpa(i),
						    rc.frames[i],
						    GPTE_R | GPTE_W),
					 0);
		}
		for (unsigned i = 1; i < RACE_PAGES; i += 2)
			assert_int_equal(gstage_unmap(&gs, race_gpa(i)), 0);
	}
	atomic_store(&rc.stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(rc.bad, 0);
	assert_true(rc.hits > 0);
	assert_int_equal(gen(&gs), (uint64_t)round * RACE_PAGES / 2);
	for (unsigned i = 0; i < RACE_PAGES / 2; i++)
		rc.frames[i] = rc.frames[2 * i + 1];
	check1(&gs, rc.frames, RACE_PAGES / 2);
	gstage_destroy(&gs);
	for (unsigned i = 0; i < RACE_PAGES / 2; i++)
		assert_true(frame_put(pool, rc.frames[i]));
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
	    cmocka_unit_test(test_translate_during_changes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
