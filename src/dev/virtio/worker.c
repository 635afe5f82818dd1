/* SPDX-License-Identifier: MIT */
#include "dev/virtio/worker.h"

#include <errno.h>
#include <stdlib.h>

static void *worker_main(void *arg)
{
	struct virtio_worker *w = arg;

	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (!w->kick && !w->stop)
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->stop) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		w->kick = false;
		pthread_mutex_unlock(&w->lock);

		w->batch(w->dev);
	}
}

int virtio_worker_init(struct virtio_worker *w, struct virtio_mmio *t,
		       void (*batch)(void *dev), void *dev)
{
	int r;

	*w = (struct virtio_worker){.t = t, .batch = batch, .dev = dev};
	r = pthread_mutex_init(&w->lock, NULL);
	if (r)
		return -r;
	r = pthread_cond_init(&w->cond, NULL);
	if (r) {
		pthread_mutex_destroy(&w->lock);
		return -r;
	}
	return 0;
}

void virtio_worker_kick(struct virtio_worker *w)
{
	bool failed = false;

	pthread_mutex_lock(&w->lock);
	w->kick = true;
	if (w->started) {
		pthread_cond_signal(&w->cond);
	} else if (!w->stop) {
		w->started = !pthread_create(&w->thread, NULL, worker_main, w);
		/* No thread: the device cannot serve; stop asking. */
		failed = !w->started;
		w->stop = failed;
	}
	pthread_mutex_unlock(&w->lock);
	if (failed)
		virtio_mmio_fail(w->t);
}

void virtio_worker_destroy(struct virtio_worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

int virtio_worker_buffers(struct virtq_chain **chain, uint8_t **bounce,
			  size_t bounce_size)
{
	if (!*chain)
		*chain = malloc(sizeof(**chain));
	if (!*bounce)
		*bounce = malloc(bounce_size);
	return *chain && *bounce ? 0 : -ENOMEM;
}
