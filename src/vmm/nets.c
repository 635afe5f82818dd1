/* SPDX-License-Identifier: MIT */
#include "vmm/nets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vm.h"

static void nets_rx(void *opaque, const void *frame, size_t len)
{
	virtio_net_receive(opaque, frame, len);
}

static void nets_destroy(struct vm *vm)
{
	struct vm_net *n = vm->net;

	if (!n)
		return;
	if (n->dev)
		virtio_net_attach(n->dev, NULL, NULL);
	usernet_destroy(n->user);
	virtio_net_destroy(n->dev);
	free(n);
	vm->net = NULL;
}

/* n->dev made: give it a user-mode network with fwd[]. */
static int nets_start(struct vm_net *n, const struct usernet_fwd *fwd,
		      unsigned nfwd, char *why, size_t whylen)
{
	int r =
	    usernet_create(fwd, nfwd, nets_rx, n->dev, &n->user, why, whylen);

	if (r)
		return r;
	virtio_net_attach(n->dev, &usernet_backend_ops, n->user);
	return 0;
}

static int nets_create(struct vm *vm, const struct vm_config *cfg, char *why,
		       size_t whylen)
{
	static const uint8_t mac0[VIRTIO_NET_MAC_LEN] = {0x02, 0x6d, 0x76};
	struct vm_net *n;
	int r;

	if (!cfg->net)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	vm->net = n;
	/* The address is the VM's id's, set by vm_net_name(). */
	r = virtio_net_create(mac0, &vm->gs, NULL, 0, &n->dev);
	if (r) {
		snprintf(why, whylen, "--net: %s", strerror(-r));
		goto err;
	}
	r = nets_start(n, cfg->net->fwd, cfg->net->nfwd, why, whylen);
	if (r) {
		char inner[VM_WHY_LEN];

		snprintf(inner, sizeof(inner), "%s", why);
		snprintf(why, whylen, "--net user,%s", inner);
		goto err;
	}
	r = vm_device_add_virtio(vm, virtio_net_transport(n->dev));
	if (r < 0) {
		snprintf(why, whylen, "--net: no virtio slot: %s",
			 strerror(-r));
		goto err;
	}
	n->slot = (unsigned)r;
	return 0;

err:
	nets_destroy(vm);
	return r;
}

static void nets_freeze(struct vm *src)
{
	if (src->net)
		virtio_net_freeze(src->net->dev);
}

static void nets_thaw(struct vm *src)
{
	if (src->net)
		virtio_net_thaw(src->net->dev);
}

static int nets_clone(struct vm *clone, struct vm *src)
{
	struct usernet_fwd fwd[USERNET_MAX_FWDS];
	char why[VM_WHY_LEN];
	struct irq_chip *chip;
	uint8_t mac[VIRTIO_NET_MAC_LEN];
	struct vm_net *n;
	unsigned irq, nfwd;
	int r;

	if (!src->net)
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	clone->net = n;
	n->slot = src->net->slot;
	/* The same slot as in src: the guest's tree says so. */
	platform_virtio_line(clone, n->slot, &irq, &chip);
	virtio_net_mac(src->net->dev, mac);
	r = virtio_net_clone(src->net->dev, mac, &clone->gs, chip, irq,
			     &n->dev);
	if (r)
		goto err;
	/* The parent's forwards, on host ports of the clone's own. */
	nfwd = usernet_fwds(src->net->user, fwd);
	for (unsigned i = 0; i < nfwd; i++)
		fwd[i].host_port =
		    clone->clone_net_port ? clone->clone_net_port + i : 0;
	r = nets_start(n, fwd, nfwd, why, sizeof(why));
	if (r)
		goto err;
	r = vm_device_put_virtio(clone, n->slot, virtio_net_transport(n->dev));
	if (r)
		goto err;
	return 0;

err:
	nets_destroy(clone);
	return r;
}

const struct vm_device_kind vm_nets_kind = {
    .name = "net",
    .create = nets_create,
    .destroy = nets_destroy,
    .freeze = nets_freeze,
    .thaw = nets_thaw,
    .clone = nets_clone,
};

void vm_net_name(struct vm *vm)
{
	uint8_t mac[VIRTIO_NET_MAC_LEN] = {
	    0x02,
	    0x6d,
	    0x76, /* locally administered, unicast; "mv" */
	    (uint8_t)(vm->id >> 16),
	    (uint8_t)(vm->id >> 8),
	    (uint8_t)vm->id,
	};

	if (vm->net)
		virtio_net_set_mac(vm->net->dev, mac);
}

void vm_net_get_info(struct vm *vm, struct vm_net_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!vm->net)
		return;
	info->present = true;
	virtio_net_mac(vm->net->dev, info->mac);
	virtio_net_get_stats(vm->net->dev, &info->stats);
	info->nfwd = usernet_fwds(vm->net->user, info->fwd);
}
