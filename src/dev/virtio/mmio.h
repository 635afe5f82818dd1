/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport (virtio 1.x, section 4.2; register layout
 * version 2): one instance per device, the registers a driver sees in a
 * 4 KiB slot of the MMIO bus (vmm/platform.h), with the device type behind
 * an ops table (dev/virtio/blk.c ...).
 *
 * The transport offers VIRTIO_F_VERSION_1 (required: a driver that does not
 * accept it fails FEATURES_OK), VIRTIO_F_INDIRECT_DESC and
 * VIRTIO_F_RING_EVENT_IDX besides the device's own features, checks the
 * queues the driver sets up (dev/virtio/queue.h) and raises its interrupt
 * line while InterruptStatus is not zero.
 *
 * Threading: the register ops run on harts' threads, several at once, and
 * take t->lock. A device uses its queues on a thread of its own (its
 * worker), holding virtio_mmio_queues_lock() around that use; the
 * transport takes the same lock (inside t->lock) when it changes a queue's
 * setup or resets the device, so it never changes a queue under the
 * worker. The worker never takes t->lock.
 */
#ifndef MEMVISOR_DEV_VIRTIO_MMIO_H
#define MEMVISOR_DEV_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/mmio.h"
#include "dev/virtio/queue.h"

/* Registers (offsets in the slot). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC  0x74726976u /* "virt" */
#define VIRTIO_MMIO_VENDOR 0x554d4551u /* "QEMU", as Linux guests expect */

/* Device status bits. */
#define VIRTIO_STATUS_ACKNOWLEDGE	 1u
#define VIRTIO_STATUS_DRIVER		 2u
#define VIRTIO_STATUS_DRIVER_OK		 4u
#define VIRTIO_STATUS_FEATURES_OK	 8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED		 128u

/* InterruptStatus bits. */
#define VIRTIO_INT_USED	  1u
#define VIRTIO_INT_CONFIG 2u

/* Transport feature bits. */
#define VIRTIO_F_INDIRECT_DESC	28
#define VIRTIO_F_RING_EVENT_IDX 29
#define VIRTIO_F_VERSION_1	32

#define VIRTIO_MMIO_MAX_QUEUES 8

/* What a device type gives the transport. dev is the device's own. */
struct virtio_dev_ops {
	const char *name;   /* for messages: "virtio-blk" */
	uint32_t device_id; /* 2: block, ... */
	unsigned nqueues;   /* at most VIRTIO_MMIO_MAX_QUEUES */
	uint16_t queue_max; /* QueueNumMax of each, a power of two */
	/* Device feature bits offered (the transport adds its own). */
	uint64_t (*features)(void *dev);
	/* Read size (1, 2, 4 or 8) bytes of config space at off into *val;
	 * 0, or -EFAULT beyond the device's config. */
	int (*config_read)(void *dev, uint64_t off, unsigned size,
			   uint64_t *val);
	/* Write them; NULL: config space is read-only (writes ignored). */
	int (*config_write)(void *dev, uint64_t off, unsigned size,
			    uint64_t val);
	/* The driver notified queue (ready). On a hart's thread: wake the
	 * worker, never block on the device's I/O. */
	void (*notify)(void *dev, unsigned queue);
	/* Device reset (status 0). Called with the queues lock held, so the
	 * worker is idle: forget any device state of the old driver. May be
	 * NULL. */
	void (*reset)(void *dev);
};

struct virtio_mmio {
	const struct virtio_dev_ops *ops;
	void *dev;
	struct gstage *gs;
	struct irq_chip *chip;
	unsigned line;

	pthread_mutex_t lock;	  /* the registers below */
	pthread_mutex_t qlock;	  /* queue use vs queue setup */
	pthread_mutex_t irq_lock; /* isr and the line */
	uint32_t isr;		  /* InterruptStatus; under irq_lock */
	uint32_t status;	  /* as the driver wrote it */
	_Atomic bool needs_reset; /* DEVICE_NEEDS_RESET, set by anyone */
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t config_generation;
	struct virtq vq[VIRTIO_MMIO_MAX_QUEUES];
	_Atomic uint64_t notifies, interrupts; /* statistics */
};

/* The register ops; register t (as dev) on the MMIO bus. */
extern const struct mmio_ops virtio_mmio_ops;

/*
 * Set up t as the transport of dev (described by ops) for a guest whose
 * memory is gs, interrupting on line of chip (NULL: no interrupts, for
 * tests). Returns 0 or -EINVAL (ops with no queues, too many, or a
 * queue_max that is not a power of two).
 */
int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops,
		     void *dev, struct gstage *gs, struct irq_chip *chip,
		     unsigned line);

/*
 * Set the interrupt line, once the device has its place on the platform
 * (before the guest runs).
 */
void virtio_mmio_set_irq(struct virtio_mmio *t, struct irq_chip *chip,
			 unsigned line);

/* Release what virtio_mmio_init() took (its locks); the line is lowered. */
void virtio_mmio_destroy(struct virtio_mmio *t);

/*
 * Hold t still for a clone: take its register lock and its queues lock, so
 * that no register changes and its worker is between two batches (nothing
 * in flight: devices complete what they pop within a batch). Freeze
 * before the guest's memory is cloned and thaw after the device state is
 * copied, so that both are of the same moment.
 */
void virtio_mmio_freeze(struct virtio_mmio *t);
void virtio_mmio_thaw(struct virtio_mmio *t);

/*
 * Make dst, set up with virtio_mmio_init() for the clone of src's VM (its
 * own gs, chip and line), carry on where src is: registers, negotiated
 * features and queue state. src must be frozen. A pending interrupt is
 * raised on dst's line.
 */
void virtio_mmio_copy_state(struct virtio_mmio *dst, struct virtio_mmio *src);

/* The worker's hold on the queues (see Threading above). */
void virtio_mmio_queues_lock(struct virtio_mmio *t);
void virtio_mmio_queues_unlock(struct virtio_mmio *t);

/* Queue i (under the queues lock). */
static inline struct virtq *virtio_mmio_queue(struct virtio_mmio *t, unsigned i)
{
	return &t->vq[i];
}

/*
 * The worker pushed used entries on queue i: interrupt the driver if it
 * asked for that (event index). Under the queues lock.
 */
void virtio_mmio_used(struct virtio_mmio *t, unsigned i);

/*
 * The device cannot go on (a broken queue): set DEVICE_NEEDS_RESET and,
 * once the driver is running, send a configuration-change interrupt. Any
 * thread.
 */
void virtio_mmio_fail(struct virtio_mmio *t);

/* The device's configuration changed: new generation, interrupt. */
void virtio_mmio_config_changed(struct virtio_mmio *t);

/* Whether the driver accepted feature bit (after FEATURES_OK). */
bool virtio_mmio_has_feature(struct virtio_mmio *t, unsigned bit);

#endif
