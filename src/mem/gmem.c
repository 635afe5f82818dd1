/* SPDX-License-Identifier: MIT */
/*
 * The checked guest-physical accessor. Every address and length here is
 * untrusted (guest or file input): ranges are overflow-checked first, then
 * each page is resolved like a guest access would be.
 */
#include <errno.h>
#include <string.h>

#include "mem/gmem.h"

/* Reject ranges that wrap or end beyond the guest-physical address space. */
static int gmem_range_check(const struct gstage *gs, uint64_t gpa, size_t len)
{
	uint64_t limit = 1ull << gs->gpa_bits;

	if (gpa >= limit || (uint64_t)len > limit - gpa)
		return -EFAULT;
	return 0;
}

/*
 * Host address of the byte at gpa, resolved for a read or a write as a
 * guest access would be: a page reached through a shared table goes
 * through gstage_fault() once, which replicates the tables on the way;
 * unless peek (a read), which takes the page where it is.
 */
static int gmem_page(struct gstage *gs, uint64_t gpa, bool write, bool peek,
		     uint8_t **host)
{
	uint64_t pte;
	uint32_t frame;
	int r;

	r = gstage_translate(gs, gpa, &frame, &pte);
	if (r || (write && !(pte & GPTE_W)) || ((pte & GPTE_SHARED) && !peek)) {
		r = gstage_fault(gs, gpa, write, &frame, &pte);
		if (r)
			return r;
	}
	*host =
	    (uint8_t *)frame_ptr(gs->pool, frame) + (gpa & (FRAME_SIZE - 1));
	return 0;
}

enum gmem_op {
	GMEM_READ,
	GMEM_PEEK, /* a read that leaves shared tables shared */
	GMEM_WRITE,
	GMEM_FILL,
};

/*
 * Do op page piece by page piece over [gpa, gpa + len): copy out to dst,
 * copy in from src, or fill with c.
 */
static int gmem_access(struct gstage *gs, enum gmem_op op, uint64_t gpa,
		       void *dst, const void *src, int c, size_t len)
{
	uint8_t *host;
	size_t n;
	int r;

	if (!len)
		return 0;
	r = gmem_range_check(gs, gpa, len);
	if (r)
		return r;
	while (len) {
		n = FRAME_SIZE - (gpa & (FRAME_SIZE - 1));
		if (n > len)
			n = len;
		r = gmem_page(gs, gpa, op >= GMEM_WRITE, op == GMEM_PEEK,
			      &host);
		if (r)
			return r;
		switch (op) {
		case GMEM_READ:
		case GMEM_PEEK:
			memcpy(dst, host, n);
			dst = (uint8_t *)dst + n;
			break;
		case GMEM_WRITE:
			memcpy(host, src, n);
			src = (const uint8_t *)src + n;
			break;
		case GMEM_FILL:
			memset(host, c, n);
			break;
		}
		gpa += n;
		len -= n;
	}
	return 0;
}

int gmem_read(struct gstage *gs, uint64_t gpa, void *buf, size_t len)
{
	return gmem_access(gs, GMEM_READ, gpa, buf, NULL, 0, len);
}

int gmem_peek(struct gstage *gs, uint64_t gpa, void *buf, size_t len)
{
	return gmem_access(gs, GMEM_PEEK, gpa, buf, NULL, 0, len);
}

int gmem_write(struct gstage *gs, uint64_t gpa, const void *buf, size_t len)
{
	return gmem_access(gs, GMEM_WRITE, gpa, NULL, buf, 0, len);
}

int gmem_map(struct gstage *gs, uint64_t gpa, size_t len, bool write,
	     void **host)
{
	int r = gmem_range_check(gs, gpa, len ? len : 1);

	if (r)
		return r;
	if ((gpa & (FRAME_SIZE - 1)) + len > FRAME_SIZE)
		return -EINVAL;
	return gmem_page(gs, gpa, write, false, (uint8_t **)host);
}

int gmem_fill(struct gstage *gs, uint64_t gpa, int c, size_t len)
{
	return gmem_access(gs, GMEM_FILL, gpa, NULL, NULL, c, len);
}
