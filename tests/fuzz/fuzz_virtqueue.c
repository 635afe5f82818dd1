/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the split-virtqueue code (dev/virtio/queue.c): the
 * input is a queue setup and an image of guest RAM holding the rings,
 * descriptor tables and buffers, all of it hostile. The queue must accept
 * or refuse it cleanly; whatever it accepts must respect the invariants
 * the devices rely on (checked here, abort() on a violation).
 *
 * Input: a 16-byte header, then up to FUZZ_RAM bytes of guest RAM.
 *   u16 queue size, u16 desc / avail / used offsets in RAM (or absolute
 *   addresses with flag 2), u16 head for a bare walk, u8 flags (1: event
 *   index), u8 pops, u32 pushed length.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/virtio/queue.h"
#include "mem/gmem.h"

#define FUZZ_RAM_BASE 0x80000000ull
#define FUZZ_RAM      (64u * 1024)
#define FUZZ_HDR      16u

static struct frame_pool *pool;
static struct gstage gs;
static struct virtq_chain chain;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* A violated invariant: say which, then crash for libFuzzer. */
#define check(ok)                                                              \
	do {                                                                   \
		if (!(ok)) {                                                   \
			fprintf(stderr, "fuzz_virtqueue: %s:%d: %s\n",         \
				__FILE__, __LINE__, #ok);                      \
			abort();                                               \
		}                                                              \
	} while (0)

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

/* What every accepted chain must satisfy. */
static void check_chain(const struct virtq *q, const struct virtq_chain *c)
{
	uint64_t in = 0, out = 0;

	check(c->n <= VIRTQ_CHAIN_MAX);
	for (unsigned i = 0; i < c->n; i++) {
		const struct virtq_buf *b = &c->buf[i];

		check(b->gpa >= FUZZ_RAM_BASE &&
		      b->gpa + b->len <= FUZZ_RAM_BASE + FUZZ_RAM);
		if (b->writable) {
			check(
			    !overlaps(b->gpa, b->len, q->desc, 16u * q->size));
			check(!overlaps(b->gpa, b->len, q->avail,
					6u + 2u * q->size));
			check(!overlaps(b->gpa, b->len, q->used,
					6u + 8u * q->size));
			in += b->len;
		} else {
			out += b->len;
		}
	}
	check(in == c->in_len && out == c->out_len);
	check(in + out <= 0xffffffffull);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct virtq q = {.gs = &gs};
	uint8_t flags, pops;
	uint32_t push_len;
	uint64_t base;
	int r;

	if (!pool) {
		if (frame_pool_create(4u << 20, &pool) ||
		    gstage_init(&gs, pool, GSTAGE_SV48X4) ||
		    gstage_set_ram(&gs, FUZZ_RAM_BASE, FUZZ_RAM))
			abort();
	}
	if (size < FUZZ_HDR)
		return 0;
	flags = data[10];
	pops = data[11];
	memcpy(&push_len, data + 12, 4);
	base = flags & 2 ? 0 : FUZZ_RAM_BASE;
	q.size = get16(data);
	q.desc = base + get16(data + 2);
	q.avail = base + get16(data + 4);
	q.used = base + get16(data + 6);
	q.event_idx = flags & 1;
	if (gmem_fill(&gs, FUZZ_RAM_BASE, 0, FUZZ_RAM) ||
	    gmem_write(&gs, FUZZ_RAM_BASE, data + FUZZ_HDR,
		       size - FUZZ_HDR < FUZZ_RAM ? size - FUZZ_HDR : FUZZ_RAM))
		abort();
	if (virtq_enable(&q, VIRTQ_SIZE_MAX))
		return 0;

	r = virtq_walk(&q, get16(data + 8), &chain);
	check(r == 0 || r == -EINVAL || r == -EFAULT);
	if (!r)
		check_chain(&q, &chain);

	for (unsigned i = 0; i < pops % 64u; i++) {
		r = virtq_pop(&q, &chain);
		check(r == 1 || r == 0 || r == -EINVAL || r == -EIO);
		if (r == 1)
			check_chain(&q, &chain);
		if (r == 0) {
			r = virtq_arm_notify(&q);
			check(r >= -EIO && r <= 1);
			if (r != 1)
				break;
			continue;
		}
		if (r == -EIO) {
			check(q.broken);
			break;
		}
		check(chain.head < q.size);
		if (virtq_push(&q, chain.head, push_len))
			break;
		(void)virtq_should_interrupt(&q);
		r = virtq_chain_write(&q, &chain, 0, "x", 1);
		check(r == 0 || r == 1);
	}
	return 0;
}
