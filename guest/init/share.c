/*
 * share.c — /init of the free-page sharing test guest: it owns memory,
 * checks every page it owns, and frees and reuses memory, while the host
 * takes its free pages away. One command per console line:
 *
 *   alloc N    map N MiB, write every page  -> "SHARE-ALLOCATED N"
 *   free       check and unmap them         -> "SHARE-FREED N" (MiB)
 *   reuse N    map N MiB again, write a new pattern, check it
 *              -> "SHARE-REUSE-OK N"
 *   stress S   for S seconds: map, write, check and unmap chunks of
 *              random sizes (up to 32 MiB live), every page checked
 *              before it is unmapped and at random times in between
 *              -> "SHARE-STRESS-OK rounds=R pages=P"
 *   poweroff
 *
 * Any page that does not hold what was written to it prints
 * "SHARE-MISMATCH ..." (and the command goes on, to count them all).
 * "SHARE-READY" once it can take commands.
 */
#include "lib.h"

#define PAGE	       4096ul
#define MAX_CHUNKS     16
#define MAX_LIVE_PAGES (32ul << 20) / PAGE
#define MAX_CHUNK_PAGE 2048ul /* 8 MiB */

struct chunk {
	unsigned long *mem;
	unsigned long pages;
	unsigned long seed;
};

static struct chunk chunks[MAX_CHUNKS];
static unsigned long mismatches, rng = 0x9e3779b97f4a7c15ul;

static unsigned long next_random(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dul;
}

/* Word w of page p of a chunk with this seed. */
static unsigned long pattern(unsigned long seed, unsigned long p,
			     unsigned long w)
{
	unsigned long x = seed * 0xbf58476d1ce4e5b9ul ^ (p << 9 | w);

	x ^= x >> 31;
	return x * 0x94d049bb133111ebul;
}

static void chunk_write(struct chunk *c)
{
	for (unsigned long p = 0; p < c->pages; p++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			c->mem[p * (PAGE / 8) + w] = pattern(c->seed, p, w);
}

/* Check every page of c; returns the pages checked. */
static unsigned long chunk_check(const struct chunk *c, const char *when)
{
	for (unsigned long p = 0; p < c->pages; p++) {
		for (unsigned long w = 0; w < PAGE / 8; w++) {
			if (c->mem[p * (PAGE / 8) + w] == pattern(c->seed, p, w))
				continue;
			mismatches++;
			out("SHARE-MISMATCH ");
			out(when);
			out(" seed=");
			out_num(c->seed);
			out(" page=");
			out_num(p);
			out(" word=");
			out_num(w);
			out("\n");
			break;
		}
	}
	return c->pages;
}

static int chunk_map(struct chunk *c, unsigned long pages, unsigned long seed)
{
	void *m = mmap(0, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return -1;
	c->mem = m;
	c->pages = pages;
	c->seed = seed;
	chunk_write(c);
	return 0;
}

static void chunk_unmap(struct chunk *c)
{
	munmap(c->mem, c->pages * PAGE);
	c->mem = 0;
	c->pages = 0;
}

static unsigned long seconds(void)
{
	struct timeval tv;

	gettimeofday(&tv, 0);
	return (unsigned long)tv.tv_sec;
}

static void stress(unsigned long secs)
{
	unsigned long end = seconds() + secs, rounds = 0, checked = 0;
	unsigned long live = 0, seed = 1000;

	while (seconds() < end) {
		struct chunk *c = &chunks[next_random() % MAX_CHUNKS];
		unsigned long pages = 1 + next_random() % MAX_CHUNK_PAGE;

		rounds++;
		if (!c->mem) {
			if (live + pages > MAX_LIVE_PAGES)
				continue;
			if (chunk_map(c, pages, ++seed))
				continue;
			live += pages;
		} else if (next_random() % 3 == 0) {
			checked += chunk_check(c, "recheck");
		} else {
			checked += chunk_check(c, "before-free");
			live -= c->pages;
			chunk_unmap(c);
		}
	}
	for (unsigned i = 0; i < MAX_CHUNKS; i++) {
		if (!chunks[i].mem)
			continue;
		checked += chunk_check(&chunks[i], "final");
		chunk_unmap(&chunks[i]);
	}
	out("SHARE-STRESS-OK rounds=");
	out_num(rounds);
	out(" pages=");
	out_num(checked);
	out(" mismatches=");
	out_num(mismatches);
	out("\n");
}

static void serve(const char *line)
{
	static struct chunk big;
	const char *arg = line;

	while (*arg && *arg != ' ')
		arg++;
	if (!strncmp(line, "alloc ", 6) || !strncmp(line, "reuse ", 6)) {
		unsigned long mib = parse_num(&arg);
		int reuse = line[0] == 'r';

		if (big.mem)
			chunk_unmap(&big);
		if (chunk_map(&big, mib << 8, reuse ? 2 : 1)) {
			out("SHARE-FAIL cannot map the memory\n");
			return;
		}
		out(reuse ? "SHARE-REUSE-" : "SHARE-ALLOCATED ");
		if (reuse) {
			unsigned long before = mismatches;

			chunk_check(&big, "reuse");
			out(mismatches == before ? "OK " : "BAD ");
		}
		out_num(mib);
		out("\n");
	} else if (!strcmp(line, "free")) {
		unsigned long mib = big.pages >> 8;

		if (big.mem) {
			chunk_check(&big, "free");
			chunk_unmap(&big);
		}
		out("SHARE-FREED ");
		out_num(mib);
		out("\n");
	} else if (!strncmp(line, "stress ", 7)) {
		stress(parse_num(&arg));
	} else if (!strcmp(line, "poweroff")) {
		reboot(LINUX_REBOOT_CMD_POWER_OFF);
	}
}

int main(void)
{
	mount("proc", "/proc", "proc", 0, 0);
	out("SHARE-READY\n");
	serve_console(serve);
}
