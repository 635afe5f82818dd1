/* SPDX-License-Identifier: MIT */
/*
 * Several harts: start them through SBI HSM, make them contend on one
 * counter with LR/SC and on another with AMOs (the totals must be exact),
 * interrupt one with an SBI IPI, suspend one, watch their HSM states, and
 * stop and restart them. Run with --cpus 2 or more (the runner does 2 and
 * 4, on 1 and 2 host threads).
 *
 * Written from the SBI specification v2.0 (HSM and IPI extensions) and the
 * RISC-V unprivileged specification's A extension.
 *
 * Check codes: 1xx HSM before start, 2xx counting, 3xx IPI, 4xx suspend,
 * 5xx stop and restart, 6xx HSM state of a hart in WFI and an LR
 * reservation lost to another hart's store.
 */
#include "lib.h"

TEST_NAME("smp");

#define ITERS	   100000
#define SECONDS(n) ((uint64_t)(n)*TIMEBASE_HZ)

static unsigned nharts;

/* Shared between harts: volatile, changed with AMOs where contended. */
static volatile uint64_t lrsc_counter;
static volatile uint32_t amo_counter;
static volatile uint32_t started, finished, go;
static volatile uint32_t wfi_ready, ipis_seen, suspending, suspend_ret_ok;
static volatile uint64_t ipi_cause[2];
static volatile uint64_t restarted_hartid = ~0ul;
static volatile uint64_t aba_word;
static volatile uint32_t aba_step;

static inline void amo_inc32(volatile uint32_t *p)
{
	__asm__ volatile("amoadd.w zero, %1, (%0)"
			 :
			 : "r"(p), "r"(1)
			 : "memory");
}

/* The classic LR/SC increment loop: retry until the SC succeeds. */
static inline void lrsc_inc64(volatile uint64_t *p)
{
	__asm__ volatile("1:\tlr.d t0, (%0)\n\t"
			 "addi t0, t0, 1\n\t"
			 "sc.d t1, t0, (%0)\n\t"
			 "bnez t1, 1b"
			 :
			 : "r"(p)
			 : "t0", "t1", "memory");
}

/* Wait up to `seconds` for cond; false on timeout. */
#define WAIT_FOR(cond, seconds)                                                \
	({                                                                     \
		uint64_t __t0 = rdtime();                                      \
		bool __ok;                                                     \
		while (!(__ok = (cond)) && rdtime() - __t0 < SECONDS(seconds)) \
			;                                                      \
		__ok;                                                          \
	})

static void count(void)
{
	for (unsigned i = 0; i < ITERS; i++) {
		lrsc_inc64(&lrsc_counter);
		amo_inc32(&amo_counter);
	}
}

/* Hart 1's second phase: take two IPIs in WFI, then suspend. */
static void ipi_target(void)
{
	struct hart_local *hl = self();
	struct sbiret r;

	csr_write(sie, SIP_SSIP);
	wfi_ready = 1;
	/*
	 * Check, then wait, with interrupts off: an IPI taken between the
	 * check and the wfi would leave this hart asleep for good. WFI wakes
	 * on an interrupt pending in sie whatever sstatus.SIE says; it is
	 * taken in the window where SIE is on.
	 */
	while (hl->nirq < 2 && hl->nirq < IRQ_LOG) {
		__asm__ volatile("wfi");
		csr_set(sstatus, SSTATUS_SIE);
		csr_clear(sstatus, SSTATUS_SIE);
	}
	ipi_cause[0] = hl->irq[0].cause;
	ipi_cause[1] = hl->irq[1].cause;
	ipis_seen = 2;

	/* Retentive suspend (type 0) with SIE off: returns with success once
	 * the SSI is pending (SBI spec, HSM hart_suspend). */
	suspending = 1;
	r = SBI1(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0);
	suspend_ret_ok =
	    r.error == SBI_SUCCESS && (csr_read(sip) & SIP_SSIP) ? 1 : 2;
	csr_clear(sip, SIP_SSIP);
	csr_write(sie, 0);
}

static void worker(unsigned long hartid)
{
	amo_inc32(&started);
	while (!go)
		;
	count();
	amo_inc32(&finished);
	if (hartid == 1)
		ipi_target();
	/* Returning stops this hart (lib.c: SBI HSM hart_stop). */
}

static void restart_fn(unsigned long hartid)
{
	restarted_hartid = hartid;
}

/* Hart 1's part of the reservation test: once hart 0 holds a reservation
 * on aba_word, store the value it already has. */
static void aba_writer(unsigned long hartid)
{
	(void)hartid;
	while (aba_step != 1)
		;
	aba_word = 5;
	__asm__ volatile("fence rw, rw" ::: "memory");
	aba_step = 2;
}

static void check_hsm_initial(void)
{
	struct sbiret r;

	/* Hart ids are 0..n-1; the first that get_status rejects with
	 * INVALID_PARAM is n. */
	for (nharts = 1; nharts < MAX_HARTS; nharts++)
		if (hsm_status(nharts).error == SBI_ERR_INVALID_PARAM)
			break;
	puts("smp: ");
	put_dec(nharts);
	puts(" harts\n");
	CHECK(nharts >= 2, 101); /* run with --cpus 2 or more */
	r = hsm_status(0);
	CHECK_EQ(r.error, SBI_SUCCESS, 102);
	CHECK_EQ(r.value, SBI_HSM_STATE_STARTED, 103);
	for (unsigned k = 1; k < nharts; k++) {
		r = hsm_status(k);
		CHECK_EQ(r.error, SBI_SUCCESS, 104);
		CHECK_EQ(r.value, SBI_HSM_STATE_STOPPED, 105);
	}
	CHECK_EQ(hsm_status(nharts).error, SBI_ERR_INVALID_PARAM, 106);

	/* hart_start errors: no such hart; a start address outside RAM. */
	r = hsm_start(nharts, worker);
	CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM, 107);
	r = SBI3(SBI_EXT_HSM, SBI_HSM_HART_START, 1, 0x10000000ul, 0);
	CHECK_EQ(r.error, SBI_ERR_INVALID_ADDRESS, 108);
	CHECK_EQ(hsm_status(1).value, SBI_HSM_STATE_STOPPED, 109);
	/* Starting this hart, which is running: already available. */
	r = hsm_start(0, worker);
	CHECK_EQ(r.error, SBI_ERR_ALREADY_AVAILABLE, 110);
}

static void check_counting(void)
{
	struct sbiret r;

	for (unsigned k = 1; k < nharts; k++) {
		r = hsm_start(k, worker);
		CHECK_EQ(r.error, SBI_SUCCESS, 201);
	}
	/* A second start of a started hart. */
	r = hsm_start(1, worker);
	CHECK_EQ(r.error, SBI_ERR_ALREADY_AVAILABLE, 202);
	CHECK(WAIT_FOR(started == nharts - 1, 10), 203);
	/* Spinning on `go`, they are STARTED. */
	for (unsigned k = 1; k < nharts; k++)
		CHECK_EQ(hsm_status(k).value, SBI_HSM_STATE_STARTED, 204);

	go = 1;
	count();
	amo_inc32(&finished);
	CHECK(WAIT_FOR(finished == nharts, 60), 205);
	CHECK_EQ(lrsc_counter, (uint64_t)nharts * ITERS, 206);
	CHECK_EQ(amo_counter, (uint64_t)nharts * ITERS, 207);
}

/* Largest HSM state other than STARTED seen for hart 1 while in WFI. */
static long wfi_state_seen = SBI_HSM_STATE_STARTED;

static void check_ipi(void)
{
	struct sbiret r;
	uint64_t t0;

	CHECK(WAIT_FOR(wfi_ready, 10), 301);
	/* While hart 1 waits in WFI, poll its HSM state for 20 ms: WFI is
	 * not an HSM suspend, so it must stay STARTED (checked at the end,
	 * code 601, so it hides nothing else). */
	t0 = rdtime();
	while (rdtime() - t0 < TIMEBASE_HZ / 50) {
		r = hsm_status(1);
		if (r.value != SBI_HSM_STATE_STARTED)
			wfi_state_seen = r.value;
	}

	/* An IPI to a hart that does not exist: INVALID_PARAM. */
	r = SBI2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1ul << nharts, 0);
	CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM, 302);
	/* hart_mask bit 1, base 0; then bit 0, base 1: both name hart 1. */
	r = SBI2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1ul << 1, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 303);
	CHECK(WAIT_FOR(self()->nirq == 0 && hart_locals[1].nirq >= 1, 5), 304);
	r = SBI2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1, 1);
	CHECK_EQ(r.error, SBI_SUCCESS, 305);
	CHECK(WAIT_FOR(ipis_seen == 2, 5), 306);
	CHECK_EQ(ipi_cause[0], CAUSE_INTR | IRQ_SSI, 307);
	CHECK_EQ(ipi_cause[1], CAUSE_INTR | IRQ_SSI, 308);
	/* The IPIs went to hart 1 only. */
	CHECK_EQ(self()->nirq, 0, 309);
}

static void check_suspend(void)
{
	struct sbiret r;

	/* Hart 1 in hart_suspend: SUSPENDED; an IPI resumes it and its
	 * hart_suspend call returns success. */
	CHECK(WAIT_FOR(suspending, 5), 401);
	CHECK(WAIT_FOR(hsm_status(1).value == SBI_HSM_STATE_SUSPENDED, 5), 402);
	r = SBI2(SBI_EXT_IPI, SBI_IPI_SEND_IPI, 1ul << 1, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 403);
	CHECK(WAIT_FOR(suspend_ret_ok != 0, 5), 404);
	CHECK_EQ(suspend_ret_ok, 1, 405);
}

static void check_stop_restart(void)
{
	struct sbiret r;

	/* Every other hart returns from its function and stops itself. */
	for (unsigned k = 1; k < nharts; k++)
		CHECK(
		    WAIT_FOR(hsm_status(k).value == SBI_HSM_STATE_STOPPED, 10),
		    501);
	/* A stopped hart starts again, with a0 = its hart id. */
	r = hsm_start(1, restart_fn);
	CHECK_EQ(r.error, SBI_SUCCESS, 502);
	CHECK(WAIT_FOR(restarted_hartid == 1, 5), 503);
	CHECK(WAIT_FOR(hsm_status(1).value == SBI_HSM_STATE_STOPPED, 5), 504);
}

/*
 * A store from another hart to the reservation set between LR and SC
 * makes the SC fail (unprivileged spec, A extension, "Load-Reserved /
 * Store-Conditional": "The SC must fail if a store to the reservation set
 * from another hart can be observed to occur between the LR and SC"),
 * even if it stores the value that was there. Returns the SC's rd.
 */
static uint64_t check_reservation_lost(void)
{
	uint64_t v, sc;
	struct sbiret r;

	aba_word = 5;
	aba_step = 0;
	r = hsm_start(1, aba_writer);
	CHECK_EQ(r.error, SBI_SUCCESS, 603);
	__asm__ volatile("lr.d %0, (%1)" : "=r"(v) : "r"(&aba_word) : "memory");
	aba_step = 1;
	CHECK(WAIT_FOR(aba_step == 2, 5), 604);
	__asm__ volatile("sc.d %0, %2, (%1)"
			 : "=r"(sc)
			 : "r"(&aba_word), "r"(v + 1)
			 : "memory");
	CHECK(WAIT_FOR(hsm_status(1).value == SBI_HSM_STATE_STOPPED, 5), 605);
	return sc;
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)dtb;
	CHECK_EQ(hartid, 0, 100);
	check_hsm_initial();
	check_counting();
	check_ipi();
	check_suspend();
	check_stop_restart();
	/* SBI spec v2.0, HSM: SUSPENDED is the state of a hart that called
	 * hart_suspend; a hart executing WFI is still STARTED. */
	EXPECT_EQ(wfi_state_seen, SBI_HSM_STATE_STARTED, 601);
	/* A known deviation (src/cpu/exec_amo.c, README "Known deviations"):
	 * SC is a compare-and-swap on the value LR read, so an SC after
	 * another hart stored that same value succeeds, where the spec says
	 * it must fail. Reported as XFAIL, not as a pass; once the deviation
	 * is fixed this reports XPASS and fails, so the line gets updated. */
	if (check_reservation_lost() != 0) {
		EXPECT(0 && "XPASS 602: SC now fails after a same-value store; "
			    "turn this back into a plain check",
		       602);
	} else {
		puts("XFAIL smp 602 SC succeeds after a same-value store "
		     "(known deviation)\n");
	}
}
