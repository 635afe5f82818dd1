/* SPDX-License-Identifier: MIT */
/*
 * Inside the hypervisor object (vmm/hv.h), shared by its parts: hv.c (the
 * VM table and each VM's life), hv_warm.c (the frame reserve's warmer) and
 * hv_memory.c (work on guest memory across a pause: introspection, sharing,
 * merging, checking).
 */
#ifndef MEMVISOR_VMM_HV_PRIV_H
#define MEMVISOR_VMM_HV_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/hv.h"

struct hv {
	/* Held for every operation on the table or on one VM, so a VM is
	 * never destroyed while another request works on it. */
	pthread_mutex_t lock;
	struct frame_pool *pool;
	struct sched *sched;
	struct vm **vms; /* ascending ids */
	size_t nvms, cap;
	unsigned next_id;
	unsigned first_id; /* the first VM added: its status is hv_wait(0)'s */

	/* The warmer: a thread keeping the reserve of hv.h's HV_WARM_FRAMES
	 * frames and HV_WARM_RUNS roots resident. With warm_lock: */
	pthread_t warmer;
	pthread_mutex_t warm_lock;
	pthread_cond_t warm_wake; /* to the warmer: look now, or stop */
	pthread_cond_t warm_done; /* from the warmer: a request served */
	bool warm_stop;
	bool warm_on; /* false until the first clone */
	/* hv_warm_wait() asks for a pass that fills the reserve up however
	 * full it is: requests made, the last request a finished pass
	 * served, and whether that pass left the reserve full. */
	uint64_t warm_asked, warm_served;
	bool warm_served_full;

	/* The sharer: a thread sharing the free pages of VMs whose
	 * interval is due (vm->share.interval_ns), started on first use. */
	pthread_t sharer;
	bool sharer_running, sharer_stop;
	pthread_cond_t sharer_wake; /* with lock */
	uint64_t share_default_ns;  /* interval given to new VMs */
};

/* Lock held. The VM with this id, or NULL. */
struct vm *hv_find(struct hv *hv, unsigned id);

/* Start the warmer (switched off until hv_warm_kick()); 0 or -errno. */
int hv_warm_start(struct hv *hv);
/* Stop it and release what hv_warm_start() made. */
void hv_warm_stop(struct hv *hv);
/* Switch the warmer on (the first call wakes it; from then on it looks at
 * its reserve by itself every few milliseconds). */
void hv_warm_kick(struct hv *hv);

/* Stop the sharer thread, if it runs (hv->lock not held). */
void hv_sharer_stop(struct hv *hv);

#endif
