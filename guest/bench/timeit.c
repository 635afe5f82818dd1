/*
 * timeit.c — times one command in the Linux benchmark guest
 * (bench/cpu-linux.sh):
 *
 *   timeit NAME PROGRAM [ARG...]
 *
 * runs PROGRAM (searched in PATH) with its arguments, waits for it and
 * prints on stderr, when it exited 0,
 *
 *   BENCH NAME seconds=S
 *
 * the wall time from before the fork to after the wait (CLOCK_MONOTONIC),
 * or "BENCH NAME FAILED status=X" and exits 1. Stdout stays the program's
 * (timeit gzip gzip -c in >in.gz).
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

int main(int argc, char **argv)
{
	double t0, t1;
	int status;
	pid_t pid;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit NAME PROGRAM [ARG...]\n");
		return 2;
	}
	t0 = seconds();
	pid = fork();
	if (pid < 0) {
		perror("timeit: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0) {
		perror("timeit: waitpid");
		return 1;
	}
	t1 = seconds();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "BENCH %s FAILED status=%#x\n", argv[1],
			status);
		return 1;
	}
	fprintf(stderr, "BENCH %s seconds=%.3f\n", argv[1], t1 - t0);
	return 0;
}
