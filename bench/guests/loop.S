/* A CPU-bound guest for the MIPS figure: ITERATIONS times a 5-instruction
 * loop body (4 ALU instructions and a branch), then SBI SRST shutdown. */
	.section .text.start
	.globl _start
_start:
	li	t0, ITERATIONS
	li	t1, 0
	li	t2, 0
1:	addi	t1, t1, 1
	xor	t2, t2, t1
	add	t3, t2, t1
	addi	t0, t0, -1
	bnez	t0, 1b
	li	a7, 0x53525354	/* SRST */
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
2:	j	2b
