/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/hv: the frame warmer's reserve (hv_warm_wait()), and
 * how pausing, resuming and cloning treat a VCPU waiting in WFI, on a
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
#include "vmm/hv_priv.h"

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

static uint64_t vm_exits(struct fixture *fx, unsigned id)
{
	struct hv_vm_info in;

	assert_int_equal(hv_info(fx->hv, id, &in), 0);
	return in.exits;
}

static void sleep_ms(unsigned ms)
{
	const struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

/* VM id's exits once they have not changed for 50 ms (the tiny guest,
 * its interrupts all off, waits in its first WFI for ever). */
static uint64_t exits_settled(struct fixture *fx, unsigned id)
{
	uint64_t before, now = vm_exits(fx, id);

	do {
		before = now;
		sleep_ms(50);
		now = vm_exits(fx, id);
	} while (now != before);
	return now;
}

/* Lock the table: VM id's first VCPU's hart, for the test to change
 * while the VM is paused. */
static struct hart *vm_hart(struct fixture *fx, unsigned id)
{
	struct vm *vm;

	pthread_mutex_lock(&fx->hv->lock);
	vm = hv_find(fx->hv, id);
	pthread_mutex_unlock(&fx->hv->lock);
	assert_non_null(vm);
	return &vm->vcpus[0].hart;
}

/* A VCPU paused in WFI goes on waiting there when resumed, and a clone
 * of it waits there too: neither runs (exits stay), no host thread is
 * woken for nothing. The old way made both run their WFI again. */
static void test_resume_idle(void **state)
{
	struct fixture *fx = fixture_make(64 * MIB);
	unsigned ids[1], made;
	uint64_t idle;

	(void)state;
	idle = exits_settled(fx, fx->id);
	assert_true(idle >= 1);
	for (unsigned i = 0; i < 50; i++) {
		assert_int_equal(hv_pause(fx->hv, fx->id), 0);
		assert_int_equal(hv_resume(fx->hv, fx->id), 0);
	}
	assert_int_equal(hv_clone(fx->hv, fx->id, 1, 1, 0, ids, &made), 0);
	sleep_ms(50);
	assert_int_equal(vm_exits(fx, fx->id), idle);
	assert_int_equal(vm_exits(fx, ids[0]), 0);
	fixture_free(fx);
}

/* A timer that fires after the clone (with the only PCPU asleep for
 * ever) ends its WFI: the clone runs. An interrupt that came while it
 * was paused ends it at the resume. */
static void test_resume_idle_interrupt(void **state)
{
	struct fixture *fx = fixture_make(64 * MIB);
	unsigned ids[1], made;
	struct hart *h;
	uint64_t idle;

	(void)state;
	idle = exits_settled(fx, fx->id);
	assert_int_equal(hv_pause(fx->hv, fx->id), 0);
	h = vm_hart(fx, fx->id);
	h->sie |= HART_IRQ_STI;
	hart_set_timer(h, hart_time(h) + HART_TIMEBASE_HZ / 10); /* 100 ms */
	/* Cloned paused: the parent stays paused, only the clone can run. */
	assert_int_equal(hv_clone(fx->hv, fx->id, 1, 1, 0, ids, &made), 0);
	assert_int_equal(vm_exits(fx, ids[0]), 0);
	for (unsigned i = 0; i < 200 && !vm_exits(fx, ids[0]); i++)
		sleep_ms(10);
	assert_true(vm_exits(fx, ids[0]) > 0);
	assert_int_equal(vm_exits(fx, fx->id), idle);

	/* Its timer has fired meanwhile: it runs at once. */
	assert_int_equal(hv_resume(fx->hv, fx->id), 0);
	for (unsigned i = 0; i < 200 && vm_exits(fx, fx->id) == idle; i++)
		sleep_ms(10);
	assert_true(vm_exits(fx, fx->id) > idle);
	fixture_free(fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_warm_wait),
	    cmocka_unit_test(test_warm_low_mark),
	    cmocka_unit_test(test_warm_no_room),
	    cmocka_unit_test(test_resume_idle),
	    cmocka_unit_test(test_resume_idle_interrupt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
