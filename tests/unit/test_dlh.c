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
#include "vmm/sched.h"
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

	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA + 8, 16), -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 0, RAM_BASE - 0x1000, 16),
			 -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 0, 0x1000, 1), -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 0, end, 1), -EFAULT);
	/* The last page holds the header and 63 entries, not 64. */
	assert_int_equal(dlh_register(vm, NULL, 0, end - 0x1000, 64), -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 0, end - 0x1000, 32), 0);
	assert_int_equal(dlh_register(vm, NULL, 0, ~0xfffull, 1), -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 8, RING_GPA, 16), -EINVAL);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 3), -EINVAL);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 8192), -EINVAL);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 1ull << 32),
			 -EINVAL);
	assert_int_equal(
	    dlh_register(vm, NULL, 0, RING_GPA, MEMVISOR_DLH_MAX_ENTRIES), 0);
}

static void test_drain_in_order(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	struct memvisor_dlh_ring h;
	uint32_t bogus = 100;

	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]),
			 0); /* no ring: nothing */
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	for (uint32_t i = 0; i < 3; i++)
		post(fx, RING_GPA, 4, i, MEMVISOR_DLH_R_COUNTER_ADD, i + 1, 0);
	ring_set_producer(fx, RING_GPA, 3);
	/* What the guest writes as consumer is not believed. */
	assert_int_equal(
	    gmem_write(&vm->gs,
		       RING_GPA + offsetof(struct memvisor_dlh_ring, consumer),
		       &bogus, sizeof(bogus)),
	    0);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 3);
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
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 0);
	assert_int_equal(atomic_load(&vm->dlh.counter), 6);

	/* Around the end of the ring: indices 3..6 go to slots 3, 0, 1, 2. */
	for (uint32_t i = 3; i < 7; i++)
		post(fx, RING_GPA, 4, i, MEMVISOR_DLH_R_COUNTER_ADD, 10, 0);
	ring_set_producer(fx, RING_GPA, 7);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 4);
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
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 8), 0);
	post(fx, RING_GPA, 8, 0, 999, 1, 2);
	post(fx, RING_GPA, 8, 1, MEMVISOR_DLH_R_COUNTER_ADD, 4, 0);
	post(fx, RING_GPA, 8, 2, MEMVISOR_DLH_R_CONSOLE_WRITE, BUF_GPA,
	     sizeof(msg) - 1);
	post(fx, RING_GPA, 8, 3, MEMVISOR_DLH_R_CONSOLE_WRITE, 0x1000, 4);
	post(fx, RING_GPA, 8, 4, MEMVISOR_DLH_R_CONSOLE_WRITE, BUF_GPA, 4097);
	post(fx, RING_GPA, 8, 5, MEMVISOR_DLH_R_TLB_FLUSH, 3, 0);
	post(fx, RING_GPA, 8, 6, MEMVISOR_DLH_R_TLB_FLUSH, 4, 0);
	ring_set_producer(fx, RING_GPA, 7);
	assert_int_equal(dlh_notify(vm, &vm->vcpus[0]), 7);
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

	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 5); /* 5 ahead of 0 in a ring of 4 */
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), -EBADMSG);
	assert_int_equal(ring_get(fx, RING_GPA).flags, MEMVISOR_DLH_RING_ERROR);
	assert_int_equal(ring_get(fx, RING_GPA).consumer, 0);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	/* Broken until registered again, whatever the index says now. */
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 0);
	assert_int_equal(dlh_notify(vm, &vm->vcpus[0]), -EBADMSG);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	/* A wrapped-around index (producer "behind" consumer) is malformed. */
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	assert_int_equal(ring_get(fx, RING_GPA).flags, 0);
	assert_int_equal(ring_get(fx, RING_GPA).consumer, 1);
	ring_set_producer(fx, RING_GPA, 0);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), -EBADMSG);
	assert_int_equal(atomic_load(&vm->dlh.n_malformed), 2);
	/* Starting afresh works. */
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 9, 0);
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 1);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 0).result, 9);
}

static void test_busy_skips(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;

	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 1);
	/* Another PCPU draining: a restore does not wait for it. */
	pthread_mutex_lock(&vm->dlh.lock);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 0);
	pthread_mutex_unlock(&vm->dlh.lock);
	assert_int_equal(atomic_load(&vm->dlh.counter), 0);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), 1);
	assert_int_equal(atomic_load(&vm->dlh.counter), 1);
}

static void test_sync(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	uint64_t args[4] = {5, 0, 0, 0};
	int64_t result = -1;

	assert_int_equal(dlh_call_sync(vm, &vm->vcpus[0],
				       MEMVISOR_DLH_R_COUNTER_ADD, args,
				       &result),
			 SBI_SUCCESS);
	assert_int_equal(result, 5);
	assert_int_equal(dlh_call_sync(vm, &vm->vcpus[0],
				       MEMVISOR_DLH_R_COUNTER_ADD, args,
				       &result),
			 SBI_SUCCESS);
	assert_int_equal(result, 10);
	assert_int_equal(dlh_call_sync(vm, &vm->vcpus[0], 0, args, &result),
			 SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(atomic_load(&vm->dlh.n_sync), 3);
}

static void test_clone_has_no_ring(void **state)
{
	struct fixture *fx = *state;
	struct vm *c = NULL;

	assert_int_equal(dlh_register(fx->vm, NULL, 0, RING_GPA, 4), 0);
	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	ring_set_producer(fx, RING_GPA, 1);
	assert_int_equal(vm_clone(fx->vm, 1, 0, &c), 0);
	assert_false(atomic_load(&c->dlh.active));
	assert_int_equal(dlh_drain(c, &c->vcpus[0]), 0);
	assert_int_equal(atomic_load(&c->dlh.counter), 0);
	assert_int_equal(dlh_register(c, NULL, 0, RING_GPA, 4), 0);
	vm_destroy(c);
	assert_int_equal(dlh_drain(fx->vm, &fx->vm->vcpus[0]), 1);
}

/* Several rings: each drained in its own order, none overlapping another,
 * and one unregistered runs nothing more. */
static void test_rings(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	const uint64_t ring2 = RING_GPA + 0x4000;

	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	/* Ring 0 spans 64 + 4 * 64 bytes: a ring inside or over it is
	 * refused, the ring itself may be registered again. */
	assert_int_equal(dlh_register(vm, NULL, 3, RING_GPA, 4), -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 3, RING_GPA - 0x1000, 128),
			 -EFAULT);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 4), 0);
	assert_int_equal(dlh_register(vm, NULL, 3, ring2, 8), 0);
	assert_int_equal(atomic_load(&vm->dlh.active), (1u << 0) | (1u << 3));

	post(fx, RING_GPA, 4, 0, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	post(fx, RING_GPA, 4, 1, MEMVISOR_DLH_R_COUNTER_ADD, 2, 0);
	post(fx, ring2, 8, 0, MEMVISOR_DLH_R_COUNTER_ADD, 10, 0);
	ring_set_producer(fx, RING_GPA, 2);
	ring_set_producer(fx, ring2, 1);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[1]), 3);
	/* Ring 0 first, in its order, then ring 3. */
	assert_int_equal(entry_get(fx, RING_GPA, 4, 0).result, 1);
	assert_int_equal(entry_get(fx, RING_GPA, 4, 1).result, 3);
	assert_int_equal(entry_get(fx, ring2, 8, 0).result, 13);
	assert_int_equal(ring_get(fx, ring2).consumer, 1);

	/* Unregistered with an entry posted: it never runs. */
	post(fx, ring2, 8, 1, MEMVISOR_DLH_R_COUNTER_ADD, 100, 0);
	ring_set_producer(fx, ring2, 2);
	assert_int_equal(dlh_register(vm, NULL, 3, 0, 0), 0);
	assert_int_equal(atomic_load(&vm->dlh.active), 1u << 0);
	assert_int_equal(dlh_notify(vm, &vm->vcpus[0]), 0);
	assert_int_equal(atomic_load(&vm->dlh.counter), 13);
	assert_int_equal(entry_get(fx, ring2, 8, 1).status,
			 MEMVISOR_DLH_PENDING);
	/* Its memory may now hold another ring. */
	assert_int_equal(dlh_register(vm, NULL, 5, ring2, 8), 0);
	assert_int_equal(ring_get(fx, ring2).consumer, 2);
}

/* Pages the guest wrote, each its own frame; true when gpa's page holds
 * byte v at both ends. */
static void write_pages(struct fixture *fx, uint64_t gpa, unsigned n, uint8_t v)
{
	static uint8_t page[4096];

	memset(page, v, sizeof(page));
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(gmem_write(&fx->vm->gs, gpa + i * 4096ull,
					    page, sizeof(page)),
				 0);
}

static bool page_is(struct gstage *gs, uint64_t gpa, uint8_t v)
{
	uint8_t a = ~v, b = ~v;

	assert_int_equal(gmem_read(gs, gpa, &a, 1), 0);
	assert_int_equal(gmem_read(gs, gpa + 4095, &b, 1), 0);
	return a == v && b == v;
}

static uint64_t pool_in_use(struct frame_pool *pool)
{
	struct frame_stats st;

	frame_stats(pool, &st);
	return st.in_use;
}

static void check_vms(struct vm *a, struct vm *b)
{
	struct gstage *const all[] = {&a->gs, b ? &b->gs : NULL};

	assert_int_equal(gstage_check(a->gs.pool, all, b ? 2 : 1, NULL, 0), 0);
}

#define HINT_GPA (RAM_BASE + 4 * MIB)

/* Free-page hints from the ring: the pages read zero, their frames go
 * back to the pool, bad ranges get an error status and change nothing,
 * and the VM's other VCPUs are told to drop their translations. */
static void test_free_hint(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	uint64_t before, gen0;

	write_pages(fx, HINT_GPA, 16, 0x77);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 16), 0);
	before = pool_in_use(fx->pool);
	gen0 = atomic_load(&vm->gs.generation);
	atomic_store(&vm->vcpus[1].hart.requests, 0);

	post(fx, RING_GPA, 16, 0, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA, 4);
	post(fx, RING_GPA, 16, 1, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA + 1, 1);
	post(fx, RING_GPA, 16, 2, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA, 0);
	post(fx, RING_GPA, 16, 3, MEMVISOR_DLH_R_FREE_HINT, 0x1000, 1);
	post(fx, RING_GPA, 16, 4, MEMVISOR_DLH_R_FREE_HINT,
	     RAM_BASE + RAM_SIZE - 4096, 2); /* runs past the end of RAM */
	post(fx, RING_GPA, 16, 5, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA,
	     UINT64_MAX / 4096); /* wraps */
	post(fx, RING_GPA, 16, 6, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA + 8 * 4096,
	     8);
	post(fx, RING_GPA, 16, 7, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA, 2);
	post(fx, RING_GPA, 16, 8, MEMVISOR_DLH_R_FREE_HINT, RAM_BASE + 12 * MIB,
	     256); /* never touched */
	ring_set_producer(fx, RING_GPA, 9);
	assert_int_equal(dlh_notify(vm, &vm->vcpus[0]), 9);

	assert_int_equal(entry_get(fx, RING_GPA, 16, 0).status, SBI_SUCCESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 0).result, 4);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 1).status,
			 SBI_ERR_INVALID_PARAM);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 2).status,
			 SBI_ERR_INVALID_PARAM);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 3).status,
			 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 4).status,
			 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 5).status,
			 SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 6).status, SBI_SUCCESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 6).result, 8);
	/* Already on the zero frame: nothing more to give back. */
	assert_int_equal(entry_get(fx, RING_GPA, 16, 7).status, SBI_SUCCESS);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 7).result, 0);
	assert_int_equal(entry_get(fx, RING_GPA, 16, 8).result, 0);
	assert_int_equal(atomic_load(&vm->dlh.n_hinted), 12);

	/* No scheduler here: the frames went back at once. */
	assert_int_equal(pool_in_use(fx->pool), before - 12);
	assert_true(atomic_load(&vm->gs.generation) > gen0);
	assert_true(atomic_load(&vm->vcpus[1].hart.requests) &
		    HART_REQ_FLUSH_TLB);
	for (unsigned i = 0; i < 16; i++)
		assert_true(page_is(&vm->gs, HINT_GPA + i * 4096ull,
				    i < 4 || (i >= 8 && i < 16) ? 0 : 0x77));
	check_vms(vm, NULL);

	/* The guest writes a hinted page again: a fresh zeroed page. */
	uint8_t x = 0x42;
	assert_int_equal(gmem_write(&vm->gs, HINT_GPA + 2 * 4096 + 7, &x, 1),
			 0);
	assert_true(page_is(&vm->gs, HINT_GPA + 2 * 4096, 0));
	check_vms(vm, NULL);
}

/* A hint in a clone leaves its parent's data alone, and the other way
 * round; a frame both hold is given back only by the last one. */
static void test_free_hint_clone(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm, *c = NULL;
	struct memvisor_dlh_entry e = {
	    .routine = MEMVISOR_DLH_R_FREE_HINT,
	    .args = {HINT_GPA, 8},
	};
	uint64_t before, args[4] = {HINT_GPA, 4, 0, 0};
	int64_t result = -1;
	uint32_t one = 1;

	write_pages(fx, HINT_GPA, 8, 0x31);
	assert_int_equal(vm_clone(vm, 1, 0, &c), 0);

	/* The clone hints all 8 through its ring. */
	assert_int_equal(dlh_register(c, NULL, 0, RING_GPA, 8), 0);
	assert_int_equal(gmem_write(&c->gs, RING_GPA + 64, &e, sizeof(e)), 0);
	assert_int_equal(gmem_write(&c->gs, RING_GPA, &one, sizeof(one)), 0);
	assert_int_equal(dlh_drain(c, &c->vcpus[0]), 1);
	for (unsigned i = 0; i < 8; i++) {
		uint64_t gpa = HINT_GPA + i * 4096ull, pte;
		uint32_t f;

		assert_true(page_is(&c->gs, gpa, 0));
		assert_true(page_is(&vm->gs, gpa, 0x31));
		/* The clone let go of the frame; the parent still has it. */
		assert_int_equal(gstage_translate(&vm->gs, gpa, &f, &pte), 0);
		assert_int_equal(frame_refcount(fx->pool, f), 1);
	}
	check_vms(vm, c);

	/* The parent hints 4 of them, synchronously: now those frames go. */
	before = pool_in_use(fx->pool);
	assert_int_equal(dlh_call_sync(vm, &vm->vcpus[0],
				       MEMVISOR_DLH_R_FREE_HINT, args, &result),
			 SBI_SUCCESS);
	assert_int_equal(result, 4);
	assert_int_equal(pool_in_use(fx->pool), before - 4);
	for (unsigned i = 0; i < 8; i++)
		assert_true(
		    page_is(&vm->gs, HINT_GPA + i * 4096ull, i < 4 ? 0 : 0x31));
	check_vms(vm, c);
	vm_destroy(c);
	check_vms(vm, NULL);
}

/* Hints run in batches of the hints next to each other, but a ring still
 * runs in its order, another routine in between ends a batch, and each
 * entry gets its own status and result. */
static void test_hint_batches_in_order(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	uint32_t n = 0;

	write_pages(fx, HINT_GPA, 200, 0x55);
	assert_int_equal(dlh_register(vm, NULL, 0, RING_GPA, 256), 0);
	for (unsigned i = 0; i < 100; i++)
		post(fx, RING_GPA, 256, n++, MEMVISOR_DLH_R_FREE_HINT,
		     HINT_GPA + i * 4096ull, 1);
	post(fx, RING_GPA, 256, n++, MEMVISOR_DLH_R_CONSOLE_WRITE, BUF_GPA, 0);
	post(fx, RING_GPA, 256, n++, MEMVISOR_DLH_R_FREE_HINT, HINT_GPA + 1, 1);
	for (unsigned i = 100; i < 200; i++)
		post(fx, RING_GPA, 256, n++, MEMVISOR_DLH_R_FREE_HINT,
		     HINT_GPA + i * 4096ull, 1);
	ring_set_producer(fx, RING_GPA, n);
	assert_int_equal(dlh_drain(vm, &vm->vcpus[0]), n);
	for (uint32_t i = 0; i < n; i++) {
		struct memvisor_dlh_entry e = entry_get(fx, RING_GPA, 256, i);

		if (i == 100) {
			assert_int_equal(e.status, SBI_SUCCESS);
		} else if (i == 101) {
			assert_int_equal(e.status, SBI_ERR_INVALID_PARAM);
		} else {
			assert_int_equal(e.status, SBI_SUCCESS);
			assert_int_equal(e.result, 1);
		}
	}
	assert_int_equal(atomic_load(&vm->dlh.n_hinted), 200);
	for (unsigned i = 0; i < 200; i += 13)
		assert_true(page_is(&vm->gs, HINT_GPA + i * 4096ull, 0));
	check_vms(vm, NULL);
}

/* Append n fresh frames to fv. */
static void alloc_frames(struct frame_pool *pool, struct frame_vec *fv,
			 unsigned n)
{
	uint32_t f;

	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(frame_alloc(pool, true, &f), 0);
		assert_int_equal(frame_vec_push(fv, f), 0);
	}
}

/* With a scheduler, the frames go back from a PCPU with nothing to run. */
static void test_release_later(void **state)
{
	struct fixture *fx = *state;
	struct frame_vec fv = {0};
	struct sched *s = NULL;
	uint64_t before = pool_in_use(fx->pool);

	alloc_frames(fx->pool, &fv, 10);
	assert_int_equal(pool_in_use(fx->pool), before + 10);
	/* No scheduler: at once. */
	sched_release_later(NULL, fx->pool, &fv);
	assert_int_equal(fv.n, 0);
	assert_int_equal(pool_in_use(fx->pool), before);

	assert_int_equal(sched_create(1, &s), 0);
	alloc_frames(fx->pool, &fv, 10);
	sched_release_later(s, fx->pool, &fv);
	assert_int_equal(fv.n, 0);
	/* The idle PCPU takes them; wait for it (up to 10 s). */
	for (unsigned t = 0; t < 10000 && pool_in_use(fx->pool) != before; t++)
		usleep(1000);
	assert_int_equal(pool_in_use(fx->pool), before);
	/* Some still waiting when the scheduler goes: they go with it. */
	alloc_frames(fx->pool, &fv, 3);
	sched_release_later(s, fx->pool, &fv);
	sched_destroy(s);
	assert_int_equal(pool_in_use(fx->pool), before);

	/* Or on request, at once. */
	assert_int_equal(sched_create(1, &s), 0);
	alloc_frames(fx->pool, &fv, 5);
	sched_release_later(s, fx->pool, &fv);
	sched_release_now(s);
	assert_int_equal(pool_in_use(fx->pool), before);
	sched_destroy(s);
	frame_vec_free(&fv);
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
	    cmocka_unit_test_setup_teardown(test_rings, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_hint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_hint_clone, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_hint_batches_in_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_release_later, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
