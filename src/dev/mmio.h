/* SPDX-License-Identifier: MIT */
/*
 * The guest-physical address ranges of devices: a VM's MMIO bus.
 *
 * A device registers a range with an ops table; a hart's load or store
 * that the guest's tables and the G-stage take to an address outside RAM
 * comes here (cpu/mmu.c), one access at a time, never through the TLB.
 * Instruction fetches and atomics never reach a device: they raise the
 * access fault, as for any address that is not memory.
 *
 * Threading: regions are added before the VM runs and never removed while
 * it runs; the ops are called on the accessing hart's thread, several harts
 * at once, so a device serialises its own state.
 */
#ifndef MEMVISOR_DEV_MMIO_H
#define MEMVISOR_DEV_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#define MMIO_MAX_REGIONS 32

struct mmio_ops {
	/*
	 * Read size bytes (1, 2, 4 or 8) at offset off of the region into
	 * *val (zero-extended). Returns 0, or -EFAULT for an access the
	 * device refuses (the guest gets the access fault).
	 */
	int (*read)(void *dev, uint64_t off, unsigned size, uint64_t *val);
	/* Write the low size bytes of val at off; 0 or -EFAULT. */
	int (*write)(void *dev, uint64_t off, unsigned size, uint64_t val);
};

struct mmio_region {
	uint64_t base, size;
	const struct mmio_ops *ops;
	void *dev;
	const char *name; /* for messages */
};

struct mmio_bus {
	unsigned n;
	struct mmio_region region[MMIO_MAX_REGIONS];
};

/*
 * Add [base, base + size) to bus, served by ops on dev. Returns 0, -EINVAL
 * (empty or wrapping range, or overlapping another region) or -ENOSPC.
 */
int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *dev, const char *name);

/* The region holding gpa, or NULL. */
const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus,
					uint64_t gpa);

/*
 * Carry out a guest access of size bytes at gpa: a read into *val or a
 * write of *val. Returns 0, or -EFAULT when no region holds all of
 * [gpa, gpa + size) or the device refuses the access.
 */
int mmio_bus_access(const struct mmio_bus *bus, uint64_t gpa, unsigned size,
		    bool write, uint64_t *val);

#endif
