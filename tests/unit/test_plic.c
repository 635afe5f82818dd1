/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/plic: the register layout, claim/complete with
 * priorities and thresholds, level-triggered gateways, the per-context line
 * callback, and accesses a guest should not make.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dev/plic.h"

#define NSRC 31
#define NCTX 2

/* What the callback reported: the last level per context, and how often. */
struct lines {
	bool level[NCTX];
	unsigned changes[NCTX];
};

static void record(void *opaque, unsigned ctx, bool level)
{
	struct lines *l = opaque;

	assert_true(ctx < NCTX);
	l->level[ctx] = level;
	l->changes[ctx]++;
}

struct fx {
	struct plic p;
	struct lines lines;
};

static int setup(void **state)
{
	static struct fx fx;

	memset(&fx, 0, sizeof(fx));
	assert_int_equal(plic_init(&fx.p, NSRC, NCTX, record, &fx.lines), 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fx *fx = *state;

	plic_destroy(&fx->p);
	return 0;
}

static uint32_t rd(struct plic *p, uint64_t off)
{
	uint64_t v = 0xdeadbeef;

	assert_int_equal(plic_mmio_ops.read(p, off, 4, &v), 0);
	return (uint32_t)v;
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
	assert_int_equal(plic_mmio_ops.write(p, off, 4, v), 0);
}

static uint64_t prio(unsigned src)
{
	return PLIC_PRIORITY_BASE + 4 * src;
}

static uint64_t enable(unsigned ctx)
{
	return PLIC_ENABLE_BASE + PLIC_ENABLE_STRIDE * ctx;
}

static uint64_t threshold(unsigned ctx)
{
	return PLIC_CONTEXT_BASE + PLIC_CONTEXT_STRIDE * ctx;
}

static uint64_t claim(unsigned ctx)
{
	return threshold(ctx) + 4;
}

static void test_init_bad(void **state)
{
	struct plic p;

	(void)state;
	assert_int_equal(plic_init(&p, 0, 1, NULL, NULL), -EINVAL);
	assert_int_equal(plic_init(&p, PLIC_MAX_SRC + 1, 1, NULL, NULL),
			 -EINVAL);
	assert_int_equal(plic_init(&p, 1, 0, NULL, NULL), -EINVAL);
	assert_int_equal(plic_init(&p, 1, PLIC_MAX_CTX + 1, NULL, NULL),
			 -EINVAL);
}

static void test_registers(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	/* Priorities: 3 bits, WARL; source 0 and sources past NSRC read 0. */
	wr(p, prio(5), 0xffffffff);
	assert_int_equal(rd(p, prio(5)), PLIC_PRIO_MAX);
	wr(p, prio(5), 2);
	assert_int_equal(rd(p, prio(5)), 2);
	wr(p, prio(0), 5);
	assert_int_equal(rd(p, prio(0)), 0);
	wr(p, prio(NSRC + 1), 5);
	assert_int_equal(rd(p, prio(NSRC + 1)), 0);

	/* Enables: bit 0 (no source 0) and bits past NSRC stay clear. */
	wr(p, enable(1), 0xffffffff);
	assert_int_equal(rd(p, enable(1)), 0xfffffffe);
	assert_int_equal(rd(p, enable(0)), 0);
	wr(p, enable(1) + 4, 0xffffffff);
	assert_int_equal(rd(p, enable(1) + 4), 0);
	/* No context 2. */
	wr(p, enable(2), 0xffffffff);
	assert_int_equal(rd(p, enable(2)), 0);

	/* Thresholds: 3 bits. */
	wr(p, threshold(0), 0xff);
	assert_int_equal(rd(p, threshold(0)), PLIC_PRIO_MAX);
	assert_int_equal(rd(p, threshold(1)), 0);
	wr(p, threshold(2), 3);
	assert_int_equal(rd(p, threshold(2)), 0);
}

static void test_pending_read_only(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, PLIC_PENDING_BASE, 0xffffffff);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
	plic_set_level(p, 3, true);
	plic_set_level(p, 9, true);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), (1u << 3) | (1u << 9));
	/* A line that falls before the claim withdraws its request. */
	plic_set_level(p, 3, false);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 9);
	/* Lines that do not exist are ignored. */
	plic_set_level(p, 0, true);
	plic_set_level(p, NSRC + 1, true);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 9);
	assert_int_equal(rd(p, PLIC_PENDING_BASE + 4), 0);
}

static void test_claim_priority_order(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, prio(2), 1);
	wr(p, prio(4), 3);
	wr(p, prio(6), 3);
	wr(p, prio(8), 7);
	wr(p, enable(0), (1u << 2) | (1u << 4) | (1u << 6) | (1u << 8));
	assert_int_equal(rd(p, claim(0)), 0); /* nothing pending */
	for (unsigned s = 2; s <= 8; s += 2)
		plic_set_level(p, s, true);
	assert_true(fx->lines.level[0]);
	assert_false(fx->lines.level[1]); /* context 1 enables nothing */

	/* Highest priority first; equal priorities: the lower number. */
	assert_int_equal(rd(p, claim(0)), 8);
	assert_int_equal(rd(p, claim(0)), 4);
	assert_int_equal(rd(p, claim(0)), 6);
	assert_int_equal(rd(p, claim(0)), 2);
	assert_int_equal(rd(p, claim(0)), 0);
	assert_false(fx->lines.level[0]);
	/* A claim clears the pending bit. */
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
}

static void test_threshold_masks(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, prio(7), 2);
	wr(p, enable(0), 1u << 7);
	wr(p, threshold(0), 2); /* only priorities above 2 */
	plic_set_level(p, 7, true);
	assert_false(fx->lines.level[0]);
	assert_int_equal(rd(p, claim(0)), 0);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 7);

	wr(p, threshold(0), 1);
	assert_true(fx->lines.level[0]);
	wr(p, threshold(0), 7);
	assert_false(fx->lines.level[0]);
	/* Priority 0 never interrupts, whatever the threshold. */
	wr(p, threshold(0), 0);
	assert_true(fx->lines.level[0]);
	wr(p, prio(7), 0);
	assert_false(fx->lines.level[0]);
	assert_int_equal(rd(p, claim(0)), 0);
	wr(p, prio(7), 1);
	assert_int_equal(rd(p, claim(0)), 7);
}

static void test_level_retrigger(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, prio(10), 1);
	wr(p, enable(0), 1u << 10);
	plic_set_level(p, 10, true);
	assert_int_equal(rd(p, claim(0)), 10);
	/* In service: the gateway is closed, the line still high. */
	assert_false(fx->lines.level[0]);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
	assert_int_equal(rd(p, claim(0)), 0);
	plic_set_level(p, 10, true);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);

	/* Completion with the line still high: pending again. */
	wr(p, claim(0), 10);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 10);
	assert_true(fx->lines.level[0]);
	assert_int_equal(rd(p, claim(0)), 10);

	/* The device is served meanwhile: completion leaves it idle. */
	plic_set_level(p, 10, false);
	wr(p, claim(0), 10);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
	assert_false(fx->lines.level[0]);

	/* A completion of a source not claimed, or not enabled for the
	 * context, changes nothing. */
	plic_set_level(p, 10, true);
	assert_int_equal(rd(p, claim(0)), 10);
	wr(p, claim(1), 10); /* context 1 does not enable 10 */
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
	wr(p, claim(0), 11);
	wr(p, claim(0), 0);
	wr(p, claim(0), 0xffffffff);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 0);
	wr(p, claim(0), 10);
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 10);
}

static void test_contexts_and_callback(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, prio(1), 1);
	wr(p, prio(2), 1);
	wr(p, enable(0), 1u << 1);
	wr(p, enable(1), (1u << 1) | (1u << 2));
	assert_int_equal(fx->lines.changes[0], 0);

	plic_set_level(p, 2, true);
	assert_false(fx->lines.level[0]);
	assert_true(fx->lines.level[1]);
	assert_int_equal(fx->lines.changes[0], 0);
	assert_int_equal(fx->lines.changes[1], 1);
	assert_true(plic_eip(p, 1));
	assert_false(plic_eip(p, 0));
	/* Raising it again is no change: no callback. */
	plic_set_level(p, 2, true);
	assert_int_equal(fx->lines.changes[1], 1);

	/* Source 1 goes to both contexts; the first claim takes it. */
	plic_set_level(p, 1, true);
	assert_true(fx->lines.level[0]);
	assert_int_equal(rd(p, claim(0)), 1);
	assert_false(fx->lines.level[0]);
	assert_true(fx->lines.level[1]);
	assert_int_equal(rd(p, claim(1)), 2);
	assert_false(fx->lines.level[1]);
	assert_int_equal(rd(p, claim(1)), 0);
	assert_int_equal(fx->lines.changes[0], 2);
	assert_int_equal(fx->lines.changes[1], 2);

	/* Disabling withdraws the line. */
	wr(p, claim(1), 2);
	assert_true(fx->lines.level[1]);
	wr(p, enable(1), 0);
	assert_false(fx->lines.level[1]);
}

static void test_bad_accesses(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;
	uint64_t v;

	wr(p, prio(3), 5);
	/* Wrong sizes and misaligned offsets: read 0, writes ignored. */
	for (unsigned size = 1; size <= 8; size *= 2) {
		if (size == 4)
			continue;
		v = 1;
		assert_int_equal(plic_mmio_ops.read(p, prio(3), size, &v), 0);
		assert_int_equal(v, 0);
		assert_int_equal(plic_mmio_ops.write(p, prio(3), size, 1), 0);
	}
	v = 1;
	assert_int_equal(plic_mmio_ops.read(p, prio(3) + 1, 4, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(plic_mmio_ops.write(p, prio(3) + 2, 4, 1), 0);
	assert_int_equal(rd(p, prio(3)), 5);
	/* Reserved offsets and offsets past the window. */
	assert_int_equal(rd(p, threshold(0) + 8), 0);
	wr(p, threshold(0) + 8, 1);
	assert_int_equal(rd(p, 0x1fff000), 0);
	wr(p, 0x1fff000, 1);
	assert_int_equal(rd(p, PLIC_SIZE + 4), 0);
	wr(p, PLIC_SIZE + 4, 1);
	assert_int_equal(rd(p, PLIC_SIZE - 4), 0);
	wr(p, PLIC_SIZE - 4, 1);
}

static void test_copy_state(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p, c;
	struct lines cl = {0};

	wr(p, prio(4), 3);
	wr(p, enable(1), 1u << 4);
	wr(p, threshold(1), 1);
	plic_set_level(p, 4, true);
	assert_int_equal(plic_init(&c, NSRC, NCTX, record, &cl), 0);
	plic_copy_state(&c, p);
	/* The copy reports its own raised line to its owner. */
	assert_true(cl.level[1]);
	assert_false(cl.level[0]);
	assert_int_equal(rd(&c, prio(4)), 3);
	assert_int_equal(rd(&c, threshold(1)), 1);
	assert_int_equal(rd(&c, claim(1)), 4);
	/* Claiming in the copy leaves the original pending. */
	assert_int_equal(rd(p, PLIC_PENDING_BASE), 1u << 4);
	assert_true(fx->lines.level[1]);
	plic_destroy(&c);
}

/* The chip view: devices raise lines through struct irq_chip. */
static void test_irq_chip(void **state)
{
	struct fx *fx = *state;
	struct plic *p = &fx->p;

	wr(p, prio(10), 1);
	wr(p, enable(0), 1u << 10);
	irq_set(&p->chip, 10, true);
	assert_true(fx->lines.level[0]);
	irq_set(&p->chip, 10, false);
	assert_false(fx->lines.level[0]);
	irq_set(NULL, 10, true); /* no chip: nothing */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_bad),
	    cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pending_read_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_claim_priority_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_threshold_masks, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_level_retrigger, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_contexts_and_callback, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bad_accesses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_state, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_irq_chip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
