/* SPDX-License-Identifier: MIT */
/* Unit tests for mem/gmem: the checked guest-physical accessor. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1 * MIB)

struct fixture {
	struct frame_pool *pool;
	struct gstage gs;
};

static int fixture_setup(void **state)
{
	static struct fixture fx;

	if (frame_pool_create(8 * MIB, &fx.pool))
		return -1;
	if (gstage_init(&fx.gs, fx.pool, GSTAGE_SV48X4))
		return -1;
	if (gstage_set_ram(&fx.gs, RAM_BASE, RAM_SIZE))
		return -1;
	*state = &fx;
	return 0;
}

/* Every scenario must leave the tables and refcounts consistent. */
static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	struct gstage *const all[] = {&fx->gs};
	struct frame_stats st;
	int r = gstage_check(fx->pool, all, 1, NULL, 0);

	gstage_destroy(&fx->gs);
	frame_stats(fx->pool, &st);
	if (st.in_use != 1)
		r = -1;
	frame_pool_destroy(fx->pool);
	return r;
}

static void check(struct fixture *fx)
{
	struct gstage *const all[] = {&fx->gs};

	assert_int_equal(gstage_check(fx->pool, all, 1, NULL, 0), 0);
}

/* The frame whose host memory holds p. */
static uint32_t frame_holding(const void *p, const struct fixture *fx)
{
	uint32_t f = 0;

	assert_int_equal(frame_of_ptr(fx->pool, p, &f), 0);
	return f;
}

static struct gstage_stats stats(const struct fixture *fx)
{
	struct gstage_stats st;

	gstage_get_stats(&fx->gs, &st);
	return st;
}

static void test_roundtrip_across_pages(void **state)
{
	struct fixture *fx = *state;
	uint8_t in[3 * FRAME_SIZE], out[sizeof(in)];
	const uint64_t gpa = RAM_BASE + FRAME_SIZE - 100;

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(gmem_write(&fx->gs, gpa, in, sizeof(in)), 0);
	/* An unaligned range over three pages touches four. */
	assert_int_equal(stats(fx).populated, 4);
	memset(out, 0, sizeof(out));
	assert_int_equal(gmem_read(&fx->gs, gpa, out, sizeof(out)), 0);
	assert_memory_equal(in, out, sizeof(in));
	/* The bytes around the range were populated as zero. */
	assert_int_equal(gmem_read(&fx->gs, gpa - 1, out, 1), 0);
	assert_int_equal(out[0], 0);
	assert_int_equal(gmem_read(&fx->gs, gpa + sizeof(in), out, 1), 0);
	assert_int_equal(out[0], 0);
	check(fx);
}

static void test_read_populates_zero(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[256];

	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + RAM_SIZE - sizeof(buf),
				   buf, sizeof(buf)),
			 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(stats(fx).populated, 1);
	assert_int_equal(atomic_load(&fx->gs.generation), 0);
	check(fx);
}

static void test_fill(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[FRAME_SIZE + 2];

	assert_int_equal(gmem_fill(&fx->gs, RAM_BASE + 10, 0xab, FRAME_SIZE),
			 0);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 9, buf, sizeof(buf)), 0);
	assert_int_equal(buf[0], 0);
	for (size_t i = 1; i <= FRAME_SIZE; i++)
		assert_int_equal(buf[i], 0xab);
	assert_int_equal(buf[FRAME_SIZE + 1], 0);
	check(fx);
}

static void test_zero_length(void **state)
{
	struct fixture *fx = *state;
	uint8_t b = 0x5c;

	/* Nothing to access, nothing populated, even at odd addresses. */
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE, &b, 0), 0);
	assert_int_equal(gmem_write(&fx->gs, RAM_BASE, &b, 0), 0);
	assert_int_equal(stats(fx).populated, 0);
	assert_int_equal(b, 0x5c);
	check(fx);
}

static void test_overflow(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[64];

	assert_int_equal(gmem_read(&fx->gs, UINT64_MAX - 10, buf, 64), -EFAULT);
	assert_int_equal(gmem_write(&fx->gs, UINT64_MAX, buf, 2), -EFAULT);
	assert_int_equal(gmem_fill(&fx->gs, RAM_BASE, 0, SIZE_MAX), -EFAULT);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE, buf, SIZE_MAX - 5),
			 -EFAULT);
	/* Beyond the 50-bit guest-physical space, without wrapping. */
	assert_int_equal(gmem_read(&fx->gs, (1ull << 50) - 4, buf, 8), -EFAULT);
	assert_int_equal(gmem_read(&fx->gs, 1ull << 50, buf, 1), -EFAULT);
	assert_int_equal(stats(fx).populated, 0);
	assert_int_equal(stats(fx).leaves, 0);
	check(fx);
}

static void test_outside_ram(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[16];

	assert_int_equal(gmem_read(&fx->gs, RAM_BASE - 16, buf, 16), -EFAULT);
	assert_int_equal(gmem_write(&fx->gs, RAM_BASE + RAM_SIZE, buf, 1),
			 -EFAULT);
	assert_int_equal(gmem_read(&fx->gs, 0, buf, 1), -EFAULT);
	assert_int_equal(stats(fx).populated, 0);
	/* Straddling the end of RAM: the part inside may be written. */
	memset(buf, 0x99, sizeof(buf));
	assert_int_equal(gmem_write(&fx->gs, RAM_BASE + RAM_SIZE - 8, buf, 16),
			 -EFAULT);
	assert_int_equal(stats(fx).populated, 1);
	check(fx);
}

static void test_mapped_outside_ram(void **state)
{
	struct fixture *fx = *state;
	const uint64_t gpa = 0x10000000;
	uint8_t buf[4];
	uint32_t f;

	/* A page mapped by hand, outside RAM, read-only. */
	assert_int_equal(frame_alloc(fx->pool, true, &f), 0);
	memcpy(frame_ptr(fx->pool, f), "mmio", 4);
	assert_int_equal(gstage_map(&fx->gs, gpa, f, GPTE_R), 0);
	assert_int_equal(gmem_read(&fx->gs, gpa, buf, 4), 0);
	assert_memory_equal(buf, "mmio", 4);
	assert_int_equal(gmem_write(&fx->gs, gpa, "MMIO", 4), -EACCES);
	assert_int_equal(gmem_fill(&fx->gs, gpa, 0, 1), -EACCES);
	assert_memory_equal(frame_ptr(fx->pool, f), "mmio", 4);
	assert_int_equal(gmem_read(&fx->gs, gpa + FRAME_SIZE - 2, buf, 4),
			 -EFAULT);
	check(fx);
}

/* A write through the accessor breaks copy-on-write sharing. */
static void test_write_breaks_cow(void **state)
{
	struct fixture *fx = *state;
	uint32_t f, now;
	uint64_t pte;
	uint8_t b;

	assert_int_equal(frame_alloc(fx->pool, false, &f), 0);
	memset(frame_ptr(fx->pool, f), 0x31, FRAME_SIZE);
	assert_int_equal(gstage_map(&fx->gs, RAM_BASE, f, GPTE_R | GPTE_COW),
			 0);
	frame_get(fx->pool, f);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 5, &b, 1), 0);
	assert_int_equal(b, 0x31);
	assert_int_equal(stats(fx).cow_copies, 0);
	assert_int_equal(gmem_write(&fx->gs, RAM_BASE + 5, "w", 1), 0);
	assert_int_equal(stats(fx).cow_copies, 1);
	assert_int_equal(gstage_translate(&fx->gs, RAM_BASE, &now, &pte), 0);
	assert_int_not_equal(now, f);
	assert_int_equal(((uint8_t *)frame_ptr(fx->pool, f))[5], 0x31);
	assert_int_equal(((uint8_t *)frame_ptr(fx->pool, now))[5], 'w');
	assert_int_equal(((uint8_t *)frame_ptr(fx->pool, now))[6], 0x31);
	assert_int_equal(frame_refcount(fx->pool, f), 1);
	struct gstage *const all[] = {&fx->gs};
	assert_int_equal(gstage_check(fx->pool, all, 1, &f, 1), 0);
	assert_true(frame_put(fx->pool, f));
	check(fx);
}

/* gmem_map(): one page in place, checked once, resolved as an access. */
static void test_map(void **state)
{
	struct fixture *fx = *state;
	uint8_t *p, *q, b;
	uint32_t f;
	uint64_t pte, gen0;

	/* A read populates nothing: the zero frame, read-only in the host
	 * (never written through this). A write populates the page. */
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + 0x10, 16, false, (void **)&p), 0);
	assert_int_equal(p[0], 0);
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + 0x10, 16, true, (void **)&p), 0);
	p[0] = 0x5a;
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x10, &b, 1), 0);
	assert_int_equal(b, 0x5a);
	assert_int_equal(stats(fx).populated, 1);
	/* The same page again: the same host byte. */
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE, FRAME_SIZE, true, (void **)&q), 0);
	assert_ptr_equal(q + 0x10, p);

	/* A piece that crosses a page, outside RAM, or past the address
	 * space: refused before anything happens. */
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + FRAME_SIZE - 8, 16, true, (void **)&p),
	    -EINVAL);
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + RAM_SIZE, 8, false, (void **)&p),
	    -EFAULT);
	assert_int_equal(gmem_map(&fx->gs, ~0ull - 3, 8, false, (void **)&p),
			 -EFAULT);
	assert_int_equal(stats(fx).populated, 1);

	/* A write to a copy-on-write page gets it a frame of its own, and
	 * the generation moves: the address of before is stale. */
	assert_int_equal(frame_alloc(fx->pool, true, &f), 0);
	assert_int_equal(
	    gstage_map(&fx->gs, RAM_BASE + FRAME_SIZE, f, GPTE_R | GPTE_COW),
	    0);
	frame_get(fx->pool, f);
	gen0 = gmem_generation(&fx->gs);
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + FRAME_SIZE, 8, false, (void **)&p), 0);
	assert_ptr_equal(p, frame_ptr(fx->pool, f));
	assert_int_equal(gmem_generation(&fx->gs), gen0);
	assert_int_equal(
	    gmem_map(&fx->gs, RAM_BASE + FRAME_SIZE, 8, true, (void **)&q), 0);
	assert_ptr_not_equal(q, p);
	assert_int_not_equal(gmem_generation(&fx->gs), gen0);
	assert_int_equal(
	    gstage_translate(&fx->gs, RAM_BASE + FRAME_SIZE, &f, &pte), 0);
	assert_ptr_equal(q, frame_ptr(fx->pool, f));
	assert_true(pte & GPTE_W);
	assert_true(frame_put(fx->pool, frame_holding(p, fx)));
	check(fx);
}

static void test_out_of_memory(void **state)
{
	struct frame_pool *pool;
	struct gstage gs;
	struct gstage_stats st;
	uint8_t page[FRAME_SIZE];
	uint64_t gpa;
	int r = 0;

	(void)state;
	assert_int_equal(frame_pool_create(32 * FRAME_SIZE, &pool), 0);
	assert_int_equal(gstage_init(&gs, pool, GSTAGE_SV48X4), 0);
	assert_int_equal(gstage_set_ram(&gs, RAM_BASE, RAM_SIZE), 0);
	memset(page, 0x3c, sizeof(page));
	for (gpa = RAM_BASE; gpa < RAM_BASE + RAM_SIZE; gpa += FRAME_SIZE) {
		r = gmem_write(&gs, gpa, page, sizeof(page));
		if (r)
			break;
	}
	assert_int_equal(r, -ENOMEM);
	gstage_get_stats(&gs, &st);
	/* 32 frames: the zero frame, the root (4), three lower tables; the
	 * other 24 hold data. */
	assert_int_equal(st.populated, 32 - 1 - 4 - 3);
	assert_int_equal((gpa - RAM_BASE) / FRAME_SIZE, st.populated);
	assert_int_equal(gmem_read(&gs, gpa - FRAME_SIZE, page, 1), 0);
	assert_int_equal(page[0], 0x3c);
	struct gstage *const all[] = {&gs};
	assert_int_equal(gstage_check(pool, all, 1, NULL, 0), 0);
	gstage_destroy(&gs);
	frame_pool_destroy(pool);
}

/* A clone's peek reads what its parent wrote where it is: no table is
 * replicated, in either; its read replicates them, as a guest access. */
static void test_peek_leaves_tables_shared(void **state)
{
	struct fixture *fx = *state;
	const uint64_t gpa = RAM_BASE + 5 * FRAME_SIZE + 100;
	const char in[] = "shared until touched";
	char out[sizeof(in)];
	struct gstage c;
	struct gstage_stats st;

	assert_int_equal(gmem_write(&fx->gs, gpa, in, sizeof(in)), 0);
	assert_int_equal(gstage_clone(&c, &fx->gs, 1), 0);
	memset(out, 0, sizeof(out));
	assert_int_equal(gmem_peek(&c, gpa, out, sizeof(out)), 0);
	assert_string_equal(out, in);
	assert_int_equal(gmem_peek(&fx->gs, gpa, out, sizeof(out)), 0);
	assert_string_equal(out, in);
	gstage_get_stats(&c, &st);
	assert_int_equal(st.replications, 0);
	assert_int_equal(stats(fx).replications, 0);

	memset(out, 0, sizeof(out));
	assert_int_equal(gmem_read(&c, gpa, out, sizeof(out)), 0);
	assert_string_equal(out, in);
	gstage_get_stats(&c, &st);
	assert_true(st.replications > 0);
	struct gstage *const all[] = {&fx->gs, &c};
	assert_int_equal(gstage_check(fx->pool, all, 2, NULL, 0), 0);
	gstage_destroy(&c);
}

int main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_roundtrip_across_pages),
	    T(test_read_populates_zero),
	    T(test_fill),
	    T(test_zero_length),
	    T(test_overflow),
	    T(test_outside_ram),
	    T(test_mapped_outside_ram),
	    T(test_write_breaks_cow),
	    T(test_map),
	    T(test_peek_leaves_tables_shared),
	    cmocka_unit_test(test_out_of_memory),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
