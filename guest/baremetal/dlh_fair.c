/* SPDX-License-Identifier: MIT */
/*
 * A well-behaved user of deferrable hypercalls, for the scheduler-fairness
 * test (tests/integration/dlh_fair.c runs eight of these, with two VCPUs
 * each, on two PCPUs, next to a hostile guest). Each hart, on a ring of
 * its own, does ROUNDS rounds of: write its 32 pages, post a free-page
 * hint of each, a counter add and a TLB flush for every hart, notify, and
 * check every result (the hints released one page each, the counter
 * results increase, the hinted pages read zero). Passing means the VM
 * reached its goal with every call run exactly once; a VM that starved
 * would never get there.
 *
 * Check codes: 1xx setup, 2xx statuses and results, 3xx memory.
 */
#include "lib.h"

TEST_NAME("dlh_fair");

#define ROUNDS	     300
#define PAGES	     32
#define RING_ENTRIES 128
#define AREA	     0x81000000ul /* 16 MiB into RAM, scratch */

struct ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[RING_ENTRIES];
} __attribute__((aligned(4096)));

static struct ring rings[2];
static unsigned nharts;
static volatile uint32_t done;

static void post(struct ring *r, uint32_t *p, unsigned routine, uint64_t a0,
		 uint64_t a1)
{
	struct memvisor_dlh_entry *e = &r->e[*p % RING_ENTRIES];

	e->routine = routine;
	e->status = MEMVISOR_DLH_PENDING;
	e->args[0] = a0;
	e->args[1] = a1;
	(*p)++;
}

static void work(unsigned long hartid)
{
	struct ring *r = &rings[hartid];
	volatile uint8_t *area =
	    (volatile uint8_t *)(AREA + hartid * PAGES * 4096ul);
	uint64_t last = 0;

	CHECK_EQ(SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_REGISTER, (unsigned long)r,
		      RING_ENTRIES, hartid)
		     .error,
		 SBI_SUCCESS, 101);
	for (unsigned round = 0; round < ROUNDS; round++) {
		uint32_t p0 = r->h.producer, p = p0;

		for (unsigned i = 0; i < PAGES; i++)
			area[i * 4096] = area[i * 4096 + 4095] =
			    (uint8_t)(round + i + 1);
		for (unsigned i = 0; i < PAGES; i++) {
			post(r, &p, MEMVISOR_DLH_R_FREE_HINT,
			     (uint64_t)(area + i * 4096), 1);
			post(r, &p, MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
		}
		post(r, &p, MEMVISOR_DLH_R_TLB_FLUSH, (1ul << nharts) - 1, 0);
		__asm__ volatile("fence w,w" ::: "memory");
		*(volatile uint32_t *)&r->h.producer = p;
		CHECK_EQ(SBI0(SBI_EXT_MEMVISOR, MEMVISOR_DLH_NOTIFY).error,
			 SBI_SUCCESS, 102);
		CHECK_EQ(*(volatile uint32_t *)&r->h.consumer, p, 103);
		__asm__ volatile("fence r,r" ::: "memory");
		for (uint32_t k = p0; k != p; k++) {
			struct memvisor_dlh_entry *e = &r->e[k % RING_ENTRIES];

			CHECK_EQ(e->status, SBI_SUCCESS, 201);
			if (e->routine == MEMVISOR_DLH_R_FREE_HINT)
				CHECK_EQ(e->result, 1, 202);
			if (e->routine == MEMVISOR_DLH_R_COUNTER_ADD) {
				CHECK((uint64_t)e->result > last, 203);
				last = (uint64_t)e->result;
			}
		}
		for (unsigned i = 0; i < PAGES; i++) {
			CHECK_EQ(area[i * 4096], 0, 301);
			CHECK_EQ(area[i * 4096 + 4095], 0, 302);
		}
	}
	__asm__ volatile("amoadd.w zero, %1, (%0)"
			 :
			 : "r"(&done), "r"(1)
			 : "memory");
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	nharts = hsm_status(1).error ? 1 : 2;
	if (nharts == 2)
		CHECK_EQ(hsm_start(1, work).error, SBI_SUCCESS, 104);
	work(0);
	while (done < nharts)
		;
	/* Every counter add of both harts ran once. */
	CHECK_EQ(SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_CALL_SYNC,
		      MEMVISOR_DLH_R_COUNTER_ADD, 0, 0)
		     .value,
		 (uint64_t)nharts * ROUNDS * PAGES, 105);
}
