/* SPDX-License-Identifier: MIT */
#include "dev/mmio.h"

#include <errno.h>
#include <stddef.h>

int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *dev, const char *name)
{
	if (!size || base + size < base || !ops)
		return -EINVAL;
	for (unsigned i = 0; i < bus->n; i++) {
		const struct mmio_region *r = &bus->region[i];

		if (base < r->base + r->size && r->base < base + size)
			return -EINVAL;
	}
	if (bus->n == MMIO_MAX_REGIONS)
		return -ENOSPC;
	bus->region[bus->n++] = (struct mmio_region){
	    .base = base, .size = size, .ops = ops, .dev = dev, .name = name};
	return 0;
}

const struct mmio_region *mmio_bus_find(const struct mmio_bus *bus,
					uint64_t gpa)
{
	for (unsigned i = 0; bus && i < bus->n; i++) {
		const struct mmio_region *r = &bus->region[i];

		if (gpa - r->base < r->size)
			return r;
	}
	return NULL;
}

int mmio_bus_access(const struct mmio_bus *bus, uint64_t gpa, unsigned size,
		    bool write, uint64_t *val)
{
	const struct mmio_region *r = mmio_bus_find(bus, gpa);
	uint64_t off;

	if (!r)
		return -EFAULT;
	off = gpa - r->base;
	if (size > r->size - off)
		return -EFAULT;
	if (write)
		return r->ops->write ? r->ops->write(r->dev, off, size, *val)
				     : -EFAULT;
	return r->ops->read ? r->ops->read(r->dev, off, size, val) : -EFAULT;
}
