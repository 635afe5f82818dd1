/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for vmi/ (kernel file, symbols, profile errors) and for the
 * read-only view its code runs under (struct hart_view). The Linux guests
 * themselves are tests/integration/vmi.sh.
 */
#define _GNU_SOURCE /* memmem() */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "cpu/hart.h"
#include "cpu/mmu.h"
#include "cpu/trap.h"
#include "mem/gmem.h"
#include "vmi/classify.h"
#include "vmi/kernel.h"
#include "vmi/profile.h"
#include "vmi/symbols.h"

#include "tiny_elf.h"

#define MIB	 (1024ull * 1024)
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1 * MIB)

#define BANNER                                                                 \
	"Linux version 7.3.21-test (someone@somewhere) (gcc 12) #1 SMP today"
#define CONFIG "CONFIG_64BIT=y\nCONFIG_MMU=y\n# CONFIG_EFI is not set\n"

static char tmpdir[] = "/tmp/memvisor-test-vmi-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static unsigned next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* text gzip-compressed, as the kernel's IKCONFIG holds it. */
static size_t gzip(const char *text, unsigned char *out, size_t cap)
{
	z_stream z = {0};

	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
				      Z_DEFAULT_STRATEGY),
			 Z_OK);
	z.next_in = (Bytef *)text;
	z.avail_in = (uInt)strlen(text);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	deflateEnd(&z);
	return cap - z.avail_out;
}

/* What a kernel's build may link first, before the real banner. */
#define PLACEHOLDER                                                            \
	"Linux version 7.3.21-test (someone@somewhere) (gcc 12) #1 SMP "

/* A fake kernel file: noise, a decoy format string, a placeholder banner,
 * the banner (at BANNER_OFFSET), and (with_config) an IKCONFIG block.
 * Returns its length. */
#define BANNER_OFFSET 8192u

static size_t fake_kernel(unsigned char *buf, size_t cap, bool with_config)
{
	size_t n = 0;

	memset(buf, 0xa5, BANNER_OFFSET);
	n += 4096;
	n += (size_t)sprintf((char *)buf + n, "%%s version %%s (%%s)%c", 0);
	n += (size_t)sprintf((char *)buf + n, "Linux version %%s%c", 0);
	n += (size_t)sprintf((char *)buf + n, "%s\n%c", PLACEHOLDER, 0);
	n = BANNER_OFFSET;
	n += (size_t)sprintf((char *)buf + n, "%s\n%c", BANNER, 0);
	if (with_config) {
		memcpy(buf + n, "IKCFG_ST", 8);
		n += 8;
		n += gzip(CONFIG, buf + n, cap - n - 16);
		memcpy(buf + n, "IKCFG_ED", 8);
		n += 8;
	}
	memset(buf + n, 0x5a, 512);
	return n + 512;
}

/* ---- kernel file ---- */

static void test_banner(void **state)
{
	unsigned char buf[16384];
	size_t len = fake_kernel(buf, sizeof(buf), false);
	char small[16];
	struct vmi_kernel k = {0};

	(void)state;
	/* The search finds the first banner: here the placeholder. */
	assert_int_equal(vmi_banner_find(buf, len, k.banner, sizeof(k.banner)),
			 0);
	assert_string_equal(k.banner, PLACEHOLDER);
	assert_int_equal(vmi_banner_find(buf + BANNER_OFFSET - 1,
					 len - BANNER_OFFSET + 1, k.banner,
					 sizeof(k.banner)),
			 0);
	assert_string_equal(k.banner, BANNER);
	assert_int_equal(vmi_banner_parse(&k), 0);
	assert_string_equal(k.release, "7.3.21-test");
	assert_int_equal(k.version, 7);
	assert_int_equal(k.patchlevel, 3);
	assert_int_equal(k.sublevel, 21);

	assert_int_equal(vmi_banner_find(buf, len, small, sizeof(small)),
			 -ENAMETOOLONG);
	assert_int_equal(
	    vmi_banner_find(buf, 4096 + 30, k.banner, sizeof(k.banner)),
	    -ENOENT); /* only the decoys */
	strcpy(k.banner, "Linux version x.y");
	assert_int_equal(vmi_banner_parse(&k), -EINVAL);
	strcpy(k.banner, "FreeBSD 14.0-RELEASE");
	assert_int_equal(vmi_banner_parse(&k), -EINVAL);
}

#define IMAGE_VA 0xffffffff80000000ull

/* The banner at the kernel's linux_banner, in a flat Image. */
static void test_banner_at_image(void **state)
{
	unsigned char buf[16384];
	size_t len = fake_kernel(buf, sizeof(buf), false);
	char banner[VMI_BANNER_MAX], small[16];

	(void)state;
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET, banner,
				       sizeof(banner)),
			 0);
	assert_string_equal(banner, BANNER);
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET, small,
				       sizeof(small)),
			 -ENAMETOOLONG);
	/* No banner starts there: noise, the middle of one, a decoy. */
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA, IMAGE_VA + 100,
				       banner, sizeof(banner)),
			 -ENOENT);
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET + 1, banner,
				       sizeof(banner)),
			 -ENOENT);
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA, IMAGE_VA + 4096 + 20,
				       banner, sizeof(banner)),
			 -ENOENT);
	/* Outside the file, either side; a banner cut short by its end. */
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA, IMAGE_VA - 1, banner,
				       sizeof(banner)),
			 -ENOENT);
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA, IMAGE_VA + len,
				       banner, sizeof(banner)),
			 -ENOENT);
	assert_int_equal(vmi_banner_at(buf, BANNER_OFFSET + 14, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET, banner,
				       sizeof(banner)),
			 -ENOENT);
	assert_int_equal(vmi_banner_at(buf, BANNER_OFFSET + 20, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET, banner,
				       sizeof(banner)),
			 0);
	assert_string_equal(banner, "Linux version 7.3.21");
}

/*
 * A vmlinux-like ELF file: two loadable segments, the second holding the
 * banner at file offset BANNER_OFFSET and guest-virtual address va.
 */
static size_t fake_vmlinux(unsigned char *buf, uint64_t va)
{
	Elf64_Ehdr eh = tiny_elf_header(IMAGE_VA, 2);
	Elf64_Phdr ph[2] = {
	    {.p_type = PT_LOAD,
	     .p_offset = 4096,
	     .p_vaddr = IMAGE_VA,
	     .p_filesz = 4096,
	     .p_memsz = 4096},
	    {.p_type = PT_LOAD,
	     .p_offset = BANNER_OFFSET - 256,
	     .p_vaddr = va - 256,
	     .p_filesz = 1024,
	     .p_memsz = 1024 << 10},
	};
	size_t len = fake_kernel(buf, 16384, false);

	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, sizeof(ph));
	return len;
}

static void test_banner_at_vmlinux(void **state)
{
	static const uint64_t va = 0xffffffff81660658ull;
	unsigned char buf[16384];
	size_t len = fake_vmlinux(buf, va);
	char banner[VMI_BANNER_MAX];

	(void)state;
	/* The segments place it; image_va plays no part. */
	assert_int_equal(vmi_banner_at(buf, len, 0, va, banner, sizeof(banner)),
			 0);
	assert_string_equal(banner, BANNER);
	assert_int_equal(vmi_banner_at(buf, len, IMAGE_VA,
				       IMAGE_VA + BANNER_OFFSET, banner,
				       sizeof(banner)),
			 -ENOENT);
	/* Past the second segment's file contents (in its zeroed memory),
	 * and nowhere at all. */
	assert_int_equal(
	    vmi_banner_at(buf, len, 0, va + 800, banner, sizeof(banner)),
	    -ENOENT);
	assert_int_equal(
	    vmi_banner_at(buf, len, 0, 0x1000, banner, sizeof(banner)),
	    -ENOENT);
	/* Program headers said to lie beyond the file: nothing is read. */
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof(eh));
	eh.e_phoff = len - sizeof(Elf64_Phdr);
	memcpy(buf, &eh, sizeof(eh));
	assert_int_equal(vmi_banner_at(buf, len, 0, va, banner, sizeof(banner)),
			 -ENOENT);
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_phnum = 0xffff;
	memcpy(buf, &eh, sizeof(eh));
	assert_int_equal(vmi_banner_at(buf, len, 0, va, banner, sizeof(banner)),
			 -ENOENT);
	/* A segment whose file offset lies beyond the file. */
	Elf64_Phdr ph = {.p_type = PT_LOAD,
			 .p_offset = len + 4096,
			 .p_vaddr = va,
			 .p_filesz = 4096};
	eh.e_phnum = 1;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	assert_int_equal(vmi_banner_at(buf, len, 0, va, banner, sizeof(banner)),
			 -ENOENT);
}

static void test_kernel_banner_at(void **state)
{
	unsigned char buf[16384];
	struct vmi_kernel k;

	(void)state;
	write_file(tmp_path("placeholder"), buf,
		   fake_kernel(buf, sizeof(buf), false));
	assert_int_equal(vmi_kernel_read(tmp_path("placeholder"), &k), 0);
	assert_string_equal(k.banner, PLACEHOLDER);
	assert_int_equal(vmi_kernel_banner_at(tmp_path("placeholder"), IMAGE_VA,
					      IMAGE_VA + BANNER_OFFSET, &k),
			 0);
	assert_string_equal(k.banner, BANNER);
	assert_string_equal(k.release, "7.3.21-test");
	/* Nothing there: k stays as it was. */
	assert_int_equal(vmi_kernel_banner_at(tmp_path("placeholder"), IMAGE_VA,
					      IMAGE_VA + 64, &k),
			 -ENOENT);
	assert_string_equal(k.banner, BANNER);
	assert_int_equal(
	    vmi_kernel_banner_at(tmp_path("absent"), IMAGE_VA, IMAGE_VA, &k),
	    -ENOENT);
	vmi_kernel_free(&k);
}

static void test_ikconfig(void **state)
{
	unsigned char buf[16384];
	size_t len = fake_kernel(buf, sizeof(buf), true);
	struct vmi_kernel k = {0};
	unsigned char *st;

	(void)state;
	assert_int_equal(vmi_ikconfig_extract(buf, len, &k), 0);
	assert_int_equal(k.config_len, strlen(CONFIG));
	assert_string_equal(k.config, CONFIG);
	vmi_kernel_free(&k);
	assert_null(k.config);

	/* No block; a block whose gzip stream is damaged. */
	assert_int_equal(vmi_ikconfig_extract(buf, 4096, &k), -ENOENT);
	st = memmem(buf, len, "IKCFG_ST", 8);
	assert_non_null(st);
	memset(st + 8 + 12, 0xff, 8);
	assert_int_equal(vmi_ikconfig_extract(buf, len, &k), -EBADMSG);
	assert_null(k.config);
}

static void test_kernel_read(void **state)
{
	unsigned char buf[16384];
	struct vmi_kernel k;

	(void)state;
	write_file(tmp_path("with"), buf, fake_kernel(buf, sizeof(buf), true));
	write_file(tmp_path("without"), buf,
		   fake_kernel(buf, sizeof(buf), false));
	write_file(tmp_path("notlinux"), "just some bytes\n", 16);

	assert_int_equal(vmi_kernel_read(tmp_path("with"), &k), 0);
	assert_string_equal(k.release, "7.3.21-test");
	assert_string_equal(k.config, CONFIG);
	vmi_kernel_free(&k);
	assert_int_equal(vmi_kernel_read(tmp_path("without"), &k), 0);
	assert_null(k.config);
	assert_int_equal(vmi_kernel_read(tmp_path("notlinux"), &k), -ENOMSG);
	assert_int_equal(vmi_kernel_read(tmp_path("absent"), &k), -ENOENT);
}

/* ---- symbols ---- */

static void test_symbols_map(void **state)
{
	static const char map[] = "ffffffff80000000 T _start\n"
				  "ffffffff80001234 t helper\n"
				  "ffffffff80005678 T helper\n"
				  "ffffffff8020d820 B mem_map\n"
				  "ffffffff80009999 t helper\n";
	struct vmi_symbols syms;
	uint64_t addr = 0;

	(void)state;
	write_file(tmp_path("System.map"), map, sizeof(map) - 1);
	assert_int_equal(vmi_symbols_load(tmp_path("System.map"), &syms), 0);
	assert_int_equal(syms.n, 5);
	assert_int_equal(vmi_symbols_find(&syms, "mem_map", &addr), 0);
	assert_int_equal(addr, 0xffffffff8020d820ull);
	/* Statics share the name: the global one wins. */
	assert_int_equal(vmi_symbols_find(&syms, "helper", &addr), 0);
	assert_int_equal(addr, 0xffffffff80005678ull);
	assert_int_equal(vmi_symbols_find(&syms, "nope", &addr), -ENOENT);
	vmi_symbols_free(&syms);

	write_file(tmp_path("garbage"), "no symbols here\n", 16);
	assert_int_equal(vmi_symbols_load(tmp_path("garbage"), &syms),
			 -EBADMSG);
	write_file(tmp_path("empty"), "", 0);
	assert_int_equal(vmi_symbols_load(tmp_path("empty"), &syms), -EBADMSG);
	assert_int_equal(vmi_symbols_load(tmp_path("absent"), &syms), -ENOENT);
}

static void test_symbols_elf(void **state)
{
	struct vmi_symbols syms;
	uint64_t addr = 0;

	(void)state;
	/* This test program: an ELF with a symbol table. */
	assert_int_equal(vmi_symbols_load("/proc/self/exe", &syms), 0);
	assert_int_equal(vmi_symbols_find(&syms, "test_symbols_elf", &addr), 0);
	assert_true(addr != 0);
	assert_int_equal(vmi_symbols_find(&syms, "no_such_symbol_here", &addr),
			 -ENOENT);
	vmi_symbols_free(&syms);
}

/* ---- profile: what is refused before anything is built ---- */

/* vmi_profile_get() fails with err and a reason that says says; tree is
 * the configured kernel tree to try (NULL: none). */
static void expect_profile_error_tree(const char *tree, const char *kernel,
				      const char *symbols, const char *config,
				      int err, const char *says)
{
	struct vmi_profile_config cfg = {.cache_dir = tmp_path("cache/new/vmi"),
					 .tree = tree,
					 .config = config,
					 .interface_dir = "guest/vmi",
					 .include_dir = "include",
					 .quiet = true};
	struct vmi_profile p;
	char why[512] = "";

	assert_int_equal(
	    vmi_profile_get(&cfg, kernel, symbols, &p, why, sizeof(why)), err);
	if (!strstr(why, says))
		fail_msg("\"%s\" does not say \"%s\"", why, says);
}

static void expect_profile_error(const char *kernel, const char *symbols,
				 const char *config, int err, const char *says)
{
	expect_profile_error_tree(NULL, kernel, symbols, config, err, says);
}

static void test_profile_errors(void **state)
{
	unsigned char buf[16384];
	static const char map[] = "ffffffff80000000 T _start\n";

	(void)state;
	write_file(tmp_path("with"), buf, fake_kernel(buf, sizeof(buf), true));
	write_file(tmp_path("without"), buf,
		   fake_kernel(buf, sizeof(buf), false));
	write_file(tmp_path("notlinux"), "just some bytes\n", 16);
	write_file(tmp_path("nobanner.map"), map, sizeof(map) - 1);

	write_file(tmp_path("config"), CONFIG, strlen(CONFIG));
	expect_profile_error(tmp_path("notlinux"), tmp_path("nobanner.map"),
			     NULL, -ENOENT, "not a Linux kernel");
	expect_profile_error(tmp_path("absent"), tmp_path("nobanner.map"), NULL,
			     -ENOENT, "cannot read");
	expect_profile_error(tmp_path("without"), tmp_path("nobanner.map"),
			     NULL, -ENOEXEC, "CONFIG_IKCONFIG");
	expect_profile_error(tmp_path("without"), tmp_path("nobanner.map"),
			     tmp_path("absent.config"), -ENOENT,
			     "cannot read the kernel config");
	expect_profile_error(tmp_path("with"), tmp_path("absent.map"), NULL,
			     -ENOENT, "System.map or vmlinux");
	expect_profile_error(tmp_path("with"), tmp_path("nobanner.map"), NULL,
			     -ESRCH, "linux_banner");
	/* Without IKCONFIG, a config file given takes its place. */
	expect_profile_error(tmp_path("without"), tmp_path("nobanner.map"),
			     tmp_path("config"), -ESRCH, "linux_banner");
	/* Nothing was built or cached for any of them. */
	assert_int_equal(access(tmp_path("cache"), F_OK), -1);
}

/* A configured "kernel tree" for the fake kernel: its release, a .config
 * (CONFIG when matching, another otherwise) and a Makefile whose
 * interface.o fails the way a compiler error does. */
static void fake_tree(const char *name, bool matching)
{
	static const char makefile[] =
	    "interface.o:\n"
	    "\t@echo '  CC      interface.o'\n"
	    "\t@echo 'interface.c:7:8: error: unknown type name boom_t' >&2\n"
	    "\t@echo '    7 | static boom_t x;' >&2\n"
	    "\t@exit 1\n";
	static const char other[] = "CONFIG_64BIT=y\n";
	char path[256];

	snprintf(path, sizeof(path), "%s", tmp_path(name));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/include", tmp_path(name));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/include/config", tmp_path(name));
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/include/config/kernel.release",
		 tmp_path(name));
	write_file(path, "7.3.21-test\n", 12);
	snprintf(path, sizeof(path), "%s/.config", tmp_path(name));
	if (matching)
		write_file(path, CONFIG, strlen(CONFIG));
	else
		write_file(path, other, strlen(other));
	snprintf(path, sizeof(path), "%s/Makefile", tmp_path(name));
	write_file(path, makefile, strlen(makefile));
}

/* Past the kernel file and its symbols: the source, the tree, the build. */
static void test_profile_build_errors(void **state)
{
	unsigned char buf[16384];
	/* linux_banner at the real banner (BANNER_OFFSET), not at the
	 * placeholder before it; other.map is another build's. */
	static const char map[] = "ffffffff80000000 T _start\n"
				  "ffffffff80002000 D linux_banner\n";
	static const char other[] = "ffffffff80000000 T _start\n"
				    "ffffffff80002010 D linux_banner\n";
	struct stat st;

	(void)state;
	write_file(tmp_path("kernel"), buf,
		   fake_kernel(buf, sizeof(buf), true));
	write_file(tmp_path("good.map"), map, sizeof(map) - 1);
	write_file(tmp_path("other.map"), other, sizeof(other) - 1);
	expect_profile_error(tmp_path("kernel"), tmp_path("other.map"), NULL,
			     -ESRCH,
			     "no \"Linux version\" banner at linux_banner "
			     "(0xffffffff80002010)");
	/* Linux 7.3's source is no Debian package here: the error names it. */
	expect_profile_error(tmp_path("kernel"), tmp_path("good.map"), NULL,
			     -ENOENT,
			     "/usr/src/linux-source-7.3.tar.xz is missing "
			     "(apt-get install linux-source-7.3)");
	/* By then the cache folder was made, with the folders above it. */
	assert_int_equal(stat(tmp_path("cache/new/vmi"), &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	/* A tree of that release but another config is not used. */
	fake_tree("other-tree", false);
	expect_profile_error_tree(tmp_path("other-tree"), tmp_path("kernel"),
				  tmp_path("good.map"), NULL, -ENOENT,
				  "linux-source-7.3");
	/* A matching tree is, and the compiler's own words come back. */
	fake_tree("tree", true);
	expect_profile_error_tree(
	    tmp_path("tree"), tmp_path("kernel"), tmp_path("good.map"), NULL,
	    -EIO,
	    "interface.c:7:8: error: unknown type name boom_t | "
	    "    7 | static boom_t x;");
	/* A failed build leaves no profile behind: the same error again. */
	expect_profile_error_tree(tmp_path("tree"), tmp_path("kernel"),
				  tmp_path("good.map"), NULL, -EIO,
				  "error: unknown type name boom_t");
}

/* ---- the page map's plausibility ---- */

static void test_map_check(void **state)
{
	struct vmi_map map = {.npages = 65536};
	uint64_t slack = VMI_FREE_SLACK(65536);
	char why[256] = "";

	(void)state;
	map.free_pages = map.info.free_pages = 50000;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), 0);
	map.free_pages = 50000 + slack;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), 0);
	map.free_pages = 50000 - slack;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), 0);
	map.free_pages = 50000 + slack + 1;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), -EPROTO);
	assert_non_null(strstr(why, "has 56145 free pages where the guest "
				    "kernel counts 50000"));
	/* A profile reading garbage: nothing looks free, or everything. */
	map.free_pages = 0;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), -EPROTO);
	map.free_pages = 65536;
	map.info.free_pages = 12;
	assert_int_equal(vmi_map_check(&map, why, sizeof(why)), -EPROTO);
}

/* ---- the read-only view ---- */

#define WINDOW	    0x10000000ull /* outside RAM */
#define GUEST_VALUE 0x1122334455667788ull

#define VIEW_COPIES 2

struct view_fixture {
	/* Whole pages, as struct hart_view wants them. */
	_Alignas(4096) uint8_t window[8192];
	struct frame_pool *pool;
	struct gstage gs;
	struct hart h;
	struct hart_view view;
	uint64_t copy_gpa[VIEW_COPIES];
	uint8_t *copy_mem;
};

static int view_setup(void **state)
{
	struct view_fixture *fx = aligned_alloc(4096, sizeof(*fx));
	uint64_t v = GUEST_VALUE;

	if (fx)
		memset(fx, 0, sizeof(*fx));
	if (!fx || frame_pool_create(8 * MIB, &fx->pool) ||
	    gstage_init(&fx->gs, fx->pool, GSTAGE_SV48X4) ||
	    gstage_set_ram(&fx->gs, RAM_BASE, RAM_SIZE) ||
	    gmem_write(&fx->gs, RAM_BASE + 0x100, &v, sizeof(v)))
		return -1;
	fx->view.base = WINDOW;
	fx->view.size = sizeof(fx->window);
	fx->view.mem = fx->window;
	hart_init(&fx->h, 0, &fx->gs, 0);
	fx->h.view = &fx->view;
	*state = fx;
	return 0;
}

static int view_teardown(void **state)
{
	struct view_fixture *fx = *state;
	struct gstage *const all[] = {&fx->gs};
	int r = gstage_check(fx->pool, all, 1, NULL, 0);

	free(fx->copy_mem);
	hart_destroy(&fx->h);
	gstage_destroy(&fx->gs);
	frame_pool_destroy(fx->pool);
	free(fx);
	return r;
}

/* Run code (words) placed at the window's start with a0..a2 set. */
static int view_run(struct view_fixture *fx, const uint32_t *code, size_t n,
		    uint64_t a0, uint64_t a2)
{
	memcpy(fx->window, code, n * sizeof(*code));
	hart_flush_icache(&fx->h); /* new code at the same place */
	fx->h.pc = WINDOW;
	fx->h.priv = PRIV_S;
	fx->h.x[10] = a0;
	fx->h.x[12] = a2;
	return hart_run(&fx->h, 10000);
}

#define LD_A1_A0   0x00053583u /* ld a1, 0(a0) */
#define LD_A3_A0   0x00053683u /* ld a3, 0(a0) */
#define SD_A1_A0   0x00b53023u /* sd a1, 0(a0) */
#define LD_A3_A1   0x0005b683u /* ld a3, 0(a1) */
#define ADDI_A1_1  0x00158593u /* addi a1, a1, 1 */
#define SD_A3_A2   0x00d63023u /* sd a3, 0(a2) */
#define SD_X0_A2   0x00063023u /* sd x0, 0(a2) */
#define AMOADD_A1  0x00b5302fu /* amoadd.d x0, a1, (a0) */
#define SD_A1_A2   0x00b63023u /* sd a1, 0(a2) */
#define SD_X0_A0   0x00053023u /* sd x0, 0(a0) */
#define AMOADD_A0  0x0005302fu /* amoadd.d x0, x0, (a0) */
#define ECALL_INSN 0x00000073u
#define JUMP_SELF  0x0000006fu /* j . */

static void test_view_reads_guest_writes_window(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t code[] = {LD_A1_A0, SD_A1_A2, ECALL_INSN};
	struct gstage_stats before, after;
	uint64_t got;

	gstage_get_stats(&fx->gs, &before);
	assert_int_equal(view_run(fx, code, 3, RAM_BASE + 0x100, WINDOW + 4096),
			 HART_EXIT_ECALL);
	memcpy(&got, fx->window + 4096, sizeof(got));
	assert_int_equal(got, GUEST_VALUE);

	/* A page the guest never touched reads as zeros and stays
	 * unpopulated. */
	memset(fx->window + 4096, 0xff, 8);
	assert_int_equal(
	    view_run(fx, code, 3, RAM_BASE + 0x80000, WINDOW + 4096),
	    HART_EXIT_ECALL);
	memcpy(&got, fx->window + 4096, sizeof(got));
	assert_int_equal(got, 0);
	gstage_get_stats(&fx->gs, &after);
	assert_int_equal(after.populated, before.populated);
	assert_int_equal(after.leaves, before.leaves);
}

/* A view with no room for copies (max_copies 0): stores to RAM fault. */
static void test_view_store_faults(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t store[] = {SD_X0_A0, ECALL_INSN};
	static const uint32_t amo[] = {AMOADD_A0, ECALL_INSN};
	uint64_t v = 0;

	assert_int_equal(view_run(fx, store, 2, RAM_BASE + 0x100, 0),
			 HART_EXIT_FAULT);
	assert_int_equal(fx->view.cause, CAUSE_STORE_ACCESS);
	assert_int_equal(fx->view.tval, RAM_BASE + 0x100);
	assert_int_equal(fx->view.epc, WINDOW);
	assert_int_equal(view_run(fx, amo, 2, RAM_BASE + 0x100, 0),
			 HART_EXIT_FAULT);
	assert_int_equal(fx->view.cause, CAUSE_STORE_ACCESS);
	/* The guest's memory is as it was; no trap reached its state. */
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x100, &v, sizeof(v)),
			 0);
	assert_int_equal(v, GUEST_VALUE);
	assert_int_equal(fx->h.sepc, 0);
	assert_int_equal(fx->h.scause, 0);
}

/* Give the view private copies of up to n guest pages. */
static void view_allow_copies(struct view_fixture *fx, unsigned n)
{
	fx->copy_mem = aligned_alloc(4096, VIEW_COPIES * 4096);
	assert_non_null(fx->copy_mem);
	fx->view.copy_mem = fx->copy_mem;
	fx->view.copy_gpa = fx->copy_gpa;
	fx->view.max_copies = n;
	fx->view.ncopies = 0;
}

static void test_view_store_goes_to_copy(void **state)
{
	struct view_fixture *fx = *state;
	/* Load (the TLB caches the guest's page), store the value plus one,
	 * load again, add once more atomically, load: the view reads its
	 * own stores. */
	static const uint32_t code[] = {LD_A1_A0,  ADDI_A1_1, SD_A1_A0,
					AMOADD_A1, LD_A3_A0,  SD_A3_A2,
					ECALL_INSN};
	struct gstage_stats before, after;
	uint64_t got, v = 0;

	view_allow_copies(fx, VIEW_COPIES);
	gstage_get_stats(&fx->gs, &before);
	assert_int_equal(view_run(fx, code, 7, RAM_BASE + 0x100, WINDOW + 4096),
			 HART_EXIT_ECALL);
	memcpy(&got, fx->window + 4096, sizeof(got));
	assert_int_equal(got, 2 * (GUEST_VALUE + 1));
	assert_int_equal(fx->view.ncopies, 1);
	assert_int_equal(fx->copy_gpa[0], RAM_BASE);
	/* The guest's page is as it was; the copy has the rest of it. */
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x100, &v, sizeof(v)),
			 0);
	assert_int_equal(v, GUEST_VALUE);
	memcpy(&got, fx->copy_mem + 0x100, sizeof(got));
	assert_int_equal(got, 2 * (GUEST_VALUE + 1));

	/* A page never touched: its copy starts as zeros, and the guest's
	 * stays unpopulated. */
	assert_int_equal(
	    view_run(fx, code, 7, RAM_BASE + 0x80000, WINDOW + 4096),
	    HART_EXIT_ECALL);
	memcpy(&got, fx->window + 4096, sizeof(got));
	assert_int_equal(got, 2);
	assert_int_equal(fx->view.ncopies, 2);
	gstage_get_stats(&fx->gs, &after);
	assert_int_equal(after.populated, before.populated);
	assert_int_equal(after.leaves, before.leaves);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x80000, &v, sizeof(v)),
			 0);
	assert_int_equal(v, 0);
}

/* Once a page is copied, every virtual address of it reaches the copy,
 * also one whose translation the TLB held before the store. */
static void test_view_copy_reached_through_alias(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t code[] = {LD_A3_A1, SD_X0_A0, LD_A3_A1, SD_A3_A2,
					ECALL_INSN};
	const uint64_t root = RAM_BASE + 0x10000, l1 = root + 0x1000;
	const uint64_t l0 = l1 + 0x1000, alias = 0xc0001000ull;
	/* Sv39: VA 2 GiB -> RAM (a gigapage), and VA 3 GiB + 4 KiB -> RAM's
	 * first page (a 4 KiB page: another TLB entry). RWX, A and D. */
	uint64_t leaf = ((RAM_BASE >> 12) << 10) | 0xcf, v = 0;
	uint64_t to_l1 = ((l1 >> 12) << 10) | 1, to_l0 = ((l0 >> 12) << 10) | 1;

	assert_int_equal(gmem_write(&fx->gs, root + 2 * 8, &leaf, 8), 0);
	assert_int_equal(gmem_write(&fx->gs, root + 3 * 8, &to_l1, 8), 0);
	assert_int_equal(gmem_write(&fx->gs, l1, &to_l0, 8), 0);
	assert_int_equal(gmem_write(&fx->gs, l0 + 8, &leaf, 8), 0);
	fx->h.satp = (8ull << 60) | (root >> 12);
	view_allow_copies(fx, VIEW_COPIES);
	memset(fx->window + 4096, 0xff, 8);
	fx->h.x[11] = alias + 0x100;
	mmu_select_tlb(&fx->h);
	assert_int_equal(view_run(fx, code, 5, RAM_BASE + 0x100, WINDOW + 4096),
			 HART_EXIT_ECALL);
	memcpy(&v, fx->window + 4096, sizeof(v));
	assert_int_equal(v, 0);
	assert_int_equal(fx->view.ncopies, 1);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x100, &v, sizeof(v)),
			 0);
	assert_int_equal(v, GUEST_VALUE);
}

static void test_view_copies_run_out(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t code[] = {SD_X0_A0, SD_X0_A2, ECALL_INSN};
	uint64_t v = 0;

	view_allow_copies(fx, 1);
	assert_int_equal(
	    view_run(fx, code, 3, RAM_BASE + 0x100, RAM_BASE + 0x2000),
	    HART_EXIT_FAULT);
	assert_int_equal(fx->view.cause, CAUSE_STORE_ACCESS);
	assert_int_equal(fx->view.tval, RAM_BASE + 0x2000);
	assert_int_equal(fx->view.epc, WINDOW + 4);
	assert_int_equal(fx->view.ncopies, 1);
	assert_int_equal(gmem_read(&fx->gs, RAM_BASE + 0x100, &v, sizeof(v)),
			 0);
	assert_int_equal(v, GUEST_VALUE);

	/* Copies dropped (and the TLB flushed): the view reads the guest's
	 * page again. */
	static const uint32_t load[] = {LD_A1_A0, SD_A1_A2, ECALL_INSN};
	fx->view.ncopies = 0;
	mmu_flush_all(&fx->h);
	memset(fx->window + 4096, 0xff, 8);
	assert_int_equal(view_run(fx, load, 3, RAM_BASE + 0x100, WINDOW + 4096),
			 HART_EXIT_ECALL);
	memcpy(&v, fx->window + 4096, sizeof(v));
	assert_int_equal(v, GUEST_VALUE);
}

static void test_view_load_outside_ram_faults(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t code[] = {LD_A1_A0, ECALL_INSN};

	assert_int_equal(view_run(fx, code, 2, 0x1000, 0), HART_EXIT_FAULT);
	assert_int_equal(fx->view.cause, CAUSE_LOAD_ACCESS);
	assert_int_equal(fx->view.tval, 0x1000);
}

static void test_view_budget(void **state)
{
	struct view_fixture *fx = *state;
	static const uint32_t code[] = {JUMP_SELF};

	assert_int_equal(view_run(fx, code, 1, 0, 0), HART_EXIT_BUDGET);
	assert_int_equal(fx->h.pc, WINDOW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_banner),
	    cmocka_unit_test(test_banner_at_image),
	    cmocka_unit_test(test_banner_at_vmlinux),
	    cmocka_unit_test(test_kernel_banner_at),
	    cmocka_unit_test(test_ikconfig),
	    cmocka_unit_test(test_kernel_read),
	    cmocka_unit_test(test_symbols_map),
	    cmocka_unit_test(test_symbols_elf),
	    cmocka_unit_test(test_profile_errors),
	    cmocka_unit_test(test_profile_build_errors),
	    cmocka_unit_test(test_map_check),
	    cmocka_unit_test_setup_teardown(test_view_reads_guest_writes_window,
					    view_setup, view_teardown),
	    cmocka_unit_test_setup_teardown(test_view_store_faults, view_setup,
					    view_teardown),
	    cmocka_unit_test_setup_teardown(test_view_store_goes_to_copy,
					    view_setup, view_teardown),
	    cmocka_unit_test_setup_teardown(
		test_view_copy_reached_through_alias, view_setup,
		view_teardown),
	    cmocka_unit_test_setup_teardown(test_view_copies_run_out,
					    view_setup, view_teardown),
	    cmocka_unit_test_setup_teardown(test_view_load_outside_ram_faults,
					    view_setup, view_teardown),
	    cmocka_unit_test_setup_teardown(test_view_budget, view_setup,
					    view_teardown),
	};
	int r;

	if (!mkdtemp(tmpdir))
		return 1;
	char rm[sizeof(tmpdir) + 16];
	snprintf(rm, sizeof(rm), "rm -rf %s", tmpdir);
	r = cmocka_run_group_tests(tests, NULL, NULL);
	if (system(rm))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return r;
}
