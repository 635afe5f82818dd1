/* SPDX-License-Identifier: MIT */
#include "vmm/hv.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmm/clone.h"
#include "vmm/dedup.h"
#include "vmm/sched.h"
#include "vmm/share.h"

/* How often hv_wait() looks whether the VMs have stopped. */
#define HV_WAIT_POLL_NS 10000000L

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

/* Wake the warmer now; the first call also switches it on. */
static void hv_warm_kick(struct hv *hv)
{
	pthread_mutex_lock(&hv->warm_lock);
	hv->warm_on = true;
	pthread_cond_signal(&hv->warm_wake);
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
	pthread_mutex_init(&hv->warm_lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&hv->warm_wake, &attr);
	pthread_cond_init(&hv->warm_done, &attr);
	pthread_cond_init(&hv->sharer_wake, &attr);
	pthread_condattr_destroy(&attr);
	r = -pthread_create(&hv->warmer, NULL, hv_warmer_main, hv);
	if (r)
		goto err_sched;
	*out = hv;
	return 0;

err_sched:
	pthread_cond_destroy(&hv->sharer_wake);
	pthread_cond_destroy(&hv->warm_done);
	pthread_cond_destroy(&hv->warm_wake);
	pthread_mutex_destroy(&hv->warm_lock);
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
	pthread_mutex_lock(&hv->lock);
	hv->sharer_stop = true;
	pthread_cond_signal(&hv->sharer_wake);
	pthread_mutex_unlock(&hv->lock);
	if (hv->sharer_running)
		pthread_join(hv->sharer, NULL);
	pthread_mutex_lock(&hv->lock);
	for (size_t i = 0; i < hv->nvms; i++)
		hv_drop(hv, hv->vms[i]);
	hv->nvms = 0;
	pthread_mutex_unlock(&hv->lock);
	pthread_mutex_lock(&hv->warm_lock);
	hv->warm_stop = true;
	pthread_cond_signal(&hv->warm_wake);
	pthread_mutex_unlock(&hv->warm_lock);
	pthread_join(hv->warmer, NULL);
	pthread_cond_destroy(&hv->warm_done);
	pthread_cond_destroy(&hv->warm_wake);
	pthread_mutex_destroy(&hv->warm_lock);
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

/* Lock held. The VM with this id, or NULL. */
static struct vm *hv_find(struct hv *hv, unsigned id)
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
static int hv_pause_op(struct hv *hv, unsigned id,
		       int (*op)(struct sched *s, struct vm *vm))
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
		r = op(hv->sched, vm);
	pthread_mutex_unlock(&hv->lock);
	return r;
}

int hv_pause(struct hv *hv, unsigned id)
{
	return hv_pause_op(hv, id, sched_pause_vm);
}

int hv_resume(struct hv *hv, unsigned id)
{
	return hv_pause_op(hv, id, sched_resume_vm);
}

int hv_clone(struct hv *hv, unsigned id, unsigned count, unsigned eager_levels,
	     unsigned *ids, unsigned *made)
{
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
	while (n < count) {
		r = vm_clone(src, eager_levels, &batch[n]);
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
	info->ndisks = vm->ndisks;
	for (unsigned i = 0; i < vm->ndisks; i++)
		virtio_blk_get_stats(vm->disks[i], &info->disks[i]);
	for (unsigned i = 0; i < vm->nvcpus; i++) {
		const struct vcpu *v = &vm->vcpus[i];

		info->instret += v->hart.instret;
		info->exits += v->exits_ecall + v->exits_wfi;
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
