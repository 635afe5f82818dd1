/* SPDX-License-Identifier: MIT */
/*
 * What a hart implements: the ISA extensions, named as the device tree's
 * "riscv,isa" and "riscv,isa-extensions" name them, and the features a VM
 * may turn off (to measure what they are worth, e.g. Sstc against the SBI
 * timer). The device tree lists exactly this; nothing else is advertised.
 */
#ifndef MEMVISOR_CPU_ISA_H
#define MEMVISOR_CPU_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every extension a hart can have, in the device tree's canonical order
 * (single letters first, then Z*, S* alphabetically by category). */
enum isa_ext {
	ISA_I,
	ISA_M,
	ISA_A,
	ISA_F,
	ISA_D,
	ISA_C,
	ISA_ZICBOM,
	ISA_ZICBOP,
	ISA_ZICBOZ,
	ISA_ZICNTR,
	ISA_ZICOND,
	ISA_ZICSR,
	ISA_ZIFENCEI,
	ISA_ZIHINTNTL,
	ISA_ZIHINTPAUSE,
	ISA_ZIHPM,
	ISA_ZBA,
	ISA_ZBB,
	ISA_ZBC,
	ISA_ZBS,
	ISA_SSTC,
	ISA_SVPBMT,
	ISA_EXT_COUNT,
};

/* A set of extensions: bit n is enum isa_ext n. */
typedef uint64_t isa_set;

#define ISA_BIT(e) ((isa_set)1 << (e))

/* What the interpreter implements. */
#define ISA_IMPLEMENTED                                                        \
	(ISA_BIT(ISA_I) | ISA_BIT(ISA_M) | ISA_BIT(ISA_A) | ISA_BIT(ISA_F) |   \
	 ISA_BIT(ISA_D) | ISA_BIT(ISA_C) | ISA_BIT(ISA_ZICBOM) |               \
	 ISA_BIT(ISA_ZICBOP) | ISA_BIT(ISA_ZICBOZ) | ISA_BIT(ISA_ZICNTR) |     \
	 ISA_BIT(ISA_ZICSR) | ISA_BIT(ISA_ZIFENCEI) | ISA_BIT(ISA_ZIHINTNTL) | \
	 ISA_BIT(ISA_ZIHINTPAUSE) | ISA_BIT(ISA_ZIHPM) | ISA_BIT(ISA_ZICOND) | \
	 ISA_BIT(ISA_ZBA) | ISA_BIT(ISA_ZBB) | ISA_BIT(ISA_ZBC) |              \
	 ISA_BIT(ISA_ZBS) | ISA_BIT(ISA_SSTC) | ISA_BIT(ISA_SVPBMT))

/* Extensions a VM may leave out (--cpu-disable); the others are always on. */
#define ISA_OPTIONAL ISA_BIT(ISA_SSTC)

/* ASID bits of satp a hart keeps (ASIDLEN); 0 when turned off. */
#define ISA_ASID_BITS 16

/* The lower-case name of e ("m", "zba", "sstc"). */
const char *isa_ext_name(enum isa_ext e);

/*
 * Write the legacy "riscv,isa" string of set into buf (size bytes):
 * "rv64" + the single letters + "_" + each multi-letter name. Returns the
 * length, or -ENOSPC when it does not fit.
 */
int isa_string(isa_set set, char *buf, size_t size);

/*
 * Write "riscv,isa-extensions" of set into buf: the names, each
 * NUL-terminated, back to back (a device tree stringlist). Returns the
 * total length including the NULs, or -ENOSPC.
 */
int isa_stringlist(isa_set set, char *buf, size_t size);

/* The extension called name, or -1. */
int isa_ext_lookup(const char *name);

#endif
