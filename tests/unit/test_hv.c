/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/hv: the frame warmer's reserve (hv_warm_wait()), on a
 * hypervisor running a tiny guest (tiny_elf.h: wfi in a loop).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mem/frame.h"
#include "tiny_elf.h"
#include "vmm/hv.h"

#define MIB	    (1ull << 20)
#define GUEST_RAM   (4 * MIB)
#define WAIT_NS	    (30ull * 1000000000u)
#define RESERVE_MIB ((HV_WARM_FRAMES + HV_WARM_RUNS * FRAME_RUN_FRAMES) / 256)

struct fixture {
	char elf[64];
	struct hv *hv;
	struct console *con;
	unsigned id;
};

/* A hypervisor of host_memory bytes running one tiny guest. */
static struct fixture *fixture_make(uint64_t host_memory)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct vm_config cfg = {.ram_size = GUEST_RAM, .ncpus = 1};
	char why[VM_WHY_LEN] = "";
	struct vm *vm;
	int fd, id;

	assert_non_null(fx);
	strcpy(fx->elf, "/tmp/memvisor-test-hv-XXXXXX");
	fd = mkstemp(fx->elf);
	assert_true(fd >= 0);
	close(fd);
	tiny_elf_write(fx->elf, VM_RAM_BASE);
	cfg.kernel = fx->elf;
	assert_int_equal(hv_create(host_memory, 1, &fx->hv), 0);
	assert_int_equal(console_create(0, &fx->con), 0);
	assert_int_equal(console_capture(fx->con, 4096), 0);
	if (vm_create(&cfg, hv_pool(fx->hv), fx->con, &vm, why, sizeof(why)))
		fail_msg("vm_create: %s", why);
	id = hv_add(fx->hv, vm);
	assert_true(id > 0);
	fx->id = (unsigned)id;
	return fx;
}

static void fixture_free(struct fixture *fx)
{
	hv_destroy(fx->hv);
	console_destroy(fx->con);
	unlink(fx->elf);
	free(fx);
}

static struct frame_stats pool_stats(struct fixture *fx)
{
	struct frame_stats st;

	frame_stats(hv_pool(fx->hv), &st);
	return st;
}

/* Idle before the first clone; after it, the reserve fills, and fills
 * again after clones took roots from it. */
static void test_warm_wait(void **state)
{
	struct fixture *fx = fixture_make(64 * MIB + 4 * RESERVE_MIB * MIB);
	unsigned ids[8], made;
	struct frame_stats st;

	(void)state;
	assert_int_equal(hv_warm_wait(fx->hv, WAIT_NS), -EAGAIN);
	assert_int_equal(pool_stats(fx).runs, 0);

	/* The VMs are paused before each wait: running, they would take
	 * frames from the reserve (tables they replicate) right after it. */
	assert_int_equal(hv_clone(fx->hv, fx->id, 1, 1, 0, ids, &made), 0);
	assert_int_equal(hv_pause(fx->hv, fx->id), 0);
	assert_int_equal(hv_pause(fx->hv, ids[0]), 0);
	assert_int_equal(hv_warm_wait(fx->hv, WAIT_NS), 0);
	st = pool_stats(fx);
	assert_true(st.zero >= HV_WARM_FRAMES);
	assert_true(st.runs >= HV_WARM_RUNS);

	/* Clones take their roots from the reserve; it is full again
	 * after the next wait. */
	assert_int_equal(hv_resume(fx->hv, fx->id), 0);
	assert_int_equal(hv_clone(fx->hv, fx->id, 8, 1, 0, ids, &made), 0);
	assert_int_equal(made, 8);
	assert_int_equal(hv_pause(fx->hv, fx->id), 0);
	for (unsigned i = 0; i < made; i++)
		assert_int_equal(hv_pause(fx->hv, ids[i]), 0);
	assert_int_equal(hv_warm_wait(fx->hv, WAIT_NS), 0);
	st = pool_stats(fx);
	assert_true(st.zero >= HV_WARM_FRAMES);
	assert_true(st.runs >= HV_WARM_RUNS);
	fixture_free(fx);
}

/* The warmer leaves a reserve that is still above half alone (refilling
 * stalls the faults it is there for), and fills it up once it is below. */
static void test_warm_low_mark(void **state)
{
	struct fixture *fx = fixture_make(64 * MIB + 4 * RESERVE_MIB * MIB);
	const struct timespec poll = {0, 20 * 1000000L}; /* 10 warmer polls */
	static uint32_t taken[HV_WARM_FRAMES];
	unsigned ids[1], made, n = 0;
	uint64_t zero;

	(void)state;
	assert_int_equal(hv_clone(fx->hv, fx->id, 1, 1, 0, ids, &made), 0);
	assert_int_equal(hv_destroy_vm(fx->hv, ids[0]), 0);
	assert_int_equal(hv_pause(fx->hv, fx->id), 0);
	assert_int_equal(hv_warm_wait(fx->hv, WAIT_NS), 0);

	while (pool_stats(fx).zero > HV_WARM_FRAMES / 2 + 64)
		assert_int_equal(
		    frame_alloc(hv_pool(fx->hv), true, &taken[n++]), 0);
	zero = pool_stats(fx).zero;
	nanosleep(&poll, NULL);
	assert_int_equal(pool_stats(fx).zero, zero);

	while (pool_stats(fx).zero >= HV_WARM_FRAMES / 2)
		assert_int_equal(
		    frame_alloc(hv_pool(fx->hv), true, &taken[n++]), 0);
	for (unsigned i = 0; i < 500 && pool_stats(fx).zero < HV_WARM_FRAMES;
	     i++)
		nanosleep(&poll, NULL);
	assert_true(pool_stats(fx).zero >= HV_WARM_FRAMES);
	while (n)
		frame_put(hv_pool(fx->hv), taken[--n]);
	fixture_free(fx);
}

/* A host-memory limit with no room for the reserve: the wait says so
 * instead of hanging, and cloning still works. */
static void test_warm_no_room(void **state)
{
	struct fixture *fx = fixture_make(RESERVE_MIB * MIB);
	unsigned ids[2], made;

	(void)state;
	assert_int_equal(hv_clone(fx->hv, fx->id, 1, 1, 0, ids, &made), 0);
	assert_int_equal(hv_warm_wait(fx->hv, WAIT_NS), -ENOSPC);
	assert_true(pool_stats(fx).zero < HV_WARM_FRAMES);
	assert_int_equal(hv_clone(fx->hv, fx->id, 2, 1, 0, ids, &made), 0);
	assert_int_equal(made, 2);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warm_wait),
	    cmocka_unit_test(test_warm_low_mark),
	    cmocka_unit_test(test_warm_no_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
