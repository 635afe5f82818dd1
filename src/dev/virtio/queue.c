/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueues. Every value read from the rings is guest data: it is
 * read once, into a local, and checked before use; every guest access
 * goes through gmem_read()/gmem_write().
 */
#include "dev/virtio/queue.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "mem/gmem.h"

/* Offsets inside the rings (virtio 1.x, 2.7.6 and 2.7.8). */
#define AVAIL_FLAGS	0u
#define AVAIL_IDX	2u
#define AVAIL_RING(i)	(4u + 2u * (i))
#define USED_IDX	2u
#define USED_RING(i)	(4u + 8u * (i))
#define DESC_SIZE(n)	(16ull * (n))
#define AVAIL_SIZE(n)	(6ull + 2ull * (n))
#define USED_SIZE(n)	(6ull + 8ull * (n))
#define USED_EVENT(n)	AVAIL_RING(n)
#define AVAIL_EVENT(n)	USED_RING(n)
#define CHAIN_LEN_LIMIT 0xffffffffull

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* Whether [gpa, gpa + len) lies inside guest RAM (len may be 0). */
static bool virtq_in_ram(const struct virtq *q, uint64_t gpa, uint64_t len)
{
	uint64_t base = q->gs->ram_base, size = q->gs->ram_size;

	return gpa >= base && gpa - base <= size && len <= size - (gpa - base);
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* Whether [gpa, gpa + len) touches one of q's rings. */
static bool virtq_over_rings(const struct virtq *q, uint64_t gpa, uint64_t len)
{
	return overlaps(gpa, len, q->desc, DESC_SIZE(q->size)) ||
	       overlaps(gpa, len, q->avail, AVAIL_SIZE(q->size)) ||
	       overlaps(gpa, len, q->used, USED_SIZE(q->size));
}

static int virtq_read16(struct virtq *q, uint64_t gpa, uint16_t *v)
{
	return gmem_read(q->gs, gpa, v, sizeof(*v));
}

static int virtq_write16(struct virtq *q, uint64_t gpa, uint16_t v)
{
	return gmem_write(q->gs, gpa, &v, sizeof(v));
}

int virtq_enable(struct virtq *q, uint16_t size_max)
{
	uint16_t n = q->size;

	if (!n || (n & (n - 1)) || n > size_max)
		return -EINVAL;
	if ((q->desc & 15) || (q->avail & 1) || (q->used & 3))
		return -EINVAL;
	if (!virtq_in_ram(q, q->desc, DESC_SIZE(n)) ||
	    !virtq_in_ram(q, q->avail, AVAIL_SIZE(n)) ||
	    !virtq_in_ram(q, q->used, USED_SIZE(n)))
		return -EINVAL;
	/* The device writes the used ring: never over what it reads. */
	if (overlaps(q->used, USED_SIZE(n), q->desc, DESC_SIZE(n)) ||
	    overlaps(q->used, USED_SIZE(n), q->avail, AVAIL_SIZE(n)))
		return -EINVAL;
	q->last_avail = 0;
	q->used_idx = 0;
	q->signalled_used = 0;
	q->signalled_valid = false;
	q->broken = false;
	q->ready = true;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	struct gstage *gs = q->gs;

	memset(q, 0, sizeof(*q));
	q->gs = gs;
}

static int virtq_add_buf(struct virtq *q, struct virtq_chain *c,
			 const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	if (c->n == VIRTQ_CHAIN_MAX)
		return -EINVAL;
	if (!virtq_in_ram(q, d->addr, d->len))
		return -EINVAL;
	if (writable && virtq_over_rings(q, d->addr, d->len))
		return -EINVAL;
	if (writable)
		c->in_len += d->len;
	else
		c->out_len += d->len;
	if (c->in_len + c->out_len > CHAIN_LEN_LIMIT)
		return -EINVAL;
	c->buf[c->n++] = (struct virtq_buf){
	    .gpa = d->addr, .len = d->len, .writable = writable};
	return 0;
}

int virtq_walk(struct virtq *q, uint16_t head, struct virtq_chain *c)
{
	uint64_t table = q->desc;
	uint32_t entries = q->size, seen = 0, idx = head;
	bool indirect = false;
	struct virtq_desc d;
	int r;

	c->head = head;
	c->n = 0;
	c->in_len = c->out_len = 0;
	if (idx >= entries)
		return -EINVAL;
	for (;;) {
		/* No chain visits more descriptors than its table holds:
		 * this ends loops. */
		if (++seen > entries)
			return -EINVAL;
		r = gmem_read(q->gs, table + DESC_SIZE(idx), &d, sizeof(d));
		if (r)
			return -EFAULT;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return -EINVAL;
			if (!d.len || d.len % VIRTQ_DESC_SIZE ||
			    d.len / VIRTQ_DESC_SIZE > VIRTQ_INDIRECT_MAX ||
			    !virtq_in_ram(q, d.addr, d.len))
				return -EINVAL;
			table = d.addr;
			entries = d.len / VIRTQ_DESC_SIZE;
			indirect = true;
			seen = 0;
			idx = 0;
			continue;
		}
		r = virtq_add_buf(q, c, &d);
		if (r)
			return r;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
		if (idx >= entries)
			return -EINVAL;
	}
}

bool virtq_has_avail(struct virtq *q)
{
	uint16_t avail_idx;

	/* A look: replicating tables for it is left to the queue's use. */
	return q->ready && !q->broken &&
	       (gmem_peek(q->gs, q->avail + AVAIL_IDX, &avail_idx,
			  sizeof(avail_idx)) ||
		avail_idx != q->last_avail);
}

int virtq_pop(struct virtq *q, struct virtq_chain *c)
{
	uint16_t avail_idx, head;
	int r;

	if (q->broken)
		return -EIO;
	if (!q->ready)
		return 0;
	if (virtq_read16(q, q->avail + AVAIL_IDX, &avail_idx))
		goto broken;
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		goto broken;
	/* The ring entry is read after the index that published it. */
	atomic_thread_fence(memory_order_acquire);
	if (virtq_read16(q, q->avail + AVAIL_RING(q->last_avail % q->size),
			 &head))
		goto broken;
	if (head >= q->size)
		goto broken;
	q->last_avail++;
	r = virtq_walk(q, head, c);
	if (r == -EFAULT)
		goto broken;
	return r ? r : 1;

broken:
	q->broken = true;
	return -EIO;
}

int virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint32_t elem[2] = {head, len};

	if (!q->ready || q->broken)
		return -EIO;
	if (gmem_write(q->gs, q->used + USED_RING(q->used_idx % q->size), elem,
		       sizeof(elem)))
		goto broken;
	/* The entry is visible before the index that publishes it. */
	atomic_thread_fence(memory_order_release);
	if (virtq_write16(q, q->used + USED_IDX, (uint16_t)(q->used_idx + 1)))
		goto broken;
	q->used_idx++;
	return 0;

broken:
	q->broken = true;
	return -EIO;
}

bool virtq_should_interrupt(struct virtq *q)
{
	uint16_t old = q->signalled_used, now = q->used_idx, v;
	bool valid = q->signalled_valid;

	if (!q->ready || q->broken)
		return false;
	/* Our used-index store before the driver's event or flags load. */
	atomic_thread_fence(memory_order_seq_cst);
	q->signalled_used = now;
	q->signalled_valid = true;
	if (valid && old == now)
		return false;
	if (q->event_idx) {
		if (virtq_read16(q, q->avail + USED_EVENT(q->size), &v))
			return true;
		/* The driver asked for an interrupt once the used index
		 * passes v: did it, between old and now? */
		return !valid ||
		       (uint16_t)(now - v - 1) < (uint16_t)(now - old);
	}
	if (virtq_read16(q, q->avail + AVAIL_FLAGS, &v))
		return true;
	return !(v & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

int virtq_arm_notify(struct virtq *q)
{
	uint16_t avail_idx;

	if (q->broken)
		return -EIO;
	if (!q->ready)
		return 0;
	if (q->event_idx &&
	    virtq_write16(q, q->used + AVAIL_EVENT(q->size), q->last_avail))
		goto broken;
	/* Our avail_event store before the driver's next index load. */
	atomic_thread_fence(memory_order_seq_cst);
	if (virtq_read16(q, q->avail + AVAIL_IDX, &avail_idx))
		goto broken;
	return avail_idx != q->last_avail;

broken:
	q->broken = true;
	return -EIO;
}

/*
 * Copy between a buffer and the chain's buffers of one direction, from
 * byte off of them.
 */
static long virtq_chain_copy(struct virtq *q, const struct virtq_chain *c,
			     bool writable, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < c->n && done < len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		uint64_t n;
		int r;

		if (b->writable != writable)
			continue;
		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (writable)
			r = gmem_write(q->gs, b->gpa + off,
				       (const uint8_t *)buf + done, n);
		else
			r = gmem_read(q->gs, b->gpa + off,
				      (uint8_t *)buf + done, n);
		if (r)
			return -EFAULT;
		done += n;
		off = 0;
	}
	return (long)done;
}

long virtq_chain_read(struct virtq *q, const struct virtq_chain *c,
		      uint64_t off, void *dst, size_t len)
{
	return virtq_chain_copy(q, c, false, off, dst, len);
}

long virtq_chain_write(struct virtq *q, const struct virtq_chain *c,
		       uint64_t off, const void *src, size_t len)
{
	return virtq_chain_copy(q, c, true, off, (void *)src, len);
}
