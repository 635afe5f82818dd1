/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for cpu/jit/share: the shared code cache's keying and
 * validity, on its own (a page of code in host memory) and under harts:
 *  - a translation is found by host address and mode, and only while the
 *    page it was made from is unchanged; a changed page is never served
 *    the old translation, and a block that is not what the page holds is
 *    not translated;
 *  - a clone's hart (its G-stage a clone of the parent's: the same frames)
 *    runs the parent's translations, translating nothing itself; after a
 *    copy-on-write break of the code page it gets its own, and the
 *    parent keeps its code;
 *  - code rewritten in place and fenced runs anew, also through an exit
 *    that was chained to the old code;
 *  - a full cache empties its other half only once every running user
 *    has synced with the current epoch;
 *  - two harts of a VM on two threads, on a cache small enough to switch
 *    halves over and over while both run: every result stays right.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/hart.h"
#include "cpu/jit/jit.h"
#include "cpu/jit/share.h"
#include "mem/frame.h"
#include "mem/gmem.h"
#include "mem/gstage.h"

#define RAM_BASE  0x80000000ull
#define RAM_SIZE  (1u << 20)
#define CODE	  (RAM_BASE + 0x2000)
#define ECALL	  0x00000073u
#define NOP	  0x00000013u
#define CACHE_MIN (64u << 10)

/* addi rd, rs1, imm */
static uint32_t addi(unsigned rd, unsigned rs1, int imm)
{
	return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x13;
}

/* ---- The cache on its own ---- */

struct page_fx {
	struct jit_share *s;
	uint8_t *page; /* 4 KiB of code */
	struct jit_user u, v;
	struct block *b; /* what a hart decoded */
};

static void page_code(struct page_fx *fx, unsigned at, uint32_t a, uint32_t b)
{
	uint32_t code[3] = {a, b, ECALL};

	memcpy(fx->page + at, code, sizeof(code));
}

/* fx->b = the block at fx->page + at, as a hart decodes it now. */
static void page_decode(struct page_fx *fx, unsigned at)
{
	fx->b->ninsn = block_decode(fx->page + at, fx->b->insn);
	fx->b->host = (uintptr_t)(fx->page + at);
	assert_true(fx->b->ninsn > 0);
}

static int page_setup(void **state)
{
	struct page_fx *fx = calloc(1, sizeof(*fx));

	if (!fx || jit_share_create(CACHE_MIN, &fx->s))
		return -1;
	fx->page = aligned_alloc(4096, 4096);
	fx->b =
	    calloc(1, sizeof(*fx->b) + BLOCK_MAX_INSNS * sizeof(struct insn));
	if (!fx->page || !fx->b)
		return -1;
	memset(fx->page, 0, 4096);
	jit_share_join(fx->s, &fx->u);
	jit_share_join(fx->s, &fx->v);
	*state = fx;
	return 0;
}

static int page_teardown(void **state)
{
	struct page_fx *fx = *state;

	jit_share_leave(fx->s, &fx->u);
	jit_share_leave(fx->s, &fx->v);
	jit_share_put(fx->s);
	free(fx->page);
	free(fx->b);
	free(fx);
	return 0;
}

static int page_translate(struct page_fx *fx, struct jit_user *u,
			  const struct jit_key *k, const struct jit_tx **tx,
			  bool *made)
{
	size_t bytes;
	bool flushed;

	return jit_share_translate(fx->s, u, k, fx->b, NULL, u, tx, made,
				   &bytes, &flushed);
}

static void test_keying(void **state)
{
	struct page_fx *fx = *state;
	struct jit_key k = {.host = (uintptr_t)(fx->page + 0x100), .mode = 5};
	struct jit_key other_mode = {.host = k.host, .mode = 6};
	const struct jit_tx *tx, *again;
	bool made;

	page_code(fx, 0x100, addi(10, 0, 1), addi(11, 0, 2));
	page_decode(fx, 0x100);
	assert_null(jit_share_find(fx->s, &k, fx->b));
	assert_int_equal(page_translate(fx, &fx->u, &k, &tx, &made), 0);
	assert_true(made);
	assert_ptr_equal(tx->maker, &fx->u);
	assert_int_equal(tx->blk->ninsn, 3);
	/* Its own copy of the instructions, not the hart's. */
	assert_ptr_not_equal(tx->blk->insn, fx->b->insn);
	assert_ptr_equal(jit_share_find(fx->s, &k, fx->b), tx);
	/* Another user finds it, and translating it again makes nothing. */
	assert_int_equal(page_translate(fx, &fx->v, &k, &again, &made), 0);
	assert_false(made);
	assert_ptr_equal(again, tx);
	/* The key is the address and the mode. */
	assert_null(jit_share_find(fx->s, &other_mode, fx->b));
	k.host += 4;
	page_decode(fx, 0x104);
	assert_null(jit_share_find(fx->s, &k, fx->b));
}

static void test_changed_page(void **state)
{
	struct page_fx *fx = *state;
	struct jit_key k = {.host = (uintptr_t)(fx->page + 0x200)};
	const struct jit_tx *tx, *tx2;
	bool made;

	page_code(fx, 0x200, addi(10, 0, 1), addi(11, 0, 2));
	page_decode(fx, 0x200);
	assert_int_equal(page_translate(fx, &fx->u, &k, &tx, &made), 0);
	/* A store elsewhere in the page: the whole page is the key's. */
	fx->page[0xf00] ^= 1;
	assert_null(jit_share_find(fx->s, &k, fx->b));
	assert_true(atomic_load(&tx->page->dead));
	fx->page[0xf00] ^= 1; /* back as it was: the record stays dead */
	assert_null(jit_share_find(fx->s, &k, fx->b));
	/* New code at the same address: a new record, the new instructions. */
	page_code(fx, 0x200, addi(10, 0, 3), addi(11, 0, 4));
	page_decode(fx, 0x200);
	assert_int_equal(page_translate(fx, &fx->u, &k, &tx2, &made), 0);
	assert_true(made);
	assert_ptr_not_equal(tx2->page, tx->page);
	assert_int_equal(tx2->blk->insn[0].imm, 3);
	assert_ptr_equal(jit_share_find(fx->s, &k, fx->b), tx2);
	/* A hart's block that is not what the page holds (decoded before a
	 * store it did not fence): not translated from the page. */
	page_code(fx, 0x200, addi(10, 0, 5), addi(11, 0, 6));
	assert_int_equal(page_translate(fx, &fx->u, &k, &tx, &made), -ESTALE);
	assert_null(jit_share_find(fx->s, &k, fx->b));
}

/* Translate distinct blocks until the active half is full. */
static int fill(struct page_fx *fx, bool *flushed)
{
	for (unsigned n = 0; n < 100000; n++) {
		unsigned at = (n % 1000) * 4;
		struct jit_key k = {.host = (uintptr_t)(fx->page + at),
				    .mode = n / 1000};
		const struct jit_tx *tx;
		size_t bytes;
		bool made;
		int r;

		page_decode(fx, at);
		r = jit_share_translate(fx->s, &fx->u, &k, fx->b, NULL, &fx->u,
					&tx, &made, &bytes, flushed);
		if (r)
			return r;
	}
	return 0;
}

static void test_halves(void **state)
{
	struct page_fx *fx = *state;
	uint64_t epoch = atomic_load(&fx->s->epoch);
	bool flushed;

	for (unsigned i = 0; i < 1024; i++)
		memcpy(fx->page + 4 * i, &(uint32_t){addi(10, 10, (int)i)}, 4);
	/* v runs guest code and has seen the current epoch: the other half
	 * (empty) may go. */
	atomic_store(&fx->v.running, true);
	assert_int_equal(fill(fx, &flushed), -ENOSPC);
	assert_true(flushed);
	assert_int_equal(atomic_load(&fx->s->epoch), epoch + 1);
	/* u has not synced with the new epoch: it may not translate. */
	assert_int_equal(fill(fx, &flushed), -EAGAIN);
	atomic_store(&fx->u.seen, epoch + 1);
	/* v still runs and still holds code of the old epoch's half: the
	 * half it may be running stays. */
	assert_int_equal(fill(fx, &flushed), -ENOSPC);
	assert_false(flushed);
	assert_int_equal(atomic_load(&fx->s->epoch), epoch + 1);
	/* Once v syncs (or stops running) it goes. */
	atomic_store(&fx->v.seen, epoch + 1);
	assert_int_equal(fill(fx, &flushed), -ENOSPC);
	assert_true(flushed);
	assert_int_equal(atomic_load(&fx->s->epoch), epoch + 2);
	/* The index is empty after a switch. */
	page_decode(fx, 0);
	assert_null(jit_share_find(
	    fx->s, &(struct jit_key){.host = (uintptr_t)fx->page}, fx->b));
}

/* ---- Under harts ---- */

struct vm_fx {
	struct frame_pool *pool;
	struct gstage parent_gs, clone_gs;
	struct hart parent, clone;
	struct jit_share *s;
};

static int vm_setup(void **state)
{
	struct vm_fx *fx = calloc(1, sizeof(*fx));

	if (!fx || frame_pool_create(8u << 20, &fx->pool) ||
	    gstage_init(&fx->parent_gs, fx->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&fx->parent_gs, RAM_BASE, RAM_SIZE) ||
	    jit_share_create(0, &fx->s))
		return -1;
	hart_init(&fx->parent, 0, &fx->parent_gs, 0);
	fx->parent.tier = HART_TIER_JIT;
	fx->parent.jit_threshold = 1;
	fx->parent.jit_share = fx->s;
	*state = fx;
	return 0;
}

static int vm_teardown(void **state)
{
	struct vm_fx *fx = *state;

	hart_destroy(&fx->parent);
	hart_destroy(&fx->clone);
	gstage_destroy(&fx->parent_gs);
	if (fx->clone.gs)
		gstage_destroy(&fx->clone_gs);
	jit_share_put(fx->s);
	frame_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

/* The clone: a G-stage clone of the parent's, a hart of the same share. */
static void vm_clone_it(struct vm_fx *fx)
{
	assert_int_equal(gstage_clone(&fx->clone_gs, &fx->parent_gs, 1), 0);
	hart_init(&fx->clone, 0, &fx->clone_gs, 0);
	hart_copy_state(&fx->clone, &fx->parent);
	fx->clone.jit_share = fx->s;
}

static void put_code(struct gstage *gs, uint64_t at, const uint32_t *code,
		     size_t n)
{
	assert_int_equal(gmem_write(gs, at, code, n * 4), 0);
}

/* Run h from pc to its ecall (S-mode: HART_EXIT_ECALL); returns a0. */
static uint64_t run_at(struct hart *h, uint64_t pc)
{
	h->pc = pc;
	h->x[10] = 0;
	h->x[5] = 20;
	assert_int_equal(hart_run(h, 100000), HART_EXIT_ECALL);
	return h->x[10];
}

/* a0 = 20 * (1 + 2): a loop of one block (looping within its trace, the
 * jump after it), then the jump to a second block in the page (a chained
 * exit), which ends in ecall. */
static const uint32_t loop_code[] = {
    0x00150513, /* 0: addi a0, a0, 1 */
    0x00250513, /* addi a0, a0, 2 */
    0xfff28293, /* addi t0, t0, -1 */
    0xfe029ae3, /* bnez t0, 0 */
    0x0f00006f, /* j +0xf0 -> 0x100 */
};
static const uint32_t tail_code[] = {0x06450513, ECALL}; /* addi a0,a0,100 */

static void test_clone_runs_parents_code(void **state)
{
	struct vm_fx *fx = *state;
	const struct hart_tier_stats *p = &fx->parent.tier_stats,
				     *c = &fx->clone.tier_stats;

	put_code(&fx->parent_gs, CODE, loop_code, 5);
	put_code(&fx->parent_gs, CODE + 0x100, tail_code, 2);
	assert_int_equal(run_at(&fx->parent, CODE), 160);
	assert_int_equal(run_at(&fx->parent, CODE), 160);
	assert_true(p->blocks >= 2); /* the loop's trace, the tail */
	assert_true(p->links > 0);
	assert_int_equal(p->shared_hits, 0);

	vm_clone_it(fx);
	assert_int_equal(run_at(&fx->clone, CODE), 160);
	/* Nothing translated of its own: the loop's block is the parent's,
	 * and from it the parent's chains lead on through the others. */
	assert_int_equal(c->blocks, 0);
	assert_true(c->shared_hits > 0);
	assert_int_equal(c->links, 0);

	/* The clone's own code page (a copy-on-write break: a new frame) gets
	 * translations of its own; the parent keeps its code. */
	put_code(&fx->clone_gs, CODE + 0x100, &(uint32_t){addi(10, 10, 7)}, 1);
	hart_flush_icache(&fx->clone);
	assert_int_equal(run_at(&fx->clone, CODE), 67);
	assert_true(c->blocks > 0);
	assert_int_equal(run_at(&fx->parent, CODE), 160);
}

static void test_rewritten_code(void **state)
{
	struct vm_fx *fx = *state;
	uint64_t blocks;

	put_code(&fx->parent_gs, CODE, loop_code, 5);
	put_code(&fx->parent_gs, CODE + 0x100, tail_code, 2);
	assert_int_equal(run_at(&fx->parent, CODE), 160);
	assert_int_equal(run_at(&fx->parent, CODE), 160);
	assert_true(fx->parent.tier_stats.links > 0);
	blocks = fx->parent.tier_stats.blocks;

	/* The frame written in place (one VM's own frame), then fence.i: the
	 * loop block is unchanged, but the block it was chained to is not. */
	put_code(&fx->parent_gs, CODE + 0x100, &(uint32_t){addi(10, 10, 9)}, 1);
	hart_flush_icache(&fx->parent);
	assert_int_equal(run_at(&fx->parent, CODE), 69);
	assert_true(fx->parent.tier_stats.blocks > blocks);
	/* Without a fence.i the hart may go on with what it decoded; with
	 * one, the new code again. */
	put_code(&fx->parent_gs, CODE, &(uint32_t){NOP}, 1);
	hart_flush_icache(&fx->parent);
	assert_int_equal(run_at(&fx->parent, CODE), 49);
}

/* Function k of the threads' test: a0 = 3k + 1 (a loop of 3, chained to
 * itself, then a fall-through block), at CODE + 64k. */
#define FUNCS 128

static void put_funcs(struct gstage *gs)
{
	for (int k = 0; k < FUNCS; k++) {
		uint32_t f[] = {
		    addi(10, 0, 0),  addi(5, 0, 3), addi(10, 10, k), /* L */
		    addi(5, 5, -1),  0xfe029ce3, /* bnez t0, L (-8) */
		    addi(10, 10, 1), ECALL,
		};

		put_code(gs, CODE + 64 * (uint64_t)k, f, 7);
	}
}

struct runner {
	struct hart *h;
	unsigned seed, runs, wrong;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;

	for (unsigned i = 0; i < r->runs; i++) {
		unsigned k = (i * 37 + r->seed) % FUNCS;

		r->h->pc = CODE + 64 * (uint64_t)k;
		if (hart_run(r->h, 100000) != HART_EXIT_ECALL ||
		    r->h->x[10] != 3 * (uint64_t)k + 1)
			r->wrong++;
	}
	return NULL;
}

static void test_two_threads_small_cache(void **state)
{
	struct vm_fx *fx = *state;
	struct jit_share *small;
	struct runner r[2];
	pthread_t t[2];
	uint64_t flushes;

	assert_int_equal(jit_share_create(CACHE_MIN, &small), 0);
	hart_destroy(&fx->parent);
	fx->parent.jit_share = small;
	/* The second VCPU of the same VM: the same G-stage. */
	hart_init(&fx->clone, 1, &fx->parent_gs, 0);
	fx->clone.tier = HART_TIER_JIT;
	fx->clone.jit_threshold = 1;
	fx->clone.jit_share = small;
	put_funcs(&fx->parent_gs);
	r[0] = (struct runner){.h = &fx->parent, .seed = 0, .runs = 20000};
	r[1] = (struct runner){.h = &fx->clone, .seed = 11, .runs = 20000};
	for (int i = 0; i < 2; i++)
		assert_int_equal(
		    pthread_create(&t[i], NULL, runner_main, &r[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(r[0].wrong, 0);
	assert_int_equal(r[1].wrong, 0);
	/* The cache did go round its halves, and each hart ran code the
	 * other made. */
	flushes = fx->parent.tier_stats.flushes + fx->clone.tier_stats.flushes;
	assert_true(flushes > 5);
	assert_true(fx->parent.tier_stats.shared_hits > 0);
	assert_true(fx->clone.tier_stats.shared_hits > 0);
	hart_destroy(&fx->parent);
	hart_destroy(&fx->clone);
	memset(&fx->clone, 0, sizeof(fx->clone)); /* no G-stage of its own */
	jit_share_put(small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_keying, page_setup,
					    page_teardown),
	    cmocka_unit_test_setup_teardown(test_changed_page, page_setup,
					    page_teardown),
	    cmocka_unit_test_setup_teardown(test_halves, page_setup,
					    page_teardown),
	    cmocka_unit_test_setup_teardown(test_clone_runs_parents_code,
					    vm_setup, vm_teardown),
	    cmocka_unit_test_setup_teardown(test_rewritten_code, vm_setup,
					    vm_teardown),
	    cmocka_unit_test_setup_teardown(test_two_threads_small_cache,
					    vm_setup, vm_teardown),
	};

	if (!jit_supported()) {
		printf("skip: no translator on this host (x86-64 only)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
