/* SPDX-License-Identifier: MIT */
#include "vmm/dedup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* One mapping of a data page. */
struct dedup_page {
	uint64_t hash;
	uint32_t frame;
	uint32_t vm; /* index into vms[] */
	uint64_t gpa;
};

struct dedup_walk {
	struct dedup_page *v;
	size_t n, cap;
	uint32_t vm;
};

static int dedup_collect(uint64_t gpa, uint64_t pte, void *arg)
{
	struct dedup_walk *w = arg;
	uint32_t frame = (uint32_t)((pte & GPTE_PPN_MASK) >> GPTE_PPN_SHIFT);

	/* Data pages only (writable, or copy-on-write), not the zero frame. */
	if (!(pte & (GPTE_W | GPTE_COW)) || frame == FRAME_ZERO)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4096;
		struct dedup_page *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n++] =
	    (struct dedup_page){.frame = frame, .vm = w->vm, .gpa = gpa};
	return 0;
}

/* A 64-bit hash of a page, word by word; 0 only for a page of zeros. */
static uint64_t dedup_hash(const uint64_t *p)
{
	uint64_t h = 0;

	for (unsigned i = 0; i < FRAME_SIZE / 8; i++) {
		h = (h ^ p[i]) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 29;
	}
	return h;
}

static bool dedup_is_zero(const uint64_t *p)
{
	for (unsigned i = 0; i < FRAME_SIZE / 8; i++)
		if (p[i])
			return false;
	return true;
}

static int dedup_by_frame(const void *a, const void *b)
{
	const struct dedup_page *x = a, *y = b;

	return (x->frame > y->frame) - (x->frame < y->frame);
}

static int dedup_by_hash(const void *a, const void *b)
{
	const struct dedup_page *x = a, *y = b;

	if (x->hash != y->hash)
		return (x->hash > y->hash) - (x->hash < y->hash);
	return (x->frame > y->frame) - (x->frame < y->frame);
}

/* Write-protect every mapping of pages[from..to) (one frame's). */
static int dedup_protect(struct vm *const vms[], const struct dedup_page *p,
			 size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		uint32_t f;
		int r = gstage_write_protect(&vms[p[i].vm]->gs, p[i].gpa, &f);

		if (r)
			return r;
	}
	return 0;
}

/* End of the run of pages[from..) on the same frame. */
static size_t dedup_frame_end(const struct dedup_page *p, size_t n, size_t from)
{
	size_t i = from + 1;

	while (i < n && p[i].frame == p[from].frame)
		i++;
	return i;
}

int dedup_merge(struct vm *const vms[], size_t n, struct frame_vec *dropped,
		struct dedup_stats *st)
{
	struct dedup_walk w = {0};
	struct frame_pool *pool;
	int r = 0;

	memset(st, 0, sizeof(*st));
	if (!n)
		return 0;
	pool = vms[0]->gs.pool;
	for (w.vm = 0; w.vm < n && !r; w.vm++)
		r = gstage_walk(&vms[w.vm]->gs, dedup_collect, &w);
	if (r)
		goto out;
	st->pages = w.n;

	/* Hash each frame once, however many VMs map it. */
	qsort(w.v, w.n, sizeof(*w.v), dedup_by_frame);
	for (size_t i = 0, j; i < w.n; i = j) {
		uint64_t h = dedup_hash(frame_ptr(pool, w.v[i].frame));

		j = dedup_frame_end(w.v, w.n, i);
		for (size_t k = i; k < j; k++)
			w.v[k].hash = h;
		st->frames++;
	}
	qsort(w.v, w.n, sizeof(*w.v), dedup_by_hash);

	/* Within a run of one hash: frames in order, the first is kept. */
	for (size_t i = 0, end; i < w.n && !r; i = end) {
		const void *keep = frame_ptr(pool, w.v[i].frame);
		size_t first_end = dedup_frame_end(w.v, w.n, i);
		bool zero = dedup_is_zero(keep), protected = false;

		for (end = first_end;
		     end < w.n && w.v[end].hash == w.v[i].hash;)
			end = dedup_frame_end(w.v, w.n, end);
		if (zero) {
			for (size_t k = i; k < end && !r; k++) {
				if (!dedup_is_zero(
					frame_ptr(pool, w.v[k].frame)))
					continue;
				r = gstage_share_zero(&vms[w.v[k].vm]->gs,
						      w.v[k].gpa, 1, dropped,
						      &st->zero);
			}
			continue;
		}
		for (size_t k = first_end; k < end && !r; k++) {
			/* Equal hashes can hide different contents. */
			if (memcmp(keep, frame_ptr(pool, w.v[k].frame),
				   FRAME_SIZE))
				continue;
			if (!protected) {
				r = dedup_protect(vms, w.v, i, first_end);
				protected = true;
				if (r)
					break;
			}
			r = gstage_share_frame(&vms[w.v[k].vm]->gs, w.v[k].gpa,
					       w.v[i].frame, w.v[k].frame,
					       dropped);
			if (r == -ESTALE)
				r = 0; /* changed meanwhile: not merged */
			else if (!r)
				st->merged++;
		}
	}
out:
	free(w.v);
	return r;
}
