/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/dlh: rings written into the guest memory of a VM that
 * never runs (built by vm_create() from a tiny ELF), registered and drained
 * directly, checking each entry's status and result, the published
 * consumer index, the statistics, and the refusal of bad rings (layout and
 * rules in include/memvisor/abi.h).
 */
#include <elf.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tiny_elf.h"

#include "dev/console.h"
#include "mem/frame.h"
#include "mem/gmem.h"
#include "memvisor/abi.h"
#include "vmm/clone.h"
#include "vmm/dlh.h"
#include "vmm/vm.h"

#define MIB	 (1ull << 20)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (16 * MIB)
#define RING_GPA (RAM_BASE + 0x10000)
#define BUF_GPA	 (RAM_BASE + 0x8000)

struct fixture {
	char elf[64];
	struct frame_pool *pool;
	struct console *con;
	struct vm *vm;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char why[VM_WHY_LEN] = "";
	int fd;

	assert_non_null(fx);
	strcpy(fx->elf, "/tmp/memvisor-test-dlh-XXXXXX");
	fd = mkstemp(fx->elf);
	assert_true(fd >= 0);
	close(fd);
	tiny_elf_write(fx->elf, RAM_BASE);

	struct vm_config cfg = {
	    .kernel = fx->elf,
	    .ram_size = RAM_SIZE,
	    .ncpus = 2,
	};
	assert_int_equal(frame_pool_create(64 * MIB, &fx->pool), 0);
	assert_int_equal(console_create(0, &fx->con), 0);
	assert_int_equal(console_capture(fx->con, 4096), 0);
	if (vm_create(&cfg, fx->pool, fx->con, &fx->vm, why, sizeof(why)))
		fail_msg("vm_create: %s", why);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	vm_destroy(fx->vm);
	console_destroy(fx->con);
	frame_pool_destroy(fx->pool);
	unlink(fx->elf);
	free(fx);
	return 0;
}

/* ---- the guest's side, written through gmem as a guest would ---- */

static struct memvisor_dlh_ring ring_get(struct fixture *fx, uint64_t gpa)
{
	struct memvisor_dlh_ring h;

	assert_int_equal(gmem_read(&fx->vm->gs, gpa, &h, sizeof(h)), 0);
	return h;
}

static void ring_set_producer(struct fixture *fx, uint64_t gpa, uint32_t p)
{
	assert_int_equal(
	    gmem_write(&fx->vm->gs,
		       gpa + offsetof(struct memvisor_dlh_ring, producer), &p,
		       sizeof(p)),
	    0);
}

static uint64_t entry_gpa(uint64_t gpa, uint32_t entries, uint32_t i)
{
	return gpa + sizeof(struct memvisor_dlh_ring) +
	       (uint64_t)(i & (entries - 1)) *
		   sizeof(struct memvisor_dlh_entry);
}

static void post(struct fixture *fx, uint64_t gpa, uint32_t entries, uint32_t i,
		 uint32_t routine, uint64_t a0, uint64_t a1)
{
	struct memvisor_dlh_entry e = {
	    .routine = routine,
	    .status = MEMVISOR_DLH_PENDING,
	    .args = {a0, a1},
	};

	assert_int_equal(
	    gmem_write(&fx->vm->gs, entry_gpa(gpa, entries, i), &e, sizeof(e)),
	    0);
}

static struct memvisor_dlh_entry entry_get(struct fixture *fx, uint64_t gpa,
					   uint32_t entries, uint32_t i)
{
	struct memvisor_dlh_entry e;

	assert_int_equal(
	    gmem_read(&fx->vm->gs, entry_gpa(gpa, entries, i), &e, sizeof(e)),
	    0);
	return e;
}

/* ---- tests ---- */

static void test_register_bad(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	uint64_t end = RAM_BASE + RAM_SIZE;

	assert_int_equal(dlh_register(vm, RING_GPA + 8, 16), -EFAULT);
	assert_int_equal(dlh_register(vm, RAM_BASE - 0x1000, 16), -EFAULT);
	assert_int_equal(dlh_register(vm, 0x1000, 1), -EFAULT);
	assert_int_equal(dlh_register(vm, end, 1), -EFAULT);
	/* The last page holds the header and 63 entries, not 64. */
	assert_int_equal(dlh_register(vm, end - 0x1000, 64), -EFAULT);
	assert_int_equal(dlh_register(vm, end - 0x1000, 32), 0);
	assert_int_equal(dlh_register(vm, ~0xfffull, 1), -EFAULT);
	assert_int_equal(dlh_register(vm, RING_GPA, 0), -EINVAL);
	assert_int_equal(dlh_register(vm, RING_GPA, 3), -EINVAL);
	assert_int_equal(dlh_register(vm, RING_GPA, 8192), -EINVAL);
	assert_int_equal(dlh_register(vm, RING_GPA, 1ull << 32), -EINVAL);
	assert_int_equal(dlh_register(vm, RING_GPA, MEMVISOR_DLH_MAX_ENTRIES),
			 0);
}

static void test_drain_in_order(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	struct memvisor_dlh_ring h;
	uint32_t bogus = 100;

	assert_int_equal(dlh_drain(vm), 0); /* no ring: nothing */
	assert_int_equal(dlh_register(vm, RING_GPA, 4), 0);
	for (uint32_t i = 0; i < 3; i++)
		post(fx, RING_GPA, 4, i, MEMVISOR_DLH_R_COUNTER_ADD, i + 1, 0);
	ring_set_producer(fx, RING_GPA, 3);
	/* What the guest writes as consumer is not believed. */
	assert_int_equal(
	    gmem_write(&vm->gs,
		       RING_GPA + offsetof(struct memvisor_dlh_ring, consumer),
		       &bogus, sizeof(bogus)),
	    0);
	assert_int_equal(dlh_drain(vm), 3);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 0).result, 1);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 1).result, 3);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 2).result, 6);
	for (uint32_t i = 0; i < 3; i++)
		assert_int_equal(entry_get(fx, RING_GPA, 4, i).status,
				 SBI_SUCCESS);
	h = ring_get(fx, RING_GPA);
	assert_int_equal(h.consumer, 3);
	assert_int_equal(h.flags, 0);

	/* Exactly once: a second drain runs nothing. */
	assert_int_equal(dlh_drain(vm), 0);
	assert_int_equal(atomic_load(&vm->dlh.counter), 6);

	/* Around the end of the ring: indices 3..6 go to slots 3, 0, 1, 2. */
	for (uint32_t i = 3; i < 7; i++)
		post(fx, RING_GPA, 4, i, MEMVISOR_DLH_R_COUNTER_ADD, 10, 0);
	ring_set_producer(fx, RING_GPA, 7);
	assert_int_equal(dlh_drain(vm), 4);
	for (uint32_t i = 3; i < 7; i++)
		assert_int_equal(entry_get(fx, RING_GPA, 4, i).result,
				 6 + 10 * (i - 2));
	assert_int_equal(ring_get(fx, RING_GPA).consumer, 7);
	assert_int_equal(atomic_load(&vm->dlh.n_entries), 7);
	assert_int_equal(atomic_load(&vm->dlh.n_drains), 2);
}

static void test_statuses(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	static const char msg[] = "hello from the ring\n";
	char out[64];
	long n;

	assert_int_equal(gmem_write(&vm->gs, BUF_GPA, msg, sizeof(msg) - 1), 0);
	assert_int_equal(dlh_register(vm, RING_GPA, 8), 0);
	post(fx, RING_GPA, 8, 0, 999, 1, 2);
	post(fx, RING_GPA, 8, 1, MEMVISOR_DLH_R_COUNTER_ADD, 4, 0);
	post(fx, RING_GPA, 8, 2, MEMVISOR_DLH_R_CONSOLE_WRITE, BUF_GPA,
	     sizeof(msg) - 1);
	post(fx, RING_GPA, 8, 3, MEMVISOR_DLH_R_CONSOLE_WRITE, 0x1000, 4);
	post(fx, RING_GPA, 8, 4, MEMVISOR_DLH_R_CONSOLE_WRITE, BUF_GPA, 4097);
	post(fx, RING_GPA, 8, 5, MEMVISOR_DLH_R_TLB_FLUSH, 3, 0);
	post(fx, RING_GPA, 8, 6, MEMVISOR_DLH_R_TLB_FLUSH, 4, 0);
	ring_set_producer(fx, RING_GPA, 7);
	assert_int_equal(dlh_notify(vm), 7);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 0).status,
			 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 1).status, SBI_SUCCESS);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 1).result, 4);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 2).result, sizeof(msg) - 1);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 3).status,
			 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 4).status,
			 SBI_ERR_INVALID_PARAM);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 5).status, SBI_SUCCESS);
	assert_true(atomic_load(&vm->vcpus[0].hart.requests) &
		    HART_REQ_FLUSH_TLB);
	assert_true(atomic_load(&vm->vcpus[1].hart.requests) &
		    HART_REQ_FLUSH_TLB);
	assert_int_equal(entry_get(fx, RING_GPA, 8, 6).status,
			 SBI_ERR_INVALID_PARAM); /* hart 2 does not exist */
	assert_int_equal(atomic_load(&vm->dlh.n_notifies), 1);

	n = console_captured(fx->con, out, sizeof(out) - 1, NULL);
	assert_int_equal(n, sizeof(msg) - 1);
	out[n] = 0;
	assert_string_equal(out, msg);
}

static void test_malformed(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;

	assert_int_equal(dlh_register(vm, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 5); /* 5 ahead of 0 in a ring of 4 */
	assert_int_equal(dlh_drain(vm), -EBADMSG);
	assert_int_equal(ring_get(fx, RING_GPA).flags, MEMVISOR_DLH_RING_ERROR);
	assert_int_equal(ring_get(fx, RING_GPA).consumer, 0);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	/* Broken until registered again, whatever the index says now. */
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(dlh_drain(vm), 0);
	assert_int_equal(dlh_notify(vm), -EBADMSG);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	/* A wrapped-around index (producer "behind" consumer) is malformed. */
	assert_int_equal(dlh_register(vm, RING_GPA, 4), 0);
	assert_int_equal(ring_get(fx, RING_GPA).flags, 0);
	assert_int_equal(ring_get(fx, RING_GPA).consumer, 1);
	ring_set_producer(fx, RING_GPA, 0);
	assert_int_equal(dlh_drain(vm), -EBADMSG);
	assert_int_equal(atomic_load(&vm->dlh.n_malformed), 2);
	/* Starting afresh works. */
	assert_int_equal(dlh_register(vm, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 9, 0);
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(dlh_drain(vm), 1);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 0).result, 9);
}

static void test_busy_skips(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;

	assert_int_equal(dlh_register(vm, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 1);
	/* Another PCPU draining: a restore does not wait for it. */
	pthread_mutex_lock(&vm->dlh.lock);
	assert_int_equal(dlh_drain(vm), 0);
	pthread_mutex_unlock(&vm->dlh.lock);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	assert_int_equal(dlh_drain(vm), 1);
	assert_int_equal(atomic_load(&vm->dlh.counter), 1);
}

static void test_sync(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	uint64_t args[4] = {5, 0, 0, 0};
	int64_t result = -1;

	assert_int_equal(
	    dlh_call_sync(vm, MEMVISOR_DLH_R_COUNTER_ADD, args, &result),
	    SBI_SUCCESS);
	assert_int_equal(result, 5);
	assert_int_equal(
	    dlh_call_sync(vm, MEMVISOR_DLH_R_COUNTER_ADD, args, &result),
	    SBI_SUCCESS);
	assert_int_equal(result, 10);
	assert_int_equal(dlh_call_sync(vm, 0, args, &result),
			 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(atomic_load(&vm->dlh.n_sync), 3);
}

static void test_clone_has_no_ring(void **state)
{
	struct fixture *fx = *state;
	struct vm *c = NULL;

	assert_int_equal(dlh_register(fx->vm, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(vm_clone(fx->vm, 1, &c), 0);
	assert_false(atomic_load(&c->dlh.active));
	assert_int_equal(dlh_drain(c), 0);
	assert_int_equal(atomic_load(&c->dlh.counter), 0);
	assert_int_equal(dlh_register(c, RING_GPA, 4), 0);
	vm_destroy(c);
	assert_int_equal(dlh_drain(fx->vm), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_register_bad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drain_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_statuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_busy_skips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sync, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_clone_has_no_ring, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
