/* SPDX-License-Identifier: MIT */
/*
 * The SBI as a guest sees it: BASE (spec version, probing), unknown
 * extensions and functions, the calling convention (what an ecall may
 * change), DBCN, TIME, HSM suspend on one hart, SRST's error cases, and
 * memvisor's own extension. SRST success is tested by srst_fail and
 * srst_reboot (memvisor's exit status); the runner also checks that the
 * DBCN text below reaches memvisor's output.
 *
 * Written from the RISC-V SBI specification v2.0: "Binary Encoding",
 * "Base Extension", "Legacy Extensions", "Timer", "HSM", "System Reset",
 * "Debug Console".
 *
 * Check codes: 1xx BASE, 2xx probe, 3xx unknown calls and the calling
 * convention, 4xx DBCN and console, 5xx memvisor, 6xx SRST errors, 7xx
 * TIME, 8xx HSM.
 */
#include "lib.h"

TEST_NAME("sbi");

/* The runner looks for these lines in memvisor's output. */
static const char dbcn_msg[] = "sbi: hello through DBCN write\n";
static const char byte_msg[] = "sbi: hello through DBCN write_byte\n";

static void check_base(void)
{
	struct sbiret r;

	/* Spec version: major in bits 30:24, minor in 23:0, bit 31 zero;
	 * memvisor implements v2.0. */
	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_SPEC_VERSION);
	CHECK_EQ(r.error, SBI_SUCCESS, 101);
	CHECK_EQ((uint64_t)r.value >> 31, 0, 102);
	CHECK((((uint64_t)r.value >> 24) & 0x7f) >= 2, 103);

	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_ID);
	CHECK_EQ(r.error, SBI_SUCCESS, 104);
	CHECK_EQ(r.value, SBI_IMPL_ID_MEMVISOR, 105);
	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_IMPL_VERSION);
	CHECK_EQ(r.error, SBI_SUCCESS, 106);
	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_MVENDORID);
	CHECK_EQ(r.error, SBI_SUCCESS, 107);
	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_MARCHID);
	CHECK_EQ(r.error, SBI_SUCCESS, 108);
	r = SBI0(SBI_EXT_BASE, SBI_BASE_GET_MIMPID);
	CHECK_EQ(r.error, SBI_SUCCESS, 109);
}

static void check_probe(void)
{
	static const unsigned long present[] = {
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
	static const unsigned long absent[] = {
	    0x12345678, /* nothing */
	    0x0a000000, /* experimental range, not ours */
	    0x08000000, /* experimental range, next to ours */
	    0x504d55,	/* PMU: not offered */
	    0x535553,	/* SUSP: not offered */
	    0x11,	/* just past BASE */
	};
	struct sbiret r;

	/* probe_extension: 1 (or another non-zero value) when present, 0
	 * when not; never an error. */
	for (unsigned i = 0; i < sizeof(present) / sizeof(present[0]); i++) {
		r = SBI1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, present[i]);
		if (r.error != SBI_SUCCESS || r.value == 0) {
			fail_begin(201 + i);
			puts("probe_extension(");
			put_hex(present[i]);
			puts("): error ");
			put_hex((uint64_t)r.error);
			puts(", value ");
			put_hex((uint64_t)r.value);
			puts(", expected a present extension");
			expect_end();
		}
	}
	for (unsigned i = 0; i < sizeof(absent) / sizeof(absent[0]); i++) {
		r = SBI1(SBI_EXT_BASE, SBI_BASE_PROBE_EXTENSION, absent[i]);
		if (r.error != SBI_SUCCESS || r.value != 0) {
			fail_begin(230 + i);
			puts("probe_extension(");
			put_hex(absent[i]);
			puts("): error ");
			put_hex((uint64_t)r.error);
			puts(", value ");
			put_hex((uint64_t)r.value);
			puts(", expected 0");
			expect_end();
		}
	}
}

static void check_unknown(void)
{
	static const unsigned long calls[][2] = {
	    {0x12345678, 0},	/* unknown EID */
	    {0x0a000000, 0},	/* experimental, not ours */
	    {SBI_EXT_BASE, 99}, /* unknown FIDs ... */
	    {SBI_EXT_TIME, 1},	{SBI_EXT_IPI, 1},  {SBI_EXT_HSM, 99},
	    {SBI_EXT_SRST, 1},	{SBI_EXT_DBCN, 3}, {SBI_EXT_MEMVISOR, 99},
	};
	struct sbiret r;

	/* SBI_ERR_NOT_SUPPORTED, and the guest goes on (we are here). Each
	 * is independent of the others: EXPECT. */
	for (unsigned i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		r = SBI0(calls[i][0], calls[i][1]);
		if (r.error != SBI_ERR_NOT_SUPPORTED) {
			fail_begin(301 + i);
			puts("EID ");
			put_hex(calls[i][0]);
			puts(" FID ");
			put_hex(calls[i][1]);
			puts(": error ");
			put_hex((uint64_t)r.error);
			puts(", expected SBI_ERR_NOT_SUPPORTED (-2)");
			expect_end();
		}
	}
}

/*
 * The calling convention: an SBI call changes a0 and a1 only (legacy
 * calls a0 only). Fill the other argument and temporary registers and
 * the saved ones with known values, make the call, store them all.
 */
/* clang-format off */
#define PRESERVE_CALL(eid, fid, out)                                           \
	__asm__ volatile(                                                      \
		"li a1, 0x1111\n\t"                                            \
		"li a2, 0x2222\n\t"                                            \
		"li a3, 0x3333\n\t"                                            \
		"li a4, 0x4444\n\t"                                            \
		"li a5, 0x5555\n\t"                                            \
		"li a6, " STR(fid) "\n\t"                                      \
		"li a7, " STR(eid) "\n\t"                                      \
		"li t0, 0x7070\n\t"                                            \
		"li t1, 0x7171\n\t"                                            \
		"li t2, 0x7272\n\t"                                            \
		"li t3, 0x7373\n\t"                                            \
		"li t4, 0x7474\n\t"                                            \
		"li t5, 0x7575\n\t"                                            \
		"li s1, 0x5151\n\t"                                            \
		"li s2, 0x5252\n\t"                                            \
		"li s11, 0x5b5b\n\t"                                           \
		"li a0, 'x'\n\t"                                               \
		"ecall\n\t"                                                    \
		"sd a1, 0(%0)\n\t"                                             \
		"sd a2, 8(%0)\n\t"                                             \
		"sd a3, 16(%0)\n\t"                                            \
		"sd a4, 24(%0)\n\t"                                            \
		"sd a5, 32(%0)\n\t"                                            \
		"sd a6, 40(%0)\n\t"                                            \
		"sd a7, 48(%0)\n\t"                                            \
		"sd t0, 56(%0)\n\t"                                            \
		"sd t1, 64(%0)\n\t"                                            \
		"sd t2, 72(%0)\n\t"                                            \
		"sd t3, 80(%0)\n\t"                                            \
		"sd t4, 88(%0)\n\t"                                            \
		"sd t5, 96(%0)\n\t"                                            \
		"sd s1, 104(%0)\n\t"                                           \
		"sd s2, 112(%0)\n\t"                                           \
		"sd s11, 120(%0)"                                              \
		:                                                              \
		: "r"(out)                                                     \
		: "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "t0", "t1",  \
		  "t2", "t3", "t4", "t5", "s1", "s2", "s11", "memory")
/* clang-format on */

static void check_preserved_regs(const uint64_t *out, unsigned eid, bool legacy,
				 unsigned code)
{
	static const uint64_t want[16] = {
	    0x1111, 0x2222, 0x3333, 0x4444, 0x5555, 0,	    0,	    0x7070,
	    0x7171, 0x7272, 0x7373, 0x7474, 0x7575, 0x5151, 0x5252, 0x5b5b,
	};
	static const char *const names[16] = {
	    "a1", "a2", "a3", "a4", "a5", "a6", "a7", "t0",
	    "t1", "t2", "t3", "t4", "t5", "s1", "s2", "s11",
	};

	for (unsigned i = legacy ? 0 : 1; i < 16; i++) {
		uint64_t w = i == 6 ? eid : want[i];

		if (out[i] != w) {
			fail_begin(code + i);
			puts("SBI call to EID ");
			put_hex(eid);
			puts(" changed ");
			puts(names[i]);
			puts(": ");
			put_hex(out[i]);
			puts(", was ");
			put_hex(w);
			fail_end();
		}
	}
}

static void check_calling_convention(void)
{
	uint64_t out[16];

	/* BASE get_spec_version: a0/a1 are results, nothing else changes. */
	PRESERVE_CALL(0x10, 0, out);
	check_preserved_regs(out, 0x10, false, 340);
	/* An unknown EID changes nothing else either. */
	PRESERVE_CALL(0x12345678, 0, out);
	check_preserved_regs(out, 0x12345678, false, 360);
	/* Legacy putchar: only a0 may change; a1 too must survive (SBI
	 * spec, "Legacy Extensions": nothing is returned in a1). */
	puts("sbi: legacy putchar prints x: ");
	PRESERVE_CALL(1, 0, out);
	putchar('\n');
	check_preserved_regs(out, 1, true, 380);
}

static void check_console(void)
{
	static char buf[16];
	struct sbiret r;
	size_t len = sizeof(dbcn_msg) - 1;

	/* DBCN write: bytes from guest-physical memory; a1 = bytes written.
	 * base_addr_lo holds the whole address on RV64, base_addr_hi the
	 * bits above XLEN (zero). */
	r = SBI3(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, (unsigned long)dbcn_msg, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 401);
	CHECK_EQ(r.value, len, 402);
	/* Nothing to write: success, 0 bytes. */
	r = SBI3(SBI_EXT_DBCN, SBI_DBCN_WRITE, 0, (unsigned long)dbcn_msg, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 403);
	CHECK_EQ(r.value, 0, 404);
	/* Memory that is not RAM: INVALID_PARAM. */
	r = SBI3(SBI_EXT_DBCN, SBI_DBCN_WRITE, 8, 0x10000000ul, 0);
	CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM, 405);
	/* base_addr_hi = 1: the address is at 2^64 and up, not RAM (the
	 * runner also runs this test with RAM above 4 GiB, where an
	 * implementation taking hi as bits 63:32 finds RAM). */
	r = SBI3(SBI_EXT_DBCN, SBI_DBCN_WRITE, len, (unsigned long)dbcn_msg, 1);
	EXPECT_EQ(r.error, SBI_ERR_INVALID_PARAM, 406);
	/* write_byte. */
	for (const char *p = byte_msg; *p; p++) {
		r = SBI1(SBI_EXT_DBCN, SBI_DBCN_WRITE_BYTE, (unsigned char)*p);
		CHECK_EQ(r.error, SBI_SUCCESS, 407);
		CHECK_EQ(r.value, 0, 408);
	}
	/* read with no input (the runner gives memvisor /dev/null): 0 bytes,
	 * buffer untouched. */
	memset(buf, 0x5a, sizeof(buf));
	r = SBI3(SBI_EXT_DBCN, SBI_DBCN_READ, sizeof(buf), (unsigned long)buf,
		 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 409);
	CHECK_EQ(r.value, 0, 410);
	CHECK_EQ(buf[0], 0x5a, 411);
	/* Legacy getchar with no input: -1. */
	r = SBI0(SBI_LEGACY_CONSOLE_GETCHAR, 0);
	CHECK_EQ(r.error, -1, 412);
}

static void check_memvisor(void)
{
	struct sbiret r = SBI0(SBI_EXT_MEMVISOR, MEMVISOR_GET_ABI_VERSION);

	CHECK_EQ(r.error, SBI_SUCCESS, 501);
	CHECK_EQ(r.value, 2, 502);
}

static void check_srst_errors(void)
{
	static const unsigned long bad[][2] = {
	    {3, 0},	       /* reserved type */
	    {0xeffffffful, 0}, /* reserved type */
	    {0xf0000000ul, 0}, /* vendor type, not implemented */
	    {0, 2},	       /* reserved reason */
	    {0, 0xf0000000ul}, /* vendor reason, not implemented */
	};
	struct sbiret r;

	/* Each is INVALID_PARAM, and the machine keeps running. */
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = SBI2(SBI_EXT_SRST, SBI_SRST_RESET, bad[i][0], bad[i][1]);
		CHECK_EQ(r.error, SBI_ERR_INVALID_PARAM, 601 + i);
	}
}

static void check_time(void)
{
	struct sbiret r;

	r = SBI1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, ~0ul);
	CHECK_EQ(r.error, SBI_SUCCESS, 701);
	/* Legacy set_timer: 0 in a0. */
	r = SBI1(SBI_LEGACY_SET_TIMER, 0, ~0ul);
	CHECK_EQ(r.error, 0, 702);
	CHECK(!(csr_read(sip) & SIP_STIP), 703);
}

static void check_hsm_one_hart(void)
{
	static const unsigned long bad_types[] = {
	    0x00000001, 0x0fffffff, /* reserved */
	    0x10000000,		    /* platform retentive, none offered */
	    0x80000001, 0x8fffffff, /* reserved */
	    0x90000000,		    /* platform non-retentive, none */
	};
	struct sbiret r;
	uint64_t deadline;

	r = hsm_status(0);
	CHECK_EQ(r.error, SBI_SUCCESS, 801);
	CHECK_EQ(r.value, SBI_HSM_STATE_STARTED, 802);

	/* Default retentive suspend: returns success once an interrupt
	 * enabled in sie is pending (here the timer; SIE stays off). */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_STIP);
	deadline = rdtime() + TIMEBASE_HZ / 100;
	sbi_set_timer(deadline);
	r = SBI1(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 803);
	CHECK(rdtime() >= deadline, 804);
	CHECK(csr_read(sip) & SIP_STIP, 805);
	sbi_set_timer(~0ul);
	csr_write(sie, 0);

	/* Reserved and unimplemented platform-specific types: INVALID_PARAM
	 * (SBI spec, HSM hart_suspend errors). */
	for (unsigned i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]);
	     i++) {
		r = SBI3(SBI_EXT_HSM, SBI_HSM_HART_SUSPEND, bad_types[i],
			 0x80000000ul, 0);
		if (r.error != SBI_ERR_INVALID_PARAM) {
			fail_begin(810 + i);
			puts("hart_suspend(");
			put_hex(bad_types[i]);
			puts("): error ");
			put_hex((uint64_t)r.error);
			puts(", expected SBI_ERR_INVALID_PARAM (-3)");
			expect_end();
		}
	}
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_base();
	check_probe();
	check_unknown();
	check_calling_convention();
	check_console();
	check_memvisor();
	check_srst_errors();
	check_time();
	check_hsm_one_hart();
}
