/* SPDX-License-Identifier: MIT */
/* Deferrable low-overhead hypercalls: the rings, their drain, the routines. */
#include "vmm/dlh.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>

#include "mem/gmem.h"
#include "memvisor/abi.h"
#include "vmm/sched.h"
#include "vmm/vm.h"

_Static_assert(sizeof(struct memvisor_dlh_ring) == 64, "ring header size");
_Static_assert(sizeof(struct memvisor_dlh_entry) == 64, "ring entry size");
_Static_assert(FRAME_SIZE % sizeof(struct memvisor_dlh_entry) == 0,
	       "an entry never crosses a page");
_Static_assert(DLH_MAX_RINGS == MEMVISOR_DLH_MAX_RINGS && DLH_MAX_RINGS <= 32,
	       "a bit of dlh.active per ring");

#define DLH_CONSOLE_MAX 4096

/* Guest-physical address of the entry of index i of ring. */
static uint64_t dlh_entry_gpa(const struct dlh_ring *ring, uint32_t i)
{
	return ring->gpa + sizeof(struct memvisor_dlh_ring) +
	       (uint64_t)(i & (ring->entries - 1)) *
		   sizeof(struct memvisor_dlh_entry);
}

/* What one drain, or one synchronous call, gathers for its end. */
struct dlh_ctx {
	struct vm *vm;
	struct vcpu *self;
	struct frame_vec *dropped; /* frames free-page hints took */
	uint64_t flush_mask;	   /* harts asked to flush their TLB */
};

/* A routine: returns an SBI status and sets *result. args are untrusted. */
typedef int64_t dlh_routine_fn(struct dlh_ctx *c, const uint64_t args[4],
			       int64_t *result);

/* Up to this many consecutive ring entries of one routine run at once. */
#define DLH_BATCH 64

/* Consecutive entries of one routine, gathered by a drain. */
struct dlh_batch {
	uint32_t routine; /* 0: none gathered */
	unsigned n;
	uint64_t args[DLH_BATCH][4];
	int64_t status[DLH_BATCH], result[DLH_BATCH];
	volatile struct memvisor_dlh_entry *entry[DLH_BATCH];
};

/* Run b's n entries as fn would one by one, in order, setting each status
 * and result: for routines whose cost is mostly per call (a lock, a
 * generation change), not per entry. */
typedef void dlh_batch_fn(struct dlh_ctx *c, struct dlh_batch *b);

struct dlh_routine {
	const char *name;
	dlh_routine_fn *fn;
	dlh_batch_fn *batch; /* NULL: entries run one by one */
	bool costly;	     /* may take the host long (dlh_costly()) */
};

static int64_t dlh_counter_add(struct dlh_ctx *c, const uint64_t args[4],
			       int64_t *result)
{
	*result =
	    (int64_t)(atomic_fetch_add(&c->vm->dlh.counter, args[0]) + args[0]);
	return SBI_SUCCESS;
}

static int64_t dlh_console_write(struct dlh_ctx *c, const uint64_t args[4],
				 int64_t *result)
{
	uint8_t buf[DLH_CONSOLE_MAX];
	uint64_t gpa = args[0], len = args[1];

	if (len > sizeof(buf))
		return SBI_ERR_INVALID_PARAM;
	if (gmem_read(&c->vm->gs, gpa, buf, len))
		return SBI_ERR_INVALID_ADDRESS;
	console_write(c->vm->console, buf, len);
	*result = (int64_t)len;
	return SBI_SUCCESS;
}

/* Like SBI RFENCE's remote sfence.vma, but not waited for: the deferred
 * caller asked for "before they next run guest code". Requests of a whole
 * drain are posted once, at its end. */
static int64_t dlh_tlb_flush(struct dlh_ctx *c, const uint64_t args[4],
			     int64_t *result)
{
	uint64_t mask = args[0];

	if (c->vm->nvcpus < 64 && (mask >> c->vm->nvcpus))
		return SBI_ERR_INVALID_PARAM;
	c->flush_mask |= mask;
	*result = 0;
	return SBI_SUCCESS;
}

/*
 * Free-page hints, a batch at a time: the pages go onto the zero frame
 * under one G-stage lock and one generation change (gstage_share_zero_
 * ranges()); their frames go back to the host at the end of the drain,
 * once no VCPU can still reach them.
 */
static void dlh_free_hints(struct dlh_ctx *c, struct dlh_batch *b)
{
	struct vm *vm = c->vm;
	struct gstage_range ranges[DLH_BATCH];
	unsigned n = 0, idx[DLH_BATCH];
	uint64_t total = 0;

	/* Bad arguments here; a range that is not all guest RAM (or wraps)
	 * is the G-stage's to find (its range's err). */
	for (unsigned i = 0; i < b->n; i++) {
		uint64_t gpa = b->args[i][0], pages = b->args[i][1];

		b->result[i] = 0;
		if (!pages || (gpa & (FRAME_SIZE - 1))) {
			b->status[i] = SBI_ERR_INVALID_PARAM;
			continue;
		}
		ranges[n] = (struct gstage_range){gpa, pages, 0, 0};
		idx[n++] = i;
	}
	gstage_share_zero_ranges(&vm->gs, ranges, n, c->dropped);
	for (unsigned k = 0; k < n; k++) {
		unsigned i = idx[k];

		b->result[i] = (int64_t)ranges[k].shared;
		total += ranges[k].shared;
		/* Out of memory: the result says how far it got. */
		b->status[i] = ranges[k].err == -ENOMEM ? SBI_ERR_FAILED
			       : ranges[k].err ? SBI_ERR_INVALID_ADDRESS
					       : SBI_SUCCESS;
	}
	atomic_fetch_add_explicit(&vm->dlh.n_hinted, total,
				  memory_order_relaxed);
}

static int64_t dlh_free_hint(struct dlh_ctx *c, const uint64_t args[4],
			     int64_t *result)
{
	struct dlh_batch b;

	b.n = 1;
	for (unsigned j = 0; j < 4; j++)
		b.args[0][j] = args[j];
	dlh_free_hints(c, &b);
	*result = b.result[0];
	return b.status[0];
}

/* The registration table, indexed by MEMVISOR_DLH_R_*. */
static const struct dlh_routine dlh_routines[] = {
    [MEMVISOR_DLH_R_COUNTER_ADD] = {"counter add", dlh_counter_add, NULL,
				    false},
    [MEMVISOR_DLH_R_CONSOLE_WRITE] = {"console write", dlh_console_write, NULL,
				      true},
    [MEMVISOR_DLH_R_TLB_FLUSH] = {"tlb flush request", dlh_tlb_flush, NULL,
				  false},
    [MEMVISOR_DLH_R_FREE_HINT] = {"free-page hint", dlh_free_hint,
				  dlh_free_hints, true},
};

/* The routine with this id, or NULL. */
static const struct dlh_routine *dlh_routine(uint64_t id)
{
	if (id >= sizeof(dlh_routines) / sizeof(dlh_routines[0]) ||
	    !dlh_routines[id].fn)
		return NULL;
	return &dlh_routines[id];
}

static int64_t dlh_run(struct dlh_ctx *c, uint64_t id, const uint64_t args[4],
		       int64_t *result)
{
	const struct dlh_routine *rt = dlh_routine(id);

	*result = 0;
	return rt ? rt->fn(c, args, result) : SBI_ERR_NOT_SUPPORTED;
}

/*
 * The end of a drain or of a synchronous call: the TLB flushes asked for,
 * then, if hints took frames, every other VCPU drops its translations
 * (the caller's own go when it next runs: the generation moved) before
 * the frames go back to the host, by an idle PCPU when there is one: the
 * VCPU does not wait for the host's madvise().
 */
static void dlh_finish(struct dlh_ctx *c)
{
	struct vm *vm = c->vm;

	for (unsigned i = 0; i < vm->nvcpus && c->flush_mask; i++)
		if ((c->flush_mask >> i) & 1)
			hart_request(&vm->vcpus[i].hart, HART_REQ_FLUSH_TLB);
	c->flush_mask = 0;
	if (c->dropped->n) {
		sched_shootdown(&c->self->hart);
		sched_release_later(vm->sched, vm->gs.pool, c->dropped);
	}
}

int dlh_init(struct dlh *d)
{
	int r = pthread_mutex_init(&d->lock, NULL);

	if (r)
		return -r;
	atomic_init(&d->active, 0);
	for (unsigned i = 0; i < DLH_MAX_RINGS; i++)
		d->rings[i] = (struct dlh_ring){0};
	d->dropped = (struct frame_vec){0};
	atomic_init(&d->counter, 0);
	atomic_init(&d->n_entries, 0);
	atomic_init(&d->n_drains, 0);
	atomic_init(&d->n_notifies, 0);
	atomic_init(&d->n_sync, 0);
	atomic_init(&d->n_malformed, 0);
	atomic_init(&d->n_hinted, 0);
	atomic_init(&d->drain_ns, 0);
	return 0;
}

void dlh_destroy(struct dlh *d)
{
	frame_vec_free(&d->dropped);
	pthread_mutex_destroy(&d->lock);
}

/* Lock held. True when [gpa, gpa + size) overlaps a ring but ring i:
 * two consumers of one ring would run its entries twice. */
static bool dlh_overlaps(const struct dlh *d, uint64_t i, uint64_t gpa,
			 uint64_t size)
{
	for (unsigned k = 0; k < DLH_MAX_RINGS; k++) {
		const struct dlh_ring *o = &d->rings[k];
		uint64_t osize =
		    sizeof(struct memvisor_dlh_ring) +
		    (uint64_t)o->entries * sizeof(struct memvisor_dlh_entry);

		if (k != i && o->entries && gpa < o->gpa + osize &&
		    o->gpa < gpa + size)
			return true;
	}
	return false;
}

/*
 * Take d's lock on behalf of self. A drain holding it may be waiting for
 * every VCPU of the VM to drop its translations (dlh_finish()), self
 * included: self serves its flush requests while it waits.
 */
static void dlh_lock(struct dlh *d, struct vcpu *self)
{
	if (!self) {
		pthread_mutex_lock(&d->lock);
		return;
	}
	while (pthread_mutex_trylock(&d->lock)) {
		hart_serve_flushes(&self->hart);
		sched_yield();
	}
}

int dlh_register(struct vm *vm, struct vcpu *self, uint64_t i, uint64_t gpa,
		 uint64_t entries)
{
	struct dlh *d = &vm->dlh;
	struct dlh_ring *ring;
	uint64_t size, ram_end = vm->ram_base + vm->ram_size;
	uint32_t producer = 0, cf[2] = {0, 0}; /* consumer, flags */
	int r;

	if (i >= DLH_MAX_RINGS || entries > MEMVISOR_DLH_MAX_ENTRIES ||
	    (entries & (entries - 1)))
		return -EINVAL;
	ring = &d->rings[i];
	size = sizeof(struct memvisor_dlh_ring) +
	       entries * sizeof(struct memvisor_dlh_entry);
	if (entries && ((gpa & (FRAME_SIZE - 1)) || gpa < vm->ram_base ||
			gpa > ram_end || ram_end - gpa < size))
		return -EFAULT;

	dlh_lock(d, self);
	if (entries && dlh_overlaps(d, i, gpa, size)) {
		pthread_mutex_unlock(&d->lock);
		return -EFAULT;
	}
	atomic_fetch_and(&d->active, ~(1u << i));
	*ring = (struct dlh_ring){0};
	if (!entries) {
		pthread_mutex_unlock(&d->lock);
		return 0;
	}
	r = gmem_read(&vm->gs,
		      gpa + offsetof(struct memvisor_dlh_ring, producer),
		      &producer, sizeof(producer));
	cf[0] = producer;
	if (!r) /* consumer and flags, side by side */
		r = gmem_write(
		    &vm->gs, gpa + offsetof(struct memvisor_dlh_ring, consumer),
		    cf, sizeof(cf));
	if (r) {
		pthread_mutex_unlock(&d->lock);
		return r == -ENOMEM ? r : -EFAULT;
	}
	ring->gpa = gpa;
	ring->entries = (uint32_t)entries;
	ring->consumer = producer;
	atomic_fetch_or(&d->active, 1u << i);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/*
 * One page of a ring, mapped in place (gmem_map(): checked once, write
 * access resolved once) and kept for the rest of the drain. The frame
 * behind it cannot be reused before the drain ends, even if the mapping
 * changes meanwhile: freeing a frame of this VM waits for every VCPU of
 * it on a PCPU, this one included, to drop its translations
 * (sched_shootdown(), served between guest instructions, never in a
 * drain), or for the VM to be paused, and this drain's own hints give
 * their frames back only at its end. A mapping can only change under a
 * drain by the guest's own doing (a hint of its ring's page): the
 * statuses written then are lost to it, which is what it asked for.
 */
struct dlh_window {
	uint64_t page; /* guest-physical page mapped, or UINT64_MAX */
	uint8_t *host;
};

/* Host address of gpa through w, for reading and writing. */
static int dlh_at(struct gstage *gs, struct dlh_window *w, uint64_t gpa,
		  void **host)
{
	uint64_t page = gpa & ~(uint64_t)(FRAME_SIZE - 1);
	void *p;
	int r;

	if (page != w->page) {
		r = gmem_map(gs, page, FRAME_SIZE, true, &p);
		if (r) {
			w->page = UINT64_MAX;
			return r;
		}
		w->page = page;
		w->host = p;
	}
	*host = w->host + (gpa - page);
	return 0;
}

/* Lock held. Mark ring i malformed and stop draining it. */
static int dlh_break(struct vm *vm, unsigned i, struct dlh_window *w)
{
	struct dlh *d = &vm->dlh;
	volatile struct memvisor_dlh_ring *h;

	atomic_fetch_and(&d->active, ~(1u << i));
	d->rings[i].broken = true;
	atomic_fetch_add(&d->n_malformed, 1);
	if (!dlh_at(&vm->gs, w, d->rings[i].gpa, (void **)&h))
		h->flags = MEMVISOR_DLH_RING_ERROR;
	return -EBADMSG;
}

/* Run the entries gathered in b and write their statuses and results:
 * the entries' pages stay valid for the drain (see struct dlh_window). */
static void dlh_batch_run(struct dlh_ctx *c, struct dlh_batch *b)
{
	dlh_routines[b->routine].batch(c, b);
	for (unsigned i = 0; i < b->n; i++) {
		b->entry[i]->status = b->status[i];
		b->entry[i]->result = b->result[i];
	}
	b->n = 0;
}

/*
 * Lock held. Run what ring i holds, in place: each entry is read once
 * (the guest may change it meanwhile), run (consecutive entries of a
 * routine that batches, together), its status and result written back,
 * and the consumer index published after them. *t0 is set to the host
 * time when the first ring with work was found.
 */
static int dlh_drain_ring(struct dlh_ctx *c, struct dlh_batch *b, unsigned i,
			  uint64_t *t0)
{
	struct dlh_ring *ring = &c->vm->dlh.rings[i];
	struct gstage *gs = &c->vm->gs;
	struct dlh_window w = {.page = UINT64_MAX};
	volatile struct memvisor_dlh_ring *h;
	uint32_t producer, pending, n;
	int r;

	r = dlh_at(gs, &w, ring->gpa, (void **)&h);
	if (r)
		return r;
	producer = h->producer;
	/* Pairs with the guest's release of producer: the entries are read
	 * after it. */
	atomic_thread_fence(memory_order_acquire);
	pending = producer - ring->consumer;
	if (!pending)
		return 0;
	if (pending > ring->entries)
		return dlh_break(c->vm, i, &w);
	if (!*t0)
		*t0 = hart_host_ns();

	for (n = 0; n < pending; n++) {
		uint64_t gpa = dlh_entry_gpa(ring, ring->consumer);
		volatile struct memvisor_dlh_entry *e;
		const struct dlh_routine *rt;
		uint64_t args[4];
		uint32_t routine;
		int64_t status, result;

		r = dlh_at(gs, &w, gpa, (void **)&e);
		if (r)
			break;
		routine = e->routine;
		for (unsigned j = 0; j < 4; j++)
			args[j] = e->args[j];
		ring->consumer++;
		rt = dlh_routine(routine);
		if (b->n && (b->routine != routine || b->n == DLH_BATCH))
			dlh_batch_run(c, b);
		if (rt && rt->batch) {
			/* Runs with the next entries of its routine, before
			 * any other entry of this ring does. */
			b->routine = routine;
			b->entry[b->n] = e;
			for (unsigned j = 0; j < 4; j++)
				b->args[b->n][j] = args[j];
			b->n++;
			continue;
		}
		status = dlh_run(c, routine, args, &result);
		e->status = status;
		e->result = result;
	}
	if (b->n)
		dlh_batch_run(c, b);
	/* Statuses and results before the index that publishes them. */
	atomic_thread_fence(memory_order_release);
	if (!dlh_at(gs, &w, ring->gpa, (void **)&h))
		h->consumer = ring->consumer;
	return r ? r : (int)n;
}

/* Lock held. Drain every active ring, then finish. */
static int dlh_drain_locked(struct vm *vm, struct vcpu *self)
{
	struct dlh *d = &vm->dlh;
	struct dlh_ctx c = {.vm = vm, .self = self, .dropped = &d->dropped};
	struct dlh_batch b = {.n = 0};
	uint32_t active = atomic_load(&d->active);
	uint64_t t0 = 0;
	int total = 0, err = 0;

	for (unsigned i = 0; active; i++, active >>= 1) {
		int r;

		if (!(active & 1))
			continue;
		r = dlh_drain_ring(&c, &b, i, &t0);
		if (r < 0 && !err)
			err = r;
		else if (r > 0)
			total += r;
	}
	dlh_finish(&c);
	if (total) {
		atomic_fetch_add_explicit(&d->n_entries, (uint64_t)total,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&d->n_drains, 1,
					  memory_order_relaxed);
	}
	if (t0)
		atomic_fetch_add_explicit(&d->drain_ns, hart_host_ns() - t0,
					  memory_order_relaxed);
	return err ? err : total;
}

int dlh_drain(struct vm *vm, struct vcpu *self)
{
	struct dlh *d = &vm->dlh;
	int r;

	/* The common case, no ring, costs one load. */
	if (!atomic_load_explicit(&d->active, memory_order_relaxed))
		return 0;
	if (pthread_mutex_trylock(&d->lock))
		return 0;
	r = dlh_drain_locked(vm, self);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int dlh_notify(struct vm *vm, struct vcpu *self)
{
	struct dlh *d = &vm->dlh;
	int r;

	atomic_fetch_add(&d->n_notifies, 1);
	dlh_lock(d, self);
	r = dlh_drain_locked(vm, self);
	for (unsigned i = 0; i < DLH_MAX_RINGS && r >= 0; i++)
		if (d->rings[i].broken)
			r = -EBADMSG;
	pthread_mutex_unlock(&d->lock);
	return r;
}

int64_t dlh_call_sync(struct vm *vm, struct vcpu *self, uint64_t routine,
		      const uint64_t args[4], int64_t *result)
{
	struct frame_vec dropped = {0};
	struct dlh_ctx c = {.vm = vm, .self = self, .dropped = &dropped};
	int64_t status;

	atomic_fetch_add_explicit(&vm->dlh.n_sync, 1, memory_order_relaxed);
	status = dlh_run(&c, routine, args, result);
	dlh_finish(&c);
	frame_vec_free(&dropped);
	return status;
}

bool dlh_costly(uint64_t routine)
{
	const struct dlh_routine *rt = dlh_routine(routine);

	return rt && rt->costly;
}
