/* SPDX-License-Identifier: MIT */
/* The initramfs loader: newc cpio archives and compressed streams. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev/loader_priv.h"

/* newc cpio: a 110-byte ASCII header, then the name, both padded to 4. */
#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX	 4096
#define CPIO_TRAILER	 "TRAILER!!!"
/* Its fields: ino mode uid gid nlink mtime filesize devmajor devminor
 * rdevmajor rdevminor namesize check, each 8 hex digits. */
#define CPIO_FIELDS	    13
#define CPIO_FIELD_FILESIZE 6
#define CPIO_FIELD_NAMESIZE 11

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
