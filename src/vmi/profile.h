/* SPDX-License-Identifier: MIT */
/*
 * A guest kernel's introspection profile: memvisor's fixed interface
 * function (guest/vmi/interface.c, include/memvisor/vmi.h), compiled by
 * that kernel's own build system against its own source and config, and
 * linked against its symbols, ready to run on memvisor's CPU in the guest's
 * kernel address space.
 *
 * Building one: the kernel file names its version (banner) and carries its
 * config (IKCONFIG; else the caller names a .config); Debian's linux-source-X.Y
 * tarball of that version is extracted and prepared with that config (or a
 * configured tree given by the caller is used when its release and config
 * match); the interface is compiled with `make M=`; its undefined symbols are
 * resolved from System.map or vmlinux; ld links it at a fixed address just
 * below the kernel image (within reach of the kernel's medany code model). The
 * result is cached per banner + config + symbols + interface source, so only
 * the first inspection of a kernel pays for it (minutes when a tree must be
 * prepared, seconds otherwise); progress goes to stderr.
 */
#ifndef MEMVISOR_VMI_PROFILE_H
#define MEMVISOR_VMI_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmi/kernel.h"

struct vmi_profile_config {
	const char *cache_dir;	   /* profiles and prepared trees (created) */
	const char *tree;	   /* configured kernel tree to try; NULL */
	const char *config;	   /* .config when the kernel embeds none */
	const char *interface_dir; /* guest/vmi: interface.c and Kbuild */
	const char *include_dir;   /* holds memvisor/vmi.h */
	bool quiet;		   /* no progress lines on stderr */
};

struct vmi_profile {
	struct vmi_kernel kernel; /* banner and release (config not kept) */
	char key[17];		  /* the cache key */
	uint64_t base;		  /* guest-virtual address it is linked at */
	uint8_t *image;		  /* image_size bytes to place at base */
	size_t image_size;
	uint64_t info_entry;	 /* memvisor_vmi_info */
	uint64_t classify_entry; /* memvisor_vmi_classify */
	uint64_t free_entry;	 /* memvisor_vmi_classify_free */
	uint64_t banner_va;	 /* linux_banner: checks the guest matches */
	uint64_t gp;		 /* __global_pointer$, 0 when absent */
};

/*
 * Get the profile of the kernel in kernel_path (Image or vmlinux) whose
 * symbols are in symbols_path (System.map or vmlinux), from the cache or
 * by building it. Returns 0 and fills *p (release with vmi_profile_free()),
 * or a negative errno with a one-line reason in why that says what to do:
 * -ENOENT (not a Linux kernel; no symbols file; Debian source package not
 * installed), -ENOEXEC (no embedded config and no cfg->config), -ESRCH (a
 * symbol the interface needs is missing), -EIO (the kernel build or link
 * failed: the reason names the log).
 */
int vmi_profile_get(const struct vmi_profile_config *cfg,
		    const char *kernel_path, const char *symbols_path,
		    struct vmi_profile *p, char *why, size_t whylen);

void vmi_profile_free(struct vmi_profile *p);

#endif
