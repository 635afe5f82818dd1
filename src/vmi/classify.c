/* SPDX-License-Identifier: MIT */
#include "vmi/classify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/mmu.h"

#define PAGE_SIZE  4096u
#define STACK_SIZE (64u << 10)
/* Guest pages one call may store to (private copies: struct hart_view);
 * the kernel's helpers keep a count or two in the current task. */
#define VIEW_COPIES 16u
#define ECALL	    0x00000073u
#define SSTATUS_SPP (1ull << 8)

/*
 * The view's window, from the profile's base: the interface's image, a
 * page whose ecall is the return address (reaching it ends a call), the
 * info struct, the map buffer of one chunk, the stack.
 */
struct classify_run {
	struct hart h;
	struct hart_view view;
	uint64_t copy_gpa[VIEW_COPIES];
	const struct vmi_profile *p;
	uint64_t ret_va, info_va, map_va, stack_top;
	uint64_t gp, tp;
	uint64_t private_copies; /* private copies made, over all calls */
	char *why;
	size_t whylen;
};

static const char *const class_names[MEMVISOR_PAGE_CLASSES] = {
    [MEMVISOR_PAGE_OTHER] = "other",	   [MEMVISOR_PAGE_FREE] = "free",
    [MEMVISOR_PAGE_FREE_TAIL] = "free",	   [MEMVISOR_PAGE_SLAB] = "slab",
    [MEMVISOR_PAGE_PGTABLE] = "pagetable", [MEMVISOR_PAGE_ANON] = "anon",
    [MEMVISOR_PAGE_FILE] = "file",	   [MEMVISOR_PAGE_KERNEL] = "kernel",
    [MEMVISOR_PAGE_HOLE] = "hole",
};

const char *vmi_class_name(unsigned class)
{
	return class < MEMVISOR_PAGE_CLASSES ? class_names[class] : "?";
}

static int classify_fail(struct classify_run *c, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int classify_fail(struct classify_run *c, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return err;
}

static uint8_t *classify_window(struct classify_run *c, uint64_t va)
{
	return c->view.mem + (va - c->view.base);
}

static int classify_setup(struct classify_run *c, struct gstage *gs,
			  const struct hart *cpu)
{
	uint64_t img = (c->p->image_size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	uint32_t ecall = ECALL;

	c->view.base = c->p->base;
	c->view.size =
	    img + PAGE_SIZE + PAGE_SIZE + MEMVISOR_VMI_CHUNK + STACK_SIZE;
	c->view.mem = aligned_alloc(PAGE_SIZE, c->view.size);
	c->view.copy_mem = aligned_alloc(PAGE_SIZE, VIEW_COPIES * PAGE_SIZE);
	if (!c->view.mem || !c->view.copy_mem) {
		free(c->view.mem);
		free(c->view.copy_mem);
		return classify_fail(c, -ENOMEM, "out of host memory");
	}
	c->view.copy_gpa = c->copy_gpa;
	c->view.max_copies = VIEW_COPIES;
	memset(c->view.mem, 0, c->view.size);
	memcpy(c->view.mem, c->p->image, c->p->image_size);
	c->ret_va = c->view.base + img;
	c->info_va = c->ret_va + PAGE_SIZE;
	c->map_va = c->info_va + PAGE_SIZE;
	c->stack_top = c->view.base + c->view.size;
	memcpy(classify_window(c, c->ret_va), &ecall, sizeof(ecall));

	hart_init(&c->h, 0, gs, 0);
	c->h.view = &c->view;
	c->h.satp = cpu->satp;
	c->h.priv = PRIV_S;
	/* The kernel's own tp (its current task): in x4 while the kernel
	 * runs, in sscratch while user code does (Linux's convention). */
	c->tp = cpu->priv == PRIV_U ? cpu->sscratch : cpu->x[4];
	c->gp = c->p->gp;
	return 0;
}

/* Call entry(a0, a1, a2) in the guest's kernel; *ret = its a0. */
static int classify_call(struct classify_run *c, const char *what,
			 uint64_t entry, uint64_t a0, uint64_t a1, uint64_t a2,
			 uint64_t budget, uint64_t *ret, uint64_t *ran)
{
	struct hart *h = &c->h;
	uint64_t start = h->instret;
	int r;

	/* Each call sees the guest as it is: none of the last one's stores. */
	if (c->view.ncopies) {
		c->private_copies += c->view.ncopies;
		c->view.ncopies = 0;
		mmu_flush_all(h);
	}
	memset(h->x, 0, sizeof(h->x));
	h->x[1] = c->ret_va;
	h->x[2] = c->stack_top;
	h->x[3] = c->gp;
	h->x[4] = c->tp;
	h->x[10] = a0;
	h->x[11] = a1;
	h->x[12] = a2;
	h->pc = entry;
	h->priv = PRIV_S;
	h->sstatus = SSTATUS_SPP;
	mmu_select_tlb(h);
	r = hart_run(h, budget);
	*ran += h->instret - start;
	if (r == HART_EXIT_ECALL && h->pc == c->ret_va) {
		*ret = h->x[10];
		return 0;
	}
	if (r == HART_EXIT_FAULT)
		return classify_fail(c, -EFAULT,
				     "%s: trap %llu at pc 0x%llx (address "
				     "0x%llx) in the guest kernel",
				     what, (unsigned long long)c->view.cause,
				     (unsigned long long)c->view.epc,
				     (unsigned long long)c->view.tval);
	if (r == HART_EXIT_BUDGET)
		return classify_fail(c, -EFAULT,
				     "%s: ran out of its budget of %llu "
				     "instructions (pc 0x%llx)",
				     what, (unsigned long long)budget,
				     (unsigned long long)h->pc);
	if (r == HART_EXIT_NOMEM)
		return classify_fail(c, -ENOMEM, "%s: out of host memory",
				     what);
	return classify_fail(c, -EFAULT,
			     "%s: stopped (exit %d) at pc 0x%llx: ecall, wfi "
			     "or a kick",
			     what, r, (unsigned long long)h->pc);
}

/* Is the guest running the profile's kernel? Its linux_banner says. */
static int classify_check_banner(struct classify_run *c)
{
	const char *want = c->p->kernel.banner;
	size_t len = strlen(want);

	for (size_t i = 0; i < len; i++) {
		uint8_t *host;
		uint64_t va = c->p->banner_va + i;

		if (mmu_translate(&c->h, va, MMU_LOAD, 0, &host))
			return classify_fail(c, -ESRCH,
					     "cannot read linux_banner at "
					     "0x%llx in the guest: it does not "
					     "run %s",
					     (unsigned long long)va,
					     c->p->kernel.release);
		if (*host != (uint8_t)want[i])
			return classify_fail(c, -ESRCH,
					     "the guest's linux_banner differs "
					     "from \"%s\": it runs another "
					     "kernel",
					     want);
	}
	return 0;
}

/*
 * Count and clean what the interface wrote (the guest's data drove it),
 * and mark the tails of each free block, which it skips: the bytes there
 * are whatever the buffer held.
 */
static void classify_tally(struct vmi_map *map)
{
	for (uint64_t i = 0; i < map->npages; i++) {
		uint8_t b = map->bytes[i];
		unsigned class = MEMVISOR_VMI_CLASS(b);
		uint64_t tails;

		if (class >= MEMVISOR_PAGE_CLASSES ||
		    class == MEMVISOR_PAGE_FREE_TAIL ||
		    (class != MEMVISOR_PAGE_FREE && MEMVISOR_VMI_ORDER(b)) ||
		    MEMVISOR_VMI_ORDER(b) > map->info.max_order)
			b = class = MEMVISOR_PAGE_OTHER;
		map->bytes[i] = b;
		map->counts[class]++;
		if (class != MEMVISOR_PAGE_FREE)
			continue;
		map->free_pages += 1ull << MEMVISOR_VMI_ORDER(b);
		tails = (1ull << MEMVISOR_VMI_ORDER(b)) - 1;
		if (tails > map->npages - 1 - i)
			tails = map->npages - 1 - i;
		memset(map->bytes + i + 1, MEMVISOR_PAGE_FREE_TAIL, tails);
		map->counts[MEMVISOR_PAGE_FREE_TAIL] += tails;
		i += tails;
	}
}

int vmi_classify(const struct vmi_profile *p, struct gstage *gs,
		 const struct hart *cpu, bool free_only, struct vmi_map *map,
		 char *why, size_t whylen)
{
	const char *entry_name =
	    free_only ? "memvisor_vmi_classify_free" : "memvisor_vmi_classify";
	uint64_t entry = free_only ? p->free_entry : p->classify_entry;
	struct classify_run c = {.p = p, .why = why, .whylen = whylen};
	uint64_t ram_lo = gs->ram_base >> 12;
	uint64_t ram_hi = (gs->ram_base + gs->ram_size) >> 12;
	uint64_t ret, lo, hi;
	int r;

	memset(map, 0, sizeof(*map));
	map->free_only = free_only;
	snprintf(map->release, sizeof(map->release), "%s", p->kernel.release);
	if (!(cpu->satp >> 60))
		return classify_fail(&c, -EAGAIN,
				     "the guest has not turned on paging yet");
	r = classify_setup(&c, gs, cpu);
	if (r)
		return r;
	r = classify_check_banner(&c);
	if (r)
		goto out;

	r = classify_call(&c, "memvisor_vmi_info", p->info_entry, c.info_va, 0,
			  0, VMI_BUDGET_PER_CALL, &ret, &map->instructions);
	if (r)
		goto out;
	memcpy(&map->info, classify_window(&c, c.info_va), sizeof(map->info));
	lo = map->info.min_pfn > ram_lo ? map->info.min_pfn : ram_lo;
	hi = map->info.max_pfn < ram_hi ? map->info.max_pfn : ram_hi;
	if (map->info.abi_version != MEMVISOR_VMI_ABI_VERSION ||
	    map->info.page_shift != 12 || map->info.max_order > 15 ||
	    lo >= hi) {
		r = classify_fail(&c, -EPROTO,
				  "the interface reported abi %llu, page "
				  "shift %llu, max order %llu, frames "
				  "[0x%llx, 0x%llx) for RAM [0x%llx, 0x%llx)",
				  map->info.abi_version, map->info.page_shift,
				  map->info.max_order, map->info.min_pfn,
				  map->info.max_pfn, (unsigned long long)ram_lo,
				  (unsigned long long)ram_hi);
		goto out;
	}

	/* Frames outside what the kernel manages stay holes. */
	map->min_pfn = ram_lo;
	map->npages = ram_hi - ram_lo;
	map->bytes = malloc(map->npages);
	if (!map->bytes) {
		r = classify_fail(&c, -ENOMEM, "out of host memory");
		goto out;
	}
	memset(map->bytes, MEMVISOR_PAGE_HOLE, map->npages);
	for (uint64_t pfn = lo & ~(MEMVISOR_VMI_CHUNK - 1); pfn < hi;
	     pfn += MEMVISOR_VMI_CHUNK) {
		const uint8_t *out = classify_window(&c, c.map_va);
		uint64_t from = pfn < lo ? lo : pfn;
		uint64_t to = pfn + MEMVISOR_VMI_CHUNK < hi
				  ? pfn + MEMVISOR_VMI_CHUNK
				  : hi;

		/* Free blocks' tails stay unwritten: "other" until the tally
		 * marks them, never a stale byte of the last chunk. */
		memset(classify_window(&c, c.map_va), MEMVISOR_PAGE_OTHER,
		       MEMVISOR_VMI_CHUNK);
		r = classify_call(
		    &c, entry_name, entry, pfn, MEMVISOR_VMI_CHUNK, c.map_va,
		    VMI_BUDGET_PER_CALL +
			(uint64_t)MEMVISOR_VMI_CHUNK * VMI_BUDGET_PER_PAGE,
		    &ret, &map->instructions);
		if (r)
			goto out;
		if (ret != MEMVISOR_VMI_CHUNK) {
			r = classify_fail(&c, -EPROTO,
					  "%s returned %llu for %lu frames",
					  entry_name, (unsigned long long)ret,
					  MEMVISOR_VMI_CHUNK);
			goto out;
		}
		memcpy(map->bytes + (from - ram_lo), out + (from - pfn),
		       to - from);
	}
	map->private_copies = c.private_copies + c.view.ncopies;
	classify_tally(map);
	r = vmi_map_check(map, why, whylen);
out:
	hart_destroy(&c.h);
	free(c.view.mem);
	free(c.view.copy_mem);
	if (r)
		vmi_map_free(map);
	return r;
}

int vmi_map_check(const struct vmi_map *map, char *why, size_t whylen)
{
	uint64_t mine = map->free_pages, kernel = map->info.free_pages;
	uint64_t diff = mine > kernel ? mine - kernel : kernel - mine;

	if (diff <= VMI_FREE_SLACK(map->npages))
		return 0;
	snprintf(why, whylen,
		 "the page map has %llu free pages where the guest kernel "
		 "counts %llu: the profile does not describe this guest's "
		 "memory (a kernel built with another config?)",
		 (unsigned long long)mine, (unsigned long long)kernel);
	return -EPROTO;
}

void vmi_map_free(struct vmi_map *map)
{
	free(map->bytes);
	map->bytes = NULL;
}
