/*
 * dlh.c — /init of the free-page-reporting test guest (Linux with
 * memvisor's memvisor_dlh driver, booted with memvisor_dlh.reporting=1;
 * tests/integration/dlh.sh and bench/dlh.c drive it). With no input it
 * runs one sequence, printing a marker at each step and then pausing
 * PAUSE_S seconds, so that the host can read its own RSS at that point:
 *
 *   DLH-READY reporting=Y|N sync=Y|N
 *   DLH-ALLOCATED N        N MiB mapped, every page written and checked
 *   DLH-FREED N            checked again and unmapped
 *   DLH-CALLS reports=B chunks=C notifies=T sync_calls=S fallbacks=F
 *        errors=E report_ns=NS
 *   DLH-REPORTED pages_reported=P pages_released=R wait_ms=W
 *                          once the kernel's page reporting went quiet:
 *                          the driver's counters (/sys/module/memvisor_dlh)
 *   DLH-REUSE-OK N         mapped again: every page read zero first (as
 *                          the kernel promises) and then held a new pattern
 *   DLH-DONE mismatches=M
 *
 * then powers off. Any word that does not hold what it should prints
 * "DLH-MISMATCH ..." (the check goes on, to count them all). MIB=N on the
 * kernel command line sets the size (default 200).
 */
#include "lib.h"

#define PAGE	       4096ul
#define PAUSE_S	       2
#define QUIET_S	       4   /* no more pages reported for this long: done */
#define REPORT_LIMIT_S 120 /* give up waiting for reports after this */

static unsigned long mismatches;

/* Word w of page p with this seed. */
static unsigned long pattern(unsigned long seed, unsigned long p,
			     unsigned long w)
{
	unsigned long x = seed * 0xbf58476d1ce4e5b9ul ^ (p << 9 | w);

	x ^= x >> 31;
	return x * 0x94d049bb133111ebul;
}

static void mismatch(const char *what, unsigned long p, unsigned long w,
		     unsigned long got)
{
	if (mismatches++ < 10) {
		out("DLH-MISMATCH ");
		out(what);
		out(" page ");
		out_num(p);
		out(" word ");
		out_num(w);
		out(" got ");
		out_num(got);
		out("\n");
	}
}

static void fill(unsigned long *m, unsigned long pages, unsigned long seed)
{
	for (unsigned long p = 0; p < pages; p++)
		for (unsigned long w = 0; w < PAGE / 8; w++)
			m[p * (PAGE / 8) + w] = pattern(seed, p, w);
}

/* Every word holds the pattern of seed (0: zero). */
static void check(const unsigned long *m, unsigned long pages,
		  unsigned long seed, const char *what)
{
	for (unsigned long p = 0; p < pages; p++)
		for (unsigned long w = 0; w < PAGE / 8; w++) {
			unsigned long want = seed ? pattern(seed, p, w) : 0;

			if (m[p * (PAGE / 8) + w] != want)
				mismatch(what, p, w, m[p * (PAGE / 8) + w]);
		}
}

/* The value of the driver's counter NAME, or 0 when unreadable. */
static unsigned long param(const char *name)
{
	static const char dir[] = "/sys/module/memvisor_dlh/parameters/";
	char path[96], buf[32];
	const char *p = buf;
	long n;
	int fd;

	if (strlen(dir) + strlen(name) >= sizeof(path))
		return 0;
	strcpy(path, dir);
	strcpy(path + strlen(dir), name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	if (buf[0] == 'Y')
		return 1;
	return parse_num(&p);
}

static void out_param(const char *name)
{
	out(" ");
	out(name);
	out("=");
	out_num(param(name));
}

static unsigned long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (unsigned long)tv.tv_sec * 1000 + (unsigned long)tv.tv_usec / 1000;
}

static unsigned long *map(unsigned long pages)
{
	void *m = mmap(0, pages * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED) {
		out("DLH-FAIL cannot map the memory\n");
		reboot(LINUX_REBOOT_CMD_POWER_OFF);
	}
	return m;
}

int main(int argc, char **argv, char **envp)
{
	const char *mib_s = env_get(envp, "MIB");
	unsigned long mib = mib_s ? parse_num(&mib_s) : 200;
	unsigned long pages = mib << 8, *m, reported, last, t0, quiet;

	(void)argc;
	(void)argv;
	mount("proc", "/proc", "proc", 0, 0);
	mount("sysfs", "/sys", "sysfs", 0, 0);
	out("DLH-READY reporting=");
	out(param("reporting") ? "Y" : "N");
	out(" sync=");
	out(param("sync") ? "Y" : "N");
	out("\n");

	m = map(pages);
	fill(m, pages, 1);
	check(m, pages, 1, "allocated");
	out("DLH-ALLOCATED ");
	out_num(mib);
	out("\n");
	sleep(PAUSE_S);

	check(m, pages, 1, "before free");
	munmap(m, pages * PAGE);
	out("DLH-FREED ");
	out_num(mib);
	out("\n");

	/* Page reporting starts 2 s after a free and runs in batches: wait
	 * until no page was reported for QUIET_S seconds. */
	t0 = last = now_ms();
	reported = param("pages_reported");
	quiet = 0;
	while (now_ms() - t0 < REPORT_LIMIT_S * 1000ul) {
		unsigned long r;

		sleep(1);
		r = param("pages_reported");
		if (r != reported) {
			reported = r;
			last = now_ms();
		} else if (reported && now_ms() - last >= QUIET_S * 1000ul) {
			quiet = 1;
			break;
		}
	}
	out("DLH-CALLS");
	out_param("reports");
	out_param("chunks");
	out_param("notifies");
	out_param("sync_calls");
	out_param("fallbacks");
	out_param("errors");
	out_param("report_ns");
	out("\n");
	out("DLH-REPORTED");
	out_param("pages_reported");
	out_param("pages_released");
	out(" wait_ms=");
	out_num(last - t0);
	out(quiet ? "\n" : " (not quiet)\n");
	sleep(PAUSE_S);

	m = map(pages);
	check(m, pages, 0, "reused, before writing");
	fill(m, pages, 2);
	check(m, pages, 2, "reused");
	out(mismatches ? "DLH-REUSE-BAD " : "DLH-REUSE-OK ");
	out_num(mib);
	out("\n");
	out("DLH-DONE mismatches=");
	out_num(mismatches);
	out("\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
