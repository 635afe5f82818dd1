/* SPDX-License-Identifier: MIT */
#include "vmm/share.h"

#include <errno.h>
#include <stdlib.h>

static bool share_is_free(uint8_t byte)
{
	unsigned class = MEMVISOR_VMI_CLASS(byte);

	return class == MEMVISOR_PAGE_FREE || class == MEMVISOR_PAGE_FREE_TAIL;
}

int share_age_update(struct share_age **ap, const struct vmi_map *map)
{
	struct share_age *a = *ap;

	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		*ap = a;
	}
	if (a->npages != map->npages) {
		uint8_t *maps = calloc(map->npages ? map->npages : 1, 1);

		if (!maps)
			return -ENOMEM;
		free(a->maps);
		a->maps = maps;
		a->npages = map->npages;
	}
	for (uint64_t i = 0; i < map->npages; i++) {
		if (!share_is_free(map->bytes[i]))
			a->maps[i] = 0;
		else if (a->maps[i] < UINT8_MAX)
			a->maps[i]++;
	}
	return 0;
}

void share_age_free(struct share_age *a)
{
	if (!a)
		return;
	free(a->maps);
	free(a);
}

/* Page i of map may be shared now. */
static bool share_page(const struct vmi_map *map, const struct share_age *age,
		       unsigned min_age, uint64_t i)
{
	return share_is_free(map->bytes[i]) &&
	       (!age ||
		(age->npages == map->npages && age->maps[i] >= min_age));
}

int share_free(struct vm *vm, const struct vmi_map *map,
	       const struct share_age *age, unsigned min_age,
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
	/* Runs of pages to share, each one call. */
	for (uint64_t i = 0, j; i < map->npages && !r; i = j) {
		st->free_pages += share_is_free(map->bytes[i]);
		j = i + 1;
		if (!share_page(map, age, min_age, i))
			continue;
		for (; j < map->npages && share_page(map, age, min_age, j); j++)
			st->free_pages++;
		r = gstage_share_zero(&vm->gs,
				      (map->min_pfn + i) << FRAME_SHIFT, j - i,
				      dropped, &st->shared);
	}
	return r;
}
