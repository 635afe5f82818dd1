/* SPDX-License-Identifier: MIT */
/*
 * dlh: deferrable low-overhead hypercalls (mechanism 2) against the same
 * calls made synchronously, in one run, written to bench/results/dlh.json.
 *
 *  A. The bare-metal microbenchmark (guest/baremetal/dlh_bench.c) under
 *     `memvisor run --cpus V --pcpus 2` for V = 1, 2, 4: per workload
 *     (TLB-flush requests for every hart, free-page hints of one page each,
 *     and counter adds, the cheapest routine) and way (one ecall per call,
 *     or posted to each hart's own ring and run by one notify): the
 *     guest-visible time per call (time CSR), the aggregate throughput of
 *     all harts, and the exits per 1,000 calls (every exit of the VCPU:
 *     hypercalls and ends of time slices). 65,536 calls per hart and
 *     round (free-page hints: 8,192, each on a page written before).
 *     Medians over --runs runs of 5 rounds each (and over the harts);
 *     ratios are taken within this run.
 *  B. Free page reporting from a Linux 6.1 guest (guest/init/dlh.c, the
 *     memvisor_dlh driver): the guest writes 200 MiB, frees it, and the
 *     kernel reports its free pages, through the ring with one notify per
 *     report batch, or with one synchronous call per reported chunk
 *     (memvisor_dlh.sync=1): guest time in the driver's report callback
 *     per chunk, hypercall exits per 1,000 chunks, and how far memvisor's
 *     RSS fell. Medians over --runs runs of each.
 *
 *   dlh --memvisor PATH --bench-elf PATH [--kernel IMAGE --initrd CPIO]
 *       [--runs N] [--json PATH]
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define MAX_SAMPLES  4096
#define TICK_NS	     100.0 /* its time CSR: 10 MHz */
#define PCPUS	     "2"
#define REPORT_MIB   200
#define NWORKLOADS   3
#define NVCPU_COUNTS 3

static const char *const workloads[NWORKLOADS] = {"tlb", "hint", "counter"};
static const char *const workload_what[NWORKLOADS] = {
    "TLB-flush request for every hart", "free-page hint of one page",
    "counter add (the exit alone)"};
static const unsigned vcpu_counts[NVCPU_COUNTS] = {1, 2, 4};

struct opts {
	const char *memvisor, *bench_elf, *kernel, *initrd, *json;
	unsigned runs;
};

/* Samples of one figure. */
struct samples {
	double v[MAX_SAMPLES];
	unsigned n;
};

static void add(struct samples *s, double x)
{
	if (s->n < MAX_SAMPLES)
		s->v[s->n++] = x;
}

static double median(struct samples *s)
{
	return s->n ? bench_quantile(s->v, s->n, 0.5) : -1;
}

/* One way of one workload on one VCPU count. */
struct way {
	struct samples ns, exits, tput;
};

struct cell {
	struct way sync, dlh;
};

/* Called for every line a guest prints; pid is memvisor's. */
typedef void line_fn(const char *line, pid_t pid, void *arg);

/*
 * Run argv (memvisor), feeding each output line to fn. Returns memvisor's
 * exit status, or -1 when it could not be run or did not exit normally.
 */
static int run_guest(char *const argv[], line_fn *fn, void *arg)
{
	int fds[2], status;
	char line[1024];
	pid_t pid;
	FILE *f;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		execv(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	f = fdopen(fds[0], "r");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		fn(line, pid, arg);
	}
	if (f)
		fclose(f);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The number after " name=" in line, or -1. */
static double field(const char *line, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(line, key);
	return p ? strtod(p + strlen(key), NULL) : -1;
}

/* ---- A. the bare-metal microbenchmark ---- */

static void micro_line(const char *line, pid_t pid, void *arg)
{
	struct cell *cells = arg; /* NWORKLOADS of them */
	char w[16], way[8];
	double ticks, exits, wall, harts, calls;
	struct way *dst;
	unsigned i;

	(void)pid;
	if (sscanf(line, "DLHB %15s %7s", w, way) != 2)
		return;
	for (i = 0; i < NWORKLOADS && strcmp(w, workloads[i]); i++)
		;
	if (i == NWORKLOADS)
		return;
	dst = strcmp(way, "dlh") ? &cells[i].sync : &cells[i].dlh;
	ticks = field(line, "ticks");
	exits = field(line, "exits");
	wall = field(line, "wall");
	harts = field(line, "harts");
	calls = field(line, "calls");
	if (ticks <= 0 || exits < 0 || calls <= 0)
		return;
	add(&dst->ns, ticks * TICK_NS / calls);
	add(&dst->exits, exits * 1000 / calls);
	if (wall > 0 && harts > 0)
		add(&dst->tput, harts * calls / (wall * TICK_NS * 1e-9));
}

static json_t *way_json(struct way *w)
{
	return json_pack("{s:f, s:f, s:f, s:i}", "ns_per_call", median(&w->ns),
			 "calls_per_s", median(&w->tput),
			 "exits_per_1000_calls", median(&w->exits), "samples",
			 (int)w->ns.n);
}

static int micro(const struct opts *o, json_t *out)
{
	static struct cell cells[NVCPU_COUNTS][NWORKLOADS];
	int fails = 0;

	printf("A. bare-metal microbenchmark (%s), %u runs x 5 rounds, "
	       "%s PCPUs\n",
	       o->bench_elf, o->runs, PCPUS);
	for (unsigned c = 0; c < NVCPU_COUNTS; c++) {
		char cpus[8];

		snprintf(cpus, sizeof(cpus), "%u", vcpu_counts[c]);
		char *const argv[] = {(char *)o->memvisor,
				      "run",
				      "--kernel",
				      (char *)o->bench_elf,
				      "--memory",
				      "320M",
				      "--cpus",
				      cpus,
				      "--pcpus",
				      PCPUS,
				      NULL};
		for (unsigned r = 0; r < o->runs; r++)
			if (run_guest(argv, micro_line, cells[c])) {
				fprintf(stderr,
					"dlh bench: %s with --cpus %s failed\n",
					o->bench_elf, cpus);
				fails++;
			}
	}
	printf("\n%-8s %5s | %10s %10s %6s | %12s %12s %6s | %6s %6s\n",
	       "workload", "vcpus", "sync ns", "dlh ns", "x", "sync call/s",
	       "dlh call/s", "x", "exits", "/1000");
	for (unsigned i = 0; i < NWORKLOADS; i++)
		for (unsigned c = 0; c < NVCPU_COUNTS; c++) {
			struct cell *x = &cells[c][i];
			double sns = median(&x->sync.ns),
			       dns = median(&x->dlh.ns);
			double stp = median(&x->sync.tput),
			       dtp = median(&x->dlh.tput);
			json_t *j;

			printf("%-8s %5u | %10.1f %10.1f %6.1f | %12.0f %12.0f "
			       "%6.1f | %6.0f %6.2f\n",
			       workloads[i], vcpu_counts[c], sns, dns,
			       dns > 0 ? sns / dns : 0, stp, dtp,
			       stp > 0 ? dtp / stp : 0, median(&x->sync.exits),
			       median(&x->dlh.exits));
			j = json_pack(
			    "{s:s, s:s, s:i, s:i, s:o, s:o, s:f, s:f, "
			    "s:b}",
			    "workload", workloads[i], "call", workload_what[i],
			    "vcpus", (int)vcpu_counts[c], "pcpus", atoi(PCPUS),
			    "sync", way_json(&x->sync), "dlh",
			    way_json(&x->dlh), "throughput_ratio",
			    stp > 0 ? dtp / stp : 0, "time_per_call_ratio",
			    dns > 0 ? sns / dns : 0, "target_met",
			    stp > 0 && dtp / stp >= 10 && dns <= 100);
			json_array_append_new(out, j);
		}
	return fails;
}

/* ---- B. Linux free page reporting ---- */

struct report_run {
	double rss_allocated, rss_reported; /* bytes */
	double chunks, reports, notifies, sync_calls, report_ns, released;
	bool done, ok;
};

static double rss_of(pid_t pid)
{
	char path[64];
	unsigned long size, resident;
	FILE *f;
	double r = -1;

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	f = fopen(path, "r");
	if (f && fscanf(f, "%lu %lu", &size, &resident) == 2)
		r = (double)resident * (double)sysconf(_SC_PAGESIZE);
	if (f)
		fclose(f);
	return r;
}

static void report_line(const char *line, pid_t pid, void *arg)
{
	struct report_run *run = arg;
	const char *l = strstr(line, "DLH-");

	if (!l)
		return;
	/* The guest pauses 2 s after each of these: read the RSS now. */
	if (!strncmp(l, "DLH-ALLOCATED", 13))
		run->rss_allocated = rss_of(pid);
	if (!strncmp(l, "DLH-REPORTED", 12)) {
		run->rss_reported = rss_of(pid);
		run->released = field(l, "pages_released");
	}
	if (!strncmp(l, "DLH-CALLS", 9)) {
		run->chunks = field(l, "chunks");
		run->reports = field(l, "reports");
		run->notifies = field(l, "notifies");
		run->sync_calls = field(l, "sync_calls");
		run->report_ns = field(l, "report_ns");
	}
	if (!strncmp(l, "DLH-DONE", 8)) {
		run->done = true;
		run->ok = field(l, "mismatches") == 0;
	}
}

static int reporting(const struct opts *o, json_t *out)
{
	static const char *const modes[2] = {"dlh", "sync"};
	int fails = 0;

	printf("\nB. free page reporting from a Linux guest (%s), %u runs "
	       "each: %d MiB written, freed, reported\n",
	       o->kernel, o->runs, REPORT_MIB);
	printf("%-5s | %14s %14s %10s %8s %10s\n", "way", "us per chunk",
	       "exits/1000", "chunks", "reports", "RSS fell");
	for (unsigned m = 0; m < 2; m++) {
		struct samples us = {0}, exits = {0}, drop = {0}, chunks = {0},
			       reports = {0};
		char cmdline[256];

		snprintf(cmdline, sizeof(cmdline),
			 "console=hvc0 earlycon=sbi memvisor_dlh.reporting=1 "
			 "MIB=%d CHURN=0%s",
			 REPORT_MIB, m ? " memvisor_dlh.sync=1" : "");
		char *const argv[] = {(char *)o->memvisor,
				      "run",
				      "--kernel",
				      (char *)o->kernel,
				      "--initrd",
				      (char *)o->initrd,
				      "--memory",
				      "384M",
				      "--pcpus",
				      PCPUS,
				      "--cmdline",
				      cmdline,
				      NULL};
		for (unsigned r = 0; r < o->runs; r++) {
			struct report_run run = {0};

			if (run_guest(argv, report_line, &run) || !run.done ||
			    !run.ok || run.chunks <= 0) {
				fprintf(stderr,
					"dlh bench: the Linux guest (%s) "
					"failed\n",
					modes[m]);
				fails++;
				continue;
			}
			add(&us, run.report_ns / run.chunks / 1e3);
			add(&exits, (m ? run.sync_calls : run.notifies) * 1000 /
					run.chunks);
			add(&drop,
			    (run.rss_allocated - run.rss_reported) / 1048576);
			add(&chunks, run.chunks);
			add(&reports, run.reports);
		}
		printf("%-5s | %14.1f %14.1f %10.0f %8.0f %8.0f MiB\n",
		       modes[m], median(&us), median(&exits), median(&chunks),
		       median(&reports), median(&drop));
		json_object_set_new(
		    out, modes[m],
		    json_pack(
			"{s:f, s:f, s:f, s:f, s:f, s:i}", "report_us_per_chunk",
			median(&us), "exits_per_1000_chunks", median(&exits),
			"chunks", median(&chunks), "reports", median(&reports),
			"rss_fell_mib", median(&drop), "runs", (int)us.n));
	}
	return fails;
}

static void usage(void)
{
	fprintf(stderr, "usage: dlh --memvisor PATH --bench-elf PATH "
			"[--kernel IMAGE --initrd CPIO] [--runs N] "
			"[--json PATH]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = {.runs = 3};
	struct bench_machine m;
	json_t *root, *micro_out = json_array(), *rep_out = json_object();
	int fails;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (!strcmp(a, "--memvisor"))
			o.memvisor = v;
		else if (!strcmp(a, "--bench-elf"))
			o.bench_elf = v;
		else if (!strcmp(a, "--kernel"))
			o.kernel = v;
		else if (!strcmp(a, "--initrd"))
			o.initrd = v;
		else if (!strcmp(a, "--json"))
			o.json = v;
		else if (!strcmp(a, "--runs"))
			o.runs = (unsigned)atoi(v);
		else
			usage();
		i++;
	}
	if (!o.memvisor || !o.bench_elf || !o.runs || !o.kernel != !o.initrd)
		usage();
	bench_machine_read(&m);
	bench_machine_print(&m);
	fails = micro(&o, micro_out);
	if (o.kernel)
		fails += reporting(&o, rep_out);
	root = json_pack(
	    "{s:s, s:o, s:i, s:i, s:s, s:s, s:o, s:{s:s, s:i, s:o}}", "bench",
	    "dlh", "machine", bench_machine_json(&m), "runs", (int)o.runs,
	    "rounds_per_run", 5, "calls_per_round",
	    "tlb, counter: 65536 per "
	    "hart; hint: 8192 per hart",
	    "note",
	    "ns_per_call: guest-visible time per call (time CSR); "
	    "calls_per_s: all harts together; exits: every exit of the "
	    "VCPU (hypercalls, WFI, ends of time slices); medians; ratios "
	    "within this run",
	    "microbench", micro_out, "page_reporting", "source",
	    "Linux 6.1 guest, guest/linux/memvisor_dlh driver, "
	    "guest/init/dlh.c",
	    "guest_mib_freed", REPORT_MIB, "ways", rep_out);
	if (o.json && bench_json_dump(root, o.json)) {
		fprintf(stderr, "dlh bench: cannot write %s\n", o.json);
		return 1;
	}
	if (!o.json)
		json_decref(root);
	return fails ? 1 : 0;
}
