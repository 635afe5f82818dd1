/* SPDX-License-Identifier: MIT */
/*
 * How a riscv-tests test under memvisor ends (riscv_test.h): one line on
 * the SBI console, which tests/integration/isa.sh reads, then SBI SRST.
 *
 *   rvtest: PASS                                   reason "none", exit 0
 *   rvtest: FAIL testnum N                         reason "system failure"
 *   rvtest: FAIL testnum N: unexpected trap: ...   reason "system failure"
 *
 * These run in the test's mode, U or S: from U-mode each SBI call traps to
 * the environment's trap vector (rvtest.S), which makes it.
 */
#include <stdint.h>

#include "riscv_test.h"

void rvtest_report_pass(void) __attribute__((noreturn));
void rvtest_report_fail(uint64_t testnum) __attribute__((noreturn));
void rvtest_report_trap(uint64_t testnum, uint64_t scause, uint64_t sepc,
			uint64_t stval) __attribute__((noreturn));

static long sbi_call(unsigned long eid, unsigned long fid, unsigned long arg0,
		     unsigned long arg1)
{
	register unsigned long a0 asm("a0") = arg0;
	register unsigned long a1 asm("a1") = arg1;
	register unsigned long a6 asm("a6") = fid;
	register unsigned long a7 asm("a7") = eid;

	asm volatile("ecall"
		     : "+r"(a0), "+r"(a1)
		     : "r"(a6), "r"(a7)
		     : "memory");
	return (long)a0;
}

/* DBCN write_byte needs no buffer in guest memory. The legacy putchar
 * is for an SBI older than v2.0 (OpenSBI < 1.3), when the environment is
 * tried under another machine. */
static void put_char(char c)
{
	if (sbi_call(RVTEST_SBI_EXT_DBCN, RVTEST_SBI_DBCN_WRITE_BYTE,
		     (unsigned char)c, 0) != 0)
		sbi_call(RVTEST_SBI_LEGACY_PUTCHAR, 0, (unsigned char)c, 0);
}

static void put_str(const char *s)
{
	while (*s)
		put_char(*s++);
}

static void put_dec(uint64_t v)
{
	char buf[21];
	int i = sizeof(buf);

	buf[--i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(&buf[i]);
}

static void put_hex(uint64_t v)
{
	int shift = 60;

	put_str("0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		put_char("0123456789abcdef"[(v >> shift) & 0xf]);
}

static void __attribute__((noreturn)) shutdown(unsigned long reason)
{
	sbi_call(RVTEST_SBI_EXT_SRST, RVTEST_SBI_SRST_RESET,
		 RVTEST_SBI_SRST_TYPE_SHUTDOWN, reason);
	put_str("rvtest: SBI SRST returned; hanging\n");
	for (;;)
		;
}

/* The exception causes of the privileged specification, by scause. */
static const char *const cause_names[] = {
    [CAUSE_MISALIGNED_FETCH] = "instruction address misaligned",
    [CAUSE_FETCH_ACCESS] = "instruction access fault",
    [CAUSE_ILLEGAL_INSTRUCTION] = "illegal instruction",
    [CAUSE_BREAKPOINT] = "breakpoint",
    [CAUSE_MISALIGNED_LOAD] = "load address misaligned",
    [CAUSE_LOAD_ACCESS] = "load access fault",
    [CAUSE_MISALIGNED_STORE] = "store address misaligned",
    [CAUSE_STORE_ACCESS] = "store access fault",
    [CAUSE_USER_ECALL] = "ecall from U-mode",
    [CAUSE_SUPERVISOR_ECALL] = "ecall from S-mode",
    [CAUSE_FETCH_PAGE_FAULT] = "instruction page fault",
    [CAUSE_LOAD_PAGE_FAULT] = "load page fault",
    [CAUSE_STORE_PAGE_FAULT] = "store page fault",
};

void rvtest_report_pass(void)
{
	put_str("rvtest: PASS\n");
	shutdown(RVTEST_SBI_SRST_REASON_NONE);
}

void rvtest_report_fail(uint64_t testnum)
{
	put_str("rvtest: FAIL testnum ");
	put_dec(testnum);
	put_char('\n');
	shutdown(RVTEST_SBI_SRST_REASON_FAILURE);
}

void rvtest_report_trap(uint64_t testnum, uint64_t scause, uint64_t sepc,
			uint64_t stval)
{
	const uint64_t ncauses = sizeof(cause_names) / sizeof(cause_names[0]);
	const char *name = "";

	if (!(scause >> 63) && scause < ncauses && cause_names[scause])
		name = cause_names[scause];
	else if (scause >> 63)
		name = "interrupt";
	put_str("rvtest: FAIL testnum ");
	put_dec(testnum);
	put_str(": unexpected trap: scause ");
	put_hex(scause);
	if (*name) {
		put_str(" (");
		put_str(name);
		put_char(')');
	}
	put_str(", sepc ");
	put_hex(sepc);
	put_str(", stval ");
	put_hex(stval);
	put_char('\n');
	shutdown(RVTEST_SBI_SRST_REASON_FAILURE);
}
