/* SPDX-License-Identifier: MIT */
/*
 * The one checked accessor for guest-physical memory from hypervisor code
 * (loaders, SBI calls taking buffers, DLH rings, introspection).
 *
 * Addresses and lengths handed to these functions are untrusted: they come
 * from the guest or from files. Each call checks for overflow of gpa + len
 * and that every page is mapped or guest RAM; RAM is populated on first
 * touch and writes break copy-on-write sharing, exactly as a guest access
 * would.
 */
#ifndef MEMVISOR_MEM_GMEM_H
#define MEMVISOR_MEM_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mem/gstage.h"

/*
 * Copy len bytes at guest-physical gpa into buf. Returns 0, -EFAULT when
 * any byte is outside mapped memory and RAM (or gpa + len overflows), or
 * -ENOMEM. On error buf may be partly written.
 */
int gmem_read(struct gstage *gs, uint64_t gpa, void *buf, size_t len);

/*
 * gmem_read() that leaves the G-stage as it is where it can: a page
 * reached through a table shared with a clone is read where it is,
 * without replicating the tables (a look from outside, which should cost
 * the VM no copies; a page never touched is populated as by gmem_read()).
 */
int gmem_peek(struct gstage *gs, uint64_t gpa, void *buf, size_t len);

/*
 * Copy len bytes from buf to guest-physical gpa. Returns 0, -EFAULT (as
 * gmem_read), -EACCES when a page is read-only, or -ENOMEM. On error the
 * guest may be partly written.
 */
int gmem_write(struct gstage *gs, uint64_t gpa, const void *buf, size_t len);

/* Fill len bytes at gpa with byte c; errors as gmem_write(). */
int gmem_fill(struct gstage *gs, uint64_t gpa, int c, size_t len);

/*
 * For hypervisor code that touches many small pieces of one guest page in
 * place (DLH rings): check [gpa, gpa + len) once, resolve its page as a
 * guest access would (populate, break copy-on-write when write is true,
 * replicate shared tables) and set *host to the host address of gpa. len
 * must not cross a page boundary (-EINVAL). The guest may change the bytes
 * there at any time: read each value once, into a copy, before trusting
 * it. The address stays valid while the page stays mapped to the same
 * frame, that is until gs->generation moves (compare gmem_generation()
 * taken before the call); the frame itself is only reused after every
 * VCPU of the VM was made to drop its translations. Returns 0, -EFAULT,
 * -EACCES or -ENOMEM as gmem_read() / gmem_write().
 */
int gmem_map(struct gstage *gs, uint64_t gpa, size_t len, bool write,
	     void **host);

/* gs's generation now: a change means host addresses may be stale. */
static inline uint64_t gmem_generation(const struct gstage *gs)
{
	return atomic_load_explicit(&gs->generation, memory_order_acquire);
}

#endif
