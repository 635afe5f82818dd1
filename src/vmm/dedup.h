/* SPDX-License-Identifier: MIT */
/*
 * Content-based merging, the second sharing strategy and the comparison
 * point for free-page sharing (what KSM does on a host, done by the
 * hypervisor over its own tables): every data page of the given VMs is
 * hashed, pages whose hashes match are compared byte for byte, and equal
 * pages are mapped to one frame, copy-on-write; pages of zeros go to the
 * zero frame. A later write to any of them gets a copy of its own.
 */
#ifndef MEMVISOR_VMM_DEDUP_H
#define MEMVISOR_VMM_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/vm.h"

struct dedup_stats {
	uint64_t pages;	 /* data pages looked at */
	uint64_t frames; /* distinct frames behind them */
	uint64_t zero;	 /* pages of zeros moved to the zero frame */
	uint64_t merged; /* pages moved onto an equal page's frame */
};

/*
 * Merge equal pages across vms[0..n) (and within each). Every VM must be
 * paused by the caller for the whole call. The references the merged pages
 * held are appended to *dropped, to be dropped in bulk (frame_put_vec()),
 * best after resuming the VMs. Fills *st. Returns 0, or -ENOMEM (what was
 * merged before stays merged).
 */
int dedup_merge(struct vm *const vms[], size_t n, struct frame_vec *dropped,
		struct dedup_stats *st);

#endif
