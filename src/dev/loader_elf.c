/* SPDX-License-Identifier: MIT */
/* The bare-metal ELF loader (libelf). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gelf.h>
#include <libelf.h>

#include "dev/loader_priv.h"

/* ---- bare-metal ELF ---------------------------------------------------- */

static const char *loader_machine_name(unsigned machine)
{
	switch (machine) {
	case EM_386:
		return " (i386)";
	case EM_X86_64:
		return " (x86-64)";
	case EM_ARM:
		return " (ARM)";
	case EM_AARCH64:
		return " (AArch64)";
	default:
		return "";
	}
}

/* Check the ELF header: an ELF64 little-endian RISC-V executable. */
static int loader_elf_header(Elf *e, GElf_Ehdr *eh, const char *path, char *why,
			     size_t whylen)
{
	if (elf_kind(e) != ELF_K_ELF) {
		loader_why(why, whylen, "%s: not an ELF file", path);
		return -ENOEXEC;
	}
	if (gelf_getclass(e) != ELFCLASS64) {
		loader_why(why, whylen,
			   "%s: ELF class %d, expected ELF64 for an RV64 guest",
			   path, gelf_getclass(e));
		return -ENOEXEC;
	}
	if (!gelf_getehdr(e, eh)) {
		loader_why(why, whylen, "%s: bad ELF header: %s", path,
			   elf_errmsg(-1));
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		loader_why(why, whylen,
			   "%s: big-endian ELF; the guest is little-endian",
			   path);
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_RISCV) {
		loader_why(why, whylen,
			   "%s: ELF machine %u%s, expected RISC-V (%u)", path,
			   eh->e_machine, loader_machine_name(eh->e_machine),
			   EM_RISCV);
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		loader_why(why, whylen,
			   "%s: ELF type %u, expected a static executable "
			   "(ET_EXEC)",
			   path, eh->e_type);
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Check every PT_LOAD segment against the file and guest RAM, find the
 * entry point's gpa and the loaded range.
 */
static int loader_elf_check(struct gstage *gs, Elf *e, const GElf_Ehdr *eh,
			    size_t nphdr, uint64_t file_size, const char *path,
			    struct loader_elf_info *info, char *why,
			    size_t whylen)
{
	bool entry_found = false;
	char who[256];
	int err;

	info->low = UINT64_MAX;
	info->high = 0;
	info->segments = 0;
	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph)) {
			loader_why(why, whylen,
				   "%s: bad program header %zu: %s", path, i,
				   elf_errmsg(-1));
			return -ENOEXEC;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		snprintf(who, sizeof(who), "%s: segment %zu", path, i);
		if (ph.p_filesz > ph.p_memsz) {
			loader_why(why, whylen,
				   "%s: file size %llu exceeds memory size "
				   "%llu",
				   who, (unsigned long long)ph.p_filesz,
				   (unsigned long long)ph.p_memsz);
			return -ENOEXEC;
		}
		if (ph.p_offset > file_size ||
		    ph.p_filesz > file_size - ph.p_offset) {
			loader_why(why, whylen,
				   "%s: data at offset %llu + %llu bytes runs "
				   "past the end of the file (%llu bytes)",
				   who, (unsigned long long)ph.p_offset,
				   (unsigned long long)ph.p_filesz,
				   (unsigned long long)file_size);
			return -ENOEXEC;
		}
		if (ph.p_vaddr + ph.p_memsz < ph.p_vaddr) {
			loader_why(why, whylen,
				   "%s: virtual range 0x%llx + %llu wraps "
				   "around",
				   who, (unsigned long long)ph.p_vaddr,
				   (unsigned long long)ph.p_memsz);
			return -ENOEXEC;
		}
		err = loader_check_ram(gs, ph.p_paddr, ph.p_memsz, who, why,
				       whylen);
		if (err)
			return err;
		if (!entry_found && eh->e_entry >= ph.p_vaddr &&
		    eh->e_entry - ph.p_vaddr < ph.p_memsz) {
			info->entry = eh->e_entry - ph.p_vaddr + ph.p_paddr;
			entry_found = true;
		}
		if (ph.p_paddr < info->low)
			info->low = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > info->high)
			info->high = ph.p_paddr + ph.p_memsz;
		info->segments++;
	}
	if (!info->segments) {
		loader_why(why, whylen, "%s: no PT_LOAD segment to load", path);
		return -ENOEXEC;
	}
	if (!entry_found) {
		loader_why(why, whylen,
			   "%s: entry point 0x%llx is in no PT_LOAD segment",
			   path, (unsigned long long)eh->e_entry);
		return -ENOEXEC;
	}
	return 0;
}

static int loader_elf_load(struct gstage *gs, Elf *e, int fd, size_t nphdr,
			   const char *path, char *why, size_t whylen)
{
	int err;

	for (size_t i = 0; i < nphdr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(e, (int)i, &ph))
			return -ENOEXEC; /* it was readable a moment ago */
		if (ph.p_type != PT_LOAD)
			continue;
		err = loader_copy(gs, fd, ph.p_offset, ph.p_paddr, ph.p_filesz,
				  path, why, whylen);
		if (err)
			return err;
		err = loader_zero(gs, ph.p_paddr + ph.p_filesz,
				  ph.p_memsz - ph.p_filesz, path, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

int loader_elf(struct gstage *gs, const char *path,
	       struct loader_elf_info *info, char *why, size_t whylen)
{
	struct loader_elf_info out = {0};
	uint64_t size;
	GElf_Ehdr eh;
	size_t nphdr;
	Elf *e;
	int fd, err;

	/* libelf wants its version set once; doing it again is harmless. */
	if (elf_version(EV_CURRENT) == EV_NONE) {
		loader_why(why, whylen, "%s: libelf is unusable: %s", path,
			   elf_errmsg(-1));
		return -ENOSYS;
	}
	err = loader_open(path, &fd, &size, why, whylen);
	if (err)
		return err;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		loader_why(why, whylen, "%s: not an ELF file: %s", path,
			   elf_errmsg(-1));
		err = -ENOEXEC;
		goto err_close;
	}
	err = loader_elf_header(e, &eh, path, why, whylen);
	if (err)
		goto err_end;
	if (elf_getphdrnum(e, &nphdr)) {
		loader_why(why, whylen, "%s: bad program header table: %s",
			   path, elf_errmsg(-1));
		err = -ENOEXEC;
		goto err_end;
	}
	err =
	    loader_elf_check(gs, e, &eh, nphdr, size, path, &out, why, whylen);
	if (err)
		goto err_end;
	err = loader_elf_load(gs, e, fd, nphdr, path, why, whylen);
	if (err)
		goto err_end;

	elf_end(e);
	close(fd);
	*info = out;
	return 0;

err_end:
	elf_end(e);
err_close:
	close(fd);
	return err;
}
