/* SPDX-License-Identifier: MIT */
#include "cpu/trap.h"

#include "cpu/exec.h"
#include "cpu/mmu.h"

void trap_set_priv(struct hart *h, enum hart_priv priv)
{
	h->priv = priv;
	mmu_select_tlb(h);
}

/* Every trap here goes to S-mode: this machine has no guest-visible M-mode
 * and nothing is delegated further. */
static void trap_enter(struct hart *h, uint64_t cause, uint64_t tval,
		       uint64_t epc)
{
	uint64_t s = h->sstatus;

	h->sepc = epc;
	h->scause = cause;
	h->stval = tval;
	s &= ~(SSTATUS_SPP | SSTATUS_SPIE);
	if (h->priv == PRIV_S)
		s |= SSTATUS_SPP;
	if (s & SSTATUS_SIE)
		s |= SSTATUS_SPIE;
	s &= ~SSTATUS_SIE;
	h->sstatus = s;
	h->lr_host = NULL;
	h->pc = h->stvec & ~3ull;
	if ((h->stvec & 1) && (cause & CAUSE_INTERRUPT))
		h->pc += 4 * (cause & ~CAUSE_INTERRUPT);
	trap_set_priv(h, PRIV_S);
}

int trap_raise(struct hart *h, uint64_t cause, uint64_t tval, uint64_t pc)
{
	if (__builtin_expect(h->view != NULL, 0)) {
		h->view->cause = cause;
		h->view->tval = tval;
		h->view->epc = pc;
		h->pc = pc;
		return HART_EXIT_FAULT;
	}
	trap_enter(h, cause, tval, pc);
	return EXEC_BLOCK_END;
}

bool trap_take_interrupt(struct hart *h)
{
	uint64_t pending =
	    atomic_load_explicit(&h->sip, memory_order_relaxed) & h->sie;
	unsigned code;

	if (!pending)
		return false;
	if (h->priv == PRIV_S && !(h->sstatus & SSTATUS_SIE))
		return false;
	/* Priority for S-level interrupts: external, software, timer. */
	if (pending & HART_IRQ_SEI)
		code = 9;
	else if (pending & HART_IRQ_SSI)
		code = 1;
	else
		code = 5;
	trap_enter(h, CAUSE_INTERRUPT | code, 0, h->pc);
	return true;
}

void trap_sret(struct hart *h)
{
	uint64_t s = h->sstatus;
	enum hart_priv to = (s & SSTATUS_SPP) ? PRIV_S : PRIV_U;

	s &= ~(SSTATUS_SIE | SSTATUS_SPP);
	if (s & SSTATUS_SPIE)
		s |= SSTATUS_SIE;
	s |= SSTATUS_SPIE;
	h->sstatus = s;
	h->pc = h->sepc;
	trap_set_priv(h, to);
}
