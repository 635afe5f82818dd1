/* SPDX-License-Identifier: MIT */
/*
 * The integer instructions a translation runs natively (cpu/jit/
 * translate_int.h): RV64IM's computations, Zba, Zbb, Zbs, Zicond, and the
 * table that says which handlers have a native form.
 */
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>

#include "cpu/exec_bitmanip.h"
#include "cpu/jit/translate_int.h"

static const struct tr_op tr_ops[] = {
    {exec_sh1add, TR_SHADD, 1, false},
    {exec_sh2add, TR_SHADD, 2, false},
    {exec_sh3add, TR_SHADD, 3, false},
    {exec_add_uw, TR_SHADD, 4 | 0, false},
    {exec_sh1add_uw, TR_SHADD, 4 | 1, false},
    {exec_sh2add_uw, TR_SHADD, 4 | 2, false},
    {exec_sh3add_uw, TR_SHADD, 4 | 3, false},
    {exec_slli_uw, TR_SLLIUW, 0, false},
    {exec_andn, TR_LOGICN, X86_AND, false},
    {exec_orn, TR_LOGICN, X86_OR, false},
    {exec_xnor, TR_LOGICN, X86_XOR, false},
    {exec_min, TR_MINMAX, X86_CC_G, false},
    {exec_max, TR_MINMAX, X86_CC_L, false},
    {exec_minu, TR_MINMAX, X86_CC_A, false},
    {exec_maxu, TR_MINMAX, X86_CC_B, false},
    {exec_sext_b, TR_EXTEND, 4 | 1, false},
    {exec_sext_h, TR_EXTEND, 4 | 2, false},
    {exec_zext_h, TR_EXTEND, 2, false},
    {exec_rol, TR_SHIFT_RR, X86_ROL, false},
    {exec_ror, TR_SHIFT_RR, X86_ROR, false},
    {exec_rolw, TR_SHIFT_RR, X86_ROL, true},
    {exec_rorw, TR_SHIFT_RR, X86_ROR, true},
    {exec_rori, TR_SHIFT_RI, X86_ROR, false},
    {exec_roriw, TR_SHIFT_RI, X86_ROR, true},
    {exec_rev8, TR_REV8, 0, false},
    {exec_clz, TR_COUNT, X86_LZCNT, false},
    {exec_clzw, TR_COUNT, X86_LZCNT, true},
    {exec_ctz, TR_COUNT, X86_TZCNT, false},
    {exec_ctzw, TR_COUNT, X86_TZCNT, true},
    {exec_cpop, TR_COUNT, X86_POPCNT, false},
    {exec_cpopw, TR_COUNT, X86_POPCNT, true},
    {exec_bset, TR_BIT_RR, X86_BTS, false},
    {exec_bclr, TR_BIT_RR, X86_BTR, false},
    {exec_binv, TR_BIT_RR, X86_BTC, false},
    {exec_bext, TR_BIT_RR, X86_BT, false},
    {exec_bseti, TR_BIT_RI, X86_BTS, false},
    {exec_bclri, TR_BIT_RI, X86_BTR, false},
    {exec_binvi, TR_BIT_RI, X86_BTC, false},
    {exec_bexti, TR_BIT_RI, X86_BT, false},
    {exec_czero_eqz, TR_CZERO, X86_CC_E, false},
    {exec_czero_nez, TR_CZERO, X86_CC_NE, false},
    {exec_mulh, TR_MULH, X86_IMUL1, false},
    {exec_mulhu, TR_MULH, X86_MUL, false},
    {exec_div, TR_DIV, TR_SIGNED, false},
    {exec_divu, TR_DIV, 0, false},
    {exec_rem, TR_DIV, TR_SIGNED | TR_REM, false},
    {exec_remu, TR_DIV, TR_REM, false},
    {exec_divw, TR_DIV, TR_SIGNED, true},
    {exec_divuw, TR_DIV, 0, true},
    {exec_remw, TR_DIV, TR_SIGNED | TR_REM, true},
    {exec_remuw, TR_DIV, TR_REM, true},
    {exec_add, TR_ALU_RR, X86_ADD, false},
    {exec_sub, TR_ALU_RR, X86_SUB, false},
    {exec_xor, TR_ALU_RR, X86_XOR, false},
    {exec_or, TR_ALU_RR, X86_OR, false},
    {exec_and, TR_ALU_RR, X86_AND, false},
    {exec_addw, TR_ALU_RR, X86_ADD, true},
    {exec_subw, TR_ALU_RR, X86_SUB, true},
    {exec_addi, TR_ALU_RI, X86_ADD, false},
    {exec_xori, TR_ALU_RI, X86_XOR, false},
    {exec_ori, TR_ALU_RI, X86_OR, false},
    {exec_andi, TR_ALU_RI, X86_AND, false},
    {exec_addiw, TR_ALU_RI, X86_ADD, true},
    {exec_sll, TR_SHIFT_RR, X86_SHL, false},
    {exec_srl, TR_SHIFT_RR, X86_SHR, false},
    {exec_sra, TR_SHIFT_RR, X86_SAR, false},
    {exec_sllw, TR_SHIFT_RR, X86_SHL, true},
    {exec_srlw, TR_SHIFT_RR, X86_SHR, true},
    {exec_sraw, TR_SHIFT_RR, X86_SAR, true},
    {exec_slli, TR_SHIFT_RI, X86_SHL, false},
    {exec_srli, TR_SHIFT_RI, X86_SHR, false},
    {exec_srai, TR_SHIFT_RI, X86_SAR, false},
    {exec_slliw, TR_SHIFT_RI, X86_SHL, true},
    {exec_srliw, TR_SHIFT_RI, X86_SHR, true},
    {exec_sraiw, TR_SHIFT_RI, X86_SAR, true},
    {exec_mul, TR_MUL, 0, false},
    {exec_mulw, TR_MUL, 0, true},
    {exec_slt, TR_SET_RR, X86_CC_L, false},
    {exec_sltu, TR_SET_RR, X86_CC_B, false},
    {exec_slti, TR_SET_RI, X86_CC_L, false},
    {exec_sltiu, TR_SET_RI, X86_CC_B, false},
    {exec_li, TR_LI, 0, false},
    {exec_lui, TR_LI, 0, false},
    {exec_mv, TR_MV, 0, false},
    {exec_auipc, TR_AUIPC, 0, false},
    {exec_beq, TR_BRANCH, X86_CC_E, false},
    {exec_bne, TR_BRANCH, X86_CC_NE, false},
    {exec_blt, TR_BRANCH, X86_CC_L, false},
    {exec_bge, TR_BRANCH, X86_CC_GE, false},
    {exec_bltu, TR_BRANCH, X86_CC_B, false},
    {exec_bgeu, TR_BRANCH, X86_CC_AE, false},
    {exec_jal, TR_JAL, 0, false},
    {exec_jalr, TR_JALR, 0, false},
    {exec_fallthrough, TR_FALLTHROUGH, 0, false},
    {exec_lb, TR_LOAD, 1, true},
    {exec_lh, TR_LOAD, 2, true},
    {exec_lw, TR_LOAD, 4, true},
    {exec_ld, TR_LOAD, 8, false},
    {exec_lbu, TR_LOAD, 1, false},
    {exec_lhu, TR_LOAD, 2, false},
    {exec_lwu, TR_LOAD, 4, false},
    {exec_sb, TR_STORE, 1, false},
    {exec_sh, TR_STORE, 2, false},
    {exec_sw, TR_STORE, 4, false},
    {exec_sd, TR_STORE, 8, false},
};

static struct tr_host tr_host_found;
static pthread_once_t tr_host_once = PTHREAD_ONCE_INIT;

/* CPUID (SDM vol. 2, CPUID): leaf 1 ECX POPCNT, FMA, OSXSAVE, AVX; leaf
 * 7 EBX BMI1 (tzcnt), BMI2 (rorx); leaf 0x80000001 ECX ABM (lzcnt). FMA's VEX
 * code also needs the OS to save the AVX state (XCR0 bits 1 and 2). */
static void tr_host_probe(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d)) {
		tr_host_found.popcnt = c & bit_POPCNT;
		if ((c & bit_FMA) && (c & bit_OSXSAVE) && (c & bit_AVX)) {
			unsigned lo, hi;

			__asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
			tr_host_found.fma = (lo & 6) == 6;
		}
	}
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
		tr_host_found.tzcnt = b & bit_BMI;
		tr_host_found.bmi2 = b & bit_BMI2;
	}
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		tr_host_found.lzcnt = c & bit_ABM;
}

/* What the host has is the same for every VM and translation, and CPUID
 * is slow (an exit, in a virtual machine): probed once per process. */
const struct tr_host *tr_host_features(void)
{
	pthread_once(&tr_host_once, tr_host_probe);
	return &tr_host_found;
}

const struct tr_op *tr_lookup(const struct insn *in)
{
	for (size_t i = 0; i < sizeof(tr_ops) / sizeof(tr_ops[0]); i++)
		if (tr_ops[i].fn == in->fn)
			return &tr_ops[i];
	return NULL;
}

/*
 * Division and remainder as the M extension defines them, without x86's
 * faults: by zero, the quotient is all ones and the remainder the
 * dividend; by -1 (signed), the quotient is the negated dividend (the
 * most negative number stays itself: the overflow case) and the
 * remainder 0. Returns the register holding the result (rax or rdx; a
 * *W result still to be sign-extended).
 */
static enum x86_reg tr_divide(struct tr *t, const struct tr_op *op,
			      const struct insn *in)
{
	struct x86_buf *b = t->b;
	bool w64 = !op->w32, sg = op->op & TR_SIGNED, rem = op->op & TR_REM;
	uint8_t *zero, *minus1 = NULL, *done[2];
	unsigned ndone = 0;

	tr_get(t, X86_RCX, in->rs2);
	tr_get(t, X86_RAX, in->rs1);
	x86_test_rr(b, X86_RCX, X86_RCX, w64);
	zero = x86_jcc_fwd(b, X86_CC_E);
	if (sg) {
		x86_alu_ri(b, X86_CMP, X86_RCX, -1, w64);
		minus1 = x86_jcc_fwd(b, X86_CC_E);
		x86_cqo(b, w64);
		x86_unary(b, X86_IDIV, X86_RCX, w64);
	} else {
		x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		x86_unary(b, X86_DIV, X86_RCX, w64);
	}
	done[ndone++] = x86_jmp_fwd(b);
	if (sg) {
		x86_patch(b, minus1, b->p);
		if (rem)
			x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		else
			x86_unary(b, X86_NEG, X86_RAX, w64);
		done[ndone++] = x86_jmp_fwd(b);
	}
	x86_patch(b, zero, b->p);
	if (rem)
		x86_mov_rr(b, X86_RDX, X86_RAX, true);
	else
		x86_mov_ri(b, X86_RAX, UINT64_MAX);
	for (unsigned i = 0; i < ndone; i++)
		x86_patch(b, done[i], b->p);
	return rem ? X86_RDX : X86_RAX;
}

/* A 64-bit shift by an immediate (op X86_SHL or X86_SHR) of rs1 to rd? */
static bool tr_is_shift(const struct insn *in, int op)
{
	const struct tr_op *o = tr_lookup(in);

	return o && o->kind == TR_SHIFT_RI && !o->w32 && o->op == op &&
	       in->rd < 32 && in->rs1 < 32;
}

bool tr_rotate(struct tr *t, const struct insn *in)
{
	const struct insn *l = &in[0], *r = &in[1], *c = &in[2];
	const struct tr_op *oc = tr_lookup(c);
	enum x86_reg x;

	if (!tr_is_shift(l, X86_SHL)) { /* the srli first */
		l = &in[1];
		r = &in[0];
	}
	if (!tr_is_shift(l, X86_SHL) || !tr_is_shift(r, X86_SHR) ||
	    l->rs1 != r->rs1 || l->imm + r->imm != 64 || !l->imm || !r->imm ||
	    in[0].rd == in[0].rs1 || l->rd == r->rd || !oc ||
	    oc->kind != TR_ALU_RR || oc->op != X86_OR || oc->w32 ||
	    c->rd == 32 ||
	    !((c->rs1 == l->rd && c->rs2 == r->rd) ||
	      (c->rs1 == r->rd && c->rs2 == l->rd)))
		return false;
	x = tr_src(t, l->rs1, X86_RAX);
	x86_mov_rr(t->b, X86_RDX, x, true);
	x86_shift_ri(t->b, X86_ROL, X86_RDX, (uint8_t)l->imm, true);
	/* The shifts keep rdx (they use rax at most). */
	tr_compute(t, tr_lookup(&in[0]), &in[0]);
	tr_compute(t, tr_lookup(&in[1]), &in[1]);
	tr_put(t, c->rd, X86_RDX, false);
	return true;
}

/* slli x, y, 32 then srli x, x, 32 at in[0..1]: x = y zero-extended from
 * 32 bits (zext.w without Zba). */
static bool tr_is_zext(const struct insn *in)
{
	return tr_is_shift(&in[0], X86_SHL) && tr_is_shift(&in[1], X86_SHR) &&
	       in[0].imm == 32 && in[1].imm == 32 && in[0].rd == in[1].rd &&
	       in[1].rs1 == in[1].rd;
}

unsigned tr_zext_word(struct tr *t, const struct insn *in, unsigned n)
{
	const struct tr_op *op = tr_lookup(&in[0]);
	struct tr_op wide;
	enum x86_reg r, d;
	unsigned x, k;

	if (n >= 2 && tr_is_zext(in)) {
		k = 2;
		x = in[0].rd;
		r = tr_src(t, in[0].rs1, X86_RAX);
	} else if (n >= 3 && op && op->w32 && in[0].rd < 32 &&
		   (op->kind == TR_ALU_RR || op->kind == TR_ALU_RI) &&
		   (op->op == X86_ADD || op->op == X86_SUB) &&
		   tr_is_zext(&in[1]) && in[1].rs1 == in[0].rd &&
		   in[1].rd == in[0].rd) {
		/* addw, addiw, subw: their low 32 bits are those of the
		 * 64-bit operation's, which the zero extension keeps. */
		wide = *op;
		wide.w32 = false;
		if (!tr_compute(t, &wide, &in[0]))
			return 0;
		k = 3;
		x = in[0].rd;
		r = tr_src(t, x, X86_RAX);
	} else {
		return 0;
	}
	d = tr_cached(t, x) ? tr_host(t, x) : X86_RAX;
	x86_mov_rr(t->b, d, r, false); /* zero-extends */
	tr_put(t, x, d, false);
	return k;
}

/*
 * A native instruction that does not end the block. Returns false when it
 * has no native form after all (an immediate too wide for x86's), so the
 * caller calls its handler.
 */
bool tr_compute(struct tr *t, const struct tr_op *op, const struct insn *in)
{
	struct x86_buf *b = t->b;
	bool w64 = !op->w32;
	enum x86_reg d, a, c;

	if (in->rd == 32)
		return true; /* a hint or a nop: no effect */
	/* The result goes straight to rd's host register when it has one
	 * (x86's two-operand forms), unless that would overwrite rs2 first. */
	d = tr_cached(t, in->rd) ? tr_host(t, in->rd) : X86_RAX;
	switch (op->kind) {
	case TR_ALU_RR:
	case TR_MUL:
		/* Three operands, no copy first: an add as a lea; rd = rs2
		 * op rs1 when rd is rs2 and op commutes. */
		if (op->kind == TR_ALU_RR && op->op == X86_ADD &&
		    in->rd != in->rs1 && in->rd != in->rs2 && in->rs1 &&
		    in->rs2) {
			a = tr_src(t, in->rs1, X86_RAX);
			x86_lea_index(b, d, a, tr_src(t, in->rs2, X86_RCX), 0);
			break;
		}
		if (in->rs2 == in->rd && in->rs1 != in->rd &&
		    tr_cached(t, in->rd) &&
		    (op->kind == TR_MUL || op->op == X86_ADD ||
		     op->op == X86_AND || op->op == X86_OR ||
		     op->op == X86_XOR)) {
			c = tr_src(t, in->rs1, X86_RAX); /* d holds rs2 */
		} else {
			if (in->rs2 == in->rd && in->rs1 != in->rd)
				d = X86_RAX;
			tr_get(t, d, in->rs1);
			c = tr_src(t, in->rs2, X86_RCX);
		}
		if (op->kind == TR_MUL)
			x86_imul_rr(b, d, c, w64);
		else
			x86_alu_rr(b, op->op, d, c, w64);
		break;
	case TR_MULH:
		tr_get(t, X86_RCX, in->rs2);
		tr_get(t, X86_RAX, in->rs1);
		x86_unary(b, op->op, X86_RCX, true);
		d = X86_RDX;
		break;
	case TR_DIV:
		d = tr_divide(t, op, in);
		break;
	case TR_SHADD:
		a = tr_src(t, in->rs1, X86_RAX);
		if (op->op & 4) {
			x86_mov_rr(b, X86_RAX, a, false); /* zero-extends */
			a = X86_RAX;
		}
		c = tr_src(t, in->rs2, X86_RCX);
		/* One instruction reads both before writing d. */
		x86_lea_index(b, d, c, a, (unsigned)op->op & 3);
		break;
	case TR_SLLIUW:
		a = tr_src(t, in->rs1, X86_RAX);
		x86_mov_rr(b, X86_RAX, a, false);
		x86_shift_ri(b, X86_SHL, X86_RAX, (uint8_t)in->imm, true);
		d = X86_RAX;
		break;
	case TR_LOGICN:
		tr_get(t, X86_RAX, in->rs2);
		x86_unary(b, X86_NOT, X86_RAX, true);
		c = tr_src(t, in->rs1, X86_RCX);
		x86_alu_rr(b, op->op, X86_RAX, c, true);
		d = X86_RAX;
		break;
	case TR_MINMAX:
		tr_get(t, X86_RAX, in->rs1);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_CMP, X86_RAX, c, true);
		x86_cmov(b, op->op, X86_RAX, c, true);
		d = X86_RAX;
		break;
	case TR_EXTEND:
		a = tr_src(t, in->rs1, X86_RAX);
		x86_extend(b, X86_RAX, a, (unsigned)op->op & 3, op->op & 4);
		d = X86_RAX;
		break;
	case TR_REV8:
		tr_get(t, X86_RAX, in->rs1);
		x86_bswap(b, X86_RAX, true);
		d = X86_RAX;
		break;
	case TR_CZERO:
		tr_get(t, X86_RAX, in->rs1);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_XOR, X86_RDX, X86_RDX, false);
		x86_test_rr(b, c, c, true);
		x86_cmov(b, op->op, X86_RAX, X86_RDX, true);
		d = X86_RAX;
		break;
	case TR_COUNT: {
		const struct tr_host *hf = tr_host_features();

		if (op->op == X86_LZCNT	  ? !hf->lzcnt
		    : op->op == X86_TZCNT ? !hf->tzcnt
					  : !hf->popcnt)
			return false;
		a = tr_src(t, in->rs1, X86_RAX);
		x86_count(b, op->op, X86_RAX, a, w64);
		d = X86_RAX;
		break;
	}
	case TR_BIT_RR:
	case TR_BIT_RI:
		if (op->kind == TR_BIT_RR)
			tr_get(t, X86_RCX, in->rs2);
		tr_get(t, X86_RAX, in->rs1);
		if (op->kind == TR_BIT_RR)
			x86_bt_rr(b, op->op, X86_RAX, X86_RCX, true);
		else
			x86_bt_ri(b, op->op, X86_RAX, (uint8_t)(in->imm & 63),
				  true);
		if (op->op == X86_BT)
			x86_setcc_zx(b, X86_CC_B, X86_RAX); /* the bit, in CF */
		d = X86_RAX;
		break;
	case TR_ALU_RI:
		if (!tr_fits32(in->imm))
			return false;
		if (op->op == X86_ADD && in->rd != in->rs1 && in->rs1) {
			x86_lea(b, d, tr_src(t, in->rs1, X86_RAX),
				(int32_t)in->imm);
			break;
		}
		tr_get(t, d, in->rs1);
		x86_alu_ri(b, op->op, d, (int32_t)in->imm, w64);
		break;
	case TR_SHIFT_RR:
		tr_get(t, X86_RCX, in->rs2); /* before d: rs2 may be rd */
		tr_get(t, d, in->rs1);
		x86_shift_cl(b, op->op, d, w64);
		break;
	case TR_SHIFT_RI:
		tr_get(t, d, in->rs1);
		x86_shift_ri(b, op->op, d, (uint8_t)in->imm, w64);
		break;
	case TR_SET_RR:
		a = tr_src(t, in->rs1, X86_RAX);
		c = tr_src(t, in->rs2, X86_RCX);
		x86_alu_rr(b, X86_CMP, a, c, true);
		x86_setcc_zx(b, op->op, d);
		break;
	case TR_SET_RI:
		if (!tr_fits32(in->imm))
			return false;
		a = tr_src(t, in->rs1, X86_RAX);
		x86_alu_ri(b, X86_CMP, a, (int32_t)in->imm, true);
		x86_setcc_zx(b, op->op, d);
		break;
	case TR_LI:
		if (!tr_cached(t, in->rd) && tr_fits32(in->imm)) {
			x86_store_imm(b, RH, HART_X(in->rd), (int32_t)in->imm);
			return true;
		}
		x86_mov_ri(b, d, (uint64_t)in->imm);
		break;
	case TR_MV:
		c = tr_src(t, in->rs1, X86_RAX);
		tr_put(t, in->rd, c, false);
		return true;
	case TR_AUIPC:
		tr_pc(b, d, (int64_t)in->off + in->imm);
		break;
	default:
		return false;
	}
	tr_put(t, in->rd, d, op->w32);
	return true;
}
