/* SPDX-License-Identifier: MIT */
/*
 * DLH microbenchmark (not a pass/fail test): N counter-add calls made
 * synchronously (one ecall each, MEMVISOR_DLH_CALL_SYNC) and deferred (N
 * posted to the ring with no exit, then one DLH_NOTIFY that runs them).
 * Prints guest-visible time per call, from the time CSR (TIMEBASE_HZ), and
 * the ecalls (exits the guest asks for) per 1,000 calls; exits memvisor
 * takes on its own (end of slice) are not visible here.
 */
#include "lib.h"

TEST_NAME("dlh_bench");

#define N      MEMVISOR_DLH_MAX_ENTRIES
#define ROUNDS 5

static struct {
	struct memvisor_dlh_ring h;
	struct memvisor_dlh_entry e[N];
} ring __attribute__((aligned(4096)));

static uint64_t ns(uint64_t ticks)
{
	return ticks * (1000000000ul / TIMEBASE_HZ);
}

/* Print x / N with two decimals. */
static void put_per_call(uint64_t x)
{
	uint64_t c = x * 100 / N;

	put_dec(c / 100);
	putchar('.');
	putchar('0' + (int)(c / 10 % 10));
	putchar('0' + (int)(c % 10));
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t best_sync = ~0ul, best_dlh = ~0ul, best_drain = ~0ul;

	(void)hartid;
	(void)dtb;
	CHECK_EQ(SBI2(SBI_EXT_MEMVISOR, MEMVISOR_DLH_REGISTER,
		      (unsigned long)&ring, N)
		     .error,
		 SBI_SUCCESS, 1);
	for (unsigned r = 0; r < ROUNDS; r++) {
		uint64_t t0, t1, t2, tp;
		uint32_t p = ring.h.producer;

		t0 = rdtime();
		for (unsigned i = 0; i < N; i++)
			SBI3(SBI_EXT_MEMVISOR, MEMVISOR_DLH_CALL_SYNC,
			     MEMVISOR_DLH_R_COUNTER_ADD, 1, 0);
		t1 = rdtime();
		for (unsigned i = 0; i < N; i++) {
			struct memvisor_dlh_entry *e = &ring.e[(p + i) % N];

			e->routine = MEMVISOR_DLH_R_COUNTER_ADD;
			e->args[0] = 1;
		}
		__asm__ volatile("fence w,w" ::: "memory");
		*(volatile uint32_t *)&ring.h.producer = p + N;
		tp = rdtime();
		SBI0(SBI_EXT_MEMVISOR, MEMVISOR_DLH_NOTIFY);
		t2 = rdtime();
		CHECK_EQ(*(volatile uint32_t *)&ring.h.consumer, p + N, 2);
		if (t1 - t0 < best_sync)
			best_sync = t1 - t0;
		if (t2 - tp < best_drain)
			best_drain = t2 - tp;
		if (t2 - t1 < best_dlh)
			best_dlh = t2 - t1;
	}
	puts("dlh_bench: ");
	put_dec(N);
	puts(" counter-add calls, best of ");
	put_dec(ROUNDS);
	puts("\ndlh_bench: sync ns/call ");
	put_per_call(ns(best_sync));
	puts(" ecalls/1000 calls 1000\ndlh_bench: dlh  ns/call ");
	put_per_call(ns(best_dlh));
	puts(" ecalls/1000 calls ");
	put_per_call(1000); /* one notify per N calls */
	puts(" (of which the notify and drain ");
	put_per_call(ns(best_drain));
	puts(")\ndlh_bench: speedup x");
	put_per_call(best_dlh ? best_sync * N / best_dlh : 0);
	putchar('\n');
}
