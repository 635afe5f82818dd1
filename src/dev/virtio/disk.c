/* SPDX-License-Identifier: MIT */
/*
 * Raw images and copy-on-write overlays (see disk.h for the format).
 * Overlay files use the disk's own offsets: block b of the disk is at
 * b * DISK_BLOCK in every overlay that has it.
 */
#define _GNU_SOURCE
#include "dev/virtio/disk.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct disk_layer {
	_Atomic unsigned refs;
	int fd; /* an overlay's: -1 until its first write */
	bool overlay;
	struct disk_layer *parent; /* NULL: the image */
	uint64_t *map;		   /* overlay: a bit per block it holds, NULL
				      until its first write */
	uint64_t own_blocks;	   /* bits set in map */
	char *dir;		   /* image: where overlays are created */
};

struct disk {
	pthread_mutex_t lock;
	struct disk_layer *top;
	uint64_t size, nblocks;
	bool ro;
	struct disk_stats st; /* counters, under lock */
};

static bool layer_has(const struct disk_layer *l, uint64_t b)
{
	return !l->overlay || (l->map && (l->map[b / 64] >> (b % 64)) & 1);
}

static void layer_set(struct disk_layer *l, uint64_t b)
{
	if (!layer_has(l, b)) {
		l->map[b / 64] |= 1ull << (b % 64);
		l->own_blocks++;
	}
}

static void layer_put(struct disk_layer *l)
{
	while (l && atomic_fetch_sub(&l->refs, 1) == 1) {
		struct disk_layer *parent = l->parent;

		if (l->fd >= 0)
			close(l->fd);
		free(l->map);
		free(l->dir);
		free(l);
		l = parent;
	}
}

static struct disk_layer *layer_get(struct disk_layer *l)
{
	atomic_fetch_add(&l->refs, 1);
	return l;
}

static struct disk_layer *layer_image(struct disk_layer *l)
{
	while (l->parent)
		l = l->parent;
	return l;
}

/* An unnamed sparse file in dir, else in $TMPDIR or /tmp. */
static int overlay_file(const char *dir)
{
	const char *tmp = getenv("TMPDIR");
	const char *dirs[] = {dir, tmp && *tmp ? tmp : "/tmp", "/tmp"};
	int fd = -1, err = ENOENT;

	for (unsigned i = 0; i < 3 && fd < 0; i++) {
		fd = open(dirs[i], O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (fd < 0)
			err = errno;
	}
	/* No need to size it: only blocks written are ever read back. */
	return fd < 0 ? -err : fd;
}

/*
 * A fresh, empty overlay on parent (whose reference it takes). Its file
 * and map come with its first write (overlay_ensure()), so a clone costs
 * two small allocations whatever the disk's size.
 */
static int overlay_create(struct disk_layer *parent, struct disk_layer **out)
{
	struct disk_layer *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->fd = -1;
	l->overlay = true;
	l->parent = parent;
	atomic_init(&l->refs, 1);
	*out = l;
	return 0;
}

/* Give overlay l of a disk of nblocks its file and map, if it has none
 * yet. */
static int layer_ensure(struct disk_layer *l, uint64_t nblocks)
{
	int fd;

	if (l->map)
		return 0;
	l->map = calloc((nblocks + 63) / 64, sizeof(uint64_t));
	if (!l->map)
		return -ENOMEM;
	fd = overlay_file(layer_image(l)->dir);
	if (fd < 0) {
		free(l->map);
		l->map = NULL;
		return fd;
	}
	l->fd = fd;
	return 0;
}

/* Give d's top overlay its file and map, if it has none yet. */
static int overlay_ensure(struct disk *d)
{
	return layer_ensure(d->top, d->nblocks);
}

int disk_open(const char *path, bool ro, struct disk **out, char *why,
	      size_t whylen)
{
	struct disk_layer *img = NULL;
	struct disk *d = NULL;
	struct stat sb;
	char *copy;
	int fd, err;

	fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		if (!ro && (err == EACCES || err == EROFS) &&
		    !access(path, R_OK))
			snprintf(why, whylen,
				 "--disk %s: the image is read-only: add ,ro "
				 "to use it read-only",
				 path);
		else if (err == EISDIR)
			snprintf(why, whylen,
				 "--disk %s: is a directory, not a disk image",
				 path);
		else
			snprintf(why, whylen, "--disk %s: cannot open: %s",
				 path, strerror(err));
		return err == EROFS ? -EACCES : -err;
	}
	if (fstat(fd, &sb)) {
		err = errno;
		snprintf(why, whylen, "--disk %s: %s", path, strerror(err));
		goto err_close;
	}
	if (S_ISDIR(sb.st_mode)) {
		err = EISDIR;
		snprintf(why, whylen,
			 "--disk %s: is a directory, not a disk image", path);
		goto err_close;
	}
	/* Root opens anything read-write: the mode says what is meant. */
	if (!ro && !(sb.st_mode & 0222)) {
		err = EACCES;
		snprintf(why, whylen,
			 "--disk %s: the image is read-only: add ,ro to use "
			 "it read-only",
			 path);
		goto err_close;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size < DISK_SECTOR) {
		err = EINVAL;
		snprintf(why, whylen,
			 "--disk %s: expected a raw image file of at least "
			 "%u bytes",
			 path, DISK_SECTOR);
		goto err_close;
	}
	err = ENOMEM;
	snprintf(why, whylen, "--disk %s: out of memory", path);
	d = calloc(1, sizeof(*d));
	img = calloc(1, sizeof(*img));
	copy = strdup(path);
	if (!d || !img || !copy) {
		free(copy);
		goto err_close;
	}
	img->dir = strdup(dirname(copy));
	free(copy);
	if (!img->dir)
		goto err_close;
	img->fd = fd;
	atomic_init(&img->refs, 1);
	d->top = img;
	d->size = (uint64_t)sb.st_size & ~(uint64_t)(DISK_SECTOR - 1);
	d->nblocks = (d->size + DISK_BLOCK - 1) / DISK_BLOCK;
	d->ro = ro;
	pthread_mutex_init(&d->lock, NULL);
	*out = d;
	return 0;

err_close:
	if (img)
		free(img->dir);
	free(img);
	free(d);
	close(fd);
	return -err;
}

int disk_clone(struct disk *src, struct disk **out)
{
	struct disk_layer *base, *mine = NULL, *theirs = NULL;
	struct disk *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	pthread_mutex_lock(&src->lock);
	c->size = src->size;
	c->nblocks = src->nblocks;
	c->ro = src->ro;
	if (src->ro) {
		c->top = layer_get(src->top);
		goto done;
	}
	/* An overlay src has not written yet adds nothing: share its base. */
	base = src->top;
	if (base->parent && !base->own_blocks)
		base = base->parent;
	r = overlay_create(layer_get(base), &theirs);
	if (r) {
		layer_put(base);
		goto err;
	}
	if (base == src->top) {
		/* src's top freezes: src writes a fresh overlay of its own. */
		r = overlay_create(layer_get(base), &mine);
		if (r) {
			layer_put(base);
			layer_put(theirs);
			goto err;
		}
		layer_put(src->top);
		src->top = mine;
	}
	c->top = theirs;
done:
	pthread_mutex_unlock(&src->lock);
	pthread_mutex_init(&c->lock, NULL);
	*out = c;
	return 0;

err:
	pthread_mutex_unlock(&src->lock);
	free(c);
	return r;
}

uint64_t disk_size(const struct disk *d)
{
	return d->size;
}

bool disk_ro(const struct disk *d)
{
	return d->ro;
}

static bool disk_range_ok(const struct disk *d, uint64_t off, uint64_t len)
{
	return off <= d->size && len <= d->size - off;
}

/* pread all of it; bytes beyond a file's end read as zeros. */
static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The layer of the chain from l that holds block b. */
static struct disk_layer *layer_for(struct disk_layer *l, uint64_t b)
{
	while (!layer_has(l, b))
		l = l->parent;
	return l;
}

/*
 * Read [off, off + len) through the chain from l: runs of blocks held by
 * the same layer are read in one call.
 */
static int chain_read(struct disk_layer *l, uint64_t off, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		uint64_t b = off / DISK_BLOCK;
		struct disk_layer *from = layer_for(l, b);
		uint64_t end = (b + 1) * DISK_BLOCK;
		size_t n;
		int r;

		while (end - off < len &&
		       layer_for(l, end / DISK_BLOCK) == from)
			end += DISK_BLOCK;
		n = end - off < len ? (size_t)(end - off) : len;
		r = pread_full(from->fd, p, n, off);
		if (r)
			return r;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

int disk_read(struct disk *d, uint64_t off, void *buf, size_t len)
{
	int r;

	if (!disk_range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	r = chain_read(d->top, off, buf, len);
	d->st.reads++;
	if (r)
		d->st.errors++;
	else
		d->st.read_bytes += len;
	pthread_mutex_unlock(&d->lock);
	return r ? -EIO : 0;
}

/* Bytes of block b inside the disk (the last block may be short). */
static uint64_t block_len(const struct disk *d, uint64_t b)
{
	uint64_t start = b * DISK_BLOCK;

	return d->size - start < DISK_BLOCK ? d->size - start : DISK_BLOCK;
}

/*
 * Make block b of d's top overlay its own, with the data below it, before
 * part of it is written. Under d->lock.
 */
static int overlay_copy_up(struct disk *d, uint64_t b)
{
	struct disk_layer *top = d->top;
	uint8_t block[DISK_BLOCK];
	uint64_t len = block_len(d, b);
	int r;

	r = chain_read(top->parent, b * DISK_BLOCK, block, len);
	if (!r)
		r = pwrite_full(top->fd, block, len, b * DISK_BLOCK);
	if (r)
		return r;
	layer_set(top, b);
	d->st.copy_ups++;
	return 0;
}

/* A write of [off, off + len) that covers block b only in part. */
static bool partial(const struct disk *d, uint64_t b, uint64_t off,
		    uint64_t len)
{
	uint64_t start = b * DISK_BLOCK;

	return off > start || off + len < start + block_len(d, b);
}

/* Write to the top layer, which must be an overlay. Under d->lock. */
static int overlay_write(struct disk *d, uint64_t off, const void *buf,
			 size_t len)
{
	struct disk_layer *top = d->top;
	uint64_t first = off / DISK_BLOCK, last = (off + len - 1) / DISK_BLOCK;
	int r = overlay_ensure(d);

	if (r)
		return r;
	if (!layer_has(top, first) && partial(d, first, off, len)) {
		r = overlay_copy_up(d, first);
		if (r)
			return r;
	}
	if (last != first && !layer_has(top, last) &&
	    partial(d, last, off, len)) {
		r = overlay_copy_up(d, last);
		if (r)
			return r;
	}
	r = pwrite_full(top->fd, buf, len, off);
	if (r)
		return r;
	/* Only blocks written completely become the overlay's. */
	for (uint64_t b = first; b <= last; b++)
		layer_set(top, b);
	return 0;
}

static int disk_write_locked(struct disk *d, uint64_t off, const void *buf,
			     size_t len)
{
	if (!len)
		return 0;
	if (d->top->overlay)
		return overlay_write(d, off, buf, len);
	return pwrite_full(d->top->fd, buf, len, off);
}

static int disk_host_error(int r)
{
	return r == -ENOSPC || r == -EDQUOT ? -ENOSPC : -EIO;
}

int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len)
{
	int r;

	if (d->ro)
		return -EROFS;
	if (!disk_range_ok(d, off, len))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	r = disk_write_locked(d, off, buf, len);
	d->st.writes++;
	if (r)
		d->st.errors++;
	else
		d->st.written_bytes += len;
	pthread_mutex_unlock(&d->lock);
	return r ? disk_host_error(r) : 0;
}

int disk_flush(struct disk *d)
{
	int r = 0;

	pthread_mutex_lock(&d->lock);
	d->st.flushes++;
	/* Overlays are temporary files that die with the process: only the
	 * image has anything to make durable. */
	if (!d->ro && !d->top->overlay && fdatasync(d->top->fd)) {
		r = -EIO;
		d->st.errors++;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

static int punch(int fd, uint64_t off, uint64_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len))
		return errno == EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
	return 0;
}

/* Write zeros over [off, off + len), in pieces. Under d->lock. */
static int disk_zero_locked(struct disk *d, uint64_t off, uint64_t len)
{
	static const uint8_t zeros[DISK_BLOCK];

	while (len) {
		uint64_t n = len < DISK_BLOCK ? len : DISK_BLOCK;
		int r = disk_write_locked(d, off, zeros, n);

		if (r)
			return r;
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * Discard on an overlay: whole blocks become the overlay's, as holes (they
 * read as zeros, whatever is below); the parts of blocks at either end are
 * written with zeros. Under d->lock.
 */
static int overlay_discard(struct disk *d, uint64_t off, uint64_t len)
{
	uint64_t start = (off + DISK_BLOCK - 1) / DISK_BLOCK * DISK_BLOCK;
	uint64_t end = (off + len) / DISK_BLOCK * DISK_BLOCK;
	int r = overlay_ensure(d);

	if (r)
		return r;
	if (off + len == d->size)
		end = d->size; /* a short last block counts as whole */
	if (start >= end)
		return disk_zero_locked(d, off, len);
	r = disk_zero_locked(d, off, start - off);
	if (!r)
		r = disk_zero_locked(d, end, off + len - end);
	if (!r)
		r = punch(d->top->fd, start, end - start);
	if (r)
		return r;
	for (uint64_t b = start / DISK_BLOCK; b * DISK_BLOCK < end; b++)
		layer_set(d->top, b);
	return 0;
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	int r;

	if (d->ro)
		return -EROFS;
	if (!disk_range_ok(d, off, len))
		return -EINVAL;
	if (!len)
		return 0;
	pthread_mutex_lock(&d->lock);
	d->st.discards++;
	if (d->top->overlay)
		r = overlay_discard(d, off, len);
	else
		r = punch(d->top->fd, off, len);
	if (r)
		d->st.errors++;
	pthread_mutex_unlock(&d->lock);
	if (r == -EOPNOTSUPP)
		return r;
	return r ? disk_host_error(r) : 0;
}

void disk_get_stats(struct disk *d, struct disk_stats *st)
{
	struct stat sb;
	unsigned depth = 0;

	pthread_mutex_lock(&d->lock);
	*st = d->st;
	st->size = d->size;
	for (struct disk_layer *l = d->top; l; l = l->parent)
		depth++;
	st->depth = depth;
	if (d->top->overlay) {
		st->own_blocks = d->top->own_blocks;
		st->own_bytes = d->top->own_blocks * DISK_BLOCK;
		if (d->top->fd >= 0 && !fstat(d->top->fd, &sb))
			st->alloc_bytes = (uint64_t)sb.st_blocks * 512;
	}
	pthread_mutex_unlock(&d->lock);
}

/* Write len bytes at off into layer l: the image's file, or an overlay's
 * (made on first use), whose map then holds the block. */
static int layer_write_block(struct disk_layer *l, struct disk *d, uint64_t b,
			     const void *buf, size_t len)
{
	int r;

	if (l->overlay) {
		r = layer_ensure(l, d->nblocks);
		if (r)
			return r;
	}
	r = pwrite_full(l->fd, buf, len, b * DISK_BLOCK);
	if (!r && l->overlay)
		layer_set(l, b);
	return r;
}

/*
 * Fold d's top overlay into the layer below while nothing else uses that
 * layer (its one reference is the top's): the top's blocks are written
 * down and the top goes. So a VM whose clones are gone leaves what it
 * wrote since cloning where it wrote before, in the image once every
 * layer above it is folded. Stops at a layer another disk still uses, or
 * at an error (the top then stays, and goes with d).
 */
static void disk_fold(struct disk *d)
{
	uint8_t block[DISK_BLOCK];

	while (d->top->overlay && atomic_load(&d->top->refs) == 1 &&
	       atomic_load(&d->top->parent->refs) == 1) {
		struct disk_layer *top = d->top, *below = top->parent;

		for (uint64_t b = 0; top->map && b < d->nblocks; b++) {
			uint64_t len = block_len(d, b);

			if (!layer_has(top, b))
				continue;
			if (pread_full(top->fd, block, len, b * DISK_BLOCK) ||
			    layer_write_block(below, d, b, block, len))
				return;
		}
		if (!below->overlay && fdatasync(below->fd))
			return;
		/* below keeps the reference top held on it. */
		d->top = below;
		if (top->fd >= 0)
			close(top->fd);
		free(top->map);
		free(top);
	}
}

void disk_close(struct disk *d)
{
	if (!d)
		return;
	if (!d->ro)
		disk_fold(d);
	layer_put(d->top);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
