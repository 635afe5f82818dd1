/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's work on guest memory, each within one pause of the
 * VMs it touches: a VM's page map from outside (introspection), sharing
 * its free pages (once, or periodically on the sharer thread), merging
 * identical frames across all VMs, and checking every G-stage.
 */
#include "vmm/hv_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/dedup.h"
#include "vmm/sched.h"
#include "vmm/share.h"

/* The VCPU whose address space introspection runs in: paging on. */
static const struct hart *hv_paged_hart(const struct vm *vm)
{
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].hart.satp >> 60)
			return &vm->vcpus[i].hart;
	return &vm->vcpus[0].hart;
}

/* What to do with a paused VM and its fresh page map (NULL: nothing). */
typedef int hv_map_fn(struct vm *vm, struct vmi_map *map, void *arg, char *why,
		      size_t whylen);

/*
 * The page map of VM id, and then fn on it in the same pause: get the
 * kernel's profile first, without the lock (building one takes a while),
 * then pause the VM, classify, run fn, resume (unless it was paused).
 */
static int hv_with_map(struct hv *hv, unsigned id, bool free_only,
		       hv_map_fn *fn, void *arg, struct vmi_map *map,
		       uint64_t *pause_ns, char *why, size_t whylen)
{
	const struct vmi_profile *profile;
	struct inspect *in = NULL;
	struct vm *vm;
	uint64_t t0;
	bool was_paused;
	int r;

	*pause_ns = 0;
	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (vm && !vm->stopping)
		in = inspect_get(vm->inspect);
	r = !vm ? -ENOENT : vm->stopping ? -ESRCH : 0;
	pthread_mutex_unlock(&hv->lock);
	if (r) {
		snprintf(why, whylen, "VM %u %s", id,
			 r == -ENOENT ? "does not exist" : "has stopped");
		return r;
	}
	r = inspect_profile(in, &profile, why, whylen);
	if (r)
		goto out;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (!vm || vm->stopping) {
		r = !vm ? -ENOENT : -ESRCH;
		snprintf(why, whylen, "VM %u %s", id,
			 r == -ENOENT ? "was destroyed" : "has stopped");
	} else {
		t0 = hart_host_ns();
		was_paused = vm->paused;
		if (!was_paused)
			sched_pause_vm(hv->sched, vm);
		r = vmi_classify(profile, &vm->gs, hv_paged_hart(vm), free_only,
				 map, why, whylen);
		map->tag = vm->resumes;
		if (!r && fn) {
			r = fn(vm, map, arg, why, whylen);
			if (r)
				vmi_map_free(map);
		}
		if (!was_paused)
			sched_resume_vm(hv->sched, vm);
		*pause_ns = hart_host_ns() - t0;
	}
	pthread_mutex_unlock(&hv->lock);
out:
	inspect_put(in);
	return r;
}

int hv_inspect(struct hv *hv, unsigned id, bool free_only, struct vmi_map *map,
	       uint64_t *pause_ns, char *why, size_t whylen)
{
	return hv_with_map(hv, id, free_only, NULL, NULL, map, pause_ns, why,
			   whylen);
}

/*
 * The periodic policy shares the pages that stayed free this long: in a
 * guest that frees and takes memory all the time, sharing what was freed
 * a moment ago would mostly cost it faults on memory it takes again.
 */
#define HV_SHARE_MIN_FREE_NS 1000000000ull

struct hv_share_op {
	struct hv_share_result *res;
	bool stable_only;	  /* only pages free for a while */
	struct frame_vec dropped; /* given back after the VM resumed */
};

static int hv_share_map(struct vm *vm, struct vmi_map *map, void *arg,
			char *why, size_t whylen)
{
	struct hv_share_op *op = arg;
	struct share_stats st = {0};
	uint64_t t0 = hart_host_ns();
	int r;

	if (op->stable_only) {
		/* Free for HV_SHARE_MIN_FREE_NS: that many maps in a row. */
		uint64_t iv = vm->share.interval_ns ? vm->share.interval_ns
						    : HV_SHARE_MIN_FREE_NS;
		uint64_t maps = HV_SHARE_MIN_FREE_NS / iv + 1;

		r = share_age_update(&vm->share.age, map);
		if (!r)
			r = share_free(vm, map, vm->share.age,
				       maps < UINT8_MAX ? (unsigned)maps
							: UINT8_MAX,
				       &op->dropped, &st);
	} else {
		r = share_free(vm, map, NULL, 0, &op->dropped, &st);
	}
	op->res->share_ns = hart_host_ns() - t0;
	op->res->free_pages = st.free_pages;
	op->res->shared = st.shared;
	op->res->pcp_pages = map->info.pcp_pages;
	vm->share.runs++;
	vm->share.shared += st.shared;
	if (r)
		snprintf(why, whylen, "sharing VM %u's free pages: %s", vm->id,
			 strerror(-r));
	return r;
}

int hv_share(struct hv *hv, unsigned id, bool stable_only,
	     struct hv_share_result *res, char *why, size_t whylen)
{
	struct hv_share_op op = {.res = res, .stable_only = stable_only};
	struct vmi_map map;
	uint64_t t0;
	struct vm *vm;
	int r;

	memset(res, 0, sizeof(*res));
	/* Sharing needs only the free set: the cheaper scan keeps the pause
	 * short. */
	r = hv_with_map(hv, id, true, hv_share_map, &op, &map, &res->pause_ns,
			why, whylen);
	if (!r) {
		res->identify_ns = res->pause_ns - res->share_ns;
		vmi_map_free(&map);
	}
	/* The VM runs again: now the slow part, giving the memory back.
	 * Also after an error: what was shared stays shared. */
	t0 = hart_host_ns();
	res->released = frame_put_vec(hv->pool, &op.dropped);
	res->release_ns = hart_host_ns() - t0;
	frame_vec_free(&op.dropped);
	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (vm)
		vm->share.released += res->released;
	pthread_mutex_unlock(&hv->lock);
	return r;
}

/*
 * The sharer thread: share every VM whose interval is due, then sleep
 * until the next one is (or until the intervals change). A VM that cannot
 * be shared (not Linux, no profile) just waits for its next turn.
 */
static void *hv_sharer_main(void *arg)
{
	struct hv *hv = arg;
	unsigned due[64];

	pthread_mutex_lock(&hv->lock);
	while (!hv->sharer_stop) {
		uint64_t now = hart_host_ns(), next = UINT64_MAX;
		size_t n = 0;

		for (size_t i = 0; i < hv->nvms; i++) {
			struct vm *vm = hv->vms[i];

			if (!vm->share.interval_ns || vm->stopping)
				continue;
			if (vm->share.next_ns <= now && n < 64) {
				due[n++] = vm->id;
				vm->share.next_ns = now + vm->share.interval_ns;
			}
			if (vm->share.next_ns < next)
				next = vm->share.next_ns;
		}
		pthread_mutex_unlock(&hv->lock);
		for (size_t i = 0; i < n; i++) {
			struct hv_share_result res;
			char why[256];

			hv_share(hv, due[i], true, &res, why, sizeof(why));
		}
		pthread_mutex_lock(&hv->lock);
		if (n || hv->sharer_stop)
			continue;
		if (next == UINT64_MAX) {
			pthread_cond_wait(&hv->sharer_wake, &hv->lock);
		} else {
			struct timespec at = {
			    .tv_sec = (time_t)(next / 1000000000u),
			    .tv_nsec = (long)(next % 1000000000u)};
			pthread_cond_timedwait(&hv->sharer_wake, &hv->lock,
					       &at);
		}
	}
	pthread_mutex_unlock(&hv->lock);
	return NULL;
}

void hv_sharer_stop(struct hv *hv)
{
	pthread_mutex_lock(&hv->lock);
	hv->sharer_stop = true;
	pthread_cond_signal(&hv->sharer_wake);
	pthread_mutex_unlock(&hv->lock);
	if (hv->sharer_running)
		pthread_join(hv->sharer, NULL);
}

int hv_share_interval(struct hv *hv, unsigned id, uint64_t interval_ns)
{
	uint64_t now = hart_host_ns();
	int r = 0;

	pthread_mutex_lock(&hv->lock);
	if (id) {
		struct vm *vm = hv_find(hv, id);

		if (!vm) {
			r = -ENOENT;
			goto out;
		}
		vm->share.interval_ns = interval_ns;
		vm->share.next_ns = now + interval_ns;
	} else {
		hv->share_default_ns = interval_ns;
		for (size_t i = 0; i < hv->nvms; i++) {
			hv->vms[i]->share.interval_ns = interval_ns;
			hv->vms[i]->share.next_ns = now + interval_ns;
		}
	}
	if (interval_ns && !hv->sharer_running) {
		r = -pthread_create(&hv->sharer, NULL, hv_sharer_main, hv);
		hv->sharer_running = r == 0;
	}
	pthread_cond_signal(&hv->sharer_wake);
out:
	pthread_mutex_unlock(&hv->lock);
	return r;
}

/* Every VM, paused together (those that run): for whole-pool work. */
struct hv_all {
	struct vm **vms;
	bool *paused_here; /* paused by hv_pause_all(), to be resumed */
	size_t n;
};

/* Lock held. Pause every running VM, listing all in *all. */
static int hv_pause_all(struct hv *hv, struct hv_all *all)
{
	all->n = hv->nvms;
	all->vms = calloc(hv->nvms + 1, sizeof(*all->vms));
	all->paused_here = calloc(hv->nvms + 1, sizeof(*all->paused_here));
	if (!all->vms || !all->paused_here) {
		free(all->vms);
		free(all->paused_here);
		return -ENOMEM;
	}
	for (size_t i = 0; i < hv->nvms; i++) {
		struct vm *vm = hv->vms[i];

		all->vms[i] = vm;
		if (!vm->paused && !vm->stopping) {
			sched_pause_vm(hv->sched, vm);
			all->paused_here[i] = true;
		}
	}
	return 0;
}

/* Lock held. Resume what hv_pause_all() paused. */
static void hv_resume_all(struct hv *hv, struct hv_all *all)
{
	for (size_t i = 0; i < all->n; i++)
		if (all->paused_here[i])
			sched_resume_vm(hv->sched, all->vms[i]);
	free(all->vms);
	free(all->paused_here);
}

int hv_check(struct hv *hv, size_t *nvms)
{
	struct gstage **gs = NULL;
	struct hv_all all;
	int r;

	pthread_mutex_lock(&hv->lock);
	r = hv_pause_all(hv, &all);
	if (r)
		goto out;
	*nvms = all.n;
	gs = calloc(all.n + 1, sizeof(*gs));
	if (gs) {
		for (size_t i = 0; i < all.n; i++)
			gs[i] = &all.vms[i]->gs;
		r = gstage_check(hv->pool, gs, all.n, NULL, 0);
	} else {
		r = -ENOMEM;
	}
	hv_resume_all(hv, &all);
out:
	pthread_mutex_unlock(&hv->lock);
	free(gs);
	return r;
}

int hv_dedup(struct hv *hv, struct hv_dedup_result *res)
{
	struct frame_vec dropped = {0};
	struct dedup_stats st;
	struct hv_all all;
	uint64_t t0;
	int r;

	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&hv->lock);
	t0 = hart_host_ns();
	r = hv_pause_all(hv, &all);
	if (!r) {
		r = dedup_merge(all.vms, all.n, &dropped, &st);
		hv_resume_all(hv, &all);
		res->pause_ns = hart_host_ns() - t0;
		res->vms = all.n;
		res->pages = st.pages;
		res->frames = st.frames;
		res->zero = st.zero;
		res->merged = st.merged;
	}
	pthread_mutex_unlock(&hv->lock);
	/* The VMs run again: now give the memory back. */
	t0 = hart_host_ns();
	res->released = frame_put_vec(hv->pool, &dropped);
	res->release_ns = hart_host_ns() - t0;
	frame_vec_free(&dropped);
	return r;
}
