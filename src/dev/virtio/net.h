/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.x, section 5.1): one receive queue (0) and one
 * transmit queue (1), a MAC address and a link that is always up in the
 * configuration space, the 12-byte header of VIRTIO_F_VERSION_1 and no
 * offloads: every frame is a whole Ethernet frame without its FCS.
 *
 * Frames go to and come from a backend (dev/virtio/usernet.h, or a fake
 * one in tests) behind struct virtio_net_backend_ops. The device's worker
 * thread does all queue work: it sends what the driver transmits through
 * the backend, and it copies the frames the backend hands in (from any
 * thread, virtio_net_receive()) into the driver's receive buffers, holding
 * up to VIRTIO_NET_RX_PENDING of them while the driver has none posted.
 */
#ifndef MEMVISOR_DEV_VIRTIO_NET_H
#define MEMVISOR_DEV_VIRTIO_NET_H

#include <stddef.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/virtio/mmio.h"

#define VIRTIO_ID_NET 1

/* Feature bits. */
#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

#define VIRTIO_NET_S_LINK_UP 1

#define VIRTIO_NET_RXQ	      0
#define VIRTIO_NET_TXQ	      1
#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_HDR_LEN    12    /* struct virtio_net_hdr, VERSION_1 */
#define VIRTIO_NET_FRAME_MAX  65536 /* largest frame either way */
#define VIRTIO_NET_RX_PENDING 256   /* frames held for the driver */
#define VIRTIO_NET_MAC_LEN    6

/* The header before every frame in both directions (no offloads: the
 * device writes zeros and num_buffers 1, and ignores what it reads). */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

_Static_assert(sizeof(struct virtio_net_hdr) == VIRTIO_NET_HDR_LEN,
	       "virtio-net header layout");

/* What a backend gives the device. be is the backend's own. */
struct virtio_net_backend_ops {
	/* Take one frame the guest sent (len bytes, copied before the call
	 * returns). On the device's worker: never block for long. 0, or a
	 * negative errno (the frame is dropped and counted). */
	int (*send)(void *be, const void *frame, size_t len);
};

struct virtio_net;

struct virtio_net_stats {
	uint64_t rx_packets, rx_bytes;	 /* to the guest */
	uint64_t tx_packets, tx_bytes;	 /* from the guest */
	uint64_t rx_dropped, tx_dropped; /* no room / backend refused */
	uint64_t malformed, notifies, interrupts;
};

/*
 * Create a virtio-net device with address mac for a guest whose memory is
 * gs, interrupting on line of chip (NULL: none), without a backend (what
 * the guest sends is dropped until virtio_net_attach()); its worker
 * (dev/virtio/worker.h) starts on first use. Register
 * virtio_net_transport() with virtio_mmio_ops. Returns 0 and sets *out, or
 * a negative errno.
 */
int virtio_net_create(const uint8_t mac[VIRTIO_NET_MAC_LEN], struct gstage *gs,
		      struct irq_chip *chip, unsigned line,
		      struct virtio_net **out);

/*
 * Send what the guest transmits to ops/be from now on (NULL ops: nowhere).
 * Waits for the worker's current batch, so after a detach (NULL) the old
 * backend is never called again and may be destroyed.
 */
void virtio_net_attach(struct virtio_net *n,
		       const struct virtio_net_backend_ops *ops, void *be);

/*
 * Hand the guest one frame of len bytes (copied; any thread). Dropped
 * (and counted) when len is 0 or above VIRTIO_NET_FRAME_MAX or when
 * VIRTIO_NET_RX_PENDING frames already wait. Returns 0 or -ENOBUFS.
 */
int virtio_net_receive(struct virtio_net *n, const void *frame, size_t len);

/* Stop the worker and free n (detach its backend first). NULL: no-op. */
void virtio_net_destroy(struct virtio_net *n);

/* The transport, for the MMIO bus. */
struct virtio_mmio *virtio_net_transport(struct virtio_net *n);

/* Hold n still for a clone of its VM (virtio_mmio_freeze()) and let go. */
void virtio_net_freeze(struct virtio_net *n);
void virtio_net_thaw(struct virtio_net *n);

/*
 * The clone of frozen src for a VM whose memory is gs, on line of chip,
 * with address mac: the same device state (queues where src's are), no
 * backend yet and none of src's frames waiting for the driver. Returns 0
 * and sets *out, or a negative errno.
 */
int virtio_net_clone(struct virtio_net *src,
		     const uint8_t mac[VIRTIO_NET_MAC_LEN], struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_net **out);

/* The address in n's configuration space. */
void virtio_net_mac(struct virtio_net *n, uint8_t mac[VIRTIO_NET_MAC_LEN]);

/*
 * Give n the address mac: before the driver reads it (a driver already
 * running keeps the one it read at probe; the configuration-change
 * interrupt does not make Linux read it again).
 */
void virtio_net_set_mac(struct virtio_net *n,
			const uint8_t mac[VIRTIO_NET_MAC_LEN]);

/* n's statistics now. */
void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st);

#endif
