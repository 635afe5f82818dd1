/* SPDX-License-Identifier: MIT */
#include "vmi/profile.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmi/symbols.h"

#define CROSS_COMPILE "riscv64-linux-gnu-"
#define PATH_LEN      4096

/* The interface is linked this far below the kernel image, on a 1 MiB
 * boundary: inside the +-2 GiB the kernel's medany code can reach, in the
 * range Linux keeps for modules (unused by memvisor's guests). */
#define PROFILE_BELOW_KERNEL (16ull << 20)

extern char **environ;

/* The inputs a profile is built from: everything its bytes depend on. */
static const char *const profile_sources[] = {"interface.c", "Kbuild"};

struct profile_build {
	const struct vmi_profile_config *cfg;
	const struct vmi_kernel *k;
	const char *symbols_path;
	char *why;
	size_t whylen;
	char cache[PATH_MAX]; /* cfg->cache_dir, absolute */
	char dir[PATH_LEN];   /* the profile's cache folder */
	char tmp[PATH_LEN];   /* where it is built */
	char tree[PATH_LEN];  /* the configured kernel tree */
	char log[PATH_LEN];
};

static int profile_fail(struct profile_build *b, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int profile_fail(struct profile_build *b, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b->why, b->whylen, fmt, ap);
	va_end(ap);
	return err;
}

static void profile_say(const struct profile_build *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void profile_say(const struct profile_build *b, const char *fmt, ...)
{
	va_list ap;

	if (b->cfg->quiet)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "memvisor: vmi: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

/* A path into out (PATH_LEN bytes); an over-long one is cut short, and
 * then names nothing, which the next use of it reports. */
static void profile_path(char *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void profile_path(char *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, PATH_LEN, fmt, ap);
	va_end(ap);
}

/* Whole file into a malloc'd, NUL-terminated buffer. */
static int profile_slurp(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f)
		return -errno;
	buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		char *bigger = realloc(buf, cap * 2);
		if (!bigger) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = bigger;
		cap *= 2;
	}
	fclose(f);
	if (!buf)
		return -ENOMEM;
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

/* mkdir -p: path and every missing folder above it. 0 or -errno. */
static int profile_mkdirs(const char *path)
{
	char dir[PATH_LEN];
	size_t n = strlen(path);

	if (!n)
		return -ENOENT;
	if (n >= sizeof(dir))
		return -ENAMETOOLONG;
	memcpy(dir, path, n + 1);
	for (char *p = dir + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		if (!c)
			return 0;
		*p = c;
	}
}

static int profile_write(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	int r = 0;

	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

/*
 * The compiler's own words from the build log: its first "error:" line and
 * the two after it (what it quotes of the source), joined with " | " into
 * out. Empty when the log has none (a failure of make itself).
 */
static void profile_log_errors(const char *log, char *out, size_t outlen)
{
	char *text, *line, *end;
	size_t n = 0;

	out[0] = '\0';
	if (profile_slurp(log, &text, NULL))
		return;
	line = strstr(text, "error:");
	if (line) {
		while (line > text && line[-1] != '\n')
			line--;
		for (int i = 0; i < 3 && *line && n + 1 < outlen; i++) {
			end = line + strcspn(line, "\n");
			n += (size_t)snprintf(out + n, outlen - n, "%s%.*s",
					      i ? " | " : "", (int)(end - line),
					      line);
			line = *end ? end + 1 : end;
		}
	}
	free(text);
}

/* Hex SHA-256 prefix (16 digits) of the given buffers, each with its
 * length, so that ("ab", "c") and ("a", "bc") differ. */
static void profile_hash(char out[17], const void *const bufs[],
			 const size_t lens[], size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memset(md, 0, sizeof(md));
	if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < n; i++) {
			uint64_t l = lens[i];
			EVP_DigestUpdate(ctx, &l, sizeof(l));
			EVP_DigestUpdate(ctx, bufs[i], lens[i]);
		}
		EVP_DigestFinal_ex(ctx, md, &mdlen);
	}
	EVP_MD_CTX_free(ctx);
	for (unsigned i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/*
 * Run argv with stdout and stderr appended to the build log. The
 * environment loses an outer make's variables (MAKEFLAGS and friends would
 * leak into the kernel's make). Returns 0 when it exits 0.
 */
static int profile_exec(struct profile_build *b, char *const argv[])
{
	static const char *const drop[] = {
	    "MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "MAKEOVERRIDES=",
	    "GNUMAKEFLAGS="};
	posix_spawn_file_actions_t fa;
	size_t n = 0, k = 0;
	char **env;
	pid_t pid;
	int r, status;

	while (environ[n])
		n++;
	env = calloc(n + 1, sizeof(*env));
	if (!env)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		bool keep = true;
		for (size_t d = 0; d < sizeof(drop) / sizeof(drop[0]); d++)
			if (!strncmp(environ[i], drop[d], strlen(drop[d])))
				keep = false;
		if (keep)
			env[k++] = environ[i];
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, b->log,
					 O_WRONLY | O_CREAT | O_APPEND, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (r)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

/*
 * Flags for every compile in the kernel tree: the compiler collects its
 * garbage sooner, so that compiling against the kernel's headers peaks
 * lower (about 10% less host memory, a little more time; the code is the
 * same).
 */
#define PROFILE_KCFLAGS                                                        \
	"KCFLAGS=--param=ggc-min-expand=10 --param=ggc-min-heapsize=8192"

/* make in the kernel tree, for riscv, with more arguments. */
static int profile_make(struct profile_build *b, const char *a1, const char *a2,
			const char *a3)
{
	char *argv[] = {"make",
			"-C",
			b->tree,
			"ARCH=riscv",
			"CROSS_COMPILE=" CROSS_COMPILE,
			PROFILE_KCFLAGS,
			"-s",
			(char *)a1,
			(char *)a2,
			(char *)a3,
			NULL};

	return profile_exec(b, argv);
}

/*
 * A tree memvisor prepared keeps the config it was prepared from here:
 * `make olddefconfig` drops options the source does not know (a driver
 * built into the guest from outside the source, say), so its .config need
 * not be the guest's.
 */
#define PROFILE_TREE_CONFIG ".memvisor-config"

/* True when file in tree holds exactly len bytes of text. */
static bool profile_file_is(const char *tree, const char *file,
			    const char *text, size_t len)
{
	char path[PATH_LEN], *have;
	size_t have_len;
	bool ok;

	profile_path(path, "%s/%s", tree, file);
	if (profile_slurp(path, &have, &have_len))
		return false;
	ok = have_len == len && !memcmp(have, text, len);
	free(have);
	return ok;
}

/* True when tree holds release, configured with exactly the guest's
 * config (its .config, or the config memvisor prepared it from). */
static bool profile_tree_matches(const char *tree, const struct vmi_kernel *k)
{
	char path[PATH_LEN], *text;
	bool ok;

	profile_path(path, "%s/include/config/kernel.release", tree);
	if (profile_slurp(path, &text, NULL))
		return false;
	text[strcspn(text, "\n")] = '\0';
	ok = !strcmp(text, k->release);
	free(text);
	return ok &&
	       (profile_file_is(tree, ".config", k->config, k->config_len) ||
		profile_file_is(tree, PROFILE_TREE_CONFIG, k->config,
				k->config_len));
}

/* The value of "NAME = value" in the kernel's top Makefile. */
static int profile_makefile_number(const char *makefile, const char *name,
				   unsigned *value)
{
	const char *p = makefile;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == makefile || p[-1] == '\n') &&
		    sscanf(p + n, " = %u", value) == 1)
			return 0;
		p += n;
	}
	return -ENOENT;
}

/*
 * Extract Debian's linux-source-X.Y tarball, check it is the guest's exact
 * version, and configure and prepare it with the guest's config, into
 * b->tree (a cache folder of its own, shared by profiles of that kernel).
 */
static int profile_prepare_tree(struct profile_build *b)
{
	const struct vmi_kernel *k = b->k;
	char pkg[64], tarball[PATH_LEN], tmp[PATH_LEN + 16];
	char src[PATH_LEN], final[PATH_LEN];
	char *makefile;
	unsigned v = 0, pl = 0, sl = 0;
	int r;

	snprintf(pkg, sizeof(pkg), "linux-source-%u.%u", k->version,
		 k->patchlevel);
	profile_path(tarball, "/usr/src/%s.tar.xz", pkg);
	if (access(tarball, R_OK))
		return profile_fail(b, -ENOENT,
				    "the guest runs Linux %s, whose source is "
				    "Debian's %s: %s is missing (apt-get "
				    "install %s)",
				    k->release, pkg, tarball, pkg);
	profile_path(final, "%s", b->tree);
	profile_path(tmp, "%s.tmp.%d", final, (int)getpid());
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return profile_fail(b, -errno, "cannot create %s: %s", tmp,
				    strerror(errno));

	profile_say(b, "[1/4] extracting %s (about 30 s, once per kernel)",
		    tarball);
	char *tar[] = {"tar", "-C", tmp, "-xf", tarball, NULL};
	if (profile_exec(b, tar)) {
		r = profile_fail(b, -EIO, "extracting %s failed (log: %s)",
				 tarball, b->log);
		goto err;
	}
	profile_path(src, "%s/%s", tmp, pkg);
	profile_path(tarball, "%s/Makefile", src);
	if (profile_slurp(tarball, &makefile, NULL)) {
		r = profile_fail(b, -EIO, "%s has no %s/Makefile", pkg, pkg);
		goto err;
	}
	profile_makefile_number(makefile, "VERSION", &v);
	profile_makefile_number(makefile, "PATCHLEVEL", &pl);
	profile_makefile_number(makefile, "SUBLEVEL", &sl);
	free(makefile);
	if (v != k->version || pl != k->patchlevel || sl != k->sublevel) {
		r = profile_fail(b, -ENOENT,
				 "the guest runs Linux %s but %s holds "
				 "%u.%u.%u: install the %s package of the "
				 "guest's version",
				 k->release, pkg, v, pl, sl, pkg);
		goto err;
	}

	profile_say(b, "[2/4] configuring and preparing the tree (about "
		       "1 min)");
	profile_path(tarball, "%s/.config", src);
	r = profile_write(tarball, k->config, k->config_len);
	if (!r) {
		profile_path(tarball, "%s/%s", src, PROFILE_TREE_CONFIG);
		r = profile_write(tarball, k->config, k->config_len);
	}
	if (r) {
		profile_fail(b, r, "cannot write %s", tarball);
		goto err;
	}
	profile_path(b->tree, "%s", src);
	if (profile_make(b, "olddefconfig", NULL, NULL) ||
	    profile_make(b, "prepare", NULL, NULL)) {
		r = profile_fail(b, -EIO, "preparing %s failed (log: %s)", pkg,
				 b->log);
		goto err;
	}
	/* Ready: it appears in the cache only by this rename, over a stale
	 * tree of the same name (one that no longer matches) if need be. */
	profile_path(b->tree, "%s", final);
	char *rm_stale[] = {"rm", "-rf", final, NULL};
	profile_exec(b, rm_stale);
	if (rename(src, final)) {
		r = profile_fail(b, -errno, "cannot move %s to %s: %s", src,
				 final, strerror(errno));
		goto err;
	}
	rmdir(tmp);
	return 0;

err : {
	char *rm[] = {"rm", "-rf", tmp, NULL};
	profile_exec(b, rm);
	return r;
}
}

/* Pick (or prepare) the kernel tree the interface compiles in. */
static int profile_find_tree(struct profile_build *b)
{
	const struct vmi_kernel *k = b->k;
	const struct vmi_profile_config *cfg = b->cfg;
	char chash[17];
	const void *bufs[] = {k->config};
	size_t lens[] = {k->config_len};

	if (cfg->tree) {
		if (profile_tree_matches(cfg->tree, k)) {
			profile_path(b->tree, "%s", cfg->tree);
			return 0;
		}
		profile_say(b,
			    "the kernel tree %s is not Linux %s with the "
			    "guest's config; preparing one from the source "
			    "package",
			    cfg->tree, k->release);
	}
	profile_hash(chash, bufs, lens, 1);
	profile_path(b->tree, "%s/linux-%s-%s", b->cache, k->release, chash);
	if (profile_tree_matches(b->tree, k))
		return 0;
	return profile_prepare_tree(b);
}

struct profile_undefined {
	struct profile_build *b;
	const struct vmi_symbols *syms;
	FILE *out;
};

static int profile_resolve(const char *name, const GElf_Sym *sym, void *arg)
{
	struct profile_undefined *u = arg;
	uint64_t addr;

	if (sym->st_shndx != SHN_UNDEF)
		return 0;
	if (vmi_symbols_find(u->syms, name, &addr))
		return profile_fail(u->b, -ESRCH,
				    "the interface needs the kernel symbol "
				    "%s, which %s does not have",
				    name, u->b->symbols_path);
	fprintf(u->out, "%s = 0x%llx;\n", name, (unsigned long long)addr);
	return 0;
}

/* The linker script: the layout, and the object's undefined symbols
 * resolved from the kernel's. */
static int profile_link_script(struct profile_build *b, const char *obj,
			       const struct vmi_symbols *syms, uint64_t base,
			       FILE *out)
{
	struct profile_undefined u = {.b = b, .syms = syms, .out = out};
	Elf *elf;
	int fd, r;

	fprintf(out,
		"/* Generated by memvisor (src/vmi/profile.c). */\n"
		"SECTIONS {\n"
		"\t. = 0x%llx;\n"
		"\t.text : { *(.text .text.*) }\n"
		"\t.rodata : { *(.rodata .rodata.* .srodata .srodata.*) }\n"
		"\t.data : { *(.data .data.* .sdata .sdata.*) }\n"
		"\t.bss : { *(.bss .bss.* .sbss .sbss.* COMMON) }\n"
		"\t/DISCARD/ : { *(.comment .note.* .eh_frame) }\n"
		"}\n",
		(unsigned long long)base);
	fd = open(obj, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return profile_fail(b, -errno, "cannot open %s", obj);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	r = elf ? vmi_elf_symbols(elf, profile_resolve, &u) : -EBADMSG;
	if (r == -EBADMSG)
		r = profile_fail(b, -EIO, "%s is not an ELF object", obj);
	elf_end(elf);
	close(fd);
	return r;
}

/* Compile the interface in the tree and link it against the kernel. */
static int profile_compile(struct profile_build *b,
			   const struct vmi_symbols *syms, uint64_t base)
{
	char obj[PATH_LEN], path[PATH_LEN * 2], mflag[PATH_LEN + 8];
	char incflag[PATH_LEN], ld_script[PATH_LEN + 16];
	char elf[PATH_LEN];
	FILE *f;
	int r;

	profile_path(obj, "%s/obj", b->tmp);
	if (mkdir(obj, 0755) && errno != EEXIST)
		return profile_fail(b, -errno, "cannot create %s", obj);
	for (size_t i = 0; i < 2; i++) {
		char *text;
		size_t len;

		profile_path(path, "%s/%s", b->cfg->interface_dir,
			     profile_sources[i]);
		r = profile_slurp(path, &text, &len);
		if (r)
			return profile_fail(b, r, "cannot read %s", path);
		profile_path(path, "%s/%s", obj, profile_sources[i]);
		r = profile_write(path, text, len);
		free(text);
		if (r)
			return profile_fail(b, r, "cannot write %s", path);
	}

	profile_say(b, "[3/4] compiling the interface in %s", b->tree);
	profile_path(mflag, "M=%s", obj);
	profile_path(incflag, "MEMVISOR_INCLUDE=%s", b->cfg->include_dir);
	if (profile_make(b, mflag, incflag, "interface.o")) {
		char said[512];

		profile_log_errors(b->log, said, sizeof(said));
		return profile_fail(
		    b, -EIO,
		    "compiling %s/interface.c against Linux "
		    "%s failed: %s (log: %s)",
		    b->cfg->interface_dir, b->k->release,
		    said[0] ? said : "no compiler error in the log", b->log);
	}

	profile_say(b, "[4/4] linking it against %s", b->symbols_path);
	profile_path(path, "%s/interface.o", obj);
	profile_path(ld_script, "%s/link.ld", b->tmp);
	f = fopen(ld_script, "w");
	if (!f)
		return profile_fail(b, -errno, "cannot write %s", ld_script);
	r = profile_link_script(b, path, syms, base, f);
	if (fclose(f) && !r)
		r = profile_fail(b, -EIO, "cannot write %s", ld_script);
	if (r)
		return r;
	profile_path(elf, "%s/interface.elf", b->tmp);
	char *ld[] = {CROSS_COMPILE "ld",
		      "--no-relax",
		      "-T",
		      ld_script,
		      "-o",
		      elf,
		      path,
		      NULL};
	if (profile_exec(b, ld))
		return profile_fail(b, -EIO,
				    "linking the interface failed "
				    "(log: %s)",
				    b->log);
	return 0;
}

static int profile_entry(const char *name, const GElf_Sym *sym, void *arg)
{
	struct vmi_profile *p = arg;

	if (!strcmp(name, "memvisor_vmi_info"))
		p->info_entry = sym->st_value;
	else if (!strcmp(name, "memvisor_vmi_classify"))
		p->classify_entry = sym->st_value;
	else if (!strcmp(name, "memvisor_vmi_classify_free"))
		p->free_entry = sym->st_value;
	return 0;
}

/* Load the linked interface: its bytes from base, its entry points. */
static int profile_load(struct profile_build *b, struct vmi_profile *p)
{
	char path[PATH_LEN];
	uint64_t lo = UINT64_MAX, hi = 0;
	Elf *elf = NULL;
	size_t nph = 0;
	int fd, r = -EIO;

	profile_path(path, "%s/interface.elf", b->dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return profile_fail(b, -errno, "cannot open %s", path);
	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_getphdrnum(elf, &nph))
		goto bad;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		lo = ph.p_vaddr < lo ? ph.p_vaddr : lo;
		hi =
		    ph.p_vaddr + ph.p_memsz > hi ? ph.p_vaddr + ph.p_memsz : hi;
	}
	if (lo != p->base || hi <= lo || hi - lo > (64u << 20))
		goto bad;
	p->image_size = hi - lo;
	p->image = calloc(1, p->image_size);
	if (!p->image) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (ph.p_filesz > ph.p_memsz ||
		    pread(fd, p->image + (ph.p_vaddr - lo), ph.p_filesz,
			  (off_t)ph.p_offset) != (ssize_t)ph.p_filesz)
			goto bad;
	}
	vmi_elf_symbols(elf, profile_entry, p);
	if (!p->info_entry || !p->classify_entry || !p->free_entry)
		goto bad;
	r = 0;
	goto out;
bad:
	r = profile_fail(b, -EIO, "%s is not a linked interface; delete %s",
			 path, b->dir);
out:
	if (r) {
		free(p->image);
		p->image = NULL;
	}
	elf_end(elf);
	close(fd);
	return r;
}

/* Build the profile into b->tmp, then move it to b->dir. */
static int profile_build(struct profile_build *b,
			 const struct vmi_symbols *syms, uint64_t base)
{
	char path[PATH_LEN];
	int r;

	profile_path(b->tmp, "%s.tmp.%d", b->dir, (int)getpid());
	profile_path(b->log, "%s.log", b->dir);
	unlink(b->log);
	if (mkdir(b->tmp, 0755) && errno != EEXIST)
		return profile_fail(b, -errno, "cannot create %s: %s", b->tmp,
				    strerror(errno));
	profile_say(b,
		    "building the introspection profile of Linux %s "
		    "(once per kernel; cached in %s)",
		    b->k->release, b->dir);
	r = profile_find_tree(b);
	if (!r)
		r = profile_compile(b, syms, base);
	if (!r) {
		profile_path(path, "%s/banner", b->tmp);
		r = profile_write(path, b->k->banner, strlen(b->k->banner));
	}
	if (!r && rename(b->tmp, b->dir))
		r = profile_fail(b, -errno, "cannot move %s to %s: %s", b->tmp,
				 b->dir, strerror(errno));
	if (r) {
		/* The log stays where the reason points: beside the folder. */
		char *rm[] = {"rm", "-rf", b->tmp, NULL};
		profile_exec(b, rm);
		return r;
	}
	profile_path(path, "%s/build.log", b->dir);
	rename(b->log, path);
	return 0;
}

int vmi_profile_get(const struct vmi_profile_config *cfg,
		    const char *kernel_path, const char *symbols_path,
		    struct vmi_profile *p, char *why, size_t whylen)
{
	struct profile_build b = {.cfg = cfg,
				  .k = &p->kernel,
				  .symbols_path = symbols_path,
				  .why = why,
				  .whylen = whylen};
	struct vmi_symbols syms;
	char *inputs[4] = {NULL};
	size_t lens[6] = {0};
	const void *bufs[6];
	char path[PATH_LEN];
	uint64_t text;
	int r, lock;

	memset(p, 0, sizeof(*p));
	r = vmi_kernel_read(kernel_path, &p->kernel);
	if (r == -ENOMSG)
		return profile_fail(&b, -ENOENT,
				    "%s is not a Linux kernel (no "
				    "\"Linux version\" banner)",
				    kernel_path);
	if (r)
		return profile_fail(&b, r, "cannot read %s: %s", kernel_path,
				    strerror(-r));
	if (!p->kernel.config && cfg->config) {
		r = profile_slurp(cfg->config, &p->kernel.config,
				  &p->kernel.config_len);
		if (r) {
			profile_fail(&b, r,
				     "cannot read the kernel config %s: %s",
				     cfg->config, strerror(-r));
			goto err_kernel;
		}
	}
	if (!p->kernel.config) {
		r = profile_fail(&b, -ENOEXEC,
				 "Linux %s in %s has no embedded config: "
				 "build it with CONFIG_IKCONFIG=y, or name its "
				 ".config (--kernel-config)",
				 p->kernel.release, kernel_path);
		goto err_kernel;
	}
	r = vmi_symbols_load(symbols_path, &syms);
	if (r) {
		profile_fail(&b, r == -ENOENT ? r : -ENOENT,
			     "cannot read the kernel symbols %s: %s (give "
			     "System.map or vmlinux)",
			     symbols_path,
			     r == -EBADMSG ? "no symbols in it" : strerror(-r));
		r = -ENOENT;
		goto err_kernel;
	}
	if ((vmi_symbols_find(&syms, "_start", &text) &&
	     vmi_symbols_find(&syms, "_text", &text)) ||
	    vmi_symbols_find(&syms, "linux_banner", &p->banner_va)) {
		r = profile_fail(&b, -ESRCH,
				 "%s lacks _start/_text or linux_banner: not "
				 "the symbols of a Linux kernel",
				 symbols_path);
		goto err_syms;
	}
	/* The banner the guest will show: the one at linux_banner. */
	r = vmi_kernel_banner_at(kernel_path, text, p->banner_va, &p->kernel);
	if (r) {
		r = profile_fail(&b, -ESRCH,
				 "%s has no \"Linux version\" banner at "
				 "linux_banner (0x%llx) of %s: give the "
				 "System.map or vmlinux of this very build",
				 kernel_path, (unsigned long long)p->banner_va,
				 symbols_path);
		goto err_syms;
	}
	vmi_symbols_find(&syms, "__global_pointer$", &p->gp);
	p->base = (text - PROFILE_BELOW_KERNEL) & ~((1ull << 20) - 1);

	/* The key: the kernel (banner, config), its symbols, our sources. */
	bufs[0] = p->kernel.banner;
	lens[0] = strlen(p->kernel.banner);
	bufs[1] = p->kernel.config;
	lens[1] = p->kernel.config_len;
	r = profile_slurp(symbols_path, &inputs[0], &lens[2]);
	for (size_t i = 0; !r && i < 2; i++) {
		profile_path(path, "%s/%s", cfg->interface_dir,
			     profile_sources[i]);
		r = profile_slurp(path, &inputs[1 + i], &lens[3 + i]);
	}
	if (!r) {
		profile_path(path, "%s/memvisor/vmi.h", cfg->include_dir);
		r = profile_slurp(path, &inputs[3], &lens[5]);
	}
	if (r) {
		profile_fail(&b, r, "cannot read %s: %s", path, strerror(-r));
		goto err_inputs;
	}
	for (size_t i = 0; i < 4; i++)
		bufs[2 + i] = inputs[i];
	profile_hash(p->key, bufs, lens, 6);

	r = profile_mkdirs(cfg->cache_dir);
	if (r) {
		profile_fail(&b, r, "cannot create %s: %s", cfg->cache_dir,
			     strerror(-r));
		goto err_inputs;
	}
	/* Absolute: the kernel's make runs elsewhere (make -C). */
	if (!realpath(cfg->cache_dir, b.cache)) {
		r = profile_fail(&b, -errno, "cannot resolve %s: %s",
				 cfg->cache_dir, strerror(errno));
		goto err_inputs;
	}
	profile_path(b.dir, "%s/profile-%s-%s", b.cache, p->kernel.release,
		     p->key);
	/* One builder per profile; a second caller waits, then finds it. */
	profile_path(path, "%s/.lock", b.cache);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock >= 0)
		flock(lock, LOCK_EX);
	profile_path(path, "%s/interface.elf", b.dir);
	r = access(path, R_OK) ? profile_build(&b, &syms, p->base) : 0;
	if (lock >= 0)
		close(lock);
	if (!r)
		r = profile_load(&b, p);

err_inputs:
	for (size_t i = 0; i < 4; i++)
		free(inputs[i]);
err_syms:
	vmi_symbols_free(&syms);
err_kernel:
	vmi_kernel_free(&p->kernel);
	return r;
}

void vmi_profile_free(struct vmi_profile *p)
{
	free(p->image);
	p->image = NULL;
	vmi_kernel_free(&p->kernel);
}
