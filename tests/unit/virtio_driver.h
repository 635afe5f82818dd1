/* SPDX-License-Identifier: MIT */
/*
 * What the unit tests of the virtio devices share: a driver, as a guest's
 * would be, working the transport's registers and split virtqueues in
 * real guest memory (a G-stage over a frame pool), and a fake interrupt
 * line. Static functions: each test includes it once.
 */
#ifndef MEMVISOR_TESTS_VIRTIO_DRIVER_H
#define MEMVISOR_TESTS_VIRTIO_DRIVER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/virtio/mmio.h"
#include "mem/gmem.h"

#define VDRV_MIB      (1024ull * 1024)
#define VDRV_RAM_BASE 0x80000000ull
#define VDRV_RAM_SIZE (4 * VDRV_MIB)
#define VDRV_QSIZE    16

/* Queue q's rings: 16 KiB apart; data from 1 MiB on. */
#define VDRV_RING(q)  (VDRV_RAM_BASE + 0x4000ull * (q))
#define VDRV_DESC(q)  (VDRV_RING(q) + 0x0000)
#define VDRV_AVAIL(q) (VDRV_RING(q) + 0x1000)
#define VDRV_USED(q)  (VDRV_RING(q) + 0x2000)
#define VDRV_DATA     (VDRV_RAM_BASE + VDRV_MIB)

#define VDRV_F_WRITE 2u
#define VDRV_F_NEXT  1u

struct vdrv_irq {
	struct irq_chip chip;
	_Atomic unsigned raises;
	_Atomic bool level;
};

static inline void vdrv_set_level(struct irq_chip *chip, unsigned line,
				  bool level)
{
	struct vdrv_irq *f = (struct vdrv_irq *)chip;

	(void)line;
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

struct vdrv {
	struct frame_pool *pool;
	struct gstage gs;
	struct vdrv_irq irq;
	struct virtio_mmio *t;
	uint16_t avail_idx[VIRTIO_MMIO_MAX_QUEUES];
};

/* Guest memory and the fake line; t is set by the test once its device
 * exists. Returns 0 or -1. */
static inline int vdrv_init(struct vdrv *d)
{
	if (frame_pool_create(32 * VDRV_MIB, &d->pool))
		return -1;
	if (gstage_init(&d->gs, d->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&d->gs, VDRV_RAM_BASE, VDRV_RAM_SIZE))
		return -1;
	d->irq.chip.set_level = vdrv_set_level;
	return 0;
}

static inline void vdrv_fini(struct vdrv *d)
{
	gstage_destroy(&d->gs);
	frame_pool_destroy(d->pool);
}

static inline uint32_t vdrv_rd(struct vdrv *d, uint64_t off, unsigned size)
{
	uint64_t v = 0;

	assert_int_equal(virtio_mmio_ops.read(d->t, off, size, &v), 0);
	return (uint32_t)v;
}

static inline void vdrv_wr(struct vdrv *d, uint64_t off, unsigned size,
			   uint32_t v)
{
	assert_int_equal(virtio_mmio_ops.write(d->t, off, size, v), 0);
}

static inline void vdrv_put16(struct vdrv *d, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gmem_write(&d->gs, gpa, &v, 2), 0);
}

static inline uint16_t vdrv_get16(struct vdrv *d, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(gmem_read(&d->gs, gpa, &v, 2), 0);
	return v;
}

static inline void vdrv_desc(struct vdrv *d, unsigned q, unsigned i,
			     uint64_t addr, uint32_t len, uint16_t flags,
			     uint16_t next)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} e = {addr, len, flags, next};

	assert_int_equal(gmem_write(&d->gs, VDRV_DESC(q) + 16 * i, &e, 16), 0);
}

/* Make the chain at head available on queue q and notify. */
static inline void vdrv_offer(struct vdrv *d, unsigned q, uint16_t head)
{
	vdrv_put16(d, VDRV_AVAIL(q) + 4 + 2 * (d->avail_idx[q] % VDRV_QSIZE),
		   head);
	d->avail_idx[q]++;
	vdrv_put16(d, VDRV_AVAIL(q) + 2, d->avail_idx[q]);
	vdrv_wr(d, VIRTIO_MMIO_QUEUE_NOTIFY, 4, q);
}

/* The used index of queue q, once it reached idx or after 5 s. */
static inline uint16_t vdrv_wait_used(struct vdrv *d, unsigned q, uint16_t idx)
{
	for (int i = 0; i < 5000 && vdrv_get16(d, VDRV_USED(q) + 2) != idx; i++)
		usleep(1000);
	return vdrv_get16(d, VDRV_USED(q) + 2);
}

/* The used ring's entry i of queue q: id and len. */
static inline void vdrv_used_entry(struct vdrv *d, unsigned q, unsigned i,
				   uint32_t *id, uint32_t *len)
{
	uint32_t e[2];

	assert_int_equal(gmem_read(&d->gs,
				   VDRV_USED(q) + 4 + 8 * (i % VDRV_QSIZE), e,
				   sizeof(e)),
			 0);
	*id = e[0];
	*len = e[1];
}

/* What a driver does: features (features_lo and VERSION_1), then queues
 * 0 .. nqueues - 1 of VDRV_QSIZE entries, then DRIVER_OK. */
static inline void vdrv_probe(struct vdrv *d, uint32_t features_lo,
			      unsigned nqueues)
{
	const uint32_t ok = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			    VIRTIO_STATUS_FEATURES_OK;

	vdrv_wr(d, VIRTIO_MMIO_STATUS, 4,
		VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 0);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, features_lo);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 4, 1);
	vdrv_wr(d, VIRTIO_MMIO_DRIVER_FEATURES, 4, 1); /* VIRTIO_F_VERSION_1 */
	vdrv_wr(d, VIRTIO_MMIO_STATUS, 4, ok);
	assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_STATUS, 4), ok);
	for (unsigned q = 0; q < nqueues; q++) {
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_SEL, 4, q);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_NUM, 4, VDRV_QSIZE);
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, 4,
			(uint32_t)VDRV_DESC(q));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, 4,
			(uint32_t)(VDRV_DESC(q) >> 32));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 4,
			(uint32_t)VDRV_AVAIL(q));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 4,
			(uint32_t)(VDRV_AVAIL(q) >> 32));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, 4,
			(uint32_t)VDRV_USED(q));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 4,
			(uint32_t)(VDRV_USED(q) >> 32));
		vdrv_wr(d, VIRTIO_MMIO_QUEUE_READY, 4, 1);
		assert_int_equal(vdrv_rd(d, VIRTIO_MMIO_QUEUE_READY, 4), 1);
	}
	vdrv_wr(d, VIRTIO_MMIO_STATUS, 4, ok | VIRTIO_STATUS_DRIVER_OK);
}

#endif
