/* SPDX-License-Identifier: MIT */
/*
 * The assembly half of memvisor's riscv-tests environment (riscv_test.h):
 * the trap vector for tests without a stvec_handler of their own, and the
 * entry points RVTEST_PASS and RVTEST_FAIL jump to.
 *
 * Nothing here may rely on the test's sp: the tests use every register.
 * The reports run on a stack of their own and never return.
 */
#include "riscv_test.h"

	.text
	.align	2
	.globl	rvtest_trap_vector
rvtest_trap_vector:
	csrw	sscratch, t6
	csrr	t6, scause
	addi	t6, t6, -CAUSE_USER_ECALL
	bnez	t6, unexpected_trap
	/*
	 * A U-mode test's SBI call (its pass or fail report): make it from
	 * here, then go on after its ecall with the SBI's a0/a1 and every
	 * other register as it was, t6 included.
	 */
	csrr	t6, sscratch
	ecall
	csrr	t6, sepc
	addi	t6, t6, 4
	csrw	sepc, t6
	csrr	t6, sscratch
	sret

unexpected_trap:
	la	sp, rvtest_stack_top
	mv	a0, TESTNUM
	csrr	a1, scause
	csrr	a2, sepc
	csrr	a3, stval
	call	rvtest_report_trap

/* RVTEST_PASS: TESTNUM = 1 already. */
	.globl	rvtest_pass
rvtest_pass:
	la	sp, rvtest_stack_top
	call	rvtest_report_pass

/* RVTEST_FAIL: TESTNUM = the failing case. */
	.globl	rvtest_fail
rvtest_fail:
	la	sp, rvtest_stack_top
	mv	a0, TESTNUM
	call	rvtest_report_fail

	.bss
	.align	4
rvtest_stack:
	.space	4096
rvtest_stack_top:
