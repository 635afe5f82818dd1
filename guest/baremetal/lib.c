/* SPDX-License-Identifier: MIT */
/* The bare-metal test runtime: SBI calls, console, ending a test, traps. */
#include "lib.h"

_Static_assert(offsetof(struct hart_local, resume) == HL_RESUME, "HL_RESUME");
_Static_assert(offsetof(struct hart_local, user_active) == HL_USER_ACTIVE,
	       "HL_USER_ACTIVE");
_Static_assert(offsetof(struct hart_local, kctx) == HL_KCTX, "HL_KCTX");
_Static_assert(offsetof(struct trap_frame, sepc) == TF_SEPC, "TF_SEPC");
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "TF_SIZE");

/* Stacks and per-hart state, zeroed by the loader (they are .bss). */
uint8_t stacks[MAX_HARTS][STACK_SIZE] __attribute__((aligned(16)));
static uint8_t trap_stacks[MAX_HARTS][TRAP_STACK_SIZE]
    __attribute__((aligned(16)));
static uint8_t user_stacks[MAX_HARTS][USER_STACK_SIZE]
    __attribute__((aligned(4096)));
struct hart_local hart_locals[MAX_HARTS];

extern char _secondary_entry[];

/* Called from start.S only. */
void lib_main(unsigned long hartid, unsigned long dtb);
void secondary_main(unsigned long hartid, void (*fn)(unsigned long));
int trap_handler(struct trap_frame *f, unsigned long vector);

struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
		       unsigned long a1, unsigned long a2, unsigned long a3,
		       unsigned long a4, unsigned long a5)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r4 __asm__("a4") = a4;
	register unsigned long r5 __asm__("a5") = a5;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = eid;

	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
			 : "memory");
	return (struct sbiret){(long)r0, (long)r1};
}

void sbi_set_timer(uint64_t deadline)
{
	SBI1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, deadline);
}

struct sbiret hsm_start(unsigned long hartid, void (*fn)(unsigned long))
{
	return SBI3(SBI_EXT_HSM, SBI_HSM_HART_START, hartid,
		    (unsigned long)_secondary_entry, (unsigned long)fn);
}

struct sbiret hsm_status(unsigned long hartid)
{
	return SBI1(SBI_EXT_HSM, SBI_HSM_HART_GET_STATUS, hartid);
}

void putchar(int c)
{
	SBI1(SBI_LEGACY_CONSOLE_PUTCHAR, 0, (unsigned long)(unsigned char)c);
}

void puts(const char *s)
{
	while (*s)
		putchar(*s++);
}

void put_hex(uint64_t v)
{
	int shift = 60;

	puts("0x");
	while (shift > 0 && !((v >> shift) & 0xf))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putchar("0123456789abcdef"[(v >> shift) & 0xf]);
}

void put_dec(uint64_t v)
{
	char buf[21];
	int i = 20;

	buf[i] = 0;
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	puts(&buf[i]);
}

void shutdown(bool ok)
{
	SBI2(SBI_EXT_SRST, SBI_SRST_RESET, SBI_SRST_TYPE_SHUTDOWN,
	     ok ? SBI_SRST_REASON_NONE : SBI_SRST_REASON_FAILURE);
	/* Still here: say so, and let the runner's timeout end it (a legacy
	 * shutdown would report success). */
	puts("FAIL ");
	puts(test_name);
	puts(" 999 SBI SRST returned\n");
	for (;;)
		__asm__ volatile("wfi");
}

void fail_begin(unsigned code)
{
	puts("FAIL ");
	puts(test_name);
	putchar(' ');
	put_dec(code);
	putchar(' ');
}

void fail_end(void)
{
	puts(" (hart ");
	put_dec(self()->hartid);
	puts(")\n");
	shutdown(false);
}

volatile unsigned test_failures;

void expect_end(void)
{
	puts(" (hart ");
	put_dec(self()->hartid);
	puts(")\n");
	__atomic_fetch_add(&test_failures, 1, __ATOMIC_SEQ_CST);
}

void expect_failed(unsigned code, const char *what, uint64_t got,
		   uint64_t expected, bool show_values)
{
	fail_begin(code);
	puts(what);
	if (show_values) {
		puts(": got ");
		put_hex(got);
		puts(", expected ");
		put_hex(expected);
	}
	expect_end();
}

void fail(unsigned code, const char *what, uint64_t got, uint64_t expected,
	  bool show_values)
{
	fail_begin(code);
	puts(what);
	if (show_values) {
		puts(": got ");
		put_hex(got);
		puts(", expected ");
		put_hex(expected);
	}
	fail_end();
}

void pass(void)
{
	if (test_failures) {
		puts("FAIL ");
		puts(test_name);
		puts(" 0 ");
		put_dec(test_failures);
		puts(" check(s) failed\n");
		shutdown(false);
	}
	puts("PASS ");
	puts(test_name);
	putchar('\n');
	shutdown(true);
}

void trap_clear(void)
{
	struct hart_local *hl = self();

	hl->last.cause = CAUSE_NONE;
	hl->last.epc = hl->last.tval = hl->last.status = 0;
}

void trap_skip_next(void)
{
	self()->resume = TRAP_SKIP;
}

uint64_t user_stack_top(void)
{
	return (uint64_t)&user_stacks[self()->hartid + 1];
}

void delay_ticks(uint64_t ticks)
{
	uint64_t start = rdtime();

	while (rdtime() - start < ticks)
		;
}

/* Point tp, sscratch and stvec at this hart's state. */
static void hart_setup(unsigned long hartid)
{
	struct hart_local *hl = &hart_locals[hartid];

	__asm__ volatile("mv tp, %0" : : "r"(hl) : "memory");
	hl->hartid = hartid;
	hl->last.cause = CAUSE_NONE;
	csr_write(sscratch, &trap_stacks[hartid + 1]);
	csr_write(stvec, trap_entry);
}

void lib_main(unsigned long hartid, unsigned long dtb)
{
	hart_setup(hartid);
	test_main(hartid, dtb);
	pass();
}

void secondary_main(unsigned long hartid, void (*fn)(unsigned long))
{
	struct sbiret r;

	hart_setup(hartid);
	fn(hartid);
	r = SBI0(SBI_EXT_HSM, SBI_HSM_HART_STOP);
	fail(990, "SBI HSM hart_stop returned", (uint64_t)r.error, 0, true);
}

/*
 * Every trap lands here (start.S). Interrupts are logged, silenced at
 * their source and resumed. An exception ends a user_run() when it came
 * from U-mode (returns 1: start.S goes back to user_run's caller), or
 * resumes at the pc armed with ARM_TRAP, or after the faulting
 * instruction (trap_skip_next()); anything else fails the test.
 */
int trap_handler(struct trap_frame *f, unsigned long vector)
{
	struct hart_local *hl = self();
	struct trap_rec r = {
	    .cause = csr_read(scause),
	    .epc = f->sepc,
	    .tval = csr_read(stval),
	    .status = csr_read(sstatus),
	};

	hl->last = r;
	hl->ntraps++;
	hl->vector = vector;
	hl->trap_a0 = f->x[10];
	hl->trap_a1 = f->x[11];
	if (r.cause & CAUSE_INTR) {
		uint64_t code = r.cause & ~CAUSE_INTR;

		/* Acknowledge before counting: another hart that sees the
		 * count and sends the next IPI must not have it cleared by
		 * this one's acknowledgement (SSIP is one bit, not a count). */
		if (code == IRQ_SSI)
			csr_clear(sip, SIP_SSIP);
		else if (code == IRQ_STI)
			sbi_set_timer(~0ul); /* clears STIP (SBI TIME) */
		else
			csr_clear(sie, 1ul << (code & 63));
		if (hl->nirq < IRQ_LOG)
			hl->irq[hl->nirq] = r;
		hl->nirq++;
		return 0;
	}
	hl->nexc++;
	if (!(r.status & SSTATUS_SPP) && hl->user_active) {
		hl->user_active = 0;
		return 1;
	}
	if (hl->resume == TRAP_SKIP) {
		/* The low half-word says the length (2 or 4). */
		uint16_t lo = *(volatile uint16_t *)f->sepc;

		f->sepc += (lo & 3) == 3 ? 4 : 2;
		hl->resume = 0;
		return 0;
	}
	if (hl->resume) {
		f->sepc = hl->resume;
		hl->resume = 0;
		return 0;
	}
	puts("FAIL ");
	puts(test_name);
	puts(" 900 unexpected trap: scause ");
	put_hex(r.cause);
	puts(" sepc ");
	put_hex(r.epc);
	puts(" stval ");
	put_hex(r.tval);
	puts(" (hart ");
	put_dec(hl->hartid);
	puts(")\n");
	shutdown(false);
}

/* The loops below must stay loops: GCC would turn them into calls to
 * memset/memcpy themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

NO_LIBCALL void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

NO_LIBCALL void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
