/* SPDX-License-Identifier: MIT */
/* Deferrable low-overhead hypercalls: the ring, its drain, its routines. */
#include "vmm/dlh.h"

#include <errno.h>
#include <stddef.h>

#include "mem/gmem.h"
#include "memvisor/abi.h"
#include "vmm/vm.h"

_Static_assert(sizeof(struct memvisor_dlh_ring) == 64, "ring header size");
_Static_assert(sizeof(struct memvisor_dlh_entry) == 64, "ring entry size");

#define DLH_ENTRY_GPA(d, i)                                                    \
	((d)->gpa + sizeof(struct memvisor_dlh_ring) +                         \
	 (uint64_t)((i) & ((d)->entries - 1)) *                                \
	     sizeof(struct memvisor_dlh_entry))
#define DLH_FIELD_GPA(d, f) ((d)->gpa + offsetof(struct memvisor_dlh_ring, f))
#define DLH_CONSOLE_MAX	    4096
#define DLH_BATCH	    32 /* entries per guest-memory access */

/* A routine: returns an SBI status and sets *result. args are untrusted. */
typedef int64_t dlh_routine_fn(struct vm *vm, const uint64_t args[4],
			       int64_t *result);

struct dlh_routine {
	uint32_t id;
	const char *name;
	dlh_routine_fn *fn;
};

static int64_t dlh_counter_add(struct vm *vm, const uint64_t args[4],
			       int64_t *result)
{
	*result =
	    (int64_t)(atomic_fetch_add(&vm->dlh.counter, args[0]) + args[0]);
	return SBI_SUCCESS;
}

static int64_t dlh_console_write(struct vm *vm, const uint64_t args[4],
				 int64_t *result)
{
	uint8_t buf[DLH_CONSOLE_MAX];
	uint64_t gpa = args[0], len = args[1];

	if (len > sizeof(buf))
		return SBI_ERR_INVALID_PARAM;
	if (gmem_read(&vm->gs, gpa, buf, len))
		return SBI_ERR_INVALID_ADDRESS;
	console_write(vm->console, buf, len);
	*result = (int64_t)len;
	return SBI_SUCCESS;
}

/* Like SBI RFENCE's remote sfence.vma, but not waited for: the deferred
 * caller asked for "before they next run guest code". */
static int64_t dlh_tlb_flush(struct vm *vm, const uint64_t args[4],
			     int64_t *result)
{
	uint64_t mask = args[0];

	if (vm->nvcpus < 64 && (mask >> vm->nvcpus))
		return SBI_ERR_INVALID_PARAM;
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if ((mask >> i) & 1)
			hart_request(&vm->vcpus[i].hart, HART_REQ_FLUSH_TLB);
	*result = 0;
	return SBI_SUCCESS;
}

static const struct dlh_routine dlh_routines[] = {
    {MEMVISOR_DLH_R_COUNTER_ADD, "counter add", dlh_counter_add},
    {MEMVISOR_DLH_R_CONSOLE_WRITE, "console write", dlh_console_write},
    {MEMVISOR_DLH_R_TLB_FLUSH, "tlb flush request", dlh_tlb_flush},
};

static int64_t dlh_run(struct vm *vm, uint64_t id, const uint64_t args[4],
		       int64_t *result)
{
	*result = 0;
	for (size_t i = 0; i < sizeof(dlh_routines) / sizeof(dlh_routines[0]);
	     i++)
		if (dlh_routines[i].id == id)
			return dlh_routines[i].fn(vm, args, result);
	return SBI_ERR_NOT_SUPPORTED;
}

int dlh_init(struct dlh *d)
{
	int r = pthread_mutex_init(&d->lock, NULL);

	if (r)
		return -r;
	atomic_init(&d->active, false);
	d->gpa = 0;
	d->entries = 0;
	d->consumer = 0;
	d->broken = false;
	atomic_init(&d->counter, 0);
	atomic_init(&d->n_entries, 0);
	atomic_init(&d->n_drains, 0);
	atomic_init(&d->n_notifies, 0);
	atomic_init(&d->n_sync, 0);
	atomic_init(&d->n_malformed, 0);
	return 0;
}

void dlh_destroy(struct dlh *d)
{
	pthread_mutex_destroy(&d->lock);
}

int dlh_register(struct vm *vm, uint64_t gpa, uint64_t entries)
{
	struct dlh *d = &vm->dlh;
	uint64_t size, ram_end = vm->ram_base + vm->ram_size;
	uint32_t producer = 0, cf[2] = {0, 0}; /* consumer, flags */
	int r;

	if (!entries || entries > MEMVISOR_DLH_MAX_ENTRIES ||
	    (entries & (entries - 1)))
		return -EINVAL;
	size = sizeof(struct memvisor_dlh_ring) +
	       entries * sizeof(struct memvisor_dlh_entry);
	if ((gpa & 0xfff) || gpa < vm->ram_base || gpa > ram_end ||
	    ram_end - gpa < size)
		return -EFAULT;

	pthread_mutex_lock(&d->lock);
	atomic_store(&d->active, false);
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
	d->gpa = gpa;
	d->entries = (uint32_t)entries;
	d->consumer = producer;
	d->broken = false;
	atomic_store(&d->active, true);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Lock held. Mark the ring malformed and stop draining it. */
static int dlh_break(struct vm *vm)
{
	struct dlh *d = &vm->dlh;
	uint32_t flags = MEMVISOR_DLH_RING_ERROR;

	atomic_store(&d->active, false);
	d->broken = true;
	atomic_fetch_add(&d->n_malformed, 1);
	gmem_write(&vm->gs, DLH_FIELD_GPA(d, flags), &flags, sizeof(flags));
	return -EBADMSG;
}

/* Lock held. */
static int dlh_drain_locked(struct vm *vm)
{
	struct dlh *d = &vm->dlh;
	struct memvisor_dlh_entry batch[DLH_BATCH];
	uint32_t producer, pending;
	int r;

	if (d->broken)
		return -EBADMSG;
	if (!atomic_load(&d->active))
		return 0;
	r = gmem_read(&vm->gs, DLH_FIELD_GPA(d, producer), &producer,
		      sizeof(producer));
	if (r)
		return r;
	/* Pairs with the guest's release of producer: the entries are read
	 * after it. */
	atomic_thread_fence(memory_order_acquire);
	pending = producer - d->consumer;
	if (pending > d->entries)
		return dlh_break(vm);

	/* A few entries per guest-memory access: the drain's cost is mostly
	 * the checked accessor's G-stage walk. */
	for (uint32_t done = 0, n; done < pending; done += n) {
		uint32_t slot = d->consumer & (d->entries - 1);
		uint64_t gpa = DLH_ENTRY_GPA(d, d->consumer);

		n = pending - done;
		if (n > d->entries - slot)
			n = d->entries - slot;
		if (n > DLH_BATCH)
			n = DLH_BATCH;
		r = gmem_read(&vm->gs, gpa, batch, n * sizeof(batch[0]));
		if (r)
			break;
		for (uint32_t k = 0; k < n; k++) {
			uint64_t args[4];
			int64_t result;

			for (unsigned j = 0; j < 4; j++)
				args[j] = batch[k].args[j];
			batch[k].status =
			    dlh_run(vm, batch[k].routine, args, &result);
			batch[k].result = result;
		}
		/* The whole entries go back: the guest does not touch a
		 * posted entry until consumer passes it. */
		r = gmem_write(&vm->gs, gpa, batch, n * sizeof(batch[0]));
		d->consumer += n;
		if (r)
			break;
	}
	/* Status and result before the consumer index that publishes them. */
	atomic_thread_fence(memory_order_release);
	gmem_write(&vm->gs, DLH_FIELD_GPA(d, consumer), &d->consumer,
		   sizeof(d->consumer));
	pending -= producer - d->consumer;
	atomic_fetch_add(&d->n_entries, pending);
	if (pending)
		atomic_fetch_add(&d->n_drains, 1);
	return r ? r : (int)pending;
}

int dlh_drain(struct vm *vm)
{
	struct dlh *d = &vm->dlh;
	int r;

	/* The common case, no ring, costs one load. */
	if (!atomic_load_explicit(&d->active, memory_order_relaxed))
		return 0;
	if (pthread_mutex_trylock(&d->lock))
		return 0;
	r = dlh_drain_locked(vm);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int dlh_notify(struct vm *vm)
{
	struct dlh *d = &vm->dlh;
	int r;

	atomic_fetch_add(&d->n_notifies, 1);
	pthread_mutex_lock(&d->lock);
	r = dlh_drain_locked(vm);
	pthread_mutex_unlock(&d->lock);
	return r;
}

int64_t dlh_call_sync(struct vm *vm, uint64_t routine, const uint64_t args[4],
		      int64_t *result)
{
	atomic_fetch_add(&vm->dlh.n_sync, 1);
	return dlh_run(vm, routine, args, result);
}
