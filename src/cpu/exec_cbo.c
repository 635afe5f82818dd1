/* SPDX-License-Identifier: MIT */
/* Zicbom, Zicboz: not implemented yet. */
#include "cpu/decode.h"
#include "cpu/decode_util.h"

bool decode_cbo(uint32_t raw, struct insn *in)
{
	(void)raw;
	return illegal(in);
}
