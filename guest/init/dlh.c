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
 *                          the kernel promises) and then held a new pattern;
 *                          then unmapped, so the kernel reports it again
 *   DLH-CHURN-OK rounds=R pages=P reports=B pages_reported=Q
 *                          CHURN seconds of mapping, checking and unmapping
 *                          chunks (churn.h) while the kernel goes on
 *                          reporting what is freed (B reports of Q pages
 *                          meanwhile)
 *   DLH-DONE mismatches=M  after checking KEEP_MIB MiB written at the start
 *                          and held all along
 *
 * then powers off. Any word that does not hold what it should prints
 * "DLH-MISMATCH ..." (the check goes on, to count them all). MIB=N on the
 * kernel command line sets the size (default 200), CHURN=S the churn time
 * (default 15; 0: none).
 */
#include "lib.h"
#include "churn.h"

#define PAUSE_S	       2
#define QUIET_S	       4   /* no more pages reported for this long: done */
#define REPORT_LIMIT_S 120 /* give up waiting for reports after this */
#define KEEP_MIB       16

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
	return (unsigned long)tv.tv_sec * 1000 +
	       (unsigned long)tv.tv_usec / 1000;
}

static void map(struct churn_chunk *c, unsigned long pages, unsigned long seed)
{
	if (churn_map(c, pages, seed)) {
		out("DLH-FAIL cannot map the memory\n");
		reboot(LINUX_REBOOT_CMD_POWER_OFF);
	}
}

int main(int argc, char **argv, char **envp)
{
	const char *mib_s = env_get(envp, "MIB"),
		   *churn_s = env_get(envp, "CHURN");
	unsigned long mib = mib_s ? parse_num(&mib_s) : 200;
	unsigned long churn = churn_s ? parse_num(&churn_s) : 15;
	unsigned long pages = mib << 8, reported, last, t0, quiet;
	struct churn_chunk m, keep;

	(void)argc;
	(void)argv;
	churn_tag = "DLH";
	mount("proc", "/proc", "proc", 0, 0);
	mount("sysfs", "/sys", "sysfs", 0, 0);
	out("DLH-READY reporting=");
	out(param("reporting") ? "Y" : "N");
	out(" sync=");
	out(param("sync") ? "Y" : "N");
	out("\n");

	map(&keep, KEEP_MIB << 8, 3);
	map(&m, pages, 1);
	churn_check(&m, "allocated");
	out("DLH-ALLOCATED ");
	out_num(mib);
	out("\n");
	sleep(PAUSE_S);

	churn_check(&m, "before-free");
	churn_unmap(&m);
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

	map(&m, pages, 0);
	churn_check(&m, "reused-before-writing");
	churn_write(&m, 2);
	churn_check(&m, "reused");
	churn_unmap(&m);
	out(churn_mismatches ? "DLH-REUSE-BAD " : "DLH-REUSE-OK ");
	out_num(mib);
	out("\n");

	if (churn) {
		unsigned long reports = param("reports"), rounds, checked;

		reported = param("pages_reported");
		churn_run(churn, &rounds, &checked);
		out("DLH-CHURN-OK rounds=");
		out_num(rounds);
		out(" pages=");
		out_num(checked);
		out(" reports=");
		out_num(param("reports") - reports);
		out(" pages_reported=");
		out_num(param("pages_reported") - reported);
		out("\n");
	}
	churn_check(&keep, "kept");
	out("DLH-DONE mismatches=");
	out_num(churn_mismatches);
	out("\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
