/* SPDX-License-Identifier: MIT */
/*
 * The memvisor command: one file per subcommand (cmd_<name>.c), found
 * through the table in main.c. Each command describes its options in a
 * table; --help is printed from that table.
 */
#ifndef MEMVISOR_CLI_CLI_H
#define MEMVISOR_CLI_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Exit status for a usage error or bad input (not the guest's doing). */
#define CLI_EXIT_USAGE 2

struct cli_command {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] is the command's name */
	const char *summary;
};

struct cli_option {
	const char *name; /* long option, without "--" */
	const char *arg;  /* its argument's name, or NULL for a flag */
	const char *help; /* one line; say the default */
};

/* Every subcommand (main.c). */
extern const struct cli_command cli_commands[];
extern const unsigned cli_ncommands;

/* Subcommands. */
int cmd_run(int argc, char **argv);
int cmd_ctl(int argc, char **argv);

/*
 * Parse argv against opts (getopt_long). For each option found, calls
 * fn(index into opts, its argument or NULL, ctx); a nonzero return stops
 * parsing and is returned. --help prints usage to stdout and returns -1.
 * An unknown option or missing argument prints an error naming it and
 * returns CLI_EXIT_USAGE. On success returns 0 and sets *rest to the index
 * of the first operand.
 */
int cli_parse(int argc, char **argv, const char *synopsis,
	      const struct cli_option *opts, unsigned nopts,
	      int (*fn)(unsigned idx, const char *arg, void *ctx), void *ctx,
	      int *rest);

/* Print "usage: memvisor <synopsis>" and the option table to out. */
void cli_usage(FILE *out, const char *synopsis, const struct cli_option *opts,
	       unsigned nopts);

/*
 * Parse a size such as 512M, 2G, 65536 or 64K (binary units). Returns 0
 * and sets *out, or -EINVAL.
 */
int cli_parse_size(const char *s, uint64_t *out);

/* Parse a decimal unsigned integer in [min, max]. Returns 0 or -EINVAL. */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

/* Print "memvisor: <message>\n" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
