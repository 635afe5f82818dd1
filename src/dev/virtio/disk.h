/* SPDX-License-Identifier: MIT */
/*
 * A disk as virtio-blk sees it: a raw image file, and, for clones, a chain
 * of copy-on-write overlays on top of it.
 *
 * A disk is a stack of layers. The bottom one is the image file. Each
 * overlay above it is a sparse temporary file as large as the disk (an
 * unnamed O_TMPFILE beside the image, else in $TMPDIR or /tmp) plus a map
 * with one bit per DISK_BLOCK bytes: set, the block is the overlay's own
 * (at the same offset in its file); clear, the block is read from the
 * layer below. Both come with the overlay's first write (a host that
 * cannot create the file fails that write with -EIO). Only a disk's top layer
 * is ever written; every layer below is frozen and may be shared by many disks
 * (refcounted).
 *
 * Cloning is O(1), like the G-stage clone: the source's top layer freezes
 * and the source and the clone each get a fresh, empty overlay on it, so
 * that neither sees what the other writes from then on (the image file
 * itself is no longer written once it is shared). When the source's top is
 * an overlay it has not written yet, the clone just shares the layer below
 * it, so cloning one VM many times does not deepen its chain. A write of
 * part of a block that an overlay does not have yet copies the block up
 * first; whole blocks are just written. A disk opened read-only is shared
 * by its clones as it is.
 *
 * Threading: each disk serialises its own requests (one lock); frozen
 * layers are read without locks. Different disks may be used on different
 * threads.
 */
#ifndef MEMVISOR_DEV_VIRTIO_DISK_H
#define MEMVISOR_DEV_VIRTIO_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_BLOCK  4096u /* copy-on-write granularity of overlays */
#define DISK_SECTOR 512u

struct disk;

struct disk_stats {
	uint64_t size;	      /* bytes the guest sees */
	uint64_t own_blocks;  /* blocks the top overlay holds */
	uint64_t own_bytes;   /* their bytes: own_blocks * DISK_BLOCK; for a
				 disk still on its image, 0 */
	uint64_t alloc_bytes; /* host bytes its top overlay occupies */
	unsigned depth;	      /* layers, the image included */
	uint64_t reads, writes, read_bytes, written_bytes, flushes, discards,
	    copy_ups, errors;
};

/*
 * Open the raw image at path: read-write, or read-only when ro. The image
 * must be a regular file of at least one sector (its size is rounded down
 * to whole sectors). Returns 0 and sets *out, or a negative errno with a
 * one-line reason in why (naming path): -ENOENT, -EACCES (unreadable, or
 * read-only without ro: "add ,ro"), -EISDIR, -EINVAL (not a regular file,
 * or empty), or what open() said.
 */
int disk_open(const char *path, bool ro, struct disk **out, char *why,
	      size_t whylen);

/*
 * A copy-on-write clone of src in O(1) (see above): afterwards src and the
 * clone read the same data and each writes only its own overlay. Safe
 * while src serves requests on another thread (waits for the one in
 * progress). Returns 0 and sets *out, or a negative errno (no overlay
 * file could be created: src is unchanged).
 */
int disk_clone(struct disk *src, struct disk **out);

/* Drop d's layers (each freed with its last disk) and free d. NULL: no-op. */
void disk_close(struct disk *d);

/* Bytes the guest sees (a multiple of DISK_SECTOR). */
uint64_t disk_size(const struct disk *d);

/* Whether d was opened read-only. */
bool disk_ro(const struct disk *d);

/*
 * Read len bytes at off into buf. Returns 0, -EINVAL when the range is not
 * inside the disk, or -EIO (the host's error is counted).
 */
int disk_read(struct disk *d, uint64_t off, void *buf, size_t len);

/*
 * Write len bytes at off from buf (to the image, or to d's top overlay).
 * Returns 0, -EINVAL (outside the disk), -EROFS (read-only) or -EIO /
 * -ENOSPC from the host; on error the blocks written in part may hold old
 * or new data, never another disk's.
 */
int disk_write(struct disk *d, uint64_t off, const void *buf, size_t len);

/* Make writes so far durable (fdatasync of the image). 0 or -EIO. */
int disk_flush(struct disk *d);

/*
 * Discard [off, off + len): afterwards it reads as zeros and the host's
 * space is freed where it can be (a hole punched in the image or in d's
 * overlay). Returns 0, -EINVAL, -EROFS, -EOPNOTSUPP (the image's file
 * system cannot punch holes) or -EIO.
 */
int disk_discard(struct disk *d, uint64_t off, uint64_t len);

/* d's statistics now. */
void disk_get_stats(struct disk *d, struct disk_stats *st);

#endif
