/* SPDX-License-Identifier: MIT */
/*
 * Address-space identifiers: satp.ASID, switching address spaces without
 * a fence, sfence.vma by ASID and by address, global mappings, and the
 * reserved satp modes.
 *
 * Written from the RISC-V privileged specification, "Supervisor-Level
 * ISA": satp (ASIDLEN is the number of ASID bits that stick; a write of an
 * unsupported MODE has no effect at all), SFENCE.VMA ("If ASIDLEN <
 * ASIDMAX, the implementation shall ignore bits ASIDMAX-1:ASIDLEN of the
 * value held in rs2"; a fence by address "invalidates all address-
 * translation cache entries that contain leaf page table entries
 * corresponding to the virtual address in rs1"), and PTE.G.
 *
 * memvisor has ASIDLEN = 16, or 0 with --cpu-disable asid. The test finds
 * which from satp and prints "asid: ASIDLEN <n>" (the runner checks it is
 * the one it asked for). Without ASIDs, software fences after each satp
 * write, and so does the test.
 *
 * NAS address spaces, more than memvisor keeps TLBs for (cpu/cache.h),
 * each with a root of its own, map VA_DATA and VA_CODE to pages of their
 * own; VA_GLOBAL is one global mapping they all share.
 *
 * Check codes: 1xx satp.ASID, 2xx switching, 3xx sfence.vma x0, asid,
 * 4xx sfence.vma va, asid, 5xx global mappings, 6xx sfence.vma of a
 * superpage, 7xx reserved satp modes.
 */
#include "lib.h"
#include "pt.h"

TEST_NAME("asid");

/*
 * The test VAs' pages fall on TLB indices (VPN mod 512 in memvisor) apart
 * from each other and from the image's (0x80000000 up, about 160 pages),
 * so no access of the test's own evicts a translation a check expects to
 * be stale unless fenced; a fence that does nothing then shows.
 */
#define NAS	    10
#define VA_DATA	    0x40100000ul
#define VA_CODE	    0x40101000ul
#define VA_GLOBAL   0x40380000ul
#define VA_SUPER    0x40400000ul  /* 2 MiB leaf, in address space 0 only */
#define SUPER_PAGES 0x1c0000ul	  /* the 4 KiB pages of it the test reads */
#define VA_GIGA	    0x140000000ul /* 1 GiB leaf -> RAM, address space 0 */
/* The page of VA_GIGA the test stores to: in scratch RAM, TLB index 0x1c8. */
#define GIGA_OFF     (SCRATCH_2M_A - RAM_BASE + 0x1c8000ul)
#define SCRATCH_2M_A 0x80800000ul /* RAM above the image (link.ld) */
#define SCRATCH_2M_B 0x80a00000ul

#define RW  (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define RX  (PTE_V | PTE_R | PTE_X | PTE_A)
#define GRW (RW | PTE_G)

/* data[i]: address space i's VA_DATA; data[NAS]: the page a fence test
 * repoints address space 0 (or 1) to; gpage[0/1]: VA_GLOBAL's two pages. */
static uint64_t data[NAS + 1][512] __attribute__((aligned(4096)));
static uint32_t code[NAS][1024] __attribute__((aligned(4096)));
static uint64_t gpage[2][512] __attribute__((aligned(4096)));

static uint64_t *root[NAS];
static uint64_t satp_of[NAS];
static uint64_t *pte_data[NAS];
static uint64_t *pte_global, *pte_super, *pte_giga;
static bool asids; /* ASIDLEN = 16: no fence on a switch */

#define INSN_RET 0x00008067u
/* addi a0, zero, imm */
#define INSN_LI_A0(imm) (0x00000513u | ((uint32_t)(imm) << 20))

static uint64_t asid_of(unsigned i)
{
	return i + 1;
}

static void sfence_all(void)
{
	__asm__ volatile("sfence.vma" ::: "memory");
}

static void sfence_asid(uint64_t asid)
{
	__asm__ volatile("sfence.vma zero, %0" : : "r"(asid) : "memory");
}

static void sfence_va(uint64_t va)
{
	__asm__ volatile("sfence.vma %0, zero" : : "r"(va) : "memory");
}

static void sfence_va_asid(uint64_t va, uint64_t asid)
{
	__asm__ volatile("sfence.vma %0, %1" : : "r"(va), "r"(asid) : "memory");
}

/* Switch to address space i; without ASIDs, fence as software must. */
static void as_switch(unsigned i)
{
	csr_write(satp, satp_of[i]);
	if (!asids)
		sfence_all();
}

static uint64_t va_load(uint64_t va, unsigned code)
{
	uint64_t v;

	if (probe_ld(va, &v)) {
		fail_begin(code);
		puts("load at ");
		put_hex(va);
		puts(" faulted: scause ");
		put_hex(self()->last.cause);
		puts(" satp ");
		put_hex(csr_read(satp));
		fail_end();
	}
	return v;
}

static void va_store(uint64_t va, uint64_t v, unsigned code)
{
	if (probe_sd(va, v)) {
		fail_begin(code);
		puts("store at ");
		put_hex(va);
		puts(" faulted: scause ");
		put_hex(self()->last.cause);
		puts(" satp ");
		put_hex(csr_read(satp));
		fail_end();
	}
}

/* Call the code at va; it returns a value in a0. */
static uint64_t va_call(uint64_t va)
{
	register uint64_t a0 __asm__("a0") = 0;

	__asm__ volatile("jalr ra, 0(%1)"
			 : "+r"(a0)
			 : "r"(va)
			 : "ra", "memory");
	return a0;
}

static void build(void)
{
	for (unsigned i = 0; i < NAS; i++) {
		root[i] = pt_root();
		pte_data[i] =
		    pt_map(root[i], VA_DATA, (uint64_t)data[i], 0, RW);
		pt_map(root[i], VA_CODE, (uint64_t)code[i], 0, RX);
		data[i][0] = 0xda7a000000000000ul | i;
		code[i][0] = INSN_LI_A0(i + 1);
		code[i][1] = INSN_RET;
		satp_of[i] = pt_satp(root[i], asid_of(i));
	}
	data[NAS][0] = 0xda7a0000000000fful;

	/* One level-0 table for VA_GLOBAL, shared by every address space
	 * through a global pointer; its leaf is global too. */
	pte_global = pt_map(root[0], VA_GLOBAL, (uint64_t)gpage[0], 0, GRW);
	*pt_pte(root[0], VA_GLOBAL, 1) |= PTE_G;
	for (unsigned i = 1; i < NAS; i++)
		*pt_pte(root[i], VA_GLOBAL, 1) = *pt_pte(root[0], VA_GLOBAL, 1);
	gpage[0][0] = 0x610ba1000ul;
	gpage[1][0] = 0x610ba1001ul;

	pte_super = pt_map(root[0], VA_SUPER, SCRATCH_2M_A, 1, RW);
	pte_giga = pt_map(root[0], VA_GIGA, RAM_BASE, 2, RW);
	__asm__ volatile("fence.i" ::: "memory");
	sfence_all();
}

/* ---- 1xx: ASIDLEN ---- */

static unsigned check_asidlen(void)
{
	static const uint64_t patterns[] = {0xffff, 0x5555, 0xaaaa, 0x8001};
	uint64_t v, ppn = (uint64_t)root[0] >> 12, len;

	sfence_all();
	csr_write(satp, SATP_SV39 | (0xfffful << SATP_ASID_SHIFT) | ppn);
	v = csr_read(satp);
	len = 0;
	for (uint64_t f = SATP_ASID(v); f; f >>= 1)
		len += f & 1;
	puts("asid: ASIDLEN ");
	put_dec(len);
	putchar('\n');
	/* The ASID bits that stick are the low ASIDLEN ones (satp). */
	CHECK(SATP_ASID(v) == 0xffff || SATP_ASID(v) == 0, 101);
	CHECK_EQ(SATP_MODE(v), 8, 102);
	CHECK_EQ(SATP_PPN(v), ppn, 103);
	for (unsigned i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
		csr_write(satp,
			  SATP_SV39 | (patterns[i] << SATP_ASID_SHIFT) | ppn);
		EXPECT_EQ(SATP_ASID(csr_read(satp)), len ? patterns[i] : 0,
			  104 + i);
	}
	sfence_all();
	csr_write(satp, 0);
	sfence_all();
	return (unsigned)len;
}

/* ---- 2xx: switching ---- */

static void check_switching(void)
{
	uint64_t want[NAS];

	for (unsigned i = 0; i < NAS; i++)
		want[i] = data[i][0];
	/* 7 is prime to NAS: every address space, in a shuffled order, many
	 * times over, so TLBs are reused as well as found again. */
	for (unsigned n = 0; n < 40 * NAS; n++) {
		unsigned i = (n * 7) % NAS;
		uint64_t v;

		as_switch(i);
		if (asids)
			CHECK_EQ(SATP_ASID(csr_read(satp)), asid_of(i), 201);
		else
			CHECK_EQ(SATP_ASID(csr_read(satp)), 0, 202);
		v = va_load(VA_DATA, 203);
		if (v != want[i]) {
			fail_begin(204);
			puts("address space ");
			put_dec(i);
			puts(" switch ");
			put_dec(n);
			puts(": VA_DATA reads ");
			put_hex(v);
			puts(", expected ");
			put_hex(want[i]);
			fail_end();
		}
		want[i] = ((uint64_t)i << 32) | n;
		va_store(VA_DATA, want[i], 205);
		CHECK_EQ(va_call(VA_CODE), i + 1, 206);
	}
	/* The stores went to each address space's own page. */
	for (unsigned i = 0; i < NAS; i++)
		EXPECT_EQ(data[i][0], want[i], 207);
}

/* ---- 3xx, 4xx: fences by ASID and by address ---- */

/* Point address space i's VA_DATA at page p. */
static void repoint(unsigned i, unsigned p)
{
	*pte_data[i] = pt_leaf((uint64_t)data[p], RW);
}

/* Repoint address space i's VA_DATA and fence(i) (a fence naming
 * asid_of(i)), with i current or not: after the fence, i sees the new
 * page and the others their own. Codes code .. code + 9. */
static void check_fence(void (*fence)(unsigned), unsigned code)
{
	/* In the current address space (the only check that means anything
	 * without ASIDs): the fence names its ASID, or, without ASIDs, a
	 * value whose bits the hart ignores (all of them: ASIDLEN = 0). */
	as_switch(0);
	CHECK_EQ(va_load(VA_DATA, code), data[0][0], code);
	repoint(0, NAS);
	fence(0);
	CHECK_EQ(va_load(VA_DATA, code + 1), data[NAS][0], code + 1);
	repoint(0, 0);
	fence(0);
	CHECK_EQ(va_load(VA_DATA, code + 2), data[0][0], code + 2);
	if (!asids)
		return;

	/* An address space that is not current: fenced from another one,
	 * which keeps its own translations. */
	as_switch(1);
	CHECK_EQ(va_load(VA_DATA, code + 3), data[1][0], code + 3);
	as_switch(0);
	CHECK_EQ(va_load(VA_DATA, code + 4), data[0][0], code + 4);
	repoint(0, NAS);
	as_switch(1);
	fence(0);
	as_switch(0);
	CHECK_EQ(va_load(VA_DATA, code + 5), data[NAS][0], code + 5);
	as_switch(1);
	CHECK_EQ(va_load(VA_DATA, code + 6), data[1][0], code + 6);
	/* And back, fenced from address space 1 while 0 is current... */
	repoint(0, 0);
	repoint(1, NAS);
	fence(1);
	fence(0);
	CHECK_EQ(va_load(VA_DATA, code + 7), data[NAS][0], code + 7);
	as_switch(0);
	CHECK_EQ(va_load(VA_DATA, code + 8), data[0][0], code + 8);
	repoint(1, 1);
	fence(1);
	as_switch(1);
	CHECK_EQ(va_load(VA_DATA, code + 9), data[1][0], code + 9);
}

static void fence_asid(unsigned i)
{
	sfence_asid(asid_of(i));
}

static void fence_va_asid(unsigned i)
{
	sfence_va_asid(VA_DATA, asid_of(i));
}

/* ---- 5xx: global mappings ---- */

static void check_global(void)
{
	for (unsigned i = 0; i < NAS; i++) {
		as_switch(i);
		CHECK_EQ(va_load(VA_GLOBAL, 501), gpage[0][0], 501);
	}
	/* A global mapping changes for every address space: a fence with
	 * rs2 = x0 covers it. */
	*pte_global = pt_leaf((uint64_t)gpage[1], GRW);
	sfence_va(VA_GLOBAL);
	for (unsigned i = 0; i < NAS; i++) {
		as_switch(i);
		CHECK_EQ(va_load(VA_GLOBAL, 502), gpage[1][0], 502);
	}
	*pte_global = pt_leaf((uint64_t)gpage[0], GRW);
	sfence_all();
	for (unsigned i = 0; i < NAS; i++) {
		as_switch(i);
		CHECK_EQ(va_load(VA_GLOBAL, 503), gpage[0][0], 503);
	}
	/* Stores through it reach the one page, from any address space. */
	as_switch(3);
	va_store(VA_GLOBAL + 8, 0x3333, 504);
	as_switch(7);
	CHECK_EQ(va_load(VA_GLOBAL + 8, 505), 0x3333, 505);
	CHECK_EQ(gpage[0][1], 0x3333, 506);
}

/* ---- 6xx: a fence by address of a superpage ---- */

static void check_superpage(void)
{
	volatile uint64_t *a = (volatile uint64_t *)SCRATCH_2M_A;
	volatile uint64_t *b = (volatile uint64_t *)SCRATCH_2M_B;

	for (unsigned off = 0; off < 8; off++) {
		a[(SUPER_PAGES >> 3) + off * 512] = 0xaaaa0000ul | off;
		b[(SUPER_PAGES >> 3) + off * 512] = 0xbbbb0000ul | off;
	}
	as_switch(0);
	/* Touch several of the 2 MiB leaf's 4 KiB pages ... */
	for (unsigned off = 0; off < 8; off++)
		CHECK_EQ(va_load(VA_SUPER + SUPER_PAGES + off * 4096, 601),
			 0xaaaa0000ul | off, 601);
	/* ... repoint the leaf and fence another address in it (its
	 * base): the fence covers the leaf, so every page of it. */
	*pte_super = pt_leaf(SCRATCH_2M_B, RW);
	sfence_va(VA_SUPER);
	for (unsigned off = 0; off < 8; off++)
		EXPECT_EQ(va_load(VA_SUPER + SUPER_PAGES + off * 4096, 602),
			  0xbbbb0000ul | off, 602);
	/* The same through the fence by address and ASID, at an address in
	 * the middle of the superpage. */
	*pte_super = pt_leaf(SCRATCH_2M_A, RW);
	sfence_va_asid(VA_SUPER + 0x3000, asid_of(0));
	for (unsigned off = 0; off < 8; off++)
		EXPECT_EQ(va_load(VA_SUPER + SUPER_PAGES + off * 4096, 603),
			  0xaaaa0000ul | off, 603);

	/* A 1 GiB leaf made read-only: a fence of its base takes the write
	 * permission away from a page 8 MiB into it as well. (Its frame's
	 * identity address has the same TLB index: looked at only after.) */
	va_store(VA_GIGA + GIGA_OFF, 0x6161, 604);
	*pte_giga = pt_leaf(RAM_BASE, PTE_V | PTE_R | PTE_A);
	sfence_va(VA_GIGA);
	CHECK(probe_sd(VA_GIGA + GIGA_OFF, 0x6262), 606);
	CHECK_EQ(self()->last.cause, CAUSE_STORE_PAGE, 607);
	CHECK_EQ(*(volatile uint64_t *)(RAM_BASE + GIGA_OFF), 0x6161, 608);
	/* And writable again, fenced by address and ASID. */
	*pte_giga = pt_leaf(RAM_BASE, RW);
	sfence_va_asid(VA_GIGA + 0x12345000ul, asid_of(0));
	va_store(VA_GIGA + GIGA_OFF, 0x6363, 609);
	CHECK_EQ(*(volatile uint64_t *)(RAM_BASE + GIGA_OFF), 0x6363, 610);
}

/* ---- 7xx: reserved satp modes ---- */

static void check_reserved_modes(void)
{
	static const uint64_t modes[] = {1,  2,	 3,  4,	 5,  6, 7,
					 10, 11, 12, 13, 14, 15};
	uint64_t ppn = (uint64_t)root[1] >> 12, v;

	csr_write(satp, 0);
	sfence_all();
	for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		csr_write(satp,
			  (modes[m] << 60) | (5ul << SATP_ASID_SHIFT) | ppn);
		EXPECT_EQ(csr_read(satp), 0, 701);
	}
	as_switch(0);
	v = csr_read(satp);
	for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		csr_write(satp,
			  (modes[m] << 60) | (5ul << SATP_ASID_SHIFT) | ppn);
		EXPECT_EQ(csr_read(satp), v, 702);
		/* Still address space 0's translations. */
		CHECK_EQ(va_load(VA_DATA, 703), data[0][0], 703);
	}
	csr_write(satp, 0);
	sfence_all();
	CHECK_EQ(csr_read(satp), 0, 704);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	build();
	asids = check_asidlen() != 0;
	check_switching();
	check_fence(fence_asid, 300);
	check_fence(fence_va_asid, 400);
	check_global();
	check_superpage();
	check_reserved_modes();
}
