/* SPDX-License-Identifier: MIT */
/*
 * Deferrable low-overhead hypercalls (include/memvisor/abi.h, DLH): register
 * a ring, post counter-add calls with no exit, and check that every call
 * ran exactly once and in posting order (each result is the running
 * counter, so results are a permutation of base+1..base+n and increase in
 * ring order); a full ring falls back to the synchronous call and nothing
 * is dropped; the routines and bad input (bad rings, unknown routine, a
 * malformed producer index). With --cpus 2 or more, two harts post at once.
 *
 * Then every hart posts to a ring of its own, with no lock (results
 * increase per ring, every counter value is seen once over all of them);
 * entries posted with no notify run when the VCPU is next put back on a
 * CPU; free-page hints, deferred and synchronous, good and bad.
 *
 * Check codes: 1xx register, 2xx posting and order, 3xx ring full, 4xx
 * routines, 5xx malformed ring, 6xx two harts, 7xx a ring per hart, 8xx
 * drained on restore, 9xx free-page hints.
 */
#include "lib.h"

TEST_NAME("dlh");

#define RING_ENTRIES 16
#define MAX_CALLS    8192 /* results tracked, counter values from base */

struct ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[RING_ENTRIES];
};

static struct ring ring __attribute__((aligned(4096)));

/* The guest side: producers serialised by a lock; reclaimed trails the
 * host's consumer, collecting results. */
static volatile uint32_t post_lock;
static uint32_t reclaimed;
static uint64_t counter_base, last_ring_result;
static uint8_t seen[MAX_CALLS + 1];
static volatile uint32_t fallbacks, order_errors, range_errors;
static volatile uint32_t harts_done;

static inline void lock(volatile uint32_t *l)
{
	uint32_t old;

	do
		__asm__ volatile("amoswap.w.aq %0, %2, (%1)"
				 : "=r"(old)
				 : "r"(l), "r"(1)
				 : "memory");
	while (old);
}

static inline void unlock(volatile uint32_t *l)
{
	__asm__ volatile("amoswap.w.rl zero, zero, (%0)" : : "r"(l) : "memory");
}

static inline uint32_t load32(const void *p)
{
	return *(volatile const uint32_t *)p;
}

/* Ring 0 is the shared one; the per-hart rings are 1 + hart id. */
static struct sbiret dlh_register_n(void *gpa, unsigned long entries,
				    unsigned long n)
{
	return SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_REGISTER, (unsigned long)gpa,
		    entries, n);
}

static struct sbiret dlh_register(void *gpa, unsigned long entries)
{
	return dlh_register_n(gpa, entries, 0);
}

static struct sbiret dlh_notify(void)
{
	return SBI0(SBI_EXT_MEMVISOR, MEMVISOR_DLH_NOTIFY);
}

static struct sbiret dlh_sync(unsigned routine, uint64_t a0, uint64_t a1)
{
	return SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_CALL_SYNC, routine, a0, a1);
}

/* Record one counter result: each value once, within range. */
static void record(uint64_t result, bool from_ring)
{
	uint64_t k = result - counter_base;

	if (k == 0 || k > MAX_CALLS) {
		range_errors++;
		return;
	}
	if (seen[k]++)
		range_errors++;
	if (from_ring) {
		if (result <= last_ring_result)
			order_errors++;
		last_ring_result = result;
	}
}

/* Lock held. Collect the results of entries the host has run. */
static void reclaim(void)
{
	uint32_t consumer = load32(&ring.h.consumer);

	__asm__ volatile("fence r,r" ::: "memory");
	for (; reclaimed != consumer; reclaimed++) {
		volatile struct memvisor_dlh_entry *e =
		    &ring.e[reclaimed % RING_ENTRIES];

		if (e->routine == MEMVISOR_DLH_R_COUNTER_ADD) {
			if (e->status != SBI_SUCCESS)
				range_errors++;
			else
				record((uint64_t)e->result, true);
		}
	}
}

/* Lock held. Post one call, or make it synchronously if the ring is full:
 * returns true when it was posted. */
static bool post(unsigned routine, uint64_t a0, uint64_t a1)
{
	uint32_t p = ring.h.producer;
	struct memvisor_dlh_entry *e = &ring.e[p % RING_ENTRIES];

	reclaim();
	if (p - reclaimed >= RING_ENTRIES) {
		struct sbiret r = dlh_sync(routine, a0, a1);

		fallbacks++;
		if (routine == MEMVISOR_DLH_R_COUNTER_ADD) {
			if (r.error)
				range_errors++;
			else
				record((uint64_t)r.value, false);
		}
		return false;
	}
	e->routine = routine;
	e->reserved = 0;
	e->status = MEMVISOR_DLH_PENDING;
	e->result = 0;
	e->args[0] = a0;
	e->args[1] = a1;
	e->args[2] = e->args[3] = 0;
	/* Release: the entry before the index that publishes it. */
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&ring.h.producer = p + 1;
	return true;
}

static uint64_t counter_now(void)
{
	return (uint64_t)dlh_sync(MEMVISOR_DLH_R_COUNTER_ADD, 0, 0).value;
}

static void check_register(void)
{
	uint64_t ram_end = 0x80000000ul + 64 * 1024 * 1024; /* --memory 64M */

	CHECK_EQ(dlh_register((char *)&ring + 8, RING_ENTRIES).error,
		 SBI_ERR_INVALID_ADDRESS, 101);
	CHECK_EQ(dlh_register((void *)0x1000, RING_ENTRIES).error,
		 SBI_ERR_INVALID_ADDRESS, 102);
	/* The last page of RAM holds the header, not 16 entries. */
	CHECK_EQ(dlh_register((void *)(ram_end - 4096), 64).error,
		 SBI_ERR_INVALID_ADDRESS, 103);
	CHECK_EQ(dlh_register((void *)(ram_end), 1).error,
		 SBI_ERR_INVALID_ADDRESS, 104);
	CHECK_EQ(dlh_register((void *)~0xffful, 1).error,
		 SBI_ERR_INVALID_ADDRESS, 105);
	CHECK_EQ(
	    dlh_register_n(&ring, RING_ENTRIES, MEMVISOR_DLH_MAX_RINGS).error,
	    SBI_ERR_INVALID_PARAM, 106);
	CHECK_EQ(dlh_register(&ring, 3).error, SBI_ERR_INVALID_PARAM, 107);
	CHECK_EQ(dlh_register(&ring, 8192).error, SBI_ERR_INVALID_PARAM, 108);
	ring.h.consumer = 12345; /* memvisor sets it, whatever it was */
	ring.h.flags = 0xff;
	CHECK_EQ(dlh_register(&ring, RING_ENTRIES).error, SBI_SUCCESS, 109);
	/* No other ring may overlap it. */
	CHECK_EQ(dlh_register_n(&ring, 1, 1).error, SBI_ERR_INVALID_ADDRESS,
		 113);
	CHECK_EQ(ring.h.consumer, 0, 110);
	CHECK_EQ(ring.h.flags, 0, 111);
	/* Notify with nothing posted runs nothing. */
	CHECK_EQ(dlh_notify().value, 0, 112);
}

static void check_order(void)
{
	struct sbiret r;

	counter_base = counter_now();
	lock(&post_lock);
	for (unsigned i = 0; i < 10; i++)
		CHECK(post(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0), 201);
	/* Posting made no exit: nothing ran yet unless a slice ended. */
	r = dlh_notify();
	CHECK_EQ(r.error, SBI_SUCCESS, 202);
	/* Before this VCPU resumed, everything posted has run. */
	CHECK_EQ(ring.h.consumer, ring.h.producer, 203);
	reclaim();
	unlock(&post_lock);
	for (unsigned i = 0; i < 10; i++) {
		CHECK_EQ(ring.e[i].status, SBI_SUCCESS, 204);
		CHECK_EQ(ring.e[i].result, counter_base + i + 1, 205);
	}
	CHECK_EQ(counter_now(), counter_base + 10, 206);
	CHECK_EQ(order_errors + range_errors, 0, 207);
}

/* Post far more than the ring holds without notifying. */
static void check_full(void)
{
	const unsigned n = 2000;
	unsigned posted = 0;

	lock(&post_lock);
	for (unsigned i = 0; i < n; i++)
		posted += post(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
	dlh_notify();
	reclaim();
	unlock(&post_lock);
	CHECK(fallbacks > 0, 301);
	CHECK_EQ(posted + fallbacks, n, 302);
	CHECK_EQ(counter_now(), counter_base + 10 + n, 303);
	for (unsigned k = 1; k <= 10 + n; k++)
		if (seen[k] != 1)
			fail(304, "a counter value seen once", seen[k], 1,
			     true);
	CHECK_EQ(order_errors + range_errors, 0, 305);
	puts("dlh: ");
	put_dec(posted);
	puts(" posted, ");
	put_dec(fallbacks);
	puts(" synchronous when full\n");
}

static void check_routines(void)
{
	static const char msg[] = "dlh: console write through the ring\n";
	uint32_t p0 = ring.h.producer;
	uint64_t c0 = counter_now();

	lock(&post_lock);
	reclaim();
	post(MEMVISOR_DLH_R_COUNTER_ADD, 5, 0);
	post(999, 1, 2); /* unknown */
	post(MEMVISOR_DLH_R_COUNTER_ADD, 7, 0);
	post(MEMVISOR_DLH_R_CONSOLE_WRITE, (uint64_t)msg, sizeof(msg) - 1);
	post(MEMVISOR_DLH_R_CONSOLE_WRITE, 0x1000, 8); /* not RAM */
	post(MEMVISOR_DLH_R_CONSOLE_WRITE, (uint64_t)msg, 4097);
	post(MEMVISOR_DLH_R_TLB_FLUSH, 1, 0);
	post(MEMVISOR_DLH_R_TLB_FLUSH, 1ul << 63, 0); /* no such hart */
	/* A slice may have ended on the way, draining some: notify runs
	 * the rest. */
	CHECK_EQ(dlh_notify().error, SBI_SUCCESS, 401);
	CHECK_EQ(ring.h.consumer, p0 + 8, 416);
	reclaimed = p0 + 8; /* these are checked one by one below */
	unlock(&post_lock);

#define ENTRY(i) (&ring.e[(p0 + (i)) % RING_ENTRIES])
	CHECK_EQ(ENTRY(0)->status, SBI_SUCCESS, 402);
	CHECK_EQ(ENTRY(0)->result, c0 + 5, 403);
	CHECK_EQ(ENTRY(1)->status, SBI_ERR_NOT_SUPPORTED, 404);
	CHECK_EQ(ENTRY(2)->status, SBI_SUCCESS, 405);
	CHECK_EQ(ENTRY(2)->result, c0 + 12, 406);
	CHECK_EQ(ENTRY(3)->status, SBI_SUCCESS, 407);
	CHECK_EQ(ENTRY(3)->result, sizeof(msg) - 1, 408);
	CHECK_EQ(ENTRY(4)->status, SBI_ERR_INVALID_ADDRESS, 409);
	CHECK_EQ(ENTRY(5)->status, SBI_ERR_INVALID_PARAM, 410);
	CHECK_EQ(ENTRY(6)->status, SBI_SUCCESS, 411);
	CHECK_EQ(ENTRY(7)->status, SBI_ERR_INVALID_PARAM, 412);
	/* The same routines synchronously. */
	CHECK_EQ(dlh_sync(999, 0, 0).error, SBI_ERR_NOT_SUPPORTED, 413);
	CHECK_EQ(dlh_sync(MEMVISOR_DLH_R_COUNTER_ADD, 3, 0).value, c0 + 15,
		 414);
	CHECK_EQ(dlh_sync(MEMVISOR_DLH_R_TLB_FLUSH, 1, 0).error, SBI_SUCCESS,
		 415);
	counter_base = counter_now();
	memset(seen, 0, sizeof(seen));
	last_ring_result = 0;
}

static void check_malformed(void)
{
	uint32_t c = ring.h.consumer;

	lock(&post_lock);
	reclaim();
	ring.h.producer = c + RING_ENTRIES + 1;
	CHECK_EQ(dlh_notify().error, SBI_ERR_FAILED, 501);
	CHECK_EQ(ring.h.flags, MEMVISOR_DLH_RING_ERROR, 502);
	CHECK_EQ(ring.h.consumer, c, 503);
	/* A broken ring is not drained, even once the index looks sane. */
	ring.h.producer = c + 1;
	dlh_notify();
	CHECK_EQ(ring.h.consumer, c, 504);
	/* Registering again starts it afresh, empty. */
	CHECK_EQ(dlh_register(&ring, RING_ENTRIES).error, SBI_SUCCESS, 505);
	CHECK_EQ(ring.h.flags, 0, 506);
	CHECK_EQ(ring.h.consumer, c + 1, 507);
	reclaimed = c + 1;
	CHECK(post(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0), 508);
	CHECK_EQ(dlh_notify().error, SBI_SUCCESS, 509);
	CHECK_EQ(ring.h.consumer, c + 2, 511);
	reclaim();
	unlock(&post_lock);
	CHECK_EQ(order_errors + range_errors, 0, 510);
	counter_base = counter_now();
	memset(seen, 0, sizeof(seen));
	last_ring_result = 0;
}

#define PER_HART 2000

static void poster(unsigned long hartid)
{
	(void)hartid;
	for (unsigned i = 0; i < PER_HART; i++) {
		lock(&post_lock);
		post(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
		unlock(&post_lock);
		if (i % 64 == 0)
			dlh_notify();
	}
	__asm__ volatile("amoadd.w zero, %1, (%0)"
			 :
			 : "r"(&harts_done), "r"(1)
			 : "memory");
}

static void check_two_harts(void)
{
	uint64_t t0;

	if (hsm_status(1).error == SBI_ERR_INVALID_PARAM) {
		puts("dlh: one hart, no concurrent posting\n");
		return;
	}
	fallbacks = 0;
	CHECK_EQ(hsm_start(1, poster).error, SBI_SUCCESS, 601);
	poster(0);
	t0 = rdtime();
	while (harts_done < 2 && rdtime() - t0 < 30 * TIMEBASE_HZ)
		;
	CHECK_EQ(harts_done, 2, 602);
	lock(&post_lock);
	dlh_notify();
	reclaim();
	unlock(&post_lock);
	CHECK_EQ(counter_now(), counter_base + 2 * PER_HART, 603);
	for (unsigned k = 1; k <= 2 * PER_HART; k++)
		if (seen[k] != 1)
			fail(604, "a counter value seen once", seen[k], 1,
			     true);
	CHECK_EQ(order_errors + range_errors, 0, 605);
	puts("dlh: two harts posted ");
	put_dec(2 * PER_HART);
	puts(", ");
	put_dec(fallbacks);
	puts(" synchronous when full\n");
}

/* ---- a ring per hart, no lock (7xx) ---- */

#define HART_RING_ENTRIES 64
#define PER_HART_RING	  3000

struct hart_ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[HART_RING_ENTRIES];
} __attribute__((aligned(4096)));

static struct hart_ring hart_rings[MAX_HARTS];
static unsigned nharts;
static volatile uint32_t ring_harts_done, ring_errors;
static volatile uint64_t ring_fallback_count;

static inline void amo_add(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("amoadd.w zero, %1, (%0)"
			 :
			 : "r"(p), "r"(v)
			 : "memory");
}

/*
 * Each hart posts counter adds to its own ring, notifying now and then,
 * falling back to the synchronous call when its ring is full. Results
 * come back per ring in posting order, so they must increase; every value
 * of the counter must be seen once over all harts (checked by hart 0).
 */
static uint8_t ring_seen[MAX_HARTS * PER_HART_RING + 1];

static void ring_record(uint64_t result)
{
	uint64_t k = result - counter_base;

	if (k == 0 || k > sizeof(ring_seen) - 1) {
		amo_add(&ring_errors, 1);
		return;
	}
	__asm__ volatile("amoadd.w zero, %1, (%0)"
			 :
			 : "r"((volatile uint32_t *)&ring_seen[k & ~3ul]),
			   "r"(1u << (8 * (k & 3)))
			 : "memory");
}

static void ring_poster(unsigned long hartid)
{
	struct hart_ring *r = &hart_rings[hartid];
	uint32_t done = 0, fallbacks_here = 0;
	uint64_t last = 0;

	if (dlh_register_n(r, HART_RING_ENTRIES, 1 + hartid).error)
		amo_add(&ring_errors, 1000);
	for (unsigned i = 0; i < PER_HART_RING; i++) {
		if (i % 97 == 96)
			dlh_notify();

		uint32_t p = r->h.producer;
		uint32_t c = load32(&r->h.consumer);

		__asm__ volatile("fence r,r" ::: "memory");
		for (; done != c; done++) {
			struct memvisor_dlh_entry *e =
			    &r->e[done % HART_RING_ENTRIES];

			if (e->status != SBI_SUCCESS ||
			    (uint64_t)e->result <= last)
				amo_add(&ring_errors, 1);
			last = (uint64_t)e->result;
			ring_record(last);
		}
		if (p - done >= HART_RING_ENTRIES) {
			/* Full: the same call, synchronously. */
			struct sbiret s =
			    dlh_sync(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);

			fallbacks_here++;
			if (s.error)
				amo_add(&ring_errors, 1);
			ring_record((uint64_t)s.value);
			continue;
		}
		struct memvisor_dlh_entry *e = &r->e[p % HART_RING_ENTRIES];

		e->routine = MEMVISOR_DLH_R_COUNTER_ADD;
		e->status = MEMVISOR_DLH_PENDING;
		e->args[0] = 1;
		__asm__ volatile("fence w,w" ::: "memory");
		*(volatile uint32_t *)&r->h.producer = p + 1;
	}
	dlh_notify();
	/* Everything posted has run: collect the rest. */
	if (load32(&r->h.consumer) != r->h.producer)
		amo_add(&ring_errors, 1);
	for (; done != r->h.producer; done++) {
		struct memvisor_dlh_entry *e = &r->e[done % HART_RING_ENTRIES];

		if (e->status != SBI_SUCCESS || (uint64_t)e->result <= last)
			amo_add(&ring_errors, 1);
		last = (uint64_t)e->result;
		ring_record(last);
	}
	__asm__ volatile("amoadd.d zero, %1, (%0)"
			 :
			 : "r"(&ring_fallback_count),
			   "r"((uint64_t)fallbacks_here)
			 : "memory");
	amo_add(&ring_harts_done, 1);
}

static void check_hart_rings(void)
{
	uint64_t t0;

	for (nharts = 1; nharts < MAX_HARTS; nharts++)
		if (hsm_status(nharts).error)
			break;
	/* Harts started for check_two_harts are stopped by now. */
	for (unsigned h = 1; h < nharts; h++) {
		t0 = rdtime();
		while (hsm_status(h).value != SBI_HSM_STATE_STOPPED &&
		       rdtime() - t0 < 30 * TIMEBASE_HZ)
			;
	}
	counter_base = counter_now();
	for (unsigned h = 1; h < nharts; h++)
		CHECK_EQ(hsm_start(h, ring_poster).error, SBI_SUCCESS, 701);
	ring_poster(0);
	t0 = rdtime();
	while (ring_harts_done < nharts && rdtime() - t0 < 60 * TIMEBASE_HZ)
		;
	CHECK_EQ(ring_harts_done, nharts, 702);
	CHECK_EQ(ring_errors, 0, 703);
	CHECK_EQ(counter_now(), counter_base + nharts * PER_HART_RING, 704);
	for (unsigned k = 1; k <= nharts * PER_HART_RING; k++)
		if (ring_seen[k] != 1)
			fail(705, "a counter value seen once", ring_seen[k], 1,
			     true);
	puts("dlh: ");
	put_dec(nharts);
	puts(" harts posted ");
	put_dec(nharts * PER_HART_RING);
	puts(" on rings of their own\ndlh: of them ");
	put_dec(ring_fallback_count);
	puts(" synchronous when full\n");
}

/* ---- drained on the way back, with no notify (8xx) ---- */

static void check_restore_drain(void)
{
	struct hart_ring *r = &hart_rings[0];
	uint32_t p = r->h.producer;
	uint64_t t0, c0 = counter_now();

	for (unsigned i = 0; i < 8; i++) {
		struct memvisor_dlh_entry *e =
		    &r->e[(p + i) % HART_RING_ENTRIES];

		e->routine = MEMVISOR_DLH_R_COUNTER_ADD;
		e->status = MEMVISOR_DLH_PENDING;
		e->args[0] = 1;
	}
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&r->h.producer = p + 8;
	/* No exit of ours: memvisor runs them when it next puts this VCPU
	 * back on a CPU (the end of a time slice). */
	t0 = rdtime();
	while (load32(&r->h.consumer) != p + 8 &&
	       rdtime() - t0 < 30 * TIMEBASE_HZ)
		;
	CHECK_EQ(load32(&r->h.consumer), p + 8, 801);
	__asm__ volatile("fence r,r" ::: "memory");
	for (unsigned i = 0; i < 8; i++)
		CHECK_EQ(r->e[(p + i) % HART_RING_ENTRIES].result, c0 + i + 1,
			 802);
}

/* ---- free-page hints (9xx) ---- */

#define HINT_AREA 0x81000000ul /* 16 MiB into RAM, scratch */

static void check_free_hints(void)
{
	struct hart_ring *r = &hart_rings[0];
	volatile uint8_t *area = (volatile uint8_t *)HINT_AREA;
	uint32_t p = r->h.producer;
	struct sbiret s;

	for (unsigned i = 0; i < 32; i++)
		area[i * 4096] = area[i * 4096 + 4095] = (uint8_t)(0x40 + i);
	/* Pages 0..15 through the ring, 16..19 synchronously, 20..31 kept. */
	for (unsigned i = 0; i < 16; i++) {
		struct memvisor_dlh_entry *e =
		    &r->e[(p + i) % HART_RING_ENTRIES];

		e->routine = MEMVISOR_DLH_R_FREE_HINT;
		e->status = MEMVISOR_DLH_PENDING;
		e->args[0] = HINT_AREA + i * 4096ul;
		e->args[1] = 1;
	}
	/* And bad ones: unaligned, not RAM, no pages. */
	struct memvisor_dlh_entry *e = &r->e[(p + 16) % HART_RING_ENTRIES];
	e->routine = MEMVISOR_DLH_R_FREE_HINT;
	e->args[0] = HINT_AREA + 8;
	e->args[1] = 1;
	e = &r->e[(p + 17) % HART_RING_ENTRIES];
	e->routine = MEMVISOR_DLH_R_FREE_HINT;
	e->args[0] = 0x1000;
	e->args[1] = 1;
	e = &r->e[(p + 18) % HART_RING_ENTRIES];
	e->routine = MEMVISOR_DLH_R_FREE_HINT;
	e->args[0] = HINT_AREA;
	e->args[1] = 0;
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&r->h.producer = p + 19;
	CHECK_EQ(dlh_notify().error, SBI_SUCCESS, 901);
	CHECK_EQ(load32(&r->h.consumer), p + 19, 902);
	for (unsigned i = 0; i < 16; i++) {
		e = &r->e[(p + i) % HART_RING_ENTRIES];
		CHECK_EQ(e->status, SBI_SUCCESS, 903);
		CHECK_EQ(e->result, 1, 904);
	}
	CHECK_EQ(r->e[(p + 16) % HART_RING_ENTRIES].status,
		 SBI_ERR_INVALID_PARAM, 905);
	CHECK_EQ(r->e[(p + 17) % HART_RING_ENTRIES].status,
		 SBI_ERR_INVALID_ADDRESS, 906);
	CHECK_EQ(r->e[(p + 18) % HART_RING_ENTRIES].status,
		 SBI_ERR_INVALID_PARAM, 907);
	s = dlh_sync(MEMVISOR_DLH_R_FREE_HINT, HINT_AREA + 16 * 4096, 4);
	CHECK_EQ(s.error, SBI_SUCCESS, 908);
	CHECK_EQ(s.value, 4, 909);
	s = dlh_sync(MEMVISOR_DLH_R_FREE_HINT, 0x80000000ul + 64 * 1024 * 1024,
		     1);
	CHECK_EQ(s.error, SBI_ERR_INVALID_ADDRESS, 910);
	/* Hinted pages read zero, the others kept their data; a write to a
	 * hinted page is the guest's again. */
	for (unsigned i = 0; i < 32; i++) {
		uint8_t want = i < 20 ? 0 : (uint8_t)(0x40 + i);

		CHECK_EQ(area[i * 4096], want, 911);
		CHECK_EQ(area[i * 4096 + 4095], want, 912);
	}
	area[5 * 4096 + 100] = 0x99;
	CHECK_EQ(area[5 * 4096 + 100], 0x99, 913);
	CHECK_EQ(area[5 * 4096 + 101], 0, 914);
	puts("dlh: 20 pages hinted free read zero, 12 kept their data\n");
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_register();
	check_order();
	check_full();
	check_routines();
	check_malformed();
	check_two_harts();
	check_hart_rings();
	check_restore_drain();
	check_free_hints();
}
