/*
 * boot.c — /init of the boot test guest: proves that a Linux guest reached
 * user space with the CPUs it was given, then powers the machine off.
 *
 * It prints one result line on the console:
 *
 *   MEMVISOR-BOOT-OK cpus=N                  N CPUs online, as expected
 *   MEMVISOR-BOOT-FAIL expected=X got=N      the kernel command line said
 *                                            expect_cpus=X, N are online
 *   MEMVISOR-BOOT-FAIL <reason>              a check could not run
 *
 * and then "MEMVISOR-ISA <isa>", the first hart's ISA as the kernel shows
 * it in /proc/cpuinfo (the extensions it found in the device tree and
 * knows). Without expect_cpus= on the command line any count is OK. Linux hands
 * unknown key=value boot parameters to init as environment variables; that is
 * how expect_cpus arrives.
 *
 * Built against Linux's header-only nolibc (see guest/guest.mk): no libc, no
 * floating point, a few KB. Lines are assembled in a buffer and written with
 * one write(), so kernel messages on the same console cannot split them.
 */

#include "lib.h"

#define CPU_ONLINE_PATH "/sys/devices/system/cpu/online"

struct line {
	char buf[160];
	size_t len;
};

static void line_puts(struct line *l, const char *s)
{
	while (*s && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = *s++;
}

static void line_putu(struct line *l, unsigned long v)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && l->len < sizeof(l->buf) - 1)
		l->buf[l->len++] = digits[--n];
}

/* Writes the line plus a newline to the console (fd 1). */
static void line_emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	write(1, l->buf, l->len);
}

static void fail(const char *reason, long err)
{
	struct line l = {.len = 0};

	line_puts(&l, "MEMVISOR-BOOT-FAIL ");
	line_puts(&l, reason);
	if (err) {
		line_puts(&l, " errno=");
		line_putu(&l, (unsigned long)err);
	}
	line_emit(&l);
}

/*
 * Makes fds 0-2 the console. The kernel opens /dev/console for init when the
 * initramfs has that node (guest/init/pack adds it); otherwise devtmpfs
 * provides one.
 */
static void console_open(void)
{
	int fd = open("/dev/console", O_RDWR, 0);

	if (fd < 0) {
		mkdir("/dev", 0755);
		mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
		fd = open("/dev/console", O_RDWR, 0);
		if (fd < 0)
			return; /* nowhere to print; the test sees no marker */
	}
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* Mounts a pseudo file system; 0, or errno. "Already mounted" is fine. */
static int mount_fs(const char *type, const char *dir)
{
	mkdir(dir, 0555);
	if (mount(type, dir, type, 0, 0) < 0 && errno != EBUSY)
		return errno;
	return 0;
}

/*
 * Parses an unsigned decimal at *s, advancing *s. Returns -1 when there is
 * no digit or the value exceeds 1,000,000 (no sane CPU number or count).
 */
static long parse_bounded(const char **s)
{
	long v = 0;

	if (**s < '0' || **s > '9')
		return -1;
	while (**s >= '0' && **s <= '9') {
		v = v * 10 + (**s - '0');
		if (v > 1000000)
			return -1;
		(*s)++;
	}
	return v;
}

/*
 * Counts the CPUs in a kernel cpu list such as "0-3", "0,2-3" or "0\n".
 * Returns -1 when the text is not such a list.
 */
static long cpulist_count(const char *s)
{
	long count = 0;

	for (;;) {
		long first = parse_bounded(&s), last = first;

		if (first < 0)
			return -1;
		if (*s == '-') {
			s++;
			last = parse_bounded(&s);
			if (last < first)
				return -1;
		}
		count += last - first + 1;
		if (*s != ',')
			break;
		s++;
	}
	return (*s == '\n' || *s == '\0') ? count : -1;
}

/* Mounts /proc and /sys and counts the online CPUs; -1 after printing why not.
 */
static long cpus_online(void)
{
	char text[256];
	long cpus;
	ssize_t n;
	int fd, err;

	err = mount_fs("proc", "/proc");
	if (err) {
		fail("mount /proc failed", err);
		return -1;
	}
	err = mount_fs("sysfs", "/sys");
	if (err) {
		fail("mount /sys failed", err);
		return -1;
	}
	fd = open(CPU_ONLINE_PATH, O_RDONLY, 0);
	if (fd < 0) {
		fail("cannot open " CPU_ONLINE_PATH, errno);
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	err = errno;
	close(fd);
	if (n <= 0) {
		fail("cannot read " CPU_ONLINE_PATH, n < 0 ? err : 0);
		return -1;
	}
	text[n] = '\0';
	cpus = cpulist_count(text);
	if (cpus < 1)
		fail("unparsable " CPU_ONLINE_PATH, 0);
	return cpus;
}

/* Prints the one result line. */
static void check(char **envp)
{
	const char *expect_text = env_get(envp, "expect_cpus");
	struct line l = {.len = 0};
	long expected = -1, cpus;

	if (expect_text) {
		const char *p = expect_text;

		expected = parse_bounded(&p);
		if (expected < 1 || *p) {
			fail("expect_cpus= is not a positive number", 0);
			return;
		}
	}
	cpus = cpus_online();
	if (cpus < 1)
		return;
	if (expected < 0 || expected == cpus) {
		line_puts(&l, "MEMVISOR-BOOT-OK cpus=");
		line_putu(&l, (unsigned long)cpus);
	} else {
		line_puts(&l, "MEMVISOR-BOOT-FAIL expected=");
		line_putu(&l, (unsigned long)expected);
		line_puts(&l, " got=");
		line_putu(&l, (unsigned long)cpus);
	}
	line_emit(&l);
}

/* Prints "MEMVISOR-ISA " and the value of /proc/cpuinfo's first isa line. */
static void print_isa(void)
{
	static char text[8192];
	struct line l = {.len = 0};
	ssize_t n, got = 0;
	const char *p, *end;
	int fd = open("/proc/cpuinfo", O_RDONLY, 0);

	if (fd < 0)
		return;
	while (got < (ssize_t)sizeof(text) - 1 &&
	       (n = read(fd, text + got, sizeof(text) - 1 - got)) > 0)
		got += n;
	close(fd);
	text[got] = '\0';
	for (p = text; *p; p = end + (*end == '\n')) {
		end = p;
		while (*end && *end != '\n')
			end++;
		if (!strncmp(p, "isa", 3) && (p[3] == '\t' || p[3] == ' ')) {
			p = strchr(p, ':');
			if (!p || p > end)
				return;
			for (p++; *p == ' '; p++)
				;
			line_puts(&l, "MEMVISOR-ISA ");
			while (p < end && l.len < sizeof(l.buf) - 2)
				l.buf[l.len++] = *p++;
			line_emit(&l);
			return;
		}
	}
}

int main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	console_open();
	check(envp);
	print_isa();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	/* Only reached when power-off failed; init exiting then panics the
	 * kernel, and panic=-1 turns that into a reset. */
	write(2, "boot: reboot(POWER_OFF) failed\n", 31);
	return 1;
}
