/* SPDX-License-Identifier: MIT */
/*
 * Traps: exceptions (with their scause, sepc and stval), the U/S boundary
 * (sret, ecall, privileged instructions in U-mode), access faults outside
 * guest RAM, and the three S-level interrupts with their enables,
 * priorities and vectored delivery.
 *
 * Written from the RISC-V privileged specification, chapter "Supervisor-
 * Level ISA" (sstatus, stvec, sip/sie, scause, stval, SRET), and the SBI
 * specification's TIME extension.
 *
 * Check codes: 1xx exceptions in S-mode, 2xx U-mode and sret, 3xx
 * interrupts.
 */
#include "lib.h"

TEST_NAME("trap");

/* Guest-physical addresses with nothing behind them: no RAM (it starts at
 * 2 GiB) and no device (vmm/platform.h: PLIC, UART, virtio below 0x10010000).
 */
#define NO_RAM 0x20000000ul

/*
 * U-mode snippets. Each ends in ecall (or faults first): user_run()
 * returns with the exception's cause.
 */
__asm__(".pushsection .usertext, \"ax\"\n"
	".option push\n"
	".option norvc\n"
	"u_ecall:	ecall\n"
	"u_sret:	sret\n"
	"u_sfence:	sfence.vma\n"
	"u_wfi:		wfi\n"
	"u_csrr_sstatus: csrr a0, sstatus\n"
	"u_ebreak:	ebreak\n"
	/* spin a0 times, then ecall: room for an interrupt to come in */
	"u_spin:	addi a0, a0, -1\n"
	"		bnez a0, u_spin\n"
	"u_spin_end:	ecall\n"
	".option pop\n"
	".popsection\n");
extern char u_ecall[], u_sret[], u_sfence[], u_wfi[], u_csrr_sstatus[],
    u_ebreak[], u_spin[], u_spin_end[];

#define U(sym) ((uint64_t)(sym))

/* ---- 1xx: exceptions taken in S-mode ---- */

static void check_ebreak(void)
{
	struct hart_local *hl = self();
	uint64_t pc;

	/* ebreak: scause 3, sepc and stval = the ebreak's address. */
	trap_clear();
	__asm__ volatile("la %0, 8f\n\t" ARM_TRAP ".option push\n\t"
			 ".option norvc\n"
			 "8:\tebreak\n\t"
			 ".option pop" TRAP_POINT
			 : "=&r"(pc)
			 :
			 : "t6", "memory");
	CHECK_EQ(hl->last.cause, CAUSE_BREAKPOINT, 101);
	CHECK_EQ(hl->last.epc, pc, 102);
	CHECK_EQ(hl->last.tval, pc, 103);
	/* Taken from S-mode: sstatus.SPP = 1. */
	CHECK(hl->last.status & SSTATUS_SPP, 104);

	/* c.ebreak: the same, from a 16-bit instruction. */
	trap_clear();
	__asm__ volatile("la %0, 8f\n\t" ARM_TRAP ".option push\n\t"
			 ".option rvc\n"
			 "8:\tc.ebreak\n\t"
			 ".option pop" TRAP_POINT
			 : "=&r"(pc)
			 :
			 : "t6", "memory");
	CHECK_EQ(hl->last.cause, CAUSE_BREAKPOINT, 105);
	CHECK_EQ(hl->last.epc, pc, 106);
	CHECK_EQ(hl->last.tval, pc, 107);

	/* The same, resumed by skipping the instruction: the code after
	 * each (its own length: 4, then 2) runs. */
	{
		uint64_t ran = 0;

		trap_skip_next();
		__asm__ volatile(".option push\n\t.option norvc\n\t"
				 "ebreak\n\t"
				 "addi %0, %0, 1\n\t"
				 ".option pop"
				 : "+r"(ran)
				 :
				 : "memory");
		trap_skip_next();
		__asm__ volatile(".option push\n\t.option rvc\n\t"
				 "c.ebreak\n\t"
				 ".option norvc\n\t"
				 "addi %0, %0, 2\n\t"
				 ".option pop"
				 : "+r"(ran)
				 :
				 : "memory");
		CHECK_EQ(ran, 3, 108);
		CHECK_EQ(hl->last.cause, CAUSE_BREAKPOINT, 109);
	}
}

static void check_illegal(void)
{
	/* All-zero bits are defined illegal (a 16-bit encoding; stval = 0). */
	CHECK_ILLEGAL(0x00000000, 110);
	/* sstatus.FS is Off, as at boot: flw, fadd.s and the fcsr CSR are
	 * illegal (guest/baremetal/fpu.c checks more). */
	CHECK_ILLEGAL(0x00052007, 113); /* flw ft0, 0(a0) */
	CHECK_ILLEGAL(0x003170d3, 116); /* fadd.s ft1, ft2, ft3 */
	CHECK_ILLEGAL(0x00302573, 119); /* frcsr a0 (csrr a0, fcsr) */
	/* mret is an M-mode instruction: illegal in S-mode. */
	CHECK_ILLEGAL(0x30200073, 122);
	/* A CSR number nothing implements (custom read/write space). */
	CHECK_ILLEGAL(0x5c002573, 125); /* csrr a0, 0x5c0 */
}

static void check_access_faults(void)
{
	struct hart_local *hl = self();
	uint64_t v;

	/* Outside RAM: load access fault 5, store/AMO access fault 7,
	 * instruction access fault 1, stval = the address. */
	CHECK(probe_ld(NO_RAM, &v), 130);
	CHECK_EQ(hl->last.cause, CAUSE_LOAD_ACCESS, 131);
	CHECK_EQ(hl->last.tval, NO_RAM, 132);

	CHECK(probe_sd(NO_RAM + 8, 0x1234), 133);
	CHECK_EQ(hl->last.cause, CAUSE_STORE_ACCESS, 134);
	CHECK_EQ(hl->last.tval, NO_RAM + 8, 135);

	CHECK(probe_lbu(NO_RAM + 3, &v), 136);
	CHECK_EQ(hl->last.cause, CAUSE_LOAD_ACCESS, 137);
	CHECK_EQ(hl->last.tval, NO_RAM + 3, 138);

	CHECK(probe_exec(NO_RAM), 139);
	CHECK_EQ(hl->last.cause, CAUSE_FETCH_ACCESS, 140);
	CHECK_EQ(hl->last.epc, NO_RAM, 141);
	CHECK_EQ(hl->last.tval, NO_RAM, 142);

	/* The top of the physical address space is not RAM either. */
	CHECK(probe_ld(0xfffffffffffff000ul, &v), 143);
	CHECK_EQ(hl->last.cause, CAUSE_LOAD_ACCESS, 144);
	CHECK_EQ(hl->last.tval, 0xfffffffffffff000ul, 145);

	/* An AMO outside RAM is a store/AMO access fault. */
	trap_clear();
	__asm__ volatile(ARM_TRAP "amoadd.w zero, zero, (%0)" TRAP_POINT
			 :
			 : "r"(NO_RAM)
			 : "t6", "memory");
	CHECK_EQ(hl->last.cause, CAUSE_STORE_ACCESS, 146);
	CHECK_EQ(hl->last.tval, NO_RAM, 147);
}

/* ---- 2xx: U-mode and sret ---- */

static void check_user(void)
{
	struct hart_local *hl = self();
	uint64_t cause;

	/* ecall from U-mode: scause 8, sepc = the ecall, stval = 0, and
	 * sstatus.SPP = 0 (the trap came from U). */
	cause = user_run(U(u_ecall), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ECALL_U, 201);
	CHECK_EQ(hl->last.epc, U(u_ecall), 202);
	CHECK_EQ(hl->last.tval, 0, 203);
	CHECK(!(hl->last.status & SSTATUS_SPP), 204);

	/* S-mode-only instructions in U-mode: illegal, stval = their bits. */
	cause = user_run(U(u_sret), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 205);
	CHECK_EQ(hl->last.epc, U(u_sret), 206);
	CHECK_EQ(hl->last.tval, 0x10200073, 207);

	cause = user_run(U(u_sfence), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 208);
	CHECK_EQ(hl->last.epc, U(u_sfence), 209);
	CHECK_EQ(hl->last.tval, 0x12000073, 210);

	/* wfi in U-mode with nothing pending never completes, so it must
	 * raise illegal instruction (privileged spec, "Wait for Interrupt"). */
	cause = user_run(U(u_wfi), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 211);
	CHECK_EQ(hl->last.epc, U(u_wfi), 212);
	CHECK_EQ(hl->last.tval, 0x10500073, 213);

	cause = user_run(U(u_csrr_sstatus), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 214);
	CHECK_EQ(hl->last.epc, U(u_csrr_sstatus), 215);
	CHECK_EQ(hl->last.tval, 0x10002573, 216);

	/* ebreak in U-mode goes to S-mode too (nothing above S here). */
	cause = user_run(U(u_ebreak), 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_BREAKPOINT, 217);
	CHECK_EQ(hl->last.tval, U(u_ebreak), 218);
}

static void check_sret(void)
{
	uint64_t st;

	/* sret with SPP = 1 stays in S-mode; SIE takes SPIE, SPIE becomes 1
	 * and SPP becomes 0 (U). Still in S-mode afterwards: the csrr of
	 * sstatus works (in U-mode it would trap, and fail the test). */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sstatus, SSTATUS_SPP | SSTATUS_SPIE);
	__asm__ volatile("la t0, 1f\n\t"
			 "csrw sepc, t0\n\t"
			 "sret\n"
			 "1:"
			 :
			 :
			 : "t0", "memory");
	st = csr_read(sstatus);
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK(st & SSTATUS_SIE, 230);
	CHECK(st & SSTATUS_SPIE, 231);
	CHECK(!(st & SSTATUS_SPP), 232);

	/* With SPIE = 0, SIE ends up 0. */
	csr_set(sstatus, SSTATUS_SPP | SSTATUS_SIE);
	csr_clear(sstatus, SSTATUS_SPIE);
	__asm__ volatile("la t0, 1f\n\t"
			 "csrw sepc, t0\n\t"
			 "sret\n"
			 "1:"
			 :
			 :
			 : "t0", "memory");
	st = csr_read(sstatus);
	CHECK(!(st & SSTATUS_SIE), 233);
	CHECK(st & SSTATUS_SPIE, 234);

	/* A trap saves SIE in SPIE and clears SIE. */
	csr_set(sstatus, SSTATUS_SIE);
	trap_clear();
	__asm__ volatile(ARM_TRAP "ebreak" TRAP_POINT : : : "t6", "memory");
	st = self()->last.status;
	CHECK(st & SSTATUS_SPIE, 235);
	CHECK(!(st & SSTATUS_SIE), 236);
	/* ... and the handler's sret put SIE back. */
	CHECK(csr_read(sstatus) & SSTATUS_SIE, 237);
	csr_clear(sstatus, SSTATUS_SIE);
}

/* ---- 3xx: interrupts ---- */

/* Wait up to 1 s of guest time for cond; false on timeout. */
#define WAIT_FOR(cond)                                                         \
	({                                                                     \
		uint64_t __t0 = rdtime();                                      \
		bool __ok;                                                     \
		while (!(__ok = (cond)) && rdtime() - __t0 < TIMEBASE_HZ)      \
			;                                                      \
		__ok;                                                          \
	})

static void check_timer(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq, deadline, before, after_wfi, woke;
	struct sbiret r;

	/* SBI set_timer 50 ms ahead, sie.STIE and sstatus.SIE on, wfi: the
	 * timer interrupt (scause = interrupt | 5) ends the wfi, taken at the
	 * instruction after it. */
	csr_write(sie, SIP_STIP);
	deadline = rdtime() + TIMEBASE_HZ / 20;
	r = SBI1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, deadline);
	CHECK_EQ(r.error, SBI_SUCCESS, 301);
	__asm__ volatile("la %1, 8f\n\t"
			 "csrs sstatus, %2\n\t"
			 "csrr %0, time\n\t"
			 "wfi\n"
			 "8:"
			 : "=&r"(before), "=&r"(after_wfi)
			 : "r"(SSTATUS_SIE)
			 : "memory");
	/* A spurious wakeup is allowed: wait on. */
	while (hl->nirq == n && rdtime() - before < 2 * TIMEBASE_HZ)
		__asm__ volatile("wfi");
	woke = rdtime();
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK_EQ(hl->nirq, n + 1, 302);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_STI, 303);
	CHECK_EQ(hl->irq[n].tval, 0, 304);
	CHECK(woke >= deadline, 305);
	/* If the wfi started before the deadline, the interrupt is taken at
	 * the instruction after it (memvisor's wfi waits; it is no NOP). */
	CHECK(before >= deadline || hl->irq[n].epc == after_wfi, 306);
	CHECK(hl->irq[n].status & SSTATUS_SPIE, 307);
	/* The handler's set_timer(~0) cleared STIP. */
	CHECK(!(csr_read(sip) & SIP_STIP), 308);

	/* With SIE off in S-mode, a due timer shows in sip.STIP and is not
	 * taken; S-mode cannot clear STIP by writing sip; set_timer does. */
	n = hl->nirq;
	csr_write(sie, SIP_STIP);
	r = SBI1(SBI_EXT_TIME, SBI_TIME_SET_TIMER, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, 310);
	CHECK(WAIT_FOR(csr_read(sip) & SIP_STIP), 311);
	csr_clear(sip, SIP_STIP);
	CHECK(csr_read(sip) & SIP_STIP, 312);
	CHECK_EQ(hl->nirq, n, 313);
	sbi_set_timer(~0ul);
	CHECK(!(csr_read(sip) & SIP_STIP), 314);
	/* A deadline in the future does not raise STIP. */
	sbi_set_timer(rdtime() + 10 * TIMEBASE_HZ);
	delay_ticks(TIMEBASE_HZ / 100);
	CHECK(!(csr_read(sip) & SIP_STIP), 315);
	sbi_set_timer(~0ul);
	csr_write(sie, 0);
}

static void check_software(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq, next;

	/* Setting sip.SSIP with sie.SSIE and SIE on: interrupt | 1, taken
	 * right after the csrs (a CSR write the interrupt condition depends
	 * on is followed by its evaluation: privileged spec, "Machine
	 * Interrupt Registers", applied to S-mode's sip). */
	csr_write(sie, SIP_SSIP);
	csr_set(sstatus, SSTATUS_SIE);
	__asm__ volatile("la %0, 8f\n\t"
			 "csrs sip, %1\n"
			 "8:"
			 : "=&r"(next)
			 : "r"(SIP_SSIP)
			 : "memory");
	CHECK_EQ(hl->nirq, n + 1, 320);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_SSI, 321);
	CHECK_EQ(hl->irq[n].epc, next, 322);
	CHECK(!(csr_read(sip) & SIP_SSIP), 323);
	CHECK(csr_read(sstatus) & SSTATUS_SIE, 324);

	/* Pending but not enabled in sie: not taken; enabling it in sie
	 * takes it at once. */
	n = hl->nirq;
	csr_write(sie, 0);
	csr_set(sip, SIP_SSIP);
	delay_ticks(1000);
	CHECK_EQ(hl->nirq, n, 325);
	CHECK(csr_read(sip) & SIP_SSIP, 326);
	__asm__ volatile("la %0, 8f\n\t"
			 "csrs sie, %1\n"
			 "8:"
			 : "=&r"(next)
			 : "r"(SIP_SSIP)
			 : "memory");
	CHECK_EQ(hl->nirq, n + 1, 327);
	CHECK_EQ(hl->irq[n].epc, next, 328);

	/* Pending and enabled in sie but sstatus.SIE off: not taken in
	 * S-mode; setting SIE takes it at once. */
	n = hl->nirq;
	csr_clear(sstatus, SSTATUS_SIE);
	csr_set(sip, SIP_SSIP);
	delay_ticks(1000);
	CHECK_EQ(hl->nirq, n, 329);
	__asm__ volatile("la %0, 8f\n\t"
			 "csrs sstatus, %1\n"
			 "8:"
			 : "=&r"(next)
			 : "r"(SSTATUS_SIE)
			 : "memory");
	CHECK_EQ(hl->nirq, n + 1, 330);
	CHECK_EQ(hl->irq[n].epc, next, 331);
	csr_clear(sstatus, SSTATUS_SIE);

	/* Clearing SSIP by writing sip withdraws the interrupt. */
	n = hl->nirq;
	csr_set(sip, SIP_SSIP);
	csr_clear(sip, SIP_SSIP);
	csr_set(sstatus, SSTATUS_SIE);
	delay_ticks(1000);
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK_EQ(hl->nirq, n, 332);
	csr_write(sie, 0);
}

static void check_wfi_pending(void)
{
	uint64_t t0, t1;

	/* wfi returns when an interrupt is pending and enabled in sie even
	 * with sstatus.SIE off (privileged spec, "Wait for Interrupt"). The
	 * timer is a guard: without it a hung wfi would hang the test. */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_SSIP | SIP_STIP);
	csr_set(sip, SIP_SSIP);
	sbi_set_timer(rdtime() + 2 * TIMEBASE_HZ);
	t0 = rdtime();
	__asm__ volatile("wfi" ::: "memory");
	t1 = rdtime();
	sbi_set_timer(~0ul);
	csr_clear(sip, SIP_SSIP);
	csr_write(sie, 0);
	CHECK(t1 - t0 < TIMEBASE_HZ / 2, 340);
}

static void check_priority(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq;

	/* SSI and STI both pending when SIE comes on: SSI first (S-level
	 * priority order SEI, SSI, STI: privileged spec, "Supervisor
	 * Interrupt Registers"). The handler silences each; STI follows. */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, SIP_SSIP | SIP_STIP);
	sbi_set_timer(0);
	CHECK(WAIT_FOR(csr_read(sip) & SIP_STIP), 350);
	csr_set(sip, SIP_SSIP);
	csr_set(sstatus, SSTATUS_SIE);
	CHECK(WAIT_FOR(hl->nirq >= n + 2), 351);
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK_EQ(hl->nirq, n + 2, 352);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_SSI, 353);
	CHECK_EQ(hl->irq[n + 1].cause, CAUSE_INTR | IRQ_STI, 354);
	csr_write(sie, 0);
}

static void check_user_interrupt(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq, cause;

	/* In U-mode, S-level interrupts are enabled whatever sstatus.SIE
	 * says (privileged spec, sstatus "SIE"). An SSI pending at the sret
	 * is taken in U-mode; U-mode then goes on to its ecall. */
	csr_clear(sstatus, SSTATUS_SIE | SSTATUS_SPIE);
	csr_write(sie, SIP_SSIP);
	csr_set(sip, SIP_SSIP);
	CHECK_EQ(hl->nirq, n, 360);
	cause = user_run(U(u_spin), 1000, user_stack_top());
	csr_write(sie, 0);
	CHECK_EQ(cause, CAUSE_ECALL_U, 361);
	CHECK_EQ(hl->nirq, n + 1, 362);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_SSI, 363);
	CHECK(hl->irq[n].epc >= U(u_spin) && hl->irq[n].epc <= U(u_spin_end),
	      364);
	CHECK(!(hl->irq[n].status & SSTATUS_SPP), 365);
	CHECK_EQ(hl->last.epc, U(u_spin_end), 366);
}

static void check_vectored(void)
{
	struct hart_local *hl = self();
	uint64_t base = (uint64_t)trap_vectors, n;

	/* Vectored mode: interrupt n enters at base + 4n, exceptions at the
	 * base. The mode field is WARL: skip if vectored is not offered. */
	csr_write(stvec, base | 1);
	if (csr_read(stvec) != (base | 1)) {
		csr_write(stvec, trap_entry);
		puts("trap: stvec vectored mode not supported, skipped\n");
		return;
	}
	n = hl->nirq;
	csr_write(sie, SIP_SSIP | SIP_STIP);
	csr_set(sstatus, SSTATUS_SIE);
	csr_set(sip, SIP_SSIP);
	CHECK(WAIT_FOR(hl->nirq == n + 1), 370);
	CHECK_EQ(hl->vector, IRQ_SSI, 371);
	sbi_set_timer(0);
	CHECK(WAIT_FOR(hl->nirq == n + 2), 372);
	CHECK_EQ(hl->vector, IRQ_STI, 373);
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	__asm__ volatile(ARM_TRAP "ebreak" TRAP_POINT : : : "t6", "memory");
	CHECK_EQ(hl->last.cause, CAUSE_BREAKPOINT, 374);
	CHECK_EQ(hl->vector, 16, 375); /* the base slot (start.S) */
	csr_write(stvec, trap_entry);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_ebreak();
	check_illegal();
	check_access_faults();
	check_user();
	check_sret();
	check_timer();
	check_software();
	check_wfi_pending();
	check_priority();
	check_user_interrupt();
	check_vectored();
}
