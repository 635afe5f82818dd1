/* SPDX-License-Identifier: MIT */
/*
 * A guest kernel's symbol table, from its System.map or from the symbol
 * table of its vmlinux (no debug information needed): name -> address.
 */
#ifndef MEMVISOR_VMI_SYMBOLS_H
#define MEMVISOR_VMI_SYMBOLS_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmi_symbol {
	char *name;
	uint64_t addr;
	bool local; /* a static symbol: a global of the same name wins */
};

struct vmi_symbols {
	struct vmi_symbol *v; /* sorted by name */
	size_t n;
	char *names; /* storage of every name */
};

/*
 * Load the symbols of path: an ELF file (vmlinux: its .symtab) or a
 * System.map ("ADDRESS TYPE NAME" lines). Returns 0, -ENOENT (no such
 * file), -EBADMSG (neither format, or no symbols), -ENOMEM, or another
 * errno of reading the file. Release with vmi_symbols_free().
 */
int vmi_symbols_load(const char *path, struct vmi_symbols *syms);

/*
 * Address of name into *addr (of the global symbol when static ones share
 * its name): 0, or -ENOENT when there is no such symbol.
 */
int vmi_symbols_find(const struct vmi_symbols *syms, const char *name,
		     uint64_t *addr);

void vmi_symbols_free(struct vmi_symbols *syms);

typedef int vmi_elf_symbol_fn(const char *name, const GElf_Sym *sym, void *arg);

/*
 * Call fn(name, sym, arg) for each named symbol of elf's symbol table
 * (.symtab), in order, until fn returns non-zero, which is returned.
 * Returns 0 after the last, -EBADMSG when elf has no symbol table.
 */
int vmi_elf_symbols(Elf *elf, vmi_elf_symbol_fn *fn, void *arg);

#endif
