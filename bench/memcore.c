/* SPDX-License-Identifier: MIT */
/*
 * memcore: benchmark of the memory core (frame pool, G-stage tables,
 * checked accessor). Prints a table with each figure's target; --json
 * writes the same results with the machine they were measured on.
 *
 *   memcore [--quick] [--json PATH]
 */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define MAX_RUNS 21

struct bench_config {
	bool quick;
	const char *json_path;
	unsigned runs;
	uint64_t translate_iters;
	uint32_t pages; /* per run for map, populate and COW break */
	uint64_t alloc_iters;
	unsigned rounds; /* of BENCH_RECYCLED_PAGES pages, per run */
	uint64_t demo_bytes;
};

struct bench_result {
	const char *name;
	const char *detail;
	double target_ns; /* 0: no target, reported only */
	unsigned runs;
	double ns[MAX_RUNS];
	double min, median, max;
};

struct bench_demo {
	uint64_t guest_bytes;
	uint64_t rss_start, rss_populated, rss_destroyed;
	uint64_t pool_in_use_populated, pool_resident_destroyed;
};

static volatile uint64_t bench_sink;

static void bench_result_finish(struct bench_result *res)
{
	double sorted[MAX_RUNS];

	memcpy(sorted, res->ns, res->runs * sizeof(sorted[0]));
	qsort(sorted, res->runs, sizeof(sorted[0]), bench_cmp_double);
	res->min = sorted[0];
	res->max = sorted[res->runs - 1];
	res->median =
	    res->runs % 2
		? sorted[res->runs / 2]
		: (sorted[res->runs / 2 - 1] + sorted[res->runs / 2]) / 2;
}

static int bench_gstage_create(struct gstage *gs, struct frame_pool *pool,
			       uint64_t ram_bytes)
{
	int r = gstage_init(gs, pool, GSTAGE_SV48X4);

	if (!r && ram_bytes) {
		r = gstage_set_ram(gs, RAM_BASE, ram_bytes);
		if (r)
			gstage_destroy(gs);
	}
	return r;
}

static uint64_t bench_gpa(uint64_t page)
{
	return RAM_BASE + page * FRAME_SIZE;
}

/*
 * Hot translate: 512 pages of one level-0 table, all cached; each lookup's
 * address depends on the previous result, so this is latency, not overlap.
 */
static int bench_translate(const struct bench_config *cfg,
			   struct frame_pool *pool, struct bench_result *res)
{
	uint64_t pte, sum = 0, t0, gpa;
	uint32_t frame = 0;
	struct gstage gs;
	int r;

	r = bench_gstage_create(&gs, pool, 512 * FRAME_SIZE);
	if (r)
		return r;
	for (uint64_t i = 0; i < 512 && !r; i++)
		r = gstage_fault(&gs, bench_gpa(i), false, &frame, &pte);
	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		t0 = bench_now_ns();
		for (uint64_t i = 0; i < cfg->translate_iters && !r; i++) {
			gpa = bench_gpa((i + frame) & 511);
			r = gstage_translate(&gs, gpa, &frame, &pte);
			sum += pte;
		}
		res->ns[run] = (double)(bench_now_ns() - t0) /
			       (double)cfg->translate_iters;
	}
	bench_sink += sum;
	gstage_destroy(&gs);
	return r;
}

/* gstage_map() of frames allocated beforehand; new tables included. */
static int bench_map(const struct bench_config *cfg, struct frame_pool *pool,
		     struct bench_result *res)
{
	uint32_t *frames = calloc(cfg->pages, sizeof(*frames));
	struct gstage gs;
	uint32_t n;
	uint64_t t0;
	int r = frames ? 0 : -ENOMEM;

	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		r = bench_gstage_create(&gs, pool, 0);
		if (r)
			break;
		for (n = 0; n < cfg->pages && !r; n++)
			r = frame_alloc(pool, false, &frames[n]);
		t0 = bench_now_ns();
		for (uint32_t i = 0; i < n && !r; i++)
			r = gstage_map(&gs, bench_gpa(i), frames[i],
				       GPTE_R | GPTE_W | GPTE_X);
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->pages;
		gstage_destroy(&gs);
	}
	free(frames);
	return r;
}

/* One write to each of pages pages of RAM: their first touch. */
static int bench_touch(struct gstage *gs, uint64_t pages)
{
	uint64_t v = 1;
	int r = 0;

	for (uint64_t i = 0; i < pages && !r; i++)
		r = gmem_write(gs, bench_gpa(i), &v, sizeof(v));
	return r;
}

/* Map src's first pages pages into dst copy-on-write, as a clone would. */
static int bench_share(struct gstage *src, struct gstage *dst, uint64_t pages)
{
	uint32_t frame;
	uint64_t pte;
	int r = 0;

	for (uint64_t i = 0; i < pages && !r; i++) {
		r = gstage_translate(src, bench_gpa(i), &frame, &pte);
		if (r)
			break;
		frame_get(src->pool, frame);
		r = gstage_map(dst, bench_gpa(i), frame, GPTE_R | GPTE_COW);
		if (r)
			frame_put(src->pool, frame);
	}
	return r;
}

static int bench_unmap(struct gstage *gs, uint64_t pages)
{
	int r = 0;

	for (uint64_t i = 0; i < pages && !r; i++)
		r = gstage_unmap(gs, bench_gpa(i));
	return r;
}

/*
 * First touch of guest RAM through the checked accessor: fault, zeroed
 * frame, map, write. The frames come from the host (a fresh VM after the
 * previous one was destroyed and its memory returned).
 */
static int bench_populate(const struct bench_config *cfg,
			  struct frame_pool *pool, struct bench_result *res)
{
	struct gstage gs;
	uint64_t t0;
	int r = 0;

	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		r = bench_gstage_create(&gs, pool,
					(uint64_t)cfg->pages * FRAME_SIZE);
		if (r)
			break;
		t0 = bench_now_ns();
		r = bench_touch(&gs, cfg->pages);
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->pages;
		gstage_destroy(&gs);
	}
	return r;
}

/* Copy-on-write break: write once to each page shared with another VM. */
static int bench_cow_break(const struct bench_config *cfg,
			   struct frame_pool *pool, struct bench_result *res)
{
	struct gstage src, dst;
	uint64_t t0;
	int r;

	r = bench_gstage_create(&src, pool, (uint64_t)cfg->pages * FRAME_SIZE);
	if (r)
		return r;
	r = bench_touch(&src, cfg->pages);
	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		r = bench_gstage_create(&dst, pool, 0);
		if (r)
			break;
		r = bench_share(&src, &dst, cfg->pages);
		t0 = bench_now_ns();
		if (!r)
			r = bench_touch(&dst, cfg->pages);
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->pages;
		gstage_destroy(&dst);
	}
	gstage_destroy(&src);
	return r;
}

/*
 * The recycled variants reuse frames from the pool's resident free list
 * (fewer pages per round than the pool keeps resident), so they measure
 * memvisor's own work, zeroing or copying included, without the host
 * kernel providing fresh pages. Round 0 of each run only warms up.
 */
#define BENCH_RECYCLED_PAGES 128

static int bench_populate_recycled(const struct bench_config *cfg,
				   struct frame_pool *pool,
				   struct bench_result *res)
{
	uint64_t t0, elapsed;
	struct gstage gs;
	int r;

	r = bench_gstage_create(&gs, pool, BENCH_RECYCLED_PAGES * FRAME_SIZE);
	if (r)
		return r;
	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		elapsed = 0;
		for (unsigned round = 0; round <= cfg->rounds && !r; round++) {
			t0 = bench_now_ns();
			r = bench_touch(&gs, BENCH_RECYCLED_PAGES);
			if (round)
				elapsed += bench_now_ns() - t0;
			if (!r)
				r = bench_unmap(&gs, BENCH_RECYCLED_PAGES);
		}
		res->ns[run] =
		    (double)elapsed / (cfg->rounds * BENCH_RECYCLED_PAGES);
	}
	gstage_destroy(&gs);
	return r;
}

static int bench_cow_break_recycled(const struct bench_config *cfg,
				    struct frame_pool *pool,
				    struct bench_result *res)
{
	struct gstage src, dst;
	uint64_t t0, elapsed;
	int r;

	r = bench_gstage_create(&src, pool, BENCH_RECYCLED_PAGES * FRAME_SIZE);
	if (r)
		return r;
	r = bench_gstage_create(&dst, pool, 0);
	if (r)
		goto out_src;
	r = bench_touch(&src, BENCH_RECYCLED_PAGES);
	for (unsigned run = 0; run < cfg->runs && !r; run++) {
		elapsed = 0;
		for (unsigned round = 0; round <= cfg->rounds && !r; round++) {
			r = bench_share(&src, &dst, BENCH_RECYCLED_PAGES);
			t0 = bench_now_ns();
			if (!r)
				r = bench_touch(&dst, BENCH_RECYCLED_PAGES);
			if (round)
				elapsed += bench_now_ns() - t0;
			if (!r)
				r = bench_unmap(&dst, BENCH_RECYCLED_PAGES);
		}
		res->ns[run] =
		    (double)elapsed / (cfg->rounds * BENCH_RECYCLED_PAGES);
	}
	gstage_destroy(&dst);
out_src:
	gstage_destroy(&src);
	return r;
}

/*
 * The floor under the "fresh" figures: the host's first touch of fresh
 * anonymous memory, one page at a time, outside memvisor entirely.
 */
static int bench_host_fault(const struct bench_config *cfg,
			    struct frame_pool *pool, struct bench_result *res)
{
	const size_t bytes = (size_t)cfg->pages * FRAME_SIZE;
	volatile uint8_t *p;
	uint64_t t0;

	(void)pool;
	for (unsigned run = 0; run < cfg->runs; run++) {
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		madvise((void *)p, bytes, MADV_NOHUGEPAGE);
		t0 = bench_now_ns();
		for (size_t off = 0; off < bytes; off += FRAME_SIZE)
			p[off] = 1;
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->pages;
		munmap((void *)p, bytes);
	}
	return 0;
}

static int bench_alloc_free(const struct bench_config *cfg,
			    struct frame_pool *pool, struct bench_result *res)
{
	uint64_t t0, sum = 0;
	uint32_t f;
	int r;

	for (unsigned run = 0; run < cfg->runs; run++) {
		t0 = bench_now_ns();
		for (uint64_t i = 0; i < cfg->alloc_iters; i++) {
			r = frame_alloc(pool, false, &f);
			if (r)
				return r;
			sum += f;
			frame_put(pool, f);
		}
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->alloc_iters;
	}
	bench_sink += sum;
	return 0;
}

struct bench_thread {
	struct frame_pool *pool;
	uint64_t iters;
	int r;
};

static void *bench_alloc_free_thread(void *arg)
{
	struct bench_thread *t = arg;
	uint32_t f;

	for (uint64_t i = 0; i < t->iters; i++) {
		t->r = frame_alloc(t->pool, false, &f);
		if (t->r)
			break;
		frame_put(t->pool, f);
	}
	return NULL;
}

/* The same loop on two threads at once: wall time per pair per thread. */
static int bench_alloc_free_2t(const struct bench_config *cfg,
			       struct frame_pool *pool,
			       struct bench_result *res)
{
	struct bench_thread t[2];
	pthread_t th[2];
	uint64_t t0;

	for (unsigned run = 0; run < cfg->runs; run++) {
		t0 = bench_now_ns();
		for (int k = 0; k < 2; k++) {
			t[k] = (struct bench_thread){pool, cfg->alloc_iters, 0};
			if (pthread_create(&th[k], NULL,
					   bench_alloc_free_thread, &t[k]))
				return -EAGAIN;
		}
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		res->ns[run] = (double)(bench_now_ns() - t0) / cfg->alloc_iters;
		for (int k = 0; k < 2; k++)
			if (t[k].r)
				return t[k].r;
	}
	return 0;
}

/* Guest RAM touched, then the VM destroyed: does the host get it back? */
static int bench_demo_rss(const struct bench_config *cfg,
			  struct frame_pool *pool, struct bench_demo *demo)
{
	struct frame_stats st;
	struct gstage gs;
	int r;

	demo->guest_bytes = cfg->demo_bytes;
	frame_pool_trim(pool);
	demo->rss_start = bench_rss_bytes();
	r = bench_gstage_create(&gs, pool, cfg->demo_bytes);
	if (r)
		return r;
	r = gmem_fill(&gs, RAM_BASE, 0xc3, cfg->demo_bytes);
	demo->rss_populated = bench_rss_bytes();
	frame_stats(pool, &st);
	demo->pool_in_use_populated = st.in_use;
	gstage_destroy(&gs);
	demo->rss_destroyed = bench_rss_bytes();
	frame_stats(pool, &st);
	demo->pool_resident_destroyed = st.resident;
	return r;
}

static bool bench_met(const struct bench_result *res)
{
	return !res->target_ns || res->median <= res->target_ns;
}

static void bench_print(const struct bench_config *cfg,
			const struct bench_machine *m,
			const struct bench_result *res, size_t n,
			const struct bench_demo *demo)
{
	printf("\nmemcore: memory core benchmark (%s, median of %u runs)\n",
	       cfg->quick ? "quick" : "full", cfg->runs);
	printf("%s, %d cores, Linux %s, load average %.2f at start\n\n",
	       m->cpu_model, m->cores, m->kernel, m->load);
	printf("%-30s %10s %10s %10s %10s  %s\n", "operation", "min ns",
	       "median ns", "max ns", "target", "met");
	for (size_t i = 0; i < n; i++) {
		char target[32] = "-";

		if (res[i].target_ns)
			snprintf(target, sizeof(target), "<= %.0f",
				 res[i].target_ns);
		printf("%-30s %10.1f %10.1f %10.1f %10s  %s\n", res[i].name,
		       res[i].min, res[i].median, res[i].max, target,
		       !res[i].target_ns    ? "-"
		       : bench_met(&res[i]) ? "yes"
					    : "NO");
	}
	printf("\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-30s %s\n", res[i].name, res[i].detail);

	printf("\nguest RAM populated and released (%llu MiB, Sv48x4):\n",
	       (unsigned long long)(demo->guest_bytes / MIB));
	printf("  process RSS at start          %8.1f MiB\n",
	       (double)demo->rss_start / MIB);
	printf("  after first touch of all RAM  %8.1f MiB  (pool: %llu "
	       "frames in use)\n",
	       (double)demo->rss_populated / MIB,
	       (unsigned long long)demo->pool_in_use_populated);
	printf("  after destroying the VM       %8.1f MiB  (pool: %llu free "
	       "frames kept resident)\n",
	       (double)demo->rss_destroyed / MIB,
	       (unsigned long long)demo->pool_resident_destroyed);
}

static int bench_json_write(const struct bench_config *cfg,
			    const struct bench_machine *m,
			    const struct bench_result *res, size_t n,
			    const struct bench_demo *demo)
{
	json_t *root, *results, *machine, *rss;
	char tmp[4096];
	int r = 0;

	machine = json_pack("{s:s, s:i, s:s, s:f}", "cpu_model", m->cpu_model,
			    "cores", m->cores, "kernel", m->kernel,
			    "load_average", m->load);
	results = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *runs = json_array();

		for (unsigned k = 0; k < res[i].runs; k++)
			json_array_append_new(runs, json_real(res[i].ns[k]));
		json_array_append_new(
		    results,
		    json_pack("{s:s, s:s, s:s, s:f, s:f, s:f, s:o, s:o, "
			      "s:o}",
			      "name", res[i].name, "detail", res[i].detail,
			      "unit", "ns", "min", res[i].min, "median",
			      res[i].median, "max", res[i].max, "target",
			      res[i].target_ns ? json_real(res[i].target_ns)
					       : json_null(),
			      "met",
			      res[i].target_ns
				  ? json_boolean(bench_met(&res[i]))
				  : json_null(),
			      "runs", runs));
	}
	rss = json_pack("{s:I, s:I, s:I, s:I}", "guest_bytes",
			(json_int_t)demo->guest_bytes, "rss_start",
			(json_int_t)demo->rss_start, "rss_populated",
			(json_int_t)demo->rss_populated, "rss_destroyed",
			(json_int_t)demo->rss_destroyed);
	root = json_pack("{s:s, s:b, s:o, s:o, s:o}", "benchmark", "memcore",
			 "quick", cfg->quick, "machine", machine, "results",
			 results, "rss_demo", rss);
	if (!root)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", cfg->json_path);
	if (json_dump_file(root, tmp, JSON_INDENT(2)) ||
	    rename(tmp, cfg->json_path))
		r = -EIO;
	json_decref(root);
	return r;
}

static void bench_usage(FILE *out)
{
	fprintf(out, "usage: memcore [--quick] [--json PATH]\n"
		     "  --quick      fewer, shorter runs (a few seconds)\n"
		     "  --json PATH  also write the results as JSON\n");
}

static int bench_parse(int argc, char **argv, struct bench_config *cfg)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick")) {
			cfg->quick = true;
		} else if (!strcmp(argv[i], "--json") && i + 1 < argc) {
			cfg->json_path = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			bench_usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "memcore: unknown option '%s'\n",
				argv[i]);
			bench_usage(stderr);
			return -EINVAL;
		}
	}
	/* Many short runs: on a shared machine, a run the scheduler cuts
	 * into is an outlier the median ignores. */
	cfg->runs = cfg->quick ? 7 : MAX_RUNS;
	cfg->translate_iters = 200000;
	cfg->pages = cfg->quick ? 2048 : 8192;
	cfg->alloc_iters = 100000;
	cfg->rounds = cfg->quick ? 10 : 40;
	cfg->demo_bytes = cfg->quick ? 64 * MIB : 256 * MIB;
	return 0;
}

typedef int (*bench_fn)(const struct bench_config *cfg, struct frame_pool *pool,
			struct bench_result *res);

static const struct {
	const char *name;
	const char *detail;
	double target_ns;
	bench_fn fn;
} bench_table[] = {
    {"translate (hot, Sv48x4)",
     "gstage_translate, 4-level walk, cached, dependent chain", 15,
     bench_translate},
    {"map / page", "gstage_map of existing frames, tables included", 0,
     bench_map},
    {"populate / page, fresh",
     "gmem_write to untouched RAM: fault, zeroed frame from the host, "
     "map, write",
     1000, bench_populate},
    {"populate / page, recycled",
     "the same with frames reused from the pool (zeroed by memset)", 1000,
     bench_populate_recycled},
    {"COW break / page, fresh",
     "gmem_write to a shared copy-on-write page: new frame from the "
     "host, copy 4 KiB, remap",
     1500, bench_cow_break},
    {"COW break / page, recycled",
     "the same with the new frame reused from the pool", 1500,
     bench_cow_break_recycled},
    {"host: fresh page first touch",
     "not memvisor: one write to each page of a new anonymous mapping", 0,
     bench_host_fault},
    {"frame alloc+free", "frame_alloc + frame_put, one thread", 50,
     bench_alloc_free},
    {"frame alloc+free, 2 threads",
     "the same on two threads at once, wall time per pair", 0,
     bench_alloc_free_2t},
};

#define BENCH_COUNT (sizeof(bench_table) / sizeof(bench_table[0]))

int main(int argc, char **argv)
{
	struct bench_config cfg = {0};
	struct bench_result res[BENCH_COUNT];
	struct bench_demo demo = {0};
	struct bench_machine machine;
	struct frame_pool *pool;
	int r;

	if (bench_parse(argc, argv, &cfg))
		return 2;
	bench_machine_read(&machine);
	/* Room for the source and the copies of the COW run and the demo. */
	r = frame_pool_create(2 * (cfg.pages * (size_t)FRAME_SIZE) +
				  cfg.demo_bytes + 64 * MIB,
			      &pool);
	if (r) {
		fprintf(stderr, "memcore: cannot create the frame pool: %s\n",
			strerror(-r));
		return 1;
	}
	for (size_t i = 0; i < BENCH_COUNT; i++) {
		res[i] =
		    (struct bench_result){.name = bench_table[i].name,
					  .detail = bench_table[i].detail,
					  .target_ns = bench_table[i].target_ns,
					  .runs = cfg.runs};
		r = bench_table[i].fn(&cfg, pool, &res[i]);
		if (r) {
			fprintf(stderr, "memcore: %s failed: %s\n", res[i].name,
				strerror(-r));
			goto out;
		}
		bench_result_finish(&res[i]);
	}
	r = bench_demo_rss(&cfg, pool, &demo);
	if (r) {
		fprintf(stderr, "memcore: RSS demonstration failed: %s\n",
			strerror(-r));
		goto out;
	}
	bench_print(&cfg, &machine, res, BENCH_COUNT, &demo);
	if (cfg.json_path) {
		r = bench_json_write(&cfg, &machine, res, BENCH_COUNT, &demo);
		if (r)
			fprintf(stderr, "memcore: cannot write %s: %s\n",
				cfg.json_path, strerror(-r));
		else
			printf("\nresults written to %s\n", cfg.json_path);
	}
out:
	frame_pool_destroy(pool);
	return r ? 1 : 0;
}
