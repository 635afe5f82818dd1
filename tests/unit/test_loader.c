/* SPDX-License-Identifier: MIT */
/* Unit tests for dev/loader: Image, ELF and initrd files into guest RAM. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/loader.h"
#include "mem/frame.h"
#include "mem/gmem.h"
#include "mem/gstage.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (16ull << 20)
#define RAM_END	 (RAM_BASE + RAM_SIZE)
#define MIB	 (1ull << 20)

#define MAX_FILES 8

struct fixture {
	struct frame_pool *pool;
	struct gstage gs;
	char dir[64];
	char paths[MAX_FILES][PATH_MAX];
	int nfiles;
	char why[512];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	if (!fx)
		return -1;
	if (frame_pool_create(64 * MIB, &fx->pool) ||
	    gstage_init(&fx->gs, fx->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&fx->gs, RAM_BASE, RAM_SIZE))
		return -1;
	strcpy(fx->dir, "/tmp/memvisor-test-loader-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	for (int i = 0; i < fx->nfiles; i++)
		unlink(fx->paths[i]);
	rmdir(fx->dir);
	gstage_destroy(&fx->gs);
	frame_pool_destroy(fx->pool);
	free(fx);
	return 0;
}

/* Write a file into the test's folder; returns its path. */
static const char *put_file(struct fixture *fx, const char *name,
			    const void *data, size_t len)
{
	char *path;
	FILE *f;

	assert_true(fx->nfiles < MAX_FILES);
	path = fx->paths[fx->nfiles++];
	snprintf(path, PATH_MAX, "%s/%s", fx->dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 7 + 3);
}

/* Every byte of guest memory [gpa, gpa + len) equals c. */
static void assert_guest_fill(struct fixture *fx, uint64_t gpa, int c,
			      size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(gmem_read(&fx->gs, gpa, buf, len), 0);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (uint8_t)c)
			fail_msg("guest byte 0x%llx is 0x%02x, expected 0x%02x",
				 (unsigned long long)(gpa + i), buf[i],
				 (uint8_t)c);
	free(buf);
}

static void assert_guest_bytes(struct fixture *fx, uint64_t gpa,
			       const void *want, size_t len)
{
	uint8_t *buf = malloc(len);

	assert_non_null(buf);
	assert_int_equal(gmem_read(&fx->gs, gpa, buf, len), 0);
	assert_memory_equal(buf, want, len);
	free(buf);
}

static void assert_why(struct fixture *fx, const char *needle)
{
	if (!strstr(fx->why, needle))
		fail_msg("reason \"%s\" lacks \"%s\"", fx->why, needle);
}

/* ---- RISC-V Linux Image ------------------------------------------------ */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* An Image of len bytes (header + pattern) whose header says image_size. */
static uint8_t *make_image(size_t len, uint64_t image_size)
{
	uint8_t *img = malloc(len);

	assert_non_null(img);
	for (size_t i = 0; i < len; i++)
		img[i] = pattern(i);
	memset(img, 0, 64);
	memcpy(img, "MZ\x6f\x10", 4);	    /* code0: the EFI-style "MZ" */
	put_le64(img + 8, 0x200000);	    /* text_offset */
	put_le64(img + 16, image_size);	    /* image_size */
	put_le64(img + 32, 0x2);	    /* version 0.2 (u32 + res1) */
	memcpy(img + 48, "RISCV\0\0\0", 8); /* magic, deprecated */
	memcpy(img + 56, "RSC\x05", 4);	    /* magic2 */
	return img;
}

static void test_image_loads(void **state)
{
	struct fixture *fx = *state;
	const size_t len = 3 * 4096 + 100;
	const uint64_t image_size = len + 8192; /* 8 KiB of bss */
	const uint64_t gpa = RAM_BASE + 2 * MIB;
	struct loader_image_info info;
	uint8_t *img = make_image(len, image_size);
	const char *path = put_file(fx, "Image", img, len);

	/* Old contents where the bss goes must be cleared. */
	assert_int_equal(gmem_fill(&fx->gs, gpa, 0xaa, image_size + 4096), 0);
	assert_int_equal(
	    loader_image(&fx->gs, path, gpa, &info, fx->why, sizeof(fx->why)),
	    0);
	assert_int_equal(info.entry, gpa);
	assert_int_equal(info.end, gpa + image_size);
	assert_int_equal(info.file_size, len);
	assert_int_equal(info.image_size, image_size);
	assert_int_equal(info.text_offset, 0x200000);
	assert_int_equal(info.version, 2);
	assert_guest_bytes(fx, gpa, img, len);
	assert_guest_fill(fx, gpa + len, 0, image_size - len);
	assert_guest_fill(fx, gpa + image_size, 0xaa, 4096); /* untouched */
	free(img);
}

/* A version 0.1 header has only the old "RISCV" magic. */
static void test_image_old_magic(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 4096);
	const char *path;

	memset(img + 56, 0, 4);
	put_le64(img + 32, 0x1);
	path = put_file(fx, "Image", img, 4096);
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 0);
	assert_int_equal(info.version, 1);
	assert_guest_bytes(fx, RAM_BASE, img, 4096);
	free(img);
}

static void test_image_bad_magic(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info = {.entry = 123};
	uint8_t *img = make_image(4096, 4096);
	const char *path;

	memcpy(img + 48, "ARM\x64\0\0\0\0", 8);
	memcpy(img + 56, "ARM\x64", 4);
	path = put_file(fx, "vmlinux.bin", img, 4096);
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, path);
	assert_why(fx, "not a RISC-V Linux Image (no RSC\\x05 magic at offset "
		       "56)");
	assert_int_equal(info.entry, 123);	  /* not filled on failure */
	assert_guest_fill(fx, RAM_BASE, 0, 4096); /* nothing written */
	free(img);
}

static void test_image_big_endian(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 4096);
	const char *path;

	put_le64(img + 24, 1);
	path = put_file(fx, "Image", img, 4096);
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "big-endian");
	free(img);
}

static void test_image_truncated(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 4096);
	const char *path = put_file(fx, "Image", img, 40);

	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "truncated: 40 bytes");
	free(img);
}

/* The file holds more than its header's image_size claims. */
static void test_image_longer_than_header(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(8192, 4096);
	const char *path = put_file(fx, "Image", img, 8192);

	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "header says 4096 bytes, file has 8192");
	free(img);
}

static void test_image_zero_size(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 0);
	const char *path = put_file(fx, "Image", img, 4096);

	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "image_size is 0");
	free(img);
}

static void test_image_too_big_for_ram(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 9 * MIB);
	const char *path = put_file(fx, "Image", img, 4096);

	/* 9 MiB from 8 MiB below the end of a 16 MiB RAM. */
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE + 8 * MIB, &info,
				      fx->why, sizeof(fx->why)),
			 -EFBIG);
	assert_why(fx, "needs 9 MiB from 0x80800000 but RAM ends at "
		       "0x81000000 — give more --memory");
	assert_guest_fill(fx, RAM_BASE + 8 * MIB, 0, 4096);
	/* From 6 MiB it fits, ending 1 MiB below the end of RAM. */
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE + 6 * MIB, &info,
				      fx->why, sizeof(fx->why)),
			 0);
	assert_int_equal(info.end, RAM_END - 1 * MIB);
	free(img);
}

static void test_image_bad_gpa(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	uint8_t *img = make_image(4096, 4096);
	const char *path = put_file(fx, "Image", img, 4096);

	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE + 0x1000, &info,
				      fx->why, sizeof(fx->why)),
			 -EINVAL);
	assert_why(fx, "0x80001000 is not 2 MiB aligned");
	assert_int_equal(loader_image(&fx->gs, path, 0x40000000, &info, fx->why,
				      sizeof(fx->why)),
			 -ERANGE);
	assert_why(fx, "outside guest RAM");
	assert_int_equal(loader_image(&fx->gs, path, RAM_END, &info, fx->why,
				      sizeof(fx->why)),
			 -ERANGE);
	free(img);
}

static void test_image_missing(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/no-such-Image", fx->dir);
	assert_int_equal(loader_image(&fx->gs, path, RAM_BASE, &info, fx->why,
				      sizeof(fx->why)),
			 -ENOENT);
	assert_why(fx, "no-such-Image: No such file or directory");
	/* A directory is not a kernel either; and why may be absent. */
	assert_int_equal(
	    loader_image(&fx->gs, fx->dir, RAM_BASE, &info, NULL, 0), -EISDIR);
}

/* A reason longer than the caller's buffer is cut, NUL-terminated. */
static void test_why_truncated(void **state)
{
	struct fixture *fx = *state;
	struct loader_image_info info;
	char why[8];

	memset(why, 'x', sizeof(why));
	assert_int_equal(loader_image(&fx->gs, "/nonexistent/Image", RAM_BASE,
				      &info, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "/nonexi");
}

/* ---- bare-metal ELF ---------------------------------------------------- */

struct seg {
	uint64_t vaddr, paddr, memsz;
	size_t filesz;
	uint8_t fill; /* file data: pattern(i) + fill */
};

/*
 * Write an ELF64 LE executable: header, program headers, then each
 * segment's file data. bad_offset puts the last segment's data beyond the
 * end of the file.
 */
static const char *make_elf(struct fixture *fx, const char *name,
			    uint16_t machine, uint64_t entry,
			    const struct seg *segs, int nsegs, bool bad_offset)
{
	size_t off = sizeof(Elf64_Ehdr) + nsegs * sizeof(Elf64_Phdr);
	size_t size = off;
	Elf64_Ehdr eh = {0};
	uint8_t *file;
	const char *path;

	for (int i = 0; i < nsegs; i++)
		size += segs[i].filesz;
	file = calloc(1, size);
	assert_non_null(file);

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = nsegs ? sizeof(Elf64_Ehdr) : 0;
	eh.e_ehsize = sizeof(Elf64_Ehdr);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)nsegs;
	memcpy(file, &eh, sizeof(eh));

	for (int i = 0; i < nsegs; i++) {
		Elf64_Phdr ph = {
		    .p_type = PT_LOAD,
		    .p_flags = PF_R | PF_W | PF_X,
		    .p_offset = off,
		    .p_vaddr = segs[i].vaddr,
		    .p_paddr = segs[i].paddr,
		    .p_filesz = segs[i].filesz,
		    .p_memsz = segs[i].memsz,
		    .p_align = 8,
		};

		if (bad_offset && i == nsegs - 1)
			ph.p_offset = size - segs[i].filesz / 2;
		memcpy(file + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr), &ph,
		       sizeof(ph));
		for (size_t k = 0; k < segs[i].filesz; k++)
			file[off + k] = (uint8_t)(pattern(k) + segs[i].fill);
		off += segs[i].filesz;
	}
	path = put_file(fx, name, file, size);
	free(file);
	return path;
}

static void assert_segment(struct fixture *fx, const struct seg *s)
{
	uint8_t *want = malloc(s->filesz);

	assert_non_null(want);
	for (size_t k = 0; k < s->filesz; k++)
		want[k] = (uint8_t)(pattern(k) + s->fill);
	assert_guest_bytes(fx, s->paddr, want, s->filesz);
	assert_guest_fill(fx, s->paddr + s->filesz, 0, s->memsz - s->filesz);
	free(want);
}

static void test_elf_loads(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[2] = {
	    {RAM_BASE, RAM_BASE, 300, 300, 0},
	    {RAM_BASE + 0x10000, RAM_BASE + 0x10000, 5000, 100, 0x40},
	};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "prog.elf", EM_RISCV, RAM_BASE + 0x10, segs, 2, false);

	assert_int_equal(gmem_fill(&fx->gs, RAM_BASE, 0xcc, 0x20000), 0);
	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)), 0);
	assert_int_equal(info.entry, RAM_BASE + 0x10);
	assert_int_equal(info.low, RAM_BASE);
	assert_int_equal(info.high, RAM_BASE + 0x10000 + 5000);
	assert_int_equal(info.segments, 2);
	assert_segment(fx, &segs[0]);
	assert_segment(fx, &segs[1]); /* bss zeroed */
	/* Bytes between and after the segments are not touched. */
	assert_guest_fill(fx, RAM_BASE + 300, 0xcc, 0x10000 - 300);
	assert_guest_fill(fx, RAM_BASE + 0x10000 + 5000, 0xcc, 64);
}

/* Linked high (p_vaddr), loaded low (p_paddr): the entry is translated. */
static void test_elf_entry_translated(void **state)
{
	struct fixture *fx = *state;
	const uint64_t va = 0xffffffff80000000ull;
	const struct seg segs[2] = {
	    {va, RAM_BASE + 0x200000, 0x1000, 0x800, 1},
	    {va + 0x1000, RAM_BASE + 0x201000, 0x100, 0x100, 2},
	};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "high.elf", EM_RISCV, va + 0x1040, segs, 2, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)), 0);
	assert_int_equal(info.entry, RAM_BASE + 0x201040);
	assert_segment(fx, &segs[0]);
	assert_segment(fx, &segs[1]);
}

static void test_elf_wrong_machine(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {{RAM_BASE, RAM_BASE, 64, 64, 0}};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "x86.elf", EM_X86_64, RAM_BASE, segs, 1, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "ELF machine 62 (x86-64), expected RISC-V (243)");
	assert_guest_fill(fx, RAM_BASE, 0, 64);
}

static void test_elf_wrong_class(void **state)
{
	struct fixture *fx = *state;
	Elf32_Ehdr eh = {0};
	struct loader_elf_info info;
	const char *path;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_RISCV;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	path = put_file(fx, "rv32.elf", &eh, sizeof(eh));
	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "expected ELF64");
}

static void test_elf_not_elf(void **state)
{
	struct fixture *fx = *state;
	struct loader_elf_info info;
	const char *path = put_file(fx, "text", "#!/bin/sh\necho hi\n", 18);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "not an ELF file");
}

/* The first segment is fine, the second outside RAM: nothing is loaded. */
static void test_elf_segment_outside_ram(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[2] = {
	    {RAM_BASE, RAM_BASE, 64, 64, 0},
	    {0x1000, 0x1000, 64, 64, 0},
	};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "low.elf", EM_RISCV, RAM_BASE, segs, 2, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ERANGE);
	assert_why(fx, "segment 1: address 0x1000 is outside guest RAM");
	assert_guest_fill(fx, RAM_BASE, 0, 64);
}

static void test_elf_segment_past_ram_end(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {
	    {RAM_END - 4096, RAM_END - 4096, 8192, 16, 0},
	};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "end.elf", EM_RISCV, RAM_END - 4096, segs, 1, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)), -EFBIG);
	assert_why(fx, "segment 0: needs 8 KiB from 0x80fff000");
}

/* p_paddr + p_memsz wraps around: must not pass as inside RAM. */
static void test_elf_segment_wraps(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {
	    {0, RAM_BASE, UINT64_MAX - 0x1000, 16, 0},
	};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "wrap.elf", EM_RISCV, RAM_BASE, segs, 1, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)), -EFBIG);
}

static void test_elf_data_past_eof(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {{RAM_BASE, RAM_BASE, 256, 256, 0}};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "short.elf", EM_RISCV, RAM_BASE, segs, 1, true);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "past the end of the file");
}

static void test_elf_filesz_over_memsz(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {{RAM_BASE, RAM_BASE, 16, 64, 0}};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "fm.elf", EM_RISCV, RAM_BASE, segs, 1, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "file size 64 exceeds memory size 16");
}

static void test_elf_entry_outside(void **state)
{
	struct fixture *fx = *state;
	const struct seg segs[1] = {{RAM_BASE, RAM_BASE, 64, 64, 0}};
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "entry.elf", EM_RISCV, RAM_BASE + 64, segs, 1, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "entry point 0x80000040 is in no PT_LOAD segment");
}

static void test_elf_no_segments(void **state)
{
	struct fixture *fx = *state;
	struct loader_elf_info info;
	const char *path =
	    make_elf(fx, "empty.elf", EM_RISCV, RAM_BASE, NULL, 0, false);

	assert_int_equal(
	    loader_elf(&fx->gs, path, &info, fx->why, sizeof(fx->why)),
	    -ENOEXEC);
	assert_why(fx, "no PT_LOAD segment");
}

/* ---- initrd ------------------------------------------------------------ */

/* Append one newc entry to buf at *off; returns the new end. */
static size_t cpio_entry(uint8_t *buf, size_t off, const char *magic,
			 const char *name, const void *data, size_t len)
{
	size_t namesize = strlen(name) + 1;

	off += (size_t)sprintf((char *)buf + off,
			       "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X"
			       "%08X%08X",
			       magic, 1u, len ? 0100755u : 040755u, 0u, 0u, 1u,
			       0u, (unsigned)len, 0u, 0u, 0u, 0u,
			       (unsigned)namesize, 0u);
	memcpy(buf + off, name, namesize);
	off = (off + namesize + 3) & ~(size_t)3;
	if (len)
		memcpy(buf + off, data, len);
	return (off + len + 3) & ~(size_t)3;
}

/* A small archive: ".", "init" (1000 bytes), the trailer, padded to 512. */
static size_t make_cpio(uint8_t *buf, const char *magic)
{
	uint8_t data[1000];
	size_t off = 0;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	off = cpio_entry(buf, off, magic, ".", NULL, 0);
	off = cpio_entry(buf, off, magic, "init", data, sizeof(data));
	off = cpio_entry(buf, off, magic, "TRAILER!!!", NULL, 0);
	memset(buf + off, 0, 512 - off % 512);
	return off + (512 - off % 512);
}

static void test_initrd_cpio(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[2048];
	size_t len = make_cpio(buf, "070701");
	const char *path = put_file(fx, "init.cpio", buf, len);
	uint64_t size = 0;

	assert_int_equal(len, 1536);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE + 8 * MIB, MIB,
				       &size, fx->why, sizeof(fx->why)),
			 0);
	assert_int_equal(size, len);
	assert_guest_bytes(fx, RAM_BASE + 8 * MIB, buf, len);
}

static void test_initrd_cpio_crc(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[2048];
	size_t len = make_cpio(buf, "070702");
	const char *path = put_file(fx, "crc.cpio", buf, len);
	uint64_t size = 0;

	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 0);
	assert_int_equal(size, len);
}

static void test_initrd_cpio_truncated(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[2048];
	const char *path;
	uint64_t size = 7;

	make_cpio(buf, "070701");
	/* Cut inside the body of "init" (it runs from 228 to 1228). */
	path = put_file(fx, "cut.cpio", buf, 600);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "truncated cpio archive: 'init' needs 1000 bytes");
	assert_int_equal(size, 7);
	assert_guest_fill(fx, RAM_BASE, 0, 600);

	/* Cut right before the trailer: no TRAILER!!! entry. */
	path = put_file(fx, "notrailer.cpio", buf, 1228);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "no header at offset 1228");
}

static void test_initrd_cpio_corrupt(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[2048];
	size_t len = make_cpio(buf, "070701");
	const char *path;
	uint64_t size;

	buf[112 + 6 + 8 * 6 + 3] = 'g'; /* filesize of the second entry */
	path = put_file(fx, "bad.cpio", buf, len);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "corrupt cpio archive: bad header field at offset 166");
}

static void test_initrd_garbage(void **state)
{
	struct fixture *fx = *state;
	const char *path = put_file(fx, "junk", "hello, world\n", 13);
	uint64_t size;

	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "not an initramfs (cpio newc or compressed)");
	path = put_file(fx, "odc.cpio", "070707000000", 12);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "-H newc");
	path = put_file(fx, "empty", "", 0);
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, MIB, &size,
				       fx->why, sizeof(fx->why)),
			 -ENOEXEC);
	assert_why(fx, "empty");
}

/* Compressed archives are recognised by their magic and loaded as is. */
static void test_initrd_compressed(void **state)
{
	static const struct {
		const char *name;
		uint8_t magic[6];
	} kinds[] = {
	    {"gz", {0x1f, 0x8b, 0x08, 0x00}},
	    {"xz", {0xfd, '7', 'z', 'X', 'Z', 0x00}},
	    {"zst", {0x28, 0xb5, 0x2f, 0xfd}},
	    {"lz4", {0x02, 0x21, 0x4c, 0x18}},
	    {"bz2", {'B', 'Z', 'h', '9'}},
	};
	struct fixture *fx = *state;
	uint8_t buf[300];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		uint64_t gpa = RAM_BASE + k * 4096, size = 0;
		const char *path;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = (uint8_t)(pattern(i) + k);
		memcpy(buf, kinds[k].magic, 6);
		path = put_file(fx, kinds[k].name, buf, sizeof(buf));
		assert_int_equal(loader_initrd(&fx->gs, path, gpa, MIB, &size,
					       fx->why, sizeof(fx->why)),
				 0);
		assert_int_equal(size, sizeof(buf));
		assert_guest_bytes(fx, gpa, buf, sizeof(buf));
	}
}

static void test_initrd_limits(void **state)
{
	struct fixture *fx = *state;
	uint8_t buf[2048];
	size_t len = make_cpio(buf, "070701");
	const char *path = put_file(fx, "init.cpio", buf, len);
	uint64_t size;

	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE, len - 1, &size,
				       fx->why, sizeof(fx->why)),
			 -EFBIG);
	assert_why(fx, "1536 bytes, but only 1535 bytes are free");
	assert_why(fx, "give more --memory");
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_END - 1024, MIB,
				       &size, fx->why, sizeof(fx->why)),
			 -EFBIG);
	assert_why(fx, "RAM ends at 0x81000000");
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_BASE - 4096, MIB,
				       &size, fx->why, sizeof(fx->why)),
			 -ERANGE);
	/* Exactly at the limit and at the end of RAM is fine. */
	assert_int_equal(loader_initrd(&fx->gs, path, RAM_END - len, len, &size,
				       fx->why, sizeof(fx->why)),
			 0);
	assert_guest_bytes(fx, RAM_END - len, buf, len);
}

/* ---- layout ------------------------------------------------------------ */

static void test_layout(void **state)
{
	struct fixture *fx = *state;
	struct loader_layout lay;
	const uint64_t base = 0x80000000, size = 256 * MIB;

	assert_int_equal(loader_layout_linux(base, size, base, base + 10 * MIB,
					     MIB + 100, 64 * 1024, &lay,
					     fx->why, sizeof(fx->why)),
			 0);
	assert_int_equal(lay.kernel_gpa, base);
	assert_int_equal(lay.kernel_end, base + 10 * MIB);
	assert_int_equal(lay.fdt_gpa, 0x8fe00000);
	assert_int_equal(lay.fdt_size, 64 * 1024);
	assert_int_equal(lay.initrd_gpa, 0x8fe00000 - 0x101000);
	assert_int_equal(lay.initrd_size, 0x101000);

	/* No initrd. */
	assert_int_equal(loader_layout_linux(base, size, base, base + 10 * MIB,
					     0, 64 * 1024, &lay, fx->why,
					     sizeof(fx->why)),
			 0);
	assert_int_equal(lay.initrd_gpa, 0);
	assert_int_equal(lay.initrd_size, 0);
	assert_int_equal(lay.fdt_gpa, 0x8fe00000);

	/* RAM that does not end on 2 MiB: the tree still sits on one. */
	assert_int_equal(loader_layout_linux(base, 13 * MIB, base, base + MIB,
					     0, 4096, &lay, fx->why,
					     sizeof(fx->why)),
			 0);
	assert_int_equal(lay.fdt_gpa, base + 12 * MIB);
}

static void test_layout_overlap(void **state)
{
	struct fixture *fx = *state;
	struct loader_layout lay = {0};
	const uint64_t base = 0x80000000;

	/* 12 MiB of RAM, 10 MiB kernel: the tree fits at 10 MiB... */
	assert_int_equal(loader_layout_linux(base, 12 * MIB, base,
					     base + 10 * MIB, 0, 64 * 1024,
					     &lay, fx->why, sizeof(fx->why)),
			 0);
	assert_int_equal(lay.fdt_gpa, base + 10 * MIB);
	/* ...but then an initrd of even one byte does not. */
	assert_int_equal(loader_layout_linux(base, 12 * MIB, base,
					     base + 10 * MIB, 1, 64 * 1024,
					     &lay, fx->why, sizeof(fx->why)),
			 -EFBIG);
	assert_why(fx, "give more --memory");
	/* A kernel that reaches the top 2 MiB leaves no room for the tree. */
	assert_int_equal(
	    loader_layout_linux(base, 12 * MIB, base, base + 10 * MIB + 4096, 0,
				64 * 1024, &lay, fx->why, sizeof(fx->why)),
	    -EFBIG);
	assert_why(fx, "the kernel (10.0 MiB at 0x80000000)");
	/* An initrd larger than RAM: no wrap-around into a bogus slot. */
	assert_int_equal(loader_layout_linux(base, 12 * MIB, base, base + MIB,
					     UINT64_MAX - 4096, 64 * 1024, &lay,
					     fx->why, sizeof(fx->why)),
			 -EFBIG);
	/* A kernel outside RAM is the caller's mistake. */
	assert_int_equal(loader_layout_linux(base, 12 * MIB, 0, 4096, 0,
					     64 * 1024, &lay, fx->why,
					     sizeof(fx->why)),
			 -EINVAL);
}

static void test_file_size(void **state)
{
	struct fixture *fx = *state;
	const char *path = put_file(fx, "f", "12345", 5);
	uint64_t size = 0;

	assert_int_equal(
	    loader_file_size(path, &size, fx->why, sizeof(fx->why)), 0);
	assert_int_equal(size, 5);
	assert_int_equal(
	    loader_file_size(fx->dir, &size, fx->why, sizeof(fx->why)),
	    -EINVAL);
	assert_why(fx, "not a regular file");
	assert_int_equal(loader_file_size("/nonexistent/initrd", &size, fx->why,
					  sizeof(fx->why)),
			 -ENOENT);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_image_loads),
	    T(test_image_old_magic),
	    T(test_image_bad_magic),
	    T(test_image_big_endian),
	    T(test_image_truncated),
	    T(test_image_longer_than_header),
	    T(test_image_zero_size),
	    T(test_image_too_big_for_ram),
	    T(test_image_bad_gpa),
	    T(test_image_missing),
	    T(test_why_truncated),
	    T(test_elf_loads),
	    T(test_elf_entry_translated),
	    T(test_elf_wrong_machine),
	    T(test_elf_wrong_class),
	    T(test_elf_not_elf),
	    T(test_elf_segment_outside_ram),
	    T(test_elf_segment_past_ram_end),
	    T(test_elf_segment_wraps),
	    T(test_elf_data_past_eof),
	    T(test_elf_filesz_over_memsz),
	    T(test_elf_entry_outside),
	    T(test_elf_no_segments),
	    T(test_initrd_cpio),
	    T(test_initrd_cpio_crc),
	    T(test_initrd_cpio_truncated),
	    T(test_initrd_cpio_corrupt),
	    T(test_initrd_garbage),
	    T(test_initrd_compressed),
	    T(test_initrd_limits),
	    T(test_layout),
	    T(test_layout_overlap),
	    T(test_file_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
