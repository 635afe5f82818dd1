/* SPDX-License-Identifier: MIT */
/*
 * First-stage translation (Sv39, Sv48, bare) and the per-hart software TLB.
 *
 * A TLB entry maps one guest-virtual page to a host address, with a tag per
 * access kind: tag_r/tag_w/tag_x equal the page's VPN when that access is
 * allowed without a walk. A write tag is only set once the guest PTE's D bit
 * is set and the G-stage page is writable (not copy-on-write), so the first
 * write always takes the slow path. There is one TLB per translation context
 * (U-mode, S-mode, S-mode with SUM); MXR and satp changes flush them all.
 *
 * The inline functions are the fast paths the instruction handlers use; the
 * slow paths walk the guest's tables, go through the G-stage, fill the TLB,
 * and raise the guest's page or access fault when the access is not allowed.
 * All of them return 0, or a handler result (EXEC_BLOCK_END after raising a
 * fault, HART_EXIT_NOMEM when the frame pool is exhausted).
 */
#ifndef MEMVISOR_CPU_MMU_H
#define MEMVISOR_CPU_MMU_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/exec.h"

#define TLB_BITS    10
#define TLB_SIZE    (1u << TLB_BITS)
#define TLB_MASK    (TLB_SIZE - 1)
#define TLB_WAYS    2 /* entries of a set, side by side */
#define TLB_SETS    (TLB_SIZE / TLB_WAYS)
#define TLB_INVALID UINT64_MAX

enum tlb_context {
	TLB_U,
	TLB_S,
	TLB_S_SUM,
	TLB_CONTEXTS,
};

struct tlb_entry {
	uint64_t tag_r, tag_w, tag_x;
	uintptr_t addend; /* host address = addend + guest-virtual address */
};

enum mmu_access {
	MMU_LOAD,
	MMU_STORE,
	MMU_FETCH,
};

#define PAGE_OFFSET_MASK 0xfffull

/*
 * Translate va for acc in the hart's current context, fill the TLB, and set
 * *host to the host address of va. pc is the address of the instruction on
 * whose behalf this is done (sepc if it faults).
 */
int mmu_translate(struct hart *h, uint64_t va, enum mmu_access acc, uint64_t pc,
		  uint8_t **host);

/*
 * Translate the cache block at va for a cbo.* instruction at pc: acc is
 * MMU_STORE for cbo.zero, MMU_LOAD for the management operations (allowed
 * wherever a load or a store is). A fault is raised as the store fault,
 * with stval = tval (the instruction's effective address).
 */
int mmu_translate_cbo(struct hart *h, uint64_t va, enum mmu_access acc,
		      uint64_t pc, uint64_t tval, uint8_t **host);

/* Slow paths of mmu_load()/mmu_store(): page-crossing accesses, misses. */
int mmu_load_slow(struct hart *h, const struct insn *in, uint64_t va,
		  unsigned size, uint64_t *val);
int mmu_store_slow(struct hart *h, const struct insn *in, uint64_t va,
		   unsigned size, uint64_t val);

/* Point h->tlb at the TLB of the current satp, privilege and SUM. */
void mmu_select_tlb(struct hart *h);

/*
 * The TLB is set-associative: va's page may be in either entry of its
 * set, the one used last first (a miss fills the first, the entry there
 * moving to the second; a hit in the second swaps them), so two pages a
 * loop uses in turn do not evict each other when they share a set. The
 * set is the VPN's low bits folded with the next ones, so that pages a
 * power of two apart (the halves of a large array, a buffer and its copy)
 * do not all share one. The fast paths look at the first entry; the slow
 * paths (and translated code, out of line) at the second.
 *
 * mmu_tlb_index() is the index of the set's first entry.
 */
static inline unsigned mmu_tlb_index(uint64_t va)
{
	uint64_t vpn = va >> 12;
	unsigned set_bits = TLB_BITS - 1;

	_Static_assert(TLB_WAYS == 2, "a set is two entries");
	return (unsigned)(((vpn ^ (vpn >> set_bits)) & (TLB_SETS - 1)) *
			  TLB_WAYS);
}

static inline struct tlb_entry *mmu_entry(const struct hart *h, uint64_t va)
{
	return &h->tlb[mmu_tlb_index(va)];
}

static inline uint64_t mmu_read_host(const void *p, unsigned size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2: {
		uint16_t v;
		memcpy(&v, p, 2);
		return v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	default: {
		uint64_t v;
		memcpy(&v, p, 8);
		return v;
	}
	}
}

static inline void mmu_write_host(void *p, unsigned size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2: {
		uint16_t w = (uint16_t)v;
		memcpy(p, &w, 2);
		break;
	}
	case 4: {
		uint32_t w = (uint32_t)v;
		memcpy(p, &w, 4);
		break;
	}
	default:
		memcpy(p, &v, 8);
		break;
	}
}

/* Load size bytes (zero-extended) from guest-virtual va into *val. */
static inline int mmu_load(struct hart *h, const struct insn *in, uint64_t va,
			   unsigned size, uint64_t *val)
{
	const struct tlb_entry *e = mmu_entry(h, va);

	if (__builtin_expect(e->tag_r == va >> 12 &&
				 (va & PAGE_OFFSET_MASK) <= 4096 - size,
			     1)) {
		*val = mmu_read_host((const void *)(e->addend + va), size);
		return 0;
	}
	return mmu_load_slow(h, in, va, size, val);
}

/* Store the low size bytes of val to guest-virtual va. */
static inline int mmu_store(struct hart *h, const struct insn *in, uint64_t va,
			    unsigned size, uint64_t val)
{
	const struct tlb_entry *e = mmu_entry(h, va);

	if (__builtin_expect(e->tag_w == va >> 12 &&
				 (va & PAGE_OFFSET_MASK) <= 4096 - size,
			     1)) {
		mmu_write_host((void *)(e->addend + va), size, val);
		return 0;
	}
	return mmu_store_slow(h, in, va, size, val);
}

/*
 * Host address for an atomic access of size bytes at va: acc is MMU_LOAD
 * for LR, MMU_STORE for SC and AMOs. The address must be naturally aligned
 * (else the misaligned-address fault).
 */
int mmu_atomic_host(struct hart *h, const struct insn *in, uint64_t va,
		    unsigned size, enum mmu_access acc, void **host);

/* Invalidate every entry of every TLB context of h. */
void mmu_flush_all(struct hart *h);

/* Invalidate the entries for the page holding va in every context and
 * every address space, and those of the other pages of a superpage that
 * may hold va. */
void mmu_flush_page(struct hart *h, uint64_t va);

/*
 * Invalidate the entries of the address spaces with this ASID: all of them
 * (va_all) or those of the page holding va, superpage and all, as
 * mmu_flush_page() (sfence.vma with rs2 != x0).
 * Global mappings go too, which the spec allows.
 */
void mmu_flush_asid(struct hart *h, uint64_t asid, bool va_all, uint64_t va);

#endif
