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

struct vm;

#define VM_MAX_DISKS 4 /* of the PLATFORM_VIRTIO_SLOTS */

/* One --disk PATH[,ro]. */
struct vm_disk_config {
	const char *path;
	bool ro;
};

/*
 * Open each of the n disks of cfg and give vm a virtio-blk device for it,
 * in the next free virtio slots (vm's platform must exist). Returns 0, or
 * a negative errno with a one-line reason in why (naming the image); what
 * was made is then released.
 */
int vm_disks_create(struct vm *vm, const struct vm_disk_config *cfg, unsigned n,
		    char *why, size_t whylen);

/* Release vm's disk devices (before its platform and memory go). */
void vm_disks_destroy(struct vm *vm);

/*
 * Cloning: hold src's devices still from before its memory is cloned
 * (vm_disks_freeze()) until after vm_disks_clone() copied their state into
 * clone (its platform made by platform_clone(), in the same slots), then
 * vm_disks_thaw(). vm_disks_clone() returns 0 or a negative errno (the
 * clone then has none).
 */
void vm_disks_freeze(struct vm *src);
int vm_disks_clone(struct vm *clone, struct vm *src);
void vm_disks_thaw(struct vm *src);

#endif
