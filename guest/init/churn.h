/*
 * churn.h — memory that init programs own and check, page by page, while
 * the host takes free pages away (free-page sharing, free page reporting):
 * chunks of anonymous memory filled with a pattern of their seed, checked
 * word by word, and a churn loop that maps, checks and unmaps chunks of
 * random sizes for a while. Include after lib.h; set churn_tag to the
 * program's marker prefix ("SHARE", "DLH") first.
 *
 * A word that does not hold what it should is counted in churn_mismatches
 * and printed as "<tag>-MISMATCH <when> seed=S page=P word=W got=G" (the
 * first per page, at most CHURN_MISMATCH_LINES lines in all).
 */
#ifndef GUEST_INIT_CHURN_H
#define GUEST_INIT_CHURN_H

#define CHURN_PAGE	     4096ul
#define CHURN_CHUNKS	     16
#define CHURN_LIVE_PAGES     ((32ul << 20) / CHURN_PAGE) /* 32 MiB live */
#define CHURN_CHUNK_PAGES    2048ul			 /* 8 MiB at most */
#define CHURN_MISMATCH_LINES 20

struct churn_chunk {
	unsigned long *mem;
	unsigned long pages;
	unsigned long seed; /* 0: the chunk should read zero */
};

static const char *churn_tag = "CHURN";
static unsigned long churn_mismatches, churn_mismatch_lines;
static unsigned long churn_rng = 0x9e3779b97f4a7c15ul;

static inline unsigned long churn_random(void)
{
	churn_rng ^= churn_rng >> 12;
	churn_rng ^= churn_rng << 25;
	churn_rng ^= churn_rng >> 27;
	return churn_rng * 0x2545f4914f6cdd1dul;
}

/* Word w of page p of a chunk with this seed (0 for seed 0). */
static inline unsigned long churn_pattern(unsigned long seed, unsigned long p,
					  unsigned long w)
{
	unsigned long x = seed * 0xbf58476d1ce4e5b9ul ^ (p << 9 | w);

	if (!seed)
		return 0;
	x ^= x >> 31;
	return x * 0x94d049bb133111ebul;
}

/* Fill every page of c with the pattern of seed, which c now holds. */
static inline void churn_write(struct churn_chunk *c, unsigned long seed)
{
	c->seed = seed;
	for (unsigned long p = 0; p < c->pages; p++)
		for (unsigned long w = 0; w < CHURN_PAGE / 8; w++)
			c->mem[p * (CHURN_PAGE / 8) + w] =
			    churn_pattern(seed, p, w);
}

/* Check every word of c; returns the pages checked. */
static inline unsigned long churn_check(const struct churn_chunk *c,
					const char *when)
{
	for (unsigned long p = 0; p < c->pages; p++) {
		for (unsigned long w = 0; w < CHURN_PAGE / 8; w++) {
			unsigned long got = c->mem[p * (CHURN_PAGE / 8) + w];

			if (got == churn_pattern(c->seed, p, w))
				continue;
			churn_mismatches++;
			if (churn_mismatch_lines++ >= CHURN_MISMATCH_LINES)
				break;
			out(churn_tag);
			out("-MISMATCH ");
			out(when);
			out(" seed=");
			out_num(c->seed);
			out(" page=");
			out_num(p);
			out(" word=");
			out_num(w);
			out(" got=");
			out_num(got);
			out("\n");
			break;
		}
	}
	return c->pages;
}

/* Map pages of fresh memory into c and write the pattern of seed (0:
 * leave it as the kernel gives it, zero). Returns 0, or -1 when the
 * kernel has no memory for it. */
static inline int churn_map(struct churn_chunk *c, unsigned long pages,
			    unsigned long seed)
{
	void *m = mmap(0, pages * CHURN_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	c->mem = m;
	c->pages = pages;
	c->seed = 0;
	if (seed)
		churn_write(c, seed);
	return 0;
}

static inline void churn_unmap(struct churn_chunk *c)
{
	munmap(c->mem, c->pages * CHURN_PAGE);
	c->mem = 0;
	c->pages = 0;
}

static inline unsigned long churn_seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, 0);
	return (unsigned long)tv.tv_sec;
}

/* Check and unmap every chunk still mapped; returns the pages checked. */
static inline unsigned long churn_drop_all(struct churn_chunk *chunks,
					   const char *when)
{
	unsigned long checked = 0;

	for (unsigned i = 0; i < CHURN_CHUNKS; i++) {
		if (!chunks[i].mem)
			continue;
		checked += churn_check(&chunks[i], when);
		churn_unmap(&chunks[i]);
	}
	return checked;
}

/*
 * For secs seconds: map chunks of random sizes (up to CHURN_LIVE_PAGES
 * live), write them, check them at random times and before unmapping
 * them; at the end check and unmap what is left. Every CHURN_IDLE_EVERY
 * seconds it drops all it holds and idles CHURN_IDLE_US: a host that
 * takes pages free for a second or more away (memvisor's periodic
 * sharing) then finds thousands, whatever the kernel's per-CPU free
 * lists keep, and the next rounds map them again over the shared frame.
 * Sets *rounds and *checked (pages checked).
 */
#define CHURN_IDLE_EVERY 4
#define CHURN_IDLE_US	 1500000

static inline void churn_run(unsigned long secs, unsigned long *rounds,
			     unsigned long *checked)
{
	static struct churn_chunk chunks[CHURN_CHUNKS];
	static unsigned long seed = 1000;
	unsigned long now = churn_seconds(), live = 0;
	unsigned long end = now + secs, idle = now + CHURN_IDLE_EVERY;

	*rounds = *checked = 0;
	while ((now = churn_seconds()) < end) {
		if (now >= idle) {
			*checked += churn_drop_all(chunks, "before-idle");
			live = 0;
			usleep(CHURN_IDLE_US);
			idle = churn_seconds() + CHURN_IDLE_EVERY;
			continue;
		}
		struct churn_chunk *c = &chunks[churn_random() % CHURN_CHUNKS];
		unsigned long pages = 1 + churn_random() % CHURN_CHUNK_PAGES;

		++*rounds;
		if (!c->mem) {
			if (live + pages > CHURN_LIVE_PAGES ||
			    churn_map(c, pages, ++seed))
				continue;
			live += pages;
		} else if (churn_random() % 3 == 0) {
			*checked += churn_check(c, "recheck");
		} else {
			*checked += churn_check(c, "before-free");
			live -= c->pages;
			churn_unmap(c);
		}
	}
	*checked += churn_drop_all(chunks, "final");
}

#endif
