/* SPDX-License-Identifier: MIT */
/* Unit tests for dev/mmio: regions, lookups, accesses and their bounds. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dev/mmio.h"

/* A device of 16 bytes of registers that refuses offset 8 for writes. */
struct regs {
	uint8_t b[16];
	unsigned reads, writes;
};

static int regs_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
	struct regs *r = dev;
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)r->b[off + i] << (8 * i);
	*val = v;
	r->reads++;
	return 0;
}

static int regs_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
	struct regs *r = dev;

	if (off == 8)
		return -EFAULT;
	for (unsigned i = 0; i < size; i++)
		r->b[off + i] = (uint8_t)(val >> (8 * i));
	r->writes++;
	return 0;
}

static const struct mmio_ops regs_ops = {.read = regs_read,
					 .write = regs_write};

static void test_add(void **state)
{
	struct mmio_bus bus = {0};
	struct regs a = {0};

	(void)state;
	assert_int_equal(mmio_bus_add(&bus, 0x1000, 16, &regs_ops, &a, "a"), 0);
	/* Overlaps at either end, empty and wrapping ranges. */
	assert_int_equal(mmio_bus_add(&bus, 0x100f, 1, &regs_ops, &a, "b"),
			 -EINVAL);
	assert_int_equal(mmio_bus_add(&bus, 0xff8, 9, &regs_ops, &a, "b"),
			 -EINVAL);
	assert_int_equal(mmio_bus_add(&bus, 0x2000, 0, &regs_ops, &a, "b"),
			 -EINVAL);
	assert_int_equal(
	    mmio_bus_add(&bus, UINT64_MAX - 7, 16, &regs_ops, &a, "b"),
	    -EINVAL);
	/* Adjacent is fine; the bus fills up. */
	assert_int_equal(mmio_bus_add(&bus, 0x1010, 16, &regs_ops, &a, "b"), 0);
	for (unsigned i = 2; i < MMIO_MAX_REGIONS; i++)
		assert_int_equal(
		    mmio_bus_add(&bus, 0x10000 * i, 16, &regs_ops, &a, "c"), 0);
	assert_int_equal(mmio_bus_add(&bus, 0x900000, 16, &regs_ops, &a, "d"),
			 -ENOSPC);
	assert_string_equal(mmio_bus_find(&bus, 0x1010)->name, "b");
	assert_string_equal(mmio_bus_find(&bus, 0x100f)->name, "a");
	assert_null(mmio_bus_find(&bus, 0xfff));
	assert_null(mmio_bus_find(NULL, 0x1000));
}

static void test_access(void **state)
{
	struct mmio_bus bus = {0};
	struct regs a = {0};
	uint64_t v = 0x1122334455667788ull;

	(void)state;
	assert_int_equal(mmio_bus_add(&bus, 0x1000, 16, &regs_ops, &a, "a"), 0);
	assert_int_equal(mmio_bus_access(&bus, 0x1000, 8, true, &v), 0);
	assert_int_equal(a.b[0], 0x88);
	assert_int_equal(a.b[7], 0x11);
	v = 0;
	assert_int_equal(mmio_bus_access(&bus, 0x1002, 2, false, &v), 0);
	assert_int_equal(v, 0x5566);
	/* Past the end of the region, outside any region, refused. */
	assert_int_equal(mmio_bus_access(&bus, 0x100c, 8, false, &v), -EFAULT);
	assert_int_equal(mmio_bus_access(&bus, 0x2000, 4, false, &v), -EFAULT);
	assert_int_equal(mmio_bus_access(&bus, 0x1008, 4, true, &v), -EFAULT);
	assert_int_equal(a.reads, 1);
	assert_int_equal(a.writes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add),
	    cmocka_unit_test(test_access),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
