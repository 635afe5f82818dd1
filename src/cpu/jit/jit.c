/* SPDX-License-Identifier: MIT */
#include "cpu/jit/jit.h"

#include <errno.h>
#include <sys/mman.h>
#include <string.h>

#include "cpu/hart.h"
#include "cpu/jit/translate.h"

#define JIT_JUMPS_BYTES (JIT_JUMPS * sizeof(struct jit_jump))

bool jit_supported(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

int jit_init(struct jit *j, size_t cache_size, uint32_t threshold,
	     struct hart_tier_stats *stats)
{
	if (!jit_supported())
		return -ENOTSUP;
	j->epoch = 0;
	j->threshold = threshold ? threshold : JIT_THRESHOLD;
	struct x86_buf buf;
	int r;

	j->stats = stats;
	/* Host memory only for the entries written: a clone that runs little
	 * code pays for little of it. */
	j->jumps = mmap(NULL, JIT_JUMPS_BYTES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->jumps == MAP_FAILED)
		return -ENOMEM;
	r = codecache_init(&j->cc, cache_size ? cache_size : JIT_CACHE_SIZE);
	if (r)
		goto err_jumps;
	/* The entry and the gate stay through every flush. */
	codecache_begin(&j->cc, &buf);
	translate_entry(&buf);
	j->entry = codecache_commit(&j->cc, &buf);
	codecache_begin(&j->cc, &buf);
	translate_gate(&buf);
	j->gate = buf.start;
	if (!j->entry || !codecache_commit(&j->cc, &buf)) {
		r = -ENOSPC;
		goto err_cc;
	}
	codecache_keep(&j->cc);
	return 0;

err_cc:
	codecache_destroy(&j->cc);
err_jumps:
	munmap(j->jumps, JIT_JUMPS_BYTES);
	return r;
}

/* Every translation goes: the code, and the jump cache pointing at it. */
static void jit_flush(struct jit *j)
{
	codecache_flush(&j->cc);
	/* Zero again, and the memory back to the host. */
	madvise(j->jumps, JIT_JUMPS_BYTES, MADV_DONTNEED);
}

void jit_destroy(struct jit *j)
{
	codecache_destroy(&j->cc);
	munmap(j->jumps, JIT_JUMPS_BYTES);
}

int jit_translate(struct jit *j, struct block_cache *bc, struct block *b)
{
	uint64_t t0 = hart_host_ns();
	struct x86_buf buf;
	void *code;
	int r;

	/* The blocks the code was made for are gone: so is the code. */
	if (j->epoch != bc->flushes) {
		if (j->cc.used > j->cc.keep)
			jit_flush(j);
		j->epoch = bc->flushes;
	}
	codecache_begin(&j->cc, &buf);
	r = translate_block(&buf, b, j->cc.rx - j->cc.rw, j->gate);
	if (r)
		goto out;
	code = codecache_commit(&j->cc, &buf);
	if (!code) {
		/* Full: every block's code goes, and so every block. */
		jit_flush(j);
		block_cache_flush(bc);
		j->epoch = bc->flushes;
		j->stats->flushes++;
		r = -ENOSPC;
		goto out;
	}
	b->code = code;
	j->stats->blocks++;
	j->stats->code_bytes += x86_buf_len(&buf);
	/* The last instruction (or fall-through) ends where the block does. */
	j->stats->guest_bytes +=
	    b->insn[b->ninsn - 1].off + b->insn[b->ninsn - 1].len;
out:
	j->stats->translate_ns += hart_host_ns() - t0;
	return r;
}

void jit_link(struct jit *j, void *site, const void *code)
{
	const uint8_t *to = code;
	int32_t rel = (int32_t)(to - ((uint8_t *)site + 4));

	memcpy(j->cc.rw + ((uint8_t *)site - j->cc.rx), &rel, 4);
	j->stats->links++;
}
