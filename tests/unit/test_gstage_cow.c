/* SPDX-License-Identifier: MIT */
/* Unit tests for mem/gstage: copy-on-write, shared tables, gstage_check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"

static const enum gstage_mode modes[] = {GSTAGE_SV39X4, GSTAGE_SV48X4};

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
	print_message("test_check_detects: the gstage_check violations "
		      "printed next are provoked on purpose\n");
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

	/* b writes P1: it replicates the level-2, level-1 and P1's level-0
	 * table (three new frames), then copies P1 (one more). */
	used = in_use(pool);
	assert_int_equal(gmem_write(&b, P1, "b", 1), 0);
	assert_int_equal(in_use(pool), used + 4);
	assert_int_not_equal(frame_at(&b, P1, NULL), a1);
	assert_true(page_is(&a, P1, 0x01));
	assert_int_equal(frame_at(&b, P2, NULL), a2);
	assert_int_equal(frame_refcount(pool, a2), 2);
	assert_true(page_is(&b, P2, 0x02));
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
	/* b is the last holder: a write takes everything over. */
	assert_int_equal(gmem_write(&b, P1, "b", 1), 0);
	assert_int_equal(in_use(pool), used - 4);
	assert_int_equal(gs_stats(&b).cow_takeovers, 1);
	assert_true(page_is(&b, P3, 0x03));
	check1(&b, NULL, 0);
	gstage_destroy(&b);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
