/* SPDX-License-Identifier: MIT */
/*
 * The RV64GC decoder, with the extensions of the machine (DESIGN.md):
 * instruction bits -> struct insn. Compressed instructions are expanded to
 * their 32-bit meaning. Anything this machine does not implement (reserved
 * encodings, extensions it lacks) decodes to exec_illegal, which raises the
 * architectural trap when executed.
 */
#ifndef MEMVISOR_CPU_DECODE_H
#define MEMVISOR_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/exec.h"

/* Length in bytes (2 or 4) of the instruction whose low 16 bits are lo. */
static inline unsigned decode_length(uint16_t lo)
{
	return (lo & 3) == 3 ? 4 : 2;
}

/*
 * Decode the instruction in raw (a compressed one in the low 16 bits) into
 * *in (fn, registers, immediate, len, raw; off is left to the caller).
 * Returns true when the instruction ends a basic block (it may change the
 * pc, the privilege, the translation or the interrupt state).
 */
bool decode(uint32_t raw, struct insn *in);

/*
 * The decoders of the extensions, called by decode() with a 32-bit
 * encoding (a compressed FP load or store comes expanded). Same contract as
 * decode(), except that in->len and in->raw are already set (they describe
 * the instruction as fetched) and must be left alone.
 *   decode_fp()        F and D: LOAD-FP, STORE-FP, the fused multiply-adds
 *                      and OP-FP (decode_fp.c);
 *   decode_bitmanip()  Zba, Zbb, Zbc, Zbs and Zicond: the encodings of OP,
 *                      OP-IMM, OP-32 and OP-IMM-32 that RV64IM leaves
 *                      reserved (decode_bitmanip.c);
 *   decode_cbo()       Zicbom and Zicboz: MISC-MEM with funct3 = 2
 *                      (exec_cbo.c).
 */
bool decode_fp(uint32_t raw, struct insn *in);
bool decode_bitmanip(uint32_t raw, struct insn *in);
bool decode_cbo(uint32_t raw, struct insn *in);

#endif
