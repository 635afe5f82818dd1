/* SPDX-License-Identifier: MIT */
/*
 * A VM's devices beyond the platform (vmm/platform.h): each kind (its
 * disks, its network, ...) made from the VM's configuration, held still
 * and copied when the VM is cloned, and released with the VM. vm.c and
 * clone.c know the kinds only through this list.
 */
#ifndef MEMVISOR_VMM_DEVICES_H
#define MEMVISOR_VMM_DEVICES_H

#include <stddef.h>

struct vm;
struct vm_config;

struct vm_device_kind {
	const char *name;
	/* Give vm its devices of this kind from cfg, in the platform's next
	 * virtio slots (the device tree is built after). 0, or a negative
	 * errno with a one-line reason in why, what was made released. */
	int (*create)(struct vm *vm, const struct vm_config *cfg, char *why,
		      size_t whylen);
	/* Release them: before the platform and the memory go. */
	void (*destroy)(struct vm *vm);
	/* Hold src's devices still (nothing in flight, no register
	 * changing) from before its memory is cloned until thaw. */
	void (*freeze)(struct vm *src);
	void (*thaw)(struct vm *src);
	/* Give clone (its platform made by platform_clone()) devices that
	 * carry on where frozen src's are, in the same slots. 0, or a
	 * negative errno with what clone got of this kind released. */
	int (*clone)(struct vm *clone, struct vm *src);
};

/*
 * For a kind's create(): put virtio device t in vm's next virtio slot
 * (platform_add_virtio()) on the slot's interrupt line. Returns the slot
 * number, or platform_add_virtio()'s negative errno.
 */
struct virtio_mmio;
int vm_device_add_virtio(struct vm *vm, struct virtio_mmio *t);

/*
 * For a kind's clone(): the registers of the clone's device t (made on
 * the slot's line, platform_virtio_line()) in the slot its parent's
 * device has (platform_put_virtio()).
 */
int vm_device_put_virtio(struct vm *clone, unsigned slot,
			 struct virtio_mmio *t);

/* Every kind's create(), in order; on failure the earlier ones' devices
 * are released again. */
int vm_devices_create(struct vm *vm, const struct vm_config *cfg, char *why,
		      size_t whylen);
void vm_devices_destroy(struct vm *vm);
void vm_devices_freeze(struct vm *src);
void vm_devices_thaw(struct vm *src);
/* Every kind's clone(); on failure clone has none of them. */
int vm_devices_clone(struct vm *clone, struct vm *src);

#endif
