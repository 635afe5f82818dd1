/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memmem */
#include "vmi/kernel.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define BANNER_PREFIX "Linux version "
#define IKCFG_START   "IKCFG_ST"
#define IKCFG_END     "IKCFG_ED"

/*
 * The banner starting at s (before end), if one does: "Linux version " and
 * a digit. Copies its line into banner[0..size). 0, -ENOENT or
 * -ENAMETOOLONG.
 */
static int banner_copy(const char *s, const char *end, char *banner,
		       size_t size)
{
	size_t plen = strlen(BANNER_PREFIX);
	const char *e = s + plen;

	if ((size_t)(end - s) <= plen || memcmp(s, BANNER_PREFIX, plen) ||
	    *e < '0' || *e > '9')
		return -ENOENT; /* a format string, not the banner */
	while (e < end && *e != '\n' && *e != '\0')
		e++;
	if ((size_t)(e - s) >= size)
		return -ENAMETOOLONG;
	memcpy(banner, s, (size_t)(e - s));
	banner[e - s] = '\0';
	return 0;
}

int vmi_banner_find(const void *buf, size_t len, char *banner, size_t size)
{
	const char *p = buf, *end = p + len;
	size_t plen = strlen(BANNER_PREFIX);

	while ((p = memmem(p, (size_t)(end - p), BANNER_PREFIX, plen))) {
		int r = banner_copy(p, end, banner, size);

		if (r != -ENOENT)
			return r;
		p += plen;
	}
	return -ENOENT;
}

/*
 * The file offset of guest-virtual va in the ELF file buf[0..len) (64-bit,
 * little-endian: a RISC-V vmlinux), from its loadable segments' file
 * contents. 0, or -ENOENT when no segment holds va in the file.
 */
static int banner_elf_offset(const uint8_t *buf, size_t len, uint64_t va,
			     size_t *off)
{
	Elf64_Ehdr eh;

	if (len < sizeof(eh))
		return -ENOENT;
	memcpy(&eh, buf, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > len ||
	    (len - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum)
		return -ENOENT;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, buf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || va - ph.p_vaddr >= ph.p_filesz ||
		    ph.p_offset > len || va - ph.p_vaddr >= len - ph.p_offset)
			continue;
		*off = (size_t)(ph.p_offset + (va - ph.p_vaddr));
		return 0;
	}
	return -ENOENT;
}

int vmi_banner_at(const void *buf, size_t len, uint64_t image_va, uint64_t va,
		  char *banner, size_t size)
{
	const uint8_t *b = buf;
	size_t off;

	if (len >= SELFMAG && !memcmp(b, ELFMAG, SELFMAG)) {
		if (banner_elf_offset(b, len, va, &off))
			return -ENOENT;
	} else {
		if (va < image_va || va - image_va >= len)
			return -ENOENT;
		off = (size_t)(va - image_va);
	}
	return banner_copy((const char *)b + off, (const char *)b + len, banner,
			   size);
}

int vmi_banner_parse(struct vmi_kernel *k)
{
	const char *r = k->banner + strlen(BANNER_PREFIX);
	size_t n = strcspn(r, " ");

	if (strncmp(k->banner, BANNER_PREFIX, strlen(BANNER_PREFIX)) || !n ||
	    n >= sizeof(k->release))
		return -EINVAL;
	memcpy(k->release, r, n);
	k->release[n] = '\0';
	k->sublevel = 0;
	if (sscanf(k->release, "%u.%u.%u", &k->version, &k->patchlevel,
		   &k->sublevel) < 2)
		return -EINVAL;
	return 0;
}

int vmi_ikconfig_extract(const void *buf, size_t len, struct vmi_kernel *k)
{
	const char *st = memmem(buf, len, IKCFG_START, strlen(IKCFG_START));
	const char *gz, *ed;
	z_stream z = {0};
	size_t cap = 1 << 16, used = 0;
	char *out;
	int r;

	if (!st)
		return -ENOENT;
	gz = st + strlen(IKCFG_START);
	ed = memmem(gz, len - (size_t)(gz - (const char *)buf), IKCFG_END,
		    strlen(IKCFG_END));
	if (!ed)
		return -EBADMSG;
	out = malloc(cap);
	if (!out)
		return -ENOMEM;
	/* 16 + MAX_WBITS: a gzip stream, as scripts/extract-ikconfig finds. */
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return -ENOMEM;
	}
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)(ed - gz);
	do {
		if (cap - used < 4096) {
			char *bigger = realloc(out, cap * 2);
			if (!bigger) {
				r = -ENOMEM;
				goto err;
			}
			out = bigger;
			cap *= 2;
		}
		z.next_out = (Bytef *)out + used;
		z.avail_out = (uInt)(cap - used - 1);
		r = inflate(&z, Z_NO_FLUSH);
		used = cap - 1 - z.avail_out;
	} while (r == Z_OK);
	if (r != Z_STREAM_END) {
		r = r == Z_MEM_ERROR ? -ENOMEM : -EBADMSG;
		goto err;
	}
	inflateEnd(&z);
	out[used] = '\0';
	k->config = out;
	k->config_len = used;
	return 0;

err:
	inflateEnd(&z);
	free(out);
	return r;
}

/* Map the file at path, read-only: *map and *len, or a negative errno
 * (-ENOMSG: an empty file). Unmap with munmap(). */
static int kernel_map(const char *path, void **map, size_t *len)
{
	struct stat st;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (st.st_size == 0)
		r = -ENOMSG;
	if (!r) {
		*len = (size_t)st.st_size;
		*map = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*map == MAP_FAILED)
			r = -errno;
	}
	close(fd);
	return r;
}

int vmi_kernel_read(const char *path, struct vmi_kernel *k)
{
	void *map;
	size_t len;
	int r;

	memset(k, 0, sizeof(*k));
	r = kernel_map(path, &map, &len);
	if (r)
		return r;
	r = vmi_banner_find(map, len, k->banner, sizeof(k->banner));
	if (!r)
		r = vmi_banner_parse(k) ? -ENOMSG : 0;
	else if (r == -ENOENT)
		r = -ENOMSG;
	if (!r) {
		int c = vmi_ikconfig_extract(map, len, k);
		if (c && c != -ENOENT)
			r = c;
	}
	munmap(map, len);
	if (r)
		vmi_kernel_free(k);
	return r;
}

int vmi_kernel_banner_at(const char *path, uint64_t image_va, uint64_t va,
			 struct vmi_kernel *k)
{
	struct vmi_kernel found = {0};
	void *map;
	size_t len;
	int r;

	r = kernel_map(path, &map, &len);
	if (r)
		return r == -ENOMSG ? -ENOENT : r;
	r = vmi_banner_at(map, len, image_va, va, found.banner,
			  sizeof(found.banner));
	munmap(map, len);
	if (r || vmi_banner_parse(&found))
		return -ENOENT;
	memcpy(k->banner, found.banner, sizeof(k->banner));
	memcpy(k->release, found.release, sizeof(k->release));
	k->version = found.version;
	k->patchlevel = found.patchlevel;
	k->sublevel = found.sublevel;
	return 0;
}

void vmi_kernel_free(struct vmi_kernel *k)
{
	free(k->config);
	k->config = NULL;
	k->config_len = 0;
}
