/* SPDX-License-Identifier: MIT */
/*
 * A SiFive-compatible platform-level interrupt controller (the RISC-V PLIC
 * specification; Linux's irq-sifive-plic driver, compatible
 * "sifive,plic-1.0.0" / "riscv,plic0").
 *
 * Sources 1 .. nsrc are level-triggered lines, driven through the embedded
 * struct irq_chip (dev/irq.h). Contexts 0 .. nctx - 1 are the harts'
 * S-mode external interrupts: context n is hart n, as the device tree says
 * (interrupts-extended = <&cpuN_intc 9>).
 *
 * Register layout (32-bit registers, offsets from the base):
 *   0x000000 + 4 * src         priority of src (0: never; PLIC_PRIO_MAX max)
 *   0x001000 + 4 * (src / 32)  pending bits (read-only)
 *   0x002000 + 0x80 * ctx      enable bits of ctx, a word per 32 sources
 *   0x200000 + 0x1000 * ctx    priority threshold of ctx
 *   0x200004 + 0x1000 * ctx    claim (read) / complete (write) of ctx
 *
 * A gateway per source: a high line makes its source pending; a claim
 * takes the pending source of highest priority (ties: the lowest number)
 * that ctx enables above its threshold, clears its pending bit and closes
 * its gateway; the completion reopens it, and a line still high makes the
 * source pending again. A line that falls before the claim withdraws the
 * request (the source stops being pending).
 *
 * Accesses that are not aligned 32-bit ones, and reserved offsets, read as
 * 0 and are ignored: a guest cannot make the PLIC fail.
 *
 * Threading: one mutex serialises everything; set_level, reads and writes
 * come from any thread. The notify callback runs with that mutex held, in
 * the order the line changes happen; it must not call back into the PLIC.
 */
#ifndef MEMVISOR_DEV_PLIC_H
#define MEMVISOR_DEV_PLIC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev/irq.h"
#include "dev/mmio.h"

#define PLIC_MAX_SRC  127 /* sources 1 .. 127 */
#define PLIC_MAX_CTX  64
#define PLIC_PRIO_MAX 7u /* 3 priority bits (WARL) */
#define PLIC_WORDS    ((PLIC_MAX_SRC + 1 + 31) / 32)

#define PLIC_PRIORITY_BASE  0x000000u
#define PLIC_PENDING_BASE   0x001000u
#define PLIC_ENABLE_BASE    0x002000u
#define PLIC_ENABLE_STRIDE  0x80u
#define PLIC_CONTEXT_BASE   0x200000u
#define PLIC_CONTEXT_STRIDE 0x1000u
#define PLIC_SIZE	    0x4000000u

/* Context ctx's external-interrupt line became level (set by the owner). */
typedef void (*plic_notify_fn)(void *opaque, unsigned ctx, bool level);

struct plic {
	struct irq_chip chip; /* first: the devices' view */
	pthread_mutex_t lock;
	unsigned nsrc, nctx;
	plic_notify_fn notify;
	void *opaque;
	/* Under lock. Bit src of each word array; bit 0 is never set. */
	uint32_t level[PLIC_WORDS];   /* the lines as the devices drive them */
	uint32_t pending[PLIC_WORDS]; /* requests not yet claimed */
	uint32_t claimed[PLIC_WORDS]; /* claimed, not yet completed */
	uint8_t priority[PLIC_MAX_SRC + 1];
	struct plic_context {
		uint32_t enable[PLIC_WORDS];
		uint32_t threshold;
		bool eip; /* the line notify last reported */
	} ctx[PLIC_MAX_CTX];
};

/* The PLIC's register window: a struct mmio_ops over a struct plic. */
extern const struct mmio_ops plic_mmio_ops;

/*
 * Initialise p (caller-owned storage) with sources 1 .. nsrc and contexts
 * 0 .. nctx - 1, everything zero (no priority, nothing enabled, every
 * threshold 0), and notify(opaque, ctx, level) to call when a context's
 * line changes (notify may be NULL). Returns 0, or -EINVAL when nsrc or
 * nctx is 0 or above PLIC_MAX_SRC / PLIC_MAX_CTX.
 */
int plic_init(struct plic *p, unsigned nsrc, unsigned nctx,
	      plic_notify_fn notify, void *opaque);

/* Release what plic_init() set up (the mutex). */
void plic_destroy(struct plic *p);

/*
 * Make dst, initialised with the same nsrc and nctx, a copy of src's
 * registers, lines and gateways (for a clone; src must be quiescent: no
 * VCPU of its VM running). dst's notify is called for each context whose
 * line is then high, so its owner can set the harts' pending bits.
 */
void plic_copy_state(struct plic *dst, struct plic *src);

/* Drive source line to level (also through p->chip). Any thread. */
void plic_set_level(struct plic *p, unsigned line, bool level);

/* Whether context ctx's external-interrupt line is high now. */
bool plic_eip(struct plic *p, unsigned ctx);

#endif
