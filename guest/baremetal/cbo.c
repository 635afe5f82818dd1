/* SPDX-License-Identifier: MIT */
/*
 * Zicbom and Zicboz: cbo.zero, cbo.clean, cbo.flush, cbo.inval; the faults
 * they raise through translation, the A and D bits, senvcfg's enables for
 * U-mode, and the reserved encodings.
 *
 * Written from the RISC-V CMO specification ("Cache-Block Operations",
 * "Page-Fault, Guest-Page-Fault, and Access-Fault Exceptions": a
 * management instruction is allowed where a load or a store is, faults as
 * a store, "checks the accessed bit" and "does not check the dirty bit and
 * neither raises an exception nor sets the bit"; cbo.zero is a store of a
 * whole block; stval is "the faulting effective address (i.e. the value
 * of rs1)"; "Control and Status Register State": senvcfg CBZE, CBCFE,
 * CBIE with 10 reserved) and the privileged specification (senvcfg).
 *
 * memvisor's cache block is 64 bytes (riscv,cbo[mz]-block-size).
 *
 * Check codes: 1xx cbo.zero in bare mode, 2xx cbo.zero translated, 3xx
 * management translated, 4xx senvcfg, 5xx U-mode, 6xx encodings.
 */
#include "lib.h"
#include "pt.h"

TEST_NAME("cbo");

#define BLOCK 64

/* The instructions, with rs1 = a0 for the U-mode snippets' stval. */
#define CBO_INVAL	0
#define CBO_CLEAN	1
#define CBO_FLUSH	2
#define CBO_ZERO	4
#define INSN_CBO_A0(fn) (0x0005200fu | ((uint32_t)(fn) << 20))

/* Test pages (VA_PAGE(n) maps page[n]); on TLB indices apart from the
 * image's, as in the asid test. */
#define VA_PAGE(i) (0x40100000ul + (uint64_t)(i)*4096)
enum {
	P_RW,	 /* R W A D */
	P_RO,	 /* R A */
	P_D0,	 /* R W A, D = 0 */
	P_A0,	 /* R W, A = D = 0 */
	P_A0Z,	 /* R W, A = D = 0: for cbo.zero */
	P_U,	 /* U R W A D */
	P_NONE,	 /* no PTE (V = 0) */
	P_NORAM, /* a leaf to a guest-physical address outside RAM */
	NPAGES,
};
#define NO_RAM 0x20000000ul

static uint8_t page[NPAGES][4096] __attribute__((aligned(4096)));
static uint64_t *pte[NPAGES];
static uint8_t buf[4 * BLOCK] __attribute__((aligned(BLOCK)));

/* Run cbo fn at addr; true when it trapped (self()->last says how), *pc
 * the instruction's address. */
#define PROBE_CBO(name, fn)                                                    \
	static bool name(uint64_t addr, uint64_t *pc)                          \
	{                                                                      \
		uint64_t n = self()->nexc, p;                                  \
		trap_clear();                                                  \
		__asm__ volatile(                                              \
		    "la %0, 8f\n\t" ARM_TRAP                                   \
		    "8:\t.insn i 0x0f, 2, zero, %1, " #fn TRAP_POINT           \
		    : "=&r"(p)                                                 \
		    : "r"(addr)                                                \
		    : "t6", "memory");                                         \
		*pc = p;                                                       \
		return self()->nexc != n;                                      \
	}
PROBE_CBO(probe_zero, 4)
PROBE_CBO(probe_clean, 1)
PROBE_CBO(probe_flush, 2)
PROBE_CBO(probe_inval, 0)

typedef bool (*probe_fn)(uint64_t addr, uint64_t *pc);

static const struct {
	probe_fn probe;
	unsigned fn;
} mgmt[] = {
    {probe_clean, CBO_CLEAN},
    {probe_flush, CBO_FLUSH},
    {probe_inval, CBO_INVAL},
};
#define NMGMT (sizeof(mgmt) / sizeof(mgmt[0]))

/* The op must not trap. */
static void cbo_ok(probe_fn probe, uint64_t addr, unsigned code)
{
	uint64_t pc;

	if (probe(addr, &pc)) {
		fail_begin(code);
		puts("cbo at ");
		put_hex(addr);
		puts(" trapped: scause ");
		put_hex(self()->last.cause);
		puts(", stval ");
		put_hex(self()->last.tval);
		fail_end();
	}
}

/* The op must trap with cause, stval = addr, sepc = it. Codes code..+3. */
static void cbo_fault(probe_fn probe, uint64_t addr, uint64_t cause,
		      unsigned code)
{
	uint64_t pc;

	CHECK(probe(addr, &pc), code);
	CHECK_EQ(self()->last.cause, cause, code + 1);
	CHECK_EQ(self()->last.tval, addr, code + 2);
	CHECK_EQ(self()->last.epc, pc, code + 3);
}

/* Every byte of p[from, to) is v. */
static bool bytes_are(const volatile uint8_t *p, size_t from, size_t to,
		      uint8_t v)
{
	for (size_t i = from; i < to; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* ---- 1xx: cbo.zero in bare mode ---- */

static void check_zero_bare(void)
{
	memset(buf, 0xa5, sizeof(buf));
	/* rs1 inside the second block, unaligned: that block, no more. */
	cbo_ok(probe_zero, (uint64_t)buf + BLOCK + 13, 101);
	CHECK(bytes_are(buf, 0, BLOCK, 0xa5), 102);
	CHECK(bytes_are(buf, BLOCK, 2 * BLOCK, 0), 103);
	CHECK(bytes_are(buf, 2 * BLOCK, sizeof(buf), 0xa5), 104);
	/* rs1 at the last byte of a block. */
	cbo_ok(probe_zero, (uint64_t)buf + 4 * BLOCK - 1, 105);
	CHECK(bytes_are(buf, 2 * BLOCK, 3 * BLOCK, 0xa5), 106);
	CHECK(bytes_are(buf, 3 * BLOCK, 4 * BLOCK, 0), 107);
	CHECK(bytes_are(buf, 0, BLOCK, 0xa5), 108);
	/* Outside RAM: a store access fault. */
	cbo_fault(probe_zero, NO_RAM + 8, CAUSE_STORE_ACCESS, 110);
}

/* ---- 2xx, 3xx: through Sv39 ---- */

static void build(void)
{
	static const uint64_t flags[NPAGES] = {
	    [P_RW] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_RO] = PTE_V | PTE_R | PTE_A,
	    [P_D0] = PTE_V | PTE_R | PTE_W | PTE_A,
	    [P_A0] = PTE_V | PTE_R | PTE_W,
	    [P_A0Z] = PTE_V | PTE_R | PTE_W,
	    [P_U] = PTE_V | PTE_U | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_NONE] = 0,
	    [P_NORAM] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
	};
	uint64_t *root = pt_root();

	for (unsigned i = 0; i < NPAGES; i++)
		pte[i] =
		    pt_map(root, VA_PAGE(i), (uint64_t)page[i], 0, flags[i]);
	*pte[P_NORAM] = pt_leaf(NO_RAM, flags[P_NORAM]);
	__asm__ volatile("sfence.vma" ::: "memory");
	csr_write(satp, pt_satp(root, 0));
	__asm__ volatile("sfence.vma" ::: "memory");
}

static void check_zero_translated(void)
{
	uint64_t va;

	/* The block of a writable page, at an unaligned rs1. */
	memset(page[P_RW], 0x5a, 4096);
	cbo_ok(probe_zero, VA_PAGE(P_RW) + 0x7c0 + 5, 201);
	CHECK(bytes_are(page[P_RW], 0, 0x7c0, 0x5a), 202);
	CHECK(bytes_are(page[P_RW], 0x7c0, 0x800, 0), 203);
	CHECK(bytes_are(page[P_RW], 0x800, 4096, 0x5a), 204);

	/* Unmapped: store page fault, stval the effective address (rs1,
	 * not the block's start). */
	cbo_fault(probe_zero, VA_PAGE(P_NONE) + 0x123, CAUSE_STORE_PAGE, 210);
	/* A page with no tables at all on the way. */
	cbo_fault(probe_zero, 0x3000000000ul + 0x41, CAUSE_STORE_PAGE, 214);
	/* Read-only: a store page fault too, and nothing written. */
	memset(page[P_RO], 0x77, 4096);
	cbo_fault(probe_zero, VA_PAGE(P_RO) + 0x47, CAUSE_STORE_PAGE, 218);
	CHECK(bytes_are(page[P_RO], 0, 4096, 0x77), 222);
	/* A translation to no RAM: store access fault. */
	cbo_fault(probe_zero, VA_PAGE(P_NORAM) + 0x10, CAUSE_STORE_ACCESS, 223);

	/* D = 0: it is a store, so D gets set. */
	memset(page[P_D0], 0x11, 4096);
	CHECK_EQ(*pte[P_D0] & PTE_D, 0, 230);
	cbo_ok(probe_zero, VA_PAGE(P_D0) + 0x80, 231);
	CHECK(*pte[P_D0] & PTE_D, 232);
	CHECK(bytes_are(page[P_D0], 0x80, 0xc0, 0), 233);
	/* A = D = 0: both set. */
	cbo_ok(probe_zero, VA_PAGE(P_A0Z), 234);
	CHECK_EQ(*pte[P_A0Z] & (PTE_A | PTE_D), PTE_A | PTE_D, 235);

	/* A U page from S-mode: only with SUM. */
	memset(page[P_U], 0x33, 4096);
	va = VA_PAGE(P_U) + 0x100;
	csr_clear(sstatus, SSTATUS_SUM);
	cbo_fault(probe_zero, va, CAUSE_STORE_PAGE, 240);
	CHECK(bytes_are(page[P_U], 0, 4096, 0x33), 244);
	csr_set(sstatus, SSTATUS_SUM);
	cbo_ok(probe_zero, va, 245);
	csr_clear(sstatus, SSTATUS_SUM);
	CHECK(bytes_are(page[P_U], 0x100, 0x140, 0), 246);
}

static void check_manage_translated(void)
{
	for (unsigned i = 0; i < NMGMT; i++) {
		unsigned c = 300 + 20 * i; /* 300, 320, 340 */
		probe_fn probe = mgmt[i].probe;

		/* Read-only is enough (a load is allowed); memory stays. */
		memset(page[P_RO], 0x42, 4096);
		cbo_ok(probe, VA_PAGE(P_RO) + 0x40, c + 1);
		cbo_ok(probe, VA_PAGE(P_RO) + 0xfff, c + 2);
		if (mgmt[i].fn != CBO_INVAL)
			CHECK(bytes_are(page[P_RO], 0, 4096, 0x42), c + 3);
		/* So is a writable page. */
		cbo_ok(probe, VA_PAGE(P_RW) + 0x11, c + 4);
		/* Unmapped: a store page fault (15), not a load one (13). */
		cbo_fault(probe, VA_PAGE(P_NONE) + 0x9, CAUSE_STORE_PAGE,
			  c + 5);
		/* No RAM: a store access fault (7), not a load one (5). */
		cbo_fault(probe, VA_PAGE(P_NORAM) + 0x3, CAUSE_STORE_ACCESS,
			  c + 9);
		/* A U page from S-mode without SUM: no access at all. */
		csr_clear(sstatus, SSTATUS_SUM);
		cbo_fault(probe, VA_PAGE(P_U) + 0x21, CAUSE_STORE_PAGE, c + 13);
		csr_set(sstatus, SSTATUS_SUM);
		cbo_ok(probe, VA_PAGE(P_U) + 0x21, c + 17);
		csr_clear(sstatus, SSTATUS_SUM);
	}

	/* The accessed bit is checked (memvisor sets it); the dirty bit is
	 * not: "neither raises an exception nor sets the bit". */
	CHECK_EQ(*pte[P_A0] & (PTE_A | PTE_D), 0, 380);
	cbo_ok(probe_clean, VA_PAGE(P_A0) + 0x200, 381);
	CHECK_EQ(*pte[P_A0] & (PTE_A | PTE_D), PTE_A, 382);
	cbo_ok(probe_flush, VA_PAGE(P_A0), 383);
	cbo_ok(probe_inval, VA_PAGE(P_A0), 384);
	CHECK_EQ(*pte[P_A0] & PTE_D, 0, 385);
	cbo_ok(probe_clean, VA_PAGE(P_D0) + 0x10, 386);
	/* A store to the page still sets D (no stale write permission). */
	*pte[P_A0] &= ~PTE_A;
	__asm__ volatile("sfence.vma" ::: "memory");
	cbo_ok(probe_inval, VA_PAGE(P_A0), 387);
	CHECK_EQ(*pte[P_A0] & (PTE_A | PTE_D), PTE_A, 388);
	CHECK(!probe_sd(VA_PAGE(P_A0) + 8, 1), 389);
	CHECK_EQ(*pte[P_A0] & (PTE_A | PTE_D), PTE_A | PTE_D, 390);
}

/* ---- 4xx: senvcfg ---- */

#define SENVCFG_CBIE(v) ((uint64_t)(v) << 4)
#define SENVCFG_CBCFE	(1ul << 6)
#define SENVCFG_CBZE	(1ul << 7)

__asm__(".pushsection .usertext, \"ax\"\n"
	".option push\n"
	".option norvc\n"
	"u_senvcfg:	csrr a0, 0x10a\n"
	"		ecall\n"
	"u_zero:	.insn i 0x0f, 2, zero, a0, 4\n"
	"		ecall\n"
	"u_clean:	.insn i 0x0f, 2, zero, a0, 1\n"
	"		ecall\n"
	"u_flush:	.insn i 0x0f, 2, zero, a0, 2\n"
	"		ecall\n"
	"u_inval:	.insn i 0x0f, 2, zero, a0, 0\n"
	"		ecall\n"
	".option pop\n"
	".popsection\n");
extern char u_senvcfg[], u_zero[], u_clean[], u_flush[], u_inval[];

static void check_senvcfg(void)
{
	uint64_t cause;

	csr_write(senvcfg, 0);
	CHECK_EQ(csr_read(senvcfg), 0, 401);
	csr_write(senvcfg, SENVCFG_CBZE);
	CHECK_EQ(csr_read(senvcfg), SENVCFG_CBZE, 402);
	csr_write(senvcfg, SENVCFG_CBCFE);
	CHECK_EQ(csr_read(senvcfg), SENVCFG_CBCFE, 403);
	csr_write(senvcfg, SENVCFG_CBIE(1));
	CHECK_EQ(csr_read(senvcfg), SENVCFG_CBIE(1), 404);
	csr_write(senvcfg, SENVCFG_CBIE(3));
	CHECK_EQ(csr_read(senvcfg), SENVCFG_CBIE(3), 405);
	/* CBIE = 10 is reserved: WARL, memvisor reads it as 00. */
	csr_write(senvcfg, SENVCFG_CBIE(2) | SENVCFG_CBZE);
	CHECK_EQ(csr_read(senvcfg), SENVCFG_CBZE, 406);
	csr_write(senvcfg, ~0ul);
	CHECK_EQ(csr_read(senvcfg) & 0xf0, 0xf0, 407);
	csr_write(senvcfg, 0);
	/* An S-mode CSR: not for U-mode. */
	cause = user_run((uint64_t)u_senvcfg, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 408);
	CHECK_EQ(self()->last.tval, 0x10a02573u, 409);
}

/* ---- 5xx: U-mode (bare mode) ---- */

static const struct {
	char *fn;
	unsigned op;
} uops[] = {
    {u_zero, CBO_ZERO},
    {u_clean, CBO_CLEAN},
    {u_flush, CBO_FLUSH},
    {u_inval, CBO_INVAL},
};
#define NUOPS (sizeof(uops) / sizeof(uops[0]))

/* Whether senvcfg value cfg lets U-mode run op (CMO spec, CSR state). */
static bool u_allowed(uint64_t cfg, unsigned op)
{
	switch (op) {
	case CBO_ZERO:
		return cfg & SENVCFG_CBZE;
	case CBO_CLEAN:
	case CBO_FLUSH:
		return cfg & SENVCFG_CBCFE;
	default:
		return (cfg >> 4) & 3; /* 01, 11 (10 never reads back) */
	}
}

static void check_user(void)
{
	static const uint64_t cfgs[] = {
	    0,
	    SENVCFG_CBZE,
	    SENVCFG_CBCFE,
	    SENVCFG_CBIE(1),
	    SENVCFG_CBIE(3),
	    SENVCFG_CBIE(2), /* reserved: reads 00 */
	    SENVCFG_CBZE | SENVCFG_CBCFE | SENVCFG_CBIE(1),
	};

	for (unsigned c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++) {
		csr_write(senvcfg, cfgs[c]);
		for (unsigned i = 0; i < NUOPS; i++) {
			uint64_t addr = (uint64_t)buf + BLOCK + 7, cause;
			bool ok =
			    u_allowed(cfgs[c] == SENVCFG_CBIE(2) ? 0 : cfgs[c],
				      uops[i].op);

			memset(buf, 0xa5, sizeof(buf));
			cause = user_run((uint64_t)uops[i].fn, addr,
					 user_stack_top());
			if (cause != (ok ? CAUSE_ECALL_U : CAUSE_ILLEGAL)) {
				fail_begin(501);
				puts("U-mode cbo ");
				put_dec(uops[i].op);
				puts(" with senvcfg ");
				put_hex(cfgs[c]);
				puts(": scause ");
				put_hex(cause);
				puts(ok ? ", expected ecall"
					: ", expected illegal");
				expect_end();
				continue;
			}
			if (!ok) {
				EXPECT_EQ(self()->last.tval,
					  INSN_CBO_A0(uops[i].op), 502);
				EXPECT_EQ(self()->last.epc,
					  (uint64_t)uops[i].fn, 503);
			}
			/* Only an allowed cbo.zero writes. */
			if (uops[i].op == CBO_ZERO && ok)
				EXPECT(bytes_are(buf, BLOCK, 2 * BLOCK, 0),
				       504);
			else
				EXPECT(bytes_are(buf, 0, sizeof(buf), 0xa5),
				       505);
		}
	}
	csr_write(senvcfg, 0);
}

/* ---- 6xx: encodings ---- */

/* Expect the word (a0 = addr, a valid block) to be illegal. */
#define CHECK_ILLEGAL_A0(word, addr, code)                                     \
	do {                                                                   \
		register uint64_t __a0 __asm__("a0") = (addr);                 \
		ILLEGAL_AT(".word " #word, word, code, CHECK_EQ, "r"(__a0));   \
	} while (0)

static void check_encodings(void)
{
	uint64_t a = (uint64_t)buf;

	memset(buf, 0xa5, sizeof(buf));
	/* rd != x0 is reserved, for each of the four. */
	CHECK_ILLEGAL_A0(0x0045208f, a, 601); /* cbo.zero, rd = x1 */
	CHECK_ILLEGAL_A0(0x0015208f, a, 604); /* cbo.clean, rd = x1 */
	CHECK_ILLEGAL_A0(0x0025208f, a, 607); /* cbo.flush, rd = x1 */
	CHECK_ILLEGAL_A0(0x00052f8f, a, 610); /* cbo.inval, rd = x31 */
	/* Function codes the CMO spec does not define. */
	CHECK_ILLEGAL_A0(0x0035200f, a, 614); /* imm 3 */
	CHECK_ILLEGAL_A0(0x0055200f, a, 617); /* imm 5 */
	/* None of them wrote anything. */
	CHECK(bytes_are(buf, 0, sizeof(buf), 0xa5), 620);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_zero_bare();
	check_senvcfg();
	check_user();
	check_encodings();
	build();
	check_zero_translated();
	check_manage_translated();
	csr_write(satp, 0);
	__asm__ volatile("sfence.vma" ::: "memory");
}
