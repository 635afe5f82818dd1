/* SPDX-License-Identifier: MIT */
#include "dev/plic.h"

#include <errno.h>
#include <string.h>

static bool bit_get(const uint32_t *w, unsigned n)
{
	return (w[n / 32] >> (n % 32)) & 1;
}

static void bit_put(uint32_t *w, unsigned n, bool v)
{
	if (v)
		w[n / 32] |= 1u << (n % 32);
	else
		w[n / 32] &= ~(1u << (n % 32));
}

/*
 * Lock held. The source ctx would get from a claim now: pending, enabled,
 * priority above the threshold; the highest priority, then the lowest
 * number. 0 when none.
 */
static unsigned plic_best(const struct plic *p, unsigned ctx)
{
	const struct plic_context *c = &p->ctx[ctx];
	unsigned best = 0, best_prio = c->threshold;

	for (unsigned w = 0; w <= p->nsrc / 32; w++) {
		uint32_t cand = p->pending[w] & c->enable[w];

		while (cand) {
			unsigned src = w * 32 + (unsigned)__builtin_ctz(cand);

			cand &= cand - 1;
			if (p->priority[src] > best_prio) {
				best = src;
				best_prio = p->priority[src];
			}
		}
	}
	return best;
}

/* Lock held. Recompute every context's line and report the changes. */
static void plic_update(struct plic *p)
{
	for (unsigned i = 0; i < p->nctx; i++) {
		bool eip = plic_best(p, i) != 0;

		if (eip == p->ctx[i].eip)
			continue;
		p->ctx[i].eip = eip;
		if (p->notify)
			p->notify(p->opaque, i, eip);
	}
}

static void plic_chip_set_level(struct irq_chip *chip, unsigned line,
				bool level)
{
	plic_set_level((struct plic *)chip, line, level);
}

int plic_init(struct plic *p, unsigned nsrc, unsigned nctx,
	      plic_notify_fn notify, void *opaque)
{
	if (!nsrc || nsrc > PLIC_MAX_SRC || !nctx || nctx > PLIC_MAX_CTX)
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->chip.set_level = plic_chip_set_level;
	p->nsrc = nsrc;
	p->nctx = nctx;
	p->notify = notify;
	p->opaque = opaque;
	pthread_mutex_init(&p->lock, NULL);
	return 0;
}

void plic_destroy(struct plic *p)
{
	pthread_mutex_destroy(&p->lock);
}

void plic_copy_state(struct plic *dst, struct plic *src)
{
	pthread_mutex_lock(&src->lock);
	pthread_mutex_lock(&dst->lock);
	memcpy(dst->level, src->level, sizeof(dst->level));
	memcpy(dst->pending, src->pending, sizeof(dst->pending));
	memcpy(dst->claimed, src->claimed, sizeof(dst->claimed));
	memcpy(dst->priority, src->priority, sizeof(dst->priority));
	for (unsigned i = 0; i < dst->nctx && i < src->nctx; i++) {
		memcpy(dst->ctx[i].enable, src->ctx[i].enable,
		       sizeof(dst->ctx[i].enable));
		dst->ctx[i].threshold = src->ctx[i].threshold;
		dst->ctx[i].eip = false; /* reported afresh below */
	}
	plic_update(dst);
	pthread_mutex_unlock(&dst->lock);
	pthread_mutex_unlock(&src->lock);
}

void plic_set_level(struct plic *p, unsigned line, bool level)
{
	if (line == 0 || line > p->nsrc)
		return;
	pthread_mutex_lock(&p->lock);
	bit_put(p->level, line, level);
	if (!level)
		bit_put(p->pending, line, false);
	else if (!bit_get(p->claimed, line))
		bit_put(p->pending, line, true);
	plic_update(p);
	pthread_mutex_unlock(&p->lock);
}

bool plic_eip(struct plic *p, unsigned ctx)
{
	bool eip = false;

	pthread_mutex_lock(&p->lock);
	if (ctx < p->nctx)
		eip = p->ctx[ctx].eip;
	pthread_mutex_unlock(&p->lock);
	return eip;
}

/* Lock held. A claim by ctx: the source, now in service, or 0. */
static uint32_t plic_claim(struct plic *p, unsigned ctx)
{
	unsigned src = plic_best(p, ctx);

	if (src) {
		bit_put(p->pending, src, false);
		bit_put(p->claimed, src, true);
		plic_update(p);
	}
	return src;
}

/* Lock held. ctx completes src: ignored unless src is one ctx enables. */
static void plic_complete(struct plic *p, unsigned ctx, uint32_t src)
{
	if (src == 0 || src > p->nsrc || !bit_get(p->ctx[ctx].enable, src))
		return;
	if (!bit_get(p->claimed, src))
		return;
	bit_put(p->claimed, src, false);
	if (bit_get(p->level, src))
		bit_put(p->pending, src, true);
	plic_update(p);
}

/* The valid bits of enable word w: sources 1 .. nsrc. */
static uint32_t plic_word_mask(const struct plic *p, unsigned w)
{
	uint32_t mask = ~0u;
	unsigned first = w * 32;

	if (first > p->nsrc)
		return 0;
	if (p->nsrc - first < 31)
		mask = (2u << (p->nsrc - first)) - 1;
	if (w == 0)
		mask &= ~1u; /* source 0 does not exist */
	return mask;
}

/* Lock held. Register at off; a claim changes state, hence not const. */
static uint32_t plic_reg_read(struct plic *p, uint64_t off)
{
	if (off < PLIC_PENDING_BASE) {
		unsigned src = (unsigned)(off / 4);

		return src && src <= p->nsrc ? p->priority[src] : 0;
	}
	if (off < PLIC_ENABLE_BASE) {
		unsigned w = (unsigned)((off - PLIC_PENDING_BASE) / 4);

		return w < PLIC_WORDS ? p->pending[w] : 0;
	}
	if (off < PLIC_CONTEXT_BASE) {
		uint64_t rel = off - PLIC_ENABLE_BASE;
		unsigned ctx = (unsigned)(rel / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);

		if (ctx >= p->nctx || w >= PLIC_WORDS)
			return 0;
		return p->ctx[ctx].enable[w];
	}
	uint64_t rel = off - PLIC_CONTEXT_BASE;
	unsigned ctx = (unsigned)(rel / PLIC_CONTEXT_STRIDE);

	if (ctx >= p->nctx)
		return 0;
	switch (rel % PLIC_CONTEXT_STRIDE) {
	case 0:
		return p->ctx[ctx].threshold;
	case 4:
		return plic_claim(p, ctx);
	default:
		return 0;
	}
}

static void plic_reg_write(struct plic *p, uint64_t off, uint32_t val)
{
	if (off < PLIC_PENDING_BASE) {
		unsigned src = (unsigned)(off / 4);

		if (src && src <= p->nsrc) {
			p->priority[src] = (uint8_t)(val & PLIC_PRIO_MAX);
			plic_update(p);
		}
		return;
	}
	if (off < PLIC_ENABLE_BASE)
		return; /* pending bits are read-only */
	if (off < PLIC_CONTEXT_BASE) {
		uint64_t rel = off - PLIC_ENABLE_BASE;
		unsigned ctx = (unsigned)(rel / PLIC_ENABLE_STRIDE);
		unsigned w = (unsigned)(rel % PLIC_ENABLE_STRIDE / 4);

		if (ctx >= p->nctx || w >= PLIC_WORDS)
			return;
		p->ctx[ctx].enable[w] = val & plic_word_mask(p, w);
		plic_update(p);
		return;
	}
	uint64_t rel = off - PLIC_CONTEXT_BASE;
	unsigned ctx = (unsigned)(rel / PLIC_CONTEXT_STRIDE);

	if (ctx >= p->nctx)
		return;
	switch (rel % PLIC_CONTEXT_STRIDE) {
	case 0:
		p->ctx[ctx].threshold = val & PLIC_PRIO_MAX;
		plic_update(p);
		break;
	case 4:
		plic_complete(p, ctx, val);
		break;
	}
}

static int plic_mmio_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct plic *p = dev;

	*val = 0;
	if (size != 4 || off % 4 || off >= PLIC_SIZE)
		return 0;
	pthread_mutex_lock(&p->lock);
	*val = plic_reg_read(p, off);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static int plic_mmio_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct plic *p = dev;

	if (size != 4 || off % 4 || off >= PLIC_SIZE)
		return 0;
	pthread_mutex_lock(&p->lock);
	plic_reg_write(p, off, (uint32_t)val);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

const struct mmio_ops plic_mmio_ops = {
    .read = plic_mmio_read,
    .write = plic_mmio_write,
};
