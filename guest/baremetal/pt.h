/* SPDX-License-Identifier: MIT */
/*
 * Sv39 page tables for the bare-metal tests that need a few address spaces
 * of their own (asid, cbo): a pool of table pages, a mapper that creates the
 * tables on the way, and the satp value of a root. Written from the
 * privileged specification, "Sv39" (PTE layout, levels 2..0).
 *
 * Every root made by pt_root() maps RAM's first GiB at itself (S-only, RWX,
 * global), so the test, its stacks and its tables stay reachable with
 * translation on.
 */
#ifndef BAREMETAL_PT_H
#define BAREMETAL_PT_H

#include <stdint.h>

#define PTE_V (1ul << 0)
#define PTE_R (1ul << 1)
#define PTE_W (1ul << 2)
#define PTE_X (1ul << 3)
#define PTE_U (1ul << 4)
#define PTE_G (1ul << 5)
#define PTE_A (1ul << 6)
#define PTE_D (1ul << 7)

#define PTE_PBMT_SHIFT 61

#define SATP_SV39	(8ul << 60)
#define SATP_ASID_SHIFT 44
#define SATP_MODE(v)	((v) >> 60)
#define SATP_ASID(v)	(((v) >> SATP_ASID_SHIFT) & 0xffff)
#define SATP_PPN(v)	((v) & ((1ul << 44) - 1))

#define RAM_BASE 0x80000000ul

/* A new Sv39 root with RAM's first GiB mapped at itself. Fails the test
 * (code 1) when the pool of table pages is used up. */
uint64_t *pt_root(void);

/* The PTE for va at level (0: 4 KiB, 1: 2 MiB, 2: 1 GiB) under root, with
 * the tables above it created (valid pointers, no other bits) as needed. */
uint64_t *pt_pte(uint64_t *root, uint64_t va, unsigned level);

/* Map va to pa at level with flags (PTE_V and the rest); returns the PTE. */
uint64_t *pt_map(uint64_t *root, uint64_t va, uint64_t pa, unsigned level,
		 uint64_t flags);

/* The leaf value for pa with flags. */
static inline uint64_t pt_leaf(uint64_t pa, uint64_t flags)
{
	return ((pa >> 12) << 10) | flags;
}

/* The satp value selecting root in Sv39 with asid. */
static inline uint64_t pt_satp(const uint64_t *root, uint64_t asid)
{
	return SATP_SV39 | (asid << SATP_ASID_SHIFT) | ((uint64_t)root >> 12);
}

#endif
