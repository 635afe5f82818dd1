/* SPDX-License-Identifier: MIT */
/*
 * What the loaders (loader.c: Image and boot layout, loader_elf.c,
 * loader_initrd.c) share: file access, copies into the guest through the
 * checked accessor, RAM checks and the reasons they give. Private to
 * src/dev/.
 */
#ifndef MEMVISOR_DEV_LOADER_PRIV_H
#define MEMVISOR_DEV_LOADER_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "dev/loader.h"

#define MIB (1ull << 20)
#define KIB (1ull << 10)

/* Files are copied into the guest in pieces of this size. */
#define LOADER_CHUNK (256u * 1024)

/* Write a reason for a person into why[whylen] (when whylen > 0). */
void loader_why(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A size for a person: "9 MiB", "1.5 MiB", "12 KiB" or "100 bytes". */
const char *loader_size_str(uint64_t n, char *buf, size_t len);

/* Little-endian fields of file headers. */
uint64_t loader_le64(const uint8_t *p);
uint32_t loader_le32(const uint8_t *p);

/* Open a regular file for reading; on success *fd and *size are set. */
int loader_open(const char *path, int *fd, uint64_t *size, char *why,
		size_t whylen);

/*
 * Read exactly len bytes at off. A file that ends early (it changed since
 * its size was taken) is -EIO.
 */
int loader_pread(int fd, void *buf, size_t len, uint64_t off);

/* Copy len bytes of the file at off into the guest at gpa. */
int loader_copy(struct gstage *gs, int fd, uint64_t off, uint64_t gpa,
		uint64_t len, const char *path, char *why, size_t whylen);

/* Zero len bytes of guest memory at gpa. */
int loader_zero(struct gstage *gs, uint64_t gpa, uint64_t len, const char *path,
		char *why, size_t whylen);

/*
 * Check that [gpa, gpa + size) lies inside gs's RAM. who names the thing
 * in the reason ("build/Image", "prog.elf: segment 2").
 */
int loader_check_ram(const struct gstage *gs, uint64_t gpa, uint64_t size,
		     const char *who, char *why, size_t whylen);

#endif
