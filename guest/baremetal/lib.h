/* SPDX-License-Identifier: MIT */
/*
 * The runtime of memvisor's bare-metal guest tests: console output and
 * shutdown through the SBI, the per-hart state, and a trap handler that
 * records every trap so a test can check scause, sepc and stval.
 *
 * A test program defines TEST_NAME and test_main(); the runtime calls
 * test_main() on hart 0 and, when it returns, prints "PASS <name>" and
 * shuts down with reason "none". A failed CHECK prints
 * "FAIL <name> <code> <detail>" and shuts down with reason "system
 * failure", so memvisor exits with status 1. A failed EXPECT prints the
 * same line and lets the test go on, to end in failure.
 *
 * This header is shared with start.S: the layout constants come first.
 */
#ifndef BAREMETAL_LIB_H
#define BAREMETAL_LIB_H

#define MAX_HARTS	8
#define STACK_SIZE	16384 /* per hart, for normal code */
#define TRAP_STACK_SIZE 8192  /* per hart, for the trap handler */
#define USER_STACK_SIZE 4096  /* per hart, for U-mode snippets */

/* struct hart_local offsets used by start.S (checked in lib.c). */
#define HL_RESUME      0
#define HL_USER_ACTIVE 8
#define HL_KCTX	       16 /* ra, sp, s0..s11: 14 registers */
#define HL_KCTX_WORDS  14

/* struct trap_frame: x0..x31 (x0's slot unused), then sepc. */
#define TF_SEPC (32 * 8)
#define TF_SIZE (33 * 8 + 8) /* keep sp 16-byte aligned */

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "memvisor/abi.h"

/* ---- CSRs and constants from the privileged specification ---- */

#define SSTATUS_SIE  (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_UBE  (1ul << 6)
#define SSTATUS_SPP  (1ul << 8)
#define SSTATUS_VS   (3ul << 9)
#define SSTATUS_FS   (3ul << 13)
#define SSTATUS_XS   (3ul << 15)
#define SSTATUS_SUM  (1ul << 18)
#define SSTATUS_MXR  (1ul << 19)
#define SSTATUS_UXL  (3ul << 32)
#define SSTATUS_SD   (1ul << 63)

#define IRQ_SSI	 1
#define IRQ_STI	 5
#define IRQ_SEI	 9
#define SIP_SSIP (1ul << IRQ_SSI)
#define SIP_STIP (1ul << IRQ_STI)
#define SIP_SEIP (1ul << IRQ_SEI)

#define CAUSE_INTR	       (1ul << 63)
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL	       2
#define CAUSE_BREAKPOINT       3
#define CAUSE_LOAD_MISALIGNED  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_STORE_MISALIGNED 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U	       8
#define CAUSE_FETCH_PAGE       12
#define CAUSE_LOAD_PAGE	       13
#define CAUSE_STORE_PAGE       15
#define CAUSE_NONE	       (~0ul) /* "no trap recorded" */

#define STR_(x) #x
#define STR(x)	STR_(x)

#define csr_read(csr)                                                          \
	({                                                                     \
		unsigned long __v;                                             \
		__asm__ volatile("csrr %0, " #csr : "=r"(__v) : : "memory");   \
		__v;                                                           \
	})
#define csr_write(csr, val)                                                    \
	__asm__ volatile("csrw " #csr ", %0"                                   \
			 :                                                     \
			 : "r"((unsigned long)(val))                           \
			 : "memory")
#define csr_set(csr, val)                                                      \
	__asm__ volatile("csrs " #csr ", %0"                                   \
			 :                                                     \
			 : "r"((unsigned long)(val))                           \
			 : "memory")
#define csr_clear(csr, val)                                                    \
	__asm__ volatile("csrc " #csr ", %0"                                   \
			 :                                                     \
			 : "r"((unsigned long)(val))                           \
			 : "memory")
#define csr_swap(csr, val)                                                     \
	({                                                                     \
		unsigned long __v;                                             \
		__asm__ volatile("csrrw %0, " #csr ", %1"                      \
				 : "=r"(__v)                                   \
				 : "r"((unsigned long)(val))                   \
				 : "memory");                                  \
		__v;                                                           \
	})

/* ---- SBI ---- */

struct sbiret {
	long error;
	long value;
};

/* Call the SBI: a7 = eid, a6 = fid, a0..a5 = args; returns a0/a1. */
struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
		       unsigned long a1, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5);

#define SBI0(eid, fid)		sbi_call(eid, fid, 0, 0, 0, 0, 0, 0)
#define SBI1(eid, fid, a)	sbi_call(eid, fid, a, 0, 0, 0, 0, 0)
#define SBI2(eid, fid, a, b)	sbi_call(eid, fid, a, b, 0, 0, 0, 0)
#define SBI3(eid, fid, a, b, c) sbi_call(eid, fid, a, b, c, 0, 0, 0)

/* SBI TIME set_timer (absolute, in time-CSR units; ~0 = never). */
void sbi_set_timer(uint64_t deadline);

/* SBI HSM hart_start: hart runs fn(hartid) on its own stack, then stops. */
struct sbiret hsm_start(unsigned long hartid, void (*fn)(unsigned long));

/* SBI HSM hart_get_status. */
struct sbiret hsm_status(unsigned long hartid);

/* ---- Console ---- */

void putchar(int c);
void puts(const char *s); /* no newline added */
void put_hex(uint64_t v); /* 0x-prefixed, no leading zeros */
void put_dec(uint64_t v);

/* ---- Ending a test ---- */

/* Shut down through SBI SRST: reason none (ok) or system failure. */
__attribute__((noreturn)) void shutdown(bool ok);

/* Print "FAIL <test> <code> <detail>" and shut down with reason failure. */
__attribute__((noreturn)) void fail(unsigned code, const char *what,
				    uint64_t got, uint64_t expected,
				    bool show_values);

/*
 * For failure lines with details of the test's own: fail_begin() prints
 * "FAIL <test> <code> ", the caller prints the rest, fail_end() ends the
 * line and shuts down with reason failure; expect_end() ends the line and
 * goes on, as EXPECT does.
 */
void fail_begin(unsigned code);
__attribute__((noreturn)) void fail_end(void);
void expect_end(void);

/* Print "PASS <test>" and shut down with reason none; after a failed
 * EXPECT, print the count of failures and shut down with reason failure. */
__attribute__((noreturn)) void pass(void);

/* Each check has its own code; the detail is the condition's text. */
#define CHECK(cond, code)                                                      \
	do {                                                                   \
		if (!(cond))                                                   \
			fail(code, #cond, 0, 0, false);                        \
	} while (0)

/* As CHECK, printing the value got and the value expected. */
#define CHECK_EQ(got, expected, code)                                          \
	do {                                                                   \
		uint64_t __g = (uint64_t)(got), __e = (uint64_t)(expected);    \
		if (__g != __e)                                                \
			fail(code, #got " == " #expected, __g, __e, true);     \
	} while (0)

/*
 * Non-fatal forms, for independent checks whose failure should not hide
 * the ones after it: print the same FAIL line and go on; the test then
 * ends with reason failure instead of printing PASS.
 */
void expect_failed(unsigned code, const char *what, uint64_t got,
		   uint64_t expected, bool show_values);
extern volatile unsigned test_failures;

#define EXPECT(cond, code)                                                     \
	do {                                                                   \
		if (!(cond))                                                   \
			expect_failed(code, #cond, 0, 0, false);               \
	} while (0)

#define EXPECT_EQ(got, expected, code)                                         \
	do {                                                                   \
		uint64_t __g = (uint64_t)(got), __e = (uint64_t)(expected);    \
		if (__g != __e)                                                \
			expect_failed(code, #got " == " #expected, __g, __e,   \
				      true);                                   \
	} while (0)

/* Set by each test program: TEST_NAME("alu"). */
extern const char test_name[];
#define TEST_NAME(name) const char test_name[] = name

/* The test's body, on hart 0. a1 at entry is the device tree's address. */
void test_main(unsigned long hartid, unsigned long dtb);

/* ---- Per-hart state and traps ---- */

/* What the trap handler saw last. */
struct trap_rec {
	uint64_t cause, epc, tval, status;
};

#define IRQ_LOG 16

struct hart_local {
	/* Read by start.S (offsets HL_*): keep first. */
	volatile uint64_t resume;      /* pc to resume at after an exception, or
					  TRAP_SKIP */
	volatile uint64_t user_active; /* user_run() is waiting for U-mode */
	uint64_t kctx[HL_KCTX_WORDS];  /* S-mode context saved by user_run */

	unsigned long hartid;
	volatile uint64_t ntraps;      /* every trap, interrupts included */
	volatile uint64_t nexc;	       /* exceptions only */
	volatile struct trap_rec last; /* the last trap */
	volatile uint64_t nirq;
	volatile struct trap_rec irq[IRQ_LOG]; /* interrupts, in order */
	volatile uint64_t vector; /* stvec vector the last trap came in by */
	volatile uint64_t trap_a0, trap_a1; /* a0/a1 when it came */
};

struct trap_frame {
	uint64_t x[32];
	uint64_t sepc;
	uint64_t pad;
};

extern struct hart_local hart_locals[MAX_HARTS];

static inline struct hart_local *self(void)
{
	struct hart_local *p;

	/* tp points at this hart's struct hart_local (start.S). */
	__asm__("mv %0, tp" : "=r"(p));
	return p;
}

/* Forget the last trap (last.cause reads CAUSE_NONE until the next one). */
void trap_clear(void);

/*
 * The next exception resumes after the faulting instruction (its length
 * read at sepc, so only for S-mode code readable where it runs), instead
 * of failing the test. For code written in C around one asm instruction.
 */
#define TRAP_SKIP 1ul
void trap_skip_next(void);

/*
 * Inline-assembly brackets for an instruction expected to trap: ARM_TRAP
 * tells the handler to resume at the local label 9 (placed by TRAP_POINT)
 * instead of failing the test on an unexpected trap. Clobbers t6.
 */
#define ARM_TRAP   "la t6, 9f\n\tsd t6, " STR(HL_RESUME) "(tp)\n\t"
#define TRAP_POINT "\n9:\n\tsd zero, " STR(HL_RESUME) "(tp)\n\t"

/*
 * Run the instruction the assembler text insn emits (".word 0x...",
 * ".half 0x...") and expect an illegal-instruction trap at it with stval =
 * bits, reporting through EQ (CHECK_EQ or EXPECT_EQ) with codes code ..
 * code + 2. Further arguments are asm inputs for the instruction (e.g.
 * "r"(a0_var)).
 */
#define ILLEGAL_AT(insn, bits, code, EQ, ...)                                  \
	do {                                                                   \
		uint64_t __pc;                                                 \
		trap_clear();                                                  \
		__asm__ volatile("la %0, 8f\n\t" ARM_TRAP                      \
				 "8:\t" insn TRAP_POINT                        \
				 : "=&r"(__pc)                                 \
				 : __VA_ARGS__                                 \
				 : "t6", "memory");                            \
		EQ(self()->last.cause, CAUSE_ILLEGAL, code);                   \
		EQ(self()->last.epc, __pc, (code) + 1);                        \
		EQ(self()->last.tval, bits, (code) + 2);                       \
	} while (0)

/* The 32-bit word must raise illegal instruction with stval = it. */
#define CHECK_ILLEGAL(word, code)                                              \
	ILLEGAL_AT(".word " #word, word, code, CHECK_EQ)

/*
 * Probes: one access at addr that may trap. Each returns true when it
 * took an exception (self()->last says which); a load's *val is 0 then.
 */
#define PROBE_LOAD(name, insn)                                                 \
	static inline bool name(uint64_t addr, uint64_t *val)                  \
	{                                                                      \
		uint64_t v = 0, n = self()->nexc;                              \
		__asm__ volatile(ARM_TRAP insn " %0, 0(%1)" TRAP_POINT         \
				 : "+r"(v)                                     \
				 : "r"(addr)                                   \
				 : "t6", "memory");                            \
		*val = v;                                                      \
		return self()->nexc != n;                                      \
	}
PROBE_LOAD(probe_ld, "ld")
PROBE_LOAD(probe_lw, "lw")
PROBE_LOAD(probe_lwu, "lwu")
PROBE_LOAD(probe_lh, "lh")
PROBE_LOAD(probe_lhu, "lhu")
PROBE_LOAD(probe_lb, "lb")
PROBE_LOAD(probe_lbu, "lbu")

#define PROBE_STORE(name, insn)                                                \
	static inline bool name(uint64_t addr, uint64_t val)                   \
	{                                                                      \
		uint64_t n = self()->nexc;                                     \
		__asm__ volatile(ARM_TRAP insn " %1, 0(%0)" TRAP_POINT         \
				 :                                             \
				 : "r"(addr), "r"(val)                         \
				 : "t6", "memory");                            \
		return self()->nexc != n;                                      \
	}
PROBE_STORE(probe_sd, "sd")
PROBE_STORE(probe_sw, "sw")
PROBE_STORE(probe_sh, "sh")
PROBE_STORE(probe_sb, "sb")

/*
 * Call the code at addr (it must return with `ret` if it runs); true when
 * the fetch, or anything the code did, took an exception.
 */
static inline bool probe_exec(uint64_t addr)
{
	uint64_t n = self()->nexc;

	__asm__ volatile(ARM_TRAP "jalr ra, 0(%0)" TRAP_POINT
			 :
			 : "r"(addr)
			 : "ra", "t6", "memory");
	return self()->nexc != n;
}

/*
 * Run fn in U-mode at pc fn with a0 = arg and sp = sp, until it takes an
 * exception; interrupts taken in U-mode are recorded and U-mode resumes.
 * Returns the exception's scause (self()->last has sepc and stval).
 * Leaves the hart in S-mode with sstatus.SIE clear.
 */
uint64_t user_run(uint64_t fn, uint64_t arg, uint64_t sp);

/* Top of this hart's U-mode stack (bare-mode address). */
uint64_t user_stack_top(void);

/* The vectored-mode trap table (start.S) and the direct entry. */
extern char trap_entry[], trap_vectors[];

/* Time CSR; and a busy wait of at least ticks time units. */
static inline uint64_t rdtime(void)
{
	return csr_read(time);
}
void delay_ticks(uint64_t ticks);

#define TIMEBASE_HZ 10000000ul

/* ---- Freestanding C ---- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif /* __ASSEMBLER__ */
#endif
