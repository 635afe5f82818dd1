/* SPDX-License-Identifier: MIT */
/*
 * The introspection interface: what memvisor's fixed interface function
 * (guest/vmi/interface.c, compiled against each guest kernel's own source
 * and config) computes, and how memvisor calls it.
 *
 * memvisor runs the function on its software CPU, in the paused guest's
 * kernel address space, with a read-only view of guest memory: the only
 * writable memory is a scratch area of memvisor's own (stack and the output
 * buffers below). Both entry points follow the RISC-V calling convention:
 *
 *   long memvisor_vmi_info(struct memvisor_vmi_info *info)
 *     OUT *info. Returns 0.
 *
 *   long memvisor_vmi_classify(unsigned long pfn, unsigned long count,
 *                              unsigned char *map)
 *     IN  pfn, count: the page frames [pfn, pfn + count); pfn is a multiple
 *         of MEMVISOR_VMI_CHUNK and count at most that, so that no free
 *         block (naturally aligned, at most 2^15 pages) straddles two calls.
 *     OUT map[i] = MEMVISOR_VMI_BYTE(class, order) of frame pfn + i, but
 *         for the pages after the head of a free block (its 2^order - 1
 *         tails): those are skipped, and memvisor marks them
 *         MEMVISOR_PAGE_FREE_TAIL.
 *     Returns the number of frames classified (count).
 *
 *   long memvisor_vmi_classify_free(unsigned long pfn, unsigned long count,
 *                                   unsigned char *map)
 *     As memvisor_vmi_classify(), but only free blocks and holes are told
 *     apart: every other frame is MEMVISOR_PAGE_OTHER, unexamined. What
 *     sharing free pages needs, at a fraction of the cost.
 *
 * Both sides include this header: it has no dependencies.
 */
#ifndef MEMVISOR_VMI_H
#define MEMVISOR_VMI_H

#define MEMVISOR_VMI_ABI_VERSION 2
#define MEMVISOR_VMI_CHUNK	 32768ul

/* What a guest page frame is used for. */
enum memvisor_page_class {
	MEMVISOR_PAGE_OTHER = 0,     /* in use, none of the below */
	MEMVISOR_PAGE_FREE = 1,	     /* first page of a free buddy block */
	MEMVISOR_PAGE_FREE_TAIL = 2, /* another page of a free buddy block */
	MEMVISOR_PAGE_SLAB = 3,	     /* slab allocator */
	MEMVISOR_PAGE_PGTABLE = 4,   /* a page table */
	MEMVISOR_PAGE_ANON = 5,	     /* anonymous user memory */
	MEMVISOR_PAGE_FILE = 6,	     /* page cache, file-backed or on an LRU */
	MEMVISOR_PAGE_KERNEL = 7,    /* reserved: kernel image, boot memory */
	MEMVISOR_PAGE_HOLE = 8,	     /* no struct page for this frame */
	MEMVISOR_PAGE_CLASSES = 9,
};

/* One byte per frame: the class, and for MEMVISOR_PAGE_FREE the order of
 * the free block it heads (2^order pages). */
#define MEMVISOR_VMI_BYTE(class, order)                                        \
	((unsigned char)((class) | ((order) << 4)))
#define MEMVISOR_VMI_CLASS(byte) ((byte)&0xf)
#define MEMVISOR_VMI_ORDER(byte) (((byte) >> 4) & 0xf)

struct memvisor_vmi_info {
	unsigned long long abi_version; /* MEMVISOR_VMI_ABI_VERSION */
	unsigned long long page_shift;	/* log2 of the page size */
	unsigned long long min_pfn;	/* first frame of RAM */
	unsigned long long max_pfn;	/* one past the last frame of RAM */
	unsigned long long max_order;	/* largest free block order */
	unsigned long long free_pages;	/* the kernel's NR_FREE_PAGES count */
	unsigned long long pcp_pages;	/* free pages on per-CPU lists (not
					   in the map: not on the buddy lists) */
};

/*
 * The page map as a file (memvisor ctl inspect --map FILE): this header,
 * then one MEMVISOR_VMI_BYTE() per frame from min_pfn, frames of them.
 * Little-endian.
 */
#define MEMVISOR_PAGE_MAP_MAGIC "MVPGMAP1"

struct memvisor_page_map_file {
	char magic[8]; /* MEMVISOR_PAGE_MAP_MAGIC, no NUL */
	unsigned long long min_pfn;
	unsigned long long frames;
};

#endif
