/* SPDX-License-Identifier: MIT */
/*
 * Zba, Zbb, Zbc, Zbs and Zicond decoder, RV64 encodings, written from the
 * unprivileged specification's "B" chapter (its instruction listings with
 * the RV64 forms of zext.h and rev8) and the Zicond chapter.
 *
 * Every encoding is a pattern of fixed fields and operand fields. The
 * table below lists the fixed fields of each instruction; its form says
 * which other bits are operands. An encoding that matches no pattern is
 * reserved (or belongs to an extension this machine lacks, such as
 * Zbkb's pack or brev8) and decodes as illegal.
 */
#include <stddef.h>

#include "cpu/decode.h"
#include "cpu/decode_util.h"
#include "cpu/exec_bitmanip.h"

/* Major opcodes (bits 6:0). */
#define OPC_OP_IMM    0x13
#define OPC_OP_IMM_32 0x1b
#define OPC_OP	      0x33
#define OPC_OP_32     0x3b

enum bitmanip_form {
	/* rd, rs1, rs2; fixed: funct7 (31:25), funct3, opcode. */
	FORM_R,
	/* rd, rs1; fixed: funct12 (31:20: funct7 and the rs2 field). */
	FORM_UNARY,
	/* rd, rs1, shamt (25:20); fixed: funct6 (31:26). */
	FORM_SHAMT6,
	/* rd, rs1, shamt (24:20); fixed: funct7 (31:25). The W forms. */
	FORM_SHAMT5,
};

/* The fixed bits of each form. */
static const uint32_t form_mask[] = {
    [FORM_R] = 0xfe00707f,
    [FORM_UNARY] = 0xfff0707f,
    [FORM_SHAMT6] = 0xfc00707f,
    [FORM_SHAMT5] = 0xfe00707f,
};

/* The fixed bits' values, from the fields as the spec's listings give
 * them. */
#define ENC_R(funct7, funct3, opc)                                             \
	((uint32_t)(funct7) << 25 | (uint32_t)(funct3) << 12 | (opc))
#define ENC_UNARY(funct12, funct3, opc)                                        \
	((uint32_t)(funct12) << 20 | (uint32_t)(funct3) << 12 | (opc))
#define ENC_SHAMT6(funct6, funct3, opc)                                        \
	((uint32_t)(funct6) << 26 | (uint32_t)(funct3) << 12 | (opc))

struct bitmanip_enc {
	uint32_t match;
	enum bitmanip_form form;
	exec_fn fn;
};

static const struct bitmanip_enc encodings[] = {
    /* Zba */
    {ENC_R(0x04, 0, OPC_OP_32), FORM_R, exec_add_uw},
    {ENC_R(0x10, 2, OPC_OP), FORM_R, exec_sh1add},
    {ENC_R(0x10, 4, OPC_OP), FORM_R, exec_sh2add},
    {ENC_R(0x10, 6, OPC_OP), FORM_R, exec_sh3add},
    {ENC_R(0x10, 2, OPC_OP_32), FORM_R, exec_sh1add_uw},
    {ENC_R(0x10, 4, OPC_OP_32), FORM_R, exec_sh2add_uw},
    {ENC_R(0x10, 6, OPC_OP_32), FORM_R, exec_sh3add_uw},
    {ENC_SHAMT6(0x02, 1, OPC_OP_IMM_32), FORM_SHAMT6, exec_slli_uw},
    /* Zbb */
    {ENC_R(0x20, 7, OPC_OP), FORM_R, exec_andn},
    {ENC_R(0x20, 6, OPC_OP), FORM_R, exec_orn},
    {ENC_R(0x20, 4, OPC_OP), FORM_R, exec_xnor},
    {ENC_UNARY(0x600, 1, OPC_OP_IMM), FORM_UNARY, exec_clz},
    {ENC_UNARY(0x600, 1, OPC_OP_IMM_32), FORM_UNARY, exec_clzw},
    {ENC_UNARY(0x601, 1, OPC_OP_IMM), FORM_UNARY, exec_ctz},
    {ENC_UNARY(0x601, 1, OPC_OP_IMM_32), FORM_UNARY, exec_ctzw},
    {ENC_UNARY(0x602, 1, OPC_OP_IMM), FORM_UNARY, exec_cpop},
    {ENC_UNARY(0x602, 1, OPC_OP_IMM_32), FORM_UNARY, exec_cpopw},
    {ENC_R(0x05, 6, OPC_OP), FORM_R, exec_max},
    {ENC_R(0x05, 7, OPC_OP), FORM_R, exec_maxu},
    {ENC_R(0x05, 4, OPC_OP), FORM_R, exec_min},
    {ENC_R(0x05, 5, OPC_OP), FORM_R, exec_minu},
    {ENC_UNARY(0x604, 1, OPC_OP_IMM), FORM_UNARY, exec_sext_b},
    {ENC_UNARY(0x605, 1, OPC_OP_IMM), FORM_UNARY, exec_sext_h},
    {ENC_UNARY(0x080, 4, OPC_OP_32), FORM_UNARY, exec_zext_h},
    {ENC_R(0x30, 1, OPC_OP), FORM_R, exec_rol},
    {ENC_R(0x30, 1, OPC_OP_32), FORM_R, exec_rolw},
    {ENC_R(0x30, 5, OPC_OP), FORM_R, exec_ror},
    {ENC_SHAMT6(0x18, 5, OPC_OP_IMM), FORM_SHAMT6, exec_rori},
    {ENC_R(0x30, 5, OPC_OP_IMM_32), FORM_SHAMT5, exec_roriw},
    {ENC_R(0x30, 5, OPC_OP_32), FORM_R, exec_rorw},
    {ENC_UNARY(0x287, 5, OPC_OP_IMM), FORM_UNARY, exec_orc_b},
    {ENC_UNARY(0x6b8, 5, OPC_OP_IMM), FORM_UNARY, exec_rev8},
    /* Zbc */
    {ENC_R(0x05, 1, OPC_OP), FORM_R, exec_clmul},
    {ENC_R(0x05, 3, OPC_OP), FORM_R, exec_clmulh},
    {ENC_R(0x05, 2, OPC_OP), FORM_R, exec_clmulr},
    /* Zbs */
    {ENC_R(0x24, 1, OPC_OP), FORM_R, exec_bclr},
    {ENC_SHAMT6(0x12, 1, OPC_OP_IMM), FORM_SHAMT6, exec_bclri},
    {ENC_R(0x24, 5, OPC_OP), FORM_R, exec_bext},
    {ENC_SHAMT6(0x12, 5, OPC_OP_IMM), FORM_SHAMT6, exec_bexti},
    {ENC_R(0x34, 1, OPC_OP), FORM_R, exec_binv},
    {ENC_SHAMT6(0x1a, 1, OPC_OP_IMM), FORM_SHAMT6, exec_binvi},
    {ENC_R(0x14, 1, OPC_OP), FORM_R, exec_bset},
    {ENC_SHAMT6(0x0a, 1, OPC_OP_IMM), FORM_SHAMT6, exec_bseti},
    /* Zicond */
    {ENC_R(0x07, 5, OPC_OP), FORM_R, exec_czero_eqz},
    {ENC_R(0x07, 7, OPC_OP), FORM_R, exec_czero_nez},
};

/*
 * The patterns do not overlap (no encoding has two meanings), so the
 * first match is the only one. A linear scan is cheap enough: decoding
 * happens once per block, not once per execution.
 */
bool decode_bitmanip(uint32_t raw, struct insn *in)
{
	uint32_t rd = bits(raw, 11, 7), rs1 = bits(raw, 19, 15);

	for (size_t i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		const struct bitmanip_enc *e = &encodings[i];

		if ((raw & form_mask[e->form]) != e->match)
			continue;
		switch (e->form) {
		case FORM_R:
			set(in, e->fn, rd, rs1, bits(raw, 24, 20), 0);
			break;
		case FORM_UNARY:
			set(in, e->fn, rd, rs1, 0, 0);
			break;
		case FORM_SHAMT6:
			set(in, e->fn, rd, rs1, 0, bits(raw, 25, 20));
			break;
		case FORM_SHAMT5:
			set(in, e->fn, rd, rs1, 0, bits(raw, 24, 20));
			break;
		}
		return false;
	}
	return illegal(in);
}
