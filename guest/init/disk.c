/*
 * disk.c — /init of the disk test guest: mounts /dev/vda (ext4) on /mnt
 * and, by the command line's disk_mode=, either writes files or checks
 * them, then powers the machine off.
 *
 *   disk_mode=write  writes /mnt/data/f00 .. f15, 4 MiB each (64 MiB), of
 *                    a pattern derived from each file's number and
 *                    disk_seed=, fsyncs each, syncs, unmounts
 *   disk_mode=read   reads them back and compares every byte; also reads
 *                    /mnt/hello.txt, which mke2fs -d put there
 *   disk_mode=serve  says MEMVISOR-DISK-READY and serves console lines:
 *                    "w NAME" writes 1 MiB to /mnt/NAME and fsyncs it
 *                    (MEMVISOR-DISK-WROTE NAME), "r NAME" checks it
 *                    (MEMVISOR-DISK-HAS NAME or MEMVISOR-DISK-NONE NAME),
 *                    "off" unmounts and powers off: for clones
 *   disk_mode=bench  no file system: writes 64 MiB to /dev/vdb in 1 MiB
 *                    O_DIRECT writes, fdatasyncs, reads them back the
 *                    same way; MEMVISOR-DISK-BENCH write_ms=W read_ms=R
 *
 * One result line:
 *   MEMVISOR-DISK-OK mode=M files=16 bytes=67108864
 *   MEMVISOR-DISK-FAIL <what> errno=E
 */

#include "lib.h"

/* nolibc's headers do not name it; the value of Linux's generic
 * fcntl.h, which riscv uses. */
#ifndef O_DIRECT
#define O_DIRECT 040000
#endif

#define NFILES	 16
#define FILE_MIB 4
#define CHUNK	 (64u * 1024)

static unsigned long seed;
static unsigned char buf[CHUNK], want[CHUNK];

/* nolibc has no sync(): the system call itself. */
static void sync_all(void)
{
	my_syscall0(__NR_sync);
}

static void __attribute__((noreturn)) finish(void)
{
	sync_all();
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	for (;;)
		;
}

static void __attribute__((noreturn)) fail(const char *what, int err)
{
	out("MEMVISOR-DISK-FAIL ");
	out(what);
	out(" errno=");
	out_num((unsigned long)err);
	out("\n");
	finish();
}

/* The bytes of file f at offset off (a multiple of 8), into p. */
static void pattern(unsigned f, unsigned long off, unsigned char *p,
		    unsigned long len)
{
	for (unsigned long i = 0; i < len; i += 8) {
		unsigned long x = (off + i) * 0x9e3779b97f4a7c15ul + f + seed;

		x ^= x >> 29;
		x *= 0xbf58476d1ce4e5b9ul;
		x ^= x >> 32;
		for (int b = 0; b < 8; b++)
			p[i + b] = (unsigned char)(x >> (8 * b));
	}
}

static void file_name(char *name, unsigned f)
{
	strcpy(name, "/mnt/data/f00");
	name[11] = (char)('0' + f / 10);
	name[12] = (char)('0' + f % 10);
}

static void write_files(void)
{
	char name[16];

	if (mkdir("/mnt/data", 0755) < 0 && errno != EEXIST)
		fail("mkdir /mnt/data", errno);
	for (unsigned f = 0; f < NFILES; f++) {
		int fd;

		file_name(name, f);
		fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			fail("open for writing", errno);
		for (unsigned long off = 0; off < FILE_MIB << 20; off += CHUNK) {
			pattern(f, off, buf, CHUNK);
			if (write(fd, buf, CHUNK) != CHUNK)
				fail("write", errno);
		}
		if (fsync(fd) < 0)
			fail("fsync", errno);
		close(fd);
	}
}

static void read_files(void)
{
	static const char hello[] = "hello from mke2fs\n";
	char name[16];
	int fd;

	fd = open("/mnt/hello.txt", O_RDONLY);
	if (fd < 0)
		fail("open /mnt/hello.txt", errno);
	if (read(fd, buf, sizeof(hello)) != sizeof(hello) - 1 ||
	    memcmp(buf, hello, sizeof(hello) - 1))
		fail("hello.txt differs", 0);
	close(fd);
	for (unsigned f = 0; f < NFILES; f++) {
		file_name(name, f);
		fd = open(name, O_RDONLY);
		if (fd < 0)
			fail("open for reading", errno);
		for (unsigned long off = 0; off < FILE_MIB << 20; off += CHUNK) {
			long n = 0, r;

			while (n < (long)CHUNK) {
				r = read(fd, buf + n, CHUNK - n);
				if (r <= 0)
					fail("read (short file)", r < 0 ? errno : 0);
				n += r;
			}
			pattern(f, off, want, CHUNK);
			if (memcmp(buf, want, CHUNK))
				fail("file contents differ", 0);
		}
		if (read(fd, buf, 1) != 0)
			fail("file longer than written", 0);
		close(fd);
	}
}

/* The byte at i of the file called name. */
static unsigned char name_byte(const char *name, unsigned long i)
{
	return (unsigned char)(name[i % strlen(name)] + i / 4096);
}

static void serve(const char *line)
{
	char path[80] = "/mnt/";
	const char *name = line + 2;
	int fd, ok = 1;

	if (!strcmp(line, "off")) {
		if (umount2("/mnt", 0) < 0)
			fail("umount /mnt", errno);
		finish();
	}
	if (strlen(line) < 3 || line[1] != ' ' || strlen(name) > 64 ||
	    strchr(name, '/'))
		return;
	strcpy(path + 5, name);
	if (line[0] == 'w') {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			fail("open for writing", errno);
		for (unsigned long off = 0; off < (1ul << 20); off += CHUNK) {
			for (unsigned long i = 0; i < CHUNK; i++)
				buf[i] = name_byte(name, off + i);
			if (write(fd, buf, CHUNK) != CHUNK)
				fail("write", errno);
		}
		if (fsync(fd) < 0)
			fail("fsync", errno);
		close(fd);
		out("MEMVISOR-DISK-WROTE ");
	} else if (line[0] == 'r') {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			ok = 0;
		for (unsigned long off = 0; ok && off < (1ul << 20);
		     off += CHUNK) {
			if (read(fd, buf, CHUNK) != CHUNK)
				ok = 0;
			for (unsigned long i = 0; ok && i < CHUNK; i++)
				ok = buf[i] == name_byte(name, off + i);
		}
		if (fd >= 0)
			close(fd);
		out(ok ? "MEMVISOR-DISK-HAS " : "MEMVISOR-DISK-NONE ");
	} else {
		return;
	}
	out(name);
	out("\n");
}

static unsigned long now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (unsigned long)tv.tv_sec * 1000 + (unsigned long)tv.tv_usec / 1000;
}

/* Sequential 1 MiB O_DIRECT transfers over 64 MiB of /dev/vdb. */
static void __attribute__((noreturn)) bench(void)
{
	static unsigned char big[1 << 20] __attribute__((aligned(4096)));
	unsigned long t0, tw, tr;
	int fd = open("/dev/vdb", O_RDWR | O_DIRECT);

	if (fd < 0)
		fail("open /dev/vdb", errno);
	memset(big, 0x5a, sizeof(big));
	t0 = now_ms();
	for (int i = 0; i < 64; i++)
		if (write(fd, big, sizeof(big)) != (long)sizeof(big))
			fail("write /dev/vdb", errno);
	if (fsync(fd) < 0)
		fail("fsync /dev/vdb", errno);
	tw = now_ms() - t0;
	lseek(fd, 0, SEEK_SET);
	t0 = now_ms();
	for (int i = 0; i < 64; i++)
		if (read(fd, big, sizeof(big)) != (long)sizeof(big))
			fail("read /dev/vdb", errno);
	tr = now_ms() - t0;
	out("MEMVISOR-DISK-BENCH write_ms=");
	out_num(tw);
	out(" read_ms=");
	out_num(tr);
	out("\n");
	finish();
}

int main(int argc, char **argv, char **envp)
{
	const char *mode = env_get(envp, "disk_mode");
	const char *s = env_get(envp, "disk_seed");

	(void)argc;
	(void)argv;
	if (s)
		seed = parse_num(&s);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, 0);
	if (mode && !strcmp(mode, "bench"))
		bench();
	mkdir("/mnt", 0755);
	if (mount("/dev/vda", "/mnt", "ext4", 0, 0) < 0)
		fail("mount /dev/vda", errno);
	if (mode && !strcmp(mode, "write"))
		write_files();
	else if (mode && !strcmp(mode, "read"))
		read_files();
	else if (mode && !strcmp(mode, "serve")) {
		out("MEMVISOR-DISK-READY\n");
		serve_console(serve);
	} else
		fail("expected disk_mode=write or disk_mode=read", 0);
	if (umount2("/mnt", 0) < 0)
		fail("umount /mnt", errno);
	out("MEMVISOR-DISK-OK mode=");
	out(mode);
	out(" files=16 bytes=");
	out_num((unsigned long)NFILES * (FILE_MIB << 20));
	out("\n");
	finish();
}
