/* SPDX-License-Identifier: MIT */
/*
 * The host's own cost of giving memory back: MADV_DONTNEED over N MiB of
 * touched anonymous memory, in one call and in 4 KiB calls, as ms per GiB
 * (median of several runs). The baseline for the "frames back" part of
 * free-page sharing (bench/share.sh), on the same machine in the same run.
 *
 *   build/bench/madvise [MIB] [RUNS]   prints one JSON object
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"

static double bench_madvise(char *p, size_t bytes, size_t step)
{
	uint64_t t0;

	memset(p, 1, bytes);
	t0 = bench_now_ns();
	for (size_t o = 0; o < bytes; o += step)
		madvise(p + o, step, MADV_DONTNEED);
	return (double)(bench_now_ns() - t0) / 1e6 * (double)(1u << 30) /
	       (double)bytes;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	unsigned runs = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 5;
	size_t bytes = mib << 20;
	double one[64], pages[64];
	char *p;

	if (!mib || !runs || runs > 64)
		return 2;
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	for (unsigned i = 0; i < runs; i++) {
		one[i] = bench_madvise(p, bytes, bytes);
		pages[i] = bench_madvise(p, bytes, 4096);
	}
	printf("{\"mib\": %zu, \"one_call_ms_per_gib\": %.1f, "
	       "\"page_calls_ms_per_gib\": %.1f}\n",
	       mib, bench_median(one, runs), bench_median(pages, runs));
	return 0;
}
