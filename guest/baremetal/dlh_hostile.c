/* SPDX-License-Identifier: MIT */
/*
 * A hostile user of deferrable hypercalls, run next to well-behaved guests
 * (tests/integration/dlh_fair.c). First it checks that bad input is
 * refused with an SBI error or an error status: rings outside RAM, not
 * aligned, too many entries or a ring number out of range; unknown
 * routines and bad arguments in the ring and synchronously; a producer
 * index far ahead (the ring is marked broken and runs nothing more). It
 * prints "dlh_hostile: bad input refused", and then, on every hart, posts
 * forever: full rings of costly calls (free-page hints of all its memory,
 * right after writing it), producer indices that break the ring, rings
 * registered again and again, notifies without end. It never shuts down:
 * the test stops it.
 *
 * Check codes: 1xx registering, 2xx routines, 3xx malformed ring.
 */
#include "lib.h"

TEST_NAME("dlh_hostile");

#define RAM	     (64ul * 1024 * 1024) /* run with --memory 64M */
#define RAM_BASE     0x80000000ul
#define RING_ENTRIES MEMVISOR_DLH_MAX_ENTRIES
#define AREA	     (RAM_BASE + 16 * 1024 * 1024)
#define AREA_PAGES   2048 /* 8 MiB per hart */

struct ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[RING_ENTRIES];
} __attribute__((aligned(4096)));

static struct ring rings[2];

static struct sbiret reg(unsigned long gpa, unsigned long entries,
			 unsigned long n)
{
	return SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_REGISTER, gpa, entries, n);
}

static struct sbiret notify(void)
{
	return SBI0(SBI_EXT_MEMVISOR, MEMVISOR_DLH_NOTIFY);
}

static struct sbiret call(unsigned routine, uint64_t a0, uint64_t a1)
{
	return SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_CALL_SYNC, routine, a0, a1);
}

static void check_bad_input(void)
{
	struct ring *r = &rings[0];
	uint32_t p;

	CHECK_EQ(reg(RAM_BASE + RAM, 16, 0).error, SBI_ERR_INVALID_ADDRESS,
		 101);
	CHECK_EQ(reg(0x1000, 16, 0).error, SBI_ERR_INVALID_ADDRESS, 102);
	CHECK_EQ(reg((unsigned long)r + 64, 16, 0).error,
		 SBI_ERR_INVALID_ADDRESS, 103);
	CHECK_EQ(reg(RAM_BASE + RAM - 4096, 4096, 0).error,
		 SBI_ERR_INVALID_ADDRESS, 104);
	CHECK_EQ(reg((unsigned long)r, 8192, 0).error, SBI_ERR_INVALID_PARAM,
		 105);
	CHECK_EQ(reg((unsigned long)r, 5, 0).error, SBI_ERR_INVALID_PARAM, 106);
	CHECK_EQ(reg((unsigned long)r, 16, MEMVISOR_DLH_MAX_RINGS).error,
		 SBI_ERR_INVALID_PARAM, 107);
	CHECK_EQ(reg((unsigned long)r, 16, ~0ul).error, SBI_ERR_INVALID_PARAM,
		 108);

	CHECK_EQ(call(12345, 0, 0).error, SBI_ERR_NOT_SUPPORTED, 201);
	CHECK_EQ(call(0, 0, 0).error, SBI_ERR_NOT_SUPPORTED, 202);
	CHECK_EQ(call(MEMVISOR_DLH_R_FREE_HINT, RAM_BASE + RAM, 1).error,
		 SBI_ERR_INVALID_ADDRESS, 203);
	CHECK_EQ(call(MEMVISOR_DLH_R_FREE_HINT, RAM_BASE, ~0ul).error,
		 SBI_ERR_INVALID_ADDRESS, 204);
	CHECK_EQ(call(MEMVISOR_DLH_R_CONSOLE_WRITE, RAM_BASE, 1u << 20).error,
		 SBI_ERR_INVALID_PARAM, 205);
	CHECK_EQ(call(MEMVISOR_DLH_R_TLB_FLUSH, ~0ul, 0).error,
		 SBI_ERR_INVALID_PARAM, 206);

	/* In the ring: each bad entry gets its own error status. */
	CHECK_EQ(reg((unsigned long)r, 16, 0).error, SBI_SUCCESS, 207);
	p = r->h.producer;
	r->e[(p + 0) % 16] = (struct memvisor_dlh_entry){.routine = 777};
	r->e[(p + 1) % 16] = (struct memvisor_dlh_entry){
	    .routine = MEMVISOR_DLH_R_FREE_HINT, .args = {~0xffful, 16}};
	r->e[(p + 2) % 16] = (struct memvisor_dlh_entry){
	    .routine = MEMVISOR_DLH_R_CONSOLE_WRITE, .args = {0x10, 8}};
	r->e[(p + 3) % 16] = (struct memvisor_dlh_entry){
	    .routine = MEMVISOR_DLH_R_COUNTER_ADD, .reserved = 0xffffffff};
	__asm__ volatile("fence w,w" ::: "memory");
	r->h.producer = p + 4;
	CHECK_EQ(notify().error, SBI_SUCCESS, 208);
	CHECK_EQ(r->e[(p + 0) % 16].status, SBI_ERR_NOT_SUPPORTED, 209);
	CHECK_EQ(r->e[(p + 1) % 16].status, SBI_ERR_INVALID_ADDRESS, 210);
	CHECK_EQ(r->e[(p + 2) % 16].status, SBI_ERR_INVALID_ADDRESS, 211);
	CHECK_EQ(r->e[(p + 3) % 16].status, SBI_SUCCESS, 212);

	/* A producer index far ahead: the ring is broken, runs nothing. */
	r->h.producer = p + 4 + 1000;
	CHECK_EQ(notify().error, SBI_ERR_FAILED, 301);
	CHECK_EQ(r->h.flags & MEMVISOR_DLH_RING_ERROR, MEMVISOR_DLH_RING_ERROR,
		 302);
	CHECK_EQ(r->h.consumer, p + 4, 303);
	CHECK_EQ(notify().error, SBI_ERR_FAILED, 304);
	CHECK_EQ(r->h.consumer, p + 4, 305);
	puts("dlh_hostile: bad input refused\n");
}

/* Post without end; never returns. */
static void flood(unsigned long hartid)
{
	struct ring *r = &rings[hartid];
	volatile uint8_t *area =
	    (volatile uint8_t *)(AREA + hartid * AREA_PAGES * 4096ul);

	for (unsigned long n = 0;; n++) {
		uint32_t p;

		reg((unsigned long)r, RING_ENTRIES, hartid);
		p = r->h.producer;
		/* Costly hints: every page written first. */
		for (unsigned i = 0; i < AREA_PAGES; i += 8)
			area[i * 4096] = (uint8_t)n;
		for (unsigned i = 0; i < RING_ENTRIES; i++) {
			struct memvisor_dlh_entry *e = &r->e[i];

			switch (i % 4) {
			case 0:
				e->routine = MEMVISOR_DLH_R_FREE_HINT;
				e->args[0] = RAM_BASE + 16 * 1024 * 1024;
				e->args[1] = (RAM - 16 * 1024 * 1024) / 4096;
				break;
			case 1:
				e->routine = MEMVISOR_DLH_R_TLB_FLUSH;
				e->args[0] = 3;
				break;
			case 2:
				e->routine = 9999;
				break;
			default:
				e->routine = MEMVISOR_DLH_R_FREE_HINT;
				e->args[0] =
				    (unsigned long)r; /* its own ring */
				e->args[1] = 1;
				break;
			}
		}
		__asm__ volatile("fence w,w" ::: "memory");
		r->h.producer = p + RING_ENTRIES;
		notify();
		/* And an index that breaks the ring, every other time. */
		if (n & 1) {
			r->h.producer = p + 3 * RING_ENTRIES;
			notify();
		}
		call(MEMVISOR_DLH_R_FREE_HINT, AREA, 2 * AREA_PAGES);
	}
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_bad_input();
	if (!hsm_status(1).error)
		CHECK_EQ(hsm_start(1, flood).error, SBI_SUCCESS, 109);
	flood(0);
}
