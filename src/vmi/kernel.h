/* SPDX-License-Identifier: MIT */
/*
 * A Linux kernel as a file or as guest memory: which version it is (the
 * "Linux version ..." banner) and how it was configured (the config that
 * CONFIG_IKCONFIG embeds, gzip-compressed between "IKCFG_ST" and
 * "IKCFG_ED"). Nothing here knows any particular version.
 */
#ifndef MEMVISOR_VMI_KERNEL_H
#define MEMVISOR_VMI_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define VMI_BANNER_MAX	256
#define VMI_RELEASE_MAX 64

struct vmi_kernel {
	char banner[VMI_BANNER_MAX];   /* "Linux version X.Y.Z (...) ..." */
	char release[VMI_RELEASE_MAX]; /* "X.Y.Z", as uname -r says */
	unsigned version, patchlevel, sublevel;
	char *config; /* the .config text (malloc'd), NULL when not embedded */
	size_t config_len;
};

/*
 * Find the version banner in buf[0..len): "Linux version " followed by a
 * release that starts with a digit, up to the end of the line. Copies it
 * (without the newline) into banner[0..size) and returns 0; -ENOENT when
 * there is none, -ENAMETOOLONG when it does not fit.
 */
int vmi_banner_find(const void *buf, size_t len, char *banner, size_t size);

/*
 * The banner at guest-virtual address va of the kernel file buf[0..len),
 * the one the running kernel prints (its linux_banner symbol): a kernel
 * file may hold other "Linux version" lines before it, a placeholder its
 * build linked first among them. An ELF file (vmlinux) places va by its
 * loadable segments; any other file is a flat Image whose first byte is
 * at image_va (the kernel's _start). Copies the line into banner[0..size)
 * and returns 0; -ENOENT when va is not in the file or no banner starts
 * there, -ENAMETOOLONG when it does not fit.
 */
int vmi_banner_at(const void *buf, size_t len, uint64_t image_va, uint64_t va,
		  char *banner, size_t size);

/*
 * Fill k's release and version numbers from k->banner. Returns 0 or
 * -EINVAL when the banner is not "Linux version X.Y.Z...".
 */
int vmi_banner_parse(struct vmi_kernel *k);

/*
 * Extract the embedded config from buf[0..len) into k->config (malloc'd,
 * NUL-terminated). Returns 0, -ENOENT when there is no IKCONFIG block,
 * -EBADMSG when it does not decompress, -ENOMEM.
 */
int vmi_ikconfig_extract(const void *buf, size_t len, struct vmi_kernel *k);

/*
 * Read the kernel file at path (an Image or a vmlinux): its banner, version
 * and, when embedded, its config. Returns 0 (k->config may be NULL: no
 * IKCONFIG), -ENOMSG (no banner: not Linux), or the errno of opening or
 * reading the file (-ENOENT: no such file). Release with vmi_kernel_free().
 */
int vmi_kernel_read(const char *path, struct vmi_kernel *k);

/*
 * Replace k's banner (and release) with the one at va in the kernel file
 * at path (vmi_banner_at()). Returns 0; -ENOENT when there is none there
 * (symbols of another kernel) and k is unchanged, or the errno of reading
 * the file.
 */
int vmi_kernel_banner_at(const char *path, uint64_t image_va, uint64_t va,
			 struct vmi_kernel *k);

/* Free what vmi_kernel_read() or vmi_ikconfig_extract() allocated. */
void vmi_kernel_free(struct vmi_kernel *k);

#endif
