/* SPDX-License-Identifier: MIT */
/*
 * Lazy VM cloning (DESIGN.md, "Clone in detail"): a clone gets copies of its
 * parent's VCPU state and of the top eager_levels levels of its G-stage;
 * the tables below stay shared until either VM touches them, and data pages
 * stay shared copy-on-write. A clone's cost does not depend on how much
 * memory the parent has touched.
 */
#ifndef MEMVISOR_VMM_CLONE_H
#define MEMVISOR_VMM_CLONE_H

#include "vmm/vm.h"

/* eager_levels value for the benchmark-only baseline: copy every table and
 * every data page now, sharing nothing. */
#define CLONE_COPY_ALL 0u

/* Console output a clone keeps (newest bytes), readable through hv. */
#define CLONE_CONSOLE_CAPTURE (16u << 10)

/*
 * Clone src, which the caller has paused (no VCPU on a PCPU), into a new VM
 * with its own console (input queue, output captured in memory). VCPUs that
 * were started in src are runnable in the clone; the clone runs once added
 * to a scheduler (hv_add()). eager_levels: G-stage levels copied now (1 =
 * root only, the lazy clone; src->gs.levels = every table;
 * CLONE_COPY_ALL = every table and page, for benchmarks). net_port: the
 * host port of the clone's first forward (vmm/nets.h; the others follow),
 * 0: free ones. Returns 0 and sets *out, or -EINVAL (bad eager_levels),
 * -ENOMEM, -EADDRINUSE (a host port of net_port on is taken): nothing is
 * left allocated and src is unchanged.
 */
int vm_clone(struct vm *src, unsigned eager_levels, uint16_t net_port,
	     struct vm **out);

#endif
