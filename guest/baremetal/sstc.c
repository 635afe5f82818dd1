/* SPDX-License-Identifier: MIT */
/*
 * Sstc: the stimecmp CSR (0x14d) and the timer interrupt it raises without
 * the SBI; and the device tree's account of the ISA ("riscv,isa",
 * "riscv,isa-extensions" of the first cpu node), which must list exactly
 * what memvisor implements.
 *
 * Written from the RISC-V privileged specification, "Sstc" (stimecmp:
 * STIP reads 1 while time >= stimecmp; S-mode only), the SBI
 * specification's TIME extension, the devicetree specification (the
 * flattened format: header, structure block, strings block) and the Linux
 * riscv,isa bindings.
 *
 * With --cpu-disable sstc, stimecmp is not there (illegal instruction) and
 * the device tree does not name it. The test finds which from stimecmp
 * and prints "sstc: stimecmp present" or "sstc: stimecmp absent"; the
 * runner checks it is the one it asked for.
 *
 * Check codes: 1xx device tree, 2xx stimecmp access, 3xx STIP and the
 * timer interrupt, 4xx without Sstc.
 */
#include "fdt.h"
#include "lib.h"

TEST_NAME("sstc");

/*
 * What memvisor's harts implement today (src/cpu/isa.h, ISA_IMPLEMENTED),
 * in the device tree's order: the single letters, then the others. The one
 * place to update when an extension (F, D, bitmanip) lands.
 */
static const char *const isa_expected[] = {
    "i",	"m",	     "a",	    "f",      "d",	"c",
    "zicbom",	"zicbop",    "zicboz",	    "zicntr", "zicond", "zicsr",
    "zifencei", "zihintntl", "zihintpause", "zihpm",  "zba",	"zbb",
    "zbc",	"zbs",	     "sstc",	    "svpbmt",
};
#define ISA_COUNT (sizeof(isa_expected) / sizeof(isa_expected[0]))

#define CSR_STIMECMP 0x14d

/* ---- 1xx: the device tree ---- */

struct cpu_node {
	const char *isa; /* riscv,isa */
	const char *ext; /* riscv,isa-extensions: NUL-separated names */
	uint32_t ext_len;
};

struct cpu_find {
	struct cpu_node *cpu;
	bool found;
};

/* fdt_walk(): the properties of the first node named cpu@... */
static bool cpu_prop(void *arg, int depth, const char *node, const char *prop,
		     const uint8_t *val, uint32_t len)
{
	struct cpu_find *f = arg;

	(void)depth;
	if (fdt_strlen(node) <= 4 || memcmp(node, "cpu@", 4))
		return true;
	if (!prop) {
		f->found = true;
		return false;
	}
	if (fdt_streq(prop, "riscv,isa"))
		f->cpu->isa = (const char *)val;
	if (fdt_streq(prop, "riscv,isa-extensions")) {
		f->cpu->ext = (const char *)val;
		f->cpu->ext_len = len;
	}
	return true;
}

/* The first node named cpu@... and its two properties; false if none. */
static bool fdt_first_cpu(unsigned long dtb, struct cpu_node *cpu)
{
	struct cpu_find f = {.cpu = cpu};

	CHECK_EQ(fdt_be32((const void *)dtb), FDT_MAGIC, 101);
	cpu->isa = cpu->ext = NULL;
	cpu->ext_len = 0;
	CHECK(fdt_walk(dtb, cpu_prop, &f) == 0, 102);
	return f.found;
}

static void check_devtree(unsigned long dtb, bool sstc)
{
	char isa[256], ext[256];
	size_t ilen = 4, elen = 0;
	struct cpu_node cpu;

	/* The strings the device tree must hold, from isa_expected. */
	memcpy(isa, "rv64", 4);
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ISA_COUNT; i++) {
			const char *e = isa_expected[i];
			size_t n = fdt_strlen(e);

			if ((n == 1) != (pass == 0) ||
			    (!sstc && fdt_streq(e, "sstc")))
				continue;
			if (pass == 1)
				isa[ilen++] = '_';
			memcpy(isa + ilen, e, n);
			ilen += n;
			memcpy(ext + elen, e, n + 1);
			elen += n + 1;
		}
	}
	isa[ilen] = '\0';

	CHECK(fdt_first_cpu(dtb, &cpu), 103);
	CHECK(cpu.isa != NULL, 104);
	CHECK(cpu.ext != NULL, 105);
	if (!fdt_streq(cpu.isa, isa)) {
		fail_begin(106);
		puts("riscv,isa is \"");
		puts(cpu.isa);
		puts("\", expected \"");
		puts(isa);
		puts("\"");
		expect_end();
	}
	if (cpu.ext_len != elen || memcmp(cpu.ext, ext, elen)) {
		fail_begin(107);
		puts("riscv,isa-extensions is");
		for (const char *e = cpu.ext; e < cpu.ext + cpu.ext_len;
		     e += fdt_strlen(e) + 1) {
			puts(" ");
			puts(e);
		}
		puts(", expected");
		for (const char *e = ext; e < ext + elen;
		     e += fdt_strlen(e) + 1) {
			puts(" ");
			puts(e);
		}
		expect_end();
	}
	/* And, said once more without the list: sstc is named or not. */
	{
		bool named = false;

		for (const char *s = cpu.isa; *s; s++)
			if (!memcmp(s, "_sstc", 5) && (s[5] == '_' || !s[5]))
				named = true;
		EXPECT_EQ(named, sstc, 108);
		named = false;
		for (const char *e = cpu.ext; e < cpu.ext + cpu.ext_len;
		     e += fdt_strlen(e) + 1)
			if (fdt_streq(e, "sstc"))
				named = true;
		EXPECT_EQ(named, sstc, 109);
	}
}

/* ---- 2xx: access to stimecmp ---- */

/* Read stimecmp; true when that trapped (self()->last says how). */
static bool probe_stimecmp_read(uint64_t *v)
{
	uint64_t r = 0, n = self()->nexc;

	__asm__ volatile(ARM_TRAP "csrr %0, " STR(CSR_STIMECMP) TRAP_POINT
			 : "+r"(r)
			 :
			 : "t6", "memory");
	*v = r;
	return self()->nexc != n;
}

static bool probe_stimecmp_write(uint64_t v)
{
	uint64_t n = self()->nexc;

	__asm__ volatile(ARM_TRAP "csrw " STR(CSR_STIMECMP) ", %0" TRAP_POINT
			 :
			 : "r"(v)
			 : "t6", "memory");
	return self()->nexc != n;
}

static void stimecmp_write(uint64_t v)
{
	__asm__ volatile("csrw " STR(CSR_STIMECMP) ", %0"
			 :
			 : "r"(v)
			 : "memory");
}

static uint64_t stimecmp_read(void)
{
	uint64_t v;

	__asm__ volatile("csrr %0, " STR(CSR_STIMECMP) : "=r"(v) : : "memory");
	return v;
}

/* U-mode snippets (run in bare mode): a0 in, a0 out, then ecall. */
__asm__(".pushsection .usertext, \"ax\"\n"
	".option push\n"
	".option norvc\n"
	"u_rd_stimecmp:	csrr a0, " STR(
	    CSR_STIMECMP) "\n"
			  "		ecall\n"
			  "u_wr_stimecmp:	csrw " STR(
			      CSR_STIMECMP) ", a0\n"
					    "		ecall\n"
					    ".option pop\n"
					    ".popsection\n");
extern char u_rd_stimecmp[], u_wr_stimecmp[];

#define INSN_CSRR_A0_STIMECMP 0x14d02573u /* csrrs a0, stimecmp, zero */
#define INSN_CSRW_STIMECMP_A0 0x14d51073u /* csrrw zero, stimecmp, a0 */

static void check_access(void)
{
	uint64_t cause, v;

	/* S-mode reads back what it writes, all 64 bits. */
	stimecmp_write(0x123456789abcdeful);
	CHECK_EQ(stimecmp_read(), 0x123456789abcdeful, 201);
	stimecmp_write(~0ul);
	CHECK_EQ(stimecmp_read(), ~0ul, 202);

	/* U-mode may neither read nor write it (an S-level CSR). */
	cause = user_run((uint64_t)u_rd_stimecmp, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 203);
	CHECK_EQ(self()->last.tval, INSN_CSRR_A0_STIMECMP, 204);
	CHECK_EQ(self()->last.epc, (uint64_t)u_rd_stimecmp, 205);
	cause = user_run((uint64_t)u_wr_stimecmp, 0, user_stack_top());
	CHECK_EQ(cause, CAUSE_ILLEGAL, 206);
	CHECK_EQ(self()->last.tval, INSN_CSRW_STIMECMP_A0, 207);
	/* ... and the write from U-mode did not happen. */
	CHECK(!probe_stimecmp_read(&v), 208);
	CHECK_EQ(v, ~0ul, 209);
}

/* ---- 3xx: STIP and the interrupt ---- */

#define WAIT_TICKS (TIMEBASE_HZ / 2) /* give up waiting after 0.5 s */

static void check_interrupt(void)
{
	struct hart_local *hl = self();
	uint64_t n, deadline, limit;

	/* Not taken: sie = 0, SIE off. */
	csr_clear(sstatus, SSTATUS_SIE);
	csr_write(sie, 0);
	sbi_set_timer(~0ul);

	/* A deadline in the past raises STIP at once ... */
	stimecmp_write(0);
	CHECK(csr_read(sip) & SIP_STIP, 301);
	/* ... one far in the future clears it. */
	stimecmp_write(~0ul);
	CHECK(!(csr_read(sip) & SIP_STIP), 302);
	/* A near deadline: STIP clear until time gets there, then set. */
	deadline = rdtime() + TIMEBASE_HZ / 100;
	stimecmp_write(deadline);
	CHECK(!(csr_read(sip) & SIP_STIP), 303);
	limit = deadline + WAIT_TICKS;
	while (!(csr_read(sip) & SIP_STIP) && rdtime() < limit)
		;
	CHECK(csr_read(sip) & SIP_STIP, 304);
	CHECK(rdtime() >= deadline, 305);
	/* S-mode cannot clear STIP through sip: it is stimecmp's. */
	csr_clear(sip, SIP_STIP);
	CHECK(csr_read(sip) & SIP_STIP, 306);
	stimecmp_write(~0ul);
	CHECK(!(csr_read(sip) & SIP_STIP), 307);

	/* With sie.STIE and sstatus.SIE: a past deadline is taken as the
	 * supervisor timer interrupt, no SBI call made to ask for it. */
	csr_write(sie, SIP_STIP);
	n = hl->nirq;
	csr_set(sstatus, SSTATUS_SIE);
	stimecmp_write(0);
	__asm__ volatile("nop; nop; nop; nop" ::: "memory");
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK_EQ(hl->nirq, n + 1, 310);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_STI, 311);
	/* The handler acknowledged it with SBI set_timer(~0): one deadline
	 * for both, so stimecmp reads ~0 and STIP is clear. */
	CHECK_EQ(stimecmp_read(), ~0ul, 312);
	CHECK(!(csr_read(sip) & SIP_STIP), 313);

	/* A future deadline ends a wfi when time reaches it. */
	n = hl->nirq;
	deadline = rdtime() + TIMEBASE_HZ / 200;
	limit = deadline + WAIT_TICKS;
	stimecmp_write(deadline);
	csr_set(sstatus, SSTATUS_SIE);
	while (hl->nirq == n && rdtime() < limit)
		__asm__ volatile("wfi" ::: "memory");
	csr_clear(sstatus, SSTATUS_SIE);
	CHECK_EQ(hl->nirq, n + 1, 314);
	CHECK_EQ(hl->irq[n].cause, CAUSE_INTR | IRQ_STI, 315);
	CHECK(rdtime() >= deadline, 316);

	/* SBI set_timer writes the deadline stimecmp reads, and back. */
	sbi_set_timer(0x4000000000000000ul);
	CHECK_EQ(stimecmp_read(), 0x4000000000000000ul, 320);
	CHECK(!(csr_read(sip) & SIP_STIP), 321);
	stimecmp_write(0);
	CHECK(csr_read(sip) & SIP_STIP, 322);
	sbi_set_timer(~0ul);
	CHECK(!(csr_read(sip) & SIP_STIP), 323);
	CHECK_EQ(stimecmp_read(), ~0ul, 324);
	csr_write(sie, 0);
}

/* ---- 4xx: without Sstc ---- */

static void check_absent(void)
{
	uint64_t v;

	/* Reads and writes are illegal instructions, stval the encoding
	 * (csrrs rd, stimecmp, zero; rd is the compiler's choice). */
	trap_clear();
	CHECK(probe_stimecmp_read(&v), 401);
	CHECK_EQ(self()->last.cause, CAUSE_ILLEGAL, 402);
	CHECK_EQ(self()->last.tval & ~(0x1ful << 7), 0x14d02073u, 403);
	trap_clear();
	CHECK(probe_stimecmp_write(0), 404);
	CHECK_EQ(self()->last.cause, CAUSE_ILLEGAL, 405);
	/* The SBI timer still works, and is all there is. */
	csr_write(sie, 0);
	sbi_set_timer(0);
	CHECK(csr_read(sip) & SIP_STIP, 406);
	sbi_set_timer(~0ul);
	CHECK(!(csr_read(sip) & SIP_STIP), 407);
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	uint64_t v;
	bool sstc;

	(void)hartid;
	sstc = !probe_stimecmp_read(&v);
	puts(sstc ? "sstc: stimecmp present\n" : "sstc: stimecmp absent\n");
	check_devtree(dtb, sstc);
	if (sstc) {
		check_access();
		check_interrupt();
	} else {
		check_absent();
	}
}
