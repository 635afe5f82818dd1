/* SPDX-License-Identifier: MIT */
#include "vmm/disks.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/vm.h"

/* A device ID for the guest: "memvisor-<vm>-<disk>" would change with the
 * VM's id; the image's name is stable. */
static void disks_serial(const char *path, char *out, size_t size)
{
	const char *base = strrchr(path, '/');

	snprintf(out, size, "%s", base ? base + 1 : path);
}

static void disks_destroy(struct vm *vm);

static int disks_create(struct vm *vm, const struct vm_config *vc, char *why,
			size_t whylen)
{
	const struct vm_disk_config *cfg = vc->disks;
	unsigned n = vc->ndisks;
	char serial[VIRTIO_BLK_ID_BYTES + 1];
	struct disk *disk;
	int r;

	if (n > VM_MAX_DISKS) {
		snprintf(why, whylen, "--disk: at most %u disks", VM_MAX_DISKS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++) {
		struct virtio_blk *b;

		r = disk_open(cfg[i].path, cfg[i].ro, &disk, why, whylen);
		if (r)
			goto err;
		disks_serial(cfg[i].path, serial, sizeof(serial));
		r = virtio_blk_create(disk, serial, &vm->gs, NULL, 0, &b);
		if (r) {
			disk_close(disk);
			snprintf(why, whylen, "--disk %s: %s", cfg[i].path,
				 strerror(-r));
			goto err;
		}
		vm->disks[vm->ndisks++] = b;
		r = vm_device_add_virtio(vm, virtio_blk_transport(b));
		if (r < 0) {
			snprintf(why, whylen, "--disk %s: no virtio slot: %s",
				 cfg[i].path, strerror(-r));
			goto err;
		}
		vm->disk_slot[vm->ndisks - 1] = (unsigned)r;
	}
	return 0;

err:
	disks_destroy(vm);
	return r;
}

static void disks_destroy(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ndisks; i++)
		virtio_blk_destroy(vm->disks[i]);
	vm->ndisks = 0;
}

static void disks_freeze(struct vm *src)
{
	for (unsigned i = 0; i < src->ndisks; i++)
		virtio_blk_freeze(src->disks[i]);
}

static void disks_thaw(struct vm *src)
{
	for (unsigned i = 0; i < src->ndisks; i++)
		virtio_blk_thaw(src->disks[i]);
}

static int disks_clone(struct vm *clone, struct vm *src)
{
	struct irq_chip *chip;
	unsigned irq;
	int r;

	for (unsigned i = 0; i < src->ndisks; i++) {
		unsigned slot = src->disk_slot[i];
		struct virtio_blk *b;

		/* The same slot as in src: the guest's tree says so. */
		platform_virtio_line(clone, slot, &irq, &chip);
		r = virtio_blk_clone(src->disks[i], &clone->gs, chip, irq, &b);
		if (r)
			goto err;
		clone->disks[clone->ndisks] = b;
		clone->disk_slot[clone->ndisks++] = slot;
		r = vm_device_put_virtio(clone, slot, virtio_blk_transport(b));
		if (r)
			goto err;
	}
	return 0;

err:
	disks_destroy(clone);
	return r;
}

const struct vm_device_kind vm_disks_kind = {
    .name = "disks",
    .create = disks_create,
    .destroy = disks_destroy,
    .freeze = disks_freeze,
    .thaw = disks_thaw,
    .clone = disks_clone,
};
