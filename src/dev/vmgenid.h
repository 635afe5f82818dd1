/* SPDX-License-Identifier: MIT */
/*
 * The VM generation ID: 16 bytes of guest-physical memory-mapped registers
 * holding a random identifier that changes when the VM is cloned, and an
 * interrupt that says it changed. Linux's vmgenid driver (drivers/virt/
 * vmgenid.c) binds to it through the device tree's "microsoft,vmgenid"
 * node since 6.10 and then reseeds its random number generator from the new
 * identifier at once (add_vmfork_randomness()), so that a clone and its
 * parent never hand out the same random numbers. Linux 6.1 has only the
 * ACPI binding, which memvisor does not offer: its guests rely on
 * virtio-rng there.
 *
 * The line is raised when the identifier changes and lowered when the
 * guest next reads it (the driver's interrupt handler does): the driver
 * acknowledges nothing else, and the PLIC's lines are level-triggered.
 * Reads of 1, 2, 4 or 8 bytes anywhere inside the 16; writes are refused.
 */
#ifndef MEMVISOR_DEV_VMGENID_H
#define MEMVISOR_DEV_VMGENID_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/mmio.h"

#define VMGENID_SIZE 16

struct vmgenid {
	pthread_mutex_t lock;
	uint8_t id[VMGENID_SIZE];
	bool raised; /* the line is up: changed, not read since */
	uint64_t changes;
	struct irq_chip *chip;
	unsigned line;
};

/* The register ops; register g (as dev) on the MMIO bus. */
extern const struct mmio_ops vmgenid_mmio_ops;

/*
 * Set up g with a fresh random identifier (getrandom()), interrupting on
 * line of chip (NULL: none). Returns 0, or a negative errno from
 * getrandom().
 */
int vmgenid_init(struct vmgenid *g, struct irq_chip *chip, unsigned line);

/* Release g (its lock). */
void vmgenid_destroy(struct vmgenid *g);

/*
 * A new random identifier, and the interrupt: for the clone's copy of the
 * device. Returns 0 or getrandom()'s negative errno (g unchanged).
 */
int vmgenid_change(struct vmgenid *g);

/* g's identifier now, and how often it changed. */
void vmgenid_get(struct vmgenid *g, uint8_t id[VMGENID_SIZE],
		 uint64_t *changes);

#endif
