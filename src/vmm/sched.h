/* SPDX-License-Identifier: MIT */
/*
 * The execution model: P physical CPUs (host threads) run the VCPUs of any
 * number of VMs from one run queue, in time slices of guest instructions.
 *
 * A VCPU leaves its PCPU at the end of its slice, on WFI with no interrupt
 * pending (it then waits, off-CPU, for its timer or an IPI), when its VM
 * stops, or when it is stopped through SBI HSM. Every VCPU comes onto a
 * PCPU through one function, sched_restore(): the place for work that must
 * happen just before a VCPU's context is restored.
 */
#ifndef MEMVISOR_VMM_SCHED_H
#define MEMVISOR_VMM_SCHED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/vm.h"

/*
 * A time slice ends after SCHED_SLICE guest instructions, or once it has
 * taken SCHED_SLICE_NS of host time, whichever comes first. The time
 * includes the DLH work done for the VM on the VCPU's way in (the drain at
 * restore) and at its notifies, so a VM that keeps memvisor busy with
 * deferred calls uses up its own slice, not the others'. The clock is read
 * after a drain or notify, after a costly synchronous DLH call, and every
 * SCHED_TIME_CHECK exits. A slice that took longer anyway (a drain is not
 * cut short) is a debt of its VM: its VCPUs give up later turns to pay it.
 */
#define SCHED_SLICE	 400000u
#define SCHED_SLICE_NS	 2000000ull
#define SCHED_TIME_CHECK 64u

struct sched;

/*
 * Create a scheduler with npcpus PCPU threads (0: one per host core).
 * The threads start at once and idle until VCPUs are runnable.
 * Returns 0 and sets *out, or a negative errno.
 */
int sched_create(unsigned npcpus, struct sched **out);

/* Stop the PCPU threads and free s. VMs stay; the caller destroys them. */
void sched_destroy(struct sched *s);

/* Start scheduling vm's runnable VCPUs, and its idle ones (VCPU_IDLE: a
 * clone of a VM paused in WFI), which run once an interrupt comes.
 * Returns 0 or -ENOMEM. */
int sched_add_vm(struct sched *s, struct vm *vm);

/* Block until vm has stopped and none of its VCPUs is on a PCPU; returns
 * its exit status. */
int sched_wait_vm(struct sched *s, struct vm *vm);

/* Make v runnable if it is idle (an interrupt arrived for it). Any thread. */
void sched_wake(struct sched *s, struct vcpu *v);

/* SBI HSM hart_start: v must be stopped. Returns 0 or -EALREADY. */
int sched_start_vcpu(struct sched *s, struct vcpu *v, uint64_t pc,
		     uint64_t arg);

/*
 * Wait until v has served the requests in bits (hart_request()) if it is on
 * a PCPU; a VCPU off-CPU serves them before it runs again. For synchronous
 * remote fences. self, the VCPU waiting, serves its own flush requests
 * meanwhile: two VCPUs fencing each other both get on (NULL: the caller
 * is no VCPU).
 */
void sched_wait_served(struct vcpu *self, struct vcpu *v, uint32_t bits);

/*
 * Flush the translations and decoded blocks of every VCPU of self's VM but
 * self, and return once each one on a PCPU has done so: a hart's
 * shootdown hook (cpu/hart.h), installed on VCPUs of VMs with more than one.
 */
void sched_shootdown(struct hart *self);

/*
 * The same for every VCPU of vm, from a thread that is none of them (a
 * device's worker): returns once each one on a PCPU has flushed (the
 * others flush before they next run). The caller must hold nothing a
 * VCPU may wait for.
 */
void sched_shootdown_vm(struct vm *vm);

/*
 * Pause vm: its VCPUs leave the PCPUs at their next block boundary and stay
 * off (VCPU_PAUSED) until sched_resume_vm(). Returns once none is on a
 * PCPU: the VM is then at a safe point (no instruction half done, all
 * state in struct vcpu). Returns 0, or -EALREADY when already paused.
 */
int sched_pause_vm(struct sched *s, struct vm *vm);

/* Let a paused VM run again; a VCPU paused in WFI goes on waiting there
 * (no host thread is woken for it) unless an interrupt came meanwhile.
 * Returns 0, or -EALREADY when not paused. */
int sched_resume_vm(struct sched *s, struct vm *vm);

/*
 * Frames waiting to go back to the host at most (256 MiB): a burst of
 * free-page hints is given back at the host's pace (one madvise() per run
 * of contiguous frames; they are scattered after a while) without the
 * VCPUs waiting for it. Past half of it a PCPU gives them back between two
 * slices even when VCPUs wait to run.
 */
#define SCHED_RELEASE_MAX 65536u

/*
 * Give the frames of fv back to the host (frame_put_vec() on pool) off the
 * VCPUs' path: a PCPU with no VCPU to run does it, woken at the end of the
 * slice that queued them (not at once: the woken thread could take the
 * host CPU from under the VCPU), or one between two slices once many wait. The
 * references must be unreachable already: no VCPU may still hold a translation
 * to them (DLH does a shootdown first). Done at once, on the caller's thread,
 * when s is NULL, when pool is not the pool of the frames already waiting, or
 * when SCHED_RELEASE_MAX would be passed. Allocates nothing. Empties fv (keeps
 * its storage). Any thread.
 */
void sched_release_later(struct sched *s, struct frame_pool *pool,
			 struct frame_vec *fv);

/*
 * Give back every frame sched_release_later() holds, now, on the caller's
 * thread (waiting for a PCPU that is giving some back to finish): for
 * whoever counts references (gstage_check() takes a waiting frame for a
 * leak) or measures the host's memory.
 */
void sched_release_now(struct sched *s);

#endif
