/* SPDX-License-Identifier: MIT */
/*
 * Decoded instructions and their handlers.
 *
 * The decoder (cpu/decode.c) turns each instruction, 32-bit or compressed,
 * into a struct insn that names its handler. A handler executes one
 * instruction and returns:
 *   0                  go on with the next instruction of the block;
 *   EXEC_BLOCK_END     h->pc is set (a jump, a trap, a CSR change): look up
 *                      the next block;
 *   an enum hart_exit  leave hart_run() with that reason (h->pc is set).
 *
 * While a block runs, h->pc holds the address of the block's first
 * instruction; an instruction's own pc is h->pc + in->off. Nothing absolute
 * is baked into a decoded instruction, so a block is valid wherever its
 * code is mapped.
 */
#ifndef MEMVISOR_CPU_EXEC_H
#define MEMVISOR_CPU_EXEC_H

#include <stdint.h>

#include "cpu/hart.h"

#define EXEC_BLOCK_END 1

struct insn;
typedef int (*exec_fn)(struct hart *h, const struct insn *in);

struct insn {
	exec_fn fn;
	uint8_t rd;  /* 32 when the instruction names x0 as destination */
	uint8_t rs1; /* for csr*i: the 5-bit immediate */
	uint8_t rs2;
	uint8_t len;  /* 2 or 4 */
	uint16_t off; /* offset from the block's first instruction */
	uint16_t csr;
	int64_t imm;
	uint32_t
	    raw; /* the instruction bits (stval of an illegal instruction) */
	uint8_t rs3; /* the fused multiply-adds' third source */
	uint8_t rm;  /* FP rounding mode field (7: dynamic, frm) */
};

static inline uint64_t insn_pc(const struct hart *h, const struct insn *in)
{
	return h->pc + in->off;
}

/* Every handler, by name: X(name) declares exec_<name>. */
#define EXEC_OPS(X)                                                            \
	/* exec_alu.c */                                                       \
	X(lui)                                                                 \
	X(auipc)                                                               \
	X(addi) X(slti) X(sltiu) X(xori) X(ori) X(andi) X(slli) X(srli)        \
	    X(srai) X(add) X(sub) X(sll) X(slt) X(sltu) X(xor) X(srl) X(sra)   \
		X(or) X(and) X(addiw) X(slliw) X(srliw) X(sraiw) X(addw)       \
		    X(subw) X(sllw) X(srlw) X(sraw) X(mul) X(mulh) X(mulhsu)   \
			X(mulhu) X(div) X(divu) X(rem) X(remu) X(mulw) X(divw) \
			    X(divuw) X(remw) X(remuw) X(li)                    \
				X(mv) /* exec_branch.c */                      \
	    X(jal) X(jalr) X(beq) X(bne) X(blt) X(bge) X(bltu) X(bgeu)         \
		X(fallthrough) /* exec_mem.c */                                \
	    X(lb) X(lh) X(lw) X(ld) X(lbu) X(lhu) X(lwu) X(sb) X(sh) X(sw)     \
		X(sd) /* exec_amo.c */                                         \
	    X(lr_w) X(lr_d) X(sc_w) X(sc_d) X(amoswap_w) X(amoadd_w)           \
		X(amoxor_w) X(amoand_w) X(amoor_w) X(amomin_w) X(amomax_w)     \
		    X(amominu_w) X(amomaxu_w) X(amoswap_d) X(amoadd_d)         \
			X(amoxor_d) X(amoand_d) X(amoor_d) X(amomin_d)         \
			    X(amomax_d) X(amominu_d)                           \
				X(amomaxu_d) /* exec_system.c */               \
	    X(fence) X(fence_i) X(ecall) X(ebreak) X(sret) X(wfi)              \
		X(sfence_vma) X(csrrw) X(csrrs) X(csrrc)                       \
		    X(illegal) /* exec_cbo.c */                                \
	    X(cbo_zero) X(cbo_manage)

#define EXEC_DECLARE(name)                                                     \
	int exec_##name(struct hart *h, const struct insn *in);
EXEC_OPS(EXEC_DECLARE)
#undef EXEC_DECLARE

#endif
