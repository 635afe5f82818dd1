/* SPDX-License-Identifier: MIT */
/* Option tables: parsing with getopt_long, and --help from the same table. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("memvisor: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage(FILE *out, const char *synopsis, const struct cli_option *opts,
	       unsigned nopts)
{
	fprintf(out, "usage: memvisor %s\n\noptions:\n", synopsis);
	for (unsigned i = 0; i < nopts; i++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name,
			 opts[i].arg ? " " : "",
			 opts[i].arg ? opts[i].arg : "");
		fprintf(out, "  %-24s %s\n", left, opts[i].help);
	}
	fprintf(out, "  %-24s %s\n", "--help", "show this help");
}

int cli_parse(int argc, char **argv, const char *synopsis,
	      const struct cli_option *opts, unsigned nopts,
	      int (*fn)(unsigned idx, const char *arg, void *ctx), void *ctx,
	      int *rest)
{
	struct option *lo = calloc(nopts + 2, sizeof(*lo));
	int r = 0, c, idx;

	if (!lo)
		return -ENOMEM;
	for (unsigned i = 0; i < nopts; i++) {
		lo[i].name = opts[i].name;
		lo[i].has_arg = opts[i].arg ? required_argument : no_argument;
		lo[i].val = (int)i + 1;
	}
	lo[nopts] = (struct option){"help", no_argument, NULL, 'h'};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", lo, &idx)) != -1) {
		if (c == 'h') {
			cli_usage(stdout, synopsis, opts, nopts);
			r = -1;
			break;
		}
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			if (optopt > 0 && optopt <= (int)nopts)
				cli_error("option --%s needs an argument (%s)",
					  opts[optopt - 1].name,
					  opts[optopt - 1].arg);
			else
				cli_error("unknown option '%s' (see --help)",
					  bad);
			r = CLI_EXIT_USAGE;
			break;
		}
		r = fn((unsigned)c - 1, optarg, ctx);
		if (r)
			break;
	}
	free(lo);
	*rest = optind;
	return r;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K':
	case 'k':
		shift = 10;
		end++;
		break;
	case 'M':
	case 'm':
		shift = 20;
		end++;
		break;
	case 'G':
	case 'g':
		shift = 30;
		end++;
		break;
	case 'T':
	case 't':
		shift = 40;
		end++;
		break;
	}
	if (*end == 'i' || *end == 'B')
		end += *end == 'i' && end[1] == 'B' ? 2 : 1;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!s || !*s || *s == '-')
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}
