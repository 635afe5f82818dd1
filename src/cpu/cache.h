/* SPDX-License-Identifier: MIT */
/*
 * Per-hart caches: the TLBs of each translation context and the decoded
 * blocks. Allocated on a hart's first run (a VM clone that never runs costs
 * none of it), dropped on hart_destroy().
 */
#ifndef MEMVISOR_CPU_CACHE_H
#define MEMVISOR_CPU_CACHE_H

#include "cpu/block.h"
#include "cpu/mmu.h"

struct hart_cache {
	struct tlb_entry tlb[TLB_CONTEXTS][TLB_SIZE];
	struct block_cache blocks;
};

#endif
