/*
 * pipe.c — the system-call and context-switch benchmark guest program: two
 * processes bounce one byte through a pair of pipes for about SECONDS of
 * wall time; each round trip is two writes, two reads and (on one CPU) two
 * switches between the processes.
 *
 * Prints the count and rate and its own wall time:
 *
 *   BENCH pipe round-trips=N per-second=R seconds=S
 *
 * An optional argument overrides the duration in seconds.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

#include "bench.h"
#include <unistd.h>

static const double SECONDS = 1.0;

int main(int argc, char **argv)
{
	double limit = argc > 1 ? atof(argv[1]) : SECONDS;
	int ping[2], pong[2], status;
	long trips = 0;
	double t0, t1;
	pid_t pid;
	char c = 'x';

	if (pipe(ping) < 0 || pipe(pong) < 0) {
		perror("BENCH pipe: pipe");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("BENCH pipe: fork");
		return 1;
	}
	if (pid == 0) { /* echo every byte back until the ping pipe closes */
		close(ping[1]);
		close(pong[0]);
		while (read(ping[0], &c, 1) == 1)
			if (write(pong[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(ping[0]);
	close(pong[1]);
	t0 = seconds();
	t1 = t0;
	/* The clock is read every 16 trips: a vDSO call, cheap next to the
	 * four system calls and two switches of a trip, but not free. */
	while (t1 - t0 < limit) {
		for (int i = 0; i < 16; i++) {
			if (write(ping[1], &c, 1) != 1 ||
			    read(pong[0], &c, 1) != 1) {
				perror("BENCH pipe: round trip");
				return 1;
			}
		}
		trips += 16;
		t1 = seconds();
	}
	close(ping[1]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fprintf(stderr, "BENCH pipe: the echo process failed\n");
		return 1;
	}
	printf("BENCH pipe round-trips=%ld per-second=%.0f seconds=%.3f\n",
	       trips, (double)trips / (t1 - t0), t1 - t0);
	return 0;
}
