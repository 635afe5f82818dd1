/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/dedup: content-based merging across VMs, on the
 * G-stage alone (the VMs here never run).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"
#include "vmm/dedup.h"

#define RAM_SIZE (16 * MIB)

static struct vm *vm_make(struct frame_pool *pool)
{
	struct vm *vm = vm_alloc(1);

	assert_non_null(vm);
	gs_make(&vm->gs, pool, GSTAGE_SV48X4);
	assert_int_equal(gstage_set_ram(&vm->gs, RAM_BASE, RAM_SIZE), 0);
	return vm;
}

static void vm_unmake(struct vm *vm)
{
	gstage_destroy(&vm->gs);
	free(vm);
}

/* Page i of vm filled with the byte b. */
static void put(struct vm *vm, unsigned i, uint8_t b)
{
	static uint8_t page[FRAME_SIZE];

	memset(page, b, sizeof(page));
	assert_int_equal(gmem_write(&vm->gs,
				    RAM_BASE + (uint64_t)i * FRAME_SIZE, page,
				    sizeof(page)),
			 0);
}

static uint8_t get(struct vm *vm, unsigned i, unsigned at)
{
	uint8_t b;

	assert_int_equal(
	    gmem_read(&vm->gs, RAM_BASE + (uint64_t)i * FRAME_SIZE + at, &b, 1),
	    0);
	return b;
}

static uint32_t frame_of(struct vm *vm, unsigned i)
{
	uint32_t f;
	uint64_t pte;

	assert_int_equal(gstage_translate(&vm->gs,
					  RAM_BASE + (uint64_t)i * FRAME_SIZE,
					  &f, &pte),
			 0);
	return f;
}

static void test_dedup(void **state)
{
	struct frame_pool *pool = pool_make(64 * MIB);
	struct vm *a = vm_make(pool), *b = vm_make(pool);
	struct vm *const vms[] = {a, b};
	struct frame_vec dropped = {0};
	struct dedup_stats st;
	uint64_t before;

	(void)state;
	/* Pages 0-9 equal across the VMs, 10-19 different, 20 zeros in both,
	 * 21 equal within a (to its page 0). */
	for (unsigned i = 0; i < 10; i++) {
		put(a, i, (uint8_t)(i + 1));
		put(b, i, (uint8_t)(i + 1));
	}
	for (unsigned i = 10; i < 20; i++) {
		put(a, i, (uint8_t)(100 + i));
		put(b, i, (uint8_t)(200 + i));
	}
	put(a, 20, 0);
	put(b, 20, 0);
	put(a, 21, 1);
	before = in_use(pool);

	assert_int_equal(dedup_merge(vms, 2, &dropped, &st), 0);
	assert_int_equal(st.pages, 43);
	assert_int_equal(st.frames, 43);
	assert_int_equal(st.merged, 11); /* 10 across, 1 within a */
	assert_int_equal(st.zero, 2);
	assert_int_equal(frame_put_vec(pool, &dropped), 13);
	assert_int_equal(in_use(pool), before - 13);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(frame_of(a, i), frame_of(b, i));
	assert_int_equal(frame_of(a, 21), frame_of(a, 0));
	assert_true(frame_of(a, 12) != frame_of(b, 12));
	assert_int_equal(frame_of(a, 20), FRAME_ZERO);
	check2(&a->gs, &b->gs);

	/* Writes after merging stay private. */
	uint8_t x = 0xee;
	assert_int_equal(
	    gmem_write(&a->gs, RAM_BASE + 3 * FRAME_SIZE + 7, &x, 1), 0);
	assert_int_equal(get(a, 3, 7), 0xee);
	assert_int_equal(get(b, 3, 7), 4);
	assert_int_equal(get(a, 21, 0), 1);
	assert_int_equal(get(b, 0, 100), 1);
	check2(&a->gs, &b->gs);

	/* Nothing left to merge the second time. */
	assert_int_equal(dedup_merge(vms, 2, &dropped, &st), 0);
	assert_int_equal(st.merged + st.zero, 0);
	assert_int_equal(dropped.n, 0);

	frame_vec_free(&dropped);
	vm_unmake(a);
	vm_unmake(b);
	assert_int_equal(in_use(pool), 1);
	frame_pool_destroy(pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dedup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
