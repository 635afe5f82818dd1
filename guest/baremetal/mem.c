/* SPDX-License-Identifier: MIT */
/*
 * Memory access: loads and stores of every width and signedness, aligned,
 * misaligned within a page and misaligned across a page boundary; x0 as a
 * load's destination; the A extension's AMOs, LR/SC and their alignment
 * rule; fence.i making stored instructions visible to fetch.
 *
 * Written from the RISC-V unprivileged specification: "Load and Store
 * Instructions" (little-endian, misaligned accesses allowed by the EEI),
 * "A Extension" (LR/SC, AMOs), "Zifencei".
 *
 * Check codes: 1xx aligned, 2xx misaligned in a page, 3xx crossing a page,
 * 4xx x0, 5xx AMOs and LR/SC, 6xx fence.i, 7xx instructions across a page
 * boundary.
 */
#include "lib.h"

TEST_NAME("mem");

/* Two pages, to cross the boundary between them. */
static uint8_t pages[2][4096] __attribute__((aligned(4096)));

/* Fill n bytes at p with 0x11, 0x22, ... (i + 1) * 0x11, wrapping. */
static void fill(uint8_t *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)((i + 1) * 0x11);
}

/* The little-endian value of size bytes at p, read byte by byte. */
static uint64_t le(const volatile uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t sext(uint64_t v, unsigned size)
{
	unsigned shift = 64 - 8 * size;

	return (uint64_t)((int64_t)(v << shift) >> shift);
}

/* Load with every instruction of width size at addr; compare with the
 * bytes there. code .. code+1 are used. */
static void check_load_at(uint64_t addr, unsigned size, unsigned code)
{
	uint64_t want = le((const uint8_t *)addr, size), got = 0, got_u = 0;
	bool trapped = false;

	switch (size) {
	case 1:
		trapped |= probe_lb(addr, &got);
		trapped |= probe_lbu(addr, &got_u);
		break;
	case 2:
		trapped |= probe_lh(addr, &got);
		trapped |= probe_lhu(addr, &got_u);
		break;
	case 4:
		trapped |= probe_lw(addr, &got);
		trapped |= probe_lwu(addr, &got_u);
		break;
	default:
		trapped |= probe_ld(addr, &got);
		got_u = got;
		break;
	}
	if (trapped || got != sext(want, size) || got_u != want) {
		fail_begin(trapped ? code + 1 : code);
		puts("load of ");
		put_dec(size);
		puts(" bytes at ");
		put_hex(addr);
		if (trapped) {
			puts(" trapped: scause ");
			put_hex(self()->last.cause);
		} else {
			puts(": signed ");
			put_hex(got);
			puts(", unsigned ");
			put_hex(got_u);
			puts(", expected bytes ");
			put_hex(want);
		}
		fail_end();
	}
}

/* Store size bytes of a pattern at addr; only those bytes change, in
 * little-endian order. code .. code+2 are used. */
static void check_store_at(uint8_t *region, unsigned len, uint64_t addr,
			   unsigned size, unsigned code)
{
	static const uint64_t val = 0xf1e2d3c4b5a69788ul;
	unsigned off = (unsigned)(addr - (uint64_t)region);
	bool trapped;

	fill(region, len);
	switch (size) {
	case 1:
		trapped = probe_sb(addr, val);
		break;
	case 2:
		trapped = probe_sh(addr, val);
		break;
	case 4:
		trapped = probe_sw(addr, val);
		break;
	default:
		trapped = probe_sd(addr, val);
		break;
	}
	CHECK(!trapped, code);
	for (unsigned i = 0; i < len; i++) {
		uint8_t want = i >= off && i < off + size
				   ? (uint8_t)(val >> (8 * (i - off)))
				   : (uint8_t)((i + 1) * 0x11);
		if (region[i] != want) {
			fail_begin(i >= off && i < off + size ? code + 1
							      : code + 2);
			puts("store of ");
			put_dec(size);
			puts(" bytes at ");
			put_hex(addr);
			puts(": byte ");
			put_dec(i - off);
			puts(" is ");
			put_hex(region[i]);
			puts(", expected ");
			put_hex(want);
			fail_end();
		}
	}
}

static void check_aligned(void)
{
	static uint8_t buf[32] __attribute__((aligned(16)));
	uint64_t b = (uint64_t)buf;

	fill(buf, sizeof(buf));
	check_load_at(b + 8, 1, 101);
	check_load_at(b + 15, 1, 103);
	check_load_at(b + 8, 2, 105);
	check_load_at(b + 14, 2, 107);
	check_load_at(b + 8, 4, 109);
	check_load_at(b + 12, 4, 111);
	check_load_at(b + 8, 8, 113);
	check_load_at(b + 16, 8, 115);

	check_store_at(buf, sizeof(buf), b + 9, 1, 120);
	check_store_at(buf, sizeof(buf), b + 10, 2, 123);
	check_store_at(buf, sizeof(buf), b + 12, 4, 126);
	check_store_at(buf, sizeof(buf), b + 8, 8, 129);

	/* Sign extension on top bytes of 0x80.. and 0x7f.. */
	buf[0] = 0x80;
	buf[1] = 0x7f;
	check_load_at(b, 1, 132);
	check_load_at(b + 1, 1, 134);
	buf[2] = 0xff;
	buf[3] = 0x7f;
	check_load_at(b + 2, 2, 136);
	buf[4] = 0;
	buf[5] = 0;
	buf[6] = 0;
	buf[7] = 0x80;
	check_load_at(b + 4, 4, 138);
}

static void check_misaligned(void)
{
	static uint8_t buf[48] __attribute__((aligned(16)));
	uint64_t b = (uint64_t)buf + 16;

	/* Misaligned within a page: the EEI lets memvisor carry them out
	 * (Linux expects them to work), so every offset must. */
	fill(buf, sizeof(buf));
	for (unsigned off = 1; off < 8; off++)
		check_load_at(b + off, 8, 200 + 2 * off);
	for (unsigned off = 1; off < 4; off++)
		check_load_at(b + off, 4, 220 + 2 * off);
	check_load_at(b + 1, 2, 230);
	check_load_at(b + 7, 2, 232);

	for (unsigned off = 1; off < 8; off++)
		check_store_at(buf, sizeof(buf), b + off, 8, 240 + 3 * off);
	for (unsigned off = 1; off < 4; off++)
		check_store_at(buf, sizeof(buf), b + off, 4, 270 + 3 * off);
	check_store_at(buf, sizeof(buf), b + 3, 2, 285);
}

static void check_crossing(void)
{
	/* 32 bytes around the boundary between pages[0] and pages[1]. */
	uint8_t *region = &pages[0][4096 - 16];
	uint64_t edge = (uint64_t)pages[1];

	fill(region, 32);
	for (unsigned k = 1; k < 8; k++)
		check_load_at(edge - k, 8, 300 + 2 * k);
	for (unsigned k = 1; k < 4; k++)
		check_load_at(edge - k, 4, 320 + 2 * k);
	check_load_at(edge - 1, 2, 330);

	for (unsigned k = 1; k < 8; k++)
		check_store_at(region, 32, edge - k, 8, 340 + 3 * k);
	for (unsigned k = 1; k < 4; k++)
		check_store_at(region, 32, edge - k, 4, 370 + 3 * k);
	check_store_at(region, 32, edge - 1, 2, 385);
}

static void check_x0_load(void)
{
	static uint64_t word = 0x1122334455667788ul;
	uint64_t r;

	/* A load into x0 leaves x0 zero ... */
	__asm__ volatile("ld x0, 0(%1)\n\t"
			 "lw x0, 0(%1)\n\t"
			 "lbu x0, 1(%1)\n\t"
			 "mv %0, x0"
			 : "=r"(r)
			 : "r"(&word)
			 : "memory");
	CHECK_EQ(r, 0, 401);
	__asm__ volatile("ld x0, 0(%1)\n\t"
			 "addi %0, x0, 0"
			 : "=r"(r)
			 : "r"(&word)
			 : "memory");
	CHECK_EQ(r, 0, 402);

	/* ... but still raises its exceptions (unprivileged spec: loads
	 * with rd = x0 must raise any exception). */
	trap_clear();
	__asm__ volatile(ARM_TRAP "ld x0, 0(%0)" TRAP_POINT
			 :
			 : "r"(0x20000000ul)
			 : "t6", "memory");
	CHECK_EQ(self()->last.cause, CAUSE_LOAD_ACCESS, 403);
	CHECK_EQ(self()->last.tval, 0x20000000ul, 404);
}

/* rd = amo(addr, src): the old value, sign-extended for .w. */
#define AMO(insn, addr, src)                                                   \
	({                                                                     \
		uint64_t __r;                                                  \
		__asm__ volatile(insn " %0, %2, (%1)"                          \
				 : "=r"(__r)                                   \
				 : "r"(addr), "r"((uint64_t)(src))             \
				 : "memory");                                  \
		__r;                                                           \
	})

/* Run amo on a fresh word holding init with src: check rd and memory. */
#define CHECK_AMO_W(insn, init, src, want_mem, code)                           \
	do {                                                                   \
		words[0] = (init);                                             \
		words[1] = 0x55555555;                                         \
		CHECK_EQ(AMO(insn, &words[0], src),                            \
			 (uint64_t)(int64_t)(int32_t)(init), code);            \
		CHECK_EQ(words[0], (uint32_t)(want_mem), code + 1);            \
		CHECK_EQ(words[1], 0x55555555, code + 2);                      \
	} while (0)

#define CHECK_AMO_D(insn, init, src, want_mem, code)                           \
	do {                                                                   \
		dwords[0] = (init);                                            \
		CHECK_EQ(AMO(insn, &dwords[0], src), (init), code);            \
		CHECK_EQ(dwords[0], (want_mem), code + 1);                     \
	} while (0)

static void check_amo(void)
{
	static volatile uint32_t words[2] __attribute__((aligned(8)));
	static volatile uint64_t dwords[2] __attribute__((aligned(16)));
	uint64_t r, sc;

	/* .w: the old word, sign-extended; only the word changes; the upper
	 * half of rs2 does not count. */
	CHECK_AMO_W("amoswap.w", 0x80000000u, 0xdead000000000001ul, 1, 501);
	CHECK_AMO_W("amoadd.w", 0x7fffffffu, 0xdead000000000001ul, 0x80000000u,
		    504);
	CHECK_AMO_W("amoadd.w", 0xffffffffu, 1, 0, 507);
	CHECK_AMO_W("amoxor.w", 0xf0f0f0f0u, 0xffff0000u, 0x0f0ff0f0u, 510);
	CHECK_AMO_W("amoand.w", 0xf0f0f0f0u, 0xffff0000u, 0xf0f00000u, 513);
	CHECK_AMO_W("amoor.w", 0xf0f0f0f0u, 0x0000ffffu, 0xf0f0ffffu, 516);
	CHECK_AMO_W("amomin.w", 0xffffffffu, 1, 0xffffffffu, 519);
	CHECK_AMO_W("amomin.w", 5, 0x80000000u, 0x80000000u, 522);
	CHECK_AMO_W("amomax.w", 0xffffffffu, 1, 1, 525);
	CHECK_AMO_W("amominu.w", 0xffffffffu, 1, 1, 528);
	CHECK_AMO_W("amomaxu.w", 0xffffffffu, 1, 0xffffffffu, 531);
	/* Signed .w compares the low words as 32-bit numbers: rs2 =
	 * 0x1_00000000 is 0 for amomax.w, less than 3. */
	CHECK_AMO_W("amomax.w", 3, 0x100000000ul, 3, 534);

	CHECK_AMO_D("amoswap.d", 0x8000000000000000ul, 7, 7, 540);
	CHECK_AMO_D("amoadd.d", 0xfffffffffffffffful, 2, 1, 542);
	CHECK_AMO_D("amoxor.d", 0xff00ff00ff00ff00ul, 0xfffffffffffffffful,
		    0x00ff00ff00ff00fful, 544);
	CHECK_AMO_D("amoand.d", 0xff00ff00ff00ff00ul, 0x0ff00ff00ff00ff0ul,
		    0x0f000f000f000f00ul, 546);
	CHECK_AMO_D("amoor.d", 0xff00ff00ff00ff00ul, 0x00000000000000fful,
		    0xff00ff00ff00fffful, 548);
	CHECK_AMO_D("amomin.d", 0xfffffffffffffffful, 1, 0xfffffffffffffffful,
		    550);
	CHECK_AMO_D("amomax.d", 0xfffffffffffffffful, 1, 1, 552);
	CHECK_AMO_D("amominu.d", 0xfffffffffffffffful, 1, 1, 554);
	CHECK_AMO_D("amomaxu.d", 0xfffffffffffffffful, 1, 0xfffffffffffffffful,
		    556);
	CHECK_AMO_D("amomin.d", 0x8000000000000000ul, 0x7ffffffffffffffful,
		    0x8000000000000000ul, 558);

	/* LR/SC on one hart: the pair succeeds (rd = 0) and stores. */
	dwords[0] = 40;
	__asm__ volatile("lr.d %0, (%2)\n\t"
			 "addi %0, %0, 2\n\t"
			 "sc.d %1, %0, (%2)"
			 : "=&r"(r), "=&r"(sc)
			 : "r"(&dwords[0])
			 : "memory");
	CHECK_EQ(sc, 0, 560);
	CHECK_EQ(dwords[0], 42, 561);
	/* A second SC has no reservation left: it fails, memory stays. */
	__asm__ volatile("sc.d %0, %1, (%2)"
			 : "=&r"(sc)
			 : "r"(99ul), "r"(&dwords[0])
			 : "memory");
	CHECK(sc != 0, 562);
	CHECK_EQ(dwords[0], 42, 563);
	/* lr.w sign-extends; sc.w stores the low word. */
	words[0] = 0x80000000u;
	words[1] = 0x55555555;
	__asm__ volatile("lr.w %0, (%2)\n\t"
			 "sc.w %1, %3, (%2)"
			 : "=&r"(r), "=&r"(sc)
			 : "r"(&words[0]), "r"(0xabcdef0012345678ul)
			 : "memory");
	CHECK_EQ(r, 0xffffffff80000000ul, 564);
	CHECK_EQ(sc, 0, 565);
	CHECK_EQ(words[0], 0x12345678, 566);
	CHECK_EQ(words[1], 0x55555555, 567);
	/* A trap between LR and SC drops the reservation (memvisor's rule,
	 * and what an OS relies on across context switches): the SC fails. */
	dwords[0] = 1;
	__asm__ volatile("lr.d %0, (%2)\n\t" ARM_TRAP "ebreak" TRAP_POINT
			 "sc.d %1, %0, (%2)"
			 : "=&r"(r), "=&r"(sc)
			 : "r"(&dwords[0])
			 : "t6", "memory");
	CHECK(sc != 0, 568);
	/* An SC to an address outside the reservation set fails, and does
	 * not store. */
	dwords[0] = 1;
	dwords[1] = 2;
	__asm__ volatile("lr.d %0, (%2)\n\t"
			 "sc.d %1, %0, (%3)"
			 : "=&r"(r), "=&r"(sc)
			 : "r"(&dwords[0]), "r"(&dwords[1])
			 : "memory");
	CHECK(sc != 0, 569);
	CHECK_EQ(dwords[1], 2, 578);

	/* Misaligned LR/SC/AMO: address-misaligned or access fault (A
	 * extension: "... will be generated"), never carried out. */
	trap_clear();
	__asm__ volatile(ARM_TRAP "lr.d %0, (%1)" TRAP_POINT
			 : "=r"(r)
			 : "r"((uint64_t)&dwords[0] + 4)
			 : "t6", "memory");
	CHECK(self()->last.cause == CAUSE_LOAD_MISALIGNED ||
		  self()->last.cause == CAUSE_LOAD_ACCESS,
	      570);
	CHECK_EQ(self()->last.tval, (uint64_t)&dwords[0] + 4, 571);
	trap_clear();
	dwords[0] = 5;
	dwords[1] = 6;
	__asm__ volatile(ARM_TRAP "amoadd.d %0, %2, (%1)" TRAP_POINT
			 : "=r"(r)
			 : "r"((uint64_t)&dwords[0] + 4), "r"(0x100000001ul)
			 : "t6", "memory");
	CHECK(self()->last.cause == CAUSE_STORE_MISALIGNED ||
		  self()->last.cause == CAUSE_STORE_ACCESS,
	      572);
	CHECK_EQ(self()->last.tval, (uint64_t)&dwords[0] + 4, 573);
	CHECK_EQ(dwords[0], 5, 574);
	CHECK_EQ(dwords[1], 6, 575);
	trap_clear();
	__asm__ volatile(ARM_TRAP "amoswap.w %0, %2, (%1)" TRAP_POINT
			 : "=r"(r)
			 : "r"((uint64_t)&words[0] + 2), "r"(0ul)
			 : "t6", "memory");
	CHECK(self()->last.cause == CAUSE_STORE_MISALIGNED ||
		  self()->last.cause == CAUSE_STORE_ACCESS,
	      576);
	trap_clear();
	__asm__ volatile(ARM_TRAP "sc.w %0, %2, (%1)" TRAP_POINT
			 : "=r"(r)
			 : "r"((uint64_t)&words[0] + 1), "r"(0ul)
			 : "t6", "memory");
	CHECK(self()->last.cause == CAUSE_STORE_MISALIGNED ||
		  self()->last.cause == CAUSE_STORE_ACCESS,
	      577);
}

/* Code written as data: li a0, n; ret (32-bit encodings). */
static uint32_t code_buf[2] __attribute__((aligned(4096)));

static uint64_t call_code_buf(void)
{
	uint64_t r;

	__asm__ volatile("jalr ra, 0(%1)\n\t"
			 "mv %0, a0"
			 : "=r"(r)
			 : "r"(code_buf)
			 : "ra", "a0", "memory");
	return r;
}

static void check_fence_i(void)
{
	/* Stores to instruction memory are seen by fetches after fence.i
	 * (Zifencei), even when the old code was already run. */
	code_buf[0] = 0x00100513; /* addi a0, x0, 1 */
	code_buf[1] = 0x00008067; /* jalr x0, 0(ra) */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_code_buf(), 1, 601);
	code_buf[0] = 0x00200513; /* addi a0, x0, 2 */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_code_buf(), 2, 602);
	code_buf[0] = 0x7ff00513; /* addi a0, x0, 2047 */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_code_buf(), 2047, 603);
}

/* Two pages of code written as data, to run instructions that straddle
 * the boundary between them. */
static uint8_t code_pages[2][4096] __attribute__((aligned(4096)));

static void put32(uint8_t *p, uint32_t insn)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(insn >> (8 * i));
}

static uint64_t call_with_a0(uint64_t target, uint64_t a0)
{
	register uint64_t r __asm__("a0") = a0;

	__asm__ volatile("jalr ra, 0(%1)"
			 : "+r"(r)
			 : "r"(target)
			 : "ra", "memory");
	return r;
}

static void check_crossing_fetch(void)
{
	uint8_t *edge = code_pages[1];

	/* A 32-bit instruction whose halves lie on two pages runs as one:
	 * addi a0, a0, 1 at page offset 0xffe, then ret. */
	put32(edge - 2, 0x00150513); /* addi a0, a0, 1 */
	put32(edge + 2, 0x00008067); /* ret */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_with_a0((uint64_t)(edge - 2), 41), 42, 701);

	/* A taken branch that straddles: beq a0, a0, +8 over an addi. */
	put32(edge - 2, 0x00a50463); /* beq a0, a0, .+8 */
	put32(edge + 2, 0x00150513); /* addi a0, a0, 1 (skipped) */
	put32(edge + 6, 0x00008067); /* ret */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_with_a0((uint64_t)(edge - 2), 7), 7, 702);

	/* A jal that straddles links to the instruction after it. */
	put32(edge - 2, 0x008005ef);  /* jal a1, .+8 */
	put32(edge + 2, 0x00000013);  /* nop (skipped) */
	put32(edge + 6, 0x40a58533);  /* sub a0, a1, a0 */
	put32(edge + 10, 0x00008067); /* ret */
	__asm__ volatile("fence.i" ::: "memory");
	CHECK_EQ(call_with_a0((uint64_t)(edge - 2), (uint64_t)(edge + 2)), 0,
		 703);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	check_aligned();
	check_misaligned();
	check_crossing();
	check_x0_load();
	check_amo();
	check_fence_i();
	check_crossing_fetch();
}
