/* SPDX-License-Identifier: MIT */
#include "cpu/jit/jit.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/hart.h"

#define JIT_JUMPS_BYTES (JIT_JUMPS * sizeof(struct jit_jump))

bool jit_supported(void)
{
#if defined(__x86_64__)
	return true;
#else
	return false;
#endif
}

int jit_init(struct jit *j, struct jit_share *share, size_t cache_size,
	     uint32_t threshold, uint64_t mode, struct hart_tier_stats *stats)
{
	int r;

	if (!jit_supported())
		return -ENOTSUP;
	j->threshold = threshold ? threshold : JIT_THRESHOLD;
	j->mode = mode;
	j->stats = stats;
	j->jumps_stale = false;
	/* Host memory only for the entries written: a clone that runs little
	 * code pays for little of it. */
	j->jumps = mmap(NULL, JIT_JUMPS_BYTES, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (j->jumps == MAP_FAILED)
		return -ENOMEM;
	if (share) {
		j->share = jit_share_get(share);
	} else {
		r = jit_share_create(cache_size ? cache_size : JIT_CACHE_SIZE,
				     &j->share);
		if (r)
			goto err_jumps;
	}
	j->entry = j->share->entry;
	jit_share_join(j->share, &j->user);
	j->seen = atomic_load(&j->user.seen);
	return 0;

err_jumps:
	munmap(j->jumps, JIT_JUMPS_BYTES);
	return r;
}

void jit_destroy(struct jit *j)
{
	jit_share_leave(j->share, &j->user);
	jit_share_put(j->share);
	munmap(j->jumps, JIT_JUMPS_BYTES);
}

/* Zero again, and the memory back to the host. */
static void jit_clear_jumps(struct jit *j)
{
	madvise(j->jumps, JIT_JUMPS_BYTES, MADV_DONTNEED);
	j->jumps_stale = false;
}

bool jit_sync_slow(struct jit *j)
{
	uint64_t e = atomic_load(&j->share->epoch);

	if (e == j->seen)
		return false;
	jit_clear_jumps(j);
	j->seen = e;
	atomic_store(&j->user.seen, e);
	return true;
}

void jit_enter(struct jit *j)
{
	/* Before the epoch is looked at (jit_sync()): a switch that saw the
	 * hart not running has its epoch seen by it. */
	atomic_store(&j->user.running, true);
}

void jit_leave(struct jit *j)
{
	atomic_store_explicit(&j->user.running, false, memory_order_release);
}

/* b runs tx from now on. */
static void jit_use(struct jit *j, struct block *b, const struct jit_tx *tx)
{
	if (j->jumps_stale)
		jit_clear_jumps(j);
	b->code = (void *)tx->code;
	b->group = jit_share_group(tx);
	if (tx->maker != j)
		j->stats->shared_hits++;
}

bool jit_prepare(struct jit *j, struct block *b, const struct block_cache *bc)
{
	struct jit_key key = {.host = b->host, .mode = j->mode};
	const struct jit_tx *tx;
	size_t code_bytes = 0;
	bool made, flushed;
	uint64_t t0;
	int r;

	if (b->hits++ == 0) {
		tx = jit_share_find(j->share, &key, b);
		if (tx) {
			jit_use(j, b, tx);
			return true;
		}
	}
	if (b->hits != j->threshold)
		return false;
	t0 = hart_host_ns();
	r = jit_share_translate(j->share, &j->user, &key, b, bc, j, &tx, &made,
				&code_bytes, &flushed);
	if (flushed)
		j->stats->flushes++;
	if (r == 0) {
		if (made) {
			j->stats->blocks++;
			j->stats->code_bytes += code_bytes;
			/* The last instruction (or fall-through) ends where
			 * the block does. */
			j->stats->guest_bytes += b->insn[b->ninsn - 1].off +
						 b->insn[b->ninsn - 1].len;
		}
		jit_use(j, b, tx);
	} else if (r == -ENOSPC || r == -EAGAIN) {
		b->hits = 0; /* again once the cache has room */
	}
	j->stats->translate_ns += hart_host_ns() - t0;
	return r == 0;
}

void jit_link(struct jit *j, void *site, const void *code)
{
	jit_share_link(j->share, site, code);
	j->stats->links++;
}
