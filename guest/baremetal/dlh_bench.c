/* SPDX-License-Identifier: MIT */
/*
 * DLH microbenchmark (not a pass/fail test; bench/dlh.c runs it with
 * --cpus 1, 2 and 4 and turns its output into bench/results/dlh.json).
 *
 * Every hart the VM has runs each workload at once, ROUNDS times, after a
 * barrier: the calls made synchronously (one ecall each,
 * MEMVISOR_DLH_CALL_SYNC), then the same calls deferred (posted to the
 * hart's own ring of N entries with no exit, one DLH_NOTIFY per N that
 * runs them). Workloads:
 *   tlb      BATCHES * N MEMVISOR_DLH_R_TLB_FLUSH for every hart of the VM
 *   hint     HINT_BATCHES * N MEMVISOR_DLH_R_FREE_HINT of one page; the
 *            pages (the hart's own 32 MiB) are written before each round,
 *            untimed, so every hint gives a frame back
 *   counter  BATCHES * N MEMVISOR_DLH_R_COUNTER_ADD, the cheapest routine:
 *            the exit's own cost
 * (More calls where they cost no memory: a round should outlast a time
 * slice, so that with more VCPUs than PCPUs the wall time is the work's.)
 * Both ways are written as tightly as the guest can: the synchronous call
 * as one inline ecall, posting as a few stores per entry.
 *
 * Output, one line per hart per round and way:
 *   DLHB <workload> <sync|dlh> harts=<H> round=<r> hart=<h> calls=<n>
 *        ticks=<time-CSR ticks> exits=<exits> wall=<ticks, hart 0 only>
 * ticks is the hart's own time for its n calls (guest-visible cost);
 * exits counts every exit of the hart in that time (ecalls, WFI, ends of
 * time slices; MEMVISOR_GET_VCPU_EXITS); wall is from the first hart's
 * start to the last hart's end (throughput = H * n / wall).
 */
#include "lib.h"

TEST_NAME("dlh_bench");

#define N	     MEMVISOR_DLH_MAX_ENTRIES
#define BATCHES	     16 /* rounds of tlb and counter: BATCHES * N calls */
#define HINT_BATCHES 4	/* rounds of hints: HINT_BATCHES * N calls */
#define ROUNDS	     5
#define BENCH_MAX    4				       /* harts used */
#define HINT_BASE    (0x80000000ul + 32 * 1024 * 1024) /* after the image */
#define HINT_BYTES   ((unsigned long)HINT_BATCHES * N * 4096) /* per hart */

/* Page-aligned each, as DLH_REGISTER wants. */
struct ring {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[N];
} __attribute__((aligned(4096)));

static struct ring rings[BENCH_MAX];
static unsigned nharts;
static volatile uint32_t arrived, generation, running;
static volatile uint64_t start_min, end_max;

enum workload { W_TLB, W_HINT, W_COUNTER, W_COUNT };
static const char *const workload_names[W_COUNT] = {"tlb", "hint", "counter"};

static inline uint32_t amo_add32(volatile uint32_t *p, uint32_t v)
{
	uint32_t old;

	__asm__ volatile("amoadd.w.aqrl %0, %2, (%1)"
			 : "=r"(old)
			 : "r"(p), "r"(v)
			 : "memory");
	return old;
}

static inline void amo_min64(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("amominu.d.aqrl zero, %1, (%0)"
			 :
			 : "r"(p), "r"(v)
			 : "memory");
}

static inline void amo_max64(volatile uint64_t *p, uint64_t v)
{
	__asm__ volatile("amomaxu.d.aqrl zero, %1, (%0)"
			 :
			 : "r"(p), "r"(v)
			 : "memory");
}

/* Every hart waits here until all have come. */
static void barrier(void)
{
	uint32_t gen = generation;

	if (amo_add32(&arrived, 1) == nharts - 1) {
		arrived = 0;
		__asm__ volatile("fence rw,rw" ::: "memory");
		generation = gen + 1;
		return;
	}
	while (generation == gen)
		;
}

/* One synchronous call, as cheap as the guest can make it. */
static inline long sync_call(unsigned long routine, unsigned long a0,
			     unsigned long a1)
{
	register unsigned long r_a0 __asm__("a0") = routine;
	register unsigned long r_a1 __asm__("a1") = a0;
	register unsigned long r_a2 __asm__("a2") = a1;
	register unsigned long r_a6 __asm__("a6") = MEMVISOR_DLH_CALL_SYNC;
	register unsigned long r_a7 __asm__("a7") = SBI_EXT_MEMVISOR;

	__asm__ volatile("ecall"
			 : "+r"(r_a0), "+r"(r_a1)
			 : "r"(r_a2), "r"(r_a6), "r"(r_a7)
			 : "memory");
	return (long)r_a0;
}

static uint64_t exits_now(void)
{
	return (uint64_t)SBI0(SBI_EXT_MEMVISOR, MEMVISOR_GET_VCPU_EXITS).value;
}

static unsigned long hint_area(unsigned hart)
{
	return HINT_BASE + hart * HINT_BYTES;
}

/* Untimed: give every page of the hart's area a frame of its own again. */
static void touch_area(unsigned hart)
{
	volatile uint8_t *p = (volatile uint8_t *)hint_area(hart);

	for (unsigned long off = 0; off < HINT_BYTES; off += 4096)
		p[off] = 1;
}

/* Calls in one round of w. */
static unsigned round_calls(enum workload w)
{
	return (w == W_HINT ? HINT_BATCHES : BATCHES) * N;
}

static void run_sync(enum workload w, unsigned hart, unsigned long mask)
{
	unsigned long gpa = hint_area(hart);

	switch (w) {
	case W_TLB:
		for (unsigned i = 0; i < BATCHES * N; i++)
			sync_call(MEMVISOR_DLH_R_TLB_FLUSH, mask, 0);
		break;
	case W_HINT:
		for (unsigned i = 0; i < HINT_BATCHES * N; i++, gpa += 4096)
			sync_call(MEMVISOR_DLH_R_FREE_HINT, gpa, 1);
		break;
	default:
		for (unsigned i = 0; i < BATCHES * N; i++)
			sync_call(MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
		break;
	}
}

/* Post N entries (the ring is empty: every batch posts exactly N, so the
 * slots start at 0), publish, notify once. */
static void run_dlh_batch(enum workload w, unsigned hart, unsigned long mask,
			  unsigned batch)
{
	struct ring *r = &rings[hart];
	struct memvisor_dlh_entry *e = r->e, *end = r->e + N;
	unsigned long gpa = hint_area(hart) + batch * (unsigned long)N * 4096;

	switch (w) {
	case W_TLB:
		for (; e < end; e++) {
			e->routine = MEMVISOR_DLH_R_TLB_FLUSH;
			e->args[0] = mask;
		}
		break;
	case W_HINT:
		for (; e < end; e++, gpa += 4096) {
			e->routine = MEMVISOR_DLH_R_FREE_HINT;
			e->args[0] = gpa;
			e->args[1] = 1;
		}
		break;
	default:
		for (; e < end; e++) {
			e->routine = MEMVISOR_DLH_R_COUNTER_ADD;
			e->args[0] = 1;
		}
		break;
	}
	__asm__ volatile("fence w,w" ::: "memory");
	*(volatile uint32_t *)&r->h.producer = r->h.producer + N;
	SBI0(SBI_EXT_MEMVISOR, MEMVISOR_DLH_NOTIFY);
}

static void run_dlh(enum workload w, unsigned hart, unsigned long mask)
{
	for (unsigned b = 0; b < round_calls(w) / N; b++)
		run_dlh_batch(w, hart, mask, b);
}

static void report(enum workload w, bool dlh, unsigned round, unsigned hart,
		   uint64_t ticks, uint64_t exits)
{
	puts("DLHB ");
	puts(workload_names[w]);
	puts(dlh ? " dlh" : " sync");
	puts(" harts=");
	put_dec(nharts);
	puts(" round=");
	put_dec(round);
	puts(" hart=");
	put_dec(hart);
	puts(" calls=");
	put_dec(round_calls(w));
	puts(" ticks=");
	put_dec(ticks);
	puts(" exits=");
	put_dec(exits);
	if (hart == 0) {
		puts(" wall=");
		put_dec(end_max - start_min);
	}
	putchar('\n');
}

/* The output lines of one measurement, one hart at a time. */
static volatile uint32_t print_turn;

static void measure(enum workload w, bool dlh, unsigned round, unsigned hart)
{
	unsigned long mask = (1ul << nharts) - 1;
	uint64_t t0, t1, x0, x1;

	if (w == W_HINT)
		touch_area(hart);
	if (hart == 0) {
		start_min = ~0ul;
		end_max = 0;
	}
	barrier();
	x0 = exits_now();
	t0 = rdtime();
	if (dlh)
		run_dlh(w, hart, mask);
	else
		run_sync(w, hart, mask);
	t1 = rdtime();
	x1 = exits_now();
	amo_min64(&start_min, t0);
	amo_max64(&end_max, t1);
	barrier();
	/* One line at a time: the console is shared. */
	while (print_turn != hart)
		;
	/* The exit that reads the count is not the workload's. */
	report(w, dlh, round, hart, t1 - t0, x1 - x0 - 1);
	print_turn = hart + 1 == nharts ? 0 : hart + 1;
	barrier();
}

static void bench(unsigned long hartid)
{
	unsigned hart = (unsigned)hartid;

	CHECK_EQ(SBI2(SBI_EXT_MEMVISOR, MEMVISOR_DLH_REGISTER,
		      (unsigned long)&rings[hart], N)
		     .error,
		 SBI_SUCCESS, 1);
	barrier();
	for (enum workload w = 0; w < W_COUNT; w++)
		for (unsigned r = 0; r < ROUNDS; r++) {
			measure(w, false, r, hart);
			measure(w, true, r, hart);
		}
	if (hart)
		amo_add32(&running, -1u);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	for (nharts = 1; nharts < BENCH_MAX; nharts++)
		if (hsm_status(nharts).error)
			break;
	running = nharts - 1;
	for (unsigned h = 1; h < nharts; h++)
		CHECK_EQ(hsm_start(h, bench).error, SBI_SUCCESS, 2);
	bench(0);
	while (running)
		;
}
