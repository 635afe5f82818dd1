/* SPDX-License-Identifier: MIT */
/* Zba/Zbb/Zbc/Zbs/Zicond decoder: not implemented yet. */
#include "cpu/decode.h"
#include "cpu/decode_util.h"

bool decode_bitmanip(uint32_t raw, struct insn *in)
{
	(void)raw;
	return illegal(in);
}
