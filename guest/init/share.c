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
#include "churn.h"

/* stress S: churn_run() for S seconds. */
static void stress(unsigned long secs)
{
	unsigned long rounds, checked;

	churn_run(secs, &rounds, &checked);
	out("SHARE-STRESS-OK rounds=");
	out_num(rounds);
	out(" pages=");
	out_num(checked);
	out(" mismatches=");
	out_num(churn_mismatches);
	out("\n");
}

static void serve(const char *line)
{
	static struct churn_chunk big;
	const char *arg = line;

	while (*arg && *arg != ' ')
		arg++;
	if (!strncmp(line, "alloc ", 6) || !strncmp(line, "reuse ", 6)) {
		unsigned long mib = parse_num(&arg);
		int reuse = line[0] == 'r';

		if (big.mem)
			churn_unmap(&big);
		if (churn_map(&big, mib << 8, reuse ? 2 : 1)) {
			out("SHARE-FAIL cannot map the memory\n");
			return;
		}
		out(reuse ? "SHARE-REUSE-" : "SHARE-ALLOCATED ");
		if (reuse) {
			unsigned long before = churn_mismatches;

			churn_check(&big, "reuse");
			out(churn_mismatches == before ? "OK " : "BAD ");
		}
		out_num(mib);
		out("\n");
	} else if (!strcmp(line, "free")) {
		unsigned long mib = big.pages >> 8;

		if (big.mem) {
			churn_check(&big, "free");
			churn_unmap(&big);
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
	churn_tag = "SHARE";
	mount("proc", "/proc", "proc", 0, 0);
	out("SHARE-READY\n");
	serve_console(serve);
}
