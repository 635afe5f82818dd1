/* SPDX-License-Identifier: MIT */
/*
 * First-stage translation: the guest builds Sv39 and then Sv48 page tables
 * with 4 KiB, 2 MiB and 1 GiB leaves and checks translation, the A and D
 * bits, every page-fault condition with its scause and stval, SUM, MXR,
 * sfence.vma, and canonical addresses.
 *
 * Written from the RISC-V privileged specification, "Supervisor-Level ISA":
 * "Sv39", "Sv48", and "Virtual Address Translation Process" (the walk, the
 * leaf checks, misaligned superpages, reserved PTE bits 63:54, A/D
 * updates), Svpbmt, and sstatus SUM/MXR.
 *
 * RAM's first GiB stays mapped at itself (S-only, RWX) so the test and
 * its trap handler run on with translation on.
 *
 * Check codes: 0xx setup, 1xx translation, 2xx A/D, 3xx page faults,
 * 4xx SUM/MXR/sfence/U-mode; in Sv48 the same checks are numbered +500;
 * 8xx SBI RFENCE (in Sv39).
 */
#include "lib.h"

TEST_NAME("mmu");

#define PTE_V	  (1ul << 0)
#define PTE_R	  (1ul << 1)
#define PTE_W	  (1ul << 2)
#define PTE_X	  (1ul << 3)
#define PTE_U	  (1ul << 4)
#define PTE_G	  (1ul << 5)
#define PTE_A	  (1ul << 6)
#define PTE_D	  (1ul << 7)
#define PTE_RWXAD (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

#define SATP_SV39 (8ul << 60)
#define SATP_SV48 (9ul << 60)

#define RAM 0x80000000ul

/* Test virtual addresses (canonical in Sv39 and Sv48). */
#define VA_PAGE(i)    (0x50000000ul + (uint64_t)(i)*4096)
#define VA_2M	      0x40000000ul  /* 2 MiB leaf -> SCRATCH_2M */
#define VA_2M_BAD     0x40200000ul  /* 2 MiB leaf, PPN not 2 MiB aligned */
#define VA_1G	      0x100000000ul /* 1 GiB leaf -> RAM */
#define VA_1G_BAD     0x140000000ul /* 1 GiB leaf, PPN not 1 GiB aligned */
#define VA_BAD_TABLE  0x50200000ul  /* its level-0 table is not RAM */
#define VA_USER_CODE  0x60000000ul  /* U alias of .usertext */
#define VA_USER_STACK 0x60100000ul
#define VA_SV48_ONLY  0x8000000000ul /* VPN[3] = 1: canonical in Sv48 only */
#define VA_PBMT_NL    0x50400000ul   /* level-0 table of its own -> P_RW */
#define SCRATCH_2M    0x80800000ul   /* RAM above the image (link.ld) */

/* 4 KiB test pages, by role; VA_PAGE(n) maps page[n]. */
enum {
	P_RW,	/* R W A D */
	P_RO,	/* R A */
	P_INV,	/* V = 0 */
	P_XO,	/* X A: execute-only */
	P_U,	/* U R W A D */
	P_AD,	/* R W, A = D = 0 */
	P_XAD,	/* R X, A = 0 */
	P_SW_A, /* sfence test: first target */
	P_SW_B, /* sfence test: second target */
	P_USTACK,
	P_UX,	  /* U R X */
	P_WO,	  /* W without R: reserved */
	P_RSV,	  /* reserved PTE bits set */
	P_SV48,	  /* mapped at VA_SV48_ONLY */
	P_A,	  /* R W A, D = 0 */
	P_NL0,	  /* level-0 PTE without R/W/X: a pointer at the last level */
	P_GPA,	  /* leaf to a guest-physical address outside RAM */
	P_SW,	  /* the sfence test's VA */
	P_XE1,	  /* X, followed by P_XE2: an instruction across them */
	P_XE2,	  /* X, mapped to frame P_XE2F (not next to P_XE1's) */
	P_XF,	  /* X, followed by P_XF_INV */
	P_XF_INV, /* V = 0 */
	P_XE2F,
	NPAGES,
};

static uint8_t page[NPAGES][4096] __attribute__((aligned(4096)));
static uint64_t tables[24][512] __attribute__((aligned(4096)));
static unsigned ntables;
static uint64_t *root;
static unsigned levels;
static unsigned cb; /* check-code base: 0 (Sv39) or 500 (Sv48) */

extern char __user_start[], __user_end[];

/* The encoding of `ret` (jalr x0, 0(ra)) and `li a0, 0x5a5` (addi). */
#define INSN_RET   0x00008067u
#define INSN_LI_A0 0x5a500513u

static uint64_t *table_alloc(void)
{
	if (ntables == sizeof(tables) / sizeof(tables[0]))
		fail(1, "out of page-table pages", ntables, 0, true);
	memset(tables[ntables], 0, 4096);
	return tables[ntables++];
}

static uint64_t pte_table(const uint64_t *t)
{
	return (((uint64_t)t >> 12) << 10) | PTE_V;
}

/* The PTE for va at level (0: 4 KiB ... levels-1: root), with the tables
 * above it created as needed. */
static uint64_t *pte_at(uint64_t va, unsigned level)
{
	uint64_t *t = root;

	for (unsigned l = levels - 1; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * l)) & 511];

		if (!(*e & PTE_V))
			*e = pte_table(table_alloc());
		t = (uint64_t *)((*e >> 10) << 12);
	}
	return &t[(va >> (12 + 9 * level)) & 511];
}

static uint64_t *map(uint64_t va, uint64_t pa, unsigned level, uint64_t flags)
{
	uint64_t *e = pte_at(va, level);

	*e = ((pa >> 12) << 10) | flags;
	return e;
}

static void sfence(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

static void sfence_va(uint64_t va)
{
	__asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

/* U-mode snippets: a0 = address; the result is in a1 at the ecall. */
__asm__(".pushsection .usertext, \"ax\"\n"
	"u_load:	ld a1, 0(a0)\n"
	"		ecall\n"
	"u_store:	sd a0, 0(a0)\n"
	"		ecall\n"
	"u_call:	jalr ra, 0(a0)\n"
	"		ecall\n"
	".popsection\n");
extern char u_load[], u_store[], u_call[];

static uint64_t user_va(const char *sym)
{
	return VA_USER_CODE + (uint64_t)(sym - __user_start);
}

static uint64_t *pte[NPAGES];

/* Build the tables for a mode with lv levels. */
static void build(unsigned lv)
{
	static const uint64_t flags[NPAGES] = {
	    [P_RW] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_RO] = PTE_V | PTE_R | PTE_A,
	    [P_INV] = PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_XO] = PTE_V | PTE_X | PTE_A,
	    [P_U] = PTE_V | PTE_U | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_AD] = PTE_V | PTE_R | PTE_W,
	    [P_XAD] = PTE_V | PTE_R | PTE_X,
	    [P_SW_A] = PTE_V | PTE_R | PTE_A,
	    [P_SW_B] = PTE_V | PTE_R | PTE_A,
	    [P_USTACK] = PTE_V | PTE_U | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_UX] = PTE_V | PTE_U | PTE_R | PTE_X | PTE_A,
	    [P_WO] = PTE_V | PTE_W | PTE_A | PTE_D,
	    [P_RSV] = PTE_V | PTE_R | PTE_A,
	    [P_SV48] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_A] = PTE_V | PTE_R | PTE_W | PTE_A,
	    [P_NL0] = PTE_V,
	    [P_GPA] = PTE_V | PTE_R | PTE_W | PTE_A | PTE_D,
	    [P_SW] = PTE_V | PTE_R | PTE_A,
	    [P_XE1] = PTE_V | PTE_R | PTE_X | PTE_A,
	    [P_XE2] = PTE_V | PTE_R | PTE_X | PTE_A,
	    [P_XF] = PTE_V | PTE_R | PTE_X | PTE_A,
	    [P_XF_INV] = PTE_R | PTE_X | PTE_A,
	    [P_XE2F] = PTE_V | PTE_R | PTE_A,
	};

	ntables = 0;
	levels = lv;
	root = table_alloc();

	/* RAM's first GiB at itself: the code, data, stacks, tables. */
	map(RAM, RAM, 2, PTE_RWXAD | PTE_G);
	/* The same GiB again at VA_1G, and a misaligned 1 GiB leaf. */
	map(VA_1G, RAM, 2, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	map(VA_1G_BAD, RAM + 0x200000, 2, PTE_V | PTE_R | PTE_A);
	/* 2 MiB leaves: aligned, and with PPN[0] != 0. */
	map(VA_2M, SCRATCH_2M, 1, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
	map(VA_2M_BAD, SCRATCH_2M + 0x1000, 1, PTE_V | PTE_R | PTE_A);

	for (unsigned i = 0; i < NPAGES; i++)
		pte[i] = map(VA_PAGE(i), (uint64_t)page[i], 0, flags[i]);
	/* Set the reserved bits 63 (N), 62:61 (PBMT) and 54: none of
	 * Svnapot, Svpbmt is offered, so each makes the PTE fault; bit 54
	 * is reserved outright. Only bit 54 here; the others below. */
	*pte[P_RSV] |= 1ul << 54;
	*pte[P_GPA] = ((0x20000000ul >> 12) << 10) | flags[P_GPA];
	*pte[P_XE2] = (((uint64_t)page[P_XE2F] >> 12) << 10) | flags[P_XE2];
	/* P_SW starts out mapping page P_SW_A. */
	*pte[P_SW] = (((uint64_t)page[P_SW_A] >> 12) << 10) | flags[P_SW];
	if (lv == 4)
		map(VA_SV48_ONLY, (uint64_t)page[P_SV48], 0, flags[P_SV48]);

	map(VA_PBMT_NL, (uint64_t)page[P_RW], 0, flags[P_RW]);

	/* A level-1 PTE pointing at a "table" outside RAM. */
	*pte_at(VA_BAD_TABLE, 1) = ((0x20000000ul >> 12) << 10) | PTE_V;

	/* U-mode code and stack. */
	for (uint64_t off = 0; off < (uint64_t)(__user_end - __user_start);
	     off += 4096)
		map(VA_USER_CODE + off, (uint64_t)__user_start + off, 0,
		    PTE_V | PTE_U | PTE_R | PTE_X | PTE_A);
	map(VA_USER_STACK, (uint64_t)page[P_USTACK], 0, flags[P_USTACK]);
}

/* Expect the load / store / fetch at va to fault with cause, stval = va. */
static void expect_load_fault(uint64_t va, uint64_t cause, unsigned code)
{
	uint64_t v;

	CHECK(probe_ld(va, &v), code);
	CHECK_EQ(self()->last.cause, cause, code + 1);
	CHECK_EQ(self()->last.tval, va, code + 2);
}

static void expect_store_fault(uint64_t va, uint64_t cause, unsigned code)
{
	CHECK(probe_sd(va, 0x600d), code);
	CHECK_EQ(self()->last.cause, cause, code + 1);
	CHECK_EQ(self()->last.tval, va, code + 2);
}

static void expect_fetch_fault(uint64_t va, uint64_t cause, unsigned code)
{
	CHECK(probe_exec(va), code);
	CHECK_EQ(self()->last.cause, cause, code + 1);
	CHECK_EQ(self()->last.tval, va, code + 2);
	CHECK_EQ(self()->last.epc, va, code + 3);
}

static uint64_t load_ok(uint64_t va, unsigned code)
{
	uint64_t v;

	if (probe_ld(va, &v)) {
		fail_begin(code);
		puts("load at ");
		put_hex(va);
		puts(" faulted: scause ");
		put_hex(self()->last.cause);
		puts(", stval ");
		put_hex(self()->last.tval);
		fail_end();
	}
	return v;
}

static void store_ok(uint64_t va, uint64_t v, unsigned code)
{
	if (probe_sd(va, v)) {
		fail_begin(code);
		puts("store at ");
		put_hex(va);
		puts(" faulted: scause ");
		put_hex(self()->last.cause);
		puts(", stval ");
		put_hex(self()->last.tval);
		fail_end();
	}
}

static void check_translation(void)
{
	static volatile uint64_t marker;
	uint64_t alias = VA_1G + ((uint64_t)&marker - RAM);

	marker = 0x0123456789abcdeful;
	/* 1 GiB leaf: the same memory through another VA, both ways. */
	CHECK_EQ(load_ok(alias, cb + 101), 0x0123456789abcdeful, cb + 102);
	store_ok(alias, 0xfeedfacecafebeeful, cb + 103);
	CHECK_EQ(marker, 0xfeedfacecafebeeful, cb + 104);

	/* 2 MiB leaf onto scratch RAM; its first and last words. */
	*(volatile uint64_t *)SCRATCH_2M = 0x2222222222222222ul;
	*(volatile uint64_t *)(SCRATCH_2M + 0x1ffff8) = 0x3333333333333333ul;
	CHECK_EQ(load_ok(VA_2M, cb + 105), 0x2222222222222222ul, cb + 106);
	CHECK_EQ(load_ok(VA_2M + 0x1ffff8, cb + 107), 0x3333333333333333ul,
		 cb + 108);
	store_ok(VA_2M + 0x12340, 0x4444, cb + 109);
	CHECK_EQ(*(volatile uint64_t *)(SCRATCH_2M + 0x12340), 0x4444,
		 cb + 110);

	/* 4 KiB leaf. */
	*(volatile uint64_t *)&page[P_RW][8] = 0x5555;
	CHECK_EQ(load_ok(VA_PAGE(P_RW) + 8, cb + 111), 0x5555, cb + 112);
	store_ok(VA_PAGE(P_RW) + 0xff8, 0x6666, cb + 113);
	CHECK_EQ(*(volatile uint64_t *)&page[P_RW][0xff8], 0x6666, cb + 114);
	/* Misaligned, across two 4 KiB pages that map unrelated frames:
	 * P_RW's last bytes and P_RO's first. */
	page[P_RW][0xfff] = 0x11;
	page[P_RO][0] = 0x22;
	page[P_RO][1] = 0x33;
	CHECK_EQ(load_ok(VA_PAGE(P_RW) + 0xfff, cb + 115) & 0xffffff, 0x332211,
		 cb + 116);

	/* A valid translation to a GPA with no RAM: access fault, not page
	 * fault (the 1 GiB alias past the end of RAM; P_GPA). */
	expect_load_fault(VA_1G + 0x3ffff000, CAUSE_LOAD_ACCESS, cb + 120);
	expect_load_fault(VA_PAGE(P_GPA), CAUSE_LOAD_ACCESS, cb + 123);
	expect_store_fault(VA_PAGE(P_GPA), CAUSE_STORE_ACCESS, cb + 126);
	/* A walk reading a "table" outside RAM: access fault too. */
	expect_load_fault(VA_BAD_TABLE, CAUSE_LOAD_ACCESS, cb + 129);

	/* The Sv48-only VA: mapped in Sv48, non-canonical in Sv39. */
	if (levels == 4) {
		*(volatile uint64_t *)&page[P_SV48][16] = 0x4848;
		CHECK_EQ(load_ok(VA_SV48_ONLY + 16, cb + 132), 0x4848,
			 cb + 133);
	} else {
		expect_load_fault(VA_SV48_ONLY, CAUSE_LOAD_PAGE, cb + 132);
	}
}

static void check_ad(void)
{
	uint64_t v;

	/* A is set by a load, D stays clear; a store sets D. */
	CHECK_EQ(*pte[P_AD] & (PTE_A | PTE_D), 0, cb + 201);
	load_ok(VA_PAGE(P_AD), cb + 202);
	CHECK_EQ(*pte[P_AD] & (PTE_A | PTE_D), PTE_A, cb + 203);
	store_ok(VA_PAGE(P_AD) + 8, 1, cb + 204);
	CHECK_EQ(*pte[P_AD] & (PTE_A | PTE_D), PTE_A | PTE_D, cb + 205);

	/* A set, D clear: the first store sets D (even after loads filled
	 * the TLB). */
	load_ok(VA_PAGE(P_A), cb + 206);
	CHECK_EQ(*pte[P_A] & PTE_D, 0, cb + 207);
	store_ok(VA_PAGE(P_A), 2, cb + 208);
	CHECK(*pte[P_A] & PTE_D, cb + 209);
	CHECK_EQ(*(volatile uint64_t *)page[P_A], 2, cb + 210);

	/* A fetch sets A. */
	*(volatile uint32_t *)page[P_XAD] = INSN_RET;
	__asm__ volatile("fence.i" ::: "memory");
	CHECK(!probe_exec(VA_PAGE(P_XAD)), cb + 211);
	CHECK(*pte[P_XAD] & PTE_A, cb + 212);
	CHECK_EQ(*pte[P_XAD] & PTE_D, 0, cb + 213);

	/* Software clears A again (and fences): the next load sets it. */
	*pte[P_AD] &= ~(PTE_A | PTE_D);
	sfence_va(VA_PAGE(P_AD));
	(void)probe_ld(VA_PAGE(P_AD), &v);
	CHECK_EQ(*pte[P_AD] & (PTE_A | PTE_D), PTE_A, cb + 214);
}

static void check_page_faults(void)
{
	/* Invalid PTE: load 13, store 15, fetch 12; stval = the VA. */
	expect_load_fault(VA_PAGE(P_INV) + 0x10, CAUSE_LOAD_PAGE, cb + 301);
	expect_store_fault(VA_PAGE(P_INV) + 0x18, CAUSE_STORE_PAGE, cb + 304);
	expect_fetch_fault(VA_PAGE(P_INV), CAUSE_FETCH_PAGE, cb + 307);
	/* Unmapped VA (no table at all on the way). */
	expect_load_fault(0x3000000000ul, CAUSE_LOAD_PAGE, cb + 311);

	/* Read-only: loads work, stores and AMOs fault 15. */
	load_ok(VA_PAGE(P_RO), cb + 314);
	expect_store_fault(VA_PAGE(P_RO) + 0x20, CAUSE_STORE_PAGE, cb + 315);
	trap_clear();
	__asm__ volatile(ARM_TRAP "amoadd.d zero, zero, (%0)" TRAP_POINT
			 :
			 : "r"(VA_PAGE(P_RO))
			 : "t6", "memory");
	CHECK_EQ(self()->last.cause, CAUSE_STORE_PAGE, cb + 318);

	/* Not executable: fetch 12 with sepc = stval = the VA. */
	*(volatile uint32_t *)page[P_RW] = INSN_RET;
	__asm__ volatile("fence.i" ::: "memory");
	expect_fetch_fault(VA_PAGE(P_RW), CAUSE_FETCH_PAGE, cb + 320);

	/* Misaligned superpages. */
	expect_load_fault(VA_2M_BAD, CAUSE_LOAD_PAGE, cb + 324);
	expect_load_fault(VA_1G_BAD + 0x1000, CAUSE_LOAD_PAGE, cb + 327);

	/* W without R is reserved: any access faults. */
	expect_load_fault(VA_PAGE(P_WO), CAUSE_LOAD_PAGE, cb + 330);
	expect_store_fault(VA_PAGE(P_WO), CAUSE_STORE_PAGE, cb + 333);

	/* Reserved bits 60:54: bit 54; Svpbmt's PBMT (62:61): NC (1) and
	 * IO (2) are memory like any other here, 3 is reserved; N (63)
	 * without Svnapot is reserved. */
	expect_load_fault(VA_PAGE(P_RSV), CAUSE_LOAD_PAGE, cb + 336);
	*pte[P_RSV] = (*pte[P_RSV] & ~(1ul << 54)) | (1ul << 61);
	sfence_va(VA_PAGE(P_RSV));
	load_ok(VA_PAGE(P_RSV), cb + 337);
	*pte[P_RSV] = (*pte[P_RSV] & ~(3ul << 61)) | (2ul << 61);
	sfence_va(VA_PAGE(P_RSV));
	load_ok(VA_PAGE(P_RSV), cb + 338);
	*pte[P_RSV] |= 3ul << 61;
	sfence_va(VA_PAGE(P_RSV));
	expect_load_fault(VA_PAGE(P_RSV), CAUSE_LOAD_PAGE, cb + 339);
	*pte[P_RSV] = (*pte[P_RSV] & ~(3ul << 61)) | (1ul << 63);
	sfence_va(VA_PAGE(P_RSV));
	expect_load_fault(VA_PAGE(P_RSV), CAUSE_LOAD_PAGE, cb + 342);
	/* ... and without them the same PTE works. */
	*pte[P_RSV] &= ~(1ul << 63);
	sfence_va(VA_PAGE(P_RSV));
	load_ok(VA_PAGE(P_RSV), cb + 345);

	/* A level-0 PTE that is not a leaf. */
	expect_load_fault(VA_PAGE(P_NL0), CAUSE_LOAD_PAGE, cb + 346);

	/* Non-canonical addresses: bits 63..VA-bits must copy the top bit. */
	if (levels == 3) {
		expect_load_fault(0x0000004000000000ul, CAUSE_LOAD_PAGE,
				  cb + 350);
		expect_store_fault(0xffffff8000000000ul - 0x1000,
				   CAUSE_STORE_PAGE, cb + 353);
		expect_fetch_fault(0x0000004000000000ul, CAUSE_FETCH_PAGE,
				   cb + 356);
	} else {
		expect_load_fault(0x0000800000000000ul, CAUSE_LOAD_PAGE,
				  cb + 350);
		expect_store_fault(0xffff000000000000ul - 0x1000,
				   CAUSE_STORE_PAGE, cb + 353);
		expect_fetch_fault(0x0000800000000000ul, CAUSE_FETCH_PAGE,
				   cb + 356);
	}
	expect_load_fault(0x8000000000000000ul, CAUSE_LOAD_PAGE, cb + 360);
	/* A page fault in the middle of a misaligned load that crosses into
	 * an invalid page: stval is the address of the access or of the part
	 * that faulted (privileged spec, stval), not anything else. */
	{
		uint64_t va = VA_PAGE(P_INV) - 4, v;

		/* VA_PAGE(P_INV) - 4 lies in P_RO: readable. */
		CHECK(probe_ld(va, &v), cb + 363);
		CHECK_EQ(self()->last.cause, CAUSE_LOAD_PAGE, cb + 364);
		CHECK(self()->last.tval == va ||
			  self()->last.tval == VA_PAGE(P_INV),
		      cb + 365);
	}
}

#define PBMT_SHIFT 61
#define PBMT_MASK  (3ul << PBMT_SHIFT)

/* Set the PBMT field of *e (0 PMA, 1 NC, 2 IO, 3 reserved) and fence. */
static void pbmt_set(uint64_t *e, uint64_t pbmt, uint64_t va)
{
	*e = (*e & ~PBMT_MASK) | (pbmt << PBMT_SHIFT);
	sfence_va(va);
}

/*
 * Svpbmt (privileged spec, "Svpbmt"): on a leaf, NC (1) and IO (2) are
 * memory types, and memvisor's guest RAM is the same memory whatever the
 * type: loads, stores and fetches work; 3 is reserved: a page fault. On a
 * non-leaf PTE, bits 62:61 are reserved: a page fault whatever the access.
 * (Loads through a PBMT leaf: check_page_faults.)
 */
static void check_pbmt(void)
{
	uint64_t va = VA_PAGE(P_RW) + 0x40;

	*(volatile uint32_t *)page[P_XO] = INSN_RET;
	__asm__ volatile("fence.i" ::: "memory");
	for (uint64_t pbmt = 1; pbmt <= 2; pbmt++) {
		pbmt_set(pte[P_RW], pbmt, va);
		store_ok(va, 0x9b7 + pbmt, cb + 375);
		CHECK_EQ(load_ok(va, cb + 376), 0x9b7 + pbmt, cb + 377);
		CHECK_EQ(*(volatile uint64_t *)&page[P_RW][0x40], 0x9b7 + pbmt,
			 cb + 378);
		pbmt_set(pte[P_XO], pbmt, VA_PAGE(P_XO));
		CHECK(!probe_exec(VA_PAGE(P_XO)), cb + 379);
	}
	pbmt_set(pte[P_RW], 3, va);
	expect_store_fault(va, CAUSE_STORE_PAGE, cb + 380);
	pbmt_set(pte[P_XO], 3, VA_PAGE(P_XO));
	expect_fetch_fault(VA_PAGE(P_XO), CAUSE_FETCH_PAGE, cb + 383);
	pbmt_set(pte[P_RW], 0, va);
	pbmt_set(pte[P_XO], 0, VA_PAGE(P_XO));
	store_ok(va, 0, cb + 387);
	CHECK(!probe_exec(VA_PAGE(P_XO)), cb + 388);

	/* Every pointer on VA_PBMT_NL's walk, every nonzero PBMT; but not
	 * Sv48's root entry, which covers RAM and the test itself. */
	CHECK_EQ(load_ok(VA_PBMT_NL + 0x40, cb + 389), 0, cb + 389);
	for (unsigned level = 1; level < levels; level++) {
		uint64_t *e = pte_at(VA_PBMT_NL, level);
		unsigned shift = 12 + 9 * level;

		if (VA_PBMT_NL >> shift == RAM >> shift)
			continue;

		for (uint64_t pbmt = 1; pbmt <= 3; pbmt++) {
			*e |= pbmt << PBMT_SHIFT;
			sfence();
			expect_load_fault(VA_PBMT_NL, CAUSE_LOAD_PAGE,
					  cb + 390);
			expect_store_fault(VA_PBMT_NL + 8, CAUSE_STORE_PAGE,
					   cb + 393);
			expect_fetch_fault(VA_PBMT_NL, CAUSE_FETCH_PAGE,
					   cb + 396);
			*e &= ~PBMT_MASK;
			sfence();
		}
	}
	CHECK_EQ(load_ok(VA_PBMT_NL + 0x40, cb + 389), 0, cb + 399);
}

static void put32(uint8_t *p, uint32_t insn)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(insn >> (8 * i));
}

static void check_crossing_fetch(void)
{
	register uint64_t a0 __asm__("a0");
	uint64_t pc = VA_PAGE(P_XE1) + 0xffe;

	/* An instruction across two pages whose frames are apart: its second
	 * half must come from the second page's frame, P_XE2F, not from the
	 * frame after P_XE1's (which holds other bytes). */
	page[P_XE1][0xffe] = 0x13; /* addi a0, a0, 1 = 0x00150513 */
	page[P_XE1][0xfff] = 0x05;
	page[P_XE2F][0] = 0x15;
	page[P_XE2F][1] = 0x00;
	put32(&page[P_XE2F][2], 0x00008067); /* ret */
	page[P_XE1 + 1][0] = 0xff;
	page[P_XE1 + 1][1] = 0xff;
	__asm__ volatile("fence.i" ::: "memory");
	a0 = 41;
	__asm__ volatile(ARM_TRAP "jalr ra, 0(%1)" TRAP_POINT
			 : "+r"(a0)
			 : "r"(pc)
			 : "ra", "t6", "memory");
	CHECK_EQ(a0, 42, cb + 370);

	/* The second half on an invalid page: fetch page fault with sepc at
	 * the instruction and stval at the part that faulted (privileged
	 * spec, stval on variable-length instructions). */
	put32(&page[P_XF][0xffc], 0x05130000); /* ..., addi's low half */
	__asm__ volatile("fence.i" ::: "memory");
	pc = VA_PAGE(P_XF) + 0xffe;
	CHECK(probe_exec(pc), cb + 371);
	CHECK_EQ(self()->last.cause, CAUSE_FETCH_PAGE, cb + 372);
	CHECK_EQ(self()->last.epc, pc, cb + 373);
	CHECK_EQ(self()->last.tval, VA_PAGE(P_XF_INV), cb + 374);
}

static void check_sum_mxr_user(void)
{
	struct hart_local *hl = self();
	uint64_t v, cause, ustack = VA_USER_STACK + 4096;

	/* S-mode and a U page: no access without SUM ... */
	csr_clear(sstatus, SSTATUS_SUM);
	expect_load_fault(VA_PAGE(P_U), CAUSE_LOAD_PAGE, cb + 401);
	expect_store_fault(VA_PAGE(P_U), CAUSE_STORE_PAGE, cb + 404);
	/* ... loads and stores with SUM ... */
	csr_set(sstatus, SSTATUS_SUM);
	store_ok(VA_PAGE(P_U) + 8, 0x5a5a, cb + 407);
	CHECK_EQ(load_ok(VA_PAGE(P_U) + 8, cb + 408), 0x5a5a, cb + 409);
	/* ... but never a fetch, SUM or not. */
	*(volatile uint32_t *)page[P_UX] = INSN_RET;
	__asm__ volatile("fence.i" ::: "memory");
	expect_fetch_fault(VA_PAGE(P_UX), CAUSE_FETCH_PAGE, cb + 410);
	csr_clear(sstatus, SSTATUS_SUM);
	/* And SUM off again takes effect (no stale permission). */
	expect_load_fault(VA_PAGE(P_U) + 8, CAUSE_LOAD_PAGE, cb + 414);

	/* MXR: an execute-only page becomes readable, not writable. */
	*(volatile uint64_t *)&page[P_XO][8] = 0x7777;
	expect_load_fault(VA_PAGE(P_XO) + 8, CAUSE_LOAD_PAGE, cb + 420);
	csr_set(sstatus, SSTATUS_MXR);
	CHECK_EQ(load_ok(VA_PAGE(P_XO) + 8, cb + 423), 0x7777, cb + 424);
	expect_store_fault(VA_PAGE(P_XO) + 8, CAUSE_STORE_PAGE, cb + 425);
	csr_clear(sstatus, SSTATUS_MXR);
	expect_load_fault(VA_PAGE(P_XO) + 8, CAUSE_LOAD_PAGE, cb + 428);
	/* The execute-only page still executes. */
	*(volatile uint32_t *)page[P_XO] = INSN_RET;
	__asm__ volatile("fence.i" ::: "memory");
	CHECK(!probe_exec(VA_PAGE(P_XO)), cb + 431);

	/* U-mode: its own page works ... */
	*(volatile uint64_t *)page[P_U] = 0xabcd;
	cause = user_run(user_va(u_load), VA_PAGE(P_U), ustack);
	CHECK_EQ(cause, CAUSE_ECALL_U, cb + 440);
	CHECK_EQ(hl->trap_a1, 0xabcd, cb + 441);
	/* ... an S page does not: load 13, store 15, fetch 12. */
	cause = user_run(user_va(u_load), VA_PAGE(P_RW), ustack);
	CHECK_EQ(cause, CAUSE_LOAD_PAGE, cb + 442);
	CHECK_EQ(hl->last.tval, VA_PAGE(P_RW), cb + 443);
	CHECK_EQ(hl->last.epc, user_va(u_load), cb + 444);
	cause = user_run(user_va(u_store), VA_PAGE(P_RW), ustack);
	CHECK_EQ(cause, CAUSE_STORE_PAGE, cb + 445);
	CHECK_EQ(hl->last.tval, VA_PAGE(P_RW), cb + 446);
	/* SUM does nothing for U-mode. */
	csr_set(sstatus, SSTATUS_SUM);
	cause = user_run(user_va(u_load), VA_PAGE(P_RW), ustack);
	csr_clear(sstatus, SSTATUS_SUM);
	CHECK_EQ(cause, CAUSE_LOAD_PAGE, cb + 447);
	/* U-mode jumping into S code (the identity map is S-only). */
	cause = user_run((uint64_t)&check_sum_mxr_user, 0, ustack);
	CHECK_EQ(cause, CAUSE_FETCH_PAGE, cb + 448);
	CHECK_EQ(hl->last.epc, (uint64_t)&check_sum_mxr_user, cb + 449);
	/* U-mode calling a U R X page works. */
	cause = user_run(user_va(u_call), VA_PAGE(P_UX), ustack);
	CHECK_EQ(cause, CAUSE_ECALL_U, cb + 450);
	(void)v;
}

static void check_sfence(void)
{
	uint64_t va = VA_PAGE(P_SW);

	*(volatile uint64_t *)page[P_SW_A] = 0xaaaa;
	*(volatile uint64_t *)page[P_SW_B] = 0xbbbb;
	CHECK_EQ(load_ok(va, cb + 460), 0xaaaa, cb + 461);
	/* Repoint the PTE; sfence.vma of that VA makes it seen. */
	*pte[P_SW] =
	    (((uint64_t)page[P_SW_B] >> 12) << 10) | (*pte[P_SW] & 0x3ff);
	sfence_va(va);
	CHECK_EQ(load_ok(va, cb + 462), 0xbbbb, cb + 463);
	/* Back again, with a global sfence.vma. */
	*pte[P_SW] =
	    (((uint64_t)page[P_SW_A] >> 12) << 10) | (*pte[P_SW] & 0x3ff);
	sfence();
	CHECK_EQ(load_ok(va, cb + 464), 0xaaaa, cb + 465);
	/* Invalidate it: the next access faults. */
	*pte[P_SW] &= ~PTE_V;
	sfence_va(va);
	expect_load_fault(va, CAUSE_LOAD_PAGE, cb + 466);
	/* Make it valid: the fault is not remembered. */
	*pte[P_SW] |= PTE_V;
	sfence_va(va);
	CHECK_EQ(load_ok(va, cb + 469), 0xaaaa, cb + 470);
	/* Upgrade read-only to writable. */
	expect_store_fault(va, CAUSE_STORE_PAGE, cb + 471);
	*pte[P_SW] |= PTE_W | PTE_D;
	sfence_va(va);
	store_ok(va, 0xcccc, cb + 474);
	CHECK_EQ(*(volatile uint64_t *)page[P_SW_A], 0xcccc, cb + 475);
}

/* Point P_SW at frame `to` (after a load through the old mapping, so a
 * TLB may hold it), then SBI remote_sfence_vma(this hart, start, size) and
 * load: the new mapping must be seen. Codes code .. code+3. */
static void rfence_repoint(unsigned to, uint64_t start, uint64_t size,
			   uint64_t want, unsigned code)
{
	uint64_t va = VA_PAGE(P_SW);
	struct sbiret r;

	load_ok(va, code);
	*pte[P_SW] = (((uint64_t)page[to] >> 12) << 10) | (*pte[P_SW] & 0x3ff);
	r = sbi_call(SBI_EXT_RFENCE, SBI_RFENCE_SFENCE_VMA,
		     1ul << self()->hartid, 0, start, size, 0, 0);
	CHECK_EQ(r.error, SBI_SUCCESS, code + 1);
	EXPECT_EQ(load_ok(va, code + 2), want, code + 3);
}

/*
 * SBI RFENCE remote_sfence_vma aimed at this hart does what sfence.vma
 * does for the range; start = size = 0 and size = 2^XLEN - 1 mean a full
 * flush (SBI spec, RFENCE extension, "remote fence" functions). Last, so
 * that a failure here hides none of the checks above.
 */
static void check_rfence(void)
{
	*(volatile uint64_t *)page[P_SW_A] = 0xaaaa;
	*(volatile uint64_t *)page[P_SW_B] = 0xbbbb;
	rfence_repoint(P_SW_B, VA_PAGE(P_SW), 4096, 0xbbbb, 801);
	rfence_repoint(P_SW_A, VA_PAGE(P_SW) - 0x800, 0x1000, 0xaaaa, 805);
	rfence_repoint(P_SW_B, 0, ~0ul, 0xbbbb, 809);
	/* start = size = 0: the whole address space (SBI spec, RFENCE). */
	rfence_repoint(P_SW_A, 0, 0, 0xaaaa, 813);
}

/* Build the tables for lv levels and turn translation on. */
static void enable(unsigned lv, uint64_t mode, unsigned code)
{
	uint64_t satp;

	build(lv);
	satp = mode | ((uint64_t)root >> 12);
	sfence();
	csr_write(satp, satp);
	sfence();
	CHECK_EQ(csr_read(satp), satp, code);
}

static void disable(unsigned code)
{
	csr_write(satp, 0);
	sfence();
	CHECK_EQ(csr_read(satp), 0, code);
}

static void run_mode(unsigned lv, uint64_t mode, unsigned code_base)
{
	cb = code_base;
	enable(lv, mode, cb + 1);

	check_translation();
	check_ad();
	check_page_faults();
	check_pbmt();
	check_crossing_fetch();
	check_sum_mxr_user();
	check_sfence();
	disable(cb + 2);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	run_mode(3, SATP_SV39, 0);
	run_mode(4, SATP_SV48, 500);
	enable(3, SATP_SV39, 800);
	check_rfence();
	disable(820);
}
