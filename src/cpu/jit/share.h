/* SPDX-License-Identifier: MIT */
/*
 * The shared code cache of the translating tier: translations keyed by
 * what the code is, used by every hart of a VM and of every clone
 * descended from it (vmm/ hands one to each VM family), so that a clone
 * runs its parent's hot code at once, with no translation of its own.
 *
 * Keying. A translation is found by the host address of its block's first
 * instruction: the host frame holding the guest code plus the offset in
 * it (a clone's G-stage shares its parent's frames, so the parent's code
 * is at the same host address in the clone), and by the mode bits the
 * code depends on (struct jit_key). The guest-virtual pc is not part of
 * the key: translated code takes it from h->pc (cpu/jit/translate.c), as
 * blocks do. Nor are the privilege and the MMU mode: the code reads them
 * at run time through h->tlb, which hart_run() selects for them. The key
 * holds the hart's enabled extensions, for code that would embed them:
 * whatever goes into the mode must be fixed for a hart's lifetime (or be
 * checked by the code itself at run time), as chained exits and the jump
 * cache go from translation to translation without a lookup.
 *
 * Validity: "the frame's contents unchanged". A host address says which
 * frame, not what is in it: a frame written in place (self-modifying
 * code; a VM writes its own frames, one no other VM maps: shared frames
 * are copy-on-write, and a write breaks to a new frame, a new key) or
 * freed and used again for other code holds other instructions at the
 * same key. So each translation belongs to a page record (struct
 * jit_page) holding a copy of the whole 4 KiB guest page it was decoded
 * from (harts run code only from whole host pages: guest frames, and the
 * page-aligned windows of cpu/hart.h's struct hart_view); translations are
 * decoded from that copy, never from the live page, and a lookup serves one
 * only while the live page equals the copy. A page found changed is dead: none
 * of its translations is served again and new ones go to a new record. A hart
 * that did not fence.i may go on running what its own block cache holds (the
 * architecture lets it see the old instructions, as the interpreter's block
 * cache does); a hart that did fence.i (its block cache flushed, cpu/block.h)
 * looks up again and sees the check. A found translation must also be of the
 * same instructions as the block the hart decoded itself (the bytes may have
 * changed between the two: the hart runs what it decoded).
 *
 * Chaining: an exit is chained (its jump patched, for every user) only to
 * a translation of the same page record (the translation code passes the
 * record's tag to hart_run(): h->jit_link_group). A record's translations
 * were all decoded from one copy, so a record that passes the check
 * passes it for every translation its code can chain to: a chain never
 * leads from current code into code made from older bytes.
 *
 * Ownership and lifetime: translations, their struct insn arrays (the
 * handlers' arguments, a copy of their own, never a hart's block cache)
 * and page records live in the cache, in one of two halves: code and data
 * are bump-allocated in the active half; nothing is freed on its own.
 * When the active half is full, every translation of the other half goes
 * at once and it becomes the active one, empty (an epoch: a flush). A
 * hart may be running a translation of the old half meanwhile: it holds
 * references to it in its block cache, jump cache and link site. Each
 * hart's struct jit_user says which epoch it has seen: at each block
 * boundary (outside translated code) hart_run() compares the epoch with
 * its own, and if it moved drops those references (jit_sync()) and
 * records the new one. A half is reused only once every user running
 * guest code has seen the epoch after it was left (users not in
 * hart_run() hold nothing they will run: they sync before running);
 * until then translating fails and blocks stay interpreted. Nobody waits
 * for anybody: the check is made by the hart that finds the cache full.
 *
 * Concurrency: lookups take no lock (hash chains of published, immutable
 * translations, read with acquire loads); translating, marking, switching
 * halves and registering users take the cache's mutex. The code stays
 * W^X (cpu/jit/codecache.h); chain patches are aligned 4-byte stores, so
 * another thread running the code sees the old jump or the new one.
 */
#ifndef MEMVISOR_CPU_JIT_SHARE_H
#define MEMVISOR_CPU_JIT_SHARE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/block.h"
#include "cpu/jit/codecache.h"
#include "cpu/jit/translate.h"

/* Bytes of code of a VM family's shared cache (two halves). */
#define JIT_SHARE_SIZE (64u << 20)

#define JIT_SHARE_BUCKETS_BITS 15 /* at most */
#define JIT_SHARE_PAGES_BITS   12

/* What a translation is looked up by, besides its host address. */
struct jit_key {
	uintptr_t host; /* the host address of its first instruction */
	uint64_t mode;	/* the hart's enabled extensions (isa_set) */
};

/* A copy of a page of guest code the translations of a record came from. */
struct jit_page {
	uintptr_t host;	       /* the page's host address */
	uint64_t mode;	       /* struct jit_key's */
	_Atomic bool dead;     /* the page was found changed */
	struct jit_page *next; /* in the page table, under the lock */
	const uint8_t *bytes;  /* 4 KiB, 4 KiB-aligned */
};

/* One translation, immutable once published. */
struct jit_tx {
	struct jit_key key;
	struct jit_page *page;
	const void *code;	     /* in the executable view */
	const void *maker;	     /* the struct jit that made it */
	struct jit_tx *_Atomic next; /* in its hash chain */
	struct block *blk;	     /* its own decoded trace */
	uint32_t lead; /* instructions of the trace's first block */
};

/* A hart using the cache (in its struct jit). */
struct jit_user {
	_Atomic uint64_t seen; /* the epoch it has synced with */
	_Atomic bool running;  /* in hart_run() */
	struct jit_user *next; /* under the lock */
};

/* One half: code [code_from, code_to) of the code cache, and data. */
struct jit_half {
	size_t code_from, code_to;
	uint8_t *data; /* mapped, data_size bytes */
	size_t data_used;
};

struct jit_share {
	pthread_mutex_t lock;
	_Atomic unsigned refs;
	struct codecache cc; /* the entry and gate kept, then the halves */
	int (*entry)(struct hart *h, const void *code); /* translate_entry() */
	struct translate_gates gates; /* in the writable view */
	/* Halves left; the active half: epoch & 1. Read by every hart at
	 * every block boundary: a cache line of its own, away from the lock
	 * and the counts that translating and cloning write. */
	_Alignas(64) _Atomic uint64_t epoch;
	_Alignas(64) struct jit_half half[2];
	size_t data_size;
	struct jit_tx *_Atomic *index; /* 1 << index_bits chains */
	unsigned index_bits;
	struct jit_page *pages[1u << JIT_SHARE_PAGES_BITS]; /* under the lock */
	struct jit_user *users;				    /* under the lock */
};

/*
 * Create a shared cache of size bytes of code (0: JIT_SHARE_SIZE; at least
 * 16 KiB, a multiple of 4 KiB), one reference held by the caller. Returns
 * 0, -ENOTSUP on a host without a translator, or a negative errno.
 */
int jit_share_create(size_t size, struct jit_share **out);

/* Another reference to s (NULL: none); returns s. Any thread. */
struct jit_share *jit_share_get(struct jit_share *s);

/* Drop a reference (s may be NULL); the last one frees the cache, which no
 * user may still be registered with. Any thread. */
void jit_share_put(struct jit_share *s);

/* Register u with s (its epoch: the current one) / take it off. */
void jit_share_join(struct jit_share *s, struct jit_user *u);
void jit_share_leave(struct jit_share *s, struct jit_user *u);

/*
 * The published translation of key whose page record is alive and equals
 * the live page at key->host, and whose instructions are those of b (a
 * block decoded at key->host); NULL: none. Marks a record found changed
 * dead. No lock: the caller is a registered user, running (its epoch keeps
 * what it reads).
 */
const struct jit_tx *jit_share_find(struct jit_share *s,
				    const struct jit_key *key,
				    const struct block *b);

/*
 * Translate b (a block the user u decoded at key->host) into s for maker,
 * or find it translated meanwhile; the trace goes the way the branches of
 * bias's blocks went most (NULL: not taken; translate_decode()). On success
 * *out is the translation, 0 returned, and *made says whether maker made it.
 * Returns -EAGAIN when u has not synced with the current epoch, -ESTALE when b
 * is not what the page holds now, -ENOSPC when the cache is full and its other
 * half still in use (b stays interpreted; try later), -EINVAL for a block that
 * cannot be translated. Takes the lock.
 */
int jit_share_translate(struct jit_share *s, struct jit_user *u,
			const struct jit_key *key, const struct block *b,
			const struct block_cache *bias, const void *maker,
			const struct jit_tx **out, bool *made,
			size_t *code_bytes, bool *flushed);

/* True when the translations of tx's record may chain to each other. */
static inline uint64_t jit_share_group(const struct jit_tx *tx)
{
	return (uint64_t)(uintptr_t)tx->page;
}

/*
 * Point the chainable exit whose jump displacement is at site (in the
 * executable view) at code. Both of one record. Any user thread.
 */
void jit_share_link(struct jit_share *s, void *site, const void *code);

#endif
