/* SPDX-License-Identifier: MIT */
/* Unit tests for dev/rtc: the Goldfish-layout real-time clock. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "dev/rtc.h"

#define SEC 1000000000ull

struct fake_chip {
	struct irq_chip chip;
	_Atomic bool level;
	_Atomic unsigned raises;
};

static void fake_set_level(struct irq_chip *chip, unsigned line, bool level)
{
	struct fake_chip *f = (struct fake_chip *)chip;

	assert_int_equal(line, 12);
	if (level && !atomic_load(&f->level))
		atomic_fetch_add(&f->raises, 1);
	atomic_store(&f->level, level);
}

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned ms)
{
	const struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&t, NULL);
}

static uint32_t rd(struct rtc *r, uint64_t off)
{
	uint64_t v = ~0ull;

	assert_int_equal(rtc_mmio_ops.read(r, off, 4, &v), 0);
	assert_true(v <= UINT32_MAX);
	return (uint32_t)v;
}

static void wr(struct rtc *r, uint64_t off, uint32_t v)
{
	assert_int_equal(rtc_mmio_ops.write(r, off, 4, v), 0);
}

/* The time as the driver reads it: TIME_LOW, then the latched high. */
static uint64_t guest_time(struct rtc *r)
{
	uint32_t lo = rd(r, 0x00);

	return (uint64_t)rd(r, 0x04) << 32 | lo;
}

static void arm(struct rtc *r, uint64_t at)
{
	wr(r, 0x0c, (uint32_t)(at >> 32));
	wr(r, 0x08, (uint32_t)at);
}

/* It starts at the host's time; a time set moves it, and it goes on. */
static void test_time(void **state)
{
	struct fake_chip chip = {.chip.set_level = fake_set_level};
	struct rtc r;
	uint64_t t, want;

	(void)state;
	assert_int_equal(rtc_init(&r, &chip.chip, 12), 0);
	t = guest_time(&r);
	assert_true(t > host_ns() - SEC && t <= host_ns());
	want = 1000000000ull * SEC; /* 2001-09-09 */
	wr(&r, 0x04, (uint32_t)(want >> 32));
	wr(&r, 0x00, (uint32_t)want);
	sleep_ms(20);
	t = guest_time(&r);
	assert_true(t >= want + 20000000ull && t < want + SEC);
	assert_true(rtc_now_ns(&r) >= t);
	rtc_destroy(&r);
}

/* Bad accesses are refused; the line stays low without an alarm. */
static void test_bad_access(void **state)
{
	struct fake_chip chip = {.chip.set_level = fake_set_level};
	struct rtc r;
	uint64_t v;

	(void)state;
	assert_int_equal(rtc_init(&r, &chip.chip, 12), 0);
	assert_int_equal(rtc_mmio_ops.read(&r, 0x20, 4, &v), -EFAULT);
	assert_int_equal(rtc_mmio_ops.read(&r, 0x00, 8, &v), -EFAULT);
	assert_int_equal(rtc_mmio_ops.write(&r, 0x02, 4, 0), -EFAULT);
	assert_int_equal(rtc_mmio_ops.write(&r, 0x00, 1, 0), -EFAULT);
	assert_int_equal(rd(&r, 0x18), 0);
	assert_false(atomic_load(&chip.level));
	rtc_destroy(&r);
}

/* An alarm fires once at its time, raising the line only while the
 * guest enables it, until cleared; a disarmed one never fires. */
static void test_alarm(void **state)
{
	struct fake_chip chip = {.chip.set_level = fake_set_level};
	struct rtc r;

	(void)state;
	assert_int_equal(rtc_init(&r, &chip.chip, 12), 0);
	arm(&r, guest_time(&r) + 50000000ull); /* 50 ms */
	assert_int_equal(rd(&r, 0x18), 1);
	for (unsigned i = 0; i < 300 && rd(&r, 0x18); i++)
		sleep_ms(10);
	assert_int_equal(rd(&r, 0x18), 0);
	assert_false(atomic_load(&chip.level)); /* not enabled yet */
	wr(&r, 0x10, 1);
	assert_true(atomic_load(&chip.level));
	wr(&r, 0x1c, 1);
	assert_false(atomic_load(&chip.level));
	assert_int_equal(atomic_load(&chip.raises), 1);

	arm(&r, guest_time(&r) + 50000000ull);
	wr(&r, 0x14, 1);
	assert_int_equal(rd(&r, 0x18), 0);
	sleep_ms(100);
	assert_false(atomic_load(&chip.level));
	assert_int_equal(atomic_load(&chip.raises), 1);

	/* One in the past fires at once. */
	arm(&r, guest_time(&r) - SEC);
	for (unsigned i = 0; i < 300 && !atomic_load(&chip.level); i++)
		sleep_ms(10);
	assert_true(atomic_load(&chip.level));
	rtc_destroy(&r);
}

/* A clone keeps its parent's clock and alarm; each fires on its own. */
static void test_copy_state(void **state)
{
	struct fake_chip pc = {.chip.set_level = fake_set_level};
	struct fake_chip cc = {.chip.set_level = fake_set_level};
	struct rtc p, c;
	uint64_t want = 2000000000ull * SEC, t;

	(void)state;
	assert_int_equal(rtc_init(&p, &pc.chip, 12), 0);
	assert_int_equal(rtc_init(&c, &cc.chip, 12), 0);
	wr(&p, 0x04, (uint32_t)(want >> 32));
	wr(&p, 0x00, (uint32_t)want);
	wr(&p, 0x10, 1);
	arm(&p, want + 200000000ull); /* 200 ms on */
	assert_int_equal(rtc_copy_state(&c, &p), 0);
	t = guest_time(&c);
	assert_true(t >= want && t < want + SEC);
	assert_int_equal(rd(&c, 0x18), 1);
	for (unsigned i = 0; i < 300 && !atomic_load(&cc.level); i++)
		sleep_ms(10);
	assert_true(atomic_load(&cc.level));
	for (unsigned i = 0; i < 300 && !atomic_load(&pc.level); i++)
		sleep_ms(10);
	assert_true(atomic_load(&pc.level));
	rtc_destroy(&c);
	rtc_destroy(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_bad_access),
	    cmocka_unit_test(test_alarm),
	    cmocka_unit_test(test_copy_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
