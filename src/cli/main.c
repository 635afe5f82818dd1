/* SPDX-License-Identifier: MIT */
/* memvisor: the command-line entry point. Commands come from a table. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help")) {
		printf("usage: memvisor <command> [options]\n");
		return argc < 2 ? 2 : 0;
	}
	fprintf(stderr, "memvisor: unknown command '%s'\n", argv[1]);
	return 2;
}
