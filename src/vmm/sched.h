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

/* Guest instructions in one time slice. */
#define SCHED_SLICE 400000u

struct sched;

/*
 * Create a scheduler with npcpus PCPU threads (0: one per host core).
 * The threads start at once and idle until VCPUs are runnable.
 * Returns 0 and sets *out, or a negative errno.
 */
int sched_create(unsigned npcpus, struct sched **out);

/* Stop the PCPU threads and free s. VMs stay; the caller destroys them. */
void sched_destroy(struct sched *s);

/* Start scheduling vm's runnable VCPUs. Returns 0 or -ENOMEM. */
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
 * meanwhile: two VCPUs fencing each other both get on.
 */
void sched_wait_served(struct vcpu *self, struct vcpu *v, uint32_t bits);

/*
 * Flush the translations and decoded blocks of every VCPU of self's VM but
 * self, and return once each one on a PCPU has done so: a hart's
 * shootdown hook (cpu/hart.h), installed on VCPUs of VMs with more than one.
 */
void sched_shootdown(struct hart *self);

/*
 * Pause vm: its VCPUs leave the PCPUs at their next block boundary and stay
 * off (VCPU_PAUSED) until sched_resume_vm(). Returns once none is on a
 * PCPU: the VM is then at a safe point (no instruction half done, all
 * state in struct vcpu). Returns 0, or -EALREADY when already paused.
 */
int sched_pause_vm(struct sched *s, struct vm *vm);

/* Let a paused VM run again. Returns 0, or -EALREADY when not paused. */
int sched_resume_vm(struct sched *s, struct vm *vm);

#endif
