/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmarks: a clock, the process RSS, quantiles of
 * samples, and a description of the machine for the JSON results. Header
 * only (static functions), since each benchmark is one program.
 */
#ifndef MEMVISOR_BENCH_BENCH_H
#define MEMVISOR_BENCH_BENCH_H

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define BENCH_MAX_RUNS 21

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Resident set size of this process, or 0 when it cannot be read. */
static inline uint64_t bench_rss_bytes(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * The host's own cost of a first touch: one write to each of pages fresh
 * anonymous pages, outside memvisor entirely; ns per page, or -1 when the
 * memory cannot be mapped. The floor under every figure that lands on
 * memory the host has not handed over yet.
 */
static inline double bench_host_first_touch_ns(unsigned pages)
{
	const size_t bytes = (size_t)pages * 4096;
	volatile uint8_t *p;
	uint64_t t0, dt;

	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise((void *)p, bytes, MADV_NOHUGEPAGE);
	t0 = bench_now_ns();
	for (size_t off = 0; off < bytes; off += 4096)
		p[off] = 1;
	dt = bench_now_ns() - t0;
	munmap((void *)p, bytes);
	return (double)dt / pages;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile (0 < q <= 1, nearest rank) of n > 0 values; sorts v. */
static inline double bench_quantile(double *v, unsigned n, double q)
{
	unsigned i;

	qsort(v, n, sizeof(*v), bench_cmp_double);
	i = (unsigned)(q * n + 0.999999);
	return v[i ? i - 1 : 0];
}

/* Median of n values (1 <= n <= BENCH_MAX_RUNS); v is left as it was. */
static inline double bench_median(const double *v, unsigned n)
{
	double sorted[BENCH_MAX_RUNS];

	memcpy(sorted, v, n * sizeof(*v));
	qsort(sorted, n, sizeof(*sorted), bench_cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

struct bench_machine {
	char cpu_model[256];
	int cores;
	char kernel[128];
	double load; /* 1-minute load average when the benchmark started */
};

static inline void bench_machine_read(struct bench_machine *m)
{
	char line[512], *colon;
	struct utsname un;
	FILE *f;

	snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f)) {
		colon = strchr(line, ':');
		if (strncmp(line, "model name", 10) || !colon)
			continue;
		colon += 1 + strspn(colon + 1, " \t");
		colon[strcspn(colon, "\n")] = 0;
		snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", colon);
		break;
	}
	if (f)
		fclose(f);
	m->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(m->kernel, sizeof(m->kernel), "%s",
		 uname(&un) ? "unknown" : un.release);
	if (getloadavg(&m->load, 1) != 1)
		m->load = -1;
}

static inline void bench_machine_print(const struct bench_machine *m)
{
	printf("%s, %d cores, Linux %s, load average %.2f at start\n\n",
	       m->cpu_model, m->cores, m->kernel, m->load);
}

static inline json_t *bench_machine_json(const struct bench_machine *m)
{
	return json_pack("{s:s, s:i, s:s, s:f}", "cpu_model", m->cpu_model,
			 "cores", m->cores, "kernel", m->kernel, "load_average",
			 m->load);
}

/* Write root to path through a temporary file; takes root. 0 or -EIO. */
static inline int bench_json_dump(json_t *root, const char *path)
{
	char tmp[4096];
	int r = 0;

	if (!root)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(root, tmp, JSON_INDENT(2)) || rename(tmp, path))
		r = -EIO;
	json_decref(root);
	return r;
}

#endif
