/* SPDX-License-Identifier: MIT */
#include "cpu/csr.h"

#include "cpu/mmu.h"
#include "cpu/trap.h"

/* sstatus: the writable fields; UXL reads as 2 (64-bit U-mode); SD reads
 * 1 when FS is Dirty; VS and XS read 0: there is no vector state. */
#define SSTATUS_WRITABLE                                                       \
	(SSTATUS_SIE | SSTATUS_SPIE | SSTATUS_SPP | SSTATUS_FS | SSTATUS_SUM | \
	 SSTATUS_MXR)
#define SSTATUS_UXL_64 (2ull << 32)

#define S_IRQS (HART_IRQ_SSI | HART_IRQ_STI | HART_IRQ_SEI)

#define SATP_MODE_SHIFT 60
#define SATP_ASID_SHIFT 44
#define SATP_PPN_MASK	((1ull << 44) - 1)

/* fflags, frm and fcsr exist only while the FP unit is on (sstatus.FS). */
static bool csr_fp_allowed(const struct hart *h)
{
	return (h->sstatus & SSTATUS_FS) != 0;
}

static bool csr_counter_allowed(const struct hart *h, unsigned num)
{
	return h->priv == PRIV_S || (h->scounteren >> (num - CSR_CYCLE)) & 1;
}

int csr_read(struct hart *h, unsigned num, uint64_t *val)
{
	/* Bits 9:8 give the lowest privilege that may access the CSR. */
	if (((num >> 8) & 3) > h->priv)
		return -1;
	switch (num) {
	case CSR_FFLAGS:
	case CSR_FRM:
	case CSR_FCSR:
		if (!csr_fp_allowed(h))
			return -1;
		*val = num == CSR_FFLAGS ? h->fcsr & 0x1f
		       : num == CSR_FRM	 ? h->fcsr >> 5
					 : h->fcsr;
		return 0;
	case CSR_SSTATUS:
		*val = (h->sstatus & SSTATUS_WRITABLE) | SSTATUS_UXL_64;
		if ((h->sstatus & SSTATUS_FS) == SSTATUS_FS_DIRTY)
			*val |= SSTATUS_SD;
		return 0;
	case CSR_SIE:
		*val = h->sie;
		return 0;
	case CSR_STVEC:
		*val = h->stvec;
		return 0;
	case CSR_SCOUNTEREN:
		*val = h->scounteren;
		return 0;
	case CSR_SENVCFG:
		*val = h->senvcfg;
		return 0;
	case CSR_SSCRATCH:
		*val = h->sscratch;
		return 0;
	case CSR_SEPC:
		*val = h->sepc;
		return 0;
	case CSR_SCAUSE:
		*val = h->scause;
		return 0;
	case CSR_STVAL:
		*val = h->stval;
		return 0;
	case CSR_SIP:
		*val = atomic_load_explicit(&h->sip, memory_order_relaxed) &
		       S_IRQS;
		return 0;
	case CSR_STIMECMP:
		if (!(h->isa & ISA_BIT(ISA_SSTC)))
			return -1;
		*val = h->timecmp;
		return 0;
	case CSR_SATP:
		*val = h->satp;
		return 0;
	}
	if (num >= CSR_CYCLE && num <= CSR_HPMCOUNTER31) {
		if (!csr_counter_allowed(h, num))
			return -1;
		if (num == CSR_TIME)
			*val = hart_time(h);
		else if (num == CSR_CYCLE || num == CSR_INSTRET)
			*val = h->instret;
		else
			*val = 0; /* no hardware performance counters */
		return 0;
	}
	return -1;
}

static void csr_write_satp(struct hart *h, uint64_t val)
{
	uint64_t mode = val >> SATP_MODE_SHIFT;
	uint64_t asid_mask = ((1ull << h->asid_bits) - 1) << SATP_ASID_SHIFT;

	/* WARL: an unsupported mode (Sv57, Sv64) leaves satp unchanged; the
	 * ASID field keeps asid_bits bits (Linux counts those that stick).
	 * No flush: translations are cached per address space, and the
	 * guest fences when it changes one (cpu/cache.h). */
	if (mode != 0 && mode != 8 && mode != 9)
		return;
	if (mode == 0)
		val = 0;
	h->satp = (mode << SATP_MODE_SHIFT) | (val & asid_mask) |
		  (val & SATP_PPN_MASK);
	mmu_select_tlb(h);
}

int csr_write(struct hart *h, unsigned num, uint64_t val)
{
	uint64_t old;

	if (((num >> 8) & 3) > h->priv || (num >> 10) == 3)
		return -1;
	switch (num) {
	case CSR_FFLAGS:
	case CSR_FRM:
	case CSR_FCSR:
		if (!csr_fp_allowed(h))
			return -1;
		if (num == CSR_FFLAGS)
			h->fcsr = (h->fcsr & ~0x1fu) | (val & 0x1f);
		else if (num == CSR_FRM)
			h->fcsr = (h->fcsr & 0x1f) | (val & 7) << 5;
		else
			h->fcsr = val & 0xff;
		h->sstatus |= SSTATUS_FS_DIRTY;
		return 0;
	case CSR_SSTATUS:
		old = h->sstatus;
		h->sstatus = val & SSTATUS_WRITABLE;
		if ((old ^ h->sstatus) & SSTATUS_MXR)
			mmu_flush_all(h);
		if ((old ^ h->sstatus) & SSTATUS_SUM)
			mmu_select_tlb(h);
		return 0;
	case CSR_SIE:
		h->sie = val & S_IRQS;
		return 0;
	case CSR_STVEC:
		/* MODE is WARL: direct (0) or vectored (1). */
		h->stvec = val & ~2ull;
		return 0;
	case CSR_SCOUNTEREN:
		h->scounteren = val & 0xffffffffu;
		return 0;
	case CSR_SENVCFG:
		/* CBIE is WARL: the reserved value 2 reads as 0 (off). */
		if (((val & SENVCFG_CBIE) >> 4) == 2)
			val &= ~SENVCFG_CBIE;
		h->senvcfg = val & (SENVCFG_FIOM | SENVCFG_CBIE |
				    SENVCFG_CBCFE | SENVCFG_CBZE);
		return 0;
	case CSR_SSCRATCH:
		h->sscratch = val;
		return 0;
	case CSR_SEPC:
		h->sepc = val & ~1ull;
		return 0;
	case CSR_SCAUSE:
		h->scause = val;
		return 0;
	case CSR_STVAL:
		h->stval = val;
		return 0;
	case CSR_SIP:
		/* Only SSIP is writable from S-mode. */
		if (val & HART_IRQ_SSI)
			hart_set_pending(h, HART_IRQ_SSI);
		else
			hart_clear_pending(h, HART_IRQ_SSI);
		return 0;
	case CSR_STIMECMP:
		if (!(h->isa & ISA_BIT(ISA_SSTC)))
			return -1;
		hart_set_timer(h, val);
		return 0;
	case CSR_SATP:
		csr_write_satp(h, val);
		return 0;
	}
	return -1;
}
