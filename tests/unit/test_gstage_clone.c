/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for mem/gstage_clone: lazy and eager clones, clones of clones,
 * replication on first access, the full-copy baseline, and a randomized
 * model test that keeps a shadow copy of what every VM must read.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "gstage_test.h"
#include "mem/frame_priv.h" /* the pool's table epoch */

static const enum gstage_mode modes[] = {GSTAGE_SV39X4, GSTAGE_SV48X4};

/*
 * The guest layout every test uses: four clusters of RAM pages placed so
 * that, in both modes, several tables exist at every level (a cluster that
 * crosses a level-0 table, one in another level-1 table, one that crosses
 * a 1 GiB boundary: two root entries in Sv39x4, two level-2 entries in
 * Sv48x4), plus a few read-only pages outside RAM (a "ROM").
 */
#define RAM_SIZE      (4 * GIB)
#define CLUSTER_PAGES 256
#define NCLUSTERS     4
#define NRAM	      (NCLUSTERS * CLUSTER_PAGES)
#define NROM	      4
#define NPAGES	      (NRAM + NROM)
#define ROM_BASE      (256 * MIB)
#define MAX_VMS	      8

static const uint64_t cluster_gpa[NCLUSTERS] = {
    RAM_BASE,
    RAM_BASE + 2 * MIB - 64 * FRAME_SIZE,
    RAM_BASE + GIB + 5 * MIB,
    RAM_BASE + 3 * GIB - 64 * FRAME_SIZE,
};

static uint64_t page_gpa(unsigned i)
{
	if (i >= NRAM)
		return ROM_BASE + (uint64_t)(i - NRAM) * FRAME_SIZE;
	return cluster_gpa[i / CLUSTER_PAGES] +
	       (uint64_t)(i % CLUSTER_PAGES) * FRAME_SIZE;
}

static bool page_rom(unsigned i)
{
	return i >= NRAM;
}

/* xorshift64*: a fixed seed gives the same sequence on every run. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static unsigned rng_below(uint64_t *s, unsigned n)
{
	return (unsigned)(rng_next(s) % n);
}

static void rng_fill(uint64_t *s, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)rng_next(s);
}

/* One VM of the model: its G-stage and what each page must read. */
struct vm_model {
	struct gstage gs;
	uint8_t *shadow; /* NPAGES pages */
	bool live;
};

struct world {
	struct frame_pool *pool;
	enum gstage_mode mode;
	struct vm_model vm[MAX_VMS];
	uint64_t rng;
};

/* The shadows, one per VM slot, reused by every test so that the host
 * faults them in once (on this host a first touch is slow). */
static uint8_t shadows[MAX_VMS][(size_t)NPAGES * FRAME_SIZE];

static void world_init(struct world *w, size_t pool_bytes)
{
	w->pool = pool_make(pool_bytes);
	for (unsigned v = 0; v < MAX_VMS; v++)
		w->vm[v].shadow = shadows[v];
}

static void world_fini(struct world *w)
{
	frame_pool_destroy(w->pool);
}

static uint8_t *shadow_page(struct vm_model *m, unsigned i)
{
	return m->shadow + (size_t)i * FRAME_SIZE;
}

/*
 * A source VM: about three RAM pages in four written with random bytes
 * through gmem_write (the rest untouched, reading as zero), and the ROM
 * pages mapped read-only.
 */
static void source_build(struct world *w, unsigned v)
{
	struct vm_model *m = &w->vm[v];
	uint32_t f;

	gs_make(&m->gs, w->pool, w->mode);
	assert_int_equal(gstage_set_ram(&m->gs, RAM_BASE, RAM_SIZE), 0);
	memset(m->shadow, 0, (size_t)NPAGES * FRAME_SIZE);
	m->live = true;
	for (unsigned i = 0; i < NRAM; i++) {
		if (!rng_below(&w->rng, 4))
			continue;
		rng_fill(&w->rng, shadow_page(m, i), FRAME_SIZE);
		assert_int_equal(gmem_write(&m->gs, page_gpa(i),
					    shadow_page(m, i), FRAME_SIZE),
				 0);
	}
	for (unsigned i = NRAM; i < NPAGES; i++) {
		assert_int_equal(frame_alloc(w->pool, false, &f), 0);
		rng_fill(&w->rng, shadow_page(m, i), FRAME_SIZE);
		memcpy(frame_ptr(w->pool, f), shadow_page(m, i), FRAME_SIZE);
		assert_int_equal(gstage_map(&m->gs, page_gpa(i), f,
					    i % 2 ? GPTE_R | GPTE_X : GPTE_R),
				 0);
	}
}

/* Clone (or, with eager 0, fully copy) VM s into the free slot d. */
static int vm_clone(struct world *w, unsigned d, unsigned s, unsigned eager)
{
	struct vm_model *dst = &w->vm[d], *src = &w->vm[s];
	uint64_t gen0 = gen(&src->gs);
	int r;

	r = eager ? gstage_clone(&dst->gs, &src->gs, eager)
		  : gstage_copy_all(&dst->gs, &src->gs);
	if (r)
		return r;
	memcpy(dst->shadow, src->shadow, (size_t)NPAGES * FRAME_SIZE);
	dst->live = true;
	assert_int_equal(gen(&src->gs), gen0 + (eager ? 1 : 0));
	assert_int_equal(gen(&dst->gs), 0);
	assert_int_equal(gs_stats(&dst->gs).tables, gs_stats(&src->gs).tables);
	assert_int_equal(gs_stats(&dst->gs).leaves, gs_stats(&src->gs).leaves);
	assert_int_equal(dst->gs.ram_base, src->gs.ram_base);
	assert_int_equal(dst->gs.ram_size, src->gs.ram_size);
	return 0;
}

static void vm_destroy(struct world *w, unsigned v)
{
	gstage_destroy(&w->vm[v].gs);
	w->vm[v].live = false;
}

/*
 * Compare every page of VM v with its shadow without changing anything
 * (gstage_translate and the frame directly: a gmem_read would replicate
 * shared tables and so disturb what the test means to exercise).
 */
static void vm_verify_page(struct world *w, unsigned v, unsigned i)
{
	static const uint8_t zero[FRAME_SIZE];
	struct vm_model *m = &w->vm[v];
	uint64_t pte;
	uint32_t f;
	int r;

	r = gstage_translate(&m->gs, page_gpa(i), &f, &pte);
	if (r == -ENOENT && !page_rom(i)) {
		if (memcmp(shadow_page(m, i), zero, FRAME_SIZE))
			fail_msg("vm %u page %u: unmapped but written", v, i);
		return;
	}
	assert_int_equal(r, 0);
	if (page_rom(i))
		assert_int_equal(pte & (GPTE_W | GPTE_COW), 0);
	if (memcmp(frame_ptr(w->pool, f), shadow_page(m, i), FRAME_SIZE))
		fail_msg("vm %u page %u (gpa %#llx): contents differ", v, i,
			 (unsigned long long)page_gpa(i));
}

static void vm_verify(struct world *w, unsigned v)
{
	for (unsigned i = 0; i < NPAGES; i++)
		vm_verify_page(w, v, i);
}

static void world_check(struct world *w)
{
	struct gstage *all[MAX_VMS];
	size_t n = 0;

	for (unsigned v = 0; v < MAX_VMS; v++) {
		if (!w->vm[v].live)
			continue;
		vm_verify(w, v);
		all[n++] = &w->vm[v].gs;
	}
	assert_int_equal(gstage_check(w->pool, all, n, NULL, 0), 0);
}

static unsigned live_count(const struct world *w)
{
	unsigned n = 0;

	for (unsigned v = 0; v < MAX_VMS; v++)
		n += w->vm[v].live;
	return n;
}

static unsigned pick_live(struct world *w)
{
	unsigned k = rng_below(&w->rng, live_count(w));

	for (unsigned v = 0;; v++)
		if (w->vm[v].live && !k--)
			return v;
}

/* Frames allocated from the pool for the tables at levels >= lowest,
 * the root excluded, read from the raw entries of gs. */
static uint64_t count_tables(struct frame_pool *pool, uint32_t table,
			     unsigned level, unsigned n, unsigned lowest)
{
	_Atomic uint64_t *t = frame_ptr(pool, table);
	uint64_t count = 0, e;

	if (level == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		e = atomic_load(&t[i]);
		if (!(e & GPTE_V) || level - 1 < lowest)
			continue;
		count += 1 + count_tables(pool, pte_frame(e), level - 1, 512,
					  lowest);
	}
	return count;
}

/*
 * Every eager_levels value in both modes: what the clone allocates, what
 * both sides then map, and that they diverge correctly on writes and
 * survive each other's destruction.
 */
static void test_clone_eager_levels(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < 2; mi++) {
		struct world w = {.mode = modes[mi], .rng = 7};
		unsigned levels = modes[mi] == GSTAGE_SV39X4 ? 3 : 4;

		unsigned s = 0, d = 1;

		world_init(&w, 64 * MIB);
		source_build(&w, s);
		for (unsigned eager = 1; eager <= levels; eager++) {
			struct gstage *src = &w.vm[s].gs, *dst = &w.vm[d].gs;
			uint64_t used = in_use(w.pool), expect, pte_s, pte_d;
			uint32_t fs, fd;

			expect = GSTAGE_ROOT_FRAMES +
				 count_tables(w.pool, src->root, levels - 1,
					      2048, levels - eager);
			if (eager == 1)
				assert_int_equal(expect, GSTAGE_ROOT_FRAMES);
			if (eager == levels)
				assert_int_equal(expect, gs_stats(src).tables);
			assert_int_equal(vm_clone(&w, d, s, eager), 0);
			assert_int_equal(in_use(w.pool), used + expect);
			assert_int_equal(gs_stats(dst).populated, 0);
			assert_int_equal(gs_stats(dst).replications, 0);
			world_check(&w);

			for (unsigned i = 0; i < NPAGES; i++) {
				if (gstage_translate(src, page_gpa(i), &fs,
						     &pte_s))
					continue;
				assert_int_equal(gstage_translate(dst,
								  page_gpa(i),
								  &fd, &pte_d),
						 0);
				/* The same frame, never writable in either. */
				assert_int_equal(fs, fd);
				assert_false(pte_s & GPTE_W);
				assert_false(pte_d & GPTE_W);
				/* RAM was writable: now copy-on-write. The ROM
				 * was read-only: it just shares. */
				assert_int_equal(!!(pte_s & GPTE_COW),
						 !page_rom(i));
				assert_int_equal(!!(pte_d & GPTE_COW),
						 !page_rom(i));
				/* Reached through a shared table unless every
				 * table was copied (the source may keep
				 * GPTE_SHARED from an earlier clone, on a
				 * table it now holds alone). */
				if (eager < levels)
					assert_true(pte_s & GPTE_SHARED);
				assert_int_equal(!!(pte_d & GPTE_SHARED),
						 eager < levels);
				if (eager == levels)
					assert_int_equal(
					    frame_refcount(w.pool, fs), 2);
			}

			/* Each side writes; the other keeps its data. */
			for (unsigned k = 0; k < 64; k++) {
				unsigned v = k % 2 ? s : d;
				unsigned i = rng_below(&w.rng, NRAM);
				uint8_t *p = shadow_page(&w.vm[v], i);
				unsigned off = rng_below(&w.rng, FRAME_SIZE);

				p[off] ^= 0x5a;
				assert_int_equal(gmem_write(&w.vm[v].gs,
							    page_gpa(i) + off,
							    p + off, 1),
						 0);
			}
			assert_int_equal(
			    gmem_write(dst, page_gpa(NRAM), "x", 1), -EACCES);
			world_check(&w);

			/* Destroy the clone, or the source (the clone is then
			 * the next source): both orders. */
			if (eager % 2) {
				vm_destroy(&w, d);
			} else {
				vm_destroy(&w, s);
				s = d;
				d = 1 - s;
			}
			world_check(&w);
		}
		vm_destroy(&w, s);
		assert_int_equal(in_use(w.pool), 1);
		world_fini(&w);
	}
}

/*
 * The lazy clone's cost does not grow with the guest: whatever is mapped,
 * it allocates the root and nothing else (a count, not a time).
 */
static void test_clone_lazy_cost(void **state)
{
	static const uint64_t sizes[] = {2 * MIB, 64 * MIB, 1 * GIB};

	(void)state;
	for (size_t mi = 0; mi < 2; mi++) {
		for (size_t si = 0; si < 3; si++) {
			struct frame_pool *pool = pool_make(16 * MIB);
			struct gstage src, dst;
			uint64_t used;
			uint32_t f;

			gs_make(&src, pool, modes[mi]);
			/* One frame mapped copy-on-write at every page: the
			 * tables are real, the data costs one frame. */
			assert_int_equal(frame_alloc(pool, true, &f), 0);
			for (uint64_t off = 0; off < sizes[si];
			     off += FRAME_SIZE) {
				frame_get(pool, f);
				assert_int_equal(
				    gstage_map(&src, RAM_BASE + off, f,
					       GPTE_R | GPTE_W | GPTE_COW),
				    0);
			}
			frame_put(pool, f);
			assert_int_equal(gs_stats(&src).leaves,
					 sizes[si] / FRAME_SIZE);
			used = in_use(pool);
			assert_int_equal(gstage_clone(&dst, &src, 1), 0);
			assert_int_equal(in_use(pool),
					 used + GSTAGE_ROOT_FRAMES);
			assert_int_equal(gs_stats(&dst).leaves,
					 sizes[si] / FRAME_SIZE);
			check2(&src, &dst);
			gstage_destroy(&src);
			gstage_destroy(&dst);
			assert_int_equal(in_use(pool), 1);
			frame_pool_destroy(pool);
		}
	}
}

static void test_clone_einval(void **state)
{
	struct world w = {.mode = GSTAGE_SV39X4, .rng = 3};
	struct gstage dst;
	struct snap before, after;

	(void)state;
	world_init(&w, 32 * MIB);
	source_build(&w, 0);
	before = snap_take(&w.vm[0].gs);
	assert_int_equal(gstage_clone(&dst, &w.vm[0].gs, 0), -EINVAL);
	assert_int_equal(gstage_clone(&dst, &w.vm[0].gs, 4), -EINVAL);
	assert_int_equal(gstage_clone(&dst, &w.vm[0].gs, 100), -EINVAL);
	after = snap_take(&w.vm[0].gs);
	snap_same(&before, &after);
	world_check(&w);
	vm_destroy(&w, 0);
	assert_int_equal(in_use(w.pool), 1);
	world_fini(&w);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/*
 * With the pool nearly full, a clone fails with -ENOMEM and changes
 * nothing: src's counters, generation, mappings and contents, and every
 * reference (gstage_check with the frames the test holds). Frames are
 * handed back one at a time until the clone fits, so the clone fails at
 * every point it can: no root, root but no table, part of the tables.
 */
static void enomem_one(enum gstage_mode mode, unsigned eager)
{
	struct world w = {.mode = mode, .rng = 11 + eager};
	struct gstage *src, dst;
	struct snap before, after;
	uint32_t *held;
	size_t nheld = 0, freed = 0;
	/* A full copy needs a frame per page: free them faster. */
	const size_t step = eager ? 1 : 16;
	uint64_t need, used;
	unsigned failures = 0;
	int r;

	world_init(&w, 24 * MIB);
	source_build(&w, 0);
	src = &w.vm[0].gs;
	used = in_use(w.pool);
	if (eager)
		assert_int_equal(gstage_clone(&dst, src, eager), 0);
	else
		assert_int_equal(gstage_copy_all(&dst, src), 0);
	need = in_use(w.pool) - used;
	gstage_destroy(&dst);
	assert_int_equal(in_use(w.pool), used);

	held = malloc(frame_count(w.pool) * sizeof(*held));
	assert_non_null(held);
	while (!frame_alloc(w.pool, false, &held[nheld]))
		nheld++;
	qsort(held, nheld, sizeof(*held), cmp_u32);
	for (;;) {
		before = snap_take(src);
		r = eager ? gstage_clone(&dst, src, eager)
			  : gstage_copy_all(&dst, src);
		if (!r)
			break;
		assert_int_equal(r, -ENOMEM);
		failures++;
		after = snap_take(src);
		snap_same(&before, &after);
		vm_verify(&w, 0);
		{
			struct gstage *const all[] = {src};

			assert_int_equal(gstage_check(w.pool, all, 1,
						      held + freed,
						      nheld - freed),
					 0);
		}
		for (size_t k = 0; k < step; k++) {
			assert_true(freed < nheld);
			frame_put(w.pool, held[freed++]);
		}
	}
	/* It fits once enough frames are free, and not before. */
	assert_true(freed >= need);
	assert_true(failures >= need / step);
	{
		struct gstage *const all[] = {src, &dst};

		assert_int_equal(
		    gstage_check(w.pool, all, 2, held + freed, nheld - freed),
		    0);
	}
	gstage_destroy(&dst);
	while (freed < nheld)
		frame_put(w.pool, held[freed++]);
	free(held);
	vm_verify(&w, 0);
	vm_destroy(&w, 0);
	assert_int_equal(in_use(w.pool), 1);
	world_fini(&w);
}

static void test_clone_enomem(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < 2; mi++) {
		unsigned levels = modes[mi] == GSTAGE_SV39X4 ? 3 : 4;

		for (unsigned eager = 1; eager <= levels; eager++)
			enomem_one(modes[mi], eager);
	}
}

static void test_copy_all_enomem(void **state)
{
	(void)state;
	enomem_one(GSTAGE_SV48X4, 0);
}

/*
 * Reads replicate shared tables too, in whichever VM reads, and leave the
 * page copy-on-write; without memory a read is still served.
 */
static void test_clone_read_replicates(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < 2; mi++) {
		struct frame_pool *pool = pool_make(16 * MIB);
		const unsigned below_root = modes[mi] == GSTAGE_SV39X4 ? 2 : 3;
		const uint64_t p1 = RAM_BASE, p2 = RAM_BASE + FRAME_SIZE;
		const uint64_t p3 = RAM_BASE + GIB;
		struct gstage a, b, c;
		uint64_t used, pte, g;
		uint32_t f, fa, hold[4096];
		size_t nhold = 0;
		uint8_t byte;

		gs_make(&a, pool, modes[mi]);
		assert_int_equal(gstage_set_ram(&a, RAM_BASE, 2 * GIB), 0);
		assert_int_equal(gmem_fill(&a, p1, 0x11, FRAME_SIZE), 0);
		assert_int_equal(gmem_fill(&a, p2, 0x22, FRAME_SIZE), 0);
		assert_int_equal(gmem_fill(&a, p3, 0x33, FRAME_SIZE), 0);
		assert_int_equal(gstage_translate(&a, p1, &fa, &pte), 0);
		assert_int_equal(gstage_clone(&b, &a, 1), 0);

		/* b reads p1: every table below the root is replicated. */
		used = in_use(pool);
		g = gen(&b);
		assert_int_equal(gmem_read(&b, p1, &byte, 1), 0);
		assert_int_equal(byte, 0x11);
		assert_int_equal(in_use(pool), used + below_root);
		assert_int_equal(gs_stats(&b).replications, below_root);
		assert_int_equal(gen(&b), g);
		assert_int_equal(gstage_translate(&b, p1, &f, &pte), 0);
		assert_int_equal(f, fa);
		assert_int_equal(pte & (GPTE_W | GPTE_COW | GPTE_SHARED),
				 GPTE_COW);
		/* p2 shares p1's level-0 table, now b's own. */
		assert_int_equal(gstage_translate(&b, p2, &f, &pte), 0);
		assert_int_equal(pte & (GPTE_W | GPTE_COW | GPTE_SHARED),
				 GPTE_COW);
		check2(&a, &b);

		/* a reads p1: the tables on its path are its alone now (b
		 * copied them): taken over, nothing copied. */
		assert_int_equal(gstage_translate(&a, p1, &f, &pte), 0);
		assert_true(pte & GPTE_SHARED);
		assert_int_equal(gstage_fault(&a, p1, false, &f, &pte), 0);
		assert_int_equal(f, fa);
		assert_int_equal(pte & (GPTE_W | GPTE_COW | GPTE_SHARED),
				 GPTE_COW);
		assert_int_equal(in_use(pool), used + below_root);
		assert_int_equal(gs_stats(&a).replications, 0);
		/* a reads p3, in a subtree b still shares: a replicates
		 * the two tables under the one it took over. */
		assert_int_equal(gmem_read(&a, p3, &byte, 1), 0);
		assert_int_equal(byte, 0x33);
		assert_int_equal(gs_stats(&a).replications, 2);
		assert_int_equal(in_use(pool), used + below_root + 2);
		check2(&a, &b);

		/* A new lazy clone reads with the pool exhausted: served
		 * through the shared tables, nothing changes. */
		assert_int_equal(gstage_clone(&c, &a, 1), 0);
		while (!frame_alloc(pool, false, &hold[nhold]))
			nhold++;
		assert_true(nhold < 4096);
		used = in_use(pool);
		assert_int_equal(gstage_fault(&c, p2, false, &f, &pte), 0);
		assert_true(pte & GPTE_SHARED);
		assert_true(pte & GPTE_COW);
		assert_int_equal(((uint8_t *)frame_ptr(pool, f))[0], 0x22);
		assert_int_equal(gmem_read(&c, p2 + 5, &byte, 1), 0);
		assert_int_equal(byte, 0x22);
		assert_int_equal(in_use(pool), used);
		assert_int_equal(gs_stats(&c).replications, 0);
		/* A write cannot be served without memory. */
		assert_int_equal(gmem_write(&c, p2, "c", 1), -ENOMEM);
		while (nhold)
			frame_put(pool, hold[--nhold]);
		assert_int_equal(gmem_write(&c, p2, "c", 1), 0);
		assert_int_equal(gmem_read(&a, p2, &byte, 1), 0);
		assert_int_equal(byte, 0x22);
		assert_int_equal(gmem_read(&b, p2, &byte, 1), 0);
		assert_int_equal(byte, 0x22);
		{
			struct gstage *const all[] = {&a, &b, &c};

			assert_int_equal(gstage_check(pool, all, 3, NULL, 0),
					 0);
		}
		gstage_destroy(&a);
		gstage_destroy(&c);
		gstage_destroy(&b);
		assert_int_equal(in_use(pool), 1);
		frame_pool_destroy(pool);
	}
}

/* The full copy: the same contents, nothing shared but the zero frame. */
static void test_copy_all(void **state)
{
	(void)state;
	for (size_t mi = 0; mi < 2; mi++) {
		struct world w = {.mode = modes[mi], .rng = 5};
		struct gstage *src, *dst;
		uint64_t used, pages = 0, pte_s, pte_d, g;
		uint32_t fs, fd, cow;
		const uint64_t zero_gpa = ROM_BASE + 64 * FRAME_SIZE;
		const uint64_t cow_gpa = ROM_BASE + 65 * FRAME_SIZE;

		world_init(&w, 64 * MIB);
		source_build(&w, 0);
		src = &w.vm[0].gs;
		/* A page mapped to the zero frame, and a copy-on-write page
		 * whose other reference the test holds. */
		assert_int_equal(gstage_map(src, zero_gpa, FRAME_ZERO, GPTE_R),
				 0);
		assert_int_equal(frame_alloc(w.pool, true, &cow), 0);
		frame_get(w.pool, cow);
		assert_int_equal(
		    gstage_map(src, cow_gpa, cow, GPTE_R | GPTE_W | GPTE_COW),
		    0);
		for (unsigned i = 0; i < NPAGES; i++)
			pages +=
			    !gstage_translate(src, page_gpa(i), &fs, &pte_s);
		pages++; /* the copy-on-write page */
		used = in_use(w.pool);
		g = gen(src);
		assert_int_equal(vm_clone(&w, 1, 0, 0), 0);
		dst = &w.vm[1].gs;
		assert_int_equal(gen(src), g);
		assert_int_equal(in_use(w.pool),
				 used + gs_stats(src).tables + pages);
		for (unsigned i = 0; i < NPAGES; i++) {
			if (gstage_translate(src, page_gpa(i), &fs, &pte_s)) {
				assert_int_equal(gstage_translate(dst,
								  page_gpa(i),
								  &fd, &pte_d),
						 -ENOENT);
				continue;
			}
			assert_int_equal(
			    gstage_translate(dst, page_gpa(i), &fd, &pte_d), 0);
			assert_int_not_equal(fs, fd);
			assert_int_equal(frame_refcount(w.pool, fd), 1);
			assert_int_equal(pte_s, (pte_d & ~GPTE_PPN_MASK) |
						    (pte_s & GPTE_PPN_MASK));
		}
		assert_int_equal(gstage_translate(dst, zero_gpa, &fd, &pte_d),
				 0);
		assert_int_equal(fd, FRAME_ZERO);
		assert_false(pte_d & GPTE_W);
		assert_int_equal(gstage_translate(dst, cow_gpa, &fd, &pte_d),
				 0);
		assert_int_not_equal(fd, cow);
		assert_int_equal(pte_d & (GPTE_W | GPTE_COW), GPTE_W);
		{
			struct gstage *const all[] = {src, dst};

			assert_int_equal(gstage_check(w.pool, all, 2, &cow, 1),
					 0);
		}
		/* Drop the extra pages; then the two must diverge on
		 * writes and outlive each other. */
		assert_int_equal(gstage_unmap(src, cow_gpa), 0);
		frame_put(w.pool, cow);
		assert_int_equal(gstage_unmap(src, zero_gpa), 0);
		for (unsigned k = 0; k < 64; k++) {
			unsigned v = k % 2, i = rng_below(&w.rng, NRAM);
			uint8_t *p = shadow_page(&w.vm[v], i);

			p[k] ^= 0xa5;
			assert_int_equal(
			    gmem_write(&w.vm[v].gs, page_gpa(i) + k, p + k, 1),
			    0);
		}
		world_check(&w);
		vm_destroy(&w, 0);
		world_check(&w);
		vm_destroy(&w, 1);
		assert_int_equal(in_use(w.pool), 1);
		world_fini(&w);
	}
}

/*
 * Lock-free translates on the source while it is cloned again and again
 * (and the clones written, which replicates tables the source shares):
 * every page keeps translating to its frame.
 */
struct reader {
	struct gstage *gs;
	uint32_t frames[NPAGES]; /* per page; UINT32_MAX: unmapped */
	unsigned skip_mod;	 /* pages i % skip_mod == 0 are not read */
	atomic_bool stop, started;
	_Atomic unsigned long rounds;
	unsigned long bad;
	pthread_t thread;
};

static void *reader_run(void *arg)
{
	struct reader *rd = arg;
	uint64_t pte;
	uint32_t f;
	int r;

	atomic_store(&rd->started, true);
	while (!atomic_load(&rd->stop)) {
		for (unsigned i = 0; i < NPAGES; i++) {
			if (rd->skip_mod && i % rd->skip_mod == 0)
				continue;
			r = gstage_translate(rd->gs, page_gpa(i), &f, &pte);
			if (rd->frames[i] == UINT32_MAX)
				rd->bad += r != -ENOENT;
			else
				rd->bad +=
				    r || f != rd->frames[i] || !(pte & GPTE_R);
		}
		rd->rounds++;
	}
	return NULL;
}

/* Build the source, VM 0, note every page's frame and start rd reading
 * it. */
static void reader_start(struct world *w, struct reader *rd)
{
	uint64_t pte;

	world_init(w, 64 * MIB);
	source_build(w, 0);
	for (unsigned i = 0; i < NPAGES; i++)
		if (gstage_translate(&w->vm[0].gs, page_gpa(i), &rd->frames[i],
				     &pte))
			rd->frames[i] = UINT32_MAX;
	rd->gs = &w->vm[0].gs;
	assert_int_equal(pthread_create(&rd->thread, NULL, reader_run, rd), 0);
	/* The writes below must meet a running reader, however loaded the
	 * machine (ASan, a busy host). */
	while (!atomic_load(&rd->started))
		sched_yield();
}

/* Stop rd once it has read every page at least once: it must never have
 * read wrong; then free everything. */
static void reader_finish(struct world *w, struct reader *rd)
{
	while (atomic_load(&rd->rounds) == 0)
		sched_yield();
	atomic_store(&rd->stop, true);
	pthread_join(rd->thread, NULL);
	assert_int_equal(rd->bad, 0);
	world_check(w);
	vm_destroy(w, 0);
	assert_int_equal(in_use(w->pool), 1);
	world_fini(w);
}

static void test_clone_concurrent_translate(void **state)
{
	struct world w = {.mode = GSTAGE_SV48X4, .rng = 13};
	static struct reader rd;

	(void)state;
	reader_start(&w, &rd);
	for (unsigned k = 0; k < 200; k++) {
		assert_int_equal(vm_clone(&w, 1, 0, 1 + k % 4), 0);
		for (unsigned j = 0; j < 4; j++) {
			unsigned i = rng_below(&w.rng, NRAM);

			assert_int_equal(
			    gmem_write(&w.vm[1].gs, page_gpa(i), "w", 1), 0);
		}
		vm_destroy(&w, 1);
	}
	reader_finish(&w, &rd);
}

/*
 * The race lock-free readers must survive: the source's own tables are
 * replaced under a reader (a write to the source replicates the tables it
 * shares with a clone), and then the clone, their last other sharer, is
 * destroyed, which frees them while the reader may still be inside one.
 * The reader checks the pages nobody writes (i % 8 != 0): each must keep
 * translating to its frame, never to what a reused frame holds.
 */
static void test_translate_while_own_tables_freed(void **state)
{
	struct world w = {.mode = GSTAGE_SV48X4, .rng = 17};
	static struct reader rd = {.skip_mod = 8};
	uint64_t epoch0;

	(void)state;
	reader_start(&w, &rd);
	epoch0 = atomic_load(&w.pool->table_epoch);
	for (unsigned k = 0; k < 300; k++) {
		assert_int_equal(vm_clone(&w, 1, 0, 1), 0);
		for (unsigned c = 0; c < NCLUSTERS; c++) {
			unsigned i = c * CLUSTER_PAGES +
				     8 * rng_below(&w.rng, CLUSTER_PAGES / 8);

			assert_int_equal(
			    gmem_write(&w.vm[0].gs, page_gpa(i), "w", 1), 0);
			shadow_page(&w.vm[0], i)[0] = 'w';
		}
		vm_destroy(&w, 1);
	}
	/* The tables the source left behind were freed while it was read. */
	assert_true(atomic_load(&w.pool->table_epoch) - epoch0 >= 300);
	reader_finish(&w, &rd);
}

/*
 * The model test: random reads, writes, unmaps, clones (lazy, eager, full
 * copies; of the newest VM, so chains form, or of any, so trees form) and
 * destroys in any order, over random VMs. Every step compares the page it
 * touched in every live VM with the shadow; every CHECK_EVERY steps the
 * references are recounted (gstage_check), every VERIFY_EVERY steps every
 * page of every VM is compared. eager_cfg 0 draws each clone's levels at
 * random.
 */
#define RANDOM_STEPS 3000
#define CHECK_EVERY  50
#define VERIFY_EVERY 500

static unsigned random_eager(struct world *w, unsigned eager_cfg,
			     unsigned levels)
{
	/* A full copy now and then (it is slow: a frame per page). */
	if (!rng_below(&w->rng, 25))
		return 0;
	return eager_cfg ? eager_cfg : 1 + rng_below(&w->rng, levels);
}

static void random_access(struct world *w, bool write, unsigned *touched)
{
	uint8_t buf[FRAME_SIZE];
	unsigned v = pick_live(w), i = rng_below(&w->rng, NPAGES);
	unsigned off = rng_below(&w->rng, FRAME_SIZE), len;
	uint8_t *shadow = shadow_page(&w->vm[v], i);
	uint64_t gpa = page_gpa(i);

	len = 1 +
	      rng_below(&w->rng, FRAME_SIZE - off < 64 ? FRAME_SIZE - off : 64);
	if (!rng_below(&w->rng, 8)) {
		off = 0;
		len = FRAME_SIZE;
	}
	*touched = i;
	if (!write) {
		assert_int_equal(gmem_read(&w->vm[v].gs, gpa + off, buf, len),
				 0);
		if (memcmp(buf, shadow + off, len))
			fail_msg("vm %u page %u: read differs", v, i);
		return;
	}
	rng_fill(&w->rng, buf, len);
	if (page_rom(i)) {
		assert_int_equal(gmem_write(&w->vm[v].gs, gpa + off, buf, len),
				 -EACCES);
		return;
	}
	assert_int_equal(gmem_write(&w->vm[v].gs, gpa + off, buf, len), 0);
	memcpy(shadow + off, buf, len);
}

static void random_run(enum gstage_mode mode, unsigned eager_cfg)
{
	struct world w = {.mode = mode,
			  .rng =
			      0x9e3779b97f4a7c15ull + mode * 131 + eager_cfg};
	unsigned levels = mode == GSTAGE_SV39X4 ? 3 : 4;
	unsigned newest = 1, touched, v, s, op;
	uint64_t pte;
	uint32_t f;

	world_init(&w, 64 * MIB);
	source_build(&w, 0);
	assert_int_equal(vm_clone(&w, 1, 0, eager_cfg ? eager_cfg : 1), 0);
	world_check(&w);
	for (unsigned step = 1; step <= RANDOM_STEPS; step++) {
		touched = NPAGES;
		op = rng_below(&w.rng, 100);
		if (op < 40) {
			random_access(&w, true, &touched);
		} else if (op < 75) {
			random_access(&w, false, &touched);
		} else if (op < 85) {
			if (live_count(&w) == MAX_VMS)
				continue;
			for (v = 0; w.vm[v].live; v++)
				;
			s = w.vm[newest].live && rng_below(&w.rng, 2)
				? newest
				: pick_live(&w);
			assert_int_equal(
			    vm_clone(&w, v, s,
				     random_eager(&w, eager_cfg, levels)),
			    0);
			newest = v;
		} else if (op < 93) {
			if (live_count(&w) > 1)
				vm_destroy(&w, pick_live(&w));
		} else {
			v = pick_live(&w);
			touched = rng_below(&w.rng, NRAM);
			if (gstage_translate(&w.vm[v].gs, page_gpa(touched), &f,
					     &pte)) {
				assert_int_equal(
				    gstage_unmap(&w.vm[v].gs,
						 page_gpa(touched)),
				    -ENOENT);
			} else {
				assert_int_equal(
				    gstage_unmap(&w.vm[v].gs,
						 page_gpa(touched)),
				    0);
				memset(shadow_page(&w.vm[v], touched), 0,
				       FRAME_SIZE);
			}
		}
		for (v = 0; touched < NPAGES && v < MAX_VMS; v++)
			if (w.vm[v].live)
				vm_verify_page(&w, v, touched);
		if (step % VERIFY_EVERY == 0) {
			world_check(&w);
		} else if (step % CHECK_EVERY == 0) {
			struct gstage *all[MAX_VMS];
			size_t n = 0;

			for (v = 0; v < MAX_VMS; v++)
				if (w.vm[v].live)
					all[n++] = &w.vm[v].gs;
			assert_int_equal(gstage_check(w.pool, all, n, NULL, 0),
					 0);
		}
	}
	world_check(&w);
	while (live_count(&w)) {
		vm_destroy(&w, pick_live(&w));
		world_check(&w);
	}
	assert_int_equal(in_use(w.pool), 1);
	assert_int_equal(gstage_check(w.pool, NULL, 0, NULL, 0), 0);
	world_fini(&w);
}

static void test_random_sv39x4(void **state)
{
	(void)state;
	for (unsigned eager = 0; eager <= 3; eager++)
		random_run(GSTAGE_SV39X4, eager);
}

static void test_random_sv48x4(void **state)
{
	(void)state;
	for (unsigned eager = 0; eager <= 4; eager++)
		random_run(GSTAGE_SV48X4, eager);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clone_eager_levels),
	    cmocka_unit_test(test_clone_lazy_cost),
	    cmocka_unit_test(test_clone_einval),
	    cmocka_unit_test(test_clone_enomem),
	    cmocka_unit_test(test_copy_all_enomem),
	    cmocka_unit_test(test_clone_read_replicates),
	    cmocka_unit_test(test_copy_all),
	    cmocka_unit_test(test_clone_concurrent_translate),
	    cmocka_unit_test(test_translate_while_own_tables_freed),
	    cmocka_unit_test(test_random_sv39x4),
	    cmocka_unit_test(test_random_sv48x4),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
