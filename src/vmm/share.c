/* SPDX-License-Identifier: MIT */
#include "vmm/share.h"

#include <errno.h>

static bool share_is_free(uint8_t byte)
{
	unsigned class = MEMVISOR_VMI_CLASS(byte);

	return class == MEMVISOR_PAGE_FREE || class == MEMVISOR_PAGE_FREE_TAIL;
}

int share_free(struct vm *vm, const struct vmi_map *map,
	       struct frame_vec *dropped, struct share_stats *st)
{
	uint64_t ram_pfn = vm->ram_base >> FRAME_SHIFT;
	int r = 0;

	st->free_pages = st->shared = 0;
	if (!vm->paused || map->tag != vm->resumes)
		return -ESTALE;
	if (map->min_pfn < ram_pfn ||
	    map->min_pfn + map->npages >
		ram_pfn + (vm->ram_size >> FRAME_SHIFT))
		return -EINVAL;
	/* Runs of free pages, each one call. */
	for (uint64_t i = 0, j; i < map->npages && !r; i = j) {
		if (!share_is_free(map->bytes[i])) {
			j = i + 1;
			continue;
		}
		for (j = i + 1; j < map->npages && share_is_free(map->bytes[j]);
		     j++)
			;
		st->free_pages += j - i;
		r = gstage_share_zero(&vm->gs,
				      (map->min_pfn + i) << FRAME_SHIFT, j - i,
				      dropped, &st->shared);
	}
	return r;
}
