/* SPDX-License-Identifier: MIT */
/*
 * What memvisor knows about the kernel a VM runs, for introspection from
 * outside (mechanism 3 of DESIGN.md): the kernel file, its symbols, and its
 * profile once built. One struct inspect serves a VM and all its clones
 * (they run the same kernel), by reference.
 */
#ifndef MEMVISOR_VMM_INSPECT_H
#define MEMVISOR_VMM_INSPECT_H

#include <stddef.h>

#include "vmi/profile.h"

struct inspect;

/*
 * Remember kernel (the file the VM boots) and symbols (its System.map or
 * vmlinux; NULL: System.map, else vmlinux, beside kernel) and where
 * profiles are built (cfg, copied; NULL: vmi_profile defaults of
 * inspect_default_config()). Nothing is read yet. Returns 0 and sets *out
 * (one reference), or -ENOMEM.
 */
int inspect_create(const char *kernel, const char *symbols,
		   const struct vmi_profile_config *cfg, struct inspect **out);

/* Another reference to in (a clone runs the same kernel). NULL-safe. */
struct inspect *inspect_get(struct inspect *in);

/* Drop a reference; the last one frees in and its profile. NULL-safe. */
void inspect_put(struct inspect *in);

/*
 * The kernel's profile: built (or read from the cache) on the first call,
 * which may take minutes and prints progress; later calls return it at
 * once (a failure is not remembered: the next call tries again, say once
 * the missing source package is installed). Thread-safe; call it without
 * holding locks other VM operations need. Returns 0 and sets *p (valid while in
 * lives), or a negative errno with the reason in why (vmi_profile_get()).
 */
int inspect_profile(struct inspect *in, const struct vmi_profile **p, char *why,
		    size_t whylen);

/*
 * Where profiles are built by default: the cache $MEMVISOR_CACHE/vmi, else
 * $HOME/.cache/memvisor/vmi; the interface sources of the memvisor tree
 * this binary was built from.
 */
void inspect_default_config(struct vmi_profile_config *cfg);

#endif
