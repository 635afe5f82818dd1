/* SPDX-License-Identifier: MIT */
/*
 * vmclone: lazy VM cloning measured on a booted Linux guest.
 *
 * For each guest size, boots the clone guest (guest/init/clone.c), whose
 * init fills clone_mib MiB of its memory and says READY, pauses it, then
 * times vm_clone() for eager_levels 1 (lazy), 2, every table (Linux fork's
 * way) and a full copy of all data; measures the host memory a lazy clone
 * costs before it runs, and the first access to a page after a clone. With
 * --live N it also clones one 256 MiB guest N times and has every clone
 * answer on its console.
 *
 *   vmclone --kernel IMAGE --initrd CPIO [--sizes 64,256,1024,4096]
 *         [--samples N] [--live N] [--json PATH]
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "mem/gmem.h"
#include "vmm/clone.h"
#include "vmm/hv.h"

#define MIB		 (1ull << 20)
#define MAX_SIZES	 8
#define COPY_ALL_MAX_MIB 4096 /* 3 full copies of 4 GiB fit in 20 GiB */

struct bench {
	const char *kernel, *initrd, *json;
	unsigned sizes[MAX_SIZES], nsizes;
	unsigned samples, live;
	json_t *results;
};

static double now_us(void)
{
	return bench_now_ns() / 1e3;
}

static long rss_kib(void)
{
	return (long)(bench_rss_bytes() / 1024);
}

/* NUL-terminate a buffer of cap bytes after a copy that returned n. */
static void terminate(char *buf, size_t cap, long n)
{
	size_t end = n < 0 ? 0 : (size_t)n;

	buf[end < cap ? end : cap - 1] = 0;
}

/* Boot the clone guest with fill_mib MiB filled; returns its VM or NULL. */
static struct vm *bench_boot(struct bench *b, struct hv *hv,
			     struct console **con, unsigned fill_mib,
			     unsigned *id)
{
	char cmdline[128], why[VM_WHY_LEN], out[1 << 14];
	struct vm_config cfg = {
	    .kernel = b->kernel,
	    .initrd = b->initrd,
	    .cmdline = cmdline,
	    .ram_size = ((uint64_t)fill_mib + 192) * MIB,
	    .ncpus = 1,
	};
	struct vm *vm;
	double t0 = now_us();
	int r;

	snprintf(cmdline, sizeof(cmdline), "console=hvc0 clone_mib=%u",
		 fill_mib);
	if (console_create(0, con) || console_capture(*con, sizeof(out)))
		return NULL;
	r = vm_create(&cfg, hv_pool(hv), *con, &vm, why, sizeof(why));
	if (r) {
		fprintf(stderr, "vmclone: %s\n", why);
		return NULL;
	}
	r = hv_add(hv, vm);
	if (r < 0) {
		vm_destroy(vm);
		return NULL;
	}
	*id = (unsigned)r;
	for (;;) {
		long n = console_captured(*con, out, sizeof(out) - 1, NULL);

		terminate(out, sizeof(out), n);
		if (strstr(out, "MEMVISOR-CLONE-READY"))
			break;
		if (strstr(out, "MEMVISOR-CLONE-FAIL") || vm->stopping ||
		    now_us() - t0 > 600e6) {
			fprintf(stderr,
				"vmclone: the guest did not get "
				"ready:\n%s\n",
				out);
			return NULL;
		}
		usleep(20000);
	}
	printf("  booted a %u MiB guest and filled %u MiB in %.1f s\n",
	       (unsigned)(cfg.ram_size / MIB), fill_mib, (now_us() - t0) / 1e6);
	return vm;
}

/*
 * Let the hypervisor's frame warmer (vmm/hv.c) catch up, as it does between
 * requests in a running memvisor: wait until its reserve is resident again
 * (or a second has passed).
 */
static void bench_settle(struct hv *hv)
{
	struct frame_stats st;
	double t0 = now_us();

	do {
		usleep(20000);
		frame_stats(hv_pool(hv), &st);
	} while (st.resident < 4096 && now_us() - t0 < 1e6);
}

/* Time one clone mode; adds a JSON row. */
static void bench_mode(struct bench *b, struct vm *vm, unsigned fill_mib,
		       const char *name, unsigned level, unsigned samples)
{
	struct vm **c = calloc(samples, sizeof(*c));
	double *lat = calloc(samples, sizeof(*lat));
	long rss0 = rss_kib(), rss1;
	unsigned n = 0;

	for (; c && lat && n < samples; n++) {
		double t0 = now_us();

		if (vm_clone(vm, level, &c[n]))
			break;
		lat[n] = now_us() - t0;
	}
	rss1 = rss_kib();
	for (unsigned i = 0; i < n; i++)
		vm_destroy(c[i]);
	if (n) {
		double p50 = bench_quantile(lat, n, 0.5),
		       p99 = bench_quantile(lat, n, 0.99);

		printf("  %6u MiB  %-12s %5u  %10.1f %10.1f %12.1f\n", fill_mib,
		       name, n, p50, p99, (double)(rss1 - rss0) / n);
		json_array_append_new(
		    b->results,
		    json_pack("{s:i, s:s, s:i, s:f, s:f, s:f}", "touched_mib",
			      fill_mib, "mode", name, "samples", n, "p50_us",
			      p50, "p99_us", p99, "host_kib_per_clone",
			      (double)(rss1 - rss0) / n));
	}
	free(c);
	free(lat);
}

/* Collects up to max guest-physical pages the parent has mapped. */
struct page_list {
	uint64_t *gpa;
	unsigned n, max;
};

static int collect_page(uint64_t gpa, uint64_t pte, void *arg)
{
	struct page_list *l = arg;

	(void)pte;
	l->gpa[l->n++] = gpa;
	return l->n == l->max;
}

/* First access to pages the parent had touched, in a fresh lazy clone,
 * from the hypervisor side (the path a VCPU's TLB miss takes): reads
 * replicate tables, writes also break copy-on-write. */
static void bench_first_access(struct bench *b, struct vm *vm,
			       unsigned fill_mib)
{
	const unsigned pages = 2048;
	struct page_list l = {.gpa = calloc(2 * pages, sizeof(uint64_t)),
			      .max = 2 * pages};
	struct vm *c;
	uint64_t v = 0;
	double t0, rd, wr;

	if (!l.gpa)
		return;
	gstage_walk(&vm->gs, collect_page, &l);
	if (l.n < 2 * pages || vm_clone(vm, 1, &c)) {
		free(l.gpa);
		return;
	}
	t0 = now_us();
	for (unsigned i = 0; i < pages; i++)
		gmem_read(&c->gs, l.gpa[i], &v, 8);
	rd = (now_us() - t0) * 1e3 / pages;
	t0 = now_us();
	for (unsigned i = pages; i < 2 * pages; i++)
		gmem_write(&c->gs, l.gpa[i], &v, 8);
	wr = (now_us() - t0) * 1e3 / pages;
	vm_destroy(c);
	free(l.gpa);
	printf("  %6u MiB  first access after a lazy clone: read %.0f ns/page, "
	       "write %.0f ns/page (target <= 2000)\n",
	       fill_mib, rd, wr);
	json_array_append_new(b->results,
			      json_pack("{s:i, s:s, s:f, s:f}", "touched_mib",
					fill_mib, "mode", "first-access",
					"read_ns_per_page", rd,
					"write_ns_per_page", wr));
}

static int bench_size(struct bench *b, unsigned fill_mib)
{
	struct console *con = NULL;
	struct hv *hv;
	struct vm *vm;
	unsigned id;

	if (hv_create(20ull << 30, 0, &hv))
		return -1;
	vm = bench_boot(b, hv, &con, fill_mib, &id);
	if (!vm) {
		hv_destroy(hv);
		console_destroy(con);
		return -1;
	}
	hv_pause(hv, id);
	/* One clone through hv, as a user's first: it wakes the frame
	 * warmer (vmm/hv.c), whose 16 MiB reserve then fills. */
	unsigned cid, made;
	if (!hv_clone(hv, id, 1, 1, &cid, &made))
		hv_destroy_vm(hv, cid);
	bench_settle(hv);
	bench_first_access(b, vm, fill_mib);
	bench_settle(hv);
	bench_mode(b, vm, fill_mib, "lazy", 1, b->samples);
	bench_settle(hv);
	bench_mode(b, vm, fill_mib, "eager-2", 2, b->samples);
	bench_settle(hv);
	bench_mode(b, vm, fill_mib, "all-tables", vm->gs.levels, b->samples);
	bench_settle(hv);
	if (fill_mib <= COPY_ALL_MAX_MIB)
		bench_mode(b, vm, fill_mib, "copy-all", CLONE_COPY_ALL, 3);
	hv_destroy(hv);
	console_destroy(con);
	return 0;
}

/* Clone a booted 256 MiB guest n times and have every clone answer. */
static int bench_live(struct bench *b, unsigned n)
{
	struct console *con = NULL;
	unsigned *ids = calloc(n, sizeof(*ids)), made = 0, answered = 0, id;
	char *done = calloc(n, 1), out[4096];
	struct hv *hv;
	long rss0, rss1;
	double t0, dt;
	int r = -1;

	if (!ids || !done || hv_create(20ull << 30, 0, &hv))
		goto out_free;
	if (!bench_boot(b, hv, &con, 64, &id)) /* a 256 MiB guest */
		goto out_hv;
	rss0 = rss_kib();
	t0 = now_us();
	hv_clone(hv, id, n, 1, ids, &made);
	dt = now_us() - t0;
	rss1 = rss_kib();
	printf("  %u live clones of a 256 MiB guest in %.0f ms; %.1f KiB of "
	       "host memory per clone before it runs\n",
	       made, dt / 1e3, (double)(rss1 - rss0) / (made ? made : 1));
	for (unsigned i = 0; i < made; i++) {
		snprintf(out, sizeof(out), "answer %u\n", i + 1);
		hv_console_input(hv, ids[i], out, strlen(out));
	}
	t0 = now_us();
	while (answered < made && now_us() - t0 < 600e6) {
		for (unsigned i = 0; i < made; i++) {
			long len;

			if (done[i])
				continue;
			len =
			    hv_console_output(hv, ids[i], out, sizeof(out) - 1);
			terminate(out, sizeof(out), len);
			if (strstr(out, "MEMVISOR-ANSWER")) {
				done[i] = 1;
				answered++;
			}
		}
		usleep(100000);
	}
	printf("  %u of %u clones answered in %.1f s\n", answered, made,
	       (now_us() - t0) / 1e6);
	json_array_append_new(
	    b->results, json_pack("{s:s, s:i, s:i, s:f, s:f, s:f}", "mode",
				  "live", "clones", made, "answered", answered,
				  "clone_ms", dt / 1e3, "host_kib_per_clone",
				  (double)(rss1 - rss0) / (made ? made : 1),
				  "answer_s", (now_us() - t0) / 1e6));
	r = answered == made && made == n ? 0 : -1;
out_hv:
	hv_destroy(hv);
	console_destroy(con);
out_free:
	free(ids);
	free(done);
	return r;
}

static void bench_parse_sizes(struct bench *b, const char *s)
{
	b->nsizes = 0;
	while (*s && b->nsizes < MAX_SIZES) {
		b->sizes[b->nsizes++] = (unsigned)strtoul(s, (char **)&s, 10);
		if (*s == ',')
			s++;
	}
}

int main(int argc, char **argv)
{
	struct bench b = {
	    .samples = 50, .sizes = {64, 256, 1024, 4096}, .nsizes = 4};
	struct bench_machine machine;
	int fails = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--kernel"))
			b.kernel = argv[i + 1];
		else if (!strcmp(argv[i], "--initrd"))
			b.initrd = argv[i + 1];
		else if (!strcmp(argv[i], "--json"))
			b.json = argv[i + 1];
		else if (!strcmp(argv[i], "--samples"))
			b.samples = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--live"))
			b.live = (unsigned)atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sizes"))
			bench_parse_sizes(&b, argv[i + 1]);
	}
	if (!b.kernel || !b.initrd || !b.samples) {
		fprintf(stderr, "usage: vmclone --kernel IMAGE --initrd CPIO "
				"[--sizes 64,256,...] [--samples N] "
				"[--live N] [--json PATH]\n");
		return 2;
	}
	b.results = json_array();
	bench_machine_read(&machine);
	bench_machine_print(&machine);
	printf("clone latency, host memory per clone (targets: lazy p50 <= 20 "
	       "us and flat; <= 64 KiB per clone)\n");
	printf("  %10s  %-12s %5s  %10s %10s %12s\n", "touched", "mode", "n",
	       "p50 us", "p99 us", "KiB/clone");
	for (unsigned i = 0; i < b.nsizes; i++)
		fails += bench_size(&b, b.sizes[i]) != 0;
	if (b.live)
		fails += bench_live(&b, b.live) != 0;

	if (b.json) {
		json_t *root = json_pack(
		    "{s:s, s:o, s:o}", "benchmark", "vmclone", "machine",
		    bench_machine_json(&machine), "results", b.results);
		if (bench_json_dump(root, b.json))
			fails++;
		printf("wrote %s\n", b.json);
	} else {
		json_decref(b.results);
	}
	return fails ? 1 : 0;
}
