/* SPDX-License-Identifier: MIT */
#include "cpu/block.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/decode.h"

int block_cache_init(struct block_cache *bc)
{
	memset(bc->index, 0, sizeof(bc->index));
	bc->arena = mmap(NULL, BLOCK_ARENA_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (bc->arena == MAP_FAILED) {
		bc->arena = NULL;
		return -ENOMEM;
	}
	bc->used = 0;
	bc->builds = 0;
	bc->flushes = 0;
	return 0;
}

void block_cache_destroy(struct block_cache *bc)
{
	if (bc->arena)
		munmap(bc->arena, BLOCK_ARENA_SIZE);
	bc->arena = NULL;
}

void block_cache_flush(struct block_cache *bc)
{
	memset(bc->index, 0, sizeof(bc->index));
	bc->used = 0;
	bc->flushes++;
}

/* Fibonacci hashing: code addresses share their low and high bits, so a
 * plain mask would pile every page's blocks onto a few buckets. */
static inline size_t block_slot(uintptr_t code)
{
	return (size_t)(((uint64_t)code * 0x9e3779b97f4a7c15ull) >>
			(64 - BLOCK_INDEX_BITS));
}

static size_t block_bytes(uint32_t ninsn)
{
	return sizeof(struct block) + ninsn * sizeof(struct insn);
}

uint32_t block_decode(const uint8_t *code, struct insn *insn)
{
	const uint8_t *page_end =
	    (const uint8_t *)(((uintptr_t)code | 0xfff) + 1);
	const uint8_t *p = code;
	uint32_t n = 0;

	for (;;) {
		uint16_t lo;
		uint32_t raw;
		bool ends;

		memcpy(&lo, p, 2);
		if (decode_length(lo) == 4) {
			if (p + 4 > page_end)
				break; /* crosses the page: executed alone */
			memcpy(&raw, p, 4);
		} else {
			raw = lo;
		}
		ends = decode(raw, &insn[n]);
		insn[n].off = (uint16_t)(p - code);
		p += insn[n].len;
		n++;
		if (ends)
			return n;
		if (p == page_end || n == BLOCK_MAX_INSNS - 1)
			break;
	}
	if (n == 0)
		return 0;
	insn[n] =
	    (struct insn){.fn = exec_fallthrough, .off = (uint16_t)(p - code)};
	return n + 1;
}

static const struct block *block_build(struct block_cache *bc,
				       const uint8_t *code)
{
	struct block *b;
	uint32_t n;

	if (bc->used + block_bytes(BLOCK_MAX_INSNS) > BLOCK_ARENA_SIZE)
		block_cache_flush(bc);
	b = (struct block *)(bc->arena + bc->used);
	n = block_decode(code, b->insn);
	if (n == 0)
		return NULL;
	b->host = (uintptr_t)code;
	b->succ[0] = b->succ[1] = NULL;
	b->hits = 0;
	b->taken = 0;
	b->code = NULL;
	b->group = 0;
	b->ninsn = n;
	bc->used += (block_bytes(n) + 15) & ~(size_t)15;
	b->next = bc->index[block_slot(b->host)];
	bc->index[block_slot(b->host)] = b;
	bc->builds++;
	return b;
}

const struct block *block_find(const struct block_cache *bc, uintptr_t code)
{
	const struct block *b = bc->index[block_slot(code)];

	for (; b; b = b->next)
		if (b->host == code)
			return b;
	return NULL;
}

const struct block *block_get(struct block_cache *bc, const uint8_t *code)
{
	const struct block *b = block_find(bc, (uintptr_t)code);

	return b ? b : block_build(bc, code);
}
