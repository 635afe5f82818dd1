/* SPDX-License-Identifier: MIT */
/*
 * A VM's disks: the virtio-blk devices made from --disk, placed in the
 * platform's virtio slots (vmm/platform.h), and cloned with the VM as
 * copy-on-write overlays (dev/virtio/disk.h).
 */
#ifndef MEMVISOR_VMM_DISKS_H
#define MEMVISOR_VMM_DISKS_H

#include <stdbool.h>
#include <stddef.h>

#include "dev/virtio/blk.h"
#include "vmm/devices.h"

#define VM_MAX_DISKS 4 /* of the PLATFORM_VIRTIO_SLOTS */

/* One --disk PATH[,ro]. */
struct vm_disk_config {
	const char *path;
	bool ro;
};

/*
 * The disks' device kind (vmm/devices.h): a virtio-blk device for each of
 * the config's disks, in the next free virtio slots; a clone's disk is a
 * copy-on-write overlay of its parent's (O(1)), in the same slot.
 */
extern const struct vm_device_kind vm_disks_kind;

#endif
