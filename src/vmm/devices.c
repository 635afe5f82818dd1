/* SPDX-License-Identifier: MIT */
#include "vmm/devices.h"

#include "dev/virtio/mmio.h"
#include "vmm/balloons.h"
#include "vmm/disks.h"
#include "vmm/nets.h"
#include "vmm/platform.h"
#include "vmm/rngs.h"

static const struct vm_device_kind *const devices_kinds[] = {
    &vm_disks_kind,
    &vm_nets_kind,
    &vm_rngs_kind,
    &vm_balloons_kind,
};

#define DEVICES_NKINDS (sizeof(devices_kinds) / sizeof(devices_kinds[0]))

int vm_devices_create(struct vm *vm, const struct vm_config *cfg, char *why,
		      size_t whylen)
{
	unsigned i;
	int r;

	for (i = 0; i < DEVICES_NKINDS; i++) {
		r = devices_kinds[i]->create(vm, cfg, why, whylen);
		if (r)
			goto err;
	}
	return 0;

err:
	while (i--)
		devices_kinds[i]->destroy(vm);
	return r;
}

void vm_devices_destroy(struct vm *vm)
{
	for (unsigned i = DEVICES_NKINDS; i--;)
		devices_kinds[i]->destroy(vm);
}

void vm_devices_freeze(struct vm *src)
{
	for (unsigned i = 0; i < DEVICES_NKINDS; i++)
		if (devices_kinds[i]->freeze)
			devices_kinds[i]->freeze(src);
}

void vm_devices_thaw(struct vm *src)
{
	for (unsigned i = DEVICES_NKINDS; i--;)
		if (devices_kinds[i]->thaw)
			devices_kinds[i]->thaw(src);
}

int vm_devices_clone(struct vm *clone, struct vm *src)
{
	unsigned i;
	int r;

	for (i = 0; i < DEVICES_NKINDS; i++) {
		r = devices_kinds[i]->clone(clone, src);
		if (r)
			goto err;
	}
	return 0;

err:
	while (i--)
		devices_kinds[i]->destroy(clone);
	return r;
}

int vm_device_add_virtio(struct vm *vm, struct virtio_mmio *t)
{
	struct irq_chip *chip;
	unsigned irq;
	int r = platform_add_virtio(vm, &virtio_mmio_ops, t, &irq, &chip);

	if (r >= 0)
		virtio_mmio_set_irq(t, chip, irq);
	return r;
}

int vm_device_put_virtio(struct vm *clone, unsigned slot, struct virtio_mmio *t)
{
	return platform_put_virtio(clone, slot, &virtio_mmio_ops, t);
}
