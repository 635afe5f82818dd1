/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/uart: the divisor latch, LSR, IIR priorities, the RX
 * and THR-empty interrupts on the line, output reaching the console and
 * input taken from it, and accesses a guest should not make.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/uart.h"

/* An interrupt controller that remembers the line. */
struct fake_chip {
	struct irq_chip chip;
	unsigned line;
	bool level;
	unsigned calls;
};

static void fake_set_level(struct irq_chip *chip, unsigned line, bool level)
{
	struct fake_chip *f = (struct fake_chip *)chip;

	f->line = line;
	f->level = level;
	f->calls++;
}

struct fx {
	struct fake_chip chip;
	struct console *con;
	struct uart u;
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	fx.chip.chip.set_level = fake_set_level;
	assert_int_equal(console_create(0, &fx.con), 0);
	assert_int_equal(console_capture(fx.con, 4096), 0);
	uart_init(&fx.u, fx.con, &fx.chip.chip, 10);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	uart_destroy(&fx->u);
	console_destroy(fx->con);
	return 0;
}

static uint8_t rd(struct uart *u, unsigned reg)
{
	uint64_t v = 0xdead;

	assert_int_equal(uart_mmio_ops.read(u, reg, 1, &v), 0);
	assert_true(v <= 0xff);
	return (uint8_t)v;
}

static void wr(struct uart *u, unsigned reg, uint8_t v)
{
	assert_int_equal(uart_mmio_ops.write(u, reg, 1, v), 0);
}

static void test_divisor_latch(void **state)
{
	struct fx *fx = *state;
	struct uart *u = &fx->u;
	char out[16];

	wr(u, UART_IER, 0x05);
	wr(u, UART_LCR, UART_LCR_DLAB | 0x03);
	wr(u, UART_RBR, 0x34); /* DLL, not a byte sent */
	wr(u, UART_IER, 0x12); /* DLM */
	assert_int_equal(rd(u, UART_RBR), 0x34);
	assert_int_equal(rd(u, UART_IER), 0x12);
	assert_int_equal(rd(u, UART_LCR), UART_LCR_DLAB | 0x03);
	wr(u, UART_LCR, 0x03);
	/* The real IER and RBR again; the latch kept its value. */
	assert_int_equal(rd(u, UART_IER), 0x05);
	assert_int_equal(console_captured(fx->con, out, sizeof(out), NULL), 0);
	wr(u, UART_LCR, UART_LCR_DLAB | 0x03);
	assert_int_equal(rd(u, UART_RBR), 0x34);
	assert_int_equal(rd(u, UART_IER), 0x12);
}

static void test_output_and_lsr(void **state)
{
	struct fx *fx = *state;
	struct uart *u = &fx->u;
	char out[16] = "";

	assert_int_equal(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	for (const char *s = "hi\n"; *s; s++)
		wr(u, UART_RBR, (uint8_t)*s);
	assert_int_equal(console_captured(fx->con, out, sizeof(out), NULL), 3);
	assert_memory_equal(out, "hi\n", 3);
	assert_int_equal(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	/* Scratch register and MCR read back; LSR and MSR ignore writes. */
	wr(u, UART_SCR, 0xa5);
	assert_int_equal(rd(u, UART_SCR), 0xa5);
	wr(u, UART_MCR, 0x0b);
	assert_int_equal(rd(u, UART_MCR), 0x0b);
	wr(u, UART_LSR, 0);
	assert_int_equal(rd(u, UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
	assert_int_equal(rd(u, UART_MSR), 0xb0);
	/* Loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD. */
	wr(u, UART_MCR, UART_MCR_LOOP | 0x01);
	assert_int_equal(rd(u, UART_MSR), 0x20);
	wr(u, UART_MCR, UART_MCR_LOOP | 0x0e);
	assert_int_equal(rd(u, UART_MSR), 0xd0);
}

static void test_rx_interrupt(void **state)
{
	struct fx *fx = *state;
	struct uart *u = &fx->u;

	assert_int_equal(rd(u, UART_IIR), UART_IIR_NO_INT);
	wr(u, UART_IIR, UART_FCR_ENABLE); /* FCR */
	assert_int_equal(rd(u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	wr(u, UART_IER, UART_IER_RDI);
	assert_false(fx->chip.level);

	/* Input pushed to the console raises the line by itself. */
	assert_int_equal(console_push_input(fx->con, "ab", 2), 2);
	assert_true(fx->chip.level);
	assert_int_equal(fx->chip.line, 10);
	assert_int_equal(rd(u, UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_FIFO | UART_IIR_RDI);
	assert_int_equal(rd(u, UART_RBR), 'a');
	assert_true(fx->chip.level);
	assert_int_equal(rd(u, UART_RBR), 'b');
	assert_false(fx->chip.level);
	assert_int_equal(rd(u, UART_LSR) & UART_LSR_DR, 0);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_FIFO | UART_IIR_NO_INT);
	assert_int_equal(rd(u, UART_RBR), 0); /* empty */

	/* Input waiting while RX interrupts are off: none until enabled. */
	wr(u, UART_IER, 0);
	console_push_input(fx->con, "c", 1);
	assert_false(fx->chip.level);
	wr(u, UART_IER, UART_IER_RDI);
	assert_true(fx->chip.level);
	/* Taken behind the UART's back (the SBI console): uart_poll. */
	assert_int_equal(console_getc(fx->con), 'c');
	uart_poll(u);
	assert_false(fx->chip.level);
}

static void test_thre_interrupt(void **state)
{
	struct fx *fx = *state;
	struct uart *u = &fx->u;

	/* Enabling it with THR empty raises it; reading IIR clears it. */
	wr(u, UART_IER, UART_IER_THRI);
	assert_true(fx->chip.level);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_THRI);
	assert_false(fx->chip.level);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_NO_INT);
	/* Rewriting the same IER is no new edge. */
	wr(u, UART_IER, UART_IER_THRI);
	assert_false(fx->chip.level);
	/* Each byte sent empties THR again. */
	wr(u, UART_RBR, 'x');
	assert_true(fx->chip.level);
	/* Off, then on again: raised again. */
	wr(u, UART_IER, 0);
	assert_false(fx->chip.level);
	wr(u, UART_IER, UART_IER_THRI);
	assert_true(fx->chip.level);

	/* RX data outranks THR empty; THR empty is still there after. */
	wr(u, UART_IER, UART_IER_THRI | UART_IER_RDI);
	console_push_input(fx->con, "z", 1);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_RDI);
	assert_int_equal(rd(u, UART_RBR), 'z');
	assert_int_equal(rd(u, UART_IIR), UART_IIR_THRI);
	assert_int_equal(rd(u, UART_IIR), UART_IIR_NO_INT);
	assert_false(fx->chip.level);
}

static void test_bad_accesses(void **state)
{
	struct fx *fx = *state;
	struct uart *u = &fx->u;
	char out[8];
	uint64_t v;

	wr(u, UART_SCR, 0x42);
	for (unsigned size = 2; size <= 8; size *= 2) {
		v = 1;
		assert_int_equal(uart_mmio_ops.read(u, UART_SCR, size, &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(uart_mmio_ops.write(u, UART_RBR, size, 'q'),
				 0);
	}
	v = 1;
	assert_int_equal(uart_mmio_ops.read(u, 8, 1, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(uart_mmio_ops.write(u, 0xff, 1, 'q'), 0);
	assert_int_equal(rd(u, UART_SCR), 0x42);
	assert_int_equal(console_captured(fx->con, out, sizeof(out), NULL), 0);
}

static void test_copy_state(void **state)
{
	struct fx *fx = *state;
	struct fake_chip chip = {.chip.set_level = fake_set_level};
	struct console *con;
	struct uart c;
	char out[8];

	wr(&fx->u, UART_SCR, 0x77);
	wr(&fx->u, UART_IER, UART_IER_RDI);
	assert_int_equal(console_create(0, &con), 0);
	assert_int_equal(console_capture(con, 64), 0);
	uart_init(&c, con, &chip.chip, 10);
	uart_copy_state(&c, &fx->u);
	assert_int_equal(rd(&c, UART_SCR), 0x77);
	assert_int_equal(rd(&c, UART_IER), UART_IER_RDI);
	/* Its own console: input and output of the copy stay its own. */
	console_push_input(con, "k", 1);
	assert_true(chip.level);
	assert_false(fx->chip.level);
	wr(&c, UART_RBR, 'o');
	assert_int_equal(console_captured(con, out, sizeof(out), NULL), 1);
	assert_int_equal(console_captured(fx->con, out, sizeof(out), NULL), 0);
	uart_destroy(&c);
	console_destroy(con);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_divisor_latch, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_output_and_lsr, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rx_interrupt, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_thre_interrupt, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
