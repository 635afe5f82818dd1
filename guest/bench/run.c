/*
 * run.c — /init of the benchmark guest: runs /bin/fp, /bin/bitmanip and
 * /bin/pipe (guest/bench/, packed beside it by guest/init/pack) one after
 * the other, each printing its own "BENCH name ..." line with its wall
 * time, then prints a marker and powers off:
 *
 *   BENCH-DONE failed=N        N programs that did not exit 0
 *
 * Arguments for a program come from the kernel command line, which Linux
 * hands to init as environment variables: bench_fp=STEPS,
 * bench_bitmanip=ROUNDS, bench_pipe=SECONDS. bench_only=NAME runs one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *name)
{
	char path[64], var[64];
	char *argv[3];
	const char *arg;
	int status;
	pid_t pid;

	snprintf(path, sizeof(path), "/bin/%s", name);
	snprintf(var, sizeof(var), "bench_%s", name);
	arg = getenv(var);
	argv[0] = path;
	argv[1] = (char *)arg;
	argv[2] = NULL;
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("BENCH run: fork");
		return 1;
	}
	if (pid == 0) {
		execv(path, argv);
		perror(path);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	printf("BENCH %s FAILED (status %#x)\n", name, status);
	return 1;
}

int main(void)
{
	static const char *const programs[] = {"fp", "bitmanip", "pipe"};
	const char *only = getenv("bench_only");
	int failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++)
		if (!only || !strcmp(only, programs[i]))
			failed += run(programs[i]);
	printf("BENCH-DONE failed=%d\n", failed);
	if (getpid() == 1) {
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	return failed != 0;
}
