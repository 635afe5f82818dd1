/* SPDX-License-Identifier: MIT */
/*
 * A RISC-V hart as a Linux kernel sees it: RV64GC and the extensions of
 * DESIGN.md ("The machine a guest sees") in S- and U-mode, Sv39/Sv48
 * first-stage translation over the VM's G-stage.
 *
 * The hart is an interpreter over decoded basic blocks (cpu/block.h). It
 * runs until something needs the hypervisor: an ecall from S-mode (an SBI
 * call), WFI, an exhausted budget, a kick from another thread, or host
 * memory running out. The caller (vmm/) handles that and runs it again.
 *
 * Threading: one thread runs a hart at a time. Other threads may only call
 * hart_request(), hart_set_pending() and hart_clear_pending(), and read
 * hart->sip and hart->requests.
 */
#ifndef MEMVISOR_CPU_HART_H
#define MEMVISOR_CPU_HART_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "cpu/isa.h"
#include "mem/gstage.h"

/* The size of a cache block for Zicbom/Zicboz (the device tree says so). */
#define HART_CBO_BLOCK 64

/* The time CSR counts at this rate (the device tree says so too). */
#define HART_TIMEBASE_HZ 10000000ull

enum hart_priv {
	PRIV_U = 0,
	PRIV_S = 1,
};

/* How a hart runs guest code (--cpu-tier). */
enum hart_tier {
	HART_TIER_DEFAULT, /* in a configuration: hart_default_tier() */
	HART_TIER_INTERP,  /* decoded blocks, interpreted (every host) */
	HART_TIER_JIT,	   /* hot blocks translated to x86-64 (cpu/jit/) */
};

/* What a hart's translating tier has done (all zero under the
 * interpreter), for `ctl stats`. Written by the hart's thread only. */
struct hart_tier_stats {
	uint64_t blocks;       /* blocks translated */
	uint64_t code_bytes;   /* bytes of host code written, all in all */
	uint64_t guest_bytes;  /* bytes of guest code they translate */
	uint64_t flushes;      /* times it found the code cache full and
				  emptied its older half */
	uint64_t shared_hits;  /* translations it used that another hart or
				  VM made (cpu/jit/share.h) */
	uint64_t links;	       /* exits chained to the next translation */
	uint64_t translate_ns; /* host time spent translating */
};

/* Why hart_run() returned. Values >= 2: see cpu/exec.h. */
enum hart_exit {
	HART_EXIT_BUDGET = 2, /* ran its budget of instructions */
	HART_EXIT_ECALL,      /* ecall from S-mode: pc points at it */
	HART_EXIT_WFI,	      /* wfi: pc points after it */
	HART_EXIT_KICK,	      /* HART_REQ_KICK from another thread */
	HART_EXIT_NOMEM,      /* the frame pool is exhausted */
	HART_EXIT_FAULT,      /* a trap in a view run (see struct hart_view) */
};

/* Requests from other threads, served at the next block boundary. */
#define HART_REQ_KICK	      (1u << 0) /* return HART_EXIT_KICK */
#define HART_REQ_FLUSH_TLB    (1u << 1) /* hart_flush_tlb() */
#define HART_REQ_FLUSH_ICACHE (1u << 2) /* hart_flush_icache() */

/* Interrupt bits of sip/sie. */
#define HART_IRQ_SSI (1ull << 1)
#define HART_IRQ_STI (1ull << 5)
#define HART_IRQ_SEI (1ull << 9)

/*
 * A read-only look at a VM for running code of memvisor's own in the guest's
 * address space (vmi/). Guest memory is read through the guest's page
 * tables and the G-stage, never written nor populated (page-table A/D bits
 * are neither checked nor set; a page never touched reads as zeros). One
 * window of guest-virtual addresses, [base, base + size), is memvisor's
 * memory at mem instead: readable, writable and executable. Any trap ends
 * the run with HART_EXIT_FAULT and is recorded here instead of being taken.
 *
 * Stores to guest RAM (the kernel code the view runs keeps its own books:
 * a preemption count, say) go to private copies, never to the guest: the
 * first store to a page copies it into the next free page of copy_mem and
 * records its guest-physical page in copy_gpa; from then on the view reads
 * and writes that copy. The caller owns both arrays (max_copies entries,
 * and as many pages, page-aligned, at copy_mem); max_copies 0, or all of them
 * taken, makes such a store fault. Copies last until the caller sets ncopies to
 * 0 and flushes the hart's TLB (mmu_flush_all()).
 */
struct hart_view {
	uint64_t base, size;
	/* Whole 4 KiB pages, 4 KiB-aligned: code is decoded, and copied and
	 * compared by the translating tier (cpu/jit/share.h), a page at a
	 * time. */
	uint8_t *mem;
	uint8_t *copy_mem;  /* max_copies pages */
	uint64_t *copy_gpa; /* the guest page each copy is of */
	unsigned ncopies, max_copies;
	uint64_t cause, tval, epc; /* the trap that ended the run */
};

struct hart_cache; /* TLBs and decoded blocks, allocated on first run */
struct mmio_bus;
struct tlb_entry;
struct jit_jump;
struct jit_share;

struct hart {
	uint64_t x[33]; /* x[32] absorbs writes to x0 (cpu/decode.c) */
	uint64_t pc;
	enum hart_priv priv;

	/*
	 * F and D: each register's 64 bits, a single-precision value
	 * NaN-boxed (upper 32 bits all ones); fcsr = frm << 5 | fflags.
	 * Accessible only while sstatus.FS is not Off; every write sets FS
	 * to Dirty (cpu/exec_fp.c).
	 */
	uint64_t f[32];
	uint32_t fcsr;

	/* Supervisor CSRs. */
	uint64_t sstatus;
	uint64_t sie;
	_Atomic uint64_t sip;
	uint64_t stvec, sepc, scause, stval, sscratch, satp;
	uint64_t scounteren, senvcfg;

	isa_set isa; /* what this hart implements (cpu/isa.h) */
	/* The tier it runs with; read when its caches are set up (its
	 * first run), HART_TIER_INTERP on hosts without a translator. */
	enum hart_tier tier;
	uint32_t jit_threshold; /* runs before translation; 0: the default */
	/* The code cache it translates into, shared with the other harts of
	 * its VM family (cpu/jit/share.h; not owned: the VM holds it); NULL:
	 * one of its own, of jit_cache_size bytes (0: JIT_CACHE_SIZE). */
	struct jit_share *jit_share;
	size_t jit_cache_size;
	struct hart_tier_stats tier_stats;
	/*
	 * Translated code going from block to block without hart_run()
	 * (cpu/jit/jit.h): it may while instret < jit_limit (set before each
	 * translated run, cleared by any flush of this hart's caches). A
	 * chainable exit it left by, not chained yet: its jump (NULL: none),
	 * the host address of the code it goes to, the group of translations
	 * it may be chained to (cpu/jit/share.h).
	 */
	uint64_t jit_limit;
	/* Set by hart_request() and hart_set_pending() (any thread), cleared
	 * by hart_run() before it looks at requests and interrupts: chained
	 * translated code goes back to hart_run() when it is set. */
	_Atomic uint32_t jit_stop;
	struct jit_jump *jit_jumps; /* its jump cache (cpu/jit/jit.h) */
	void *jit_link_site;
	uintptr_t jit_link_host;
	uint64_t jit_link_group;
	unsigned asid_bits; /* ASIDLEN of satp: ISA_ASID_BITS or 0 */

	uint64_t
	    timecmp; /* timer deadline (SBI set_timer, stimecmp), time units */
	uint64_t instret;      /* retired instructions (block granularity) */
	uint64_t time_base_ns; /* host CLOCK_MONOTONIC at time = 0 */

	/* LR/SC reservation: host address and the value LR saw. */
	uint64_t *lr_host;
	uint64_t lr_value;

	struct gstage *gs;
	const struct mmio_bus *mmio; /* the VM's devices; NULL: none */
	uint64_t gs_generation;	     /* gs->generation our caches match */
	struct hart_cache *cache;
	struct tlb_entry *tlb; /* the TLB for the current priv/SUM */

	_Atomic uint32_t requests; /* HART_REQ_* from other threads */
	/*
	 * Called on this hart's thread after one of its accesses narrowed a
	 * mapping of the VM (a copy-on-write break gave it a new frame):
	 * returns once every other hart of the VM has dropped translations
	 * that may still point at the old frame. NULL: a one-hart VM.
	 */
	void (*shootdown)(struct hart *h);
	unsigned id;		/* hart id */
	struct hart_view *view; /* NULL: a VCPU of the VM */
};

/*
 * Initialise h as hart id of a VM whose memory is gs, in S-mode with
 * everything zero, time counting from time_base_ns. Allocates nothing (the
 * caches come on the first hart_run()).
 */
void hart_init(struct hart *h, unsigned id, struct gstage *gs,
	       uint64_t time_base_ns);

/*
 * Make dst (initialised with hart_init()) architecturally identical to src:
 * registers, pc, privilege, CSRs, timer, pending interrupts; and its tier.
 * Caches are not copied (dst builds its own on its first run); no LR
 * reservation carries over. src must not be running.
 */
void hart_copy_state(struct hart *dst, const struct hart *src);

/*
 * The tier a hart gets from hart_init(): HART_TIER_JIT where this build has
 * a translator (x86-64 hosts), else HART_TIER_INTERP.
 */
enum hart_tier hart_default_tier(void);

/* Free the caches of h. h may be initialised again. */
void hart_destroy(struct hart *h);

/*
 * Put h at pc in S-mode with a0 = hart id and a1 = arg, satp = 0 and
 * interrupts off: the state Linux expects at entry (and SBI HSM start).
 */
void hart_reset(struct hart *h, uint64_t pc, uint64_t arg);

/*
 * Run h for about budget instructions. Returns an enum hart_exit value.
 * Guest faults are delivered to the guest, never returned.
 */
int hart_run(struct hart *h, uint64_t budget);

/*
 * Post HART_REQ_* bits to h. Any thread. A running hart serves them at its
 * next block boundary and clears each bit once done (so a caller that must
 * wait for a remote flush can watch h->requests); a hart that is not
 * running serves them when it next runs.
 */
void hart_request(struct hart *h, uint32_t bits);

/* Set or clear interrupt-pending bits (HART_IRQ_*). Any thread. */
void hart_set_pending(struct hart *h, uint64_t bits);
void hart_clear_pending(struct hart *h, uint64_t bits);

/* True when an interrupt is pending and enabled in sie (what WFI waits for). */
bool hart_wfi_wakeup(const struct hart *h);

/* The host clock the time CSR counts from: CLOCK_MONOTONIC in ns. */
uint64_t hart_host_ns(void);

/* Current value of the time CSR. */
uint64_t hart_time(const struct hart *h);

/* Set the timer deadline (SBI set_timer); clears STIP. */
void hart_set_timer(struct hart *h, uint64_t deadline);

/* Raise STIP if the timer deadline has passed. */
void hart_poll_timer(struct hart *h);

/*
 * Serve the flush requests posted to h (not a kick), on h's own thread,
 * also in the middle of a block: what a hart waiting for other harts does,
 * so that two harts waiting for each other both get on.
 */
void hart_serve_flushes(struct hart *h);

/* Drop every cached translation (sfence.vma, SBI RFENCE). Owner thread. */
void hart_flush_tlb(struct hart *h);

/* Drop cached translations of the page holding va. Owner thread. */
void hart_flush_tlb_page(struct hart *h, uint64_t va);

/* Drop every decoded block (fence.i). Owner thread. */
void hart_flush_icache(struct hart *h);

#endif
