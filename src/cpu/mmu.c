/* SPDX-License-Identifier: MIT */
/*
 * Sv39/Sv48 page walks with A/D updates, written from the privileged
 * specification's "Virtual Address Translation Process", on top of the
 * VM's G-stage.
 */
#include "cpu/mmu.h"

#include <errno.h>
#include <string.h>

#include "cpu/cache.h"
#include "cpu/trap.h"
#include "dev/mmio.h"
#include "mem/gstage.h"

#define PTE_V		  (1ull << 0)
#define PTE_R		  (1ull << 1)
#define PTE_W		  (1ull << 2)
#define PTE_X		  (1ull << 3)
#define PTE_U		  (1ull << 4)
#define PTE_A		  (1ull << 6)
#define PTE_D		  (1ull << 7)
#define PTE_PPN(pte)	  (((pte) >> 10) & ((1ull << 44) - 1))
#define PTE_PBMT(pte)	  (((pte) >> 61) & 3) /* Svpbmt: 0 PMA, 1 NC, 2 IO */
#define PTE_PBMT_RESERVED 3
/* N (Svnapot, not implemented) and bits 60:54 (reserved) must be zero. */
#define PTE_RESERVED_HI ((1ull << 63) | (0x7full << 54))

#define SATP_MODE(satp) ((satp) >> 60)
#define SATP_PPN(satp)	((satp) & ((1ull << 44) - 1))
#define SATP_ASID(satp) (((satp) >> 44) & 0xffff)

static const uint64_t page_fault_cause[] = {
    [MMU_LOAD] = CAUSE_LOAD_PAGE,
    [MMU_STORE] = CAUSE_STORE_PAGE,
    [MMU_FETCH] = CAUSE_FETCH_PAGE,
};

static const uint64_t access_fault_cause[] = {
    [MMU_LOAD] = CAUSE_LOAD_ACCESS,
    [MMU_STORE] = CAUSE_STORE_ACCESS,
    [MMU_FETCH] = CAUSE_FETCH_ACCESS,
};

/* Make slot's entries valid for the current epoch. */
static void mmu_slot_validate(struct hart_cache *c, struct tlb_slot *slot)
{
	if (slot->epoch != c->epoch) {
		memset(slot->tlb, 0xff, sizeof(slot->tlb));
		slot->epoch = c->epoch;
		slot->span = 4096;
		slot->nsuper = 0;
	}
}

/* Switch to the slot caching h->satp, reusing the least recently used. */
static void mmu_slot_switch(struct hart *h)
{
	struct hart_cache *c = h->cache;
	struct tlb_slot *slot = &c->slots[0];

	for (unsigned i = 0; i < TLB_SLOTS; i++) {
		struct tlb_slot *s = &c->slots[i];

		if (s->satp == h->satp && s->epoch == c->epoch) {
			slot = s;
			goto found;
		}
		if (s->stamp < slot->stamp)
			slot = s;
	}
	slot->satp = h->satp;
	slot->epoch = 0;
found:
	slot->stamp = ++c->clock;
	mmu_slot_validate(c, slot);
	c->cur = slot;
}

void mmu_select_tlb(struct hart *h)
{
	struct hart_cache *c = h->cache;
	enum tlb_context ctx;

	if (!c) {
		h->tlb = NULL;
		return;
	}
	if (!c->cur || c->cur->satp != h->satp || c->cur->epoch != c->epoch)
		mmu_slot_switch(h);
	if (h->priv == PRIV_U)
		ctx = TLB_U;
	else
		ctx = (h->sstatus & SSTATUS_SUM) ? TLB_S_SUM : TLB_S;
	h->tlb = c->cur->tlb[ctx];
}

void mmu_flush_all(struct hart *h)
{
	struct hart_cache *c = h->cache;

	if (!c)
		return;
	c->epoch++;
	if (c->cur)
		mmu_slot_validate(c, c->cur);
}

/* The page an entry caches (its tags are that VPN or TLB_INVALID). */
static uint64_t mmu_entry_vpn(const struct tlb_entry *e)
{
	return e->tag_r != TLB_INVALID	 ? e->tag_r
	       : e->tag_w != TLB_INVALID ? e->tag_w
					 : e->tag_x;
}

/* Note that the current slot caches a translation from a leaf of span
 * bytes at va (see struct tlb_slot). */
static void mmu_slot_note_leaf(struct hart_cache *c, uint64_t va, uint64_t span)
{
	struct tlb_slot *slot = c->cur;
	uint64_t region = va >> 30;

	if (span == 4096 || !slot)
		return;
	if (span > slot->span)
		slot->span = span;
	if (slot->nsuper > TLB_SUPER_MAX)
		return;
	if (span > (1ull << 30)) {
		slot->nsuper = TLB_SUPER_MAX + 1;
		return;
	}
	for (unsigned i = 0; i < slot->nsuper; i++)
		if (slot->super[i] == region)
			return;
	if (slot->nsuper == TLB_SUPER_MAX)
		slot->nsuper = TLB_SUPER_MAX + 1;
	else
		slot->super[slot->nsuper++] = region;
}

/* Whether va may lie in a superpage the slot caches. */
static bool mmu_slot_may_super(const struct tlb_slot *slot, uint64_t va)
{
	if (slot->nsuper > TLB_SUPER_MAX)
		return true;
	for (unsigned i = 0; i < slot->nsuper; i++)
		if (slot->super[i] == va >> 30)
			return true;
	return false;
}

/*
 * Invalidate va's entries of one slot, or all of them (va_all). A fence of
 * one address "invalidates all address-translation cache entries that
 * contain leaf page table entries corresponding to the virtual address"
 * (privileged spec, SFENCE.VMA): for a superpage, the entries of all its
 * 4 KiB pages. Entries do not say which leaf they came from, so when va
 * may lie in a cached superpage, every entry within the largest cached
 * leaf's span of va goes.
 */
static void mmu_slot_flush(struct hart_cache *c, struct tlb_slot *slot,
			   bool va_all, uint64_t va)
{
	if (slot->epoch != c->epoch)
		return; /* cleared when next used anyway */
	if (va_all) {
		slot->epoch = 0;
		if (slot == c->cur)
			mmu_slot_validate(c, slot);
		return;
	}
	for (unsigned ctx = 0; ctx < TLB_CONTEXTS; ctx++) {
		struct tlb_entry *e = &slot->tlb[ctx][mmu_tlb_index(va)];

		for (unsigned w = 0; w < TLB_WAYS; w++)
			e[w].tag_r = e[w].tag_w = e[w].tag_x = TLB_INVALID;
	}
	if (!mmu_slot_may_super(slot, va))
		return;
	uint64_t first = (va & ~(slot->span - 1)) >> 12;
	uint64_t pages = slot->span >> 12;
	for (unsigned ctx = 0; ctx < TLB_CONTEXTS; ctx++) {
		for (unsigned i = 0; i < TLB_SIZE; i++) {
			struct tlb_entry *e = &slot->tlb[ctx][i];

			if (mmu_entry_vpn(e) - first < pages)
				e->tag_r = e->tag_w = e->tag_x = TLB_INVALID;
		}
	}
}

void mmu_flush_page(struct hart *h, uint64_t va)
{
	if (!h->cache)
		return;
	for (unsigned i = 0; i < TLB_SLOTS; i++)
		mmu_slot_flush(h->cache, &h->cache->slots[i], false, va);
}

void mmu_flush_asid(struct hart *h, uint64_t asid, bool va_all, uint64_t va)
{
	if (!h->cache)
		return;
	for (unsigned i = 0; i < TLB_SLOTS; i++) {
		struct tlb_slot *s = &h->cache->slots[i];

		if (SATP_ASID(s->satp) == asid)
			mmu_slot_flush(h->cache, s, va_all, va);
	}
}

/* The view's private copy of the guest page at gpa, or NULL. */
static uint8_t *mmu_view_copy(const struct hart_view *v, uint64_t gpa)
{
	uint64_t page = gpa & ~PAGE_OFFSET_MASK;

	for (unsigned i = 0; i < v->ncopies; i++)
		if (v->copy_gpa[i] == page)
			return v->copy_mem + (uint64_t)i * 4096;
	return NULL;
}

/*
 * mmu_gpa_host() for a view (struct hart_view): changing nothing of the
 * guest; a RAM page never touched reads from the zero frame, and a store
 * goes to the page's private copy, made on the first one.
 */
static int mmu_gpa_view(struct hart *h, uint64_t gpa, bool write,
			uint8_t **host, uint64_t *gpte)
{
	struct hart_view *v = h->view;
	uint8_t *copy = mmu_view_copy(v, gpa), *page;
	uint32_t frame;

	if (copy) {
		*host = copy + (gpa & PAGE_OFFSET_MASK);
		*gpte = GPTE_R | GPTE_W | GPTE_X;
		return 0;
	}
	if (gstage_translate(h->gs, gpa, &frame, gpte)) {
		if (gpa - h->gs->ram_base >= h->gs->ram_size)
			return -EFAULT;
		frame = FRAME_ZERO;
		*gpte = GPTE_R | GPTE_X;
	}
	page = frame_ptr(h->gs->pool, frame);
	if (!write) {
		*gpte &= ~GPTE_W;
		*host = page + (gpa & PAGE_OFFSET_MASK);
		return 0;
	}
	if (v->ncopies >= v->max_copies)
		return -EFAULT;
	copy = v->copy_mem + (uint64_t)v->ncopies * 4096;
	memcpy(copy, page, 4096);
	v->copy_gpa[v->ncopies++] = gpa & ~PAGE_OFFSET_MASK;
	/* Entries filled for loads point at the guest's frame: from now on
	 * every access to this page must reach the copy. */
	mmu_flush_all(h);
	*host = copy + (gpa & PAGE_OFFSET_MASK);
	*gpte = GPTE_R | GPTE_W | GPTE_X;
	return 0;
}

/*
 * Host address of guest-physical gpa through the G-stage, populating RAM on
 * first touch, breaking copy-on-write for writes and, for any access to a
 * page reached through a table shared with a clone, replicating the tables
 * on the way (once: the next translate no longer reports GPTE_SHARED).
 * Sets *gpte to the G-stage leaf. Returns 0, -EFAULT (not RAM, or not
 * permitted) or -ENOMEM.
 */
static int mmu_gpa_host(struct hart *h, uint64_t gpa, bool write,
			uint8_t **host, uint64_t *gpte)
{
	uint64_t page = gpa & ~PAGE_OFFSET_MASK;
	uint32_t frame;
	int r;

	if (__builtin_expect(h->view != NULL, 0))
		return mmu_gpa_view(h, gpa, write, host, gpte);
	r = gstage_translate(h->gs, page, &frame, gpte);
	if (r || (write && !(*gpte & GPTE_W)) || (*gpte & GPTE_SHARED)) {
		uint64_t gen = atomic_load(&h->gs->generation);

		r = gstage_fault(h->gs, page, write, &frame, gpte);
		if (r == -ENOMEM)
			return r;
		if (r)
			return -EFAULT;
		/* A copy-on-write break moved the page to a new frame: the
		 * VM's other harts must stop reading the old one before this
		 * hart writes the new one. */
		if (h->shootdown && atomic_load(&h->gs->generation) != gen)
			h->shootdown(h);
	}
	*host =
	    (uint8_t *)frame_ptr(h->gs->pool, frame) + (gpa & PAGE_OFFSET_MASK);
	return 0;
}

/* The accesses a leaf PTE allows in the hart's current context. */
static uint64_t mmu_leaf_allows(const struct hart *h, uint64_t pte)
{
	uint64_t ok = 0;
	bool user_page = pte & PTE_U;

	if (h->priv == PRIV_U) {
		if (!user_page)
			return 0;
	} else {
		/* S-mode never executes user pages; it reads and writes them
		 * only with SUM. */
		if (user_page && !(h->sstatus & SSTATUS_SUM))
			return 0;
	}
	if ((pte & PTE_R) || ((h->sstatus & SSTATUS_MXR) && (pte & PTE_X)))
		ok |= PTE_R;
	if (pte & PTE_W)
		ok |= PTE_W;
	if ((pte & PTE_X) && !(user_page && h->priv == PRIV_S))
		ok |= PTE_X;
	return ok;
}

static const uint64_t access_bit[] = {
    [MMU_LOAD] = PTE_R,
    [MMU_STORE] = PTE_W,
    [MMU_FETCH] = PTE_X,
};

/*
 * Walk the guest's tables for va. On success sets *gpa, *allowed (the
 * PTE_R/W/X accesses the TLB may grant) and *span_out (the size of the leaf's
 * page) and returns 0; returns the trap cause to raise as a positive
 * value, or -ENOMEM.
 */
static int64_t mmu_walk(struct hart *h, uint64_t va, enum mmu_access acc,
			uint64_t *gpa, uint64_t *allowed, uint64_t *span_out)
{
	unsigned levels = SATP_MODE(h->satp) == 8 ? 3 : 4;
	unsigned va_bits = 12 + 9 * levels;
	uint64_t pf = page_fault_cause[acc];
	uint8_t *host;
	uint64_t gpte;
	int r;

	if ((uint64_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits)) != va)
		return (int64_t)pf;
restart:;
	uint64_t table = SATP_PPN(h->satp) << 12;
	for (int level = (int)levels - 1;; level--) {
		uint64_t vpn = (va >> (12 + 9 * level)) & 511;
		uint64_t *ptep, pte;

		r = mmu_gpa_host(h, table + vpn * 8, false, &host, &gpte);
		if (r == -ENOMEM)
			return r;
		if (r)
			return (int64_t)access_fault_cause[acc];
		ptep = (uint64_t *)host;
		pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);

		if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) ||
		    (pte & PTE_RESERVED_HI))
			return (int64_t)pf;
		if (!(pte & (PTE_R | PTE_X))) {
			/* PBMT is for leaves; in a pointer it is reserved. */
			if (level == 0 || PTE_PBMT(pte))
				return (int64_t)pf;
			table = PTE_PPN(pte) << 12;
			continue;
		}

		/* A leaf. Every memory type is ordinary memory here: guest
		 * RAM is host memory, and devices are not reached through
		 * the TLB. */
		if (PTE_PBMT(pte) == PTE_PBMT_RESERVED)
			return (int64_t)pf;
		uint64_t ok = mmu_leaf_allows(h, pte);
		uint64_t span = 1ull << (12 + 9 * level);
		if (!(ok & access_bit[acc]))
			return (int64_t)pf;
		if (PTE_PPN(pte) & ((span >> 12) - 1))
			return (int64_t)pf; /* misaligned superpage */

		uint64_t want = PTE_A | (acc == MMU_STORE ? PTE_D : 0);
		if ((pte & want) != want && !h->view) {
			r = mmu_gpa_host(h, table + vpn * 8, true, &host,
					 &gpte);
			if (r == -ENOMEM)
				return r;
			if (r)
				return (int64_t)access_fault_cause[acc];
			ptep = (uint64_t *)host;
			if (!__atomic_compare_exchange_n(
				ptep, &pte, pte | want, false, __ATOMIC_ACQ_REL,
				__ATOMIC_ACQUIRE))
				goto restart; /* the PTE changed under us */
			pte |= want;
		}
		/* Writes go straight to memory only once D is set; a view
		 * sets no bit of the guest's (its writes are private). */
		if (!(pte & PTE_D) && !h->view)
			ok &= ~PTE_W;
		*allowed = ok;
		*gpa = (PTE_PPN(pte) << 12) + (va & (span - 1));
		*span_out = span;
		return 0;
	}
}

/* mmu_lookup_gpa()'s answer for an address on the VM's MMIO bus. */
#define MMU_DEVICE ((int64_t)1 << 40)

/*
 * Translate va for acc and fill the TLB, as mmu_translate(), but return a
 * fault instead of raising it: 0, the trap cause as a positive value, or
 * -ENOMEM. A load or store whose guest-physical address belongs to a
 * device returns MMU_DEVICE with *gpa_out set (never cached in the TLB).
 */
static int64_t mmu_lookup_gpa(struct hart *h, uint64_t va, enum mmu_access acc,
			      uint8_t **host, uint64_t *gpa_out)
{
	uint64_t gpa = 0, allowed = 0, span = 4096, gpte;
	int64_t cause;
	int r;

	if (h->tlb) {
		/* In the set's second entry: it becomes the first. */
		struct tlb_entry *e = mmu_entry(h, va), t;
		uint64_t tag = acc == MMU_LOAD	  ? e[1].tag_r
			       : acc == MMU_STORE ? e[1].tag_w
						  : e[1].tag_x;

		if (tag == va >> 12) {
			t = e[0];
			e[0] = e[1];
			e[1] = t;
			*host = (uint8_t *)(e->addend + va);
			return 0;
		}
	}
	if (h->view && va - h->view->base < h->view->size) {
		*host = h->view->mem + (va - h->view->base);
		gpa = 0;
		gpte = allowed = PTE_R | PTE_W | PTE_X;
		goto fill;
	}
	if (SATP_MODE(h->satp) == 0) {
		gpa = va;
		allowed = PTE_R | PTE_W | PTE_X;
	} else {
		cause = mmu_walk(h, va, acc, &gpa, &allowed, &span);
		if (cause)
			return cause;
	}

	r = mmu_gpa_host(h, gpa, acc == MMU_STORE, host, &gpte);
	if (r == -ENOMEM)
		return r;
	if (r == -EFAULT && acc != MMU_FETCH && mmio_bus_find(h->mmio, gpa)) {
		*gpa_out = gpa;
		return MMU_DEVICE;
	}
	if (r || !(gpte & access_bit[acc]))
		return (int64_t)access_fault_cause[acc];

fill:
	if (h->tlb) {
		struct tlb_entry *e = mmu_entry(h, va);
		uint64_t vpn = va >> 12;

		if (mmu_entry_vpn(e) != vpn)
			e[1] = e[0]; /* the page there, used less lately */
		e->addend = (uintptr_t)(*host - (va & PAGE_OFFSET_MASK)) -
			    (uintptr_t)(va & ~PAGE_OFFSET_MASK);
		e->tag_r = (allowed & gpte & PTE_R) ? vpn : TLB_INVALID;
		e->tag_w = (allowed & gpte & PTE_W) ? vpn : TLB_INVALID;
		e->tag_x = (allowed & gpte & PTE_X) ? vpn : TLB_INVALID;
		if (h->cache)
			mmu_slot_note_leaf(h->cache, va, span);
	}
	return 0;
}

/* A lookup for an access that cannot go to a device: MMU_DEVICE becomes
 * the access fault. */
static int64_t mmu_lookup(struct hart *h, uint64_t va, enum mmu_access acc,
			  uint8_t **host)
{
	uint64_t gpa;
	int64_t cause = mmu_lookup_gpa(h, va, acc, host, &gpa);

	return cause == MMU_DEVICE ? (int64_t)access_fault_cause[acc] : cause;
}

/* The result of a lookup for a handler: raise cause with tval, or stop the
 * VM at pc when host memory ran out (the instruction runs again when it
 * resumes). */
static int mmu_fault(struct hart *h, int64_t cause, uint64_t tval, uint64_t pc)
{
	if (cause == -ENOMEM) {
		h->pc = pc;
		return HART_EXIT_NOMEM;
	}
	return trap_raise(h, (uint64_t)cause, tval, pc);
}

int mmu_translate(struct hart *h, uint64_t va, enum mmu_access acc, uint64_t pc,
		  uint8_t **host)
{
	int64_t cause = mmu_lookup(h, va, acc, host);

	return cause ? mmu_fault(h, cause, va, pc) : 0;
}

int mmu_translate_cbo(struct hart *h, uint64_t va, enum mmu_access acc,
		      uint64_t pc, uint64_t tval, uint8_t **host)
{
	int64_t cause = mmu_lookup(h, va, acc, host);

	if (cause == (int64_t)CAUSE_LOAD_PAGE)
		cause = CAUSE_STORE_PAGE;
	else if (cause == (int64_t)CAUSE_LOAD_ACCESS)
		cause = CAUSE_STORE_ACCESS;
	return cause ? mmu_fault(h, cause, tval, pc) : 0;
}

/* A load or store that reached a device: the access fault when the
 * device refuses it. A device access is the whole access (it never
 * crosses a page: the callers see to that). */
static int mmu_device(struct hart *h, uint64_t gpa, unsigned size, bool write,
		      uint64_t *val, uint64_t va, uint64_t pc)
{
	if (mmio_bus_access(h->mmio, gpa, size, write, val))
		return trap_raise(
		    h, write ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS, va, pc);
	return 0;
}

int mmu_load_slow(struct hart *h, const struct insn *in, uint64_t va,
		  unsigned size, uint64_t *val)
{
	uint64_t pc = insn_pc(h, in);
	uint8_t *p;
	int r;

	if ((va & PAGE_OFFSET_MASK) <= 4096 - size) {
		uint64_t gpa;
		int64_t cause = mmu_lookup_gpa(h, va, MMU_LOAD, &p, &gpa);

		if (cause == MMU_DEVICE)
			return mmu_device(h, gpa, size, false, val, va, pc);
		if (cause)
			return mmu_fault(h, cause, va, pc);
		*val = mmu_read_host(p, size);
		return 0;
	}
	/* Crossing a page boundary: byte by byte, little-endian. */
	uint64_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		r = mmu_translate(h, va + i, MMU_LOAD, pc, &p);
		if (r)
			return r;
		v |= (uint64_t)*p << (8 * i);
	}
	*val = v;
	return 0;
}

int mmu_store_slow(struct hart *h, const struct insn *in, uint64_t va,
		   unsigned size, uint64_t val)
{
	uint64_t pc = insn_pc(h, in), gpa;
	uint8_t *p, *q;
	int64_t cause;
	int r;

	cause = mmu_lookup_gpa(h, va, MMU_STORE, &p, &gpa);
	if (cause == MMU_DEVICE && (va & PAGE_OFFSET_MASK) <= 4096 - size)
		return mmu_device(h, gpa, size, true, &val, va, pc);
	if (cause)
		return mmu_fault(
		    h, cause == MMU_DEVICE ? CAUSE_STORE_ACCESS : cause, va,
		    pc);
	if ((va & PAGE_OFFSET_MASK) <= 4096 - size) {
		mmu_write_host(p, size, val);
		return 0;
	}
	/* Crossing: both pages must be writable before any byte is. */
	uint64_t next = (va | PAGE_OFFSET_MASK) + 1;
	r = mmu_translate(h, next, MMU_STORE, pc, &q);
	if (r)
		return r;
	for (unsigned i = 0; i < size; i++) {
		uint64_t a = va + i;
		uint8_t *dst = a < next ? p + i : q + (a - next);
		*dst = (uint8_t)(val >> (8 * i));
	}
	return 0;
}

int mmu_atomic_host(struct hart *h, const struct insn *in, uint64_t va,
		    unsigned size, enum mmu_access acc, void **host)
{
	const struct tlb_entry *e = mmu_entry(h, va);
	uint64_t tag = acc == MMU_STORE ? e->tag_w : e->tag_r;
	uint8_t *p;
	int r;

	if (va & (size - 1))
		return trap_raise(h,
				  acc == MMU_STORE ? CAUSE_STORE_MISALIGNED
						   : CAUSE_LOAD_MISALIGNED,
				  va, insn_pc(h, in));
	if (tag == va >> 12) {
		*host = (void *)(e->addend + va);
		return 0;
	}
	r = mmu_translate(h, va, acc, insn_pc(h, in), &p);
	if (r)
		return r;
	*host = p;
	return 0;
}
