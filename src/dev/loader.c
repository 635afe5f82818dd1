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

#include "dev/loader_priv.h"
#include "mem/gmem.h"

/* Offsets of the fields of the RISC-V Image header we read. */
#define IMAGE_OFF_TEXT_OFFSET 8
#define IMAGE_OFF_IMAGE_SIZE  16
#define IMAGE_OFF_FLAGS	      24
#define IMAGE_OFF_VERSION     32
#define IMAGE_OFF_MAGIC	      48
#define IMAGE_OFF_MAGIC2      56
#define IMAGE_FLAG_BE	      (1ull << 0)

void loader_why(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* A size for a person: "9 MiB", "1.5 MiB", "12 KiB" or "100 bytes". */
const char *loader_size_str(uint64_t n, char *buf, size_t len)
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

uint64_t loader_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

uint32_t loader_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Open a regular file for reading; on success *fd and *size are set. */
int loader_open(const char *path, int *fd, uint64_t *size, char *why,
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
int loader_pread(int fd, void *buf, size_t len, uint64_t off)
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
int loader_copy(struct gstage *gs, int fd, uint64_t off, uint64_t gpa,
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
int loader_zero(struct gstage *gs, uint64_t gpa, uint64_t len, const char *path,
		char *why, size_t whylen)
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
int loader_check_ram(const struct gstage *gs, uint64_t gpa, uint64_t size,
		     const char *who, char *why, size_t whylen)
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
