/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues (virtio 1.x, section 2.7): the descriptor table, the
 * driver's available ring and the device's used ring, all in guest memory.
 *
 * Everything in those rings is written by the guest and untrusted: every
 * access goes through the checked accessor (mem/gmem.h), every index is
 * reduced or checked against the queue size, chains are bounded (no more
 * descriptors than the queue holds, one level of indirection, at most
 * VIRTQ_CHAIN_MAX buffers), and a buffer must lie inside guest RAM and, if
 * the device writes it, off the queue's own rings. A problem with one
 * chain fails that request (virtq_pop() returns -EINVAL with the head
 * known); a problem with the rings themselves breaks the queue (-EIO): the
 * transport then sets DEVICE_NEEDS_RESET and the queue does nothing more
 * until the driver resets the device.
 *
 * Threading: a queue is used by one thread at a time (its device's
 * worker); the transport changes its setup only while holding the lock
 * that worker holds around its use (dev/virtio/mmio.h).
 */
#ifndef MEMVISOR_DEV_VIRTIO_QUEUE_H
#define MEMVISOR_DEV_VIRTIO_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/gstage.h"

/* Descriptor flags. */
#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u

#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

#define VIRTQ_DESC_SIZE	   16u
#define VIRTQ_SIZE_MAX	   32768u /* the spec's largest queue */
#define VIRTQ_CHAIN_MAX	   256u	  /* buffers in one chain */
#define VIRTQ_INDIRECT_MAX 1024u  /* entries of one indirect table */

/* One guest buffer of a chain: [gpa, gpa + len), device-writable or not. */
struct virtq_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

/* A chain taken from the available ring. */
struct virtq_chain {
	uint16_t head; /* its first descriptor: give it back to virtq_push() */
	unsigned n;    /* buffers in buf[] */
	uint64_t in_len, out_len; /* bytes readable / writable by the device */
	struct virtq_buf buf[VIRTQ_CHAIN_MAX];
};

/* A queue as the driver set it up (through the transport) and its state. */
struct virtq {
	struct gstage *gs;
	uint16_t size;	/* entries; a power of two, set when ready */
	bool ready;	/* set up, usable */
	bool broken;	/* a ring was malformed: unusable until reset */
	bool event_idx; /* VIRTIO_F_RING_EVENT_IDX negotiated */
	uint64_t desc, avail, used; /* guest-physical addresses of the rings */
	uint16_t last_avail;	    /* next available-ring entry to take */
	uint16_t used_idx;	    /* the used ring's idx as last written */
	uint16_t signalled_used;    /* used_idx when the driver was last told */
	bool signalled_valid;	    /* signalled_used means something */
};

/*
 * Check the setup of q (size, rings: aligned, inside RAM, not wrapping)
 * and make it ready; size_max is the device's QueueNumMax. Returns 0, or
 * -EINVAL and leaves q not ready: size zero, not a power of two or above
 * size_max, a misaligned ring or one outside guest RAM.
 */
int virtq_enable(struct virtq *q, uint16_t size_max);

/* Forget q's setup and state (reset). gs stays. */
void virtq_reset(struct virtq *q);

/*
 * Walk the chain whose first descriptor is head into c: the descriptor
 * walk, following an indirect table, and nothing else (no ring is read or
 * written). Returns 0, or -EINVAL for a malformed chain: head or a next
 * beyond the table, a chain longer than the queue (loops included) or than
 * VIRTQ_CHAIN_MAX buffers, an indirect descriptor inside an indirect table
 * or with NEXT, or one whose table is empty, outside guest RAM, longer
 * than VIRTQ_INDIRECT_MAX entries or not a multiple of 16 bytes, a buffer
 * outside guest RAM, a writable
 * buffer over the queue's rings, or more than 4 GiB in all; -EFAULT when a
 * descriptor cannot be read. The fuzzer's unit (tests/fuzz).
 */
int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c);

/*
 * Take the next available chain into c. Returns 1 with a chain, 0 when the
 * ring is empty or q not ready, -EINVAL when that chain is malformed (c->head
 * is valid: push it back with length 0 to fail that request), or -EIO when the
 * rings are (the available index ran more than the queue size ahead, a
 * head beyond the table, a ring that cannot be read): q is broken.
 */
int virtq_pop(struct virtq *q, struct virtq_chain *c);

/*
 * Whether q has work for the device: ready, not broken, and the driver
 * made entries available that were not popped yet (or the index cannot
 * be read: virtq_pop() then says how q is broken).
 */
bool virtq_has_avail(struct virtq *q);

/*
 * Give the chain with head back in the used ring, len bytes written to it.
 * Returns 0 or -EIO (the used ring cannot be written: q is broken).
 */
int virtq_push(struct virtq *q, uint16_t head, uint32_t len);

/*
 * After pushing: whether the driver wants an interrupt for the entries
 * pushed since the last time this returned true (the used_event index of
 * VIRTIO_F_RING_EVENT_IDX, else the available ring's NO_INTERRUPT flag).
 */
bool virtq_should_interrupt(struct virtq *q);

/*
 * With event index: ask the driver to notify when it makes the entry after
 * the last one taken available (avail_event). Then say whether more is
 * available already: 1 (keep popping), 0 (or q not ready), or -EIO (q is
 * broken). Call when virtq_pop() returned 0, so that a notify is never missed.
 */
int virtq_arm_notify(struct virtq *q);

/*
 * Copy len bytes of the chain's device-readable buffers, from byte off of
 * them, into dst; returns bytes copied (short at the end of the readable
 * part) or -EFAULT.
 */
long virtq_chain_read(struct virtq *q, const struct virtq_chain *c,
		      uint64_t off, void *dst, size_t len);

/*
 * Copy len bytes from src into the chain's device-writable buffers, from
 * byte off of them; returns bytes copied or -EFAULT.
 */
long virtq_chain_write(struct virtq *q, const struct virtq_chain *c,
		       uint64_t off, const void *src, size_t len);

#endif
