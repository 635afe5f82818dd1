/* SPDX-License-Identifier: MIT */
#include "dev/virtio/rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

struct virtio_rng {
	struct virtio_mmio t;
	/* Under the queues lock. */
	struct virtq_chain chain;
	uint8_t buf[VIRTIO_RNG_REQ_MAX];
	_Atomic uint64_t requests, bytes, malformed;
};

static uint64_t rng_features(void *dev)
{
	(void)dev;
	return 0;
}

static int rng_config_read(void *dev, uint64_t off, unsigned size,
			   uint64_t *val)
{
	(void)dev, (void)off, (void)size, (void)val;
	return -EFAULT; /* no configuration space */
}

/* Fill the request in r->chain: the used length. */
static uint32_t rng_fill(struct virtio_rng *r, struct virtq *q)
{
	size_t len = r->chain.in_len < VIRTIO_RNG_REQ_MAX ? r->chain.in_len
							  : VIRTIO_RNG_REQ_MAX;
	size_t got = 0;

	while (got < len) {
		ssize_t n = getrandom(r->buf + got, len - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)n;
	}
	if (!got ||
	    virtq_chain_write(q, &r->chain, 0, r->buf, got) != (long)got) {
		r->malformed++;
		return 0;
	}
	r->requests++;
	r->bytes += got;
	return (uint32_t)got;
}

/* Serve every waiting request. Under the queues lock. False: the queue
 * broke. */
static bool rng_serve(struct virtio_rng *r)
{
	struct virtq *q = virtio_mmio_queue(&r->t, 0);

	for (;;) {
		int e = virtq_pop(q, &r->chain);
		uint32_t len = 0;

		if (e == 0) {
			virtio_mmio_used(&r->t, 0);
			e = virtq_arm_notify(q);
			if (e == 1)
				continue;
			return e == 0;
		}
		if (e == -EIO)
			return false;
		if (e == 1)
			len = rng_fill(r, q);
		else
			r->malformed++;
		if (virtq_push(q, r->chain.head, len))
			return false;
	}
}

static void rng_run(struct virtio_rng *r)
{
	virtio_mmio_queues_lock(&r->t);
	if (!rng_serve(r))
		virtio_mmio_fail(&r->t);
	virtio_mmio_queues_unlock(&r->t);
}

static void rng_notify(void *dev, unsigned queue)
{
	(void)queue;
	rng_run(dev);
}

static const struct virtio_dev_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .nqueues = 1,
    .queue_max = VIRTIO_RNG_QUEUE_SIZE,
    .features = rng_features,
    .config_read = rng_config_read,
    .notify = rng_notify,
};

int virtio_rng_create(struct gstage *gs, struct irq_chip *chip, unsigned line,
		      struct virtio_rng **out)
{
	struct virtio_rng *r = calloc(1, sizeof(*r));
	int e;

	if (!r)
		return -ENOMEM;
	e = virtio_mmio_init(&r->t, &rng_ops, r, gs, chip, line);
	if (e) {
		free(r);
		return e;
	}
	*out = r;
	return 0;
}

void virtio_rng_destroy(struct virtio_rng *r)
{
	if (!r)
		return;
	virtio_mmio_destroy(&r->t);
	free(r);
}

struct virtio_mmio *virtio_rng_transport(struct virtio_rng *r)
{
	return &r->t;
}

void virtio_rng_freeze(struct virtio_rng *r)
{
	virtio_mmio_freeze(&r->t);
}

void virtio_rng_thaw(struct virtio_rng *r)
{
	virtio_mmio_thaw(&r->t);
}

int virtio_rng_clone(struct virtio_rng *src, struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_rng **out)
{
	struct virtio_rng *c;
	int e = virtio_rng_create(gs, chip, line, &c);

	if (e)
		return e;
	virtio_mmio_copy_state(&c->t, &src->t);
	if (virtq_has_avail(virtio_mmio_queue(&c->t, 0)))
		rng_run(c);
	*out = c;
	return 0;
}

void virtio_rng_get_stats(struct virtio_rng *r, struct virtio_rng_stats *st)
{
	st->requests = atomic_load(&r->requests);
	st->bytes = atomic_load(&r->bytes);
	st->malformed = atomic_load(&r->malformed);
	st->notifies = atomic_load(&r->t.notifies);
	st->interrupts = atomic_load(&r->t.interrupts);
}
