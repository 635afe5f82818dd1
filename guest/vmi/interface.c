// SPDX-License-Identifier: GPL-2.0
/*
 * memvisor's fixed introspection interface function. One file for every
 * kernel version: it is compiled by each guest kernel's own build system,
 * against that kernel's headers and config, so every struct layout, flag
 * encoding and memory model below comes from the kernel itself. memvisor
 * runs it on its software CPU over a read-only view of the paused guest
 * (include/memvisor/vmi.h has the contract).
 *
 * Rules for this file: only the kernel's own helpers, no stores outside the
 * caller's buffers but those the helpers make themselves (the view gives
 * them private copies: the guest never sees them), no locks, no version
 * numbers.
 */
#include <linux/kernel.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/page-flags.h>
#include <linux/pagemap.h>
#include <linux/preempt.h>
#include <linux/vmstat.h>

#include "internal.h" /* mm/internal.h: buddy_order() */

#include <memvisor/vmi.h>

long memvisor_vmi_info(struct memvisor_vmi_info *info);
long memvisor_vmi_classify(unsigned long pfn, unsigned long count,
			   unsigned char *map);
long memvisor_vmi_classify_free(unsigned long pfn, unsigned long count,
				unsigned char *map);

/* Free pages the per-CPU lists hold: each list's own count. */
static unsigned long long memvisor_vmi_pcp_pages(void)
{
	unsigned long long n = 0;
	struct zone *zone;
	int cpu;

	for_each_populated_zone(zone)
		for_each_possible_cpu(cpu)
			n += per_cpu_ptr(zone->per_cpu_pageset, cpu)->count;
	return n;
}

long memvisor_vmi_info(struct memvisor_vmi_info *info)
{
	info->abi_version = MEMVISOR_VMI_ABI_VERSION;
	info->page_shift = PAGE_SHIFT;
	info->min_pfn = min_low_pfn;
	info->max_pfn = max_pfn;
	info->max_order = ARRAY_SIZE(((struct zone *)0)->free_area) - 1;
	info->free_pages = global_zone_page_state(NR_FREE_PAGES);
	info->pcp_pages = memvisor_vmi_pcp_pages();
	return 0;
}

static unsigned char memvisor_vmi_class(struct page *page)
{
	if (PageSlab(page))
		return MEMVISOR_PAGE_SLAB;
	if (PageTable(page))
		return MEMVISOR_PAGE_PGTABLE;
	if (PageAnon(page))
		return MEMVISOR_PAGE_ANON;
	if (PageLRU(page) || folio_mapping(page_folio(page)))
		return MEMVISOR_PAGE_FILE;
	if (PageReserved(page))
		return MEMVISOR_PAGE_KERNEL;
	return MEMVISOR_PAGE_OTHER;
}

/* Both entry points: full says whether frames in use are told apart. */
static __always_inline long memvisor_vmi_scan(unsigned long pfn,
					      unsigned long count,
					      unsigned char *map, bool full)
{
	unsigned long i = 0;

	/* The helpers below may disable and enable preemption themselves
	 * (pfn_valid() of a sparse memory model does): the paused task may
	 * have it enabled, and none of them may try to schedule here. */
	preempt_disable_notrace();
	/* i only grows: it takes a whole free block at a time. */
	while (i < count) {
		struct page *page;
		unsigned long n;

		if (!pfn_valid(pfn + i)) {
			map[i++] = MEMVISOR_PAGE_HOLE;
			continue;
		}
		page = pfn_to_page(pfn + i);
		if (!PageBuddy(page)) {
			map[i++] = full ? memvisor_vmi_class(page)
					: MEMVISOR_PAGE_OTHER;
			continue;
		}
		/* A free block: its head says how long it is, and memvisor
		 * marks the rest. */
		n = 1ul << buddy_order(page);
		map[i] = MEMVISOR_VMI_BYTE(MEMVISOR_PAGE_FREE, buddy_order(page));
		i += min(n, count - i);
	}
	preempt_enable_no_resched_notrace();
	return count;
}

long memvisor_vmi_classify(unsigned long pfn, unsigned long count,
			   unsigned char *map)
{
	return memvisor_vmi_scan(pfn, count, map, true);
}

long memvisor_vmi_classify_free(unsigned long pfn, unsigned long count,
				unsigned char *map)
{
	return memvisor_vmi_scan(pfn, count, map, false);
}
