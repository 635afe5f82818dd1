/* SPDX-License-Identifier: MIT */
/*
 * Compressed instructions against their 32-bit expansions.
 *
 *   void rvc_ops(uint64_t out[RVC_NOUT], uint64_t a, uint64_t b);
 *   void rv_ops(uint64_t out[RVC_NOUT], uint64_t a, uint64_t b);
 *
 * Both run the same steps on a (a1) and b (a2) and store step n's result
 * (a3) in out[n]; rvc_ops does each step with RVC instructions, rv_ops
 * with the 32-bit instructions the C extension chapter of the
 * unprivileged specification says they expand to. Each STEP line below
 * shows both forms side by side. Everything around the steps is 32-bit
 * (.option norvc), so only the steps differ between the two functions.
 */

#define RVC_NOUT 40

	.option norvc

/* One step: the compressed form in rvc_ops, the expansion in rv_ops. */
.macro STEP rvc, c, w
.if \rvc
	.option push
	.option rvc
	\c
	.option pop
.else
	\w
.endif
.endm

/* Store step n's result. */
.macro OUT n
	sd	a3, 8*\n(a0)
.endm

.macro BODY rvc
	addi	sp, sp, -544
	sd	ra, 536(sp)
	sd	s0, 528(sp)
	sd	s1, 520(sp)

	/* Register-register (CA format; rd' and rs2' are x8..x15). */
	mv	a3, a1
	STEP \rvc, "c.add a3, a2", "add a3, a3, a2"
	OUT 0
	mv	a3, a1
	STEP \rvc, "c.sub a3, a2", "sub a3, a3, a2"
	OUT 1
	mv	a3, a1
	STEP \rvc, "c.xor a3, a2", "xor a3, a3, a2"
	OUT 2
	mv	a3, a1
	STEP \rvc, "c.or a3, a2", "or a3, a3, a2"
	OUT 3
	mv	a3, a1
	STEP \rvc, "c.and a3, a2", "and a3, a3, a2"
	OUT 4
	mv	a3, a1
	STEP \rvc, "c.subw a3, a2", "subw a3, a3, a2"
	OUT 5
	mv	a3, a1
	STEP \rvc, "c.addw a3, a2", "addw a3, a3, a2"
	OUT 6
	STEP \rvc, "c.mv a3, a2", "add a3, x0, a2"
	OUT 7

	/* Immediates (CI format). */
	mv	a3, a1
	STEP \rvc, "c.addi a3, -32", "addi a3, a3, -32"
	OUT 8
	mv	a3, a1
	STEP \rvc, "c.addi a3, 31", "addi a3, a3, 31"
	OUT 9
	mv	a3, a1
	STEP \rvc, "c.addiw a3, -1", "addiw a3, a3, -1"
	OUT 10
	mv	a3, a1
	STEP \rvc, "c.addiw a3, 0", "addiw a3, a3, 0"
	OUT 11
	STEP \rvc, "c.li a3, -32", "addi a3, x0, -32"
	OUT 12
	STEP \rvc, "c.li a3, 31", "addi a3, x0, 31"
	OUT 13
	STEP \rvc, "c.lui a3, 0xfffff", "lui a3, 0xfffff"
	OUT 14
	STEP \rvc, "c.lui a3, 0x1f", "lui a3, 0x1f"
	OUT 15
	STEP \rvc, "c.lui a3, 0xfffe0", "lui a3, 0xfffe0"
	OUT 16

	/* Shifts and andi (CB format; RV64 shift amounts up to 63). */
	mv	a3, a1
	STEP \rvc, "c.slli a3, 63", "slli a3, a3, 63"
	OUT 17
	mv	a3, a1
	STEP \rvc, "c.slli a3, 1", "slli a3, a3, 1"
	OUT 18
	mv	a3, a1
	STEP \rvc, "c.srli a3, 63", "srli a3, a3, 63"
	OUT 19
	mv	a3, a1
	STEP \rvc, "c.srli a3, 32", "srli a3, a3, 32"
	OUT 20
	mv	a3, a1
	STEP \rvc, "c.srai a3, 63", "srai a3, a3, 63"
	OUT 21
	mv	a3, a1
	STEP \rvc, "c.srai a3, 1", "srai a3, a3, 1"
	OUT 22
	mv	a3, a1
	STEP \rvc, "c.andi a3, -32", "andi a3, a3, -32"
	OUT 23
	mv	a3, a1
	STEP \rvc, "c.andi a3, 21", "andi a3, a3, 21"
	OUT 24

	/* Stack-pointer arithmetic: the change of sp, and a3 - sp. */
	mv	t0, sp
	STEP \rvc, "c.addi16sp sp, -512", "addi sp, sp, -512"
	sub	a3, sp, t0
	mv	sp, t0
	OUT 25
	STEP \rvc, "c.addi16sp sp, 496", "addi sp, sp, 496"
	sub	a3, sp, t0
	mv	sp, t0
	OUT 26
	STEP \rvc, "c.addi4spn a3, sp, 1020", "addi a3, sp, 1020"
	sub	a3, a3, sp
	OUT 27
	STEP \rvc, "c.addi4spn a3, sp, 4", "addi a3, sp, 4"
	sub	a3, a3, sp
	OUT 28

	/* Loads and stores, largest offsets; s0 = sp as the CL/CS base. */
	mv	s0, sp
	STEP \rvc, "c.sw a1, 124(s0); c.lw a3, 124(s0)", "sw a1, 124(s0); lw a3, 124(s0)"
	OUT 29
	STEP \rvc, "c.sd a2, 248(s0); c.ld a3, 248(s0)", "sd a2, 248(s0); ld a3, 248(s0)"
	OUT 30
	STEP \rvc, "c.swsp a2, 252(sp); c.lwsp a3, 252(sp)", "sw a2, 252(sp); lw a3, 252(sp)"
	OUT 31
	STEP \rvc, "c.sdsp a1, 504(sp); c.ldsp a3, 504(sp)", "sd a1, 504(sp); ld a3, 504(sp)"
	OUT 32

	/* Control transfer: a3 records which way it went. */
	STEP \rvc, "c.li a3, 0; c.beqz a1, 1f; c.li a3, 1; 1:", "addi a3, x0, 0; beq a1, x0, 1f; addi a3, x0, 1; 1:"
	OUT 33
	STEP \rvc, "c.li a3, 0; c.bnez a1, 1f; c.li a3, 1; 1:", "addi a3, x0, 0; bne a1, x0, 1f; addi a3, x0, 1; 1:"
	OUT 34
	/* backwards */
	STEP \rvc, "c.li a3, 0; c.j 2f; 1: c.li a3, 1; c.j 3f; 2: c.beqz a1, 1b; 3:", "addi a3, x0, 0; jal x0, 2f; 1: addi a3, x0, 1; jal x0, 3f; 2: beq a1, x0, 1b; 3:"
	OUT 35
	STEP \rvc, "c.li a3, 5; c.j 1f; c.li a3, 6; 1:", "addi a3, x0, 5; jal x0, 1f; addi a3, x0, 6; 1:"
	OUT 36
	la	t0, 1f
	STEP \rvc, "c.li a3, 7; c.jr t0; c.li a3, 8", "addi a3, x0, 7; jalr x0, 0(t0); addi a3, x0, 8"
1:	OUT 37
	/* c.jalr links to the next instruction: a3 = ra - that address. */
	la	t0, 2f
	STEP \rvc, "c.jalr t0; 1:", "jalr ra, 0(t0); 1:"
	j	3f
2:	la	a3, 1b
	sub	a3, ra, a3
	ret
3:	OUT 38
	STEP \rvc, "c.li a3, 9; c.nop", "addi a3, x0, 9; addi x0, x0, 0"
	OUT 39

	ld	ra, 536(sp)
	ld	s0, 528(sp)
	ld	s1, 520(sp)
	addi	sp, sp, 544
	ret
.endm

	.text
	.globl rvc_ops
rvc_ops:
	BODY 1

	.globl rv_ops
rv_ops:
	BODY 0
