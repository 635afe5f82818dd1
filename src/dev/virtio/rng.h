/* SPDX-License-Identifier: MIT */
/*
 * virtio-rng, the entropy device (virtio 1.x, section 5.4): one request
 * queue whose device-writable buffers the device fills with random bytes
 * from the host's getrandom(). No configuration space, no feature bits of
 * its own.
 *
 * A request is small and getrandom() never blocks once the host's pool is
 * ready, so requests are served on the notifying hart's thread (under the
 * transport's queues lock); at most VIRTIO_RNG_REQ_MAX bytes go into one
 * request, however large the guest's buffers (the used length says how
 * many).
 */
#ifndef MEMVISOR_DEV_VIRTIO_RNG_H
#define MEMVISOR_DEV_VIRTIO_RNG_H

#include <stdint.h>

#include "dev/irq.h"
#include "dev/virtio/mmio.h"

#define VIRTIO_ID_RNG	      4
#define VIRTIO_RNG_QUEUE_SIZE 64
#define VIRTIO_RNG_REQ_MAX    4096u

struct virtio_rng;

struct virtio_rng_stats {
	uint64_t requests, bytes, malformed, notifies, interrupts;
};

/*
 * Create a virtio-rng device for a guest whose memory is gs, interrupting
 * on line of chip (NULL: none). Register virtio_rng_transport() on the
 * MMIO bus with virtio_mmio_ops. Returns 0 and sets *out, or -ENOMEM.
 */
int virtio_rng_create(struct gstage *gs, struct irq_chip *chip, unsigned line,
		      struct virtio_rng **out);

/* Free r (NULL: no-op). */
void virtio_rng_destroy(struct virtio_rng *r);

/* The transport, for the MMIO bus. */
struct virtio_mmio *virtio_rng_transport(struct virtio_rng *r);

/* Hold r still for a clone of its VM (virtio_mmio_freeze()) and let go. */
void virtio_rng_freeze(struct virtio_rng *r);
void virtio_rng_thaw(struct virtio_rng *r);

/*
 * The clone of frozen src for a VM whose memory is gs, on line of chip:
 * its queue where src's is; requests src had not served yet are served
 * with the clone's own bytes. Returns 0 and sets *out, or -ENOMEM.
 */
int virtio_rng_clone(struct virtio_rng *src, struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_rng **out);

/* r's statistics now. */
void virtio_rng_get_stats(struct virtio_rng *r, struct virtio_rng_stats *st);

#endif
