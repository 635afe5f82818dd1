/* SPDX-License-Identifier: MIT */
/*
 * gstage_check(): recount every reference the given gstages hold and compare
 * with the frame pool. Slow (it visits every table); for tests and
 * debugging.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "mem/gstage_priv.h"

enum check_kind {
	CHECK_NONE,
	CHECK_TABLE,
	CHECK_DATA,
};

struct check {
	struct frame_pool *pool;
	uint32_t nframes;
	uint32_t *refs;	   /* references found, per frame */
	uint32_t *visitor; /* last gstage (index + 1) that visited a table */
	uint8_t *kind;	   /* enum check_kind, per frame */
	uint8_t *seen;	   /* table's entries already counted */
	uint64_t tables;   /* reachable from the current gstage */
	uint64_t leaves;
	bool failed;
};

static void check_fail(struct check *c, const char *fmt, ...)
{
	va_list ap;

	if (c->failed)
		return;
	c->failed = true;
	fputs("gstage_check: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void check_kind_set(struct check *c, uint32_t frame, uint8_t kind)
{
	if (c->kind[frame] != CHECK_NONE && c->kind[frame] != kind)
		check_fail(c, "frame %" PRIu32 " used as table and as data",
			   frame);
	c->kind[frame] = kind;
}

static void check_leaf(struct check *c, uint32_t table, unsigned i, uint64_t e,
		       bool count)
{
	uint32_t f = gpte_frame(e);

	c->leaves++;
	if ((e & GPTE_W) && !(e & GPTE_R))
		check_fail(c, "table %" PRIu32 "[%u]: W without R", table, i);
	if ((e & GPTE_W) && (e & GPTE_COW))
		check_fail(c, "table %" PRIu32 "[%u]: COW page is writable",
			   table, i);
	if (f == FRAME_ZERO) {
		if (e & GPTE_W)
			check_fail(c,
				   "table %" PRIu32 "[%u]: zero frame "
				   "mapped writable",
				   table, i);
		return;
	}
	check_kind_set(c, f, CHECK_DATA);
	if ((e & GPTE_W) && frame_refcount(c->pool, f) > 1)
		check_fail(c,
			   "table %" PRIu32 "[%u]: frame %" PRIu32
			   " has %" PRIu32 " references but is mapped "
			   "writable",
			   table, i, f, frame_refcount(c->pool, f));
	if (count)
		c->refs[f]++;
}

/* Visit a table for gstage number gi (1-based) and everything below it. */
static void check_table(struct check *c, const struct gstage *gs, uint32_t gi,
			uint32_t table, unsigned level)
{
	const gpte_t *t = gstage_table(c->pool, table);
	unsigned n = gstage_entries(gs, level);
	bool count = !c->seen[table];
	uint64_t e;
	uint32_t f;

	if (c->visitor[table] == gi)
		return;
	c->visitor[table] = gi;
	c->seen[table] = 1;
	c->tables += level == gs->levels - 1 ? GSTAGE_ROOT_FRAMES : 1;

	for (unsigned i = 0; i < n && !c->failed; i++) {
		e = atomic_load_explicit(&t[i], memory_order_acquire);
		if (!(e & GPTE_V)) {
			if (e)
				check_fail(c,
					   "table %" PRIu32 "[%u]: invalid "
					   "entry %#" PRIx64 " not zero",
					   table, i, e);
			continue;
		}
		f = gpte_frame(e);
		if (f >= c->nframes) {
			check_fail(c,
				   "table %" PRIu32 "[%u]: frame %" PRIu32
				   " beyond the pool (%" PRIu32 ")",
				   table, i, f, c->nframes);
			continue;
		}
		if (gpte_is_leaf(e) != (level == 0)) {
			check_fail(c, "table %" PRIu32 "[%u] (level %u): %s",
				   table, i, level,
				   level ? "leaf above level 0"
					 : "table pointer at level 0");
			continue;
		}
		if (level == 0) {
			check_leaf(c, table, i, e, count);
			continue;
		}
		if (f == FRAME_ZERO) {
			check_fail(c,
				   "table %" PRIu32 "[%u]: points to the "
				   "zero frame",
				   table, i);
			continue;
		}
		check_kind_set(c, f, CHECK_TABLE);
		if (frame_refcount(c->pool, f) > 1 && !(e & GPTE_SHARED))
			check_fail(c,
				   "table %" PRIu32 "[%u]: table %" PRIu32
				   " has %" PRIu32 " references but the "
				   "entry lacks GPTE_SHARED",
				   table, i, f, frame_refcount(c->pool, f));
		if (count)
			c->refs[f]++;
		check_table(c, gs, gi, f, level - 1);
	}
}

static void check_gstage(struct check *c, const struct gstage *gs, uint32_t gi)
{
	struct gstage_stats st;

	if (gs->pool != c->pool) {
		check_fail(c, "gstage %" PRIu32 " uses another pool", gi - 1);
		return;
	}
	if (gs->root % GSTAGE_ROOT_FRAMES ||
	    gs->root + GSTAGE_ROOT_FRAMES > c->nframes) {
		check_fail(c, "gstage %" PRIu32 ": bad root frame %" PRIu32,
			   gi - 1, gs->root);
		return;
	}
	for (unsigned k = 0; k < GSTAGE_ROOT_FRAMES; k++) {
		c->refs[gs->root + k]++;
		check_kind_set(c, gs->root + k, CHECK_TABLE);
	}
	c->tables = 0;
	c->leaves = 0;
	check_table(c, gs, gi, gs->root, gs->levels - 1);
	gstage_get_stats(gs, &st);
	if (st.tables != c->tables || st.leaves != c->leaves)
		check_fail(c,
			   "gstage %" PRIu32 ": stats say %" PRIu64
			   " tables, %" PRIu64 " leaves; found %" PRIu64
			   " and %" PRIu64,
			   gi - 1, st.tables, st.leaves, c->tables, c->leaves);
}

static void check_pool(struct check *c)
{
	struct frame_stats st;
	uint64_t in_use = 1, shared = 0;
	uint32_t rc;

	for (uint32_t f = 1; f < c->nframes && !c->failed; f++) {
		rc = frame_refcount(c->pool, f);
		if (rc != c->refs[f])
			check_fail(c,
				   "frame %" PRIu32 ": refcount %" PRIu32
				   ", references found %" PRIu32,
				   f, rc, c->refs[f]);
		in_use += rc > 0;
		shared += rc > 1;
	}
	if (c->failed)
		return;
	frame_stats(c->pool, &st);
	if (st.in_use != in_use || st.shared != shared)
		check_fail(c,
			   "pool says %" PRIu64 " frames in use, %" PRIu64
			   " shared; refcounts say %" PRIu64 " and %" PRIu64,
			   st.in_use, st.shared, in_use, shared);
}

int gstage_check(struct frame_pool *pool, struct gstage *const gs[], size_t n,
		 const uint32_t *extra, size_t nextra)
{
	struct check c = {.pool = pool, .nframes = frame_count(pool)};
	int r = 0;

	c.refs = calloc(c.nframes, sizeof(*c.refs));
	c.visitor = calloc(c.nframes, sizeof(*c.visitor));
	c.kind = calloc(c.nframes, 1);
	c.seen = calloc(c.nframes, 1);
	if (!c.refs || !c.visitor || !c.kind || !c.seen) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && !c.failed; i++)
		check_gstage(&c, gs[i], (uint32_t)i + 1);
	for (size_t i = 0; i < nextra && !c.failed; i++) {
		if (extra[i] >= c.nframes)
			check_fail(
			    &c, "extra[%zu]: frame %" PRIu32 " beyond the pool",
			    i, extra[i]);
		else if (extra[i] != FRAME_ZERO)
			c.refs[extra[i]]++;
	}
	if (!c.failed)
		check_pool(&c);
	if (c.failed)
		r = -EUCLEAN;
out:
	free(c.seen);
	free(c.kind);
	free(c.visitor);
	free(c.refs);
	return r;
}
