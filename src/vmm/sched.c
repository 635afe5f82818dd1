/* SPDX-License-Identifier: MIT */
#include "vmm/sched.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmm/dlh.h"
#include "vmm/sbi.h"

struct pcpu {
	struct sched *s;
	unsigned id;
	pthread_t thread;
	struct vcpu *current;
	/* Waiting for work until this host time (ns; UINT64_MAX: for
	 * ever), 0 while it looks at the VCPUs itself. */
	uint64_t sleep_until;
};

struct sched {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a VCPU became runnable, or stop */
	pthread_cond_t vm_done; /* a VM's last VCPU left the CPUs */
	struct vcpu *runq_head, *runq_tail;
	struct vm **vms; /* every VM scheduled, in no order */
	unsigned nvms, cap;
	bool stopping;
	/* Frames to give back to the host (sched_release_later()): release
	 * holds those waiting, spare the storage of those being given back;
	 * both have room for SCHED_RELEASE_MAX from the start, so a VCPU
	 * never allocates on its way here. */
	struct frame_vec release, spare;
	struct frame_pool *release_pool; /* theirs */
	bool releasing;			 /* a PCPU is giving frames back */
	unsigned running;		 /* PCPUs running a VCPU's slice */
	unsigned npcpus;
	struct pcpu pcpus[];
};

/* How a slice ended. */
enum slice_end {
	SLICE_PREEMPT, /* budget used or kicked: back on the run queue */
	SLICE_IDLE,    /* WFI with nothing pending */
	SLICE_STOP,    /* HSM stop, VM stopping */
	SLICE_PAUSE,   /* its VM is being paused */
};

static void runq_push(struct sched *s, struct vcpu *v)
{
	v->next = NULL;
	if (s->runq_tail)
		s->runq_tail->next = v;
	else
		s->runq_head = v;
	s->runq_tail = v;
}

static struct vcpu *runq_pop(struct sched *s)
{
	struct vcpu *v = s->runq_head;

	if (v) {
		s->runq_head = v->next;
		if (!s->runq_head)
			s->runq_tail = NULL;
	}
	return v;
}

/*
 * Lock held. The next VCPU to run. A VM whose slices took longer than
 * SCHED_SLICE_NS (its DLH work, mostly, which cannot be cut short) owes
 * the others the difference: its VCPUs give up a turn per slice owed, as
 * long as a VCPU of a VM that owes less is waiting behind them.
 */
static struct vcpu *sched_pick(struct sched *s)
{
	struct vcpu *v = runq_pop(s);

	for (struct vcpu *first = NULL; v && s->runq_head && v != first;
	     v = runq_pop(s)) {
		if (v->vm->slice_debt_ns < SCHED_SLICE_NS)
			break;
		v->vm->slice_debt_ns -= SCHED_SLICE_NS;
		if (!first)
			first = v;
		runq_push(s, v);
	}
	return v;
}

/* Lock held. Make v runnable and tell a PCPU. */
static void sched_make_runnable(struct sched *s, struct vcpu *v)
{
	atomic_store(&v->state, VCPU_RUNNABLE);
	runq_push(s, v);
	pthread_cond_signal(&s->work);
}

/* The host time (ns) at which v's timer fires, UINT64_MAX: never. */
static uint64_t sched_timer_at(const struct vcpu *v)
{
	if (v->hart.timecmp == UINT64_MAX)
		return UINT64_MAX;
	return v->hart.time_base_ns +
	       v->hart.timecmp * (1000000000ull / HART_TIMEBASE_HZ);
}

/*
 * Lock held. v, not on a PCPU, was waiting in WFI (paused there, or a
 * clone of one paused there): it waits there again, unless an interrupt
 * is already pending for it. Either way no PCPU is woken unless one must
 * be: every PCPU asleep past v's timer. Waking none keeps a clone or a
 * pause/resume from handing the host CPU to a thread with nothing to do.
 */
static void sched_settle_idle(struct sched *s, struct vcpu *v)
{
	uint64_t at;

	hart_poll_timer(&v->hart);
	if (hart_wfi_wakeup(&v->hart)) {
		sched_make_runnable(s, v);
		return;
	}
	atomic_store(&v->state, VCPU_IDLE);
	at = sched_timer_at(v);
	for (unsigned i = 0; i < s->npcpus; i++)
		if (s->pcpus[i].sleep_until <= at)
			return;
	pthread_cond_signal(&s->work);
}

/*
 * Lock held. Wake idle VCPUs whose interrupt is due; return the earliest
 * host time (ns) at which a still-idle VCPU's timer fires, or UINT64_MAX.
 */
static uint64_t sched_wake_due(struct sched *s)
{
	uint64_t next = UINT64_MAX;

	for (unsigned i = 0; i < s->nvms; i++) {
		struct vm *vm = s->vms[i];

		if (vm->paused)
			continue;
		for (unsigned j = 0; j < vm->nvcpus; j++) {
			struct vcpu *v = &vm->vcpus[j];

			if (atomic_load(&v->state) != VCPU_IDLE)
				continue;
			hart_poll_timer(&v->hart);
			if (hart_wfi_wakeup(&v->hart) || vm->stopping) {
				sched_make_runnable(s, v);
				continue;
			}
			uint64_t at = sched_timer_at(v);

			if (at < next)
				next = at;
		}
	}
	return next;
}

static bool sched_vm_on_cpu(const struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (atomic_load(&vm->vcpus[j].state) == VCPU_RUNNING)
			return true;
	return false;
}

static bool sched_vm_all_stopped(const struct vm *vm)
{
	for (unsigned j = 0; j < vm->nvcpus; j++)
		if (atomic_load(&vm->vcpus[j].state) != VCPU_STOPPED)
			return false;
	return true;
}

/*
 * Restore v's context on PCPU p: the one path by which every VCPU comes
 * onto a CPU. Work deferred for v's VM runs here, before the guest does.
 * Returns true when it did some (the slice's clock should be looked at).
 */
static bool sched_restore(struct pcpu *p, struct vcpu *v)
{
	p->current = v;
	v->slices++;
	/* DESIGN.md: deferred hypercalls run just before a VCPU's context is
	 * restored. Only tries: a drain on another PCPU means the work is
	 * being done. */
	return dlh_drain(v->vm, v) != 0;
}

/* Run v for one slice, serving its hypercalls, without the lock. Sets
 * *took to the host time it took. */
static enum slice_end sched_run_slice(struct pcpu *p, struct vcpu *v,
				      uint64_t *took)
{
	struct hart *h = &v->hart;
	uint64_t start, t0 = hart_host_ns();
	unsigned exits = 0;
	bool look = sched_restore(p, v);
	enum slice_end end;

	v->suspended = false;
	start = h->instret;
	for (;;) {
		uint64_t used = h->instret - start;

		if (atomic_load(&v->vm->stopping) || v->stop_requested) {
			end = SLICE_STOP;
			break;
		}
		if (v->vm->paused) {
			end = SLICE_PAUSE;
			break;
		}
		if (used >= SCHED_SLICE ||
		    (look && hart_host_ns() - t0 >= SCHED_SLICE_NS)) {
			end = SLICE_PREEMPT;
			break;
		}
		look = ++exits % SCHED_TIME_CHECK == 0;

		int action, r = hart_run(h, SCHED_SLICE - used);

		if (r == HART_EXIT_ECALL) {
			v->exits_ecall++;
			action = sbi_call(p->s, v);
			if (action == SBI_ACTION_CHARGE)
				look = true;
			else if (action == SBI_ACTION_IDLE &&
				 !hart_wfi_wakeup(h)) {
				end = SLICE_IDLE;
				break;
			}
		} else if (r == HART_EXIT_WFI) {
			v->exits_wfi++;
			hart_poll_timer(h);
			if (!hart_wfi_wakeup(h)) {
				end = SLICE_IDLE;
				break;
			}
		} else if (r == HART_EXIT_NOMEM) {
			vm_stop(v->vm, VM_EXIT_ERROR,
				"the host memory limit is reached");
			end = SLICE_STOP;
			break;
		} else { /* HART_EXIT_KICK, HART_EXIT_BUDGET */
			end = SLICE_PREEMPT;
			break;
		}
	}
	*took = hart_host_ns() - t0;
	atomic_fetch_add_explicit(&v->vm->cpu_ns, *took, memory_order_relaxed);
	return end;
}

/* Lock held. Put v where its slice's end says. */
static void sched_put(struct sched *s, struct vcpu *v, enum slice_end end)
{
	struct vm *vm = v->vm;

	if (vm->stopping || v->stop_requested)
		end = SLICE_STOP;
	else if (vm->paused)
		end = SLICE_PAUSE;
	switch (end) {
	case SLICE_PAUSE:
		atomic_store(&v->state, VCPU_PAUSED);
		break;
	case SLICE_STOP:
		v->stop_requested = false;
		atomic_store(&v->state, VCPU_STOPPED);
		if (!vm->stopping && sched_vm_all_stopped(vm))
			vm_stop(vm, VM_EXIT_FAILURE, "every VCPU has stopped");
		break;
	case SLICE_IDLE:
		atomic_store(&v->state, VCPU_IDLE);
		/* An interrupt may have come while it still looked running. */
		if (hart_wfi_wakeup(&v->hart))
			sched_make_runnable(s, v);
		break;
	case SLICE_PREEMPT:
		/* Behind others, for a PCPU to take; alone, for this one,
		 * which picks next: waking another would only move v to
		 * another host CPU, a wakeup and a cold cache per slice. */
		if (s->runq_head) {
			sched_make_runnable(s, v);
		} else {
			atomic_store(&v->state, VCPU_RUNNABLE);
			runq_push(s, v);
		}
		break;
	}
	if ((vm->stopping || vm->paused) && !sched_vm_on_cpu(vm))
		pthread_cond_broadcast(&s->vm_done);
}

static void sched_idle_wait(struct sched *s, uint64_t until_ns)
{
	struct timespec ts;

	if (until_ns == UINT64_MAX) {
		pthread_cond_wait(&s->work, &s->lock);
		return;
	}
	ts.tv_sec = (time_t)(until_ns / 1000000000ull);
	ts.tv_nsec = (long)(until_ns % 1000000000ull);
	pthread_cond_timedwait(&s->work, &s->lock, &ts);
}

/* Lock held (dropped meanwhile). Give the waiting frames back. */
static void sched_release_pending(struct sched *s)
{
	struct frame_vec fv = s->release;
	struct frame_pool *pool = s->release_pool;

	s->release = s->spare;
	s->releasing = true;
	pthread_mutex_unlock(&s->lock);
	frame_put_vec(pool, &fv); /* empties, keeps storage */
	pthread_mutex_lock(&s->lock);
	s->spare = fv;
	s->releasing = false;
}

void sched_release_later(struct sched *s, struct frame_pool *pool,
			 struct frame_vec *fv)
{
	bool queued = false;

	if (!fv->n)
		return;
	if (s) {
		pthread_mutex_lock(&s->lock);
		if (!s->release.n && !s->releasing)
			s->release_pool = pool;
		if (s->release_pool == pool &&
		    fv->n <= s->release.cap - s->release.n) {
			memcpy(s->release.v + s->release.n, fv->v,
			       fv->n * sizeof(fv->v[0]));
			s->release.n += fv->n;
			queued = true;
			/* A VCPU that queues frames does not wake a PCPU: the
			 * woken thread may take the CPU from under it. The
			 * end of the slice does (sched_pcpu_main()). */
			if (!s->running)
				pthread_cond_signal(&s->work);
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (queued)
		fv->n = 0;
	else
		frame_put_vec(pool, fv); /* could not wait: now */
}

void sched_release_now(struct sched *s)
{
	const struct timespec tick = {0, 100000};

	pthread_mutex_lock(&s->lock);
	while (s->releasing || s->release.n) {
		if (s->releasing) {
			pthread_mutex_unlock(&s->lock);
			nanosleep(&tick, NULL);
			pthread_mutex_lock(&s->lock);
			continue;
		}
		sched_release_pending(s);
	}
	pthread_mutex_unlock(&s->lock);
}

static void *sched_pcpu_main(void *arg)
{
	struct pcpu *p = arg;
	struct sched *s = p->s;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		uint64_t next = sched_wake_due(s);
		struct vcpu *v;

		if (s->release.n && !s->releasing &&
		    (!s->runq_head || s->release.n >= SCHED_RELEASE_MAX / 2)) {
			sched_release_pending(s);
			continue;
		}
		v = sched_pick(s);
		if (!v) {
			p->sleep_until = next;
			sched_idle_wait(s, next);
			p->sleep_until = 0;
			continue;
		}
		if (v->vm->paused) {
			atomic_store(&v->state, VCPU_PAUSED);
			continue;
		}
		atomic_store(&v->state, VCPU_RUNNING);
		s->running++;
		pthread_mutex_unlock(&s->lock);

		uint64_t took;
		enum slice_end end = sched_run_slice(p, v, &took);

		pthread_mutex_lock(&s->lock);
		p->current = NULL;
		s->running--;
		if (took > SCHED_SLICE_NS)
			v->vm->slice_debt_ns += took - SCHED_SLICE_NS;
		sched_put(s, v, end);
		/* Frames queued during the slice: an idle PCPU gives them
		 * back (or this one, next, if it has nothing to run). */
		if (s->release.n && !s->releasing && s->runq_head)
			pthread_cond_signal(&s->work);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int sched_create(unsigned npcpus, struct sched **out)
{
	pthread_condattr_t attr;
	struct sched *s;
	unsigned started;
	int r;

	if (npcpus == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		npcpus = n > 0 ? (unsigned)n : 1;
	}
	s = calloc(1, sizeof(*s) + npcpus * sizeof(struct pcpu));
	if (!s)
		return -ENOMEM;
	s->npcpus = npcpus;
	s->release.v = malloc(SCHED_RELEASE_MAX * sizeof(uint32_t));
	s->spare.v = malloc(SCHED_RELEASE_MAX * sizeof(uint32_t));
	if (!s->release.v || !s->spare.v) {
		free(s->release.v);
		free(s->spare.v);
		free(s);
		return -ENOMEM;
	}
	s->release.cap = s->spare.cap = SCHED_RELEASE_MAX;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->work, &attr);
	pthread_cond_init(&s->vm_done, &attr);
	pthread_condattr_destroy(&attr);

	for (started = 0; started < npcpus; started++) {
		struct pcpu *p = &s->pcpus[started];

		p->s = s;
		p->id = started;
		r = pthread_create(&p->thread, NULL, sched_pcpu_main, p);
		if (r)
			goto err_stop;
	}
	*out = s;
	return 0;

err_stop:
	s->npcpus = started;
	sched_destroy(s);
	return -r;
}

void sched_destroy(struct sched *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	for (unsigned i = 0; i < s->nvms; i++)
		for (unsigned j = 0; j < s->vms[i]->nvcpus; j++)
			hart_request(&s->vms[i]->vcpus[j].hart, HART_REQ_KICK);
	pthread_cond_broadcast(&s->work);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->npcpus; i++)
		pthread_join(s->pcpus[i].thread, NULL);
	if (s->release.n)
		frame_put_vec(s->release_pool, &s->release);
	frame_vec_free(&s->release);
	frame_vec_free(&s->spare);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->vm_done);
	pthread_mutex_destroy(&s->lock);
	free(s->vms);
	free(s);
}

int sched_add_vm(struct sched *s, struct vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (s->nvms == s->cap) {
		unsigned cap = s->cap ? 2 * s->cap : 16;
		struct vm **vms = realloc(s->vms, cap * sizeof(*vms));

		if (!vms) {
			r = -ENOMEM;
			goto out;
		}
		s->vms = vms;
		s->cap = cap;
	}
	s->vms[s->nvms++] = vm;
	vm->sched = s;
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		struct vcpu *v = &vm->vcpus[j];
		int st = atomic_load(&v->state);

		if (st == VCPU_RUNNABLE)
			sched_make_runnable(s, v);
		else if (st == VCPU_IDLE)
			sched_settle_idle(s, v);
	}
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

int sched_wait_vm(struct sched *s, struct vm *vm)
{
	pthread_mutex_lock(&s->lock);
	while (!vm->stopping || sched_vm_on_cpu(vm))
		pthread_cond_wait(&s->vm_done, &s->lock);
	/* Take it off the run queue and out of the scheduler. */
	struct vcpu *q = s->runq_head, *v;
	s->runq_head = s->runq_tail = NULL;
	while ((v = q)) {
		q = v->next;
		if (v->vm == vm)
			atomic_store(&v->state, VCPU_STOPPED);
		else
			runq_push(s, v);
	}
	for (unsigned i = 0; i < s->nvms; i++) {
		if (s->vms[i] == vm) {
			s->vms[i] = s->vms[--s->nvms];
			break;
		}
	}
	vm->sched = NULL;
	pthread_mutex_unlock(&s->lock);
	return vm->exit_status;
}

void sched_wake(struct sched *s, struct vcpu *v)
{
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&v->state) == VCPU_IDLE)
		sched_make_runnable(s, v);
	pthread_mutex_unlock(&s->lock);
}

int sched_start_vcpu(struct sched *s, struct vcpu *v, uint64_t pc, uint64_t arg)
{
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (atomic_load(&v->state) != VCPU_STOPPED) {
		r = -EALREADY;
		goto out;
	}
	hart_reset(&v->hart, pc, arg);
	sched_make_runnable(s, v);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

void sched_wait_served(struct vcpu *self, struct vcpu *v, uint32_t bits)
{
	while ((atomic_load(&v->hart.requests) & bits) &&
	       atomic_load(&v->state) == VCPU_RUNNING) {
		if (self)
			hart_serve_flushes(&self->hart);
		sched_yield();
	}
}

/* Flush every VCPU of vm but me (NULL: none is the caller) and wait for
 * those on a PCPU. */
static void sched_shootdown_others(struct vm *vm, struct vcpu *me)
{
	const uint32_t bits = HART_REQ_FLUSH_TLB | HART_REQ_FLUSH_ICACHE;

	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (&vm->vcpus[i] != me)
			hart_request(&vm->vcpus[i].hart, bits);
	for (unsigned i = 0; i < vm->nvcpus; i++)
		if (&vm->vcpus[i] != me)
			sched_wait_served(me, &vm->vcpus[i], bits);
}

void sched_shootdown(struct hart *self)
{
	struct vcpu *me = vcpu_of_hart(self);

	sched_shootdown_others(me->vm, me);
}

void sched_shootdown_vm(struct vm *vm)
{
	sched_shootdown_others(vm, NULL);
}

int sched_pause_vm(struct sched *s, struct vm *vm)
{
	pthread_mutex_lock(&s->lock);
	if (vm->paused) {
		pthread_mutex_unlock(&s->lock);
		return -EALREADY;
	}
	vm->paused = true;
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		struct vcpu *v = &vm->vcpus[j];
		int st = atomic_load(&v->state);

		if (st == VCPU_RUNNING) {
			hart_request(&v->hart, HART_REQ_KICK);
		} else if (st == VCPU_IDLE) {
			atomic_store(&v->state, VCPU_PAUSED);
			v->paused_idle = true;
		}
	}
	while (sched_vm_on_cpu(vm))
		pthread_cond_wait(&s->vm_done, &s->lock);
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int sched_resume_vm(struct sched *s, struct vm *vm)
{
	pthread_mutex_lock(&s->lock);
	if (!vm->paused) {
		pthread_mutex_unlock(&s->lock);
		return -EALREADY;
	}
	vm->paused = false;
	vm->resumes++;
	for (unsigned j = 0; j < vm->nvcpus; j++) {
		struct vcpu *v = &vm->vcpus[j];

		if (atomic_load(&v->state) != VCPU_PAUSED)
			continue;
		if (v->paused_idle)
			sched_settle_idle(s, v);
		else
			sched_make_runnable(s, v);
		v->paused_idle = false;
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}
