/* SPDX-License-Identifier: MIT */
/*
 * x86-64 encodings, from the Intel SDM volume 2: the REX prefix (2.2.1),
 * ModR/M and SIB (2.1.5, tables 2-2 and 2-3) and each instruction's
 * opcode table in chapters 3 and 4.
 */
#include "cpu/jit/x86.h"

#include <string.h>

void x86_buf_init(struct x86_buf *b, uint8_t *mem, size_t size)
{
	b->start = b->p = mem;
	b->end = mem + size;
	b->overflow = false;
}

void x86_emit(struct x86_buf *b, const void *bytes, size_t n)
{
	if (b->overflow || (size_t)(b->end - b->p) < n) {
		b->overflow = true;
		return;
	}
	memcpy(b->p, bytes, n);
	b->p += n;
}

static void x86_byte(struct x86_buf *b, uint8_t v)
{
	x86_emit(b, &v, 1);
}

static void x86_imm32(struct x86_buf *b, int32_t v)
{
	x86_emit(b, &v, 4);
}

static bool x86_fits8(int64_t v)
{
	return v >= -128 && v <= 127;
}

/*
 * REX: W selects 64-bit operands; R, X and B extend ModR/M.reg, SIB.index
 * and ModR/M.rm (or SIB.base) to r8-r15. An empty REX (0x40) is needed
 * only to name spl, bpl, sil or dil as byte registers (force).
 */
static void x86_rex(struct x86_buf *b, bool w, unsigned reg, unsigned rm,
		    bool force)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 |
				((rm >> 3) & 1));

	if (rex != 0x40 || force)
		x86_byte(b, rex);
}

/* ModR/M for a register operand in rm. */
static void x86_modrm_rr(struct x86_buf *b, unsigned reg, unsigned rm)
{
	x86_byte(b, (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/*
 * ModR/M (and SIB) for [base + disp]: no displacement when it is 0 and the
 * base is not rbp/r13 (mod 00 with rm 101 means rip-relative), else 8 or
 * 32 bits of it; a base of rsp/r12 (rm 100) needs a SIB byte.
 */
static void x86_modrm_mem(struct x86_buf *b, unsigned reg, unsigned base,
			  int32_t disp)
{
	unsigned mod = disp == 0 && (base & 7) != 5 ? 0
		       : x86_fits8(disp)	    ? 1
						    : 2;

	x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == 4)
		x86_byte(b, 0x24);
	if (mod == 1)
		x86_byte(b, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		x86_imm32(b, disp);
}

/* REX for a [base + index] operand: X extends the SIB's index, B its
 * base (force as for x86_rex()). */
static void x86_rex_sib(struct x86_buf *b, bool w, unsigned reg, unsigned base,
			unsigned index, bool force)
{
	uint8_t rex = (uint8_t)(0x40 | (w ? 8 : 0) | ((reg >> 3) & 1) << 2 |
				((index >> 3) & 1) << 1 | ((base >> 3) & 1));

	if (rex != 0x40 || force)
		x86_byte(b, rex);
}

/*
 * ModR/M and SIB for [base + (index << scale) + disp] (index not rsp):
 * the displacement's size as x86_modrm_mem() picks it (an rbp/r13 base
 * always has one: mod 00 there means no base).
 */
static void x86_modrm_sib(struct x86_buf *b, unsigned reg, unsigned base,
			  unsigned index, unsigned scale, int32_t disp)
{
	unsigned mod = disp == 0 && (base & 7) != 5 ? 0
		       : x86_fits8(disp)	    ? 1
						    : 2;

	x86_byte(b, (uint8_t)(mod << 6 | (reg & 7) << 3 | 4));
	x86_byte(b, (uint8_t)(scale << 6 | (index & 7) << 3 | (base & 7)));
	if (mod == 1)
		x86_byte(b, (uint8_t)(int8_t)disp);
	else if (mod == 2)
		x86_imm32(b, disp);
}

/* opcode (1 or 2 bytes) with a register-register ModR/M. */
static void x86_op_rr(struct x86_buf *b, const uint8_t *op, size_t n,
		      unsigned reg, unsigned rm, bool w64)
{
	x86_rex(b, w64, reg, rm, false);
	x86_emit(b, op, n);
	x86_modrm_rr(b, reg, rm);
}

/* ModR/M for [base + index + disp], or [base + disp] when index is
 * X86_NO_INDEX. */
static void x86_modrm_x(struct x86_buf *b, unsigned reg, unsigned base,
			unsigned index, int32_t disp)
{
	if (index == X86_NO_INDEX)
		x86_modrm_mem(b, reg, base, disp);
	else
		x86_modrm_sib(b, reg, base, index, 0, disp);
}

/* opcode (1 or 2 bytes) with a [base + index + disp] ModR/M. */
static void x86_op_rmx(struct x86_buf *b, const uint8_t *op, size_t n,
		       unsigned reg, unsigned base, unsigned index,
		       int32_t disp, bool w64)
{
	x86_rex_sib(b, w64, reg, base, index, false);
	x86_emit(b, op, n);
	x86_modrm_x(b, reg, base, index, disp);
}

/* opcode (1 or 2 bytes) with a [base + disp] ModR/M. */
static void x86_op_rm(struct x86_buf *b, const uint8_t *op, size_t n,
		      unsigned reg, unsigned base, int32_t disp, bool w64)
{
	x86_op_rmx(b, op, n, reg, base, X86_NO_INDEX, disp, w64);
}

void x86_mov_rr(struct x86_buf *b, enum x86_reg dst, enum x86_reg src, bool w64)
{
	static const uint8_t op[] = {0x89}; /* mov r/m, r */

	x86_op_rr(b, op, 1, src, dst, w64);
}

void x86_mov_ri(struct x86_buf *b, enum x86_reg dst, uint64_t imm)
{
	if (imm <= UINT32_MAX) {
		/* mov r32, imm32 (B8+r) zero-extends. */
		uint32_t v = (uint32_t)imm;

		x86_rex(b, false, 0, dst, false);
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_emit(b, &v, 4);
	} else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
		static const uint8_t op[] = {0xc7}; /* mov r/m64, imm32 */

		x86_op_rr(b, op, 1, 0, dst, true);
		x86_imm32(b, (int32_t)imm);
	} else {
		x86_rex(b, true, 0, dst, false);
		x86_byte(b, (uint8_t)(0xb8 + (dst & 7)));
		x86_emit(b, &imm, 8);
	}
}

void x86_load_index(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		    enum x86_reg index, int32_t disp, unsigned size,
		    bool signed_)
{
	static const uint8_t mov[] = {0x8b}, movsxd[] = {0x63};
	static const uint8_t movzx8[] = {0x0f, 0xb6}, movsx8[] = {0x0f, 0xbe};
	static const uint8_t movzx16[] = {0x0f, 0xb7}, movsx16[] = {0x0f, 0xbf};

	switch (size) {
	case 1:
		x86_op_rmx(b, signed_ ? movsx8 : movzx8, 2, dst, base, index,
			   disp, signed_);
		break;
	case 2:
		x86_op_rmx(b, signed_ ? movsx16 : movzx16, 2, dst, base, index,
			   disp, signed_);
		break;
	case 4:
		x86_op_rmx(b, signed_ ? movsxd : mov, 1, dst, base, index, disp,
			   signed_);
		break;
	default:
		x86_op_rmx(b, mov, 1, dst, base, index, disp, true);
		break;
	}
}

void x86_load(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
	      int32_t disp, unsigned size, bool signed_)
{
	x86_load_index(b, dst, base, X86_NO_INDEX, disp, size, signed_);
}

void x86_store_index(struct x86_buf *b, enum x86_reg base, enum x86_reg index,
		     int32_t disp, enum x86_reg src, unsigned size)
{
	static const uint8_t mov8[] = {0x88}, mov[] = {0x89};

	switch (size) {
	case 1:
		x86_rex_sib(b, false, src, base, index,
			    src >= X86_RSP && src <= X86_RDI);
		x86_emit(b, mov8, 1);
		x86_modrm_x(b, src, base, index, disp);
		break;
	case 2:
		x86_byte(b, 0x66); /* operand-size prefix, before REX */
		x86_op_rmx(b, mov, 1, src, base, index, disp, false);
		break;
	default:
		x86_op_rmx(b, mov, 1, src, base, index, disp, size == 8);
		break;
	}
}

void x86_store(struct x86_buf *b, enum x86_reg base, int32_t disp,
	       enum x86_reg src, unsigned size)
{
	x86_store_index(b, base, X86_NO_INDEX, disp, src, size);
}

void x86_store_imm(struct x86_buf *b, enum x86_reg base, int32_t disp,
		   int32_t imm)
{
	static const uint8_t op[] = {0xc7}; /* mov r/m64, imm32 */

	x86_op_rm(b, op, 1, 0, base, disp, true);
	x86_imm32(b, imm);
}

void x86_store_imm32(struct x86_buf *b, enum x86_reg base, int32_t disp,
		     int32_t imm)
{
	static const uint8_t op[] = {0xc7}; /* mov r/m32, imm32 */

	x86_op_rm(b, op, 1, 0, base, disp, false);
	x86_imm32(b, imm);
}

void x86_lea(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
	     int32_t disp)
{
	static const uint8_t op[] = {0x8d};

	x86_op_rm(b, op, 1, dst, base, disp, true);
}

void x86_lea_index(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		   enum x86_reg index, unsigned scale)
{
	x86_rex_sib(b, true, dst, base, index, false);
	x86_byte(b, 0x8d);
	x86_modrm_sib(b, dst, base, index, scale, 0);
}

void x86_cmov(struct x86_buf *b, enum x86_cc cc, enum x86_reg dst,
	      enum x86_reg src, bool w64)
{
	uint8_t op[] = {0x0f, (uint8_t)(0x40 | cc)};

	x86_op_rr(b, op, 2, dst, src, w64);
}

void x86_extend(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
		unsigned size, bool signed_)
{
	uint8_t op[] = {
	    0x0f, (uint8_t)((signed_ ? 0xbe : 0xb6) | (size == 2 ? 1 : 0))};

	/* A byte of spl..dil needs a REX; movsx has one anyway (REX.W). */
	x86_rex(b, signed_, dst, src,
		size == 1 && src >= X86_RSP && src <= X86_RDI);
	x86_emit(b, op, 2);
	x86_modrm_rr(b, dst, src);
}

void x86_bswap(struct x86_buf *b, enum x86_reg r, bool w64)
{
	uint8_t op[] = {0x0f, (uint8_t)(0xc8 + (r & 7))};

	x86_rex(b, w64, 0, r, false);
	x86_emit(b, op, 2);
}

void x86_alu_rr(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		enum x86_reg src, bool w64)
{
	uint8_t opc = (uint8_t)(op * 8 + 1); /* op r/m, r */

	x86_op_rr(b, &opc, 1, src, dst, w64);
}

void x86_alu_ri(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		int32_t imm, bool w64)
{
	uint8_t opc = x86_fits8(imm) ? 0x83 : 0x81;

	x86_op_rr(b, &opc, 1, op, dst, w64);
	if (opc == 0x83)
		x86_byte(b, (uint8_t)(int8_t)imm);
	else
		x86_imm32(b, imm);
}

void x86_alu_rm(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		enum x86_reg base, int32_t disp, bool w64)
{
	uint8_t opc = (uint8_t)(op * 8 + 3); /* op r, r/m */

	x86_op_rm(b, &opc, 1, dst, base, disp, w64);
}

void x86_alu_rmx(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		 enum x86_reg base, enum x86_reg index, int32_t disp, bool w64)
{
	uint8_t opc = (uint8_t)(op * 8 + 3); /* op r, r/m */

	x86_op_rmx(b, &opc, 1, dst, base, index, disp, w64);
}

void x86_alu_mi(struct x86_buf *b, enum x86_alu op, enum x86_reg base,
		int32_t disp, int32_t imm)
{
	uint8_t opc = x86_fits8(imm) ? 0x83 : 0x81;

	x86_op_rm(b, &opc, 1, op, base, disp, true);
	if (opc == 0x83)
		x86_byte(b, (uint8_t)(int8_t)imm);
	else
		x86_imm32(b, imm);
}

void x86_shift_ri(struct x86_buf *b, enum x86_shift op, enum x86_reg r,
		  uint8_t count, bool w64)
{
	static const uint8_t opc[] = {0xc1};

	x86_op_rr(b, opc, 1, op, r, w64);
	x86_byte(b, count);
}

void x86_shift_cl(struct x86_buf *b, enum x86_shift op, enum x86_reg r,
		  bool w64)
{
	static const uint8_t opc[] = {0xd3};

	x86_op_rr(b, opc, 1, op, r, w64);
}

void x86_imul_rr(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
		 bool w64)
{
	static const uint8_t op[] = {0x0f, 0xaf};

	x86_op_rr(b, op, 2, dst, src, w64);
}

void x86_imul_rm(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		 int32_t disp, bool w64)
{
	static const uint8_t op[] = {0x0f, 0xaf};

	x86_op_rm(b, op, 2, dst, base, disp, w64);
}

void x86_unary(struct x86_buf *b, enum x86_unary op, enum x86_reg r, bool w64)
{
	static const uint8_t opc[] = {0xf7};

	x86_op_rr(b, opc, 1, op, r, w64);
}

void x86_cqo(struct x86_buf *b, bool w64)
{
	x86_rex(b, w64, 0, 0, false);
	x86_byte(b, 0x99);
}

void x86_test_rr(struct x86_buf *b, enum x86_reg a, enum x86_reg c, bool w64)
{
	static const uint8_t op[] = {0x85};

	x86_op_rr(b, op, 1, c, a, w64);
}

void x86_setcc_zx(struct x86_buf *b, enum x86_cc cc, enum x86_reg r)
{
	bool byte_rex = r >= X86_RSP && r <= X86_RDI;
	uint8_t setcc[] = {0x0f, (uint8_t)(0x90 | cc)};
	static const uint8_t movzx[] = {0x0f, 0xb6};

	x86_rex(b, false, 0, r, byte_rex);
	x86_emit(b, setcc, 2);
	x86_modrm_rr(b, 0, r);
	x86_rex(b, false, r, r, byte_rex);
	x86_emit(b, movzx, 2);
	x86_modrm_rr(b, r, r);
}

void x86_movsxd(struct x86_buf *b, enum x86_reg dst, enum x86_reg src)
{
	static const uint8_t op[] = {0x63};

	x86_op_rr(b, op, 1, dst, src, true);
}

/* The displacement field just emitted, or NULL after an overflow. */
static uint8_t *x86_rel32(struct x86_buf *b)
{
	x86_imm32(b, 0);
	return b->overflow ? NULL : b->p - 4;
}

uint8_t *x86_jcc_fwd(struct x86_buf *b, enum x86_cc cc)
{
	uint8_t op[] = {0x0f, (uint8_t)(0x80 | cc)};

	x86_emit(b, op, 2);
	return x86_rel32(b);
}

uint8_t *x86_jmp_fwd(struct x86_buf *b)
{
	x86_byte(b, 0xe9);
	return x86_rel32(b);
}

void x86_patch(struct x86_buf *b, uint8_t *disp, const uint8_t *target)
{
	int32_t rel;

	if (!disp || b->overflow)
		return;
	rel = (int32_t)(target - (disp + 4));
	memcpy(disp, &rel, 4);
}

void x86_jmp_r(struct x86_buf *b, enum x86_reg r)
{
	static const uint8_t op[] = {0xff};

	x86_op_rr(b, op, 1, 4, r, false);
}

void x86_call_r(struct x86_buf *b, enum x86_reg r)
{
	static const uint8_t op[] = {0xff};

	x86_op_rr(b, op, 1, 2, r, false);
}

void x86_call_m(struct x86_buf *b, enum x86_reg base, int32_t disp)
{
	static const uint8_t op[] = {0xff};

	x86_op_rm(b, op, 1, 2, base, disp, false);
}

void x86_call_rel(struct x86_buf *b, const uint8_t *target)
{
	x86_byte(b, 0xe8);
	x86_patch(b, x86_rel32(b), target);
}

void x86_count(struct x86_buf *b, enum x86_count op, enum x86_reg dst,
	       enum x86_reg src, bool w64)
{
	uint8_t opc[] = {0x0f, (uint8_t)op};

	x86_byte(b, 0xf3); /* a mandatory prefix, before REX */
	x86_op_rr(b, opc, 2, dst, src, w64);
}

void x86_bt_rr(struct x86_buf *b, enum x86_bt op, enum x86_reg r,
	       enum x86_reg bit, bool w64)
{
	/* bt 0F A3, bts AB, btr B3, btc BB: 0xa3 + 8 * (digit - 4). */
	uint8_t opc[] = {0x0f, (uint8_t)(0xa3 + 8 * (op - X86_BT))};

	x86_op_rr(b, opc, 2, bit, r, w64);
}

void x86_bt_ri(struct x86_buf *b, enum x86_bt op, enum x86_reg r, uint8_t imm,
	       bool w64)
{
	static const uint8_t opc[] = {0x0f, 0xba};

	x86_op_rr(b, opc, 2, op, r, w64);
	x86_byte(b, imm);
}

/* An SSE instruction: mandatory prefix (0: none), REX, 0F op, ModR/M
 * with reg and a register (rm) or [base + disp] (mem). */
static void x86_sse_op(struct x86_buf *b, uint8_t prefix, uint8_t op,
		       unsigned reg, unsigned rm, bool mem, int32_t disp,
		       bool w64)
{
	uint8_t opc[] = {0x0f, op};

	if (prefix)
		x86_byte(b, prefix);
	if (mem)
		x86_op_rm(b, opc, 2, reg, rm, disp, w64);
	else
		x86_op_rr(b, opc, 2, reg, rm, w64);
}

static uint8_t x86_scalar(bool dbl)
{
	return dbl ? 0xf2 : 0xf3;
}

void x86_sse_rr(struct x86_buf *b, enum x86_sse op, bool dbl, enum x86_xmm dst,
		enum x86_xmm src)
{
	x86_sse_op(b, x86_scalar(dbl), (uint8_t)op, dst, src, false, 0, false);
}

void x86_sse_rm(struct x86_buf *b, enum x86_sse op, bool dbl, enum x86_xmm dst,
		enum x86_reg base, int32_t disp)
{
	x86_sse_op(b, x86_scalar(dbl), (uint8_t)op, dst, base, true, disp,
		   false);
}

void x86_movs_load(struct x86_buf *b, bool dbl, enum x86_xmm dst,
		   enum x86_reg base, int32_t disp)
{
	x86_sse_op(b, x86_scalar(dbl), 0x10, dst, base, true, disp, false);
}

void x86_movs_store(struct x86_buf *b, bool dbl, enum x86_reg base,
		    int32_t disp, enum x86_xmm src)
{
	x86_sse_op(b, x86_scalar(dbl), 0x11, src, base, true, disp, false);
}

void x86_movdqu_load(struct x86_buf *b, enum x86_xmm dst, enum x86_reg base,
		     int32_t disp)
{
	x86_sse_op(b, 0xf3, 0x6f, dst, base, true, disp, false);
}

void x86_movdqu_store(struct x86_buf *b, enum x86_reg base, int32_t disp,
		      enum x86_xmm src)
{
	x86_sse_op(b, 0xf3, 0x7f, src, base, true, disp, false);
}

void x86_movq_to_xmm(struct x86_buf *b, enum x86_xmm dst, enum x86_reg src,
		     bool w64)
{
	x86_sse_op(b, 0x66, 0x6e, dst, src, false, 0, w64);
}

void x86_movq_from_xmm(struct x86_buf *b, enum x86_reg dst, enum x86_xmm src,
		       bool w64)
{
	x86_sse_op(b, 0x66, 0x7e, src, dst, false, 0, w64);
}

void x86_comis_rm(struct x86_buf *b, bool quiet, bool dbl, enum x86_xmm a,
		  enum x86_reg base, int32_t disp)
{
	x86_sse_op(b, dbl ? 0x66 : 0, quiet ? 0x2e : 0x2f, a, base, true, disp,
		   false);
}

void x86_comis_rr(struct x86_buf *b, bool quiet, bool dbl, enum x86_xmm a,
		  enum x86_xmm c)
{
	x86_sse_op(b, dbl ? 0x66 : 0, quiet ? 0x2e : 0x2f, a, c, false, 0,
		   false);
}

void x86_cvt_from_int(struct x86_buf *b, bool dbl, enum x86_xmm dst,
		      enum x86_reg src, bool w64)
{
	x86_sse_op(b, x86_scalar(dbl), 0x2a, dst, src, false, 0, w64);
}

void x86_cvt_to_int(struct x86_buf *b, bool dbl, enum x86_reg dst,
		    enum x86_xmm src, bool w64, bool trunc)
{
	x86_sse_op(b, x86_scalar(dbl), trunc ? 0x2c : 0x2d, dst, src, false, 0,
		   w64);
}

void x86_fma_rm(struct x86_buf *b, enum x86_fma op, bool dbl, enum x86_xmm dst,
		enum x86_xmm src1, enum x86_reg base, int32_t disp)
{
	/* Three-byte VEX (SDM 2.3.5): C4, then ~R ~X ~B and the map 0F38
	 * (00010), then W (double), ~vvvv (src1), L 0 and pp 01 (66). */
	uint8_t vex[] = {
	    0xc4,
	    (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (base & 8 ? 0 : 0x20) | 2),
	    (uint8_t)((dbl ? 0x80 : 0) | (~src1 & 15) << 3 | 1),
	    (uint8_t)op,
	};

	x86_emit(b, vex, sizeof(vex));
	x86_modrm_mem(b, dst, base, disp);
}

void x86_rorx(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
	      uint8_t imm)
{
	/* VEX.LZ.F2.0F3A.W1 F0 /r ib: C4, ~R ~X ~B and the map 0F3A
	 * (00011), then W 1, vvvv 1111 (none), L 0 and pp 11 (F2). */
	uint8_t code[] = {
	    0xc4,
	    (uint8_t)((dst & 8 ? 0 : 0x80) | 0x40 | (src & 8 ? 0 : 0x20) | 3),
	    0xfb,
	    0xf0,
	    (uint8_t)(0xc0 | (dst & 7) << 3 | (src & 7)),
	    imm,
	};

	x86_emit(b, code, sizeof(code));
}

void x86_stmxcsr(struct x86_buf *b, enum x86_reg base, int32_t disp)
{
	x86_sse_op(b, 0, 0xae, 3, base, true, disp, false);
}

void x86_ldmxcsr(struct x86_buf *b, enum x86_reg base, int32_t disp)
{
	x86_sse_op(b, 0, 0xae, 2, base, true, disp, false);
}

void x86_push(struct x86_buf *b, enum x86_reg r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x50 + (r & 7)));
}

void x86_pop(struct x86_buf *b, enum x86_reg r)
{
	x86_rex(b, false, 0, r, false);
	x86_byte(b, (uint8_t)(0x58 + (r & 7)));
}

void x86_ret(struct x86_buf *b)
{
	x86_byte(b, 0xc3);
}
