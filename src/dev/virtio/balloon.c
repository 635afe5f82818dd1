/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon. A batch takes what the driver queued (under the queues
 * lock), hands the pages to the backend (without it: the backend waits for
 * the harts, and a hart may be waiting for the queues lock on a register
 * write), then completes the requests (under the lock again, unless the
 * driver reset the device meanwhile: it forgot them). The flight lock,
 * held across all of it, is what a clone's freeze waits for.
 */
#include "dev/virtio/balloon.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/worker.h"

#define BIT(n) (1ull << (n))

#define BALLOON_PAGE	  (1ull << VIRTIO_BALLOON_PFN_SHIFT)
#define BALLOON_NQUEUES	  3
#define BALLOON_MAX_REQS  (BALLOON_NQUEUES * VIRTIO_BALLOON_QUEUE_SIZE)
#define BALLOON_MAX_RANGE (2 * VIRTIO_BALLOON_BATCH_PAGES)

/* The configuration space (virtio spec, "Device configuration layout" of
 * the traditional memory balloon device). */
struct balloon_config {
	uint32_t num_pages;
	uint32_t actual;
	uint32_t free_page_hint_cmd_id;
	uint32_t poison_val;
};

/* A request taken in this batch, to complete after the backend ran. */
struct balloon_req {
	uint16_t head;
	uint8_t queue;
};

struct virtio_balloon {
	struct virtio_mmio t;
	_Atomic uint32_t num_pages, actual;
	const struct virtio_balloon_backend_ops *be_ops;
	void *be;

	struct virtio_worker worker;
	pthread_mutex_t flight; /* a batch in flight; freeze waits for it */
	uint64_t resets;	/* under the queues lock */

	/* The worker's own. */
	struct virtq_chain chain;
	struct balloon_req req[BALLOON_MAX_REQS];
	unsigned nreq;
	struct gstage_range *range; /* BALLOON_MAX_RANGE, on first use */
	size_t nrange;
	uint32_t pfn[VIRTIO_BALLOON_BATCH_PAGES];

	_Atomic uint64_t inflated, deflated, reported, released, malformed;
};

static uint64_t balloon_features(void *dev)
{
	(void)dev;
	return BIT(VIRTIO_BALLOON_F_DEFLATE_ON_OOM) |
	       BIT(VIRTIO_BALLOON_F_REPORTING);
}

static int balloon_config_read(void *dev, uint64_t off, unsigned size,
			       uint64_t *val)
{
	struct virtio_balloon *b = dev;
	struct balloon_config c = {
	    .num_pages = atomic_load(&b->num_pages),
	    .actual = atomic_load(&b->actual),
	};
	uint64_t v = 0;

	if (off > sizeof(c) || size > sizeof(c) - off)
		return -EFAULT;
	memcpy(&v, (const uint8_t *)&c + off, size);
	*val = v;
	return 0;
}

/* The driver writes actual; the rest is the device's. */
static int balloon_config_write(void *dev, uint64_t off, unsigned size,
				uint64_t val)
{
	struct virtio_balloon *b = dev;

	if (off >= sizeof(struct balloon_config) ||
	    size > sizeof(struct balloon_config) - off)
		return -EFAULT;
	if (off == offsetof(struct balloon_config, actual) && size == 4)
		atomic_store(&b->actual, (uint32_t)val);
	return 0;
}

static void balloon_notify(void *dev, unsigned queue)
{
	struct virtio_balloon *b = dev;

	(void)queue;
	virtio_worker_kick(&b->worker);
}

/* Device reset, queues lock held: requests taken before are forgotten. */
static void balloon_reset(void *dev)
{
	struct virtio_balloon *b = dev;

	b->resets++;
	atomic_store(&b->actual, 0);
}

static const struct virtio_dev_ops balloon_ops = {
    .name = "virtio-balloon",
    .device_id = VIRTIO_ID_BALLOON,
    .nqueues = BALLOON_NQUEUES,
    .queue_max = VIRTIO_BALLOON_QUEUE_SIZE,
    .features = balloon_features,
    .config_read = balloon_config_read,
    .config_write = balloon_config_write,
    .notify = balloon_notify,
    .reset = balloon_reset,
};

/* Add [gpa, gpa + pages * 4 KiB) to the batch's ranges, joined to the
 * last one when it follows it. */
static void balloon_add_range(struct virtio_balloon *b, uint64_t gpa,
			      uint64_t pages)
{
	struct gstage_range *last = b->nrange ? &b->range[b->nrange - 1] : NULL;

	if (last && last->gpa + last->npages * BALLOON_PAGE == gpa) {
		last->npages += pages;
		return;
	}
	b->range[b->nrange++] =
	    (struct gstage_range){.gpa = gpa, .npages = pages};
}

/* An inflate request in b->chain: its page frame numbers, as many as
 * there is room for in this batch. */
static void balloon_inflate(struct virtio_balloon *b, struct virtq *q)
{
	uint64_t n = b->chain.out_len / sizeof(uint32_t);
	size_t room = BALLOON_MAX_RANGE - b->nrange;

	if (n > VIRTIO_BALLOON_BATCH_PAGES)
		n = VIRTIO_BALLOON_BATCH_PAGES;
	if (n > room)
		n = room;
	if (virtq_chain_read(q, &b->chain, 0, b->pfn, n * sizeof(uint32_t)) !=
	    (long)(n * sizeof(uint32_t))) {
		b->malformed++;
		return;
	}
	for (uint64_t i = 0; i < n; i++)
		balloon_add_range(
		    b, (uint64_t)b->pfn[i] << VIRTIO_BALLOON_PFN_SHIFT, 1);
	b->inflated += n;
}

/* A report in b->chain: each buffer is a run of free pages. */
static void balloon_report(struct virtio_balloon *b)
{
	for (unsigned i = 0; i < b->chain.n; i++) {
		const struct virtq_buf *buf = &b->chain.buf[i];

		if ((buf->gpa | buf->len) & (BALLOON_PAGE - 1) || !buf->len) {
			b->malformed++;
			continue;
		}
		balloon_add_range(b, buf->gpa, buf->len / BALLOON_PAGE);
		b->reported += buf->len / BALLOON_PAGE;
	}
}

/* Take the requests queue qi has, while the batch has room. Under the
 * queues lock. Returns false when the queue broke. */
static bool balloon_take(struct virtio_balloon *b, unsigned qi)
{
	struct virtq *q = virtio_mmio_queue(&b->t, qi);

	while (b->nreq < BALLOON_MAX_REQS &&
	       BALLOON_MAX_RANGE - b->nrange >= VIRTQ_CHAIN_MAX) {
		int r = virtq_pop(q, &b->chain);

		if (r == 0) {
			r = virtq_arm_notify(q);
			if (r == 1)
				continue;
			return r == 0;
		}
		if (r == -EIO)
			return false;
		if (r == -EINVAL)
			b->malformed++;
		else if (qi == VIRTIO_BALLOON_INFLATEQ)
			balloon_inflate(b, q);
		else if (qi == VIRTIO_BALLOON_DEFLATEQ)
			b->deflated += b->chain.out_len / sizeof(uint32_t);
		else
			balloon_report(b);
		b->req[b->nreq++] = (struct balloon_req){b->chain.head, qi};
	}
	return true;
}

/* Complete the batch's requests, unless resets moved since they were
 * taken. Under the queues lock. Returns false when a queue broke. */
static bool balloon_complete(struct virtio_balloon *b, uint64_t resets)
{
	bool used[BALLOON_NQUEUES] = {false};

	if (b->resets != resets)
		return true;
	for (unsigned i = 0; i < b->nreq; i++) {
		unsigned qi = b->req[i].queue;

		if (virtq_push(virtio_mmio_queue(&b->t, qi), b->req[i].head, 0))
			return false;
		used[qi] = true;
	}
	for (unsigned qi = 0; qi < BALLOON_NQUEUES; qi++)
		if (used[qi])
			virtio_mmio_used(&b->t, qi);
	return true;
}

/* One pass: take, discard, complete. Returns whether it took anything. */
static bool balloon_pass(struct virtio_balloon *b)
{
	bool ok = true;
	uint64_t resets;
	unsigned taken;

	b->nreq = 0;
	b->nrange = 0;
	virtio_mmio_queues_lock(&b->t);
	for (unsigned qi = 0; qi < BALLOON_NQUEUES && ok; qi++)
		ok = balloon_take(b, qi);
	resets = b->resets;
	virtio_mmio_queues_unlock(&b->t);
	taken = b->nreq;

	if (b->nrange && b->be_ops)
		b->released += b->be_ops->discard(b->be, b->range, b->nrange);

	virtio_mmio_queues_lock(&b->t);
	if (!balloon_complete(b, resets))
		ok = false;
	virtio_mmio_queues_unlock(&b->t);
	if (!ok)
		virtio_mmio_fail(&b->t);
	return ok && taken;
}

/* The worker's batch. */
static void balloon_batch(void *dev)
{
	struct virtio_balloon *b = dev;

	pthread_mutex_lock(&b->flight);
	if (!b->range) {
		b->range = malloc(BALLOON_MAX_RANGE * sizeof(*b->range));
		if (!b->range) {
			pthread_mutex_unlock(&b->flight);
			virtio_mmio_fail(&b->t);
			return;
		}
	}
	while (balloon_pass(b))
		;
	pthread_mutex_unlock(&b->flight);
}

int virtio_balloon_create(struct gstage *gs, struct irq_chip *chip,
			  unsigned line,
			  const struct virtio_balloon_backend_ops *ops,
			  void *be, struct virtio_balloon **out)
{
	struct virtio_balloon *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->be_ops = ops;
	b->be = be;
	r = virtio_mmio_init(&b->t, &balloon_ops, b, gs, chip, line);
	if (r)
		goto err_free;
	r = virtio_worker_init(&b->worker, &b->t, balloon_batch, b);
	if (r)
		goto err_mmio;
	r = -pthread_mutex_init(&b->flight, NULL);
	if (r)
		goto err_worker;
	*out = b;
	return 0;

err_worker:
	virtio_worker_destroy(&b->worker);
err_mmio:
	virtio_mmio_destroy(&b->t);
err_free:
	free(b);
	return r;
}

void virtio_balloon_destroy(struct virtio_balloon *b)
{
	if (!b)
		return;
	virtio_worker_destroy(&b->worker);
	pthread_mutex_destroy(&b->flight);
	virtio_mmio_destroy(&b->t);
	free(b->range);
	free(b);
}

struct virtio_mmio *virtio_balloon_transport(struct virtio_balloon *b)
{
	return &b->t;
}

void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t pages)
{
	atomic_store(&b->num_pages, pages);
	if (__atomic_load_n(&b->t.status, __ATOMIC_RELAXED) &
	    VIRTIO_STATUS_DRIVER_OK)
		virtio_mmio_config_changed(&b->t);
}

void virtio_balloon_freeze(struct virtio_balloon *b)
{
	pthread_mutex_lock(&b->flight);
	virtio_mmio_freeze(&b->t);
}

void virtio_balloon_thaw(struct virtio_balloon *b)
{
	virtio_mmio_thaw(&b->t);
	pthread_mutex_unlock(&b->flight);
}

int virtio_balloon_clone(struct virtio_balloon *src, struct gstage *gs,
			 struct irq_chip *chip, unsigned line,
			 const struct virtio_balloon_backend_ops *ops, void *be,
			 struct virtio_balloon **out)
{
	struct virtio_balloon *c;
	int r = virtio_balloon_create(gs, chip, line, ops, be, &c);
	bool waiting = false;

	if (r)
		return r;
	atomic_store(&c->num_pages, atomic_load(&src->num_pages));
	atomic_store(&c->actual, atomic_load(&src->actual));
	virtio_mmio_copy_state(&c->t, &src->t);
	for (unsigned qi = 0; qi < BALLOON_NQUEUES; qi++)
		waiting |= virtq_has_avail(virtio_mmio_queue(&c->t, qi));
	if (waiting)
		virtio_worker_kick(&c->worker);
	*out = c;
	return 0;
}

void virtio_balloon_get_stats(struct virtio_balloon *b,
			      struct virtio_balloon_stats *st)
{
	st->target_pages = atomic_load(&b->num_pages);
	st->actual_pages = atomic_load(&b->actual);
	st->inflated = atomic_load(&b->inflated);
	st->deflated = atomic_load(&b->deflated);
	st->reported = atomic_load(&b->reported);
	st->released = atomic_load(&b->released);
	st->malformed = atomic_load(&b->malformed);
	st->notifies = atomic_load(&b->t.notifies);
	st->interrupts = atomic_load(&b->t.interrupts);
}
