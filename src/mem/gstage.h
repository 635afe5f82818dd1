/* SPDX-License-Identifier: MIT */
/*
 * G-stage tables: guest-physical address -> host frame.
 *
 * The tables use the RISC-V hypervisor extension's own format (Sv39x4 or
 * Sv48x4): a 16 KiB root of 2048 entries, then 512-entry levels of 4 KiB,
 * 8-byte PTEs with V/R/W/X/U/A/D bits and a PPN. Here the PPN is a frame
 * number of the frame pool, so every table page and every data page is a
 * refcounted pool frame and subtrees can be shared between VMs.
 *
 * The two RSW bits carry memvisor's own meaning:
 *   GPTE_SHARED on a non-leaf entry: the table below is shared with another
 *               gstage (its frame's refcount counts the sharers); it must be
 *               replicated before this gstage changes anything beneath it.
 *   GPTE_COW    on a leaf entry: the page is copy-on-write; it is mapped
 *               without W and a write breaks the sharing (gstage_fault()).
 * Below a GPTE_SHARED entry a writable leaf is copy-on-write in effect:
 * gstage_translate() and gstage_walk() report it without W, with GPTE_COW.
 * A leaf they report with GPTE_SHARED was reached through a shared table
 * (the bit is never stored in a leaf): the first access to it should go
 * through gstage_fault(), which replicates the tables on the way, for a
 * read as for a write (mechanism 1 of DESIGN.md: lower tables are
 * replicated into whichever VM touches them).
 * Leaves carry V, U, A and D besides their permissions (G-stage accesses
 * count as user accesses; A/D are never updated). Only 4 KiB leaves exist.
 *
 * Concurrency: gstage_translate() is lock-free and may run on any thread at
 * any time. Every change (map, unmap, fault, destroy) takes gs->lock.
 * Changes that remove or narrow a mapping bump gs->generation (unmap, a
 * copy-on-write break that copies, destroy), after the entry changed and
 * before the old frame can be reused; anyone caching translations (the
 * software TLBs) must drop them when it changes. Populating a page, taking
 * a copy-on-write page over (same frame, W added) and replicating a shared
 * table (same translations) do not bump it; cloning bumps the source's
 * (its writable pages become copy-on-write). Lower tables emptied by
 * gstage_unmap() stay until gstage_destroy(), so a lock-free reader never
 * walks a freed table of its own gstage.
 */
#ifndef MEMVISOR_MEM_GSTAGE_H
#define MEMVISOR_MEM_GSTAGE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/frame.h"

/* hgatp.MODE values. */
enum gstage_mode {
	GSTAGE_SV39X4 = 8,
	GSTAGE_SV48X4 = 9,
};

/* PTE bits, as in the privileged spec. */
#define GPTE_V	       (1ull << 0)
#define GPTE_R	       (1ull << 1)
#define GPTE_W	       (1ull << 2)
#define GPTE_X	       (1ull << 3)
#define GPTE_U	       (1ull << 4)
#define GPTE_G	       (1ull << 5)
#define GPTE_A	       (1ull << 6)
#define GPTE_D	       (1ull << 7)
#define GPTE_SHARED    (1ull << 8) /* RSW: non-leaf, subtree shared */
#define GPTE_COW       (1ull << 9) /* RSW: leaf, copy-on-write */
#define GPTE_PPN_SHIFT 10
#define GPTE_PPN_MASK  (((1ull << 44) - 1) << GPTE_PPN_SHIFT)

/* Permission bits accepted by gstage_map(). */
#define GSTAGE_PERM_MASK (GPTE_R | GPTE_W | GPTE_X)

#define GSTAGE_ROOT_FRAMES 4 /* the 16 KiB root: 4 contiguous frames */

/* Counters, updated atomically; read them with gstage_get_stats(). */
struct gstage_stats {
	uint64_t tables;     /* table frames this gstage reaches, root (4)
				included; shared ones count for each sharer */
	uint64_t leaves;     /* pages mapped (reached), zero frame included */
	uint64_t populated;  /* pages zero-filled on first touch */
	uint64_t cow_copies; /* copy-on-write breaks that copied the frame */
	uint64_t cow_takeovers; /* breaks that took over the last reference */
	uint64_t replications;	/* shared tables this gstage copied to make
				   them its own (not those a clone copied) */
	uint64_t zero_shared;	/* pages put on the zero frame (share_zero) */
	uint64_t merged;	/* pages put on another's frame (share_frame) */
};

struct gstage {
	struct frame_pool *pool;
	enum gstage_mode mode;
	unsigned levels;   /* 3 (Sv39x4) or 4 (Sv48x4) */
	unsigned gpa_bits; /* 41 or 50 */
	uint32_t root;	   /* first frame of the 16 KiB root */
	uint64_t ram_base; /* guest RAM, populated on first touch */
	uint64_t ram_size;
	pthread_mutex_t lock;
	_Atomic uint64_t generation;
	struct {
		_Atomic uint64_t tables, leaves, populated, cow_copies,
		    cow_takeovers, replications, zero_shared, merged;
	} stats;
};

/*
 * Initialise gs with an empty root taken from pool. Returns 0, -EINVAL for
 * an unknown mode, or -ENOMEM when the pool cannot hold the root (nothing
 * is left allocated).
 */
int gstage_init(struct gstage *gs, struct frame_pool *pool,
		enum gstage_mode mode);

/* Drop every reference gs holds (tables and data), top-down. */
void gstage_destroy(struct gstage *gs);

/*
 * Declare [gpa, gpa + size) as guest RAM: pages there that are not mapped
 * are populated with a zeroed frame, RWX, on first touch (gstage_fault()).
 * Returns 0, -EINVAL when unaligned or empty, -ERANGE when the range does
 * not fit the mode's address space.
 */
int gstage_set_ram(struct gstage *gs, uint64_t gpa, uint64_t size);

/*
 * Map the 4 KiB page at gpa to frame with perms (a non-empty subset of
 * GSTAGE_PERM_MASK, optionally | GPTE_COW). W needs R (W alone and W|X are
 * reserved encodings); GPTE_COW needs R and means "writable once broken":
 * the entry is stored without W. frame must be allocated, or FRAME_ZERO
 * without W. The caller's reference to frame moves into the table. Returns
 * 0, -EINVAL (unaligned gpa, bad perms, bad frame), -ERANGE (gpa beyond the
 * mode's address space), -EEXIST (already mapped), or -ENOMEM (no frame
 * for a table). On error nothing changes and the caller keeps its
 * reference.
 */
int gstage_map(struct gstage *gs, uint64_t gpa, uint32_t frame, uint64_t perms);

/*
 * Remove the mapping of the page at gpa and drop its reference. Returns 0,
 * -EINVAL, -ERANGE, -ENOENT when nothing is mapped there, or -ENOMEM when a
 * shared table on the way must be replicated and the pool is exhausted
 * (nothing changes).
 */
int gstage_unmap(struct gstage *gs, uint64_t gpa);

/*
 * Look up gpa (any byte of the page) without changing anything (no
 * populate, no copy). Returns 0 and sets *frame and *pte (the leaf PTE:
 * permissions and RSW bits, as in effect: see GPTE_SHARED), or -ENOENT when
 * unmapped, -ERANGE beyond the address space. Lock-free.
 */
int gstage_translate(const struct gstage *gs, uint64_t gpa, uint32_t *frame,
		     uint64_t *pte);

/*
 * Resolve an access that gstage_translate() could not satisfy, or that it
 * reported with GPTE_SHARED: populate a RAM page on first touch (a zeroed
 * frame, RWX); for a write to a copy-on-write page break the sharing
 * (replicate shared tables on the way, then copy the frame, or take it
 * over when gs holds the last reference); for a read of a page reached
 * through a shared table replicate (or take over) the tables on the way,
 * leaving the page itself copy-on-write. A page that already allows the
 * access, through tables of gs's own, is returned as is. On success sets
 * *frame and *pte to the resulting mapping and returns 0; -EFAULT when gpa
 * is neither mapped nor RAM (or beyond the address space), -EACCES for a
 * write to a read-only page that is not copy-on-write, -ENOMEM when the
 * pool is exhausted (no mapping changes; tables may have been replicated,
 * which translates the same). A read never fails for want of memory: when
 * the tables cannot be replicated it is served through the shared ones
 * (returns 0; *pte still carries GPTE_SHARED, so the next access retries).
 */
int gstage_fault(struct gstage *gs, uint64_t gpa, bool write, uint32_t *frame,
		 uint64_t *pte);

/*
 * Make dst, which must be uninitialised, a clone of src: the same pool,
 * mode and guest RAM region, and the same translations. The top
 * eager_levels levels of src's tables are copied into dst (1: only the
 * 16 KiB root, the lazy clone; src->levels: every table, the "copy the
 * tables, share the data" baseline of fork()). Every pointer from the
 * last copied level to the level below becomes GPTE_SHARED in src and in
 * dst, with one more reference on the table below: those tables are
 * replicated on first access, in whichever gstage touches them (see
 * gstage_fault()). When every level is copied the leaves are instead:
 * each data frame gets one more reference, and writable pages become
 * copy-on-write in both (read-only pages just share). Data is never
 * copied. src->generation is bumped: its writable mappings narrowed.
 *
 * Cost: proportional to the number of tables copied; with eager_levels 1
 * it is one root (a 2048-entry scan), whatever the guest's size.
 *
 * The caller keeps src from changing meanwhile (its VCPUs paused);
 * lock-free gstage_translate() calls on src may run and always see a
 * consistent mapping. dst is released with gstage_destroy(), in any order
 * with src. Returns 0, -EINVAL when eager_levels is 0 or above src->levels,
 * or -ENOMEM when the pool is exhausted (src is unchanged, dst is left
 * uninitialised and nothing leaks).
 */
int gstage_clone(struct gstage *dst, struct gstage *src, unsigned eager_levels);

/*
 * Make dst, which must be uninitialised, a full copy of src with nothing
 * shared: its own copy of every table and of every data frame (pages
 * mapped to the zero frame stay so). Copy-on-write pages of src are
 * writable in dst, which holds the only reference to their copy. The
 * baseline clone for benchmarks; cost and memory grow with the guest.
 * The caller keeps src from changing meanwhile. Returns 0 or -ENOMEM
 * (src is unchanged, dst is left uninitialised and nothing leaks).
 */
int gstage_copy_all(struct gstage *dst, struct gstage *src);

/*
 * Back the guest RAM pages [gpa, gpa + npages * 4 KiB) by the zero frame,
 * read-only and copy-on-write: the guest reads zeros there, and its next
 * write to such a page gets a fresh zeroed frame (gstage_fault()). For
 * pages whose contents do not matter any more: free guest memory. Pages
 * never touched stay unmapped (they read as zero already), pages on the
 * zero frame stay, and only data pages (writable or copy-on-write)
 * change. Tables shared with clones on the way are made gs's own first,
 * as for a write. The references the pages held are appended to *dropped
 * for the caller to drop, in bulk (frame_put_vec()), whenever it likes:
 * gs->generation has moved before this returns. Adds to *shared the pages
 * it moved to the zero frame. Returns 0, -EINVAL (unaligned, or the range
 * wraps), -ERANGE (not all guest RAM), or -ENOMEM (*dropped cannot grow,
 * or a shared table could not be replicated: the pages before are shared,
 * the rest unchanged).
 */
int gstage_share_zero(struct gstage *gs, uint64_t gpa, uint64_t npages,
		      struct frame_vec *dropped, uint64_t *shared);

/* One range of gstage_share_zero_ranges(). */
struct gstage_range {
	uint64_t gpa, npages; /* IN */
	uint64_t shared;      /* OUT: pages moved to the zero frame */
	int err;	      /* OUT: 0 or gstage_share_zero()'s error */
};

/*
 * gstage_share_zero() for n ranges at once, in order, under one lock and
 * one generation change: for callers with many small ranges (free-page
 * hints). A range that is not guest RAM gets its own err and changes
 * nothing; the others are shared. Returns 0, or -ENOMEM when *dropped
 * could not grow or a shared table could not be replicated: that range's
 * err says so, the ranges before it are done and those after it are
 * untouched (shared 0, err 0).
 */
int gstage_share_zero_ranges(struct gstage *gs, struct gstage_range *ranges,
			     size_t n, struct frame_vec *dropped);

/*
 * Make the data page at gpa copy-on-write if it is writable, so that its
 * frame can be shared (gstage_share_frame()) without the guest changing it
 * underneath. Sets *frame to its frame. Returns 0, -EINVAL (unaligned),
 * -ENOENT (not a populated data page), or -ENOMEM (a shared table on the
 * way could not be replicated).
 */
int gstage_write_protect(struct gstage *gs, uint64_t gpa, uint32_t *frame);

/*
 * Map the data page at gpa, which must still be on frame expect, to frame
 * instead (one more reference), read-only and copy-on-write; its reference
 * to expect is appended to *dropped for the caller to drop
 * (frame_put_vec()), gs->generation having moved. For merging pages of
 * equal contents: the caller compared them, and write-protected frame's
 * other mappings (gstage_write_protect()). Returns 0, -EINVAL, -ESTALE
 * (the page is no longer on expect, or not a data page: nothing changed),
 * or -ENOMEM.
 */
int gstage_share_frame(struct gstage *gs, uint64_t gpa, uint32_t frame,
		       uint32_t expect, struct frame_vec *dropped);

/* Callback for gstage_walk(): one mapped page. Nonzero stops the walk. */
typedef int (*gstage_walk_fn)(uint64_t gpa, uint64_t pte, void *arg);

/*
 * Call fn for every mapped page in ascending gpa order, with its PTE as
 * gstage_translate() would return it. Returns 0 or the first nonzero value
 * fn returned. The caller must keep gs from changing.
 */
int gstage_walk(const struct gstage *gs, gstage_walk_fn fn, void *arg);

/* Snapshot of gs's counters. */
void gstage_get_stats(const struct gstage *gs, struct gstage_stats *st);

/*
 * Consistency check over every gstage that uses pool: each frame's
 * reference count equals the number of table entries (and roots) that
 * reference it (a table reached from several places has its entries
 * counted once), every frame in use is referenced, the pool's in_use and
 * shared counters match the reference counts, a frame with more than one
 * reference is never mapped writable, every pointer to a table with more
 * than one reference carries GPTE_SHARED, entries are well formed, and each
 * gstage's tables/leaves stats match what it reaches. extra[] lists frames
 * the caller holds one reference to outside any table (may be NULL; a frame
 * may appear once per reference). Slow: it visits every table.
 * Returns 0, -ENOMEM when it cannot allocate its counters, or -EUCLEAN and
 * prints the first violation to stderr.
 */
int gstage_check(struct frame_pool *pool, struct gstage *const gs[], size_t n,
		 const uint32_t *extra, size_t nextra);

#endif
