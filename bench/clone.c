/* SPDX-License-Identifier: MIT */
/*
 * clone: benchmark of G-stage cloning (DESIGN.md, mechanism 1), below the
 * VM layer: gstage_clone() latency against guest size for the lazy clone
 * (eager_levels 1), eager_levels 2, every table copied (fork()'s "copy the
 * tables, share the data") and a full copy of all data (gstage_copy_all);
 * the first access to a page after a lazy clone; host memory per clone.
 * Prints a table with each figure's target; --json writes the results.
 *
 *   clone [--quick] [--json PATH] [--copy-all-max MIB]
 *
 * Sources are Sv48x4 guests whose every page was populated by
 * gstage_fault() (a write: distinct zeroed frames, mapped writable, as a
 * guest that touched all its RAM).
 *
 * All sources live at once, and each latency goes run by run through all
 * sizes, so that host noise at any moment weighs on every size alike.
 *
 * Rows marked "reserve" run, as memvisor does once VMs are cloned, from a
 * pool whose reserve was filled before each run by frame_pool_prefault()
 * (the call vmm/hv.c's warmer thread makes): roots and copy-on-write frames
 * come from memory the host has handed over already. Rows marked "cold"
 * take never-used memory, so every new frame also pays the host's first
 * touch (shown by memcore's "host: fresh page first touch" row).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define GIB	 (1024 * MIB)
#define RAM_BASE 0x80000000ull
#define MAX_ROWS 64
#define LEVELS	 4 /* Sv48x4 */

struct clone_config {
	bool quick;
	const char *json_path;
	unsigned runs;
	uint64_t sizes[4];
	unsigned nsizes;
	uint64_t copy_all_max; /* largest source fully copied */
	uint64_t window;       /* bytes touched by the first-access runs */
};

/*
 * One line of the table: a value per run (their median is reported) and,
 * for latencies, each run's p99 (their median is reported too).
 */
struct clone_row {
	char name[64];
	uint64_t source; /* bytes mapped in the source; 0: none */
	const char *unit;
	unsigned runs;
	double value[BENCH_MAX_RUNS], p99[BENCH_MAX_RUNS];
	double median, median_p99; /* median_p99 < 0: not a latency */
	double target;		   /* on the median; 0: none */
	const char *detail;
};

struct clone_bench {
	const struct clone_config *cfg;
	struct frame_pool *pool;
	struct clone_row rows[MAX_ROWS];
	unsigned nrows;
};

static uint64_t clone_in_use(const struct frame_pool *pool)
{
	struct frame_stats st;

	frame_stats(pool, &st);
	return st.in_use;
}

static struct clone_row *clone_row_add(struct clone_bench *b, const char *name,
				       uint64_t source, const char *unit,
				       double target, const char *detail)
{
	struct clone_row *row = &b->rows[b->nrows++];

	memset(row, 0, sizeof(*row));
	snprintf(row->name, sizeof(row->name), "%s", name);
	row->source = source;
	row->unit = unit;
	row->target = target;
	row->detail = detail;
	row->median_p99 = -1;
	return row;
}

static void clone_row_finish(struct clone_row *row, bool latency)
{
	row->median = bench_median(row->value, row->runs);
	if (latency)
		row->median_p99 = bench_median(row->p99, row->runs);
}

static uint64_t clone_gpa(uint64_t page)
{
	return RAM_BASE + page * FRAME_SIZE;
}

/* A guest of bytes of RAM, every page populated by a write fault. */
static int clone_source_build(struct frame_pool *pool, struct gstage *gs,
			      uint64_t bytes)
{
	uint64_t pte;
	uint32_t f;
	int r;

	r = gstage_init(gs, pool, GSTAGE_SV48X4);
	if (r)
		return r;
	r = gstage_set_ram(gs, RAM_BASE, bytes);
	for (uint64_t p = 0; p < bytes / FRAME_SIZE && !r; p++)
		r = gstage_fault(gs, clone_gpa(p), true, &f, &pte);
	if (r)
		gstage_destroy(gs);
	return r;
}

/*
 * Fill the pool's reserve as vmm/hv.c's warmer would between requests:
 * frames zero frames and runs ready roots, every page touched.
 */
static int clone_reserve(struct clone_bench *b, uint32_t frames, uint32_t runs)
{
	return frame_pool_prefault(b->pool, frames, runs) ? 0 : -ENOMEM;
}

/* eager 0 means gstage_copy_all(). */
static int clone_make(struct gstage *dst, struct gstage *src, unsigned eager)
{
	return eager ? gstage_clone(dst, src, eager)
		     : gstage_copy_all(dst, src);
}

/*
 * Clone latency, run number run: n clones timed one by one (each
 * destroyed, untimed, before the next) into samples[]; the run's p50 and
 * p99. reserve: fill the pool's reserve first (a root and a table per
 * clone); else trim it, so that every root comes from never-used memory.
 */
static int clone_latency_run(struct clone_bench *b, struct gstage *src,
			     unsigned eager, unsigned n, bool reserve,
			     double *samples, unsigned run,
			     struct clone_row *row)
{
	struct gstage dst;
	uint64_t t0;
	int r = 0;

	if (reserve)
		r = clone_reserve(b, n, n);
	else
		frame_pool_trim(b->pool);
	for (unsigned k = 0; k < n && !r; k++) {
		t0 = bench_now_ns();
		r = clone_make(&dst, src, eager);
		samples[k] = (double)(bench_now_ns() - t0);
		if (!r)
			gstage_destroy(&dst);
	}
	if (r)
		return r;
	row->value[run] = bench_quantile(samples, n, 0.5);
	row->p99[run] = bench_quantile(samples, n, 0.99);
	row->runs = run + 1;
	return 0;
}

/* Frames a clone allocates (the pool's accounting), in bytes. */
static int clone_memory(struct clone_bench *b, struct gstage *src,
			unsigned eager, struct clone_row *row)
{
	struct gstage dst;
	uint64_t used = clone_in_use(b->pool);
	int r;

	r = clone_make(&dst, src, eager);
	if (r)
		return r;
	row->value[0] = (double)((clone_in_use(b->pool) - used) * FRAME_SIZE);
	row->runs = 1;
	gstage_destroy(&dst);
	clone_row_finish(row, false);
	return 0;
}

/* What the host really gives lazy clones: the RSS growth, per clone. */
#define RSS_CLONES 100

static int clone_rss(struct clone_bench *b, struct gstage *src,
		     struct clone_row *row)
{
	struct gstage *dst = calloc(RSS_CLONES, sizeof(*dst));
	uint64_t rss0;
	unsigned n = 0;
	int r = dst ? 0 : -ENOMEM;

	frame_pool_trim(b->pool);
	rss0 = bench_rss_bytes();
	while (n < RSS_CLONES && !r) {
		r = gstage_clone(&dst[n], src, 1);
		n += !r;
	}
	if (!r) {
		row->value[0] = (double)(bench_rss_bytes() - rss0) / RSS_CLONES;
		row->runs = 1;
		clone_row_finish(row, false);
	}
	while (n)
		gstage_destroy(&dst[--n]);
	free(dst);
	return r;
}

/*
 * First access after a lazy clone. Sequential: every page of the first
 * 64 MiB in turn, per page (the first page of each level-0 table also
 * replicates the tables on its path; a write also copies the page into a
 * frame fresh from the host). Isolated: one page in each of up to
 * ISOLATED_MAX level-0 tables spread over the source, each replicating its
 * whole path (three tables) first, timed one by one: p50 and p99.
 */
#define ISOLATED_MAX 512

static int clone_first_access(struct clone_bench *b, struct gstage *src,
			      uint64_t bytes, bool write, bool isolated,
			      bool reserve, struct clone_row *row)
{
	uint64_t window = bytes < b->cfg->window ? bytes : b->cfg->window;
	uint64_t n = window / FRAME_SIZE, stride = 1, v = 0, t0, start;
	double samples[ISOLATED_MAX];
	struct gstage dst;
	uint64_t k = 0;
	int r = 0;

	if (isolated) {
		n = bytes / (2 * MIB) < ISOLATED_MAX ? bytes / (2 * MIB)
						     : ISOLATED_MAX;
		stride = bytes / n / FRAME_SIZE;
	}
	for (unsigned run = 0; run < b->cfg->runs && !r; run++) {
		/* A frame per page written and the tables replicated: one
		 * per 512 pages in a row, three per isolated page. */
		if (reserve)
			r = clone_reserve(
			    b, (uint32_t)(isolated ? 4 * n : n + n / 256 + 16),
			    1);
		else
			frame_pool_trim(b->pool);
		if (!r)
			r = gstage_clone(&dst, src, 1);
		if (r)
			break;
		start = bench_now_ns();
		for (k = 0; k < n && !r; k++) {
			uint64_t gpa = clone_gpa(k * stride);

			t0 = isolated ? bench_now_ns() : 0;
			r = write ? gmem_write(&dst, gpa, &v, sizeof(v))
				  : gmem_read(&dst, gpa, &v, sizeof(v));
			if (isolated)
				samples[k] = (double)(bench_now_ns() - t0);
		}
		if (isolated) {
			row->value[run] = bench_quantile(samples, k, 0.5);
			row->p99[run] = bench_quantile(samples, k, 0.99);
		} else {
			row->value[run] =
			    (double)(bench_now_ns() - start) / (double)n;
		}
		row->runs = run + 1;
		gstage_destroy(&dst);
	}
	if (!r)
		clone_row_finish(row, isolated);
	return r;
}

/*
 * First write after a lazy clone with frames the pool keeps resident
 * (fewer pages per round than it keeps): memvisor's own work, the table
 * replication and the 4 KiB copy, without the host's first touch.
 */
#define RECYCLED_PAGES	128
#define RECYCLED_ROUNDS 40

static int clone_first_write_recycled(struct clone_bench *b,
				      struct clone_row *row)
{
	uint64_t t0, elapsed, v = 1;
	struct gstage src, dst;
	int r;

	r = clone_source_build(b->pool, &src, RECYCLED_PAGES * FRAME_SIZE);
	if (r)
		return r;
	for (unsigned run = 0; run < b->cfg->runs && !r; run++) {
		elapsed = 0;
		/* Round 0 only warms the pool's resident lists up. */
		for (unsigned round = 0; round <= RECYCLED_ROUNDS && !r;
		     round++) {
			r = gstage_clone(&dst, &src, 1);
			if (r)
				break;
			t0 = bench_now_ns();
			for (uint64_t p = 0; p < RECYCLED_PAGES && !r; p++)
				r = gmem_write(&dst, clone_gpa(p), &v,
					       sizeof(v));
			if (round)
				elapsed += bench_now_ns() - t0;
			gstage_destroy(&dst);
		}
		row->value[run] =
		    (double)elapsed / (RECYCLED_ROUNDS * RECYCLED_PAGES);
		row->runs = run + 1;
	}
	gstage_destroy(&src);
	if (!r)
		clone_row_finish(row, false);
	return r;
}

/* Clone latency samples per run: enough for a p99 where clones are cheap. */
static unsigned clone_samples(unsigned eager, uint64_t bytes)
{
	if (eager == 1 || eager == 2)
		return 200;
	if (eager == LEVELS)
		return bytes >= GIB ? 10 : 40;
	return 1;
}

static const struct {
	unsigned eager;
	bool reserve;
	const char *name;
	double target_ns;
	const char *detail;
} clone_kinds[] = {
    {1, true, "clone, eager_levels 1 (lazy)", 20000,
     "gstage_clone(dst, src, 1): the 16 KiB root copied, its entries "
     "shared; reserve filled before each run"},
    {1, false, "clone, eager_levels 1, cold", 0,
     "the same, every root from never-used memory: the host's first "
     "touch of the root's page included"},
    {2, true, "clone, eager_levels 2", 0,
     "gstage_clone(dst, src, 2): root and level-2 tables copied; reserve "
     "filled before each run"},
    {LEVELS, false, "clone, every table (fork)", 0,
     "gstage_clone(dst, src, 4): every table copied, data shared "
     "copy-on-write, one more reference per page"},
    {0, false, "full copy of all data", 0,
     "gstage_copy_all: every table and every data frame copied"},
};

#define CLONE_KINDS (sizeof(clone_kinds) / sizeof(clone_kinds[0]))

static const struct {
	bool write, isolated, reserve;
	const char *name;
	double target_ns;
	const char *detail;
} first_kinds[] = {
    {false, false, true, "first read after lazy clone / page", 2000,
     "gmem_read of 8 bytes, page after page over 64 MiB (each table "
     "replicated once); reserve filled before each run"},
    {true, false, true, "first write after lazy clone / page", 2000,
     "gmem_write of 8 bytes, page after page over 64 MiB: replication and "
     "a copy into a frame from the reserve, filled before each run"},
    {true, false, false, "first write, cold / page", 0,
     "the same into never-used memory: the host's first touch of every "
     "new frame included"},
    {false, true, true, "first read, isolated page", 0,
     "one page per level-0 table: replicates three tables first"},
    {true, true, true, "first write, isolated page", 0,
     "one page per level-0 table: three tables and the page copied"},
};

#define FIRST_KINDS (sizeof(first_kinds) / sizeof(first_kinds[0]))

/* The per-size figures other than latency, for source src of bytes. */
static int clone_bench_size(struct clone_bench *b, struct gstage *src,
			    uint64_t bytes)
{
	struct clone_row *row;
	char name[64];
	int r = 0;

	for (unsigned eager = 1; eager <= LEVELS && !r; eager++) {
		if (eager == 3)
			continue;
		snprintf(name, sizeof(name), "memory, eager_levels %u", eager);
		row = clone_row_add(
		    b, name, bytes, "bytes", eager == 1 ? 64 * 1024 : 0,
		    "frames the clone allocates from the pool, before it runs");
		r = clone_memory(b, src, eager, row);
	}
	for (size_t k = 0; k < FIRST_KINDS && !r; k++) {
		row = clone_row_add(b, first_kinds[k].name, bytes, "ns",
				    first_kinds[k].target_ns,
				    first_kinds[k].detail);
		r = clone_first_access(b, src, bytes, first_kinds[k].write,
				       first_kinds[k].isolated,
				       first_kinds[k].reserve, row);
	}
	return r;
}

/*
 * Clone latency of one kind at every size, run by run through all sizes:
 * whatever else the host does at some moment weighs on every size alike,
 * so the sizes compare fairly (the ratio row pairs runs made side by
 * side).
 */
static int clone_bench_kind(struct clone_bench *b, struct gstage *src, size_t k)
{
	struct clone_row *rows[4] = {0};
	unsigned n[4] = {0}, most = 0;
	double *samples;
	int r = 0;

	for (unsigned i = 0; i < b->cfg->nsizes; i++) {
		uint64_t bytes = b->cfg->sizes[i];

		if (!clone_kinds[k].eager && bytes > b->cfg->copy_all_max)
			continue;
		rows[i] = clone_row_add(b, clone_kinds[k].name, bytes, "ns",
					clone_kinds[k].target_ns,
					clone_kinds[k].detail);
		n[i] = clone_samples(clone_kinds[k].eager, bytes);
		most = n[i] > most ? n[i] : most;
	}
	samples = calloc(most ? most : 1, sizeof(*samples));
	if (!samples)
		return -ENOMEM;
	for (unsigned run = 0; run < b->cfg->runs && !r; run++)
		for (unsigned i = 0; i < b->cfg->nsizes && !r; i++)
			if (rows[i])
				r = clone_latency_run(
				    b, &src[i], clone_kinds[k].eager, n[i],
				    clone_kinds[k].reserve, samples, run,
				    rows[i]);
	for (unsigned i = 0; i < b->cfg->nsizes && !r; i++)
		if (rows[i])
			clone_row_finish(rows[i], true);
	free(samples);
	return r;
}

/* Every source built first, all alive together; then every figure. */
static int clone_bench_all(struct clone_bench *b)
{
	struct gstage src[4];
	unsigned built = 0;
	uint64_t t0;
	int r = 0;

	for (; built < b->cfg->nsizes && !r; built++) {
		t0 = bench_now_ns();
		r = clone_source_build(b->pool, &src[built],
				       b->cfg->sizes[built]);
		if (r)
			break;
		fprintf(stderr,
			"clone: source of %llu MiB populated in %.1f s\n",
			(unsigned long long)(b->cfg->sizes[built] / MIB),
			(double)(bench_now_ns() - t0) / 1e9);
	}
	for (size_t k = 0; k < CLONE_KINDS && !r; k++)
		r = clone_bench_kind(b, src, k);
	for (unsigned i = 0; i < built && !r; i++)
		r = clone_bench_size(b, &src[i], b->cfg->sizes[i]);
	while (built)
		gstage_destroy(&src[--built]);
	frame_pool_trim(b->pool);
	return r;
}

/* The lazy clone's p50 at the largest source over the smallest. */
static void clone_ratio(struct clone_bench *b)
{
	const struct clone_row *lo = NULL, *hi = NULL;
	struct clone_row *row;

	for (unsigned i = 0; i < b->nrows; i++) {
		if (strcmp(b->rows[i].name, clone_kinds[0].name))
			continue;
		if (!lo || b->rows[i].source < lo->source)
			lo = &b->rows[i];
		if (!hi || b->rows[i].source > hi->source)
			hi = &b->rows[i];
	}
	if (!lo || lo == hi)
		return;
	row = clone_row_add(b, "lazy clone p50, largest / smallest", hi->source,
			    "ratio", 1.5,
			    "size independence: the lazy clone's p50 for the "
			    "largest source over the smallest's");
	for (unsigned run = 0; run < lo->runs && run < hi->runs; run++) {
		row->value[run] = hi->value[run] / lo->value[run];
		row->runs = run + 1;
	}
	clone_row_finish(row, false);
	row->median = hi->median / lo->median;
}

static bool clone_met(const struct clone_row *row)
{
	return !row->target || row->median <= row->target;
}

static void clone_value_str(double v, const char *unit, char *buf, size_t len)
{
	if (!strcmp(unit, "bytes"))
		snprintf(buf, len, "%.0f KiB", v / 1024);
	else if (!strcmp(unit, "ratio"))
		snprintf(buf, len, "%.2f", v);
	else if (v >= 1e6)
		snprintf(buf, len, "%.2f ms", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%.1f us", v / 1e3);
	else
		snprintf(buf, len, "%.0f ns", v);
}

static const char *clone_size_str(uint64_t bytes, char *buf, size_t len)
{
	if (!bytes)
		snprintf(buf, len, "-");
	else if (!(bytes % GIB))
		snprintf(buf, len, "%llu GiB",
			 (unsigned long long)(bytes / GIB));
	else if (!(bytes % MIB))
		snprintf(buf, len, "%llu MiB",
			 (unsigned long long)(bytes / MIB));
	else
		snprintf(buf, len, "%llu KiB",
			 (unsigned long long)(bytes / 1024));
	return buf;
}

static void clone_print(const struct clone_bench *b,
			const struct bench_machine *m)
{
	char src[32], p50[32], p99[32], target[48], t[32];
	bool seen;

	printf("\nclone: G-stage clone benchmark (Sv48x4, median of %u runs)\n",
	       b->cfg->runs);
	bench_machine_print(m);
	printf("%-38s %8s %11s %11s %13s  %s\n", "operation", "source",
	       "p50/value", "p99", "target", "met");
	for (unsigned i = 0; i < b->nrows; i++) {
		const struct clone_row *row = &b->rows[i];

		clone_value_str(row->median, row->unit, p50, sizeof(p50));
		snprintf(p99, sizeof(p99), "-");
		if (row->median_p99 >= 0)
			clone_value_str(row->median_p99, row->unit, p99,
					sizeof(p99));
		snprintf(target, sizeof(target), "-");
		if (row->target) {
			clone_value_str(row->target, row->unit, t, sizeof(t));
			snprintf(target, sizeof(target), "<= %s", t);
		}
		printf("%-38s %8s %11s %11s %13s  %s\n", row->name,
		       clone_size_str(row->source, src, sizeof(src)), p50, p99,
		       target,
		       !row->target	? "-"
		       : clone_met(row) ? "yes"
					: "NO");
	}
	printf("\n");
	for (unsigned i = 0; i < b->nrows; i++) {
		seen = false;
		for (unsigned k = 0; k < i && !seen; k++)
			seen = !strcmp(b->rows[k].name, b->rows[i].name);
		if (!seen)
			printf("  %-38s %s\n", b->rows[i].name,
			       b->rows[i].detail);
	}
	if (b->cfg->copy_all_max < b->cfg->sizes[b->cfg->nsizes - 1])
		printf("\n  full copy of all data: measured up to %llu MiB "
		       "only (--copy-all-max): it takes seconds and as much "
		       "host memory again as the guest\n",
		       (unsigned long long)(b->cfg->copy_all_max / MIB));
}

static int clone_json_write(const struct clone_bench *b,
			    const struct bench_machine *m)
{
	json_t *rows, *sizes;

	sizes = json_array();
	for (unsigned i = 0; i < b->cfg->nsizes; i++)
		json_array_append_new(
		    sizes, json_integer((json_int_t)b->cfg->sizes[i]));
	rows = json_array();
	for (unsigned i = 0; i < b->nrows; i++) {
		const struct clone_row *row = &b->rows[i];
		json_t *runs = json_array(), *p99s = json_array();

		for (unsigned k = 0; k < row->runs; k++) {
			json_array_append_new(runs, json_real(row->value[k]));
			if (row->median_p99 >= 0)
				json_array_append_new(p99s,
						      json_real(row->p99[k]));
		}
		json_array_append_new(
		    rows,
		    json_pack(
			"{s:s, s:s, s:I, s:s, s:f, s:o, s:o, s:o, s:o, s:o}",
			"name", row->name, "detail", row->detail,
			"source_bytes", (json_int_t)row->source, "unit",
			row->unit, "median", row->median, "p99",
			row->median_p99 >= 0 ? json_real(row->median_p99)
					     : json_null(),
			"target",
			row->target ? json_real(row->target) : json_null(),
			"met",
			row->target ? json_boolean(clone_met(row))
				    : json_null(),
			"runs", runs, "p99_runs", p99s));
	}
	return bench_json_dump(
	    json_pack("{s:s, s:s, s:b, s:i, s:o, s:I, s:o, s:o}", "benchmark",
		      "clone-gstage", "mode", "Sv48x4", "quick", b->cfg->quick,
		      "runs", b->cfg->runs, "source_sizes", sizes,
		      "copy_all_max_bytes", (json_int_t)b->cfg->copy_all_max,
		      "machine", bench_machine_json(m), "results", rows),
	    b->cfg->json_path);
}

static void clone_usage(FILE *out)
{
	fprintf(out,
		"usage: clone [--quick] [--json PATH] [--copy-all-max MIB]\n"
		"  --quick             sources of 64 and 256 MiB only\n"
		"  --json PATH         also write the results as JSON\n"
		"  --copy-all-max MIB  largest source to copy in full "
		"(default 1024)\n");
}

static int clone_parse(int argc, char **argv, struct clone_config *cfg)
{
	static const uint64_t full[] = {64 * MIB, 256 * MIB, GIB, 4 * GIB};
	char *end;

	cfg->copy_all_max = GIB;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			cfg->quick = true;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			cfg->json_path = argv[++i];
		} else if (!strcmp(argv[i], "--copy-all-max") && i + 1 < argc) {
			cfg->copy_all_max = strtoull(argv[++i], &end, 0) * MIB;
			if (*end || end == argv[i]) {
				fprintf(stderr,
					"clone: --copy-all-max %s: expected a "
					"size in MiB, like 1024\n",
					argv[i]);
				return -EINVAL;
			}
		} else if (!strcmp(argv[i], "--help")) {
			clone_usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "clone: unknown option '%s'\n",
				argv[i]);
			clone_usage(stderr);
			return -EINVAL;
		}
	}
	cfg->runs = 5;
	cfg->nsizes = cfg->quick ? 2 : 4;
	memcpy(cfg->sizes, full, sizeof(full));
	cfg->window = 64 * MIB;
	return 0;
}

/* The figures that do not depend on the source size. */
static int clone_bench_fixed(struct clone_bench *b)
{
	struct clone_row *row;
	struct gstage src;
	int r;

	r = clone_source_build(b->pool, &src, b->cfg->sizes[0]);
	if (r)
		return r;
	row = clone_row_add(b, "host RSS per lazy clone", b->cfg->sizes[0],
			    "bytes", 64 * 1024,
			    "process RSS growth over 100 lazy clones, per "
			    "clone");
	r = clone_rss(b, &src, row);
	gstage_destroy(&src);
	if (r)
		return r;
	row = clone_row_add(b, "first write after lazy clone, recycled",
			    RECYCLED_PAGES * FRAME_SIZE, "ns", 2000,
			    "the same with frames the pool keeps resident: "
			    "memvisor's own work, per page");
	return clone_first_write_recycled(b, row);
}

int main(int argc, char **argv)
{
	struct clone_config cfg = {0};
	struct bench_machine machine;
	struct clone_bench *b;
	uint64_t largest, pool_bytes;
	int r = 0;

	if (clone_parse(argc, argv, &cfg))
		return 2;
	b = calloc(1, sizeof(*b));
	if (!b)
		return 1;
	b->cfg = &cfg;
	bench_machine_read(&machine);
	/* Every source at once, one full copy, the first-write window and
	 * room for tables. */
	largest = cfg.sizes[cfg.nsizes - 1];
	pool_bytes = (cfg.copy_all_max < largest ? cfg.copy_all_max : largest) +
		     cfg.window + 256 * MIB;
	for (unsigned i = 0; i < cfg.nsizes; i++)
		pool_bytes += cfg.sizes[i];
	r = frame_pool_create(pool_bytes, &b->pool);
	if (r) {
		fprintf(stderr, "clone: cannot create the frame pool: %s\n",
			strerror(-r));
		free(b);
		return 1;
	}
	r = clone_bench_all(b);
	if (!r)
		r = clone_bench_fixed(b);
	if (r) {
		fprintf(stderr, "clone: benchmark failed: %s\n", strerror(-r));
		goto out;
	}
	clone_ratio(b);
	clone_print(b, &machine);
	if (cfg.json_path) {
		r = clone_json_write(b, &machine);
		if (r)
			fprintf(stderr, "clone: cannot write %s: %s\n",
				cfg.json_path, strerror(-r));
		else
			printf("\nresults written to %s\n", cfg.json_path);
	}
out:
	frame_pool_destroy(b->pool);
	free(b);
	return r ? 1 : 0;
}
