/* SPDX-License-Identifier: MIT */
/* Traps into S-mode: exceptions, interrupts and their priorities, sret. */
#ifndef MEMVISOR_CPU_TRAP_H
#define MEMVISOR_CPU_TRAP_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/hart.h"

/* scause exception codes (privileged spec, table "Supervisor cause"). */
enum trap_cause {
	CAUSE_FETCH_MISALIGNED = 0,
	CAUSE_FETCH_ACCESS = 1,
	CAUSE_ILLEGAL = 2,
	CAUSE_BREAKPOINT = 3,
	CAUSE_LOAD_MISALIGNED = 4,
	CAUSE_LOAD_ACCESS = 5,
	CAUSE_STORE_MISALIGNED = 6,
	CAUSE_STORE_ACCESS = 7,
	CAUSE_ECALL_U = 8,
	CAUSE_ECALL_S = 9,
	CAUSE_FETCH_PAGE = 12,
	CAUSE_LOAD_PAGE = 13,
	CAUSE_STORE_PAGE = 15,
};

#define CAUSE_INTERRUPT (1ull << 63)

/* sstatus fields. */
#define SSTATUS_SIE	 (1ull << 1)
#define SSTATUS_SPIE	 (1ull << 5)
#define SSTATUS_SPP	 (1ull << 8)
#define SSTATUS_FS	 (3ull << 13) /* FP state: Off, Initial, Clean, Dirty */
#define SSTATUS_FS_DIRTY (3ull << 13)
#define SSTATUS_SD	 (1ull << 63) /* read-only: FS is Dirty */
#define SSTATUS_SUM	 (1ull << 18)
#define SSTATUS_MXR	 (1ull << 19)

/* senvcfg fields. */
#define SENVCFG_FIOM (1ull << 0)
#define SENVCFG_CBIE                                                           \
	(3ull << 4) /* cbo.inval in U-mode: 0 off, 1 flush, 3 inval */
#define SENVCFG_CBCFE (1ull << 6) /* cbo.clean/flush in U-mode */
#define SENVCFG_CBZE  (1ull << 7) /* cbo.zero in U-mode */

/*
 * Deliver exception cause with stval tval to S-mode, raised by the
 * instruction at pc. Returns EXEC_BLOCK_END, for handlers to return.
 */
int trap_raise(struct hart *h, uint64_t cause, uint64_t tval, uint64_t pc);

/*
 * If an interrupt is pending, enabled in sie and globally enabled for the
 * current privilege, take the highest-priority one (SEI, SSI, STI) at
 * h->pc and return true.
 */
bool trap_take_interrupt(struct hart *h);

/* sret: return to sepc in the privilege sstatus.SPP names. */
void trap_sret(struct hart *h);

/* Switch privilege, updating the TLB context. */
void trap_set_priv(struct hart *h, enum hart_priv priv);

#endif
