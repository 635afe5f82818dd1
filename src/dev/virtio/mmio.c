/* SPDX-License-Identifier: MIT */
/*
 * The virtio-mmio transport. Register values come from the guest and are
 * untrusted: queue setups are checked when the driver makes a queue ready
 * (virtq_enable()), features when it sets FEATURES_OK.
 */
#include "dev/virtio/mmio.h"

#include <errno.h>
#include <string.h>

#define BIT(n) (1ull << (n))

/* What the transport itself offers, on top of the device's features. */
#define TRANSPORT_FEATURES                                                     \
	(BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_F_INDIRECT_DESC) |               \
	 BIT(VIRTIO_F_RING_EVENT_IDX))

static uint64_t mmio_offered(struct virtio_mmio *t)
{
	return t->ops->features(t->dev) | TRANSPORT_FEATURES;
}

/* Set bits into InterruptStatus and raise the line. */
static void mmio_interrupt(struct virtio_mmio *t, uint32_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->isr |= bits;
	irq_set(t->chip, t->line, true);
	pthread_mutex_unlock(&t->irq_lock);
	atomic_fetch_add(&t->interrupts, 1);
}

static void mmio_ack(struct virtio_mmio *t, uint32_t bits)
{
	pthread_mutex_lock(&t->irq_lock);
	t->isr &= ~bits;
	if (!t->isr)
		irq_set(t->chip, t->line, false);
	pthread_mutex_unlock(&t->irq_lock);
}

static uint32_t mmio_isr(struct virtio_mmio *t)
{
	uint32_t v;

	pthread_mutex_lock(&t->irq_lock);
	v = t->isr;
	pthread_mutex_unlock(&t->irq_lock);
	return v;
}

int virtio_mmio_init(struct virtio_mmio *t, const struct virtio_dev_ops *ops,
		     void *dev, struct gstage *gs, struct irq_chip *chip,
		     unsigned line)
{
	if (!ops->nqueues || ops->nqueues > VIRTIO_MMIO_MAX_QUEUES ||
	    !ops->queue_max || (ops->queue_max & (ops->queue_max - 1)) ||
	    !ops->features || !ops->config_read || !ops->notify)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	t->ops = ops;
	t->dev = dev;
	t->gs = gs;
	t->chip = chip;
	t->line = line;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->qlock, NULL);
	pthread_mutex_init(&t->irq_lock, NULL);
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		t->vq[i].gs = gs;
	return 0;
}

void virtio_mmio_set_irq(struct virtio_mmio *t, struct irq_chip *chip,
			 unsigned line)
{
	pthread_mutex_lock(&t->irq_lock);
	t->chip = chip;
	t->line = line;
	pthread_mutex_unlock(&t->irq_lock);
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	mmio_ack(t, ~0u);
	pthread_mutex_destroy(&t->irq_lock);
	pthread_mutex_destroy(&t->qlock);
	pthread_mutex_destroy(&t->lock);
}

void virtio_mmio_queues_lock(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->qlock);
}

void virtio_mmio_queues_unlock(struct virtio_mmio *t)
{
	pthread_mutex_unlock(&t->qlock);
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned i)
{
	if (virtq_should_interrupt(&t->vq[i]))
		mmio_interrupt(t, VIRTIO_INT_USED);
}

void virtio_mmio_fail(struct virtio_mmio *t)
{
	if (atomic_exchange(&t->needs_reset, true))
		return;
	/* Read without t->lock: a stale DRIVER_OK only costs or saves one
	 * configuration interrupt, which the driver tolerates. */
	if (__atomic_load_n(&t->status, __ATOMIC_RELAXED) &
	    VIRTIO_STATUS_DRIVER_OK)
		mmio_interrupt(t, VIRTIO_INT_CONFIG);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	t->config_generation++;
	pthread_mutex_unlock(&t->lock);
	mmio_interrupt(t, VIRTIO_INT_CONFIG);
}

bool virtio_mmio_has_feature(struct virtio_mmio *t, unsigned bit)
{
	return bit < 64 && (t->driver_features & BIT(bit));
}

/* Status 0: back to the state after power-on. Under t->lock. */
static void mmio_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->qlock);
	if (t->ops->reset)
		t->ops->reset(t->dev);
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++)
		virtq_reset(&t->vq[i]);
	pthread_mutex_unlock(&t->qlock);
	__atomic_store_n(&t->status, 0, __ATOMIC_RELAXED);
	atomic_store(&t->needs_reset, false);
	t->dev_features_sel = t->drv_features_sel = t->queue_sel = 0;
	t->driver_features = 0;
	mmio_ack(t, ~0u);
}

/* The driver wrote Status. Under t->lock. */
static void mmio_set_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = t->status;

	if (!v) {
		mmio_reset(t);
		return;
	}
	v &= 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
	if ((v & VIRTIO_STATUS_FEATURES_OK) &&
	    !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* Only what was offered, and version 1: else FEATURES_OK
		 * does not stick and the driver sees it failed. */
		if ((t->driver_features & ~mmio_offered(t)) ||
		    !(t->driver_features & BIT(VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	__atomic_store_n(&t->status, v, __ATOMIC_RELAXED);
}

static struct virtq *mmio_selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->ops->nqueues ? &t->vq[t->queue_sel] : NULL;
}

/* QueueReady written. Under t->lock. */
static void mmio_queue_ready(struct virtio_mmio *t, struct virtq *q, uint32_t v)
{
	bool fail = false;

	pthread_mutex_lock(&t->qlock);
	if (v && !q->ready) {
		q->event_idx =
		    t->driver_features & BIT(VIRTIO_F_RING_EVENT_IDX);
		fail = virtq_enable(q, t->ops->queue_max) != 0;
	} else if (!v) {
		q->ready = false;
	}
	pthread_mutex_unlock(&t->qlock);
	if (fail)
		virtio_mmio_fail(t);
}

/* A 64-bit queue address written half by half, while not ready. */
static void mmio_set_half(uint64_t *addr, bool high, uint32_t v)
{
	if (high)
		*addr = (*addr & 0xffffffffull) | ((uint64_t)v << 32);
	else
		*addr = (*addr & ~0xffffffffull) | v;
}

static int mmio_write_queue(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtq *q = mmio_selected(t);

	if (!q)
		return 0;
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		mmio_queue_ready(t, q, v);
		return 0;
	}
	/* The spec forbids changing a queue in use: ignore it. */
	if (q->ready)
		return 0;
	pthread_mutex_lock(&t->qlock);
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Kept as written (truncated to 16 bits only if it fits
		 * them); checked when the queue is made ready. */
		q->size = v <= 0xffff ? (uint16_t)v : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		mmio_set_half(&q->desc, off == VIRTIO_MMIO_QUEUE_DESC_HIGH, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		mmio_set_half(&q->avail, off == VIRTIO_MMIO_QUEUE_DRIVER_HIGH,
			      v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		mmio_set_half(&q->used, off == VIRTIO_MMIO_QUEUE_DEVICE_HIGH,
			      v);
		break;
	}
	pthread_mutex_unlock(&t->qlock);
	return 0;
}

static int mmio_write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = v;
		return 0;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = v;
		return 0;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Fixed once FEATURES_OK is set. */
		if ((t->status & VIRTIO_STATUS_FEATURES_OK) ||
		    t->drv_features_sel > 1)
			return 0;
		mmio_set_half(&t->driver_features, t->drv_features_sel == 1, v);
		return 0;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		return 0;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		atomic_fetch_add(&t->notifies, 1);
		/* Notifies on a queue that does not exist or is not ready
		 * are dropped. */
		if (v < t->ops->nqueues && t->vq[v].ready &&
		    !atomic_load(&t->needs_reset))
			t->ops->notify(t->dev, v);
		return 0;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		mmio_ack(t, v);
		return 0;
	case VIRTIO_MMIO_STATUS:
		mmio_set_status(t, v);
		return 0;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return mmio_write_queue(t, off, v);
	}
	return 0; /* read-only and unknown registers ignore writes */
}

static uint32_t mmio_read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct virtq *q = mmio_selected(t);
	uint64_t f;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		f = mmio_offered(t);
		if (t->dev_features_sel > 1)
			return 0;
		return (uint32_t)(f >> (32 * t->dev_features_sel));
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_NUM:
		return q ? q->size : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return q ? q->ready : 0;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return q ? (uint32_t)q->desc : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return q ? (uint32_t)(q->desc >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
		return q ? (uint32_t)q->avail : 0;
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return q ? (uint32_t)(q->avail >> 32) : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
		return q ? (uint32_t)q->used : 0;
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return q ? (uint32_t)(q->used >> 32) : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return mmio_isr(t);
	case VIRTIO_MMIO_STATUS:
		return t->status | (atomic_load(&t->needs_reset)
					? VIRTIO_STATUS_DEVICE_NEEDS_RESET
					: 0);
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return t->config_generation;
	}
	return 0;
}

static int mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct virtio_mmio *t = dev;
	int r = 0;

	if (off >= VIRTIO_MMIO_CONFIG)
		return t->ops->config_read(t->dev, off - VIRTIO_MMIO_CONFIG,
					   size, val);
	/* Registers are 32 bits wide, read as such (virtio spec, MMIO
	 * device register layout). */
	if (size != 4 || (off & 3))
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	*val = mmio_read_reg(t, off);
	pthread_mutex_unlock(&t->lock);
	return r;
}

static int mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct virtio_mmio *t = dev;
	int r;

	if (off >= VIRTIO_MMIO_CONFIG)
		return t->ops->config_write
			   ? t->ops->config_write(
				 t->dev, off - VIRTIO_MMIO_CONFIG, size, val)
			   : 0;
	if (size != 4 || (off & 3))
		return -EFAULT;
	pthread_mutex_lock(&t->lock);
	r = mmio_write_reg(t, off, (uint32_t)val);
	pthread_mutex_unlock(&t->lock);
	return r;
}

const struct mmio_ops virtio_mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
};

void virtio_mmio_freeze(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	pthread_mutex_lock(&t->qlock);
}

void virtio_mmio_thaw(struct virtio_mmio *t)
{
	pthread_mutex_unlock(&t->qlock);
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_copy_state(struct virtio_mmio *dst, struct virtio_mmio *src)
{
	uint32_t isr;

	dst->status = src->status;
	atomic_store(&dst->needs_reset, atomic_load(&src->needs_reset));
	dst->dev_features_sel = src->dev_features_sel;
	dst->drv_features_sel = src->drv_features_sel;
	dst->queue_sel = src->queue_sel;
	dst->driver_features = src->driver_features;
	dst->config_generation = src->config_generation;
	for (unsigned i = 0; i < VIRTIO_MMIO_MAX_QUEUES; i++) {
		dst->vq[i] = src->vq[i];
		dst->vq[i].gs = dst->gs;
	}
	isr = mmio_isr(src);
	if (isr)
		mmio_interrupt(dst, isr);
}
