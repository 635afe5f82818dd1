/* SPDX-License-Identifier: MIT */
/*
 * A real-time clock in the layout of the Goldfish RTC (the one QEMU's
 * `virt` board has; Linux's rtc-goldfish driver, "google,goldfish-rtc",
 * is in the riscv defconfig): nanoseconds since 1970 in two 32-bit
 * registers, and one alarm with an interrupt. Without it a guest's clock
 * starts at 1970.
 *
 *   0x00 TIME_LOW         read: low 32 bits of the time now; latches the
 *                         high half for TIME_HIGH. write: with the
 *                         TIME_HIGH written before, sets the time
 *   0x04 TIME_HIGH        read: the latched high half; write: staged
 *   0x08 ALARM_LOW        write: with ALARM_HIGH, arms the alarm
 *   0x0c ALARM_HIGH       write: staged
 *   0x10 IRQ_ENABLED      write: bit 0 lets the alarm raise the line
 *   0x14 CLEAR_ALARM      write: disarms the alarm
 *   0x18 ALARM_STATUS     read: 1 while armed
 *   0x1c CLEAR_INTERRUPT  write: lowers the line
 *
 * The guest's time is the host's CLOCK_REALTIME plus an offset that only
 * the guest changes (by setting the time); a clone keeps its parent's, so
 * its clock goes on. An alarm fires from a thread of the device's own,
 * started by the first alarm armed (a VM that never sets one has none).
 * Accesses of 4 bytes at those offsets; others are refused.
 */
#ifndef MEMVISOR_DEV_RTC_H
#define MEMVISOR_DEV_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/mmio.h"

#define RTC_SIZE 0x20

struct rtc {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* the alarm changed, or stop */
	int64_t offset_ns;	/* guest time - host CLOCK_REALTIME */
	uint32_t time_high;	/* latched by a TIME_LOW read */
	uint32_t set_high;	/* staged by a TIME_HIGH write */
	uint32_t alarm_high;	/* staged by an ALARM_HIGH write */
	uint64_t alarm_ns;	/* guest time the alarm fires at */
	bool armed, irq_enabled, raised;
	struct irq_chip *chip;
	unsigned line;
	pthread_t thread;
	bool started, stop;
};

/* The register ops; register r (as dev) on the MMIO bus. */
extern const struct mmio_ops rtc_mmio_ops;

/* Set up r at the host's time, interrupting on line of chip (NULL: none).
 * Returns 0 or a negative errno. */
int rtc_init(struct rtc *r, struct irq_chip *chip, unsigned line);

/* Stop r's thread, if it has one, and release r. */
void rtc_destroy(struct rtc *r);

/* Give dst (just set up) src's time and alarm. Returns 0, or a negative
 * errno when the alarm's thread cannot start (dst then has no alarm). */
int rtc_copy_state(struct rtc *dst, struct rtc *src);

/* r's guest time now, in nanoseconds since 1970. */
uint64_t rtc_now_ns(struct rtc *r);

#endif
