/* SPDX-License-Identifier: MIT */
/*
 * A VM's balloon: the virtio-balloon device (dev/virtio/balloon.h) when the
 * VM is made with --balloon. What the guest gives up (inflated pages, free
 * page reports) goes onto the zero frame and its frames back to the host
 * once no VCPU can reach them; the guest's next write to such a page gets
 * a fresh zeroed frame, so nothing it still holds is touched. A clone gets
 * its own balloon, in the same slot, at its parent's target.
 */
#ifndef MEMVISOR_VMM_BALLOONS_H
#define MEMVISOR_VMM_BALLOONS_H

#include <stdbool.h>
#include <stdint.h>

#include "dev/virtio/balloon.h"
#include "vmm/devices.h"

struct vm;

/* vm->balloon. */
struct vm_balloon {
	struct virtio_balloon *dev;
	unsigned slot;
};

/* The balloon's device kind (vmm/devices.h). */
extern const struct vm_device_kind vm_balloons_kind;

/*
 * Ask vm's guest to hold bytes of its memory in the balloon (rounded down
 * to 4 KiB pages; 0 deflates it all). Returns 0, -ENODEV (no balloon) or
 * -ERANGE (more than its RAM).
 */
int vm_balloon_set_target(struct vm *vm, uint64_t bytes);

/* vm's balloon statistics into *st; false: it has none. */
bool vm_balloon_get_stats(struct vm *vm, struct virtio_balloon_stats *st);

#endif
