/* SPDX-License-Identifier: MIT */
#include "dev/uart.h"

#include <string.h>

/* Lock held. IIR's interrupt identification, highest priority first. */
static uint8_t uart_iir(struct uart *u)
{
	uint8_t fifo = u->fifo ? UART_IIR_FIFO : 0;

	if ((u->ier & UART_IER_RDI) && console_input_pending(u->console))
		return fifo | UART_IIR_RDI;
	if ((u->ier & UART_IER_THRI) && u->thre_pending)
		return fifo | UART_IIR_THRI;
	return fifo | UART_IIR_NO_INT;
}

/* Lock held. Drive the line from what IIR would say. */
static void uart_update(struct uart *u)
{
	irq_set(u->chip, u->irq, !(uart_iir(u) & UART_IIR_NO_INT));
}

static uint8_t uart_msr(const struct uart *u)
{
	uint8_t m = u->mcr;

	if (!(m & UART_MCR_LOOP))
		return 0xb0; /* DCD, DSR, CTS */
	/* Loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD. */
	return (uint8_t)(((m & 0x01) << 5) | ((m & 0x02) << 3) |
			 ((m & 0x04) << 4) | ((m & 0x08) << 4));
}

static uint8_t uart_read_reg(struct uart *u, unsigned reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t iir;
	int c;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			return u->dll;
		c = console_getc(u->console);
		return c < 0 ? 0 : (uint8_t)c;
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		iir = uart_iir(u);
		/* Reading IIR when it shows THR empty clears that cause. */
		if ((iir & 0x0f) == UART_IIR_THRI)
			u->thre_pending = false;
		return iir;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (console_input_pending(u->console) ? UART_LSR_DR : 0);
	case UART_MSR:
		return uart_msr(u);
	default: /* UART_SCR */
		return u->scr;
	}
}

static void uart_write_reg(struct uart *u, unsigned reg, uint8_t val)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t old;

	switch (reg) {
	case UART_RBR:
		if (dlab) {
			u->dll = val;
			break;
		}
		console_putc(u->console, val);
		/* Sent at once: THR is empty again. */
		u->thre_pending = true;
		break;
	case UART_IER:
		if (dlab) {
			u->dlm = val;
			break;
		}
		old = u->ier;
		u->ier = val & 0x0f;
		/* Enabling the THR-empty interrupt with THR empty raises it
		 * (what the 8250 driver's THRE test expects). */
		if ((u->ier & ~old) & UART_IER_THRI)
			u->thre_pending = true;
		break;
	case UART_IIR: /* FCR */
		u->fifo = val & UART_FCR_ENABLE;
		break;
	case UART_LCR:
		u->lcr = val;
		break;
	case UART_MCR:
		u->mcr = val & 0x1f;
		break;
	case UART_SCR:
		u->scr = val;
		break;
	default: /* LSR and MSR are read-only */
		break;
	}
}

static int uart_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct uart *u = dev;

	*val = 0;
	if (size != 1 || off > UART_SCR)
		return 0;
	pthread_mutex_lock(&u->lock);
	*val = uart_read_reg(u, (unsigned)off);
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

static int uart_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct uart *u = dev;

	if (size != 1 || off > UART_SCR)
		return 0;
	pthread_mutex_lock(&u->lock);
	uart_write_reg(u, (unsigned)off, (uint8_t)val);
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
	return 0;
}

const struct mmio_ops uart_mmio_ops = {
    .read = uart_mmio_read,
    .write = uart_mmio_write,
};

static void uart_input(void *arg)
{
	uart_poll(arg);
}

void uart_init(struct uart *u, struct console *console, struct irq_chip *chip,
	       unsigned irq)
{
	memset(u, 0, sizeof(*u));
	pthread_mutex_init(&u->lock, NULL);
	u->console = console;
	u->chip = chip;
	u->irq = irq;
	u->lcr = 0x03; /* 8N1 */
	console_set_input_notify(console, uart_input, u);
}

void uart_destroy(struct uart *u)
{
	console_set_input_notify(u->console, NULL, NULL);
	pthread_mutex_destroy(&u->lock);
}

void uart_copy_state(struct uart *dst, struct uart *src)
{
	pthread_mutex_lock(&src->lock);
	pthread_mutex_lock(&dst->lock);
	dst->ier = src->ier;
	dst->lcr = src->lcr;
	dst->mcr = src->mcr;
	dst->scr = src->scr;
	dst->dll = src->dll;
	dst->dlm = src->dlm;
	dst->fifo = src->fifo;
	dst->thre_pending = src->thre_pending;
	uart_update(dst);
	pthread_mutex_unlock(&dst->lock);
	pthread_mutex_unlock(&src->lock);
}

void uart_poll(struct uart *u)
{
	pthread_mutex_lock(&u->lock);
	uart_update(u);
	pthread_mutex_unlock(&u->lock);
}
