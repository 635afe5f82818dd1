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
 *
 * Concurrency: gstage_translate() is lock-free and may run on any thread at
 * any time. Every change (map, unmap, fault, destroy) takes gs->lock.
 * Changes that remove or narrow a mapping bump gs->generation; anyone
 * caching translations (the software TLBs) must drop them when it changes.
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
#define GPTE_V (1ull << 0)
#define GPTE_R (1ull << 1)
#define GPTE_W (1ull << 2)
#define GPTE_X (1ull << 3)
#define GPTE_U (1ull << 4)
#define GPTE_G (1ull << 5)
#define GPTE_A (1ull << 6)
#define GPTE_D (1ull << 7)
#define GPTE_SHARED (1ull << 8) /* RSW: non-leaf, subtree shared */
#define GPTE_COW (1ull << 9)	/* RSW: leaf, copy-on-write */
#define GPTE_PPN_SHIFT 10
#define GPTE_PPN_MASK (((1ull << 44) - 1) << GPTE_PPN_SHIFT)

/* Permission bits accepted by gstage_map(). */
#define GSTAGE_PERM_MASK (GPTE_R | GPTE_W | GPTE_X)

#define GSTAGE_ROOT_FRAMES 4 /* the 16 KiB root: 4 contiguous frames */

/* Counters, updated atomically; read them with gstage_get_stats(). */
struct gstage_stats {
	uint64_t tables;     /* table frames this gstage holds, root included */
	uint64_t leaves;     /* data pages mapped */
	uint64_t populated;  /* pages zero-filled on first touch */
	uint64_t cow_copies; /* copy-on-write breaks that copied the frame */
	uint64_t cow_takeovers; /* breaks that took over the last reference */
};

struct gstage {
	struct frame_pool *pool;
	enum gstage_mode mode;
	unsigned levels;  /* 3 (Sv39x4) or 4 (Sv48x4) */
	unsigned gpa_bits; /* 41 or 50 */
	uint32_t root;	  /* first frame of the 16 KiB root */
	uint64_t ram_base; /* guest RAM, populated on first touch */
	uint64_t ram_size;
	pthread_mutex_t lock;
	_Atomic uint64_t generation;
	struct {
		_Atomic uint64_t tables, leaves, populated, cow_copies,
			cow_takeovers;
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
 * GSTAGE_PERM_MASK, optionally | GPTE_COW). The caller's reference to frame
 * moves into the table. Returns 0, -EINVAL (unaligned gpa, bad perms),
 * -ERANGE (gpa beyond the mode's address space), -EEXIST (already mapped),
 * or -ENOMEM (no frame for a table). On error nothing changes and the
 * caller keeps its reference.
 */
int gstage_map(struct gstage *gs, uint64_t gpa, uint32_t frame,
	       uint64_t perms);

/*
 * Remove the mapping of the page at gpa and drop its reference. Returns 0,
 * -EINVAL, -ERANGE, or -ENOENT when nothing is mapped there.
 */
int gstage_unmap(struct gstage *gs, uint64_t gpa);

/*
 * Look up gpa without changing anything (no populate, no copy). Returns 0
 * and sets *frame and *pte (the leaf PTE: permissions and RSW bits), or
 * -ENOENT when unmapped, -ERANGE beyond the address space. Lock-free.
 */
int gstage_translate(const struct gstage *gs, uint64_t gpa, uint32_t *frame,
		     uint64_t *pte);

/*
 * Resolve an access that gstage_translate() could not satisfy: populate a
 * RAM page on first touch, and for a write to a copy-on-write page break
 * the sharing (copy the frame, or take it over when gs holds the last
 * reference). On success sets *frame and *pte to the resulting mapping and
 * returns 0; -EFAULT when gpa is neither mapped nor RAM, -EACCES for a write
 * to a read-only page that is not copy-on-write, -ENOMEM when the pool is
 * exhausted (nothing changes).
 */
int gstage_fault(struct gstage *gs, uint64_t gpa, bool write,
		 uint32_t *frame, uint64_t *pte);

/* Callback for gstage_walk(): one mapped page. Nonzero stops the walk. */
typedef int (*gstage_walk_fn)(uint64_t gpa, uint64_t pte, void *arg);

/*
 * Call fn for every mapped page in ascending gpa order. Returns 0 or the
 * first nonzero value fn returned. The caller must keep gs from changing.
 */
int gstage_walk(const struct gstage *gs, gstage_walk_fn fn, void *arg);

/* Snapshot of gs's counters. */
void gstage_get_stats(const struct gstage *gs, struct gstage_stats *st);

/*
 * Consistency check over every gstage that uses pool: each frame's
 * reference count equals the number of table entries (and roots) that
 * reference it, every frame in use is referenced, a frame with more than
 * one reference is never mapped writable, and every pointer to a table with
 * more than one reference carries GPTE_SHARED. extra[] lists frames the
 * caller holds one reference to outside any table (may be NULL).
 * Returns 0, or -EUCLEAN and prints the first violation to stderr.
 */
int gstage_check(struct frame_pool *pool, struct gstage *const gs[], size_t n,
		 const uint32_t *extra, size_t nextra);

#endif
