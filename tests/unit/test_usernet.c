/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for dev/virtio/usernet: forwards parsed and formatted in
 * QEMU's syntax, instances listening on the host ports they report (free
 * ones found without a probe, made ahead by the hub for the next clone,
 * or the one named), a port already taken refused, and a destroyed
 * instance's port closed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "dev/virtio/usernet.h"

static void rx(void *opaque, const void *frame, size_t len)
{
	(void)opaque, (void)frame, (void)len;
}

/* Whether something listens on 127.0.0.1:port. */
static bool listening(uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	assert_true(fd >= 0);
	ok = !connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return ok;
}

static void test_parse_format(void **state)
{
	struct usernet_fwd f;
	char why[128], buf[64];

	(void)state;
	assert_int_equal(
	    usernet_parse_fwd("tcp:127.0.0.1:8080-:80", &f, why, sizeof(why)),
	    0);
	assert_false(f.udp);
	assert_int_equal(f.host_addr, 0x7f000001);
	assert_int_equal(f.host_port, 8080);
	assert_int_equal(f.guest_port, 80);
	usernet_format_fwd(&f, buf, sizeof(buf));
	assert_string_equal(buf, "tcp:127.0.0.1:8080-:80");
	assert_int_equal(
	    usernet_parse_fwd("udp::0-10.0.2.15:53", &f, why, sizeof(why)), 0);
	assert_true(f.udp);
	assert_int_equal(f.host_addr, 0x7f000001);
	assert_int_equal(f.host_port, 0);
	assert_int_equal(f.guest_port, 53);
	static const char *const bad[] = {
	    "tcp:127.0.0.1:8080",
	    "sctp::1-:2",
	    "tcp::70000-:80",
	    "tcp:1.2.3:80-:80",
	    "tcp::80-10.0.2.16:80",
	    "tcp::80-:0",
	    "",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(
		    usernet_parse_fwd(bad[i], &f, why, sizeof(why)), -EINVAL);
}

static void test_ports(void **state)
{
	struct usernet_fwd fwd = {.host_addr = 0x7f000001, .guest_port = 80};
	struct usernet_fwd got[USERNET_MAX_FWDS];
	struct usernet *a, *b, *c;
	char why[256];
	uint16_t pa, pb, taken;
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd;

	(void)state;
	/* A free port, found by listening on it. */
	assert_int_equal(
	    usernet_create(&fwd, 1, rx, NULL, &a, why, sizeof(why)), 0);
	assert_int_equal(usernet_fwds(a, got), 1);
	pa = got[0].host_port;
	assert_true(pa != 0);
	assert_true(listening(pa));
	/* The next one, made ahead by the hub (or not yet): another port. */
	usleep(50000);
	assert_int_equal(
	    usernet_create(&fwd, 1, rx, NULL, &b, why, sizeof(why)), 0);
	assert_int_equal(usernet_fwds(b, got), 1);
	pb = got[0].host_port;
	assert_true(pb != 0 && pb != pa);
	assert_int_equal(got[0].guest_port, 80);
	assert_true(listening(pb));

	/* A port another program holds: refused, saying so. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	taken = ntohs(sa.sin_port);
	fwd.host_port = taken;
	assert_int_equal(
	    usernet_create(&fwd, 1, rx, NULL, &c, why, sizeof(why)),
	    -EADDRINUSE);
	assert_non_null(strstr(why, "cannot listen on the host port"));
	/* Once free, that very port. */
	close(fd);
	assert_int_equal(
	    usernet_create(&fwd, 1, rx, NULL, &c, why, sizeof(why)), 0);
	assert_int_equal(usernet_fwds(c, got), 1);
	assert_int_equal(got[0].host_port, taken);
	assert_true(listening(taken));

	usernet_destroy(a);
	usernet_destroy(c);
	assert_false(listening(pa));
	assert_false(listening(taken));
	assert_true(listening(pb));
	usernet_destroy(b);
	assert_false(listening(pb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_format),
	    cmocka_unit_test(test_ports),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
