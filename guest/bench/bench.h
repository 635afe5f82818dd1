/*
 * bench.h — what the benchmark guest programs (guest/bench/) share: the
 * monotonic clock in seconds.
 */
#ifndef GUEST_BENCH_H
#define GUEST_BENCH_H

#include <time.h>

/* seconds: CLOCK_MONOTONIC as a double, for differences between two calls. */
static inline double seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

#endif
