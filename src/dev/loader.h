/* SPDX-License-Identifier: MIT */
/*
 * Loaders: put a kernel, a bare-metal program or an initrd from a host file
 * into guest RAM, through the checked accessor (mem/gmem.h).
 *
 * Files are untrusted input: every size and offset read from a header is
 * checked against the file and against guest RAM (overflow-checked) before
 * anything is written, so a rejected file leaves guest memory untouched.
 *
 * Every loader returns 0 or a negative errno and, on failure, writes a
 * one-line reason for a person into why[whylen] (always NUL-terminated when
 * whylen > 0; why may be NULL when whylen is 0). The reason starts with the
 * file's path and, where it helps, says what to do.
 *
 * Booting Linux, in order (the layout is loader_layout_linux()'s):
 *   1. loader_image(gs, kernel, LOADER_ALIGN_UP(ram_base, LOADER_IMAGE_ALIGN),
 *      &img, ...): the Image at the first 2 MiB boundary of RAM;
 *   2. loader_file_size(initrd, &initrd_size, ...), if there is an initrd;
 *   3. loader_layout_linux(ram_base, ram_size, img.entry, img.end,
 *      initrd_size, DEVTREE_MAX_SIZE, &lay, ...);
 *   4. loader_initrd(gs, initrd, lay.initrd_gpa, lay.initrd_size, ...);
 *   5. devtree_build() with the initrd's range, then gmem_write() of the
 *      blob at lay.fdt_gpa; enter hart 0 at img.entry with a0 = 0 and
 *      a1 = lay.fdt_gpa.
 */
#ifndef MEMVISOR_DEV_LOADER_H
#define MEMVISOR_DEV_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "mem/gstage.h"

/* Round x up / down to a multiple of a (a power of two). */
#define LOADER_ALIGN_UP(x, a)	(((x) + (a)-1) & ~((uint64_t)(a)-1))
#define LOADER_ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))

/* An RV64 Linux Image must start on a PMD (2 MiB) boundary. */
#define LOADER_IMAGE_ALIGN (2ull << 20)

/* The device tree sits on a 2 MiB boundary at the top of RAM (as QEMU's). */
#define LOADER_FDT_ALIGN (2ull << 20)

/* The initrd starts on a page boundary. */
#define LOADER_INITRD_ALIGN 4096ull

/* Size of the RISC-V Linux Image header. */
#define LOADER_IMAGE_HEADER_SIZE 64

/* What loader_image() loaded. */
struct loader_image_info {
	uint64_t entry;	      /* gpa to enter the kernel at: the load gpa */
	uint64_t end;	      /* entry + image_size: first byte after it */
	uint64_t file_size;   /* bytes copied from the file */
	uint64_t image_size;  /* from the header: the file plus its bss */
	uint64_t text_offset; /* from the header (firmware's gap; unused) */
	uint32_t version;     /* header version: major << 16 | minor */
};

/*
 * Load the RISC-V Linux Image at path (Documentation/riscv/
 * boot-image-header.rst) at guest-physical gpa: the file is copied to gpa
 * and the rest of the header's image_size (the bss) is zeroed. The header's
 * text_offset is ignored: it is the gap a firmware below the kernel needs,
 * and there is none. Requires gpa aligned to LOADER_IMAGE_ALIGN and
 * [gpa, gpa + image_size) inside gs's RAM.
 * Returns 0 and fills *info, or -ENOENT (and other open errors), -EINVAL
 * (gpa unaligned), -ENOEXEC (not a little-endian RISC-V Image, header
 * truncated, or a file longer than its image_size), -ERANGE (gpa outside
 * RAM), -EFBIG (the image does not fit in RAM from gpa), -EIO, or an error
 * of gmem_write().
 */
int loader_image(struct gstage *gs, const char *path, uint64_t gpa,
		 struct loader_image_info *info, char *why, size_t whylen);

/* What loader_elf() loaded. */
struct loader_elf_info {
	uint64_t entry;	   /* gpa of the entry point */
	uint64_t low;	   /* lowest gpa loaded */
	uint64_t high;	   /* one past the highest gpa loaded */
	unsigned segments; /* PT_LOAD segments loaded */
};

/*
 * Load a bare-metal ELF64 little-endian RISC-V executable (ET_EXEC): every
 * PT_LOAD segment goes to its p_paddr, p_filesz bytes from the file and the
 * rest of p_memsz zeroed. The entry point e_entry is translated through the
 * segment whose [p_vaddr, p_vaddr + p_memsz) holds it. Every segment must
 * lie inside gs's RAM; nothing is written unless all of them do.
 * Returns 0 and fills *info, or -ENOENT (and other open errors), -ENOEXEC
 * (not ELF, wrong class, byte order, machine or type, no PT_LOAD, a segment
 * whose data is beyond the file or whose filesz exceeds memsz, an entry
 * point in no segment), -ERANGE (a segment outside RAM), -EFBIG (a segment
 * running past the end of RAM), -EIO, or an error of gmem_write().
 */
int loader_elf(struct gstage *gs, const char *path,
	       struct loader_elf_info *info, char *why, size_t whylen);

/*
 * Size in bytes of the regular file at path, for planning a layout.
 * Returns 0 and sets *size, or a negative errno from stat(), or -EINVAL
 * when path is not a regular file.
 */
int loader_file_size(const char *path, uint64_t *size, char *why,
		     size_t whylen);

/*
 * Load the initramfs at path to guest-physical gpa, using at most limit
 * bytes. The file must look like something Linux unpacks: a cpio archive in
 * the newc format ("070701", or "070702" with checksums), whose headers are
 * walked up to the TRAILER!!! entry (anything after it, such as more
 * archives, is not checked), or a stream compressed with gzip, bzip2, lzma,
 * xz, lzo, lz4 (legacy) or zstd, recognised by its magic only (the guest
 * kernel must have the matching decompressor configured).
 * Returns 0 and sets *size to the bytes loaded, or -ENOENT (and other open
 * errors), -ENOEXEC (empty, not an initramfs, or a truncated or corrupt
 * newc archive), -EFBIG (larger than limit, or past the end of RAM),
 * -ERANGE (gpa outside RAM), -EIO, or an error of gmem_write().
 */
int loader_initrd(struct gstage *gs, const char *path, uint64_t gpa,
		  uint64_t limit, uint64_t *size, char *why, size_t whylen);

/* Where a Linux boot puts things in guest RAM (see loader_layout_linux()). */
struct loader_layout {
	uint64_t kernel_gpa; /* [kernel_gpa, kernel_end): the Image */
	uint64_t kernel_end;
	uint64_t initrd_gpa;  /* [initrd_gpa, + initrd_size): room for the */
	uint64_t initrd_size; /* initrd, ending at fdt_gpa; 0 and 0: none */
	uint64_t fdt_gpa;     /* [fdt_gpa, + fdt_size): the device tree */
	uint64_t fdt_size;
};

/*
 * Plan a Linux boot in RAM [ram_base, ram_base + ram_size) around a kernel
 * already placed at [kernel_gpa, kernel_end) (loader_image()'s entry and
 * end): the device tree at the highest LOADER_FDT_ALIGN boundary that leaves
 * fdt_size bytes below the end of RAM (so a tree of up to 2 MiB lands at
 * RAM end - 2 MiB when RAM ends on a 2 MiB boundary, whatever its size),
 * and the initrd, when initrd_size > 0, right below the device tree,
 * starting on a LOADER_INITRD_ALIGN boundary; its slot (initrd_size) runs up
 * to fdt_gpa and is what loader_initrd() should get as its limit.
 * Returns 0 and fills *lay, or -EINVAL (fdt_size 0, RAM wrapping, the
 * kernel outside RAM), -EFBIG when the device tree or the initrd would
 * overlap the kernel (the reason gives the sizes and asks for more memory).
 */
int loader_layout_linux(uint64_t ram_base, uint64_t ram_size,
			uint64_t kernel_gpa, uint64_t kernel_end,
			uint64_t initrd_size, uint64_t fdt_size,
			struct loader_layout *lay, char *why, size_t whylen);

#endif
