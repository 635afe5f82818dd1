/* SPDX-License-Identifier: MIT */
#include "vmm/rngs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vm.h"

static void rngs_destroy(struct vm *vm)
{
	virtio_rng_destroy(vm->rng);
	vm->rng = NULL;
}

static int rngs_create(struct vm *vm, const struct vm_config *cfg, char *why,
		       size_t whylen)
{
	int r;

	if (!cfg->rng)
		return 0;
	r = virtio_rng_create(&vm->gs, NULL, 0, &vm->rng);
	if (r) {
		snprintf(why, whylen, "--rng: %s", strerror(-r));
		return r;
	}
	r = vm_device_add_virtio(vm, virtio_rng_transport(vm->rng));
	if (r < 0) {
		snprintf(why, whylen, "--rng: no virtio slot: %s",
			 strerror(-r));
		rngs_destroy(vm);
		return r;
	}
	vm->rng_slot = (unsigned)r;
	return 0;
}

static void rngs_freeze(struct vm *src)
{
	if (src->rng)
		virtio_rng_freeze(src->rng);
}

static void rngs_thaw(struct vm *src)
{
	if (src->rng)
		virtio_rng_thaw(src->rng);
}

static int rngs_clone(struct vm *clone, struct vm *src)
{
	struct irq_chip *chip;
	unsigned irq;
	int r;

	if (!src->rng)
		return 0;
	clone->rng_slot = src->rng_slot;
	platform_virtio_line(clone, clone->rng_slot, &irq, &chip);
	r = virtio_rng_clone(src->rng, &clone->gs, chip, irq, &clone->rng);
	if (r)
		return r;
	r = vm_device_put_virtio(clone, clone->rng_slot,
				 virtio_rng_transport(clone->rng));
	if (r)
		rngs_destroy(clone);
	return r;
}

const struct vm_device_kind vm_rngs_kind = {
    .name = "rng",
    .create = rngs_create,
    .destroy = rngs_destroy,
    .freeze = rngs_freeze,
    .thaw = rngs_thaw,
    .clone = rngs_clone,
};

bool vm_rng_get_stats(struct vm *vm, struct virtio_rng_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!vm->rng)
		return false;
	virtio_rng_get_stats(vm->rng, st);
	return true;
}
