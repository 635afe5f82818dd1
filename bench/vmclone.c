/* SPDX-License-Identifier: MIT */
/*
 * vmclone: lazy VM cloning measured on a booted Linux guest.
 *
 * For each guest size, boots the clone guest (guest/init/clone.c), whose
 * init fills clone_mib MiB of its memory and says READY, and pauses it: all
 * sizes live at once in one hypervisor. Then times vm_clone() for
 * eager_levels 1 (lazy), 2, every table (Linux fork's way) and a full copy
 * of all data; measures the host memory a lazy clone costs before it runs,
 * and the first access to a page after a clone (right after each boot).
 * Each clone mode goes round by round through all sizes, so that host
 * noise at any moment weighs on every size alike. With --live N it also clones
 * one 256 MiB guest N times and has every clone answer on its console.
 *
 * Steady state, stated in the output: one untimed clone through hv_clone()
 * first, as a user's first request, switches the hypervisor's frame warmer
 * on (vmm/hv.c); before every timed measurement the bench waits until the
 * warmer's reserve is full (hv_warm_wait()), as it is between requests in a
 * running memvisor. What is timed is the real vm_clone() and the real
 * first-access path; the warmer keeps refilling beside them. The host's
 * own first-touch cost is measured in the same run as the baseline.
 *
 *   vmclone --kernel IMAGE --initrd CPIO [--sizes 64,256,1024,4096]
 *         [--samples N] [--rounds N] [--live N] [--json PATH]
 *
 * Each mode is timed in --rounds rounds (5) of --samples clones (50), the
 * full copy in 3 rounds of one; the first access in 3 clones.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "mem/gmem.h"
#include "vmm/clone.h"
#include "vmm/hv.h"

#define MIB	  (1ull << 20)
#define MAX_SIZES 8
#define COPY_ALL_MAX_MIB                                                       \
	4096		      /* every guest and one full copy fit in 20 GiB   \
			       */
#define HOST_TOUCH_PAGES 4096 /* 16 MiB for the host's first-touch baseline */
#define MAX_ROUNDS	 BENCH_MAX_RUNS
#define FIRST_ROUNDS	 3 /* clones the first access is measured in */
#define COPY_ALL_ROUNDS	 3 /* full copies timed */

struct bench {
	const char *kernel, *initrd, *json;
	unsigned sizes[MAX_SIZES], nsizes;
	unsigned samples, rounds, live;
	unsigned fails; /* measurements that could not be made */
	json_t *results;
};

static double now_us(void)
{
	return bench_now_ns() / 1e3;
}

static long rss_kib(void)
{
	return (long)(bench_rss_bytes() / 1024);
}

/* NUL-terminate a buffer of cap bytes after a copy that returned n. */
static void terminate(char *buf, size_t cap, long n)
{
	size_t end = n < 0 ? 0 : (size_t)n;

	buf[end < cap ? end : cap - 1] = 0;
}

/* Boot the clone guest with fill_mib MiB filled; returns its VM or NULL. */
static struct vm *bench_boot(struct bench *b, struct hv *hv,
			     struct console **con, unsigned fill_mib,
			     unsigned *id)
{
	char cmdline[128], why[VM_WHY_LEN], out[1 << 14];
	struct vm_config cfg = {
	    .kernel = b->kernel,
	    .initrd = b->initrd,
	    .cmdline = cmdline,
	    .ram_size = ((uint64_t)fill_mib + 192) * MIB,
	    .ncpus = 1,
	};
	struct vm *vm;
	double t0 = now_us();
	int r;

	snprintf(cmdline, sizeof(cmdline), "console=hvc0 clone_mib=%u",
		 fill_mib);
	if (console_create(0, con) || console_capture(*con, sizeof(out)))
		return NULL;
	r = vm_create(&cfg, hv_pool(hv), *con, &vm, why, sizeof(why));
	if (r) {
		fprintf(stderr, "vmclone: %s\n", why);
		return NULL;
	}
	r = hv_add(hv, vm);
	if (r < 0) {
		vm_destroy(vm);
		return NULL;
	}
	*id = (unsigned)r;
	for (;;) {
		long n = console_captured(*con, out, sizeof(out) - 1, NULL);

		terminate(out, sizeof(out), n);
		if (strstr(out, "MEMVISOR-CLONE-READY"))
			break;
		if (strstr(out, "MEMVISOR-CLONE-FAIL") || vm->stopping ||
		    now_us() - t0 > 600e6) {
			fprintf(stderr,
				"vmclone: the guest did not get "
				"ready:\n%s\n",
				out);
			return NULL;
		}
		usleep(20000);
	}
	printf("  booted a %u MiB guest and filled %u MiB in %.1f s\n",
	       (unsigned)(cfg.ram_size / MIB), fill_mib, (now_us() - t0) / 1e6);
	return vm;
}

/* Ample time for the warmer to fill its 20 MiB reserve (here: 0.1 s). */
#define WARM_TIMEOUT_NS (30ull * 1000000000u)

/*
 * Before a timed measurement: wait until the hypervisor's frame warmer
 * (vmm/hv.c) has filled its reserve, the steady state of a running
 * memvisor between requests. Returns 0 or the error of hv_warm_wait().
 */
static int bench_ready(struct hv *hv)
{
	int r = hv_warm_wait(hv, WARM_TIMEOUT_NS);

	if (r)
		fprintf(stderr,
			"vmclone: the frame warmer's reserve did not fill: "
			"%s\n",
			strerror(-r));
	return r;
}

/*
 * Host memory the clones made between two snapshots hold: the growth of
 * the process RSS, less the growth of the pool's free resident frames
 * (the warmer's reserve, which a clone's root comes from and which the
 * warmer refills meanwhile). In KiB.
 */
struct mem_snap {
	long rss_kib;
	uint64_t free_resident, in_use;
};

static void mem_snap(struct hv *hv, struct mem_snap *m)
{
	struct frame_stats st;

	frame_stats(hv_pool(hv), &st);
	m->rss_kib = rss_kib();
	m->free_resident = st.resident;
	m->in_use = st.in_use;
}

static double mem_held_kib(const struct mem_snap *a, const struct mem_snap *b)
{
	return (double)(b->rss_kib - a->rss_kib) -
	       ((double)b->free_resident - (double)a->free_resident) *
		   (FRAME_SIZE / 1024);
}

/* The samples of one clone mode at one guest size, over its rounds. */
struct mode_acc {
	double *lat; /* samples x rounds latencies, us */
	unsigned n, rounds;
	double round_p50[MAX_ROUNDS];
	double held, frames; /* KiB per clone, summed over rounds */
	bool failed;
};

/*
 * One round of one mode: from a full reserve, samples clones made and
 * timed one by one, then destroyed (untimed). Adds to acc.
 */
static void bench_round(struct bench *b, struct hv *hv, struct vm *vm,
			unsigned level, unsigned samples, struct mode_acc *acc)
{
	struct vm **c = calloc(samples, sizeof(*c));
	double *lat;
	struct mem_snap m0, m1;
	unsigned k = 0;

	if (!acc->lat)
		acc->lat = calloc((size_t)samples * MAX_ROUNDS, sizeof(double));
	if (!c || !acc->lat || acc->failed || acc->rounds == MAX_ROUNDS) {
		acc->failed = true;
		free(c);
		return;
	}
	lat = acc->lat + acc->n;
	if (bench_ready(hv))
		b->fails++;
	mem_snap(hv, &m0);
	for (; k < samples; k++) {
		double t0 = now_us();

		if (vm_clone(vm, level, 0, &c[k]))
			break;
		lat[k] = now_us() - t0;
	}
	mem_snap(hv, &m1);
	for (unsigned i = 0; i < k; i++)
		vm_destroy(c[i]);
	free(c);
	if (k < samples) {
		acc->failed = true;
		b->fails++;
		return;
	}
	acc->held += mem_held_kib(&m0, &m1) / k;
	acc->frames +=
	    (double)(m1.in_use - m0.in_use) * (FRAME_SIZE / 1024) / k;
	acc->n += k;
	/* bench_quantile() sorts: the round's slice is done with. */
	acc->round_p50[acc->rounds++] = bench_quantile(lat, k, 0.5);
}

/* Print and record one mode at one size: p50 and p99 over every sample,
 * the spread of the rounds' p50s, host memory and frames per clone. */
static void bench_report(struct bench *b, unsigned fill_mib, const char *name,
			 struct mode_acc *acc)
{
	double p50, p99, lo, hi;
	json_t *p50s;

	if (!acc->n) {
		free(acc->lat);
		return;
	}
	p50 = bench_quantile(acc->lat, acc->n, 0.5);
	p99 = bench_quantile(acc->lat, acc->n, 0.99);
	lo = hi = acc->round_p50[0];
	p50s = json_array();
	for (unsigned i = 0; i < acc->rounds; i++) {
		lo = acc->round_p50[i] < lo ? acc->round_p50[i] : lo;
		hi = acc->round_p50[i] > hi ? acc->round_p50[i] : hi;
		json_array_append_new(p50s, json_real(acc->round_p50[i]));
	}
	printf("  %6u MiB  %-12s %5u  %10.1f %10.1f  %6.1f-%-8.1f %9.1f "
	       "%9.1f\n",
	       fill_mib, name, acc->n, p50, p99, lo, hi,
	       acc->held / acc->rounds, acc->frames / acc->rounds);
	json_array_append_new(
	    b->results,
	    json_pack("{s:i, s:s, s:i, s:i, s:f, s:f, s:o, s:f, s:f}",
		      "touched_mib", fill_mib, "mode", name, "samples", acc->n,
		      "rounds", acc->rounds, "p50_us", p50, "p99_us", p99,
		      "round_p50_us", p50s, "host_kib_per_clone",
		      acc->held / acc->rounds, "frame_kib_per_clone",
		      acc->frames / acc->rounds));
	free(acc->lat);
}

/* Collects up to max guest-physical pages the parent has mapped. */
struct page_list {
	uint64_t *gpa;
	unsigned n, max;
};

static int collect_page(uint64_t gpa, uint64_t pte, void *arg)
{
	struct page_list *l = arg;

	(void)pte;
	l->gpa[l->n++] = gpa;
	return l->n == l->max;
}

/* First access to pages the parent had touched, in a fresh lazy clone,
 * from the hypervisor side (the path a VCPU's TLB miss takes): reads
 * replicate tables, writes also break copy-on-write. */
#define FIRST_PAGES 2048

struct first_acc {
	uint64_t *gpa; /* 2 x FIRST_PAGES pages the parent mapped */
	double rd[FIRST_ROUNDS], wr[FIRST_ROUNDS]; /* ns per page */
	unsigned rounds;
	bool failed;
};

/* One round: a lazy clone (untimed), a full reserve, then FIRST_PAGES
 * first reads and FIRST_PAGES first writes, timed. */
static void bench_first_round(struct bench *b, struct hv *hv, struct vm *vm,
			      struct first_acc *acc)
{
	struct page_list l = {.max = 2 * FIRST_PAGES};
	struct vm *c;
	uint64_t v = 0;
	double t0;

	if (!acc->gpa && !acc->failed) {
		acc->gpa = calloc(2 * FIRST_PAGES, sizeof(uint64_t));
		l.gpa = acc->gpa;
		if (l.gpa)
			gstage_walk(&vm->gs, collect_page, &l);
		acc->failed = l.n < 2 * FIRST_PAGES;
	}
	if (acc->failed || acc->rounds == FIRST_ROUNDS ||
	    vm_clone(vm, 1, 0, &c)) {
		acc->failed = true;
		b->fails++;
		return;
	}
	if (bench_ready(hv))
		b->fails++;
	t0 = now_us();
	for (unsigned i = 0; i < FIRST_PAGES; i++)
		gmem_read(&c->gs, acc->gpa[i], &v, 8);
	acc->rd[acc->rounds] = (now_us() - t0) * 1e3 / FIRST_PAGES;
	t0 = now_us();
	for (unsigned i = FIRST_PAGES; i < 2 * FIRST_PAGES; i++)
		gmem_write(&c->gs, acc->gpa[i], &v, 8);
	acc->wr[acc->rounds++] = (now_us() - t0) * 1e3 / FIRST_PAGES;
	vm_destroy(c);
}

static void bench_first_report(struct bench *b, unsigned fill_mib,
			       struct first_acc *acc)
{
	json_t *rds = json_array(), *wrs = json_array();
	unsigned r = acc->rounds;

	free(acc->gpa);
	if (!r) {
		json_decref(rds);
		json_decref(wrs);
		return;
	}
	for (unsigned i = 0; i < r; i++) {
		json_array_append_new(rds, json_real(acc->rd[i]));
		json_array_append_new(wrs, json_real(acc->wr[i]));
	}
	printf("  %6u MiB  first access after a lazy clone, per page (median "
	       "of %u clones): read %.0f ns, write %.0f ns (target <= 2000)\n",
	       fill_mib, r, bench_median(acc->rd, r), bench_median(acc->wr, r));
	json_array_append_new(
	    b->results,
	    json_pack("{s:i, s:s, s:i, s:i, s:f, s:f, s:o, s:o}", "touched_mib",
		      fill_mib, "mode", "first-access", "pages", FIRST_PAGES,
		      "rounds", r, "read_ns_per_page", bench_median(acc->rd, r),
		      "write_ns_per_page", bench_median(acc->wr, r),
		      "round_read_ns", rds, "round_write_ns", wrs));
}

/*
 * One clone through hv, as a user's first request, destroyed at once: it
 * switches the frame warmer on (vmm/hv.c).
 */
static void bench_first_clone(struct hv *hv, unsigned id)
{
	unsigned cid, made;

	if (!hv_clone(hv, id, 1, 1, 0, &cid, &made))
		hv_destroy_vm(hv, cid);
}

static const struct {
	const char *name;
	unsigned level; /* 0: every level */
} bench_modes[] = {
    {"lazy", 1},
    {"eager-2", 2},
    {"all-tables", 0},
};

#define NMODES (sizeof(bench_modes) / sizeof(bench_modes[0]))

/*
 * Every guest size at once: one parent per size, booted and paused in one
 * hypervisor (the first access measured right after each boot); each clone
 * mode then goes round by round through all the sizes, so that whatever
 * else the host does at some moment weighs on every size alike, and the
 * sizes compare fairly.
 */
static int bench_sizes(struct bench *b)
{
	struct console *con[MAX_SIZES] = {0};
	struct vm *vm[MAX_SIZES] = {0};
	unsigned id[MAX_SIZES], i, r;
	struct first_acc first[MAX_SIZES] = {0};
	struct mode_acc acc[MAX_SIZES] = {0};
	struct hv *hv;
	int ret = -1;

	if (hv_create(20ull << 30, 0, &hv))
		return -1;
	/* The first access right after each guest's boot, while its pages
	 * are as a running guest keeps them: on this host, memory nobody
	 * touched for a while costs the host's work again on the next touch,
	 * and clones read their parent's pages. */
	for (i = 0; i < b->nsizes; i++) {
		vm[i] = bench_boot(b, hv, &con[i], b->sizes[i], &id[i]);
		if (!vm[i])
			goto out;
		hv_pause(hv, id[i]);
		if (!i)
			bench_first_clone(hv, id[0]);
		for (r = 0; r < FIRST_ROUNDS; r++)
			bench_first_round(b, hv, vm[i], &first[i]);
	}
	printf("\nclone latency, host memory per clone (targets: lazy p50 <= "
	       "20 us and flat; <= 64 KiB per clone)\n");
	printf("  %10s  %-12s %5s  %10s %10s  %-15s %9s %9s\n", "touched",
	       "mode", "n", "p50 us", "p99 us", "round p50s", "host KiB",
	       "frame KiB");
	for (i = 0; i < b->nsizes; i++)
		bench_first_report(b, b->sizes[i], &first[i]);

	for (size_t m = 0; m < NMODES; m++) {
		memset(acc, 0, sizeof(acc));
		for (r = 0; r < b->rounds; r++)
			for (i = 0; i < b->nsizes; i++)
				bench_round(b, hv, vm[i],
					    bench_modes[m].level
						? bench_modes[m].level
						: vm[i]->gs.levels,
					    b->samples, &acc[i]);
		for (i = 0; i < b->nsizes; i++)
			bench_report(b, b->sizes[i], bench_modes[m].name,
				     &acc[i]);
	}

	/* Seconds per copy and as much memory as the guest: one at a time. */
	memset(acc, 0, sizeof(acc));
	for (i = 0; i < b->nsizes; i++) {
		if (b->sizes[i] > COPY_ALL_MAX_MIB)
			continue;
		for (r = 0; r < COPY_ALL_ROUNDS; r++)
			bench_round(b, hv, vm[i], CLONE_COPY_ALL, 1, &acc[i]);
		bench_report(b, b->sizes[i], "copy-all", &acc[i]);
	}
	ret = 0;
out:
	hv_destroy(hv);
	for (i = 0; i < b->nsizes; i++)
		console_destroy(con[i]);
	return ret;
}

/* Clone a booted 256 MiB guest n times and have every clone answer. */
static int bench_live(struct bench *b, unsigned n)
{
	struct console *con = NULL;
	unsigned *ids = calloc(n, sizeof(*ids)), made = 0, answered = 0, id;
	char *done = calloc(n, 1), out[4096];
	struct mem_snap m0, m1;
	struct hv *hv;
	double t0, dt, held;
	int r = -1;

	if (!ids || !done || hv_create(20ull << 30, 0, &hv))
		goto out_free;
	if (!bench_boot(b, hv, &con, 64, &id)) /* a 256 MiB guest */
		goto out_hv;
	hv_pause(hv, id);
	bench_first_clone(hv, id);
	if (bench_ready(hv))
		goto out_hv;
	mem_snap(hv, &m0);
	t0 = now_us();
	hv_clone(hv, id, n, 1, 0, ids, &made);
	dt = now_us() - t0;
	mem_snap(hv, &m1);
	hv_resume(hv, id);
	held = mem_held_kib(&m0, &m1) / (made ? made : 1);
	printf("  %u live clones of a 256 MiB guest in %.0f ms; %.1f KiB of "
	       "host memory per clone before it runs (RSS growth %.1f KiB "
	       "per clone, the rest from the warmer's reserve)\n",
	       made, dt / 1e3, held,
	       (double)(m1.rss_kib - m0.rss_kib) / (made ? made : 1));
	for (unsigned i = 0; i < made; i++) {
		snprintf(out, sizeof(out), "answer %u\n", i + 1);
		hv_console_input(hv, ids[i], out, strlen(out));
	}
	t0 = now_us();
	while (answered < made && now_us() - t0 < 600e6) {
		for (unsigned i = 0; i < made; i++) {
			long len;

			if (done[i])
				continue;
			len =
			    hv_console_output(hv, ids[i], out, sizeof(out) - 1);
			terminate(out, sizeof(out), len);
			if (strstr(out, "MEMVISOR-ANSWER")) {
				done[i] = 1;
				answered++;
			}
		}
		usleep(100000);
	}
	printf("  %u of %u clones answered in %.1f s\n", answered, made,
	       (now_us() - t0) / 1e6);
	json_array_append_new(
	    b->results,
	    json_pack("{s:s, s:i, s:i, s:f, s:f, s:f, s:f}", "mode", "live",
		      "clones", made, "answered", answered, "clone_ms",
		      dt / 1e3, "host_kib_per_clone", held, "rss_kib_per_clone",
		      (double)(m1.rss_kib - m0.rss_kib) / (made ? made : 1),
		      "answer_s", (now_us() - t0) / 1e6));
	r = answered == made && made == n ? 0 : -1;
out_hv:
	hv_destroy(hv);
	console_destroy(con);
out_free:
	free(ids);
	free(done);
	return r;
}

/* The row of results with this mode (and size, unless 0), or NULL. */
static json_t *bench_row(const struct bench *b, const char *mode, unsigned mib)
{
	size_t i;
	json_t *row;

	json_array_foreach(b->results, i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "mode")),
			   mode))
			continue;
		if (!mib || json_integer_value(json_object_get(
				row, "touched_mib")) == (json_int_t)mib)
			return row;
	}
	return NULL;
}

static double bench_value(const struct bench *b, const char *mode, unsigned mib,
			  const char *key)
{
	json_t *row = bench_row(b, mode, mib);

	return row ? json_number_value(json_object_get(row, key)) : -1;
}

/* The worse of two figures; a missing one (< 0) is as bad as can be. */
static double bench_worst(double worst, double v)
{
	return v < 0 ? 1e9 : v > worst ? v : worst;
}

/* One target: value <= limit, or value >= limit when at_least. */
static void bench_target(json_t *targets, const char *name, double value,
			 double limit, bool at_least)
{
	bool met = value >= 0 && (at_least ? value >= limit : value <= limit);

	printf("  %-46s %10.2f  (target %s %.2f)  %s\n", name, value,
	       at_least ? ">=" : "<=", limit, met ? "met" : "NOT MET");
	json_array_append_new(targets, json_pack("{s:s, s:f, s:f, s:b}",
						 "target", name, "value", value,
						 "limit", limit, "met", met));
}

/* Each of the targets, on this run's figures. */
static json_t *bench_targets(const struct bench *b)
{
	json_t *targets = json_array();
	double worst_p50 = 0, worst_rd = 0, worst_wr = 0, worst_kib = 0, v;
	unsigned lo = b->sizes[0], hi = b->sizes[0];
	char name[64];

	printf("\ntargets\n");
	for (unsigned i = 0; i < b->nsizes; i++) {
		worst_p50 = bench_worst(
		    worst_p50, bench_value(b, "lazy", b->sizes[i], "p50_us"));
		worst_rd = bench_worst(
		    worst_rd, bench_value(b, "first-access", b->sizes[i],
					  "read_ns_per_page"));
		worst_wr = bench_worst(
		    worst_wr, bench_value(b, "first-access", b->sizes[i],
					  "write_ns_per_page"));
		worst_kib =
		    bench_worst(worst_kib, bench_value(b, "lazy", b->sizes[i],
						       "host_kib_per_clone"));
		lo = b->sizes[i] < lo ? b->sizes[i] : lo;
		hi = b->sizes[i] > hi ? b->sizes[i] : hi;
	}
	bench_target(targets, "lazy clone p50, worst size (us)", worst_p50, 20,
		     false);
	if (hi != lo) {
		v = bench_value(b, "lazy", hi, "p50_us") /
		    bench_value(b, "lazy", lo, "p50_us");
		snprintf(name, sizeof(name), "lazy clone p50 %u MiB / %u MiB",
			 hi, lo);
		bench_target(targets, name, v, 1.5, false);
	}
	bench_target(targets, "first read after clone, worst size (ns/page)",
		     worst_rd, 2000, false);
	bench_target(targets, "first write after clone, worst size (ns/page)",
		     worst_wr, 2000, false);
	bench_target(targets, "host KiB per lazy clone, worst size", worst_kib,
		     64, false);
	if (b->live) {
		v = bench_value(b, "live", 0, "host_kib_per_clone");
		bench_target(targets, "host KiB per clone, live clones", v, 64,
			     false);
		v = bench_value(b, "live", 0, "answered");
		bench_target(targets, "live clones that answered", v, b->live,
			     true);
	}
	return targets;
}

static void bench_parse_sizes(struct bench *b, const char *s)
{
	b->nsizes = 0;
	while (*s && b->nsizes < MAX_SIZES) {
		b->sizes[b->nsizes++] = (unsigned)strtoul(s, (char **)&s, 10);
		if (*s == ',')
			s++;
	}
}

int main(int argc, char **argv)
{
	struct bench b = {.samples = 50,
			  .rounds = 5,
			  .sizes = {64, 256, 1024, 4096},
			  .nsizes = 4};
	struct bench_machine machine;
	double touch[2];
	json_t *targets;
	int fails = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--kernel"))
			b.kernel = argv[i + 1];
		else if (!strcmp(argv[i], "--initrd"))
			b.initrd = argv[i + 1];
		else if (!strcmp(argv[i], "--json"))
			b.json = argv[i + 1];
		else if (!strcmp(argv[i], "--samples"))
			b.samples = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--rounds"))
			b.rounds = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--live"))
			b.live = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sizes"))
			bench_parse_sizes(&b, argv[i + 1]);
	}
	if (!b.kernel || !b.initrd || !b.samples || !b.rounds ||
	    b.rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: vmclone --kernel IMAGE --initrd CPIO "
				"[--sizes 64,256,...] [--samples N] "
				"[--rounds 1-21] [--live N] [--json PATH]\n");
		return 2;
	}
	b.results = json_array();
	bench_machine_read(&machine);
	bench_machine_print(&machine);
	/* The host's own first touch, before and after: the same run's
	 * baseline for everything that lands on fresh memory. */
	touch[0] = bench_host_first_touch_ns(HOST_TOUCH_PAGES);
	printf("host baseline: first touch of a fresh anonymous page %.1f "
	       "us (plain write loop, no memvisor code)\n",
	       touch[0] / 1e3);
	printf("steady state: one untimed clone first switches the "
	       "hypervisor's frame warmer on; before each timed measurement "
	       "the bench waits until its reserve (%u zero frames, %u ready "
	       "16 KiB roots, every page touched) is full, as a running "
	       "memvisor keeps it between requests; the timed paths are the "
	       "real ones, the warmer refilling beside them\n\n",
	       HV_WARM_FRAMES, HV_WARM_RUNS);
	fails += bench_sizes(&b) != 0;
	if (b.live)
		fails += bench_live(&b, b.live) != 0;
	fails += (int)b.fails;
	touch[1] = bench_host_first_touch_ns(HOST_TOUCH_PAGES);
	printf("\nhost baseline at the end: first touch %.1f us\n",
	       touch[1] / 1e3);
	targets = bench_targets(&b);

	if (b.json) {
		json_t *root = json_pack(
		    "{s:s, s:o, s:[f,f], s:{s:i, s:i}, s:o, s:o}", "benchmark",
		    "vmclone", "machine", bench_machine_json(&machine),
		    "host_first_touch_ns", touch[0], touch[1], "warm_reserve",
		    "frames", HV_WARM_FRAMES, "roots", HV_WARM_RUNS, "results",
		    b.results, "targets", targets);
		if (bench_json_dump(root, b.json))
			fails++;
		printf("wrote %s\n", b.json);
	} else {
		json_decref(b.results);
		json_decref(targets);
	}
	return fails ? 1 : 0;
}
