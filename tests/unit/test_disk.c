/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/disk: raw images, O(1) copy-on-write clones,
 * reads through chains of overlays, isolation of parent and clone, holes,
 * freed layers and the host's errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/virtio/disk.h"

#define KIB 1024u
#define MIB (1024u * 1024)

struct fixture {
	char dir[64];
	char image[96];
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	strcpy(fx->dir, "/tmp/test_disk_XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->image, sizeof(fx->image), "%s/disk.img", fx->dir);
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	unlink(fx->image);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* An image of size bytes, byte i = pattern(i, seed). */
static uint8_t pattern(uint64_t i, unsigned seed)
{
	return (uint8_t)(i * 31 + i / 4096 + seed);
}

static void make_image(const char *path, uint64_t size, unsigned seed)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	uint8_t buf[4096];

	assert_true(fd >= 0);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? size - off : sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, seed);
		assert_int_equal(write(fd, buf, n), (ssize_t)n);
	}
	close(fd);
}

static struct disk *open_ok(const char *path, bool ro)
{
	struct disk *d = NULL;
	char why[256] = "";

	assert_int_equal(disk_open(path, ro, &d, why, sizeof(why)), 0);
	assert_non_null(d);
	return d;
}

/* Whether d reads pattern(seed) over [off, off + len). */
static void expect_pattern(struct disk *d, uint64_t off, size_t len,
			   unsigned seed)
{
	uint8_t *buf = malloc(len);

	assert_int_equal(disk_read(d, off, buf, len), 0);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != pattern(off + i, seed))
			fail_msg("byte %llu: %u, expected %u",
				 (unsigned long long)(off + i), buf[i],
				 pattern(off + i, seed));
	free(buf);
}

static void expect_fill(struct disk *d, uint64_t off, size_t len, uint8_t c)
{
	uint8_t *buf = malloc(len);

	assert_int_equal(disk_read(d, off, buf, len), 0);
	for (size_t i = 0; i < len; i++)
		if (buf[i] != c)
			fail_msg("byte %llu: %u, expected %u",
				 (unsigned long long)(off + i), buf[i], c);
	free(buf);
}

static void write_fill(struct disk *d, uint64_t off, size_t len, uint8_t c)
{
	uint8_t *buf = malloc(len);

	memset(buf, c, len);
	assert_int_equal(disk_write(d, off, buf, len), 0);
	free(buf);
}

static void test_open_errors(void **state)
{
	struct fixture *fx = *state;
	struct disk *d = NULL;
	char why[256], path[128];

	snprintf(path, sizeof(path), "%s/missing.img", fx->dir);
	assert_int_equal(disk_open(path, false, &d, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, path));
	assert_int_equal(disk_open(fx->dir, false, &d, why, sizeof(why)),
			 -EISDIR);
	assert_non_null(strstr(why, "directory"));
	assert_int_equal(disk_open(fx->dir, true, &d, why, sizeof(why)),
			 -EISDIR);
	/* Empty, and shorter than a sector. */
	make_image(fx->image, 0, 0);
	assert_int_equal(disk_open(fx->image, false, &d, why, sizeof(why)),
			 -EINVAL);
	make_image(fx->image, 100, 0);
	assert_int_equal(disk_open(fx->image, false, &d, why, sizeof(why)),
			 -EINVAL);
	/* Read-only without ,ro: refused, saying what to do. */
	make_image(fx->image, 4096, 0);
	assert_int_equal(chmod(fx->image, 0444), 0);
	assert_int_equal(disk_open(fx->image, false, &d, why, sizeof(why)),
			 -EACCES);
	assert_non_null(strstr(why, "add ,ro"));
	d = open_ok(fx->image, true);
	assert_true(disk_ro(d));
	assert_int_equal(disk_write(d, 0, "x", 1), -EROFS);
	assert_int_equal(disk_discard(d, 0, 512), -EROFS);
	expect_pattern(d, 0, 4096, 0);
	disk_close(d);
	/* Unreadable (only when not root: root reads anything). */
	if (geteuid() != 0) {
		assert_int_equal(chmod(fx->image, 0), 0);
		assert_int_equal(
		    disk_open(fx->image, true, &d, why, sizeof(why)), -EACCES);
	}
	chmod(fx->image, 0644);
}

static void test_size_and_ranges(void **state)
{
	struct fixture *fx = *state;
	struct disk *d;
	uint8_t b[16];

	make_image(fx->image, 10000, 0); /* rounded down to 19 sectors */
	d = open_ok(fx->image, false);
	assert_int_equal(disk_size(d), 19 * 512);
	assert_int_equal(disk_read(d, 19 * 512 - 16, b, 16), 0);
	assert_int_equal(disk_read(d, 19 * 512 - 15, b, 16), -EINVAL);
	assert_int_equal(disk_write(d, 19 * 512, b, 1), -EINVAL);
	assert_int_equal(disk_read(d, ~0ull - 4, b, 16), -EINVAL);
	assert_int_equal(disk_discard(d, 512, ~0ull), -EINVAL);
	disk_close(d);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A clone costs the same for a 4 GiB disk as for a small one. */
static void test_clone_is_o1(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c;
	struct disk_stats st;
	int fd;
	double t0, dt;

	fd = open(fx->image, O_CREAT | O_TRUNC | O_RDWR, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4ull << 30), 0);
	assert_int_equal(pwrite(fd, "data", 4, 3ull << 30), 4);
	close(fd);
	d = open_ok(fx->image, false);
	t0 = now_us();
	assert_int_equal(disk_clone(d, &c), 0);
	dt = now_us() - t0;
	print_message("clone of a 4 GiB disk: %.1f us\n", dt);
	assert_true(dt < 20000); /* no copy: a copy would take seconds */
	disk_get_stats(c, &st);
	assert_int_equal(st.own_bytes, 0);
	assert_int_equal(st.alloc_bytes, 0);
	assert_int_equal(st.depth, 2);
	assert_int_equal(st.size, 4ull << 30);
	disk_get_stats(d, &st);
	assert_int_equal(st.own_bytes, 0);
	assert_int_equal(st.depth, 2);
	char b[4];
	assert_int_equal(disk_read(c, 3ull << 30, b, 4), 0);
	assert_memory_equal(b, "data", 4);
	disk_close(c);
	disk_close(d);
}

static void test_parent_and_clone_isolated(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c, *img;
	struct disk_stats st;

	make_image(fx->image, 256 * KIB, 1);
	d = open_ok(fx->image, false);
	write_fill(d, 8192, 4096, 0xaa); /* before the clone: to the image */
	assert_int_equal(disk_clone(d, &c), 0);
	write_fill(d, 0, 4096, 0x11);
	write_fill(c, 4096, 8192, 0x22);
	/* Each sees its own writes and the shared past, not the other's. */
	expect_fill(d, 0, 4096, 0x11);
	expect_pattern(c, 0, 4096, 1);
	expect_fill(c, 4096, 8192, 0x22);
	expect_pattern(d, 4096, 4096, 1);
	expect_fill(d, 8192, 4096, 0xaa);
	expect_pattern(d, 12288, 256 * KIB - 12288, 1);
	expect_pattern(c, 12288, 256 * KIB - 12288, 1);
	/* Own bytes: what each wrote since. */
	disk_get_stats(d, &st);
	assert_int_equal(st.own_blocks, 1);
	assert_int_equal(st.own_bytes, 4096);
	disk_get_stats(c, &st);
	assert_int_equal(st.own_blocks, 2);
	assert_true(st.alloc_bytes >= 8192);
	/* The image itself is frozen at the clone. */
	img = open_ok(fx->image, true);
	expect_pattern(img, 0, 8192, 1);
	expect_fill(img, 8192, 4096, 0xaa);
	disk_close(img);
	disk_close(d);
	disk_close(c);
}

static void test_partial_block_copy_up(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c;
	struct disk_stats st;

	make_image(fx->image, 64 * KIB, 2);
	d = open_ok(fx->image, false);
	assert_int_equal(disk_clone(d, &c), 0);
	/* 512 bytes in the middle of block 1, 1 KiB across blocks 2-3. */
	write_fill(c, 4096 + 1024, 512, 0x33);
	write_fill(c, 3 * 4096 - 512, 1024, 0x44);
	expect_pattern(c, 4096, 1024, 2);
	expect_fill(c, 4096 + 1024, 512, 0x33);
	expect_pattern(c, 4096 + 1536, 4096 - 1536 + 4096 - 512, 2);
	expect_fill(c, 3 * 4096 - 512, 1024, 0x44);
	expect_pattern(c, 3 * 4096 + 512, 4096 - 512, 2);
	disk_get_stats(c, &st);
	assert_int_equal(st.copy_ups, 3);
	assert_int_equal(st.own_blocks, 3);
	/* Again in a block it has: no more copies. */
	write_fill(c, 4096, 512, 0x55);
	disk_get_stats(c, &st);
	assert_int_equal(st.copy_ups, 3);
	expect_fill(c, 4096, 512, 0x55);
	expect_fill(c, 4096 + 1024, 512, 0x33);
	expect_pattern(d, 0, 64 * KIB, 2);
	disk_close(c);
	disk_close(d);
}

static void test_overlay_of_overlay(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c1, *c2, *c3;
	struct disk_stats st;

	make_image(fx->image, 64 * KIB, 3);
	d = open_ok(fx->image, false);
	assert_int_equal(disk_clone(d, &c1), 0);
	write_fill(c1, 0, 4096, 0x01);
	assert_int_equal(disk_clone(c1, &c2), 0); /* c1's layer freezes */
	write_fill(c2, 4096, 4096, 0x02);
	write_fill(c1, 8192, 4096, 0x03);
	expect_fill(c2, 0, 4096, 0x01);	    /* through c1's old layer */
	expect_fill(c2, 4096, 4096, 0x02);  /* its own */
	expect_pattern(c2, 8192, 4096, 3);  /* c1's later write: not */
	expect_pattern(c2, 12288, 4096, 3); /* through to the image */
	expect_fill(c1, 8192, 4096, 0x03);
	expect_pattern(c1, 4096, 4096, 3);
	expect_pattern(d, 0, 64 * KIB, 3);
	disk_get_stats(c2, &st);
	assert_int_equal(st.depth, 3);
	/* Cloning again without writes in between: no deeper. */
	assert_int_equal(disk_clone(c2, &c3), 0);
	disk_get_stats(c3, &st);
	assert_int_equal(st.depth, 4);
	disk_close(c3);
	assert_int_equal(disk_clone(d, &c3), 0);
	disk_get_stats(d, &st);
	assert_int_equal(st.depth, 2);
	disk_get_stats(c3, &st);
	assert_int_equal(st.depth, 2);
	disk_close(c3);
	/* Freed in any order: what is left reads the same. */
	disk_close(c1);
	disk_close(d);
	expect_fill(c2, 0, 4096, 0x01);
	expect_fill(c2, 4096, 4096, 0x02);
	expect_pattern(c2, 8192, 64 * KIB - 8192, 3);
	disk_close(c2);
}

static void test_repeated_clones_stay_shallow(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c[16];
	struct disk_stats st;

	make_image(fx->image, 16 * KIB, 4);
	d = open_ok(fx->image, false);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(disk_clone(d, &c[i]), 0);
	disk_get_stats(d, &st);
	assert_int_equal(st.depth, 2);
	for (unsigned i = 0; i < 16; i++) {
		write_fill(c[i], 0, 512, (uint8_t)i);
		disk_get_stats(c[i], &st);
		assert_int_equal(st.depth, 2);
	}
	for (unsigned i = 0; i < 16; i++) {
		expect_fill(c[i], 0, 512, (uint8_t)i);
		expect_pattern(c[i], 512, 16 * KIB - 512, 4);
		disk_close(c[i]);
	}
	expect_pattern(d, 0, 16 * KIB, 4);
	disk_close(d);
}

static uint64_t allocated(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return (uint64_t)sb.st_blocks * 512;
}

static void test_discard(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c;
	struct disk_stats st;
	uint64_t before;

	make_image(fx->image, 1 * MIB, 5);
	d = open_ok(fx->image, false);
	before = allocated(fx->image);
	/* On the image: a hole, reads as zeros, space freed. */
	assert_int_equal(disk_discard(d, 64 * KIB, 256 * KIB), 0);
	expect_fill(d, 64 * KIB, 256 * KIB, 0);
	expect_pattern(d, 0, 64 * KIB, 5);
	expect_pattern(d, 320 * KIB, 64 * KIB, 5);
	assert_true(allocated(fx->image) <= before - 256 * KIB);
	/* On an overlay: zeros over the parent's data, edges included. */
	assert_int_equal(disk_clone(d, &c), 0);
	write_fill(c, 512 * KIB, 64 * KIB, 0x77);
	disk_get_stats(c, &st);
	before = st.alloc_bytes;
	assert_int_equal(disk_discard(c, 500 * KIB + 512, 100 * KIB), 0);
	expect_pattern(c, 500 * KIB, 512, 5);
	expect_fill(c, 500 * KIB + 512, 100 * KIB, 0);
	expect_pattern(c, 600 * KIB + 512, 1 * MIB - 600 * KIB - 512, 5);
	disk_get_stats(c, &st);
	assert_true(st.alloc_bytes < before);
	expect_pattern(d, 400 * KIB, 600 * KIB, 5);
	disk_close(c);
	disk_close(d);
}

/*
 * The host refusing a write (here: the file-size limit, as a full disk
 * would): the request fails with -EIO, the disk reads what it had, and
 * later writes work again.
 */
static void test_host_write_error(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c;
	struct rlimit old, lim;

	make_image(fx->image, 1 * MIB, 6);
	d = open_ok(fx->image, false);
	assert_int_equal(disk_clone(d, &c), 0);
	write_fill(c, 0, 4096, 0x10); /* its overlay file exists */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 256 * KIB;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	uint8_t buf[8192];
	memset(buf, 0x99, sizeof(buf));
	assert_int_equal(disk_write(c, 512 * KIB, buf, sizeof(buf)), -EIO);
	assert_int_equal(disk_write(c, 512 * KIB + 100, buf, 100), -EIO);
	assert_int_equal(disk_write(d, 700 * KIB, buf, 100), -EIO);
	assert_int_equal(disk_write(c, 4096, buf, 4096), 0); /* below */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	expect_pattern(c, 512 * KIB, 8192, 6);
	expect_pattern(d, 700 * KIB, 4096, 6);
	struct disk_stats st;
	disk_get_stats(c, &st);
	assert_int_equal(st.errors, 2);
	assert_int_equal(st.own_blocks, 2);
	assert_int_equal(disk_write(c, 512 * KIB, buf, sizeof(buf)), 0);
	expect_fill(c, 512 * KIB, sizeof(buf), 0x99);
	assert_int_equal(disk_flush(d), 0);
	disk_close(c);
	disk_close(d);
}

/* The image keeps what was written, across a reopen. */
static void test_write_persists(void **state)
{
	struct fixture *fx = *state;
	struct disk *d;

	make_image(fx->image, 64 * KIB, 7);
	d = open_ok(fx->image, false);
	write_fill(d, 1000, 3000, 0x5a);
	assert_int_equal(disk_flush(d), 0);
	disk_close(d);
	d = open_ok(fx->image, true);
	expect_pattern(d, 0, 1000, 7);
	expect_fill(d, 1000, 3000, 0x5a);
	expect_pattern(d, 4000, 64 * KIB - 4000, 7);
	disk_close(d);
}

/*
 * What a VM wrote after it was cloned reaches its image once its clones
 * are gone: closing folds its overlays down. A clone's own writes go with
 * it; a parent closed before its clones keeps the image as it was.
 */
static void test_close_folds_into_image(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c, *c2, *back;

	make_image(fx->image, 256 * KIB, 8);
	d = open_ok(fx->image, false);
	assert_int_equal(disk_clone(d, &c), 0);
	write_fill(d, 8192, 5000, 0x11);  /* the parent, after the clone */
	write_fill(c, 65536, 4096, 0x22); /* the clone's own */
	assert_int_equal(disk_clone(d, &c2), 0); /* an overlay of overlays */
	write_fill(d, 100000, 10, 0x33);
	disk_close(c);
	disk_close(c2);
	disk_close(d);
	back = open_ok(fx->image, true);
	expect_fill(back, 8192, 5000, 0x11);
	expect_fill(back, 100000, 10, 0x33);
	expect_pattern(back, 65536, 4096, 8); /* not the clone's 0x22 */
	expect_pattern(back, 0, 8192, 8);
	disk_close(back);

	d = open_ok(fx->image, false);
	assert_int_equal(disk_clone(d, &c), 0);
	write_fill(d, 0, 4096, 0x44);
	disk_close(d); /* before its clone: the base is still shared */
	disk_close(c);
	back = open_ok(fx->image, true);
	expect_pattern(back, 0, 4096, 8);
	disk_close(back);
}

/* A read-only disk's clones share it as it is. */
static void test_read_only_clone(void **state)
{
	struct fixture *fx = *state;
	struct disk *d, *c;
	struct disk_stats st;

	make_image(fx->image, 8 * KIB, 8);
	d = open_ok(fx->image, true);
	assert_int_equal(disk_clone(d, &c), 0);
	assert_true(disk_ro(c));
	disk_get_stats(c, &st);
	assert_int_equal(st.depth, 1);
	disk_close(d);
	expect_pattern(c, 0, 8 * KIB, 8);
	disk_close(c);
}

int main(void)
{
#define T(fn)                                                                  \
	cmocka_unit_test_setup_teardown(fn, fixture_setup, fixture_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_open_errors),
	    T(test_size_and_ranges),
	    T(test_clone_is_o1),
	    T(test_parent_and_clone_isolated),
	    T(test_partial_block_copy_up),
	    T(test_overlay_of_overlay),
	    T(test_repeated_clones_stay_shallow),
	    T(test_discard),
	    T(test_host_write_error),
	    T(test_write_persists),
	    T(test_read_only_clone),
	    T(test_close_folds_into_image),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
