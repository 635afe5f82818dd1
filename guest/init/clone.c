/*
 * clone.c — /init of the clone guest: boots once, fills a buffer with a
 * pattern, says it is ready, then serves one command per console line, so
 * that each clone of it can be handed different work:
 *
 *   fill K      check the buffer still holds the current pattern, write
 *               pattern K over all of it, check it again
 *               -> "MEMVISOR-FILLED K" or "MEMVISOR-PATTERN-FAIL ..."
 *   check       check the buffer holds the current pattern
 *               -> "MEMVISOR-CHECK-OK seed=S" or "MEMVISOR-PATTERN-FAIL ..."
 *   answer N    -> "MEMVISOR-ANSWER N=<the N-th prime>"
 *   poweroff    power the machine off
 *
 * At boot it writes pattern 0 and prints "MEMVISOR-CLONE-READY mib=M". The
 * buffer size in MiB comes from the kernel command line (clone_mib=M,
 * default 16). Each word of pattern K at index i is a mix of K and i, so a
 * page that belongs to another VM, or to another place, reads wrong.
 */

#include "lib.h"

#define DEFAULT_MIB 16

static unsigned long *buf;
static unsigned long nwords;
static unsigned long seed;

static unsigned long pattern(unsigned long k, unsigned long i)
{
	unsigned long x = (k + 1) * 0x9e3779b97f4a7c15ul ^ i;

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ul;
	return x ^ (x >> 29);
}

/* Returns the first index that does not hold pattern k, or nwords. */
static unsigned long verify(unsigned long k)
{
	for (unsigned long i = 0; i < nwords; i++)
		if (buf[i] != pattern(k, i))
			return i;
	return nwords;
}

static void fill(unsigned long k)
{
	for (unsigned long i = 0; i < nwords; i++)
		buf[i] = pattern(k, i);
}

static int check(const char *what)
{
	unsigned long bad = verify(seed);

	if (bad == nwords)
		return 0;
	out("MEMVISOR-PATTERN-FAIL ");
	out(what);
	out(" seed=");
	out_num(seed);
	out(" word=");
	out_num(bad);
	out("\n");
	return -1;
}

static unsigned long nth_prime(unsigned long n)
{
	unsigned long count = 0, p = 1;

	while (count < n) {
		p++;
		unsigned long d = 2;
		while (d * d <= p && p % d)
			d++;
		if (d * d > p)
			count++;
	}
	return p;
}

static void serve(const char *line)
{
	if (!strncmp(line, "fill ", 5)) {
		const char *arg = line + 5;
		unsigned long k = parse_num(&arg);
		if (check("before-fill"))
			return;
		fill(k);
		seed = k;
		if (check("after-fill"))
			return;
		out("MEMVISOR-FILLED ");
		out_num(k);
		out("\n");
	} else if (!strcmp(line, "check")) {
		if (check("check"))
			return;
		out("MEMVISOR-CHECK-OK seed=");
		out_num(seed);
		out("\n");
	} else if (!strncmp(line, "answer ", 7)) {
		const char *arg = line + 7;
		unsigned long n = parse_num(&arg);
		out("MEMVISOR-ANSWER ");
		out_num(n);
		out("=");
		out_num(nth_prime(n));
		out("\n");
	} else if (!strcmp(line, "poweroff")) {
		reboot(LINUX_REBOOT_CMD_POWER_OFF);
	}
}

int main(int argc, char **argv, char **envp)
{
	const char *mib_s = env_get(envp, "clone_mib");
	unsigned long mib = mib_s ? parse_num(&mib_s) : DEFAULT_MIB;

	(void)argc;
	(void)argv;
	mount("proc", "/proc", "proc", 0, 0);
	nwords = (mib << 20) / sizeof(unsigned long);
	buf = malloc(nwords * sizeof(unsigned long));
	if (!buf) {
		out("MEMVISOR-CLONE-FAIL no memory\n");
		reboot(LINUX_REBOOT_CMD_POWER_OFF);
	}
	fill(0);
	out("MEMVISOR-CLONE-READY mib=");
	out_num(mib);
	out("\n");

	serve_console(serve);
}
