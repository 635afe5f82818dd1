/* SPDX-License-Identifier: MIT */
/*
 * memvisor ctl: one request to a running memvisor's control socket
 * (api/api.h), one reply printed for a person, or raw with --json.
 * Exit status: 0 for an ok reply, 1 for an error reply, 2 for a usage
 * error or a socket that cannot be reached.
 */
#define _GNU_SOURCE /* asprintf() */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include <memvisor/vmi.h>

#include "cli/cli.h"

#define CTL_SYNOPSIS "ctl --api-sock PATH [--json] <request> [args]"

/* The longest reply we accept (a console capture or a list of 10000 ids
 * is far below this). */
#define CTL_MAX_REPLY  (256u << 20)
#define CTL_EXIT_ERROR 1

enum ctl_opt {
	OPT_API_SOCK,
	OPT_JSON,
	OPT_COUNT,
	OPT_EAGER_LEVELS,
	OPT_INPUT,
	OPT_MAP,
	OPT_FREE_ONLY,
	OPT_INTERVAL,
	OPT_HOSTFWD_BASE,
	OPT_TARGET,
	CTL_NOPTS_,
};

static const struct cli_option ctl_opts[] = {
    [OPT_API_SOCK] = {"api-sock", "PATH",
		      "control socket of memvisor run --api-sock (required)"},
    [OPT_JSON] = {"json", NULL, "print the raw JSON reply"},
    [OPT_COUNT] = {"count", "N",
		   "clone: how many clones, 1 to 10000 (default 1)"},
    [OPT_EAGER_LEVELS] = {"eager-levels", "L",
			  "clone: G-stage levels copied at once, 1 to 4 "
			  "(default 1: lazy)"},
    [OPT_INPUT] = {"input", "TEXT",
		   "console: text to queue; \\n \\r \\t \\e \\\\ \\xHH "
		   "are escapes"},
    [OPT_MAP] = {"map", "FILE",
		 "inspect: write the page map there (a header, then a byte "
		 "per frame: include/memvisor/vmi.h)"},
    [OPT_FREE_ONLY] = {"free-only", NULL,
		       "inspect: tell only free pages from the rest, as "
		       "sharing does (faster)"},
    [OPT_INTERVAL] = {"interval", "MS",
		      "share: from now on every MS milliseconds (0: stop)"},
    [OPT_HOSTFWD_BASE] = {"hostfwd-base", "PORT",
			  "clone: with --net, clone i forwards the VM's "
			  "guest ports from host port PORT + i * (forwards) "
			  "on (default: free ports, printed per clone)"},
    [OPT_TARGET] = {"target", "SIZE",
		    "balloon: how much of its memory the guest should give "
		    "up, e.g. 512M (0: all back)"},
};

#define CTL_NOPTS (sizeof(ctl_opts) / sizeof(ctl_opts[0]))

struct ctl_args {
	const char *sock;
	bool json, free_only;
	const char *count, *eager_levels, *input, *map, *interval,
	    *hostfwd_base, *target; /* or NULL */
	size_t input_len;	    /* of input with its escapes decoded */
	bool given[CTL_NOPTS_];
	const char *operands[4];
	unsigned noperands;
};

/* ---- human output ---- */

/* A size as a person reads it: 256M, 2G, 1.5G, 4096 (bytes). */
static const char *ctl_size(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	unsigned u = 0;
	double d = (double)v;

	if (v < 1024) {
		snprintf(buf, len, "%llu", (unsigned long long)v);
		return buf;
	}
	while (d >= 1024 && u < sizeof(units) - 1) {
		d /= 1024;
		u++;
	}
	if (d == (double)(uint64_t)d)
		snprintf(buf, len, "%llu%c", (unsigned long long)d,
			 units[u - 1]);
	else
		snprintf(buf, len, "%.1f%c", d, units[u - 1]);
	return buf;
}

/* A table of strings printed with aligned columns. */
#define CTL_TABLE_COLS 6

struct ctl_table {
	unsigned ncols, nrows;
	char (*cells)[CTL_TABLE_COLS][40];
};

static int ctl_table_add(struct ctl_table *t, const char *const *cols)
{
	char(*more)[CTL_TABLE_COLS][40] =
	    realloc(t->cells, (t->nrows + 1) * sizeof(*t->cells));

	if (!more)
		return -ENOMEM;
	t->cells = more;
	for (unsigned c = 0; c < t->ncols; c++)
		snprintf(t->cells[t->nrows][c], sizeof(t->cells[0][0]), "%s",
			 cols[c] ? cols[c] : "");
	t->nrows++;
	return 0;
}

static void ctl_table_print(struct ctl_table *t)
{
	int width[CTL_TABLE_COLS] = {0};

	for (unsigned r = 0; r < t->nrows; r++)
		for (unsigned c = 0; c < t->ncols; c++) {
			int w = (int)strlen(t->cells[r][c]);

			if (w > width[c])
				width[c] = w;
		}
	for (unsigned r = 0; r < t->nrows; r++) {
		for (unsigned c = 0; c < t->ncols; c++) {
			bool last = c + 1 == t->ncols;

			printf("%-*s%s", last ? 0 : width[c], t->cells[r][c],
			       last ? "\n" : "  ");
		}
	}
	free(t->cells);
	t->cells = NULL;
}

static long long ctl_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void ctl_print_list(const struct ctl_args *a, json_t *reply)
{
	static const char *const head[] = {"ID", "PARENT", "CPUS", "MEMORY",
					   "STATE"};
	struct ctl_table t = {.ncols = 5};
	json_t *vm;
	size_t i;

	(void)a;
	ctl_table_add(&t, head);
	json_array_foreach(json_object_get(reply, "vms"), i, vm)
	{
		char id[24], parent[24], cpus[24], mem[24], state[40];
		const char *row[] = {id, parent, cpus, mem, state};
		json_t *p = json_object_get(vm, "parent");
		json_t *st = json_object_get(vm, "exit_status");
		const char *s = json_string_value(json_object_get(vm, "state"));

		snprintf(id, sizeof(id), "%lld", ctl_int(vm, "id"));
		if (json_is_integer(p))
			snprintf(parent, sizeof(parent), "%lld",
				 (long long)json_integer_value(p));
		else
			strcpy(parent, "-");
		snprintf(cpus, sizeof(cpus), "%lld", ctl_int(vm, "cpus"));
		ctl_size((uint64_t)ctl_int(vm, "memory"), mem, sizeof(mem));
		if (json_is_integer(st))
			snprintf(state, sizeof(state), "%s (exit %lld)",
				 s ? s : "?",
				 (long long)json_integer_value(st));
		else
			snprintf(state, sizeof(state), "%s", s ? s : "?");
		ctl_table_add(&t, row);
	}
	if (t.nrows == 1)
		printf("no VMs\n");
	else
		ctl_table_print(&t);
	free(t.cells);
}

/* The rows of a device's object in stats: "net.rx_packets" ... */
static void ctl_stats_object(struct ctl_table *t, const char *prefix,
			     json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		char name[40], val[160] = "";
		const char *row[] = {name, val};

		snprintf(name, sizeof(name), "%s.%s", prefix, key);
		if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld",
				 (long long)json_integer_value(v));
		else if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		for (size_t i = 0; json_is_array(v) && i < json_array_size(v);
		     i++) {
			size_t len = strlen(val);

			snprintf(val + len, sizeof(val) - len, "%s%s",
				 i ? " " : "",
				 json_string_value(json_array_get(v, i)));
		}
		ctl_table_add(t, row);
	}
}

static void ctl_print_stats(const struct ctl_args *a, json_t *reply)
{
	struct ctl_table t = {.ncols = 2};
	const char *key;
	json_t *v;

	(void)a;
	json_object_foreach(reply, key, v)
	{
		char val[40];
		const char *row[] = {key, val};

		if (!strcmp(key, "ok"))
			continue;
		if (json_is_object(v)) {
			ctl_stats_object(&t, key, v);
			continue;
		}
		if (json_is_integer(v) &&
		    (!strcmp(key, "ram_size") || !strcmp(key, "host_rss")))
			ctl_size((uint64_t)json_integer_value(v), val,
				 sizeof(val));
		else if (json_is_integer(v))
			snprintf(val, sizeof(val), "%lld",
				 (long long)json_integer_value(v));
		else if (json_is_string(v))
			snprintf(val, sizeof(val), "%s", json_string_value(v));
		else if (json_is_boolean(v))
			snprintf(val, sizeof(val), "%s",
				 json_is_true(v) ? "yes" : "no");
		else
			snprintf(val, sizeof(val), "-");
		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);
}

/* ids as ascending runs: "2-101 205". */
static void ctl_print_ids(FILE *out, json_t *ids)
{
	size_t n = json_array_size(ids), i = 0;

	while (i < n) {
		long long first = json_integer_value(json_array_get(ids, i));
		size_t j = i;

		while (j + 1 < n &&
		       json_integer_value(json_array_get(ids, j + 1)) ==
			   first + (long long)(j + 1 - i))
			j++;
		if (j > i)
			fprintf(out, "%s%lld-%lld", i ? " " : "", first,
				first + (long long)(j - i));
		else
			fprintf(out, "%s%lld", i ? " " : "", first);
		i = j + 1;
	}
	fputc('\n', out);
}

/* With a network, each clone's forwards: "VM 2: tcp:127.0.0.1:9001-:80". */
static void ctl_print_fwds(json_t *reply)
{
	json_t *ids = json_object_get(reply, "ids");
	json_t *fwds = json_object_get(reply, "hostfwd");

	for (size_t i = 0; i < json_array_size(fwds); i++) {
		json_t *f = json_array_get(fwds, i);

		printf("VM %lld:", json_integer_value(json_array_get(ids, i)));
		for (size_t j = 0; j < json_array_size(f); j++)
			printf(" %s", json_string_value(json_array_get(f, j)));
		putchar('\n');
	}
}

static void ctl_print_clone(const struct ctl_args *a, json_t *reply)
{
	long long made = ctl_int(reply, "made");

	printf("cloned VM %s %lld time%s in %lld us; new id%s: ",
	       a->operands[1], made, made == 1 ? "" : "s",
	       ctl_int(reply, "latency_us"), made == 1 ? "" : "s");
	ctl_print_ids(stdout, json_object_get(reply, "ids"));
	ctl_print_fwds(reply);
}

static void ctl_print_console(const struct ctl_args *a, json_t *reply)
{
	json_t *out = json_object_get(reply, "output");
	long long queued = ctl_int(reply, "queued");

	if (json_is_string(out))
		fwrite(json_string_value(out), 1, json_string_length(out),
		       stdout);
	else
		cli_error("console: VM %s's output is not captured (it goes to "
			  "the standard output of its memvisor run)",
			  a->operands[1]);
	if (a->input && queued < (long long)a->input_len)
		cli_error("console: only %lld bytes of the input were queued "
			  "(the VM's input queue is full; try again later)",
			  queued);
}

/* The reply's runs [[first pfn, frames, byte], ...] as a page map file. */
static int ctl_write_map(const char *path, json_t *reply)
{
	struct memvisor_page_map_file head = {.magic = MEMVISOR_PAGE_MAP_MAGIC};
	json_t *runs = json_object_get(reply, "map"), *run;
	uint64_t frames = (uint64_t)ctl_int(reply, "frames"), at = 0;
	uint8_t *bytes = calloc(frames ? frames : 1, 1);
	FILE *f;
	size_t i;
	int r = 0;

	head.min_pfn = (uint64_t)ctl_int(reply, "min_pfn");
	head.frames = frames;
	if (!bytes)
		return -ENOMEM;
	json_array_foreach(runs, i, run)
	{
		uint64_t first =
		    (uint64_t)json_integer_value(json_array_get(run, 0)) -
		    head.min_pfn;
		uint64_t n =
		    (uint64_t)json_integer_value(json_array_get(run, 1));

		if (first != at || n > frames - at) {
			r = -EPROTO;
			goto out;
		}
		memset(bytes + at,
		       (int)json_integer_value(json_array_get(run, 2)), n);
		at += n;
	}
	if (at != frames) {
		r = -EPROTO;
		goto out;
	}
	f = fopen(path, "wb");
	if (!f) {
		r = -errno;
		goto out;
	}
	if (fwrite(&head, sizeof(head), 1, f) != 1 ||
	    fwrite(bytes, 1, frames, f) != frames)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
out:
	free(bytes);
	return r;
}

static void ctl_print_inspect(const struct ctl_args *a, json_t *reply)
{
	static const char *const head[] = {"CLASS", "PAGES", "MEMORY", "SHARE"};
	json_t *classes = json_object_get(reply, "classes"), *v;
	long long frames = ctl_int(reply, "frames");
	struct ctl_table t = {.ncols = 4};
	const char *name;
	int r;

	printf("VM %s runs Linux %s: %lld frames from pfn 0x%llx, %s in %lld "
	       "instructions (%lld guest pages stored to, privately), paused "
	       "%lld us\n",
	       a->operands[1],
	       json_string_value(json_object_get(reply, "kernel")), frames,
	       ctl_int(reply, "min_pfn"),
	       json_is_true(json_object_get(reply, "free_only"))
		   ? "free pages told from the rest (\"other\": in use)"
		   : "classified",
	       ctl_int(reply, "instructions"), ctl_int(reply, "private_copies"),
	       ctl_int(reply, "pause_us"));
	ctl_table_add(&t, head);
	json_object_foreach(classes, name, v)
	{
		long long n = (long long)json_integer_value(v);
		char pages[24], mem[24], share[24];
		const char *row[] = {name, pages, mem, share};

		snprintf(pages, sizeof(pages), "%lld", n);
		ctl_size((uint64_t)n * 4096, mem, sizeof(mem));
		snprintf(share, sizeof(share), "%.1f%%",
			 frames ? 100.0 * (double)n / (double)frames : 0.0);
		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);
	printf("free: %lld pages in %lld blocks (the kernel counts %lld); "
	       "%lld more on per-CPU lists\n",
	       ctl_int(reply, "free_pages"), ctl_int(reply, "free_blocks"),
	       ctl_int(reply, "kernel_free_pages"),
	       ctl_int(reply, "pcp_free_pages"));
	if (a->map) {
		r = ctl_write_map(a->map, reply);
		if (r)
			cli_error("--map %s: %s", a->map, strerror(-r));
		else
			printf("page map written to %s\n", a->map);
	}
}

/* A sharing reply's "released" frames and "host_rss" bytes, as sizes. */
static void ctl_freed_rss(json_t *o, char freed[24], char rss[24])
{
	ctl_size((uint64_t)ctl_int(o, "released") * 4096, freed, 24);
	ctl_size((uint64_t)ctl_int(o, "host_rss"), rss, 24);
}

static void ctl_print_share_one(json_t *vm)
{
	char freed[24], rss[24];

	if (!json_is_true(json_object_get(vm, "ok"))) {
		printf("VM %lld: %s\n", ctl_int(vm, "vm"),
		       json_string_value(json_object_get(vm, "error")));
		return;
	}
	ctl_freed_rss(vm, freed, rss);
	printf("VM %lld: %lld free pages (%lld more on per-CPU lists), %lld "
	       "newly shared, %s given back in %lld us; paused %lld us "
	       "(identify %lld, share %lld); host RSS %s\n",
	       ctl_int(vm, "vm"), ctl_int(vm, "free_pages"),
	       ctl_int(vm, "pcp_free_pages"), ctl_int(vm, "shared"), freed,
	       ctl_int(vm, "release_us"), ctl_int(vm, "pause_us"),
	       ctl_int(vm, "identify_us"), ctl_int(vm, "share_us"), rss);
}

static void ctl_print_share(const struct ctl_args *a, json_t *reply)
{
	json_t *vms = json_object_get(reply, "vms"), *vm;
	size_t i;

	if (json_object_get(reply, "interval_ms")) {
		long long ms = ctl_int(reply, "interval_ms");
		const char *who = a->noperands > 1 ? a->operands[1] : NULL;

		if (ms)
			printf("sharing %s%s every %lld ms\n",
			       who ? "VM " : "every VM", who ? who : "", ms);
		else
			printf("periodic sharing of %s%s stopped\n",
			       who ? "VM " : "every VM", who ? who : "");
		return;
	}
	if (!vms) {
		ctl_print_share_one(reply);
		return;
	}
	json_array_foreach(vms, i, vm) ctl_print_share_one(vm);
	if (!json_array_size(vms))
		printf("no VMs\n");
}

static void ctl_print_dedup(const struct ctl_args *a, json_t *reply)
{
	char freed[24], rss[24];

	(void)a;
	ctl_freed_rss(reply, freed, rss);
	printf("%lld VMs: %lld data pages (%lld frames) hashed; %lld merged, "
	       "%lld zero pages; %s given back in %lld us; paused %lld us; "
	       "host RSS %s\n",
	       ctl_int(reply, "vms"), ctl_int(reply, "pages"),
	       ctl_int(reply, "frames"), ctl_int(reply, "merged"),
	       ctl_int(reply, "zero"), freed, ctl_int(reply, "release_us"),
	       ctl_int(reply, "pause_us"), rss);
}

static void ctl_print_check(const struct ctl_args *a, json_t *reply)
{
	(void)a;
	printf("memory of %lld VMs: reference counts exact, nothing leaked\n",
	       ctl_int(reply, "vms"));
}

/* ---- requests ---- */

enum ctl_vm {
	CTL_NO_VM,
	CTL_VM,		 /* a VM id operand, required */
	CTL_VM_OPTIONAL, /* a VM id operand, or none: every VM */
};

struct ctl_request {
	const char *name;
	const char *usage; /* what follows the name */
	enum ctl_vm vm;
	unsigned opts; /* bit per enum ctl_opt it accepts, besides the
			  global --api-sock and --json */
	void (*print)(const struct ctl_args *a, json_t *reply);
	const char *done; /* instead of print: "VM <id> <done>" */
	const char *summary;
};

static const struct ctl_request ctl_requests[] = {
    {"list", "", CTL_NO_VM, 0, ctl_print_list, NULL,
     "every VM: id, parent, cpus, memory, state"},
    {"pause", "VM", CTL_VM, 0, NULL, "paused",
     "take a VM's VCPUs off the CPUs"},
    {"resume", "VM", CTL_VM, 0, NULL, "resumed", "let a paused VM run again"},
    {"clone", "VM [--count N] [--eager-levels L] [--hostfwd-base PORT]", CTL_VM,
     1u << OPT_COUNT | 1u << OPT_EAGER_LEVELS | 1u << OPT_HOSTFWD_BASE,
     ctl_print_clone, NULL,
     "clone a VM (lazily), print the new ids and the latency"},
    {"destroy", "VM", CTL_VM, 0, NULL, "destroyed",
     "stop and free a VM (its clones stay)"},
    {"console", "VM [--input TEXT]", CTL_VM, 1u << OPT_INPUT, ctl_print_console,
     NULL, "queue input, print the VM's captured console output"},
    {"stats", "VM", CTL_VM, 0, ctl_print_stats, NULL,
     "a VM's memory and execution counters, and host RSS"},
    {"inspect", "VM [--map FILE] [--free-only]", CTL_VM,
     1u << OPT_MAP | 1u << OPT_FREE_ONLY, ctl_print_inspect, NULL,
     "identify every page of a Linux guest from outside"},
    {"share", "[VM] [--interval MS]", CTL_VM_OPTIONAL, 1u << OPT_INTERVAL,
     ctl_print_share, NULL,
     "give a Linux guest's free pages back to the host (no VM: all)"},
    {"balloon", "VM --target SIZE", CTL_VM, 1u << OPT_TARGET, NULL,
     "balloon target set",
     "set how much memory a guest with --balloon gives "
     "up"},
    {"dedup", "", CTL_NO_VM, 0, ctl_print_dedup, NULL,
     "merge equal pages across every VM (content-based, like KSM)"},
    {"check", "", CTL_NO_VM, 0, ctl_print_check, NULL,
     "check every VM's memory bookkeeping (pauses them meanwhile)"},
};

#define CTL_NREQUESTS (sizeof(ctl_requests) / sizeof(ctl_requests[0]))

static void ctl_usage_requests(FILE *out)
{
	fprintf(out, "\nrequests:\n");
	for (size_t i = 0; i < CTL_NREQUESTS; i++) {
		char left[64];

		snprintf(left, sizeof(left), "%s %s", ctl_requests[i].name,
			 ctl_requests[i].usage);
		fprintf(out, "  %-40s %s\n", left, ctl_requests[i].summary);
	}
}

static int ctl_option(unsigned idx, const char *arg, void *ctx)
{
	struct ctl_args *a = ctx;

	a->given[idx] = true;
	switch ((enum ctl_opt)idx) {
	case OPT_API_SOCK:
		a->sock = arg;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_COUNT:
		a->count = arg;
		break;
	case OPT_EAGER_LEVELS:
		a->eager_levels = arg;
		break;
	case OPT_HOSTFWD_BASE:
		a->hostfwd_base = arg;
		break;
	case OPT_INPUT:
		a->input = arg;
		break;
	case OPT_MAP:
		a->map = arg;
		break;
	case OPT_FREE_ONLY:
		a->free_only = true;
		break;
	case OPT_INTERVAL:
		a->interval = arg;
		break;
	case OPT_TARGET:
		a->target = arg;
		break;
	case CTL_NOPTS_:
		break;
	}
	return 0;
}

/*
 * Parse argv, taking options anywhere among the operands (cli_parse()
 * stops at the first operand: go on after it). Returns 0, -1 after
 * --help, or CLI_EXIT_USAGE.
 */
static int ctl_parse(int argc, char **argv, struct ctl_args *a)
{
	bool options = true;
	int rest, r;

	while (argc > 1) {
		if (options) {
			r = cli_parse(argc, argv, CTL_SYNOPSIS, ctl_opts,
				      CTL_NOPTS, ctl_option, a, &rest);
			if (r)
				return r;
			if (rest > 1 && !strcmp(argv[rest - 1], "--"))
				options = false;
		} else {
			rest = 1;
		}
		if (rest >= argc)
			break;
		if (a->noperands ==
		    sizeof(a->operands) / sizeof(a->operands[0])) {
			cli_error("ctl: unexpected argument '%s' (see --help)",
				  argv[rest]);
			return CLI_EXIT_USAGE;
		}
		a->operands[a->noperands++] = argv[rest];
		/* argv[rest] becomes the next round's argv[0]. */
		argv += rest;
		argc -= rest;
	}
	return 0;
}

/*
 * Decode the escapes of --input TEXT into a new string (*out, *len).
 * Returns 0 or CLI_EXIT_USAGE (message printed).
 */
static int ctl_unescape(const char *s, char **out, size_t *len)
{
	char *buf = malloc(strlen(s) + 1);
	size_t o = 0;

	if (!buf) {
		cli_error("out of memory");
		return CLI_EXIT_USAGE;
	}
	for (; *s; s++) {
		unsigned v;

		if (*s != '\\') {
			buf[o++] = *s;
			continue;
		}
		switch (*++s) {
		case 'n':
			buf[o++] = '\n';
			break;
		case 'r':
			buf[o++] = '\r';
			break;
		case 't':
			buf[o++] = '\t';
			break;
		case 'e':
			buf[o++] = '\033';
			break;
		case '\\':
			buf[o++] = '\\';
			break;
		case 'x':
			if (isxdigit((unsigned char)s[1]) &&
			    isxdigit((unsigned char)s[2])) {
				char hex[3] = {s[1], s[2], 0};

				v = (unsigned)strtoul(hex, NULL, 16);
				if (v >= 1 && v <= 0x7f) {
					buf[o++] = (char)v;
					s += 2;
					break;
				}
			}
			cli_error("--input: '\\x' needs two hex digits from 01 "
				  "to 7f");
			free(buf);
			return CLI_EXIT_USAGE;
		default:
			cli_error("--input: unknown escape '\\%s' (use \\n, "
				  "\\r, \\t, \\e, \\\\ or \\xHH)",
				  *s ? (char[]){*s, 0} : "");
			free(buf);
			return CLI_EXIT_USAGE;
		}
	}
	buf[o] = 0;
	*out = buf;
	*len = o;
	return 0;
}

/* Build the request object for rq from a. Returns it, or NULL after an
 * error message (usage). */
static json_t *ctl_build(const struct ctl_request *rq, struct ctl_args *a)
{
	json_t *req = json_pack("{s:s}", "cmd", rq->name);
	unsigned vm, v;

	if (!req)
		return NULL;
	if (rq->vm != CTL_NO_VM && a->noperands > 1) {
		if (cli_parse_uint(a->operands[1], 1, UINT_MAX, &vm)) {
			cli_error("%s: VM '%s': expected a VM id, a number "
				  "from 1 (see memvisor ctl list)",
				  rq->name, a->operands[1]);
			goto err;
		}
		json_object_set_new(req, "vm", json_integer(vm));
	}
	if (a->count) {
		if (cli_parse_uint(a->count, 1, 10000, &v)) {
			cli_error("--count %s: expected a number from 1 to "
				  "10000",
				  a->count);
			goto err;
		}
		json_object_set_new(req, "count", json_integer(v));
	}
	if (a->eager_levels) {
		if (cli_parse_uint(a->eager_levels, 1, 4, &v)) {
			cli_error("--eager-levels %s: expected a number from 1 "
				  "to 4",
				  a->eager_levels);
			goto err;
		}
		json_object_set_new(req, "eager_levels", json_integer(v));
	}
	if (a->hostfwd_base) {
		if (cli_parse_uint(a->hostfwd_base, 1, 65535, &v)) {
			cli_error("--hostfwd-base %s: expected a port from 1 "
				  "to 65535",
				  a->hostfwd_base);
			goto err;
		}
		json_object_set_new(req, "hostfwd_base", json_integer(v));
	}
	if (a->input) {
		char *text;
		size_t len;

		if (ctl_unescape(a->input, &text, &len))
			goto err;
		json_object_set_new(req, "input", json_stringn(text, len));
		a->input_len = len;
		free(text);
	}
	if (a->map)
		json_object_set_new(req, "map", json_integer(1));
	if (a->free_only)
		json_object_set_new(req, "free_only", json_integer(1));
	if (a->interval) {
		if (cli_parse_uint(a->interval, 0, 86400000, &v)) {
			cli_error("--interval %s: expected milliseconds from 0 "
				  "(stop) to 86400000",
				  a->interval);
			goto err;
		}
		json_object_set_new(req, "interval_ms", json_integer(v));
	}
	if (a->target) {
		uint64_t bytes;

		if (cli_parse_size(a->target, &bytes)) {
			cli_error("--target %s: expected a size like 512M",
				  a->target);
			goto err;
		}
		json_object_set_new(req, "target_mib",
				    json_integer((json_int_t)(bytes >> 20)));
	}
	return req;
err:
	json_decref(req);
	return NULL;
}

/*
 * Send line to the socket at path and read one reply line into *reply
 * (malloc'd, NUL-terminated, newline included). Returns 0, or
 * CLI_EXIT_USAGE after a message.
 */
static int ctl_call(const char *path, const char *line, char **reply)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	size_t len = 0, cap = 4096, todo = strlen(line);
	char *buf = NULL;
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		cli_error("--api-sock %s: longer than %zu bytes; use a shorter "
			  "path",
			  path, sizeof(addr.sun_path) - 1);
		return CLI_EXIT_USAGE;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		cli_error("cannot connect to %s: %s — is memvisor run "
			  "--api-sock running?",
			  path, strerror(errno));
		goto err;
	}
	while (todo) {
		ssize_t n = send(fd, line, todo, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cli_error("cannot send to %s: %s", path,
				  strerror(errno));
			goto err;
		}
		line += n;
		todo -= (size_t)n;
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *more =
			    cap > CTL_MAX_REPLY ? NULL : realloc(buf, cap * 2);
			if (!more) {
				cli_error("%s: the reply is too long", path);
				goto err;
			}
			buf = more;
			cap *= 2;
		} else if (!buf && !(buf = malloc(cap))) {
			cli_error("out of memory");
			goto err;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			cli_error(
			    "%s closed the connection without a reply%s%s",
			    path, n ? ": " : "", n ? strerror(errno) : "");
			goto err;
		}
		len += (size_t)n;
		if (memchr(buf + len - (size_t)n, '\n', (size_t)n))
			break;
	}
	buf[len] = 0;
	close(fd);
	*reply = buf;
	return 0;
err:
	free(buf);
	if (fd >= 0)
		close(fd);
	return CLI_EXIT_USAGE;
}

int cmd_ctl(int argc, char **argv)
{
	const struct ctl_request *rq = NULL;
	struct ctl_args a = {0};
	json_t *req = NULL, *reply = NULL;
	char *line = NULL, *text = NULL, *raw = NULL;
	json_error_t jerr;
	int r, status = CLI_EXIT_USAGE;

	r = ctl_parse(argc, argv, &a);
	if (r < 0) {
		ctl_usage_requests(stdout);
		return 0;
	}
	if (r)
		return r;
	if (!a.noperands) {
		char names[256] = "";

		for (size_t i = 0; i < CTL_NREQUESTS; i++)
			snprintf(names + strlen(names),
				 sizeof(names) - strlen(names), "%s%s",
				 i ? ", " : "", ctl_requests[i].name);
		cli_error("ctl: which request? (%s; see --help)", names);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < CTL_NREQUESTS; i++)
		if (!strcmp(a.operands[0], ctl_requests[i].name))
			rq = &ctl_requests[i];
	if (!rq) {
		cli_error("ctl: unknown request '%s' (see --help)",
			  a.operands[0]);
		return CLI_EXIT_USAGE;
	}
	for (unsigned i = OPT_COUNT; i < CTL_NOPTS; i++)
		if (a.given[i] && !(rq->opts & 1u << i)) {
			cli_error("%s: --%s is not an option of %s (see "
				  "--help)",
				  rq->name, ctl_opts[i].name, rq->name);
			return CLI_EXIT_USAGE;
		}
	unsigned most = rq->vm == CTL_NO_VM ? 1 : 2;
	if (a.noperands < 2 && rq->vm == CTL_VM) {
		cli_error("%s: which VM? usage: memvisor ctl %s %s", rq->name,
			  rq->name, rq->usage);
		return CLI_EXIT_USAGE;
	}
	if (a.noperands > most) {
		cli_error("%s: unexpected argument '%s' (usage: memvisor ctl "
			  "%s %s)",
			  rq->name, a.operands[most], rq->name, rq->usage);
		return CLI_EXIT_USAGE;
	}
	if (!a.sock) {
		cli_error("ctl: --api-sock PATH is required (the socket of "
			  "memvisor run --api-sock)");
		return CLI_EXIT_USAGE;
	}
	req = ctl_build(rq, &a);
	if (!req)
		goto out;
	text = json_dumps(req, JSON_COMPACT);
	if (!text || asprintf(&line, "%s\n", text) < 0) {
		line = NULL;
		cli_error("out of memory");
		goto out;
	}
	if (ctl_call(a.sock, line, &raw))
		goto out;
	reply = json_loads(raw, JSON_DECODE_ANY, &jerr);
	if (!json_is_object(reply) ||
	    !json_is_boolean(json_object_get(reply, "ok"))) {
		cli_error("%s: the reply is not a memvisor reply: %s", a.sock,
			  reply ? "no \"ok\"" : jerr.text);
		goto out;
	}
	if (a.json)
		fputs(raw, stdout);
	if (json_is_true(json_object_get(reply, "ok"))) {
		status = 0;
		if (!a.json) {
			if (rq->done)
				printf("VM %s %s\n", a.operands[1], rq->done);
			else
				rq->print(&a, reply);
		}
		goto out;
	}
	status = CTL_EXIT_ERROR;
	cli_error("%s: %s", rq->name,
		  json_string_value(json_object_get(reply, "error"))
		      ?: "the request failed (no reason given)");
	if (json_array_size(json_object_get(reply, "ids")) && !a.json) {
		fprintf(stderr,
			"memvisor: %s: these clones were made and "
			"stay: ",
			rq->name);
		ctl_print_ids(stderr, json_object_get(reply, "ids"));
	}
out:
	json_decref(req);
	json_decref(reply);
	free(text);
	free(line);
	free(raw);
	return status;
}
