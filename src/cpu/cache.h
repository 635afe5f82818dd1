/* SPDX-License-Identifier: MIT */
/*
 * Per-hart caches: the TLBs and the decoded blocks. Allocated on a hart's
 * first run (a VM clone that never runs costs none of it), dropped on
 * hart_destroy().
 *
 * The TLBs are kept per address space: TLB_SLOTS slots, each caching one
 * satp value (MODE, ASID and root) with a table per translation context.
 * Writing satp switches slots without flushing, so a guest that gives its
 * processes ASIDs finds its translations again after a context switch; a
 * guest without ASIDs flushes them itself (sfence.vma), as the privileged
 * spec requires. A flush of everything bumps the epoch and clears only the
 * current slot: the others are cleared when next switched to. The tables
 * are untouched memory until a slot is first used.
 */
#ifndef MEMVISOR_CPU_CACHE_H
#define MEMVISOR_CPU_CACHE_H

#include "cpu/block.h"
#include "cpu/mmu.h"

#define TLB_SLOTS     8
#define TLB_SUPER_MAX 16

struct tlb_slot {
	uint64_t satp;	/* the address space it caches */
	uint64_t epoch; /* hart_cache.epoch its entries belong to; 0: stale */
	uint64_t stamp; /* last switched to (least recently used is reused) */
	/*
	 * Superpage translations, which a fence of one address must drop for
	 * all the superpage's 4 KiB pages: span is the largest leaf an entry
	 * came from (4096: none), super[] the 1 GiB regions (va >> 30) they
	 * lie in, nsuper how many (TLB_SUPER_MAX + 1: too many, or a leaf
	 * larger than 1 GiB; every region counts). A fence of an address in
	 * none of them (a Linux process's pages, beside a kernel mapped with
	 * superpages) stays a one-entry flush.
	 */
	uint64_t span;
	unsigned nsuper;
	uint64_t super[TLB_SUPER_MAX];
	struct tlb_entry tlb[TLB_CONTEXTS][TLB_SIZE];
};

struct hart_cache {
	struct tlb_slot *cur; /* the slot of the hart's satp */
	uint64_t epoch;	      /* starts at 1; bumped by mmu_flush_all() */
	uint64_t clock;	      /* slot switches, for stamp */
	struct tlb_slot slots[TLB_SLOTS];
	struct block_cache blocks;
	struct jit *jit; /* the translating tier; NULL: interpreter only */
};

#endif
