/* SPDX-License-Identifier: MIT */
/*
 * For unit tests that need a VM: write a minimal RV64 ET_EXEC to path, one
 * PT_LOAD of 8 bytes (wfi; j .-4) at guest-physical entry. For those that
 * need an ELF file of their own: its file header.
 */
#ifndef MEMVISOR_TESTS_TINY_ELF_H
#define MEMVISOR_TESTS_TINY_ELF_H

#include <elf.h>
#include <stdint.h>
#include <stdio.h>

/* The file header of an RV64 ET_EXEC whose phnum program headers follow
 * it. */
static inline Elf64_Ehdr tiny_elf_header(uint64_t entry, unsigned phnum)
{
	Elf64_Ehdr eh = {
	    .e_ident = {ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			ELFDATA2LSB, EV_CURRENT},
	    .e_type = ET_EXEC,
	    .e_machine = EM_RISCV,
	    .e_version = EV_CURRENT,
	    .e_entry = entry,
	    .e_phoff = sizeof(Elf64_Ehdr),
	    .e_ehsize = sizeof(Elf64_Ehdr),
	    .e_phentsize = sizeof(Elf64_Phdr),
	    .e_phnum = (uint16_t)phnum,
	};

	return eh;
}

static inline void tiny_elf_write(const char *path, uint64_t entry)
{
	static const uint32_t code[2] = {0x10500073, 0xffdff06f};
	Elf64_Ehdr eh = tiny_elf_header(entry, 1);
	Elf64_Phdr ph = {
	    .p_type = PT_LOAD,
	    .p_flags = PF_R | PF_W | PF_X,
	    .p_offset = sizeof(eh) + sizeof(ph),
	    .p_vaddr = entry,
	    .p_paddr = entry,
	    .p_filesz = sizeof(code),
	    .p_memsz = sizeof(code),
	    .p_align = 4,
	};
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(&eh, sizeof(eh), 1, f), 1);
	assert_int_equal(fwrite(&ph, sizeof(ph), 1, f), 1);
	assert_int_equal(fwrite(code, sizeof(code), 1, f), 1);
	assert_int_equal(fclose(f), 0);
}

#endif
