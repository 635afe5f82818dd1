/* SPDX-License-Identifier: MIT */
/*
 * G-stage table helpers shared by gstage.c, gstage_clone.c,
 * gstage_share.c and gstage_check.c only.
 *
 * Levels are numbered from the leaves up: the entries of a level-0 table
 * are leaves (4 KiB pages); the root is level gs->levels - 1 and has 2048
 * entries (two extra GPA bits, the "x4"); every other table has 512.
 */
#ifndef MEMVISOR_MEM_GSTAGE_PRIV_H
#define MEMVISOR_MEM_GSTAGE_PRIV_H

#include "mem/frame_priv.h"
#include "mem/gstage.h"

#define GSTAGE_TABLE_ENTRIES 512
#define GSTAGE_ROOT_ENTRIES  2048
#define GSTAGE_MAX_LEVELS    4

/* Bits every leaf carries besides its permissions: G-stage accesses count
 * as user accesses, and A/D are preset so no A/D update is ever needed. */
#define GPTE_LEAF_BITS (GPTE_V | GPTE_U | GPTE_A | GPTE_D)

typedef _Atomic uint64_t gpte_t;

static inline bool gpte_is_leaf(uint64_t pte)
{
	return pte & GSTAGE_PERM_MASK;
}

static inline uint32_t gpte_frame(uint64_t pte)
{
	return (uint32_t)((pte & GPTE_PPN_MASK) >> GPTE_PPN_SHIFT);
}

static inline uint64_t gpte_of_frame(uint32_t frame)
{
	return (uint64_t)frame << GPTE_PPN_SHIFT;
}

static inline gpte_t *gstage_table(const struct frame_pool *pool,
				   uint32_t frame)
{
	return frame_addr(pool, frame);
}

static inline unsigned gstage_entries(const struct gstage *gs, unsigned level)
{
	return level == gs->levels - 1 ? GSTAGE_ROOT_ENTRIES
				       : GSTAGE_TABLE_ENTRIES;
}

static inline unsigned gstage_index(const struct gstage *gs, uint64_t gpa,
				    unsigned level)
{
	return (gpa >> (FRAME_SHIFT + 9 * level)) &
	       (gstage_entries(gs, level) - 1);
}

/*
 * What a leaf grants once the path to it is known: below a shared table a
 * writable page is copy-on-write in effect (its table is not ours alone),
 * and the leaf is reported with GPTE_SHARED so the first access replicates
 * the path (gstage_fault()).
 */
static inline uint64_t gpte_effective(uint64_t leaf, uint64_t path)
{
	if (!(path & GPTE_SHARED))
		return leaf;
	if (leaf & GPTE_W)
		leaf = (leaf & ~GPTE_W) | GPTE_COW;
	return leaf | GPTE_SHARED;
}

static inline void gstage_stat_add(_Atomic uint64_t *stat, int64_t n)
{
	atomic_fetch_add_explicit(stat, (uint64_t)n, memory_order_relaxed);
}

/*
 * Drop one reference on a table of the given level (never the root); the
 * last one releases everything the table references, then the table.
 */
void gstage_table_put(struct frame_pool *pool, uint32_t table, unsigned level);

/*
 * The one place that readies gs for a change at gpa: walks from the root to
 * the level-0 table and makes every table on the way present (create: a
 * zeroed new table where none is; otherwise -ENOENT) and private to gs
 * (a shared table is taken over, or replicated). Frames are reserved
 * before anything changes, so on -ENOMEM nothing has. Sets *slot to the
 * leaf entry; the rest of that level-0 table follows it. Caller holds
 * gs->lock.
 */
int gstage_path_prepare(struct gstage *gs, uint64_t gpa, bool create,
			gpte_t **slot);

#endif
