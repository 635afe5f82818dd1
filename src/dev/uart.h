/* SPDX-License-Identifier: MIT */
/*
 * An NS16550A UART (compatible "ns16550a"): what Linux's 8250 driver,
 * its earlycon (earlycon=uart8250,mmio,BASE) and bare-metal programs use.
 * Eight byte-wide registers, reg-shift 0:
 *
 *   0 RBR (read) / THR (write); DLL when LCR.DLAB
 *   1 IER (RX data available, THR empty, line status, modem status); DLM
 *     when LCR.DLAB
 *   2 IIR (read) / FCR (write)
 *   3 LCR   4 MCR   5 LSR   6 MSR   7 SCR
 *
 * The transmitter is infinitely fast: a byte written to THR goes to the
 * console at once (console_putc), so LSR always says THRE and TEMT, and the
 * THR-empty interrupt is due again after each write. The receiver's FIFO is
 * the console's input queue (console_getc): LSR.DR says a byte waits; the
 * RX interrupt is raised whenever one does and IER asks for it (no trigger
 * levels or character timeout). FCR's FIFO enable shows in IIR's top bits;
 * its clear bits are ignored (input is never dropped). The divisor latch
 * and LCR are stored and read back, and change nothing (there is no line
 * rate). MCR is stored; its loopback bit only loops the modem lines into
 * MSR (data is not looped back). Without loopback MSR says CTS, DSR and
 * DCD. No error conditions, no modem status interrupt.
 *
 * Accesses other than 1 byte wide, and offsets past 7, read 0 and are
 * ignored.
 *
 * The interrupt is a level on chip's line: high while IIR has a cause.
 * Threading: one mutex per UART; any thread may access it. Lock order:
 * the UART's, then the console's or the chip's.
 */
#ifndef MEMVISOR_DEV_UART_H
#define MEMVISOR_DEV_UART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/console.h"
#include "dev/irq.h"
#include "dev/mmio.h"

/* Register offsets. */
#define UART_RBR 0 /* THR on writes, DLL with DLAB */
#define UART_IER 1 /* DLM with DLAB */
#define UART_IIR 2 /* FCR on writes */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI  0x01 /* RX data available */
#define UART_IER_THRI 0x02 /* THR empty */
#define UART_IER_RLSI 0x04 /* receiver line status */
#define UART_IER_MSI  0x08 /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0 /* FIFOs enabled */

#define UART_FCR_ENABLE 0x01
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10

#define UART_LSR_DR   0x01
#define UART_LSR_THRE 0x20
#define UART_LSR_TEMT 0x40

struct uart {
	pthread_mutex_t lock;
	struct console *console; /* output and input; not owned */
	struct irq_chip *chip;	 /* NULL: no interrupt */
	unsigned irq;
	/* Under lock. */
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo;	   /* FCR enable */
	bool thre_pending; /* the THR-empty interrupt, until IIR shows it */
};

/* The UART's registers: a struct mmio_ops over a struct uart. */
extern const struct mmio_ops uart_mmio_ops;

/*
 * Initialise u (caller-owned) in its reset state, talking to console, its
 * interrupt on line irq of chip (NULL: none). Registers u with the console
 * to hear of input (console_set_input_notify()): one UART per console.
 */
void uart_init(struct uart *u, struct console *console, struct irq_chip *chip,
	       unsigned irq);

/* Stop listening to the console and release what uart_init() set up. */
void uart_destroy(struct uart *u);

/* Make dst's registers a copy of src's (for a clone), and set its line. */
void uart_copy_state(struct uart *dst, struct uart *src);

/*
 * Bring the interrupt line up to date: input may have come or gone behind
 * the UART's back (the console's listener calls it; so may anyone).
 */
void uart_poll(struct uart *u);

#endif
