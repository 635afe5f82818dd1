/* SPDX-License-Identifier: MIT */
#include "cpu/jit/share.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/jit/jit.h"
#include "cpu/jit/perfmap.h"
#include "cpu/jit/translate.h"

/* Data of a half beyond its code's size: page copies of a few pages. */
#define JIT_SHARE_DATA_EXTRA (64u << 10)

static size_t jit_share_slot(const struct jit_share *s, uintptr_t host)
{
	return (size_t)(((uint64_t)host * 0x9e3779b97f4a7c15ull) >>
			(64 - s->index_bits));
}

static size_t jit_share_index_bytes(const struct jit_share *s)
{
	return sizeof(struct jit_tx *) << s->index_bits;
}

static size_t jit_share_page_slot(uintptr_t page)
{
	return (size_t)(((uint64_t)page * 0x9e3779b97f4a7c15ull) >>
			(64 - JIT_SHARE_PAGES_BITS));
}

static void *jit_share_map(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int jit_share_create(size_t size, struct jit_share **out)
{
	struct jit_share *s;
	struct x86_buf buf;
	size_t keep, half;
	void *gate_rx;
	int r;

	if (!jit_supported())
		return -ENOTSUP;
	size = size ? size : JIT_SHARE_SIZE;
	if (size < (16u << 10) || size % 4096)
		return -EINVAL;
	s = aligned_alloc(64, (sizeof(*s) + 63) & ~(size_t)63);
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	r = codecache_init(&s->cc, size);
	if (r)
		goto err_free;
	/* The entry and the gate stay through every flush. */
	codecache_begin(&s->cc, &buf);
	translate_entry(&buf);
	s->entry = codecache_commit(&s->cc, &buf);
	if (s->entry)
		perfmap_note(s->entry, x86_buf_len(&buf), 0, 0, "jit_entry",
			     buf.start, (size_t)(buf.start - s->cc.rw));
	for (int fflags = 0; fflags < 2; fflags++) {
		codecache_begin(&s->cc, &buf);
		translate_gate(&buf, fflags);
		*(fflags ? &s->gates.fflags : &s->gates.plain) = buf.start;
		gate_rx = codecache_commit(&s->cc, &buf);
		if (!s->entry || !gate_rx) {
			r = -ENOSPC;
			goto err_cc;
		}
		perfmap_note(gate_rx, x86_buf_len(&buf), 0, 0,
			     fflags ? "jit_gate_fflags" : "jit_gate", buf.start,
			     (size_t)(buf.start - s->cc.rw));
	}
	codecache_keep(&s->cc);
	/* The halves on whole pages (each given back whole). */
	keep = (s->cc.used + 4095) & ~(size_t)4095;
	half = ((size - keep) / 2) & ~(size_t)4095;
	s->data_size = half + JIT_SHARE_DATA_EXTRA;
	r = -ENOMEM;
	for (unsigned i = 0; i < 2; i++) {
		s->half[i].code_from = keep + i * half;
		s->half[i].code_to = keep + (i + 1) * half;
		s->half[i].data = jit_share_map(s->data_size);
		if (!s->half[i].data)
			goto err_data;
	}
	/* A chain per 2 KiB of code (a few translations), 1 KiB at least. */
	for (s->index_bits = 7; s->index_bits < JIT_SHARE_BUCKETS_BITS &&
				(2048ul << s->index_bits) < size;
	     s->index_bits++)
		;
	s->index = jit_share_map(jit_share_index_bytes(s));
	if (!s->index)
		goto err_data;
	codecache_span(&s->cc, s->half[0].code_from, s->half[0].code_to);
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refs, 1);
	atomic_init(&s->epoch, 0);
	*out = s;
	return 0;

err_data:
	for (unsigned i = 0; i < 2; i++)
		if (s->half[i].data)
			munmap(s->half[i].data, s->data_size);
err_cc:
	codecache_destroy(&s->cc);
err_free:
	free(s);
	return r;
}

struct jit_share *jit_share_get(struct jit_share *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void jit_share_put(struct jit_share *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	munmap(s->index, jit_share_index_bytes(s));
	for (unsigned i = 0; i < 2; i++)
		munmap(s->half[i].data, s->data_size);
	codecache_destroy(&s->cc);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void jit_share_join(struct jit_share *s, struct jit_user *u)
{
	pthread_mutex_lock(&s->lock);
	atomic_init(&u->running, false);
	atomic_init(&u->seen, atomic_load(&s->epoch));
	u->next = s->users;
	s->users = u;
	pthread_mutex_unlock(&s->lock);
}

void jit_share_leave(struct jit_share *s, struct jit_user *u)
{
	pthread_mutex_lock(&s->lock);
	for (struct jit_user **p = &s->users; *p; p = &(*p)->next)
		if (*p == u) {
			*p = u->next;
			break;
		}
	pthread_mutex_unlock(&s->lock);
}

/* Does the live page still hold what pg copied? */
static bool jit_page_current(const struct jit_page *pg)
{
	return !memcmp(pg->bytes, (const void *)pg->host, 4096);
}

/* Does the trace of tx start with b's instructions, as decoding made
 * them (padding aside)? */
static bool jit_same_insns(const struct jit_tx *tx, const struct block *b)
{
	const struct block *a = tx->blk;

	if (tx->lead != b->ninsn)
		return false;
	for (uint32_t i = 0; i < b->ninsn; i++) {
		const struct insn *x = &a->insn[i], *y = &b->insn[i];

		if (x->fn != y->fn || x->raw != y->raw || x->off != y->off ||
		    x->len != y->len)
			return false;
	}
	return true;
}

const struct jit_tx *jit_share_find(struct jit_share *s,
				    const struct jit_key *key,
				    const struct block *b)
{
	struct jit_tx *tx = atomic_load_explicit(
	    &s->index[jit_share_slot(s, key->host)], memory_order_acquire);

	for (; tx; tx = atomic_load_explicit(&tx->next, memory_order_acquire)) {
		if (tx->key.host != key->host || tx->key.mode != key->mode ||
		    atomic_load_explicit(&tx->page->dead, memory_order_relaxed))
			continue;
		if (!jit_page_current(tx->page)) {
			atomic_store(&tx->page->dead, true);
			continue;
		}
		if (jit_same_insns(tx, b))
			return tx;
	}
	return NULL;
}

/* size bytes (align a power of two) of the active half's data; NULL: full. */
static void *jit_share_alloc(struct jit_share *s, size_t size, size_t align)
{
	struct jit_half *h = &s->half[atomic_load(&s->epoch) & 1];
	size_t at = (h->data_used + align - 1) & ~(align - 1);

	if (at + size > s->data_size)
		return NULL;
	h->data_used = at + size;
	return h->data + at;
}

/* The live record of the page holding key->host, copied now if none;
 * NULL: no room. Under the lock. */
static struct jit_page *jit_share_page(struct jit_share *s,
				       const struct jit_key *key)
{
	uintptr_t host = key->host & ~(uintptr_t)0xfff;
	struct jit_page **head = &s->pages[jit_share_page_slot(host)];
	struct jit_page *pg;
	uint8_t *bytes;

	for (pg = *head; pg; pg = pg->next) {
		if (pg->host != host || pg->mode != key->mode ||
		    atomic_load(&pg->dead))
			continue;
		if (jit_page_current(pg))
			return pg;
		atomic_store(&pg->dead, true);
	}
	pg = jit_share_alloc(s, sizeof(*pg), 16);
	bytes = jit_share_alloc(s, 4096, 4096);
	if (!pg || !bytes)
		return NULL;
	memcpy(bytes, (const void *)host, 4096);
	pg->host = host;
	pg->mode = key->mode;
	atomic_init(&pg->dead, false);
	pg->bytes = bytes;
	pg->next = *head;
	*head = pg;
	return pg;
}

/* Make and publish the translation of b. Under the lock. */
static int jit_share_make(struct jit_share *s, const struct jit_key *key,
			  const struct block *b, const struct block_cache *bias,
			  const void *maker, const struct jit_tx **out,
			  size_t *code_bytes)
{
	struct jit_half *h = &s->half[atomic_load(&s->epoch) & 1];
	struct jit_page *pg = jit_share_page(s, key);
	struct x86_buf buf;
	struct jit_tx *tx;
	struct block *blk;
	size_t mark, slot;
	int r;

	if (!pg)
		return -ENOSPC;
	mark = h->data_used;
	tx = jit_share_alloc(s, sizeof(*tx), 16);
	blk = jit_share_alloc(
	    s, sizeof(*blk) + TRACE_MAX_INSNS * sizeof(struct insn), 16);
	if (!tx || !blk) {
		h->data_used = mark;
		return -ENOSPC;
	}
	/* From the copy: what the code does is what the record holds. */
	memset(blk, 0, sizeof(*blk));
	blk->host = key->host;
	blk->ninsn = translate_decode(pg->bytes + (key->host & 0xfff),
				      key->host, bias, blk->insn, &tx->lead);
	h->data_used = (size_t)((uint8_t *)&blk->insn[blk->ninsn] - h->data);
	tx->blk = blk;
	if (!jit_same_insns(tx, b)) {
		h->data_used = mark;
		return -ESTALE;
	}
	codecache_begin(&s->cc, &buf);
	r = translate_block(&buf, blk, s->cc.rx - s->cc.rw, &s->gates,
			    (uint64_t)(uintptr_t)pg);
	if (!r && !(tx->code = codecache_commit(&s->cc, &buf)))
		r = -ENOSPC;
	if (r) {
		h->data_used = mark;
		return r;
	}
	perfmap_note(tx->code, x86_buf_len(&buf), key->host, blk->ninsn, NULL,
		     buf.start, (size_t)(buf.start - s->cc.rw));
	tx->key = *key;
	tx->page = pg;
	tx->maker = maker;
	slot = jit_share_slot(s, key->host);
	atomic_init(&tx->next, atomic_load_explicit(&s->index[slot],
						    memory_order_relaxed));
	atomic_store_explicit(&s->index[slot], tx, memory_order_release);
	*code_bytes = x86_buf_len(&buf);
	*out = tx;
	return 0;
}

/*
 * Leave the active half for the other one, emptied, if every user running
 * guest code has synced with the current epoch (so none holds anything of
 * the other half). Returns whether it did. Under the lock.
 */
static bool jit_share_switch(struct jit_share *s)
{
	uint64_t epoch = atomic_load(&s->epoch);
	struct jit_half *next = &s->half[(epoch + 1) & 1];

	for (const struct jit_user *u = s->users; u; u = u->next)
		if (atomic_load(&u->running) && atomic_load(&u->seen) != epoch)
			return false;
	codecache_span(&s->cc, next->code_from, next->code_to);
	madvise(next->data, s->data_size, MADV_DONTNEED);
	next->data_used = 0;
	/* Lookups still walking the old chains read the old half, which
	 * stays until their users sync. */
	madvise(s->index, jit_share_index_bytes(s), MADV_DONTNEED);
	memset(s->pages, 0, sizeof(s->pages));
	atomic_store(&s->epoch, epoch + 1);
	return true;
}

int jit_share_translate(struct jit_share *s, struct jit_user *u,
			const struct jit_key *key, const struct block *b,
			const struct block_cache *bias, const void *maker,
			const struct jit_tx **out, bool *made,
			size_t *code_bytes, bool *flushed)
{
	int r;

	*made = *flushed = false;
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&u->seen) != atomic_load(&s->epoch)) {
		r = -EAGAIN;
		goto out;
	}
	*out = jit_share_find(s, key, b);
	if (*out) {
		r = 0;
		goto out;
	}
	r = jit_share_make(s, key, b, bias, maker, out, code_bytes);
	if (r == 0)
		*made = true;
	else if (r == -ENOSPC)
		*flushed = jit_share_switch(s);
out:
	pthread_mutex_unlock(&s->lock);
	return r;
}

void jit_share_link(struct jit_share *s, void *site, const void *code)
{
	uint8_t *at = s->cc.rw + ((uint8_t *)site - s->cc.rx);
	int32_t rel = (int32_t)((const uint8_t *)code - ((uint8_t *)site + 4));

	if ((uintptr_t)at & 3)
		memcpy(at, &rel, 4); /* not emitted so (cpu/jit/translate.c) */
	else
		__atomic_store_n((int32_t *)(void *)at, rel, __ATOMIC_RELEASE);
}
