/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mem/gstage_share: free pages onto the zero frame, pages of
 * equal contents onto one frame; alone, across clones, and on bad input.
 * gstage_check() runs after every scenario.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"

#define RAM_SIZE (64 * MIB)
#define NPAGES	 1024 /* the pages each test writes: 4 MiB */

/* Page i holds the byte (i * 7 + seed) everywhere. */
static void fill(struct gstage *gs, unsigned first, unsigned n, uint8_t seed)
{
	static uint8_t page[FRAME_SIZE];

	for (unsigned i = first; i < first + n; i++) {
		memset(page, (uint8_t)(i * 7 + seed), sizeof(page));
		assert_int_equal(gmem_write(gs,
					    RAM_BASE + (uint64_t)i * FRAME_SIZE,
					    page, sizeof(page)),
				 0);
	}
}

/* Byte 0 and byte 4095 of page i (reads never populate in gmem). */
static void expect_page(struct gstage *gs, unsigned i, uint8_t want)
{
	uint8_t b[2];
	uint64_t gpa = RAM_BASE + (uint64_t)i * FRAME_SIZE;

	assert_int_equal(gmem_read(gs, gpa, &b[0], 1), 0);
	assert_int_equal(gmem_read(gs, gpa + FRAME_SIZE - 1, &b[1], 1), 0);
	if (b[0] != want || b[1] != want)
		fail_msg("page %u reads %02x/%02x, want %02x", i, b[0], b[1],
			 want);
}

static uint32_t frame_at(struct gstage *gs, unsigned i)
{
	uint32_t f;
	uint64_t pte;

	assert_int_equal(
	    gstage_translate(gs, RAM_BASE + (uint64_t)i * FRAME_SIZE, &f, &pte),
	    0);
	return f;
}

/* share_zero(), then drop what it took out: *released gets the
 * frames that became free. */
static int share_zero(struct gstage *gs, uint64_t gpa, uint64_t npages,
		      uint64_t *shared, uint64_t *released)
{
	struct frame_vec dropped = {0};
	uint64_t gen0 = gen(gs);
	int r = gstage_share_zero(gs, gpa, npages, &dropped, shared);

	if (dropped.n)
		assert_true(gen(gs) > gen0);
	*released += frame_put_vec(gs->pool, &dropped);
	assert_int_equal(dropped.n, 0);
	frame_vec_free(&dropped);
	return r;
}

static void test_share_zero(void **state)
{
	struct frame_pool *pool = pool_make(128 * MIB);
	struct gstage gs;
	uint64_t shared = 0, released = 0, before, gen0;
	struct gstage_stats st;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(&gs, RAM_BASE, RAM_SIZE), 0);
	fill(&gs, 0, NPAGES, 1);
	before = in_use(pool);
	gen0 = gen(&gs);

	/* Share the middle half; leave a quarter on each side. */
	assert_int_equal(share_zero(&gs, RAM_BASE + 256 * FRAME_SIZE, 512,
				    &shared, &released),
			 0);
	assert_int_equal(shared, 512);
	assert_int_equal(released, 512);
	assert_int_equal(in_use(pool), before - 512);
	assert_true(gen(&gs) > gen0);
	for (unsigned i = 0; i < NPAGES; i += 17)
		expect_page(&gs, i,
			    i >= 256 && i < 768 ? 0 : (uint8_t)(i * 7 + 1));
	assert_int_equal(frame_at(&gs, 300), FRAME_ZERO);
	gstage_get_stats(&gs, &st);
	assert_int_equal(st.zero_shared, 512);
	check1(&gs, NULL, 0);

	/* Again: nothing more to share; never-touched pages stay unmapped. */
	shared = released = 0;
	assert_int_equal(share_zero(&gs, RAM_BASE, 4096, &shared, &released),
			 0);
	assert_int_equal(shared, 512); /* the two quarters left */
	uint32_t f;
	uint64_t pte;
	assert_int_equal(
	    gstage_translate(&gs, RAM_BASE + 2000 * FRAME_SIZE, &f, &pte),
	    -ENOENT);

	/* The guest writes a shared page: a fresh frame of its own, zeroed
	 * but for what it wrote. */
	uint8_t x = 0xab;
	assert_int_equal(
	    gmem_write(&gs, RAM_BASE + 300 * FRAME_SIZE + 5, &x, 1), 0);
	assert_true(frame_at(&gs, 300) != FRAME_ZERO);
	assert_int_equal(gmem_read(&gs, RAM_BASE + 300 * FRAME_SIZE + 5, &x, 1),
			 0);
	assert_int_equal(x, 0xab);
	expect_page(&gs, 301, 0);
	check1(&gs, NULL, 0);

	gstage_destroy(&gs);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

static void test_share_zero_bad_input(void **state)
{
	struct frame_pool *pool = pool_make(16 * MIB);
	struct gstage gs;
	uint64_t shared = 0, released = 0;

	(void)state;
	gs_make(&gs, pool, GSTAGE_SV39X4);
	assert_int_equal(gstage_set_ram(&gs, RAM_BASE, 4 * MIB), 0);
	fill(&gs, 0, 16, 3);
	assert_int_equal(share_zero(&gs, RAM_BASE + 1, 1, &shared, &released),
			 -EINVAL);
	assert_int_equal(
	    share_zero(&gs, RAM_BASE - FRAME_SIZE, 2, &shared, &released),
	    -ERANGE);
	assert_int_equal(share_zero(&gs, RAM_BASE, 1025, &shared, &released),
			 -ERANGE);
	assert_int_equal(
	    share_zero(&gs, RAM_BASE, UINT64_MAX / 4096, &shared, &released),
	    -EINVAL);
	assert_int_equal(shared + released, 0);
	expect_page(&gs, 5, 5 * 7 + 3);
	check1(&gs, NULL, 0);
	gstage_destroy(&gs);
	frame_pool_destroy(pool);
}

/* A clone and its parent share pages: sharing in one leaves the other's
 * data alone, and frees a frame only when no one holds it any more. */
static void test_share_zero_clones(void **state)
{
	struct frame_pool *pool = pool_make(128 * MIB);
	struct gstage parent, clone;
	uint64_t shared = 0, released = 0;

	(void)state;
	for (unsigned eager = 1; eager <= 4; eager++) {
		gs_make(&parent, pool, GSTAGE_SV48X4);
		assert_int_equal(gstage_set_ram(&parent, RAM_BASE, RAM_SIZE),
				 0);
		fill(&parent, 0, NPAGES, 9);
		assert_int_equal(gstage_clone(&clone, &parent, eager), 0);

		/* The clone frees its first half: nothing is released (the
		 * parent still holds those frames), the parent reads its
		 * data. */
		shared = released = 0;
		assert_int_equal(
		    share_zero(&clone, RAM_BASE, 512, &shared, &released), 0);
		assert_int_equal(shared, 512);
		assert_int_equal(released, 0);
		expect_page(&parent, 10, 10 * 7 + 9);
		expect_page(&clone, 10, 0);
		expect_page(&clone, 600, (uint8_t)(600 * 7 + 9));
		check2(&parent, &clone);

		/* The parent frees the same half: now the frames go. */
		shared = released = 0;
		assert_int_equal(
		    share_zero(&parent, RAM_BASE, 512, &shared, &released), 0);
		assert_int_equal(shared, 512);
		assert_int_equal(released, 512);
		check2(&parent, &clone);

		/* A clone of a clone inherits its zero pages. */
		struct gstage grand;
		assert_int_equal(gstage_clone(&grand, &clone, 1), 0);
		expect_page(&grand, 10, 0);
		expect_page(&grand, 700, (uint8_t)(700 * 7 + 9));
		struct gstage *const all[] = {&parent, &clone, &grand};
		assert_int_equal(gstage_check(pool, all, 3, NULL, 0), 0);

		gstage_destroy(&grand);
		gstage_destroy(&parent);
		gstage_destroy(&clone);
		assert_int_equal(in_use(pool), 1);
	}
	frame_pool_destroy(pool);
}

static void test_share_frame(void **state)
{
	struct frame_pool *pool = pool_make(64 * MIB);
	struct gstage a, b;
	uint32_t fa, fb, f;
	struct frame_vec dropped = {0};
	uint8_t x;

	(void)state;
	gs_make(&a, pool, GSTAGE_SV48X4);
	gs_make(&b, pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(&a, RAM_BASE, RAM_SIZE), 0);
	assert_int_equal(gstage_set_ram(&b, RAM_BASE, RAM_SIZE), 0);
	fill(&a, 0, 8, 4);
	fill(&b, 0, 8, 4); /* the same contents, other frames */
	fa = frame_at(&a, 3);
	fb = frame_at(&b, 3);
	assert_true(fa != fb);

	/* Merge b's page 3 onto a's frame. */
	assert_int_equal(
	    gstage_write_protect(&a, RAM_BASE + 3 * FRAME_SIZE, &f), 0);
	assert_int_equal(f, fa);
	assert_int_equal(
	    gstage_share_frame(&b, RAM_BASE + 3 * FRAME_SIZE, fa, fb, &dropped),
	    0);
	assert_int_equal(dropped.n, 1);
	assert_int_equal(frame_put_vec(pool, &dropped), 1);
	assert_int_equal(frame_at(&b, 3), fa);
	assert_int_equal(frame_refcount(pool, fa), 2);
	check2(&a, &b);

	/* A stale expectation changes nothing. */
	assert_int_equal(
	    gstage_share_frame(&b, RAM_BASE + 4 * FRAME_SIZE, fa, fb, &dropped),
	    -ESTALE);
	assert_int_equal(dropped.n, 0);
	/* Not a data page (never written). */
	assert_int_equal(
	    gstage_write_protect(&a, RAM_BASE + 100 * FRAME_SIZE, &f), -ENOENT);

	/* Writes break the sharing: each side sees only its own. */
	x = 0x11;
	assert_int_equal(gmem_write(&a, RAM_BASE + 3 * FRAME_SIZE, &x, 1), 0);
	x = 0x22;
	assert_int_equal(gmem_write(&b, RAM_BASE + 3 * FRAME_SIZE + 1, &x, 1),
			 0);
	assert_int_equal(gmem_read(&a, RAM_BASE + 3 * FRAME_SIZE + 1, &x, 1),
			 0);
	assert_int_equal(x, (uint8_t)(3 * 7 + 4));
	assert_int_equal(gmem_read(&b, RAM_BASE + 3 * FRAME_SIZE, &x, 1), 0);
	assert_int_equal(x, (uint8_t)(3 * 7 + 4));
	check2(&a, &b);

	gstage_destroy(&a);
	gstage_destroy(&b);
	frame_vec_free(&dropped);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

/* Several ranges at once (free-page hints in a batch): one lock, one
 * generation change, a bad range refused on its own, across a clone. */
static void test_share_zero_ranges(void **state)
{
	struct frame_pool *pool = pool_make(128 * MIB);
	struct frame_vec dropped = {0};
	struct gstage a, b;
	uint64_t gen0, before;

	(void)state;
	gs_make(&a, pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(&a, RAM_BASE, RAM_SIZE), 0);
	fill(&a, 0, NPAGES, 3);
	assert_int_equal(gstage_clone(&b, &a, 1), 0);
	/* b writes pages 0..9: they are b's own now, a keeps its frames. */
	fill(&b, 0, 10, 9);
	before = in_use(pool);
	gen0 = gen(&a);

	struct gstage_range r[] = {
	    {.gpa = RAM_BASE, .npages = 4},		       /* a's, shared */
	    {.gpa = RAM_BASE + 5, .npages = 1},		       /* unaligned */
	    {.gpa = RAM_BASE + 600 * FRAME_SIZE, .npages = 2}, /* shared */
	    {.gpa = RAM_BASE + RAM_SIZE - FRAME_SIZE, .npages = 2}, /* past */
	    {.gpa = RAM_BASE + 2000 * FRAME_SIZE, .npages = 8}, /* untouched */
	    {.gpa = RAM_BASE, .npages = 1}, /* again: on the zero frame */
	};
	assert_int_equal(
	    gstage_share_zero_ranges(&a, r, sizeof(r) / sizeof(r[0]), &dropped),
	    0);
	assert_int_equal(r[0].err, 0);
	assert_int_equal(r[0].shared, 4);
	assert_int_equal(r[1].err, -EINVAL);
	assert_int_equal(r[1].shared, 0);
	assert_int_equal(r[2].err, 0);
	assert_int_equal(r[2].shared, 2);
	assert_int_equal(r[3].err, -ERANGE);
	assert_int_equal(r[4].err, 0);
	assert_int_equal(r[4].shared, 0);
	assert_int_equal(r[5].shared, 0);
	assert_int_equal(gen(&a), gen0 + 1);
	assert_int_equal(dropped.n, 6);
	assert_int_equal(gs_stats(&a).zero_shared, 6);
	/* Pages 0..3 were a's alone (b copied them): freed. Pages 600 and
	 * 601 are still b's: one reference less, nothing freed; the table
	 * of pages 512..1023 was replicated into a on the way, as for a
	 * write. */
	assert_int_equal(frame_put_vec(pool, &dropped), 4);
	assert_int_equal(in_use(pool), before - 4 + 1);
	assert_int_equal(gs_stats(&a).replications, 1);
	for (unsigned i = 0; i < 4; i++)
		expect_page(&a, i, 0);
	expect_page(&a, 4, (uint8_t)(4 * 7 + 3));
	expect_page(&a, 600, 0);
	expect_page(&b, 600, (uint8_t)(600 * 7 + 3));
	expect_page(&b, 601, (uint8_t)(601 * 7 + 3));
	expect_page(&b, 0, (uint8_t)(0 * 7 + 9));
	check2(&a, &b);

	/* Nothing to do: no generation change. */
	gen0 = gen(&a);
	assert_int_equal(gstage_share_zero_ranges(&a, r, 1, &dropped), 0);
	assert_int_equal(gen(&a), gen0);
	assert_int_equal(gstage_share_zero_ranges(&a, r, 0, &dropped), 0);

	gstage_destroy(&a);
	gstage_destroy(&b);
	frame_vec_free(&dropped);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_share_zero),
	    cmocka_unit_test(test_share_zero_bad_input),
	    cmocka_unit_test(test_share_zero_ranges),
	    cmocka_unit_test(test_share_zero_clones),
	    cmocka_unit_test(test_share_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
