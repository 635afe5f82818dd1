/* SPDX-License-Identifier: MIT */
/*
 * RV64IMAC decoder, written from the RISC-V unprivileged specification
 * (chapters on RV32I/RV64I, M, A, Zicsr, Zifencei and the C extension) and
 * the privileged specification's instruction listing.
 */
#include "cpu/decode.h"
#include "cpu/csr.h"
#include "cpu/decode_util.h"

static int64_t imm_i(uint32_t r)
{
	return sext(r >> 20, 12);
}

static int64_t imm_s(uint32_t r)
{
	return sext((bits(r, 31, 25) << 5) | bits(r, 11, 7), 12);
}

static int64_t imm_b(uint32_t r)
{
	return sext((bits(r, 31, 31) << 12) | (bits(r, 7, 7) << 11) |
			(bits(r, 30, 25) << 5) | (bits(r, 11, 8) << 1),
		    13);
}

static int64_t imm_j(uint32_t r)
{
	return sext((bits(r, 31, 31) << 20) | (bits(r, 19, 12) << 12) |
			(bits(r, 20, 20) << 11) | (bits(r, 30, 21) << 1),
		    21);
}

static bool decode_load(uint32_t r, struct insn *in)
{
	static const exec_fn fns[8] = {exec_lb,	 exec_lh,  exec_lw,  exec_ld,
				       exec_lbu, exec_lhu, exec_lwu, NULL};
	exec_fn fn = fns[bits(r, 14, 12)];

	if (!fn)
		return illegal(in);
	set(in, fn, bits(r, 11, 7), bits(r, 19, 15), 0, imm_i(r));
	return false;
}

static bool decode_store(uint32_t r, struct insn *in)
{
	static const exec_fn fns[8] = {exec_sb, exec_sh, exec_sw, exec_sd};
	exec_fn fn = fns[bits(r, 14, 12)];

	if (!fn)
		return illegal(in);
	set(in, fn, 0, bits(r, 19, 15), bits(r, 24, 20), imm_s(r));
	return false;
}

static bool decode_op_imm(uint32_t r, struct insn *in)
{
	uint32_t rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);
	int64_t imm = imm_i(r);
	exec_fn fn;

	switch (bits(r, 14, 12)) {
	case 0:
		fn = rs1 == 0 ? exec_li : imm == 0 ? exec_mv : exec_addi;
		break;
	case 1:
		if (bits(r, 31, 26) != 0)
			return decode_bitmanip(r, in);
		fn = exec_slli;
		imm &= 63;
		break;
	case 2:
		fn = exec_slti;
		break;
	case 3:
		fn = exec_sltiu;
		break;
	case 4:
		fn = exec_xori;
		break;
	case 5:
		if (bits(r, 31, 26) == 0)
			fn = exec_srli;
		else if (bits(r, 31, 26) == 0x10)
			fn = exec_srai;
		else
			return decode_bitmanip(r, in);
		imm &= 63;
		break;
	case 6:
		fn = exec_ori;
		break;
	default:
		fn = exec_andi;
		break;
	}
	set(in, fn, rd, rs1, 0, imm);
	return false;
}

static bool decode_op_imm32(uint32_t r, struct insn *in)
{
	uint32_t f7 = bits(r, 31, 25);
	exec_fn fn;
	int64_t imm = imm_i(r);

	switch (bits(r, 14, 12)) {
	case 0:
		fn = exec_addiw;
		break;
	case 1:
		if (f7 != 0)
			return decode_bitmanip(r, in);
		fn = exec_slliw;
		imm &= 31;
		break;
	case 5:
		if (f7 == 0)
			fn = exec_srliw;
		else if (f7 == 0x20)
			fn = exec_sraiw;
		else
			return decode_bitmanip(r, in);
		imm &= 31;
		break;
	default:
		return decode_bitmanip(r, in);
	}
	set(in, fn, bits(r, 11, 7), bits(r, 19, 15), 0, imm);
	return false;
}

static bool decode_op(uint32_t r, struct insn *in)
{
	static const exec_fn base[8] = {exec_add, exec_sll, exec_slt, exec_sltu,
					exec_xor, exec_srl, exec_or,  exec_and};
	static const exec_fn muldiv[8] = {exec_mul,   exec_mulh, exec_mulhsu,
					  exec_mulhu, exec_div,	 exec_divu,
					  exec_rem,   exec_remu};
	uint32_t f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
	exec_fn fn;

	if (f7 == 0)
		fn = base[f3];
	else if (f7 == 1)
		fn = muldiv[f3];
	else if (f7 == 0x20 && f3 == 0)
		fn = exec_sub;
	else if (f7 == 0x20 && f3 == 5)
		fn = exec_sra;
	else
		return decode_bitmanip(r, in);
	set(in, fn, bits(r, 11, 7), bits(r, 19, 15), bits(r, 24, 20), 0);
	return false;
}

static bool decode_op32(uint32_t r, struct insn *in)
{
	uint32_t f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
	exec_fn fn = NULL;

	if (f7 == 0) {
		fn = f3 == 0   ? exec_addw
		     : f3 == 1 ? exec_sllw
		     : f3 == 5 ? exec_srlw
			       : NULL;
	} else if (f7 == 0x20) {
		fn = f3 == 0 ? exec_subw : f3 == 5 ? exec_sraw : NULL;
	} else if (f7 == 1) {
		static const exec_fn m[8] = {exec_mulw, NULL,	   NULL,
					     NULL,	exec_divw, exec_divuw,
					     exec_remw, exec_remuw};
		fn = m[f3];
	}
	if (!fn)
		return decode_bitmanip(r, in);
	set(in, fn, bits(r, 11, 7), bits(r, 19, 15), bits(r, 24, 20), 0);
	return false;
}

static bool decode_branch(uint32_t r, struct insn *in)
{
	static const exec_fn fns[8] = {exec_beq,  exec_bne, NULL,
				       NULL,	  exec_blt, exec_bge,
				       exec_bltu, exec_bgeu};
	exec_fn fn = fns[bits(r, 14, 12)];

	if (!fn)
		return illegal(in);
	set(in, fn, 0, bits(r, 19, 15), bits(r, 24, 20), imm_b(r));
	return true;
}

static bool decode_amo(uint32_t r, struct insn *in)
{
	static const exec_fn w[32] = {
	    [0x00] = exec_amoadd_w,  [0x01] = exec_amoswap_w,
	    [0x02] = exec_lr_w,	     [0x03] = exec_sc_w,
	    [0x04] = exec_amoxor_w,  [0x08] = exec_amoor_w,
	    [0x0c] = exec_amoand_w,  [0x10] = exec_amomin_w,
	    [0x14] = exec_amomax_w,  [0x18] = exec_amominu_w,
	    [0x1c] = exec_amomaxu_w,
	};
	static const exec_fn d[32] = {
	    [0x00] = exec_amoadd_d,  [0x01] = exec_amoswap_d,
	    [0x02] = exec_lr_d,	     [0x03] = exec_sc_d,
	    [0x04] = exec_amoxor_d,  [0x08] = exec_amoor_d,
	    [0x0c] = exec_amoand_d,  [0x10] = exec_amomin_d,
	    [0x14] = exec_amomax_d,  [0x18] = exec_amominu_d,
	    [0x1c] = exec_amomaxu_d,
	};
	uint32_t f3 = bits(r, 14, 12), f5 = bits(r, 31, 27);
	exec_fn fn = f3 == 2 ? w[f5] : f3 == 3 ? d[f5] : NULL;

	if (!fn || ((f5 == 2) && bits(r, 24, 20) != 0))
		return illegal(in);
	set(in, fn, bits(r, 11, 7), bits(r, 19, 15), bits(r, 24, 20), 0);
	return false;
}

static bool decode_system(uint32_t r, struct insn *in)
{
	uint32_t f3 = bits(r, 14, 12), rd = bits(r, 11, 7),
		 rs1 = bits(r, 19, 15);

	if (f3 == 0) {
		if (rd != 0)
			return illegal(in);
		if (r == 0x00000073)
			set(in, exec_ecall, 0, 0, 0, 0);
		else if (r == 0x00100073)
			set(in, exec_ebreak, 0, 0, 0, 0);
		else if (r == 0x10200073)
			set(in, exec_sret, 0, 0, 0, 0);
		else if (r == 0x10500073)
			set(in, exec_wfi, 0, 0, 0, 0);
		else if (bits(r, 31, 25) == 0x09)
			set(in, exec_sfence_vma, 0, rs1, bits(r, 24, 20), 0);
		else
			return illegal(in);
		return true;
	}

	static const exec_fn csr[4] = {NULL, exec_csrrw, exec_csrrs,
				       exec_csrrc};
	if (!csr[f3 & 3])
		return illegal(in);
	/* Immediate forms: the source is rs1's 5 bits, carried in imm. */
	if (f3 & 4)
		set(in, csr[f3 & 3], rd, 0, 0, rs1);
	else
		set(in, csr[f3 & 3], rd, rs1, 0, 0);
	in->csr = (uint16_t)bits(r, 31, 20);
	/* csrrs and csrrc with x0 (or 0) write nothing. */
	return !csr_in_block(in->csr, (f3 & 3) == 1 || rs1 != 0);
}

static bool decode32(uint32_t r, struct insn *in)
{
	uint32_t rd = bits(r, 11, 7), rs1 = bits(r, 19, 15);

	switch (bits(r, 6, 0)) {
	case 0x03:
		return decode_load(r, in);
	case 0x0f:
		if (bits(r, 14, 12) == 2)
			return decode_cbo(r, in);
		if (bits(r, 14, 12) == 0) {
			set(in, exec_fence, 0, 0, 0, 0);
			return false;
		}
		if (bits(r, 14, 12) == 1) {
			set(in, exec_fence_i, 0, 0, 0, 0);
			return true;
		}
		return illegal(in);
	case 0x13:
		return decode_op_imm(r, in);
	case 0x17:
		set(in, exec_auipc, rd, 0, 0, (int32_t)(r & 0xfffff000));
		return false;
	case 0x1b:
		return decode_op_imm32(r, in);
	case 0x23:
		return decode_store(r, in);
	case 0x2f:
		return decode_amo(r, in);
	case 0x33:
		return decode_op(r, in);
	case 0x37:
		set(in, exec_lui, rd, 0, 0, (int32_t)(r & 0xfffff000));
		return false;
	case 0x3b:
		return decode_op32(r, in);
	case 0x63:
		return decode_branch(r, in);
	case 0x67:
		if (bits(r, 14, 12) != 0)
			return illegal(in);
		set(in, exec_jalr, rd, rs1, 0, imm_i(r));
		return true;
	case 0x6f:
		set(in, exec_jal, rd, 0, 0, imm_j(r));
		return true;
	case 0x73:
		return decode_system(r, in);
	case 0x07: /* LOAD-FP */
	case 0x27: /* STORE-FP */
	case 0x43: /* FMADD */
	case 0x47: /* FMSUB */
	case 0x4b: /* FNMSUB */
	case 0x4f: /* FNMADD */
	case 0x53: /* OP-FP */
		return decode_fp(r, in);
	default:
		return illegal(in);
	}
}

/* The 32-bit FLD rd, imm(rs1) and FSD rs2, imm(rs1) that compressed FP
 * loads and stores expand to (imm: 0..1023, a multiple of 8). */
static uint32_t fp_load(uint32_t rd, uint32_t rs1, int64_t imm)
{
	return (uint32_t)imm << 20 | rs1 << 15 | 3u << 12 | rd << 7 | 0x07;
}

static uint32_t fp_store(uint32_t rs2, uint32_t rs1, int64_t imm)
{
	return ((uint32_t)imm >> 5) << 25 | rs2 << 20 | rs1 << 15 | 3u << 12 |
	       ((uint32_t)imm & 31) << 7 | 0x27;
}

/* Compressed register fields name x8..x15. */
static inline uint32_t creg(uint32_t r, unsigned lo)
{
	return 8 + bits(r, lo + 2, lo);
}

/* Offsets of C.LW/C.SW and C.LD/C.SD (x4 and x8 scaled). */
static int64_t cimm_w(uint32_t r)
{
	return (bits(r, 12, 10) << 3) | (bits(r, 6, 6) << 2) |
	       (bits(r, 5, 5) << 6);
}

static int64_t cimm_d(uint32_t r)
{
	return (bits(r, 12, 10) << 3) | (bits(r, 6, 5) << 6);
}

/* The 6-bit signed immediate of C.ADDI, C.LI, C.ANDI ... */
static int64_t cimm6(uint32_t r)
{
	return sext((bits(r, 12, 12) << 5) | bits(r, 6, 2), 6);
}

static bool decode_c0(uint32_t r, struct insn *in)
{
	uint32_t rd = creg(r, 2), rs1 = creg(r, 7);

	switch (bits(r, 15, 13)) {
	case 0: { /* C.ADDI4SPN */
		int64_t imm = (bits(r, 12, 11) << 4) | (bits(r, 10, 7) << 6) |
			      (bits(r, 6, 6) << 2) | (bits(r, 5, 5) << 3);
		if (imm == 0)
			return illegal(in);
		set(in, exec_addi, rd, 2, 0, imm);
		return false;
	}
	case 2:
		set(in, exec_lw, rd, rs1, 0, cimm_w(r));
		return false;
	case 3:
		set(in, exec_ld, rd, rs1, 0, cimm_d(r));
		return false;
	case 6:
		set(in, exec_sw, 0, rs1, rd, cimm_w(r));
		return false;
	case 7:
		set(in, exec_sd, 0, rs1, rd, cimm_d(r));
		return false;
	case 1: /* C.FLD */
		return decode_fp(fp_load(rd, rs1, cimm_d(r)), in);
	case 5: /* C.FSD */
		return decode_fp(fp_store(rd, rs1, cimm_d(r)), in);
	default: /* the reserved slot */
		return illegal(in);
	}
}

static bool decode_c1_alu(uint32_t r, struct insn *in)
{
	uint32_t rd = creg(r, 7), rs2 = creg(r, 2);
	uint32_t shamt = (bits(r, 12, 12) << 5) | bits(r, 6, 2);

	switch (bits(r, 11, 10)) {
	case 0:
		set(in, exec_srli, rd, rd, 0, shamt);
		return false;
	case 1:
		set(in, exec_srai, rd, rd, 0, shamt);
		return false;
	case 2:
		set(in, exec_andi, rd, rd, 0, cimm6(r));
		return false;
	}
	static const exec_fn ops[8] = {exec_sub,  exec_xor,  exec_or, exec_and,
				       exec_subw, exec_addw, NULL,    NULL};
	exec_fn fn = ops[(bits(r, 12, 12) << 2) | bits(r, 6, 5)];
	if (!fn)
		return illegal(in);
	set(in, fn, rd, rd, rs2, 0);
	return false;
}

static bool decode_c1(uint32_t r, struct insn *in)
{
	uint32_t rd = bits(r, 11, 7), rs1 = creg(r, 7);

	switch (bits(r, 15, 13)) {
	case 0: /* C.ADDI, C.NOP */
		set(in, exec_addi, rd, rd, 0, cimm6(r));
		return false;
	case 1: /* C.ADDIW */
		if (rd == 0)
			return illegal(in);
		set(in, exec_addiw, rd, rd, 0, cimm6(r));
		return false;
	case 2: /* C.LI */
		set(in, exec_li, rd, 0, 0, cimm6(r));
		return false;
	case 3:
		if (rd == 2) { /* C.ADDI16SP */
			int64_t imm = sext(
			    (bits(r, 12, 12) << 9) | (bits(r, 6, 6) << 4) |
				(bits(r, 5, 5) << 6) | (bits(r, 4, 3) << 7) |
				(bits(r, 2, 2) << 5),
			    10);
			if (imm == 0)
				return illegal(in);
			set(in, exec_addi, 2, 2, 0, imm);
			return false;
		}
		if (cimm6(r) == 0)
			return illegal(in);
		set(in, exec_lui, rd, 0, 0,
		    (int64_t)((uint64_t)cimm6(r) << 12)); /* C.LUI */
		return false;
	case 4:
		return decode_c1_alu(r, in);
	case 5: { /* C.J */
		int64_t imm =
		    sext((bits(r, 12, 12) << 11) | (bits(r, 11, 11) << 4) |
			     (bits(r, 10, 9) << 8) | (bits(r, 8, 8) << 10) |
			     (bits(r, 7, 7) << 6) | (bits(r, 6, 6) << 7) |
			     (bits(r, 5, 3) << 1) | (bits(r, 2, 2) << 5),
			 12);
		set(in, exec_jal, 0, 0, 0, imm);
		return true;
	}
	default: { /* C.BEQZ, C.BNEZ */
		int64_t imm =
		    sext((bits(r, 12, 12) << 8) | (bits(r, 11, 10) << 3) |
			     (bits(r, 6, 5) << 6) | (bits(r, 4, 3) << 1) |
			     (bits(r, 2, 2) << 5),
			 9);
		set(in, bits(r, 15, 13) == 6 ? exec_beq : exec_bne, 0, rs1, 0,
		    imm);
		return true;
	}
	}
}

static bool decode_c2(uint32_t r, struct insn *in)
{
	uint32_t rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);

	switch (bits(r, 15, 13)) {
	case 0: /* C.SLLI */
		set(in, exec_slli, rd, rd, 0,
		    (bits(r, 12, 12) << 5) | bits(r, 6, 2));
		return false;
	case 2: /* C.LWSP */
		if (rd == 0)
			return illegal(in);
		set(in, exec_lw, rd, 2, 0,
		    (bits(r, 12, 12) << 5) | (bits(r, 6, 4) << 2) |
			(bits(r, 3, 2) << 6));
		return false;
	case 3: /* C.LDSP */
		if (rd == 0)
			return illegal(in);
		set(in, exec_ld, rd, 2, 0,
		    (bits(r, 12, 12) << 5) | (bits(r, 6, 5) << 3) |
			(bits(r, 4, 2) << 6));
		return false;
	case 4:
		if (bits(r, 12, 12) == 0) {
			if (rs2 != 0) { /* C.MV */
				set(in, exec_mv, rd, rs2, 0, 0);
				return false;
			}
			if (rd == 0)
				return illegal(in);
			set(in, exec_jalr, 0, rd, 0, 0); /* C.JR */
			return true;
		}
		if (rs2 != 0) { /* C.ADD */
			set(in, exec_add, rd, rd, rs2, 0);
			return false;
		}
		if (rd == 0) {
			set(in, exec_ebreak, 0, 0, 0, 0);
			return true;
		}
		set(in, exec_jalr, 1, rd, 0, 0); /* C.JALR */
		return true;
	case 6: /* C.SWSP */
		set(in, exec_sw, 0, 2, rs2,
		    (bits(r, 12, 9) << 2) | (bits(r, 8, 7) << 6));
		return false;
	case 7: /* C.SDSP */
		set(in, exec_sd, 0, 2, rs2,
		    (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6));
		return false;
	case 1: /* C.FLDSP */
		return decode_fp(fp_load(rd, 2,
					 (bits(r, 12, 12) << 5) |
					     (bits(r, 6, 5) << 3) |
					     (bits(r, 4, 2) << 6)),
				 in);
	case 5: /* C.FSDSP */
		return decode_fp(
		    fp_store(rs2, 2,
			     (bits(r, 12, 10) << 3) | (bits(r, 9, 7) << 6)),
		    in);
	default:
		return illegal(in);
	}
}

bool decode(uint32_t raw, struct insn *in)
{
	in->csr = 0;
	if (decode_length((uint16_t)raw) == 4) {
		in->len = 4;
		in->raw = raw;
		return decode32(raw, in);
	}
	raw &= 0xffff;
	in->len = 2;
	in->raw = raw;
	switch (raw & 3) {
	case 0:
		return decode_c0(raw, in);
	case 1:
		return decode_c1(raw, in);
	default:
		return decode_c2(raw, in);
	}
}
