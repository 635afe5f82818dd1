/* SPDX-License-Identifier: MIT */
/* memvisor: the command-line entry point. Commands come from a table. */
#include <signal.h>
#include <string.h>

#include "cli/cli.h"

const struct cli_command cli_commands[] = {
    {"run", cmd_run, "boot a guest (Linux Image or bare-metal ELF)"},
    {"ctl", cmd_ctl, "send a request to a running memvisor's control socket"},
};
const unsigned cli_ncommands = sizeof(cli_commands) / sizeof(cli_commands[0]);

static void main_usage(FILE *out)
{
	fprintf(out, "usage: memvisor <command> [options]\n\n"
		     "A user-space hypervisor for RISC-V RV64 guests.\n\n"
		     "commands:\n");
	for (unsigned i = 0; i < cli_ncommands; i++)
		fprintf(out, "  %-10s %s\n", cli_commands[i].name,
			cli_commands[i].summary);
	fprintf(out, "\n'memvisor <command> --help' describes a command.\n");
}

int main(int argc, char **argv)
{
	/* Console output may go to a pipe whose reader leaves: that is an
	 * error for the console to report, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		main_usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return 0;
	}
	for (unsigned i = 0; i < cli_ncommands; i++)
		if (!strcmp(argv[1], cli_commands[i].name))
			return cli_commands[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s' (see memvisor --help)", argv[1]);
	return CLI_EXIT_USAGE;
}
