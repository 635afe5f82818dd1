/* SPDX-License-Identifier: MIT */
/*
 * A VM's network: the virtio-net device made from --net user (one per VM)
 * on a user-mode network of its own (dev/virtio/usernet.h). A clone gets
 * its own MAC address, its own user-mode network (fresh: its parent's TCP
 * connections are not carried over, the guest's side of them resets) and
 * its own host ports for the parent's forwards.
 */
#ifndef MEMVISOR_VMM_NETS_H
#define MEMVISOR_VMM_NETS_H

#include <stdint.h>

#include "dev/virtio/net.h"
#include "dev/virtio/usernet.h"
#include "vmm/devices.h"

struct vm;

/* --net user[,hostfwd=...]... */
struct vm_net_config {
	struct usernet_fwd fwd[USERNET_MAX_FWDS];
	unsigned nfwd;
};

/* A VM's network, vm->net (NULL: none). */
struct vm_net {
	struct virtio_net *dev;
	struct usernet *user;
	unsigned slot; /* its virtio slot */
};

/* What a VM's network did, for stats. */
struct vm_net_info {
	bool present;
	uint8_t mac[VIRTIO_NET_MAC_LEN];
	struct virtio_net_stats stats;
	struct usernet_fwd fwd[USERNET_MAX_FWDS];
	unsigned nfwd;
};

/*
 * The network's device kind (vmm/devices.h). A clone's forwards are its
 * parent's guest ports on host ports of its own: from vm->clone_net_port
 * on (one per forward) when that is set, else free ones.
 */
extern const struct vm_device_kind vm_nets_kind;

/*
 * The locally administered address of VM id (02:6d:76:xx:xx:xx, the id's
 * low 24 bits), put in vm's device: once vm has its id, before it runs.
 */
void vm_net_name(struct vm *vm);

/* vm's network now, into *info. */
void vm_net_get_info(struct vm *vm, struct vm_net_info *info);

#endif
