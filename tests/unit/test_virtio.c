/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio: the mmio transport's registers and status
 * negotiation, split virtqueues (chains, indirect tables, event index,
 * every malformed-queue case failing cleanly) and virtio-blk requests,
 * driven through the registers over real guest memory.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/virtio/blk.h"
#include "dev/virtio/mmio.h"
#include "dev/virtio/queue.h"
#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1 * MIB)

/* Where the test driver puts things in guest RAM. */
#define DESC  (RAM_BASE + 0x0000)
#define AVAIL (RAM_BASE + 0x1000)
#define USED  (RAM_BASE + 0x2000)
#define INDIR (RAM_BASE + 0x4000)
#define DATA  (RAM_BASE + 0x10000)

#define QSIZE 16

struct fake_irq {
	struct irq_chip chip;
	bool level;
	unsigned raises;
};

static void fake_set_level(struct irq_chip *chip, unsigned line, bool level)
{
	struct fake_irq *f = (struct fake_irq *)chip;

	(void)line;
	if (level && !f->level)
		f->raises++;
	f->level = level;
}

/* A device of the test's own: counts notifies and resets. */
struct fake_dev {
	unsigned notifies, resets;
	uint64_t features;
};

static uint64_t fake_features(void *dev)
{
	return ((struct fake_dev *)dev)->features;
}

static int fake_config_read(void *dev, uint64_t off, unsigned size,
			    uint64_t *val)
{
	(void)dev;
	if (off + size > 8)
		return -EFAULT;
	*val = 0x1122334455667788ull >> (8 * off);
	if (size < 8)
		*val &= (1ull << (8 * size)) - 1;
	return 0;
}

static void fake_notify(void *dev, unsigned q)
{
	(void)q;
	((struct fake_dev *)dev)->notifies++;
}

static void fake_reset(void *dev)
{
	((struct fake_dev *)dev)->resets++;
}

static const struct virtio_dev_ops fake_ops = {
    .name = "fake",
    .device_id = 42,
    .nqueues = 2,
    .queue_max = 64,
    .features = fake_features,
    .config_read = fake_config_read,
    .notify = fake_notify,
    .reset = fake_reset,
};

struct fixture {
	struct frame_pool *pool;
	struct gstage gs;
	struct fake_irq irq;
	struct fake_dev dev;
	struct virtio_mmio t;
	struct virtq q; /* for queue-level tests */
	uint16_t avail_idx;
	char image[64];
	struct virtio_blk *blk;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx || frame_pool_create(16 * MIB, &fx->pool))
		return -1;
	if (gstage_init(&fx->gs, fx->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&fx->gs, RAM_BASE, RAM_SIZE))
		return -1;
	fx->irq.chip.set_level = fake_set_level;
	fx->dev.features = 1ull << 5;
	if (virtio_mmio_init(&fx->t, &fake_ops, &fx->dev, &fx->gs,
			     &fx->irq.chip, 3))
		return -1;
	fx->q.gs = &fx->gs;
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	virtio_blk_destroy(fx->blk);
	if (fx->image[0])
		unlink(fx->image);
	virtio_mmio_destroy(&fx->t);
	gstage_destroy(&fx->gs);
	frame_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

static uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	uint64_t v = 0;

	assert_int_equal(virtio_mmio_ops.read(t, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	assert_int_equal(virtio_mmio_ops.write(t, off, 4, v), 0);
}

static void put16(struct fixture *fx, uint64_t gpa, uint16_t v)
{
	assert_int_equal(gmem_write(&fx->gs, gpa, &v, 2), 0);
}

static uint16_t get16(struct fixture *fx, uint64_t gpa)
{
	uint16_t v;

	assert_int_equal(gmem_read(&fx->gs, gpa, &v, 2), 0);
	return v;
}

static void desc(struct fixture *fx, uint64_t table, unsigned i, uint64_t addr,
		 uint32_t len, uint16_t flags, uint16_t next)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d = {addr, len, flags, next};

	assert_int_equal(gmem_write(&fx->gs, table + 16 * i, &d, 16), 0);
}

/* Make head available on a queue of size n. */
static void offer(struct fixture *fx, unsigned n, uint16_t head)
{
	put16(fx, AVAIL + 4 + 2 * (fx->avail_idx % n), head);
	fx->avail_idx++;
	put16(fx, AVAIL + 2, fx->avail_idx);
}

/* Negotiate features (the low and high words) through the registers. */
static uint32_t negotiate(struct virtio_mmio *t, uint32_t lo, uint32_t hi)
{
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, lo);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, hi);
	wr(t, VIRTIO_MMIO_STATUS,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
	       VIRTIO_STATUS_FEATURES_OK);
	return rd(t, VIRTIO_MMIO_STATUS);
}

/* Set up queue qi through the registers; returns QueueReady after. */
static uint32_t setup_queue(struct virtio_mmio *t, unsigned qi, uint32_t num,
			    uint64_t d, uint64_t a, uint64_t u)
{
	wr(t, VIRTIO_MMIO_QUEUE_SEL, qi);
	wr(t, VIRTIO_MMIO_QUEUE_NUM, num);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)d);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(d >> 32));
	wr(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)a);
	wr(t, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
	wr(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)u);
	wr(t, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(u >> 32));
	wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	return rd(t, VIRTIO_MMIO_QUEUE_READY);
}

#define FEAT_HI_V1 1u /* VIRTIO_F_VERSION_1 in the high word */
#define OK_STATUS                                                              \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |                    \
	 VIRTIO_STATUS_FEATURES_OK)

static void test_identity_registers(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t = &fx->t;
	uint64_t v = 0;

	assert_int_equal(rd(t, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	assert_int_equal(rd(t, VIRTIO_MMIO_VERSION), 2);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_ID), 42);
	assert_int_equal(rd(t, VIRTIO_MMIO_VENDOR_ID), VIRTIO_MMIO_VENDOR);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_FEATURES),
			 (1u << 5) | (1u << VIRTIO_F_INDIRECT_DESC) |
			     (1u << VIRTIO_F_RING_EVENT_IDX));
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_FEATURES), FEAT_HI_V1);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	/* Config space from 0x100, any width; registers 32-bit only. */
	assert_int_equal(virtio_mmio_ops.read(t, 0x100, 8, &v), 0);
	assert_int_equal(v, 0x1122334455667788ull);
	assert_int_equal(virtio_mmio_ops.read(t, 0x102, 2, &v), 0);
	assert_int_equal(v, 0x5566);
	assert_int_equal(virtio_mmio_ops.read(t, 0x108, 4, &v), -EFAULT);
	assert_int_equal(virtio_mmio_ops.read(t, 0x000, 2, &v), -EFAULT);
	assert_int_equal(virtio_mmio_ops.write(t, 0x070, 1, 1), -EFAULT);
	/* Queues: NumMax for those that exist only. */
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 1);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX), 64);
	wr(t, VIRTIO_MMIO_QUEUE_SEL, 2);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
}

static void test_features_negotiation(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t = &fx->t;

	/* Without VERSION_1: FEATURES_OK does not stick. */
	assert_int_equal(negotiate(t, 1u << 5, 0),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(fx->dev.resets, 1);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS), 0);
	/* A feature never offered: refused. */
	assert_int_equal(negotiate(t, 1u << 6, FEAT_HI_V1),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VIRTIO_MMIO_STATUS, 0);
	/* What was offered: accepted, and fixed from then on. */
	assert_int_equal(negotiate(t, (1u << 5) | (1u << 29), FEAT_HI_V1),
			 OK_STATUS);
	assert_true(virtio_mmio_has_feature(t, 5));
	assert_true(virtio_mmio_has_feature(t, VIRTIO_F_RING_EVENT_IDX));
	assert_false(virtio_mmio_has_feature(t, VIRTIO_F_INDIRECT_DESC));
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	assert_true(virtio_mmio_has_feature(t, 5));
	wr(t, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS),
			 OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	/* Reset forgets it all. */
	wr(t, VIRTIO_MMIO_STATUS, 0);
	assert_false(virtio_mmio_has_feature(t, 5));
	assert_int_equal(fx->dev.resets, 3);
}

static void test_queue_setup(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t = &fx->t;

	negotiate(t, 0, FEAT_HI_V1);
	assert_int_equal(setup_queue(t, 0, QSIZE, DESC, AVAIL, USED), 1);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)DESC);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_DRIVER_LOW), (uint32_t)AVAIL);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_DEVICE_LOW), (uint32_t)USED);
	/* A queue in use cannot be changed. */
	wr(t, VIRTIO_MMIO_QUEUE_NUM, 4);
	wr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, 0);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_DESC_LOW), (uint32_t)DESC);
	/* Notifies reach the device for ready queues only. */
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	assert_int_equal(fx->dev.notifies, 1);
	assert_int_equal(
	    rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET, 0);
	/* Ready 0 takes it down; then it may change. */
	wr(t, VIRTIO_MMIO_QUEUE_READY, 0);
	assert_int_equal(rd(t, VIRTIO_MMIO_QUEUE_READY), 0);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	assert_int_equal(fx->dev.notifies, 1);
}

/* Each bad setup leaves the queue not ready and asks for a reset. */
static void check_bad_setup(struct fixture *fx, uint32_t num, uint64_t d,
			    uint64_t a, uint64_t u)
{
	struct virtio_mmio *t = &fx->t;

	wr(t, VIRTIO_MMIO_STATUS, 0);
	negotiate(t, 0, FEAT_HI_V1);
	wr(t, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(setup_queue(t, 1, num, d, a, u), 0);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS),
			 OK_STATUS | VIRTIO_STATUS_DRIVER_OK |
			     VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	/* The driver running: told by a configuration interrupt. */
	assert_int_equal(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS) &
			     VIRTIO_INT_CONFIG,
			 VIRTIO_INT_CONFIG);
	assert_true(fx->irq.level);
	wr(t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_INT_CONFIG);
	assert_false(fx->irq.level);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	assert_int_equal(fx->dev.notifies, 0);
}

static void test_queue_setup_malformed(void **state)
{
	struct fixture *fx = *state;

	check_bad_setup(fx, 0, DESC, AVAIL, USED);	 /* size 0 */
	check_bad_setup(fx, 12, DESC, AVAIL, USED);	 /* not a power of 2 */
	check_bad_setup(fx, 128, DESC, AVAIL, USED);	 /* above NumMax */
	check_bad_setup(fx, 0x10000, DESC, AVAIL, USED); /* beyond 16 bits */
	check_bad_setup(fx, 16, DESC + 8, AVAIL, USED);	 /* misaligned */
	check_bad_setup(fx, 16, DESC, AVAIL + 1, USED);
	check_bad_setup(fx, 16, DESC, AVAIL, USED + 2);
	/* Rings outside RAM, at its end, wrapping. */
	check_bad_setup(fx, 16, 0x1000, AVAIL, USED);
	check_bad_setup(fx, 16, DESC, AVAIL, RAM_BASE + RAM_SIZE - 16);
	check_bad_setup(fx, 16, DESC, 0xfffffffffffffffeull, USED);
	check_bad_setup(fx, 16, DESC, AVAIL, 0x10000000ull); /* MMIO */
	/* A used ring over the descriptors or the available ring. */
	check_bad_setup(fx, 16, DESC, AVAIL, DESC + 64);
	check_bad_setup(fx, 16, DESC, AVAIL, AVAIL);
	/* Reset clears DEVICE_NEEDS_RESET. */
	wr(&fx->t, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(&fx->t, VIRTIO_MMIO_STATUS), 0);
}

/* A queue of QSIZE at DESC/AVAIL/USED for the queue-level tests. */
static struct virtq *ready_queue(struct fixture *fx, bool event_idx)
{
	struct virtq *q = &fx->q;

	virtq_reset(q);
	q->size = QSIZE;
	q->desc = DESC;
	q->avail = AVAIL;
	q->used = USED;
	q->event_idx = event_idx;
	assert_int_equal(virtq_enable(q, 256), 0);
	fx->avail_idx = 0;
	put16(fx, AVAIL + 2, 0);
	return q;
}

static void test_chain_read_write(void **state)
{
	struct fixture *fx = *state;
	struct virtq *q = ready_queue(fx, false);
	struct virtq_chain *c = malloc(sizeof(*c));
	char out[32], in[] = "hello, virtqueue";
	uint32_t used[2];

	assert_int_equal(virtq_pop(q, c), 0);
	assert_false(virtq_has_avail(q));
	/* Three buffers: 10 readable + 6 readable, then 32 writable. */
	gmem_write(&fx->gs, DATA, in, 10);
	gmem_write(&fx->gs, DATA + 0x100, in + 10, 6);
	desc(fx, DESC, 3, DATA, 10, VIRTQ_DESC_F_NEXT, 7);
	desc(fx, DESC, 7, DATA + 0x100, 6, VIRTQ_DESC_F_NEXT, 1);
	desc(fx, DESC, 1, DATA + 0x200, 32, VIRTQ_DESC_F_WRITE, 0);
	offer(fx, QSIZE, 3);
	assert_true(virtq_has_avail(q));
	assert_int_equal(virtq_pop(q, c), 1);
	assert_false(virtq_has_avail(q));
	assert_int_equal(c->head, 3);
	assert_int_equal(c->n, 3);
	assert_int_equal(c->out_len, 16);
	assert_int_equal(c->in_len, 32);
	assert_true(c->buf[2].writable);
	memset(out, 0, sizeof(out));
	assert_int_equal(virtq_chain_read(q, c, 0, out, sizeof(out)), 16);
	assert_memory_equal(out, in, 16);
	assert_int_equal(virtq_chain_read(q, c, 8, out, 4), 4);
	assert_memory_equal(out, in + 8, 4);
	assert_int_equal(virtq_chain_write(q, c, 4, "abc", 3), 3);
	assert_int_equal(gmem_read(&fx->gs, DATA + 0x204, out, 3), 0);
	assert_memory_equal(out, "abc", 3);
	assert_int_equal(virtq_pop(q, c), 0);

	assert_int_equal(virtq_push(q, 3, 7), 0);
	assert_int_equal(get16(fx, USED + 2), 1);
	assert_int_equal(gmem_read(&fx->gs, USED + 4, used, 8), 0);
	assert_int_equal(used[0], 3);
	assert_int_equal(used[1], 7);
	/* Without event index: interrupt unless NO_INTERRUPT. */
	assert_true(virtq_should_interrupt(q));
	assert_false(virtq_should_interrupt(q)); /* nothing new */
	put16(fx, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_push(q, 3, 7), 0);
	assert_false(virtq_should_interrupt(q));
	free(c);
}

static void test_indirect(void **state)
{
	struct fixture *fx = *state;
	struct virtq *q = ready_queue(fx, false);
	struct virtq_chain *c = malloc(sizeof(*c));

	/* A direct descriptor, then an indirect table of three. */
	desc(fx, INDIR, 0, DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	desc(fx, INDIR, 2, DATA + 0x1000, 4096,
	     VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	desc(fx, INDIR, 1, DATA + 0x3000, 1, VIRTQ_DESC_F_WRITE, 0);
	desc(fx, DESC, 5, DATA + 0x800, 8, VIRTQ_DESC_F_NEXT, 6);
	desc(fx, DESC, 6, INDIR, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(fx, QSIZE, 5);
	assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(c->head, 5);
	assert_int_equal(c->n, 4);
	assert_int_equal(c->buf[0].gpa, DATA + 0x800);
	assert_int_equal(c->buf[1].gpa, DATA);
	assert_int_equal(c->buf[2].gpa, DATA + 0x1000);
	assert_int_equal(c->buf[3].gpa, DATA + 0x3000);
	assert_int_equal(c->out_len, 24);
	assert_int_equal(c->in_len, 4097);
	free(c);
}

static void test_event_idx(void **state)
{
	struct fixture *fx = *state;
	struct virtq *q = ready_queue(fx, true);
	struct virtq_chain *c = malloc(sizeof(*c));

	desc(fx, DESC, 0, DATA, 1, VIRTQ_DESC_F_WRITE, 0);
	/* The driver wants an interrupt after used entry 2 (idx 3). */
	put16(fx, AVAIL + 4 + 2 * QSIZE, 2);
	for (int i = 0; i < 3; i++)
		offer(fx, QSIZE, 0);
	assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(virtq_push(q, 0, 1), 0);
	assert_true(virtq_should_interrupt(q)); /* the first one always */
	assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(virtq_push(q, 0, 1), 0);
	assert_false(virtq_should_interrupt(q)); /* idx 2: not past 2 */
	assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(virtq_push(q, 0, 1), 0);
	assert_true(virtq_should_interrupt(q)); /* idx 3: passed 2 */
	/* Notify suppression: avail_event says where the driver should
	 * notify next, and arming sees entries already there. */
	assert_int_equal(virtq_pop(q, c), 0);
	assert_int_equal(virtq_arm_notify(q), 0);
	assert_int_equal(get16(fx, USED + 4 + 8 * QSIZE), 3);
	offer(fx, QSIZE, 0);
	assert_int_equal(virtq_arm_notify(q), 1);
	free(c);
}

/* One malformed chain: -EINVAL with its head, and the queue goes on. */
static void check_bad_chain(struct fixture *fx, struct virtq *q,
			    struct virtq_chain *c, uint16_t head)
{
	offer(fx, QSIZE, head);
	assert_int_equal(virtq_pop(q, c), -EINVAL);
	assert_int_equal(c->head, head);
	assert_false(q->broken);
	assert_int_equal(virtq_push(q, head, 0), 0);
}

static void test_malformed_chains(void **state)
{
	struct fixture *fx = *state;
	struct virtq *q = ready_queue(fx, false);
	struct virtq_chain *c = malloc(sizeof(*c));

	/* A loop of two. */
	desc(fx, DESC, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(fx, DESC, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	check_bad_chain(fx, q, c, 0);
	/* A descriptor pointing to itself. */
	desc(fx, DESC, 2, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
	check_bad_chain(fx, q, c, 2);
	/* next beyond the table. */
	desc(fx, DESC, 3, DATA, 8, VIRTQ_DESC_F_NEXT, QSIZE);
	check_bad_chain(fx, q, c, 3);
	/* A chain longer than the queue, without a loop, is impossible:
	 * one through every descriptor, with the last pointing back. */
	for (unsigned i = 0; i < QSIZE; i++)
		desc(fx, DESC, i, DATA, 8, VIRTQ_DESC_F_NEXT, (i + 1) % QSIZE);
	check_bad_chain(fx, q, c, 5);
	/* Buffers outside RAM, ending past it, with lengths near 2^32. */
	desc(fx, DESC, 0, 0x1000, 8, 0, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, RAM_BASE + RAM_SIZE - 4, 8, 0, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, DATA, 0xffffffffu, VIRTQ_DESC_F_WRITE, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, 0xffffffffffffff00ull, 0xff, 0, 0);
	check_bad_chain(fx, q, c, 0);
	/* A writable buffer over each ring; readable ones are fine. */
	desc(fx, DESC, 0, DESC + 8, 16, VIRTQ_DESC_F_WRITE, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, AVAIL, 4, VIRTQ_DESC_F_WRITE, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, USED - 8, 12, VIRTQ_DESC_F_WRITE, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, DESC, 16, 0, 0);
	offer(fx, QSIZE, 0);
	assert_int_equal(virtq_pop(q, c), 1);
	/* Indirect: nested, with NEXT, empty, ragged, too large, outside
	 * RAM, and looping inside its table. */
	desc(fx, INDIR, 0, INDIR + 0x100, 16, VIRTQ_DESC_F_INDIRECT, 0);
	desc(fx, DESC, 0, INDIR, 16, VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, INDIR, 0, DATA, 8, 0, 0);
	desc(fx, DESC, 0, INDIR, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT,
	     1);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, INDIR, 0, VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, INDIR, 24, VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, INDIR, 16 * (VIRTQ_INDIRECT_MAX + 1),
	     VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, DESC, 0, RAM_BASE + RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT,
	     0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, INDIR, 0, DATA, 8, VIRTQ_DESC_F_NEXT, 1);
	desc(fx, INDIR, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 0);
	desc(fx, DESC, 0, INDIR, 32, VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	desc(fx, INDIR, 1, DATA, 8, VIRTQ_DESC_F_NEXT, 2);
	check_bad_chain(fx, q, c, 0); /* next beyond the table's 2 */
	/* More buffers than VIRTQ_CHAIN_MAX, in a large indirect table. */
	for (unsigned i = 0; i <= VIRTQ_CHAIN_MAX; i++)
		desc(fx, INDIR, i, DATA, 1, VIRTQ_DESC_F_NEXT, i + 1);
	desc(fx, INDIR, VIRTQ_CHAIN_MAX + 1, DATA, 1, 0, 0);
	desc(fx, DESC, 0, INDIR, 16 * (VIRTQ_CHAIN_MAX + 2),
	     VIRTQ_DESC_F_INDIRECT, 0);
	check_bad_chain(fx, q, c, 0);
	/* Lengths add up in 64 bits: nine buffers over all of RAM are
	 * counted in full (a sum past 4 GiB would fail the chain). */
	for (unsigned i = 0; i < 8; i++)
		desc(fx, INDIR, i, RAM_BASE, RAM_SIZE, VIRTQ_DESC_F_NEXT,
		     i + 1);
	desc(fx, INDIR, 8, RAM_BASE, 1, 0, 0);
	desc(fx, DESC, 0, INDIR, 16 * 9, VIRTQ_DESC_F_INDIRECT, 0);
	offer(fx, QSIZE, 0);
	assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(c->out_len, 8 * RAM_SIZE + 1);
	free(c);
}

static void test_malformed_rings(void **state)
{
	struct fixture *fx = *state;
	struct virtq *q = ready_queue(fx, false);
	struct virtq_chain *c = malloc(sizeof(*c));

	/* A head beyond the table breaks the queue. */
	desc(fx, DESC, 0, DATA, 8, 0, 0);
	offer(fx, QSIZE, QSIZE);
	assert_int_equal(virtq_pop(q, c), -EIO);
	assert_true(q->broken);
	assert_int_equal(virtq_pop(q, c), -EIO);
	assert_int_equal(virtq_push(q, 0, 0), -EIO);
	assert_int_equal(virtq_arm_notify(q), -EIO);
	/* So does an available index more than the queue size ahead. */
	q = ready_queue(fx, false);
	put16(fx, AVAIL + 2, QSIZE + 1);
	assert_int_equal(virtq_pop(q, c), -EIO);
	/* Exactly the queue size ahead is a full ring: fine. */
	q = ready_queue(fx, false);
	for (unsigned i = 0; i < QSIZE; i++)
		offer(fx, QSIZE, 0);
	for (unsigned i = 0; i < QSIZE; i++)
		assert_int_equal(virtq_pop(q, c), 1);
	assert_int_equal(virtq_pop(q, c), 0);
	/* A queue not ready has nothing. */
	virtq_reset(q);
	assert_int_equal(virtq_pop(q, c), 0);
	free(c);
}

/* --- virtio-blk over the transport ------------------------------------ */

#define IMG_SECTORS 256

static void blk_start(struct fixture *fx, bool ro, uint32_t feat_lo)
{
	struct disk *d;
	char why[256];
	uint8_t pattern[IMG_SECTORS * 512];
	int fd;

	strcpy(fx->image, "/tmp/test_virtio_XXXXXX");
	fd = mkstemp(fx->image);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i / 512 + i);
	assert_int_equal(write(fd, pattern, sizeof(pattern)),
			 (ssize_t)sizeof(pattern));
	close(fd);
	assert_int_equal(disk_open(fx->image, ro, &d, why, sizeof(why)), 0);
	assert_int_equal(virtio_blk_create(d, "memvisor-test", &fx->gs,
					   &fx->irq.chip, 1, &fx->blk),
			 0);
	struct virtio_mmio *t = virtio_blk_transport(fx->blk);
	assert_int_equal(rd(t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_BLOCK);
	assert_int_equal(negotiate(t, feat_lo, FEAT_HI_V1), OK_STATUS);
	wr(t, VIRTIO_MMIO_STATUS, OK_STATUS | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(setup_queue(t, 0, QSIZE, DESC, AVAIL, USED), 1);
	fx->avail_idx = 0;
}

/* Wait until the used index reaches idx (the worker's thread). */
static void blk_wait(struct fixture *fx, uint16_t idx)
{
	for (int i = 0; i < 5000 && get16(fx, USED + 2) != idx; i++)
		usleep(1000);
	assert_int_equal(get16(fx, USED + 2), idx);
}

struct req_hdr {
	uint32_t type, reserved;
	uint64_t sector;
};

/*
 * Submit one request: header at DATA, len bytes of data at DATA + 0x1000
 * (device-writable when in), status at DATA + 0x800. Returns the status
 * byte; *used_len gets the used length.
 */
static uint8_t blk_req(struct fixture *fx, uint32_t type, uint64_t sector,
		       uint32_t len, bool in, uint32_t *used_len)
{
	struct virtio_mmio *t = virtio_blk_transport(fx->blk);
	struct req_hdr h = {type, 0, sector};
	uint16_t idx = fx->avail_idx;
	uint32_t used[2];
	uint8_t status = 0xee;

	gmem_write(&fx->gs, DATA, &h, sizeof(h));
	gmem_write(&fx->gs, DATA + 0x800, &status, 1);
	desc(fx, DESC, 0, DATA, 16, VIRTQ_DESC_F_NEXT, len ? 1 : 2);
	desc(fx, DESC, 1, DATA + 0x1000, len,
	     VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), 2);
	desc(fx, DESC, 2, DATA + 0x800, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(fx, QSIZE, 0);
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	blk_wait(fx, (uint16_t)(idx + 1));
	gmem_read(&fx->gs, USED + 4 + 8 * (idx % QSIZE), used, 8);
	assert_int_equal(used[0], 0);
	if (used_len)
		*used_len = used[1];
	gmem_read(&fx->gs, DATA + 0x800, &status, 1);
	return status;
}

static void test_blk_config(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t;
	uint64_t v;

	blk_start(fx, false, 0);
	t = virtio_blk_transport(fx->blk);
	assert_int_equal(virtio_mmio_ops.read(t, 0x100, 8, &v), 0);
	assert_int_equal(v, IMG_SECTORS);
	assert_int_equal(virtio_mmio_ops.read(t, 0x100 + 12, 4, &v), 0);
	assert_int_equal(v, VIRTQ_CHAIN_MAX - 2); /* seg_max */
	assert_int_equal(virtio_mmio_ops.read(t, 0x100 + 20, 4, &v), 0);
	assert_int_equal(v, 512); /* blk_size */
	assert_int_equal(virtio_mmio_ops.read(t, 0x100 + 40, 4, &v), 0);
	assert_int_equal(v, VIRTIO_BLK_DISCARD_SEGS);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	v = rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
	assert_true(v & (1u << VIRTIO_BLK_F_FLUSH));
	assert_true(v & (1u << VIRTIO_BLK_F_DISCARD));
	assert_false(v & (1u << VIRTIO_BLK_F_RO));
}

static void test_blk_read_write(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[4096], back[4096];
	uint32_t used;

	blk_start(fx, false, 1u << VIRTIO_BLK_F_FLUSH);
	/* Read sector 3..10: the image's pattern. */
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 3, 4096, true, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 4097);
	gmem_read(&fx->gs, DATA + 0x1000, back, sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], (uint8_t)(i / 512 + 3 + 3 * 512 + i));
	/* Write sectors 100.., read them back. */
	for (unsigned i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7);
	gmem_write(&fx->gs, DATA + 0x1000, buf, sizeof(buf));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_OUT, 100, 4096, false, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 1);
	gmem_fill(&fx->gs, DATA + 0x1000, 0, sizeof(buf));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 100, 4096, true, NULL),
			 VIRTIO_BLK_S_OK);
	gmem_read(&fx->gs, DATA + 0x1000, back, sizeof(back));
	assert_memory_equal(back, buf, sizeof(buf));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_FLUSH, 0, 0, false, NULL),
			 VIRTIO_BLK_S_OK);
	/* The driver got interrupts, on the device's line. */
	assert_true(fx->irq.raises >= 1);
	/* GET_ID: the serial. */
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_GET_ID, 0, 20, true, &used),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(used, 21);
	gmem_read(&fx->gs, DATA + 0x1000, back, 20);
	assert_memory_equal(back, "memvisor-test\0\0\0\0\0\0", 20);
	/* Discard: reads back as zeros. */
	struct {
		uint64_t sector;
		uint32_t num, flags;
	} seg = {8, 16, 0};
	gmem_write(&fx->gs, DATA + 0x1000, &seg, sizeof(seg));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
			 VIRTIO_BLK_S_OK);
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 8, 4096, true, NULL),
			 VIRTIO_BLK_S_OK);
	gmem_read(&fx->gs, DATA + 0x1000, back, sizeof(back));
	memset(buf, 0, sizeof(buf));
	assert_memory_equal(back, buf, sizeof(buf));
}

static void test_blk_bad_requests(void **state)
{
	struct fixture *fx = *state;
	struct virtio_blk_stats st;
	uint32_t used;

	blk_start(fx, false, 0);
	/* Beyond the disk, across its end, sector near 2^64. */
	assert_int_equal(
	    blk_req(fx, VIRTIO_BLK_T_IN, IMG_SECTORS, 512, true, NULL),
	    VIRTIO_BLK_S_IOERR);
	assert_int_equal(
	    blk_req(fx, VIRTIO_BLK_T_OUT, IMG_SECTORS - 1, 1024, false, NULL),
	    VIRTIO_BLK_S_IOERR);
	assert_int_equal(
	    blk_req(fx, VIRTIO_BLK_T_IN, ~0ull >> 1, 512, true, NULL),
	    VIRTIO_BLK_S_IOERR);
	/* Not whole sectors; an unknown type; a discard with bad flags. */
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 0, 100, true, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(fx, 99, 0, 0, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	struct {
		uint64_t sector;
		uint32_t num, flags;
	} seg = {0, 8, 2};
	gmem_write(&fx->gs, DATA + 0x1000, &seg, sizeof(seg));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_DISCARD, 0, 16, false, NULL),
			 VIRTIO_BLK_S_UNSUPP);
	/* A chain without a status byte: failed with nothing written. */
	desc(fx, DESC, 4, DATA, 16, 0, 0);
	offer(fx, QSIZE, 4);
	wr(virtio_blk_transport(fx->blk), VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	blk_wait(fx, fx->avail_idx);
	gmem_read(&fx->gs, USED + 4 + 8 * ((fx->avail_idx - 1) % QSIZE) + 4,
		  &used, 4);
	assert_int_equal(used, 0);
	/* A looping chain: failed, and the device goes on. */
	desc(fx, DESC, 4, DATA, 16, VIRTQ_DESC_F_NEXT, 4);
	offer(fx, QSIZE, 4);
	wr(virtio_blk_transport(fx->blk), VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	blk_wait(fx, fx->avail_idx);
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
	virtio_blk_get_stats(fx->blk, &st);
	assert_int_equal(st.malformed, 2);
	assert_int_equal(st.failed, 6);
	assert_int_equal(rd(virtio_blk_transport(fx->blk), VIRTIO_MMIO_STATUS) &
			     VIRTIO_STATUS_DEVICE_NEEDS_RESET,
			 0);
}

static void test_blk_broken_ring(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t;

	blk_start(fx, false, 0);
	t = virtio_blk_transport(fx->blk);
	put16(fx, AVAIL + 2, 1000); /* far ahead of anything offered */
	wr(t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (int i = 0; i < 5000 && !(rd(t, VIRTIO_MMIO_STATUS) &
				      VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	     i++)
		usleep(1000);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS) &
			     VIRTIO_STATUS_DEVICE_NEEDS_RESET,
			 VIRTIO_STATUS_DEVICE_NEEDS_RESET);
	assert_true(rd(t, VIRTIO_MMIO_INTERRUPT_STATUS) & VIRTIO_INT_CONFIG);
	assert_int_equal(get16(fx, USED + 2), 0);
	/* A reset brings it back. */
	wr(t, VIRTIO_MMIO_STATUS, 0);
	assert_int_equal(rd(t, VIRTIO_MMIO_STATUS), 0);
	assert_int_equal(negotiate(t, 0, FEAT_HI_V1), OK_STATUS);
	put16(fx, AVAIL + 2, 0);
	assert_int_equal(setup_queue(t, 0, QSIZE, DESC, AVAIL, USED), 1);
	fx->avail_idx = 0;
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

static void test_blk_read_only(void **state)
{
	struct fixture *fx = *state;
	struct virtio_mmio *t;

	blk_start(fx, true, 1u << VIRTIO_BLK_F_RO);
	t = virtio_blk_transport(fx->blk);
	wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	assert_true(rd(t, VIRTIO_MMIO_DEVICE_FEATURES) &
		    (1u << VIRTIO_BLK_F_RO));
	assert_false(rd(t, VIRTIO_MMIO_DEVICE_FEATURES) &
		     (1u << VIRTIO_BLK_F_DISCARD));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_OUT, 0, 512, false, NULL),
			 VIRTIO_BLK_S_IOERR);
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_IN, 0, 512, true, NULL),
			 VIRTIO_BLK_S_OK);
}

/* A clone's device carries on with the queue and its own disk. */
static void test_blk_clone(void **state)
{
	struct fixture *fx = *state;
	struct virtio_blk *c;
	struct gstage gs2;
	uint8_t one[512], two[512];
	struct virtio_blk_stats st;

	blk_start(fx, false, 0);
	memset(one, 1, sizeof(one));
	gmem_write(&fx->gs, DATA + 0x1000, one, sizeof(one));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_OUT, 5, 512, false, NULL),
			 VIRTIO_BLK_S_OK);

	virtio_blk_freeze(fx->blk);
	assert_int_equal(gstage_clone(&gs2, &fx->gs, 1), 0);
	assert_int_equal(virtio_blk_clone(fx->blk, &gs2, NULL, 1, &c), 0);
	virtio_blk_thaw(fx->blk);

	/* The parent writes 2s to sector 5; the clone still reads 1s. */
	memset(two, 2, sizeof(two));
	gmem_write(&fx->gs, DATA + 0x1000, two, sizeof(two));
	assert_int_equal(blk_req(fx, VIRTIO_BLK_T_OUT, 5, 512, false, NULL),
			 VIRTIO_BLK_S_OK);
	/* Drive the clone on its own memory: its ring is where the
	 * parent's was at the clone. */
	struct req_hdr h = {VIRTIO_BLK_T_IN, 0, 5};
	uint8_t back[512];
	uint16_t v;

	gmem_write(&gs2, DATA, &h, sizeof(h));
	{
		struct {
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
		} d[3] = {{DATA, 16, VIRTQ_DESC_F_NEXT, 1},
			  {DATA + 0x1000, 512,
			   VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2},
			  {DATA + 0x800, 1, VIRTQ_DESC_F_WRITE, 0}};
		uint16_t cidx;

		gmem_write(&gs2, DESC, d, sizeof(d));
		gmem_read(&gs2, AVAIL + 2, &cidx, 2);
		v = 0;
		gmem_write(&gs2, AVAIL + 4 + 2 * (cidx % QSIZE), &v, 2);
		cidx++;
		gmem_write(&gs2, AVAIL + 2, &cidx, 2);
		wr(virtio_blk_transport(c), VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		for (int i = 0; i < 5000; i++) {
			gmem_read(&gs2, USED + 2, &v, 2);
			if (v == cidx)
				break;
			usleep(1000);
		}
		assert_int_equal(v, cidx);
	}
	gmem_read(&gs2, DATA + 0x1000, back, sizeof(back));
	assert_memory_equal(back, one, sizeof(back));
	virtio_blk_get_stats(c, &st);
	assert_int_equal(st.disk.own_bytes, 0);
	assert_int_equal(st.disk.depth, 2);
	virtio_blk_get_stats(fx->blk, &st);
	assert_int_equal(st.disk.own_bytes, DISK_BLOCK);
	virtio_blk_destroy(c);
	gstage_destroy(&gs2);
}

int main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_identity_registers), T(test_features_negotiation),
	    T(test_queue_setup),	T(test_queue_setup_malformed),
	    T(test_chain_read_write),	T(test_indirect),
	    T(test_event_idx),		T(test_malformed_chains),
	    T(test_malformed_rings),	T(test_blk_config),
	    T(test_blk_read_write),	T(test_blk_bad_requests),
	    T(test_blk_broken_ring),	T(test_blk_read_only),
	    T(test_blk_clone),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
