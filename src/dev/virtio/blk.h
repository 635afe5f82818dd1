/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk (virtio 1.x, section 5.2) on a disk (dev/virtio/disk.h): one
 * request queue; reads, writes, flushes, discards and the device ID.
 *
 * The requests are carried out on a worker thread of the device's own: a
 * notify from a hart only wakes it, so a slow disk never stalls a hart.
 * The worker completes every request it takes within one batch, holding
 * the transport's queues lock (dev/virtio/mmio.h), and interrupts the
 * driver at the end of the batch (and every few requests in a long one)
 * when the driver asks for it.
 */
#ifndef MEMVISOR_DEV_VIRTIO_BLK_H
#define MEMVISOR_DEV_VIRTIO_BLK_H

#include <stdint.h>

#include "dev/irq.h"
#include "dev/virtio/disk.h"
#include "dev/virtio/mmio.h"

#define VIRTIO_ID_BLOCK 2

/* Feature bits. */
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO	      5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9
#define VIRTIO_BLK_F_DISCARD  13

/* Request types and status values. */
#define VIRTIO_BLK_T_IN	     0
#define VIRTIO_BLK_T_OUT     1
#define VIRTIO_BLK_T_FLUSH   4
#define VIRTIO_BLK_T_GET_ID  8
#define VIRTIO_BLK_T_DISCARD 11

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES	20
#define VIRTIO_BLK_QUEUE_SIZE	256
#define VIRTIO_BLK_DISCARD_SEGS 16
#define VIRTIO_BLK_DISCARD_MAX	(1u << 22) /* sectors: 2 GiB */

struct virtio_blk;

struct virtio_blk_stats {
	struct disk_stats disk;
	uint64_t requests, failed, malformed, notifies, interrupts;
};

/*
 * Create a virtio-blk device on disk (which it then owns) for a guest
 * whose memory is gs, interrupting on line of chip (NULL: none). serial is
 * the device ID the guest reads (at most 20 bytes are used; NULL: "").
 * Its worker (dev/virtio/worker.h) starts on the first notify. Register
 * virtio_blk_transport() on the MMIO bus with virtio_mmio_ops. Returns 0
 * and sets *out, or a negative errno; on error disk is still the caller's.
 */
int virtio_blk_create(struct disk *disk, const char *serial, struct gstage *gs,
		      struct irq_chip *chip, unsigned line,
		      struct virtio_blk **out);

/* Stop the worker and free b and its disk. NULL: no-op. */
void virtio_blk_destroy(struct virtio_blk *b);

/* The transport, for mmio_bus_add(bus, base, size, &virtio_mmio_ops, ..). */
struct virtio_mmio *virtio_blk_transport(struct virtio_blk *b);

/*
 * Hold b still for a clone of its VM (virtio_mmio_freeze()): freeze every
 * device before the guest's memory is cloned, clone them, then thaw.
 */
void virtio_blk_freeze(struct virtio_blk *b);
void virtio_blk_thaw(struct virtio_blk *b);

/*
 * The clone of frozen src for a VM whose memory is gs (the clone of src's
 * guest), on line of chip: a copy-on-write clone of its disk (O(1)), the
 * same device state, and its own worker, which looks at the queue at once.
 * Returns 0 and sets *out, or a negative errno (src unchanged).
 */
int virtio_blk_clone(struct virtio_blk *src, struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_blk **out);

/* b's statistics now. */
void virtio_blk_get_stats(struct virtio_blk *b, struct virtio_blk_stats *st);

#endif
