/* SPDX-License-Identifier: MIT */
/*
 * Supervisor CSRs: which fields are writable, the WARL rules, the counters,
 * the CSR instructions' read/write rules, and the accesses that must raise
 * illegal instruction.
 *
 * Written from the RISC-V privileged specification (chapter "Supervisor-
 * Level ISA": sstatus, stvec, sip/sie, scounteren, sscratch, sepc, stval,
 * satp; "CSR Field Specifications" for WARL) and the unprivileged
 * specification's Zicsr and Zicntr chapters.
 *
 * Check codes: 1xx sstatus, 2xx sscratch and the CSR instructions,
 * 3xx sepc/stvec/stval, 4xx satp, 5xx counters, 6xx sie/sip,
 * 7xx illegal accesses.
 */
#include "lib.h"

TEST_NAME("csr");

/* Every sstatus field RV64 defines (privileged spec v1.12, sstatus). */
#define SSTATUS_DEFINED                                                        \
	(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_UBE | SSTATUS_SPP | SSTATUS_VS | \
	 SSTATUS_FS | SSTATUS_XS | SSTATUS_SUM | SSTATUS_MXR | SSTATUS_UXL |   \
	 SSTATUS_SD)

static void check_sstatus(void)
{
	static const uint64_t writable[] = {
	    SSTATUS_SIE, SSTATUS_SPIE, SSTATUS_SPP, SSTATUS_SUM, SSTATUS_MXR};
	uint64_t old = csr_read(sstatus), v;

	/* sie = 0: setting SIE here cannot let an interrupt in. */
	csr_write(sie, 0);
	for (unsigned i = 0; i < sizeof(writable) / sizeof(writable[0]); i++) {
		csr_set(sstatus, writable[i]);
		CHECK(csr_read(sstatus) & writable[i], 101 + 2 * i);
		csr_clear(sstatus, writable[i]);
		CHECK(!(csr_read(sstatus) & writable[i]), 102 + 2 * i);
	}

	/* All ones: UXL reads 2 (64-bit U-mode); FS is writable (F and D)
	 * and reads 3, Dirty, so SD reads 1; VS and XS read 0 (no V, no
	 * other extension state); no undefined bit is set. */
	csr_write(sstatus, ~0ul);
	v = csr_read(sstatus);
	csr_write(sstatus, 0);
	CHECK_EQ((v & SSTATUS_UXL) >> 32, 2, 120);
	CHECK_EQ(v & SSTATUS_FS, SSTATUS_FS, 121);
	CHECK_EQ(v & SSTATUS_VS, 0, 122);
	CHECK_EQ(v & SSTATUS_XS, 0, 123);
	CHECK_EQ(v & SSTATUS_SD, SSTATUS_SD, 124);
	CHECK_EQ(v & ~SSTATUS_DEFINED, 0, 125);
	CHECK_EQ(v & (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM |
		      SSTATUS_MXR),
		 SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM |
		     SSTATUS_MXR,
		 126);

	/* All zeros: UXL is read-only, still 2. */
	v = csr_read(sstatus);
	CHECK_EQ((v & SSTATUS_UXL) >> 32, 2, 127);
	CHECK_EQ(v & (SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_SUM |
		      SSTATUS_MXR),
		 0, 128);
	CHECK_EQ(v & (SSTATUS_FS | SSTATUS_SD), 0, 129); /* FS Off */
	csr_write(sstatus, old & ~SSTATUS_SIE);
}

static void check_csr_instructions(void)
{
	uint64_t r[12];

	/*
	 * sscratch holds the trap stack pointer (start.S): saved in t0 and
	 * restored before the asm ends, with nothing in between that traps.
	 * Results go to r[] in memory.
	 */
	__asm__ volatile("csrr t0, sscratch\n\t"
			 /* csrrw: swap, the old value in rd */
			 "li t1, 0x0123456789abcdef\n\t"
			 "csrw sscratch, t1\n\t"
			 "li t1, 0x00000000ffff0000\n\t"
			 "csrrw t2, sscratch, t1\n\t"
			 "sd t2, 0(%0)\n\t"
			 "csrr t2, sscratch\n\t"
			 "sd t2, 8(%0)\n\t"
			 /* csrrs: OR in rs1, old value in rd */
			 "li t1, 0x00000000000000ff\n\t"
			 "csrrs t2, sscratch, t1\n\t"
			 "sd t2, 16(%0)\n\t"
			 "csrr t2, sscratch\n\t"
			 "sd t2, 24(%0)\n\t"
			 /* csrrc: clear rs1's bits */
			 "li t1, 0x00000000ff0000f0\n\t"
			 "csrrc t2, sscratch, t1\n\t"
			 "sd t2, 32(%0)\n\t"
			 "csrr t2, sscratch\n\t"
			 "sd t2, 40(%0)\n\t"
			 /* csrrwi: a zero-extended 5-bit immediate */
			 "csrrwi t2, sscratch, 31\n\t"
			 "sd t2, 48(%0)\n\t"
			 "csrr t2, sscratch\n\t"
			 "sd t2, 56(%0)\n\t"
			 /* csrrsi / csrrci */
			 "csrrsi t2, sscratch, 0\n\t" /* reads only */
			 "csrrci zero, sscratch, 5\n\t"
			 "csrr t1, sscratch\n\t"
			 "sd t1, 64(%0)\n\t"
			 "csrrsi zero, sscratch, 0x10\n\t"
			 "csrr t1, sscratch\n\t"
			 "sd t1, 72(%0)\n\t"
			 /* csrrw with rd = x0 still writes */
			 "li t1, -1\n\t"
			 "csrrw zero, sscratch, t1\n\t"
			 "csrr t1, sscratch\n\t"
			 "sd t1, 80(%0)\n\t"
			 "csrw sscratch, t0\n\t"
			 :
			 : "r"(r)
			 : "t0", "t1", "t2", "memory");
	CHECK_EQ(r[0], 0x0123456789abcdeful, 201);
	CHECK_EQ(r[1], 0x00000000ffff0000ul, 202);
	CHECK_EQ(r[2], 0x00000000ffff0000ul, 203);
	CHECK_EQ(r[3], 0x00000000ffff00fful, 204);
	CHECK_EQ(r[4], 0x00000000ffff00fful, 205);
	CHECK_EQ(r[5], 0x0000000000ff000ful, 206);
	CHECK_EQ(r[6], 0x0000000000ff000ful, 207);
	CHECK_EQ(r[7], 31, 208);
	CHECK_EQ(r[8], 31 & ~5ul, 209);
	CHECK_EQ(r[9], (31 & ~5ul) | 0x10, 210);
	CHECK_EQ(r[10], ~0ul, 211);
}

static void check_sepc_stvec_stval(void)
{
	uint64_t old, v;

	/* sepc[0] is always 0 (IALIGN = 16 with C). */
	old = csr_read(sepc);
	csr_write(sepc, 0x80001235ul);
	CHECK_EQ(csr_read(sepc), 0x80001234ul, 301);
	csr_write(sepc, ~0ul);
	CHECK_EQ(csr_read(sepc), ~1ul, 302);
	csr_write(sepc, old);

	/* stvec: direct mode keeps the base; MODE 2 (reserved) does not
	 * stick (WARL); vectored (1) may. */
	csr_write(stvec, 0x80000100ul);
	CHECK_EQ(csr_read(stvec), 0x80000100ul, 303);
	csr_write(stvec, 0x80000100ul | 2);
	v = csr_read(stvec);
	csr_write(stvec, trap_entry);
	CHECK((v & 3) != 2, 304);
	CHECK_EQ(csr_read(stvec), (uint64_t)trap_entry, 305);

	/* stval holds any address (and 0). */
	csr_write(stval, 0x0000003fdeadbeeful);
	CHECK_EQ(csr_read(stval), 0x0000003fdeadbeeful, 306);
	csr_write(stval, 0);
	CHECK_EQ(csr_read(stval), 0, 307);
}

/* An Sv39 root mapping RAM's first GiB at itself, and an Sv48 root whose
 * entry 0 points at it: enough to turn translation on and keep running. */
static uint64_t root39[512] __attribute__((aligned(4096)));
static uint64_t root48[512] __attribute__((aligned(4096)));

#define SATP_MODE(v) ((v) >> 60)
#define SATP_ASID(v) (((v) >> 44) & 0xffff)
#define SATP_PPN(v)  ((v) & ((1ul << 44) - 1))

static void check_satp(void)
{
	uint64_t ppn39 = (uint64_t)root39 >> 12, ppn48 = (uint64_t)root48 >> 12;
	uint64_t v;

	/* V R W X A D, PPN 0x80000 (a 1 GiB leaf at 0x80000000). */
	root39[2] = (0x80000ul << 10) | 0xcf;
	root48[0] = (ppn39 << 10) | 1; /* pointer to the next level */

	csr_write(satp, 0);
	/* Sv57 (10) is not offered: the write has no effect at all. */
	csr_write(satp, (10ul << 60) | ppn39);
	CHECK_EQ(csr_read(satp), 0, 401);
	/* Modes 1..7 are reserved: no effect either. */
	csr_write(satp, (1ul << 60) | ppn39);
	CHECK_EQ(csr_read(satp), 0, 402);

	/* Sv39 with every ASID bit set: the mode, the PPN and all 16 ASID
	 * bits stick (memvisor has ASIDLEN = 16). */
	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, (8ul << 60) | (0xfffful << 44) | ppn39);
	__asm__ volatile("sfence.vma" ::: "memory");
	v = csr_read(satp);
	CHECK_EQ(SATP_MODE(v), 8, 403);
	CHECK_EQ(SATP_PPN(v), ppn39, 404);
	CHECK_EQ(SATP_ASID(v), 0xffff, 405);

	/* With translation on, an Sv57 write still changes nothing. */
	csr_write(satp, (10ul << 60) | ppn48);
	CHECK_EQ(csr_read(satp), v, 406);

	/* Sv48 is offered. */
	csr_write(satp, (9ul << 60) | ppn48);
	__asm__ volatile("sfence.vma" ::: "memory");
	v = csr_read(satp);
	CHECK_EQ(SATP_MODE(v), 9, 407);
	CHECK_EQ(SATP_PPN(v), ppn48, 408);

	csr_write(satp, 0);
	__asm__ volatile("sfence.vma" ::: "memory");
	CHECK_EQ(csr_read(satp), 0, 409);
}

/* U-mode snippets reading counters (result in a0, then ecall). */
__asm__(".pushsection .usertext, \"ax\"\n"
	"u_rdtime:	rdtime a0\n"
	"		ecall\n"
	"u_rdcycle:	rdcycle a0\n"
	"		ecall\n"
	"u_rdinstret:	rdinstret a0\n"
	"		ecall\n"
	".popsection\n");
extern char u_rdtime[], u_rdcycle[], u_rdinstret[];

static void check_counters(void)
{
	uint64_t t1, t2, i1, i2, c1, c2, cause;
	unsigned long n = 1000;

	/* time moves on (10 MHz in memvisor's device tree). */
	t1 = rdtime();
	delay_ticks(100);
	t2 = rdtime();
	CHECK(t2 > t1, 501);
	CHECK(t2 - t1 < TIMEBASE_HZ, 502);

	/* instret counts the 2000 instructions of this loop (and a few
	 * around it); cycle is readable and moves too. */
	__asm__ volatile("rdcycle %2\n\t"
			 "rdinstret %0\n"
			 "1:\taddi %3, %3, -1\n\t"
			 "bnez %3, 1b\n\t"
			 "rdinstret %1\n\t"
			 "rdcycle %4"
			 : "=&r"(i1), "=&r"(i2), "=&r"(c1), "+r"(n), "=&r"(c2)
			 :
			 : "memory");
	CHECK(i2 - i1 >= 2000, 503);
	CHECK(i2 - i1 < 2100, 504);
	CHECK(c2 > c1, 505);

	/* hpmcounter3..31 exist (read-only zero is allowed): no trap. */
	trap_clear();
	__asm__ volatile(ARM_TRAP "csrr t0, hpmcounter3" TRAP_POINT
			 :
			 :
			 : "t0", "t6", "memory");
	CHECK_EQ(self()->last.cause, CAUSE_NONE, 506);

	/* U-mode reads a counter only when scounteren allows it. */
	csr_write(scounteren, 0);
	cause = user_run((uint64_t)u_rdtime, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 510);
	CHECK_EQ(self()->last.tval, 0xc0102573, 511); /* rdtime a0 */
	cause = user_run((uint64_t)u_rdcycle, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 512);
	cause = user_run((uint64_t)u_rdinstret, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 513);

	csr_write(scounteren, 0x7); /* CY, TM, IR */
	cause = user_run((uint64_t)u_rdtime, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ECALL_U, 514);
	cause = user_run((uint64_t)u_rdcycle, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ECALL_U, 515);
	cause = user_run((uint64_t)u_rdinstret, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ECALL_U, 516);

	/* Only TM: time readable, cycle not. */
	csr_write(scounteren, 0x2);
	cause = user_run((uint64_t)u_rdtime, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ECALL_U, 517);
	cause = user_run((uint64_t)u_rdcycle, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 518);
	csr_write(scounteren, 0);
}

/*
 * Every counter by number (cycle 0xc00 ... hpmcounter31 0xc1f): a table
 * of "csrr a0, 0xc00 + n" snippets, 8 bytes each, returning (S-mode) or
 * ending in ecall (U-mode).
 */
#define COUNTER_SLOT	  8
#define INSN_CSRR_A0(csr) (0x00002573u | ((uint32_t)(csr) << 20))
#define COUNTER_NUMBERS                                                        \
	"0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,"    \
	"25,26,27,28,29,30,31"
__asm__(".pushsection .usertext, \"ax\"\n"
	".option push\n"
	".option norvc\n"
	"u_counters:\n"
	".irp n, " COUNTER_NUMBERS "\n"
	"	csrr a0, 0xc00 + \\n\n"
	"	ecall\n"
	".endr\n"
	".option pop\n"
	".popsection\n"
	".pushsection .text\n"
	".option push\n"
	".option norvc\n"
	".align 2\n"
	"s_counters:\n"
	".irp n, " COUNTER_NUMBERS "\n"
	"	csrr a0, 0xc00 + \\n\n"
	"	ret\n"
	".endr\n"
	".option pop\n"
	".popsection\n");
extern char u_counters[], s_counters[];

/* Counter n (0..31) read in S-mode; true when that trapped. */
static bool s_counter(unsigned n, uint64_t *val)
{
	register uint64_t a0 __asm__("a0") = 0;
	uint64_t before = self()->nexc;

	__asm__ volatile(ARM_TRAP "jalr ra, 0(%1)" TRAP_POINT
			 : "+r"(a0)
			 : "r"(s_counters + COUNTER_SLOT * n)
			 : "ra", "t6", "memory");
	*val = a0;
	return self()->nexc != before;
}

/* Counter n read in U-mode: the exception's cause (ecall: *val is it). */
static uint64_t u_counter(unsigned n, uint64_t *val)
{
	uint64_t cause = user_run((uint64_t)(u_counters + COUNTER_SLOT * n), 0,
				  user_stack_top());

	*val = self()->trap_a0;
	return cause;
}

static void check_counter_enables(void)
{
	uint64_t v, v2, cause;

	/* S-mode reads every counter whatever scounteren says; the
	 * hpmcounters read 0 (no events are counted). */
	csr_write(scounteren, 0);
	for (unsigned n = 0; n < 32; n++) {
		CHECK(!s_counter(n, &v), 520);
		if (n >= 3)
			EXPECT_EQ(v, 0, 521);
	}

	/* U-mode: counter n only with scounteren bit n; stval is the
	 * instruction. */
	for (unsigned n = 0; n < 32; n++) {
		csr_write(scounteren, 0);
		cause = u_counter(n, &v);
		EXPECT_EQ(cause, CAUSE_ILLEGAL, 522);
		EXPECT_EQ(self()->last.tval, INSN_CSRR_A0(0xc00 + n), 523);
		/* Every bit but n: still illegal. */
		csr_write(scounteren, 0xffffffffu & ~(1u << n));
		EXPECT_EQ(u_counter(n, &v), CAUSE_ILLEGAL, 524);
		/* Bit n alone: it reads. */
		csr_write(scounteren, 1u << n);
		EXPECT_EQ(u_counter(n, &v), CAUSE_ECALL_U, 525);
		if (n >= 3)
			EXPECT_EQ(v, 0, 526);
	}

	/* Read from U-mode, time, cycle and instret move on. */
	csr_write(scounteren, 0x7);
	CHECK_EQ(u_counter(1, &v), CAUSE_ECALL_U, 527);
	delay_ticks(10);
	CHECK_EQ(u_counter(1, &v2), CAUSE_ECALL_U, 528);
	CHECK(v2 > v, 529);
	CHECK_EQ(u_counter(0, &v), CAUSE_ECALL_U, 530);
	CHECK_EQ(u_counter(0, &v2), CAUSE_ECALL_U, 531);
	CHECK(v2 > v, 532);
	CHECK_EQ(u_counter(2, &v), CAUSE_ECALL_U, 533);
	CHECK_EQ(u_counter(2, &v2), CAUSE_ECALL_U, 534);
	CHECK(v2 > v, 535);
	csr_write(scounteren, 0);

	/* scounteren keeps its 32 bits. */
	csr_write(scounteren, ~0ul);
	CHECK_EQ(csr_read(scounteren), 0xffffffffu, 536);
	csr_write(scounteren, 0);
}

static void check_sie_sip(void)
{
	uint64_t v;

	/* sie: SSIE, STIE, SEIE are the S-level enables (LCOFIE, bit 13,
	 * only with Sscofpmf); nothing else sticks. */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, ~0ul);
	v = csr_read(sie);
	csr_write(sie, 0);
	CHECK_EQ(v & (SIP_SSIP | SIP_STIP | SIP_SEIP),
		 SIP_SSIP | SIP_STIP | SIP_SEIP, 601);
	CHECK_EQ(v & ~(SIP_SSIP | SIP_STIP | SIP_SEIP | (1ul << 13)), 0, 602);
	CHECK_EQ(csr_read(sie), 0, 603);

	/* sip: only SSIP is writable from S-mode; STIP and SEIP are not. */
	sbi_set_timer(~0ul);
	csr_write(sip, ~0ul);
	v = csr_read(sip);
	csr_write(sip, 0);
	CHECK(v & SIP_SSIP, 604);
	CHECK_EQ(v & (SIP_STIP | SIP_SEIP), 0, 605);
	CHECK_EQ(csr_read(sip) & SIP_SSIP, 0, 606);
}

/* Expect the 32-bit word (a CSR read) not to trap. */
#define CHECK_LEGAL(word, code)                                                \
	do {                                                                   \
		trap_clear();                                                  \
		__asm__ volatile(ARM_TRAP ".word " #word TRAP_POINT            \
				 :                                             \
				 :                                             \
				 : "a0", "t6", "memory");                      \
		CHECK_EQ(self()->last.cause, CAUSE_NONE, code);                \
	} while (0)

static void check_illegal_access(void)
{
	/* M-mode CSRs from S-mode (CSR number bits 9:8 = 3). */
	CHECK_ILLEGAL(0x30002573, 701); /* csrr a0, mstatus */
	CHECK_ILLEGAL(0x30051073, 704); /* csrw mstatus, a0 */
	CHECK_ILLEGAL(0xf1402573, 707); /* csrr a0, mhartid */
	CHECK_ILLEGAL(0x30402573, 710); /* csrr a0, mie */

	/* Writes to read-only CSRs (bits 11:10 = 3) are illegal, and a
	 * csrrs/csrrc with rs1 != x0 counts as a write even if rs1 is 0. */
	CHECK_ILLEGAL(0xc0151073, 713);		     /* csrw time, a0 */
	CHECK_ILLEGAL(0xc0001073, 716);		     /* csrw cycle, zero */
	CHECK_ILLEGAL(0xc0251073, 734);		     /* csrw instret, a0 */
	CHECK_ILLEGAL(0xc0351073, 737);		     /* csrw hpmcounter3, a0 */
	CHECK_ILLEGAL(0xc1f51073, 740);		     /* csrw hpmcounter31, a0 */
	CHECK_ILLEGAL(0xc0252073 | (11 << 15), 743); /* csrrs instret, a1 */
	CHECK_ILLEGAL(0xc000f073, 746);		     /* csrrci cycle, 1 */
	CHECK_ILLEGAL(0xc0102573 | (11 << 15), 719); /* csrrs a0, time, a1 */
	CHECK_ILLEGAL(0xc010f573, 722);		     /* csrrci a0, time, 1 */
	CHECK_ILLEGAL(0xc0105073, 725);		     /* csrrwi zero, time, 0 */

	/* ... while csrrs/csrrsi/csrrci with x0 / 0 only read: legal. */
	CHECK_LEGAL(0xc0102573, 730); /* csrrs a0, time, zero */
	CHECK_LEGAL(0xc0106573, 731); /* csrrsi a0, time, 0 */
	CHECK_LEGAL(0xc0107573, 732); /* csrrci a0, time, 0 */

	/* The hypervisor's CSRs (hstatus 0x600) are not there for a guest
	 * that runs without the H extension. */
	CHECK_ILLEGAL(0x60002573, 733); /* csrr a0, hstatus */
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_sstatus();
	check_csr_instructions();
	check_sepc_stvec_stval();
	check_satp();
	check_counters();
	check_counter_enables();
	check_sie_sip();
	check_illegal_access();
}
