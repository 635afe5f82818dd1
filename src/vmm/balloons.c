/* SPDX-License-Identifier: MIT */
#include "vmm/balloons.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/sched.h"
#include "vmm/vm.h"

/*
 * The backend: the pages onto the zero frame (a range that is not guest
 * RAM changes nothing), then, once every VCPU has dropped its
 * translations of the old frames, the frames back to the host.
 */
static uint64_t balloons_discard(void *be, struct gstage_range *ranges,
				 size_t n)
{
	struct vm *vm = be;
	struct frame_vec dropped = {0};
	uint64_t released = 0;

	gstage_share_zero_ranges(&vm->gs, ranges, n, &dropped);
	if (dropped.n) {
		sched_shootdown_vm(vm);
		released = frame_put_vec(vm->gs.pool, &dropped);
	}
	frame_vec_free(&dropped);
	return released;
}

static const struct virtio_balloon_backend_ops balloons_backend = {
    .discard = balloons_discard,
};

static void balloons_destroy(struct vm *vm)
{
	struct vm_balloon *b = vm->balloon;

	if (!b)
		return;
	virtio_balloon_destroy(b->dev);
	free(b);
	vm->balloon = NULL;
}

static int balloons_create(struct vm *vm, const struct vm_config *cfg,
			   char *why, size_t whylen)
{
	struct vm_balloon *b;
	int r;

	if (!cfg->balloon)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	vm->balloon = b;
	r = virtio_balloon_create(&vm->gs, NULL, 0, &balloons_backend, vm,
				  &b->dev);
	if (r) {
		snprintf(why, whylen, "--balloon: %s", strerror(-r));
		goto err;
	}
	r = vm_device_add_virtio(vm, virtio_balloon_transport(b->dev));
	if (r < 0) {
		snprintf(why, whylen, "--balloon: no virtio slot: %s",
			 strerror(-r));
		goto err;
	}
	b->slot = (unsigned)r;
	return 0;

err:
	balloons_destroy(vm);
	return r;
}

static void balloons_freeze(struct vm *src)
{
	if (src->balloon)
		virtio_balloon_freeze(src->balloon->dev);
}

static void balloons_thaw(struct vm *src)
{
	if (src->balloon)
		virtio_balloon_thaw(src->balloon->dev);
}

static int balloons_clone(struct vm *clone, struct vm *src)
{
	struct irq_chip *chip;
	struct vm_balloon *b;
	unsigned irq;
	int r;

	if (!src->balloon)
		return 0;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	clone->balloon = b;
	b->slot = src->balloon->slot;
	platform_virtio_line(clone, b->slot, &irq, &chip);
	r = virtio_balloon_clone(src->balloon->dev, &clone->gs, chip, irq,
				 &balloons_backend, clone, &b->dev);
	if (!r)
		r = vm_device_put_virtio(clone, b->slot,
					 virtio_balloon_transport(b->dev));
	if (r)
		balloons_destroy(clone);
	return r;
}

const struct vm_device_kind vm_balloons_kind = {
    .name = "balloon",
    .create = balloons_create,
    .destroy = balloons_destroy,
    .freeze = balloons_freeze,
    .thaw = balloons_thaw,
    .clone = balloons_clone,
};

int vm_balloon_set_target(struct vm *vm, uint64_t bytes)
{
	if (!vm->balloon)
		return -ENODEV;
	if (bytes > vm->ram_size)
		return -ERANGE;
	virtio_balloon_set_target(
	    vm->balloon->dev, (uint32_t)(bytes >> VIRTIO_BALLOON_PFN_SHIFT));
	return 0;
}

bool vm_balloon_get_stats(struct vm *vm, struct virtio_balloon_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!vm->balloon)
		return false;
	virtio_balloon_get_stats(vm->balloon->dev, st);
	return true;
}
