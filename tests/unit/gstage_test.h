/* SPDX-License-Identifier: MIT */
/* Helpers shared by the G-stage unit tests (cmocka assertions inside). */
#ifndef MEMVISOR_TESTS_GSTAGE_TEST_H
#define MEMVISOR_TESTS_GSTAGE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mem/gmem.h"
#include "mem/gstage.h"

#define KIB	 1024ull
#define MIB	 (1024 * KIB)
#define GIB	 (1024 * MIB)
#define RAM_BASE (2 * GIB)

static inline struct frame_pool *pool_make(size_t bytes)
{
	struct frame_pool *pool = NULL;

	assert_int_equal(frame_pool_create(bytes, &pool), 0);
	return pool;
}

static inline void gs_make(struct gstage *gs, struct frame_pool *pool,
			   enum gstage_mode mode)
{
	assert_int_equal(gstage_init(gs, pool, mode), 0);
}

static inline uint64_t in_use(const struct frame_pool *pool)
{
	struct frame_stats st;

	frame_stats(pool, &st);
	return st.in_use;
}

static inline struct gstage_stats gs_stats(const struct gstage *gs)
{
	struct gstage_stats st;

	gstage_get_stats(gs, &st);
	return st;
}

static inline uint64_t gen(const struct gstage *gs)
{
	return atomic_load(&gs->generation);
}

static inline uint32_t pte_frame(uint64_t pte)
{
	return (uint32_t)((pte & GPTE_PPN_MASK) >> GPTE_PPN_SHIFT);
}

static inline void check1(struct gstage *gs, const uint32_t *extra,
			  size_t nextra)
{
	struct gstage *const all[] = {gs};

	assert_int_equal(gstage_check(gs->pool, all, 1, extra, nextra), 0);
}

static inline void check2(struct gstage *a, struct gstage *b)
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

static inline struct snap snap_take(const struct gstage *gs)
{
	struct snap s;

	frame_stats(gs->pool, &s.fs);
	gstage_get_stats(gs, &s.gs);
	s.generation = gen(gs);
	return s;
}

static inline void snap_same(const struct snap *a, const struct snap *b)
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

static inline bool page_is(struct gstage *gs, uint64_t gpa, int c)
{
	uint8_t buf[FRAME_SIZE];

	assert_int_equal(gmem_read(gs, gpa, buf, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		if (buf[i] != c)
			return false;
	return true;
}

#endif
