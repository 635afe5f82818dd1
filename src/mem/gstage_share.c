/* SPDX-License-Identifier: MIT */
/*
 * Sharing guest pages after the fact (mechanism 4 of DESIGN.md): backing
 * free pages by the zero frame, and merging pages of equal content onto one
 * frame. Both leave copy-on-write leaves behind, so a later write gets a
 * frame of its own through gstage_fault().
 */
#include <errno.h>

#include "mem/gstage_priv.h"

/* A guest data page: writable, or copy-on-write (writable once broken). */
static bool share_is_data(uint64_t e)
{
	return (e & GPTE_V) && (e & (GPTE_W | GPTE_COW));
}

/*
 * Lock held. Move the data pages of [gpa, gpa + npages pages) to the zero
 * frame, appending their frames to *dropped; adds the pages moved to *n.
 */
static int share_zero_locked(struct gstage *gs, uint64_t gpa, uint64_t npages,
			     struct frame_vec *dropped, uint64_t *n)
{
	const uint64_t zero = GPTE_LEAF_BITS | GPTE_R | GPTE_X | GPTE_COW |
			      gpte_of_frame(FRAME_ZERO);
	uint64_t end = gpa + npages * FRAME_SIZE;
	gpte_t *slot = NULL;
	int r = 0;

	while (gpa < end && !r) {
		/* One level-0 table covers 512 pages; its slots follow. */
		uint64_t table_end =
		    (gpa | ((uint64_t)FRAME_SIZE * GSTAGE_TABLE_ENTRIES - 1)) +
		    1;
		uint64_t stop = table_end < end ? table_end : end;

		r = gstage_path_prepare(gs, gpa, false, &slot);
		if (r == -ENOENT) {
			gpa = stop; /* nothing populated there */
			r = 0;
			continue;
		}
		for (; !r && gpa < stop; gpa += FRAME_SIZE, slot++) {
			uint64_t e =
			    atomic_load_explicit(slot, memory_order_relaxed);

			if (!share_is_data(e) || gpte_frame(e) == FRAME_ZERO)
				continue;
			/* Room for the frame first: nothing changes without. */
			r = frame_vec_push(dropped, gpte_frame(e));
			if (r)
				break;
			atomic_store_explicit(slot, zero, memory_order_release);
			(*n)++;
		}
	}
	return r;
}

/* Check a range for gstage_share_zero(): 0, -EINVAL or -ERANGE. */
static int share_range_check(const struct gstage *gs, uint64_t gpa,
			     uint64_t npages)
{
	if ((gpa & (FRAME_SIZE - 1)) ||
	    npages > ((UINT64_MAX - gpa) >> FRAME_SHIFT))
		return -EINVAL;
	if (gpa < gs->ram_base ||
	    gpa + npages * FRAME_SIZE > gs->ram_base + gs->ram_size)
		return -ERANGE;
	return 0;
}

int gstage_share_zero(struct gstage *gs, uint64_t gpa, uint64_t npages,
		      struct frame_vec *dropped, uint64_t *shared)
{
	struct gstage_range range = {.gpa = gpa, .npages = npages};
	int r = gstage_share_zero_ranges(gs, &range, 1, dropped);

	*shared += range.shared;
	return r ? r : range.err;
}

int gstage_share_zero_ranges(struct gstage *gs, struct gstage_range *ranges,
			     size_t n, struct frame_vec *dropped)
{
	uint64_t total = 0;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		ranges[i].shared = 0;
		ranges[i].err =
		    share_range_check(gs, ranges[i].gpa, ranges[i].npages);
	}
	pthread_mutex_lock(&gs->lock);
	for (size_t i = 0; i < n && !r; i++) {
		if (ranges[i].err)
			continue;
		r = share_zero_locked(gs, ranges[i].gpa, ranges[i].npages,
				      dropped, &ranges[i].shared);
		ranges[i].err = r;
		total += ranges[i].shared;
	}
	/* Translations narrowed: announced before the caller can let the
	 * dropped frames go. */
	if (total)
		atomic_fetch_add(&gs->generation, 1);
	gstage_stat_add(&gs->stats.zero_shared, (int64_t)total);
	pthread_mutex_unlock(&gs->lock);
	return r;
}

int gstage_write_protect(struct gstage *gs, uint64_t gpa, uint32_t *frame)
{
	gpte_t *slot;
	uint64_t e;
	int r;

	if (gpa & (FRAME_SIZE - 1))
		return -EINVAL;
	pthread_mutex_lock(&gs->lock);
	r = gstage_path_prepare(gs, gpa, false, &slot);
	if (r)
		goto out;
	e = atomic_load_explicit(slot, memory_order_relaxed);
	if (!share_is_data(e)) {
		r = -ENOENT;
		goto out;
	}
	if (e & GPTE_W) {
		atomic_store_explicit(slot, (e & ~GPTE_W) | GPTE_COW,
				      memory_order_release);
		atomic_fetch_add(&gs->generation, 1);
	}
	*frame = gpte_frame(e);
out:
	pthread_mutex_unlock(&gs->lock);
	return r;
}

int gstage_share_frame(struct gstage *gs, uint64_t gpa, uint32_t frame,
		       uint32_t expect, struct frame_vec *dropped)
{
	gpte_t *slot;
	uint64_t e;
	int r;

	if (gpa & (FRAME_SIZE - 1))
		return -EINVAL;
	pthread_mutex_lock(&gs->lock);
	r = gstage_path_prepare(gs, gpa, false, &slot);
	if (r)
		goto out;
	e = atomic_load_explicit(slot, memory_order_relaxed);
	if (!share_is_data(e) || gpte_frame(e) != expect) {
		r = -ESTALE;
		goto out;
	}
	if (expect == frame)
		goto out;
	r = frame_vec_push(dropped, expect);
	if (r)
		goto out;
	frame_get(gs->pool, frame);
	atomic_store_explicit(slot,
			      (e & ~(GPTE_W | GPTE_PPN_MASK)) | GPTE_COW |
				  gpte_of_frame(frame),
			      memory_order_release);
	atomic_fetch_add(&gs->generation, 1);
	gstage_stat_add(&gs->stats.merged, 1);
out:
	pthread_mutex_unlock(&gs->lock);
	return r;
}
