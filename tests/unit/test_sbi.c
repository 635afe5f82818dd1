/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmm/sbi: SBI calls made directly on a VCPU of a VM that
 * never runs (built by vm_create() from a tiny ELF), checking a0/a1, the
 * pc, the registers a call must leave alone, and each call's effect on
 * the VM: timer, pending interrupts, HSM states, console, shutdown.
 *
 * Expected values come from the RISC-V SBI specification v2.0; sections
 * are named at each test.
 */
#include <elf.h>
#include <errno.h>
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
#include "vmm/sbi.h"
#include "vmm/sched.h"
#include "vmm/vm.h"

#define MIB	 (1ull << 20)
#define RAM_BASE 0x80000000ull
#define ENTRY_PC RAM_BASE
#define CALL_PC	 (RAM_BASE + 0x100)  /* where the ecall "is" */
#define BUF_GPA	 (RAM_BASE + 0x2000) /* guest memory the calls use */

struct fixture {
	char elf[64];
	struct frame_pool *pool;
	struct console *con;
	struct vm *vm;
	struct sched *sched; /* only for the calls that wake VCPUs */
};

/* A VM of ram bytes and ncpus VCPUs, its output captured. */
static struct fixture *fixture_new(uint64_t ram, unsigned ncpus)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char why[VM_WHY_LEN] = "";
	int fd;

	assert_non_null(fx);
	strcpy(fx->elf, "/tmp/memvisor-test-sbi-XXXXXX");
	fd = mkstemp(fx->elf);
	assert_true(fd >= 0);
	close(fd);
	tiny_elf_write(fx->elf, ENTRY_PC);

	struct vm_config cfg = {
	    .kernel = fx->elf,
	    .ram_size = ram,
	    .ncpus = ncpus,
	};
	assert_int_equal(frame_pool_create(64 * MIB, &fx->pool), 0);
	assert_int_equal(console_create(0, &fx->con), 0);
	assert_int_equal(console_capture(fx->con, 4096), 0);
	if (vm_create(&cfg, fx->pool, fx->con, &fx->vm, why, sizeof(why)))
		fail_msg("vm_create: %s", why);
	return fx;
}

static int setup(void **state)
{
	*state = fixture_new(16 * MIB, 2);
	return 0;
}

/* A VM whose RAM reaches above 4 GiB (untouched RAM costs nothing). */
static int setup_big(void **state)
{
	*state = fixture_new(8ull << 30, 1);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	sched_destroy(fx->sched);
	vm_destroy(fx->vm);
	console_destroy(fx->con);
	frame_pool_destroy(fx->pool);
	unlink(fx->elf);
	free(fx);
	return 0;
}

struct result {
	int64_t a0, a1;
	int action;
};

/*
 * Make the ecall on VCPU hart: a7 = eid, a6 = fid, a0..a5 = args. The
 * registers the call must not touch hold markers, checked afterwards
 * (SBI spec "Binary Encoding": all registers but a0 and a1 are preserved;
 * "Legacy Extensions": a1 too).
 */
static struct result call(struct fixture *fx, unsigned hart, uint64_t eid,
			  uint64_t fid, uint64_t a0, uint64_t a1, uint64_t a2,
			  uint64_t a3, uint64_t a4)
{
	struct vcpu *v = &fx->vm->vcpus[hart];
	struct hart *h = &v->hart;
	uint64_t args[6] = {a0, a1, a2, a3, a4, 0x5555};
	bool legacy = eid < 0x10;
	struct result r;

	for (unsigned i = 1; i < 32; i++)
		h->x[i] = 0x1000 + i;
	memcpy(&h->x[10], args, sizeof(args));
	h->x[16] = fid;
	h->x[17] = eid;
	h->pc = CALL_PC;
	r.action = sbi_call(fx->sched, v);
	r.a0 = (int64_t)h->x[10];
	r.a1 = (int64_t)h->x[11];

	assert_int_equal(h->pc, CALL_PC + 4);
	for (unsigned i = 1; i < 32; i++) {
		uint64_t want = i >= 10 && i <= 15 ? args[i - 10]
				: i == 16	   ? fid
				: i == 17	   ? eid
						   : 0x1000 + i;
		if (i == 10 || (i == 11 && !legacy))
			continue;
		if (h->x[i] != want)
			fail_msg("EID 0x%llx FID %llu changed x%u: 0x%llx, was "
				 "0x%llx",
				 (unsigned long long)eid,
				 (unsigned long long)fid, i,
				 (unsigned long long)h->x[i],
				 (unsigned long long)want);
	}
	return r;
}

#define CALL0(fx, eid, fid)    call(fx, 0, eid, fid, 0, 0, 0, 0, 0)
#define CALL1(fx, eid, fid, a) call(fx, 0, eid, fid, a, 0, 0, 0, 0)

/* Captured console output as a string. */
static const char *captured(struct fixture *fx)
{
	static char buf[4097];
	long n = console_captured(fx->con, buf, sizeof(buf) - 1, NULL);

	assert_true(n >= 0 && n < (long)sizeof(buf));
	buf[n] = 0;
	return buf;
}

/* ---- BASE ("Base Extension") ---- */

static void test_base(void **state)
{
	struct fixture *fx = *state;
	static const uint64_t present[] = {
	    SBI_EXT_BASE,
	    SBI_EXT_TIME,
	    SBI_EXT_IPI,
	    SBI_EXT_RFENCE,
	    SBI_EXT_HSM,
	    SBI_EXT_SRST,
	    SBI_EXT_DBCN,
	    SBI_EXT_MEMVISOR,
	    SBI_LEGACY_SET_TIMER,
	    SBI_LEGACY_CONSOLE_PUTCHAR,
	    SBI_LEGACY_CONSOLE_GETCHAR,
	    SBI_LEGACY_CLEAR_IPI,
	    SBI_LEGACY_SHUTDOWN,
	};
	struct result r;

	r = CALL0(fx, SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal((uint64_t)r.a1 >> 31, 0);
	assert_true((((uint64_t)r.a1 >> 24) & 0x7f) >= 2);
	assert_int_equal(r.action, SBI_ACTION_CONTINUE);

	for (size_t i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		r = CALL1(fx, SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION,
			  present[i]);
		assert_int_equal(r.a0, SBI_SUCCESS);
		if (r.a1 == 0)
			fail_msg("probe_extension(0x%llx) = 0",
				 (unsigned long long)present[i]);
		assert_true(sbi_probe(present[i]));
	}
	r = CALL1(fx, SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, 0x12345678);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, 0);
	assert_false(sbi_probe(0x12345678));

	r = CALL0(fx, SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, SBI_IMPL_ID_MEMVISOR);
}

/* ---- unknown calls ("Binary Encoding": SBI_ERR_NOT_SUPPORTED) ---- */

static void test_unknown(void **state)
{
	struct fixture *fx = *state;
	struct result r;

	r = CALL0(fx, 0x12345678, 0);
	assert_int_equal(r.a0, SBI_ERR_NOT_SUPPORTED);
	assert_int_equal(r.action, SBI_ACTION_CONTINUE);
	r = CALL0(fx, SBI_EXT_BASE, 99);
	assert_int_equal(r.a0, SBI_ERR_NOT_SUPPORTED);
	r = CALL0(fx, SBI_EXT_TIME, 1);
	assert_int_equal(r.a0, SBI_ERR_NOT_SUPPORTED);
	r = CALL0(fx, SBI_EXT_MEMVISOR, 99);
	assert_int_equal(r.a0, SBI_ERR_NOT_SUPPORTED);
	/* Legacy send_ipi and remote fences (EIDs 4..7) are not offered. */
	r = CALL0(fx, SBI_LEGACY_SEND_IPI, 0);
	assert_int_equal(r.a0, SBI_ERR_NOT_SUPPORTED);
}

/* ---- TIME ("Timer Extension"; legacy set_timer) ---- */

static void test_set_timer(void **state)
{
	struct fixture *fx = *state;
	struct hart *h = &fx->vm->vcpus[0].hart;
	uint64_t far = hart_time(h) + 1000ull * HART_TIMEBASE_HZ;
	struct result r;

	/* A deadline in the future: timecmp set, pending STIP cleared. */
	hart_set_pending(h, HART_IRQ_STI);
	r = CALL1(fx, SBI_EXT_TIME, SBI_TIME_SET_TIMER, far);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(h->timecmp, far);
	assert_int_equal(atomic_load(&h->sip) & HART_IRQ_STI, 0);

	/* A deadline already passed: STIP. */
	r = CALL1(fx, SBI_EXT_TIME, SBI_TIME_SET_TIMER, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	hart_poll_timer(h);
	assert_int_equal(atomic_load(&h->sip) & HART_IRQ_STI, HART_IRQ_STI);

	/* "Infinitely far" clears it again. */
	r = CALL1(fx, SBI_EXT_TIME, SBI_TIME_SET_TIMER, UINT64_MAX);
	assert_int_equal(r.a0, SBI_SUCCESS);
	hart_poll_timer(h);
	assert_int_equal(atomic_load(&h->sip) & HART_IRQ_STI, 0);

	/* Legacy set_timer: same effect, 0 in a0. */
	hart_set_pending(h, HART_IRQ_STI);
	r = CALL1(fx, SBI_LEGACY_SET_TIMER, 0, far);
	assert_int_equal(r.a0, 0);
	assert_int_equal(h->timecmp, far);
	assert_int_equal(atomic_load(&h->sip) & HART_IRQ_STI, 0);
}

/* ---- HSM ("Hart State Management Extension") ---- */

static void test_hsm(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	struct result r;

	/* Hart 0 is running (runnable), hart 1 never started. */
	r = CALL1(fx, SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, SBI_HSM_STATE_STARTED);
	r = CALL1(fx, SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 1);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, SBI_HSM_STATE_STOPPED);
	r = CALL1(fx, SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, 2);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
	r = CALL1(fx, SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, UINT64_MAX);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);

	/* hart_start errors, before anything is started: no such hart; a
	 * start address outside RAM (just below, just past the end). */
	r = call(fx, 0, SBI_EXT_HSM, SBI_HSM_HART_START, 99, RAM_BASE, 0, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
	r = call(fx, 0, SBI_EXT_HSM, SBI_HSM_HART_START, 1, RAM_BASE - 4, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_ADDRESS);
	r = call(fx, 0, SBI_EXT_HSM, SBI_HSM_HART_START, 1,
		 RAM_BASE + vm->ram_size, 0, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_ADDRESS);
	assert_int_equal(atomic_load(&vm->vcpus[1].state), VCPU_STOPPED);

	/* Retentive suspend (type 0): success, and the VCPU idles until an
	 * interrupt. */
	r = CALL1(fx, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.action, SBI_ACTION_IDLE);

	/* hart_stop marks the calling VCPU to stop. */
	r = CALL0(fx, SBI_EXT_HSM, SBI_HSM_HART_STOP);
	assert_true(vm->vcpus[0].stop_requested);
}

static void test_hsm_suspend_types(void **state)
{
	struct fixture *fx = *state;
	static const uint64_t invalid[] = {
	    0x00000001, 0x0fffffff, /* reserved */
	    0x10000000,		    /* platform retentive: none offered */
	    0x80000001, 0x8fffffff, /* reserved */
	    0x90000000, 0xffffffff, /* platform non-retentive: none */
	};
	struct result r;

	/* "HSM Hart Suspend Errors": INVALID_PARAM when suspend_type is
	 * reserved, or platform-specific and unimplemented. */
	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		r = call(fx, 0, SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, invalid[i],
			 RAM_BASE, 0, 0, 0);
		if (r.a0 != SBI_ERR_INVALID_PARAM)
			fail_msg("hart_suspend(0x%llx): error %lld, expected "
				 "SBI_ERR_INVALID_PARAM (-3)",
				 (unsigned long long)invalid[i],
				 (long long)r.a0);
		assert_int_equal(r.action, SBI_ACTION_CONTINUE);
	}
}

/* ---- IPI ("IPI Extension", hart_mask / hart_mask_base) ---- */

static void test_ipi(void **state)
{
	struct fixture *fx = *state;
	struct vm *vm = fx->vm;
	struct result r;

	/* sbi_call wakes the target through the scheduler: one idle PCPU
	 * thread with no VM of its own runs nothing. */
	assert_int_equal(sched_create(1, &fx->sched), 0);

	r = call(fx, 0, SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1u << 1, 0, 0, 0, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(atomic_load(&vm->vcpus[1].hart.sip) & HART_IRQ_SSI,
			 HART_IRQ_SSI);
	assert_int_equal(atomic_load(&vm->vcpus[0].hart.sip) & HART_IRQ_SSI, 0);

	/* Legacy clear_ipi clears the caller's SSIP. */
	r = call(fx, 1, SBI_LEGACY_CLEAR_IPI, 0, 0, 0, 0, 0, 0);
	assert_int_equal(r.a0, 0);
	assert_int_equal(atomic_load(&vm->vcpus[1].hart.sip) & HART_IRQ_SSI, 0);

	/* Base 1, bit 0: hart 1 again. */
	r = call(fx, 0, SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, 1, 0, 0, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_true(atomic_load(&vm->vcpus[1].hart.sip) & HART_IRQ_SSI);
	hart_clear_pending(&vm->vcpus[1].hart, HART_IRQ_SSI);

	/* A hart that does not exist: INVALID_PARAM, nobody interrupted. */
	r = call(fx, 0, SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0x3, 1, 0, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
	assert_int_equal(atomic_load(&vm->vcpus[1].hart.sip) & HART_IRQ_SSI, 0);

	/* Base -1: every hart. */
	r = call(fx, 0, SBI_EXT_IPI, SBI_IPI_SEND_IPI, 0, UINT64_MAX, 0, 0, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_true(atomic_load(&vm->vcpus[0].hart.sip) & HART_IRQ_SSI);
	assert_true(atomic_load(&vm->vcpus[1].hart.sip) & HART_IRQ_SSI);
}

/* ---- RFENCE ("RFENCE Extension") ---- */

static void test_rfence(void **state)
{
	struct fixture *fx = *state;
	struct hart *h1 = &fx->vm->vcpus[1].hart;
	struct result r;

	/* To a hart that is not on a CPU: the flush is posted for when it
	 * next runs, and the call succeeds. */
	r = call(fx, 0, SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1u << 1, 0, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_true(atomic_load(&h1->requests) & HART_REQ_FLUSH_TLB);
	r = call(fx, 0, SBI_EXT_RFENCE, SBI_RFENCE_FENCE_I, 1u << 1, 0, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_true(atomic_load(&h1->requests) & HART_REQ_FLUSH_ICACHE);
	r = call(fx, 0, SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA_ASID, 1u << 1, 0,
		 0x1000, 0x1000, 7);
	assert_int_equal(r.a0, SBI_SUCCESS);
	/* No such hart. */
	r = call(fx, 0, SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA, 1u << 5, 0, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
}

/* ---- DBCN ("Debug Console Extension"); legacy console ---- */

static void test_dbcn(void **state)
{
	struct fixture *fx = *state;
	struct gstage *gs = &fx->vm->gs;
	char buf[16];
	struct result r;

	assert_int_equal(gmem_write(gs, BUF_GPA, "hello", 5), 0);
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, BUF_GPA, 0, 0, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, 5);
	r = CALL1(fx, SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, '!');
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, 0);
	r = CALL1(fx, SBI_LEGACY_CONSOLE_PUTCHAR, 0, '?');
	assert_int_equal(r.a0, 0);
	assert_string_equal(captured(fx), "hello!?");

	/* Memory that is not RAM. */
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_WRITE, 5, 0x10000000, 0, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_WRITE, 8,
		 RAM_BASE + 16 * MIB - 4, 0, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);

	/* Read: the queued input lands in guest memory; a1 = bytes. */
	assert_int_equal(console_push_input(fx->con, "in", 2), 2);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(gmem_write(gs, BUF_GPA, buf, sizeof(buf)), 0);
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_READ, sizeof(buf), BUF_GPA, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, 2);
	assert_int_equal(gmem_read(gs, BUF_GPA, buf, sizeof(buf)), 0);
	assert_memory_equal(buf, "inxx", 4);
	/* Nothing queued: 0 bytes. */
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_READ, sizeof(buf), BUF_GPA, 0, 0,
		 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, 0);

	/* Legacy getchar: a byte, then -1. */
	assert_int_equal(console_push_input(fx->con, "z", 1), 1);
	r = CALL0(fx, SBI_LEGACY_CONSOLE_GETCHAR, 0);
	assert_int_equal(r.a0, 'z');
	r = CALL0(fx, SBI_LEGACY_CONSOLE_GETCHAR, 0);
	assert_int_equal(r.a0, -1);
}

/*
 * DBCN's address is base_addr_lo (the low XLEN = 64 bits) plus
 * base_addr_hi (the bits above XLEN). With RAM above 4 GiB, a nonzero
 * hi must not be folded into bits 63:32 of the address: hi = 1 means an
 * address at 2^64 and up, which is not RAM.
 */
static void test_dbcn_address_hi(void **state)
{
	struct fixture *fx = *state;
	struct gstage *gs = &fx->vm->gs;
	const uint64_t lo = RAM_BASE + 0x1000, folded = lo | (1ull << 32);
	char buf[4];
	struct result r;

	assert_int_equal(gmem_write(gs, lo, "lo!", 3), 0);
	assert_int_equal(gmem_write(gs, folded, "HI?", 3), 0);

	/* A full 64-bit lo above 4 GiB works. */
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_WRITE, 3, folded, 0, 0, 0);
	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_string_equal(captured(fx), "HI?");

	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_WRITE, 3, lo, 1, 0, 0);
	if (r.a0 != SBI_ERR_INVALID_PARAM)
		fail_msg("DBCN write with base_addr_hi = 1: error %lld, value "
			 "%lld, output \"%s\"; expected SBI_ERR_INVALID_PARAM",
			 (long long)r.a0, (long long)r.a1, captured(fx));

	assert_int_equal(console_push_input(fx->con, "ab", 2), 2);
	r = call(fx, 0, SBI_EXT_DBCN, SBI_DBCN_READ, 2, lo, 1, 0, 0);
	assert_int_equal(r.a0, SBI_ERR_INVALID_PARAM);
	assert_int_equal(gmem_read(gs, folded, buf, 3), 0);
	assert_memory_equal(buf, "HI?", 3);
}

/* ---- SRST ("System Reset Extension"); legacy shutdown ---- */

static void srst_case(uint64_t type, uint64_t reason, int64_t want_a0,
		      bool want_stop, int want_status)
{
	struct fixture *fx = fixture_new(16 * MIB, 1);
	struct result r;

	r = call(fx, 0, SBI_EXT_SRST, SBI_SRST_RESET, type, reason, 0, 0, 0);
	if (want_stop) {
		assert_true(atomic_load(&fx->vm->stopping));
		assert_int_equal(fx->vm->exit_status, want_status);
	} else {
		assert_int_equal(r.a0, want_a0);
		assert_false(atomic_load(&fx->vm->stopping));
	}
	teardown((void **)&fx);
}

static void test_srst(void **state)
{
	struct fixture *fx;

	(void)state;
	srst_case(SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_NONE, 0, true,
		  VM_EXIT_SHUTDOWN);
	srst_case(SBI_SRST_TYPE_SHUTDOWN, SBI_SRST_REASON_FAILURE, 0, true,
		  VM_EXIT_FAILURE);
	srst_case(SBI_SRST_TYPE_COLD_REBOOT, SBI_SRST_REASON_NONE, 0, true,
		  VM_EXIT_REBOOT);
	srst_case(SBI_SRST_TYPE_WARM_REBOOT, SBI_SRST_REASON_NONE, 0, true,
		  VM_EXIT_REBOOT);
	/* Reserved type or reason: INVALID_PARAM, and the VM runs on. */
	srst_case(3, 0, SBI_ERR_INVALID_PARAM, false, 0);
	srst_case(0, 2, SBI_ERR_INVALID_PARAM, false, 0);
	srst_case(0xf0000000, 0, SBI_ERR_INVALID_PARAM, false, 0);

	/* Legacy shutdown. */
	fx = fixture_new(16 * MIB, 1);
	call(fx, 0, SBI_LEGACY_SHUTDOWN, 0, 0, 0, 0, 0, 0);
	assert_true(atomic_load(&fx->vm->stopping));
	assert_int_equal(fx->vm->exit_status, VM_EXIT_SHUTDOWN);
	teardown((void **)&fx);
}

/* ---- memvisor's own extension (include/memvisor/abi.h) ---- */

static void test_memvisor(void **state)
{
	struct fixture *fx = *state;
	struct result r = CALL0(fx, SBI_EXT_MEMVISOR, MEMVISOR_GET_ABI_VERSION);

	assert_int_equal(r.a0, SBI_SUCCESS);
	assert_int_equal(r.a1, MEMVISOR_ABI_VERSION);
	assert_int_equal(MEMVISOR_ABI_VERSION, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_base, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_set_timer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hsm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hsm_suspend_types, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ipi, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rfence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dbcn, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dbcn_address_hi, setup_big,
					    teardown),
	    cmocka_unit_test(test_srst),
	    cmocka_unit_test_setup_teardown(test_memvisor, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
