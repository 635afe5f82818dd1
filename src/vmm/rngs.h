/* SPDX-License-Identifier: MIT */
/*
 * A VM's entropy device: virtio-rng (dev/virtio/rng.h) when the VM is made
 * with --rng. A clone gets its own, in the same slot, serving its own
 * random bytes from then on; the platform's generation ID (dev/vmgenid.h)
 * tells a clone's kernel that it is one.
 */
#ifndef MEMVISOR_VMM_RNGS_H
#define MEMVISOR_VMM_RNGS_H

#include <stdbool.h>

#include "dev/virtio/rng.h"
#include "vmm/devices.h"

struct vm;

/* The entropy device's kind (vmm/devices.h). */
extern const struct vm_device_kind vm_rngs_kind;

/* vm's virtio-rng statistics into *st; false: it has none. */
bool vm_rng_get_stats(struct vm *vm, struct virtio_rng_stats *st);

#endif
