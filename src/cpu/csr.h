/* SPDX-License-Identifier: MIT */
/* The control and status registers an S-mode guest sees. */
#ifndef MEMVISOR_CPU_CSR_H
#define MEMVISOR_CPU_CSR_H

#include <stdint.h>

#include "cpu/hart.h"

enum csr_num {
	CSR_FFLAGS = 0x001,
	CSR_FRM = 0x002,
	CSR_FCSR = 0x003,
	CSR_SSTATUS = 0x100,
	CSR_SIE = 0x104,
	CSR_STVEC = 0x105,
	CSR_SCOUNTEREN = 0x106,
	CSR_SENVCFG = 0x10a,
	CSR_SSCRATCH = 0x140,
	CSR_SEPC = 0x141,
	CSR_SCAUSE = 0x142,
	CSR_STVAL = 0x143,
	CSR_SIP = 0x144,
	CSR_STIMECMP = 0x14d,
	CSR_SATP = 0x180,
	CSR_CYCLE = 0xc00,
	CSR_TIME = 0xc01,
	CSR_INSTRET = 0xc02,
	CSR_HPMCOUNTER31 = 0xc1f,
};

/*
 * Read CSR num at the hart's current privilege. Returns 0, or -1 when the
 * access is illegal (unknown CSR, too little privilege, counter disabled).
 */
int csr_read(struct hart *h, unsigned num, uint64_t *val);

/*
 * Write CSR num (WARL fields keep legal values). Returns 0, or -1 when the
 * access is illegal (as csr_read, or a read-only CSR).
 */
int csr_write(struct hart *h, unsigned num, uint64_t val);

/*
 * May an access to CSR num (a write too when writes) stay inside a block
 * (cpu/block.h)? Those of the F and D CSRs (fflags, frm, fcsr: the FP
 * code looks at them as it runs) and reads of the counters (cycle, time,
 * instret) change nothing a block depends on, and glibc's libm reads and
 * writes fflags in its inner loops; any other CSR access ends its block
 * (it may change the privilege, the translation or the interrupt state).
 */
static inline bool csr_in_block(uint16_t num, bool writes)
{
	if (num >= CSR_FFLAGS && num <= CSR_FCSR)
		return true;
	return !writes && num >= CSR_CYCLE && num <= CSR_INSTRET;
}

#endif
