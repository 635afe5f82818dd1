/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE /* memfd_create() */
#include "cpu/jit/codecache.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

/* Translations start on 16-byte boundaries (what the host's fetch likes). */
#define CODECACHE_ALIGN 16

int codecache_init(struct codecache *cc, size_t size)
{
	int fd, r;

	fd = memfd_create("memvisor-jit", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size)) {
		r = -errno;
		goto err_fd;
	}
	cc->rw = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cc->rw == MAP_FAILED) {
		r = -errno;
		goto err_fd;
	}
	cc->rx = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0);
	if (cc->rx == MAP_FAILED) {
		r = -errno;
		goto err_rw;
	}
	/* The mappings keep the memory: no descriptor per hart (a thousand
	 * clones would exhaust the process's). */
	close(fd);
	cc->size = size;
	cc->used = 0;
	cc->limit = size;
	cc->keep = 0;
	cc->flushes = 0;
	return 0;

err_rw:
	munmap(cc->rw, size);
err_fd:
	close(fd);
	cc->rw = cc->rx = NULL;
	return r;
}

void codecache_destroy(struct codecache *cc)
{
	if (cc->rx)
		munmap(cc->rx, cc->size);
	if (cc->rw)
		munmap(cc->rw, cc->size);
	cc->rw = cc->rx = NULL;
}

void codecache_begin(struct codecache *cc, struct x86_buf *b)
{
	x86_buf_init(b, cc->rw + cc->used, cc->limit - cc->used);
}

void *codecache_commit(struct codecache *cc, const struct x86_buf *b)
{
	size_t len = x86_buf_len(b);
	void *code;

	if (b->overflow)
		return NULL;
	code = codecache_rx(cc, b->start);
	cc->used +=
	    (len + CODECACHE_ALIGN - 1) & ~(size_t)(CODECACHE_ALIGN - 1);
	if (cc->used > cc->limit)
		cc->used = cc->limit;
	return code;
}

void codecache_span(struct codecache *cc, size_t from, size_t to)
{
	size_t lo = (from + 4095) & ~(size_t)4095, hi = to & ~(size_t)4095;

	/* The memory of the dropped code goes back to the host (a bounded
	 * cache is bounded in resident memory only if it does). */
	if (hi > lo)
		madvise(cc->rw + lo, hi - lo, MADV_REMOVE);
	cc->used = from;
	cc->limit = to;
}

void codecache_flush(struct codecache *cc)
{
	codecache_span(cc, cc->keep, cc->size);
	cc->flushes++;
}
