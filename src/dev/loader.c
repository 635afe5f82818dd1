/* SPDX-License-Identifier: MIT */
/* Loaders for the Linux Image, bare-metal ELF and initramfs files. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "dev/loader.h"
#include "mem/gmem.h"

#define MIB (1ull << 20)
#define KIB (1ull << 10)

/* Files are copied into the guest in pieces of this size. */
#define LOADER_CHUNK (256u * 1024)

/* Offsets of the fields of the RISC-V Image header we read. */
#define IMAGE_OFF_TEXT_OFFSET 8
#define IMAGE_OFF_IMAGE_SIZE  16
#define IMAGE_OFF_FLAGS	      24
#define IMAGE_OFF_VERSION     32
#define IMAGE_OFF_MAGIC	      48
#define IMAGE_OFF_MAGIC2      56
#define IMAGE_FLAG_BE	      (1ull << 0)

/* newc cpio: a 110-byte ASCII header, then the name, both padded to 4. */
#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX	 4096
#define CPIO_TRAILER	 "TRAILER!!!"
/* Its fields: ino mode uid gid nlink mtime filesize devmajor devminor
 * rdevmajor rdevminor namesize check, each 8 hex digits. */
#define CPIO_FIELDS	    13
#define CPIO_FIELD_FILESIZE 6
#define CPIO_FIELD_NAMESIZE 11

static void loader_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void loader_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A size for a person: "9 MiB", "1.5 MiB", "12 KiB" or "100 bytes". */
static const char *loader_size_str(uint64_t n, char *buf, size_t len)
{
	if (n >= MIB && n % MIB == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(n / MIB));
	else if (n >= MIB)
		snprintf(buf, len, "%.1f MiB", (double)n / MIB);
	else if (n >= KIB && n % KIB == 0)
		snprintf(buf, len, "%llu KiB", (unsigned long long)(n / KIB));
	else
		snprintf(buf, len, "%llu bytes", (unsigned long long)n);
	return buf;
}

static uint64_t loader_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t loader_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Open a regular file for reading; on success *fd and *size are set. */
static int loader_open(const char *path, int *fd, uint64_t *size, char *why,
		       size_t whylen)
{
	struct stat st;
	int err;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		err = -errno;
		loader_why(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(*fd, &st)) {
		err = -errno;
		loader_why(why, whylen, "%s: %s", path, strerror(-err));
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		loader_why(why, whylen, "%s: not a regular file", path);
		goto err_close;
	}
	*size = (uint64_t)st.st_size;
	return 0;

err_close:
	close(*fd);
	*fd = -1;
	return err;
}

/*
 * Read exactly len bytes at off. A file that ends early (it changed since
 * its size was taken) is -EIO.
 */
static int loader_pread(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Copy len bytes of the file at off into the guest at gpa. */
static int loader_copy(struct gstage *gs, int fd, uint64_t off, uint64_t gpa,
		       uint64_t len, const char *path, char *why, size_t whylen)
{
	uint8_t *buf;
	int err = 0;

	buf = malloc(LOADER_CHUNK);
	if (!buf) {
		loader_why(why, whylen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (len) {
		size_t n = len < LOADER_CHUNK ? (size_t)len : LOADER_CHUNK;

		err = loader_pread(fd, buf, n, off);
		if (err) {
			loader_why(why, whylen,
				   "%s: reading at offset %llu: %s", path,
				   (unsigned long long)off,
				   err == -EIO ? "the file shrank while loading"
					       : strerror(-err));
			goto out;
		}
		err = gmem_write(gs, gpa, buf, n);
		if (err) {
			loader_why(why, whylen,
				   "%s: writing guest memory at 0x%llx: %s",
				   path, (unsigned long long)gpa,
				   strerror(-err));
			goto out;
		}
		off += n;
		gpa += n;
		len -= n;
	}
out:
	free(buf);
	return err;
}

/* Zero len bytes of guest memory at gpa. */
static int loader_zero(struct gstage *gs, uint64_t gpa, uint64_t len,
		       const char *path, char *why, size_t whylen)
{
	int err = 0;

	/* gmem_fill() takes a size_t; step so a 32-bit size_t also works. */
	while (len && !err) {
		size_t n = len < (1ull << 30) ? (size_t)len : (1u << 30);

		err = gmem_fill(gs, gpa, 0, n);
		gpa += n;
		len -= n;
	}
	if (err)
		loader_why(why, whylen,
			   "%s: zeroing guest memory at 0x%llx: %s", path,
			   (unsigned long long)gpa, strerror(-err));
	return err;
}

/*
 * Check that [gpa, gpa + size) lies inside gs's RAM. who names the thing
 * in the reason ("build/Image", "prog.elf: segment 2").
 */
static int loader_check_ram(const struct gstage *gs, uint64_t gpa,
			    uint64_t size, const char *who, char *why,
			    size_t whylen)
{
	uint64_t ram_end = gs->ram_base + gs->ram_size;
	char s[32];

	if (gpa < gs->ram_base || gpa > ram_end || (gpa == ram_end && size)) {
		loader_why(why, whylen,
			   "%s: address 0x%llx is outside guest RAM "
			   "[0x%llx, 0x%llx)",
			   who, (unsigned long long)gpa,
			   (unsigned long long)gs->ram_base,
			   (unsigned long long)ram_end);
		return -ERANGE;
	}
	if (size > ram_end - gpa) {
		loader_why(why, whylen,
			   "%s: needs %s from 0x%llx but RAM ends at 0x%llx "
			   "— give more --memory",
			   who, loader_size_str(size, s, sizeof(s)),
			   (unsigned long long)gpa,
			   (unsigned long long)ram_end);
		return -EFBIG;
	}
	return 0;
}

int loader_file_size(const char *path, uint64_t *size, char *why, size_t whylen)
{
	struct stat st;
	int err;

	if (stat(path, &st)) {
		err = -errno;
		loader_why(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		loader_why(why, whylen, "%s: not a regular file", path);
		return -EINVAL;
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

/* ---- RISC-V Linux Image ------------------------------------------------ */

/* Check the header; fills the header fields of *info. */
static int loader_image_header(const uint8_t *h, uint64_t file_size,
			       const char *path, struct loader_image_info *info,
			       char *why, size_t whylen)
{
	static const uint8_t magic[8] = "RISCV\0\0";
	static const uint8_t magic2[4] = "RSC\x05";
	uint64_t flags;

	/* "magic" is deprecated since header 0.2; "magic2" replaces it. */
	if (memcmp(h + IMAGE_OFF_MAGIC2, magic2, sizeof(magic2)) &&
	    memcmp(h + IMAGE_OFF_MAGIC, magic, sizeof(magic))) {
		loader_why(why, whylen,
			   "%s: not a RISC-V Linux Image (no RSC\\x05 magic "
			   "at offset %d)",
			   path, IMAGE_OFF_MAGIC2);
		return -ENOEXEC;
	}
	flags = loader_le64(h + IMAGE_OFF_FLAGS);
	if (flags & IMAGE_FLAG_BE) {
		loader_why(why, whylen,
			   "%s: a big-endian kernel (header flags 0x%llx); "
			   "the guest is little-endian",
			   path, (unsigned long long)flags);
		return -ENOEXEC;
	}
	info->text_offset = loader_le64(h + IMAGE_OFF_TEXT_OFFSET);
	info->image_size = loader_le64(h + IMAGE_OFF_IMAGE_SIZE);
	info->version = loader_le32(h + IMAGE_OFF_VERSION);
	info->file_size = file_size;
	if (!info->image_size) {
		loader_why(why, whylen,
			   "%s: the Image header's image_size is 0; a boot "
			   "loader needs it",
			   path);
		return -ENOEXEC;
	}
	/* image_size may exceed the file (the bss), never the reverse. */
	if (file_size > info->image_size) {
		loader_why(why, whylen,
			   "%s: too big: header says %llu bytes, file has %llu",
			   path, (unsigned long long)info->image_size,
			   (unsigned long long)file_size);
		return -ENOEXEC;
	}
	return 0;
}

int loader_image(struct gstage *gs, const char *path, uint64_t gpa,
		 struct loader_image_info *info, char *why, size_t whylen)
{
	uint8_t h[LOADER_IMAGE_HEADER_SIZE];
	struct loader_image_info img = {0};
	uint64_t size;
	int fd, err;

	err = loader_open(path, &fd, &size, why, whylen);
	if (err)
		return err;
	if (size < sizeof(h)) {
		loader_why(
		    why, whylen,
		    "%s: truncated: %llu bytes, shorter than the %d-byte "
		    "RISC-V Image header",
		    path, (unsigned long long)size, LOADER_IMAGE_HEADER_SIZE);
		err = -ENOEXEC;
		goto err_close;
	}
	err = loader_pread(fd, h, sizeof(h), 0);
	if (err) {
		loader_why(why, whylen, "%s: reading the header: %s", path,
			   err == -EIO ? "the file shrank" : strerror(-err));
		goto err_close;
	}
	err = loader_image_header(h, size, path, &img, why, whylen);
	if (err)
		goto err_close;
	if (gpa % LOADER_IMAGE_ALIGN) {
		loader_why(why, whylen,
			   "%s: load address 0x%llx is not 2 MiB aligned, as "
			   "an RV64 kernel requires",
			   path, (unsigned long long)gpa);
		err = -EINVAL;
		goto err_close;
	}
	err = loader_check_ram(gs, gpa, img.image_size, path, why, whylen);
	if (err)
		goto err_close;

	err = loader_copy(gs, fd, 0, gpa, size, path, why, whylen);
	if (err)
		goto err_close;
	err = loader_zero(gs, gpa + size, img.image_size - size, path, why,
			  whylen);
	if (err)
		goto err_close;
	close(fd);

	img.entry = gpa;
	img.end = gpa + img.image_size;
	*info = img;
	return 0;

err_close:
	close(fd);
	return err;
}

/* ---- bare-metal ELF ---------------------------------------------------- */

static const char *loader_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386:
		return " (i386)";
	case EM_X86_64:
		return " (x86-64)";
	case EM_ARM:
		return " (ARM)";
	case EM_AARCH64:
		return " (AArch64)";
	default:
		return "";
	}
}

/* Check the ELF header: an ELF64 little-endian RISC-V executable. */
static int loader_elf_header(Elf *e, GElf_Ehdr *eh, const char *path, char *why,
			     size_t whylen)
{
	if (elf_kind(e) != ELF_K_ELF) {
		loader_why(why, whylen, "%s: not an ELF file", path);
		return -ENOEXEC;
	}
	if (gelf_getclass(e) != ELFCLASS64) {
		loader_why(why, whylen,
			   "%s: ELF class %d, expected ELF64 for an RV64 guest",
			   path, gelf_getclass(e));
		return -ENOEXEC;
	}
	if (!gelf_getehdr(e, eh)) {
		loader_why(why, whylen, "%s: bad ELF header: %s", path,
			   elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		loader_why(why, whylen,
			   "%s: big-endian ELF; the guest is little-endian",
			   path);
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_RISCV) {
		loader_why(why, whylen,
			   "%s: ELF machine %u%s, expected RISC-V (%u)", path,
			   eh->e_machine, loader_machine_name(eh->e_machine),
			   EM_RISCV);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		loader_why(why, whylen,
			   "%s: ELF type %u, expected a static executable "
			   "(ET_EXEC)",
			   path, eh->e_type);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Check every PT_LOAD segment against the file and guest RAM, find the
 * entry point's gpa and the loaded range.
 */
static int loader_elf_check(struct gstage *gs, Elf *e, const GElf_Ehdr *eh,
			    size_t nphdr, uint64_t file_size, const char *path,
			    struct loader_elf_info *info, char *why,
			    size_t whylen)
{
	bool entry_found = false;
	char who[256];
	int err;

	info->low = UINT64_MAX;
	info->high = 0;
	info->segments = 0;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			loader_why(why, whylen,
				   "%s: bad program header %zu: %s", path, i,
				   elf_errmsg(-1));
			return -ENOEXEC;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		snprintf(who, sizeof(who), "%s: segment %zu", path, i);
		if (ph.p_filesz > ph.p_memsz) {
			loader_why(why, whylen,
				   "%s: file size %llu exceeds memory size "
				   "%llu",
				   who, (unsigned long long)ph.p_filesz,
				   (unsigned long long)ph.p_memsz);
			return -ENOEXEC;
		}
		if (ph.p_offset > file_size ||
		    ph.p_filesz > file_size - ph.p_offset) {
			loader_why(why, whylen,
				   "%s: data at offset %llu + %llu bytes runs "
				   "past the end of the file (%llu bytes)",
				   who, (unsigned long long)ph.p_offset,
				   (unsigned long long)ph.p_filesz,
				   (unsigned long long)file_size);
			return -ENOEXEC;
		}
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr) {
			loader_why(why, whylen,
				   "%s: virtual range 0x%llx + %llu wraps "
				   "around",
				   who, (unsigned long long)ph.p_vaddr,
				   (unsigned long long)ph.p_memsz);
			return -ENOEXEC;
		}
		err = loader_check_ram(gs, ph.p_paddr, ph.p_memsz, who, why,
				       whylen);
		if (err)
			return err;
		if (!entry_found && eh->e_entry >= ph.p_vaddr &&
		    eh->e_entry - ph.p_vaddr < ph.p_memsz) {
			info->entry = eh->e_entry - ph.p_vaddr + ph.p_paddr;
			entry_found = true;
		}
		if (ph.p_paddr < info->low)
			info->low = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > info->high)
			info->high = ph.p_paddr + ph.p_memsz;
		info->segments++;
	}
	if (!info->segments) {
		loader_why(why, whylen, "%s: no PT_LOAD segment to load", path);
		return -ENOEXEC;
	}
	if (!entry_found) {
		loader_why(why, whylen,
			   "%s: entry point 0x%llx is in no PT_LOAD segment",
			   path, (unsigned long long)eh->e_entry);
		return -ENOEXEC;
	}
	return 0;
}

static int loader_elf_load(struct gstage *gs, Elf *e, int fd, size_t nphdr,
			   const char *path, char *why, size_t whylen)
{
	int err;

	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			return -ENOEXEC; /* it was readable a moment ago */
		if (ph.p_type != PT_LOAD)
			continue;
		err = loader_copy(gs, fd, ph.p_offset, ph.p_paddr, ph.p_filesz,
				  path, why, whylen);
		if (err)
			return err;
		err = loader_zero(gs, ph.p_paddr + ph.p_filesz,
				  ph.p_memsz - ph.p_filesz, path, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

int loader_elf(struct gstage *gs, const char *path,
	       struct loader_elf_info *info, char *why, size_t whylen)
{
	struct loader_elf_info out = {0};
	uint64_t size;
	GElf_Ehdr eh;
	size_t nphdr;
	Elf *e;
	int fd, err;

	/* libelf wants its version set once; doing it again is harmless. */
	if (elf_version(EV_CURRENT) == EV_NONE) {
		loader_why(why, whylen, "%s: libelf is unusable: %s", path,
			   elf_errmsg(-1));
		return -ENOSYS;
	}
	err = loader_open(path, &fd, &size, why, whylen);
	if (err)
		return err;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		loader_why(why, whylen, "%s: not an ELF file: %s", path,
			   elf_errmsg(-1));
		err = -ENOEXEC;
		goto err_close;
	}
	err = loader_elf_header(e, &eh, path, why, whylen);
	if (err)
		goto err_end;
	if (elf_getphdrnum(e, &nphdr)) {
		loader_why(why, whylen, "%s: bad program header table: %s",
			   path, elf_errmsg(-1));
		err = -ENOEXEC;
		goto err_end;
	}
	err =
	    loader_elf_check(gs, e, &eh, nphdr, size, path, &out, why, whylen);
	if (err)
		goto err_end;
	err = loader_elf_load(gs, e, fd, nphdr, path, why, whylen);
	if (err)
		goto err_end;

	elf_end(e);
	close(fd);
	*info = out;
	return 0;

err_end:
	elf_end(e);
err_close:
	close(fd);
	return err;
}

/* ---- initramfs --------------------------------------------------------- */

/* Compressed streams Linux's initramfs unpacker knows (lib/decompress.c). */
static const struct {
	const char *name;
	uint8_t len;
	uint8_t magic[6];
} loader_compressions[] = {
    {"gzip", 2, {0x1f, 0x8b}},
    {"gzip", 2, {0x1f, 0x9e}},
    {"bzip2", 3, {'B', 'Z', 'h'}},
    {"lzma", 3, {0x5d, 0x00, 0x00}},
    {"xz", 6, {0xfd, '7', 'z', 'X', 'Z', 0x00}},
    {"lzo", 4, {0x89, 'L', 'Z', 'O'}},
    {"lz4", 4, {0x02, 0x21, 0x4c, 0x18}},
    {"zstd", 4, {0x28, 0xb5, 0x2f, 0xfd}},
};

/* Parse 8 ASCII hex digits; false if any is not a hex digit. */
static bool loader_hex8(const char *s, uint32_t *v)
{
	uint32_t x = 0;

	for (int i = 0; i < 8; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return false;
		x = x << 4 | d;
	}
	*v = x;
	return true;
}

/*
 * Check the hex fields of a newc header (after its 6-byte magic) and take
 * the two sizes the walk needs. Returns -1, or the offset in the header of
 * the first field that is not hex.
 */
static int loader_cpio_sizes(const char *hdr, uint32_t *filesize,
			     uint32_t *namesize)
{
	for (int f = 0; f < CPIO_FIELDS; f++) {
		uint32_t v;

		if (!loader_hex8(hdr + 6 + 8 * f, &v))
			return 6 + 8 * f;
		if (f == CPIO_FIELD_FILESIZE)
			*filesize = v;
		if (f == CPIO_FIELD_NAMESIZE)
			*namesize = v;
	}
	return -1;
}

static bool loader_is_newc(const uint8_t *p)
{
	return !memcmp(p, "070701", 6) || !memcmp(p, "070702", 6);
}

/*
 * Walk a newc cpio archive from the start of the file to its TRAILER!!!
 * entry: every header has the newc magic and hex fields, and every name
 * and body lies inside the file.
 */
static int loader_cpio_walk(int fd, uint64_t size, const char *path, char *why,
			    size_t whylen)
{
	char hdr[CPIO_HEADER_SIZE];
	char *name;
	uint64_t off = 0;
	int err;

	name = malloc(CPIO_NAME_MAX);
	if (!name) {
		loader_why(why, whylen, "%s: out of memory", path);
		return -ENOMEM;
	}
	for (;;) {
		uint32_t filesize = 0, namesize = 0;
		int bad;

		if (size - off < CPIO_HEADER_SIZE) {
			loader_why(why, whylen,
				   "%s: truncated cpio archive: no header at "
				   "offset %llu (file has %llu bytes, no "
				   "TRAILER!!! entry)",
				   path, (unsigned long long)off,
				   (unsigned long long)size);
			err = -ENOEXEC;
			goto out;
		}
		err = loader_pread(fd, hdr, sizeof(hdr), off);
		if (err)
			goto err_read;
		if (!loader_is_newc((const uint8_t *)hdr)) {
			loader_why(why, whylen,
				   "%s: corrupt cpio archive: no newc magic "
				   "at offset %llu",
				   path, (unsigned long long)off);
			err = -ENOEXEC;
			goto out;
		}
		bad = loader_cpio_sizes(hdr, &filesize, &namesize);
		if (bad >= 0) {
			loader_why(why, whylen,
				   "%s: corrupt cpio archive: bad header field "
				   "at offset %llu",
				   path, (unsigned long long)(off + bad));
			err = -ENOEXEC;
			goto out;
		}
		if (namesize < 1 || namesize > CPIO_NAME_MAX) {
			loader_why(why, whylen,
				   "%s: corrupt cpio archive: name size %u at "
				   "offset %llu",
				   path, namesize, (unsigned long long)off);
			err = -ENOEXEC;
			goto out;
		}
		off += CPIO_HEADER_SIZE;
		if (size - off < namesize) {
			loader_why(why, whylen,
				   "%s: truncated cpio archive: name at "
				   "offset %llu runs past the end",
				   path, (unsigned long long)off);
			err = -ENOEXEC;
			goto out;
		}
		err = loader_pread(fd, name, namesize, off);
		if (err)
			goto err_read;
		if (name[namesize - 1] != '\0') {
			loader_why(why, whylen,
				   "%s: corrupt cpio archive: name at offset "
				   "%llu is not NUL-terminated",
				   path, (unsigned long long)off);
			err = -ENOEXEC;
			goto out;
		}
		if (!strcmp(name, CPIO_TRAILER))
			break;
		off = LOADER_ALIGN_UP(off + namesize, 4);
		if (off > size || size - off < filesize) {
			loader_why(why, whylen,
				   "%s: truncated cpio archive: '%.64s' needs "
				   "%u bytes at offset %llu, file has %llu",
				   path, name, filesize,
				   (unsigned long long)off,
				   (unsigned long long)size);
			err = -ENOEXEC;
			goto out;
		}
		off = LOADER_ALIGN_UP(off + filesize, 4);
		if (off > size) /* the last body's padding is cut off */
			off = size;
	}
	err = 0;
	goto out;

err_read:
	loader_why(why, whylen, "%s: reading: %s", path,
		   err == -EIO ? "the file shrank" : strerror(-err));
out:
	free(name);
	return err;
}

/* Is the file something Linux unpacks as an initramfs? */
static int loader_initrd_check(int fd, uint64_t size, const char *path,
			       char *why, size_t whylen)
{
	uint8_t head[6] = {0};
	size_t n = size < sizeof(head) ? (size_t)size : sizeof(head);
	int err;

	err = loader_pread(fd, head, n, 0);
	if (err) {
		loader_why(why, whylen, "%s: reading: %s", path,
			   strerror(-err));
		return err;
	}
	if (n == sizeof(head) && loader_is_newc(head))
		return loader_cpio_walk(fd, size, path, why, whylen);
	for (size_t i = 0;
	     i < sizeof(loader_compressions) / sizeof(loader_compressions[0]);
	     i++) {
		if (n >= loader_compressions[i].len &&
		    !memcmp(head, loader_compressions[i].magic,
			    loader_compressions[i].len))
			return 0;
	}
	if (n == sizeof(head) && !memcmp(head, "070707", 6)) {
		loader_why(why, whylen,
			   "%s: an old-format (odc) cpio archive; Linux wants "
			   "newc: pack with cpio -o -H newc",
			   path);
		return -ENOEXEC;
	}
	loader_why(why, whylen,
		   "%s: not an initramfs (cpio newc or compressed)", path);
	return -ENOEXEC;
}

int loader_initrd(struct gstage *gs, const char *path, uint64_t gpa,
		  uint64_t limit, uint64_t *size, char *why, size_t whylen)
{
	uint64_t fsize;
	char s1[32], s2[32];
	int fd, err;

	err = loader_open(path, &fd, &fsize, why, whylen);
	if (err)
		return err;
	if (!fsize) {
		loader_why(why, whylen, "%s: empty file, not an initramfs",
			   path);
		err = -ENOEXEC;
		goto err_close;
	}
	err = loader_initrd_check(fd, fsize, path, why, whylen);
	if (err)
		goto err_close;
	if (fsize > limit) {
		loader_why(why, whylen,
			   "%s: %s, but only %s are free for it at 0x%llx "
			   "— give more --memory",
			   path, loader_size_str(fsize, s1, sizeof(s1)),
			   loader_size_str(limit, s2, sizeof(s2)),
			   (unsigned long long)gpa);
		err = -EFBIG;
		goto err_close;
	}
	err = loader_check_ram(gs, gpa, fsize, path, why, whylen);
	if (err)
		goto err_close;
	err = loader_copy(gs, fd, 0, gpa, fsize, path, why, whylen);
	if (err)
		goto err_close;
	close(fd);
	*size = fsize;
	return 0;

err_close:
	close(fd);
	return err;
}

/* ---- boot layout ------------------------------------------------------- */

int loader_layout_linux(uint64_t ram_base, uint64_t ram_size,
			uint64_t kernel_gpa, uint64_t kernel_end,
			uint64_t initrd_size, uint64_t fdt_size,
			struct loader_layout *lay, char *why, size_t whylen)
{
	uint64_t ram_end = ram_base + ram_size;
	struct loader_layout l = {0};
	char s1[32], s2[32], s3[32];

	if (!fdt_size || !ram_size || ram_end < ram_base) {
		loader_why(why, whylen,
			   "boot layout: bad RAM [0x%llx, +%llu) or device "
			   "tree size %llu",
			   (unsigned long long)ram_base,
			   (unsigned long long)ram_size,
			   (unsigned long long)fdt_size);
		return -EINVAL;
	}
	if (kernel_gpa < ram_base || kernel_end < kernel_gpa ||
	    kernel_end > ram_end) {
		loader_why(why, whylen,
			   "boot layout: kernel [0x%llx, 0x%llx) is not inside "
			   "RAM [0x%llx, 0x%llx)",
			   (unsigned long long)kernel_gpa,
			   (unsigned long long)kernel_end,
			   (unsigned long long)ram_base,
			   (unsigned long long)ram_end);
		return -EINVAL;
	}
	l.kernel_gpa = kernel_gpa;
	l.kernel_end = kernel_end;
	l.fdt_size = fdt_size;
	if (fdt_size > ram_end - kernel_end ||
	    LOADER_ALIGN_DOWN(ram_end - fdt_size, LOADER_FDT_ALIGN) <
		kernel_end)
		goto err_fit;
	l.fdt_gpa = LOADER_ALIGN_DOWN(ram_end - fdt_size, LOADER_FDT_ALIGN);
	if (initrd_size) {
		if (initrd_size > l.fdt_gpa - kernel_end ||
		    LOADER_ALIGN_DOWN(l.fdt_gpa - initrd_size,
				      LOADER_INITRD_ALIGN) < kernel_end)
			goto err_fit;
		l.initrd_gpa = LOADER_ALIGN_DOWN(l.fdt_gpa - initrd_size,
						 LOADER_INITRD_ALIGN);
		l.initrd_size = l.fdt_gpa - l.initrd_gpa;
	}
	*lay = l;
	return 0;

err_fit:
	loader_why(why, whylen,
		   "boot layout: the kernel (%s at 0x%llx), the initrd (%s) "
		   "and the device tree (%s, at a 2 MiB boundary) do not fit "
		   "in RAM [0x%llx, 0x%llx) — give more --memory",
		   loader_size_str(kernel_end - kernel_gpa, s1, sizeof(s1)),
		   (unsigned long long)kernel_gpa,
		   loader_size_str(initrd_size, s2, sizeof(s2)),
		   loader_size_str(fdt_size, s3, sizeof(s3)),
		   (unsigned long long)ram_base, (unsigned long long)ram_end);
	return -EFBIG;
}
