/* SPDX-License-Identifier: MIT */
/* Unit tests for dev/console: input queue, output sinks, input pump. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/console.h"

/* A pump test that hangs is a failure: SIGALRM ends the process. */
#define TEST_ALARM_SECONDS 10

static struct console *make_console(size_t cap)
{
	struct console *con = NULL;

	assert_int_equal(console_create(cap, &con), 0);
	assert_non_null(con);
	return con;
}

/* Wait (up to 5 s) until at least n input bytes are queued. */
static void wait_pending(struct console *con, size_t n)
{
	struct timespec ms = {0, 1000000};

	for (int i = 0; i < 5000 && console_input_pending(con) < n; i++)
		nanosleep(&ms, NULL);
	assert_int_equal(console_input_pending(con), n);
}

static void test_push_getc_order(void **state)
{
	struct console *con = make_console(0);

	(void)state;
	assert_int_equal(console_getc(con), -1);
	assert_int_equal(console_push_input(con, "hel", 3), 3);
	assert_int_equal(console_push_input(con, "lo\xff", 3), 3);
	assert_int_equal(console_input_pending(con), 6);
	assert_int_equal(console_getc(con), 'h');
	assert_int_equal(console_getc(con), 'e');
	assert_int_equal(console_getc(con), 'l');
	assert_int_equal(console_getc(con), 'l');
	assert_int_equal(console_getc(con), 'o');
	assert_int_equal(console_getc(con), 0xff); /* a byte, not -1 */
	assert_int_equal(console_getc(con), -1);
	assert_int_equal(console_input_pending(con), 0);
	console_destroy(con);
}

static void test_queue_full(void **state)
{
	struct console *con = make_console(4);

	(void)state;
	assert_int_equal(console_push_input(con, "abcdef", 6), 4);
	assert_int_equal(console_push_input(con, "x", 1), 0);
	assert_int_equal(console_input_pending(con), 4);
	assert_int_equal(console_getc(con), 'a');
	/* One byte of room again: only the first byte of the push fits. */
	assert_int_equal(console_push_input(con, "yz", 2), 1);
	assert_int_equal(console_getc(con), 'b');
	assert_int_equal(console_getc(con), 'c');
	assert_int_equal(console_getc(con), 'd');
	assert_int_equal(console_getc(con), 'y');
	assert_int_equal(console_getc(con), -1);
	console_destroy(con);
}

static void test_queue_wraps(void **state)
{
	struct console *con = make_console(8);
	char want[] = "012345";

	(void)state;
	for (int round = 0; round < 5; round++) {
		/* 6 of 8 each round: the ring's head moves around it. */
		assert_int_equal(console_push_input(con, want, 6), 6);
		for (int i = 0; i < 6; i++)
			assert_int_equal(console_getc(con), want[i]);
		assert_int_equal(console_getc(con), -1);
		want[0]++;
	}
	console_destroy(con);
}

struct producer {
	struct console *con;
	uint8_t tag; /* bytes tag, tag + 1, ... tag + 99, repeated */
};

static void *produce(void *arg)
{
	struct producer *p = arg;

	for (int i = 0; i < 20000; i++) {
		uint8_t b = (uint8_t)(p->tag + i % 100);

		while (console_push_input(p->con, &b, 1) != 1)
			sched_yield();
	}
	return NULL;
}

/* Two producers, one consumer: each producer's bytes arrive in order. */
static void test_queue_threads(void **state)
{
	struct console *con = make_console(16);
	struct producer p[2] = {{con, 0}, {con, 128}};
	pthread_t t[2];
	int next[2] = {0, 0};

	(void)state;
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, produce, &p[i]),
				 0);
	while (next[0] < 20000 || next[1] < 20000) {
		int c = console_getc(con);
		int who;

		if (c < 0) {
			sched_yield();
			continue;
		}
		who = c >= 128;
		assert_true(next[who] < 20000);
		assert_int_equal(c, p[who].tag + next[who] % 100);
		next[who]++;
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(console_getc(con), -1);
	console_destroy(con);
}

static void test_capture(void **state)
{
	struct console *con = make_console(0);
	char out[32];
	uint64_t dropped = 99;

	(void)state;
	assert_int_equal(console_capture(con, 0), -EINVAL);
	assert_int_equal(console_capture(con, 64), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_int_equal(console_write(con, "abc", 3), 0);
	assert_int_equal(console_putc(con, 'd'), 0);
	assert_int_equal(console_write(con, "", 0), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), &dropped), 4);
	assert_memory_equal(out, "abcd", 4);
	assert_int_equal(dropped, 0);
	/* A short buffer gets the oldest bytes; the count is still all. */
	memset(out, 0, sizeof(out));
	assert_int_equal(console_captured(con, out, 2, NULL), 4);
	assert_memory_equal(out, "ab\0", 3);
	console_destroy(con);
}

/* A full capture keeps the newest bytes and counts the dropped ones. */
static void test_capture_bound(void **state)
{
	struct console *con = make_console(0);
	char out[16];
	uint64_t dropped;

	(void)state;
	assert_int_equal(console_capture(con, 8), 0);
	assert_int_equal(console_write(con, "012345", 6), 0);
	assert_int_equal(console_write(con, "6789", 4), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), &dropped), 8);
	assert_memory_equal(out, "23456789", 8);
	assert_int_equal(dropped, 2);
	assert_int_equal(console_write(con, "ab", 2), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), &dropped), 8);
	assert_memory_equal(out, "456789ab", 8);
	assert_int_equal(dropped, 4);
	/* One write longer than the bound. */
	assert_int_equal(console_write(con, "ABCDEFGHIJKL", 12), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), &dropped), 8);
	assert_memory_equal(out, "EFGHIJKL", 8);
	assert_int_equal(dropped, 16);
	console_destroy(con);
}

static void test_output_fd(void **state)
{
	struct console *con = make_console(0);
	int fds[2], ro;
	char out[8] = {0};

	(void)state;
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(console_set_output_fd(con, -1), -EBADF);
	assert_int_equal(console_set_output_fd(con, fds[1]), 0);
	assert_int_equal(console_captured(con, out, sizeof(out), NULL),
			 -ENODEV);
	assert_int_equal(console_write(con, "xyz", 3), 0);
	assert_int_equal(console_putc(con, '!'), 0);
	assert_int_equal(read(fds[0], out, sizeof(out)), 4);
	assert_memory_equal(out, "xyz!", 4);

	/* The capture replaces the fd: nothing more reaches the pipe. */
	assert_int_equal(console_capture(con, 16), 0);
	assert_int_equal(console_write(con, "q", 1), 0);
	assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	assert_int_equal(read(fds[0], out, sizeof(out)), -1);
	assert_int_equal(errno, EAGAIN);

	/* A write error comes back as a negative errno. */
	ro = open("/dev/null", O_RDONLY);
	assert_true(ro >= 0);
	assert_int_equal(console_set_output_fd(con, ro), 0);
	assert_int_equal(console_write(con, "x", 1), -EBADF);
	console_destroy(con);
	close(ro);
	close(fds[0]);
	close(fds[1]);
}

static void test_pump(void **state)
{
	struct console *con = make_console(0);
	int fds[2];

	(void)state;
	alarm(TEST_ALARM_SECONDS);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(console_attach_fd(con, -1), -EBADF);
	assert_int_equal(console_attach_fd(con, fds[0]), 0);
	assert_int_equal(console_attach_fd(con, fds[0]), -EBUSY);
	assert_int_equal(write(fds[1], "ping", 4), 4);
	wait_pending(con, 4);
	assert_int_equal(console_getc(con), 'p');
	assert_int_equal(console_getc(con), 'i');
	assert_int_equal(console_getc(con), 'n');
	assert_int_equal(console_getc(con), 'g');
	assert_int_equal(console_getc(con), -1);
	/* EOF ends the pump; destroy still joins it. */
	close(fds[1]);
	console_destroy(con);
	close(fds[0]);
	alarm(0);
}

/* A full queue makes the pump wait: no input is lost. */
static void test_pump_backpressure(void **state)
{
	struct console *con = make_console(4);
	const char msg[] = "0123456789abcdef";
	int fds[2];

	(void)state;
	alarm(TEST_ALARM_SECONDS);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(console_attach_fd(con, fds[0]), 0);
	assert_int_equal(write(fds[1], msg, 16), 16);
	close(fds[1]);
	wait_pending(con, 4);
	for (int i = 0; i < 16; i++) {
		int c;

		while ((c = console_getc(con)) < 0)
			sched_yield();
		assert_int_equal(c, msg[i]);
	}
	console_destroy(con);
	close(fds[0]);
	alarm(0);
}

/* destroy stops a pump blocked on input and one blocked on a full queue. */
static void test_pump_stop(void **state)
{
	struct console *con;
	int fds[2];

	(void)state;
	alarm(TEST_ALARM_SECONDS);
	assert_int_equal(pipe(fds), 0);
	con = make_console(0);
	assert_int_equal(console_attach_fd(con, fds[0]), 0);
	console_destroy(con);

	con = make_console(2);
	assert_int_equal(console_attach_fd(con, fds[0]), 0);
	assert_int_equal(write(fds[1], "abcdef", 6), 6);
	wait_pending(con, 2);
	console_destroy(con);

	close(fds[0]);
	close(fds[1]);
	alarm(0);
}

/* console_attach_stdin() reads file descriptor 0. */
static void test_attach_stdin(void **state)
{
	struct console *con = make_console(0);
	int fds[2], saved;

	(void)state;
	alarm(TEST_ALARM_SECONDS);
	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(dup2(fds[0], STDIN_FILENO), STDIN_FILENO);
	assert_int_equal(console_attach_stdin(con), 0);
	assert_int_equal(write(fds[1], "in", 2), 2);
	wait_pending(con, 2);
	assert_int_equal(console_getc(con), 'i');
	assert_int_equal(console_getc(con), 'n');
	console_destroy(con);
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	close(fds[0]);
	close(fds[1]);
	alarm(0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push_getc_order),
	    cmocka_unit_test(test_queue_full),
	    cmocka_unit_test(test_queue_wraps),
	    cmocka_unit_test(test_queue_threads),
	    cmocka_unit_test(test_capture),
	    cmocka_unit_test(test_capture_bound),
	    cmocka_unit_test(test_output_fd),
	    cmocka_unit_test(test_pump),
	    cmocka_unit_test(test_pump_backpressure),
	    cmocka_unit_test(test_pump_stop),
	    cmocka_unit_test(test_attach_stdin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
