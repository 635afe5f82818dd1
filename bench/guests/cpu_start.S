/* Entry of the CPU benchmark guest (cpu.c): the FPU on (sstatus.FS
 * Initial), a stack, main(), then SBI
 * SRST shutdown. Entered in S-mode at 0x80200000, where memvisor loads the
 * ELF and where OpenSBI's fw_jump jumps under QEMU. */
	.section .text.start, "ax"
	.globl _start
_start:
	bnez	a0, 2f		/* one hart runs it */
	li	t0, 0x2000	/* sstatus.FS = Initial */
	csrs	sstatus, t0
	la	sp, stack_top
	call	main
	li	a7, 0x53525354	/* SRST: shutdown, no reason */
	li	a6, 0
	li	a0, 0
	li	a1, 0
	ecall
2:	wfi
	j	2b

	.bss
	.balign 16
	.space 65536
stack_top:
