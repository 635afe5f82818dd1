/* SPDX-License-Identifier: MIT */
/*
 * blk: benchmark of virtio-blk and its disks below the VM layer.
 *
 *   blk [--dir DIR] [--mib N] [--json PATH]
 *
 * - disk clone latency (disk_clone() + disk_close() of the clone), p50 and
 *   p99 of 1000, for a small and a large image: flat in the disk's size;
 * - sequential write and read MB/s through the device: a driver on this
 *   thread submits 256 KiB requests (header, 64 data buffers of 4 KiB in
 *   an indirect table, status) on a 256-entry queue in real guest memory
 *   and waits for each batch of 32; the device's worker does the I/O on an
 *   image of N MiB (default 256) in DIR (default /tmp), then the same on
 *   a clone's overlay.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "dev/virtio/blk.h"
#include "mem/gmem.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (64 * MIB)
#define QSIZE	 256
#define DESC	 (RAM_BASE)
#define AVAIL	 (RAM_BASE + 0x10000)
#define USED	 (RAM_BASE + 0x20000)
#define TABLES	 (RAM_BASE + 0x100000) /* indirect tables, 4 KiB each */
#define HDRS	 (RAM_BASE + 0x200000) /* headers and status, 32 B each */
#define BUFS	 (RAM_BASE + 0x400000) /* 256 KiB per request slot */
#define REQ	 (256u << 10)
#define SEGS	 (REQ / 4096)
#define BATCH	 32

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int make_image(const char *path, uint64_t size)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)size)) {
		perror(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* disk_clone() latency in microseconds: p50 and p99 of n. */
static int bench_clone(const char *path, unsigned n, double *p50, double *p99)
{
	struct disk *d, *c;
	char why[256];
	double *t = calloc(n, sizeof(*t));

	if (!t || disk_open(path, false, &d, why, sizeof(why))) {
		fprintf(stderr, "blk: %s\n", why);
		return -1;
	}
	for (unsigned i = 0; i < n; i++) {
		double t0 = now_s();

		if (disk_clone(d, &c))
			return -1;
		t[i] = (now_s() - t0) * 1e6;
		disk_close(c);
	}
	qsort(t, n, sizeof(*t), cmp_double);
	*p50 = t[n / 2];
	*p99 = t[n * 99 / 100];
	disk_close(d);
	free(t);
	return 0;
}

struct driver {
	struct gstage *gs;
	struct virtio_mmio *t;
	uint16_t avail, used_seen;
};

static void reg(struct driver *drv, uint64_t off, uint32_t v)
{
	virtio_mmio_ops.write(drv->t, off, 4, v);
}

static uint16_t used_idx(struct driver *drv)
{
	uint16_t v = 0;

	gmem_read(drv->gs, USED + 2, &v, 2);
	return v;
}

static void setup(struct driver *drv)
{
	reg(drv, VIRTIO_MMIO_STATUS, 3);
	reg(drv, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	reg(drv, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	reg(drv, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	reg(drv, VIRTIO_MMIO_DRIVER_FEATURES, 1u << VIRTIO_F_INDIRECT_DESC);
	reg(drv, VIRTIO_MMIO_STATUS, 11);
	reg(drv, VIRTIO_MMIO_QUEUE_SEL, 0);
	reg(drv, VIRTIO_MMIO_QUEUE_NUM, QSIZE);
	reg(drv, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC);
	reg(drv, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	reg(drv, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)AVAIL);
	reg(drv, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
	reg(drv, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)USED);
	reg(drv, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
	reg(drv, VIRTIO_MMIO_QUEUE_READY, 1);
	reg(drv, VIRTIO_MMIO_STATUS, 15);
}

/* Submit slot's request (type, sector) and return. */
static void submit(struct driver *drv, unsigned slot, uint32_t type,
		   uint64_t sector)
{
	struct {
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
	} d[SEGS + 2];
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} h = {type, 0, sector};
	uint64_t hdr = HDRS + 32 * slot, table = TABLES + 0x1000 * slot;
	uint16_t wr = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;

	gmem_write(drv->gs, hdr, &h, sizeof(h));
	d[0] = (typeof(d[0])){hdr, 16, VIRTQ_DESC_F_NEXT, 1};
	for (unsigned i = 0; i < SEGS; i++)
		d[1 + i] =
		    (typeof(d[0])){BUFS + (uint64_t)slot * REQ + 4096 * i, 4096,
				   VIRTQ_DESC_F_NEXT | wr, (uint16_t)(i + 2)};
	d[SEGS + 1] = (typeof(d[0])){hdr + 16, 1, VIRTQ_DESC_F_WRITE, 0};
	gmem_write(drv->gs, table, d, sizeof(d));
	d[0] = (typeof(d[0])){table, sizeof(d), VIRTQ_DESC_F_INDIRECT, 0};
	gmem_write(drv->gs, DESC + 16 * slot, d, 16);
	uint16_t head = (uint16_t)slot;
	gmem_write(drv->gs, AVAIL + 4 + 2 * (drv->avail % QSIZE), &head, 2);
	drv->avail++;
	gmem_write(drv->gs, AVAIL + 2, &drv->avail, 2);
}

/* Move bytes sequentially in REQ requests; returns MB/s. */
static double bench_seq(struct driver *drv, uint32_t type, uint64_t bytes)
{
	uint64_t sector = 0, n = bytes / REQ;
	double t0 = now_s();

	for (uint64_t i = 0; i < n; i += BATCH) {
		unsigned k = n - i < BATCH ? (unsigned)(n - i) : BATCH;

		for (unsigned s = 0; s < k; s++) {
			submit(drv, s, type, sector);
			sector += REQ / 512;
		}
		reg(drv, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		while (used_idx(drv) != drv->avail)
			;
	}
	return (double)bytes / MIB / (now_s() - t0);
}

static int bench_device(struct gstage *gs, struct disk *disk, uint64_t bytes,
			double *w, double *r)
{
	struct virtio_blk *b;
	struct driver drv = {.gs = gs};

	gmem_fill(gs, RAM_BASE, 0, 0x400000);
	gmem_fill(gs, BUFS, 0x5a, (uint64_t)BATCH * REQ);
	if (virtio_blk_create(disk, "bench", gs, NULL, 0, &b))
		return -1;
	drv.t = virtio_blk_transport(b);
	setup(&drv);
	*w = bench_seq(&drv, VIRTIO_BLK_T_OUT, bytes);
	*r = bench_seq(&drv, VIRTIO_BLK_T_IN, bytes);
	virtio_blk_destroy(b);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = "/tmp", *json_path = NULL;
	unsigned mib = 256;
	char small[512], large[512], img[512], why[256];
	double c50[2], c99[2], w[2], r[2];
	struct frame_pool *pool;
	struct gstage gs;
	struct disk *d, *c;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dir") && i + 1 < argc)
			dir = argv[++i];
		else if (!strcmp(argv[i], "--mib") && i + 1 < argc)
			mib = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "--json") && i + 1 < argc)
			json_path = argv[++i];
		else {
			fprintf(stderr,
				"usage: blk [--dir DIR] [--mib N] [--json "
				"PATH]\n");
			return 2;
		}
	}
	snprintf(small, sizeof(small), "%s/memvisor-blk-small.img", dir);
	snprintf(large, sizeof(large), "%s/memvisor-blk-large.img", dir);
	snprintf(img, sizeof(img), "%s/memvisor-blk-seq.img", dir);
	if (make_image(small, 1 * MIB) || make_image(large, 64ull << 30) ||
	    make_image(img, (uint64_t)mib * MIB))
		return 1;
	if (bench_clone(small, 1000, &c50[0], &c99[0]) ||
	    bench_clone(large, 1000, &c50[1], &c99[1]))
		return 1;

	if (frame_pool_create(256 * MIB, &pool) ||
	    gstage_init(&gs, pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&gs, RAM_BASE, RAM_SIZE))
		return 1;
	if (disk_open(img, false, &d, why, sizeof(why))) {
		fprintf(stderr, "blk: %s\n", why);
		return 1;
	}
	if (disk_clone(d, &c))
		return 1;
	disk_close(d);
	/* The clone's overlay first: its writes are new blocks. */
	if (bench_device(&gs, c, (uint64_t)mib * MIB, &w[1], &r[1]))
		return 1;
	if (disk_open(img, false, &d, why, sizeof(why)) ||
	    bench_device(&gs, d, (uint64_t)mib * MIB, &w[0], &r[0]))
		return 1;

	printf("%-44s %12s %12s\n", "virtio-blk (host side)", "value", "");
	printf("%-44s %9.1f us %9.1f us\n",
	       "disk clone, 1 MiB image (p50, p99)", c50[0], c99[0]);
	printf("%-44s %9.1f us %9.1f us\n",
	       "disk clone, 64 GiB image (p50, p99)", c50[1], c99[1]);
	printf("%-44s %9.0f MB/s\n", "sequential write, image", w[0]);
	printf("%-44s %9.0f MB/s\n", "sequential read, image", r[0]);
	printf("%-44s %9.0f MB/s\n", "sequential write, clone's overlay", w[1]);
	printf("%-44s %9.0f MB/s\n", "sequential read, clone's overlay", r[1]);
	if (json_path) {
		json_t *j = json_pack(
		    "{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:i}",
		    "clone_small_p50_us", c50[0], "clone_small_p99_us", c99[0],
		    "clone_large_p50_us", c50[1], "clone_large_p99_us", c99[1],
		    "seq_write_mbs", w[0], "seq_read_mbs", r[0],
		    "overlay_write_mbs", w[1], "overlay_read_mbs", r[1], "mib",
		    (int)mib);
		if (!j || json_dump_file(j, json_path, JSON_INDENT(2)))
			return 1;
		json_decref(j);
	}
	unlink(small);
	unlink(large);
	unlink(img);
	gstage_destroy(&gs);
	frame_pool_destroy(pool);
	return 0;
}
