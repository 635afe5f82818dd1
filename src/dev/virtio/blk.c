/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk. A request is a chain: a 16-byte header the device reads
 * (type, reserved, sector), data, and a status byte the device writes
 * last. Everything in it is guest data: lengths and sectors are checked
 * against the chain and the disk before any I/O.
 */
#include "dev/virtio/blk.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/worker.h"

#define BIT(n)		(1ull << (n))
#define BOUNCE_SIZE	(256u << 10)
#define INTERRUPT_EVERY 32 /* requests between interrupts in a long batch */

/* The configuration space (virtio spec, block device: "Device
 * configuration layout"), little-endian like the host. */
struct blk_config {
	uint64_t capacity; /* 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint16_t cylinders;
	uint8_t heads, sectors;
	uint32_t blk_size;
	uint8_t physical_block_exp, alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback, unused0;
	uint16_t num_queues;
	uint32_t max_discard_sectors;
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
} __attribute__((packed));

_Static_assert(sizeof(struct blk_config) == 48, "virtio-blk config layout");

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_discard_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct virtio_blk {
	struct virtio_mmio t;
	struct disk *disk;
	struct blk_config config;
	char serial[VIRTIO_BLK_ID_BYTES];

	/* Starts on the first notify: a VM (a clone above all) that never
	 * touches its disk pays for no thread and no bounce buffer. */
	struct virtio_worker worker;

	/* The worker's own, from its first batch on. */
	struct virtq_chain *chain;
	uint8_t *bounce; /* BOUNCE_SIZE */
	_Atomic uint64_t requests, failed, malformed;
};

static uint64_t blk_features(void *dev)
{
	struct virtio_blk *b = dev;
	uint64_t f = BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
		     BIT(VIRTIO_BLK_F_FLUSH);

	if (disk_ro(b->disk))
		f |= BIT(VIRTIO_BLK_F_RO);
	else
		f |= BIT(VIRTIO_BLK_F_DISCARD);
	return f;
}

static int blk_config_read(void *dev, uint64_t off, unsigned size,
			   uint64_t *val)
{
	struct virtio_blk *b = dev;
	uint64_t v = 0;

	if (off > sizeof(b->config) || size > sizeof(b->config) - off)
		return -EFAULT;
	memcpy(&v, (const uint8_t *)&b->config + off, size);
	*val = v;
	return 0;
}

static void blk_notify(void *dev, unsigned queue)
{
	struct virtio_blk *b = dev;

	(void)queue;
	virtio_worker_kick(&b->worker);
}

static const struct virtio_dev_ops blk_ops = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .nqueues = 1,
    .queue_max = VIRTIO_BLK_QUEUE_SIZE,
    .features = blk_features,
    .config_read = blk_config_read,
    .notify = blk_notify,
};

static uint8_t blk_errno_status(int r)
{
	return r == -EOPNOTSUPP ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

/* Byte offset of sector on the disk, checked: 0 or -EINVAL. */
static int blk_offset(struct virtio_blk *b, uint64_t sector, uint64_t len,
		      uint64_t *off)
{
	uint64_t size = disk_size(b->disk);

	if (sector > size / DISK_SECTOR)
		return -EINVAL;
	*off = sector * DISK_SECTOR;
	if (len > size - *off)
		return -EINVAL;
	return 0;
}

/* T_IN: disk to the chain's writable buffers, before the status byte. */
static uint8_t blk_in(struct virtio_blk *b, struct virtq *q, uint64_t sector,
		      uint64_t len, uint32_t *written)
{
	uint64_t off, done = 0;

	if (len % DISK_SECTOR || blk_offset(b, sector, len, &off))
		return VIRTIO_BLK_S_IOERR;
	while (done < len) {
		size_t n = len - done < BOUNCE_SIZE ? len - done : BOUNCE_SIZE;

		if (disk_read(b->disk, off + done, b->bounce, n))
			return VIRTIO_BLK_S_IOERR;
		if (virtq_chain_write(q, b->chain, done, b->bounce, n) !=
		    (long)n)
			return VIRTIO_BLK_S_IOERR;
		done += n;
		*written = (uint32_t)done;
	}
	return VIRTIO_BLK_S_OK;
}

/* T_OUT: the chain's readable buffers after the header, to the disk. */
static uint8_t blk_out(struct virtio_blk *b, struct virtq *q, uint64_t sector,
		       uint64_t len)
{
	uint64_t off, done = 0;

	if (disk_ro(b->disk))
		return VIRTIO_BLK_S_IOERR;
	if (len % DISK_SECTOR || blk_offset(b, sector, len, &off))
		return VIRTIO_BLK_S_IOERR;
	while (done < len) {
		size_t n = len - done < BOUNCE_SIZE ? len - done : BOUNCE_SIZE;
		int r;

		if (virtq_chain_read(q, b->chain,
				     sizeof(struct blk_req_hdr) + done,
				     b->bounce, n) != (long)n)
			return VIRTIO_BLK_S_IOERR;
		r = disk_write(b->disk, off + done, b->bounce, n);
		if (r)
			return blk_errno_status(r);
		done += n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct virtio_blk *b, struct virtq *q, uint64_t len)
{
	struct blk_discard_seg seg;
	uint64_t off;
	int r;

	if (disk_ro(b->disk))
		return VIRTIO_BLK_S_IOERR;
	if (!len || len % sizeof(seg) ||
	    len / sizeof(seg) > VIRTIO_BLK_DISCARD_SEGS)
		return VIRTIO_BLK_S_UNSUPP;
	for (uint64_t i = 0; i < len / sizeof(seg); i++) {
		if (virtq_chain_read(q, b->chain,
				     sizeof(struct blk_req_hdr) +
					 i * sizeof(seg),
				     &seg, sizeof(seg)) != sizeof(seg))
			return VIRTIO_BLK_S_IOERR;
		/* Only the unmap flag is defined. */
		if (seg.flags & ~1u)
			return VIRTIO_BLK_S_UNSUPP;
		if (seg.num_sectors > VIRTIO_BLK_DISCARD_MAX ||
		    blk_offset(b, seg.sector,
			       (uint64_t)seg.num_sectors * DISK_SECTOR, &off))
			return VIRTIO_BLK_S_IOERR;
		r = disk_discard(b->disk, off,
				 (uint64_t)seg.num_sectors * DISK_SECTOR);
		if (r)
			return blk_errno_status(r);
	}
	return VIRTIO_BLK_S_OK;
}

/*
 * Carry out the request in b->chain; returns the bytes written to it (the
 * used length), status byte included.
 */
static uint32_t blk_request(struct virtio_blk *b, struct virtq *q)
{
	const struct virtq_chain *c = b->chain;
	struct blk_req_hdr h;
	uint32_t written = 0;
	uint64_t data_in, data_out;
	uint8_t status;

	/* A header to read and a status byte to write, at least. */
	if (c->out_len < sizeof(h) || c->in_len < 1 ||
	    virtq_chain_read(q, c, 0, &h, sizeof(h)) != sizeof(h)) {
		b->malformed++;
		return 0;
	}
	data_in = c->in_len - 1;
	data_out = c->out_len - sizeof(h);
	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		status = blk_in(b, q, h.sector, data_in, &written);
		break;
	case VIRTIO_BLK_T_OUT:
		status = blk_out(b, q, h.sector, data_out);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status =
		    disk_flush(b->disk) ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = data_in < VIRTIO_BLK_ID_BYTES ? data_in
							 : VIRTIO_BLK_ID_BYTES;

		status = virtq_chain_write(q, c, 0, b->serial, n) == (long)n
			     ? VIRTIO_BLK_S_OK
			     : VIRTIO_BLK_S_IOERR;
		if (!status)
			written = (uint32_t)n;
		break;
	}
	case VIRTIO_BLK_T_DISCARD:
		status = blk_discard(b, q, data_out);
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
	}
	if (status)
		b->failed++;
	if (virtq_chain_write(q, c, c->in_len - 1, &status, 1) != 1) {
		b->malformed++;
		return 0;
	}
	return written + 1;
}

/* Take and complete everything available on the queue. Under the queues
 * lock. */
static void blk_process(struct virtio_blk *b)
{
	struct virtq *q = virtio_mmio_queue(&b->t, 0);
	unsigned since_irq = 0;

	if (virtio_worker_buffers(&b->chain, &b->bounce, BOUNCE_SIZE)) {
		virtio_mmio_fail(&b->t);
		return;
	}
	for (;;) {
		int r = virtq_pop(q, b->chain);
		uint32_t len = 0;

		if (r == 0) {
			virtio_mmio_used(&b->t, 0);
			since_irq = 0;
			r = virtq_arm_notify(q);
			if (r == 1)
				continue;
			if (r < 0)
				virtio_mmio_fail(&b->t);
			return;
		}
		if (r == -EIO) {
			virtio_mmio_fail(&b->t);
			return;
		}
		b->requests++;
		if (r == 1)
			len = blk_request(b, q);
		else
			b->malformed++; /* fail it: nothing written */
		if (virtq_push(q, b->chain->head, len)) {
			virtio_mmio_fail(&b->t);
			return;
		}
		if (++since_irq == INTERRUPT_EVERY) {
			virtio_mmio_used(&b->t, 0);
			since_irq = 0;
		}
	}
}

/* The worker's batch. */
static void blk_batch(void *dev)
{
	struct virtio_blk *b = dev;

	virtio_mmio_queues_lock(&b->t);
	blk_process(b);
	virtio_mmio_queues_unlock(&b->t);
}

int virtio_blk_create(struct disk *disk, const char *serial, struct gstage *gs,
		      struct irq_chip *chip, unsigned line,
		      struct virtio_blk **out)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	int r;

	if (!b)
		return -ENOMEM;
	b->disk = disk;
	if (serial)
		memcpy(b->serial, serial, strnlen(serial, sizeof(b->serial)));
	b->config = (struct blk_config){
	    .capacity = disk_size(disk) / DISK_SECTOR,
	    .seg_max = VIRTQ_CHAIN_MAX - 2,
	    .blk_size = DISK_SECTOR,
	    .max_discard_sectors = VIRTIO_BLK_DISCARD_MAX,
	    .max_discard_seg = VIRTIO_BLK_DISCARD_SEGS,
	    .discard_sector_alignment = DISK_BLOCK / DISK_SECTOR,
	};
	r = virtio_mmio_init(&b->t, &blk_ops, b, gs, chip, line);
	if (r)
		goto err_free;
	r = virtio_worker_init(&b->worker, &b->t, blk_batch, b);
	if (r)
		goto err_mmio;
	*out = b;
	return 0;

err_mmio:
	virtio_mmio_destroy(&b->t);
err_free:
	free(b);
	return r;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_worker_destroy(&b->worker);
	virtio_mmio_destroy(&b->t);
	disk_close(b->disk);
	free(b->chain);
	free(b->bounce);
	free(b);
}

struct virtio_mmio *virtio_blk_transport(struct virtio_blk *b)
{
	return &b->t;
}

void virtio_blk_freeze(struct virtio_blk *b)
{
	virtio_mmio_freeze(&b->t);
}

void virtio_blk_thaw(struct virtio_blk *b)
{
	virtio_mmio_thaw(&b->t);
}

int virtio_blk_clone(struct virtio_blk *src, struct gstage *gs,
		     struct irq_chip *chip, unsigned line,
		     struct virtio_blk **out)
{
	struct virtio_blk *c;
	struct disk *disk;
	int r;

	r = disk_clone(src->disk, &disk);
	if (r)
		return r;
	r = virtio_blk_create(disk, src->serial, gs, chip, line, &c);
	if (r) {
		disk_close(disk);
		return r;
	}
	memcpy(c->serial, src->serial, sizeof(c->serial));
	virtio_mmio_copy_state(&c->t, &src->t);
	/* Requests the parent had not seen yet are the clone's too. */
	if (virtq_has_avail(virtio_mmio_queue(&c->t, 0)))
		virtio_worker_kick(&c->worker);
	*out = c;
	return 0;
}

void virtio_blk_get_stats(struct virtio_blk *b, struct virtio_blk_stats *st)
{
	disk_get_stats(b->disk, &st->disk);
	st->requests = atomic_load(&b->requests);
	st->failed = atomic_load(&b->failed);
	st->malformed = atomic_load(&b->malformed);
	st->notifies = atomic_load(&b->t.notifies);
	st->interrupts = atomic_load(&b->t.interrupts);
}
