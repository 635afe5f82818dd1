/* SPDX-License-Identifier: MIT */
/*
 * The platform from the guest's side: the NS16550A UART at 0x10000000 and
 * the PLIC at 0x0c000000 (source 10: the UART), programmed as Linux's
 * 8250 and PLIC drivers program them.
 *
 * Written from the 16550 datasheet (RBR/THR, IER, IIR, LCR with the
 * divisor latch, LSR, SCR) and the RISC-V PLIC specification (priorities,
 * pending bits, per-context enables, threshold, claim/complete), with the
 * S-mode external interrupt (scause 0x8000000000000009) of the privileged
 * specification.
 *
 * The runner feeds one byte, "R", to memvisor's input a moment after the
 * guest starts: the guest waits for it in wfi with the RX interrupt on (and
 * a timer 8 s away), so input arriving while the hart is idle must wake it
 * (check 402: it came well before the timer).
 *
 * Check codes: 1xx UART registers and output, 2xx THR-empty interrupt
 * through the PLIC, 3xx level re-trigger and threshold/priority masking,
 * 4xx RX interrupt from console input.
 */
#include "lib.h"

TEST_NAME("plic_uart");

#define UART 0x10000000ul
#define PLIC 0x0c000000ul
#define IRQ  10

#define RBR 0
#define IER 1
#define IIR 2
#define LCR 3
#define LSR 5
#define SCR 7

#define PLIC_PRIORITY(s)  (PLIC + 4 * (s))
#define PLIC_PENDING	  (PLIC + 0x1000)
#define PLIC_ENABLE(c)	  (PLIC + 0x2000 + 0x80 * (c))
#define PLIC_THRESHOLD(c) (PLIC + 0x200000 + 0x1000 * (c))
#define PLIC_CLAIM(c)	  (PLIC_THRESHOLD(c) + 4)

static uint8_t uart_rd(unsigned reg)
{
	return *(volatile uint8_t *)(UART + reg);
}

static void uart_wr(unsigned reg, uint8_t v)
{
	*(volatile uint8_t *)(UART + reg) = v;
}

static uint32_t mmio_rd32(uint64_t a)
{
	return *(volatile uint32_t *)a;
}

static void mmio_wr32(uint64_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static void uart_puts(const char *s)
{
	for (; *s; s++) {
		while (!(uart_rd(LSR) & 0x20))
			;
		uart_wr(RBR, (uint8_t)*s);
	}
}

static bool seip(void)
{
	return csr_read(sip) & SIP_SEIP;
}

/* Let pending interrupts in for a moment; returns how many came. */
static uint64_t take_interrupts(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq;

	csr_set(sie, SIP_SEIP);
	csr_set(sstatus, SSTATUS_SIE);
	__asm__ volatile("nop; nop; nop; nop" ::: "memory");
	csr_clear(sstatus, SSTATUS_SIE);
	return hl->nirq - n;
}

static void test_uart_registers(void)
{
	/* The divisor latch: DLL/DLM behind RBR/IER while LCR.DLAB. */
	uart_wr(LCR, 0x83);
	uart_wr(RBR, 0x01);
	uart_wr(IER, 0x00);
	CHECK_EQ(uart_rd(RBR), 0x01, 101);
	CHECK_EQ(uart_rd(IER), 0x00, 102);
	uart_wr(LCR, 0x03);
	CHECK_EQ(uart_rd(LCR), 0x03, 103);
	CHECK_EQ(uart_rd(IER), 0, 104);
	CHECK_EQ(uart_rd(LSR) & 0x61, 0x60, 105); /* THRE, TEMT, no DR */
	uart_wr(SCR, 0x5a);
	CHECK_EQ(uart_rd(SCR), 0x5a, 106);
	uart_wr(IIR, 0x07); /* FCR: FIFOs on, cleared */
	CHECK_EQ(uart_rd(IIR), 0xc1, 107);
	uart_puts("plic_uart: hello through the UART\n");
}

static void test_thre_interrupt(void)
{
	struct hart_local *hl = self();
	uint64_t n;

	mmio_wr32(PLIC_PRIORITY(IRQ), 1);
	CHECK_EQ(mmio_rd32(PLIC_PRIORITY(IRQ)), 1, 201);
	mmio_wr32(PLIC_ENABLE(0), 1u << IRQ);
	CHECK_EQ(mmio_rd32(PLIC_ENABLE(0)), 1u << IRQ, 202);
	mmio_wr32(PLIC_THRESHOLD(0), 0);
	CHECK(!seip(), 203);
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), 0, 204);

	/* THR empty with its interrupt enabled: UART line, PLIC pending,
	 * the hart's SEIP, an external interrupt. */
	uart_wr(IER, 0x02);
	CHECK_EQ(mmio_rd32(PLIC_PENDING) & (1u << IRQ), 1u << IRQ, 205);
	CHECK(seip(), 206);
	n = hl->nirq;
	CHECK_EQ(take_interrupts(), 1, 207);
	CHECK_EQ(hl->irq[n].cause, 0x8000000000000009ul, 208);
	/* Claim, and the pending bit and SEIP go. */
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), IRQ, 209);
	CHECK_EQ(mmio_rd32(PLIC_PENDING), 0, 210);
	CHECK(!seip(), 211);
	/* The driver's side: IIR says THR empty, and reading it clears it. */
	CHECK_EQ(uart_rd(IIR), 0xc2, 212);
	CHECK_EQ(uart_rd(IIR), 0xc1, 213);
	mmio_wr32(PLIC_CLAIM(0), IRQ);
	CHECK_EQ(mmio_rd32(PLIC_PENDING), 0, 214);
	CHECK(!seip(), 215);
	CHECK_EQ(take_interrupts(), 0, 216);
}

static void test_retrigger_and_masking(void)
{
	/* Raise the UART's line again: THR-empty off and on. */
	uart_wr(IER, 0x00);
	uart_wr(IER, 0x02);
	CHECK(seip(), 301);
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), IRQ, 302);
	CHECK(!seip(), 303);
	/* Completed with the line still high: pending again at once. */
	mmio_wr32(PLIC_CLAIM(0), IRQ);
	CHECK(seip(), 304);
	CHECK_EQ(mmio_rd32(PLIC_PENDING) & (1u << IRQ), 1u << IRQ, 305);

	/* A threshold at the source's priority masks it; pending stays. */
	mmio_wr32(PLIC_THRESHOLD(0), 1);
	CHECK(!seip(), 306);
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), 0, 307);
	CHECK_EQ(take_interrupts(), 0, 308);
	CHECK_EQ(mmio_rd32(PLIC_PENDING) & (1u << IRQ), 1u << IRQ, 309);
	mmio_wr32(PLIC_THRESHOLD(0), 0);
	CHECK(seip(), 310);
	/* Priority 0: never. */
	mmio_wr32(PLIC_PRIORITY(IRQ), 0);
	CHECK(!seip(), 311);
	mmio_wr32(PLIC_PRIORITY(IRQ), 1);
	CHECK(seip(), 312);
	/* Not enabled for this context: none. */
	mmio_wr32(PLIC_ENABLE(0), 0);
	CHECK(!seip(), 313);
	mmio_wr32(PLIC_ENABLE(0), 1u << IRQ);
	CHECK(seip(), 314);

	/* Served: the UART's cause read away, then complete. */
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), IRQ, 315);
	CHECK_EQ(uart_rd(IIR), 0xc2, 316);
	mmio_wr32(PLIC_CLAIM(0), IRQ);
	CHECK(!seip(), 317);
	uart_wr(IER, 0x00);
	CHECK_EQ(mmio_rd32(PLIC_PENDING), 0, 318);
}

static void test_rx_interrupt(void)
{
	struct hart_local *hl = self();
	uint64_t n = hl->nirq, start = rdtime();
	uint64_t limit = start + 8 * TIMEBASE_HZ, took;

	/* RX data available on; wait in wfi for the runner's byte. The
	 * timer bounds the wait at 8 s: only the input can end it sooner. */
	uart_wr(IER, 0x01);
	sbi_set_timer(limit);
	csr_set(sie, SIP_SEIP | SIP_STIP);
	csr_set(sstatus, SSTATUS_SIE);
	while (hl->nirq == n)
		__asm__ volatile("wfi" ::: "memory");
	csr_clear(sstatus, SSTATUS_SIE);
	csr_clear(sie, SIP_STIP);
	sbi_set_timer(~0ul);
	took = rdtime() - start;
	CHECK_EQ(hl->irq[n].cause, 0x8000000000000009ul, 401);
	CHECK(took < 5 * TIMEBASE_HZ, 402);
	CHECK_EQ(mmio_rd32(PLIC_CLAIM(0)), IRQ, 403);
	CHECK_EQ(uart_rd(IIR), 0xc4, 404);
	CHECK_EQ(uart_rd(LSR) & 0x01, 0x01, 405);
	CHECK_EQ(uart_rd(RBR), 'R', 406);
	CHECK_EQ(uart_rd(LSR) & 0x01, 0x00, 407);
	CHECK_EQ(uart_rd(IIR), 0xc1, 408);
	mmio_wr32(PLIC_CLAIM(0), IRQ);
	CHECK(!seip(), 409);
	uart_wr(IER, 0x00);
	uart_puts("plic_uart: RX interrupt took 'R'\n");
}

void test_main(unsigned long hartid, unsigned long dtb)
{
	(void)hartid;
	(void)dtb;
	test_uart_registers();
	test_thre_interrupt();
	test_retrigger_and_masking();
	test_rx_interrupt();
}
