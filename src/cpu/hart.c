/* SPDX-License-Identifier: MIT */
#include "cpu/hart.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/cache.h"
#include "cpu/decode.h"
#include "cpu/jit/jit.h"
#include "cpu/trap.h"

/* Instructions between looks at the host clock for the timer. */
#define HART_TIMER_POLL 4096

uint64_t hart_host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void hart_init(struct hart *h, unsigned id, struct gstage *gs,
	       uint64_t time_base_ns)
{
	memset(h, 0, sizeof(*h));
	h->id = id;
	h->gs = gs;
	h->time_base_ns = time_base_ns;
	h->priv = PRIV_S;
	h->isa = ISA_IMPLEMENTED;
	h->tier = hart_default_tier();
	/* Every counter readable from U-mode, as the SBI firmware of other
	 * platforms (OpenSBI) leaves it: Linux never writes scounteren, and
	 * its vDSO reads time in U-mode. */
	h->scounteren = 0xffffffffu;
	h->asid_bits = ISA_ASID_BITS;
	h->timecmp = UINT64_MAX;
	atomic_init(&h->sip, 0);
	atomic_init(&h->requests, 0);
	atomic_init(&h->jit_stop, 0);
}

enum hart_tier hart_default_tier(void)
{
	return jit_supported() ? HART_TIER_JIT : HART_TIER_INTERP;
}

void hart_copy_state(struct hart *dst, const struct hart *src)
{
	memcpy(dst->x, src->x, sizeof(dst->x));
	memcpy(dst->f, src->f, sizeof(dst->f));
	dst->fcsr = src->fcsr;
	dst->pc = src->pc;
	dst->priv = src->priv;
	dst->sstatus = src->sstatus;
	dst->sie = src->sie;
	atomic_store(&dst->sip, atomic_load(&src->sip));
	dst->stvec = src->stvec;
	dst->sepc = src->sepc;
	dst->scause = src->scause;
	dst->stval = src->stval;
	dst->sscratch = src->sscratch;
	dst->satp = src->satp;
	dst->scounteren = src->scounteren;
	dst->senvcfg = src->senvcfg;
	dst->isa = src->isa;
	dst->tier = src->tier;
	dst->jit_threshold = src->jit_threshold;
	dst->jit_cache_size = src->jit_cache_size;
	dst->asid_bits = src->asid_bits;
	dst->timecmp = src->timecmp;
	dst->instret = src->instret;
	dst->time_base_ns = src->time_base_ns;
	dst->lr_host = NULL;
	mmu_select_tlb(dst);
}

void hart_destroy(struct hart *h)
{
	if (h->cache) {
		if (h->cache->jit) {
			jit_destroy(h->cache->jit);
			free(h->cache->jit);
		}
		block_cache_destroy(&h->cache->blocks);
		free(h->cache);
		h->cache = NULL;
	}
	h->tlb = NULL;
	h->jit_jumps = NULL;
	h->jit_link_site = NULL; /* it pointed into the code cache */
}

void hart_reset(struct hart *h, uint64_t pc, uint64_t arg)
{
	memset(h->x, 0, sizeof(h->x));
	memset(h->f, 0, sizeof(h->f));
	h->fcsr = 0;
	h->x[10] = h->id;
	h->x[11] = arg;
	h->pc = pc;
	h->sstatus = 0;
	h->sie = 0;
	h->satp = 0;
	h->lr_host = NULL;
	h->priv = PRIV_S;
	mmu_flush_all(h);
	mmu_select_tlb(h);
}

static int hart_cache_alloc(struct hart *h)
{
	struct hart_cache *c = malloc(sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (block_cache_init(&c->blocks)) {
		free(c);
		return -ENOMEM;
	}
	/* The TLB tables stay untouched until their slot is first used. */
	c->cur = NULL;
	c->epoch = 1;
	c->clock = 0;
	for (unsigned i = 0; i < TLB_SLOTS; i++) {
		c->slots[i].satp = 0;
		c->slots[i].epoch = 0;
		c->slots[i].stamp = 0;
		c->slots[i].span = 4096;
		c->slots[i].nsuper = 0;
	}
	/* Without a code cache (the host refuses one) the hart interprets. */
	c->jit = NULL;
	if (h->tier == HART_TIER_JIT) {
		c->jit = malloc(sizeof(*c->jit));
		if (c->jit &&
		    jit_init(c->jit, h->jit_share, h->jit_cache_size,
			     h->jit_threshold, h->isa, &h->tier_stats)) {
			free(c->jit);
			c->jit = NULL;
		}
		h->jit_jumps = c->jit ? c->jit->jumps : NULL;
	}
	h->cache = c;
	mmu_select_tlb(h);
	h->gs_generation = atomic_load(&h->gs->generation);
	return 0;
}

uint64_t hart_time(const struct hart *h)
{
	return (hart_host_ns() - h->time_base_ns) /
	       (1000000000ull / HART_TIMEBASE_HZ);
}

void hart_set_timer(struct hart *h, uint64_t deadline)
{
	h->timecmp = deadline;
	hart_clear_pending(h, HART_IRQ_STI);
	hart_poll_timer(h);
}

void hart_poll_timer(struct hart *h)
{
	if (h->timecmp != UINT64_MAX && hart_time(h) >= h->timecmp)
		hart_set_pending(h, HART_IRQ_STI);
}

void hart_set_pending(struct hart *h, uint64_t bits)
{
	atomic_fetch_or(&h->sip, bits);
	atomic_store(&h->jit_stop, 1);
}

void hart_clear_pending(struct hart *h, uint64_t bits)
{
	atomic_fetch_and(&h->sip, ~bits);
}

bool hart_wfi_wakeup(const struct hart *h)
{
	return (atomic_load(&h->sip) & h->sie) != 0;
}

void hart_request(struct hart *h, uint32_t bits)
{
	atomic_fetch_or(&h->requests, bits);
	atomic_store(&h->jit_stop, 1);
}

void hart_flush_tlb(struct hart *h)
{
	mmu_flush_all(h);
	h->jit_limit = 0; /* translated code: back to hart_run() */
}

void hart_flush_tlb_page(struct hart *h, uint64_t va)
{
	mmu_flush_page(h, va);
	h->jit_limit = 0;
}

void hart_flush_icache(struct hart *h)
{
	h->jit_limit = 0;
	if (h->cache) {
		block_cache_flush(&h->cache->blocks);
		if (h->cache->jit)
			jit_forget_jumps(h->cache->jit);
	}
}

/*
 * Serve requests posted by other threads; returns HART_EXIT_KICK or 0.
 * Bits are cleared only once served: a remote fence waits on that.
 */
static int hart_serve_requests(struct hart *h, uint32_t mask)
{
	uint32_t req = atomic_load(&h->requests) & mask;

	if (req & HART_REQ_FLUSH_TLB)
		hart_flush_tlb(h);
	if (req & HART_REQ_FLUSH_ICACHE)
		hart_flush_icache(h);
	atomic_fetch_and(&h->requests, ~req);
	return (req & HART_REQ_KICK) ? HART_EXIT_KICK : 0;
}

void hart_serve_flushes(struct hart *h)
{
	hart_serve_requests(h, HART_REQ_FLUSH_TLB | HART_REQ_FLUSH_ICACHE);
}

/* Host address of the code at va (h->pc, or its second half's), through
 * the TLB when it has the page; a handler result after a fault. */
static inline int hart_fetch(struct hart *h, uint64_t va, const uint8_t **code)
{
	const struct tlb_entry *e = mmu_entry(h, va);
	uint8_t *p;
	int r;

	if (__builtin_expect(e->tag_x == va >> 12, 1)) {
		*code = (const uint8_t *)(e->addend + va);
		return 0;
	}
	r = mmu_translate(h, va, MMU_FETCH, h->pc, &p);
	*code = p;
	return r;
}

/*
 * Execute the one instruction at h->pc that crosses a page boundary: its
 * halves come from two translations, so it is never cached as a block.
 */
static int hart_step_crossing(struct hart *h)
{
	const uint8_t *lo, *hi;
	struct insn in;
	uint16_t a, b;
	int r;

	r = hart_fetch(h, h->pc, &lo);
	if (r)
		return r;
	memcpy(&a, lo, 2);
	r = hart_fetch(h, h->pc + 2, &hi);
	if (r)
		return r;
	memcpy(&b, hi, 2);
	decode((uint32_t)a | (uint32_t)b << 16, &in);
	in.off = 0;
	h->instret++;
	r = in.fn(h, &in);
	if (r == 0)
		h->pc += in.len;
	return r == 0 ? EXEC_BLOCK_END : r;
}

/*
 * Run block b: its translation if it has one (found in the shared code
 * cache on its first run, or made once it is hot), else interpreted.
 */
static inline int hart_exec(struct hart *h, struct block *b, uint64_t poll)
{
	struct jit *jit = h->cache->jit;

	if (!b->code && (!jit || !jit_prepare(jit, b, &h->cache->blocks))) {
		const struct insn *last = &b->insn[b->ninsn - 1];
		uint64_t next = h->pc + last->off + last->len;
		int r;

		h->jit_link_site = NULL;
		r = block_exec(h, b);
		/* Its branch taken (or a trap): for the trace it starts. */
		b->taken += jit && h->pc != next;
		return r;
	}
	/* The exit that led here, from code of the same group: link it. */
	if (h->jit_link_site) {
		if (h->jit_link_host == b->host &&
		    h->jit_link_group == b->group)
			jit_link(jit, h->jit_link_site, b->code);
		h->jit_link_site = NULL;
	}
	h->jit_limit = poll;
	return jit_run(jit, h, b);
}

/* hart_run() with its caches there. */
static int hart_run_blocks(struct hart *h, uint64_t budget)
{
	uint64_t end = h->instret + budget;
	uint64_t poll = h->instret;
	struct block *prev = NULL; /* the block run last, for block_next() */
	uint64_t epoch = 0;
	int r;

	for (;;) {
		/* Before the looks below (a full barrier on x86): whatever is
		 * posted after them sets it again. */
		if (atomic_load_explicit(&h->jit_stop, memory_order_relaxed))
			atomic_store(&h->jit_stop, 0);
		if (__builtin_expect(atomic_load_explicit(&h->requests,
							  memory_order_relaxed),
				     0)) {
			r = hart_serve_requests(h, ~0u);
			if (r)
				return r;
		}
		uint64_t gen = atomic_load_explicit(&h->gs->generation,
						    memory_order_acquire);
		if (__builtin_expect(gen != h->gs_generation, 0)) {
			h->gs_generation = gen;
			hart_flush_tlb(h);
			hart_flush_icache(h);
		}
		/* The shared code cache dropped a half: so do we, of what we
		 * hold of it. */
		if (h->cache->jit && jit_sync(h->cache->jit)) {
			block_cache_flush(&h->cache->blocks);
			h->jit_link_site = NULL;
		}
		if (h->instret >= poll) {
			if (h->instret >= end)
				return HART_EXIT_BUDGET;
			hart_poll_timer(h);
			poll = h->instret + HART_TIMER_POLL;
		}
		if (atomic_load_explicit(&h->sip, memory_order_relaxed) &
		    h->sie)
			trap_take_interrupt(h);

		const uint8_t *code;
		r = hart_fetch(h, h->pc, &code);
		if (r == 0) {
			struct block_cache *bc = &h->cache->blocks;
			const struct block *b =
			    block_next(bc, prev, epoch, code);

			prev = (struct block *)b;
			epoch = bc->flushes;
			r = b ? hart_exec(h, (struct block *)b, poll)
			      : hart_step_crossing(h);
		}
		if (r > EXEC_BLOCK_END)
			return r;
	}
}

int hart_run(struct hart *h, uint64_t budget)
{
	int r;

	if (!h->cache && hart_cache_alloc(h))
		return HART_EXIT_NOMEM;
	if (!h->cache->jit)
		return hart_run_blocks(h, budget);
	jit_enter(h->cache->jit);
	r = hart_run_blocks(h, budget);
	jit_leave(h->cache->jit);
	return r;
}
