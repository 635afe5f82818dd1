/* SPDX-License-Identifier: MIT */
/*
 * The RV64IMAC + Zicsr + Zifencei decoder: instruction bits -> struct insn.
 * Compressed instructions are expanded to their 32-bit meaning. Anything
 * this machine does not implement (F/D, reserved encodings) decodes to
 * exec_illegal, which raises the architectural trap when executed.
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

#endif
