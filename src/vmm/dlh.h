/* SPDX-License-Identifier: MIT */
/*
 * Deferrable low-overhead hypercalls (DLH): a queue per VM, made of up to
 * MEMVISOR_DLH_MAX_RINGS rings in guest memory (one per hart, typically;
 * layout and ordering in include/memvisor/abi.h), whose entries name
 * routines of a registration table. The guest posts with no exit; memvisor
 * drains every ring of the VM on the one path that restores a VCPU's context
 * (sched_restore()) and at a DLH_NOTIFY.
 *
 * Notify drains at once, waiting for a drain already under way on another
 * PCPU to finish: when the notify returns, every entry posted before it
 * has run. That costs the exit the notify already took and no more, and
 * lets a guest rely on it; the drain at restore only tries (a restore
 * never waits on another PCPU's drain).
 *
 * A drain reads and writes the rings in place, a page at a time, through
 * the checked accessor gmem_map(); everything read from a ring is
 * untrusted. Work that must reach the other VCPUs (TLB-flush requests, the
 * frames free-page hints released) is gathered over the whole drain and
 * done once at its end.
 */
#ifndef MEMVISOR_VMM_DLH_H
#define MEMVISOR_VMM_DLH_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem/frame.h"

#define DLH_MAX_RINGS 8 /* MEMVISOR_DLH_MAX_RINGS; at least VM_MAX_VCPUS */

struct vm;
struct vcpu;

/* One ring; under the dlh lock. */
struct dlh_ring {
	uint64_t gpa;	   /* the ring */
	uint32_t entries;  /* a power of two; 0: none registered */
	uint32_t consumer; /* the trusted consumer index */
	bool broken;	   /* marked MEMVISOR_DLH_RING_ERROR */
};

/* A VM's DLH state, inside struct vm. */
struct dlh {
	pthread_mutex_t lock;	 /* one drain (or register) at a time */
	_Atomic uint32_t active; /* bit i: ring i registered, not broken */
	struct dlh_ring rings[DLH_MAX_RINGS]; /* under lock */
	struct frame_vec dropped; /* under lock: frames hints took, to put */

	/* Statistics, read by the host at any time. */
	_Atomic uint64_t counter;     /* MEMVISOR_DLH_R_COUNTER_ADD's sum */
	_Atomic uint64_t n_entries;   /* entries run from the rings */
	_Atomic uint64_t n_drains;    /* drains that ran at least one */
	_Atomic uint64_t n_notifies;  /* DLH_NOTIFY calls */
	_Atomic uint64_t n_sync;      /* MEMVISOR_DLH_CALL_SYNC calls */
	_Atomic uint64_t n_malformed; /* rings found malformed */
	_Atomic uint64_t n_hinted;    /* pages free-page hints released */
	_Atomic uint64_t drain_ns;    /* host time spent in drains that ran
					 something: charged to this VM */
};

/* Set up d with no ring registered. Returns 0 or a negative errno. */
int dlh_init(struct dlh *d);

/* Release what dlh_init() set up. No drain may be running. */
void dlh_destroy(struct dlh *d);

/*
 * Register ring number i at guest-physical gpa with entries slots
 * (untrusted guest input) on behalf of self (the VCPU asking, which serves
 * its flush requests while it waits for a drain to end; NULL for a host
 * thread), replacing ring i; the ring starts empty
 * (consumer := its producer) with flags clear. entries 0 unregisters ring
 * i (its entries not run yet never run). Returns 0, -EINVAL when entries
 * is not a power of two up to MEMVISOR_DLH_MAX_ENTRIES or i is not below
 * DLH_MAX_RINGS, -EFAULT when gpa is not 4 KiB aligned, the ring is not
 * inside the VM's RAM or it overlaps another ring (ring i stays as it
 * was), or -ENOMEM (ring i is unregistered then).
 */
int dlh_register(struct vm *vm, struct vcpu *self, uint64_t i, uint64_t gpa,
		 uint64_t entries);

/*
 * Run every entry posted to vm's rings and not yet run, in order per
 * ring, each once, writing its status and result, and publish each ring's
 * consumer index; then post the TLB flushes the entries asked for and,
 * when free-page hints took pages, make every other VCPU of vm drop its
 * translations (waiting for those on a PCPU) before the frames go back to
 * the host. self is the VCPU on whose behalf this runs (the one being
 * restored, or notifying): it is not waited for, and its own translations
 * go when it next runs (the G-stage generation moved). If another thread
 * is draining vm, return 0 at once. Returns the number of entries run, or
 * -EBADMSG when a ring's producer index is more than entries ahead (that
 * ring is marked MEMVISOR_DLH_RING_ERROR and is not drained again until
 * registered again; the other rings are drained), or -EFAULT/-ENOMEM from
 * guest memory. Adds the time taken to vm's drain_ns. Any thread.
 */
int dlh_drain(struct vm *vm, struct vcpu *self);

/*
 * DLH_NOTIFY: count it and drain, waiting for a drain under way to end
 * (serving self's TLB-flush requests meanwhile, so that a drain waiting
 * for self gets on). Returns as dlh_drain(), and -EBADMSG whenever a
 * ring is marked broken.
 */
int dlh_notify(struct vm *vm, struct vcpu *self);

/*
 * Run routine with args synchronously (MEMVISOR_DLH_CALL_SYNC) on behalf
 * of self, with the same effects as from a ring, done before it returns.
 * Returns the SBI status (SBI_SUCCESS, SBI_ERR_NOT_SUPPORTED for an
 * unknown routine, SBI_ERR_INVALID_PARAM / _ADDRESS for bad arguments,
 * SBI_ERR_FAILED when the host is out of memory) and sets *result.
 */
int64_t dlh_call_sync(struct vm *vm, struct vcpu *self, uint64_t routine,
		      const uint64_t args[4], int64_t *result);

/*
 * True for a routine whose synchronous call may take the host long (a
 * free-page hint of much memory, a console write): the scheduler then
 * looks at the clock after it, to end the VCPU's time slice in time.
 */
bool dlh_costly(uint64_t routine);

#endif
