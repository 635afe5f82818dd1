/* SPDX-License-Identifier: MIT */
/*
 * The page map of a paused Linux guest, computed from outside: memvisor's
 * CPU runs the guest kernel's introspection profile (vmi/profile.h) in the
 * guest's own kernel address space, over a read-only view of its memory
 * (struct hart_view), under an instruction budget. Its stores to guest
 * memory (the kernel's helpers keep counts in the current task) go to
 * private copies, a fresh set per call; a fault, an ecall, an exhausted
 * budget or too many pages stored to ends the run with an error. Nothing of
 * the guest changes either way.
 */
#ifndef MEMVISOR_VMI_CLASSIFY_H
#define MEMVISOR_VMI_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <memvisor/vmi.h>

#include "cpu/hart.h"
#include "vmi/profile.h"

/* Instructions the interface may spend per page frame (plus a fixed
 * allowance per call); it needs a few dozen. */
#define VMI_BUDGET_PER_PAGE 2000u
#define VMI_BUDGET_PER_CALL 100000u

struct vmi_map {
	char release[VMI_RELEASE_MAX]; /* the kernel's, as uname -r says */
	struct memvisor_vmi_info info; /* what the guest kernel reported */
	uint64_t min_pfn, npages;      /* the frames mapped: guest RAM */
	uint8_t *bytes;		       /* MEMVISOR_VMI_BYTE() per frame */
	uint64_t counts[MEMVISOR_PAGE_CLASSES]; /* frames per class */
	uint64_t free_pages;	 /* pages in free blocks: heads x 2^order */
	uint64_t instructions;	 /* what the interface ran */
	uint64_t private_copies; /* guest pages it stored to: copies, the
				    guest's own pages untouched */
	uint64_t tag;	/* the caller's: when it was taken (vmm: vm->resumes) */
	bool free_only; /* frames in use are all MEMVISOR_PAGE_OTHER */
};

/*
 * Classify every frame of guest RAM of the guest whose memory is gs, as
 * the paused VCPU cpu sees it (its satp, and its kernel's tp), with the
 * profile p of the kernel it runs; with free_only, tell only free blocks
 * and holes from frames in use (MEMVISOR_PAGE_OTHER), which is all that
 * sharing needs and costs a fraction. The guest must stay paused throughout.
 * Checks first that the guest's linux_banner is p's banner. Returns 0 and
 * fills *map (release with vmi_map_free()), or a negative errno with a
 * one-line reason in why: -EAGAIN (paging not on yet), -ESRCH (the guest
 * does not run p's kernel), -EFAULT (the interface faulted or ran out of
 * budget), -EPROTO (it reported nonsense, or a map whose free pages
 * disagree with the kernel's own count: vmi_map_check()), -ENOMEM.
 */
int vmi_classify(const struct vmi_profile *p, struct gstage *gs,
		 const struct hart *cpu, bool free_only, struct vmi_map *map,
		 char *why, size_t whylen);

/*
 * The most a page map's free pages may differ from the guest kernel's own
 * count (NR_FREE_PAGES) and still be taken for a map of this guest: the
 * kernel's count lags by its per-CPU counter deltas, and a paused CPU may
 * be in the middle of moving a block. A profile that does not describe the
 * guest (built for another config, say) reads its struct pages wrong and
 * lands far outside this.
 */
#define VMI_FREE_SLACK(npages) (4096u + (npages) / 32)

/*
 * Is map plausible as a map of the guest that reported map->info: are its
 * free pages within VMI_FREE_SLACK of the kernel's own count? Returns 0,
 * or -EPROTO with the two counts in why. vmi_classify() calls it; sharing
 * relies on it, since a wrong map would wipe pages the guest uses.
 */
int vmi_map_check(const struct vmi_map *map, char *why, size_t whylen);

void vmi_map_free(struct vmi_map *map);

/* A short name for a class ("free", "slab", ...), "?" for none. */
const char *vmi_class_name(unsigned class);

#endif
