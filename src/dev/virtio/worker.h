/* SPDX-License-Identifier: MIT */
/*
 * A virtio device's worker thread: the device's queue work off the harts'
 * threads (dev/virtio/mmio.h, Threading). A notify kicks it; it runs one
 * batch per kick or run of kicks. The batch takes the transport's queues
 * lock around its use of the queues itself, so that it may also wait for
 * things the harts do without holding it. The thread starts on the first kick,
 * so a device the guest never uses (a clone's above all) costs no thread.
 */
#ifndef MEMVISOR_DEV_VIRTIO_WORKER_H
#define MEMVISOR_DEV_VIRTIO_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dev/virtio/mmio.h"
#include "dev/virtio/queue.h"

struct virtio_worker {
	struct virtio_mmio *t;
	/* One batch: everything the device has to do now. Called on the
	 * worker thread, no lock held. */
	void (*batch)(void *dev);
	void *dev;

	pthread_t thread;
	pthread_mutex_t lock; /* kick, stop, started */
	pthread_cond_t cond;
	bool kick, stop, started;
};

/* Set up w for device dev on transport t; no thread yet. Returns 0 or a
 * negative errno. */
int virtio_worker_init(struct virtio_worker *w, struct virtio_mmio *t,
		       void (*batch)(void *dev), void *dev);

/*
 * Ask for a batch (any thread; never blocks on the device): wakes the
 * worker, starting it the first time. When no thread can be started the
 * device fails (virtio_mmio_fail()) and later kicks do nothing.
 */
void virtio_worker_kick(struct virtio_worker *w);

/*
 * A batch's own buffers, made by its first batch (a device the guest
 * never uses costs no memory for them either): *chain, and *bounce of
 * bounce_size bytes, each unless already there. Returns 0, or -ENOMEM;
 * the caller frees both when it goes.
 */
int virtio_worker_buffers(struct virtq_chain **chain, uint8_t **bounce,
			  size_t bounce_size);

/* Stop the worker (after its current batch) and release w. */
void virtio_worker_destroy(struct virtio_worker *w);

#endif
