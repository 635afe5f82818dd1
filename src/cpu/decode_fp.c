/* SPDX-License-Identifier: MIT */
/* F and D decoder: not implemented yet, everything is reserved. */
#include "cpu/decode.h"
#include "cpu/decode_util.h"

bool decode_fp(uint32_t raw, struct insn *in)
{
	(void)raw;
	return illegal(in);
}
