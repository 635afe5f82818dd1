/* SPDX-License-Identifier: MIT */
/*
 * Interrupt lines as a device sees them: an interrupt controller (the
 * PLIC, dev/plic.h) embeds a struct irq_chip, and a device holds the chip
 * and its line number. Level-triggered: a device raises its line while it
 * has something to say (virtio: an unacknowledged interrupt status).
 */
#ifndef MEMVISOR_DEV_IRQ_H
#define MEMVISOR_DEV_IRQ_H

#include <stdbool.h>

struct irq_chip {
	/* Set line's level. Any thread; the chip serialises. */
	void (*set_level)(struct irq_chip *chip, unsigned line, bool level);
};

/* Set line of chip to level; a device without a chip (tests) has none. */
static inline void irq_set(struct irq_chip *chip, unsigned line, bool level)
{
	if (chip)
		chip->set_level(chip, line, level);
}

#endif
