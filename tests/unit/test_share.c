/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/share: a page map is applied only in the pause it was
 * taken in, only its free pages are shared, and page ages select what the
 * periodic policy shares. (Linux guests: tests/integration/share.sh.)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"
#include "vmm/share.h"

#define NPAGES 64

struct fixture {
	struct frame_pool *pool;
	struct vm *vm;
	struct vmi_map map;
	struct frame_vec dropped;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	uint8_t page[FRAME_SIZE];

	if (!fx || frame_pool_create(16 * MIB, &fx->pool))
		return -1;
	fx->vm = vm_alloc(1);
	if (!fx->vm || gstage_init(&fx->vm->gs, fx->pool, GSTAGE_SV48X4))
		return -1;
	fx->vm->ram_base = RAM_BASE;
	fx->vm->ram_size = NPAGES * FRAME_SIZE;
	if (gstage_set_ram(&fx->vm->gs, RAM_BASE, NPAGES * FRAME_SIZE))
		return -1;
	for (unsigned i = 0; i < NPAGES; i++) {
		memset(page, 0x40 + i, sizeof(page));
		if (gmem_write(&fx->vm->gs, RAM_BASE + i * FRAME_SIZE, page,
			       sizeof(page)))
			return -1;
	}
	/* The guest's kernel says: pages 8-15 free (a block of order 3),
	 * page 20 free, the rest in use. */
	fx->map.min_pfn = RAM_BASE >> FRAME_SHIFT;
	fx->map.npages = NPAGES;
	fx->map.bytes = calloc(NPAGES, 1);
	if (!fx->map.bytes)
		return -1;
	memset(fx->map.bytes, MEMVISOR_PAGE_ANON, NPAGES);
	fx->map.bytes[8] = MEMVISOR_VMI_BYTE(MEMVISOR_PAGE_FREE, 3);
	memset(fx->map.bytes + 9, MEMVISOR_PAGE_FREE_TAIL, 7);
	fx->map.bytes[20] = MEMVISOR_VMI_BYTE(MEMVISOR_PAGE_FREE, 0);
	fx->vm->paused = true;
	fx->vm->resumes = 3;
	fx->map.tag = 3;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	struct gstage *const all[] = {&fx->vm->gs};
	int r = gstage_check(fx->pool, all, 1, NULL, 0);

	frame_vec_free(&fx->dropped);
	gstage_destroy(&fx->vm->gs);
	share_age_free(fx->vm->share.age);
	free(fx->vm);
	free(fx->map.bytes);
	frame_pool_destroy(fx->pool);
	free(fx);
	return r;
}

static uint8_t byte_at(struct fixture *fx, unsigned page)
{
	uint8_t b;

	assert_int_equal(
	    gmem_read(&fx->vm->gs, RAM_BASE + page * FRAME_SIZE + 100, &b, 1),
	    0);
	return b;
}

static void test_shares_free_pages_only(void **state)
{
	struct fixture *fx = *state;
	struct share_stats st;

	assert_int_equal(
	    share_free(fx->vm, &fx->map, NULL, 0, &fx->dropped, &st), 0);
	assert_int_equal(st.free_pages, 9);
	assert_int_equal(st.shared, 9);
	assert_int_equal(frame_put_vec(fx->pool, &fx->dropped), 9);
	for (unsigned i = 0; i < NPAGES; i++) {
		bool free = (i >= 8 && i < 16) || i == 20;

		assert_int_equal(byte_at(fx, i), free ? 0 : 0x40 + i);
	}
}

static void test_stale_map_changes_nothing(void **state)
{
	struct fixture *fx = *state;
	struct share_stats st;

	/* Taken before the VM last ran. */
	fx->map.tag = 2;
	assert_int_equal(
	    share_free(fx->vm, &fx->map, NULL, 0, &fx->dropped, &st), -ESTALE);
	/* The VM runs (not paused). */
	fx->map.tag = 3;
	fx->vm->paused = false;
	assert_int_equal(
	    share_free(fx->vm, &fx->map, NULL, 0, &fx->dropped, &st), -ESTALE);
	/* Frames outside the VM's RAM. */
	fx->vm->paused = true;
	fx->map.min_pfn--;
	assert_int_equal(
	    share_free(fx->vm, &fx->map, NULL, 0, &fx->dropped, &st), -EINVAL);
	assert_int_equal(fx->dropped.n, 0);
	for (unsigned i = 0; i < NPAGES; i++)
		assert_int_equal(byte_at(fx, i), 0x40 + i);
}

static void test_ages(void **state)
{
	struct fixture *fx = *state;
	struct share_age *age = NULL;
	struct share_stats st;

	/* Map 1: nothing has been free long enough for min_age 2. */
	assert_int_equal(share_age_update(&age, &fx->map), 0);
	assert_int_equal(
	    share_free(fx->vm, &fx->map, age, 2, &fx->dropped, &st), 0);
	assert_int_equal(st.shared, 0);
	assert_int_equal(st.free_pages, 9);

	/* Map 2: page 20 was taken and freed again meanwhile (in use in
	 * between: its age starts over); 8-15 stayed free. */
	fx->map.bytes[20] = MEMVISOR_PAGE_ANON;
	assert_int_equal(share_age_update(&age, &fx->map), 0);
	fx->map.bytes[20] = MEMVISOR_VMI_BYTE(MEMVISOR_PAGE_FREE, 0);
	assert_int_equal(share_age_update(&age, &fx->map), 0);
	assert_int_equal(
	    share_free(fx->vm, &fx->map, age, 3, &fx->dropped, &st), 0);
	assert_int_equal(st.shared, 8);
	assert_int_equal(byte_at(fx, 9), 0);
	assert_int_equal(byte_at(fx, 20), 0x40 + 20);
	frame_put_vec(fx->pool, &fx->dropped);
	share_age_free(age);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_shares_free_pages_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_stale_map_changes_nothing,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ages, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
