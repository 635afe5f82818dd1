/* SPDX-License-Identifier: MIT */
/*
 * A small x86-64 instruction encoder for the translating CPU tier, written
 * from the Intel SDM's encoding tables (volume 2, chapters 2 and 3): the
 * general-purpose instructions the translator needs, on 64-bit registers
 * (or their 32-bit halves, which zero the upper half), immediates and
 * [base + disp] memory operands. Nothing here knows about RISC-V.
 *
 * Every emitter appends to a struct x86_buf. Nothing is ever written past
 * the buffer's end: an instruction that does not fit sets overflow, and
 * what the buffer holds is then unusable, so a caller emits a whole
 * sequence and checks once (the translator then flushes its cache and
 * tries again).
 */
#ifndef MEMVISOR_CPU_JIT_X86_H
#define MEMVISOR_CPU_JIT_X86_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum x86_reg {
	X86_RAX,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
};

/* The eight classic ALU operations: the /digit of opcodes 0x81 and 0x83. */
enum x86_alu {
	X86_ADD = 0,
	X86_OR = 1,
	X86_AND = 4,
	X86_SUB = 5,
	X86_XOR = 6,
	X86_CMP = 7,
};

/* Shifts: the /digit of opcodes 0xc1 and 0xd3. */
enum x86_shift {
	X86_ROL = 0,
	X86_ROR = 1,
	X86_SHL = 4,
	X86_SHR = 5,
	X86_SAR = 7,
};

/* The one-operand group of opcode 0xf7 (the /digit). */
enum x86_unary {
	X86_NOT = 2,
	X86_NEG = 3,
	X86_MUL = 4,   /* rdx:rax = rax * r, unsigned */
	X86_IMUL1 = 5, /* rdx:rax = rax * r, signed */
	X86_DIV = 6,   /* rax, rdx = rdx:rax / r, % r, unsigned */
	X86_IDIV = 7,  /* the same, signed */
};

/* Condition codes (the low nibble of Jcc and SETcc). */
enum x86_cc {
	X86_CC_O = 0x0,	 /* overflow */
	X86_CC_P = 0xa,	 /* parity: unordered after (u)comis* */
	X86_CC_NP = 0xb, /* no parity: ordered */
	X86_CC_B = 0x2,	 /* unsigned < */
	X86_CC_AE = 0x3, /* unsigned >= */
	X86_CC_A = 0x7,	 /* unsigned > */
	X86_CC_E = 0x4,
	X86_CC_NE = 0x5,
	X86_CC_BE = 0x6, /* unsigned <= */
	X86_CC_L = 0xc,	 /* signed < */
	X86_CC_GE = 0xd, /* signed >= */
	X86_CC_LE = 0xe, /* signed <= */
	X86_CC_G = 0xf,	 /* signed > */
};

/* SSE registers. */
enum x86_xmm {
	X86_XMM0,
	X86_XMM1,
	X86_XMM2,
	X86_XMM3,
	X86_XMM4,
	X86_XMM5,
	X86_XMM6,
	X86_XMM7,
	X86_XMM8,
	X86_XMM9,
	X86_XMM10,
	X86_XMM11,
	X86_XMM12,
	X86_XMM13,
	X86_XMM14,
	X86_XMM15,
};

/* Scalar SSE arithmetic: the opcode after 0F of its ss/sd forms (F3/F2). */
enum x86_sse {
	X86_SQRTS = 0x51,
	X86_ADDS = 0x58,
	X86_MULS = 0x59,
	X86_CVTS = 0x5a, /* sd: to single (cvtsd2ss), ss: to double */
	X86_SUBS = 0x5c,
	X86_MINS = 0x5d,
	X86_DIVS = 0x5e,
	X86_MAXS = 0x5f,
};

/* The FMA3 scalar forms vf*213s[sd] dst, src1, src2: dst = dst * src1
 * then the addend src2 (the opcode after VEX's 0F38 map). */
enum x86_fma {
	X86_FMADD = 0xa9,  /* dst * src1 + src2 */
	X86_FMSUB = 0xab,  /* dst * src1 - src2 */
	X86_FNMADD = 0xad, /* -(dst * src1) + src2 */
	X86_FNMSUB = 0xaf, /* -(dst * src1) - src2 */
};

/* Bit counts (F3 0F xx): lzcnt and tzcnt need LZCNT/BMI1, popcnt POPCNT
 * (without them the same bytes are bsr, bsf or undefined). */
enum x86_count {
	X86_POPCNT = 0xb8,
	X86_TZCNT = 0xbc,
	X86_LZCNT = 0xbd,
};

/* Bit tests: the /digit of 0F BA (bt* r/m, imm8); 0F A3/AB/B3/BB take
 * the bit number from a register. */
enum x86_bt {
	X86_BT = 4,
	X86_BTS = 5,
	X86_BTR = 6,
	X86_BTC = 7,
};

struct x86_buf {
	uint8_t *start; /* where emitting began */
	uint8_t *p;	/* the next byte */
	uint8_t *end;	/* one past the last byte available */
	bool overflow;	/* something did not fit: the contents are unusable */
};

/* Start emitting into [mem, mem + size). */
void x86_buf_init(struct x86_buf *b, uint8_t *mem, size_t size);

/* Bytes emitted so far. */
static inline size_t x86_buf_len(const struct x86_buf *b)
{
	return (size_t)(b->p - b->start);
}

/* Append raw bytes (used by the emitters; also for padding). */
void x86_emit(struct x86_buf *b, const void *bytes, size_t n);

/*
 * Register moves and constants. w64 false: the 32-bit form, which zeroes
 * the destination's upper half. x86_mov_ri picks the shortest encoding
 * that loads the 64-bit value imm.
 */
void x86_mov_rr(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
		bool w64);
void x86_mov_ri(struct x86_buf *b, enum x86_reg dst, uint64_t imm);

/* An index register that is none: rsp, which x86 cannot index by. */
#define X86_NO_INDEX X86_RSP

/*
 * Memory at [base + disp], or [base + index + disp] (index not rsp:
 * X86_NO_INDEX for none). x86_load: size 1, 2, 4 or 8 bytes into dst,
 * zero- or sign-extended to 64 bits (signed). x86_store: the low size
 * bytes of src. x86_store_imm: an 8-byte store of imm sign-extended.
 */
void x86_load(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
	      int32_t disp, unsigned size, bool signed_);
void x86_load_index(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		    enum x86_reg index, int32_t disp, unsigned size,
		    bool signed_);
void x86_store(struct x86_buf *b, enum x86_reg base, int32_t disp,
	       enum x86_reg src, unsigned size);
void x86_store_index(struct x86_buf *b, enum x86_reg base, enum x86_reg index,
		     int32_t disp, enum x86_reg src, unsigned size);
void x86_store_imm(struct x86_buf *b, enum x86_reg base, int32_t disp,
		   int32_t imm);

/* A 4-byte store of imm: mov dword [base + disp], imm. */
void x86_store_imm32(struct x86_buf *b, enum x86_reg base, int32_t disp,
		     int32_t imm);

/* lea dst, [base + disp] (64-bit). */
void x86_lea(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
	     int32_t disp);

/* lea dst, [base + index << scale] (64-bit; scale 0-3, index not rsp). */
void x86_lea_index(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		   enum x86_reg index, unsigned scale);

/* cmovcc dst, src. */
void x86_cmov(struct x86_buf *b, enum x86_cc cc, enum x86_reg dst,
	      enum x86_reg src, bool w64);

/* dst = the low size (1 or 2) bytes of src, sign-extended to 64 bits
 * (movsx) or zero-extended (movzx). */
void x86_extend(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
		unsigned size, bool signed_);

/* bswap r. */
void x86_bswap(struct x86_buf *b, enum x86_reg r, bool w64);

/* rorx dst, src, imm (BMI2; 64 bits): dst = src rotated right by imm,
 * src and the flags unchanged. */
void x86_rorx(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
	      uint8_t imm);

/*
 * ALU operations: dst op= src, dst op= imm (sign-extended; the short form
 * when it fits in 8 bits), dst op= [base + disp], dst op= [base + index +
 * disp] (index not rsp), [base + disp] op= imm (64-bit memory operand).
 */
void x86_alu_rr(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		enum x86_reg src, bool w64);
void x86_alu_ri(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		int32_t imm, bool w64);
void x86_alu_rm(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		enum x86_reg base, int32_t disp, bool w64);
void x86_alu_rmx(struct x86_buf *b, enum x86_alu op, enum x86_reg dst,
		 enum x86_reg base, enum x86_reg index, int32_t disp, bool w64);
void x86_alu_mi(struct x86_buf *b, enum x86_alu op, enum x86_reg base,
		int32_t disp, int32_t imm);

/* Shifts by an immediate count, or by cl (masked by the CPU to 5 or 6
 * bits, as RISC-V's shifts mask theirs). */
void x86_shift_ri(struct x86_buf *b, enum x86_shift op, enum x86_reg r,
		  uint8_t count, bool w64);
void x86_shift_cl(struct x86_buf *b, enum x86_shift op, enum x86_reg r,
		  bool w64);

/* dst = low half of dst * src, or dst * [base + disp] (signed multiply). */
void x86_imul_rr(struct x86_buf *b, enum x86_reg dst, enum x86_reg src,
		 bool w64);
void x86_imul_rm(struct x86_buf *b, enum x86_reg dst, enum x86_reg base,
		 int32_t disp, bool w64);

/* One-operand operations on r (and rax, rdx: see enum x86_unary). */
void x86_unary(struct x86_buf *b, enum x86_unary op, enum x86_reg r, bool w64);

/* cqo (w64) or cdq: rdx = the sign of rax (eax), for a signed division. */
void x86_cqo(struct x86_buf *b, bool w64);

/* test a, b (flags of a & b). */
void x86_test_rr(struct x86_buf *b, enum x86_reg a, enum x86_reg c, bool w64);

/* setcc on the low byte of r, then movzx r32, r8: r = cc ? 1 : 0. */
void x86_setcc_zx(struct x86_buf *b, enum x86_cc cc, enum x86_reg r);

/* movsxd dst, src32: sign-extend the low 32 bits of src into dst. */
void x86_movsxd(struct x86_buf *b, enum x86_reg dst, enum x86_reg src);

/*
 * Jumps with a 32-bit displacement. The forward forms return the position
 * of the displacement, for x86_patch() once the target is known (NULL
 * after an overflow; x86_patch ignores it then).
 */
uint8_t *x86_jcc_fwd(struct x86_buf *b, enum x86_cc cc);
uint8_t *x86_jmp_fwd(struct x86_buf *b);
void x86_patch(struct x86_buf *b, uint8_t *disp, const uint8_t *target);

/* jmp/call to an absolute address through r (jmp r / call r). */
void x86_jmp_r(struct x86_buf *b, enum x86_reg r);
void x86_call_r(struct x86_buf *b, enum x86_reg r);

/* call the address stored at [base + disp]. */
void x86_call_m(struct x86_buf *b, enum x86_reg base, int32_t disp);

/* call target, within 2 GiB of the call (an address of b's own memory). */
void x86_call_rel(struct x86_buf *b, const uint8_t *target);

/*
 * Bit operations on r: count into dst (enum x86_count); bt* of the bit
 * numbered by bit (masked to 5 or 6 bits by the CPU) or by imm; bt leaves
 * it in CF, bts/btr/btc set, clear or flip it as well.
 */
void x86_count(struct x86_buf *b, enum x86_count op, enum x86_reg dst,
	       enum x86_reg src, bool w64);
void x86_bt_rr(struct x86_buf *b, enum x86_bt op, enum x86_reg r,
	       enum x86_reg bit, bool w64);
void x86_bt_ri(struct x86_buf *b, enum x86_bt op, enum x86_reg r, uint8_t imm,
	       bool w64);

/*
 * Scalar SSE, double precision (dbl) or single: dst op= src, or op=
 * [base + disp] (8 or 4 bytes). movs*: the scalar load (which zeroes the
 * rest of dst) and store.
 */
void x86_sse_rr(struct x86_buf *b, enum x86_sse op, bool dbl, enum x86_xmm dst,
		enum x86_xmm src);
void x86_sse_rm(struct x86_buf *b, enum x86_sse op, bool dbl, enum x86_xmm dst,
		enum x86_reg base, int32_t disp);
void x86_movs_load(struct x86_buf *b, bool dbl, enum x86_xmm dst,
		   enum x86_reg base, int32_t disp);
void x86_movs_store(struct x86_buf *b, bool dbl, enum x86_reg base,
		    int32_t disp, enum x86_xmm src);

/* movdqu: 16 bytes between memory and an xmm register. */
void x86_movdqu_load(struct x86_buf *b, enum x86_xmm dst, enum x86_reg base,
		     int32_t disp);
void x86_movdqu_store(struct x86_buf *b, enum x86_reg base, int32_t disp,
		      enum x86_xmm src);

/* movq/movd between an SSE register's low 64 (w64) or 32 bits and a
 * general register (to xmm: the rest of it zeroed). */
void x86_movq_to_xmm(struct x86_buf *b, enum x86_xmm dst, enum x86_reg src,
		     bool w64);
void x86_movq_from_xmm(struct x86_buf *b, enum x86_reg dst, enum x86_xmm src,
		       bool w64);

/* (u)comis[sd] a, [base + disp]: ZF, PF, CF from the comparison
 * (unordered: all three set). ucomis* raises invalid for a signalling
 * NaN only (quiet), comis* for any NaN (signalling). */
void x86_comis_rm(struct x86_buf *b, bool quiet, bool dbl, enum x86_xmm a,
		  enum x86_reg base, int32_t disp);
void x86_comis_rr(struct x86_buf *b, bool quiet, bool dbl, enum x86_xmm a,
		  enum x86_xmm c);

/* cvtsi2s[sd] dst, src (its 64 bits when w64, else 32, signed). */
void x86_cvt_from_int(struct x86_buf *b, bool dbl, enum x86_xmm dst,
		      enum x86_reg src, bool w64);

/* cvt(t)s[sd]2si dst, src: to a signed 64- (w64) or 32-bit integer,
 * rounded by MXCSR or truncated (trunc); 0x80...0 when out of range. */
void x86_cvt_to_int(struct x86_buf *b, bool dbl, enum x86_reg dst,
		    enum x86_xmm src, bool w64, bool trunc);

/* vf*213s[sd] dst, src1, [base + disp] (VEX; needs FMA). */
void x86_fma_rm(struct x86_buf *b, enum x86_fma op, bool dbl, enum x86_xmm dst,
		enum x86_xmm src1, enum x86_reg base, int32_t disp);

/* stmxcsr / ldmxcsr [base + disp]. */
void x86_stmxcsr(struct x86_buf *b, enum x86_reg base, int32_t disp);
void x86_ldmxcsr(struct x86_buf *b, enum x86_reg base, int32_t disp);

void x86_push(struct x86_buf *b, enum x86_reg r);
void x86_pop(struct x86_buf *b, enum x86_reg r);
void x86_ret(struct x86_buf *b);

#endif
