/* SPDX-License-Identifier: MIT */
/* Sv39 page tables for the bare-metal tests: see pt.h. */
#include "pt.h"

#include "lib.h"

#define PT_POOL 64

static uint64_t pool[PT_POOL][512] __attribute__((aligned(4096)));
static unsigned used;

static uint64_t *pt_alloc(void)
{
	if (used == PT_POOL)
		fail(1, "out of page-table pages", used, PT_POOL, true);
	memset(pool[used], 0, 4096);
	return pool[used++];
}

uint64_t *pt_root(void)
{
	uint64_t *root = pt_alloc();

	root[(RAM_BASE >> 30) & 511] = pt_leaf(
	    RAM_BASE, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_G);
	return root;
}

uint64_t *pt_pte(uint64_t *root, uint64_t va, unsigned level)
{
	uint64_t *t = root;

	for (unsigned l = 2; l > level; l--) {
		uint64_t *e = &t[(va >> (12 + 9 * l)) & 511];

		if (!(*e & PTE_V))
			*e = pt_leaf((uint64_t)pt_alloc(), PTE_V);
		t = (uint64_t *)((*e >> 10) << 12);
	}
	return &t[(va >> (12 + 9 * level)) & 511];
}

uint64_t *pt_map(uint64_t *root, uint64_t va, uint64_t pa, unsigned level,
		 uint64_t flags)
{
	uint64_t *e = pt_pte(root, va, level);

	*e = pt_leaf(pa, flags);
	return e;
}
