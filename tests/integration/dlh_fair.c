/* SPDX-License-Identifier: MIT */
/*
 * Scheduler fairness with deferrable hypercalls, and a hostile guest next
 * to well-behaved ones (run by tests/integration/dlh.sh).
 *
 * One memvisor hypervisor with two PCPUs runs eight well-behaved VMs of two
 * VCPUs each (guest/baremetal/dlh_fair.c: a fixed amount of DLH work,
 * every result checked by the guest) and one hostile VM of two VCPUs
 * (guest/baremetal/dlh_hostile.c: bad input, then rings full of costly
 * calls and broken indices, without end). Passes when every well-behaved
 * VM reaches its goal ("PASS dlh_fair", exit status 0: nothing starved and
 * nothing it posted was lost or run twice), the hostile VM refused bad
 * input and is still running, and each VM's DLH time was charged to that
 * VM (its drain time is part of its own CPU time). Not a timing test: the
 * limit below only keeps a starving VM from hanging the test.
 *
 *   dlh_fair BAREMETAL_DIR [GOOD_VMS [HOSTILE]]   (8 and 1: the test)
 *
 * Prints each VM's CPU time, DLH drain time, instructions and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dev/console.h"
#include "memvisor/abi.h"
#include "vmm/hv.h"
#include "vmm/vm.h"

#define MAX_GOOD    16
#define LIMIT_S	    300
#define CAPTURE	    (64 * 1024)
#define GOOD_MARKER "PASS dlh_fair"
#define BAD_MARKER  "dlh_hostile: bad input refused"

struct guest {
	struct console *con;
	struct vm *vm;
	unsigned id;
	bool hostile;
};

static int start(struct hv *hv, struct guest *g, const char *dir, bool hostile)
{
	char path[4096], why[VM_WHY_LEN] = "";
	struct vm_config cfg = {
	    .kernel = path,
	    .ram_size = 64ull << 20,
	    .ncpus = 2,
	};
	int r;

	snprintf(path, sizeof(path), "%s/%s.elf", dir,
		 hostile ? "dlh_hostile" : "dlh_fair");
	g->hostile = hostile;
	if (console_create(0, &g->con) || console_capture(g->con, CAPTURE))
		return -ENOMEM;
	r = vm_create(&cfg, hv_pool(hv), g->con, &g->vm, why, sizeof(why));
	if (r) {
		fprintf(stderr, "dlh_fair: %s: %s\n", path, why);
		return r;
	}
	r = hv_add(hv, g->vm);
	if (r < 0) {
		vm_destroy(g->vm);
		return r;
	}
	g->id = (unsigned)r;
	return 0;
}

static bool says(struct guest *g, const char *marker)
{
	static char out[CAPTURE + 1];
	long n = console_captured(g->con, out, CAPTURE, NULL);

	if (n < 0)
		return false;
	out[n < CAPTURE ? n : CAPTURE] = 0;
	return strstr(out, marker) != NULL;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

int main(int argc, char **argv)
{
	struct guest g[MAX_GOOD + 1] = {0};
	unsigned ngood = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
	bool hostile = argc > 3 ? atoi(argv[3]) != 0 : true;
	unsigned first = hostile ? 0 : 1, nvms = ngood + 1;
	struct hv *hv = NULL;
	struct hv_vm_info info;
	time_t t0 = time(NULL);
	unsigned fails = 0, left;
	int r;

	if (argc < 2 || argc > 4 || !ngood || ngood > MAX_GOOD) {
		fprintf(stderr,
			"usage: dlh_fair BAREMETAL_DIR [GOOD_VMS [HOSTILE]]\n");
		return 2;
	}
	r = hv_create(2ull << 30, 2, &hv);
	if (r) {
		fprintf(stderr, "dlh_fair: hv_create: %s\n", strerror(-r));
		return 1;
	}
	/* The hostile one first: it is at work when the others start. */
	for (unsigned i = first; i < nvms; i++) {
		r = start(hv, &g[i], argv[1], i == 0);
		if (r) {
			fprintf(stderr, "dlh_fair: cannot start VM %u: %s\n", i,
				strerror(-r));
			return 1;
		}
	}
	do {
		struct timespec tick = {0, 20 * 1000 * 1000};

		nanosleep(&tick, NULL);
		left = 0;
		for (unsigned i = 1; i < nvms; i++)
			if (!hv_info(hv, g[i].id, &info) && !info.stopped)
				left++;
	} while (left && time(NULL) - t0 < LIMIT_S);

	/* Stop the hostile one where it is, to read its times whole. */
	if (hostile && hv_pause(hv, g[0].id)) {
		fprintf(stderr,
			"FAIL: the hostile VM is not running any more\n");
		fails++;
	}
	printf("%-4s %-8s %-6s %10s %10s %12s %8s\n", "vm", "guest", "state",
	       "cpu_ms", "dlh_ms", "instret", "exits");
	for (unsigned i = first; i < nvms; i++) {
		uint64_t cpu, dlh;

		if (hv_info(hv, g[i].id, &info)) {
			fprintf(stderr, "FAIL: VM %u is gone\n", g[i].id);
			fails++;
			continue;
		}
		cpu = info.cpu_ns;
		dlh = info.dlh_ns;
		printf("%-4u %-8s %-6s %10.1f %10.1f %12llu %8llu\n", g[i].id,
		       g[i].hostile ? "hostile" : "fair",
		       info.stopped  ? "done"
		       : info.paused ? "paused"
				     : "run",
		       ms(cpu), ms(dlh), (unsigned long long)info.instret,
		       (unsigned long long)info.exits);
		if (g[i].hostile) {
			if (!says(&g[i], BAD_MARKER)) {
				fprintf(
				    stderr,
				    "FAIL: the hostile VM did not say '%s'\n",
				    BAD_MARKER);
				fails++;
			}
		} else if (!info.dlh_counter ||
			   info.dlh_counter >
			       info.dlh_entries + info.dlh_sync) {
			/* Each statistics update adds 1: one per call. */
			fprintf(stderr,
				"FAIL: VM %u: dlh_counter %llu, from %llu "
				"entries and %llu synchronous calls\n",
				g[i].id, (unsigned long long)info.dlh_counter,
				(unsigned long long)info.dlh_entries,
				(unsigned long long)info.dlh_sync);
			fails++;
		} else if (!info.stopped || info.exit_status != 0 ||
			   !says(&g[i], GOOD_MARKER)) {
			fprintf(stderr,
				"FAIL: VM %u did not reach its goal (%s, exit "
				"status %d)\n",
				g[i].id, info.stopped ? "stopped" : "running",
				info.exit_status);
			fails++;
		}
		/* Its DLH work was its own CPU time. */
		if (!dlh || cpu < dlh) {
			fprintf(stderr,
				"FAIL: VM %u: DLH time %.1f ms not within its "
				"CPU time %.1f ms\n",
				g[i].id, ms(dlh), ms(cpu));
			fails++;
		}
	}
	/* The hostile VM's queue stayed bounded: no drain ran more than its
	 * two rings hold. */
	uint64_t drains = hostile ? atomic_load(&g[0].vm->dlh.n_drains) : 0;
	uint64_t entries = hostile ? atomic_load(&g[0].vm->dlh.n_entries) : 0;
	if (hostile)
		printf(
		    "hostile: %llu entries in %llu drains, %llu rings found "
		    "malformed\n",
		    (unsigned long long)entries, (unsigned long long)drains,
		    (unsigned long long)atomic_load(&g[0].vm->dlh.n_malformed));
	if (drains && entries / drains > 2 * MEMVISOR_DLH_MAX_ENTRIES) {
		fprintf(stderr, "FAIL: drains of the hostile VM ran more than "
				"its rings hold\n");
		fails++;
	}
	hv_destroy(hv);
	for (unsigned i = first; i < nvms; i++)
		console_destroy(g[i].con);
	printf("dlh_fair: %s (%ld s)\n", fails ? "FAIL" : "PASS",
	       (long)(time(NULL) - t0));
	return fails ? 1 : 0;
}
