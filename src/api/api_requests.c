/* SPDX-License-Identifier: MIT */
/*
 * The control API's requests. Each request is one row of api_requests[]:
 * its name, its arguments (checked here, before its handler runs, so a
 * handler only sees well-typed values in range), its handler and a line of
 * help. Adding a request is adding a row and a handler.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/api_requests.h"
#include "vmm/hv.h"

#define API_MAX_ARGS	  4
#define API_MAX_CLONES	  10000u
#define API_MAX_EAGER	  4u /* the levels of an Sv48x4 G-stage */
#define API_CONSOLE_CHUNK (64u << 10)
#define API_ERROR_LEN	  512
#define API_NO_INTERVAL	  UINT_MAX

/* A string argument: s[0..len), or s NULL when absent. */
struct api_bytes {
	const char *s;
	size_t len;
};

/* Checked arguments, every request's, by name (api_arg.offset). */
struct api_args {
	unsigned vm;
	unsigned count;
	unsigned eager_levels;
	unsigned hostfwd_base; /* clone: first host port, 0: free ones */
	unsigned map;
	unsigned free_only;
	unsigned interval_ms; /* API_NO_INTERVAL when absent */
	unsigned target_mib;  /* balloon */
	struct api_bytes input;
};

enum api_arg_type {
	API_ARG_UINT,	/* a JSON integer in [min, max], into an unsigned */
	API_ARG_STRING, /* a JSON string, into a struct api_bytes */
};

struct api_arg {
	const char *name; /* NULL ends a request's list */
	enum api_arg_type type;
	bool required;
	unsigned min, max, def; /* API_ARG_UINT: range; def when absent */
	size_t offset;		/* where it goes in struct api_args */
	const char *help;
};

struct api_request {
	const char *name;
	json_t *(*fn)(struct hv *hv, const struct api_args *a);
	const char *help;
	struct api_arg args[API_MAX_ARGS];
};

/* ---- replies ---- */

/*
 * Length of the well-formed UTF-8 sequence at s[0..len) (len > 0), or 0
 * when there is none (a stray continuation byte, an overlong form, a
 * surrogate, a code point past U+10FFFF, or a truncated sequence).
 */
static size_t api_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned c = s[0];
	uint32_t cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string of the bytes s[0..len), which need not be UTF-8 (guest
 * console output, or client input quoted in an error): every byte that is
 * not part of a well-formed sequence becomes U+FFFD. NULL when out of
 * memory.
 */
static json_t *api_text(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0, n;
	json_t *j;
	char *buf;

	while (i < len && (n = api_utf8_seq(u + i, len - i)))
		i += n;
	if (i == len)
		return json_stringn(s, len);

	buf = malloc(len * 3);
	if (!buf)
		return NULL;
	for (i = 0; i < len; i += n) {
		n = api_utf8_seq(u + i, len - i);
		if (n) {
			memcpy(buf + o, s + i, n);
			o += n;
		} else {
			memcpy(buf + o, "\xef\xbf\xbd", 3);
			o += 3;
			n = 1;
		}
	}
	j = json_stringn(buf, o);
	free(buf);
	return j;
}

json_t *api_error(const char *fmt, ...)
{
	char msg[API_ERROR_LEN];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	return json_pack("{s:b,s:o}", "ok", 0, "error",
			 api_text(msg, (size_t)n));
}

/* The error reply for a negative errno from hv_*() about VM vm. */
static json_t *api_hv_error(long err, unsigned vm)
{
	switch (err) {
	case -ENOENT:
		return api_error("no VM with id %u", vm);
	case -ESRCH:
		return api_error("VM %u has stopped", vm);
	default:
		return api_error("VM %u: %s", vm, strerror((int)-err));
	}
}

static json_t *api_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

static const char *api_state(const struct hv_vm_info *in)
{
	if (in->stopped)
		return "stopped";
	return in->paused ? "paused" : "running";
}

/* JSON null for "no parent", the id otherwise. */
static json_t *api_parent(const struct hv_vm_info *in)
{
	return in->parent ? json_integer(in->parent) : json_null();
}

/* ---- requests ---- */

static json_t *api_list(struct hv *hv, const struct api_args *a)
{
	size_t max = 64, n;
	unsigned *ids = NULL;
	json_t *vms;

	(void)a;
	for (;;) {
		unsigned *more = realloc(ids, max * sizeof(*ids));

		if (!more) {
			free(ids);
			return NULL;
		}
		ids = more;
		n = hv_list(hv, ids, max);
		if (n <= max)
			break;
		max = n + 16; /* VMs came while we looked */
	}
	vms = json_array();
	for (size_t i = 0; vms && i < n; i++) {
		struct hv_vm_info in;
		json_t *vm;

		if (hv_info(hv, ids[i], &in))
			continue; /* destroyed since hv_list() */
		vm = json_pack(
		    "{s:I,s:o,s:I,s:I,s:s,s:o*}", "id", (json_int_t)in.id,
		    "parent", api_parent(&in), "cpus", (json_int_t)in.nvcpus,
		    "memory", (json_int_t)in.ram_size, "state", api_state(&in),
		    "exit_status",
		    in.stopped ? json_integer(in.exit_status) : NULL);
		if (json_array_append_new(vms, vm)) {
			json_decref(vms);
			vms = NULL;
		}
	}
	free(ids);
	return vms ? json_pack("{s:b,s:o}", "ok", 1, "vms", vms) : NULL;
}

static json_t *api_pause(struct hv *hv, const struct api_args *a)
{
	int r = hv_pause(hv, a->vm);

	if (r == -EALREADY)
		return api_error("VM %u is already paused", a->vm);
	return r ? api_hv_error(r, a->vm) : api_ok();
}

static json_t *api_resume(struct hv *hv, const struct api_args *a)
{
	int r = hv_resume(hv, a->vm);

	if (r == -EALREADY)
		return api_error("VM %u is not paused", a->vm);
	return r ? api_hv_error(r, a->vm) : api_ok();
}

/* A VM's forwards as ["tcp:127.0.0.1:8080-:80", ...]. */
static json_t *api_net_fwds(const struct vm_net_info *net)
{
	json_t *fwds = json_array();
	char buf[64];

	for (unsigned i = 0; fwds && i < net->nfwd; i++) {
		usernet_format_fwd(&net->fwd[i], buf, sizeof(buf));
		if (json_array_append_new(fwds, json_string(buf))) {
			json_decref(fwds);
			return NULL;
		}
	}
	return fwds;
}

static json_t *api_clone(struct hv *hv, const struct api_args *a)
{
	struct timespec t0, t1;
	unsigned made = 0;
	json_t *ids, *fwds, *reply;
	unsigned *id;
	int64_t us;
	int r;

	id = calloc(a->count, sizeof(*id));
	if (!id)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = hv_clone(hv, a->vm, a->count, a->eager_levels, a->hostfwd_base, id,
		     &made);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000;
	if (made > a->count)
		made = a->count; /* never trust a count past our array */

	ids = json_array();
	fwds = json_array();
	for (unsigned i = 0; ids && fwds && i < made; i++) {
		struct hv_vm_info in;

		if (json_array_append_new(ids, json_integer(id[i])) ||
		    (!hv_info(hv, id[i], &in) && in.net.present &&
		     json_array_append_new(fwds, api_net_fwds(&in.net)))) {
			json_decref(ids);
			ids = NULL;
		}
	}
	free(id);
	if (!ids || !fwds) {
		json_decref(ids);
		json_decref(fwds);
		return NULL;
	}

	if (!r)
		return json_pack("{s:b,s:o,s:I,s:I,s:o}", "ok", 1, "ids", ids,
				 "made", (json_int_t)made, "latency_us",
				 (json_int_t)us, "hostfwd", fwds);
	json_decref(fwds);
	if (r == -ENOMEM)
		reply = api_error("host memory limit reached after %u of %u "
				  "clones of VM %u",
				  made, a->count, a->vm);
	else if (r == -EINVAL && !made)
		reply = api_error("cannot clone VM %u with eager_levels %u: "
				  "%s",
				  a->vm, a->eager_levels, strerror(EINVAL));
	else if (!made)
		reply = api_hv_error(r, a->vm); /* no such VM, or stopped */
	else
		reply = api_error("cloning VM %u failed after %u of %u "
				  "clones: %s",
				  a->vm, made, a->count, strerror(-r));
	if (!reply || json_object_set_new(reply, "ids", ids) ||
	    json_object_set_new(reply, "made", json_integer(made))) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

static json_t *api_balloon(struct hv *hv, const struct api_args *a)
{
	int r = hv_balloon(hv, a->vm, (uint64_t)a->target_mib << 20);

	if (r == -ENODEV)
		return api_error("VM %u has no balloon (memvisor run "
				 "--balloon)",
				 a->vm);
	if (r == -ERANGE)
		return api_error("VM %u: target_mib %u is more than its RAM",
				 a->vm, a->target_mib);
	return r ? api_hv_error(r, a->vm) : api_ok();
}

static json_t *api_destroy(struct hv *hv, const struct api_args *a)
{
	int r = hv_destroy_vm(hv, a->vm);

	return r ? api_hv_error(r, a->vm) : api_ok();
}

static json_t *api_console(struct hv *hv, const struct api_args *a)
{
	size_t cap = API_CONSOLE_CHUNK;
	long queued = 0, n = 0;
	json_t *output;
	char *buf = NULL;

	if (a->input.s) {
		queued = hv_console_input(hv, a->vm, a->input.s, a->input.len);
		if (queued < 0)
			return api_hv_error(queued, a->vm);
	}
	/* The capture may grow between two reads: size, then copy, a few
	 * times, then take what fits. */
	for (int tries = 0; tries < 4; tries++) {
		free(buf);
		buf = malloc(cap);
		if (!buf)
			return NULL;
		n = hv_console_output(hv, a->vm, buf, cap);
		if (n < 0 || (size_t)n <= cap)
			break;
		cap = (size_t)n + 4096;
	}
	if (n == -ENODEV) {
		output = json_null();
	} else if (n < 0) {
		free(buf);
		return api_hv_error(n, a->vm);
	} else {
		output = api_text(buf, (size_t)n < cap ? (size_t)n : cap);
	}
	free(buf);
	return json_pack("{s:b,s:I,s:o}", "ok", 1, "queued", (json_int_t)queued,
			 "output", output);
}

/* Resident size of this process in bytes, or -1 when unknown. */
static long long api_host_rss(void)
{
	long long size, resident;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "%lld %lld", &size, &resident);
	fclose(f);
	return n == 2 && page > 0 ? resident * page : -1;
}

/*
 * "disks": one object per disk; "disk_own_bytes": what its overlays hold
 * in all (blocks written since it or its parent was cloned).
 */
/* The "cpu" object of stats: the tier and what its translator did. */
static int api_stats_cpu(json_t *reply, const struct hv_vm_info *in)
{
	const struct hart_tier_stats *t = &in->tier_st;

	return json_object_set_new(
	    reply, "cpu",
	    json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "tier",
		      in->tier == HART_TIER_JIT ? "jit" : "interp",
		      "blocks_translated", (json_int_t)t->blocks, "guest_bytes",
		      (json_int_t)t->guest_bytes, "code_bytes",
		      (json_int_t)t->code_bytes, "cache_flushes",
		      (json_int_t)t->flushes, "chained_exits",
		      (json_int_t)t->links, "translate_us",
		      (json_int_t)(t->translate_ns / 1000), "shared_hits",
		      (json_int_t)t->shared_hits, "shared_cache",
		      (int)in->jit_shared));
}

/* The "net" object of stats: null without a network. */
static int api_stats_net(json_t *reply, const struct hv_vm_info *in)
{
	const struct vm_net_info *n = &in->net;
	const struct virtio_net_stats *s = &n->stats;
	char mac[18];
	json_t *net;

	if (!n->present)
		return json_object_set_new(reply, "net", json_null());
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0],
		 n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	net = json_pack(
	    "{s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o*}", "mac", mac, "rx_packets",
	    (json_int_t)s->rx_packets, "rx_bytes", (json_int_t)s->rx_bytes,
	    "tx_packets", (json_int_t)s->tx_packets, "tx_bytes",
	    (json_int_t)s->tx_bytes, "rx_dropped", (json_int_t)s->rx_dropped,
	    "tx_dropped", (json_int_t)s->tx_dropped, "malformed",
	    (json_int_t)s->malformed, "hostfwd", api_net_fwds(n));
	return net ? json_object_set_new(reply, "net", net) : -1;
}

/* "rng", "balloon": null without the device; "vmgenid". */
static int api_stats_entropy(json_t *reply, const struct hv_vm_info *in)
{
	const struct virtio_rng_stats *r = &in->rng;
	const struct virtio_balloon_stats *b = &in->balloon;
	char id[2 * VMGENID_SIZE + 1];
	json_t *rng = json_null(), *balloon = json_null();

	if (in->has_rng)
		rng = json_pack("{s:I,s:I,s:I}", "requests",
				(json_int_t)r->requests, "bytes",
				(json_int_t)r->bytes, "malformed",
				(json_int_t)r->malformed);
	if (in->has_balloon)
		balloon = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
				    "target_pages", (json_int_t)b->target_pages,
				    "actual_pages", (json_int_t)b->actual_pages,
				    "inflated_pages", (json_int_t)b->inflated,
				    "deflated_pages", (json_int_t)b->deflated,
				    "reported_pages", (json_int_t)b->reported,
				    "released_frames", (json_int_t)b->released,
				    "malformed", (json_int_t)b->malformed);
	for (unsigned i = 0; i < VMGENID_SIZE; i++)
		snprintf(id + 2 * i, 3, "%02x", in->genid[i]);
	if (json_object_set_new(reply, "rng", rng) ||
	    json_object_set_new(reply, "balloon", balloon) ||
	    json_object_set_new(reply, "vmgenid", json_string(id)) ||
	    json_object_set_new(reply, "vmgenid_changes",
				json_integer((json_int_t)in->genid_changes)))
		return -1;
	return 0;
}

static int api_stats_disks(json_t *reply, const struct hv_vm_info *in)
{
	json_t *disks = json_array();
	uint64_t own = 0;

	if (!disks)
		return -1;
	for (unsigned i = 0; i < in->ndisks; i++) {
		const struct virtio_blk_stats *b = &in->disks[i];
		const struct disk_stats *d = &b->disk;

		own += d->own_bytes;
		if (json_array_append_new(
			disks,
			json_pack(
			    "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
			    "s:I,s:I,s:I}",
			    "size", (json_int_t)d->size, "own_bytes",
			    (json_int_t)d->own_bytes, "alloc_bytes",
			    (json_int_t)d->alloc_bytes, "depth",
			    (json_int_t)d->depth, "reads", (json_int_t)d->reads,
			    "writes", (json_int_t)d->writes, "read_bytes",
			    (json_int_t)d->read_bytes, "written_bytes",
			    (json_int_t)d->written_bytes, "flushes",
			    (json_int_t)d->flushes, "discards",
			    (json_int_t)d->discards, "io_errors",
			    (json_int_t)d->errors, "requests",
			    (json_int_t)b->requests, "failed",
			    (json_int_t)b->failed, "malformed",
			    (json_int_t)b->malformed))) {
			json_decref(disks);
			return -1;
		}
	}
	if (json_object_set_new(reply, "disks", disks) ||
	    json_object_set_new(reply, "disk_own_bytes",
				json_integer((json_int_t)own)))
		return -1;
	return 0;
}

static json_t *api_stats(struct hv *hv, const struct api_args *a)
{
	struct hv_vm_info in;
	json_t *reply;
	long long rss;
	int r = hv_info(hv, a->vm, &in);

	if (r)
		return api_hv_error(r, a->vm);
	rss = api_host_rss();
	reply = json_pack(
	    "{s:b,s:I,s:o,s:I,s:I,s:s,s:b,s:b,s:i,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
	    "ok", 1, "id", (json_int_t)in.id, "parent", api_parent(&in),
	    "nvcpus", (json_int_t)in.nvcpus, "ram_size",
	    (json_int_t)in.ram_size, "state", api_state(&in), "paused",
	    (int)in.paused, "stopped", (int)in.stopped, "exit_status",
	    in.exit_status, "tables", (json_int_t)in.tables, "pages",
	    (json_int_t)in.pages, "frames_owned", (json_int_t)in.frames_owned,
	    "frames_shared", (json_int_t)in.frames_shared, "replications",
	    (json_int_t)in.replications, "cow_breaks",
	    (json_int_t)in.cow_breaks, "populated", (json_int_t)in.populated,
	    "instret", (json_int_t)in.instret, "exits", (json_int_t)in.exits,
	    "zero_pages", (json_int_t)in.zero_pages, "share_runs",
	    (json_int_t)in.share_runs, "share_interval_ms",
	    (json_int_t)(in.share_interval_ns / 1000000), "shared_pages",
	    (json_int_t)in.shared_pages, "released_frames",
	    (json_int_t)in.released_frames, "host_rss",
	    rss >= 0 ? json_integer(rss) : json_null());
	/* Execution time and deferrable hypercalls. */
	if (reply &&
	    json_object_update_new(
		reply,
		json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "cpu_us",
			  (json_int_t)(in.cpu_ns / 1000), "dlh_counter",
			  (json_int_t)in.dlh_counter, "dlh_entries",
			  (json_int_t)in.dlh_entries, "dlh_drains",
			  (json_int_t)in.dlh_drains, "dlh_notifies",
			  (json_int_t)in.dlh_notifies, "dlh_sync_calls",
			  (json_int_t)in.dlh_sync, "dlh_malformed_rings",
			  (json_int_t)in.dlh_malformed, "dlh_hinted_pages",
			  (json_int_t)in.dlh_hinted, "dlh_us",
			  (json_int_t)(in.dlh_ns / 1000)))) {
		json_decref(reply);
		return NULL;
	}
	if (reply &&
	    (api_stats_cpu(reply, &in) || api_stats_disks(reply, &in) ||
	     api_stats_net(reply, &in) || api_stats_entropy(reply, &in))) {
		json_decref(reply);
		return NULL;
	}
	return reply;
}

/* The map as runs of equal bytes: [[first pfn, frames, byte], ...]. */
static json_t *api_map_runs(const struct vmi_map *map)
{
	json_t *runs = json_array();

	for (uint64_t i = 0, j; runs && i < map->npages; i = j) {
		for (j = i + 1;
		     j < map->npages && map->bytes[j] == map->bytes[i]; j++)
			;
		if (json_array_append_new(
			runs,
			json_pack("[I,I,i]", (json_int_t)(map->min_pfn + i),
				  (json_int_t)(j - i), map->bytes[i]))) {
			json_decref(runs);
			return NULL;
		}
	}
	return runs;
}

static json_t *api_inspect(struct hv *hv, const struct api_args *a)
{
	char why[512] = "";
	struct vmi_map map;
	uint64_t pause_ns;
	json_t *classes, *reply;
	int r = hv_inspect(hv, a->vm, a->free_only, &map, &pause_ns, why,
			   sizeof(why));

	if (r)
		return api_error("VM %u: %s", a->vm,
				 why[0] ? why : strerror(-r));
	classes = json_object();
	for (unsigned c = 0; classes && c < MEMVISOR_PAGE_CLASSES; c++) {
		const char *name = vmi_class_name(c);
		json_int_t n =
		    json_integer_value(json_object_get(classes, name));

		json_object_set_new(
		    classes, name, json_integer(n + (json_int_t)map.counts[c]));
	}
	reply =
	    json_pack("{s:b,s:I,s:s,s:I,s:I,s:o,s:I,s:I,s:I,s:I,s:I,s:I}", "ok",
		      1, "vm", (json_int_t)a->vm, "kernel", map.release,
		      "min_pfn", (json_int_t)map.min_pfn, "frames",
		      (json_int_t)map.npages, "classes", classes, "free_blocks",
		      (json_int_t)map.counts[MEMVISOR_PAGE_FREE], "free_pages",
		      (json_int_t)map.free_pages, "kernel_free_pages",
		      (json_int_t)map.info.free_pages, "pcp_free_pages",
		      (json_int_t)map.info.pcp_pages, "instructions",
		      (json_int_t)map.instructions, "pause_us",
		      (json_int_t)(pause_ns / 1000));
	if (reply) {
		json_object_set_new(reply, "free_only",
				    json_boolean(map.free_only));
		json_object_set_new(
		    reply, "private_copies",
		    json_integer((json_int_t)map.private_copies));
	}
	if (reply && a->map)
		json_object_set_new(reply, "map", api_map_runs(&map));
	vmi_map_free(&map);
	return reply;
}

/* One VM's sharing: what it did, or why not. */
static json_t *api_share_one(struct hv *hv, unsigned id)
{
	struct hv_share_result res;
	char why[512] = "";
	long long rss;
	int r = hv_share(hv, id, false, &res, why, sizeof(why));

	if (r)
		return json_pack("{s:I,s:b,s:s}", "vm", (json_int_t)id, "ok", 0,
				 "error", why[0] ? why : strerror(-r));
	rss = api_host_rss();
	return json_pack(
	    "{s:I,s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "vm",
	    (json_int_t)id, "ok", 1, "free_pages", (json_int_t)res.free_pages,
	    "pcp_free_pages", (json_int_t)res.pcp_pages, "shared",
	    (json_int_t)res.shared, "released", (json_int_t)res.released,
	    "pause_us", (json_int_t)(res.pause_ns / 1000), "identify_us",
	    (json_int_t)(res.identify_ns / 1000), "share_us",
	    (json_int_t)(res.share_ns / 1000), "release_us",
	    (json_int_t)(res.release_ns / 1000), "host_rss",
	    rss >= 0 ? json_integer(rss) : json_null());
}

static json_t *api_share(struct hv *hv, const struct api_args *a)
{
	unsigned ids[4096];
	size_t n;
	json_t *one, *all;

	if (a->interval_ms != API_NO_INTERVAL) {
		int r = hv_share_interval(hv, a->vm,
					  (uint64_t)a->interval_ms * 1000000u);
		if (r)
			return api_hv_error(r, a->vm);
		return json_pack("{s:b,s:i}", "ok", 1, "interval_ms",
				 (int)a->interval_ms);
	}
	if (a->vm) {
		one = api_share_one(hv, a->vm);
		if (one && json_is_false(json_object_get(one, "ok"))) {
			json_t *e = api_error(
			    "%s",
			    json_string_value(json_object_get(one, "error")));
			json_decref(one);
			return e;
		}
		return one;
	}
	n = hv_list(hv, ids, sizeof(ids) / sizeof(ids[0]));
	if (n > sizeof(ids) / sizeof(ids[0]))
		n = sizeof(ids) / sizeof(ids[0]);
	all = json_array();
	for (size_t i = 0; all && i < n; i++)
		json_array_append_new(all, api_share_one(hv, ids[i]));
	return json_pack("{s:b,s:o}", "ok", 1, "vms", all);
}

static json_t *api_dedup(struct hv *hv, const struct api_args *a)
{
	struct hv_dedup_result res;
	long long rss;
	int r = hv_dedup(hv, &res);

	(void)a;
	if (r)
		return api_error("dedup: %s", strerror(-r));
	rss = api_host_rss();
	return json_pack(
	    "{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}", "ok", 1, "vms",
	    (json_int_t)res.vms, "pages", (json_int_t)res.pages, "frames",
	    (json_int_t)res.frames, "zero", (json_int_t)res.zero, "merged",
	    (json_int_t)res.merged, "released", (json_int_t)res.released,
	    "pause_us", (json_int_t)(res.pause_ns / 1000), "release_us",
	    (json_int_t)(res.release_ns / 1000), "host_rss",
	    rss >= 0 ? json_integer(rss) : json_null());
}

static json_t *api_check(struct hv *hv, const struct api_args *a)
{
	size_t n = 0;
	int r = hv_check(hv, &n);

	(void)a;
	if (r == -EUCLEAN)
		return api_error("memory of the %zu VMs is inconsistent (the "
				 "first problem is on memvisor's stderr)",
				 n);
	if (r)
		return api_error("check: %s", strerror(-r));
	return json_pack("{s:b,s:I}", "ok", 1, "vms", (json_int_t)n);
}

static json_t *api_help(struct hv *hv, const struct api_args *a);

/* The argument every request about one VM takes (a macro: a const
 * object is not a constant expression in C). */
#define API_ARG_VM                                                             \
	{                                                                      \
		.name = "vm", .type = API_ARG_UINT, .required = true,          \
		.min = 1, .max = UINT_MAX,                                     \
		.offset = offsetof(struct api_args, vm), .help = "the VM's id" \
	}

static const struct api_request api_requests[] = {
    {
	.name = "list",
	.fn = api_list,
	.help = "every VM: id, parent, cpus, memory, state",
    },
    {
	.name = "pause",
	.fn = api_pause,
	.help = "take a VM's VCPUs off the CPUs until resume",
	.args = {API_ARG_VM},
    },
    {
	.name = "resume",
	.fn = api_resume,
	.help = "let a paused VM run again",
	.args = {API_ARG_VM},
    },
    {
	.name = "clone",
	.fn = api_clone,
	.help = "make count lazy clones of a VM; replies with their ids",
	.args =
	    {
		API_ARG_VM,
		{
		    .name = "count",
		    .type = API_ARG_UINT,
		    .min = 1,
		    .max = API_MAX_CLONES,
		    .def = 1,
		    .offset = offsetof(struct api_args, count),
		    .help = "how many clones, 1 to 10000 (default 1)",
		},
		{
		    .name = "eager_levels",
		    .type = API_ARG_UINT,
		    .min = 1,
		    .max = API_MAX_EAGER,
		    .def = 1,
		    .offset = offsetof(struct api_args, eager_levels),
		    .help = "G-stage levels copied at clone time, 1 "
			    "to 4 (default 1: lazy)",
		},
		{
		    .name = "hostfwd_base",
		    .type = API_ARG_UINT,
		    .min = 0,
		    .max = 65535,
		    .def = 0,
		    .offset = offsetof(struct api_args, hostfwd_base),
		    .help = "with --net: clone i forwards the parent's "
			    "guest ports from host port hostfwd_base + i * "
			    "(forwards) on (default 0: free ports, in the "
			    "reply's hostfwd)",
		},
	    },
    },
    {
	.name = "balloon",
	.fn = api_balloon,
	.help = "set how much of its memory a guest with a balloon "
		"(--balloon) should give up",
	.args =
	    {
		API_ARG_VM,
		{
		    .name = "target_mib",
		    .type = API_ARG_UINT,
		    .required = true,
		    .min = 0,
		    .max = 1u << 24,
		    .offset = offsetof(struct api_args, target_mib),
		    .help = "MiB in the balloon (0: all back to the guest)",
		},
	    },
    },
    {
	.name = "destroy",
	.fn = api_destroy,
	.help = "stop and free a VM (its clones stay)",
	.args = {API_ARG_VM},
    },
    {
	.name = "console",
	.fn = api_console,
	.help = "queue input to a VM's console; replies with its "
		"captured output",
	.args =
	    {
		API_ARG_VM,
		{
		    .name = "input",
		    .type = API_ARG_STRING,
		    .offset = offsetof(struct api_args, input),
		    .help = "bytes to queue (optional)",
		},
	    },
    },
    {
	.name = "stats",
	.fn = api_stats,
	.help = "a VM's memory and execution counters, and host RSS",
	.args = {API_ARG_VM},
    },
    {
	.name = "inspect",
	.fn = api_inspect,
	.help = "identify every page of a Linux guest from outside: "
		"counts per class, optionally the page map",
	.args =
	    {
		API_ARG_VM,
		{
		    .name = "map",
		    .type = API_ARG_UINT,
		    .min = 0,
		    .max = 1,
		    .offset = offsetof(struct api_args, map),
		    .help = "1: add the page map as runs [first pfn, "
			    "frames, byte] (default 0)",
		},
		{
		    .name = "free_only",
		    .type = API_ARG_UINT,
		    .min = 0,
		    .max = 1,
		    .offset = offsetof(struct api_args, free_only),
		    .help = "1: tell only free pages from the rest, as "
			    "sharing does (faster; default 0)",
		},
	    },
    },
    {
	.name = "share",
	.fn = api_share,
	.help = "back a Linux guest's free pages by the zero frame and give "
		"the host memory back: now, or every interval_ms",
	.args =
	    {
		{
		    .name = "vm",
		    .type = API_ARG_UINT,
		    .min = 1,
		    .max = UINT_MAX,
		    .offset = offsetof(struct api_args, vm),
		    .help = "the VM's id (default: every VM)",
		},
		{
		    .name = "interval_ms",
		    .type = API_ARG_UINT,
		    .min = 0,
		    .max = API_NO_INTERVAL - 1,
		    .def = API_NO_INTERVAL,
		    .offset = offsetof(struct api_args, interval_ms),
		    .help = "share periodically from now on, every this "
			    "many ms (0: stop); without vm: every VM, "
			    "clones made later too",
		},
	    },
    },
    {
	.name = "dedup",
	.fn = api_dedup,
	.help = "merge pages of equal contents across every VM "
		"(copy-on-write), as KSM does; pauses all VMs meanwhile",
    },
    {
	.name = "check",
	.fn = api_check,
	.help = "check every VM's memory bookkeeping (reference counts, "
		"leaks); pauses all VMs meanwhile",
    },
    {
	.name = "help",
	.fn = api_help,
	.help = "these requests and their arguments",
    },
};

#define API_NREQUESTS (sizeof(api_requests) / sizeof(api_requests[0]))

static json_t *api_help(struct hv *hv, const struct api_args *a)
{
	json_t *list = json_array();

	(void)hv;
	(void)a;
	for (size_t i = 0; list && i < API_NREQUESTS; i++) {
		const struct api_request *rq = &api_requests[i];
		json_t *args = json_array();

		for (const struct api_arg *arg = rq->args;
		     args && arg < rq->args + API_MAX_ARGS && arg->name; arg++)
			if (json_array_append_new(
				args,
				json_pack("{s:s,s:s,s:b,s:s}", "name",
					  arg->name, "type",
					  arg->type == API_ARG_UINT ? "integer"
								    : "string",
					  "required", (int)arg->required,
					  "help", arg->help))) {
				json_decref(args);
				args = NULL;
			}
		if (json_array_append_new(
			list, json_pack("{s:s,s:s,s:o}", "name", rq->name,
					"help", rq->help, "args", args))) {
			json_decref(list);
			list = NULL;
		}
	}
	return list ? json_pack("{s:b,s:o}", "ok", 1, "requests", list) : NULL;
}

/* ---- parsing ---- */

/* Set *err to reply and return -EINVAL: a bad argument. */
static int api_fail(json_t **err, json_t *reply)
{
	*err = reply;
	return -EINVAL;
}

/* "list, pause, ..." into buf. */
static const char *api_names(char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < API_NREQUESTS && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
				      api_requests[i].name);
	return buf;
}

/* What v is, for an error message: "a string", "-3", "null" ... */
static const char *api_describe(const json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return buf;
	case JSON_REAL:
		/* 1.0 is not an integer either: say so with its point. */
		snprintf(buf, len, "%.17g", json_real_value(v));
		if (!strpbrk(buf, ".e"))
			strncat(buf, ".0", len - strlen(buf) - 1);
		return buf;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

static const struct api_arg *api_arg_find(const struct api_request *rq,
					  const char *name)
{
	for (const struct api_arg *arg = rq->args;
	     arg < rq->args + API_MAX_ARGS && arg->name; arg++)
		if (!strcmp(arg->name, name))
			return arg;
	return NULL;
}

/*
 * Check req's arguments against rq's table and fill *a (defaults for the
 * absent ones). Returns 0, or -EINVAL with *err set to the error reply for
 * the first bad one (NULL when out of memory).
 */
static int api_args_parse(const struct api_request *rq, json_t *req,
			  struct api_args *a, json_t **err)
{
	const struct api_arg *arg;
	const char *key;
	char what[64];
	json_t *v;

	memset(a, 0, sizeof(*a));
	for (arg = rq->args; arg < rq->args + API_MAX_ARGS && arg->name; arg++)
		if (arg->type == API_ARG_UINT)
			*(unsigned *)((char *)a + arg->offset) = arg->def;

	json_object_foreach(req, key, v)
	{
		if (!strcmp(key, "cmd"))
			continue;
		arg = api_arg_find(rq, key);
		if (!arg) {
			char takes[128] = "";
			size_t o = 0;

			for (const struct api_arg *x = rq->args;
			     x < rq->args + API_MAX_ARGS && x->name &&
			     o < sizeof(takes);
			     x++)
				o += (size_t)snprintf(takes + o,
						      sizeof(takes) - o, "%s%s",
						      o ? ", " : "", x->name);
			return api_fail(
			    err,
			    api_error("unknown argument \"%.40s\" (%s takes "
				      "%s)",
				      key, rq->name, o ? takes : "none"));
		}
		if (arg->type == API_ARG_STRING) {
			struct api_bytes *b =
			    (struct api_bytes *)((char *)a + arg->offset);

			if (!json_is_string(v))
				return api_fail(
				    err, api_error("argument \"%s\" must be a "
						   "string, not %s",
						   arg->name,
						   api_describe(v, what,
								sizeof(what))));
			b->s = json_string_value(v);
			b->len = json_string_length(v);
			continue;
		}
		if (!json_is_integer(v) || json_integer_value(v) < arg->min ||
		    json_integer_value(v) > arg->max)
			return api_fail(
			    err,
			    api_error("argument \"%s\" must be an integer "
				      "from %u to %u, not %s",
				      arg->name, arg->min, arg->max,
				      api_describe(v, what, sizeof(what))));
		*(unsigned *)((char *)a + arg->offset) =
		    (unsigned)json_integer_value(v);
	}

	for (arg = rq->args; arg < rq->args + API_MAX_ARGS && arg->name; arg++)
		if (arg->required && !json_object_get(req, arg->name))
			return api_fail(
			    err, api_error("missing argument \"%s\" (%s)",
					   arg->name, arg->help));
	return 0;
}

json_t *api_handle(struct hv *hv, const char *line, size_t len)
{
	const struct api_request *rq = NULL;
	struct api_args a;
	json_error_t jerr;
	json_t *req, *cmd, *reply;
	char names[128], what[64];

	req = json_loadb(line, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES,
			 &jerr);
	if (!req)
		return api_error("not JSON: %s (at byte %d)", jerr.text,
				 jerr.position);
	if (!json_is_object(req)) {
		reply = api_error("a request is a JSON object such as "
				  "{\"cmd\":\"list\"}, not %s",
				  api_describe(req, what, sizeof(what)));
		goto out;
	}
	cmd = json_object_get(req, "cmd");
	if (!cmd || !json_is_string(cmd)) {
		reply = api_error("\"cmd\" must name a request (%s)",
				  api_names(names, sizeof(names)));
		goto out;
	}
	for (size_t i = 0; i < API_NREQUESTS; i++)
		if (strlen(api_requests[i].name) == json_string_length(cmd) &&
		    !strcmp(api_requests[i].name, json_string_value(cmd)))
			rq = &api_requests[i];
	if (!rq) {
		reply = api_error("unknown cmd \"%.40s\" (requests: %s)",
				  json_string_value(cmd),
				  api_names(names, sizeof(names)));
		goto out;
	}
	if (!api_args_parse(rq, req, &a, &reply))
		reply = rq->fn(hv, &a);
out:
	json_decref(req);
	return reply;
}
