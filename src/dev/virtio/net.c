/* SPDX-License-Identifier: MIT */
/*
 * virtio-net. A transmitted packet is a chain of device-readable buffers:
 * the header, then the frame. A receive buffer is a chain of
 * device-writable ones, filled with a header and one frame (no merged
 * buffers: the driver posts buffers big enough for a frame of its MTU).
 * All of it is guest data: lengths are checked against the chain.
 */
#include "dev/virtio/net.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/worker.h"

#define BIT(n)		(1ull << (n))
#define INTERRUPT_EVERY 32 /* packets between interrupts in a long batch */

/* The configuration space (virtio spec, network device: "Device
 * configuration layout"), up to the fields of features we offer. */
struct net_config {
	uint8_t mac[VIRTIO_NET_MAC_LEN];
	uint16_t status;
	uint16_t max_virtqueue_pairs;
} __attribute__((packed));

/* A frame from the backend waiting for a receive buffer. */
struct net_frame {
	struct net_frame *next;
	size_t len;
	uint8_t data[];
};

struct virtio_net {
	struct virtio_mmio t;
	struct net_config config;

	/* Under the queues lock (the worker's): where frames go. */
	const struct virtio_net_backend_ops *be_ops;
	void *be;

	struct virtio_worker worker;
	pthread_mutex_t rxlock; /* the pending frames */
	struct net_frame *rx_head, **rx_tail;
	unsigned rx_count;

	/* The worker's own, from its first batch on. */
	struct virtq_chain *chain;
	uint8_t *bounce; /* VIRTIO_NET_FRAME_MAX */
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t rx_dropped, tx_dropped, malformed;
};

static uint64_t net_features(void *dev)
{
	(void)dev;
	return BIT(VIRTIO_NET_F_MAC) | BIT(VIRTIO_NET_F_STATUS);
}

static int net_config_read(void *dev, uint64_t off, unsigned size,
			   uint64_t *val)
{
	struct virtio_net *n = dev;
	uint64_t v = 0;

	if (off > sizeof(n->config) || size > sizeof(n->config) - off)
		return -EFAULT;
	memcpy(&v, (const uint8_t *)&n->config + off, size);
	*val = v;
	return 0;
}

static void net_notify(void *dev, unsigned queue)
{
	struct virtio_net *n = dev;

	(void)queue;
	virtio_worker_kick(&n->worker);
}

static const struct virtio_dev_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .nqueues = 2,
    .queue_max = VIRTIO_NET_QUEUE_SIZE,
    .features = net_features,
    .config_read = net_config_read,
    .notify = net_notify,
};

/* Send the packet in n->chain through the backend. */
static void net_tx_one(struct virtio_net *n, struct virtq *q)
{
	const struct virtq_chain *c = n->chain;
	size_t len;

	if (c->out_len <= VIRTIO_NET_HDR_LEN ||
	    c->out_len > VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX) {
		n->malformed++;
		return;
	}
	len = c->out_len - VIRTIO_NET_HDR_LEN;
	if (virtq_chain_read(q, c, VIRTIO_NET_HDR_LEN, n->bounce, len) !=
	    (long)len) {
		n->malformed++;
		return;
	}
	if (!n->be_ops || n->be_ops->send(n->be, n->bounce, len)) {
		n->tx_dropped++;
		return;
	}
	n->tx_packets++;
	n->tx_bytes += len;
}

/* Send everything the driver transmitted. Under the queues lock. Returns
 * false when the queue broke. */
static bool net_tx(struct virtio_net *n)
{
	struct virtq *q = virtio_mmio_queue(&n->t, VIRTIO_NET_TXQ);
	unsigned since_irq = 0;

	for (;;) {
		int r = virtq_pop(q, n->chain);

		if (r == 0) {
			virtio_mmio_used(&n->t, VIRTIO_NET_TXQ);
			r = virtq_arm_notify(q);
			if (r == 1)
				continue;
			return r == 0;
		}
		if (r == -EIO)
			return false;
		if (r == 1)
			net_tx_one(n, q);
		else
			n->malformed++;
		/* Transmit buffers are only read: used length 0. */
		if (virtq_push(q, n->chain->head, 0))
			return false;
		if (++since_irq == INTERRUPT_EVERY) {
			virtio_mmio_used(&n->t, VIRTIO_NET_TXQ);
			since_irq = 0;
		}
	}
}

/* The first waiting frame, taken off the list (NULL: none). */
static struct net_frame *net_rx_take(struct virtio_net *n)
{
	struct net_frame *f;

	pthread_mutex_lock(&n->rxlock);
	f = n->rx_head;
	if (f) {
		n->rx_head = f->next;
		if (!n->rx_head)
			n->rx_tail = &n->rx_head;
		n->rx_count--;
	}
	pthread_mutex_unlock(&n->rxlock);
	return f;
}

/* Put f back at the head: no buffer for it yet. */
static void net_rx_untake(struct virtio_net *n, struct net_frame *f)
{
	pthread_mutex_lock(&n->rxlock);
	f->next = n->rx_head;
	n->rx_head = f;
	if (!f->next)
		n->rx_tail = &f->next;
	n->rx_count++;
	pthread_mutex_unlock(&n->rxlock);
}

/* Fill n->chain with header + f; the used length, 0 if it does not fit. */
static uint32_t net_rx_one(struct virtio_net *n, struct virtq *q,
			   const struct net_frame *f)
{
	const struct virtq_chain *c = n->chain;
	struct virtio_net_hdr h = {.num_buffers = 1};

	if (c->in_len < VIRTIO_NET_HDR_LEN + f->len) {
		n->rx_dropped++;
		return 0;
	}
	if (virtq_chain_write(q, c, 0, &h, sizeof(h)) != sizeof(h) ||
	    virtq_chain_write(q, c, sizeof(h), f->data, f->len) !=
		(long)f->len) {
		n->malformed++;
		return 0;
	}
	n->rx_packets++;
	n->rx_bytes += f->len;
	return (uint32_t)(sizeof(h) + f->len);
}

/* Give the driver the waiting frames while it has buffers posted. Under
 * the queues lock. Returns false when the queue broke. */
static bool net_rx(struct virtio_net *n)
{
	struct virtq *q = virtio_mmio_queue(&n->t, VIRTIO_NET_RXQ);
	unsigned since_irq = 0;
	struct net_frame *f;
	bool ok = true;

	while ((f = net_rx_take(n))) {
		int r = virtq_pop(q, n->chain);
		uint32_t len = 0;

		if (r == 0) {
			r = virtq_arm_notify(q);
			if (r == 1) {
				net_rx_untake(n, f);
				continue;
			}
			/* No buffer: wait for the driver's notify. */
			net_rx_untake(n, f);
			ok = r == 0;
			break;
		}
		if (r == -EIO) {
			net_rx_untake(n, f);
			ok = false;
			break;
		}
		if (r == 1)
			len = net_rx_one(n, q, f);
		else
			n->malformed++;
		free(f);
		if (virtq_push(q, n->chain->head, len)) {
			ok = false;
			break;
		}
		if (++since_irq == INTERRUPT_EVERY) {
			virtio_mmio_used(&n->t, VIRTIO_NET_RXQ);
			since_irq = 0;
		}
	}
	virtio_mmio_used(&n->t, VIRTIO_NET_RXQ);
	return ok;
}

/* The worker's batch. */
static void net_batch(void *dev)
{
	struct virtio_net *n = dev;

	virtio_mmio_queues_lock(&n->t);
	if (virtio_worker_buffers(&n->chain, &n->bounce,
				  VIRTIO_NET_FRAME_MAX) ||
	    !net_tx(n) || !net_rx(n))
		virtio_mmio_fail(&n->t);
	virtio_mmio_queues_unlock(&n->t);
}

int virtio_net_create(const uint8_t mac[VIRTIO_NET_MAC_LEN], struct gstage *gs,
		      struct irq_chip *chip, unsigned line,
		      struct virtio_net **out)
{
	struct virtio_net *n = calloc(1, sizeof(*n));
	int r;

	if (!n)
		return -ENOMEM;
	memcpy(n->config.mac, mac, VIRTIO_NET_MAC_LEN);
	n->config.status = VIRTIO_NET_S_LINK_UP;
	n->config.max_virtqueue_pairs = 1;
	n->rx_tail = &n->rx_head;
	r = virtio_mmio_init(&n->t, &net_ops, n, gs, chip, line);
	if (r)
		goto err_free;
	r = virtio_worker_init(&n->worker, &n->t, net_batch, n);
	if (r)
		goto err_mmio;
	pthread_mutex_init(&n->rxlock, NULL);
	*out = n;
	return 0;

err_mmio:
	virtio_mmio_destroy(&n->t);
err_free:
	free(n);
	return r;
}

void virtio_net_attach(struct virtio_net *n,
		       const struct virtio_net_backend_ops *ops, void *be)
{
	virtio_mmio_queues_lock(&n->t);
	n->be_ops = ops;
	n->be = ops ? be : NULL;
	virtio_mmio_queues_unlock(&n->t);
}

int virtio_net_receive(struct virtio_net *n, const void *frame, size_t len)
{
	struct net_frame *f;

	if (!len || len > VIRTIO_NET_FRAME_MAX)
		goto drop;
	pthread_mutex_lock(&n->rxlock);
	if (n->rx_count >= VIRTIO_NET_RX_PENDING) {
		pthread_mutex_unlock(&n->rxlock);
		goto drop;
	}
	pthread_mutex_unlock(&n->rxlock);
	f = malloc(sizeof(*f) + len);
	if (!f)
		goto drop;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, frame, len);
	pthread_mutex_lock(&n->rxlock);
	*n->rx_tail = f;
	n->rx_tail = &f->next;
	n->rx_count++;
	pthread_mutex_unlock(&n->rxlock);
	virtio_worker_kick(&n->worker);
	return 0;

drop:
	n->rx_dropped++;
	return -ENOBUFS;
}

void virtio_net_destroy(struct virtio_net *n)
{
	struct net_frame *f;

	if (!n)
		return;
	virtio_worker_destroy(&n->worker);
	while ((f = n->rx_head)) {
		n->rx_head = f->next;
		free(f);
	}
	pthread_mutex_destroy(&n->rxlock);
	virtio_mmio_destroy(&n->t);
	free(n->chain);
	free(n->bounce);
	free(n);
}

struct virtio_mmio *virtio_net_transport(struct virtio_net *n)
{
	return &n->t;
}

void virtio_net_freeze(struct virtio_net *n)
{
	virtio_mmio_freeze(&n->t);
}

void virtio_net_thaw(struct virtio_net *n)
{
	virtio_mmio_thaw(&n->t);
}

int virtio_net_clone(struct virtio_net *src,
		     const uint8_t mac[VIRTIO_NET_MAC_LEN], struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_net **out)
{
	struct virtio_net *c;
	int r;

	r = virtio_net_create(mac, gs, chip, line, &c);
	if (r)
		return r;
	virtio_mmio_copy_state(&c->t, &src->t);
	/* Packets the parent had not sent yet are the clone's to send. */
	if (virtq_has_avail(virtio_mmio_queue(&c->t, VIRTIO_NET_TXQ)))
		virtio_worker_kick(&c->worker);
	*out = c;
	return 0;
}

void virtio_net_mac(struct virtio_net *n, uint8_t mac[VIRTIO_NET_MAC_LEN])
{
	memcpy(mac, n->config.mac, VIRTIO_NET_MAC_LEN);
}

void virtio_net_set_mac(struct virtio_net *n,
			const uint8_t mac[VIRTIO_NET_MAC_LEN])
{
	memcpy(n->config.mac, mac, VIRTIO_NET_MAC_LEN);
	/* A driver that is running is told (it may look again). */
	if (__atomic_load_n(&n->t.status, __ATOMIC_RELAXED) &
	    VIRTIO_STATUS_DRIVER_OK)
		virtio_mmio_config_changed(&n->t);
}

void virtio_net_get_stats(struct virtio_net *n, struct virtio_net_stats *st)
{
	st->rx_packets = atomic_load(&n->rx_packets);
	st->rx_bytes = atomic_load(&n->rx_bytes);
	st->tx_packets = atomic_load(&n->tx_packets);
	st->tx_bytes = atomic_load(&n->tx_bytes);
	st->rx_dropped = atomic_load(&n->rx_dropped);
	st->tx_dropped = atomic_load(&n->tx_dropped);
	st->malformed = atomic_load(&n->malformed);
	st->notifies = atomic_load(&n->t.notifies);
	st->interrupts = atomic_load(&n->t.interrupts);
}
