/* SPDX-License-Identifier: MIT */
/*
 * The warmer: a thread keeping hv.h's reserve of zeroed frames and root
 * runs resident, so that clones and their first faults do not wait for
 * the host to map memory.
 */
#include "vmm/hv_priv.h"

#include <errno.h>
#include <time.h>

/* How often the warmer looks at its reserve (HV_WARM_FRAMES, hv.h). */
#define HV_WARM_POLL_NS 2000000L
/*
 * The warmer refills only once the reserve is down to half. Refilling
 * makes the host map pages, and on a host with shadow paging that stalls
 * every other thread's page faults meanwhile (for up to milliseconds):
 * topping the reserve up after every few frames would put such stalls in
 * the middle of the very faults the reserve is for.
 */
#define HV_WARM_LOW_FRAMES (HV_WARM_FRAMES / 2)
#define HV_WARM_LOW_RUNS   (HV_WARM_RUNS / 2)

/* The CLOCK_MONOTONIC time ns from now, for pthread_cond_timedwait(). */
static struct timespec hv_deadline(uint64_t ns)
{
	struct timespec at;

	clock_gettime(CLOCK_MONOTONIC, &at);
	ns += (uint64_t)at.tv_nsec;
	at.tv_sec += (time_t)(ns / 1000000000u);
	at.tv_nsec = (long)(ns % 1000000000u);
	return at;
}

/*
 * One pass of the warmer: fill the reserve up when it is below its low
 * marks or force is set. Returns whether it is full now.
 */
static bool hv_warm_pass(struct hv *hv, bool force)
{
	struct frame_stats st;

	frame_stats(hv->pool, &st);
	if (force || st.zero < HV_WARM_LOW_FRAMES || st.runs < HV_WARM_LOW_RUNS)
		return frame_pool_prefault(hv->pool, HV_WARM_FRAMES,
					   HV_WARM_RUNS);
	return st.zero >= HV_WARM_FRAMES && st.runs >= HV_WARM_RUNS;
}

static void *hv_warmer_main(void *arg)
{
	struct hv *hv = arg;
	struct timespec at;
	uint64_t asked;
	bool full;

	pthread_mutex_lock(&hv->warm_lock);
	while (!hv->warm_stop) {
		if (!hv->warm_on) {
			pthread_cond_wait(&hv->warm_wake, &hv->warm_lock);
			continue;
		}
		asked = hv->warm_asked;
		pthread_mutex_unlock(&hv->warm_lock);
		full = hv_warm_pass(hv, asked > hv->warm_served);
		pthread_mutex_lock(&hv->warm_lock);
		if (asked > hv->warm_served) {
			hv->warm_served = asked;
			hv->warm_served_full = full;
			pthread_cond_broadcast(&hv->warm_done);
		}
		at = hv_deadline(HV_WARM_POLL_NS);
		if (!hv->warm_stop && hv->warm_asked == hv->warm_served)
			pthread_cond_timedwait(&hv->warm_wake, &hv->warm_lock,
					       &at);
	}
	pthread_mutex_unlock(&hv->warm_lock);
	return NULL;
}

void hv_warm_kick(struct hv *hv)
{
	pthread_mutex_lock(&hv->warm_lock);
	/* Once on, it looks every HV_WARM_POLL_NS by itself: a clone need
	 * not wake it (the woken thread would take the CPU from the
	 * request that is still making clones). */
	if (!hv->warm_on) {
		hv->warm_on = true;
		pthread_cond_signal(&hv->warm_wake);
	}
	pthread_mutex_unlock(&hv->warm_lock);
}

int hv_warm_wait(struct hv *hv, uint64_t timeout_ns)
{
	struct timespec at = hv_deadline(timeout_ns);
	uint64_t ask;
	int r = 0;

	pthread_mutex_lock(&hv->warm_lock);
	if (!hv->warm_on) {
		r = -EAGAIN;
		goto out;
	}
	ask = ++hv->warm_asked;
	pthread_cond_signal(&hv->warm_wake);
	while (hv->warm_served < ask && !r)
		if (pthread_cond_timedwait(&hv->warm_done, &hv->warm_lock,
					   &at) == ETIMEDOUT)
			r = -ETIMEDOUT;
	/* Whichever pass served this request (or a later one) ran after
	 * the call. */
	if (!r && !hv->warm_served_full)
		r = -ENOSPC;
out:
	pthread_mutex_unlock(&hv->warm_lock);
	return r;
}

int hv_warm_start(struct hv *hv)
{
	pthread_condattr_t attr;
	int r;

	pthread_mutex_init(&hv->warm_lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hv->warm_wake, &attr);
	pthread_cond_init(&hv->warm_done, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&hv->warmer, NULL, hv_warmer_main, hv);
	if (r) {
		pthread_cond_destroy(&hv->warm_done);
		pthread_cond_destroy(&hv->warm_wake);
		pthread_mutex_destroy(&hv->warm_lock);
	}
	return r;
}

void hv_warm_stop(struct hv *hv)
{
	pthread_mutex_lock(&hv->warm_lock);
	hv->warm_stop = true;
	pthread_cond_signal(&hv->warm_wake);
	pthread_mutex_unlock(&hv->warm_lock);
	pthread_join(hv->warmer, NULL);
	pthread_cond_destroy(&hv->warm_done);
	pthread_cond_destroy(&hv->warm_wake);
	pthread_mutex_destroy(&hv->warm_lock);
}
