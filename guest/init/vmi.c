/*
 * vmi.c — /init of the introspection test guest: the kernel's own account
 * of every page frame, to hold memvisor's outside view against.
 *
 *  0. Quiets the kernel's per-CPU statistics worker (vm.stat_interval, an
 *     hour instead of a second, where the kernel has sysctls): every
 *     interval it hands pages of the per-CPU free lists back to the buddy
 *     lists, and the two views must be of one moment.
 *  1. Makes some pages of each kind: anonymous memory (vmi_anon_mib=, 8 by
 *     default) and a file in the initramfs (page cache, 2 MiB), prints
 *     "VMI-PAGES" and waits for a line "snap" (the host builds its
 *     introspection profile meanwhile: a cold build takes a minute, in
 *     which an idle kernel frees pages it held, and the two views must
 *     be of one moment).
 *  2. Drains every CPU's batch of pages on their way to an LRU list (where
 *     the kernel has sysctls: writing 1 to vm.drop_caches drains them
 *     first, and drops no page of a RAM file system): a page cache page
 *     still in another CPU's batch, /init's own text say, is page cache to
 *     memvisor (it has a mapping) but shows no LRU bit in kpageflags, the
 *     only mark of page cache there.
 *     Then reads /proc/buddyinfo, then /proc/kpageflags (every frame's flags)
 *     into memory allocated and touched beforehand, so the reading itself
 *     changes as little as possible; then prints
 *       "VMI-BUDDYINFO free=N"  (pages on the buddy lists: sum count<<order)
 *       "VMI-COUNTS F=.. S=.. T=.. A=.. L=.. K=.. O=.."
 *       "VMI-READY"
 *     and waits, idle, for a line "go" on the console (the host inspects
 *     it meanwhile, from outside).
 *  3. Prints the class of every frame as runs, "VMI-RUN pfn count class",
 *     then "VMI-DONE", and powers off.
 *
 * Classes from kpageflags (Documentation/admin-guide/mm/pagemap.rst), first
 * match wins: F buddy (free), S slab, T page table, A anonymous, L on an LRU
 * (page cache), K reserved, O anything else. Frames without a struct page
 * (KPF_NOPAGE) are not printed.
 */

#include "lib.h"

#define KPF_LRU	     5
#define KPF_SLAB     7
#define KPF_BUDDY    10
#define KPF_ANON     12
#define KPF_NOPAGE   20
#define KPF_PGTABLE  26
#define KPF_RESERVED 32

#define MAX_FRAMES (4ul << 20) /* 16 GiB of guest-physical space */

static void fail(const char *why)
{
	out("VMI-FAIL ");
	out(why);
	out("\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
}

/* Read all of path into buf[0..cap); returns the length. */
static size_t slurp(const char *path, void *buf, size_t cap)
{
	int fd = open(path, O_RDONLY, 0);
	size_t len = 0;

	if (fd < 0)
		fail(path);
	while (len < cap) {
		long n = read(fd, (char *)buf + len, cap - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return len;
}

/* Pages on the buddy lists: each line "Node 0, zone Normal c0 c1 ...". */
static unsigned long buddyinfo_free(const char *text)
{
	unsigned long total = 0;
	const char *p = text;

	for (; *p; p++) {
		if (strncmp(p, "zone", 4))
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++; /* the zone's name */
		for (unsigned order = 0; *p == ' '; order++)
			total += parse_num(&p) << order;
		if (!*p)
			break;
	}
	return total;
}

static char classify(unsigned long long f)
{
	if (f & (1ull << KPF_BUDDY))
		return 'F';
	if (f & (1ull << KPF_SLAB))
		return 'S';
	if (f & (1ull << KPF_PGTABLE))
		return 'T';
	if (f & (1ull << KPF_ANON))
		return 'A';
	if (f & (1ull << KPF_LRU))
		return 'L';
	if (f & (1ull << KPF_RESERVED))
		return 'K';
	return 'O';
}

/* Write text to the sysctl file path, when the kernel has it (tinyconfig's
 * has no sysctls). */
static void sysctl_set(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY, 0);

	if (fd < 0)
		return;
	if (write(fd, text, strlen(text)) != (long)strlen(text))
		fail(path);
	close(fd);
}

static void make_pages(unsigned long anon_mib)
{
	static char chunk[4096];
	char *anon = malloc(anon_mib << 20);
	int fd;

	if (!anon)
		fail("no memory for the anonymous pages");
	for (unsigned long i = 0; i < anon_mib << 20; i += 4096)
		anon[i] = (char)i;
	fd = open("/vmi-file", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fail("cannot create /vmi-file");
	memset(chunk, 'f', sizeof(chunk));
	for (unsigned i = 0; i < 512; i++)
		if (write(fd, chunk, sizeof(chunk)) != sizeof(chunk))
			fail("cannot write /vmi-file");
	close(fd);
}

/* Returns when a line @want arrives on the console. */
static void wait_for_line(const char *want)
{
	char cmd[16];
	size_t len = 0;

	for (;;) {
		char c;

		if (read(0, &c, 1) <= 0)
			continue;
		if (c != '\r' && c != '\n') {
			if (len < sizeof(cmd) - 1)
				cmd[len++] = c;
			continue;
		}
		cmd[len] = 0;
		if (!strcmp(cmd, want))
			return;
		len = 0;
	}
}

int main(int argc, char **argv, char **envp)
{
	const char *mib = env_get(envp, "vmi_anon_mib");
	static char buddyinfo[4096];
	unsigned long long *flags;
	unsigned long counts[128] = {0}, nframes, free_buddy;
	char *cls;

	(void)argc;
	(void)argv;
	mount("proc", "/proc", "proc", 0, 0);
	sysctl_set("/proc/sys/vm/stat_interval", "3600\n");
	make_pages(mib ? parse_num(&mib) : 8);

	/* Everything the reading needs, allocated and touched first. */
	flags = malloc(MAX_FRAMES * sizeof(*flags));
	cls = malloc(MAX_FRAMES);
	if (!flags || !cls)
		fail("no memory for the kpageflags buffer");
	memset(flags, 0, MAX_FRAMES * sizeof(*flags));
	memset(cls, 0, MAX_FRAMES);
	out("VMI-PAGES\n");
	wait_for_line("snap");
	sysctl_set("/proc/sys/vm/drop_caches", "1\n");

	slurp("/proc/buddyinfo", buddyinfo, sizeof(buddyinfo) - 1);
	nframes =
	    slurp("/proc/kpageflags", flags, MAX_FRAMES * sizeof(*flags)) /
	    sizeof(*flags);

	free_buddy = buddyinfo_free(buddyinfo);
	for (unsigned long pfn = 0; pfn < nframes; pfn++) {
		cls[pfn] = (flags[pfn] & (1ull << KPF_NOPAGE))
			       ? 0
			       : classify(flags[pfn]);
		counts[(unsigned char)cls[pfn]]++;
	}
	out("VMI-BUDDYINFO free=");
	out_num(free_buddy);
	out("\nVMI-COUNTS");
	for (const char *c = "FSTALKO"; *c; c++) {
		char kv[4] = {' ', *c, '=', 0};
		out(kv);
		out_num(counts[(unsigned char)*c]);
	}
	out("\nVMI-READY\n");

	wait_for_line("go");
	for (unsigned long pfn = 0, end; pfn < nframes; pfn = end) {
		for (end = pfn + 1; end < nframes && cls[end] == cls[pfn];
		     end++)
			;
		if (!cls[pfn])
			continue;
		char tail[4] = {' ', cls[pfn], '\n', 0};
		out("VMI-RUN ");
		out_num(pfn);
		out(" ");
		out_num(end - pfn);
		out(tail);
	}
	out("VMI-DONE\n");
	reboot(LINUX_REBOOT_CMD_POWER_OFF);
	return 0;
}
