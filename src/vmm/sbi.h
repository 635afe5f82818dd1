/* SPDX-License-Identifier: MIT */
/*
 * The SBI, implemented by memvisor for its guests (include/memvisor/abi.h):
 * BASE, TIME, IPI, RFENCE, HSM, SRST, DBCN, the legacy console, timer and
 * shutdown calls, and memvisor's own extension. Extensions are found in a
 * registration table; an unknown EID or FID returns SBI_ERR_NOT_SUPPORTED.
 */
#ifndef MEMVISOR_VMM_SBI_H
#define MEMVISOR_VMM_SBI_H

#include <stdint.h>

#include "vmm/sched.h"
#include "vmm/vm.h"

/* What the VCPU does after the call. */
enum sbi_action {
	SBI_ACTION_CONTINUE, /* resume at the next instruction */
	SBI_ACTION_IDLE,     /* resume, but only once an interrupt is pending */
	SBI_ACTION_CHARGE,   /* resume; the call did host work for the VM
				(a DLH drain) that counts against the VCPU's
				time slice */
};

/* A call's result: a0 (error) and a1 (value). */
struct sbi_ret {
	int64_t error;
	int64_t value;
};

/*
 * Handle the ecall v stopped at (a7 = EID, a6 = FID, a0..a5 = arguments):
 * set a0/a1 and step past the ecall. Returns an enum sbi_action.
 */
int sbi_call(struct sched *s, struct vcpu *v);

/* True when an extension with this EID is registered. */
bool sbi_probe(uint64_t eid);

#endif
