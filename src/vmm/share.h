/* SPDX-License-Identifier: MIT */
/*
 * Sharing a guest's free pages (mechanism 4 of DESIGN.md): from the page
 * map of a paused guest (vmi/classify.h), every page its kernel holds free
 * is backed by the pool's one zero frame, copy-on-write, and the frames
 * behind them go back to the host. No guest cooperation: the guest's next
 * write to such a page gets a fresh zeroed frame, which is all a free page
 * promises (the kernel keeps no data in free pages; its free lists live in
 * struct page, elsewhere).
 *
 * Safety rests on one rule: a map is applied only while the VM is still
 * paused in the pause it was taken in, so no page the map calls free can
 * have been reused since. hv_share() does both in one pause.
 */
#ifndef MEMVISOR_VMM_SHARE_H
#define MEMVISOR_VMM_SHARE_H

#include <stdint.h>

#include "vmi/classify.h"
#include "vmm/vm.h"

/*
 * How long each page has been free, in page maps taken in a row: the
 * periodic policy shares only pages that stayed free a while. A page
 * freed a moment ago is likely taken again soon, and sharing it would only
 * cost the guest a fault and the host a fresh frame.
 */
struct share_age {
	uint8_t *maps; /* per frame of the map: maps it was free in, <= 255 */
	uint64_t npages;
};

/*
 * Count map in: each page free in it ages by one map, every other page
 * goes back to 0 (all do when the map covers other frames than before).
 * *a is allocated on first use. Returns 0 or -ENOMEM (*a as it was).
 */
int share_age_update(struct share_age **a, const struct vmi_map *map);

/* Free a (NULL-safe). */
void share_age_free(struct share_age *a);

struct share_stats {
	uint64_t free_pages; /* pages the map says are free */
	uint64_t shared;     /* of them, moved to the zero frame now */
};

/*
 * Back every free page of map (MEMVISOR_PAGE_FREE and _FREE_TAIL) by the
 * zero frame in vm's G-stage (gstage_share_zero()); the VCPUs drop their
 * cached translations before they next run. The frames the pages held are
 * appended to *dropped: the caller gives them back (frame_put_vec()),
 * best after resuming the VM, since that is the slow part. vm must be
 * paused, and map taken in this same pause: map->tag == vm->resumes.
 * age: NULL, or how long each page has been free (share_age_update()
 * with this map counted in); then only pages free in at least min_age
 * maps in a row are shared. Fills *st. Returns 0, -ESTALE (the map is
 * older than the VM's last run, or the VM is not paused: nothing changed),
 * -EINVAL (the map is not of vm's RAM), or -ENOMEM (a table shared with a
 * clone could not be replicated; what was shared before stays shared).
 */
int share_free(struct vm *vm, const struct vmi_map *map,
	       const struct share_age *age, unsigned min_age,
	       struct frame_vec *dropped, struct share_stats *st);

#endif
