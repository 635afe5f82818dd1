/* SPDX-License-Identifier: MIT */
/*
 * Deferrable low-overhead hypercalls (DLH): a ring per VM in guest memory
 * (layout and ordering in include/memvisor/abi.h) whose entries name
 * routines of a registration table. The guest posts with no exit; memvisor
 * drains the ring on the one path that restores a VCPU's context
 * (sched_restore()) and at a DLH_NOTIFY.
 *
 * Notify drains at once, waiting for a drain already under way on another
 * PCPU to finish: when the notify returns, every entry posted before it
 * has run. That costs the exit the notify already took and no more, and
 * lets a guest rely on it; the drain at restore only tries (a restore
 * never waits on another PCPU's drain).
 *
 * Everything read from the ring is untrusted and goes through mem/gmem.h.
 */
#ifndef MEMVISOR_VMM_DLH_H
#define MEMVISOR_VMM_DLH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct vm;

/* A VM's DLH state, inside struct vm. */
struct dlh {
	pthread_mutex_t lock; /* one drain (or register) at a time */
	_Atomic bool active;  /* a ring is registered and not broken */
	bool broken;	      /* under lock: marked MEMVISOR_DLH_RING_ERROR */
	uint64_t gpa;	      /* under lock: the ring */
	uint32_t entries;     /* under lock: a power of two */
	uint32_t consumer;    /* under lock: the trusted consumer index */

	/* Statistics, read by the host at any time. */
	_Atomic uint64_t counter;     /* MEMVISOR_DLH_R_COUNTER_ADD's sum */
	_Atomic uint64_t n_entries;   /* entries run from the ring */
	_Atomic uint64_t n_drains;    /* drains that ran at least one */
	_Atomic uint64_t n_notifies;  /* DLH_NOTIFY calls */
	_Atomic uint64_t n_sync;      /* MEMVISOR_DLH_CALL_SYNC calls */
	_Atomic uint64_t n_malformed; /* rings found malformed */
};

/* Set up d with no ring registered. Returns 0 or a negative errno. */
int dlh_init(struct dlh *d);

/* Release what dlh_init() set up. No drain may be running. */
void dlh_destroy(struct dlh *d);

/*
 * Register the ring at guest-physical gpa with entries slots (untrusted
 * guest input), replacing any ring; the ring starts empty (consumer :=
 * its producer) with flags clear. Returns 0, -EINVAL when entries is not a
 * power of two in 1..MEMVISOR_DLH_MAX_ENTRIES, or -EFAULT when gpa is not
 * 4 KiB aligned or the ring is not inside the VM's RAM (the old ring
 * stays), or -ENOMEM (no ring is registered then).
 */
int dlh_register(struct vm *vm, uint64_t gpa, uint64_t entries);

/*
 * Run every entry posted to vm's ring and not yet run, in order, each
 * once, writing its status and result, then publish the consumer index.
 * If another thread is draining vm, return 0 at once. Returns the number
 * of entries run, or -EBADMSG when the producer index is more than
 * entries ahead (the ring is marked MEMVISOR_DLH_RING_ERROR and is not
 * drained again until registered again), or -EFAULT/-ENOMEM from guest
 * memory. Any thread.
 */
int dlh_drain(struct vm *vm);

/*
 * DLH_NOTIFY: count it and drain, waiting for a drain under way to end.
 * Returns as dlh_drain(), and -EBADMSG for a ring already broken.
 */
int dlh_notify(struct vm *vm);

/*
 * Run routine with args synchronously (MEMVISOR_DLH_CALL_SYNC). Returns
 * the SBI status (SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED for an unknown
 * routine, SBI_ERR_INVALID_PARAM / _ADDRESS for bad arguments) and sets
 * *result.
 */
int64_t dlh_call_sync(struct vm *vm, uint64_t routine, const uint64_t args[4],
		      int64_t *result);

#endif
