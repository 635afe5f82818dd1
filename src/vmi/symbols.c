/* SPDX-License-Identifier: MIT */
#include "vmi/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A growing list of (name offset, address) before the names settle. */
struct symbols_builder {
	struct vmi_symbols *syms;
	size_t cap, names_len, names_cap;
};

static int symbols_add(struct symbols_builder *b, const char *name,
		       uint64_t addr, bool local)
{
	struct vmi_symbols *s = b->syms;
	size_t len = strlen(name) + 1;

	if (s->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		struct vmi_symbol *v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		b->cap = cap;
	}
	if (b->names_len + len > b->names_cap) {
		size_t cap = b->names_cap ? b->names_cap * 2 : 1 << 16;
		while (cap < b->names_len + len)
			cap *= 2;
		char *names = realloc(s->names, cap);
		if (!names)
			return -ENOMEM;
		s->names = names;
		b->names_cap = cap;
	}
	memcpy(s->names + b->names_len, name, len);
	/* An offset for now: names may still move. */
	s->v[s->n].name = (char *)(uintptr_t)b->names_len;
	s->v[s->n].addr = addr;
	s->v[s->n].local = local;
	s->n++;
	b->names_len += len;
	return 0;
}

static int symbols_cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct vmi_symbol *)a)->name,
		      ((const struct vmi_symbol *)b)->name);
}

/* By name, globals first. */
static int symbols_cmp(const void *a, const void *b)
{
	const struct vmi_symbol *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (int)x->local - (int)y->local;
}

int vmi_elf_symbols(Elf *elf, vmi_elf_symbol_fn *fn, void *arg)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			return -EBADMSG;
		for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			int r;

			if (!gelf_getsym(data, (int)i, &sym))
				continue;
			name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			r = fn(name, &sym, arg);
			if (r)
				return r;
		}
		return 0;
	}
	return -EBADMSG;
}

static int symbols_add_elf(const char *name, const GElf_Sym *sym, void *arg)
{
	if (sym->st_shndx == SHN_UNDEF)
		return 0;
	return symbols_add(arg, name, sym->st_value,
			   GELF_ST_BIND(sym->st_info) == STB_LOCAL);
}

static int symbols_from_elf(int fd, struct symbols_builder *b)
{
	Elf *elf = elf_begin(fd, ELF_C_READ, NULL);
	int r;

	if (!elf)
		return -EBADMSG;
	r = vmi_elf_symbols(elf, symbols_add_elf, b);
	elf_end(elf);
	return r;
}

static int symbols_from_map(int fd, struct symbols_builder *b)
{
	FILE *f = fdopen(dup(fd), "r");
	char line[512], name[256], type;
	unsigned long long addr;
	int r = 0;

	if (!f)
		return -errno;
	while (!r && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3) {
			r = -EBADMSG;
			break;
		}
		/* nm's convention: lower-case types are local symbols. */
		r = symbols_add(b, name, addr, type >= 'a' && type <= 'z');
	}
	fclose(f);
	return r;
}

int vmi_symbols_load(const char *path, struct vmi_symbols *syms)
{
	struct symbols_builder b = {.syms = syms};
	unsigned char magic[4] = {0};
	int fd, r;

	memset(syms, 0, sizeof(*syms));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, magic, sizeof(magic), 0) < 0) {
		r = -errno;
		goto out;
	}
	if (!memcmp(magic, ELFMAG, SELFMAG)) {
		elf_version(EV_CURRENT);
		r = symbols_from_elf(fd, &b);
	} else {
		r = symbols_from_map(fd, &b);
	}
	if (!r && !syms->n)
		r = -EBADMSG;
	if (r)
		goto out;
	for (size_t i = 0; i < syms->n; i++)
		syms->v[i].name = syms->names + (uintptr_t)syms->v[i].name;
	qsort(syms->v, syms->n, sizeof(*syms->v), symbols_cmp);
out:
	close(fd);
	if (r)
		vmi_symbols_free(syms);
	return r;
}

int vmi_symbols_find(const struct vmi_symbols *syms, const char *name,
		     uint64_t *addr)
{
	struct vmi_symbol key = {.name = (char *)name};
	const struct vmi_symbol *s =
	    bsearch(&key, syms->v, syms->n, sizeof(*syms->v), symbols_cmp_name);

	if (!s)
		return -ENOENT;
	while (s > syms->v && !strcmp(s[-1].name, name))
		s--;
	*addr = s->addr;
	return 0;
}

void vmi_symbols_free(struct vmi_symbols *syms)
{
	free(syms->v);
	free(syms->names);
	memset(syms, 0, sizeof(*syms));
}
