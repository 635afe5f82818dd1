/* SPDX-License-Identifier: MIT */
/*
 * virtio-balloon (virtio 1.x, section 5.5): the conventional way a guest
 * gives memory back. Three queues: inflate (0) and deflate (1), whose
 * buffers hold arrays of 4 KiB page frame numbers the driver gives up or
 * takes back, and, with VIRTIO_BALLOON_F_REPORTING, reporting (2), whose
 * buffers are the free pages themselves (free page reporting: Linux's
 * page_reporting hands the device runs of free pages of at least a
 * pageblock). The configuration space holds num_pages, the host's target
 * for the balloon, and actual, what the driver says it holds.
 * VIRTIO_BALLOON_F_DEFLATE_ON_OOM is offered too: the guest may deflate
 * rather than run out of memory.
 *
 * What the driver gives up goes to a backend (vmm/balloons.c: the pages go
 * onto the zero frame and their frames back to the host), called on the
 * device's worker without the queues lock held, because it waits for the
 * VM's harts to stop using the old frames; a request is completed (its
 * buffer given back to the driver, which may then reuse the pages) only
 * after the backend returns. A clone's freeze waits for the batch in
 * flight, so no request is half done in a clone.
 */
#ifndef MEMVISOR_DEV_VIRTIO_BALLOON_H
#define MEMVISOR_DEV_VIRTIO_BALLOON_H

#include <stddef.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/virtio/mmio.h"
#include "mem/gstage.h"

#define VIRTIO_ID_BALLOON 5

/* Feature bits. */
#define VIRTIO_BALLOON_F_DEFLATE_ON_OOM 2
#define VIRTIO_BALLOON_F_REPORTING	5

#define VIRTIO_BALLOON_INFLATEQ	   0
#define VIRTIO_BALLOON_DEFLATEQ	   1
#define VIRTIO_BALLOON_REPORTQ	   2
#define VIRTIO_BALLOON_QUEUE_SIZE  128
#define VIRTIO_BALLOON_PFN_SHIFT   12
#define VIRTIO_BALLOON_BATCH_PAGES 4096 /* inflate entries per batch */

/* What the device hands on. be is the backend's own. */
struct virtio_balloon_backend_ops {
	/*
	 * The guest gave up the pages of ranges[0..n-1] (guest-physical,
	 * 4 KiB pages, as the guest named them: unchecked): their contents
	 * do not matter any more. Returns the host frames given back. On
	 * the device's worker, no device lock held; may wait for the VM's
	 * harts.
	 */
	uint64_t (*discard)(void *be, struct gstage_range *ranges, size_t n);
};

struct virtio_balloon;

struct virtio_balloon_stats {
	uint32_t target_pages;	     /* num_pages, the host's */
	uint32_t actual_pages;	     /* actual, the driver's */
	uint64_t inflated, deflated; /* pages named in those queues */
	uint64_t reported;	     /* pages in reports */
	uint64_t released;	     /* host frames the backend gave back */
	uint64_t malformed, notifies, interrupts;
};

/*
 * Create a virtio-balloon device for a guest whose memory is gs,
 * interrupting on line of chip (NULL: none), handing what the guest gives
 * up to ops/be. Its worker starts on first use. Register
 * virtio_balloon_transport() with virtio_mmio_ops. Returns 0 and sets
 * *out, or a negative errno.
 */
int virtio_balloon_create(struct gstage *gs, struct irq_chip *chip,
			  unsigned line,
			  const struct virtio_balloon_backend_ops *ops,
			  void *be, struct virtio_balloon **out);

/* Stop the worker and free b (NULL: no-op). */
void virtio_balloon_destroy(struct virtio_balloon *b);

/* The transport, for the MMIO bus. */
struct virtio_mmio *virtio_balloon_transport(struct virtio_balloon *b);

/*
 * Set the balloon's target to pages 4 KiB pages (num_pages) and tell the
 * driver (a configuration-change interrupt once it is running).
 */
void virtio_balloon_set_target(struct virtio_balloon *b, uint32_t pages);

/* Hold b still for a clone of its VM (after the batch in flight), and let
 * go. */
void virtio_balloon_freeze(struct virtio_balloon *b);
void virtio_balloon_thaw(struct virtio_balloon *b);

/*
 * The clone of frozen src for a VM whose memory is gs, on line of chip,
 * handing to ops/be: the same target and queues. Returns 0 and sets *out,
 * or a negative errno.
 */
int virtio_balloon_clone(struct virtio_balloon *src, struct gstage *gs,
			 struct irq_chip *chip, unsigned line,
			 const struct virtio_balloon_backend_ops *ops, void *be,
			 struct virtio_balloon **out);

/* b's statistics now. */
void virtio_balloon_get_stats(struct virtio_balloon *b,
			      struct virtio_balloon_stats *st);

#endif
