/* SPDX-License-Identifier: MIT */
#include "vmm/hv_priv.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/clone.h"
#include "vmm/sched.h"
#include "vmm/share.h"

/* How often hv_wait() looks whether the VMs have stopped. */
#define HV_WAIT_POLL_NS 10000000L

int hv_create(uint64_t host_memory, unsigned npcpus, struct hv **out)
{
	struct hv *hv = calloc(1, sizeof(*hv));
	int r;

	if (!hv)
		return -ENOMEM;
	pthread_mutex_init(&hv->lock, NULL);
	hv->next_id = 1;
	r = frame_pool_create(host_memory, &hv->pool);
	if (r)
		goto err_free;
	r = sched_create(npcpus, &hv->sched);
	if (r)
		goto err_pool;
	/* The sharer sleeps on it until a deadline of CLOCK_MONOTONIC. */
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hv->sharer_wake, &attr);
	pthread_condattr_destroy(&attr);
	r = hv_warm_start(hv);
	if (r)
		goto err_sched;
	*out = hv;
	return 0;

err_sched:
	pthread_cond_destroy(&hv->sharer_wake);
	sched_destroy(hv->sched);
err_pool:
	frame_pool_destroy(hv->pool);
err_free:
	pthread_mutex_destroy(&hv->lock);
	free(hv);
	return r;
}

/* Lock held. Stop vm, wait until it is off every PCPU, free it. */
static void hv_drop(struct hv *hv, struct vm *vm)
{
	vm_stop(vm, VM_EXIT_ERROR, "destroyed");
	if (vm->paused)
		sched_resume_vm(hv->sched, vm);
	if (vm->sched)
		sched_wait_vm(hv->sched, vm);
	vm_destroy(vm);
}

void hv_destroy(struct hv *hv)
{
	if (!hv)
		return;
	hv_sharer_stop(hv);
	pthread_mutex_lock(&hv->lock);
	for (size_t i = 0; i < hv->nvms; i++)
		hv_drop(hv, hv->vms[i]);
	hv->nvms = 0;
	pthread_mutex_unlock(&hv->lock);
	hv_warm_stop(hv);
	pthread_cond_destroy(&hv->sharer_wake);
	sched_destroy(hv->sched);
	frame_pool_destroy(hv->pool);
	free(hv->vms);
	pthread_mutex_destroy(&hv->lock);
	free(hv);
}

struct frame_pool *hv_pool(struct hv *hv)
{
	return hv->pool;
}

struct vm *hv_find(struct hv *hv, unsigned id)
{
	size_t lo = 0, hi = hv->nvms;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (hv->vms[mid]->id == id)
			return hv->vms[mid];
		if (hv->vms[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Lock held. Give vm an id, list it and schedule it. */
static int hv_insert(struct hv *hv, struct vm *vm)
{
	int r;

	if (hv->nvms == hv->cap) {
		size_t cap = hv->cap ? 2 * hv->cap : 16;
		struct vm **vms = realloc(hv->vms, cap * sizeof(*vms));

		if (!vms)
			return -ENOMEM;
		hv->vms = vms;
		hv->cap = cap;
	}
	vm->id = hv->next_id;
	vm_net_name(vm); /* before it runs: its address follows its id */
	r = sched_add_vm(hv->sched, vm);
	if (r) {
		vm->id = 0;
		return r;
	}
	hv->next_id++;
	if (!hv->first_id)
		hv->first_id = vm->id;
	if (hv->share_default_ns) {
		vm->share.interval_ns = hv->share_default_ns;
		vm->share.next_ns = hart_host_ns() + hv->share_default_ns;
	}
	hv->vms[hv->nvms++] = vm; /* ids only grow: the table stays sorted */
	return (int)vm->id;
}

int hv_add(struct hv *hv, struct vm *vm)
{
	int r;

	pthread_mutex_lock(&hv->lock);
	r = hv_insert(hv, vm);
	pthread_mutex_unlock(&hv->lock);
	return r;
}

/* Pause or resume (op) VM id, refusing one that has stopped. */
/* op on live VM id under the table's lock: its result, -ENOENT (no such
 * VM) or -ESRCH (stopping). */
static int hv_vm_op(struct hv *hv, unsigned id,
		    int (*op)(struct hv *hv, struct vm *vm, uint64_t arg),
		    uint64_t arg)
{
	struct vm *vm;
	int r;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (!vm)
		r = -ENOENT;
	else if (vm->stopping)
		r = -ESRCH;
	else
		r = op(hv, vm, arg);
	pthread_mutex_unlock(&hv->lock);
	return r;
}

static int hv_op_pause(struct hv *hv, struct vm *vm, uint64_t arg)
{
	(void)arg;
	return sched_pause_vm(hv->sched, vm);
}

static int hv_op_resume(struct hv *hv, struct vm *vm, uint64_t arg)
{
	(void)arg;
	return sched_resume_vm(hv->sched, vm);
}

static int hv_op_balloon(struct hv *hv, struct vm *vm, uint64_t bytes)
{
	(void)hv;
	return vm_balloon_set_target(vm, bytes);
}

int hv_pause(struct hv *hv, unsigned id)
{
	return hv_vm_op(hv, id, hv_op_pause, 0);
}

int hv_resume(struct hv *hv, unsigned id)
{
	return hv_vm_op(hv, id, hv_op_resume, 0);
}

int hv_balloon(struct hv *hv, unsigned id, uint64_t bytes)
{
	return hv_vm_op(hv, id, hv_op_balloon, bytes);
}

int hv_clone(struct hv *hv, unsigned id, unsigned count, unsigned eager_levels,
	     unsigned net_port, unsigned *ids, unsigned *made)
{
	struct vm_net_info net;
	struct vm *src, **batch;
	unsigned n = 0;
	bool was_paused;
	int r = 0;

	*made = 0;
	batch = calloc(count ? count : 1, sizeof(*batch));
	if (!batch)
		return -ENOMEM;
	pthread_mutex_lock(&hv->lock);
	src = hv_find(hv, id);
	if (!src) {
		r = -ENOENT;
		goto out;
	}
	if (src->stopping) {
		r = -ESRCH;
		goto out;
	}
	was_paused = src->paused;
	if (!was_paused)
		sched_pause_vm(hv->sched, src);
	/* Make every clone first, then start them all: clones that run
	 * would compete with the cloning for the host CPUs. */
	vm_net_get_info(src, &net);
	while (n < count) {
		unsigned port = net_port ? net_port + n * net.nfwd : 0;

		if (port + net.nfwd > 65536) {
			r = -EINVAL;
			break;
		}
		r = vm_clone(src, eager_levels, (uint16_t)port, &batch[n]);
		if (r)
			break;
		n++;
	}
	for (unsigned i = 0; i < n; i++) {
		int id_or_err = hv_insert(hv, batch[i]);

		if (id_or_err < 0) {
			for (unsigned j = i; j < n; j++)
				vm_destroy(batch[j]);
			r = id_or_err;
			break;
		}
		ids[(*made)++] = (unsigned)id_or_err;
	}
	if (!was_paused)
		sched_resume_vm(hv->sched, src);
	/* The clones took roots from the reserve, and their copy-on-write
	 * breaks will take frames: have the warmer refill it now. */
	if (n)
		hv_warm_kick(hv);
out:
	pthread_mutex_unlock(&hv->lock);
	free(batch);
	return r;
}

int hv_destroy_vm(struct hv *hv, unsigned id)
{
	struct vm *vm;
	size_t i;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (!vm) {
		pthread_mutex_unlock(&hv->lock);
		return -ENOENT;
	}
	for (i = 0; hv->vms[i] != vm; i++)
		;
	memmove(&hv->vms[i], &hv->vms[i + 1],
		(hv->nvms - i - 1) * sizeof(*hv->vms));
	hv->nvms--;
	hv_drop(hv, vm);
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

long hv_console_input(struct hv *hv, unsigned id, const void *buf, size_t len)
{
	struct vm *vm;
	long r;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	r = vm ? (long)console_push_input(vm->console, buf, len) : -ENOENT;
	pthread_mutex_unlock(&hv->lock);
	return r;
}

long hv_console_output(struct hv *hv, unsigned id, void *buf, size_t len)
{
	struct vm *vm;
	long r;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	r = vm ? console_captured(vm->console, buf, len, NULL) : -ENOENT;
	pthread_mutex_unlock(&hv->lock);
	return r;
}

struct hv_count {
	const struct frame_pool *pool;
	struct hv_vm_info *info;
};

static int hv_count_page(uint64_t gpa, uint64_t pte, void *arg)
{
	struct hv_count *c = arg;
	uint32_t frame = (uint32_t)((pte & GPTE_PPN_MASK) >> GPTE_PPN_SHIFT);

	(void)gpa;
	c->info->pages++;
	if (frame == FRAME_ZERO)
		c->info->zero_pages++;
	/* Below a shared table the walk reports pages copy-on-write. */
	if ((pte & GPTE_COW) || frame == FRAME_ZERO ||
	    frame_refcount(c->pool, frame) > 1)
		c->info->frames_shared++;
	else
		c->info->frames_owned++;
	return 0;
}

int hv_info(struct hv *hv, unsigned id, struct hv_vm_info *info)
{
	struct gstage_stats st;
	struct hv_count count = {.pool = hv->pool, .info = info};
	struct vm *vm;

	pthread_mutex_lock(&hv->lock);
	vm = hv_find(hv, id);
	if (!vm) {
		pthread_mutex_unlock(&hv->lock);
		return -ENOENT;
	}
	memset(info, 0, sizeof(*info));
	info->id = vm->id;
	info->parent = vm->parent;
	info->nvcpus = vm->nvcpus;
	info->ram_size = vm->ram_size;
	info->paused = vm->paused;
	info->stopped = vm->stopping;
	info->exit_status = vm->exit_status;

	pthread_mutex_lock(&vm->gs.lock);
	gstage_walk(&vm->gs, hv_count_page, &count);
	pthread_mutex_unlock(&vm->gs.lock);
	gstage_get_stats(&vm->gs, &st);
	info->tables = st.tables;
	info->cow_breaks = st.cow_copies + st.cow_takeovers;
	info->populated = st.populated;
	info->replications = st.replications;
	info->share_runs = vm->share.runs;
	info->share_interval_ns = vm->share.interval_ns;
	info->shared_pages = vm->share.shared;
	info->released_frames = vm->share.released;
	info->cpu_ns = atomic_load(&vm->cpu_ns);
	info->dlh_counter = atomic_load(&vm->dlh.counter);
	info->dlh_entries = atomic_load(&vm->dlh.n_entries);
	info->dlh_drains = atomic_load(&vm->dlh.n_drains);
	info->dlh_notifies = atomic_load(&vm->dlh.n_notifies);
	info->dlh_sync = atomic_load(&vm->dlh.n_sync);
	info->dlh_malformed = atomic_load(&vm->dlh.n_malformed);
	info->dlh_hinted = atomic_load(&vm->dlh.n_hinted);
	info->dlh_ns = atomic_load(&vm->dlh.drain_ns);
	info->tier = vm->vcpus[0].hart.tier;
	info->jit_shared = vm->jit_share != NULL;
	info->ndisks = vm->ndisks;
	for (unsigned i = 0; i < vm->ndisks; i++)
		virtio_blk_get_stats(vm->disks[i], &info->disks[i]);
	vm_net_get_info(vm, &info->net);
	info->has_rng = vm_rng_get_stats(vm, &info->rng);
	info->has_balloon = vm_balloon_get_stats(vm, &info->balloon);
	if (vm->platform)
		vmgenid_get(&vm->platform->genid, info->genid,
			    &info->genid_changes);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		const struct hart_tier_stats *t = &v->hart.tier_stats;

		info->instret += v->hart.instret;
		info->exits += v->exits_ecall + v->exits_wfi;
		info->tier_st.blocks += t->blocks;
		info->tier_st.code_bytes += t->code_bytes;
		info->tier_st.guest_bytes += t->guest_bytes;
		info->tier_st.flushes += t->flushes;
		info->tier_st.links += t->links;
		info->tier_st.shared_hits += t->shared_hits;
		info->tier_st.translate_ns += t->translate_ns;
	}
	pthread_mutex_unlock(&hv->lock);
	return 0;
}

size_t hv_list(struct hv *hv, unsigned *ids, size_t max)
{
	size_t n;

	pthread_mutex_lock(&hv->lock);
	n = hv->nvms;
	for (size_t i = 0; i < n && i < max; i++)
		ids[i] = hv->vms[i]->id;
	pthread_mutex_unlock(&hv->lock);
	return n;
}

/* Lock held. True when VM id (every VM when 0) has stopped. */
static bool hv_stopped(struct hv *hv, unsigned id, int *status)
{
	bool all = true;

	for (size_t i = 0; i < hv->nvms; i++) {
		struct vm *vm = hv->vms[i];

		if (id && vm->id != id)
			continue;
		if (!vm->stopping)
			all = false;
	}
	struct vm *vm = hv_find(hv, id ? id : hv->first_id);
	*status = vm ? vm->exit_status : VM_EXIT_ERROR;
	return all;
}

int hv_wait(struct hv *hv, unsigned id)
{
	const struct timespec poll = {0, HV_WAIT_POLL_NS};
	int status;

	for (;;) {
		pthread_mutex_lock(&hv->lock);
		bool done = hv_stopped(hv, id, &status);
		pthread_mutex_unlock(&hv->lock);
		if (done)
			return status;
		nanosleep(&poll, NULL);
	}
}
