/* SPDX-License-Identifier: MIT */
/*
 * Entry points and the trap vector of the bare-metal test runtime.
 *
 * memvisor enters hart 0 at _start in S-mode with a0 = hart id and a1 =
 * the device tree; harts started through SBI HSM enter _secondary_entry
 * with a0 = hart id and a1 = the opaque value, here the C function to run.
 *
 * Register conventions while a test runs:
 *   tp       = &hart_locals[hartid] (set by hart_setup() in lib.c; the
 *              compiler never allocates tp, and U-mode snippets leave it)
 *   sscratch = top of this hart's trap stack, swapped with sp on a trap,
 *              so a trap from U-mode (or from code with a bad sp) still
 *              runs the handler on a good stack.
 */
#include "lib.h"

	.section .text.start, "ax"
	.globl _start
_start:
	li	t0, MAX_HARTS
	bgeu	a0, t0, park
	call	stack_setup
	call	lib_main
	j	park

	.text
	.globl _secondary_entry
_secondary_entry:
	li	t0, MAX_HARTS
	bgeu	a0, t0, park
	call	stack_setup
	call	secondary_main
	/* fall through: nothing left for this hart */
park:
	wfi
	j	park

/* sp = top of stacks[a0]. Leaves a0/a1 alone. */
stack_setup:
	la	sp, stacks
	addi	t0, a0, 1
	li	t1, STACK_SIZE
	mul	t0, t0, t1
	add	sp, sp, t0
	ret

/*
 * The trap path, expanded once per stvec vector so a test of vectored
 * mode can tell which vector a trap came in by (the handler gets it in a1).
 */
.macro TRAP_BODY vector
	csrrw	sp, sscratch, sp	/* sp = trap stack, sscratch = old sp */
	addi	sp, sp, -TF_SIZE
	sd	x1, 1*8(sp)
	sd	x3, 3*8(sp)
	sd	x4, 4*8(sp)
	sd	x5, 5*8(sp)
	sd	x6, 6*8(sp)
	sd	x7, 7*8(sp)
	sd	x8, 8*8(sp)
	sd	x9, 9*8(sp)
	sd	x10, 10*8(sp)
	sd	x11, 11*8(sp)
	sd	x12, 12*8(sp)
	sd	x13, 13*8(sp)
	sd	x14, 14*8(sp)
	sd	x15, 15*8(sp)
	sd	x16, 16*8(sp)
	sd	x17, 17*8(sp)
	sd	x18, 18*8(sp)
	sd	x19, 19*8(sp)
	sd	x20, 20*8(sp)
	sd	x21, 21*8(sp)
	sd	x22, 22*8(sp)
	sd	x23, 23*8(sp)
	sd	x24, 24*8(sp)
	sd	x25, 25*8(sp)
	sd	x26, 26*8(sp)
	sd	x27, 27*8(sp)
	sd	x28, 28*8(sp)
	sd	x29, 29*8(sp)
	sd	x30, 30*8(sp)
	sd	x31, 31*8(sp)
	csrr	t0, sscratch
	sd	t0, 2*8(sp)		/* the interrupted sp */
	addi	t0, sp, TF_SIZE
	csrw	sscratch, t0		/* ready for the next trap */
	csrr	t0, sepc
	sd	t0, TF_SEPC(sp)
	mv	a0, sp
	li	a1, \vector
	call	trap_handler
	bnez	a0, trap_to_kernel
	j	trap_return
.endm

	.align	2
	.globl trap_entry
trap_entry:
	TRAP_BODY 0

/* Back to the interrupted code, at the (possibly changed) frame sepc. */
trap_return:
	ld	t0, TF_SEPC(sp)
	csrw	sepc, t0
	ld	x1, 1*8(sp)
	ld	x3, 3*8(sp)
	ld	x4, 4*8(sp)
	ld	x5, 5*8(sp)
	ld	x6, 6*8(sp)
	ld	x7, 7*8(sp)
	ld	x8, 8*8(sp)
	ld	x9, 9*8(sp)
	ld	x10, 10*8(sp)
	ld	x11, 11*8(sp)
	ld	x12, 12*8(sp)
	ld	x13, 13*8(sp)
	ld	x14, 14*8(sp)
	ld	x15, 15*8(sp)
	ld	x16, 16*8(sp)
	ld	x17, 17*8(sp)
	ld	x18, 18*8(sp)
	ld	x19, 19*8(sp)
	ld	x20, 20*8(sp)
	ld	x21, 21*8(sp)
	ld	x22, 22*8(sp)
	ld	x23, 23*8(sp)
	ld	x24, 24*8(sp)
	ld	x25, 25*8(sp)
	ld	x26, 26*8(sp)
	ld	x27, 27*8(sp)
	ld	x28, 28*8(sp)
	ld	x29, 29*8(sp)
	ld	x30, 30*8(sp)
	ld	x31, 31*8(sp)
	ld	sp, 2*8(sp)
	sret

/*
 * An exception ended user_run()'s U-mode excursion: return from
 * user_run() with a0 = scause, in the S-mode context it saved. The trap
 * frame is dropped (sscratch already points at the stack's top again).
 */
trap_to_kernel:
	csrr	a0, scause
	ld	ra, HL_KCTX+0*8(tp)
	ld	sp, HL_KCTX+1*8(tp)
	ld	s0, HL_KCTX+2*8(tp)
	ld	s1, HL_KCTX+3*8(tp)
	ld	s2, HL_KCTX+4*8(tp)
	ld	s3, HL_KCTX+5*8(tp)
	ld	s4, HL_KCTX+6*8(tp)
	ld	s5, HL_KCTX+7*8(tp)
	ld	s6, HL_KCTX+8*8(tp)
	ld	s7, HL_KCTX+9*8(tp)
	ld	s8, HL_KCTX+10*8(tp)
	ld	s9, HL_KCTX+11*8(tp)
	ld	s10, HL_KCTX+12*8(tp)
	ld	s11, HL_KCTX+13*8(tp)
	ret

/* uint64_t user_run(uint64_t fn, uint64_t arg, uint64_t sp): see lib.h. */
	.globl user_run
user_run:
	sd	ra, HL_KCTX+0*8(tp)
	sd	sp, HL_KCTX+1*8(tp)
	sd	s0, HL_KCTX+2*8(tp)
	sd	s1, HL_KCTX+3*8(tp)
	sd	s2, HL_KCTX+4*8(tp)
	sd	s3, HL_KCTX+5*8(tp)
	sd	s4, HL_KCTX+6*8(tp)
	sd	s5, HL_KCTX+7*8(tp)
	sd	s6, HL_KCTX+8*8(tp)
	sd	s7, HL_KCTX+9*8(tp)
	sd	s8, HL_KCTX+10*8(tp)
	sd	s9, HL_KCTX+11*8(tp)
	sd	s10, HL_KCTX+12*8(tp)
	sd	s11, HL_KCTX+13*8(tp)
	csrw	sepc, a0
	li	t0, 0x100		/* sstatus.SPP: sret goes to U-mode */
	csrc	sstatus, t0
	li	t0, 1
	sd	t0, HL_USER_ACTIVE(tp)
	mv	a0, a1
	mv	sp, a2
	sret

/*
 * Vectored mode (stvec.MODE = 1): exceptions enter at the base,
 * interrupt n at base + 4 * n. Every slot is a 4-byte jump (no RVC) so
 * the offsets are exact; slot n tells the handler it came in by vector n.
 */
	.align	8
	.globl trap_vectors
trap_vectors:
	.option push
	.option norvc
	j	trap_entry_v0
	j	trap_entry_v1
	j	trap_entry_v2
	j	trap_entry_v3
	j	trap_entry_v4
	j	trap_entry_v5
	j	trap_entry_v6
	j	trap_entry_v7
	j	trap_entry_v8
	j	trap_entry_v9
	.option pop

/* Vector 0 of the table reports 16: "exception, came in by the base". */
trap_entry_v0: TRAP_BODY 16
trap_entry_v1: TRAP_BODY 1
trap_entry_v2: TRAP_BODY 2
trap_entry_v3: TRAP_BODY 3
trap_entry_v4: TRAP_BODY 4
trap_entry_v5: TRAP_BODY 5
trap_entry_v6: TRAP_BODY 6
trap_entry_v7: TRAP_BODY 7
trap_entry_v8: TRAP_BODY 8
trap_entry_v9: TRAP_BODY 9
