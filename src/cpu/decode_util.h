/* SPDX-License-Identifier: MIT */
/*
 * Field extraction and struct insn filling shared by the decoders
 * (decode.c, decode_fp.c, decode_bitmanip.c). Internal to cpu/.
 */
#ifndef MEMVISOR_CPU_DECODE_UTIL_H
#define MEMVISOR_CPU_DECODE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

/* Bits [hi:lo] of x. */
static inline uint32_t bits(uint32_t x, unsigned hi, unsigned lo)
{
	return (x >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* Sign-extend the low n bits of x. */
static inline int64_t sext(uint64_t x, unsigned n)
{
	return (int64_t)(x << (64 - n)) >> (64 - n);
}

/* x0 as a destination becomes the sink register x[32]. Integer
 * destinations only: f0 is a register like any other. */
static inline uint8_t dest(uint32_t rd)
{
	return rd ? (uint8_t)rd : 32;
}

/* Fill in the handler, an integer destination and the sources. */
static inline void set(struct insn *in, exec_fn fn, uint32_t rd, uint32_t rs1,
		       uint32_t rs2, int64_t imm)
{
	in->fn = fn;
	in->rd = dest(rd);
	in->rs1 = (uint8_t)rs1;
	in->rs2 = (uint8_t)rs2;
	in->imm = imm;
}

/* A reserved or unimplemented encoding: traps when executed. */
static inline bool illegal(struct insn *in)
{
	set(in, exec_illegal, 0, 0, 0, 0);
	return true;
}

#endif
